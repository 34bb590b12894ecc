package sdk_test

import (
	"bufio"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/internal/testpki"
)

// dualListener serves TLS and plain HTTP on one port: it looks at the
// first byte of each connection (22 starts a TLS handshake).
type dualListener struct {
	net.Listener
	cfg *tls.Config
}

type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func (l dualListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		pc := peekedConn{Conn: c, r: bufio.NewReader(c)}
		first, err := pc.r.Peek(1)
		if err != nil {
			c.Close()
			continue
		}
		if first[0] == 22 {
			return tls.Server(pc, l.cfg), nil
		}
		return pc, nil
	}
}

// hop is what the dual server saw of one request.
type hop struct {
	seen
	Path string
	TLS  bool
}

// A redirect from https to plain http on the same host and port is
// another origin: no credential follows it, whether it travels in the
// Authorization header, an API-key header, the query, a cookie, set by
// hand with WithHeader, or as user information in the base URL. net/http
// alone would forward Authorization there (it compares host names only).
func TestRedirectToPlainHTTPOnSameHostCarriesNoCredentials(t *testing.T) {
	ca := testpki.NewCA(t, "root")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	var mu sync.Mutex
	var hops []hop
	srv := &http.Server{
		ErrorLog: log.New(io.Discard, "", 0),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := hop{Path: r.URL.Path, TLS: r.TLS != nil, seen: seen{
				Authorization: r.Header.Get("Authorization"),
				APIKey:        r.Header.Get("X-Api-Key"),
				Query:         r.URL.RawQuery,
				Cookie:        r.Header.Get("Cookie"),
				Host:          r.Host,
			}}
			mu.Lock()
			hops = append(hops, h)
			mu.Unlock()
			if r.URL.Path == "/to-http" {
				http.Redirect(w, r, "http://"+addr+"/landed", http.StatusFound)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, "{}")
		}),
	}
	dual := dualListener{Listener: ln, cfg: &tls.Config{Certificates: []tls.Certificate{ca.Server(t)}}}
	go func() {
		_ = srv.Serve(dual)
	}()
	defer srv.Close()

	base := "https://" + addr
	for name, c := range map[string]struct {
		base string
		opts []sdk.Option
	}{
		"scheme-bound": {base, schemeOptions()},
		"unbound": {base, []sdk.Option{sdk.WithBearerToken(bearerSecret), sdk.WithAPIKey(sdk.InHeader, "X-Api-Key", apiKeySecret),
			sdk.WithAPIKey(sdk.InQuery, "api_key", querySecret), sdk.WithAPIKey(sdk.InCookie, "session", cookieSecret)}},
		"basic":       {base, []sdk.Option{sdk.WithBasicAuth(basicUser, basicPass)}},
		"by header":   {base, []sdk.Option{sdk.WithHeader("Authorization", "Bearer "+bearerSecret), sdk.WithHeader("Cookie", "session="+cookieSecret)}},
		"in base URL": {"https://" + basicUser + ":" + basicPass + "@" + addr, nil},
	} {
		t.Run(name, func(t *testing.T) {
			mu.Lock()
			hops = nil
			mu.Unlock()
			cl := newClientT(t, c.base, append([]sdk.Option{sdk.WithRootCAs(ca.Pool()), sdk.WithoutRetries()}, c.opts...)...)
			if err := doGet(cl, &sdk.Operation{ID: "go", Path: "/to-http"}); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			got := append([]hop(nil), hops...)
			mu.Unlock()
			if len(got) != 2 || !got[0].TLS || got[1].TLS || got[1].Path != "/landed" {
				t.Fatalf("hops %+v, want https then plain http", got)
			}
			if s := got[0].seen; s.Authorization == "" && s.Cookie == "" {
				t.Errorf("the https origin got no credentials: %+v", s)
			}
			if s := got[1].seen; s.Authorization != "" || s.APIKey != "" || s.Query != "" || s.Cookie != "" {
				t.Errorf("the plain http hop on the same host received credentials: %+v", s)
			}
		})
	}

	// Without the SDK, net/http does forward Authorization on this
	// downgrade: the test above is not vacuous.
	pool := ca.Pool()
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer tr.CloseIdleConnections()
	mu.Lock()
	hops = nil
	mu.Unlock()
	req, _ := http.NewRequest(http.MethodGet, base+"/to-http", nil)
	req.Header.Set("Authorization", "Bearer "+bearerSecret)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(hops) != 2 || !strings.Contains(hops[1].Authorization, bearerSecret) {
		t.Errorf("control: net/http alone did not forward Authorization on the downgrade (%+v); this test no longer shows the SDK's part", hops)
	}
}
