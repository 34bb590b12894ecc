package sdk

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// The retry layer (layer 3). go-retryablehttp runs the loop of attempts;
// the SDK decides after each attempt whether and when to retry (decide),
// waits and replays the body before the next (prepareRetry), and types the
// outcome (retryError). The policy itself — what is retried, the backoff,
// Retry-After, the quota — is in retry.go.

// retrier is the retry layer.
type retrier struct {
	c  *Client
	rc *retryablehttp.Client
}

func newRetrier(c *Client) http.RoundTripper {
	r := &retrier{c: c}
	hc := *c.hc
	hc.Transport = noCloseIdle{hc.Transport}
	// Every seam of go-retryablehttp is set, each for the reason beside it
	// (the traps are recorded in the workplace's TRAPS.md).
	r.rc = &retryablehttp.Client{
		// It calls CloseIdleConnections on its client after failures: it
		// gets a copy of ours whose Transport hides that method, so a
		// caller's connections are never closed.
		HTTPClient: &hc,
		// Its default logger writes to stderr; the SDK logs retries itself
		// (WithLogger).
		Logger: nil,
		// The call's policy, not a count of the client's, says when to stop.
		RetryMax: math.MaxInt32,
		// It sees neither the request nor the call, only the request's
		// context: the call's state travels there.
		CheckRetry: r.checkRetry,
		// Its Backoff has no context and sleeps on a real timer: it waits
		// nothing, and prepareRetry waits on the call's Sleeper, which ends
		// with the context.
		Backoff: func(time.Duration, time.Duration, int, *http.Response) time.Duration { return 0 },
		// Its FromRequest buffers a body whole: the *http.Request goes in as
		// it is, and prepareRetry gives each retry a fresh body from
		// GetBody, streamed.
		PrepareRetry: r.prepareRetry,
		// Its give-up error is an untyped string, and without a handler the
		// last response is drained and lost: the last outcome comes back for
		// the SDK to type.
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

// retryState is the retry layer's bookkeeping for one call, in callState.
// Only the goroutine running the call touches it.
type retryState struct {
	attempt int           // 1-based
	key     string        // the Idempotency-Key every attempt carries, if any
	note    string        // why the body cannot be replayed, when it cannot
	req     *http.Request // the call's request; nil until the layer runs
	never   noRetry       // why the call may not be retried at all
	started time.Time     // on the sleeper's clock, for MaxElapsed
	wait    time.Duration // before the next attempt, once decided
	waited  time.Duration // in all
	cost    int           // what the last retry took from the quota
	// transient: the last attempt failed transiently; unanswered: an
	// attempt got no response, so the server may still be running it.
	transient, unanswered bool
	reason                string // why retrying stopped, when not never
	stoppedBy             error
	// last is the failed attempt's typed error while its retry is pending
	// (nil otherwise); lastResp the last response that was retried.
	last     error
	lastResp *APIError
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

func (r *retrier) RoundTrip(req *http.Request) (*http.Response, error) {
	st := stateFrom(req.Context())
	if st == nil {
		return r.c.hc.Do(req)
	}
	rs := &st.retry
	rs.req, rs.never = req, never(st, req)
	if d := st.s.retry.MaxElapsed; d > 0 {
		return r.roundTripLimited(st, req, d)
	}
	return r.roundTrip(st, req)
}

// never says whether the call may be retried at all.
func never(st *callState, req *http.Request) noRetry {
	rs := &st.retry
	switch {
	case st.s.retry.MaxRetries == 0:
		return retriesDisabled
	case st.s.idempotent != nil && !*st.s.idempotent:
		return markedNotIdempotent
	case !idempotentMethod(req.Method) && rs.key == "" && !st.op.Safe:
		return noIdempotencyKey
	case req.Body != nil && req.Body != http.NoBody && req.GetBody == nil:
		if rs.note == "" {
			rs.note = bodyNotReplayable.String(req.Method)
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
			if rs.transient = transientOutcome(resp, err); !rs.transient && err == nil {
				st.answered()
			}
		}
		return resp, err
	}
	if st.s.retry.MaxElapsed > 0 {
		rs.started = st.s.sleeper.Now()
	}
	resp, err := r.rc.Do(&retryablehttp.Request{Request: req})
	if err != nil && rs.last != nil {
		// The wait before a retry was cut short, or the body could not be
		// replayed: the failed attempt's outcome stands.
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
	if rs.last != nil {
		// It passed during a wait: the failed attempt's outcome stands.
		rs.stoppedBy = te
		return nil, st.retryError(rs.last)
	}
	rs.stoppedBy = nil
	return nil, te
}

// checkRetry is go-retryablehttp's CheckRetry: ctx is the request's
// context, which carries the call. It never returns an error: when it
// stops, the attempt's outcome is the call's, and the reason is in the
// state.
func (r *retrier) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	st := stateFrom(ctx)
	if st == nil {
		return false, nil
	}
	delay, retry := st.decide(ctx, resp, err)
	if !retry {
		return false, nil
	}
	// Keep what the failed attempt said: go-retryablehttp drains the body
	// before the next attempt.
	rs := &st.retry
	if resp != nil {
		rs.lastResp = r.c.apiError(st, resp.Request, resp)
		rs.last = rs.lastResp
	} else {
		rs.last = r.c.wrapError(st.op, rs.req, err)
	}
	rs.wait = delay
	ev := RetryEvent{Operation: st.op.ID, Attempt: rs.attempt, Delay: delay, StatusCode: statusOf(resp), Err: err}
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

func statusOf(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

// decide classifies an attempt's outcome and says whether to retry it, and
// after how long: the policy of RetryPolicy, in order.
func (st *callState) decide(ctx context.Context, resp *http.Response, err error) (time.Duration, bool) {
	rs := &st.retry
	if ctx.Err() != nil {
		// The caller gave up, or MaxElapsed passed: never retry, and the
		// outcome says nothing about the service.
		rs.transient, rs.reason = false, "the context ended"
		return 0, false
	}
	rs.transient = transientOutcome(resp, err)
	if !rs.transient && resp != nil && resp.StatusCode == http.StatusConflict && rs.key != "" && rs.unanswered {
		rs.transient = true // the key is in use by an earlier attempt, most likely
	}
	if err != nil {
		rs.unanswered = true
	}
	if !rs.transient {
		if err == nil {
			st.answered()
		}
		return 0, false
	}
	p := &st.s.retry
	if rs.attempt > p.MaxRetries {
		rs.reason = strconv.Itoa(p.MaxRetries) + plural(p.MaxRetries, " retry", " retries") + " used"
		return 0, false
	}
	delay := backoff(p, rs.attempt)
	if resp != nil {
		if asked, header, ok := serverDelay(resp, st.s.sleeper.Now()); ok {
			if asked > p.MaxRetryAfter {
				tl := &RetryAfterTooLongError{Header: header, Requested: asked, Max: p.MaxRetryAfter}
				rs.stoppedBy, rs.reason = tl, tl.Error()
				return 0, false
			}
			delay = max(delay, asked)
		}
	}
	if p.MaxElapsed > 0 {
		if end := st.s.sleeper.Now().Add(delay); end.After(rs.started.Add(p.MaxElapsed)) {
			rs.reason = fmt.Sprintf("the wait of %s before the next attempt would pass the retry policy's MaxElapsed of %s", delay.Round(time.Millisecond), p.MaxElapsed)
			return 0, false
		}
	}
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < delay {
			rs.reason = fmt.Sprintf("the wait of %s before the next attempt would pass the context's deadline, %s away", delay.Round(time.Millisecond), left.Round(time.Millisecond))
			return 0, false
		}
	}
	if b := st.s.retryBudget; b != nil {
		cost := retryCost
		if isTimeout(err) {
			cost = timeoutRetryCost
		}
		if !b.acquire(cost) {
			rs.reason = "the retry budget is exhausted"
			return 0, false
		}
		rs.cost = cost
	}
	return delay, true
}

// transientOutcome reports whether an attempt failed transiently.
func transientOutcome(resp *http.Response, err error) bool {
	if err != nil {
		return retryableError(err)
	}
	return retryableStatus(resp.StatusCode)
}

// answered settles the retry quota for a call that ended with an answer:
// its last retry's cost comes back, or a token when it needed none.
func (st *callState) answered() {
	if b := st.s.retryBudget; b != nil {
		if c := st.retry.cost; c > 0 {
			b.release(c)
		} else {
			b.release(noRetryIncrement)
		}
	}
}

// prepareRetry is go-retryablehttp's PrepareRetry, run before each retry:
// it waits the decided delay on the call's Sleeper and replays the body
// from GetBody.
func (r *retrier) prepareRetry(req *http.Request) error {
	st := stateFrom(req.Context())
	if st == nil {
		return nil
	}
	rs := &st.retry
	d, sl := rs.wait, st.s.sleeper
	var start time.Time
	if d > 0 {
		start = sl.Now()
	}
	if err := sl.Sleep(req.Context(), d); err != nil {
		if d > 0 {
			rs.waited += min(max(sl.Now().Sub(start), 0), d)
		}
		rs.stoppedBy = err
		rs.reason = "the context ended while waiting " + d.Round(time.Millisecond).String() + " before the next attempt"
		return err
	}
	rs.waited += d
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			rs.stoppedBy = fmt.Errorf("replaying the request body: %w", err)
			rs.reason = "the request body could not be replayed: " + err.Error()
			return err
		}
		req.Body = body
	}
	rs.last = nil
	rs.attempt++
	return nil
}

// retryOutcome is the error of a call, given the error it failed with: a
// [*RetryError] when the retry layer retried or chose not to retry a
// transient failure, err itself otherwise.
func (st *callState) retryOutcome(err error) error {
	rs := &st.retry
	if rs.req == nil || rs.attempt <= 1 && !rs.transient {
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
		Attempts:  rs.attempt,
		TotalWait: rs.waited,
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
		re.Reason = rs.note
		re.StoppedBy = ErrBodyNotReplayable
	case rs.never != mayRetry:
		re.Reason = rs.never.String(rs.req.Method)
	case re.Reason != "":
	case ae != nil && ae == last:
		// Retried, then failed for good.
		re.Reason = "status " + strconv.Itoa(ae.StatusCode) + " is not retried"
	default:
		re.Reason = "the error is not retried"
	}
	return re
}
