package cache_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/auth"
	"github.com/sdkgen-go/sdkgen/sdk/cache"
	"github.com/sdkgen-go/sdkgen/sdk/cache/boltstore"
)

// Secrets of the users of TestCredentialsKeepUsersApart, long enough that
// finding one in the store's file cannot be chance.
var users = map[string]string{
	"Bearer SECRET-bearer-alice-9c1f4e":                                             "alice",
	"Bearer SECRET-bearer-bob-71d2aa":                                               "bob",
	"Basic " + base64.StdEncoding.EncodeToString([]byte("carol:SECRET-pw-carol-1")): "carol",
	"Basic " + base64.StdEncoding.EncodeToString([]byte("carol:SECRET-pw-carol-2")): "carol-other-password",
	"key:SECRET-apikey-dave-5e0b":                                                   "dave",
	"key:SECRET-apikey-erin-a33c":                                                   "erin",
	"query:SECRET-querykey-frank-2b8d":                                              "frank",
	"cookie:SECRET-cookie-grace-c0de":                                               "grace",
	"cookie:SECRET-cookie-heidi-beef":                                               "heidi",
	"tenant:SECRET-tenant-ivan-77":                                                  "ivan",
}

// whoami answers with the user its credentials name, so that a response
// served to the wrong user shows, without a secret in the body; it sets a
// session cookie that must never be stored.
func whoami(w http.ResponseWriter, r *http.Request) {
	var creds []string
	if v := r.Header.Get("Authorization"); v != "" {
		creds = append(creds, v)
	}
	if v := r.Header.Get("X-Api-Key"); v != "" {
		creds = append(creds, "key:"+v)
	}
	if v := r.URL.Query().Get("api_key"); v != "" {
		creds = append(creds, "query:"+v)
	}
	if ck, err := r.Cookie("session"); err == nil {
		creds = append(creds, "cookie:"+ck.Value)
	}
	if v := r.Header.Get("X-Tenant"); v != "" {
		creds = append(creds, "tenant:"+v)
	}
	name := "anonymous"
	if len(creds) > 0 {
		name = ""
		for _, c := range creds {
			n, ok := users[c]
			if !ok {
				n = "unknown"
			}
			name += n
		}
	}
	w.Header().Set("Cache-Control", "private, max-age=600")
	// Its path keeps it out of the jars' cookies for /me: a cookie the jar
	// would send changes the caller's identity (and so the cache key).
	w.Header().Set("Set-Cookie", "tracking=SECRET-set-cookie-judy-44; Path=/elsewhere")
	_, _ = io.WriteString(w, `{"user":"`+name+`"}`)
}

