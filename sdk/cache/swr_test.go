package cache_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/internal/faultserver"
	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/cache"
)

// revalidations collects the ends of background revalidations.
type revalidations struct {
	done chan cache.Revalidation
}

func newRevalidations() *revalidations {
	return &revalidations{done: make(chan cache.Revalidation, 16)}
}

func (r *revalidations) add(ev cache.Revalidation) { r.done <- ev }

func (r *revalidations) next(t *testing.T) cache.Revalidation {
	t.Helper()
	select {
	case ev := <-r.done:
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no revalidation ended within 10 s")
		return cache.Revalidation{}
	}
}

// A response past its freshness, within its stale-while-revalidate, is
// served at once; the cache revalidates it behind the call, and the next
// call gets what that brought.
func TestStaleWhileRevalidate(t *testing.T) {
	clk := newClock()
	o := newOrigin(clk)
	o.set("/pets/1", `{"name":"Rex"}`, "Cache-Control", "max-age=10, stale-while-revalidate=60", "ETag", `"v1"`)
	srv := newServer(t, o)
	revs := newRevalidations()
	ch := newCache(t, cache.NewMemoryStore(0), cache.WithClock(clk.Now), cache.WithOnRevalidate(revs.add))
	defer ch.Close()
	c := newClient(t, srv.URL, sdk.WithCache(ch))

	expect(t, "first", get(c, "/pets/1"), cache.Miss, `{"name":"Rex"}`)
	// Stale, unchanged: served at once, confirmed behind (304).
	clk.Advance(20 * time.Second)
	r := get(c, "/pets/1")
	expect(t, "stale", r, cache.StaleWhileRevalidate, `{"name":"Rex"}`)
	if r.header.Get("Age") != "20" {
		t.Errorf("Age %q", r.header.Get("Age"))
	}
	if ev := revs.next(t); ev.Outcome != cache.Revalidated || ev.Err != nil || ev.URL != srv.URL+"/pets/1" {
		t.Fatalf("revalidation %+v", ev)
	}
	expect(t, "fresh again", get(c, "/pets/1"), cache.Hit, `{"name":"Rex"}`)

	// Stale, changed: the old body at once, the new one next time.
	o.set("/pets/1", `{"name":"Max"}`, "Cache-Control", "max-age=10, stale-while-revalidate=60", "ETag", `"v2"`)
	clk.Advance(20 * time.Second)
	expect(t, "stale, changed", get(c, "/pets/1"), cache.StaleWhileRevalidate, `{"name":"Rex"}`)
	if ev := revs.next(t); ev.Outcome != cache.Miss || ev.Err != nil {
		t.Fatalf("revalidation %+v", ev)
	}
	expect(t, "the new body", get(c, "/pets/1"), cache.Hit, `{"name":"Max"}`)

	// Past the window, the call revalidates itself.
	clk.Advance(80 * time.Second)
	expect(t, "past the window", get(c, "/pets/1"), cache.Revalidated, `{"name":"Max"}`)
	if n, cond := srv.Count(), conditionals(srv); n != 4 || cond != 3 {
		t.Fatalf("server: %d requests, %d conditional; want 4, 3", n, cond)
	}
}

// The client's default window applies to responses that name none; what
// forbids serving stale (must-revalidate, no-cache, a request's max-age)
// is obeyed; a failed revalidation keeps the stored response.
func TestStaleWhileRevalidateLimits(t *testing.T) {
	clk := newClock()
	o := newOrigin(clk)
	o.set("/a", `"a"`, "Cache-Control", "max-age=10", "ETag", `"a"`)
	o.set("/strict", `"s"`, "Cache-Control", "max-age=10, must-revalidate", "ETag", `"s"`)
	srv := newServer(t, o)
	revs := newRevalidations()
	ch := newCache(t, cache.NewMemoryStore(0), cache.WithClock(clk.Now), cache.WithOnRevalidate(revs.add),
		cache.WithStaleWhileRevalidate(time.Minute))
	defer ch.Close()
	c := newClient(t, srv.URL, sdk.WithCache(ch), sdk.WithMaxRetries(0))

	expect(t, "a", get(c, "/a"), cache.Miss, `"a"`)
	expect(t, "strict", get(c, "/strict"), cache.Miss, `"s"`)
	clk.Advance(20 * time.Second)
	expect(t, "strict, stale", get(c, "/strict"), cache.Revalidated, `"s"`)
	expect(t, "a with max-age=0", get(c, "/a", sdk.WithHeader("Cache-Control", "max-age=0")), cache.Revalidated, `"a"`)
	clk.Advance(20 * time.Second)

	// The revalidation fails: the stored response stays, and is served
	// stale again by the next call, which tries again.
	srv.Script(faultserver.Status(http.StatusServiceUnavailable, `{"message":"down"}`))
	expect(t, "a, default window", get(c, "/a"), cache.StaleWhileRevalidate, `"a"`)
	if ev := revs.next(t); ev.Err == nil || ev.Outcome != "" {
		t.Fatalf("failed revalidation %+v", ev)
	}
	expect(t, "a, still stored", get(c, "/a"), cache.StaleWhileRevalidate, `"a"`)
	if ev := revs.next(t); ev.Err != nil || ev.Outcome != cache.Revalidated {
		t.Fatalf("second revalidation %+v", ev)
	}
}

// One revalidation per stored response at a time; Close waits for the
// ones under way and ends background work.
func TestStaleWhileRevalidateOnceAndClose(t *testing.T) {
	clk := newClock()
	o := newOrigin(clk)
	o.set("/a", `"a"`, "Cache-Control", "max-age=10, stale-while-revalidate=600", "ETag", `"a"`)
	release, arrived := make(chan struct{}), make(chan struct{}, 10)
	srv := newServer(t, o)
	ch := newCache(t, cache.NewMemoryStore(0), cache.WithClock(clk.Now))
	c := newClient(t, srv.URL, sdk.WithCache(ch))
	expect(t, "a", get(c, "/a"), cache.Miss, `"a"`)
	o.setHandle(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusNotModified)
	})
	clk.Advance(20 * time.Second)
	for range 5 {
		expect(t, "stale", get(c, "/a"), cache.StaleWhileRevalidate, `"a"`)
	}
	<-arrived
	closed := make(chan struct{})
	go func() {
		ch.Close()
		close(closed)
	}()
	// Close cancels the revalidation under way (the held request) and
	// waits for it.
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end the background revalidation")
	}
	close(release)
	if n := srv.Count(); n != 2 {
		t.Fatalf("%d requests: want the first and one revalidation", n)
	}
	// After Close the call revalidates itself.
	o.setHandle(nil)
	expect(t, "after close", get(c, "/a"), cache.Revalidated, `"a"`)
}
