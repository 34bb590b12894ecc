package sdk_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk"
)

// upgradeEcho answers a request carrying "Upgrade: echo" with 101 and then
// echoes the bytes it gets, as a WebSocket server would speak frames.
func upgradeEcho(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Upgrade") != "echo" {
		http.Error(w, "want an upgrade", http.StatusBadRequest)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
	_ = brw.Flush()
	line, err := brw.ReadString('\n')
	if err != nil {
		return
	}
	_, _ = conn.Write([]byte(line))
}

// sendUpgrade sends an upgrade request with the hook's client and returns
// the response.
func sendUpgrade(t *testing.T, c *sdk.Client, target string) *http.Response {
	t.Helper()
	u, hc, err := c.UpgradeClient(target)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "echo")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// The hook's client carries the client's credentials and headers, and
// hands back the 101 response's body as the raw connection, although the
// client has layers that wrap bodies (middleware, the attempt timeout) and
// logs: those layers are not on the handshake's path.
func TestUpgradeClientRawConnectionWithAuth(t *testing.T) {
	srv := newRecorder(t, nil, upgradeEcho)
	var mw, amw atomic.Int32
	wrapBodies := func(n *atomic.Int32) sdk.Middleware {
		return func(next http.RoundTripper) http.RoundTripper {
			return sdk.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
				n.Add(1)
				resp, err := next.RoundTrip(r)
				if err == nil {
					resp.Body = struct{ io.ReadCloser }{resp.Body}
				}
				return resp, err
			})
		}
	}
	var logBuf strings.Builder
	var logMu sync.Mutex
	logs := &lockedWriter{w: &logBuf, mu: &logMu}
	c := newTestClient(t, srv.URL,
		sdk.WithBearerToken(bearerSecret),
		sdk.WithAPIKey(sdk.InQuery, "api_key", querySecret),
		sdk.WithHeader("X-Tenant", "t1"),
		sdk.WithMiddleware(wrapBodies(&mw)),
		sdk.WithAttemptMiddleware(wrapBodies(&amw)),
		sdk.WithAttemptTimeout(5*time.Second),
		sdk.WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
	)
	resp := sendUpgrade(t, c, "/stream")
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", resp.StatusCode)
	}
	rwc, ok := resp.Body.(io.ReadWriteCloser)
	if !ok {
		t.Fatalf("the 101 body is a %T, not the connection", resp.Body)
	}
	if _, err := io.WriteString(rwc, "hello\n"); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(rwc).ReadString('\n')
	if err != nil || line != "hello\n" {
		t.Fatalf("echo %q, %v", line, err)
	}
	got := srv.last(t)
	if got.Authorization != "Bearer "+bearerSecret || got.Query != querySecret {
		t.Errorf("the handshake carried %+v", got)
	}
	if mw.Load() != 0 || amw.Load() != 0 {
		t.Errorf("middleware ran %d times, attempt middleware %d times; want 0", mw.Load(), amw.Load())
	}
	logMu.Lock()
	logged := logBuf.String()
	logMu.Unlock()
	if !strings.Contains(logged, "operation=upgrade") || strings.Contains(logged, querySecret) || strings.Contains(logged, bearerSecret) {
		t.Errorf("log of the handshake: %s", logged)
	}
}

// Targets resolve against the base URL as operation paths do; ws and wss
// become http and https; other schemes are refused.
func TestUpgradeClientResolvesTargets(t *testing.T) {
	cases := []struct{ base, target, want string }{
		{"https://api.example.com", "events", "https://api.example.com/events"},
		{"https://api.example.com/v2", "/events", "https://api.example.com/v2/events"},
		{"https://api.example.com/v2/", "events?since=3", "https://api.example.com/v2/events?since=3"},
		{"https://api.example.com/v2", "wss://stream.example.com/x", "https://stream.example.com/x"},
		{"https://api.example.com", "ws://127.0.0.1:8080/x", "http://127.0.0.1:8080/x"},
		{"https://api.example.com", "HTTPS://api.example.com/y", "https://api.example.com/y"},
	}
	for _, tc := range cases {
		c, err := sdk.NewClient(tc.base)
		if err != nil {
			t.Fatal(err)
		}
		u, hc, err := c.UpgradeClient(tc.target)
		if err != nil || u != tc.want || hc == nil {
			t.Errorf("%s + %s = %q, %v; want %q", tc.base, tc.target, u, err, tc.want)
		}
		c.Close()
	}
	c, err := sdk.NewClient("https://api.example.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"ftp://api.example.com/x", "ws:///nohost", "%zz"} {
		_, _, err := c.UpgradeClient(bad)
		var re *sdk.RequestError
		if !errors.As(err, &re) {
			t.Errorf("%q: got %v; want a RequestError", bad, err)
		}
	}
	c.Close()
	if _, _, err := c.UpgradeClient("events"); !errors.Is(err, sdk.ErrClientClosed) {
		t.Errorf("after Close: %v", err)
	}
}

