package sdk

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// RetryPolicy says whether, how often and how long calls are retried.
//
// What is retried: connection failures (refused, reset, EOF before a
// response, TLS handshake timeouts, per-attempt timeouts) and the statuses
// 408, 429, 500, 502, 503 and 504; never another 4xx, and never 501.
// Which requests: GET, HEAD, OPTIONS, PUT and DELETE always; POST and PATCH
// only when they carry an Idempotency-Key (see [WithIdempotencyKey] and
// [WithIdempotent]), the same key on every attempt, so a retry can never
// duplicate a write.
type RetryPolicy struct {
	// MaxRetries is how many times a call is retried after its first
	// attempt; zero disables retries.
	MaxRetries int
	// BaseDelay bounds the first wait; each retry doubles the bound, up to
	// MaxDelay. The wait itself is drawn uniformly below the bound ("full
	// jitter"), which spreads clients that failed together.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// MaxRetryAfter is the longest wait a server may ask for (Retry-After,
	// Retry-After-Ms, RateLimit-Reset) and be obeyed. When it asks for
	// longer, the call fails at once with a [*RetryAfterTooLongError] that
	// says how long it asked for.
	MaxRetryAfter time.Duration
	// Budget bounds the whole call, attempts and waits included: a retry
	// whose wait would end past it is not made. Zero means no bound beyond
	// the context's deadline (which always wins).
	Budget time.Duration
}

// DefaultRetryPolicy returns the policy clients start with:
//
//   - 3 retries (4 attempts): the peers use 2 to 4; three rides out a
//     rolling restart without piling load on a service that is down.
//   - 500 ms base, 8 s cap: with full jitter the waits average 0.25 s,
//     0.5 s and 1 s, so a transient failure costs about 2 s at worst, while
//     the cap keeps long outages from being probed too often.
//   - Retry-After honoured up to 30 s: a rate limit of a few seconds is
//     worth waiting out; a request to come back in minutes is better
//     surfaced to the caller, who can reschedule.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxRetries: 3, BaseDelay: 500 * time.Millisecond, MaxDelay: 8 * time.Second, MaxRetryAfter: 30 * time.Second}
}

// WithRetry replaces the retry policy, for the client or for one call.
func WithRetry(p RetryPolicy) Option {
	return optionFunc(func(s *settings) {
		if p.MaxRetries < 0 || p.BaseDelay < 0 || p.MaxDelay < 0 || p.MaxRetryAfter < 0 || p.Budget < 0 {
			s.fail(&OptionError{Option: "WithRetry", Reason: "negative value in policy"})
			return
		}
		s.retry = p
	})
}

// WithMaxRetries sets how many times a call is retried; zero disables
// retries.
func WithMaxRetries(n int) Option {
	return optionFunc(func(s *settings) {
		if n < 0 {
			s.fail(&OptionError{Option: "WithMaxRetries", Reason: "negative count"})
			return
		}
		s.retry.MaxRetries = n
	})
}

// WithoutRetries disables retries (for the client or one call).
func WithoutRetries() Option { return WithMaxRetries(0) }

// WithIdempotencyKey sends key as the Idempotency-Key header of the call,
// on every attempt, which makes a POST or PATCH call retryable. Call only.
func WithIdempotencyKey(key string) Option {
	return callOption{"WithIdempotencyKey", func(s *settings) {
		if key == "" || strings.ContainsAny(key, "\r\n") {
			s.fail(&OptionError{Option: "WithIdempotencyKey", Reason: "empty key or key with a line break"})
			return
		}
		s.idempotencyKey = key
	}}
}

// WithIdempotent says whether the call's operation is idempotent, whatever
// the spec says. When true, a POST or PATCH call gets a fresh
// Idempotency-Key (the same on every attempt) and is retried; when false,
// it is not retried even if the spec marks it idempotent. Call only.
func WithIdempotent(idempotent bool) Option {
	return callOption{"WithIdempotent", func(s *settings) { s.idempotent = &idempotent }}
}

