package outbox_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/internal/faultserver"
	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/outbox"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

// A queued write keeps what the call built, minus credentials, and is
// sent later with the client's fresh credentials and its one key.
func TestEnqueueKeepsNoCredentials(t *testing.T) {
	srv := newItems()
	hs := serve(t, srv)
	const (
		bearer  = "bearer-secret-4b1d7"
		apiKey  = "apikey-secret-9c2e"
		query   = "query-secret-77aa"
		session = "session-secret-e3f0"
		custom  = "custom-secret-5a5a"
	)
	var logs bytes.Buffer
	c := newClient(t, hs.URL,
		sdk.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		sdk.WithLogHeaders("Authorization", "X-Api-Key", "X-Custom-Auth", "Idempotency-Key"),
		sdk.WithBearerToken(bearer),
		sdk.WithAPIKey(sdk.InHeader, "X-Custom-Auth", custom),
		sdk.WithAPIKey(sdk.InQuery, "api_key", query),
		sdk.WithHeader("X-Api-Key", apiKey),
		sdk.WithHeader("X-Tenant", "acme"))
	q, path := open(t)
	h := enqueue(t, q, write(c, opPut, "a", map[string]any{"name": "lamp"},
		"X-Session-Token", session, "X-Trace", "t-1", "Cookie", "sid="+session),
		outbox.Label("create the lamp"))
	if got := srv.received(); len(got) != 0 {
		t.Fatalf("the server got %d requests while the write was queued", len(got))
	}
	pending, err := q.Pending()
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending %v %v", pending, err)
	}
	e := pending[0]
	if e.ID != h.ID || e.Key != h.Key || e.Key == "" || e.Method != http.MethodPut || e.URL != hs.URL+"/items/a" ||
		e.Resource != "/items/a" || e.Label != "create the lamp" || e.Operation != "putItem" || e.BodySize == 0 {
		t.Fatalf("entry %+v", e)
	}
	// The client's own headers are not the call's: they come back with
	// every send. The call's credential-looking ones are dropped.
	if want := []string{"Cookie", "X-Api-Key", "X-Session-Token"}; !slices.Equal(e.DroppedHeaders, want) {
		t.Errorf("dropped %v, want %v", e.DroppedHeaders, want)
	}
	if found := fileHas(t, path, bearer, apiKey, query, session, custom); len(found) != 0 {
		t.Fatalf("the queue's file holds %q", found)
	}
	if err := q.Start(c); err != nil {
		t.Fatal(err)
	}
	res, err := wait(t, h)
	if err != nil || res.Status != http.StatusCreated || res.Header.Get("ETag") != `"1"` {
		t.Fatalf("result %+v %v", res, err)
	}
	reqs := srv.received()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Header.Get("Authorization") != "Bearer "+bearer || r.Header.Get("X-Custom-Auth") != custom ||
		r.URL.Query().Get("api_key") != query || r.Header.Get("X-Api-Key") != apiKey || r.Header.Get("X-Tenant") != "acme" ||
		r.Header.Get("X-Trace") != "t-1" || r.Header.Get("Idempotency-Key") != h.Key || r.Header.Get("X-Session-Token") != "" {
		t.Fatalf("sent headers %v, query %q", r.Header, r.URL.RawQuery)
	}
	if fields, v := srv.get("a"); v != 1 || fields["name"] != "lamp" {
		t.Fatalf("item %v v%d", fields, v)
	}
	// The send was logged by the client, redacted as its own calls are.
	if !strings.Contains(logs.String(), "operation=putItem") || !strings.Contains(logs.String(), h.Key) {
		t.Fatalf("no log of the send:\n%s", logs.String())
	}
	for _, s := range []string{bearer, apiKey, query, custom} {
		if strings.Contains(logs.String(), s) {
			t.Fatalf("the log holds %q:\n%s", s, logs.String())
		}
	}
	if q.Len() != 0 {
		t.Fatalf("%d writes still queued", q.Len())
	}
}