// Credentials go to the client's origin only: an absolute target on
// another port or host name gets none of any kind, nor does a redirect
// there; an absolute ws:// target on the origin gets them all.
func TestUpgradeClientCredentialsOnlyToOrigin(t *testing.T) {
	if addrs, err := net.LookupHost("localhost"); err != nil || len(addrs) == 0 {
		t.Skip("localhost does not resolve here")
	}
	otherPort := newRecorder(t, nil, upgradeEcho)
	lnOther, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	otherHost := newRecorder(t, lnOther, upgradeEcho)
	otherHostURL := "http://localhost:" + fmt.Sprint(lnOther.Addr().(*net.TCPAddr).Port)
	origin := newRecorder(t, nil, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/to-other-host" {
			http.Redirect(w, r, otherHostURL+"/landed", http.StatusTemporaryRedirect)
			return
		}
		upgradeEcho(w, r)
	})
	opts := append(schemeOptions(), sdk.WithHeader("X-Api-Key", apiKeySecret))
	c := newTestClient(t, origin.URL, opts...)

	for _, tc := range []struct {
		target string
		srv    *recorder
	}{
		{strings.Replace(otherPort.URL, "http:", "ws:", 1) + "/x", otherPort},
		{otherHostURL + "/x", otherHost},
		{"/to-other-host", otherHost},
	} {
		resp := sendUpgrade(t, c, tc.target)
		resp.Body.Close()
		got := tc.srv.last(t)
		if got.Authorization != "" || got.APIKey != "" || got.Query != "" || got.Cookie != "" {
			t.Errorf("%s: %s received credentials: %+v", tc.target, got.Host, got)
		}
	}
	resp := sendUpgrade(t, c, strings.Replace(origin.URL, "http:", "ws:", 1)+"/x")
	resp.Body.Close()
	want := seen{"Bearer " + bearerSecret, apiKeySecret, querySecret, "session=" + cookieSecret, ""}
	got := origin.last(t)
	got.Host = ""
	if got != want {
		t.Errorf("the origin received %+v, want %+v", got, want)
	}
}

// A 401 to the handshake makes a TokenRefresher refresh once, and the
// handshake is sent again with the new token; a second 401 stands.
func TestUpgradeClientRefreshesOnceOn401(t *testing.T) {
	srv := newRecorder(t, nil, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-1" {
			http.Error(w, "expired", http.StatusUnauthorized)
			return
		}
		upgradeEcho(w, r)
	})
	src := &refreshing{}
	c := newTestClient(t, srv.URL, sdk.WithTokenSource(src))
	resp := sendUpgrade(t, c, "x")
	resp.Body.Close()
	all := srv.all()
	if resp.StatusCode != http.StatusSwitchingProtocols || src.refreshes != 1 || len(all) != 2 ||
		all[0].Authorization != "Bearer tok-0" || all[1].Authorization != "Bearer tok-1" {
		t.Fatalf("status %d after %d refreshes and requests %+v", resp.StatusCode, src.refreshes, all)
	}

	// Each handshake starts afresh and refreshes at most once.
	refused := newRecorder(t, nil, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusUnauthorized)
	})
	src2 := &refreshing{}
	c2 := newTestClient(t, refused.URL, sdk.WithTokenSource(src2))
	for i := 1; i <= 2; i++ {
		resp := sendUpgrade(t, c2, "x")
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || src2.refreshes != i || len(refused.all()) != 2*i {
			t.Fatalf("handshake %d: status %d, %d refreshes, %d requests", i, resp.StatusCode, src2.refreshes, len(refused.all()))
		}
	}
}

// OnClose's stop unregisters the function; the others still run.
func TestOnCloseStop(t *testing.T) {
	c, err := sdk.NewClient("https://api.example.com")
	if err != nil {
		t.Fatal(err)
	}
	var ran []string
	c.OnClose(func() { ran = append(ran, "a") })
	stop := c.OnClose(func() { ran = append(ran, "b") })
	c.OnClose(func() { ran = append(ran, "c") })
	if !stop() || stop() {
		t.Error("stop should report true once, then false")
	}
	c.Close()
	if strings.Join(ran, "") != "ca" {
		t.Errorf("ran %v; want c then a", ran)
	}
	late := c.OnClose(func() { ran = append(ran, "d") })
	if strings.Join(ran, "") != "cad" || late() {
		t.Errorf("after Close: ran %v", ran)
	}
}

// Backoff draws below the doubling bound, capped, with defaults for zero
// fields.
func TestRetryPolicyBackoff(t *testing.T) {
	p := sdk.RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: 300 * time.Millisecond}
	bounds := map[int]time.Duration{0: 100 * time.Millisecond, 1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 300 * time.Millisecond, 10: 300 * time.Millisecond}
	for n, bound := range bounds {
		var top time.Duration
		for range 500 {
			d := p.Backoff(n)
			if d < 0 || d >= bound {
				t.Fatalf("Backoff(%d) = %s; want in [0, %s)", n, d, bound)
			}
			top = max(top, d)
		}
		if top < bound/2 {
			t.Errorf("Backoff(%d): 500 draws all below %s; not uniform under %s", n, top, bound)
		}
	}
	if d := (sdk.RetryPolicy{}).Backoff(1); d < 0 || d >= sdk.DefaultRetryPolicy().BaseDelay {
		t.Errorf("zero policy: %s", d)
	}
}