// RetryEvent describes a retry about to happen, for [WithOnRetry].
type RetryEvent struct {
	Operation string
	// Attempt is the number of the attempt that failed (1 for the first).
	Attempt int
	// Delay is the wait before the next attempt.
	Delay time.Duration
	// StatusCode of the failed attempt, or 0 when it got no response.
	StatusCode int
	// Err is the failed attempt's error, when it got no response.
	Err error
}

// WithOnRetry calls f before each retry (after the wait is chosen, before
// it starts), for metrics. f must not block.
func WithOnRetry(f func(RetryEvent)) Option {
	return optionFunc(func(s *settings) {
		if f != nil {
			s.onRetry = append(s.onRetry, f)
		}
	})
}

// Sleeper waits; tests inject one that records the delays asked for and
// returns at once.
type Sleeper interface {
	// Sleep waits for d or until ctx ends, returning ctx.Err() then.
	Sleep(ctx context.Context, d time.Duration) error
	// Now is the current time (for HTTP-date Retry-After values and the
	// retry budget).
	Now() time.Time
}

type realSleeper struct{}

func (realSleeper) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (realSleeper) Now() time.Time { return time.Now() }

// WithSleeper replaces the clock the retry layer sleeps on. Client only.
func WithSleeper(sl Sleeper) Option {
	return clientOption{"WithSleeper", func(s *settings) {
		if sl == nil {
			s.fail(&OptionError{Option: "WithSleeper", Reason: "nil sleeper"})
			return
		}
		s.sleeper = sl
	}}
}

// RetryBudget throttles retries across the calls of a client (or of
// several clients sharing it), so that an outage does not multiply the load
// on a failing service by the number of attempts. It follows gRPC's retry
// throttling: every failed attempt (a transient status or a connection
// failure) takes one token, every other response gives back ratio tokens,
// and retries are allowed only while more than half of the tokens are left.
// Non-transient errors neither take nor give. It is safe for concurrent use.
type RetryBudget struct {
	mu      sync.Mutex
	tokens  float64
	max     float64
	ratio   float64
	allowed int64
	denied  int64
}

// NewRetryBudget returns a full budget of max tokens, refilled by ratio per
// successful response. With max 10 and ratio 0.1, retries stop after about
// five failures in a row and resume once about ten responses have come
// back well.
func NewRetryBudget(max, ratio float64) *RetryBudget {
	if max <= 0 {
		max = 10
	}
	return &RetryBudget{tokens: max, max: max, ratio: ratio}
}

// failed records a transient failure and reports whether a retry is
// allowed.
func (b *RetryBudget) failed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = math.Max(0, b.tokens-1)
	if b.tokens > b.max/2 {
		b.allowed++
		return true
	}
	b.denied++
	return false
}

// succeeded records a response that is not a transient failure.
func (b *RetryBudget) succeeded() {
	b.mu.Lock()
	b.tokens = math.Min(b.max, b.tokens+b.ratio)
	b.mu.Unlock()
}

// Tokens returns the tokens left.
func (b *RetryBudget) Tokens() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tokens
}

// Stats returns how many retries the budget allowed and denied so far.
func (b *RetryBudget) Stats() (allowed, denied int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.allowed, b.denied
}

// WithRetryBudget shares budget among the client's calls (opt in: without
// it, every call may use its full policy). Client only.
func WithRetryBudget(budget *RetryBudget) Option {
	return clientOption{"WithRetryBudget", func(s *settings) { s.retryBudget = budget }}
}

// RetryError is the error of a call that was retried and still failed. It
// wraps the last attempt's error: an [*APIError] for a response (so
// errors.As finds it), or the transport error.
type RetryError struct {
	Operation string
	// Attempts made, the first included.
	Attempts int
	// TotalWait is the time spent waiting between attempts.
	TotalWait time.Duration
	// LastStatus is the last attempt's status (0 without a response), and
	// LastBody the start of its body (bounded like APIError.Body).
	LastStatus int
	LastBody   []byte
	// Reason says why retrying stopped ("3 retries used", "retry budget
	// exhausted", ...).
	Reason string
	Err    error
}

