package cache_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/internal/faultserver"
	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/cache"
)

// A fresh response is served without a request, with its Age; once stale
// it is fetched again.
func TestFreshResponsesAreServedWithoutARequest(t *testing.T) {
	clk := newClock()
	o := newOrigin(clk)
	o.set("/pets/1", `{"name":"Rex"}`, "Cache-Control", "max-age=60")
	srv := newServer(t, o)
	c := newClient(t, srv.URL, sdk.WithCache(newCache(t, cache.NewMemoryStore(0), cache.WithClock(clk.Now))))

	expect(t, "first", get(c, "/pets/1"), cache.Miss, `{"name":"Rex"}`)
	clk.Advance(59 * time.Second)
	r := get(c, "/pets/1")
	expect(t, "within max-age", r, cache.Hit, `{"name":"Rex"}`)
	if r.header.Get("Age") != "59" {
		t.Errorf("Age %q, want 59", r.header.Get("Age"))
	}
	if n := srv.Count(); n != 1 {
		t.Fatalf("server got %d requests, want 1", n)
	}
	clk.Advance(time.Second)
	expect(t, "at max-age", get(c, "/pets/1"), cache.Miss, `{"name":"Rex"}`)
	if n := srv.Count(); n != 2 {
		t.Fatalf("server got %d requests, want 2", n)
	}
}

// Stale responses with an ETag are revalidated with If-None-Match: a 304
// serves the stored body and makes it fresh again; a changed resource
// replaces it.
func TestRevalidationWithETag(t *testing.T) {
	clk := newClock()
	o := newOrigin(clk)
	o.set("/pets/1", `{"name":"Rex"}`, "Cache-Control", "max-age=10", "ETag", `"v1"`)
	srv := newServer(t, o)
	c := newClient(t, srv.URL, sdk.WithCache(newCache(t, cache.NewMemoryStore(0), cache.WithClock(clk.Now))))

	expect(t, "first", get(c, "/pets/1"), cache.Miss, `{"name":"Rex"}`)
	for i := range 3 {
		clk.Advance(11 * time.Second)
		expect(t, "revalidated "+strconv.Itoa(i), get(c, "/pets/1"), cache.Revalidated, `{"name":"Rex"}`)
		// The 304 made it fresh for another 10 s.
		expect(t, "fresh after 304", get(c, "/pets/1"), cache.Hit, `{"name":"Rex"}`)
	}
	if n, cond, nm := srv.Count(), conditionals(srv), o.notModified(); n != 4 || cond != 3 || nm != 3 {
		t.Fatalf("server: %d requests, %d conditional, %d answered 304; want 4, 3, 3", n, cond, nm)
	}
	for _, r := range srv.Requests()[1:] {
		if got := r.Header.Get("If-None-Match"); got != `"v1"` {
			t.Errorf("If-None-Match %q, want \"v1\"", got)
		}
	}

	o.set("/pets/1", `{"name":"Max"}`, "Cache-Control", "max-age=10", "ETag", `"v2"`)
	clk.Advance(11 * time.Second)
	expect(t, "changed", get(c, "/pets/1"), cache.Miss, `{"name":"Max"}`)
	clk.Advance(11 * time.Second)
	expect(t, "revalidated v2", get(c, "/pets/1"), cache.Revalidated, `{"name":"Max"}`)
	if last := srv.Requests()[srv.Count()-1]; last.Header.Get("If-None-Match") != `"v2"` {
		t.Errorf("If-None-Match %q after the change, want \"v2\"", last.Header.Get("If-None-Match"))
	}
}