// A response never reaches another user: each kind of credential keys the
// stored responses, the keyed fingerprints keep the secrets out of the
// store's file, and credentials the cache cannot bind are not cached at
// all.
func TestCredentialsKeepUsersApart(t *testing.T) {
	clk := newClock()
	o := newOrigin(clk)
	o.setHandle(whoami)
	srv := newServer(t, o)
	path := filepath.Join(t.TempDir(), "cache.db")
	store, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var storeErrs atomic.Int32
	ch := newCache(t, store, cache.WithClock(clk.Now), cache.WithOnError(func(error) { storeErrs.Add(1) }))

	jarWith := func(value string) sdk.Option {
		jar, _ := cookiejar.New(nil)
		u, _ := url.Parse(srv.URL)
		jar.SetCookies(u, []*http.Cookie{{Name: "session", Value: value}})
		return sdk.WithHTTPClient(&http.Client{Jar: jar})
	}
	clients := []struct {
		want string
		opts []sdk.Option
	}{
		{"anonymous", nil},
		{"alice", []sdk.Option{sdk.WithBearerToken("SECRET-bearer-alice-9c1f4e")}},
		{"bob", []sdk.Option{sdk.WithBearerToken("SECRET-bearer-bob-71d2aa")}},
		{"carol", []sdk.Option{sdk.WithBasicAuth("carol", "SECRET-pw-carol-1")}},
		{"carol-other-password", []sdk.Option{sdk.WithBasicAuth("carol", "SECRET-pw-carol-2")}},
		{"dave", []sdk.Option{sdk.WithAPIKey(sdk.InHeader, "X-Api-Key", "SECRET-apikey-dave-5e0b")}},
		{"erin", []sdk.Option{sdk.WithAPIKey(sdk.InHeader, "X-Api-Key", "SECRET-apikey-erin-a33c")}},
		{"frank", []sdk.Option{sdk.WithAPIKey(sdk.InQuery, "api_key", "SECRET-querykey-frank-2b8d")}},
		{"grace", []sdk.Option{jarWith("SECRET-cookie-grace-c0de")}},
		{"heidi", []sdk.Option{jarWith("SECRET-cookie-heidi-beef")}},
		{"ivan", []sdk.Option{sdk.WithHeader("X-Tenant", "SECRET-tenant-ivan-77")}},
	}
	var cs []*sdk.Client
	for _, u := range clients {
		cs = append(cs, newClient(t, srv.URL, append([]sdk.Option{sdk.WithCache(ch)}, u.opts...)...))
	}
	for round, want := range []cache.Outcome{cache.Miss, cache.Hit, cache.Hit} {
		for i, u := range clients {
			expect(t, fmt.Sprintf("round %d, %s", round, u.want), get(cs[i], "/me"), want, `{"user":"`+u.want+`"}`)
		}
	}
	if n := srv.Count(); n != len(clients) {
		t.Fatalf("server got %d requests, want one per user (%d)", n, len(clients))
	}

	// Credentials set by user middleware are bound to nothing the cache
	// knows: such calls are neither served from nor stored in the cache.
	sneaky := newClient(t, srv.URL, sdk.WithCache(ch), sdk.WithMiddleware(func(next http.RoundTripper) http.RoundTripper {
		return sdk.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			r = r.Clone(r.Context())
			r.Header.Set("Authorization", "Bearer SECRET-bearer-bob-71d2aa")
			return next.RoundTrip(r)
		})
	}))
	for range 2 {
		expect(t, "middleware credentials", get(sneaky, "/me"), cache.Bypass, `{"user":"bob"}`)
	}
	if n := srv.Count(); n != len(clients)+2 {
		t.Fatalf("server got %d requests, want %d", n, len(clients)+2)
	}

	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	if storeErrs.Load() != 0 {
		t.Fatalf("%d store errors", storeErrs.Load())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"SECRET-", "Bearer ", "carol:", base64.StdEncoding.EncodeToString([]byte("carol:SECRET-pw-carol-1"))} {
		if i := bytes.Index(data, []byte(secret)); i >= 0 {
			t.Errorf("the store's file holds %q at %d: %q", secret, i, data[i:min(len(data), i+40)])
		}
	}
	if !bytes.Contains(data, []byte(`{"user":"alice"}`)) {
		t.Fatal("the store's file holds no response: the scan above proves nothing")
	}
}

