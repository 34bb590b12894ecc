package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/auth"
)

// Client credentials go as HTTP basic credentials by default, in the body
// when asked, and a public client sends its id in the body; scopes and
// endpoint parameters go along.
func TestClientCredentialsRequest(t *testing.T) {
	tokens := newTokenServer(t, 60)
	ctx := context.Background()
	cfg := tokens.config()
	cfg.Scopes = []string{"read", "write"}
	cfg.EndpointParams = map[string][]string{"audience": {"https://api.example.com"}}
	if _, err := auth.ClientCredentials(cfg).Token(ctx); err != nil {
		t.Fatal(err)
	}
	f := tokens.form(0)
	if f.Get("grant_type") != "client_credentials" || f.Get("scope") != "read write" || f.Get("audience") != "https://api.example.com" {
		t.Errorf("form %v", f)
	}
	if f.Get("client_secret") != "" || tokens.basic[0] != clientID {
		t.Errorf("default style: form %v, basic %q; want the secret in the header only", f, tokens.basic[0])
	}
	cfg.AuthStyle = auth.AuthStyleInParams
	if _, err := auth.ClientCredentials(cfg).Token(ctx); err != nil {
		t.Fatal(err)
	}
	if f := tokens.form(1); f.Get("client_secret") != clientSecret || tokens.basic[1] != "" {
		t.Errorf("params style: form %v, basic %q", f, tokens.basic[1])
	}
}

// Token and discovery requests over plain http to a host that is not
// loopback are refused before anything is sent, unless allowed.
func TestPlainHTTPTokenEndpointRefused(t *testing.T) {
	ctx := context.Background()
	src := auth.ClientCredentials(auth.Config{ClientID: clientID, ClientSecret: clientSecret, TokenURL: "http://auth.example.com/token"})
	_, err := src.Token(ctx)
	var te *auth.TokenError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "plain http") {
		t.Fatalf("got %v, want a refusal", err)
	}
	oidc := auth.ClientCredentials(auth.Config{ClientID: clientID, ClientSecret: clientSecret, DiscoveryURL: "http://auth.example.com/.well-known/openid-configuration"})
	_, err = oidc.Token(ctx)
	var de *auth.DiscoveryError
	if !errors.As(err, &de) {
		t.Fatalf("got %v, want a *auth.DiscoveryError", err)
	}
	// Allowed, the request goes out (through the given client).
	var sent bool
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent = true
		return nil, errors.New("offline")
	})}
	_, err = auth.ClientCredentials(auth.Config{ClientID: clientID, ClientSecret: clientSecret, TokenURL: "http://auth.example.com/token"},
		auth.WithInsecureHTTP(), auth.WithHTTPClient(hc)).Token(ctx)
	if !sent || !errors.As(err, &te) || te.StatusCode != 0 || strings.Contains(err.Error(), clientSecret) {
		t.Fatalf("with WithInsecureHTTP: sent %v, err %v", sent, err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A token endpoint that redirects is not followed: the client secret goes
// to the token endpoint only.
func TestTokenEndpointRedirectIsNotFollowed(t *testing.T) {
	other := newTokenServer(t, 60)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.tokenURL(), http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	_, err := auth.ClientCredentials(auth.Config{ClientID: clientID, ClientSecret: clientSecret, TokenURL: redirector.URL + "/token"}).Token(context.Background())
	var te *auth.TokenError
	if !errors.As(err, &te) || te.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("got %v, want a TokenError with the 307", err)
	}
	if n := other.requests.Load(); n != 0 {
		t.Errorf("the redirect was followed (%d requests)", n)
	}
}

// OpenID Connect discovery finds the token endpoint, once.
func TestDiscovery(t *testing.T) {
	tokens := newTokenServer(t, 60)
	var discoveries int
	disc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		discoveries++
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{
			"issuer":                 "http://" + r.Host,
			"token_endpoint":         tokens.tokenURL(),
			"authorization_endpoint": "http://" + r.Host + "/authorize",
		})
	}))
	defer disc.Close()
	cfg := auth.Config{ClientID: clientID, ClientSecret: clientSecret, DiscoveryURL: disc.URL + "/.well-known/openid-configuration"}
	src := auth.ClientCredentials(cfg)
	ctx := context.Background()
	t1, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Refresh(ctx, t1); err != nil {
		t.Fatal(err)
	}
	if discoveries != 1 || tokens.requests.Load() != 2 {
		t.Errorf("%d discoveries, %d token requests; want 1, 2", discoveries, tokens.requests.Load())
	}
	full, err := cfg.Discover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if full.TokenURL != tokens.tokenURL() || full.AuthURL != disc.URL+"/authorize" {
		t.Errorf("discovered %+v", full)
	}
	u := full.AuthCodeURL("st4te", auth.GenerateVerifier())
	if !strings.HasPrefix(u, disc.URL+"/authorize?") || !strings.Contains(u, "code_challenge_method=S256") || !strings.Contains(u, "state=st4te") {
		t.Errorf("AuthCodeURL = %s", u)
	}

	// A document that is not one is a DiscoveryError.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<html>")) }))
	defer bad.Close()
	_, err = auth.ClientCredentials(auth.Config{DiscoveryURL: bad.URL}).Token(ctx)
	var de *auth.DiscoveryError
	if !errors.As(err, &de) {
		t.Fatalf("got %v, want a DiscoveryError", err)
	}
}

// The adapters carry tokens both ways between sdk and golang.org/x/oauth2.
func TestOAuth2Adapters(t *testing.T) {
	exp := time.Now().Add(time.Hour).Round(time.Second)
	o := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "a", TokenType: "Bearer", RefreshToken: "r", Expiry: exp})
	ctx := context.Background()
	tok, err := auth.FromOAuth2(o).Token(ctx)
	if err != nil || tok.AccessToken != "a" || tok.RefreshToken != "r" || !tok.Expiry.Equal(exp) {
		t.Fatalf("FromOAuth2: %v, %v", tok, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := auth.FromOAuth2(o).Token(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("FromOAuth2 with an ended context: %v", err)
	}
	back, err := auth.ToOAuth2(sdk.StaticToken("s")).Token()
	if err != nil || back.AccessToken != "s" || !back.Valid() {
		t.Fatalf("ToOAuth2: %v, %v", back, err)
	}
	// A Source used where x/oauth2 wants one: oauth2.NewClient sends its
	// tokens.
	tokens := newTokenServer(t, 60)
	api := newAPIServer(t, func(tok string) bool { return tok == "access-1" })
	hc := oauth2.NewClient(ctx, auth.ToOAuth2(auth.ClientCredentials(tokens.config())))
	resp, err := hc.Get(api.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status %d", resp.StatusCode)
	}
	hc.CloseIdleConnections()
	if auth.TokenFromOAuth2(nil) != nil || auth.TokenToOAuth2(nil) != nil {
		t.Error("nil tokens must convert to nil")
	}
}
