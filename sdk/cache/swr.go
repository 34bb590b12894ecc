package cache

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// StaleWhileRevalidate is the outcome of a stored response served past its
// freshness at once, without a request, while the cache revalidates it in
// the background (RFC 5861 section 3): a program shows what it has and
// refreshes behind it.
const StaleWhileRevalidate Outcome = "stale-while-revalidate"

// revalidateTimeout bounds a background revalidation.
const revalidateTimeout = time.Minute

// WithStaleWhileRevalidate lets the cache answer a call with a stored
// response up to d past its freshness, at once, and revalidate it in the
// background (a conditional request through the rest of the client's
// chain: retries, auth), as if every response carried
// stale-while-revalidate=d. A response's own stale-while-revalidate wins;
// responses marked must-revalidate or no-cache, and requests with no-cache,
// max-age or min-fresh, are not served this way. Zero (the default) serves
// stale-while-revalidate only where responses say it. The next call gets
// what the revalidation stored; [WithOnRevalidate] says when it is there.
// Background work ends with [Cache.Close].
func WithStaleWhileRevalidate(d time.Duration) Option {
	return optionFunc(func(c *Cache) error {
		if d < 0 {
			return optionError("WithStaleWhileRevalidate", fmt.Sprintf("negative window %s", d))
		}
		c.swr.window = d
		return nil
	})
}

// Revalidation reports the end of a background revalidation (see
// [WithStaleWhileRevalidate]).
type Revalidation struct {
	// URL is the request's URL without its query and user information.
	URL string
	// Outcome is Revalidated when the server confirmed the stored response
	// (304), Miss when it sent a new one (stored, when it may be), and ""
	// when the revalidation failed (Err says why; the stored response
	// stays, and a later call tries again).
	Outcome Outcome
	Err     error
}

// WithOnRevalidate calls f when a background revalidation ends, on the
// goroutine that ran it: a UI that showed a stale response reads again.
// f must be quick.
func WithOnRevalidate(f func(Revalidation)) Option {
	return optionFunc(func(c *Cache) error { c.swr.onDone = f; return nil })
}

// swrState holds the cache's background revalidations.
type swrState struct {
	window time.Duration
	onDone func(Revalidation)

	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	inFlight map[string]bool // stored responses being revalidated
}

func (s *swrState) init() {
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.inFlight = map[string]bool{}
}

// Close stops the cache's background revalidations and waits for them to
// end; afterwards stale responses are revalidated during the call, as
// without stale-while-revalidate. It does not close the store.
func (c *Cache) Close() error {
	c.swr.mu.Lock()
	c.swr.closed = true
	c.swr.mu.Unlock()
	c.swr.cancel()
	c.swr.wg.Wait()
	return nil
}

// staleWhileRevalidate reports whether the stored response may be served
// stale now, and if so starts its revalidation in the background (unless
// one is under way).
func (x *exchange) staleWhileRevalidate(age, lifetime time.Duration, next http.RoundTripper) bool {
	s := &x.c.swr
	window := x.scc.staleWhileRev
	if window < 0 {
		window = s.window
	}
	switch {
	case window <= 0 || age < lifetime || age-lifetime > window,
		x.scc.noCache || x.scc.mustRevalidate || x.cc.noCache || x.cc.noStore,
		x.cc.maxAge >= 0 || x.cc.minFresh >= 0 || x.cc.onlyIfCached:
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.inFlight[x.varyKey] {
		return true
	}
	s.inFlight[x.varyKey] = true
	// The revalidation outlives the call: it keeps the call's values (the
	// SDK's call state, which the layers below need) but not its
	// cancellation, and ends at Close.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(x.req.Context()), revalidateTimeout)
	stop := context.AfterFunc(s.ctx, cancel)
	bg := *x // the call's own exchange is done with once it is served
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			stop()
			cancel()
			s.mu.Lock()
			delete(s.inFlight, bg.varyKey)
			s.mu.Unlock()
		}()
		bg.req = x.req.Clone(ctx)
		ev := bg.revalidate(next)
		if s.onDone != nil {
			s.onDone(ev)
		}
	}()
	return true
}

// revalidate sends the conditional request of a stale stored response and
// stores what comes back.
func (x *exchange) revalidate(next http.RoundTripper) Revalidation {
	u := *x.req.URL
	u.User, u.RawQuery, u.ForceQuery, u.Fragment = nil, "", false, ""
	ev := Revalidation{URL: u.String()}
	out := x.req.Clone(x.req.Context())
	if etag := x.stored.header.Get("Etag"); etag != "" {
		out.Header.Set("If-None-Match", etag)
	}
	if lm := x.stored.header.Get("Last-Modified"); lm != "" {
		out.Header.Set("If-Modified-Since", lm)
	}
	conditional := out.Header.Get("If-None-Match") != "" || out.Header.Get("If-Modified-Since") != ""
	requestTime := x.c.now()
	resp, err := next.RoundTrip(out)
	responseTime := x.c.now()
	if err != nil {
		ev.Err = err
		return ev
	}
	switch {
	case resp.StatusCode == http.StatusNotModified && conditional:
		served := x.freshen(resp, requestTime, responseTime)
		discard(served.Body)
		ev.Outcome = Outcome(served.Header.Get(Header))
	case resp.StatusCode >= 500:
		discard(resp.Body)
		ev.Err = fmt.Errorf("cache: revalidation answered %s", resp.Status)
	default:
		got := x.store(resp, requestTime, responseTime)
		// Read to the end: the recorder stores the body at io.EOF.
		_, err := io.Copy(io.Discard, got.Body)
		got.Body.Close()
		ev.Outcome, ev.Err = Miss, err
	}
	return ev
}