// Token sources: one that names its principal keeps its entries across
// token refreshes and across new sources for the same principal; one that
// does not is keyed by its token, so a refresh starts afresh; different
// principals never share.
func TestTokenSourcesAndIdentity(t *testing.T) {
	clk := newClock()
	o := newOrigin(clk)
	o.setHandle(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=600")
		_, _ = io.WriteString(w, `{"token":"`+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")+`"}`)
	})
	srv := newServer(t, o)
	ch := newCache(t, cache.NewMemoryStore(0), cache.WithClock(clk.Now))
	var issued atomic.Int32
	fetch := func(prefix string) auth.Fetcher {
		return func(context.Context, *sdk.Token) (*sdk.Token, error) {
			return &sdk.Token{AccessToken: fmt.Sprintf("%s-%d", prefix, issued.Add(1))}, nil
		}
	}
	ctx := context.Background()

	named := auth.NewSource(fetch("u1"), auth.WithIdentity("user-1"))
	c1 := newClient(t, srv.URL, sdk.WithCache(ch), sdk.WithTokenSource(named))
	expect(t, "user-1", get(c1, "/me"), cache.Miss, `{"token":"u1-1"}`)
	tok, _ := named.Token(ctx)
	if _, err := named.Refresh(ctx, tok); err != nil {
		t.Fatal(err)
	}
	expect(t, "user-1 after a refresh", get(c1, "/me"), cache.Hit, `{"token":"u1-1"}`)
	again := newClient(t, srv.URL, sdk.WithCache(ch), sdk.WithTokenSource(auth.NewSource(fetch("u1"), auth.WithIdentity("user-1"))))
	expect(t, "user-1, another source", get(again, "/me"), cache.Hit, `{"token":"u1-1"}`)
	other := newClient(t, srv.URL, sdk.WithCache(ch), sdk.WithTokenSource(auth.NewSource(fetch("u2"), auth.WithIdentity("user-2"))))
	expect(t, "user-2", get(other, "/me"), cache.Miss, `{"token":"u2-3"}`)

	anonymous := auth.NewSource(fetch("x"))
	c3 := newClient(t, srv.URL, sdk.WithCache(ch), sdk.WithTokenSource(anonymous))
	expect(t, "no identity", get(c3, "/me"), cache.Miss, `{"token":"x-4"}`)
	expect(t, "no identity, same token", get(c3, "/me"), cache.Hit, `{"token":"x-4"}`)
	tok, _ = anonymous.Token(ctx)
	if _, err := anonymous.Refresh(ctx, tok); err != nil {
		t.Fatal(err)
	}
	expect(t, "no identity, new token", get(c3, "/me"), cache.Miss, `{"token":"x-5"}`)

	// A source that fails and has no identity: the call is not cached, and
	// fails with the source's error.
	broken := newClient(t, srv.URL, sdk.WithCache(ch), sdk.WithoutRetries(), sdk.WithTokenSource(auth.NewSource(func(context.Context, *sdk.Token) (*sdk.Token, error) {
		return nil, errors.New("no token today")
	})))
	if r := get(broken, "/me"); r.err == nil || !strings.Contains(r.err.Error(), "no token today") {
		t.Fatalf("a failing token source: %v", r.err)
	}
}

// OAuth2 client credentials: the source names the client, so after a
// restart with the token endpoint and the API both gone, the call is
// answered from the cache (stale-if-error) after the retries ran out.
func TestClientCredentialsOffline(t *testing.T) {
	var tokens atomic.Int32
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"cc-token-%d","token_type":"bearer","expires_in":3600}`, tokens.Add(1))
	}))
	defer tokenSrv.Close()
	clk := newClock()
	o := newOrigin(clk)
	o.set("/pets", `["Rex"]`, "Cache-Control", "max-age=60")
	srv := newServer(t, o)
	store := cache.NewMemoryStore(0)
	cfg := func(id string) auth.Config {
		return auth.Config{ClientID: id, ClientSecret: "s3cret", TokenURL: tokenSrv.URL, Scopes: []string{"read", "pets"}}
	}
	ch := newCache(t, store, cache.WithClock(clk.Now), cache.WithStaleIfError(24*time.Hour))
	first := newClient(t, srv.URL, sdk.WithCache(ch), sdk.WithTokenSource(auth.ClientCredentials(cfg("app"))))
	expect(t, "online", get(first, "/pets"), cache.Miss, `["Rex"]`)

	clk.Advance(time.Hour)
	srv.Down()
	tokenSrv.Close()
	// The token request fails before the attempt middleware would run, so
	// retries are counted.
	var retries atomic.Int32
	countRetries := sdk.WithOnRetry(func(sdk.RetryEvent) { retries.Add(1) })
	// A new source (a restarted program) for the same client, scopes in
	// another order: the same principal.
	cc := auth.Config{ClientID: "app", ClientSecret: "rotated", TokenURL: tokenSrv.URL, Scopes: []string{"pets", "read"}}
	restarted := newClient(t, srv.URL, sdk.WithCache(ch), sdk.WithMaxRetries(2), countRetries, sdk.WithTokenSource(auth.ClientCredentials(cc)))
	expect(t, "offline", get(restarted, "/pets"), cache.Stale, `["Rex"]`)
	if retries.Load() != 2 {
		t.Fatalf("%d retries before the stale answer, want 2", retries.Load())
	}
	otherClient := newClient(t, srv.URL, sdk.WithCache(ch), sdk.WithoutRetries(), sdk.WithTokenSource(auth.ClientCredentials(cfg("other-app"))))
	if r := get(otherClient, "/pets"); r.err == nil {
		t.Fatalf("another client was answered from the cache: %+v", r)
	}
}

