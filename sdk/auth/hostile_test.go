package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/auth"
)

// A token endpoint that fails is not asked again on every call: after a
// failure, the calls that need a token within a cool-down fail at once with
// the same error, and the cool-down doubles with each failure in a row
// (1 s, 2 s, 4 s, ... up to a minute), or lasts as long as the endpoint's
// Retry-After asks (up to 5 minutes), as MSAL throttles failing token
// requests. Before, 100 calls made 100 token requests.
func TestFailingTokenEndpointIsNotAskedOnEveryCall(t *testing.T) {
	tokens := newTokenServer(t, 3600)
	failing := true
	tokens.setFail(func(int) (int, string) {
		if failing {
			return http.StatusInternalServerError, `{"error":"server_error","error_description":"database down"}`
		}
		return 0, ""
	})
	clk := newClock()
	src := auth.ClientCredentials(tokens.config(), auth.WithClock(clk.Now))
	api := newAPIServer(t, func(tok string) bool { return tok != "" })
	c := newClient(t, api.URL, sdk.WithTokenSource(src))
	calls := func(n int) {
		t.Helper()
		for range n {
			err := call(context.Background(), c)
			var te *auth.TokenError
			if !errors.As(err, &te) || te.Code != "server_error" {
				t.Fatalf("got %v; want the endpoint's TokenError", err)
			}
		}
	}
	requests := func(want int32) {
		t.Helper()
		if n := tokens.requests.Load(); n != want {
			t.Fatalf("%d token requests, want %d", n, want)
		}
	}
	calls(100)
	requests(1)
	for i, cool := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		clk.Advance(cool - time.Millisecond)
		calls(10)
		requests(int32(i + 1))
		clk.Advance(time.Millisecond)
		calls(10)
		requests(int32(i + 2))
	}
	// The endpoint recovers: after the cool-down the next call gets a
	// token, and the count starts again.
	failing = false
	clk.Advance(8 * time.Second)
	if err := call(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	requests(5)
	if api.total() != 1 {
		t.Fatalf("the API saw %d calls, want 1", api.total())
	}
}

// The endpoint's Retry-After sets the cool-down.
func TestTokenEndpointRetryAfter(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Retry-After", "30")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"error":"temporarily_unavailable"}`)
	}))
	defer srv.Close()
	clk := newClock()
	src := auth.ClientCredentials(auth.Config{ClientID: clientID, ClientSecret: clientSecret, TokenURL: srv.URL}, auth.WithClock(clk.Now))
	for _, step := range []time.Duration{0, time.Second, 10 * time.Second, 18 * time.Second} {
		clk.Advance(step)
		if _, err := src.Token(context.Background()); err == nil {
			t.Fatal("got a token")
		}
	}
	if n := requests.Load(); n != 1 {
		t.Fatalf("%d token requests within the Retry-After of 30 s, want 1", n)
	}
	clk.Advance(time.Second)
	_, _ = src.Token(context.Background())
	if n := requests.Load(); n != 2 {
		t.Fatalf("%d token requests after the Retry-After, want 2", n)
	}
}

// A token whose expires_in is not a positive number of seconds (-100, 0)
// says nothing of its lifetime, as if it had none (RFC 6749 makes it
// optional): it is used until a server refuses it. Before, -100 made a
// token that had expired on arrival, fetched anew for every call.
func TestTokenThatExpiresOnArrivalIsNotFetchedPerCall(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"access-%d","token_type":"bearer","expires_in":-100}`, n)
	}))
	defer srv.Close()
	api := newAPIServer(t, func(tok string) bool { return tok == "access-1" })
	src := auth.ClientCredentials(auth.Config{ClientID: clientID, ClientSecret: clientSecret, TokenURL: srv.URL})
	c := newClient(t, api.URL, sdk.WithTokenSource(src))
	for range 100 {
		if err := call(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	if n := requests.Load(); n != 1 {
		t.Fatalf("%d token requests for 100 calls, want 1", n)
	}
}

// A fetcher of NewSource that returns a token already expired has failed:
// the callers get an error saying so, under the same cool-down.
func TestFetcherReturningAnExpiredToken(t *testing.T) {
	clk := newClock()
	var fetches atomic.Int32
	src := auth.NewSource(func(context.Context, *sdk.Token) (*sdk.Token, error) {
		fetches.Add(1)
		return &sdk.Token{AccessToken: "stale", Expiry: clk.Now().Add(-time.Minute)}, nil
	}, auth.WithClock(clk.Now))
	for range 50 {
		if _, err := src.Token(context.Background()); err == nil || !errors.Is(err, auth.ErrExpiredOnArrival) {
			t.Fatalf("got %v, want ErrExpiredOnArrival", err)
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}
}
