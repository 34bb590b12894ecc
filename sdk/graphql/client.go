package graphql

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	genqlient "github.com/Khan/genqlient/graphql"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
	"github.com/sdkgen-go/sdkgen/sdk/ws"
)

// The range of generated-code versions this package supports, as
// [sdkimpl.MinVersion] and [sdkimpl.MaxVersion] are for OpenAPI code:
// generated GraphQL clients assert at compile time (with
// [sdkimpl.EnforceVersion]) that GenVersion-compatible code links against a
// package that can run it. Version 2 asserts with sdkimpl.EnforceVersion;
// code of version 1 asserted with sdk.EnforceVersion, which is gone, and no
// longer compiles.
const (
	MinVersion = 2
	MaxVersion = 2
	GenVersion = 2
)

// Kind is the kind of a GraphQL operation.
type Kind uint8

// The kinds of operations.
const (
	Query Kind = iota + 1
	Mutation
	Subscription
)

func (k Kind) String() string {
	switch k {
	case Query:
		return "query"
	case Mutation:
		return "mutation"
	case Subscription:
		return "subscription"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Operation describes an operation of a generated client. Generated code
// declares one per operation with [NewOperation]; it is shared by every
// call and must not be modified.
type Operation struct {
	kind Kind
	op   sdk.Operation
	enc  atomic.Pointer[encodedOp] // the constant parts of its POST body
}

// encodedOp is the JSON of a request's query text and operation name,
// encoded once per operation: the query is most of a request's body.
type encodedOp struct {
	query, name string
	head        []byte // {"query":"..."
	tail        []byte // ,"operationName":"..."}
}

// body encodes req as json.Marshal encodes a genqlient Request (the same
// bytes), with the query's text encoded once per operation rather than on
// every call.
func (o *Operation) body(req *genqlient.Request) ([]byte, error) {
	e := o.enc.Load()
	if e == nil || e.query != req.Query || e.name != req.OpName {
		q, err := json.Marshal(req.Query)
		if err != nil {
			return nil, err
		}
		n, err := json.Marshal(req.OpName)
		if err != nil {
			return nil, err
		}
		e = &encodedOp{query: req.Query, name: req.OpName}
		e.head = append([]byte(`{"query":`), q...)
		e.tail = append(append([]byte(`,"operationName":`), n...), '}')
		o.enc.Store(e)
	}
	var vars []byte
	if req.Variables != nil { // omitempty: a nil interface is left out
		v, err := json.Marshal(req.Variables)
		if err != nil {
			return nil, err
		}
		vars = v
	}
	b := make([]byte, 0, len(e.head)+len(`,"variables":`)+len(vars)+len(e.tail))
	b = append(b, e.head...)
	if vars != nil {
		b = append(append(b, `,"variables":`...), vars...)
	}
	return append(b, e.tail...), nil
}

// NewOperation returns the description of the operation name of kind k.
// idempotent marks a mutation that may safely run twice: its calls carry
// an Idempotency-Key (the same on every attempt) and are retried like
// queries (sdkgen.yaml's graphql.operations.<name>.idempotent). Queries are
// always retried; subscriptions reconnect instead.
func NewOperation(k Kind, name string, idempotent bool) *Operation {
	return &Operation{kind: k, op: sdk.Operation{
		ID:         name,
		Method:     http.MethodPost,
		Safe:       k == Query,
		Idempotent: idempotent && k == Mutation,
	}}
}

// Name returns the operation's name.
func (o *Operation) Name() string { return o.op.ID }

// Kind returns the operation's kind.
func (o *Operation) Kind() Kind { return o.kind }

// Client runs GraphQL operations through an [sdk.Client]: its auth and
// token refresh, middleware, retries, cache, logging and TLS settings apply
// to every request. It implements genqlient's graphql.Client, so code
// genqlient generates runs on it unchanged; code sdkgen generates calls
// [Client.Call] to say what each operation is. A Client is safe for
// concurrent use.
type Client struct {
	sdk      *sdk.Client
	cfg      config
	classify sdk.Option // the response check of WithErrorStatus

	apqOff    atomic.Bool                 // the server said it does not support APQ
	hashes    sync.Map                    // query text -> hex sha256
	post      atomic.Pointer[endpointURL] // the endpoint POST requests go to
	baseSlash bool                        // the sdk client's base URL ends with a slash

	subsOnce sync.Once
	subs     *subscriptions
}

var _ genqlient.Client = (*Client)(nil)

// Option configures a [Client].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	path        string
	get         bool
	apq         bool
	maxURL      int
	status      ErrorStatus
	wsPath      string
	wsOpts      []ws.Option
	initPayload func(ctx context.Context, creds http.Header) (map[string]any, error)
}

// DefaultMaxGETURL is the longest URL a query is sent in with [WithGET] or
// [WithPersistedQueries]: 8 KiB passes every common server, proxy and CDN.
// Longer ones go as POST.
const DefaultMaxGETURL = 8 << 10

// WithEndpoint sets the path of the GraphQL endpoint, resolved against the
// sdk client's base URL as operation paths are ("graphql" or "/graphql").
// The default is the base URL itself.
func WithEndpoint(path string) Option { return optionFunc(func(c *config) { c.path = path }) }

// WithGET sends queries as GET requests with the query, operationName and
// variables in the URL (GraphQL over HTTP), so an HTTP cache ([sdk.WithCache])
// and CDNs can serve them. Mutations always go as POST, and so does a query
// whose URL would be longer than [DefaultMaxGETURL].
func WithGET() Option { return optionFunc(func(c *config) { c.get = true }) }

// WithPersistedQueries sends queries as GET requests carrying only the
// SHA-256 of the query text (Apollo's automatic persisted queries), so URLs
// stay short and cacheable: when the server does not know the hash
// (PersistedQueryNotFound), the same request is sent again with the full
// text, which the server then remembers. A server that does not support
// persisted queries (PersistedQueryNotSupported) gets full texts from then
// on. Implies [WithGET].
func WithPersistedQueries() Option {
	return optionFunc(func(c *config) { c.get, c.apq = true, true })
}

// WithErrorStatus replaces [DefaultErrorStatus], which decides what HTTP
// status a 200 response stands for from its GraphQL errors. The decision is
// made per attempt, after reading the body (up to 64 KiB: a larger body is
// data, not a refusal), so the SDK's layers treat such a response as the
// status it stands for: a 401 makes a refreshable token source refresh once
// and the request be sent again, a 429 is retried (queries, and mutations
// with an Idempotency-Key) after the server's Retry-After. nil turns the
// reclassification off.
func WithErrorStatus(f ErrorStatus) Option { return optionFunc(func(c *config) { c.status = f }) }

// WithWebSocketEndpoint sets the path (or ws:, wss:, http: or https: URL)
// subscriptions connect to; the default is the GraphQL endpoint.
func WithWebSocketEndpoint(path string) Option {
	return optionFunc(func(c *config) { c.wsPath = path })
}

// WithWebSocketOptions configures the connection subscriptions share
// (package [ws]: reconnect policy, pings, read limit, dial timeout).
func WithWebSocketOptions(opts ...ws.Option) Option {
	return optionFunc(func(c *config) { c.wsOpts = append(c.wsOpts, opts...) })
}

// WithInitPayload sets how the payload of connection_init, the first
// message on every subscription connection, is made from the client's
// current credentials (the headers its auth would set for the endpoint:
// see [sdk.Client.Credentials]). The default sends each header as a member
// of the same name: {"Authorization": "Bearer ..."}. It is called for every
// connection, reconnects included, so the payload carries a current token.
func WithInitPayload(f func(ctx context.Context, creds http.Header) (map[string]any, error)) Option {
	return optionFunc(func(c *config) { c.initPayload = f })
}

// New returns a client for the GraphQL API served through c (at c's base
// URL, or at [WithEndpoint]). Closing c ends the client's subscriptions.
func New(c *sdk.Client, opts ...Option) (*Client, error) {
	if c == nil {
		return nil, &sdk.OptionError{Option: "graphql.New", Reason: "nil sdk client"}
	}
	cl := &Client{sdk: c, cfg: config{maxURL: DefaultMaxGETURL, status: DefaultErrorStatus, initPayload: headerPayload}}
	cl.baseSlash = strings.HasSuffix(c.BaseURL(), "/")
	for _, o := range opts {
		if o != nil {
			o.apply(&cl.cfg)
		}
	}
	if cl.cfg.initPayload == nil {
		cl.cfg.initPayload = headerPayload
	}
	if cl.cfg.status != nil {
		cl.classify = sdkimpl.ResponseCheck(statusCheck(cl.cfg.status))
	}
	return cl, nil
}

// NewClient returns a client for the GraphQL endpoint at endpoint, over a
// new [sdk.Client] configured by opts (credentials, retries, middleware,
// logging, TLS) that the client owns: Close it through [Client.SDK]. The
// check of 200 responses for the status they stand for ([WithErrorStatus])
// is then installed once on the sdk client rather than on every call.
func NewClient(endpoint string, opts []sdk.Option, gopts ...Option) (*Client, error) {
	var cfg config
	cfg.status = DefaultErrorStatus
	for _, o := range gopts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	if cfg.status != nil {
		opts = append(opts[:len(opts):len(opts)], sdkimpl.ResponseCheck(statusCheck(cfg.status)))
	}
	rt, err := sdk.NewClient(endpoint, opts...)
	if err != nil {
		return nil, err
	}
	c, err := New(rt, gopts...)
	if err != nil {
		rt.Close()
		return nil, err
	}
	c.classify = nil // installed on rt
	return c, nil
}

// SDK returns the sdk client requests go through.
func (c *Client) SDK() *sdk.Client { return c.sdk }

// Call returns a genqlient graphql.Client that runs op with opts (per-call
// [sdk.Option]s: headers, timeouts, retries, an idempotency key); generated
// methods pass it to the functions genqlient generates.
func (c *Client) Call(op *Operation, opts ...sdk.Option) genqlient.Client {
	return &call{c: c, op: op, opts: opts}
}

type call struct {
	c    *Client
	op   *Operation
	opts []sdk.Option
}

func (k *call) MakeRequest(ctx context.Context, req *genqlient.Request, resp *genqlient.Response) error {
	return k.c.run(ctx, k.op, req, resp, k.opts)
}

// MakeRequest runs req, for code genqlient generated on its own (which does
// not say what the operation is): the kind is read from the query's text,
// and a mutation is never retried without an Idempotency-Key. It
// implements genqlient's graphql.Client.
func (c *Client) MakeRequest(ctx context.Context, req *genqlient.Request, resp *genqlient.Response) error {
	return c.run(ctx, NewOperation(kindOf(req.Query), req.OpName, false), req, resp, nil)
}

// kindOf reads the kind of the first operation of a document.
func kindOf(doc string) Kind {
	for doc != "" {
		doc = strings.TrimLeft(doc, " \t\r\n,\ufeff")
		if strings.HasPrefix(doc, "#") {
			if i := strings.IndexByte(doc, '\n'); i >= 0 {
				doc = doc[i+1:]
				continue
			}
			return Query
		}
		switch {
		case strings.HasPrefix(doc, "mutation"):
			return Mutation
		case strings.HasPrefix(doc, "subscription"):
			return Subscription
		case strings.HasPrefix(doc, "fragment"):
			// The operation comes after its fragments: find it.
			i := strings.Index(doc, "}\n")
			if i < 0 {
				return Query
			}
			doc = doc[i+1:]
			continue
		}
		return Query
	}
	return Query
}

// ErrSubscriptionOverHTTP is returned by a request that is a subscription:
// subscriptions run over a WebSocket, through [Subscribe].
var ErrSubscriptionOverHTTP = errors.New("graphql: subscriptions run over a WebSocket (Subscribe), not over HTTP requests")

// run sends one operation and decodes its response into resp.
func (c *Client) run(ctx context.Context, op *Operation, req *genqlient.Request, resp *genqlient.Response, opts []sdk.Option) error {
	if op.kind == Subscription {
		return ErrSubscriptionOverHTTP
	}
	if c.classify != nil {
		opts = append(opts[:len(opts):len(opts)], c.classify)
	}
	if op.kind == Query && c.cfg.get {
		if c.cfg.apq && !c.apqOff.Load() {
			hash := c.hashOf(req.Query)
			err := c.send(ctx, op, c.getBuilder(req, hash, false), resp, opts)
			// The miss comes as a 200 (Apollo) or a 404 (graphql-yoga).
			var re *ResponseError
			switch {
			case !errors.As(err, &re):
				return err
			case re.Has("PERSISTED_QUERY_NOT_FOUND") || hasMessage(re, "PersistedQueryNotFound"):
				return c.send(ctx, op, c.getBuilder(req, hash, true), resp, opts)
			case re.Has("PERSISTED_QUERY_NOT_SUPPORTED") || hasMessage(re, "PersistedQueryNotSupported"):
				c.apqOff.Store(true)
			default:
				return err
			}
		}
		return c.send(ctx, op, c.getBuilder(req, "", true), resp, opts)
	}
	body, err := op.body(req)
	if err != nil {
		return &sdk.RequestError{Operation: op.op.ID, Err: err}
	}
	return c.send(ctx, op, func(server string) (*http.Request, error) {
		return c.postRequest(server, body)
	}, resp, opts)
}

// endpointURL is the parsed URL of the endpoint for one server.
type endpointURL struct {
	server string
	u      *url.URL
}

// postRequest returns the POST request of body to the endpoint of server:
// the request http.NewRequest makes, without parsing the endpoint's URL on
// every call.
func (c *Client) postRequest(server string, body []byte) (*http.Request, error) {
	e := c.post.Load()
	if e == nil || e.server != server {
		u, err := url.Parse(c.endpoint(server))
		if err != nil {
			return nil, err
		}
		u.Host = strings.TrimSuffix(u.Host, ":") // an empty port, as NewRequest drops it
		e = &endpointURL{server: server, u: u}
		c.post.Store(e)
	}
	u := *e.u
	r := &http.Request{
		Method:        http.MethodPost,
		URL:           &u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        make(http.Header, 4),
		Body:          io.NopCloser(bytes.NewReader(body)),
		GetBody:       func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil },
		ContentLength: int64(len(body)),
		Host:          u.Host,
	}
	setHeaders(r, true)
	return r, nil
}

