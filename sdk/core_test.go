package sdk

import (
	"bytes"
	"context"
	"encoding/json"

	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// recordingSleeper returns at once and records the waits asked of it.
type recordingSleeper struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (r *recordingSleeper) Sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	r.delays = append(r.delays, d)
	r.mu.Unlock()
	return ctx.Err()
}

func (r *recordingSleeper) Now() time.Time { return time.Now() }

var testOp = &Operation{ID: "getThing", Method: http.MethodGet, Path: "/thing"}

func get(path string) requestBuilder {
	return func(server string) (*http.Request, error) {
		return http.NewRequest(http.MethodGet, server+strings.TrimPrefix(path, "/"), nil)
	}
}

func newTestClient(t *testing.T, base string, opts ...Option) *Client {
	t.Helper()
	c, err := NewClient(base, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// The order of the layers, by behaviour: user middleware sees one call and
// the final outcome; auth runs again for every attempt, so each retried
// attempt carries a fresh token; attempt middleware sees every attempt with
// its credentials.
func TestLayerOrder(t *testing.T) {
	var served atomic.Int32
	var tokensSeen []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tokensSeen = append(tokensSeen, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Connection", "close")
		if served.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()

	var issued atomic.Int32
	tokens := tokenSourceFunc(func(context.Context) (*Token, error) {
		return &Token{AccessToken: fmt.Sprintf("token-%d", issued.Add(1))}, nil
	})
	var callCount, attemptCount atomic.Int32
	var finalStatus atomic.Int32
	var attemptAuth []string
	userMW := func(next http.RoundTripper) http.RoundTripper {
		return RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			callCount.Add(1)
			if r.Header.Get("Authorization") != "" {
				t.Errorf("call middleware saw credentials: auth must run inside it")
			}
			resp, err := next.RoundTrip(r)
			if resp != nil {
				finalStatus.Store(int32(resp.StatusCode))
			}
			return resp, err
		})
	}
	attemptMW := func(next http.RoundTripper) http.RoundTripper {
		return RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			attemptCount.Add(1)
			mu.Lock()
			attemptAuth = append(attemptAuth, r.Header.Get("Authorization"))
			mu.Unlock()
			return next.RoundTrip(r)
		})
	}
	c := newTestClient(t, srv.URL, WithTokenSource(tokens), WithMiddleware(userMW), WithAttemptMiddleware(attemptMW), WithSleeper(&recordingSleeper{}))
	resp, err := c.do(context.Background(), testOp, get("/thing"))
	if err != nil {
		t.Fatal(err)
	}
	noContent(resp)
	if callCount.Load() != 1 || finalStatus.Load() != 200 {
		t.Errorf("user middleware: %d calls, final status %d; want 1 call seeing 200", callCount.Load(), finalStatus.Load())
	}
	if attemptCount.Load() != 3 {
		t.Errorf("attempt middleware: %d attempts, want 3", attemptCount.Load())
	}
	want := []string{"Bearer token-1", "Bearer token-2", "Bearer token-3"}
	if fmt.Sprint(tokensSeen) != fmt.Sprint(want) || fmt.Sprint(attemptAuth) != fmt.Sprint(want) {
		t.Errorf("tokens per attempt: server %v, attempt middleware %v; want %v", tokensSeen, attemptAuth, want)
	}
}

type tokenSourceFunc func(context.Context) (*Token, error)

func (f tokenSourceFunc) Token(ctx context.Context) (*Token, error) { return f(ctx) }

