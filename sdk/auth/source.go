package auth

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/internal/wait"
)

// Fetcher obtains a new token. current is the source's token (nil before
// the first), so that a refresh grant can send its refresh token. ctx is
// the fetch's own context, bounded by the source's timeout and detached
// from the callers'; it also carries the source's HTTP client for
// golang.org/x/oauth2 (under oauth2.HTTPClient). A Fetcher runs once at a
// time per source and may return a token without a refresh token, in which
// case the current one is kept.
type Fetcher func(ctx context.Context, current *sdk.Token) (*sdk.Token, error)

// Defaults of a [Source].
const (
	// DefaultTimeout bounds one token request (discovery included).
	DefaultTimeout = 30 * time.Second
	// DefaultRefreshMargin and DefaultRefreshJitter place the proactive
	// refresh between 60 and 90 seconds before a token expires: long enough
	// that a token is never sent in its last seconds (clocks differ, requests
	// take time), short enough to use most of its life.
	DefaultRefreshMargin = time.Minute
	DefaultRefreshJitter = 30 * time.Second
	// retryAfterFailure is how long a source whose token is still valid
	// waits before trying again when a proactive refresh failed.
	retryAfterFailure = 5 * time.Second
	// After a failed fetch, a source without a valid token does not ask
	// the endpoint again for a while: the calls in between fail at once
	// with the same error (MSAL throttles failing token requests the same
	// way). The cool-down starts at firstCoolDown and doubles with each
	// failure in a row, up to maxCoolDown; a Retry-After the endpoint
	// sends is obeyed when longer, up to maxRetryAfter.
	firstCoolDown = time.Second
	maxCoolDown   = time.Minute
	maxRetryAfter = 5 * time.Minute
)

// Source is a token source with a single-flight cache: it returns its
// token while it is fresh, and fetches a new one with its [Fetcher] when
// the token nears its expiry or the server refused it. It implements
// [sdk.TokenRefresher], so package sdk refreshes and replays a request
// that got a 401. A Source is safe for concurrent use and starts no
// goroutine that outlives a fetch.
type Source struct {
	fetch Fetcher
	o     options

	mu        sync.Mutex
	loaded    bool
	tok       *sdk.Token
	refreshAt time.Time // when tok stops being fresh (tok.Expiry non-zero)
	refused   bool      // the server refused tok (a 401)
	flight    *flight   // the fetch under way, if any
	// The last fetch's failure, repeated to callers until coolUntil, and
	// the failures in a row.
	failErr   error
	coolUntil time.Time
	failures  int
}

// flight is one fetch, shared by every caller that needs its result.
type flight struct {
	done chan struct{}
	tok  *sdk.Token
	err  error
}

var (
	_ sdk.TokenRefresher        = (*Source)(nil)
	_ sdk.IdentifiedTokenSource = (*Source)(nil)
)

// TokenIdentity returns the name of the principal the source's tokens act
// for: the one given with [WithIdentity], or for a client credentials
// source its client (token endpoint, client id, scopes and endpoint
// parameters), or "" when the source does not know it. It implements
// [sdk.IdentifiedTokenSource], for the SDK's HTTP cache.
func (s *Source) TokenIdentity() string { return s.o.identity }

// NewSource returns a caching source around fetch. The grants of this
// package are Sources around fetchers of their own; use NewSource for a
// token endpoint that is not OAuth2.
func NewSource(fetch Fetcher, opts ...Option) *Source {
	s := &Source{fetch: fetch, o: defaultOptions()}
	for _, o := range opts {
		if o != nil {
			o.apply(&s.o)
		}
	}
	s.o.hc = tokenClient(s.o.hc, s.o.timeout)
	return s
}

// Token returns the current token while it is fresh; otherwise it waits
// for a new one, fetched once for all callers. When a proactive refresh
// fails while the current token is still valid, Token returns the current
// token (and tries again a few seconds later). When a fetch fails and
// there is no valid token, Token returns that fetch's error, without
// asking the endpoint again, for a cool-down of 1 s that doubles with each
// failure in a row up to a minute (or the endpoint's Retry-After, up to 5
// minutes). If ctx ends first, Token returns ctx's error at once; the fetch
// goes on for the other callers.
func (s *Source) Token(ctx context.Context) (*sdk.Token, error) {
	s.mu.Lock()
	if err := s.loadLocked(); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	now := s.o.now()
	if s.freshLocked(now) {
		t := s.tok
		s.mu.Unlock()
		return t, nil
	}
	prev, prevValid := s.tok, s.validLocked(now)
	if err := s.coolingLocked(now); err != nil && !prevValid {
		s.mu.Unlock()
		return nil, err
	}
	f := s.startLocked()
	s.mu.Unlock()
	if err := waitFlight(ctx, f); err != nil {
		return nil, err
	}
	if f.err != nil {
		var pe *PersistError
		if prevValid && !errors.As(f.err, &pe) && prev.Expiry.After(s.o.now()) {
			return prev, nil
		}
		return nil, f.err
	}
	return f.tok, nil
}

