package auth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/auth"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

// exampleServers starts a token endpoint (client credentials and refresh
// token grants, rotating refresh tokens) and an API that wants its tokens.
func exampleServers() (tokenURL, apiURL string, stop func()) {
	var n atomic.Int32
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, _ := r.BasicAuth()
		if id != "my-client" || secret != "my-secret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		i := n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token":  fmt.Sprintf("access-%d", i),
			"refresh_token": fmt.Sprintf("refresh-%d", i),
			"token_type":    "Bearer",
			"expires_in":    3600,
		})
	}))
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, `{"pets":2}`)
	}))
	return tokens.URL + "/token", api.URL, func() { tokens.Close(); api.Close() }
}

// A client that gets its own tokens with the client credentials grant:
// one token request, however many calls, until the token nears its
// expiry. Generated SDKs provide the configuration
// (petstore.PetstoreAuthClientCredentials) and the option
// (petstore.WithPetstoreAuth).
func ExampleClientCredentials() {
	tokenURL, apiURL, stop := exampleServers()
	defer stop()

	ts := auth.ClientCredentials(auth.Config{
		ClientID:     "my-client",
		ClientSecret: "my-secret",
		TokenURL:     tokenURL,
		Scopes:       []string{"read:pets"},
	})
	c, err := sdk.NewClient(apiURL, sdk.WithTokenSource(ts))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	op := &sdk.Operation{ID: "countPets", Method: http.MethodGet, Path: "/pets/count"}
	for range 3 {
		resp, err := sdkimpl.Do(context.Background(), c, op, func(server string) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, strings.TrimSuffix(server, "/")+"/pets/count", nil)
		})
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(string(body))
	}
	tok, _ := ts.Token(context.Background())
	fmt.Println("token:", tok.AccessToken)
	// Output:
	// {"pets":2}
	// {"pets":2}
	// {"pets":2}
	// token: access-1
}

// A command-line program keeps the user's tokens in a file: the refresh
// token obtained when the user signed in (Config.AuthCodeURL and
// Config.Exchange) is sent when the access token expires, and the rotated
// refresh token the server answers with is saved before it is used.
func ExampleRefreshToken() {
	tokenURL, _, stop := exampleServers()
	defer stop()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	store := auth.NewFileStore(filepath.Join(dir, "tokens.json"))
	// What signing in saved earlier: an expired access token and its
	// refresh token.
	_ = store.Save(&sdk.Token{AccessToken: "old", RefreshToken: "refresh-0"})

	cfg := auth.Config{ClientID: "my-client", ClientSecret: "my-secret", TokenURL: tokenURL}
	ts := auth.RefreshToken(cfg, auth.WithTokenStore(store), auth.WithOnTokenChange(func(t *sdk.Token) error {
		fmt.Println("new token, expiring:", !t.Expiry.IsZero())
		return nil
	}))
	// Nothing says when "old" expires, so it is used until a server
	// refuses it; tell the source it was refused.
	tok, err := ts.Refresh(context.Background(), &sdk.Token{AccessToken: "old"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("access token:", tok.AccessToken)
	saved, _ := store.Load()
	fmt.Println("saved refresh token:", saved.RefreshToken)
	// Output:
	// new token, expiring: true
	// access token: access-1
	// saved refresh token: refresh-1
}