func hasMessage(re *ResponseError, msg string) bool {
	for _, e := range re.Errors {
		if e.Message == msg {
			return true
		}
	}
	return false
}

// send runs one request through the sdk client and decodes its response.
func (c *Client) send(ctx context.Context, op *Operation, build sdkimpl.RequestBuilder, resp *genqlient.Response, opts []sdk.Option) error {
	hr, err := sdkimpl.Do(ctx, c.sdk, &op.op, build, opts...)
	if err != nil {
		var ae *sdk.APIError
		if errors.As(err, &ae) {
			if errs, data, ok := errorsOf(ae.Body); ok {
				return &ResponseError{Operation: op.op.ID, Errors: errs, PartialData: data, Err: err}
			}
		}
		return err
	}
	// data decodes straight into the caller's value (an interface holding
	// a pointer is decoded through); JSON null leaves it nil.
	env := fastEnvelope{Data: resp.Data}
	if err := sdkimpl.DecodeJSONInto(hr, &env); err != nil {
		return err
	}
	resp.Extensions = env.Extensions
	if len(env.Errors) == 0 {
		return nil
	}
	return &ResponseError{Operation: op.op.ID, Errors: env.Errors, PartialData: env.Data != nil && env.Data == resp.Data && !isZero(resp.Data), Extensions: env.Extensions}
}