// Interceptors: once per call, or once per attempt, as they say.
func TestInterceptors(t *testing.T) {
	var served atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		if served.Add(1) == 1 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.Header().Set("X-Seen", r.Header.Get("X-Added"))
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	var calls, attempts, responses, attemptResponses atomic.Int32
	c := newTestClient(t, srv.URL, WithSleeper(&recordingSleeper{}),
		WithInterceptor(Interceptor{
			OnRequest: func(r *http.Request) error {
				calls.Add(1)
				r.Header.Set("X-Added", "yes")
				return nil
			},
			OnResponse: func(*http.Response) error { responses.Add(1); return nil },
		}),
		WithAttemptInterceptor(Interceptor{
			OnRequest:  func(*http.Request) error { attempts.Add(1); return nil },
			OnResponse: func(*http.Response) error { attemptResponses.Add(1); return nil },
		}))
	var resp *http.Response
	r, err := c.do(context.Background(), testOp, get("/"), WithResponse(&resp))
	if err != nil {
		t.Fatal(err)
	}
	noContent(r)
	if calls.Load() != 1 || responses.Load() != 1 || attempts.Load() != 2 || attemptResponses.Load() != 2 {
		t.Errorf("calls %d responses %d attempts %d attempt responses %d; want 1 1 2 2", calls.Load(), responses.Load(), attempts.Load(), attemptResponses.Load())
	}
	if resp.Header.Get("X-Seen") != "yes" {
		t.Errorf("OnRequest's change did not reach the server")
	}

	// An interceptor can stop a call, and can replace an error.
	stop := errors.New("stopped by policy")
	_, err = c.do(context.Background(), testOp, get("/"), WithInterceptor(Interceptor{OnRequest: func(*http.Request) error { return stop }}))
	if !errors.Is(err, stop) {
		t.Errorf("OnRequest error: %v", err)
	}
	dead := newTestClient(t, "http://127.0.0.1:1", WithoutRetries())
	replaced := errors.New("offline")
	_, err = dead.do(context.Background(), testOp, get("/"), WithInterceptor(Interceptor{OnError: func(*http.Request, error) error { return replaced }}))
	if !errors.Is(err, replaced) {
		t.Errorf("OnError replacement: %v", err)
	}
}

// Credentials never reach logs or error strings: not a bearer token, not an
// API key in a header, not one in the query.
func TestCredentialsAreRedacted(t *testing.T) {
	const token, headerKey, queryKey = "tok-SECRET-1111", "key-SECRET-2222", "qk-SECRET-3333"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		switch r.URL.Path {
		case "/fail":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"message":"boom"}`)
		case "/bad-json":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"broken":`)
		default:
			w.WriteHeader(204)
		}
	}))
	defer srv.Close()
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts := []Option{
		WithBearerToken(token),
		WithAPIKey(InHeader, "X-Api-Key", headerKey),
		WithAPIKeyFor("q", InQuery, "api_key", queryKey),
		WithLogger(logger),
		WithLogHeaders("Authorization", "X-Api-Key"), // asked for, still never logged
		WithSleeper(&recordingSleeper{}),
	}
	c := newTestClient(t, srv.URL, opts...)
	ctx := context.Background()

	var errs []error
	_, err := c.do(ctx, testOp, get("/fail"))
	errs = append(errs, err)
	resp, err := c.do(ctx, testOp, get("/bad-json"))
	if err == nil {
		_, err = decodeJSON[map[string]any](resp)
	}
	errs = append(errs, err)
	srv.Close() // now every attempt fails to connect
	_, err = c.do(ctx, testOp, get("/ok"))
	errs = append(errs, err)

	for i, err := range errs {
		if err == nil {
			t.Fatalf("call %d: no error", i)
		}
		for _, secret := range []string{token, headerKey, queryKey} {
			if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%+v", err), secret) {
				t.Errorf("call %d: error reveals a secret: %v", i, err)
			}
		}
	}
	if logs.Len() == 0 {
		t.Fatal("nothing was logged")
	}
	for _, secret := range []string{token, headerKey, queryKey} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("logs reveal %q:\n%s", secret, logs.String())
		}
	}
	if !strings.Contains(logs.String(), `"sdk: attempt"`) || !strings.Contains(logs.String(), `"sdk: retrying"`) {
		t.Errorf("attempts and retries not logged:\n%s", logs.String())
	}
}

