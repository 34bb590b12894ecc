package sdk

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Version is the version of this runtime, sent in the default User-Agent.
const Version = "0.1.0"

// Operation describes an operation of the spec. Generated code declares one
// per operation; middleware reads the call's with [OperationFrom]. Its
// values are shared by every call and must not be modified.
type Operation struct {
	// ID is the operationId; Method and Path are the spec's
	// ("GET", "/pets/{petId}").
	ID     string
	Method string
	Path   string
	// Server is the operation's own server URL (from the operation's or the
	// path's servers), used instead of the client's when the client was not
	// given a base URL of its own. Empty means the client's.
	Server string
	// Idempotent marks an operation the spec declares safe to retry
	// (x-sdkgen-idempotent): the SDK then sends an Idempotency-Key with
	// POST and PATCH requests (and other methods that are not idempotent
	// by themselves), the same on every attempt, and retries them.
	Idempotent bool
	// Safe marks an operation that changes nothing on the server whatever
	// its method, such as a GraphQL query sent as POST: it is retried as a
	// GET is, and carries no Idempotency-Key.
	Safe bool
	// Errors maps declared error responses ("404", "4XX", "default") to the
	// decoders of their bodies, which return the generated error type (model)
	// or why the body did not decode (err).
	Errors map[string]func(body []byte) (model, err error)
	// Security lists the alternatives of security requirements: any one
	// inner list, all of whose schemes apply, satisfies the operation. Nil
	// means the client's auth applies as configured; an empty non-nil list
	// means the operation takes no credentials.
	Security [][]string
	// Stream says how the operation's event stream ends, for operations
	// whose response is text/event-stream (see Streams in the package
	// documentation). Nil means no terminal event is declared.
	Stream *EventStream
}

// Client sends the requests of a generated SDK through the SDK's layers.
// It is safe for concurrent use. Generated clients embed one; users rarely
// touch it except to call Close.
type Client struct {
	base        *url.URL
	baseString  string
	baseSlash   string // baseString ending in a slash, for serverFor
	specDefault bool   // base is the spec's server, not the user's
	settings    settings
	hc          *http.Client
	ownsTrans   *http.Transport // closed by Close; nil for a caller's client
	retrier     http.RoundTripper
	userAgent   string

	// hiddenCreds is set once an attempt of a call carried credentials that
	// attempt middleware added below the cache (see CacheScope).
	hiddenCreds atomic.Bool

	closeOnce sync.Once
	closed    chan struct{}
	closers   []*closer
	mu        sync.Mutex
}

// NewClient returns a client sending requests to baseURL (the server the
// spec names, when the generated NewClient passes it; [WithBaseURL]
// overrides it).
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	s := defaultSettings()
	for _, o := range opts {
		if o != nil {
			o.apply(&s)
		}
	}
	if len(s.errs) > 0 {
		return nil, errors.Join(s.errs...)
	}
	c := &Client{settings: s, closed: make(chan struct{}), specDefault: !s.baseURLSet}
	raw := baseURL
	if s.baseURLSet {
		raw = s.baseURL
	}
	base, err := parseBaseURL(raw)
	if err != nil {
		return nil, &OptionError{Option: "base URL", Reason: err.Error()}
	}
	c.base = base
	c.baseString = base.String()
	c.baseSlash = withSlash(c.baseString)
	// The caller's *http.Client is copied, never modified; its Transport is
	// wrapped in our per-attempt layers (and cloned when its TLS settings
	// must change: see tls.go).
	inner, owned, err := s.buildTransport()
	if err != nil {
		return nil, err
	}
	c.ownsTrans = owned
	var hc http.Client
	if s.httpClient != nil {
		hc = *s.httpClient
	}
	hc.Transport = &attemptTransport{c: c, base: inner}
	hc.CheckRedirect = checkRedirect(hc.CheckRedirect)
	c.hc = &hc
	c.retrier = newRetrier(c)
	c.userAgent = s.userAgent
	if c.userAgent == "" {
		c.userAgent = "sdkgen-go/" + Version
	}
	return c, nil
}

