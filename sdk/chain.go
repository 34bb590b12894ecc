package sdk

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"
)

// Middleware wraps the sending of requests. It has the shape of
// otelhttp.NewTransport and most Go HTTP middleware, so such layers plug in
// directly:
//
//	sdk.WithMiddleware(func(next http.RoundTripper) http.RoundTripper {
//		return otelhttp.NewTransport(next)
//	})
//
// The returned RoundTripper must honour http.RoundTripper's contract: safe
// for concurrent use, never modify the request it is given (clone it), and
// close the request body even on error.
type Middleware func(next http.RoundTripper) http.RoundTripper

// RoundTripperFunc adapts a function to http.RoundTripper.
type RoundTripperFunc func(*http.Request) (*http.Response, error)

// RoundTrip calls f(req).
func (f RoundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

var _ http.RoundTripper = RoundTripperFunc(nil)

// Interceptor hooks into requests the way Dio's interceptors do. Each hook
// is optional.
type Interceptor struct {
	// OnRequest runs before the request is sent. It gets its own copy of the
	// request and may change it (add headers, say); an error stops the call
	// with that error.
	OnRequest func(*http.Request) error
	// OnResponse runs when a response arrives, whatever its status. An error
	// fails the call with that error (the response body is closed).
	OnResponse func(*http.Response) error
	// OnError runs when no response arrived. It may return another error to
	// report instead; returning nil keeps the original.
	OnError func(*http.Request, error) error
}

// Middleware returns the interceptor as middleware.
func (i Interceptor) Middleware() Middleware {
	return func(next http.RoundTripper) http.RoundTripper {
		return RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
			if i.OnRequest != nil {
				req = req.Clone(req.Context())
				if err := i.OnRequest(req); err != nil {
					if req.Body != nil {
						req.Body.Close()
					}
					return nil, err
				}
			}
			resp, err := next.RoundTrip(req)
			if err != nil {
				if i.OnError != nil {
					if e := i.OnError(req, err); e != nil {
						err = e
					}
				}
				return nil, err
			}
			if i.OnResponse != nil {
				if err := i.OnResponse(resp); err != nil {
					drainClose(resp.Body)
					return nil, err
				}
			}
			return resp, nil
		})
	}
}

// callState travels in the request context through the layers: what the
// call is and its settings, and what the retry and auth layers did.
// go-retryablehttp's hooks see only the context, so per-call policy must
// live here. The whole call (its attempts, their redirect hops) runs on
// one goroutine, which alone touches the state; the response is read
// after Do returns.
type callState struct {
	op     *Operation
	s      *settings
	client *Client
	origin origin      // where the call was sent; credentials go only there
	retry  retryState  // attempt number and Idempotency-Key included
	auth   authState   // tokens sent, refresh used, credentials added below the cache
	core   attemptCore // the current attempt's innermost layers (no allocation per attempt)
}

// authState is what the auth layer did in a call.
type authState struct {
	// sent holds the tokens the call sent, to keep them out of its errors
	// and logs.
	sent    []string
	sentBuf [1]string // sent's first element, without an allocation
	// refreshed is set once a 401 made the call refresh its tokens: a
	// call refreshes at most once, so it can never loop.
	refreshed bool
	// hidden is set when an attempt carried credentials that attempt
	// middleware added (see CacheScope.Storable).
	hidden bool
	// own is the call's request when nothing outside the SDK holds it:
	// no user middleware or cache above the retry layer (see
	// Client.authenticate).
	own *http.Request
}

type callKey struct{}

func stateFrom(ctx context.Context) *callState {
	st, _ := ctx.Value(callKey{}).(*callState)
	return st
}

// OperationFrom returns the operation a request belongs to, from the
// request's context, for middleware and interceptors that label metrics,
// traces or logs by operation:
//
//	if op := sdk.OperationFrom(req.Context()); op != nil {
//		span.SetName(op.ID)
//	}
//
// It returns nil for requests the client did not send for an operation.
// The Operation is shared and must not be modified.
func OperationFrom(ctx context.Context) *Operation {
	if st := stateFrom(ctx); st != nil {
		return st.op
	}
	return nil
}

// The order of the layers, outermost first, lives here and only here.
//
//	call:    user middleware → cache → retry → http.Client (redirects) → attemptTransport
//	attempt: auth → attempt middleware → logging → attempt timeout → transport
//
// The cache, when there is one, sees each call once, below the user
// middleware: a response it serves never reaches retry, and it falls back
// on a stale response only once retry has given up.
//
// Auth wraps the rest of the attempt: on a 401 to a request that carried a
// refreshable token it refreshes (once per call) and sends the request
// through the rest of the attempt again.