// Without a logger the SDK writes nothing anywhere.
func TestSilentByDefault(t *testing.T) {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(old)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	defer srv.Close()
	c := newTestClient(t, srv.URL, WithSleeper(&recordingSleeper{}))
	_, _ = c.do(context.Background(), testOp, get("/"))
	if buf.Len() != 0 {
		t.Errorf("logged without a logger: %s", buf.String())
	}
}

// Cancelling the context ends the call at once, whether it waits for
// headers or reads the body, and says why.
func TestContextCancellationMidRequest(t *testing.T) {
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		if r.URL.Path == "/body" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"items": [1, 2,`)
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newTestClient(t, srv.URL)

	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	start := time.Now()
	_, err := c.do(ctx, testOp, get("/headers"))
	var te *TransportError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &te) {
		t.Errorf("waiting for headers: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("cancellation took %v", time.Since(start))
	}

	ctx, cancel = context.WithCancel(context.Background())
	resp, err := c.do(ctx, testOp, get("/body"))
	if err != nil {
		t.Fatal(err)
	}
	<-arrived
	go cancel()
	_, err = decodeJSON[map[string]any](resp)
	var de *DecodeError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &de) || !strings.Contains(string(de.Prefix), `"items"`) {
		t.Errorf("reading the body: %v", err)
	}
}

// WithTimeout bounds the whole call, body included.
func TestCallTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL)
	_, err := c.do(context.Background(), testOp, get("/"), WithTimeout(50*time.Millisecond))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WithTimeout: %v", err)
	}
}

// The attempt timeout covers the wait for headers, never a body being
// read.
func TestAttemptTimeoutSparesStreams(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow-headers" {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `[1`)
		w.(http.Flusher).Flush()
		for range 5 {
			time.Sleep(40 * time.Millisecond) // the body takes 200 ms, the attempt timeout is 100 ms
			_, _ = io.WriteString(w, `,1`)
			w.(http.Flusher).Flush()
		}
		_, _ = io.WriteString(w, `]`)
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, WithAttemptTimeout(100*time.Millisecond), WithoutRetries())
	resp, err := c.do(context.Background(), testOp, get("/slow-body"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := decodeJSONValue[[]int](resp)
	if err != nil || len(v) != 6 {
		t.Errorf("slow body cut short: %v %v", v, err)
	}
	_, err = c.do(context.Background(), testOp, get("/slow-headers"))
	var ate *AttemptTimeoutError
	if !errors.As(err, &ate) {
		t.Errorf("slow headers: %v", err)
	}
}

func TestMalformedJSON(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/truncated":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"name": "rex", "age": `)
		case "/html":
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, `<html>maintenance</html>`)
		case "/wrong-shape":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"name": 42}`)
		case "/empty":
			w.Header().Set("Content-Type", "application/json")
		case "/huge":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"name":"`+strings.Repeat("x", 10_000)+`"}`)
		}
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL)
	type pet struct {
		Name string `json:"name"`
	}
	for _, tc := range []struct {
		path, prefix, cause string
		opts                []Option
	}{
		{"/truncated", `{"name": "rex", "age": `, "unexpected EOF", nil},
		{"/html", `<html>maintenance</html>`, "not JSON", nil},
		{"/wrong-shape", `{"name": 42}`, "cannot unmarshal number", nil},
		{"/empty", ``, "empty body", nil},
		{"/huge", `{"name":"xxx`, "larger than the limit", []Option{WithMaxResponseSize(1000)}},
	} {
		resp, err := c.do(context.Background(), testOp, get(tc.path), tc.opts...)
		if err != nil {
			t.Fatal(err)
		}
		_, err = decodeJSON[pet](resp)
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Errorf("%s: %v is not a *DecodeError", tc.path, err)
			continue
		}
		if de.StatusCode != 200 || !strings.HasPrefix(string(de.Prefix), tc.prefix) || !strings.Contains(err.Error(), tc.cause) || de.Operation != "getThing" {
			t.Errorf("%s: status %d prefix %q err %v", tc.path, de.StatusCode, de.Prefix, err)
		}
	}
}