func (e *RetryError) Error() string {
	op := ""
	if e.Operation != "" {
		op = e.Operation + ": "
	}
	return fmt.Sprintf("%sgave up after %d attempts (%s, %s waiting): %v", op, e.Attempts, e.Reason, e.TotalWait.Round(time.Millisecond), e.Err)
}

// Unwrap returns the last attempt's error.
func (e *RetryError) Unwrap() error { return e.Err }

// RetryAfterTooLongError is returned when a server asks the client to wait
// longer than RetryPolicy.MaxRetryAfter: the call fails at once instead of
// sleeping, and the caller learns how long the server asked for.
type RetryAfterTooLongError struct {
	// Requested is how long the server asked to wait; Max is the policy's
	// limit.
	Requested time.Duration
	Max       time.Duration
	// Err is the response's error (an *APIError).
	Err error
}

func (e *RetryAfterTooLongError) Error() string {
	return fmt.Sprintf("server asked to retry after %s, longer than the %s allowed: %v", e.Requested, e.Max, e.Err)
}

// Unwrap returns the response's error.
func (e *RetryAfterTooLongError) Unwrap() error { return e.Err }

// retryState is the retry layer's per-call bookkeeping, in callState.
type retryState struct {
	started   time.Time
	nextDelay time.Duration
	totalWait time.Duration
	lastErr   error     // the last attempt's transport error
	lastResp  *APIError // the last retried response, read before it was drained
	reason    string
	stop      *RetryAfterTooLongError
}

// retrier is the retry layer: go-retryablehttp, configured so that its
// quirks never show (no logger, no buffering of bodies, no sleeping on its
// own timer, no untyped give-up error, no closing of idle connections of
// the caller's client).
type retrier struct {
	c  *Client
	rc *retryablehttp.Client
}

func newRetrier(c *Client) http.RoundTripper {
	r := &retrier{c: c}
	// A private copy of our http.Client: go-retryablehttp calls
	// CloseIdleConnections on it after failures, and our attempt transport
	// does not forward that call to the caller's transport.
	hc := *c.hc
	hc.Transport = noCloseIdle{hc.Transport}
	r.rc = &retryablehttp.Client{
		HTTPClient:   &hc,
		Logger:       nil,
		RetryMax:     math.MaxInt32, // the policy, per call, decides in checkRetry
		RetryWaitMin: 0,
		RetryWaitMax: 0,
		CheckRetry:   r.checkRetry,
		Backoff:      func(time.Duration, time.Duration, int, *http.Response) time.Duration { return 0 },
		PrepareRetry: r.prepareRetry,
		// Hand back whatever the last attempt left; RoundTrip, which knows
		// the call, turns it into the final error.
		ErrorHandler: func(resp *http.Response, err error, _ int) (*http.Response, error) { return resp, err },
	}
	return r
}

// noCloseIdle hides CloseIdleConnections from go-retryablehttp.
type noCloseIdle struct{ http.RoundTripper }

func (r *retrier) RoundTrip(req *http.Request) (*http.Response, error) {
	st := stateFrom(req.Context())
	if st == nil || st.s.retry.MaxRetries == 0 {
		return r.c.hc.Do(req)
	}
	st.retry.started = st.s.sleeper.Now()
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		st.bodyNote = "the request body cannot be replayed (it has no GetBody)"
	}
	// The body is rewound from GetBody in prepareRetry, never read into
	// memory (retryablehttp.FromRequest would buffer it).
	resp, err := r.rc.Do(&retryablehttp.Request{Request: req})
	if err == nil {
		return resp, nil
	}
	return nil, r.finalError(st, resp, err)
}

