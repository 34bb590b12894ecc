package cache

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk"
)

// Header is the response header that says how the cache answered a GET
// call; [OutcomeOf] reads it.
const Header = "X-Sdkgen-Cache"

// Outcome says how the cache answered a call.
type Outcome string

// The outcomes, as the [Header] of a response shows them.
const (
	// Hit: a fresh stored response, without a request.
	Hit Outcome = "hit"
	// Revalidated: a stored response the server confirmed with a 304.
	Revalidated Outcome = "revalidated"
	// Stale: a stored response past its freshness, served because the
	// server could not be reached or failed (stale-if-error), or because
	// the request allowed it (max-stale).
	Stale Outcome = "stale"
	// Miss: the server's response, which the cache looked up and may have
	// stored.
	Miss Outcome = "miss"
	// Bypass: the server's response; the cache did not look (a request
	// with conditions or a range, credentials the cache cannot bind, ...).
	Bypass Outcome = "bypass"
)

// OutcomeOf returns how the cache answered the call whose response resp
// is (see [sdk.WithResponse]), or "" when no cache saw it.
func OutcomeOf(resp *http.Response) Outcome {
	if resp == nil {
		return ""
	}
	return Outcome(resp.Header.Get(Header))
}

// DefaultMaxBodySize is the largest body the cache stores unless told
// otherwise ([WithMaxBodySize]).
const DefaultMaxBodySize = 4 << 20

// Cache is a private HTTP cache (RFC 9111) for the calls of SDK clients.
// Install it with sdk.WithCache; it implements [sdk.Cache]. It is safe for
// concurrent use, and may be shared by clients (their credentials keep
// their entries apart).
//
// What it does:
//
//   - stores responses to GET calls that RFC 9111 section 3 allows a
//     private cache to store, bodies up to a size cap, keyed by URI, by the
//     fingerprint of the call's credentials ([sdk.CacheScope]) and by the
//     request headers the response's Vary names;
//   - serves them while fresh (max-age, Expires, Date, Age, or a tenth of
//     the time since Last-Modified), honouring the request's no-cache,
//     max-age, max-stale, min-fresh, no-store and only-if-cached;
//   - revalidates stale ones (and no-cache ones, always) with If-None-Match
//     and If-Modified-Since, and refreshes them from a 304;
//   - after the retries ran out on an error (no response, or 500, 502, 503,
//     504), serves a stale response within its stale-if-error (RFC 5861), or
//     within the client's default ([WithStaleIfError]) unless the response
//     said must-revalidate or no-cache;
//   - drops every stored response to a URI (for every user) after a
//     successful unsafe request to it, and to its Location and
//     Content-Location on the same origin (RFC 9111 section 4.4).
//
// HEAD and other methods pass through. The response says how it was
// answered in its [Header].
type Cache struct {
	store        Store
	key          []byte
	maxBody      int64
	staleIfError time.Duration
	now          func() time.Time
	onError      func(error)
	swr          swrState // stale-while-revalidate (swr.go)
}

var _ sdk.Cache = (*Cache)(nil)

// Option configures a [Cache]. A value an option cannot take fails [New]
// with an [*sdk.OptionError] naming the option, as the options of package
// sdk fail sdk.NewClient.
type Option interface {
	apply(*Cache) error
}

type optionFunc func(*Cache) error

func (f optionFunc) apply(c *Cache) error { return f(c) }

func optionError(name, reason string) error {
	return &sdk.OptionError{Option: "cache." + name, Reason: reason}
}

// WithMaxBodySize sets the largest body the cache stores (default
// [DefaultMaxBodySize]); n must be positive. A larger response passes
// through, streamed: the cache never holds more than n bytes of a body it
// will not store.
func WithMaxBodySize(n int64) Option {
	return optionFunc(func(c *Cache) error {
		if n <= 0 {
			return optionError("WithMaxBodySize", "must be positive")
		}
		c.maxBody = n
		return nil
	})
}

