package sdk

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// IsCredentialHeader knows the standard credential headers, names that
// say they hold secrets, and, from a call's context, the headers its auth
// options set whatever their names.
func TestIsCredentialHeader(t *testing.T) {
	for name, want := range map[string]bool{
		"Authorization": true, "proxy-authorization": true, "Cookie": true, "X-Api-Key": true,
		"X-Session-Token": true, "X-Client-Secret": true,
		"Content-Type": false, "Idempotency-Key": false, "If-Match": false, "X-Custom": false, "X-Request-Id": false,
	} {
		if got := IsCredentialHeader(context.Background(), name); got != want {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c, err := NewClient(srv.URL, WithAPIKey(InHeader, "X-Custom", "k"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var inCall bool
	_, err = c.do(context.Background(), &Operation{ID: "op"}, func(server string) (*http.Request, error) {
		return http.NewRequest(http.MethodGet, server, nil)
	}, WithMiddleware(func(next http.RoundTripper) http.RoundTripper {
		return RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			inCall = IsCredentialHeader(r.Context(), "x-custom")
			return next.RoundTrip(r)
		})
	}))
	if err != nil || !inCall {
		t.Fatalf("X-Custom inside the call: %v %v", inCall, err)
	}
	for name, want := range map[string]bool{"access_token": true, "api_key": true, "signature": true, "page": false, "id": false} {
		if got := IsSecretParam(name); got != want {
			t.Errorf("param %s: %v, want %v", name, got, want)
		}
	}
}
