package ws_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/auth"
	"github.com/sdkgen-go/sdkgen/sdk/ws"
)

const (
	bearerSecret = "bearer-secret-111"
	apiKeySecret = "apikey-secret-222"
	querySecret  = "query-secret-333"
	cookieSecret = "cookie-secret-444"
)

var allSecrets = []string{bearerSecret, apiKeySecret, querySecret, cookieSecret}

// The handshake carries the client's credentials, whichever kind; a wrong
// or missing one fails Dial with a *DialError that carries the status, and
// no secret appears in the error.
func TestAuthOnConnect(t *testing.T) {
	leakCheck(t)
	kinds := []struct {
		name  string
		right sdk.Option
		wrong sdk.Option
		check func(handshake) bool
	}{
		{"bearer", sdk.WithBearerToken(bearerSecret), sdk.WithBearerToken("nope"),
			func(h handshake) bool { return h.Authorization == "Bearer "+bearerSecret }},
		{"token source", sdk.WithTokenSource(sdk.StaticToken(bearerSecret)), sdk.WithTokenSource(sdk.StaticToken("nope")),
			func(h handshake) bool { return h.Authorization == "Bearer "+bearerSecret }},
		{"header key", sdk.WithAPIKey(sdk.InHeader, "X-Api-Key", apiKeySecret), sdk.WithAPIKey(sdk.InHeader, "X-Api-Key", "nope"),
			func(h handshake) bool { return h.APIKey == apiKeySecret }},
		{"query key", sdk.WithAPIKey(sdk.InQuery, "api_key", querySecret), sdk.WithAPIKey(sdk.InQuery, "api_key", "nope"),
			func(h handshake) bool { return h.Query == querySecret }},
		{"cookie key", sdk.WithAPIKey(sdk.InCookie, "session", cookieSecret), sdk.WithAPIKey(sdk.InCookie, "session", "nope"),
			func(h handshake) bool { return h.Cookie == "session="+cookieSecret }},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			srv := newServer(t, func(s *server) {
				s.refuse = func(_ int, r *http.Request) int {
					h := handshake{
						Authorization: r.Header.Get("Authorization"),
						APIKey:        r.Header.Get("X-Api-Key"),
						Query:         r.URL.Query().Get("api_key"),
						Cookie:        r.Header.Get("Cookie"),
					}
					if k.check(h) {
						return 0
					}
					return http.StatusUnauthorized
				}
			})
			conn := dial(t, newClient(t, srv.URL, k.right), "x")
			roundTrip(t, conn, Command{Op: "authed"})

			for name, opts := range map[string][]sdk.Option{"wrong": {k.wrong}, "missing": nil} {
				_, err := ws.Dial[Event, Command](context.Background(), newClient(t, srv.URL, opts...), "x")
				de, ok := as[*ws.DialError](err)
				ae, ok2 := as[*sdk.APIError](err)
				if !ok || !ok2 || de.StatusCode != http.StatusUnauthorized || ae.StatusCode != http.StatusUnauthorized {
					t.Fatalf("%s credential: got %v; want a DialError with status 401", name, err)
				}
				for _, s := range allSecrets {
					if strings.Contains(err.Error(), s) {
						t.Errorf("the error leaks a secret: %v", err)
					}
				}
			}
		})
	}
}

// A token source that can refresh gets one chance on a 401 to the
// handshake, at Dial and at each reconnect: the server revokes the token
// in use and drops the connection, and the reconnect carries the new one.
func TestTokenRefreshOn401(t *testing.T) {
	leakCheck(t)
	var fetches atomic.Int32
	src := auth.NewSource(func(ctx context.Context, _ *sdk.Token) (*sdk.Token, error) {
		return &sdk.Token{AccessToken: fmt.Sprintf("tok-%d", fetches.Add(1)), TokenType: "Bearer"}, nil
	})
	var mu sync.Mutex
	valid := "tok-2" // tok-1 is already revoked when the test starts
	srv := newServer(t, func(s *server) {
		s.refuse = func(_ int, r *http.Request) int {
			mu.Lock()
			defer mu.Unlock()
			if r.Header.Get("Authorization") != "Bearer "+valid {
				return http.StatusUnauthorized
			}
			return 0
		}
	})
	evs := newEvents()
	conn := dial(t, newClient(t, srv.URL, sdk.WithTokenSource(src)), "x", fast, evs.option())
	roundTrip(t, conn, Command{Op: "a"})
	if got := authorizations(srv); got != "tok-1 401, tok-2 101" {
		t.Fatalf("handshakes: %s", got)
	}

	mu.Lock()
	valid = "tok-3"
	mu.Unlock()
	if err := conn.Send(context.Background(), Command{Op: "kill"}); err != nil {
		t.Fatal(err)
	}
	if ev := evs.next(t); ev.Attempt != 1 || ev.Err != nil {
		t.Fatalf("reconnect: %+v", ev)
	}
	if got := roundTrip(t, conn, Command{Op: "b"}); got.Conn != 2 {
		t.Fatalf("answer from connection %d", got.Conn)
	}
	if got := authorizations(srv); got != "tok-1 401, tok-2 101, tok-2 401, tok-3 101" {
		t.Errorf("handshakes: %s", got)
	}
	if n := fetches.Load(); n != 3 {
		t.Errorf("%d token fetches, want 3", n)
	}
}

