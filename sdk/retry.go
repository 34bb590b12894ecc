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
	"github.com/sdkgen-go/sdkgen/sdk/internal/wait"
)

// RetryPolicy says whether, how often and how long calls are retried.
//
// What is retried: connection failures (refused, reset, closed before a
// response, TLS handshake timeouts, per-attempt timeouts) and the statuses
// 408, 429, 500, 502, 503 and 504; never another 4xx, never 501, never a
// redirect. One exception: a 409 Conflict to a request that carries an
// Idempotency-Key, after an earlier attempt of the same call got no
// response (a reset, a per-attempt timeout). That attempt may still be
// running on the server, and servers answer a request whose key is in use
// with 409 (draft-ietf-httpapi-idempotency-key-header); the retry, made
// after the usual backoff, gets the first attempt's outcome replayed
// instead of a failure that hides a write about to be applied. A 409 to a
// call whose attempts all got responses stays final. A 2xx response is handed to the caller as soon as its headers
// arrive, so a body that is cut short later (a [*DecodeError] wrapping
// io.ErrUnexpectedEOF) is not retried: that would mean buffering every body
// before returning it, which the SDK never does.
//
// Which requests: GET, HEAD, OPTIONS, TRACE, PUT and DELETE (idempotent by
// RFC 9110), and requests of an operation marked [Operation.Safe] whatever
// their method, unless the call says otherwise with WithIdempotent(false);
// POST, PATCH and any other method only when the request carries an
// Idempotency-Key (see [WithIdempotencyKey] and [WithIdempotent]), and the
// same key on every attempt, so a retry cannot duplicate a write. A request
// whose body cannot be replayed (it has no GetBody: an upload streamed from
// a reader that can be read only once, see [File]) is never retried, and
// its error wraps [ErrBodyNotReplayable]; bodies are replayed from GetBody,
// streamed, never held in memory.
//
// When a transient failure is not retried, or no longer, the call's error
// is a [*RetryError] that says why.
//
// A zero duration field takes the value of [DefaultRetryPolicy]; MaxElapsed
// zero means no limit.
type RetryPolicy struct {
	// MaxRetries is how many times a call is retried after its first
	// attempt; zero disables retries.
	MaxRetries int
	// BaseDelay bounds the first wait; each retry doubles the bound, up to
	// MaxDelay. The wait itself is drawn uniformly below the bound ("full
	// jitter"), which spreads out clients that failed together.
	BaseDelay time.Duration
	// MaxDelay caps the bound: past it, waits stay uniform in
	// [0, MaxDelay).
	MaxDelay time.Duration
	// MaxRetryAfter is the longest wait a server may ask for (Retry-After,
	// Retry-After-Ms, RateLimit-Reset) and be obeyed; a server's wait
	// replaces the backoff when it is longer. When a server asks for longer
	// than MaxRetryAfter, the call fails at once with a [*RetryError]
	// wrapping a [*RetryAfterTooLongError] that says how long it asked for.
	MaxRetryAfter time.Duration
	// MaxElapsed bounds the retrying of a call: from the start of its first
	// attempt to the response headers of its last, waits included. A retry
	// whose wait would end past it is not made, and an attempt still waiting
	// for headers when it passes is cancelled (an [*AttemptTimeoutError]
	// with Overall set). The body of the final response is not bounded by
	// it (use [WithTimeout] for that). Zero means no limit beyond the
	// context's deadline, which always wins.
	MaxElapsed time.Duration
}

// DefaultRetryPolicy returns the policy clients start with:
//
//   - 3 retries (4 attempts): the peers use 2 to 4; three rides out a
//     rolling restart or a failover without piling load on a service that
//     is down (and [RetryBudget] can bound retries across calls).
//   - 500 ms base, 8 s cap: with full jitter the three waits average
//     0.25 s, 0.5 s and 1 s, so transient failures cost under 2 s on
//     average and 3.5 s at worst, while the cap (reached from the 5th
//     retry) keeps long retry chains from probing a dead service too often.
//   - Retry-After honoured up to 30 s: a rate limit of a few seconds is
//     worth waiting out inside a call; a request to come back in minutes is
//     better surfaced to the caller, who can reschedule the work.
//   - No MaxElapsed: the caller's context deadline (or [WithTimeout])
//     bounds a call; an SDK-chosen limit would cut legitimately slow
//     operations short.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxRetries: 3, BaseDelay: 500 * time.Millisecond, MaxDelay: 8 * time.Second, MaxRetryAfter: 30 * time.Second}
}