// WithStaleIfError lets the cache serve a stored response up to d past its
// freshness when a call fails after its retries (no response, or 500, 502,
// 503 or 504), as if every response carried stale-if-error: a program
// keeps working offline on what it last saw. A response's own
// stale-if-error, or the request's, wins; responses marked must-revalidate
// or no-cache are not served stale by this default. Zero (the default)
// serves stale only where responses or requests say stale-if-error; a
// negative d is an error.
func WithStaleIfError(d time.Duration) Option {
	return optionFunc(func(c *Cache) error {
		if d < 0 {
			return optionError("WithStaleIfError", "negative duration")
		}
		c.staleIfError = d
		return nil
	})
}

// WithClock replaces the clock ages are computed on, for tests.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c *Cache) error {
		if now == nil {
			return optionError("WithClock", "nil clock")
		}
		c.now = now
		return nil
	})
}

// WithFingerprintKey sets the secret key credential fingerprints are
// hashed with (HMAC-SHA256; at least 16 bytes). By default the cache uses
// its store's key ([KeyedStore]) or, for a store without one, a key drawn
// at random, which makes entries of earlier processes unreachable. Give
// the same key to every process that shares a store; keep it out of the
// store to make guessing credentials from the store's file impossible.
func WithFingerprintKey(key []byte) Option {
	return optionFunc(func(c *Cache) error {
		if len(key) < 16 {
			return optionError("WithFingerprintKey", fmt.Sprintf("the key has %d bytes, fewer than 16", len(key)))
		}
		c.key = slices.Clone(key)
		return nil
	})
}

// WithOnError calls f with the errors that did not fail a call: a store
// that failed ([*StoreError]) and an entry that could not be decoded
// ([*CorruptEntryError]), which the cache drops and treats as a miss. f
// must be safe for concurrent use and quick; nil means no hook.
func WithOnError(f func(error)) Option {
	return optionFunc(func(c *Cache) error { c.onError = f; return nil })
}

// New returns a cache over store. Bad options fail it with
// [*sdk.OptionError] values, joined.
func New(store Store, opts ...Option) (*Cache, error) {
	if store == nil {
		return nil, &sdk.OptionError{Option: "cache.New", Reason: "nil store"}
	}
	c := &Cache{store: store, maxBody: DefaultMaxBodySize, now: time.Now}
	var errs []error
	c.swr.init()
	for _, o := range opts {
		if o != nil {
			if err := o.apply(c); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if c.key == nil {
		if ks, ok := store.(KeyedStore); ok {
			k, err := ks.FingerprintKey()
			if err != nil {
				return nil, &StoreError{Op: "fingerprint key", Err: err}
			}
			c.key = slices.Clone(k)
		} else {
			c.key = make([]byte, 32)
			_, _ = rand.Read(c.key)
		}
	}
	if len(c.key) < 16 {
		return nil, fmt.Errorf("cache: the fingerprint key has %d bytes, fewer than 16", len(c.key))
	}
	return c, nil
}

func (c *Cache) report(err error) {
	if c.onError != nil {
		c.onError(err)
	}
}

// RoundTrip answers a call: see [Cache] and [sdk.Cache].
func (c *Cache) RoundTrip(req *http.Request, scope *sdk.CacheScope, next http.RoundTripper) (*http.Response, error) {
	switch req.Method {
	case http.MethodGet:
	case http.MethodHead, http.MethodOptions, http.MethodTrace:
		return next.RoundTrip(req)
	default:
		resp, err := next.RoundTrip(req)
		if err == nil && resp.StatusCode >= 200 && resp.StatusCode < 400 {
			c.invalidate(req.URL, resp)
		}
		return resp, err
	}
	if bypass(req) {
		return mark(next.RoundTrip(req))(Bypass)
	}
	fp, err := scope.Fingerprint(c.key)
	if err != nil {
		return mark(next.RoundTrip(req))(Bypass)
	}
	x := &exchange{c: c, req: req, scope: scope, cc: parseCacheControl(req.Header, true)}
	x.uri = uriKey(req.URL)
	x.primary = x.uri + "/" + fp[:32]
	x.lookup()
	return x.run(next)
}

// bypass reports requests the cache leaves alone: the caller's own
// conditions or ranges (the caller wants what it asked for), and
// protocol upgrades.
func bypass(req *http.Request) bool {
	for _, h := range []string{"If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since", "If-Range", "Range", "Upgrade"} {
		if _, ok := req.Header[h]; ok {
			return true
		}
	}
	return false
}

// mark sets the outcome header on a response from next.
func mark(resp *http.Response, err error) func(Outcome) (*http.Response, error) {
	return func(o Outcome) (*http.Response, error) {
		if resp != nil {
			resp.Header.Set(Header, string(o))
		}
		return resp, err
	}
}

// exchange is one GET call through the cache.
type exchange struct {
	c       *Cache
	req     *http.Request
	scope   *sdk.CacheScope
	cc      directives // the request's
	uri     string     // key of the URI
	primary string     // key of the URI and the credentials
	varyKey string     // key of the stored response for this request
	stored  *entry
	scc     directives // the stored response's
}

// lookup finds the stored response for the request, if any.
func (x *exchange) lookup() {
	c := x.c
	names, err := c.getVary(x.primary + "/vary")
	if err != nil {
		return
	}
	x.varyKey = x.primary + "/" + c.variant(names, x.req.Header)
	value, err := c.store.Get(x.varyKey)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			c.report(&StoreError{Op: "get", Key: x.varyKey, Err: err})
		}
		return
	}
	e, err := decodeEntry(x.varyKey, value)
	if err != nil {
		c.report(err)
		c.delete(x.varyKey)
		return
	}
	x.stored, x.scc = e, parseCacheControl(e.header, false)
}

