package outbox

import (
	"bytes"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/internal/wait"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

// replayKey marks the context of the queue's own calls, which the Watch
// middleware leaves alone.
type replayKey struct{}

// dispatch starts a worker for each lane whose first write may go, while
// workers are free, and sleeps until the next one may.
func (q *Queue) dispatch() {
	defer q.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		q.mu.Lock()
		var wait time.Duration = -1
		now := q.cfg.now()
		for q.busy < q.cfg.workers && len(q.ready) > 0 && !q.closed {
			l := q.ready[0]
			due := l.entries[0].next
			if q.pauseUntil.After(due) {
				due = q.pauseUntil
			}
			if d := due.Sub(now); d > 0 {
				wait = d
				break
			}
			heap.Pop(&q.ready)
			l.busy = true
			q.busy++
			q.wg.Add(1)
			go q.work(l, l.entries[0])
		}
		q.mu.Unlock()
		if wait >= 0 {
			timer.Reset(wait)
		}
		select {
		case <-q.kick:
		case <-timer.C:
		case <-q.ctx.Done():
			return
		}
		if wait >= 0 && !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// outcome is what became of one sending of a write.
type outcome uint8

const (
	outDone    outcome = iota // sent or dead: it has left the queue
	outRetry                  // failed; stays first in its lane until e.next
	outAborted                // the queue is closing: nothing changed
)

// work sends the first write of lane l, then puts the lane back.
func (q *Queue) work(l *lane, e *entry) {
	defer q.wg.Done()
	out := q.process(e)
	q.mu.Lock()
	if out == outDone {
		if len(l.entries) > 0 && l.entries[0] == e {
			l.entries = l.entries[1:]
		}
		delete(q.entries, e.id)
	}
	l.busy = false
	q.busy--
	if len(l.entries) == 0 {
		delete(q.lanes, l.name)
	} else {
		q.schedule(l)
	}
	q.mu.Unlock()
	q.wake()
}

// process sends e, with conflict resolution, and records what happened.
func (q *Queue) process(e *entry) outcome {
	if q.cfg.now().Sub(e.rec.Enqueued) >= q.cfg.retention {
		return q.kill(e, ReasonExpired, 0, fmt.Sprintf("not delivered within the retention of %s", q.cfg.retention), nil)
	}
	var body, base []byte
	err := view(q.db, func(tx *bolt.Tx) error {
		k := seqKey(e.id)
		body = slices.Clone(tx.Bucket(bucketBodies).Get(k))
		base = slices.Clone(tx.Bucket(bucketBases).Get(k))
		return nil
	})
	if err != nil {
		return q.kill(e, ReasonInvalid, 0, err.Error(), nil)
	}
	for {
		sentIfMatch := e.rec.IfMatch
		if sentIfMatch == "" && e.rec.AutoIfMatch {
			sentIfMatch = q.etags.get(pathOf(e.rec.URL))
		}
		sentBefore := e.maybeSent
		res, err := q.send(e, body, sentIfMatch)
		if q.ctx.Err() != nil {
			return outAborted
		}
		e.maybeSent = true
		if err == nil {
			return q.succeed(e, res, sentIfMatch)
		}
		f := classify(err)
		var re *sdk.RetryError
		if errors.As(err, &re) && re.Attempts > 1 {
			sentBefore = true // an earlier attempt of this sending got no answer, or a failure
		}
		switch {
		case f.status == http.StatusPreconditionFailed:
			q.emit(Event{Kind: EventConflict, Entry: e.rec.entry(e.id, e.bodyLen), Status: f.status, Err: err})
			var out outcome
			var again bool
			body, base, out, again = q.resolve(e, body, base, f)
			if !again {
				return out
			}
		case f.status == http.StatusConflict && sentBefore && e.keyInUse < maxKeyInUse:
			// The key is in use: an earlier attempt (of this process, or of
			// the one before it) may still run on the server.
			e.keyInUse++
			return q.retry(e, f, err)
		case f.invalid:
			return q.kill(e, ReasonInvalid, 0, oneLine(err.Error()), nil)
		case f.transient:
			return q.retry(e, f, err)
		default:
			return q.kill(e, ReasonRejected, f.status, f.detail(err), f.problem)
		}
	}
}

// maxKeyInUse bounds the 409s a write that may have been sent before is
// retried after: its key may be in use by an attempt still running on the
// server, which answers the others with 409 until it ends.
const maxKeyInUse = 10

// send makes one call of the write through the client's chain.
func (q *Queue) send(e *entry, body []byte, ifMatch string) (*Result, error) {
	rec := e.rec
	target, err := url.Parse(rec.URL)
	if err != nil {
		return nil, &invalidError{fmt.Errorf("the recorded URL does not parse: %w", err)}
	}
	build := func(server string) (*http.Request, error) {
		s, err := url.Parse(server)
		if err != nil || !strings.EqualFold(s.Scheme, target.Scheme) || !strings.EqualFold(s.Host, target.Host) {
			return nil, &invalidError{fmt.Errorf("the write was queued for %s://%s, and the client sends to %s", target.Scheme, target.Host, redactHost(s))}
		}
		req, err := http.NewRequest(rec.Method, rec.URL, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		for k, v := range rec.Header {
			req.Header[k] = slices.Clone(v)
		}
		req.Header.Set("Idempotency-Key", rec.Key)
		if ifMatch != "" {
			req.Header.Set("If-Match", ifMatch)
		}
		return req, nil
	}
	ctx, cancel := context.WithTimeout(context.WithValue(q.ctx, replayKey{}, true), q.cfg.sendTimeout)
	defer cancel()
	resp, err := sdkimpl.Do(ctx, q.client, rec.Op.operation(rec.Method), build)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	// The write was applied once the status arrived: a body cut short
	// changes nothing about that.
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxResultBody))
	return &Result{Status: resp.StatusCode, Header: resp.Header, Body: data,
		Replayed: resp.Header.Get("Idempotent-Replayed") == "true"}, nil
}

func redactHost(u *url.URL) string {
	if u == nil {
		return "(none)"
	}
	return u.Scheme + "://" + u.Host
}

// invalidError marks a write that cannot be sent as recorded.
type invalidError struct{ err error }

func (e *invalidError) Error() string { return e.err.Error() }
func (e *invalidError) Unwrap() error { return e.err }

// failure is a failed sending, sorted.
type failure struct {
	status     int
	transient  bool
	offline    bool // no response at all: the server cannot be reached
	invalid    bool
	retryAfter time.Duration
	problem    []byte
	apiDetail  string
}

func (f *failure) detail(err error) string {
	if f.apiDetail != "" {
		return f.apiDetail
	}
	return oneLine(err.Error())
}

// maxProblem bounds the problem+json kept with a dead write.
const maxProblem = 4 << 10

// classify sorts the error of a sending: a status the server answered
// with, and whether trying again later may help.
func classify(err error) failure {
	var ie *invalidError
	var re *sdk.RequestError
	if errors.As(err, &ie) || errors.As(err, &re) {
		return failure{invalid: true}
	}
	var ae *sdk.APIError
	if !errors.As(err, &ae) {
		// No response: the network, a timeout, a token that could not be
		// fetched. Everything may pass.
		return failure{transient: true, offline: true}
	}
	f := failure{status: ae.StatusCode}
	if ae.Problem != nil {
		f.apiDetail = oneLine(strings.TrimSpace(ae.Problem.Title + ": " + ae.Problem.Detail))
	}
	if ct, _, _ := mime.ParseMediaType(ae.Header.Get("Content-Type")); ct == "application/problem+json" && len(ae.Body) <= maxProblem {
		f.problem = slices.Clone(ae.Body)
	}
	switch s := ae.StatusCode; {
	case s == http.StatusRequestTimeout, s == http.StatusTooEarly, s == http.StatusTooManyRequests,
		s == http.StatusUnauthorized, // the client refreshed its token once already; credentials may come back
		s >= 500 && s != http.StatusNotImplemented && s != http.StatusHTTPVersionNotSupported:
		f.transient = true
		if d, ok := wait.RetryAfter(ae.Header.Get("Retry-After"), time.Now()); ok {
			f.retryAfter = d
		}
	}
	return f
}

// succeed records a write the server applied: it leaves the queue, and the
// later writes of its lane that were made against the same version (the
// same If-Match) are now made against the version it created.
func (q *Queue) succeed(e *entry, res *Result, sentIfMatch string) outcome {
	etag := res.Header.Get("ETag")
	type rebased struct {
		f    *entry
		rec  record
		base []byte
	}
	var later []rebased
	q.mu.Lock()
	for _, f := range e.lane.entries {
		if f != e && sentIfMatch != "" && f.rec.IfMatch == sentIfMatch && e.rec.Method != http.MethodDelete {
			r := rebased{f: f, rec: f.rec}
			r.rec.IfMatch = etag
			if isJSON(res) && etag != "" {
				r.base = res.Body
			}
			later = append(later, r)
		}
	}
	q.offline = 0
	q.pauseUntil = time.Time{}
	q.mu.Unlock()
	// The write leaves the file, and its successors are rebased, in one
	// transaction that the worker does not wait for: commits are made in
	// the order they are submitted, so any later change of the lane (a
	// conflict's new key) is on disk only after this one. Until it is, a
	// crash sends the write again with its key, and the server replays
	// its response: at least once, applied once.
	q.com.submit(func(tx *bolt.Tx) error {
		k := seqKey(e.id)
		for _, b := range [][]byte{bucketEntries, bucketBodies, bucketBases} {
			if err := tx.Bucket(b).Delete(k); err != nil {
				return err
			}
		}
		for _, r := range later {
			fk := seqKey(r.f.id)
			if err := putJSON(tx.Bucket(bucketEntries), fk, r.rec); err != nil {
				return err
			}
			if r.base != nil {
				if err := tx.Bucket(bucketBases).Put(fk, r.base); err != nil {
					return err
				}
			}
		}
		return nil
	})
	q.mu.Lock()
	for _, r := range later {
		r.f.rec = r.rec
	}
	q.mu.Unlock()
	// What the queue now knows of the resource's version: the ETag the
	// write returned for its path, else nothing (a write to another path
	// of the resource, an image upload, may have changed it).
	path := pathOf(e.rec.URL)
	switch {
	case e.rec.Method == http.MethodDelete:
		q.etags.forget(path)
	case etag != "" && e.rec.Method != http.MethodPost:
		q.etags.set(path, etag)
	default:
		q.etags.forget(path)
	}
	if e.rec.Resource != path {
		q.etags.forget(e.rec.Resource)
	}
	q.emit(Event{Kind: EventSent, Entry: e.rec.entry(e.id, e.bodyLen), Status: res.Status})
	q.finish(e, res, nil)
	return outDone
}

func isJSON(res *Result) bool {
	ct, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	return ct == "application/json" || strings.HasSuffix(ct, "+json")
}

func pathOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Path
	}
	return raw
}