// finalError builds the error of a call that go-retryablehttp gave up on.
func (r *retrier) finalError(st *callState, resp *http.Response, err error) error {
	var last error
	switch {
	case resp != nil && !errors.Is(err, errGiveUp) && st.retry.lastResp != nil:
		// The wait before a retry was interrupted: resp was already read.
		last = st.retry.lastResp
		if err != nil {
			last = err
		}
	case resp != nil:
		apiErr := r.c.apiError(st.op, resp.Request, resp, st.s)
		st.retry.lastResp = apiErr
		last = apiErr
	case errors.Is(err, errGiveUp):
		last = st.retry.lastErr
	default:
		last = err
	}
	if stop := st.retry.stop; stop != nil {
		stop.Err = last
		return stop
	}
	attempts := int(st.attempt.Load())
	if attempts <= 1 {
		return last
	}
	re := &RetryError{Operation: st.op.ID, Attempts: attempts, TotalWait: st.retry.totalWait, Reason: st.retry.reason, Err: last}
	if st.retry.lastResp != nil {
		re.LastStatus = st.retry.lastResp.StatusCode
		re.LastBody = st.retry.lastResp.Body
	}
	return re
}

// checkRetry decides after each attempt. ctx is the request's context,
// which carries the call's state.
func (r *retrier) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	st := stateFrom(ctx)
	if st == nil {
		return false, err
	}
	if cerr := ctx.Err(); cerr != nil {
		// The caller gave up (or the call's timeout passed): never retry.
		if err == nil {
			err = cerr
		}
		st.retry.reason = "the context ended"
		return false, err
	}
	transient := err != nil && retryableError(err) || err == nil && retryableStatus(resp.StatusCode)
	budgetAllows := true
	if b := st.s.retryBudget; b != nil {
		switch {
		case transient:
			budgetAllows = b.failed()
		case err == nil:
			b.succeeded()
		}
	}
	retryable, why := r.retryable(st, resp, err, transient)
	if !retryable {
		st.retry.reason = why
		return false, nil // not an error by itself: the response or err stands
	}
	if err != nil {
		st.retry.lastErr = err
	}
	p := st.s.retry
	attempt := int(st.attempt.Load())
	if attempt > p.MaxRetries {
		st.retry.reason = fmt.Sprintf("%d %s used", p.MaxRetries, plural(p.MaxRetries, "retry", "retries"))
		return false, errGiveUp
	}
	delay := backoff(p, attempt)
	if resp != nil {
		if asked, ok := serverDelay(resp.Header, st.s.sleeper.Now()); ok {
			if asked > p.MaxRetryAfter {
				st.retry.stop = &RetryAfterTooLongError{Requested: asked, Max: p.MaxRetryAfter}
				st.retry.reason = "the server asked for too long a wait"
				return false, errGiveUp
			}
			delay = max(delay, asked)
		}
	}
	now := st.s.sleeper.Now()
	if p.Budget > 0 && now.Add(delay).After(st.retry.started.Add(p.Budget)) {
		st.retry.reason = fmt.Sprintf("the next wait would pass the %s budget", p.Budget)
		return false, errGiveUp
	}
	if dl, ok := ctx.Deadline(); ok && now.Add(delay).After(dl) {
		st.retry.reason = "the next wait would pass the context's deadline"
		return false, errGiveUp
	}
	if !budgetAllows {
		st.retry.reason = "retry budget exhausted"
		return false, errGiveUp
	}
	if resp != nil {
		// Keep what the failed attempt said: go-retryablehttp drains the
		// body before the next attempt.
		st.retry.lastResp = r.c.apiError(st.op, resp.Request, resp, st.s)
	}
	st.retry.nextDelay = delay
	ev := RetryEvent{Operation: st.op.ID, Attempt: attempt, Delay: delay, Err: err}
	if resp != nil {
		ev.StatusCode = resp.StatusCode
	}
	for _, f := range st.s.onRetry {
		f(ev)
	}
	if l := st.s.logger; l != nil {
		r.c.logRetry(st, ev)
	}
	return true, nil
}

// errGiveUp marks a decision to stop retrying a retryable failure; giveUp
// replaces it with the real error.
var errGiveUp = errors.New("giving up")

// retryable says whether an attempt's outcome may be retried, and why not
// when it may not.
func (r *retrier) retryable(st *callState, resp *http.Response, err error, transient bool) (bool, string) {
	if !transient {
		if err != nil {
			return false, "the error is not transient"
		}
		return false, "the status is not transient"
	}
	if st.bodyNote != "" {
		return false, st.bodyNote
	}
	switch st.method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete, http.MethodTrace:
		if st.s.idempotent != nil && !*st.s.idempotent {
			return false, "the call was marked not idempotent"
		}
		return true, ""
	default:
		if st.key == "" {
			return false, "a " + st.method + " without an Idempotency-Key is never retried"
		}
		return true, ""
	}
}