// normalized fills zero durations with the defaults and keeps MaxDelay at
// least BaseDelay.
func (p RetryPolicy) normalized() RetryPolicy {
	d := DefaultRetryPolicy()
	if p.BaseDelay == 0 {
		p.BaseDelay = d.BaseDelay
	}
	if p.MaxDelay == 0 {
		p.MaxDelay = max(d.MaxDelay, p.BaseDelay)
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	if p.MaxRetryAfter == 0 {
		p.MaxRetryAfter = d.MaxRetryAfter
	}
	return p
}

// WithRetry replaces the retry policy, for the client or for one call.
// Zero durations take the defaults (see [RetryPolicy]).
func WithRetry(p RetryPolicy) Option {
	return optionFunc(func(s *settings) {
		if p.MaxRetries < 0 || p.BaseDelay < 0 || p.MaxDelay < 0 || p.MaxRetryAfter < 0 || p.MaxElapsed < 0 {
			s.fail(&OptionError{Option: "WithRetry", Reason: "negative value in policy"})
			return
		}
		s.retry = p.normalized()
	})
}

// WithMaxRetries sets how many times a call is retried, keeping the rest of
// the policy; zero disables retries.
func WithMaxRetries(n int) Option {
	return optionFunc(func(s *settings) {
		if n < 0 {
			s.fail(&OptionError{Option: "WithMaxRetries", Reason: "negative count"})
			return
		}
		s.retry.MaxRetries = n
	})
}

// WithoutRetries disables retries (for the client or one call). A
// transient failure then fails the call with a [*RetryError] whose Reason
// says that retries are disabled.
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
// the call is never retried, whatever its method, even if the spec marks it
// idempotent or it carries a key. Call only.
func WithIdempotent(idempotent bool) Option {
	return callOption{"WithIdempotent", func(s *settings) { s.idempotent = &idempotent }}
}

// RetryEvent describes a retry about to happen, for [WithOnRetry].
type RetryEvent struct {
	Operation string
	// Attempt is the number of the attempt that failed (1 for the first).
	Attempt int
	// Delay is the wait before the next attempt: the backoff, or the
	// server's Retry-After when that is longer.
	Delay time.Duration
	// StatusCode of the failed attempt, or 0 when it got no response.
	StatusCode int
	// Err is the failed attempt's error, when it got no response.
	Err error
}

// WithOnRetry calls f before each retry (after the wait is chosen, before
// it starts), for metrics; for the client or one call (a call's hooks run
// after the client's). f must be quick and must not block: it runs on the
// caller's goroutine.
func WithOnRetry(f func(RetryEvent)) Option {
	return optionFunc(func(s *settings) {
		if f != nil {
			s.onRetry = append(s.onRetry, f)
		}
	})
}

// Sleeper is the retry layer's clock: it waits between attempts and tells
// the time. Tests inject one that records the waits asked for and returns
// at once, so they never sleep. Implementations must be safe for concurrent
// use.
type Sleeper interface {
	// Sleep waits for d, or until ctx ends and then returns ctx.Err(). It
	// must return at once when d <= 0.
	Sleep(ctx context.Context, d time.Duration) error
	// Now is the current time, for HTTP-date Retry-After values and
	// RetryPolicy.MaxElapsed. Context deadlines are real instants and are
	// always compared with the real clock.
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

// WithSleeper replaces the clock the retry layer waits on, for the client
// or one call.
func WithSleeper(sl Sleeper) Option {
	return optionFunc(func(s *settings) {
		if sl == nil {
			s.fail(&OptionError{Option: "WithSleeper", Reason: "nil sleeper"})
			return
		}
		s.sleeper = sl
	})
}

// RetryBudget throttles retries across the calls of a client (or of
// several clients sharing it), so that an outage does not multiply the load
// on a failing service by the number of attempts. It follows gRPC's retry
// throttling: the tokens measure the health of the service, so every
// attempt that fails transiently (a retryable status or connection failure,
// whether or not its call may be retried) takes one token, every other
// response (2xx, and statuses that are not retried) gives back ratio
// tokens, and errors that say nothing about the service (the caller's
// cancellation, a certificate error) neither take nor give. A retry is
// allowed only while more than half of the tokens are left; a call denied
// fails with a [*RetryError] saying so. It is safe for concurrent use.
type RetryBudget struct {
	mu      sync.Mutex
	tokens  float64
	max     float64
	ratio   float64
	allowed int64
	denied  int64
}

// NewRetryBudget returns a full budget of max tokens, refilled by ratio per
// healthy response. max <= 0 means 10 and ratio <= 0 means 0.1 (gRPC's
// usual values): retries stop after about five transient failures in a row
// and resume once about ten responses have come back well.
func NewRetryBudget(max, ratio float64) *RetryBudget {
	if max <= 0 {
		max = 10
	}
	if ratio <= 0 {
		ratio = 0.1
	}
	return &RetryBudget{tokens: max, max: max, ratio: ratio}
}

// failed records a transient failure.
func (b *RetryBudget) failed() {
	b.mu.Lock()
	b.tokens = math.Max(0, b.tokens-1)
	b.mu.Unlock()
}

// succeeded records a healthy response.
func (b *RetryBudget) succeeded() {
	b.mu.Lock()
	b.tokens = math.Min(b.max, b.tokens+b.ratio)
	b.mu.Unlock()
}

// allow reports whether a retry may be made now, and counts the decision.
func (b *RetryBudget) allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tokens > b.max/2 {
		b.allowed++
		return true
	}
	b.denied++
	return false
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

// WithRetryBudget makes calls draw their retries from budget, which may be
// shared by many clients. Opt in: without it, every call may use its full
// policy. Given to a call, it replaces the client's budget for that call;
// nil turns throttling off.
func WithRetryBudget(budget *RetryBudget) Option {
	return optionFunc(func(s *settings) { s.retryBudget = budget })
}

// RetryError is the error of a call whose transient failure was not
// retried, or no longer: its retries ran out, the policy forbade a retry
// (a POST without an Idempotency-Key, a body that cannot be replayed,
// retries disabled), the server asked for too long a wait, the retry budget
// or the time ran out. It is also the error of a call that was retried and
// then failed for good (a 503 followed by a 404, say). Reason says which.
//
// It wraps the last attempt's error, so errors.As finds the [*APIError] (or
// the [*TransportError]) beneath it, and StoppedBy when set.
type RetryError struct {
	Operation string
	// Attempts made, the first included.
	Attempts int
	// TotalWait is the time spent waiting between attempts.
	TotalWait time.Duration
	// LastStatus is the status of the last response received (0 when no
	// attempt got one), and LastBody the start of its body, bounded like
	// APIError.Body. When the last attempt got no response they come from
	// an earlier attempt, and Err says what happened to the last one.
	LastStatus int
	LastBody   []byte
	// Reason says in words why retrying stopped ("3 retries used", "a POST
	// without an Idempotency-Key is never retried", ...).
	Reason string
	// Err is the last attempt's error: an [*APIError] when it got a
	// response, a [*TransportError] when it did not (or the typed error a
	// layer failed it with, such as an [*AuthError]).
	Err error
	// StoppedBy is what stopped retrying when it was not the last attempt's
	// outcome: a [*RetryAfterTooLongError], the context's error when it
	// ended during a wait, an [*AttemptTimeoutError] when MaxElapsed passed
	// during a wait, the error of the request's GetBody, or
	// [ErrBodyNotReplayable] when the body could not be sent again (Reason
	// then says which source, and why). Nil otherwise.
	StoppedBy error
}

func (e *RetryError) Error() string {
	var b strings.Builder
	if e.Operation != "" {
		b.WriteString(e.Operation)
		b.WriteString(": ")
	}
	if e.Attempts <= 1 {
		b.WriteString("not retried")
	} else {
		fmt.Fprintf(&b, "gave up after %d attempts", e.Attempts)
	}
	if e.TotalWait > 0 {
		fmt.Fprintf(&b, " and %s of waiting", e.TotalWait.Round(time.Millisecond))
	}
	if e.Reason != "" {
		b.WriteString(" (")
		b.WriteString(e.Reason)
		b.WriteString(")")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the last attempt's error and StoppedBy, when set, for
// errors.Is and errors.As.
func (e *RetryError) Unwrap() []error {
	switch {
	case e.Err == nil && e.StoppedBy == nil:
		return nil
	case e.StoppedBy == nil:
		return []error{e.Err}
	case e.Err == nil:
		return []error{e.StoppedBy}
	}
	return []error{e.Err, e.StoppedBy}
}

// RetryAfterTooLongError reports a server that asked the client to wait
// longer than RetryPolicy.MaxRetryAfter: the call fails at once, inside a
// [*RetryError], instead of sleeping, and the caller learns how long the
// server asked for (and can reschedule the work).
type RetryAfterTooLongError struct {
	// Header is the header that asked: "Retry-After", "Retry-After-Ms" or
	// "RateLimit-Reset".
	Header string
	// Requested is how long the server asked to wait; Max is the policy's
	// limit.
	Requested time.Duration
	Max       time.Duration
}

func (e *RetryAfterTooLongError) Error() string {
	return fmt.Sprintf("the server asked to retry after %s (%s), longer than the %s allowed", e.Requested, e.Header, e.Max)
}

// noRetry names why a call is not retried whatever happens, decided before
// its first attempt.
type noRetry uint8

const (
	mayRetry noRetry = iota
	retriesDisabled
	markedNotIdempotent
	noIdempotencyKey
	bodyNotReplayable
)

func (n noRetry) String(method string) string {
	switch n {
	case retriesDisabled:
		return "retries are disabled"
	case markedNotIdempotent:
		return "the call is marked not idempotent"
	case noIdempotencyKey:
		return "a " + method + " without an Idempotency-Key is never retried"
	case bodyNotReplayable:
		return "the request body cannot be replayed: it has no GetBody"
	}
	return ""
}

// retryState is the retry layer's bookkeeping for one call, in callState.
// Only the goroutine running the call touches it.
type retryState struct {
	ran       bool    // the retry layer saw the call
	never     noRetry // why the call may not be retried at all
	req       *http.Request
	started   time.Time // on the sleeper's clock, for MaxElapsed
	nextDelay time.Duration
	totalWait time.Duration
	transient bool // the last attempt failed transiently
	// unanswered is set once an attempt got no response: the server may
	// still be processing it.
	unanswered bool
	pending    bool   // a retry was decided and has not started
	reason     string // why retrying stopped, when not never
	stoppedBy  error
	last       error     // the last attempt's typed error, kept when a retry was decided
	lastResp   *APIError // the last response that was retried
}

// retrier is the retry layer: go-retryablehttp, configured so that its
// quirks never show: no logger, no buffering of bodies (the body is
// replayed from GetBody in prepareRetry), no sleeping on its own timer
// (Backoff returns 0; prepareRetry sleeps on the injected Sleeper), no
// untyped give-up error (ErrorHandler hands the last outcome back and the
// SDK types it), no closing of idle connections of the caller's client. It
// reads status codes and Retry-After headers of responses, and the body of
// a response it retries (bounded, for the error).
type retrier struct {
	c  *Client
	rc *retryablehttp.Client
}

func newRetrier(c *Client) http.RoundTripper {
	r := &retrier{c: c}
	// A private copy of our http.Client whose Transport hides
	// CloseIdleConnections: go-retryablehttp calls it after failures.
	hc := *c.hc
	hc.Transport = noCloseIdle{hc.Transport}
	r.rc = &retryablehttp.Client{
		HTTPClient:   &hc,
		Logger:       nil,
		RetryMax:     math.MaxInt32, // the call's policy decides, in checkRetry
		RetryWaitMin: 0,
		RetryWaitMax: 0,
		CheckRetry:   r.checkRetry,
		Backoff:      func(time.Duration, time.Duration, int, *http.Response) time.Duration { return 0 },
		PrepareRetry: r.prepareRetry,
		ErrorHandler: passLastOutcome,
	}
	return r
}

// passLastOutcome hands back what the last attempt left. A response comes
// with an error only when it was already drained (the wait before a retry
// was cut short, or the body could not be replayed), so it is dropped then.
func passLastOutcome(resp *http.Response, err error, _ int) (*http.Response, error) {
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// noCloseIdle hides CloseIdleConnections from go-retryablehttp.
type noCloseIdle struct{ http.RoundTripper }

func (r *retrier) RoundTrip(req *http.Request) (*http.Response, error) {
	st := stateFrom(req.Context())
	if st == nil {
		return r.c.hc.Do(req)
	}
	st.retry = retryState{ran: true, req: req, never: r.never(st, req)}
	if d := st.s.retry.MaxElapsed; d > 0 {
		return r.roundTripLimited(st, req, d)
	}
	return r.roundTrip(st, req)
}

// never says whether the call may be retried at all.
func (r *retrier) never(st *callState, req *http.Request) noRetry {
	switch {
	case st.s.retry.MaxRetries == 0:
		return retriesDisabled
	case st.s.idempotent != nil && !*st.s.idempotent:
		return markedNotIdempotent
	case !idempotentMethod(st.method) && st.key == "" && !st.op.Safe:
		return noIdempotencyKey
	case req.Body != nil && req.Body != http.NoBody && req.GetBody == nil:
		if st.bodyNote == "" {
			st.bodyNote = bodyNotReplayable.String(st.method)
		}
		return bodyNotReplayable
	}
	return mayRetry
}

func (r *retrier) roundTrip(st *callState, req *http.Request) (*http.Response, error) {
	rs := &st.retry
	if rs.never != mayRetry {
		// One attempt, without go-retryablehttp.
		resp, err := r.c.hc.Do(req)
		if req.Context().Err() == nil {
			rs.transient = st.s.record(resp, err)
		}
		return resp, err
	}
	if st.s.retry.MaxElapsed > 0 {
		rs.started = st.s.sleeper.Now()
	}
	resp, err := r.rc.Do(&retryablehttp.Request{Request: req})
	if err != nil && rs.pending {
		// The wait before a retry was cut short, or the body could not be
		// replayed: the last attempt's outcome was already read.
		if rs.stoppedBy == nil {
			rs.stoppedBy = err // go-retryablehttp saw the context end
			rs.reason = "the context ended before the next attempt"
		}
		return nil, st.retryError(rs.last)
	}
	return resp, err
}

// roundTripLimited runs the call under RetryPolicy.MaxElapsed.
func (r *retrier) roundTripLimited(st *callState, req *http.Request, d time.Duration) (*http.Response, error) {
	resp, timedOut, err := untilHeaders(RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
		return r.roundTrip(st, req)
	}), req, d)
	if !timedOut {
		return resp, err
	}
	rs := &st.retry
	rs.transient = true
	rs.reason = "the retry policy's MaxElapsed of " + d.String() + " passed"
	te := &AttemptTimeoutError{After: d, Overall: true}
	if rs.pending {
		// It passed during a wait: the last attempt's outcome stands.
		rs.stoppedBy = te
		return nil, st.retryError(rs.last)
	}
	rs.stoppedBy = nil
	return nil, te
}

// record classifies an attempt's outcome, reports whether it failed
// transiently, and accounts for it in the retry budget.
func (s *settings) record(resp *http.Response, err error) bool {
	var transient bool
	if err != nil {
		transient = retryableError(err)
	} else {
		transient = retryableStatus(resp.StatusCode)
	}
	if b := s.retryBudget; b != nil {
		switch {
		case transient:
			b.failed()
		case err == nil:
			b.succeeded()
		}
	}
	return transient
}

// checkRetry decides after each attempt. ctx is the request's context,
// which carries the call's state. It never returns an error: when it stops,
// the attempt's outcome is the call's, and the reason is in the state.
func (r *retrier) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	st := stateFrom(ctx)
	if st == nil {
		return false, nil
	}
	rs := &st.retry
	if ctx.Err() != nil {
		// The caller gave up, or MaxElapsed passed: never retry, and the
		// outcome says nothing about the service.
		rs.transient = false
		rs.reason = "the context ended"
		return false, nil
	}
	rs.transient = st.s.record(resp, err)
	if !rs.transient && resp != nil && resp.StatusCode == http.StatusConflict && st.key != "" && rs.unanswered {
		rs.transient = true // the key is in use by an earlier attempt, most likely
	}
	if err != nil {
		rs.unanswered = true
	}
	if !rs.transient {
		return false, nil
	}
	p := &st.s.retry
	attempt := int(st.attempt.Load())
	if attempt > p.MaxRetries {
		rs.reason = strconv.Itoa(p.MaxRetries) + plural(p.MaxRetries, " retry", " retries") + " used"
		return false, nil
	}
	delay := backoff(p, attempt)
	if resp != nil {
		if asked, header, ok := serverDelay(resp, st.s.sleeper.Now()); ok {
			if asked > p.MaxRetryAfter {
				tl := &RetryAfterTooLongError{Header: header, Requested: asked, Max: p.MaxRetryAfter}
				rs.stoppedBy = tl
				rs.reason = tl.Error()
				return false, nil
			}
			delay = max(delay, asked)
		}
	}
	if p.MaxElapsed > 0 {
		if end := st.s.sleeper.Now().Add(delay); end.After(rs.started.Add(p.MaxElapsed)) {
			rs.reason = fmt.Sprintf("the wait of %s before the next attempt would pass the retry policy's MaxElapsed of %s", delay.Round(time.Millisecond), p.MaxElapsed)
			return false, nil
		}
	}
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < delay {
			rs.reason = fmt.Sprintf("the wait of %s before the next attempt would pass the context's deadline, %s away", delay.Round(time.Millisecond), left.Round(time.Millisecond))
			return false, nil
		}
	}
	if b := st.s.retryBudget; b != nil && !b.allow() {
		rs.reason = "the retry budget is exhausted"
		return false, nil
	}
	// Keep what the failed attempt said: go-retryablehttp drains the body
	// before the next attempt.
	if resp != nil {
		rs.lastResp = r.c.apiError(st, resp.Request, resp)
		rs.last = rs.lastResp
	} else {
		rs.last = st.client.wrapError(st.op, rs.req, err)
	}
	rs.nextDelay = delay
	rs.pending = true
	ev := RetryEvent{Operation: st.op.ID, Attempt: attempt, Delay: delay, Err: err}
	if resp != nil {
		ev.StatusCode = resp.StatusCode
	}
	if ev.Err != nil {
		ev.Err = unwrapURLError(ev.Err)
	}
	for _, f := range st.s.onRetry {
		f(ev)
	}
	if st.s.logger != nil {
		r.c.logRetry(st, ev)
	}
	return true, nil
}

// prepareRetry runs before each retry: it waits the chosen delay on the
// injected sleeper (go-retryablehttp's own timer got zero) and replays the
// body from GetBody.
func (r *retrier) prepareRetry(req *http.Request) error {
	st := stateFrom(req.Context())
	if st == nil {
		return nil
	}
	rs := &st.retry
	d := rs.nextDelay
	sl := st.s.sleeper
	var start time.Time
	if d > 0 {
		start = sl.Now()
	}
	if err := sl.Sleep(req.Context(), d); err != nil {
		if d > 0 {
			rs.totalWait += min(max(sl.Now().Sub(start), 0), d)
		}
		rs.stoppedBy = err
		rs.reason = "the context ended while waiting " + d.Round(time.Millisecond).String() + " before the next attempt"
		return err
	}
	rs.totalWait += d
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			rs.stoppedBy = fmt.Errorf("replaying the request body: %w", err)
			rs.reason = "the request body could not be replayed: " + err.Error()
			return err
		}
		req.Body = body
	}
	rs.pending = false
	st.attempt.Add(1)
	return nil
}

