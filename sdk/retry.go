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
//     is down; the client's retry quota ([RetryBudget]) stops retries
//     across its calls when they keep failing.
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

// RetryBudget is a retry quota shared by the calls of a client (or of
// several clients given the same one), as AWS SDK v2's standard retryer
// keeps one: a retry costs 5 tokens (10 after a timeout, which ties up the
// server longer) and is made only while the quota holds them; a call that
// ends with an answer (any response that is not a transient failure)
// gives back what its last retry cost, or 1 token when its first attempt
// answered. Transient failures that a retry cures so cost nothing in the
// long run, while a storm — retries that keep failing — drains the quota
// after a few retries, and calls then fail at their first attempt (with a
// [*RetryError] saying so) until answers refill it. Every client has one
// of [DefaultRetryBudget] tokens unless given another with
// [WithRetryBudget]. It is safe for concurrent use.
type RetryBudget struct {
	mu       sync.Mutex
	tokens   int
	capacity int
	allowed  int64
	denied   int64
}

// The costs of a [RetryBudget], as AWS SDK v2 sets them.
const (
	retryCost        = 5
	timeoutRetryCost = 10
	noRetryIncrement = 1
)

// DefaultRetryBudget is the capacity of the retry quota of a client that
// was not given one: 50 tokens, ten retries in a row that fail. AWS SDK v2
// gives 500 to a client that serves a whole program's calls to a cloud; a
// client of one API makes fewer, and ten retries ride out a burst of
// failures while a storm of 200 calls costs at most 210 requests, not 800.
const DefaultRetryBudget = 50

// NewRetryBudget returns a full quota of capacity tokens (capacity <= 0
// means [DefaultRetryBudget]).
func NewRetryBudget(capacity int) *RetryBudget {
	if capacity <= 0 {
		capacity = DefaultRetryBudget
	}
	return &RetryBudget{tokens: capacity, capacity: capacity}
}

// acquire takes cost tokens for a retry, and reports whether it could.
func (b *RetryBudget) acquire(cost int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tokens < cost {
		b.denied++
		return false
	}
	b.tokens -= cost
	b.allowed++
	return true
}

// release gives n tokens back, up to the capacity.
func (b *RetryBudget) release(n int) {
	b.mu.Lock()
	b.tokens = min(b.capacity, b.tokens+n)
	b.mu.Unlock()
}

// Tokens returns the tokens left.
func (b *RetryBudget) Tokens() int {
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

// isTimeout reports an attempt that timed out (ours, or net/http's).
func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return err != nil && (errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded))
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
		st.retry.key = k // set by the caller through WithHeader, or a parameter
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
	st.retry.key = key
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