// defaultTransport is the SDK's transport when the caller brings no
// client: timeouts on every phase that has no natural end of its own, TLS
// 1.2 at least, HTTP/2 when the server offers it. There is no overall
// timeout: streamed bodies are bounded by the caller's context instead.
func defaultTransport() *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
		ForceAttemptHTTP2:     true,
	}
}

func parseBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("no base URL: the spec names no server; pass sdk.WithBaseURL")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid base URL: %v", unwrapURLError(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("base URL %q: scheme must be http or https", redactURL(u))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("base URL %q has no host", redactURL(u))
	}
	if strings.ContainsAny(u.Host+u.Path, "{}") {
		return nil, fmt.Errorf("base URL %q has unexpanded server variables", redactURL(u))
	}
	return u, nil
}

// trustedHop reports whether req, a redirect hop of a call, goes to one of
// the call's WithTrustedOrigins.
func trustedHop(req *http.Request) bool {
	st, _ := req.Context().Value(callKey{}).(*callState)
	return st != nil && st.s.trustedOrigin(req.URL)
}

// checkRedirect wraps the http.Client's CheckRedirect (next; nil is
// net/http's default of 10 hops) with what the SDK decides for every hop:
//
//   - a request body never goes to another origin than the call's: a 307
//     or 308 that would send it there is not followed, and the call ends
//     with that response (an [*APIError] with its Location), as OkHttp does
//     for redirects of requests with bodies (unless the origin is one of
//     [WithTrustedOrigins]); 301, 302 and 303 turn such requests into GETs
//     without a body and are followed;
//   - a hop to another origin than the previous one carries only the
//     previous origin as Referer (browsers' default policy,
//     strict-origin-when-cross-origin), never its path and query, where
//     credentials travel (access_token=, Firebase's auth=).
//
// Credentials themselves are removed from hops elsewhere by the auth layer
// (attemptTransport), which sees every hop.
func checkRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if req.Body != nil && req.Body != http.NoBody && !sameOrigin(req.URL, originOf(via[0].URL)) && !trustedHop(req) {
			req.Body.Close() // from GetBody; net/http does not close it
			return http.ErrUseLastResponse
		}
		if ref := req.Header.Get("Referer"); ref != "" && originOf(req.URL) != originOf(via[len(via)-1].URL) {
			if u, err := url.Parse(ref); err == nil && u.Scheme != "" && u.Host != "" {
				req.Header.Set("Referer", (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/"}).String())
			} else {
				req.Header.Del("Referer")
			}
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}

// BaseURL returns the URL requests are sent to.
func (c *Client) BaseURL() string { return c.base.String() }

// HTTPClient returns the *http.Client the SDK sends attempts with (a copy
// of the one given to WithHTTPClient, with the SDK's per-attempt layers).
func (c *Client) HTTPClient() *http.Client { return c.hc }

// Close stops the client's background work (pagination prefetch, token
// refresh, WebSocket keepalives) and closes the idle connections of the
// transport the SDK created (its own, or its clone of a caller's). It never
// closes connections of a caller's *http.Client. Calls made after Close fail with [ErrClientClosed].
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		c.mu.Lock()
		closers := c.closers
		c.closers = nil
		c.mu.Unlock()
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i].f()
		}
		if c.ownsTrans != nil {
			c.ownsTrans.CloseIdleConnections()
		}
	})
	return nil
}

// ErrClientClosed is returned by calls made after Close.
var ErrClientClosed = errors.New("sdk: client closed")

// Done returns a channel closed when the client is closed, for background
// work to stop on.
func (c *Client) Done() <-chan struct{} { return c.closed }

// OnClose registers f to run when the client is closed (once, in reverse
// order of registration; Close returns after f does). When the client is
// already closed, f runs now. The returned stop unregisters f, for work
// that ends before the client does; it reports whether f was still
// registered (false when f has run or is running).
func (c *Client) OnClose(f func()) (stop func() bool) {
	c.mu.Lock()
	select {
	case <-c.closed:
		c.mu.Unlock()
		f()
		return func() bool { return false }
	default:
	}
	cl := &closer{f: f}
	c.closers = append(c.closers, cl)
	c.mu.Unlock()
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, x := range c.closers {
			if x == cl {
				c.closers = slices.Delete(c.closers, i, i+1)
				return true
			}
		}
		return false
	}
}