// getVary reads the list of headers the responses of a primary key vary
// on; a missing record is an empty list.
func (c *Cache) getVary(key string) ([]string, error) {
	value, err := c.store.Get(key)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		c.report(&StoreError{Op: "get", Key: key, Err: err})
		return nil, err
	}
	names, err := decodeVary(key, value)
	if err != nil {
		c.report(err)
		c.delete(key)
		return nil, err
	}
	return names, nil
}

func (x *exchange) run(next http.RoundTripper) (*http.Response, error) {
	c := x.c
	now := c.now()
	var age, lifetime time.Duration
	if e := x.stored; e != nil {
		age, lifetime = e.currentAge(now), e.freshnessLifetime(x.scc)
		if o, ok := x.servable(age, lifetime); ok {
			return x.serve(o, age), nil
		}
		if x.staleWhileRevalidate(age, lifetime, next) {
			return x.serve(StaleWhileRevalidate, age), nil
		}
	}
	if x.cc.onlyIfCached {
		return gatewayTimeout(x.req), nil
	}
	out := x.req
	conditional := false
	if e := x.stored; e != nil {
		etag, lm := e.header.Get("Etag"), e.header.Get("Last-Modified")
		if etag != "" || lm != "" {
			out = x.req.Clone(x.req.Context())
			if etag != "" {
				out.Header.Set("If-None-Match", etag)
			}
			if lm != "" {
				out.Header.Set("If-Modified-Since", lm)
			}
			conditional = true
		}
	}
	requestTime := c.now()
	resp, err := next.RoundTrip(out)
	responseTime := c.now()
	if err != nil {
		if x.staleOnError(age, lifetime) {
			return x.serve(Stale, x.stored.currentAge(responseTime)), nil
		}
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if x.staleOnError(age, lifetime) {
			discard(resp.Body)
			return x.serve(Stale, x.stored.currentAge(responseTime)), nil
		}
	case http.StatusNotModified:
		if conditional {
			return x.freshen(resp, requestTime, responseTime), nil
		}
	}
	return x.store(resp, requestTime, responseTime), nil
}