// callChain returns the call-level layers for settings s.
func (c *Client) callChain(s *settings) http.RoundTripper {
	var rt http.RoundTripper = c.retrier
	if s.cache != nil {
		rt = cacheLayer{c: c, cache: s.cache, next: rt}
	}
	for i := len(s.middleware) - 1; i >= 0; i-- {
		rt = s.middleware[i](rt)
	}
	return rt
}

// attemptTransport is the Transport of the client's http.Client: it runs
// once per attempt and per redirect hop.
type attemptTransport struct {
	c    *Client
	base http.RoundTripper
}

func (t *attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	st := stateFrom(req.Context())
	if st == nil {
		// Not a call of this client (someone used the http.Client directly):
		// no call settings, so send as is.
		return t.base.RoundTrip(req)
	}
	// The core lives in the call's state: as an interface value of its own
	// it would cost an allocation per attempt.
	st.core = attemptCore{t: t, st: st}
	var rt http.RoundTripper = &st.core
	for i := len(st.s.attemptMiddleware) - 1; i >= 0; i-- {
		rt = st.s.attemptMiddleware[i](rt)
	}
	areq, sent, err := t.c.authenticate(req, st)
	st.core.authed = areq
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	resp, err := rt.RoundTrip(areq)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || len(sent) == 0 {
		return resp, err
	}
	return t.c.refreshAndReplay(req, resp, sent, st, rt)
}

// attemptCore logs the attempt and applies the per-attempt timeout.
type attemptCore struct {
	t      *attemptTransport
	st     *callState
	authed *http.Request // the request as auth left it, before attempt middleware
}

func (a *attemptCore) RoundTrip(req *http.Request) (*http.Response, error) {
	s := a.st.s
	if req != a.authed && s.cache != nil && addedCredentials(s, a.authed, req) {
		// Attempt middleware (a request signer) added credentials below
		// the cache: its fingerprint cannot bind them (see CacheScope).
		a.st.auth.hidden = true
		a.t.c.hiddenCreds.Store(true)
	}
	start := time.Now()
	var resp *http.Response
	var err error
	if d := s.attemptTimeout; d > 0 {
		resp, err = roundTripWithHeaderTimeout(a.t.base, req, d)
	} else {
		resp, err = a.t.base.RoundTrip(req)
	}
	if s.logger != nil {
		a.t.c.logAttempt(req, resp, err, a.st, time.Since(start))
	}
	if err == nil {
		for _, check := range s.checks {
			resp = check(resp)
		}
	}
	return resp, err
}

// AttemptTimeoutError reports an attempt that got no response headers
// within the per-attempt timeout ([WithAttemptTimeout]), which is retried
// like a connection failure, or within what was left of the retry policy's
// MaxElapsed (Overall), which ends the call.
type AttemptTimeoutError struct {
	After time.Duration
	// Overall is set when the limit was RetryPolicy.MaxElapsed.
	Overall bool
}

func (e *AttemptTimeoutError) Error() string {
	if e.Overall {
		return "no response headers within the retry policy's MaxElapsed of " + e.After.String()
	}
	return "no response headers within the attempt timeout of " + e.After.String()
}

// Timeout reports true, as net.Error timeouts do.
func (e *AttemptTimeoutError) Timeout() bool { return true }

// roundTripWithHeaderTimeout bounds the wait for response headers only: once
// they arrive the timer stops, and the body is read under the caller's
// context.
func roundTripWithHeaderTimeout(rt http.RoundTripper, req *http.Request, d time.Duration) (*http.Response, error) {
	resp, timedOut, err := untilHeaders(rt, req, d)
	if timedOut {
		return nil, &AttemptTimeoutError{After: d}
	}
	return resp, err
}

// untilHeaders runs rt under a context cancelled after d unless response
// headers arrived by then, and reports whether it was. The context lives on
// until the response body is closed.
func untilHeaders(rt http.RoundTripper, req *http.Request, d time.Duration) (*http.Response, bool, error) {
	ctx, cancel := context.WithCancel(req.Context())
	var timedOut atomic.Bool
	timer := time.AfterFunc(d, func() {
		timedOut.Store(true)
		cancel()
	})
	resp, err := rt.RoundTrip(req.WithContext(ctx))
	if !timer.Stop() && timedOut.Load() {
		if resp != nil {
			drainClose(resp.Body)
		}
		cancel()
		return nil, true, nil
	}
	if err != nil {
		cancel()
		return nil, false, err
	}
	// The attempt's context must live as long as the body is read; release
	// it when the body is closed.
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, false, nil
}
