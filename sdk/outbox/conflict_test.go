package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/sdkgen-go/sdkgen/sdk/outbox"
)

// conflictSetup queues a PATCH of item "a" made against version 1, while
// another client changes the item to version 2 before the queue sends.
func conflictSetup(t *testing.T, opts ...outbox.Option) (*items, *outbox.Queue, *outbox.Handle, *events) {
	t.Helper()
	srv := newItems()
	srv.set("a", map[string]any{"name": "lamp", "price": 10.0})
	hs := serve(t, srv)
	var ev events
	q, _ := open(t, append([]outbox.Option{outbox.WithOnEvent(ev.add)}, opts...)...)
	c := newClient(t, hs.URL, q.Watch())
	shown, etag := get(t, c, "a")
	base, _ := json.Marshal(shown)
	h := enqueue(t, q, write(c, opPatch, "a", map[string]any{"price": 12.0}), outbox.BasedOn(etag, base))
	srv.set("a", map[string]any{"name": "desk lamp"}) // another client, meanwhile
	if err := q.Start(c); err != nil {
		t.Fatal(err)
	}
	return srv, q, h, &ev
}

func TestConflictServerWins(t *testing.T) {
	srv, q, h, ev := conflictSetup(t)
	_, err := wait(t, h)
	var de *outbox.DeadError
	if !errors.As(err, &de) || de.Dead.Reason != outbox.ReasonConflict || de.Dead.Status != http.StatusPreconditionFailed || de.Dead.IfMatch != `"1"` {
		t.Fatalf("server wins: %v", err)
	}
	if fields, v := srv.get("a"); v != 2 || fields["price"] != 10.0 || fields["name"] != "desk lamp" {
		t.Fatalf("item %v v%d", fields, v)
	}
	if k := ev.kinds(h.ID); !slices.Equal(k, []string{"queued", "conflict", "dead"}) {
		t.Fatalf("events %v", k)
	}
	if d, _ := q.Dead(); len(d) != 1 {
		t.Fatalf("dead list %+v", d)
	}
}

func TestConflictClientWins(t *testing.T) {
	srv, _, h, ev := conflictSetup(t, outbox.WithConflictPolicy(outbox.ClientWins))
	res, err := wait(t, h)
	if err != nil || res.Header.Get("ETag") != `"3"` {
		t.Fatalf("client wins: %+v %v", res, err)
	}
	if fields, v := srv.get("a"); v != 3 || fields["price"] != 12.0 || fields["name"] != "desk lamp" {
		t.Fatalf("item %v v%d", fields, v)
	}
	// Two requests: the first key got 412; the re-applied write is a new
	// request, with a new key and the ETag read again.
	var patches []*http.Request
	for _, r := range srv.received() {
		if r.Method == http.MethodPatch {
			patches = append(patches, r)
		}
	}
	if len(patches) != 2 || patches[0].Header.Get("Idempotency-Key") != h.Key || patches[1].Header.Get("Idempotency-Key") == h.Key ||
		patches[0].Header.Get("If-Match") != `"1"` || patches[1].Header.Get("If-Match") != `"2"` {
		t.Fatalf("patches %v", patches)
	}
	if k := ev.kinds(h.ID); !slices.Equal(k, []string{"queued", "conflict", "resolved", "sent"}) {
		t.Fatalf("events %v", k)
	}
}

func TestConflictMerge(t *testing.T) {
	var got outbox.Conflict
	merge := func(_ context.Context, c outbox.Conflict) ([]byte, error) {
		got = c
		// A three-way merge of JSON objects: the members the write changed
		// relative to its base, over the server's version.
		var base, local, remote map[string]any
		json.Unmarshal(c.Base, &base)
		json.Unmarshal(c.Local, &local)
		json.Unmarshal(c.Remote, &remote)
		for k, v := range local {
			if base[k] != v {
				remote[k] = v
			}
		}
		return json.Marshal(remote)
	}
	srv, _, h, _ := conflictSetup(t, outbox.WithConflictPolicy(outbox.MergeChanges), outbox.WithMerge(merge))
	if _, err := wait(t, h); err != nil {
		t.Fatal(err)
	}
	if string(got.Base) != `{"name":"lamp","price":10}` || string(got.Local) != `{"price":12}` ||
		string(got.Remote) != `{"name":"desk lamp","price":10}` || got.RemoteETag != `"2"` || got.Entry.ID != h.ID {
		t.Fatalf("conflict %+v (base %s local %s remote %s)", got.Entry, got.Base, got.Local, got.Remote)
	}
	if fields, v := srv.get("a"); v != 3 || fields["price"] != 12.0 || fields["name"] != "desk lamp" {
		t.Fatalf("item %v v%d", fields, v)
	}
}