// servable reports whether the stored response may answer without a
// request (RFC 9111 sections 4, 4.2.4 and 5.2.1), and as what.
func (x *exchange) servable(age, lifetime time.Duration) (Outcome, bool) {
	if x.scc.noCache || x.cc.noCache {
		return "", false
	}
	if x.cc.maxAge >= 0 && age > x.cc.maxAge {
		return "", false
	}
	if x.cc.minFresh >= 0 && lifetime-age < x.cc.minFresh {
		return "", false
	}
	if age < lifetime {
		return Hit, true
	}
	if x.scc.mustRevalidate || x.cc.maxStale < 0 {
		return "", false
	}
	if x.cc.maxStale == time.Duration(1<<63-1) || age-lifetime <= x.cc.maxStale {
		return Stale, true
	}
	return "", false
}

// staleOnError reports whether the stored response may answer a call that
// failed: within the request's stale-if-error, else the response's, else
// the cache's default when the response allows serving it stale at all.
func (x *exchange) staleOnError(age, lifetime time.Duration) bool {
	if x.stored == nil || x.req.Context().Err() != nil {
		return false
	}
	limit := x.cc.staleIfError
	if limit < 0 {
		limit = x.scc.staleIfError
	}
	if limit < 0 && !x.scc.mustRevalidate && !x.scc.noCache && !x.cc.noCache {
		limit = x.c.staleIfError
	}
	return limit > 0 && age-lifetime <= limit
}

// serve answers from the stored response.
func (x *exchange) serve(o Outcome, age time.Duration) *http.Response {
	e := x.stored
	h := e.header.Clone()
	h.Set("Age", strconv.FormatInt(int64(age/time.Second), 10))
	h.Set("Content-Length", strconv.Itoa(len(e.body)))
	h.Set(Header, string(o))
	return &http.Response{
		Status:        e.statusText,
		StatusCode:    e.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(e.body)),
		ContentLength: int64(len(e.body)),
		Request:       x.req,
	}
}

// gatewayTimeout is the answer to only-if-cached without a stored
// response that may be used (RFC 9111 section 5.2.1.7).
func gatewayTimeout(req *http.Request) *http.Response {
	h := http.Header{}
	h.Set(Header, string(Miss))
	return &http.Response{
		Status: "504 Gateway Timeout", StatusCode: http.StatusGatewayTimeout,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: http.NoBody, Request: req,
	}
}

// freshen updates the stored response from a 304 (RFC 9111 section 4.3.4)
// and serves it.
func (x *exchange) freshen(resp *http.Response, requestTime, responseTime time.Time) *http.Response {
	discard(resp.Body)
	e := x.stored
	if etag := resp.Header.Get("Etag"); etag != "" && !weakMatch(etag, e.header.Get("Etag")) {
		// The server confirmed another response than the stored one: it
		// cannot be used, and no second request is made in this call.
		x.c.delete(x.varyKey)
		resp.Body = http.NoBody
		resp.Header.Set(Header, string(Miss))
		return resp
	}
	updated := *e
	updated.header = e.header.Clone()
	for name, values := range storableHeader(resp.Header) {
		switch name {
		case "Content-Length", "Content-Encoding", "Content-Range", "Content-Type":
			continue
		}
		updated.header[name] = values
	}
	if resp.Header.Get("Date") == "" {
		updated.header.Set("Date", responseTime.UTC().Format(http.TimeFormat))
	}
	updated.requestTime, updated.responseTime = requestTime, responseTime
	x.stored, x.scc = &updated, parseCacheControl(updated.header, false)
	switch {
	case x.scc.noStore:
		x.c.delete(x.varyKey) // the server now forbids keeping it
	case !x.cc.noStore: // a no-store request leaves the stored response as it was
		x.c.put(x.varyKey, updated.encode())
	}
	return x.serve(Revalidated, updated.currentAge(responseTime))
}