// Responses with only Last-Modified are revalidated with
// If-Modified-Since; no-cache responses are revalidated on every use.
func TestRevalidationWithLastModified(t *testing.T) {
	clk := newClock()
	o := newOrigin(clk)
	lm := clk.Now().Add(-time.Hour).Format(http.TimeFormat)
	o.set("/report", `{"rows":3}`, "Cache-Control", "no-cache", "Last-Modified", lm)
	srv := newServer(t, o)
	c := newClient(t, srv.URL, sdk.WithCache(newCache(t, cache.NewMemoryStore(0), cache.WithClock(clk.Now))))

	expect(t, "first", get(c, "/report"), cache.Miss, `{"rows":3}`)
	for range 4 {
		expect(t, "no-cache", get(c, "/report"), cache.Revalidated, `{"rows":3}`)
	}
	if n, cond, nm := srv.Count(), conditionals(srv), o.notModified(); n != 5 || cond != 4 || nm != 4 {
		t.Fatalf("server: %d requests, %d conditional, %d answered 304; want 5, 4, 4", n, cond, nm)
	}
	for _, r := range srv.Requests()[1:] {
		if got := r.Header.Get("If-Modified-Since"); got != lm {
			t.Errorf("If-Modified-Since %q, want %q", got, lm)
		}
	}

	// Without any freshness information, Last-Modified gives a heuristic
	// lifetime of a tenth of the resource's age: here 6 minutes.
	o.set("/doc", `{"v":1}`, "Last-Modified", lm)
	expect(t, "first doc", get(c, "/doc"), cache.Miss, `{"v":1}`)
	clk.Advance(5 * time.Minute)
	expect(t, "heuristically fresh", get(c, "/doc"), cache.Hit, `{"v":1}`)
	clk.Advance(2 * time.Minute)
	expect(t, "heuristically stale", get(c, "/doc"), cache.Revalidated, `{"v":1}`)
}

// Age and Date of the response count against its max-age (RFC 9111
// section 4.2.3), and Expires is read relative to Date.
func TestAgeDateAndExpires(t *testing.T) {
	clk := newClock()
	o := newOrigin(clk)
	srv := newServer(t, o)
	c := newClient(t, srv.URL, sdk.WithCache(newCache(t, cache.NewMemoryStore(0), cache.WithClock(clk.Now))))

	// Already 40 s old when it arrives (Age: 40): fresh for 20 s more.
	o.set("/aged", `{}`, "Cache-Control", "max-age=60", "Age", "40")
	get(c, "/aged")
	clk.Advance(19 * time.Second)
	if r := get(c, "/aged"); r.outcome != cache.Hit || r.header.Get("Age") != "59" {
		t.Fatalf("after 19 s: %q with Age %q, want hit with Age 59", r.outcome, r.header.Get("Age"))
	}
	clk.Advance(time.Second)
	if r := get(c, "/aged"); r.outcome != cache.Miss {
		t.Fatalf("after 20 s: %q, want miss", r.outcome)
	}

	// Expires 30 s after Date, whatever the clocks say.
	o.setHandle(func(w http.ResponseWriter, r *http.Request) {
		date := clk.Now().Add(time.Hour) // the server's clock is an hour ahead
		w.Header().Set("Date", date.Format(http.TimeFormat))
		w.Header().Set("Expires", date.Add(30*time.Second).Format(http.TimeFormat))
		_, _ = w.Write([]byte(`{}`))
	})
	get(c, "/expires")
	clk.Advance(29 * time.Second)
	if r := get(c, "/expires"); r.outcome != cache.Hit {
		t.Fatalf("29 s after: %q, want hit", r.outcome)
	}
	clk.Advance(2 * time.Second)
	if r := get(c, "/expires"); r.outcome != cache.Miss {
		t.Fatalf("31 s after: %q, want miss", r.outcome)
	}
}

// A Date centuries in the past makes a response as old as can be, never
// one whose age wraps around to negative and stays fresh for ever
// (found by FuzzFreshness).
func TestAncientDateIsStale(t *testing.T) {
	clk := newClock()
	o := newOrigin(clk)
	srv := newServer(t, o)
	c := newClient(t, srv.URL, sdk.WithCache(newCache(t, cache.NewMemoryStore(0), cache.WithClock(clk.Now))))
	o.set("/ancient", `{}`, "Cache-Control", "max-age=60", "Date", "Mon, 01 Jan 0001 00:00:00 GMT")
	get(c, "/ancient")
	clk.Advance(time.Second)
	if r := get(c, "/ancient"); r.outcome != cache.Miss {
		t.Fatalf("%q with Age %q, want miss", r.outcome, r.header.Get("Age"))
	}
}