// Refresh returns a token other than failed, the token a server refused
// with a 401. If failed is still the current token, it is dropped and a
// new one is fetched (once, however many callers report it); if the source
// has moved on already, Refresh returns the current token without a
// request. Like Token, it returns early when ctx ends without cancelling
// the fetch.
func (s *Source) Refresh(ctx context.Context, failed *sdk.Token) (*sdk.Token, error) {
	s.mu.Lock()
	if err := s.loadLocked(); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	if failed == nil || s.tok != nil && s.tok.AccessToken != failed.AccessToken {
		s.mu.Unlock()
		return s.Token(ctx)
	}
	if s.tok != nil {
		s.refused = true
	}
	if err := s.coolingLocked(s.o.now()); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	f := s.startLocked()
	s.mu.Unlock()
	if err := waitFlight(ctx, f); err != nil {
		return nil, err
	}
	return f.tok, f.err
}

// waitFlight waits for f or for ctx, whichever ends first.
func waitFlight(ctx context.Context, f *flight) error {
	select {
	case <-f.done:
		return nil
	default:
	}
	select {
	case <-f.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// loadLocked sets the first token, from WithToken or the store.
func (s *Source) loadLocked() error {
	if s.loaded {
		return nil
	}
	t := s.o.initial
	if t == nil && s.o.store != nil {
		var err error
		t, err = s.o.store.Load()
		if err != nil {
			return &StoreError{Op: "load", Err: err}
		}
	}
	s.loaded = true
	if t != nil {
		t = clone(t)
		s.tok = t
		s.refreshAt = s.schedule(t, time.Time{})
	}
	return nil
}

// freshLocked reports whether the token may be returned without a fetch.
func (s *Source) freshLocked(now time.Time) bool {
	if s.tok == nil || s.tok.AccessToken == "" || s.refused {
		return false
	}
	return s.tok.Expiry.IsZero() || now.Before(s.refreshAt)
}

// validLocked reports whether the token has not expired yet (and was not
// refused): usable when a refresh fails.
func (s *Source) validLocked(now time.Time) bool {
	if s.tok == nil || s.tok.AccessToken == "" || s.refused {
		return false
	}
	return s.tok.Expiry.IsZero() || now.Before(s.tok.Expiry)
}

// schedule picks when a token stops being fresh: margin plus a random part
// of jitter before its expiry. For a token just obtained (obtained is not
// zero), both are capped at a quarter of its lifetime, so that short-lived
// tokens are used for at least half of it; a token loaded from elsewhere
// has an unknown lifetime and no cap.
func (s *Source) schedule(t *sdk.Token, obtained time.Time) time.Time {
	if t.Expiry.IsZero() {
		return time.Time{}
	}
	margin, jitter := s.o.margin, s.o.jitter
	if !obtained.IsZero() {
		life := max(t.Expiry.Sub(obtained), 0)
		margin, jitter = min(margin, life/4), min(jitter, life/4)
	}
	lead := margin
	if jitter > 0 {
		lead += rand.N(jitter)
	}
	return t.Expiry.Add(-lead)
}

// coolingLocked returns the last fetch's error while the source cools down
// after it, nil otherwise.
func (s *Source) coolingLocked(now time.Time) error {
	if s.failErr != nil && s.flight == nil && now.Before(s.coolUntil) {
		return s.failErr
	}
	return nil
}

// coolDown is how long a source waits after the failures-th failed fetch
// in a row, which failed with err.
func coolDown(failures int, err error, now time.Time) time.Duration {
	d := maxCoolDown
	if failures <= 6 {
		d = min(firstCoolDown<<(failures-1), maxCoolDown)
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		if ra, ok := wait.RetryAfter(re.Response.Header.Get("Retry-After"), now); ok {
			d = max(d, min(ra, maxRetryAfter))
		}
	}
	return d
}

// startLocked joins the fetch under way or starts one.
func (s *Source) startLocked() *flight {
	if s.flight != nil {
		return s.flight
	}
	f := &flight{done: make(chan struct{})}
	s.flight = f
	go s.run(f, s.tok)
	return f
}

// run performs one fetch and publishes its outcome: the new token is
// installed, then handed to the store and the hooks, then the waiting
// callers are released. Until then no other fetch starts, so hooks see
// tokens one at a time and in order.
func (s *Source) run(f *flight, current *sdk.Token) {
	ctx, cancel := context.WithTimeout(context.Background(), s.o.timeout)
	defer cancel()
	tok, err := s.safeFetch(ctx, current)
	now := s.o.now()
	switch {
	case err != nil:
	case tok == nil || tok.AccessToken == "":
		err = errors.New("auth: the token endpoint returned no access token")
	case !tok.Expiry.IsZero() && !tok.Expiry.After(now):
		err = fmt.Errorf("%w (%s ago)", ErrExpiredOnArrival, now.Sub(tok.Expiry).Round(time.Second))
	}
	if err != nil {
		f.err = err
		s.mu.Lock()
		s.failures++
		s.failErr, s.coolUntil = err, now.Add(coolDown(s.failures, err, now))
		if s.validLocked(now) && !s.tok.Expiry.IsZero() {
			// Keep using the token; try again soon, but not on every call.
			s.refreshAt = now.Add(min(retryAfterFailure, s.tok.Expiry.Sub(now)/2))
		}
		s.flight = nil
		s.mu.Unlock()
		close(f.done)
		return
	}
	tok = clone(tok)
	if tok.RefreshToken == "" && current != nil {
		tok.RefreshToken = current.RefreshToken
	}
	s.mu.Lock()
	s.tok, s.refused, s.refreshAt = tok, false, s.schedule(tok, now)
	s.failErr, s.failures = nil, 0
	s.mu.Unlock()
	f.tok = tok
	for _, h := range s.o.onChange {
		if herr := h(tok); herr != nil && f.err == nil {
			f.err = &PersistError{Err: herr}
		}
	}
	s.mu.Lock()
	s.flight = nil
	s.mu.Unlock()
	close(f.done)
}

// safeFetch calls the fetcher, turning a panic into an error: a fetch that
// never finished would leave every caller waiting.
func (s *Source) safeFetch(ctx context.Context, current *sdk.Token) (tok *sdk.Token, err error) {
	defer func() {
		if r := recover(); r != nil {
			tok, err = nil, fmt.Errorf("auth: token fetch panicked: %v", r)
		}
	}()
	return s.fetch(withHTTPClient(ctx, s.o.hc), clone(current))
}

func clone(t *sdk.Token) *sdk.Token {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

// PersistError reports that a new token was obtained and is in use, but a
// [WithOnTokenChange] hook (or the [TokenStore]) failed to keep it. The
// calls waiting for that token fail with it; later calls use the token.
type PersistError struct {
	Err error
}

func (e *PersistError) Error() string {
	return "auth: a new token was obtained but could not be persisted: " + e.Err.Error()
}

// Unwrap returns the hook's error.
func (e *PersistError) Unwrap() error { return e.Err }

// Option configures a [Source] (and the one-off requests [Config.Exchange]
// and [Config.Discover] make).
type Option interface {
	apply(*options)
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	hc       *http.Client
	timeout  time.Duration
	margin   time.Duration
	jitter   time.Duration
	initial  *sdk.Token
	store    TokenStore
	onChange []func(*sdk.Token) error
	now      func() time.Time
	insecure bool
	identity string
}

func defaultOptions() options {
	return options{timeout: DefaultTimeout, margin: DefaultRefreshMargin, jitter: DefaultRefreshJitter, now: time.Now}
}

func buildOptions(opts []Option) options {
	o := defaultOptions()
	for _, op := range opts {
		if op != nil {
			op.apply(&o)
		}
	}
	o.hc = tokenClient(o.hc, o.timeout)
	return o
}

// WithHTTPClient sends token requests with a copy of hc (its transport,
// proxy and TLS settings) that never follows redirects: a token endpoint
// that redirects fails, so client secrets and refresh tokens go nowhere
// else. Token requests never pass through the SDK's middleware, retries
// or logging. Without it, a client of the source's own is used.
//
// TLS older than 1.2 is refused as the SDK's clients refuse it (see
// [sdk.WithHTTPClient]): a transport that allows it is cloned with the
// minimum raised. For a custom CA, client certificates or pinned keys, pass
// a client from [sdk.NewHTTPClient] — the same one can serve the SDK client
// (sdk.WithHTTPClient) so that both use the same TLS rules.
func WithHTTPClient(hc *http.Client) Option {
	return optionFunc(func(o *options) { o.hc = hc })
}

// WithTimeout bounds each token request (discovery included); the default
// is [DefaultTimeout]. Callers waiting for the token may give up sooner
// through their context.
func WithTimeout(d time.Duration) Option {
	return optionFunc(func(o *options) {
		if d > 0 {
			o.timeout = d
		}
	})
}

// WithRefreshMargin makes the source refresh a token margin plus a random
// part of jitter before it expires (defaults [DefaultRefreshMargin] and
// [DefaultRefreshJitter]). Both are capped at a quarter of the token's
// lifetime, so a token is always used for at least half of it.
func WithRefreshMargin(margin, jitter time.Duration) Option {
	return optionFunc(func(o *options) {
		o.margin, o.jitter = max(margin, 0), max(jitter, 0)
	})
}

// WithToken starts the source with t (one saved earlier, say, or one
// obtained by [Config.Exchange]); for [RefreshToken], its RefreshToken is
// what the first refresh sends. t is copied.
func WithToken(t *sdk.Token) Option {
	return optionFunc(func(o *options) { o.initial = clone(t) })
}

// WithTokenStore starts the source with the token the store holds (unless
// [WithToken] gives one) and saves every new token to it before any caller
// uses the token, so a rotated refresh token is never lost. A failed save
// fails the calls that waited for that token with a [*PersistError].
func WithTokenStore(st TokenStore) Option {
	return optionFunc(func(o *options) {
		if st == nil {
			return
		}
		o.store = st
		o.onChange = append(o.onChange, st.Save)
	})
}

// WithOnTokenChange calls f with every new token (refresh token included)
// before any caller uses it, one token at a time, in order: programs use it
// to persist tokens. f must not modify the token or call the source. An
// error from f fails the calls that waited for that token with a
// [*PersistError]; the token stays in use.
func WithOnTokenChange(f func(*sdk.Token) error) Option {
	return optionFunc(func(o *options) {
		if f != nil {
			o.onChange = append(o.onChange, f)
		}
	})
}

// WithClock replaces the clock the source reads expiries against, for
// tests. Expiries that the token endpoint gives in seconds (expires_in)
// are computed on it too.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(o *options) {
		if now != nil {
			o.now = now
		}
	})
}