// setHeaders sets the content negotiation of GraphQL over HTTP: the
// application/graphql-response+json media type first, so servers that speak
// it answer request errors with 4xx statuses. The values are the request's
// own (one allocation for both): middleware may change them in place.
func setHeaders(r *http.Request, body bool) {
	if !body {
		r.Header["Accept"] = []string{acceptValue}
		return
	}
	v := []string{acceptValue, jsonContentType}
	r.Header["Accept"] = v[0:1:1]
	r.Header["Content-Type"] = v[1:2:2]
}

const (
	acceptValue     = "application/graphql-response+json, application/json;q=0.9"
	jsonContentType = "application/json"
)

// endpoint returns the URL of the GraphQL endpoint, given the server a
// call goes to (which the sdk client always ends with a slash).
func (c *Client) endpoint(server string) string {
	if c.cfg.path == "" {
		if c.baseSlash {
			return server
		}
		return strings.TrimSuffix(server, "/")
	}
	return server + strings.TrimPrefix(c.cfg.path, "/")
}

// getBuilder builds the GET request of a query: the hash alone (APQ's
// first try), the text with its hash, or the text alone. A URL longer than
// the limit falls back to POST with the same members.
func (c *Client) getBuilder(req *genqlient.Request, hash string, withText bool) sdkimpl.RequestBuilder {
	return func(server string) (*http.Request, error) {
		q := url.Values{}
		if withText {
			q.Set("query", req.Query)
		}
		if req.OpName != "" {
			q.Set("operationName", req.OpName)
		}
		var ext []byte
		if hash != "" {
			ext = []byte(`{"persistedQuery":{"version":1,"sha256Hash":"` + hash + `"}}`)
			q.Set("extensions", string(ext))
		}
		if req.Variables != nil {
			v, err := json.Marshal(req.Variables)
			if err != nil {
				return nil, err
			}
			if string(v) != "null" {
				q.Set("variables", string(v))
			}
		}
		u := c.endpoint(server)
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		full := u + sep + q.Encode()
		if len(full) <= c.cfg.maxURL {
			r, err := http.NewRequest(http.MethodGet, full, nil)
			if err != nil {
				return nil, err
			}
			setHeaders(r, false)
			return r, nil
		}
		body := map[string]any{"query": req.Query, "operationName": req.OpName}
		if req.Variables != nil {
			body["variables"] = req.Variables
		}
		if ext != nil {
			body["extensions"] = json.RawMessage(ext)
		}
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		r, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		setHeaders(r, true)
		return r, nil
	}
}