// retry records a failed sending that may pass, and when to try again.
func (q *Queue) retry(e *entry, f failure, cause error) outcome {
	now := q.cfg.now()
	rec := e.rec
	rec.Attempts++
	rec.Sent = true
	rec.LastStatus = f.status
	rec.LastError = f.detail(cause)
	delay := q.backoff(rec.Attempts)
	if f.retryAfter > delay {
		delay = min(f.retryAfter, q.cfg.maxDelay)
	}
	rec.NextAttempt = now.Add(delay)
	err := q.com.run(func(tx *bolt.Tx) error { return putJSON(tx.Bucket(bucketEntries), seqKey(e.id), rec) })
	if err != nil && q.ctx.Err() != nil {
		return outAborted
	}
	q.mu.Lock()
	e.rec = rec
	e.maybeSent = true
	e.next = rec.NextAttempt
	if f.offline {
		q.offline++
		q.pauseUntil = now.Add(q.backoff(q.offline))
	}
	q.failFlushes(cause)
	q.mu.Unlock()
	q.emit(Event{Kind: EventRetrying, Entry: rec.entry(e.id, e.bodyLen), Status: f.status, Err: cause, Next: rec.NextAttempt})
	return outRetry
}

// backoff is the wait after the n-th failure in a row: between half and
// all of base·2ⁿ⁻¹, capped.
func (q *Queue) backoff(n int) time.Duration {
	d := q.cfg.baseDelay
	for i := 1; i < n && d < q.cfg.maxDelay; i++ {
		d *= 2
	}
	d = min(d, q.cfg.maxDelay)
	return d/2 + rand.N(d/2+1)
}