// retryableStatus reports the statuses worth another attempt.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryableError reports the transport failures worth another attempt:
// the connection was refused, reset or closed before a response, a TLS
// handshake or an attempt timed out. The caller's own cancellation,
// certificate errors and malformed requests are final.
func retryableError(err error) bool {
	var ate *AttemptTimeoutError
	if errors.As(err, &ate) {
		return true // our own per-attempt timeout
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false // the caller's
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return false
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return opErr.Op == "dial" || opErr.Op == "read" || opErr.Timeout()
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return true // TLS handshake timeout, response header timeout
	}
	msg := err.Error()
	return strings.Contains(msg, "server closed idle connection") || strings.Contains(msg, "connection reset") ||
		strings.Contains(msg, "TLS handshake timeout") || strings.Contains(msg, "http2: server sent GOAWAY")
}

// prepareRetry runs before each retry: it waits the chosen delay on the
// injected sleeper (go-retryablehttp's own timer got zero) and rewinds the
// body from GetBody.
func (r *retrier) prepareRetry(req *http.Request) error {
	st := stateFrom(req.Context())
	if st == nil {
		return nil
	}
	d := st.retry.nextDelay
	if err := st.s.sleeper.Sleep(req.Context(), d); err != nil {
		st.retry.reason = "the context ended while waiting"
		return err
	}
	st.retry.totalWait += d
	st.attempt.Add(1)
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			st.retry.reason = "the request body could not be replayed"
			return fmt.Errorf("replaying the request body: %w", err)
		}
		req.Body = body
	}
	return nil
}

// backoff is the full-jitter exponential wait before retry n (1-based):
// uniform in [0, min(MaxDelay, BaseDelay·2^(n-1))).
func backoff(p RetryPolicy, n int) time.Duration {
	if p.BaseDelay <= 0 {
		return 0
	}
	bound := p.BaseDelay
	for i := 1; i < n && bound < p.MaxDelay; i++ {
		bound *= 2
	}
	if p.MaxDelay > 0 && bound > p.MaxDelay {
		bound = p.MaxDelay
	}
	return time.Duration(mrand.Int64N(int64(bound)))
}

// serverDelay reads how long the server asked to wait: Retry-After
// (seconds or an HTTP date), Retry-After-Ms, or RateLimit-Reset (seconds,
// as in the IETF RateLimit header fields draft).
func serverDelay(h http.Header, now time.Time) (time.Duration, bool) {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 && ms < 1e12 {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
			if secs < 0 {
				return 0, false
			}
			return secondsDuration(secs), true
		}
		if t, err := http.ParseTime(v); err == nil {
			d := t.Sub(now)
			return max(d, 0), true
		}
	}
	if v := strings.TrimSpace(h.Get("Ratelimit-Reset")); v != "" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 {
			return secondsDuration(secs), true
		}
	}
	return 0, false
}

func secondsDuration(secs int64) time.Duration {
	if secs > math.MaxInt64/int64(time.Second) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(secs) * time.Second
}

// prepareIdempotency gives POST and PATCH calls that may be retried their
// Idempotency-Key, once per logical call, so every attempt sends the same.
func (c *Client) prepareIdempotency(req *http.Request, st *callState) {
	if req.Method != http.MethodPost && req.Method != http.MethodPatch {
		return
	}
	if k := req.Header.Get("Idempotency-Key"); k != "" {
		st.key = k // set by the caller through WithHeader
		return
	}
	key := st.s.idempotencyKey
	if key == "" {
		idempotent := st.op.Idempotent
		if st.s.idempotent != nil {
			idempotent = *st.s.idempotent
		}
		if !idempotent {
			return
		}
		key = newIdempotencyKey()
	}
	req.Header.Set("Idempotency-Key", key)
	st.key = key
}

// newIdempotencyKey returns a random UUID (version 4).
func newIdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
