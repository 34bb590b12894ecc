package sdk

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// fingerprints is a Cache that records the fingerprint of each call and
// sends it on.
type fingerprints struct {
	mu   sync.Mutex
	key  []byte
	seen []string
	errs []error
}

func (f *fingerprints) RoundTrip(req *http.Request, scope *CacheScope, next http.RoundTripper) (*http.Response, error) {
	fp, err := scope.Fingerprint(f.key)
	f.mu.Lock()
	f.seen = append(f.seen, fp)
	f.errs = append(f.errs, err)
	f.mu.Unlock()
	return next.RoundTrip(req)
}

func (f *fingerprints) last() (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen[len(f.seen)-1], f.errs[len(f.errs)-1]
}

// The fingerprint names who asks: the credentials the operation selects
// and identity headers, not how the call wants its answer.
func TestCacheScopeFingerprint(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "{}")
	}))
	defer srv.Close()
	rec := &fingerprints{key: []byte("0123456789abcdef")}
	fp := func(op *Operation, opts ...Option) string {
		t.Helper()
		c := newTestClient(t, srv.URL, append([]Option{WithCache(rec)}, opts...)...)
		resp, err := c.do(context.Background(), op, get("/x"))
		if err != nil {
			t.Fatal(err)
		}
		noContent(resp)
		got, ferr := rec.last()
		if ferr != nil {
			t.Fatal(ferr)
		}
		return got
	}
	anyOp := &Operation{ID: "any"}
	noAuthOp := &Operation{ID: "public", Security: [][]string{}}
	keyOp := &Operation{ID: "keyed", Security: [][]string{{"api_key"}}}

	anonymous := fp(anyOp)
	alice := fp(anyOp, WithBearerToken("alice"))
	if alice == anonymous || alice != fp(anyOp, WithBearerToken("alice")) || alice == fp(anyOp, WithBearerToken("bob")) {
		t.Fatal("bearer tokens: the same token must give the same fingerprint, others another")
	}
	if fp(anyOp, WithBearerToken("alice"), WithHeader("Cache-Control", "no-cache"), WithHeader("Accept-Language", "fr")) != alice {
		t.Error("Cache-Control and Accept-* headers changed the fingerprint")
	}
	if fp(anyOp, WithBearerToken("alice"), WithHeader("X-Tenant", "t1")) == alice {
		t.Error("a tenant header did not change the fingerprint")
	}
	if fp(noAuthOp, WithBearerToken("alice")) != anonymous {
		t.Error("an operation that takes no credentials is not anonymous")
	}
	both := []Option{WithAPIKeyFor("api_key", InHeader, "X-Key", "k1"), WithBearerToken("alice")}
	if fp(keyOp, both...) == fp(keyOp, WithAPIKeyFor("api_key", InHeader, "X-Key", "k2"), WithBearerToken("alice")) {
		t.Error("the operation's API key did not count")
	}
	if fp(anyOp, WithBasicAuth("u", "p1")) == fp(anyOp, WithBasicAuth("u", "p2")) {
		t.Error("basic passwords did not count")
	}
	if fp(anyOp, WithBearerToken("alice")) == fp(anyOp, WithHeader("Authorization", "Bearer alice")) {
		t.Error("a token source and a header share a fingerprint")
	}

	// A key too short, and credentials from middleware, fail.
	if _, err := (&CacheScope{}).Fingerprint([]byte("short")); err == nil {
		t.Error("a 5-byte key was accepted")
	}
	c := newTestClient(t, srv.URL, WithCache(rec), WithMiddleware(func(next http.RoundTripper) http.RoundTripper {
		return RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			r = r.Clone(r.Context())
			r.Header.Set("Cookie", "session=s")
			return next.RoundTrip(r)
		})
	}))
	resp, err := c.do(context.Background(), anyOp, get("/x"))
	if err != nil {
		t.Fatal(err)
	}
	noContent(resp)
	var se *CacheScopeError
	if _, err := rec.last(); !errors.As(err, &se) {
		t.Fatalf("a cookie set by middleware: %v, want a CacheScopeError", err)
	}
}
