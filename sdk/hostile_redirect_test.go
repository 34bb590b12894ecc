package sdk_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

// landing is what a redirect target received.
type landing struct {
	Method, Path, Referer, AuthToken, Body string
}

// landingServer records every request it gets, on a listener of its own.
type landingServer struct {
	*httptest.Server
	mu   sync.Mutex
	got  []landing
	base string // its URL under the host name "localhost"
}

func newLandingServer(t *testing.T) *landingServer {
	t.Helper()
	if addrs, err := net.LookupHost("localhost"); err != nil || len(addrs) == 0 {
		t.Skip("localhost does not resolve here")
	}
	ls := &landingServer{}
	ls.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ls.mu.Lock()
		ls.got = append(ls.got, landing{Method: r.Method, Path: r.URL.Path, Referer: r.Header.Get("Referer"),
			AuthToken: r.Header.Get("X-Auth-Token"), Body: string(body)})
		ls.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{}`)
	}))
	t.Cleanup(ls.Close)
	ls.base = "http://localhost:" + fmt.Sprint(ls.Listener.Addr().(*net.TCPAddr).Port)
	return ls
}

func (ls *landingServer) all() []landing {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return append([]landing(nil), ls.got...)
}

// redirector answers every request with a redirect of the given status to
// target+path, except paths under /landed, which it records.
func redirector(t *testing.T, status int, target func() string) *landingServer {
	ls := &landingServer{}
	ls.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/landed") {
			body, _ := io.ReadAll(r.Body)
			ls.mu.Lock()
			ls.got = append(ls.got, landing{Method: r.Method, Path: r.URL.Path, Referer: r.Header.Get("Referer"),
				AuthToken: r.Header.Get("X-Auth-Token"), Body: string(body)})
			ls.mu.Unlock()
			_, _ = io.WriteString(w, `{}`)
			return
		}
		w.Header().Set("Location", target()+"/landed")
		w.WriteHeader(status)
	}))
	t.Cleanup(ls.Close)
	return ls
}

// On a redirect to another origin, net/http sends the previous URL as
// Referer, query included: a credential in the query (a parameter the
// spec declares, such as access_token= or Firebase's auth=) reached the
// other origin that way. The SDK sends only the origin there, as browsers do by
// default (strict-origin-when-cross-origin); within the origin the full
// URL stays.
func TestRedirectElsewhereRefererHasNoQuery(t *testing.T) {
	const secret = "query-credential-777"
	other := newLandingServer(t)
	for _, status := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			origin := redirector(t, status, func() string { return other.base })
			c := newTestClient(t, origin.URL, sdk.WithAPIKey(sdk.InQuery, "access_token", secret))
			before := len(other.all())
			if err := doGet(c, &sdk.Operation{ID: "go", Path: "/start?page=2&access_token=" + secret}); err != nil {
				t.Fatal(err)
			}
			all := other.all()
			if len(all) != before+1 {
				t.Fatalf("the other origin got %d requests, want 1", len(all)-before)
			}
			ref := all[len(all)-1].Referer
			if strings.Contains(ref, secret) || strings.Contains(ref, "?") || strings.Contains(ref, "/start") {
				t.Errorf("the other origin got Referer %q; want the origin only", ref)
			}
			if want := origin.URL + "/"; ref != want {
				t.Errorf("Referer %q, want %q", ref, want)
			}
		})
	}
	// Within the origin the Referer keeps the whole URL (net/http's), so the
	// check above is not vacuous.
	var self *landingServer
	self = redirector(t, http.StatusFound, func() string { return self.URL })
	c := newTestClient(t, self.URL, sdk.WithAPIKey(sdk.InQuery, "access_token", secret))
	if err := doGet(c, &sdk.Operation{ID: "stay", Path: "/start?page=2"}); err != nil {
		t.Fatal(err)
	}
	if got := self.all(); len(got) != 1 || !strings.Contains(got[0].Referer, "/start?") {
		t.Errorf("same-origin redirect: %+v; want the full Referer", got)
	}
}

// A header set with WithHeader whose name says it carries a credential
// (the names the SDK's redaction treats as secret: X-Auth-Token,
// X-Session-Id, ...) does not follow a redirect to another origin;
// net/http copies every custom header there. Within the origin it follows.
func TestRedirectElsewhereDropsSecretHeaders(t *testing.T) {
	const secret = "header-credential-888"
	other := newLandingServer(t)
	origin := redirector(t, http.StatusFound, func() string { return other.base })
	c := newTestClient(t, origin.URL, sdk.WithHeader("X-Auth-Token", secret))
	if err := doGet(c, &sdk.Operation{ID: "go", Path: "/start"}); err != nil {
		t.Fatal(err)
	}
	if got := other.all(); len(got) != 1 || got[0].AuthToken != "" {
		t.Errorf("the other origin got %+v; want one request without X-Auth-Token", got)
	}
	var self *landingServer
	self = redirector(t, http.StatusFound, func() string { return self.URL })
	c = newTestClient(t, self.URL, sdk.WithHeader("X-Auth-Token", secret))
	if err := doGet(c, &sdk.Operation{ID: "stay", Path: "/start"}); err != nil {
		t.Fatal(err)
	}
	if got := self.all(); len(got) != 1 || got[0].AuthToken != secret {
		t.Errorf("same-origin redirect: %+v; want the header kept", got)
	}
}

// A 307 or 308 answer to a request with a body, pointing at another
// origin, is not followed: the body would be sent to a server the call was
// not made to (OkHttp does not follow such redirects either). The call
// fails with an APIError carrying the redirect's status and Location; the
// other origin gets nothing. Within the origin the body follows, and a 303
// (which turns the request into a GET without a body) is followed
// anywhere.
func TestRedirectElsewhereKeepsTheBody(t *testing.T) {
	const payload = `{"card":"4111-1111-1111-1111"}`
	other := newLandingServer(t)
	post := func(c *sdk.Client) error {
		resp, err := sdkimpl.Do(context.Background(), c, &sdk.Operation{ID: "pay", Method: http.MethodPost, Path: "/pay"}, func(server string) (*http.Request, error) {
			req, err := http.NewRequest(http.MethodPost, server+"pay", bytes.NewReader([]byte(payload)))
			if err == nil {
				req.Header.Set("Content-Type", "application/json")
			}
			return req, err
		})
		if err != nil {
			return err
		}
		return sdkimpl.NoContent(resp)
	}
	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			origin := redirector(t, status, func() string { return other.base })
			c := newTestClient(t, origin.URL)
			before := len(other.all())
			err := post(c)
			var ae *sdk.APIError
			if !errors.As(err, &ae) || ae.StatusCode != status || !strings.HasSuffix(ae.Header.Get("Location"), "/landed") {
				t.Fatalf("got %v; want an APIError with status %d and the Location", err, status)
			}
			if got := other.all()[before:]; len(got) != 0 {
				t.Errorf("the other origin got %+v; want nothing", got)
			}
			var self *landingServer
			self = redirector(t, status, func() string { return self.URL })
			if err := post(newTestClient(t, self.URL)); err != nil {
				t.Fatal(err)
			}
			if got := self.all(); len(got) != 1 || got[0].Method != http.MethodPost || got[0].Body != payload {
				t.Errorf("same-origin redirect: %+v; want the POST with its body", got)
			}
		})
	}
	origin := redirector(t, http.StatusSeeOther, func() string { return other.base })
	before := len(other.all())
	if err := post(newTestClient(t, origin.URL)); err != nil {
		t.Fatal(err)
	}
	if got := other.all()[before:]; len(got) != 1 || got[0].Method != http.MethodGet || got[0].Body != "" {
		t.Errorf("303: the other origin got %+v; want one GET without a body", got)
	}
}