// The request's own directives: no-cache revalidates, max-age and
// min-fresh refuse old responses, max-stale accepts stale ones, no-store
// does not store, only-if-cached never asks the server.
func TestRequestDirectives(t *testing.T) {
	clk := newClock()
	o := newOrigin(clk)
	o.set("/a", `{"a":1}`, "Cache-Control", "max-age=60", "ETag", `"a"`)
	srv := newServer(t, o)
	c := newClient(t, srv.URL, sdk.WithCache(newCache(t, cache.NewMemoryStore(0), cache.WithClock(clk.Now))))
	cc := func(v string) sdk.Option { return sdk.WithHeader("Cache-Control", v) }

	if r := get(c, "/a", cc("only-if-cached")); r.status != http.StatusGatewayTimeout || srv.Count() != 0 {
		t.Fatalf("only-if-cached before anything is stored: status %d, %d requests; want 504, 0", r.status, srv.Count())
	}
	get(c, "/a", cc("no-store"))
	if r := get(c, "/a", cc("only-if-cached")); r.status != http.StatusGatewayTimeout {
		t.Fatalf("a no-store request's response was stored: %+v", r)
	}
	expect(t, "store", get(c, "/a"), cache.Miss, `{"a":1}`)
	clk.Advance(30 * time.Second)
	expect(t, "no-cache", get(c, "/a", cc("no-cache")), cache.Revalidated, `{"a":1}`)
	clk.Advance(30 * time.Second) // 30 s old again after the 304
	expect(t, "max-age=20", get(c, "/a", cc("max-age=20")), cache.Revalidated, `{"a":1}`)
	clk.Advance(40 * time.Second) // 40 s old, 20 s left
	expect(t, "min-fresh=30", get(c, "/a", cc("min-fresh=30")), cache.Revalidated, `{"a":1}`)
	clk.Advance(90 * time.Second) // 30 s stale
	before := srv.Count()
	expect(t, "max-stale=60", get(c, "/a", cc("max-stale=60")), cache.Stale, `{"a":1}`)
	expect(t, "max-stale", get(c, "/a", cc("max-stale")), cache.Stale, `{"a":1}`)
	expect(t, "only-if-cached, max-stale", get(c, "/a", cc("only-if-cached, max-stale")), cache.Stale, `{"a":1}`)
	if srv.Count() != before {
		t.Fatalf("stale responses the request accepted made %d requests", srv.Count()-before)
	}
	if r := get(c, "/a", cc("max-stale=10")); r.outcome != cache.Revalidated {
		t.Fatalf("max-stale=10 on a response 30 s stale: %q, want revalidated", r.outcome)
	}
}

// Vary: each combination of the named request headers has its own stored
// response.
func TestVarySelectsStoredResponses(t *testing.T) {
	clk := newClock()
	o := newOrigin(clk)
	o.setHandle(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Vary", "Accept-Language")
		_, _ = w.Write([]byte(`{"lang":"` + r.Header.Get("Accept-Language") + `"}`))
	})
	srv := newServer(t, o)
	c := newClient(t, srv.URL, sdk.WithCache(newCache(t, cache.NewMemoryStore(0), cache.WithClock(clk.Now))))
	lang := func(l string) sdk.Option { return sdk.WithHeader("Accept-Language", l) }

	expect(t, "en", get(c, "/greeting", lang("en")), cache.Miss, `{"lang":"en"}`)
	expect(t, "fr", get(c, "/greeting", lang("fr")), cache.Miss, `{"lang":"fr"}`)
	expect(t, "none", get(c, "/greeting"), cache.Miss, `{"lang":""}`)
	for range 2 {
		expect(t, "en again", get(c, "/greeting", lang("en")), cache.Hit, `{"lang":"en"}`)
		expect(t, "fr again", get(c, "/greeting", lang("fr")), cache.Hit, `{"lang":"fr"}`)
		expect(t, "none again", get(c, "/greeting"), cache.Hit, `{"lang":""}`)
	}
	if n := srv.Count(); n != 3 {
		t.Fatalf("server got %d requests, want 3", n)
	}

	// Vary: * is never stored.
	o.setHandle(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Vary", "*")
		_, _ = w.Write([]byte(`{}`))
	})
	get(c, "/star")
	if r := get(c, "/star"); r.outcome != cache.Miss {
		t.Fatalf("Vary: * was served from the cache: %q", r.outcome)
	}
}