// kill moves e to the dead-letter list.
func (q *Queue) kill(e *entry, reason Reason, status int, detail string, problem []byte) outcome {
	now := q.cfg.now()
	d := deadRecord{Record: e.rec, Reason: reason, Status: status, Detail: detail, Problem: problem, At: now}
	d.Record.Sent = d.Record.Sent || e.maybeSent
	q.mu.Lock()
	q.dead++
	over := q.dead - q.cfg.maxDead
	q.mu.Unlock()
	dropped := 0
	err := q.com.run(func(tx *bolt.Tx) error {
		k := seqKey(e.id)
		if err := tx.Bucket(bucketEntries).Delete(k); err != nil {
			return err
		}
		dead := tx.Bucket(bucketDead)
		if err := putJSON(dead, k, d); err != nil {
			return err
		}
		dropped = 0
		c := dead.Cursor()
		for first, _ := c.First(); first != nil && dropped < over; first, _ = c.First() {
			fk := slices.Clone(first)
			for _, b := range [][]byte{bucketDead, bucketBodies, bucketBases} {
				if err := tx.Bucket(b).Delete(fk); err != nil {
					return err
				}
			}
			dropped++
		}
		return nil
	})
	q.mu.Lock()
	if err != nil {
		q.dead--
	} else {
		q.dead -= dropped
	}
	q.mu.Unlock()
	if err != nil && q.ctx.Err() != nil {
		return outAborted
	}
	dv := d.dead(e.id, e.bodyLen)
	q.emit(Event{Kind: EventDead, Entry: dv.Entry, Status: status, Reason: reason, Err: &DeadError{Dead: dv}})
	q.finish(e, nil, &DeadError{Dead: dv})
	return outDone
}