// hashOf returns the hex SHA-256 of a query text, computed once per text.
func (c *Client) hashOf(query string) string {
	if h, ok := c.hashes.Load(query); ok {
		return h.(string)
	}
	sum := sha256.Sum256([]byte(query))
	h := hex.EncodeToString(sum[:])
	c.hashes.Store(query, h)
	return h
}

// headerPayload is the default connection_init payload: each credential
// header as a member of the same name.
func headerPayload(_ context.Context, creds http.Header) (map[string]any, error) {
	p := make(map[string]any, len(creds))
	for k, v := range creds {
		if len(v) > 0 {
			p[k] = v[0]
		}
	}
	return p, nil
}

// maxClassifiedBody is how much of a 200 response is read to decide what
// status it stands for; a larger body carries data.
const maxClassifiedBody = 64 << 10

var classifyBufs = sync.Pool{New: func() any { b := make([]byte, maxClassifiedBody); return &b }}

// statusCheck reads the body of each 200 response (up to
// maxClassifiedBody) and, when its GraphQL errors stand for another status,
// answers with that status instead, so the layers above (auth refresh,
// retry) act on it. The body is handed on unchanged.
func statusCheck(status ErrorStatus) func(*http.Response) *http.Response {
	return func(resp *http.Response) *http.Response {
		if resp.StatusCode != http.StatusOK {
			return resp
		}
		bp := classifyBufs.Get().(*[]byte)
		n, rerr := io.ReadFull(resp.Body, *bp)
		data := (*bp)[:n]
		switch rerr {
		case nil:
			// Longer than the buffer: data, not a refusal.
			resp.Body = &prefixBody{data: data, buf: bp, rest: resp.Body}
			return resp
		case io.EOF, io.ErrUnexpectedEOF:
			// All of it: the connection is free for the next request, and
			// the body handed on is the buffer alone.
			_ = resp.Body.Close()
		default:
			resp.Body = &prefixBody{data: data, buf: bp, rest: resp.Body, err: rerr}
			return resp
		}
		body := &prefixBody{data: data, buf: bp, rest: http.NoBody}
		if bytes.Contains(data, []byte(`"errors"`)) {
			if errs, hasData, ok := errorsOf(data); ok {
				if s := status(errs, hasData); s != 0 && s != http.StatusOK {
					r2 := *resp
					r2.StatusCode = s
					r2.Status = strconv.Itoa(s) + " " + http.StatusText(s) + " (GraphQL errors in a 200 response)"
					r2.Body = body
					return &r2
				}
			}
		}
		resp.Body = body
		return resp
	}
}