// weakMatch compares entity tags with the weak comparison of RFC 9110
// section 8.8.3.2.
func weakMatch(a, b string) bool {
	return strings.TrimPrefix(a, "W/") == strings.TrimPrefix(b, "W/")
}

// store returns the server's response, arranging for it to be stored when
// its body has been read whole, if RFC 9111 section 3 allows it.
func (x *exchange) store(resp *http.Response, requestTime, responseTime time.Time) *http.Response {
	c := x.c
	if x.scope.Storable() != nil {
		// An attempt carried credentials the fingerprint does not cover.
		resp.Header.Set(Header, string(Bypass))
		return resp
	}
	names, ok := x.storable(resp)
	if !ok {
		if x.stored != nil && resp.StatusCode < 500 {
			// The server's latest word on this resource is a response that
			// may not be kept: the stored one must not outlive it. (A
			// server error is no such word.)
			c.delete(x.varyKey)
		}
		resp.Header.Set(Header, string(Miss))
		return resp
	}
	e := &entry{
		requestTime:  requestTime,
		responseTime: responseTime,
		status:       resp.StatusCode,
		statusText:   resp.Status,
		header:       storableHeader(resp.Header),
	}
	if e.header.Get("Date") == "" {
		e.header.Set("Date", responseTime.UTC().Format(http.TimeFormat))
	}
	varyKey := x.primary + "/" + c.variant(names, x.req.Header)
	resp.Body = &recorder{rc: resp.Body, max: c.maxBody, done: func(body []byte) {
		e.body = body
		c.put(varyKey, e.encode())
		c.put(x.primary+"/vary", encodeVary(names))
	}}
	resp.Header.Set(Header, string(Miss))
	return resp
}

// storable reports whether a response may be stored (RFC 9111 section 3),
// with the request headers it varies on.
func (x *exchange) storable(resp *http.Response) ([]string, bool) {
	if x.cc.noStore || resp.Body == nil || resp.StatusCode == http.StatusPartialContent || resp.StatusCode < 200 {
		return nil, false
	}
	cc := parseCacheControl(resp.Header, false)
	if cc.noStore {
		return nil, false
	}
	if !heuristicStatus(resp.StatusCode) && cc.maxAge < 0 && !cc.public && !cc.private && len(resp.Header.Values("Expires")) == 0 {
		return nil, false
	}
	if resp.ContentLength > x.c.maxBody {
		return nil, false
	}
	if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(strings.ToLower(ct), "text/event-stream") {
		return nil, false // a stream, not a document
	}
	var names []string
	for _, v := range resp.Header.Values("Vary") {
		for _, n := range splitList(v) {
			if n == "*" {
				return nil, false
			}
			names = append(names, http.CanonicalHeaderKey(n))
		}
	}
	slices.Sort(names)
	return slices.Compact(names), true
}

// unstoredHeaders are the response fields never stored: hop-by-hop fields
// (RFC 9111 section 3.1), cookies (secrets of the user), and the cache's
// own.
var unstoredHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Proxy-Authenticate", "Set-Cookie", "Set-Cookie2", "Content-Length", Header}

func storableHeader(h http.Header) http.Header {
	out := h.Clone()
	for _, v := range h.Values("Connection") {
		for _, n := range splitList(v) {
			out.Del(n)
		}
	}
	for _, n := range unstoredHeaders {
		out.Del(n)
	}
	return out
}

// variant names the stored response for the values the request has of
// the headers names: a keyed hash, since they may carry secrets.
func (c *Cache) variant(names []string, h http.Header) string {
	if len(names) == 0 {
		return "r"
	}
	m := hmac.New(sha256.New, c.key)
	for _, n := range names {
		values, present := h[n]
		fmt.Fprintf(m, "%d:%s", len(n), n)
		if !present {
			m.Write([]byte{0})
			continue
		}
		v := normalizeFieldValue(values)
		fmt.Fprintf(m, "\x01%d:%s", len(v), v)
	}
	return "v" + hex.EncodeToString(m.Sum(nil))[:32]
}

