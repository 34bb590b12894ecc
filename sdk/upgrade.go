package sdk

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// UpgradeClient returns what a connector needs to open a connection that
// takes over its HTTP connection, such as a WebSocket (package
// github.com/sdkgen-go/sdkgen/sdk/ws uses it): the http or https URL of
// target, and an *http.Client to send the opening handshake with.
//
// target is a path, resolved against the client's base URL the way
// operation paths are ("events" and "/events" both extend a base path), or
// an absolute URL with the scheme ws, wss, http or https (ws and wss become
// http and https).
//
// The *http.Client is made for one handshake; make another for the next.
// Its Transport is the transport of the client's *http.Client (the one
// given to [WithHTTPClient], with its TLS settings and proxy, or the SDK's
// own) behind one layer of the SDK: the client's auth, exactly as for
// calls. Credentials go only to the client's own origin (the scheme, host
// and port of its base URL): a target elsewhere, or a redirect elsewhere,
// gets none, and loses any credential headers. Each request asks token
// sources afresh, and a 401 to a request that carried a token from a
// [TokenRefresher] makes it refresh once and send the handshake again. The
// client's headers ([WithHeader]) and User-Agent are added where the request
// does not set them, and the attempt is logged ([WithLogger]).
//
// The other layers are left out: middleware, interceptors, retries and the
// per-attempt timeout. They may wrap response bodies, and a connection that
// takes over the HTTP connection needs the 101 response's body as it is (an
// io.ReadWriteCloser). Retrying a handshake is the connector's business.
//
// It fails with [ErrClientClosed] after Close, and with a [*RequestError]
// for a target it cannot resolve.
func (c *Client) UpgradeClient(target string) (string, *http.Client, error) {
	select {
	case <-c.closed:
		return "", nil, ErrClientClosed
	default:
	}
	u, err := c.resolveTarget(target)
	if err != nil {
		return "", nil, &RequestError{Operation: "upgrade", Err: err}
	}
	hc := *c.hc
	inner := c.hc.Transport.(*attemptTransport).base
	st := &callState{
		op:     &Operation{ID: "upgrade", Method: http.MethodGet},
		s:      &c.settings,
		client: c,
		origin: originOf(c.base),
	}
	st.retry.attempt = 1
	hc.Transport = &upgradeTransport{c: c, st: st, base: inner}
	return u.String(), &hc, nil
}

type upgradeKey struct{}

// UpgradeError turns the answer to an opening handshake that did not
// switch protocols (a resp the *http.Client of [Client.UpgradeClient] got)
// into an [*APIError] built as a call's is: a body bounded by
// [WithMaxErrorBody], problem+json decoded, the request id, and an Error
// string without the credentials the handshake sent, should the server
// echo them. It reads and closes resp's body.
func (c *Client) UpgradeError(resp *http.Response) *APIError {
	req := resp.Request
	if req == nil {
		req = &http.Request{Method: http.MethodGet, URL: &url.URL{}}
	}
	st, _ := req.Context().Value(upgradeKey{}).(*callState)
	if st == nil {
		st = &callState{op: &Operation{ID: "upgrade", Method: http.MethodGet}, s: &c.settings, client: c}
	}
	return c.apiError(st, req, resp)
}

// resolveTarget turns a path or an absolute URL into an http or https URL.
func (c *Client) resolveTarget(target string) (*url.URL, error) {
	ref, err := url.Parse(target)
	if err != nil {
		return nil, unwrapURLError(err)
	}
	if ref.Scheme == "" && ref.Host == "" {
		base := *c.base
		if !strings.HasSuffix(base.Path, "/") {
			base.Path += "/"
			if base.RawPath != "" {
				base.RawPath += "/"
			}
		}
		ref.Path = strings.TrimPrefix(ref.Path, "/")
		ref.RawPath = strings.TrimPrefix(ref.RawPath, "/")
		return base.ResolveReference(ref), nil
	}
	u := *ref
	switch strings.ToLower(u.Scheme) {
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	case "http", "https":
		u.Scheme = strings.ToLower(u.Scheme)
	default:
		return nil, fmt.Errorf("%q: scheme must be ws, wss, http or https", redactURL(&u))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%q has no host", redactURL(&u))
	}
	return &u, nil
}

// upgradeTransport sends the requests of one handshake (the request and its
// redirect hops) with the client's auth and nothing else of the chain.
type upgradeTransport struct {
	c    *Client
	st   *callState
	base http.RoundTripper
}

func (t *upgradeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	s := t.st.s
	// The handshake's state rides in the context of the request the
	// response points back to, for UpgradeError.
	r := req.Clone(context.WithValue(req.Context(), upgradeKey{}, t.st))
	for k, v := range s.header {
		if _, ok := r.Header[k]; !ok {
			r.Header[k] = v
		}
	}
	if r.Header.Get("User-Agent") == "" {
		r.Header.Set("User-Agent", t.c.userAgent)
	}
	areq, sent, err := t.c.authenticate(r, t.st)
	if err != nil {
		return nil, err
	}
	rt := http.RoundTripper(t.base)
	if s.logger != nil {
		rt = RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
			start := time.Now()
			resp, err := t.base.RoundTrip(req)
			t.c.logAttempt(req, resp, err, t.st, time.Since(start))
			return resp, err
		})
	}
	resp, err := rt.RoundTrip(areq)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || len(sent) == 0 {
		return resp, err
	}
	return t.c.refreshAndReplay(r, resp, sent, t.st, rt)
}