// What the queue cannot keep, it refuses: a secret in the query the call
// set itself, a read, a call that makes no request.
func TestEnqueueRefuses(t *testing.T) {
	c := newClient(t, "http://127.0.0.1:1")
	q, _ := open(t, outbox.WithMaxBody(1<<20))
	_, err := q.Enqueue(t.Context(), func(ctx context.Context, opts ...sdk.Option) error {
		_, err := sdkimpl.Do(ctx, c, opPatch, func(server string) (*http.Request, error) {
			return http.NewRequest(http.MethodPatch, server+"items/a?access_token=leak", strings.NewReader("{}"))
		}, opts...)
		return err
	})
	var ce *outbox.CredentialError
	if !errors.As(err, &ce) || ce.Where != "query parameter access_token" || strings.Contains(err.Error(), "leak") {
		t.Errorf("secret query: %v", err)
	}
	_, err = q.Enqueue(t.Context(), func(ctx context.Context, opts ...sdk.Option) error {
		_, err := sdkimpl.Do(ctx, c, opGet, func(server string) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, server+"items/a", nil)
		}, opts...)
		return err
	})
	var ee *outbox.EnqueueError
	if !errors.As(err, &ee) || ee.Operation != "getItem" || !strings.Contains(ee.Reason, "GET is not a write") {
		t.Errorf("read: %v", err)
	}
	_, err = q.Enqueue(t.Context(), func(context.Context, ...sdk.Option) error { return nil })
	if !errors.As(err, &ee) || !strings.Contains(ee.Reason, "no request") {
		t.Errorf("no request: %v", err)
	}
	boom := errors.New("boom")
	_, err = q.Enqueue(t.Context(), func(context.Context, ...sdk.Option) error { return boom })
	if !errors.As(err, &ee) || !errors.Is(err, boom) {
		t.Errorf("failed call: %v", err)
	}
	_, err = q.Enqueue(t.Context(), write(c, opPut, "a", map[string]any{"big": strings.Repeat("x", 2<<20)}))
	if !errors.As(err, &ee) || !strings.Contains(ee.Reason, "larger than") {
		t.Errorf("big body: %v", err)
	}
	if p, err := q.Pending(); err != nil || len(p) != 0 {
		t.Fatalf("pending after refusals: %v %v", p, err)
	}
	if _, err := outbox.Open(t.TempDir()+"/x.db", outbox.WithRetention(24*time.Hour), outbox.WithKeyLifetime(24*time.Hour)); err == nil {
		t.Error("a retention as long as the key lifetime was accepted")
	} else if oe := new(outbox.OptionError); !errors.As(err, &oe) || oe.Option != "WithRetention" {
		t.Errorf("retention: %v", err)
	}
	if _, err := outbox.Open(t.TempDir()+"/y.db", outbox.WithConflictPolicy(outbox.MergeChanges)); err == nil {
		t.Error("MergeChanges without a merge function was accepted")
	}
}

// Writes to one resource go in order, one at a time; writes to other
// resources go meanwhile.
func TestOrderPerResource(t *testing.T) {
	srv := newItems()
	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	srv.hold = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/items/slow" && r.Method == http.MethodPut {
			once.Do(func() {
				close(held)
				<-release
			})
		}
		return false
	}
	hs := serve(t, srv)
	c := newClient(t, hs.URL)
	q, _ := open(t, outbox.WithWorkers(4))
	var slow []*outbox.Handle
	for i := range 5 {
		slow = append(slow, enqueue(t, q, write(c, opPut, "slow", map[string]any{"n": i})))
	}
	var fast []*outbox.Handle
	for i := range 5 {
		fast = append(fast, enqueue(t, q, write(c, opPut, "fast"+string(rune('0'+i)), map[string]any{"n": i})))
	}
	if err := q.Start(c); err != nil {
		t.Fatal(err)
	}
	for _, h := range fast {
		if _, err := wait(t, h); err != nil {
			t.Fatal(err)
		}
	}
	// The first write of "slow" is still held (the fast ones may all be
	// done before it arrives): none of the others went.
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("the first write to /items/slow never arrived")
	}
	n := 0
	for _, r := range srv.received() {
		if r.URL.Path == "/items/slow" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d requests to /items/slow while its first was held", n)
	}
	close(release)
	for _, h := range slow {
		if _, err := wait(t, h); err != nil {
			t.Fatal(err)
		}
	}
	var order []string
	for _, a := range srv.appliedWrites() {
		if a.path == "/items/slow" {
			order = append(order, a.body)
		}
	}
	want := []string{`{"n":0}`, `{"n":1}`, `{"n":2}`, `{"n":3}`, `{"n":4}`}
	if !slices.Equal(order, want) {
		t.Fatalf("order %v", order)
	}
}

