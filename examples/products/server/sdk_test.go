package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/examples/products/server"
	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/auth"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

// The SDK runtime that generated clients use works against the server as
// the demo will use it: client-credentials tokens, retries of injected
// failures with one Idempotency-Key, refresh after an expired or revoked
// token, and problem+json errors.
func TestSDKRuntimeAgainstServer(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv, err := server.New(server.Options{
		Clients: []server.Client{{ID: "productsctl", Secret: "s3cret"}},
		Now:     clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	// The server as a plain handler, behind a counter of token requests
	// and of the idempotency keys sent.
	var tokenRequests atomic.Int32
	var keysMu sync.Mutex
	var keys []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/token" {
			tokenRequests.Add(1)
		}
		if k := r.Header.Get("Idempotency-Key"); k != "" {
			keysMu.Lock()
			keys = append(keys, k)
			keysMu.Unlock()
		}
		srv.ServeHTTP(w, r)
	}))
	defer ts.Close()

	var retries atomic.Int32
	c, err := sdk.NewClient(ts.URL,
		sdk.WithTokenSource(auth.ClientCredentials(auth.Config{
			ClientID: "productsctl", ClientSecret: "s3cret", TokenURL: ts.URL + "/oauth/token",
			Scopes: []string{server.ScopeRead, server.ScopeWrite},
		})),
		sdk.WithRetry(sdk.RetryPolicy{MaxRetries: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}),
		sdk.WithOnRetry(func(sdk.RetryEvent) { retries.Add(1) }),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	create := &sdk.Operation{ID: "createProduct", Method: http.MethodPost, Path: "/products", Idempotent: true}
	body := []byte(`{"sku":"LAMP-001","name":"Desk lamp","category":"lighting","price":3999}`)
	srv.FailNext(2, http.StatusServiceUnavailable)
	resp, err := sdkimpl.Do(ctx, c, create, func(base string) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodPost, base+"products", bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	})
	if err != nil {
		t.Fatal(err)
	}
	var p struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || retries.Load() != 2 {
		t.Fatalf("create: %s after %d retries", resp.Status, retries.Load())
	}
	if len(keys) != 3 || keys[0] != keys[1] || keys[1] != keys[2] {
		t.Errorf("idempotency keys of the attempts: %q", keys)
	}

	get := func(id string) (*http.Response, error) {
		return sdkimpl.Do(ctx, c, &sdk.Operation{ID: "getProduct", Method: http.MethodGet, Path: "/products/{id}"},
			func(base string) (*http.Request, error) {
				return http.NewRequest(http.MethodGet, base+"products/"+id, nil)
			})
	}
	check := func(what string) {
		t.Helper()
		resp, err := get(p.ID)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	check("get")
	if n := tokenRequests.Load(); n != 1 {
		t.Fatalf("%d token requests, want 1", n)
	}
	// The token expires (on the server's clock): the 401 makes the SDK
	// fetch a new one and replay the call.
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	check("get after expiry")
	if n := tokenRequests.Load(); n != 2 {
		t.Fatalf("%d token requests after expiry, want 2", n)
	}
	srv.RevokeTokens()
	check("get after revocation")
	if n := tokenRequests.Load(); n != 3 {
		t.Fatalf("%d token requests after revocation, want 3", n)
	}

	// A problem+json error reaches the caller as an *sdk.APIError.
	_, err = get("prd_01JCF7YQX4W99R5S0TKM2ND8FA")
	var apiErr *sdk.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound || apiErr.Problem == nil ||
		apiErr.Problem.Title != "Not found" || apiErr.RequestID == "" ||
		string(apiErr.Problem.Extensions["request_id"]) != `"`+apiErr.RequestID+`"` {
		t.Fatalf("404: %#v", err)
	}
}