// retryOutcome is the error of a call, given the error it failed with: a
// [*RetryError] when the retry layer retried or chose not to retry a
// transient failure, err itself otherwise.
func (st *callState) retryOutcome(err error) error {
	rs := &st.retry
	if !rs.ran || st.attempt.Load() <= 1 && !rs.transient {
		return err
	}
	var re *RetryError
	if errors.As(err, &re) {
		return err
	}
	return st.retryError(err)
}

// retryError builds the RetryError of the call, whose last attempt failed
// with last.
func (st *callState) retryError(last error) *RetryError {
	rs := &st.retry
	re := &RetryError{
		Operation: st.op.ID,
		Attempts:  int(st.attempt.Load()),
		TotalWait: rs.totalWait,
		Reason:    rs.reason,
		Err:       last,
		StoppedBy: rs.stoppedBy,
	}
	var ae *APIError
	if !errors.As(last, &ae) {
		ae = rs.lastResp
	}
	if ae != nil {
		re.LastStatus, re.LastBody = ae.StatusCode, ae.Body
	}
	switch {
	case rs.never == bodyNotReplayable:
		re.Reason = st.bodyNote
		re.StoppedBy = ErrBodyNotReplayable
	case rs.never != mayRetry:
		re.Reason = rs.never.String(st.method)
	case re.Reason != "":
	case ae != nil && ae == last:
		// Retried, then failed for good.
		re.Reason = "status " + strconv.Itoa(ae.StatusCode) + " is not retried"
	default:
		re.Reason = "the error is not retried"
	}
	return re
}