// A merge may drop the write (the server's version stands), or fail.
func TestConflictMergeDrops(t *testing.T) {
	for name, mergeErr := range map[string]error{"drop": outbox.ErrDrop, "fail": errors.New("cannot merge prices")} {
		t.Run(name, func(t *testing.T) {
			merge := func(context.Context, outbox.Conflict) ([]byte, error) { return nil, mergeErr }
			srv, _, h, _ := conflictSetup(t, outbox.WithConflictPolicy(outbox.MergeChanges), outbox.WithMerge(merge))
			_, err := wait(t, h)
			var de *outbox.DeadError
			if !errors.As(err, &de) || de.Dead.Reason != outbox.ReasonConflict {
				t.Fatalf("%v", err)
			}
			if name == "fail" && de.Dead.Detail != "the merge function failed: cannot merge prices" {
				t.Errorf("detail %q", de.Dead.Detail)
			}
			if _, v := srv.get("a"); v != 2 {
				t.Fatalf("item v%d", v)
			}
		})
	}
}

// A write's own policy wins over the queue's.
func TestPolicyPerWrite(t *testing.T) {
	srv := newItems()
	srv.set("a", map[string]any{"n": 0.0})
	hs := serve(t, srv)
	q, _ := open(t) // ServerWins
	c := newClient(t, hs.URL)
	h := enqueue(t, q, write(c, opPatch, "a", map[string]any{"n": 1.0}), outbox.IfMatch(`"0"`), outbox.WithPolicy(outbox.ClientWins))
	if err := q.Start(c); err != nil {
		t.Fatal(err)
	}
	if _, err := wait(t, h); err != nil {
		t.Fatal(err)
	}
	if fields, _ := srv.get("a"); fields["n"] != 1.0 {
		t.Fatalf("item %v", fields)
	}
}

// Writes queued one after the other against the same version are not a
// conflict with each other: each later one is sent against the version
// the one before it made. The If-Match comes from the ETag the client
// last saw (Watch).
func TestOwnWritesDoNotConflict(t *testing.T) {
	srv := newItems()
	srv.set("a", map[string]any{"n": 0.0})
	hs := serve(t, srv)
	q, _ := open(t) // ServerWins: any conflict would kill a write
	c := newClient(t, hs.URL, q.Watch())
	if _, etag := get(t, c, "a"); etag != `"1"` {
		t.Fatalf("etag %s", etag)
	}
	var hs3 []*outbox.Handle
	for i := 1; i <= 3; i++ {
		hs3 = append(hs3, enqueue(t, q, write(c, opPatch, "a", map[string]any{"n": float64(i)})))
	}
	if p, _ := q.Pending(); p[0].IfMatch != "" || !p[0].AutoIfMatch || !p[2].AutoIfMatch {
		t.Fatalf("pending %+v", p)
	}
	if err := q.Start(c); err != nil {
		t.Fatal(err)
	}
	for _, h := range hs3 {
		if _, err := wait(t, h); err != nil {
			t.Fatal(err)
		}
	}
	var ifMatch []string
	for _, r := range srv.received() {
		if r.Method == http.MethodPatch {
			ifMatch = append(ifMatch, r.Header.Get("If-Match"))
		}
	}
	if !slices.Equal(ifMatch, []string{`"1"`, `"2"`, `"3"`}) {
		t.Fatalf("If-Match sent %v", ifMatch)
	}
	if fields, v := srv.get("a"); v != 4 || fields["n"] != 3.0 {
		t.Fatalf("item %v v%d", fields, v)
	}
	// After a DELETE the path's ETag is forgotten: a new PUT is
	// unconditional.
	enqueue(t, q, write(c, opDelete, "a", nil))
	if err := q.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	h := enqueue(t, q, write(c, opPut, "a", map[string]any{"n": 9.0}))
	if res, err := wait(t, h); err != nil || res.Status != http.StatusCreated {
		t.Fatalf("%+v %v", res, err)
	}
	reqs := srv.received()
	if last := reqs[len(reqs)-1]; last.Method != http.MethodPut || last.Header.Get("If-Match") != "" {
		t.Fatalf("the PUT after the DELETE carried If-Match %q", last.Header.Get("If-Match"))
	}
}