// errReadAfterClose is what a body read after Close returns.
var errReadAfterClose = errors.New("graphql: read after close")

// prefixBody reads data, then rest (the rest of the original body, or
// http.NoBody when data is all of it), and gives the pooled buffer back
// when closed. A Read of rest is not made
// under the lock, so that a Close (an idle timeout's, the caller's) can
// interrupt it.
type prefixBody struct {
	mu   sync.Mutex
	data []byte
	buf  *[]byte
	rest io.ReadCloser
	err  error // the error reading rest failed with, if it did
}

func (b *prefixBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	if b.buf == nil {
		b.mu.Unlock()
		return 0, errReadAfterClose
	}
	if len(b.data) > 0 {
		n := copy(p, b.data)
		b.data = b.data[n:]
		b.mu.Unlock()
		return n, nil
	}
	err := b.err
	b.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return b.rest.Read(p)
}

func (b *prefixBody) Close() error {
	b.mu.Lock()
	if b.buf != nil {
		classifyBufs.Put(b.buf)
		b.buf, b.data = nil, nil
	}
	b.mu.Unlock()
	return b.rest.Close()
}

// fastEnvelope is a response decoded in one pass: Data holds the caller's
// pointer, which encoding/json decodes into; null sets it to nil.
type fastEnvelope struct {
	Data       any            `json:"data"`
	Errors     []*Error       `json:"errors"`
	Extensions map[string]any `json:"extensions"`
}

// isZero reports whether the value p points to is its type's zero value:
// data that was absent from a response with errors (a request error)
// leaves it so, data that came (partial data) does not.
func isZero(p any) bool {
	v := reflect.ValueOf(p)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return true
	}
	return v.Elem().IsZero()
}
