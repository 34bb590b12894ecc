package sdk

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A call with no user middleware, cache or attempt middleware lets auth set
// tokens on its own request rather than a copy (see authenticate). Every
// attempt still carries the token current at its time, and a retried
// attempt that a redirect takes to another origin carries none, although
// net/http copies the headers of the request it was given, the first
// attempt's token included, onto the redirect.
func TestOwnRequestTokens(t *testing.T) {
	var mu sync.Mutex
	var elsewhere []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		elsewhere = append(elsewhere, r.Header.Get("Authorization"))
		mu.Unlock()
		_, _ = io.WriteString(w, `{}`)
	}))
	defer other.Close()
	var served atomic.Int32
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		switch served.Add(1) {
		case 1, 2:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 3:
			http.Redirect(w, r, other.URL+"/moved", http.StatusTemporaryRedirect)
		default:
			_, _ = io.WriteString(w, `{}`)
		}
	}))
	defer srv.Close()

	var issued atomic.Int32
	tokens := tokenSourceFunc(func(context.Context) (*Token, error) {
		return &Token{AccessToken: fmt.Sprintf("token-%d", issued.Add(1))}, nil
	})
	c := newTestClient(t, srv.URL, WithTokenSource(tokens), WithSleeper(&recordingSleeper{}))
	resp, err := c.do(context.Background(), testOp, get("/thing"))
	if err != nil {
		t.Fatal(err)
	}
	noContent(resp)
	if want := "[Bearer token-1 Bearer token-2 Bearer token-3]"; fmt.Sprint(seen) != want {
		t.Errorf("tokens per attempt: %v, want %v", seen, want)
	}
	if fmt.Sprint(elsewhere) != "[]" {
		t.Errorf("the other origin got Authorization %q", elsewhere)
	}

	// The same with attempt middleware that adds a header to what it is
	// given: it works on a copy per attempt, so nothing piles up.
	served.Store(0)
	seen, elsewhere = nil, nil
	var added []int
	mw := func(next http.RoundTripper) http.RoundTripper {
		return RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			r.Header.Add("X-Attempt", "1")
			mu.Lock()
			added = append(added, len(r.Header["X-Attempt"]))
			mu.Unlock()
			return next.RoundTrip(r)
		})
	}
	resp, err = c.do(context.Background(), testOp, get("/thing"), WithAttemptMiddleware(mw))
	if err != nil {
		t.Fatal(err)
	}
	noContent(resp)
	if fmt.Sprint(added) != "[1 1 1 1]" {
		t.Errorf("X-Attempt values per attempt and hop: %v, want one each", added)
	}
	if fmt.Sprint(elsewhere) != "[]" {
		t.Errorf("with attempt middleware, the other origin got Authorization %q", elsewhere)
	}
}

// User middleware hands the SDK its own request, which must come back as
// it was: no credential appears on it, on any attempt.
func TestUserMiddlewareRequestUntouched(t *testing.T) {
	var served atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	mw := func(next http.RoundTripper) http.RoundTripper {
		return RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			resp, err := next.RoundTrip(r)
			if got := r.Header.Get("Authorization"); got != "" {
				t.Errorf("after the call, the middleware's request carries Authorization %q", got)
			}
			return resp, err
		})
	}
	c := newTestClient(t, srv.URL, WithBearerToken("secret"), WithMiddleware(mw), WithSleeper(&recordingSleeper{}))
	resp, err := c.do(context.Background(), testOp, get("/thing"))
	if err != nil {
		t.Fatal(err)
	}
	noContent(resp)
	if served.Load() != 2 {
		t.Errorf("%d attempts, want 2", served.Load())
	}
}

// A server that answers before it has read the body (a 503 at once to a
// large upload) ends the attempt while the transport is still writing the
// request. The retry that follows changes the request (the replayed body,
// the next token) only once the first answer's body is closed, as net/http
// allows ("callers should not mutate or reuse the request until the
// Response's Body has been closed"): the race detector watches the request
// the transport was given.
func TestRetryWhileEarlyAnswerUploadRuns(t *testing.T) {
	var served atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1) == 1 {
			// Answer at once, then keep the upload going a while: the
			// client's write is still running when it retries.
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.(http.Flusher).Flush()
			buf := make([]byte, 64<<10)
			for i := 0; i < 20; i++ {
				if _, err := r.Body.Read(buf); err != nil {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	body := make([]byte, 8<<20)
	c := newTestClient(t, srv.URL, WithBearerToken("secret"), WithSleeper(&recordingSleeper{}), WithRetry(RetryPolicy{MaxRetries: 2}))
	op := &Operation{ID: "upload", Method: http.MethodPost, Path: "/upload"}
	for range 5 {
		served.Store(0)
		resp, err := c.do(context.Background(), op, func(server string) (*http.Request, error) {
			return http.NewRequest(http.MethodPost, server+"upload", bytes.NewReader(body))
		}, WithIdempotencyKey("k"))
		if err != nil {
			t.Fatal(err)
		}
		noContent(resp)
		if n := served.Load(); n != 2 {
			t.Fatalf("%d attempts, want 2", n)
		}
	}
}

// Which plain-http hosts credentials may go to: loopback names and
// addresses, as net.ParseIP judged them (a zone is not one).
func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LocalHost": true, "api.localhost": true, "127.0.0.1": true, "127.9.9.9": true,
		"::1": true, "::ffff:127.0.0.1": true,
		"::1%lo": false, "10.0.0.1": false, "example.com": false, "localhost.example.com": false, "127.1": false, "": false,
	} {
		if got := isLoopback(host); got != want {
			t.Errorf("isLoopback(%q) = %v, want %v", host, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { isLoopback("127.0.0.1") }); n != 0 {
		t.Errorf("isLoopback allocates %v times", n)
	}
}