// Explicit ETags of writes made against the same version are rebased too;
// a write to another path of the resource makes the automatic ETag
// forgotten, so the next write goes without one instead of conflicting
// with the user's own change.
func TestExplicitETagsRebased(t *testing.T) {
	srv := newItems()
	srv.set("a", map[string]any{"n": 0.0})
	hs := serve(t, srv)
	q, _ := open(t)
	c := newClient(t, hs.URL, q.Watch())
	for i := 1; i <= 3; i++ {
		enqueue(t, q, write(c, opPatch, "a", map[string]any{"n": float64(i)}), outbox.IfMatch(`"1"`))
	}
	// A write to /items/b in the lane of /items/a, then an automatic one.
	enqueue(t, q, write(c, opPut, "b", map[string]any{"m": 1.0}), outbox.Resource("/items/a"))
	last := enqueue(t, q, write(c, opPatch, "a", map[string]any{"n": 4.0}))
	if err := q.Start(c); err != nil {
		t.Fatal(err)
	}
	if _, err := wait(t, last); err != nil {
		t.Fatal(err)
	}
	var ifMatch []string
	for _, r := range srv.received() {
		if r.URL.Path == "/items/a" {
			ifMatch = append(ifMatch, r.Header.Get("If-Match"))
		}
	}
	if !slices.Equal(ifMatch, []string{`"1"`, `"2"`, `"3"`, ""}) {
		t.Fatalf("If-Match sent %q", ifMatch)
	}
	if d, _ := q.Dead(); len(d) != 0 {
		t.Fatalf("dead %+v", d)
	}
}

// Conflicts in a row end in the dead-letter list.
func TestTooManyConflicts(t *testing.T) {
	srv := newItems()
	srv.set("a", map[string]any{"n": 0.0})
	// Every PATCH is preceded by another client's change.
	srv.hold = func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPatch {
			srv.set("a", map[string]any{"other": true})
		}
		return false
	}
	hs := serve(t, srv)
	q, _ := open(t, outbox.WithConflictPolicy(outbox.ClientWins), outbox.WithMaxConflicts(2))
	c := newClient(t, hs.URL)
	h := enqueue(t, q, write(c, opPatch, "a", map[string]any{"n": 1.0}), outbox.IfMatch(`"1"`))
	if err := q.Start(c); err != nil {
		t.Fatal(err)
	}
	_, err := wait(t, h)
	var de *outbox.DeadError
	if !errors.As(err, &de) || de.Dead.Reason != outbox.ReasonConflict || de.Dead.Conflicts != 2 || de.Dead.Detail != "conflicted 3 times in a row" {
		t.Fatalf("%v", err)
	}
}

// The resource is gone when the write is re-applied.
func TestConflictResourceGone(t *testing.T) {
	srv := newItems()
	srv.set("a", map[string]any{"n": 0.0})
	srv.hold = func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet {
			problem(w, http.StatusNotFound, "gone")
			return true
		}
		return false
	}
	hs := serve(t, srv)
	q, _ := open(t, outbox.WithConflictPolicy(outbox.ClientWins))
	c := newClient(t, hs.URL)
	h := enqueue(t, q, write(c, opPatch, "a", map[string]any{"n": 1.0}), outbox.IfMatch(`"0"`))
	if err := q.Start(c); err != nil {
		t.Fatal(err)
	}
	_, err := wait(t, h)
	var de *outbox.DeadError
	if !errors.As(err, &de) || de.Dead.Reason != outbox.ReasonConflict {
		t.Fatalf("%v", err)
	}
}