// Credentials added by attempt middleware (a request signer) are added
// below the cache, where its fingerprint cannot see them: a response to
// such a request is never stored, and the client's later calls bypass the
// cache, so one user's response never reaches another. Attempt middleware
// that adds no credential (a tracing header) leaves caching alone, and its
// calls are keyed apart from those of clients without it.
func TestAttemptMiddlewareCredentialsAreNotCached(t *testing.T) {
	clk := newClock()
	o := newOrigin(clk)
	o.setHandle(whoami)
	srv := newServer(t, o)
	ch := newCache(t, cache.NewMemoryStore(0), cache.WithClock(clk.Now))
	setHeader := func(name, value string) sdk.Option {
		return sdk.WithAttemptMiddleware(func(next http.RoundTripper) http.RoundTripper {
			return sdk.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
				r = r.Clone(r.Context())
				r.Header.Set(name, value)
				return next.RoundTrip(r)
			})
		})
	}
	alice := newClient(t, srv.URL, sdk.WithCache(ch), setHeader("Authorization", "Bearer SECRET-bearer-alice-9c1f4e"))
	bob := newClient(t, srv.URL, sdk.WithCache(ch), setHeader("Authorization", "Bearer SECRET-bearer-bob-71d2aa"))
	for round := range 2 {
		for _, u := range []struct {
			c    *sdk.Client
			name string
		}{{alice, "alice"}, {bob, "bob"}} {
			r := get(u.c, "/me")
			if r.err != nil || r.body != `{"user":"`+u.name+`"}` || r.outcome == cache.Hit {
				t.Fatalf("round %d, %s: %q %q %v; want its own answer from the server", round, u.name, r.outcome, r.body, r.err)
			}
		}
	}
	if n := srv.Count(); n != 4 {
		t.Fatalf("server got %d requests, want 4 (nothing served from the cache)", n)
	}
	// A tracing header is no credential: cached as usual.
	traced := newClient(t, srv.URL, sdk.WithCache(ch), setHeader("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
	expect(t, "traced", get(traced, "/me"), cache.Miss, `{"user":"anonymous"}`)
	expect(t, "traced again", get(traced, "/me"), cache.Hit, `{"user":"anonymous"}`)
	// Keyed apart from a client without attempt middleware.
	plain := newClient(t, srv.URL, sdk.WithCache(ch))
	expect(t, "plain", get(plain, "/me"), cache.Miss, `{"user":"anonymous"}`)
}

// One policy for bad option values across sdk, sdk/cache and
// sdk/cache/boltstore: a value an option cannot take fails the
// constructor with an *sdk.OptionError naming the option, never silently
// ignored (these were). Each is checked alone and all at once (the errors
// are joined).
func TestBadOptionValuesAreOptionErrors(t *testing.T) {
	mem := cache.NewMemoryStore(0)
	for name, opt := range map[string]cache.Option{
		"cache.WithMaxBodySize":     cache.WithMaxBodySize(0),
		"cache.WithStaleIfError":    cache.WithStaleIfError(-time.Second),
		"cache.WithClock":           cache.WithClock(nil),
		"cache.WithFingerprintKey":  cache.WithFingerprintKey([]byte("short")),
		"cache.WithMaxBodySize(-1)": cache.WithMaxBodySize(-1),
	} {
		_, err := cache.New(mem, opt)
		var oe *sdk.OptionError
		if !errors.As(err, &oe) || !strings.HasPrefix(name, oe.Option) {
			t.Errorf("%s: got %v, want an OptionError naming it", name, err)
		}
	}
	if _, err := cache.New(nil); !errors.As(err, new(*sdk.OptionError)) {
		t.Errorf("nil store: %v", err)
	}
	_, err := cache.New(mem, cache.WithMaxBodySize(0), cache.WithClock(nil))
	if err == nil || strings.Count(err.Error(), "cache.") != 2 {
		t.Errorf("two bad options: %v", err)
	}
	dir := t.TempDir()
	for name, opt := range map[string]boltstore.Option{
		"boltstore.WithMaxBytes":    boltstore.WithMaxBytes(0),
		"boltstore.WithLockTimeout": boltstore.WithLockTimeout(-time.Second),
	} {
		s, err := boltstore.Open(filepath.Join(dir, "c.db"), opt)
		var oe *sdk.OptionError
		if !errors.As(err, &oe) || oe.Option != name {
			t.Errorf("%s: got %v, want an OptionError naming it", name, err)
		}
		if s != nil {
			s.Close()
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "c.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a store with bad options created its file: %v", err)
	}
}