// closer is a function registered with OnClose; a pointer, so that stop
// finds its own registration.
type closer struct{ f func() }

// requestBuilder builds the request of a call against a base URL; the
// generated request builders have this shape (sdkimpl.RequestBuilder).
// server always ends with a slash, so a path is joined as server+"pets".
// Each call gets a new request, which the call then owns.
type requestBuilder = func(server string) (*http.Request, error)

// do runs one logical call of op: it applies the call's options, builds the
// request, sends it through the layers, and checks the status. On a 2xx
// status it returns the response, whose body the caller must close
// (generated code does, through the Decode helpers). On any other status
// it returns an [*APIError] with the bounded body and the declared error
// model; without a response, a [*TransportError]. When the call was
// retried, or a transient failure was not retried (see [RetryPolicy]), that
// error comes wrapped in a [*RetryError] that says why retrying stopped.
func (c *Client) do(ctx context.Context, op *Operation, build requestBuilder, opts ...Option) (*http.Response, error) {
	if op == nil {
		op = &Operation{}
	}
	select {
	case <-c.closed:
		return nil, ErrClientClosed
	default:
	}
	s, err := c.settings.forCall(opts)
	if err != nil {
		return nil, err
	}
	server := c.serverFor(op, s)
	req, err := build(server)
	if err != nil {
		return nil, &RequestError{Operation: op.ID, Err: unwrapURLError(err)}
	}
	if ct, ok := req.Header["Content-Type"]; ok && (len(ct) == 0 || ct[0] == "") {
		req.Header.Del("Content-Type") // an optional body left out
	}
	st := &callState{op: op, s: s, client: c, origin: originOf(req.URL)}
	st.retry.attempt = 1
	if ctx == nil {
		ctx = context.Background()
	}
	cancel := context.CancelFunc(nil)
	if s.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
	}
	// The request is the call's from here on (build made it for this call
	// alone): setting its context in place spares a copy on the heap.
	*req = *req.WithContext(context.WithValue(ctx, callKey{}, st))
	if len(s.middleware) == 0 && s.cache == nil {
		st.auth.own = req
	}
	c.prepare(req, st)
	st.watchUpload(req)

	resp, err := c.callChain(s).RoundTrip(req)
	if err != nil {
		if cancel != nil {
			cancel()
		}
		if resp != nil {
			drainClose(resp.Body)
		}
		return nil, st.retryOutcome(c.wrapError(op, req, err))
	}
	if s.capture != nil {
		*s.capture = resp
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		apiErr := c.apiError(st, req, resp)
		if cancel != nil {
			cancel()
		}
		return nil, st.retryOutcome(apiErr)
	}
	if cancel != nil {
		resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	}
	s.watchDownload(resp)
	return resp, nil
}

// serverFor picks the base URL of a call: the call's own, else the
// operation's server when the client uses the spec's default, else the
// client's.
//
// The result always ends in a slash: request builders resolve the
// operation's path ("./pets") against it, and without the slash a base path
// ("/v2") would be replaced instead of extended.
func (c *Client) serverFor(op *Operation, s *settings) string {
	switch {
	case s.perCall && s.baseURLSet && s.baseURL != c.settings.baseURL:
		return withSlash(s.baseURL)
	case op.Server != "" && c.specDefault:
		return withSlash(op.Server)
	}
	return c.baseSlash
}

func withSlash(server string) string {
	if !strings.HasSuffix(server, "/") {
		server += "/"
	}
	return server
}

// prepare sets the headers every request of the call carries.
func (c *Client) prepare(req *http.Request, st *callState) {
	s := st.s
	for k, v := range s.header {
		req.Header[k] = v
	}
	if v := req.Header["User-Agent"]; len(v) == 0 || v[0] == "" {
		ua := c.userAgent
		if s.userAgent != "" {
			ua = s.userAgent
		}
		req.Header["User-Agent"] = []string{ua}
	}
	c.prepareIdempotency(req, st)
}

// wrapError turns a failure without a response into a typed error, unless a
// layer already made one.
func (c *Client) wrapError(op *Operation, req *http.Request, err error) error {
	err = unwrapURLError(err)
	var (
		te *TransportError
		re *RetryError
		ae *APIError
		oe *OptionError
		ce *AuthError
	)
	if errors.As(err, &te) || errors.As(err, &re) || errors.As(err, &ae) || errors.As(err, &oe) || errors.As(err, &ce) {
		return err
	}
	return &TransportError{Operation: op.ID, Method: req.Method, URL: redactURL(req.URL), Err: err}
}

