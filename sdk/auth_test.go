package sdk_test

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
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

// Secrets of these tests: none may reach a log line, an error string or a
// host it is not bound to.
const (
	bearerSecret = "bearer-secret-111"
	apiKeySecret = "apikey-secret-222"
	querySecret  = "query-secret-333"
	cookieSecret = "cookie-secret-444"
	basicUser    = "basic-user"
	basicPass    = "basic-pass-555"
)

var allSecrets = []string{bearerSecret, apiKeySecret, querySecret, cookieSecret, basicPass}

// seen is what a server received of one request's credentials.
type seen struct {
	Authorization string
	APIKey        string
	Query         string
	Cookie        string
	Host          string
}

// recorder is a server that records the credentials of every request.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
	next http.HandlerFunc
}

func newRecorder(t *testing.T, ln net.Listener, next http.HandlerFunc) *recorder {
	r := &recorder{next: next}
	h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s := seen{
			Authorization: req.Header.Get("Authorization"),
			APIKey:        req.Header.Get("X-Api-Key"),
			Query:         req.URL.Query().Get("api_key"),
			Cookie:        req.Header.Get("Cookie"),
			Host:          req.Host,
		}
		r.mu.Lock()
		r.reqs = append(r.reqs, s)
		r.mu.Unlock()
		if r.next != nil {
			r.next(w, req)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{}`)
	})
	if ln == nil {
		r.Server = httptest.NewServer(h)
	} else {
		r.Server = &httptest.Server{Listener: ln, Config: &http.Server{Handler: h}}
		r.Start()
	}
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) all() []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]seen(nil), r.reqs...)
}

func (r *recorder) last(t *testing.T) seen {
	t.Helper()
	all := r.all()
	if len(all) == 0 {
		t.Fatal("the server got no request")
	}
	return all[len(all)-1]
}

func newTestClient(t *testing.T, base string, opts ...sdk.Option) *sdk.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	opts = append([]sdk.Option{sdk.WithHTTPClient(&http.Client{Transport: tr}), sdk.WithoutRetries()}, opts...)
	c, err := sdk.NewClient(base, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func doGet(c *sdk.Client, op *sdk.Operation, opts ...sdk.Option) error {
	resp, err := sdkimpl.Do(context.Background(), c, op, func(server string) (*http.Request, error) {
		return http.NewRequest(http.MethodGet, strings.TrimSuffix(server, "/")+op.Path, nil)
	}, opts...)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

// schemeOptions configures one credential per spec scheme.
func schemeOptions() []sdk.Option {
	return []sdk.Option{
		sdk.WithTokenSourceFor("bearer", sdk.StaticToken(bearerSecret)),
		sdk.WithAPIKeyFor("header_key", sdk.InHeader, "X-Api-Key", apiKeySecret),
		sdk.WithAPIKeyFor("query_key", sdk.InQuery, "api_key", querySecret),
		sdk.WithAPIKeyFor("cookie_key", sdk.InCookie, "session", cookieSecret),
	}
}

// Operations get the credentials of the schemes the spec gives them: none
// for security: [], all of an AND-combination, the first alternative that
// is configured, and everything when the spec says nothing.
func TestSecurityRequirementsPickCredentials(t *testing.T) {
	srv := newRecorder(t, nil, nil)
	c := newTestClient(t, srv.URL, schemeOptions()...)
	bearer := "Bearer " + bearerSecret
	cookie := "session=" + cookieSecret
	cases := []struct {
		name     string
		security [][]string
		want     seen
	}{
		{"unspecified: all", nil, seen{bearer, apiKeySecret, querySecret, cookie, ""}},
		{"security: [] sends nothing", [][]string{}, seen{}},
		{"one scheme", [][]string{{"header_key"}}, seen{APIKey: apiKeySecret}},
		{"AND of two", [][]string{{"bearer", "query_key"}}, seen{Authorization: bearer, Query: querySecret}},
		{"first configured alternative", [][]string{{"oauth"}, {"cookie_key"}, {"bearer"}}, seen{Cookie: cookie}},
		{"alternative not fully configured", [][]string{{"bearer", "oauth"}, {"header_key"}}, seen{APIKey: apiKeySecret}},
		{"optional auth takes the configured alternative", [][]string{{}, {"bearer"}}, seen{Authorization: bearer}},
		{"nothing configured matches", [][]string{{"oauth"}}, seen{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			op := &sdk.Operation{ID: "op", Method: http.MethodGet, Path: "/x", Security: tc.security}
			if err := doGet(c, op); err != nil {
				t.Fatal(err)
			}
			got := srv.last(t)
			got.Host = ""
			if got != tc.want {
				t.Errorf("sent %+v, want %+v", got, tc.want)
			}
		})
	}
}

// Credentials not bound to a scheme go to every operation that takes
// credentials, never to one with security: [].
func TestUnboundCredentials(t *testing.T) {
	srv := newRecorder(t, nil, nil)
	c := newTestClient(t, srv.URL, sdk.WithBearerToken(bearerSecret))
	if err := doGet(c, &sdk.Operation{ID: "a", Path: "/a", Security: [][]string{{"oauth"}}}); err != nil {
		t.Fatal(err)
	}
	if got := srv.last(t).Authorization; got != "Bearer "+bearerSecret {
		t.Errorf("Authorization %q", got)
	}
	if err := doGet(c, &sdk.Operation{ID: "b", Path: "/b", Security: [][]string{}}); err != nil {
		t.Fatal(err)
	}
	if got := srv.last(t).Authorization; got != "" {
		t.Errorf("security: [] got Authorization %q", got)
	}
}

// A redirect to another host name, or to another port of the same host,
// carries no credential of any kind: no Authorization, API-key header,
// cookie or API-key query parameter, whichever way it was configured. A
// redirect within the origin keeps them (so the test is not vacuous).
func TestRedirectsElsewhereCarryNoCredentials(t *testing.T) {
	otherPort := newRecorder(t, nil, nil) // 127.0.0.1, another port
	lnOther, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	otherHost := newRecorder(t, lnOther, nil)
	otherHostURL := "http://localhost:" + fmt.Sprint(lnOther.Addr().(*net.TCPAddr).Port)
	if addrs, err := net.LookupHost("localhost"); err != nil || len(addrs) == 0 {
		t.Skip("localhost does not resolve here")
	}

	var origin *recorder
	origin = newRecorder(t, nil, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-other-port":
			http.Redirect(w, r, otherPort.URL+"/landed", http.StatusFound)
		case "/to-other-host":
			http.Redirect(w, r, otherHostURL+"/landed", http.StatusTemporaryRedirect)
		case "/to-same-origin":
			http.Redirect(w, r, origin.URL+"/landed", http.StatusFound)
		default:
			_, _ = io.WriteString(w, "{}")
		}
	})

	clients := map[string][]sdk.Option{
		"scheme-bound": schemeOptions(),
		"unbound":      {sdk.WithBearerToken(bearerSecret), sdk.WithAPIKey(sdk.InHeader, "X-Api-Key", apiKeySecret), sdk.WithAPIKey(sdk.InQuery, "api_key", querySecret), sdk.WithAPIKey(sdk.InCookie, "session", cookieSecret)},
		"basic":        {sdk.WithBasicAuth(basicUser, basicPass), sdk.WithAPIKey(sdk.InHeader, "X-Api-Key", apiKeySecret)},
		// Headers set by hand reach net/http's redirect copying directly.
		"by header": {sdk.WithHeader("Authorization", "Bearer "+bearerSecret), sdk.WithHeader("Cookie", "session="+cookieSecret), sdk.WithAPIKey(sdk.InHeader, "X-Api-Key", apiKeySecret), sdk.WithHeader("X-Api-Key", apiKeySecret)},
	}
	for name, opts := range clients {
		t.Run(name, func(t *testing.T) {
			c := newTestClient(t, origin.URL, opts...)
			for _, target := range []struct {
				path string
				srv  *recorder
			}{{"/to-other-port", otherPort}, {"/to-other-host", otherHost}} {
				before := len(target.srv.all())
				if err := doGet(c, &sdk.Operation{ID: "go", Path: target.path}); err != nil {
					t.Fatal(err)
				}
				all := target.srv.all()
				if len(all) != before+1 {
					t.Fatalf("%s: the redirect target got %d requests", target.path, len(all)-before)
				}
				got := all[len(all)-1]
				if got.Authorization != "" || got.APIKey != "" || got.Query != "" || got.Cookie != "" {
					t.Errorf("%s: the target at %s received credentials: %+v", target.path, got.Host, got)
				}
				if got := origin.last(t); got.Authorization == "" && got.APIKey == "" {
					t.Errorf("%s: the origin got no credentials: %+v", target.path, got)
				}
			}
			// Within the origin, credentials follow.
			if err := doGet(c, &sdk.Operation{ID: "stay", Path: "/to-same-origin"}); err != nil {
				t.Fatal(err)
			}
			if got := origin.last(t); got.APIKey != apiKeySecret {
				t.Errorf("same-origin redirect lost the credentials: %+v", got)
			}
		})
	}
}

// Credentials of every kind are refused over plain http to a host that is
// not loopback, before anything is sent, unless the client opts in.
func TestPlainHTTPRefusesCredentials(t *testing.T) {
	var sent atomic.Int32
	hc := &http.Client{Transport: sdk.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		sent.Add(1)
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
	})}
	kinds := map[string]sdk.Option{
		"bearer": sdk.WithBearerToken(bearerSecret),
		"basic":  sdk.WithBasicAuth(basicUser, basicPass),
		"header": sdk.WithAPIKey(sdk.InHeader, "X-Api-Key", apiKeySecret),
		"query":  sdk.WithAPIKey(sdk.InQuery, "api_key", querySecret),
		"cookie": sdk.WithAPIKey(sdk.InCookie, "session", cookieSecret),
	}
	for name, opt := range kinds {
		t.Run(name, func(t *testing.T) {
			sent.Store(0)
			c, err := sdk.NewClient("http://api.example.com", sdk.WithHTTPClient(hc), opt)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			err = doGet(c, &sdk.Operation{ID: "get", Path: "/x"})
			var ae *sdk.AuthError
			if !errors.As(err, &ae) || sent.Load() != 0 {
				t.Fatalf("got %v with %d requests sent; want an AuthError and none", err, sent.Load())
			}
			for _, s := range allSecrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error leaks a secret: %v", err)
				}
			}
			// An operation that takes no credentials goes through.
			if err := doGet(c, &sdk.Operation{ID: "public", Path: "/x", Security: [][]string{}}); err != nil || sent.Load() != 1 {
				t.Errorf("public operation: %v", err)
			}
			insecure, err := sdk.NewClient("http://api.example.com", sdk.WithHTTPClient(hc), opt, sdk.WithInsecureCredentials())
			if err != nil {
				t.Fatal(err)
			}
			defer insecure.Close()
			if err := doGet(insecure, &sdk.Operation{ID: "get", Path: "/x"}); err != nil {
				t.Errorf("with WithInsecureCredentials: %v", err)
			}
		})
	}
}

// A token printed in any way, or logged, shows no secret.
func TestTokenPrintsWithoutSecrets(t *testing.T) {
	tok := &sdk.Token{AccessToken: bearerSecret, RefreshToken: cookieSecret, TokenType: "Bearer", Expiry: time.Unix(1e9, 0)}
	var logs bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&logs, nil))
	l.Info("token", "tok", tok, "value", *tok)
	for _, s := range []string{
		fmt.Sprint(tok), fmt.Sprintf("%v %+v %#v %s", tok, tok, tok, tok),
		fmt.Sprintf("%v %+v %#v", *tok, *tok, *tok), logs.String(),
	} {
		if strings.Contains(s, bearerSecret) || strings.Contains(s, cookieSecret) {
			t.Errorf("token printed with its secrets: %s", s)
		}
	}
	if !strings.Contains(fmt.Sprint(tok), "[redacted]") {
		t.Errorf("String() = %s", tok)
	}
}

// Logs and error strings hold no credential, even when the logging
// allowlist names the headers that carry them and calls fail in every way.
func TestCredentialsStayOutOfLogsAndErrors(t *testing.T) {
	var n atomic.Int32
	srv := newRecorder(t, nil, func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			http.Error(w, "busy", http.StatusServiceUnavailable)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(map[string]string{"message": "no such thing"})
		}
	})
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts := append(schemeOptions(), sdk.WithLogger(logger), sdk.WithLogHeaders("Authorization", "X-Api-Key", "Cookie", "Set-Cookie"),
		sdk.WithRetry(sdk.RetryPolicy{MaxRetries: 2}))
	c := newTestClient(t, srv.URL, opts...)
	c2, err := sdk.NewClient(srv.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	var errs []error
	errs = append(errs, doGet(c2, &sdk.Operation{ID: "get", Path: "/x"})) // 503, then 404
	// A transport failure, with the query key in the URL.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	errs = append(errs, doGet(c, &sdk.Operation{ID: "dead", Path: "/x"}, sdk.WithBaseURL(dead)))
	// A token source that fails.
	errs = append(errs, doGet(c, &sdk.Operation{ID: "tok", Path: "/x"}, sdk.WithTokenSourceFor("bearer", failingSource{})))
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	if !strings.Contains(out, "sdk: attempt") {
		t.Fatalf("nothing logged: %s", out)
	}
	for i, err := range errs {
		if err == nil {
			t.Fatalf("call %d succeeded", i)
		}
		for _, s := range allSecrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error %d leaks %q: %v", i, s, err)
			}
		}
	}
	for _, s := range allSecrets {
		if strings.Contains(out, s) {
			t.Errorf("logs leak %q:\n%s", s, out)
		}
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

type failingSource struct{}

func (failingSource) Token(context.Context) (*sdk.Token, error) {
	return nil, errors.New("token endpoint unreachable")
}

// countingTokens hands out a new token on every call.
type countingTokens struct{ n atomic.Int32 }

func (c *countingTokens) Token(context.Context) (*sdk.Token, error) {
	return &sdk.Token{AccessToken: fmt.Sprintf("tok-%d", c.n.Add(1))}, nil
}

// Auth runs per attempt, inside the retry layer: each attempt asks the
// source again.
func TestAuthRunsPerAttempt(t *testing.T) {
	var n atomic.Int32
	srv := newRecorder(t, nil, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "{}")
	})
	src := &countingTokens{}
	c := newTestClient(t, srv.URL, sdk.WithTokenSource(src), sdk.WithRetry(sdk.RetryPolicy{MaxRetries: 2}))
	if err := doGet(c, &sdk.Operation{ID: "get", Path: "/x"}); err != nil {
		t.Fatal(err)
	}
	all := srv.all()
	if len(all) != 2 || all[0].Authorization != "Bearer tok-1" || all[1].Authorization != "Bearer tok-2" {
		t.Errorf("attempts carried %+v; want tok-1 then tok-2", all)
	}
}

// A 401 with a token from a source that cannot refresh stands: no replay.
func TestUnauthorizedWithStaticTokenIsNotReplayed(t *testing.T) {
	srv := newRecorder(t, nil, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusUnauthorized)
	})
	c := newTestClient(t, srv.URL, sdk.WithBearerToken(bearerSecret))
	err := doGet(c, &sdk.Operation{ID: "get", Path: "/x"})
	var apiErr *sdk.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized || len(srv.all()) != 1 {
		t.Fatalf("got %v after %d requests; want the 401 after 1", err, len(srv.all()))
	}
}

// refreshing is a TokenRefresher that counts refreshes.
type refreshing struct {
	mu        sync.Mutex
	cur       int
	refreshes int
	same      bool // Refresh returns the failed token again
}

func (r *refreshing) Token(context.Context) (*sdk.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return &sdk.Token{AccessToken: fmt.Sprintf("tok-%d", r.cur)}, nil
}

func (r *refreshing) Refresh(_ context.Context, failed *sdk.Token) (*sdk.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refreshes++
	if !r.same && failed.AccessToken == fmt.Sprintf("tok-%d", r.cur) {
		r.cur++
	}
	return &sdk.Token{AccessToken: fmt.Sprintf("tok-%d", r.cur)}, nil
}

// A call refreshes at most once, whatever the redirects and retries after
// it, and does not replay when the source has no other token.
func TestRefreshAtMostOncePerCall(t *testing.T) {
	var n atomic.Int32
	srv := newRecorder(t, nil, func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 2:
			http.Error(w, "busy", http.StatusServiceUnavailable) // the replay fails, retried
		default:
			http.Error(w, "no", http.StatusUnauthorized)
		}
	})
	src := &refreshing{}
	c := newTestClient(t, srv.URL, sdk.WithTokenSource(src), sdk.WithRetry(sdk.RetryPolicy{MaxRetries: 3}))
	err := doGet(c, &sdk.Operation{ID: "get", Path: "/x"})
	var apiErr *sdk.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("got %v; want the 401", err)
	}
	if src.refreshes != 1 || len(srv.all()) != 3 {
		t.Errorf("%d refreshes, %d requests; want 1 refresh, 3 requests (401, replay 503, retry 401)", src.refreshes, len(srv.all()))
	}

	same := &refreshing{same: true}
	n.Store(10)
	before := len(srv.all())
	c2 := newTestClient(t, srv.URL, sdk.WithTokenSource(same))
	_ = doGet(c2, &sdk.Operation{ID: "get", Path: "/x"})
	if same.refreshes != 1 || len(srv.all())-before != 1 {
		t.Errorf("source without a new token: %d refreshes, %d requests; want 1, 1", same.refreshes, len(srv.all())-before)
	}
}

// Package sdk must not link golang.org/x/oauth2 (only programs that use
// sdk/auth do), nor the generator side.
func TestCoreDoesNotImportOAuth2(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/sdkgen-go/sdkgen/sdk").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"golang.org/x/oauth2", "github.com/sdkgen-go/sdkgen/generator", "github.com/sdkgen-go/sdkgen/openapi", "github.com/getkin/kin-openapi", "github.com/oapi-codegen/oapi-codegen"} {
			if dep == banned || strings.HasPrefix(dep, banned+"/") {
				t.Errorf("package sdk depends on %s", dep)
			}
		}
	}
}