// resolve applies the write's conflict policy after a 412. It returns the
// body and base to send again when the write goes again at once.
func (q *Queue) resolve(e *entry, body, base []byte, f failure) ([]byte, []byte, outcome, bool) {
	policy := e.rec.Policy
	if policy == 0 {
		policy = q.cfg.policy
	}
	if policy == ServerWins {
		return nil, nil, q.kill(e, ReasonConflict, f.status, "the resource changed since the ETag the write was made against; the server's version stands", f.problem), false
	}
	if e.rec.Conflicts >= q.cfg.maxConflicts {
		return nil, nil, q.kill(e, ReasonConflict, f.status, fmt.Sprintf("conflicted %d times in a row", e.rec.Conflicts+1), f.problem), false
	}
	if q.cfg.now().Sub(e.rec.Enqueued) >= q.cfg.retention {
		return nil, nil, q.kill(e, ReasonExpired, 0, fmt.Sprintf("not delivered within the retention of %s", q.cfg.retention), nil), false
	}
	remote, etag, err := q.reread(e)
	if q.ctx.Err() != nil {
		return nil, nil, outAborted, false
	}
	if err != nil {
		rf := classify(err)
		switch {
		case rf.status == http.StatusNotFound || rf.status == http.StatusGone:
			return nil, nil, q.kill(e, ReasonConflict, f.status, "the resource changed, and reading it again found it gone", f.problem), false
		case rf.transient:
			return nil, nil, q.retry(e, rf, err), false
		default:
			return nil, nil, q.kill(e, ReasonConflict, rf.status, "reading the resource again failed: "+rf.detail(err), rf.problem), false
		}
	}
	newBody := body
	if policy == MergeChanges {
		local := body
		if e.rec.Method == http.MethodDelete {
			local = nil
		}
		merged, err := q.cfg.merge(q.ctx, Conflict{Entry: e.rec.entry(e.id, e.bodyLen), Base: base, Local: local, Remote: remote, RemoteETag: etag})
		switch {
		case errors.Is(err, ErrDrop):
			return nil, nil, q.kill(e, ReasonConflict, f.status, "dropped by the merge function; the server's version stands", f.problem), false
		case err != nil:
			return nil, nil, q.kill(e, ReasonConflict, f.status, "the merge function failed: "+oneLine(err.Error()), f.problem), false
		}
		if e.rec.Method != http.MethodDelete {
			newBody = merged
		}
	}
	// A new request: a new key, made durable before it is sent, so that a
	// crash cannot send the re-applied write under two keys.
	rec := e.rec
	rec.Key = newKey()
	rec.IfMatch = etag
	rec.AutoIfMatch = false
	rec.Conflicts++
	err = q.com.run(func(tx *bolt.Tx) error {
		k := seqKey(e.id)
		if err := putJSON(tx.Bucket(bucketEntries), k, rec); err != nil {
			return err
		}
		if err := tx.Bucket(bucketBodies).Put(k, newBody); err != nil {
			return err
		}
		return tx.Bucket(bucketBases).Put(k, remote)
	})
	if err != nil {
		if q.ctx.Err() != nil {
			return nil, nil, outAborted, false
		}
		return nil, nil, q.retry(e, failure{transient: true}, err), false
	}
	q.mu.Lock()
	e.rec = rec
	e.bodyLen = len(newBody)
	q.mu.Unlock()
	q.emit(Event{Kind: EventResolved, Entry: rec.entry(e.id, e.bodyLen)})
	return newBody, remote, 0, true
}

// reread reads the resource a write conflicted on: a GET of its path,
// through the client's chain, bypassing caches.
func (q *Queue) reread(e *entry) ([]byte, string, error) {
	rec := e.rec
	op := rec.Op.operation(http.MethodGet)
	op.ID += " (re-read after a conflict)"
	op.Idempotent = false
	ctx, cancel := context.WithTimeout(context.WithValue(q.ctx, replayKey{}, true), q.cfg.sendTimeout)
	defer cancel()
	resp, err := sdkimpl.Do(ctx, q.client, op, func(string) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodGet, rec.URL, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Cache-Control", "no-cache")
		if a := rec.Header.Get("Accept"); a != "" {
			req.Header.Set("Accept", a)
		}
		return req, nil
	})
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, q.cfg.maxBody))
	if err != nil {
		return nil, "", err
	}
	return body, resp.Header.Get("ETag"), nil
}