func TestAPIErrorKeepsABoundedBody(t *testing.T) {
	big := strings.Repeat("e", 1<<20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "rid-1")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, big)
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, WithMaxErrorBody(1024))
	_, err := c.do(context.Background(), testOp, get("/x?token=SECRETQ"))
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatal(err)
	}
	if len(ae.Body) != 1024 || !ae.Truncated || ae.RequestID != "rid-1" || ae.StatusCode != 400 {
		t.Errorf("body %d truncated %v request id %q status %d", len(ae.Body), ae.Truncated, ae.RequestID, ae.StatusCode)
	}
	if strings.Contains(err.Error(), "SECRETQ") || strings.Contains(ae.URL, "?") {
		t.Errorf("the query leaked into the error: %v", err)
	}
	if len(err.Error()) > 500 {
		t.Errorf("error string is %d bytes long", len(err.Error()))
	}
	// A hostile server cannot inject terminal control sequences into it.
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		_, _ = io.WriteString(w, "bad\x1b[31mred\nnext line")
	}))
	defer srv2.Close()
	c2 := newTestClient(t, srv2.URL, WithoutRetries())
	_, err = c2.do(context.Background(), testOp, get("/"))
	if strings.ContainsAny(err.Error(), "\x1b\n") {
		t.Errorf("control characters in the error: %q", err.Error())
	}
}

func TestTransportErrorsAreWrapped(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := newTestClient(t, "http://"+addr, WithoutRetries())
	_, err = c.do(context.Background(), testOp, get("/x"))
	var te *TransportError
	if !errors.As(err, &te) || !errors.Is(err, syscall.ECONNREFUSED) || te.Operation != "getThing" {
		t.Errorf("connection refused: %v", err)
	}
	var ue interface{ URL() string }
	if errors.As(err, &ue) {
		t.Errorf("a *url.Error (which prints the full URL) is still in the chain")
	}
}