// A write whose response is lost after the server applied it is sent
// again with the same key, and the server applies it once.
func TestResponseLostAfterCommit(t *testing.T) {
	srv := newItems()
	fs := faultserver.New(faultserver.Config{Handler: srv})
	t.Cleanup(fs.Close)
	fs.Script(
		faultserver.Step{Fault: faultserver.Reset, AfterHandler: true},
		faultserver.Step{Fault: faultserver.CloseBeforeResponse, AfterHandler: true},
	)
	c := newClient(t, fs.URL, sdk.WithoutRetries())
	var ev events
	q, _ := open(t, outbox.WithOnEvent(ev.add))
	h := enqueue(t, q, write(c, opPatch, "a", map[string]any{"n": 1}))
	srv.set("a", map[string]any{"n": 0})
	if err := q.Start(c); err != nil {
		t.Fatal(err)
	}
	res, err := wait(t, h)
	if err != nil || !res.Replayed || res.Status != http.StatusOK {
		t.Fatalf("result %+v %v", res, err)
	}
	if got := srv.appliedWrites(); len(got) != 1 || got[0].key != h.Key {
		t.Fatalf("applied %+v", got)
	}
	keys := map[string]int{}
	for _, r := range fs.Requests() {
		keys[r.IdempotencyKey]++
	}
	if len(keys) != 1 || keys[h.Key] != 3 {
		t.Fatalf("keys sent %v", keys)
	}
	if k := ev.kinds(h.ID); !slices.Equal(k, []string{"queued", "retrying", "retrying", "sent"}) {
		t.Fatalf("events %v", k)
	}
}

// A write the server rejects goes to the dead-letter list with the
// reason; it can be sent again as a new write, or discarded.
func TestDeadLetter(t *testing.T) {
	srv := newItems()
	hs := serve(t, srv)
	c := newClient(t, hs.URL)
	q, _ := open(t)
	if err := q.Start(c); err != nil {
		t.Fatal(err)
	}
	bad := enqueue(t, q, write(c, opPut, "a", map[string]any{"invalid": true}), outbox.Label("bad"))
	after := enqueue(t, q, write(c, opPut, "a", map[string]any{"ok": true}))
	_, err := wait(t, bad)
	var de *outbox.DeadError
	if !errors.As(err, &de) || de.Dead.Reason != outbox.ReasonRejected || de.Dead.Status != http.StatusUnprocessableEntity ||
		de.Dead.Detail != "Unprocessable Entity: a field is invalid" || !strings.Contains(string(de.Dead.Problem), `"status":422`) || !de.Dead.Sent {
		t.Fatalf("dead: %+v", err)
	}
	// The writes after it still go.
	if _, err := wait(t, after); err != nil {
		t.Fatal(err)
	}
	dead, err := q.Dead()
	if err != nil || len(dead) != 1 || dead[0].ID != bad.ID || dead[0].Label != "bad" {
		t.Fatalf("dead list %+v %v", dead, err)
	}
	// Requeued, it is a new write with a new key (and still rejected).
	h, err := q.Requeue(bad.ID)
	if err != nil || h.ID == bad.ID || h.Key == bad.Key {
		t.Fatalf("requeue: %+v %v", h, err)
	}
	if _, err := wait(t, h); !errors.As(err, &de) {
		t.Fatalf("requeued: %v", err)
	}
	if err := q.Discard(h.ID); err != nil {
		t.Fatal(err)
	}
	if err := q.Discard(h.ID); !errors.Is(err, outbox.ErrNotFound) {
		t.Fatalf("discard twice: %v", err)
	}
	if _, err := q.Requeue(bad.ID); !errors.Is(err, outbox.ErrNotFound) {
		t.Fatalf("requeue of a requeued write: %v", err)
	}
	if dead, _ := q.Dead(); len(dead) != 0 {
		t.Fatalf("dead list after discard: %+v", dead)
	}
}

// A write older than the retention is not sent: the server may have
// forgotten its key.
func TestRetention(t *testing.T) {
	srv := newItems()
	hs := serve(t, srv)
	c := newClient(t, hs.URL)
	var mu sync.Mutex
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	q, _ := open(t, outbox.WithRetention(time.Hour), outbox.WithKeyLifetime(2*time.Hour), outbox.WithClock(clock))
	h := enqueue(t, q, write(c, opPut, "a", map[string]any{"n": 1}))
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	if err := q.Start(c); err != nil {
		t.Fatal(err)
	}
	_, err := wait(t, h)
	var de *outbox.DeadError
	if !errors.As(err, &de) || de.Dead.Reason != outbox.ReasonExpired || de.Dead.Sent {
		t.Fatalf("expired: %v", err)
	}
	if n := len(srv.received()); n != 0 {
		t.Fatalf("%d requests for an expired write", n)
	}
}

