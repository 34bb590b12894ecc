package cache_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sdkgen-go/sdkgen/internal/faultserver"
	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/cache"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

// Every test of the package must leave no goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// clock is the cache's clock in tests; the origin's Date headers come from
// it too.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// noSleep is the retry layer's clock: waits return at once, and are
// counted.
type noSleep struct{ waits atomic.Int32 }

func (s *noSleep) Sleep(ctx context.Context, d time.Duration) error {
	s.waits.Add(1)
	return ctx.Err()
}

func (*noSleep) Now() time.Time { return time.Now() }

// resource is what the origin serves at a path: a body and the headers to
// send with it. The origin answers conditional requests with 304 when the
// validators match.
type resource struct {
	body   string
	header map[string]string
}

// origin is an HTTP handler over resources that can change while a test
// runs.
type origin struct {
	clock *clock

	mu        sync.Mutex
	resources map[string]resource
	// handle, when set, answers instead (for responses that depend on the
	// request).
	handle  func(w http.ResponseWriter, r *http.Request)
	sent304 int
}

func newOrigin(c *clock) *origin { return &origin{clock: c, resources: map[string]resource{}} }

func (o *origin) set(path, body string, header ...string) {
	h := map[string]string{}
	for i := 0; i+1 < len(header); i += 2 {
		h[header[i]] = header[i+1]
	}
	o.mu.Lock()
	o.resources[path] = resource{body: body, header: h}
	o.mu.Unlock()
}

// setHandle makes f answer every request (nil: the resources again).
func (o *origin) setHandle(f func(w http.ResponseWriter, r *http.Request)) {
	o.mu.Lock()
	o.handle = f
	o.mu.Unlock()
}

func (o *origin) notModified() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.sent304
}

func (o *origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Date", o.clock.Now().Format(http.TimeFormat))
	o.mu.Lock()
	handle := o.handle
	res, ok := o.resources[r.URL.Path]
	o.mu.Unlock()
	if handle != nil {
		handle(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	for k, v := range res.header {
		w.Header().Set(k, v)
	}
	etag, lm := res.header["ETag"], res.header["Last-Modified"]
	inm, ims := r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since")
	if (inm != "" && etag != "" && inm == etag) || (inm == "" && ims != "" && lm != "" && ims == lm) {
		o.mu.Lock()
		o.sent304++
		o.mu.Unlock()
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, res.body)
}

// newServer starts a fault server in front of the origin.
func newServer(t *testing.T, o *origin) *faultserver.Server {
	t.Helper()
	srv := faultserver.New(faultserver.Config{Handler: o})
	t.Cleanup(srv.Close)
	return srv
}

// conditionals counts the requests the server got with validators.
func conditionals(srv *faultserver.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Modified-Since") != "" {
			n++
		}
	}
	return n
}

func newCache(t *testing.T, store cache.Store, opts ...cache.Option) *cache.Cache {
	t.Helper()
	c, err := cache.New(store, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newClient(t *testing.T, base string, opts ...sdk.Option) *sdk.Client {
	t.Helper()
	c, err := sdk.NewClient(base, append([]sdk.Option{sdk.WithSleeper(&noSleep{})}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// result is what a call returned.
type result struct {
	status  int
	body    string
	outcome cache.Outcome
	header  http.Header
	err     error
}

// call makes one call of method to path and reads the whole body.
func call(c *sdk.Client, method, path string, opts ...sdk.Option) result {
	op := &sdk.Operation{ID: "op", Method: method, Path: path}
	var resp *http.Response
	r, err := sdkimpl.Do(context.Background(), c, op, func(server string) (*http.Request, error) {
		return http.NewRequest(method, server+strings.TrimPrefix(path, "/"), nil)
	}, append(opts, sdk.WithResponse(&resp))...)
	if err != nil {
		out := result{err: err}
		var ae *sdk.APIError
		if errors.As(err, &ae) {
			out.status, out.body = ae.StatusCode, string(ae.Body)
		}
		if resp != nil {
			out.outcome, out.header = cache.OutcomeOf(resp), resp.Header
		}
		return out
	}
	defer r.Body.Close()
	body, err := io.ReadAll(r.Body)
	return result{status: r.StatusCode, body: string(body), outcome: cache.OutcomeOf(r), header: r.Header, err: err}
}

func get(c *sdk.Client, path string, opts ...sdk.Option) result {
	return call(c, http.MethodGet, path, opts...)
}

// expect checks a call's outcome and body.
func expect(t *testing.T, what string, r result, outcome cache.Outcome, body string) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("%s: %v", what, r.err)
	}
	if r.outcome != outcome || r.body != body {
		t.Fatalf("%s: outcome %q body %q, want %q %q", what, r.outcome, r.body, outcome, body)
	}
}