// WithIdentity names the principal the source's tokens act for (a user's
// subject, say), for caches: with it, the SDK's HTTP cache keys the
// responses of calls that use the source by this name, so they outlive
// token refreshes and restarts (see [sdk.IdentifiedTokenSource]). The name
// is hashed, never stored, and must differ between principals. Client
// credentials sources name their client without it; other sources without
// it are keyed by their current token.
func WithIdentity(name string) Option {
	return optionFunc(func(o *options) { o.identity = name })
}

// WithInsecureHTTP allows token and discovery requests over plain http to
// hosts other than loopback, which the source otherwise refuses: they carry
// client secrets and refresh tokens that anyone on the path could read.
func WithInsecureHTTP() Option {
	return optionFunc(func(o *options) { o.insecure = true })
}

// tokenClient returns the client token requests use: a copy of hc (or a
// new client) that never follows redirects, has a timeout, and refuses
// TLS older than 1.2 as the SDK's clients do (sdk.NewHTTPClient: a weak
// *http.Transport is cloned with the minimum raised, another RoundTripper
// has its responses checked).
func tokenClient(hc *http.Client, timeout time.Duration) *http.Client {
	if hc == nil {
		hc = &http.Client{Timeout: timeout}
	}
	c, err := sdk.NewHTTPClient(sdk.WithHTTPClient(hc))
	if err != nil {
		// A transport that cannot do TLS 1.2: every token request fails
		// with the reason, inside a TokenError.
		c = &http.Client{Timeout: hc.Timeout, Transport: sdk.RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
			if req.Body != nil {
				req.Body.Close()
			}
			return nil, err
		})}
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// ErrExpiredOnArrival is the error of a fetch whose token had already
// expired when it arrived: a [Fetcher] of [NewSource] that returns such a
// token has failed (the grants of this package take an expires_in that is
// not positive as no expiry at all, as RFC 6749 lets a server leave it
// out).
var ErrExpiredOnArrival = errors.New("auth: the token had expired when it arrived")