// apiError reads the bounded body of a non-2xx response, closes it, and
// builds the error, decoding the declared model and problem+json.
func (c *Client) apiError(st *callState, req *http.Request, resp *http.Response) *APIError {
	op, s := st.op, st.s
	// The status is the answer: a server that stalls in the body it
	// explains it with does not hold the call.
	body, truncated, readErr := readBoundedIdle(resp.Body, s.maxErrorBody, s.idleTimeout)
	drainClose(resp.Body)
	e := &APIError{
		Operation:  op.ID,
		Method:     req.Method,
		URL:        redactURL(req.URL),
		StatusCode: resp.StatusCode,
		Status:     resp.Status,
		RequestID:  requestID(resp.Header),
		Header:     resp.Header,
		Body:       body,
		Truncated:  truncated,
		redact:     st.redactor(resp.Request),
	}
	ct := resp.Header.Get("Content-Type")
	if isProblem(ct) && !truncated {
		var p Problem
		if json.Unmarshal(body, &p) == nil {
			e.Problem = &p
		}
	}
	if dec := op.errorDecoder(resp.StatusCode); dec != nil {
		switch {
		case readErr != nil:
			e.DecodeErr = fmt.Errorf("reading the body: %w", readErr)
		case truncated:
			e.DecodeErr = fmt.Errorf("body larger than %d bytes", s.maxErrorBody)
		case len(body) == 0:
			e.DecodeErr = errors.New("empty body")
		case !isJSONish(ct):
			e.DecodeErr = fmt.Errorf("content type %q is not JSON", ct)
		default:
			m, err := dec(body)
			if err != nil {
				e.DecodeErr = err
			} else {
				e.Model = m
			}
		}
	}
	return e
}

// errorDecoder finds the declared error body for a status: exact, then
// range (4XX), then default.
func (op *Operation) errorDecoder(status int) func([]byte) (error, error) {
	if op.Errors == nil {
		return nil
	}
	code := fmt.Sprint(status)
	if d, ok := op.Errors[code]; ok {
		return d
	}
	if d, ok := op.Errors[code[:1]+"XX"]; ok {
		return d
	}
	return op.Errors["default"]
}

// isJSONish reports whether a content type carries JSON (application/json,
// application/problem+json, application/vnd.api+json, ...), or is absent
// (many servers omit it; the decoder will tell).
func isJSONish(ct string) bool {
	switch ct {
	case "", "application/json", "application/json; charset=utf-8", "application/json;charset=utf-8":
		return true // the common cases, without parsing (and allocating)
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "/json") || mt == "text/json"
}

// Server is a server of the API, as the spec declares it.
type Server struct {
	// URL may hold {variables}.
	URL         string
	Description string
	Variables   map[string]ServerVariable
}

// ServerVariable is a variable of a server URL.
type ServerVariable struct {
	Default string
	// Enum lists the allowed values, when the spec restricts them.
	Enum []string
}

// URLWith returns the server's URL with vars substituted, and the defaults
// for the variables vars does not set. A value outside a variable's enum, or
// a variable the server does not have, is an error.
func (s Server) URLWith(vars map[string]string) (string, error) {
	for name := range vars {
		if _, ok := s.Variables[name]; !ok {
			return "", fmt.Errorf("server %s has no variable %q", s.URL, name)
		}
	}
	u := s.URL
	for name, v := range s.Variables {
		val, ok := vars[name]
		if !ok {
			val = v.Default
		}
		if len(v.Enum) > 0 && !slices.Contains(v.Enum, val) {
			return "", fmt.Errorf("server variable %s: %q is not one of %q", name, val, v.Enum)
		}
		u = strings.ReplaceAll(u, "{"+name+"}", val)
	}
	return u, nil
}

// Deref returns *p, or the zero T when p is nil: a shorthand for the
// optional fields of generated models, which are pointers
// (sdk.Deref(pet.Tag)). Generated page readers use it for optional
// next-cursor and next-URL fields.
func Deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