// Flush sends now, and says when the server cannot be reached; the queue
// keeps the writes, and a successful call of the client (the network is
// back) sends them without waiting for the backoff.
func TestOfflineThenBack(t *testing.T) {
	srv := newItems()
	fs := faultserver.New(faultserver.Config{Handler: srv})
	t.Cleanup(fs.Close)
	fs.Down()
	q, _ := open(t, outbox.WithBackoff(time.Hour, time.Hour))
	c := newClient(t, fs.URL, q.Watch())
	if err := q.Start(c); err != nil {
		t.Fatal(err)
	}
	var hs []*outbox.Handle
	for i := range 3 {
		hs = append(hs, enqueue(t, q, write(c, opPut, "a", map[string]any{"n": i})))
	}
	err := q.Flush(t.Context())
	var fe *outbox.FlushError
	if !errors.As(err, &fe) || fe.Pending != 3 {
		t.Fatalf("flush while down: %v", err)
	}
	p, _ := q.Pending()
	if len(p) != 3 || p[0].Attempts != 1 || !p[0].Sent || p[0].NextAttempt.IsZero() {
		t.Fatalf("pending %+v", p)
	}
	if err := fs.Up(); err != nil {
		t.Fatal(err)
	}
	srv.set("b", map[string]any{"other": true})
	get(t, c, "b") // a successful call: the queue goes now, not in an hour
	for _, h := range hs {
		if _, err := wait(t, h); err != nil {
			t.Fatal(err)
		}
	}
	if fields, v := srv.get("a"); v != 3 || fields["n"] != float64(2) {
		t.Fatalf("item %v v%d", fields, v)
	}
	if err := q.Flush(t.Context()); err != nil {
		t.Fatalf("flush of an empty queue: %v", err)
	}
}

// Writes survive the queue's closing and are sent by the next process
// that opens the file; checkpoints say what was queued.
func TestReopen(t *testing.T) {
	srv := newItems()
	hs := serve(t, srv)
	c := newClient(t, hs.URL)
	path := t.TempDir() + "/q.db"
	q, err := outbox.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	h := enqueue(t, q, write(c, opPut, "a", map[string]any{"n": 1}), outbox.Checkpoint("log", []byte("7")))
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Wait(t.Context()); !errors.Is(err, outbox.ErrClosed) {
		t.Fatalf("handle after close: %v", err)
	}
	q, err = outbox.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if v, err := q.Checkpoint("log"); string(v) != "7" || err != nil {
		t.Fatalf("checkpoint %q %v", v, err)
	}
	if q.Len() != 1 {
		t.Fatalf("%d writes after reopening", q.Len())
	}
	if err := q.Start(c); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := q.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := srv.appliedWrites(); len(got) != 1 || got[0].key != h.Key {
		t.Fatalf("applied %+v", got)
	}
}

// A file cut short (a truncated copy) is refused with an error; bbolt
// alone would fault reading past its end.
func TestTruncatedFile(t *testing.T) {
	c := newClient(t, "http://127.0.0.1:1")
	q, path := open(t)
	for i := range 200 {
		enqueue(t, q, write(c, opPut, "a", map[string]any{"pad": strings.Repeat("x", 2000), "i": i}))
	}
	q.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cut := t.TempDir() + "/cut.db"
	if err := os.WriteFile(cut, data[:len(data)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = outbox.Open(cut)
	var ce *outbox.CorruptError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("truncated file: %v", err)
	}
	q, err = outbox.Open(path, outbox.WithLockTimeout(10*time.Millisecond))
	if err != nil {
		t.Fatalf("the whole file: %v", err)
	}
	if q.Len() != 200 {
		t.Fatalf("%d writes in the whole file", q.Len())
	}
	q.Close()
}

// A second process (or queue) cannot open a file that is open.
func TestLocked(t *testing.T) {
	_, path := open(t)
	_, err := outbox.Open(path, outbox.WithLockTimeout(20*time.Millisecond))
	var oe *outbox.OpenError
	if !errors.As(err, &oe) {
		t.Fatalf("second open: %v", err)
	}
}