// Each reconnect asks the token source again, so a source that hands out
// fresh tokens puts a new one on every handshake.
func TestReconnectReauthenticates(t *testing.T) {
	leakCheck(t)
	var n atomic.Int32
	src := tokenFunc(func(context.Context) (*sdk.Token, error) {
		return &sdk.Token{AccessToken: fmt.Sprintf("tok-%d", n.Add(1))}, nil
	})
	srv := newServer(t)
	evs := newEvents()
	conn := dial(t, newClient(t, srv.URL, sdk.WithTokenSource(src)), "x", fast, evs.option())
	for i := range 2 {
		if err := conn.Send(context.Background(), Command{Op: "kill"}); err != nil {
			t.Fatal(err)
		}
		if ev := evs.next(t); ev.Err != nil {
			t.Fatalf("reconnect %d: %+v", i+1, ev)
		}
		roundTrip(t, conn, Command{Op: "after"})
	}
	if got := authorizations(srv); got != "tok-1 101, tok-2 101, tok-3 101" {
		t.Errorf("handshakes: %s", got)
	}
}

type tokenFunc func(context.Context) (*sdk.Token, error)

func (f tokenFunc) Token(ctx context.Context) (*sdk.Token, error) { return f(ctx) }

// authorizations lists the bearer token and status of each handshake.
func authorizations(s *server) string {
	var parts []string
	for _, h := range s.seen() {
		parts = append(parts, fmt.Sprintf("%s %d", strings.TrimPrefix(h.Authorization, "Bearer "), h.Status))
	}
	return strings.Join(parts, ", ")
}

// Credentials go only to the client's origin: a ws URL on another host
// name or another port, or a redirect there, gets none of any kind, while
// an absolute ws URL on the origin gets them all.
func TestNoCredentialsToAnotherOrigin(t *testing.T) {
	leakCheck(t)
	if addrs, err := net.LookupHost("localhost"); err != nil || len(addrs) == 0 {
		t.Skip("localhost does not resolve here")
	}
	otherPort := newServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	otherHost := newServerOn(t, ln)
	otherHostURL := fmt.Sprintf("ws://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
	// The origin redirects /moved to the other host.
	origin := newServer(t, func(s *server) {
		s.route = func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != "/moved" {
				return false
			}
			http.Redirect(w, r, strings.Replace(otherHostURL, "ws:", "http:", 1)+"/landed", http.StatusTemporaryRedirect)
			return true
		}
	})
	c := newClient(t, origin.URL,
		sdk.WithBearerToken(bearerSecret),
		sdk.WithAPIKey(sdk.InHeader, "X-Api-Key", apiKeySecret),
		sdk.WithAPIKey(sdk.InQuery, "api_key", querySecret),
		sdk.WithAPIKey(sdk.InCookie, "session", cookieSecret))
	for _, tc := range []struct {
		target string
		srv    *server
	}{
		{otherHostURL + "/x", otherHost},
		{otherPort.wsURL() + "/x", otherPort},
		{"/moved", otherHost},
	} {
		conn := dial(t, c, tc.target)
		roundTrip(t, conn, Command{Op: "hi"})
		conn.Close()
		hs := tc.srv.seen()
		got := hs[len(hs)-1]
		if got.Authorization != "" || got.APIKey != "" || got.Query != "" || got.Cookie != "" {
			t.Errorf("%s: %s received credentials: %+v", tc.target, got.Host, got)
		}
	}
	conn := dial(t, c, origin.wsURL()+"/x")
	roundTrip(t, conn, Command{Op: "hi"})
	hs := origin.seen()
	got := hs[len(hs)-1]
	if got.Authorization != "Bearer "+bearerSecret || got.APIKey != apiKeySecret || got.Query != querySecret || got.Cookie != "session="+cookieSecret {
		t.Errorf("the origin received %+v", got)
	}
	if n := len(hs); n != 1 {
		t.Errorf("the origin's WebSocket server saw %d handshakes, want 1", n)
	}
}

