package sdk

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/internal/faultserver"
)

// keyStore is a server's Idempotency-Key store: the first request with a
// key runs (as long as its hold says), a request with the key while it
// runs gets 409, and one after it gets the first response replayed.
type keyStore struct {
	mu       sync.Mutex
	running  map[string]bool
	done     map[string][]byte
	applied  atomic.Int32
	hold     chan struct{} // the first request waits for it
	holdOnce sync.Once
	stored   chan struct{} // closed once the first request stored its response
}

func newKeyStore() *keyStore {
	return &keyStore{running: map[string]bool{}, done: map[string][]byte{}, hold: make(chan struct{}), stored: make(chan struct{})}
}

func (ks *keyStore) release() { ks.holdOnce.Do(func() { close(ks.hold) }) }

func (ks *keyStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	ks.mu.Lock()
	if body, ok := ks.done[key]; ok {
		ks.mu.Unlock()
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(body)
		return
	}
	if ks.running[key] {
		ks.mu.Unlock()
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusConflict)
		_, _ = io.WriteString(w, `{"title":"Idempotency key in use","status":409}`)
		return
	}
	ks.running[key] = true
	ks.mu.Unlock()
	// The write takes long: the client's attempt times out meanwhile, and
	// the server carries on, as servers do.
	<-ks.hold
	body := []byte(`{"id":"thing-1"}`)
	ks.applied.Add(1)
	ks.mu.Lock()
	ks.done[key], ks.running[key] = body, false
	ks.mu.Unlock()
	close(ks.stored)
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(body)
}

// A POST with an Idempotency-Key whose first attempt timed out while the
// server went on processing it gets 409 (key in use) on its retry: the
// SDK retries that 409 too, and the call ends with the first attempt's
// response replayed, not with an error that hides a write about to be
// applied. Found by the soak test (internal/soak), where a slow server made
// one keyed create in six fail this way.
func TestRetryConflictOfKeyInUse(t *testing.T) {
	ks := newKeyStore()
	srv := newFaultServer(t, faultserver.Config{Handler: ks})
	t.Cleanup(ks.release) // before the server closes, which waits for the handler
	clock := newFakeClock()
	clock.onSleep = func(n int, _ time.Duration) {
		if n == 2 { // after the 409: let the first attempt finish
			ks.release()
			<-ks.stored
		}
	}
	var attempts atomic.Int32
	c := retryClient(t, srv.URL, WithSleeper(clock), WithAttemptTimeout(100*time.Millisecond), countAttempts(&attempts))
	op, build := thing(http.MethodPost, []byte(`{"name":"x"}`), true)
	var resp *http.Response
	got, err := c.do(t.Context(), op, build, WithResponse(&resp))
	if err != nil {
		t.Fatalf("err = %v", err)
	}
	body, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if got.StatusCode != http.StatusCreated || !bytes.Equal(body, []byte(`{"id":"thing-1"}`)) || got.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("got %d %q (replayed %q)", got.StatusCode, body, got.Header.Get("Idempotent-Replayed"))
	}
	reqs := srv.Requests()
	if attempts.Load() != 3 || len(reqs) != 3 || ks.applied.Load() != 1 {
		t.Fatalf("%d attempts, %d requests, applied %d times; want 3, 3, 1", attempts.Load(), len(reqs), ks.applied.Load())
	}
	if reqs[0].IdempotencyKey == "" || reqs[1].IdempotencyKey != reqs[0].IdempotencyKey || reqs[2].IdempotencyKey != reqs[0].IdempotencyKey {
		t.Errorf("keys %q, %q, %q: want one key", reqs[0].IdempotencyKey, reqs[1].IdempotencyKey, reqs[2].IdempotencyKey)
	}
}

// A 409 stays final when no earlier attempt of the call went unanswered
// (a conflict of the request itself, or a key the caller reused), and for
// calls without an Idempotency-Key.
func TestRetryConflictStaysFinal(t *testing.T) {
	conflict := faultserver.Status(http.StatusConflict, `{"message":"taken"}`)
	for _, tc := range []struct {
		name     string
		method   string
		keyed    bool
		script   []faultserver.Step
		attempts int
	}{
		{"first attempt", http.MethodPost, true, []faultserver.Step{conflict}, 1},
		{"after a 503", http.MethodPost, true, []faultserver.Step{faultserver.Status(503, ""), conflict}, 2},
		{"PUT without key after a reset", http.MethodPut, false, []faultserver.Step{{Fault: faultserver.Reset}, conflict}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFaultServer(t, faultserver.Config{Default: okStep})
			srv.Script(tc.script...)
			var attempts atomic.Int32
			c := retryClient(t, srv.URL, WithSleeper(newFakeClock()), countAttempts(&attempts))
			op, build := thing(tc.method, []byte(`{"name":"x"}`), tc.keyed)
			_, err := c.do(t.Context(), op, build)
			var ae *APIError
			if !errors.As(err, &ae) || ae.StatusCode != http.StatusConflict || int(attempts.Load()) != tc.attempts || srv.Count() != tc.attempts {
				t.Fatalf("err = %v after %d attempts (%d requests); want a 409 after %d", err, attempts.Load(), srv.Count(), tc.attempts)
			}
			var re *RetryError
			if tc.attempts > 1 && (!errors.As(err, &re) || re.Reason != "status 409 is not retried") {
				t.Errorf("err = %v, want a RetryError saying 409 is not retried", err)
			}
		})
	}
}