// The order of the layers: the cache sits above retry. A fresh hit never
// reaches the retry layer (no attempt, no retry); stale-if-error serves a
// stored response only after the retries ran out, on a server error and on
// a server that is gone; a no-store response is never served offline.
func TestCacheSitsAboveRetry(t *testing.T) {
	clk := newClock()
	o := newOrigin(clk)
	o.set("/pets", `["Rex"]`, "Cache-Control", "max-age=60")
	o.set("/secret", `["private"]`, "Cache-Control", "no-store")
	srv := newServer(t, o)

	var calls, attempts, retries atomic.Int32
	var seenOutcome []cache.Outcome
	var mu sync.Mutex
	userMW := func(next http.RoundTripper) http.RoundTripper {
		return sdk.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			calls.Add(1)
			resp, err := next.RoundTrip(r)
			if resp != nil {
				mu.Lock()
				seenOutcome = append(seenOutcome, cache.OutcomeOf(resp))
				mu.Unlock()
			}
			return resp, err
		})
	}
	attemptMW := func(next http.RoundTripper) http.RoundTripper {
		return sdk.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			attempts.Add(1)
			return next.RoundTrip(r)
		})
	}
	ch := newCache(t, cache.NewMemoryStore(0), cache.WithClock(clk.Now), cache.WithStaleIfError(24*time.Hour))
	c := newClient(t, srv.URL, sdk.WithCache(ch), sdk.WithMiddleware(userMW), sdk.WithAttemptMiddleware(attemptMW),
		sdk.WithMaxRetries(2), sdk.WithOnRetry(func(sdk.RetryEvent) { retries.Add(1) }))
	reset := func() { calls.Store(0); attempts.Store(0); retries.Store(0) }
	check := func(what string, wantCalls, wantAttempts, wantRetries int32) {
		t.Helper()
		if calls.Load() != wantCalls || attempts.Load() != wantAttempts || retries.Load() != wantRetries {
			t.Fatalf("%s: %d calls, %d attempts, %d retries; want %d, %d, %d", what,
				calls.Load(), attempts.Load(), retries.Load(), wantCalls, wantAttempts, wantRetries)
		}
	}

	expect(t, "first", get(c, "/pets"), cache.Miss, `["Rex"]`)
	get(c, "/secret")
	check("two misses", 2, 2, 0)

	reset()
	expect(t, "hit", get(c, "/pets"), cache.Hit, `["Rex"]`)
	check("a fresh hit", 1, 0, 0)
	if n := srv.Count(); n != 2 {
		t.Fatalf("server got %d requests, want 2", n)
	}

	// The server fails: the stored response comes back only after the
	// three attempts (a first and two retries) reached the server.
	clk.Advance(2 * time.Minute)
	srv.SetDefault(faultserver.Status(http.StatusServiceUnavailable, `{"message":"down"}`))
	reset()
	expect(t, "503, stale", get(c, "/pets"), cache.Stale, `["Rex"]`)
	check("stale after 503s", 1, 3, 2)
	if n := srv.Count(); n != 5 {
		t.Fatalf("server got %d requests, want 2 + 3 attempts", n)
	}
	// A 503 on a no-store resource is the caller's, after the retries.
	reset()
	r := get(c, "/secret")
	var re *sdk.RetryError
	if !errors.As(r.err, &re) || re.Attempts != 3 || re.LastStatus != http.StatusServiceUnavailable {
		t.Fatalf("no-store resource on a failing server: %v, want a RetryError after 3 attempts", r.err)
	}
	check("no-store on 503s", 1, 3, 2)

	// The server is gone: connections are refused.
	srv.Down()
	reset()
	expect(t, "down, stale", get(c, "/pets"), cache.Stale, `["Rex"]`)
	check("stale after refused connections", 1, 3, 2)
	reset()
	r = get(c, "/secret")
	if !errors.As(r.err, &re) || re.Attempts != 3 || !errors.Is(r.err, syscall.ECONNREFUSED) {
		t.Fatalf("no-store resource offline: %v, want a RetryError after 3 refused attempts", r.err)
	}
	check("no-store offline", 1, 3, 2)
	mu.Lock()
	defer mu.Unlock()
	want := []cache.Outcome{cache.Miss, cache.Miss, cache.Hit, cache.Stale, cache.Miss, cache.Stale}
	if len(seenOutcome) != len(want) || strings.Join(outcomes(seenOutcome), ",") != strings.Join(outcomes(want), ",") {
		t.Errorf("user middleware saw %v, want %v", seenOutcome, want)
	}
}