// idempotentMethod reports the methods RFC 9110 defines as idempotent.
func idempotentMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
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
// the connection was refused, reset or closed before a response, a dial, a
// TLS handshake or an attempt timed out (ours, the Transport's
// ResponseHeaderTimeout, the http.Client's Timeout), DNS timed out.
// Cancellation, certificate, pinning and TLS version errors, unknown hosts
// and malformed requests are final. It is only asked while the caller's
// context is alive, so a deadline seen here is one of a lower layer, never
// the caller's.
func retryableError(err error) bool {
	var ate *AttemptTimeoutError
	if errors.As(err, &ate) {
		return !ate.Overall // our own per-attempt timeout
	}
	var ue *UploadError
	if errors.As(err, &ue) {
		return false // the body's source failed, not the server
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true // net/http's header and client timeouts, dial timeouts
	}
	var certErr *tls.CertificateVerificationError
	var pinErr *PinError
	var versionErr *TLSVersionError
	if errors.As(err, &certErr) || errors.As(err, &pinErr) || errors.As(err, &versionErr) {
		return false // the server's TLS will not change on the next try
	}
	var recordErr tls.RecordHeaderError
	if errors.As(err, &recordErr) {
		return false // not TLS at all: plain http to an https port, say
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.IsTimeout || dnsErr.IsTemporary
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
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

// Backoff returns a wait before retry n (1 for the first retry), drawn as
// the retry layer draws it: uniformly below min(MaxDelay, BaseDelay·2^(n-1))
// ("full jitter"), with zero fields taking the values of
// [DefaultRetryPolicy]. Connectors that retry by themselves (WebSocket
// reconnects) use it so that one policy value governs both.
func (p RetryPolicy) Backoff(n int) time.Duration {
	np := p.normalized()
	return backoff(&np, max(n, 1))
}

// backoff is the full-jitter exponential wait before retry n (1-based):
// uniform in [0, min(MaxDelay, BaseDelay·2^(n-1))).
func backoff(p *RetryPolicy, n int) time.Duration {
	bound := p.BaseDelay
	if bound <= 0 {
		return 0
	}
	for i := 1; i < n && bound < p.MaxDelay; i++ {
		if bound > p.MaxDelay/2 {
			bound = p.MaxDelay
			break
		}
		bound *= 2
	}
	if p.MaxDelay > 0 && bound > p.MaxDelay {
		bound = p.MaxDelay
	}
	return time.Duration(mrand.Int64N(int64(bound)))
}

// serverDelay reads how long the server asked to wait, and in which
// header: Retry-After-Ms (milliseconds, as OpenAI's and Anthropic's APIs
// send), Retry-After (seconds or an HTTP date, RFC 9110), or
// RateLimit-Reset (seconds, the IETF RateLimit fields draft; a value that
// looks like a Unix time is taken as one), the last only when the status is
// 429 or RateLimit-Remaining is 0, since servers send it on every response.
// A wait too long for a time.Duration is the longest one (which the retry
// policy then refuses), never a wrapped-around or ignored value.
func serverDelay(resp *http.Response, now time.Time) (time.Duration, string, bool) {
	h := resp.Header
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		// Whole milliseconds are converted exactly (a float64 holds only
		// 53 bits); ParseFloat reports a value too large for a float64 as
		// +Inf with ErrRange: still a (very long) wait.
		if ms, ok := wait.Number(v); ok {
			if ms > math.MaxInt64/int64(time.Millisecond) {
				return time.Duration(math.MaxInt64), "Retry-After-Ms", true
			}
			return time.Duration(ms) * time.Millisecond, "Retry-After-Ms", true
		}
		if ms, err := strconv.ParseFloat(v, 64); (err == nil || errors.Is(err, strconv.ErrRange)) && ms >= 0 {
			return millisDuration(ms), "Retry-After-Ms", true
		}
	}
	if d, ok := wait.RetryAfter(h.Get("Retry-After"), now); ok {
		return d, "Retry-After", true
	}
	if v := strings.TrimSpace(h.Get("Ratelimit-Reset")); v != "" &&
		(resp.StatusCode == http.StatusTooManyRequests || strings.TrimSpace(h.Get("Ratelimit-Remaining")) == "0") {
		if secs, ok := wait.Number(v); ok {
			switch {
			case secs > 1<<40:
				// A Unix time some 30,000 years away, past what
				// time.Unix can hold without wrapping around.
				return time.Duration(math.MaxInt64), "RateLimit-Reset", true
			case secs > 1_000_000_000: // a Unix time, not a delay
				return max(time.Unix(secs, 0).Sub(now), 0), "RateLimit-Reset", true
			}
			return wait.Seconds(secs), "RateLimit-Reset", true
		}
	}
	return 0, "", false
}

// millisDuration converts a non-negative number of milliseconds,
// saturating: float64 to int64 conversion of a value out of range is not
// defined (on amd64 it gives the most negative int64).
func millisDuration(ms float64) time.Duration {
	ns := ms * float64(time.Millisecond)
	if ns >= math.MaxInt64 { // float64(MaxInt64) is 2^63, itself out of range
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(ns)
}

// prepareIdempotency gives calls that may only be retried with an
// Idempotency-Key (POST, PATCH and the other methods that are not
// idempotent) their key, once per logical call, so every attempt sends the
// same: the caller's (WithIdempotencyKey, or a header), or a fresh one when
// the operation is idempotent (x-sdkgen-idempotent, WithIdempotent(true)).
func (c *Client) prepareIdempotency(req *http.Request, st *callState) {
	if idempotentMethod(req.Method) || st.op.Safe {
		return
	}
	if k := req.Header.Get("Idempotency-Key"); k != "" {
		st.key = k // set by the caller through WithHeader, or a parameter
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