// oneLine makes text fit a line of a list: no line breaks, bounded.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:297] + "..."
	}
	return s
}

// Flush sends the writes queued before it now, without waiting for their
// backoff, and returns when they have all left the queue (sent, or dead),
// or with a [*FlushError] as soon as one fails for a reason that may pass
// (the queue keeps it and tries again on its timer), or with ctx's error.
func (q *Queue) Flush(ctx context.Context) error {
	q.mu.Lock()
	switch {
	case q.closed:
		q.mu.Unlock()
		return ErrClosed
	case q.client == nil:
		q.mu.Unlock()
		return ErrNotStarted
	}
	f := &flushWaiter{done: make(chan struct{})}
	for id := range q.entries {
		f.target = max(f.target, id)
		f.remaining++
	}
	if f.remaining == 0 {
		q.mu.Unlock()
		return nil
	}
	q.flushes = append(q.flushes, f)
	q.resetBackoff()
	q.mu.Unlock()
	q.wake()
	select {
	case <-f.done:
		if f.err != nil {
			return f.err
		}
		// The writes have left the queue; their removal from the file may
		// still be on its way (see succeed): wait for it.
		if err := q.com.run(func(*bolt.Tx) error { return nil }); err != nil && !errors.Is(err, errClosed) {
			return err
		}
		return nil
	case <-ctx.Done():
		q.mu.Lock()
		q.flushes = slices.DeleteFunc(q.flushes, func(x *flushWaiter) bool { return x == f })
		q.mu.Unlock()
		return ctx.Err()
	}
}

// failFlushes ends the flushes under way with a *FlushError. q.mu is held.
func (q *Queue) failFlushes(cause error) {
	for _, f := range q.flushes {
		f.err = &FlushError{Pending: f.remaining, Err: cause}
		close(f.done)
	}
	q.flushes = nil
}

// resetBackoff makes every queued write due now. q.mu is held.
func (q *Queue) resetBackoff() {
	now := q.cfg.now()
	q.pauseUntil = time.Time{}
	q.offline = 0
	for _, l := range q.ready {
		l.entries[0].next = now
	}
	heap.Init(&q.ready)
}

// minTrigger is the least time between two syncs triggered by successful
// calls, so that a busy application does not hammer a failing write.
const minTrigger = time.Second

// trigger is called after a successful call of the client: the server can
// be reached, so writes waiting on backoff go now.
func (q *Queue) trigger() {
	q.mu.Lock()
	now := q.cfg.now()
	if q.client == nil || len(q.ready) == 0 || now.Sub(q.lastTrigger) < minTrigger {
		q.mu.Unlock()
		return
	}
	q.lastTrigger = now
	waiting := q.pauseUntil.After(now)
	for _, l := range q.ready {
		waiting = waiting || l.entries[0].next.After(now)
	}
	if waiting {
		q.resetBackoff()
	}
	q.mu.Unlock()
	if waiting {
		q.wake()
	}
}

// Watch returns the option that lets the queue learn from a client's
// calls; give it to the client's NewClient (the queue's own sends skip
// it). After every call that got an answer from the server (any status
// but 5xx and 429) it starts the writes that wait on backoff; from every
// 2xx response to a GET, HEAD, PUT or PATCH it remembers the ETag of the
// path, which a later PUT, PATCH or DELETE of that path queued without an
// If-Match of its own carries (see [IfMatch]); a DELETE makes it forget.
// The cache's responses count: what an application shows is what it
// saw.
func (q *Queue) Watch() sdk.Option {
	return sdk.WithMiddleware(func(next http.RoundTripper) http.RoundTripper {
		return sdk.RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
			resp, err := next.RoundTrip(req)
			if err != nil || req.Context().Value(replayKey{}) != nil {
				return resp, err
			}
			q.observe(req, resp)
			return resp, err
		})
	})
}

func (q *Queue) observe(req *http.Request, resp *http.Response) {
	s := resp.StatusCode
	if s < 200 || s > 299 {
		if s < 500 && s != http.StatusTooManyRequests {
			q.trigger()
		}
		return
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPatch:
		if etag := resp.Header.Get("ETag"); etag != "" {
			q.etags.set(req.URL.Path, etag)
		}
	case http.MethodDelete:
		q.etags.forget(req.URL.Path)
	}
	q.trigger()
}
