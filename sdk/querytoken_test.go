package sdk_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

// seenRequest is what a server of these tests saw.
type seenRequest struct {
	Host, Method, Query, Body, Authorization string
}

// hostRecorder is an httptest server on addr that records every request and
// answers with handle.
type hostRecorder struct {
	*httptest.Server
	mu   sync.Mutex
	seen []seenRequest
}

func newHostRecorder(t *testing.T, addr string, handle func(w http.ResponseWriter, r *http.Request)) *hostRecorder {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s (a second loopback address is needed): %v", addr, err)
	}
	rec := &hostRecorder{}
	rec.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.seen = append(rec.seen, seenRequest{Host: r.Host, Method: r.Method, Query: r.URL.RawQuery, Body: string(body), Authorization: r.Header.Get("Authorization")})
		rec.mu.Unlock()
		handle(w, r)
	}))
	rec.Listener.Close()
	rec.Listener = ln
	rec.Start()
	t.Cleanup(rec.Close)
	return rec
}

func (r *hostRecorder) requests() []seenRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]seenRequest(nil), r.seen...)
}

// A query token goes in its parameter, to the call's origin and to trusted
// origins a redirect leads to (body included, for a 307 PUT), and never to
// another origin, even when the Location repeats it; errors and logs never
// show it.
func TestQueryTokenFollowsOnlyTrustedRedirects(t *testing.T) {
	const token = "id-token-3b9f2c1d7e"
	// untrusted: another loopback address, so another host name.
	untrusted := newHostRecorder(t, "127.0.0.2:0", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":"you sent auth=`+r.URL.Query().Get("auth")+` and `+token+`"}`)
	})
	// trusted: "localhost", a name of its own.
	trusted := newHostRecorder(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			w.Header().Set("Location", untrusted.URL+"/stolen?auth="+r.URL.Query().Get("auth"))
			w.WriteHeader(http.StatusTemporaryRedirect)
			return
		}
		io.WriteString(w, `{"ok":true}`)
	})
	trustedURL := strings.Replace(trusted.URL, "127.0.0.1", "localhost", 1)
	primary := newHostRecorder(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		target := trustedURL
		if r.URL.Path == "/away" {
			target = untrusted.URL
		}
		w.Header().Set("Location", target+r.URL.Path+"?"+r.URL.RawQuery) // the query, auth= included, as the service does
		w.WriteHeader(http.StatusTemporaryRedirect)
	})

	var logs bytes.Buffer
	c, err := sdk.NewClient(primary.URL,
		sdk.WithQueryToken("auth", sdk.StaticToken(token)),
		sdk.WithTrustedOrigins("http://localhost:"+trusted.URL[strings.LastIndexByte(trusted.URL, ':')+1:]),
		sdk.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		sdk.WithoutRetries())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	call := func(method, path, body string) error {
		resp, err := sdkimpl.Do(context.Background(), c, &sdk.Operation{ID: "op", Method: method}, func(server string) (*http.Request, error) {
			var r io.Reader
			if body != "" {
				r = strings.NewReader(body) // http.NewRequest sets GetBody
			}
			return http.NewRequest(method, server+path+"?print=silent", r)
		})
		if err == nil {
			resp.Body.Close()
		}
		return err
	}

	if err := call(http.MethodPut, "data.json", `{"a":1}`); err != nil {
		t.Fatalf("PUT through a trusted redirect: %v", err)
	}
	got := trusted.requests()
	if len(got) != 1 || !strings.Contains(got[0].Query, "auth="+token) || got[0].Body != `{"a":1}` || !strings.Contains(got[0].Query, "print=silent") {
		t.Fatalf("trusted host saw %+v, want the PUT with its body and auth=", got)
	}
	if p := primary.requests(); !strings.Contains(p[0].Query, "auth="+token) {
		t.Fatalf("primary saw %+v, want auth=", p)
	}

	// A trusted host that redirects to an untrusted one, repeating auth=.
	err = call(http.MethodGet, "elsewhere", "")
	// The primary's redirect of a PUT to the untrusted host is not followed.
	err2 := call(http.MethodPut, "away", `{"b":2}`)
	for _, r := range untrusted.requests() {
		if strings.Contains(r.Query, token) || strings.Contains(r.Query, "auth=") || r.Authorization != "" {
			t.Errorf("untrusted host got the credential: %+v", r)
		}
		if r.Method != http.MethodGet {
			t.Errorf("untrusted host got a %s with body %q", r.Method, r.Body)
		}
	}
	if n := len(untrusted.requests()); n != 1 {
		t.Errorf("untrusted host saw %d requests, want 1 (the GET)", n)
	}
	var apiErr *sdk.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET elsewhere: %v, want the untrusted host's 401", err)
	}
	if !errors.As(err2, &apiErr) || apiErr.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("PUT away: %v, want the 307 as the answer", err2)
	}
	for _, s := range []string{err.Error(), err2.Error(), logs.String()} {
		if strings.Contains(s, token) {
			t.Errorf("the token leaked: %s", s)
		}
	}
}

func TestTrustedOriginsRejectsBadPatterns(t *testing.T) {
	for _, p := range []string{"firebaseio.com", "ftp://x", "https://", "https://a/b", "https://a.*.com", "https://u@x"} {
		_, err := sdk.NewClient("https://example.com", sdk.WithTrustedOrigins(p))
		var oe *sdk.OptionError
		if !errors.As(err, &oe) || oe.Option != "WithTrustedOrigins" {
			t.Errorf("WithTrustedOrigins(%q): %v, want an *OptionError", p, err)
		}
	}
	if _, err := sdk.NewClient("https://example.com", sdk.WithQueryToken("", sdk.StaticToken("x"))); err == nil {
		t.Error("WithQueryToken with no name: no error")
	}
}