func outcomes(os []cache.Outcome) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = string(o)
	}
	return out
}

// Serving stale on errors is bounded: by the client's default, by a
// response's own stale-if-error, by a request's; must-revalidate and
// no-cache responses are not served stale by the client's default.
func TestStaleIfErrorLimits(t *testing.T) {
	clk := newClock()
	o := newOrigin(clk)
	o.set("/default", `"d"`, "Cache-Control", "max-age=10")
	o.set("/directive", `"s"`, "Cache-Control", "max-age=10, stale-if-error=300")
	o.set("/must", `"m"`, "Cache-Control", "max-age=10, must-revalidate")
	o.set("/nocache", `"n"`, "Cache-Control", "no-cache", "ETag", `"n"`)
	srv := newServer(t, o)
	c := newClient(t, srv.URL, sdk.WithCache(newCache(t, cache.NewMemoryStore(0), cache.WithClock(clk.Now), cache.WithStaleIfError(time.Minute))),
		sdk.WithoutRetries())
	for _, p := range []string{"/default", "/directive", "/must", "/nocache"} {
		get(c, p)
	}
	srv.Down()
	clk.Advance(10*time.Second + 50*time.Second) // 50 s stale
	expect(t, "default, 50 s stale", get(c, "/default"), cache.Stale, `"d"`)
	expect(t, "directive, 50 s stale", get(c, "/directive"), cache.Stale, `"s"`)
	if r := get(c, "/must"); r.err == nil {
		t.Fatalf("a must-revalidate response was served stale: %+v", r)
	}
	if r := get(c, "/nocache"); r.err == nil {
		t.Fatalf("a no-cache response was served stale: %+v", r)
	}
	if r := get(c, "/default", sdk.WithHeader("Cache-Control", "stale-if-error=30")); r.err == nil {
		t.Fatalf("the request's stale-if-error=30 did not win over the default: %+v", r)
	}
	clk.Advance(20 * time.Second) // 70 s stale
	if r := get(c, "/default"); r.err == nil {
		t.Fatalf("served 70 s stale with a default of 60 s: %+v", r)
	}
	expect(t, "directive, 70 s stale", get(c, "/directive"), cache.Stale, `"s"`)
	clk.Advance(300 * time.Second)
	if r := get(c, "/directive"); r.err == nil {
		t.Fatalf("served 370 s stale with stale-if-error=300: %+v", r)
	}
}

// A successful unsafe request drops what every user stored for its URI
// and its Location; a failed one drops nothing.
func TestUnsafeRequestsInvalidate(t *testing.T) {
	clk := newClock()
	o := newOrigin(clk)
	o.set("/pets/1", `{"v":1}`, "Cache-Control", "max-age=600")
	o.set("/pets/2", `{"v":2}`, "Cache-Control", "max-age=600")
	o.set("/pets", `[1,2]`, "Cache-Control", "max-age=600")
	srv := newServer(t, o)
	ch := newCache(t, cache.NewMemoryStore(0), cache.WithClock(clk.Now))
	alice := newClient(t, srv.URL, sdk.WithCache(ch), sdk.WithBearerToken("alice-token"))
	bob := newClient(t, srv.URL, sdk.WithCache(ch), sdk.WithBearerToken("bob-token"))
	for _, c := range []*sdk.Client{alice, bob} {
		for _, p := range []string{"/pets/1", "/pets/2", "/pets"} {
			get(c, p)
		}
	}

	o.setHandle(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusConflict) })
	call(alice, http.MethodPut, "/pets/1")
	o.setHandle(nil)
	if r := get(bob, "/pets/1"); r.outcome != cache.Hit {
		t.Fatalf("a failed PUT invalidated: %q", r.outcome)
	}

	call(alice, http.MethodPut, "/pets/1")
	if r := get(bob, "/pets/1"); r.outcome != cache.Miss {
		t.Fatalf("after alice's PUT, bob's /pets/1 was %q, want miss", r.outcome)
	}
	if r := get(alice, "/pets/1"); r.outcome != cache.Miss {
		t.Fatalf("after alice's PUT, her /pets/1 was %q, want miss", r.outcome)
	}
	if r := get(bob, "/pets/2"); r.outcome != cache.Hit {
		t.Fatalf("a PUT to /pets/1 invalidated /pets/2: %q", r.outcome)
	}

	// A POST to the collection drops it, and the Location it names.
	o.setHandle(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "/pets/2")
		w.WriteHeader(http.StatusCreated)
	})
	call(alice, http.MethodPost, "/pets")
	o.setHandle(nil)
	for _, p := range []string{"/pets", "/pets/2"} {
		if r := get(bob, p); r.outcome != cache.Miss {
			t.Fatalf("after a POST with Location /pets/2, %s was %q, want miss", p, r.outcome)
		}
	}
	if r := get(bob, "/pets/1"); r.outcome != cache.Hit {
		t.Fatalf("the POST invalidated /pets/1: %q", r.outcome)
	}
}