// The caller's *http.Client is used, never modified, and its idle
// connections are never closed by the SDK.
func TestCallerClientIsNotMutated(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	defer srv.Close()
	base := &closeCountingTransport{RoundTripper: http.DefaultTransport}
	redirect := func(*http.Request, []*http.Request) error { return nil }
	hc := &http.Client{Transport: base, Timeout: 7 * time.Second, CheckRedirect: redirect}
	before := *hc
	c, err := NewClient(srv.URL, WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.do(context.Background(), testOp, get("/"))
	if err != nil {
		t.Fatal(err)
	}
	noContent(resp)
	c.Close()
	if hc.Transport != before.Transport || hc.Timeout != before.Timeout || hc.Jar != before.Jar || (hc.CheckRedirect == nil) != (before.CheckRedirect == nil) {
		t.Errorf("the caller's client was modified")
	}
	if base.used.Load() == 0 {
		t.Errorf("the caller's transport was not used")
	}
	if base.closed.Load() != 0 {
		t.Errorf("the SDK closed the idle connections of the caller's transport")
	}
}

type closeCountingTransport struct {
	http.RoundTripper
	used, closed atomic.Int32
}

func (c *closeCountingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.used.Add(1)
	return c.RoundTripper.RoundTrip(r)
}

func (c *closeCountingTransport) CloseIdleConnections() { c.closed.Add(1) }

// Bodies are drained and closed on every path, so connections are reused:
// many calls over one keep-alive connection.
func TestConnectionsAreReused(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/err":
			w.WriteHeader(404)
			_, _ = io.WriteString(w, strings.Repeat("x", 10_000))
		case "/json":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"a":1}  `)
		default:
			_, _ = io.WriteString(w, "unread body")
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := newTestClient(t, srv.URL)
	ctx := context.Background()
	for range 10 {
		if _, err := c.do(ctx, testOp, get("/err")); err == nil {
			t.Fatal("want an error")
		}
		resp, err := c.do(ctx, testOp, get("/json"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeJSON[map[string]int](resp); err != nil {
			t.Fatal(err)
		}
		resp, err = c.do(ctx, testOp, get("/none"))
		if err != nil {
			t.Fatal(err)
		}
		noContent(resp)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 30 sequential calls; bodies are not drained", n)
	}
}

func TestOptionScopes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Got", r.Header.Get("X-Team")+"|"+r.Header.Get("User-Agent"))
		w.WriteHeader(204)
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, WithHeader("X-Team", "client"), WithUserAgent("app/1"))
	ctx := context.Background()

	var resp *http.Response
	r, err := c.do(ctx, testOp, get("/"), WithResponse(&resp))
	if err != nil {
		t.Fatal(err)
	}
	noContent(r)
	if resp.Header.Get("X-Got") != "client|app/1" {
		t.Errorf("client options: %q", resp.Header.Get("X-Got"))
	}
	r, err = c.do(ctx, testOp, get("/"), WithHeader("X-Team", "call"), WithUserAgent("app/2"), WithResponse(&resp))
	if err != nil {
		t.Fatal(err)
	}
	noContent(r)
	if resp.Header.Get("X-Got") != "call|app/2" {
		t.Errorf("call options did not win: %q", resp.Header.Get("X-Got"))
	}
	// The call's header did not leak into the client's.
	r, err = c.do(ctx, testOp, get("/"), WithResponse(&resp))
	if err != nil {
		t.Fatal(err)
	}
	noContent(r)
	if resp.Header.Get("X-Got") != "client|app/1" {
		t.Errorf("a call's option changed the client: %q", resp.Header.Get("X-Got"))
	}

	var oe *OptionError
	if _, err := c.do(ctx, testOp, get("/"), WithHTTPClient(http.DefaultClient)); !errors.As(err, &oe) {
		t.Errorf("WithHTTPClient per call: %v", err)
	}
	if _, err := NewClient(srv.URL, WithResponse(&resp)); !errors.As(err, &oe) {
		t.Errorf("WithResponse on a client: %v", err)
	}
	if _, err := NewClient(srv.URL, WithTimeout(-time.Second)); !errors.As(err, &oe) {
		t.Errorf("negative timeout: %v", err)
	}
	for _, bad := range []string{"", "ftp://x", "http://", "https://{region}.example.com", "::"} {
		if _, err := NewClient(bad); err == nil {
			t.Errorf("base URL %q accepted", bad)
		}
	}
}

func TestDeclaredErrorModels(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/404":
			w.WriteHeader(404)
			_, _ = io.WriteString(w, `{"message":"no such thing"}`)
		case "/418":
			w.WriteHeader(418)
			_, _ = io.WriteString(w, `{"message":"teapot"}`)
		case "/422":
			w.WriteHeader(422)
			_, _ = io.WriteString(w, `not json`)
		}
	}))
	defer srv.Close()
	op := &Operation{ID: "op", Method: "GET", Errors: map[string]func([]byte) (error, error){
		"404":     declared(func() (any, error) { e := new(testNotFound); return &e.Body, e }),
		"4XX":     declared(func() (any, error) { e := new(testClientErr); return &e.Body, e }),
		"default": declared(func() (any, error) { e := new(testNotFound); return &e.Body, e }),
	}}
	c := newTestClient(t, srv.URL)
	_, err := c.do(context.Background(), op, get("/404"))
	var nf *testNotFound
	if !errors.As(err, &nf) || nf.Body.Message != "no such thing" {
		t.Errorf("exact status: %v", err)
	}
	_, err = c.do(context.Background(), op, get("/418"))
	var ce *testClientErr
	if !errors.As(err, &ce) || ce.Body.Message != "teapot" {
		t.Errorf("status range: %v", err)
	}
	_, err = c.do(context.Background(), op, get("/422"))
	var ae *APIError
	if !errors.As(err, &ae) || ae.Model != nil || ae.DecodeErr == nil || string(ae.Body) != "not json" {
		t.Errorf("undecodable declared body: %+v", ae)
	}
}

type testNotFound struct{ Body struct{ Message string } }

func (e *testNotFound) Error() string { return "NotFound: " + e.Body.Message }

type testClientErr struct{ Body struct{ Message string } }

func (e *testClientErr) Error() string { return "ClientError: " + e.Body.Message }

// declared returns the decoder of a declared error body, as generated code
// has sdkimpl.JSONError make it: model returns a new error value and the
// field its body decodes into.
func declared(model func() (body any, e error)) func([]byte) (error, error) {
	return func(data []byte) (error, error) {
		body, e := model()
		if err := json.Unmarshal(data, body); err != nil {
			return nil, err
		}
		return e, nil
	}
}

func TestCloseStopsCalls(t *testing.T) {
	c, err := NewClient("http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	ran := false
	c.OnClose(func() { ran = true })
	c.Close()
	c.Close() // twice is fine
	if !ran {
		t.Errorf("OnClose hook did not run")
	}
	if _, err := c.do(context.Background(), testOp, get("/")); !errors.Is(err, ErrClientClosed) {
		t.Errorf("call after Close: %v", err)
	}
	select {
	case <-c.Done():
	default:
		t.Errorf("Done not closed")
	}
}

// Middleware and attempt middleware can tell which operation a request is
// for; other requests have none.
func TestOperationFrom(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	var outer, inner *Operation
	c := newTestClient(t, srv.URL+"/",
		WithMiddleware(func(next http.RoundTripper) http.RoundTripper {
			return RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
				outer = OperationFrom(req.Context())
				return next.RoundTrip(req)
			})
		}),
		WithAttemptMiddleware(func(next http.RoundTripper) http.RoundTripper {
			return RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
				inner = OperationFrom(req.Context())
				return next.RoundTrip(req)
			})
		}))
	resp, err := c.do(context.Background(), testOp, get("/thing"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if outer != testOp || inner != testOp {
		t.Errorf("OperationFrom = %v (call), %v (attempt); want %v", outer, inner, testOp)
	}
	if op := OperationFrom(context.Background()); op != nil {
		t.Errorf("OperationFrom(Background) = %v", op)
	}
}

// The one validation policy of options: a value an option cannot take
// fails NewClient, or the call it is given to, with an *OptionError naming
// the option; nothing is silently ignored or left for the transport to
// refuse later.
func TestBadOptionValues(t *testing.T) {
	bad := map[string]Option{
		"WithHeader":          WithHeader("Bad Name", "v"),
		"WithHeader value":    WithHeader("X-Ok", "a\r\nInjected: 1"),
		"WithHeader empty":    WithHeader("", "v"),
		"WithBaseURL":         WithBaseURL("ftp://example.com"),
		"WithBasicAuth":       WithBasicAuth("user:name", "pw"),
		"WithTimeout":         WithTimeout(-time.Second),
		"WithAttemptTimeout":  WithAttemptTimeout(-1),
		"WithIdleTimeout":     WithIdleTimeout(-1),
		"WithMaxRetries":      WithMaxRetries(-1),
		"WithRetry":           WithRetry(RetryPolicy{BaseDelay: -1}),
		"WithSleeper":         WithSleeper(nil),
		"WithMaxResponseSize": WithMaxResponseSize(0),
		"WithMaxErrorBody":    WithMaxErrorBody(-5),
		"WithMaxEventSize":    WithMaxEventSize(0),
		"WithTokenSource":     WithTokenSource(nil),
		"WithAPIKey":          WithAPIKey(InHeader, "", "k"),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c := newTestClient(t, srv.URL)
	for name, opt := range bad {
		var oe *OptionError
		if _, err := NewClient(srv.URL, opt); !errors.As(err, &oe) || !strings.HasPrefix(name, oe.Option) {
			t.Errorf("%s, client: %v", name, err)
		}
		if _, err := c.do(context.Background(), testOp, get("/"), opt); !errors.As(err, &oe) || !strings.HasPrefix(name, oe.Option) {
			t.Errorf("%s, call: %v", name, err)
		}
	}
}