// normalizeFieldValue joins field lines and folds white space, as RFC 9111
// section 4.1 allows before comparing.
func normalizeFieldValue(values []string) string {
	parts := make([]string, 0, len(values))
	for _, v := range values {
		for _, item := range splitList(v) {
			parts = append(parts, strings.Join(strings.Fields(item), " "))
		}
	}
	return strings.Join(parts, ", ")
}

// uriKey is the key of a URI: the hex of the SHA-256 of its normalized
// form, without user information (which the fingerprint holds) or
// fragment.
func uriKey(u *url.URL) string {
	n := *u
	n.User = nil
	n.Fragment, n.RawFragment = "", ""
	n.Scheme = strings.ToLower(n.Scheme)
	host := strings.ToLower(n.Hostname())
	port := n.Port()
	if (n.Scheme == "https" && port == "443") || (n.Scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	n.Host = host
	if n.Path == "" && n.RawPath == "" {
		n.Path = "/"
	}
	sum := sha256.Sum256([]byte(n.String()))
	return hex.EncodeToString(sum[:16])
}

// invalidate drops every stored response to the request's URI, and to the
// response's Location and Content-Location on the same origin (RFC 9111
// section 4.4), for every credential fingerprint: what one user changed,
// no user may see stale.
func (c *Cache) invalidate(u *url.URL, resp *http.Response) {
	targets := []*url.URL{u}
	for _, h := range []string{"Location", "Content-Location"} {
		if v := resp.Header.Get(h); v != "" {
			if ref, err := u.Parse(v); err == nil && sameOrigin(u, ref) {
				targets = append(targets, ref)
			}
		}
	}
	for _, t := range targets {
		prefix := uriKey(t) + "/"
		if err := c.store.DeletePrefix(prefix); err != nil {
			c.report(&StoreError{Op: "invalidate", Key: prefix, Err: err})
		}
	}
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}

func (c *Cache) put(key string, value []byte) {
	if err := c.store.Put(key, value); err != nil {
		c.report(&StoreError{Op: "put", Key: key, Err: err})
	}
}

func (c *Cache) delete(key string) {
	if err := c.store.Delete(key); err != nil {
		c.report(&StoreError{Op: "delete", Key: key, Err: err})
	}
}

// discard closes a body that is not wanted (a 304's, which is empty, or
// the failure a stale response answers for) without reading it: a server
// that stalls in it must not hold the call, and the connection of an
// error is not worth a wait.
func discard(body io.ReadCloser) {
	if body != nil {
		_ = body.Close()
	}
}

// recorder passes a body through to the caller and keeps a copy, up to
// max bytes; when the body ends (io.EOF) within max, done gets the copy.
// Past max, or on a read error, or when the caller closes it before the
// end, the copy is dropped and nothing is stored. Close may be called
// while a Read is under way.
type recorder struct {
	rc   io.ReadCloser
	max  int64
	done func([]byte)

	mu       sync.Mutex
	buf      []byte
	finished bool // stored or given up
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	r.mu.Lock()
	if r.finished {
		r.mu.Unlock()
		return n, err
	}
	if int64(len(r.buf)+n) > r.max {
		r.finished, r.buf = true, nil
		r.mu.Unlock()
		return n, err
	}
	r.buf = append(r.buf, p[:n]...)
	var body []byte
	complete := false
	switch {
	case err == io.EOF:
		r.finished, complete, body = true, true, r.buf
		r.buf = nil
	case err != nil:
		r.finished, r.buf = true, nil
	}
	r.mu.Unlock()
	if complete {
		r.done(body)
	}
	return n, err
}

func (r *recorder) Close() error {
	r.mu.Lock()
	r.finished, r.buf = true, nil
	r.mu.Unlock()
	return r.rc.Close()
}