// Bodies above the cap pass through whole and are not stored.
func TestLargeBodiesPassThrough(t *testing.T) {
	clk := newClock()
	o := newOrigin(clk)
	big := strings.Repeat("x", 300<<10)
	o.set("/big", `"`+big+`"`, "Cache-Control", "max-age=60")
	o.set("/small", `"small"`, "Cache-Control", "max-age=60")
	srv := newServer(t, o)
	store := cache.NewMemoryStore(0)
	c := newClient(t, srv.URL, sdk.WithCache(newCache(t, store, cache.WithClock(clk.Now), cache.WithMaxBodySize(64<<10))))
	for range 2 {
		if r := get(c, "/big"); r.err != nil || r.outcome != cache.Miss || r.body != `"`+big+`"` {
			t.Fatalf("large body: %v, %q, %d bytes", r.err, r.outcome, len(r.body))
		}
	}
	if store.Len() != 0 {
		t.Fatalf("the store holds %d values after large bodies only", store.Len())
	}
	// Streamed without a Content-Length: cut off at the cap, passed whole.
	o.setHandle(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		for range 100 {
			_, _ = w.Write([]byte(strings.Repeat("y", 4<<10)))
			_ = http.NewResponseController(w).Flush()
		}
	})
	for range 2 {
		if r := get(c, "/stream"); r.err != nil || r.outcome != cache.Miss || len(r.body) != 400<<10 {
			t.Fatalf("streamed body: %v, %q, %d bytes", r.err, r.outcome, len(r.body))
		}
	}
	if store.Len() != 0 {
		t.Fatalf("the store holds %d values after large bodies only", store.Len())
	}
	o.setHandle(nil)
	get(c, "/small")
	expect(t, "small", get(c, "/small"), cache.Hit, `"small"`)
}

// Many goroutines and users on one cache: every answer is the asker's.
func TestConcurrentUse(t *testing.T) {
	clk := newClock()
	o := newOrigin(clk)
	o.setHandle(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("ETag", `"e"`)
		_, _ = w.Write([]byte(r.URL.Path + " for " + r.Header.Get("Authorization")))
	})
	srv := faultserver.New(faultserver.Config{Handler: o, KeepAlives: true})
	t.Cleanup(srv.Close)
	ch := newCache(t, cache.NewMemoryStore(8<<10), cache.WithClock(clk.Now)) // small: evictions too
	var clients []*sdk.Client
	for u := range 4 {
		clients = append(clients, newClient(t, srv.URL, sdk.WithCache(ch), sdk.WithBearerToken("user-"+strconv.Itoa(u))))
	}
	var wg sync.WaitGroup
	var wrong atomic.Int32
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				u := (g + i) % 4
				path := "/r/" + strconv.Itoa(i%7)
				r := get(clients[u], path)
				if r.err != nil || r.body != path+" for Bearer user-"+strconv.Itoa(u) {
					wrong.Add(1)
				}
				if i%10 == 0 {
					clk.Advance(time.Second)
				}
			}
		}()
	}
	wg.Wait()
	if wrong.Load() != 0 {
		t.Fatalf("%d answers were not the asker's", wrong.Load())
	}
}
