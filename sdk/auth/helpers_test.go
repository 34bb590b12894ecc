package auth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/auth"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

// Secrets used throughout: no error string or log line may contain them.
const (
	clientID     = "client-7"
	clientSecret = "s3cr3t-client-secret"
)

// tokenServer is an OAuth2 token endpoint on loopback that counts the
// requests it gets and issues tokens "access-N" (and, with rotate,
// refresh tokens "refresh-N" that work once each).
type tokenServer struct {
	*httptest.Server
	t        *testing.T
	requests atomic.Int32
	ttl      int // expires_in, seconds; 0 leaves it out

	mu       sync.Mutex
	forms    []url.Values
	basic    []string // the client id of each request's basic credentials
	rotate   bool
	live     map[string]bool // refresh tokens that may be used
	hold     func(r *http.Request)
	failWith func(n int) (status int, body string)
}

func newTokenServer(t *testing.T, ttl int) *tokenServer {
	ts := &tokenServer{t: t, ttl: ttl, live: map[string]bool{}}
	ts.Server = httptest.NewServer(http.HandlerFunc(ts.serve))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/token" {
		http.NotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	n := int(ts.requests.Add(1))
	id, secret, _ := r.BasicAuth()
	ts.mu.Lock()
	ts.forms = append(ts.forms, r.PostForm)
	ts.basic = append(ts.basic, id)
	hold, failWith := ts.hold, ts.failWith
	ts.mu.Unlock()
	if hold != nil {
		hold(r)
	}
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	if failWith != nil {
		if status, body := failWith(n); status != 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
			return
		}
	}
	if id == "" {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	} else {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	}
	if id != clientID || secret != clientSecret {
		reply(http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "bad client"})
		return
	}
	body := map[string]any{"access_token": fmt.Sprintf("access-%d", n), "token_type": "bearer"}
	if ts.ttl > 0 {
		body["expires_in"] = ts.ttl
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if r.PostForm.Get("grant_type") == "refresh_token" {
		rt := r.PostForm.Get("refresh_token")
		if !ts.live[rt] {
			reply(http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "refresh token " + rt + " is not current"})
			return
		}
		delete(ts.live, rt)
	}
	if ts.rotate {
		rt := fmt.Sprintf("refresh-%d", n)
		ts.live[rt] = true
		body["refresh_token"] = rt
	}
	reply(http.StatusOK, body)
}

func (ts *tokenServer) tokenURL() string { return ts.URL + "/token" }

func (ts *tokenServer) setHold(f func(*http.Request)) {
	ts.mu.Lock()
	ts.hold = f
	ts.mu.Unlock()
}

func (ts *tokenServer) setFail(f func(n int) (int, string)) {
	ts.mu.Lock()
	ts.failWith = f
	ts.mu.Unlock()
}

func (ts *tokenServer) form(i int) url.Values {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.forms[i]
}

func (ts *tokenServer) config() auth.Config {
	return auth.Config{ClientID: clientID, ClientSecret: clientSecret, TokenURL: ts.tokenURL()}
}

// apiServer accepts requests whose bearer token ok says is good, answers
// 401 otherwise, and counts the requests per token.
type apiServer struct {
	*httptest.Server
	mu      sync.Mutex
	seen    map[string]int
	bodies  []string
	ok      func(token string) bool
	handler http.HandlerFunc // after the check, when set
	hold401 func()           // before a 401 is sent, when set
}

func newAPIServer(t *testing.T, ok func(string) bool) *apiServer {
	a := &apiServer{seen: map[string]int{}, ok: ok}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		body, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.seen[tok]++
		a.bodies = append(a.bodies, string(body))
		ok, h, hold := a.ok, a.handler, a.hold401
		a.mu.Unlock()
		if !ok(tok) {
			if hold != nil {
				hold()
			}
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			http.Error(w, `{"message":"bad token"}`, http.StatusUnauthorized)
			return
		}
		if h != nil {
			h(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *apiServer) count(tok string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.seen[tok]
}

func (a *apiServer) total() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, c := range a.seen {
		n += c
	}
	return n
}

// clock is a fake clock for sources.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now()} }

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

// countingSource counts the calls the SDK makes into a source.
type countingSource struct {
	*auth.Source
	tokens    atomic.Int32
	refreshes atomic.Int32
}

func (c *countingSource) Token(ctx context.Context) (*sdk.Token, error) {
	c.tokens.Add(1)
	return c.Source.Token(ctx)
}

func (c *countingSource) Refresh(ctx context.Context, failed *sdk.Token) (*sdk.Token, error) {
	c.refreshes.Add(1)
	return c.Source.Refresh(ctx, failed)
}

var getThing = &sdk.Operation{ID: "getThing", Method: http.MethodGet, Path: "/thing"}

func getRequest(server string) (*http.Request, error) {
	return http.NewRequest(http.MethodGet, strings.TrimSuffix(server, "/")+"/thing", nil)
}

// call makes one GET call and reads its body.
func call(ctx context.Context, c *sdk.Client, opts ...sdk.Option) error {
	resp, err := sdkimpl.Do(ctx, c, getThing, getRequest, opts...)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return err
}

// newTransport returns a transport with bounded connections, closed when
// the test ends.
func newTransport(t *testing.T) *http.Transport {
	tr := &http.Transport{MaxConnsPerHost: 64, MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

func newClient(t *testing.T, base string, opts ...sdk.Option) *sdk.Client {
	t.Helper()
	opts = append([]sdk.Option{sdk.WithHTTPClient(&http.Client{Transport: newTransport(t)}), sdk.WithoutRetries()}, opts...)
	c, err := sdk.NewClient(base, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitFor polls cond (a condition, not a duration) for at most d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
