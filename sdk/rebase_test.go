package sdk

import (
	"net/url"
	"testing"
)

func TestOnOrigin(t *testing.T) {
	base, _ := url.Parse("http://127.0.0.1:4011/me/shows?offset=0")
	for _, tc := range []struct{ next, want string }{
		{"https://api.example.com/v1/me/shows?offset=20", "http://127.0.0.1:4011/me/shows?offset=20"},
		{"https://api.example.com/me/shows?offset=20", "http://127.0.0.1:4011/me/shows?offset=20"},
		{"https://user:pw@api.example.com/other?x=1", "http://127.0.0.1:4011/other?x=1"},
		{"http://127.0.0.1:4011/v1/me/shows", "http://127.0.0.1:4011/v1/me/shows"}, // same origin: as it is
		{"ftp://api.example.com/me/shows", "ftp://api.example.com/me/shows"},       // refused later
	} {
		if got := onOrigin(base, tc.next); got != tc.want {
			t.Errorf("onOrigin(%q) = %q, want %q", tc.next, got, tc.want)
		}
	}
	if got := rebasePath("/api/me/shows", "/v1/me/shows"); got != "/api/me/shows" {
		t.Errorf("rebasePath = %q", got)
	}
}