// The dial keeps the transport of the caller's *http.Client (here its TLS
// trust of the test server, which offers HTTP/2) and goes around the
// client's middleware, attempt timeout and body-wrapping layers; the same
// client without the caller's *http.Client cannot verify the server.
func TestDialUsesCallersTransportAndBypassesMiddleware(t *testing.T) {
	leakCheck(t)
	srv := &server{t: t, pings: map[int]int{}}
	srv.ctx, srv.cancel = context.WithCancel(context.Background())
	srv.Server = httptest.NewUnstartedServer(http.HandlerFunc(srv.handle))
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused certificate below
	srv.StartTLS()
	t.Cleanup(srv.shutdown)
	tlsTransport := srv.Client().Transport.(*http.Transport)
	t.Cleanup(tlsTransport.CloseIdleConnections)

	var calls atomic.Int32
	wrap := func(next http.RoundTripper) http.RoundTripper {
		return sdk.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			calls.Add(1)
			resp, err := next.RoundTrip(r)
			if err == nil {
				resp.Body = struct{ io.ReadCloser }{resp.Body}
			}
			return resp, err
		})
	}
	var logs strings.Builder
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newClient(t, srv.URL,
		sdk.WithHTTPClient(srv.Client()),
		sdk.WithBearerToken(bearerSecret),
		sdk.WithMiddleware(wrap),
		sdk.WithAttemptMiddleware(wrap),
		sdk.WithInterceptor(sdk.Interceptor{OnResponse: func(*http.Response) error { calls.Add(1); return nil }}),
		sdk.WithAttemptTimeout(2*time.Second),
		sdk.WithTimeout(2*time.Second),
		sdk.WithLogger(logger))
	conn := dial(t, c, "secure")
	roundTrip(t, conn, Command{Op: "tls"})
	if n := calls.Load(); n != 0 {
		t.Errorf("middleware and interceptors ran %d times on the handshake", n)
	}
	if got := srv.seen()[0].Authorization; got != "Bearer "+bearerSecret {
		t.Errorf("handshake Authorization %q", got)
	}
	logMu.Lock()
	logged := logs.String()
	logMu.Unlock()
	if !strings.Contains(logged, "status=101") || strings.Contains(logged, bearerSecret) {
		t.Errorf("log: %s", logged)
	}

	own := newClient(t, srv.URL, sdk.WithBearerToken(bearerSecret))
	_, err := ws.Dial[Event, Command](context.Background(), own, "secure")
	if _, ok := as[*sdk.TransportError](err); !ok {
		t.Errorf("without the caller's client: %v; want a TLS failure", err)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// The dial's errors never hold a credential, even one that travels in the
// query, whatever went wrong.
func TestDialErrorsHoldNoCredentials(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c := newClient(t, "http://"+addr, sdk.WithAPIKey(sdk.InQuery, "api_key", querySecret), sdk.WithBearerToken(bearerSecret))
	_, err = ws.Dial[Event, Command](context.Background(), c, "x?other=1")
	if !errors.As(err, new(*sdk.TransportError)) {
		t.Fatalf("got %v", err)
	}
	for _, s := range allSecrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error leaks a secret: %v", err)
		}
	}

	// Nor may they reach another origin's server through a refused dial.
	srv := newServer(t, func(s *server) {
		s.refuse = func(int, *http.Request) int { return http.StatusNotFound }
	})
	_, err = ws.Dial[Event, Command](context.Background(), c, srv.wsURL()+"/x")
	if de, ok := as[*ws.DialError](err); !ok || de.StatusCode != http.StatusNotFound {
		t.Fatalf("got %v", err)
	}
	if h := srv.seen()[0]; h.Authorization != "" || h.Query != "" {
		t.Errorf("another origin received %+v", h)
	}
}

// A refused handshake whose body echoes the credentials gives a DialError
// whose string holds none of them (the APIError keeps the raw body).
func TestRefusedHandshakeEchoIsRedacted(t *testing.T) {
	srv := newServer(t, func(s *server) {
		s.route = func(w http.ResponseWriter, r *http.Request) bool {
			http.Error(w, "refused "+r.Header.Get("Authorization")+" for "+r.URL.RequestURI(), http.StatusUnauthorized)
			return true
		}
	})
	c := newClient(t, srv.URL, sdk.WithAPIKey(sdk.InQuery, "api_key", querySecret), sdk.WithBearerToken(bearerSecret))
	_, err := ws.Dial[Event, Command](context.Background(), c, "x")
	de, ok := as[*ws.DialError](err)
	ae, ok2 := as[*sdk.APIError](err)
	if !ok || !ok2 || de.StatusCode != http.StatusUnauthorized {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(string(ae.Body), bearerSecret) || !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("the server did not echo, or nothing was redacted: body %q, error %v", ae.Body, err)
	}
	for _, s := range allSecrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error leaks %q: %v", s, err)
		}
	}
}
