package auth_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/internal/testenv"
	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/auth"
)

// The end-to-end tests run against oauth2-mock-server 8.2.3 (npm, pinned in
// internal/testenv/node), started on loopback by
// internal/testenv/node/oauth2-server.mjs with tokens that live e2eTTL
// seconds, client authentication and rotating refresh tokens. The API they
// call is a server of ours that verifies the mock server's JWTs (signature
// against its JWKS, issuer, expiry on the real clock).

const e2eTTL = 2 // seconds

// mockOAuth2 is a running oauth2-mock-server.
type mockOAuth2 struct {
	base string
}

func startMockOAuth2(t *testing.T) *mockOAuth2 {
	t.Helper()
	mod := testenv.NodeModule(t, "oauth2-mock-server")
	script := filepath.Join(filepath.Dir(filepath.Dir(mod)), "oauth2-server.mjs")
	port := testenv.FreePort(t)
	m := &mockOAuth2{base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	testenv.Start(t, filepath.Dir(script), testenv.HTTPReady(m.base+"/_audit"), 20*time.Second,
		"node", script, "--port", strconv.Itoa(port), "--ttl", strconv.Itoa(e2eTTL),
		"--client-id", clientID, "--client-secret", clientSecret)
	return m
}

// auditEntry is a token request as the launcher recorded it.
type auditEntry struct {
	GrantType          string `json:"grant_type"`
	ClientAuth         string `json:"client_auth"`
	RefreshTokenSent   string `json:"refresh_token_sent"`
	RefreshTokenIssued string `json:"refresh_token_issued"`
	Status             int    `json:"status"`
	Error              string `json:"error"`
}

func (m *mockOAuth2) audit(t *testing.T) []auditEntry {
	t.Helper()
	resp, err := http.Get(m.base + "/_audit")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []auditEntry
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func (m *mockOAuth2) discoveryURL() string { return m.base + "/.well-known/openid-configuration" }

// jwtAPI is an API that accepts only valid, unexpired, unrevoked JWTs of
// the mock server.
type jwtAPI struct {
	*httptest.Server
	issuer  string
	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	revoked map[string]bool
	ok      int
	refused int
}

func newJWTAPI(t *testing.T, m *mockOAuth2) *jwtAPI {
	a := &jwtAPI{issuer: m.base, keys: map[string]*rsa.PublicKey{}, revoked: map[string]bool{}}
	resp, err := http.Get(m.base + "/jwks")
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []struct{ Kid, N, E string } `json:"keys"`
	}
	err = json.NewDecoder(resp.Body).Decode(&set)
	resp.Body.Close()
	if err != nil || len(set.Keys) == 0 {
		t.Fatalf("reading the JWKS: %v", err)
	}
	for _, k := range set.Keys {
		n, _ := base64.RawURLEncoding.DecodeString(k.N)
		e, _ := base64.RawURLEncoding.DecodeString(k.E)
		a.keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		err := errors.New("no bearer token")
		if found {
			err = a.verify(tok)
		}
		a.mu.Lock()
		if err != nil {
			a.refused++
		} else {
			a.ok++
		}
		a.mu.Unlock()
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *jwtAPI) verify(tok string) error {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return errors.New("not a JWT")
	}
	var hdr struct{ Kid, Alg string }
	var claims struct {
		Iss string
		Exp int64
	}
	if err := decodeSegment(parts[0], &hdr); err != nil {
		return err
	}
	if err := decodeSegment(parts[1], &claims); err != nil {
		return err
	}
	a.mu.Lock()
	key, revoked := a.keys[hdr.Kid], a.revoked[tok]
	a.mu.Unlock()
	if key == nil || hdr.Alg != "RS256" {
		return errors.New("unknown key or algorithm")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig); err != nil {
		return errors.New("bad signature")
	}
	switch {
	case claims.Iss != a.issuer:
		return errors.New("wrong issuer")
	case time.Now().Unix() >= claims.Exp:
		return errors.New("expired")
	case revoked:
		return errors.New("revoked")
	}
	return nil
}

func (a *jwtAPI) revoke(tok string) {
	a.mu.Lock()
	a.revoked[tok] = true
	a.mu.Unlock()
}

func decodeSegment(s string, v any) error {
	data, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

func grants(entries []auditEntry, grant string) []auditEntry {
	var out []auditEntry
	for _, e := range entries {
		if e.GrantType == grant {
			out = append(out, e)
		}
	}
	return out
}

// sleepPast waits until t has passed on the real clock: these tokens
// really expire.
func sleepPast(t time.Time) {
	time.Sleep(time.Until(t) + 50*time.Millisecond)
}

// Client credentials against a real OAuth2 server: one token serves calls
// until it nears its expiry, then a new one is fetched; a token the API
// revokes is replaced after the 401 and the call replayed.
func TestE2EClientCredentials(t *testing.T) {
	m := startMockOAuth2(t)
	api := newJWTAPI(t, m)
	cfg := auth.Config{ClientID: clientID, ClientSecret: clientSecret, TokenURL: m.base + "/token", Scopes: []string{"read:pets"}}
	src := auth.ClientCredentials(cfg)
	c := newClient(t, api.URL, sdk.WithTokenSource(src))
	ctx := testenv.Context(t, 30*time.Second)

	for range 3 {
		if err := call(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	cc := grants(m.audit(t), "client_credentials")
	if len(cc) != 1 || cc[0].Status != 200 || cc[0].ClientAuth != "basic" {
		t.Fatalf("token requests after 3 calls: %+v; want one, authenticated with HTTP basic", cc)
	}
	first, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if life := time.Until(first.Expiry); life <= 0 || life > e2eTTL*time.Second {
		t.Fatalf("token expires in %v, want within %ds", life, e2eTTL)
	}

	// Past the token's expiry, the next call gets a new token, which the
	// API accepts.
	sleepPast(first.Expiry)
	if err := call(ctx, c); err != nil {
		t.Fatal(err)
	}
	if n := len(grants(m.audit(t), "client_credentials")); n != 2 {
		t.Fatalf("%d token requests after expiry, want 2", n)
	}

	// The API revokes the current token: the call gets a 401, the source
	// fetches once, the call is replayed and succeeds.
	cur, _ := src.Token(ctx)
	api.revoke(cur.AccessToken)
	if err := call(ctx, c); err != nil {
		t.Fatal(err)
	}
	if n := len(grants(m.audit(t), "client_credentials")); n != 3 {
		t.Fatalf("%d token requests after a revocation, want 3", n)
	}
	if api.refused != 1 {
		t.Errorf("the API refused %d requests, want 1 (the revoked token, once)", api.refused)
	}

	// Wrong client credentials: a typed error with the server's code.
	bad := cfg
	bad.ClientSecret = "wrong-secret-value"
	_, err = auth.ClientCredentials(bad).Token(ctx)
	var te *auth.TokenError
	if !errors.As(err, &te) || te.Code != "invalid_client" || te.StatusCode != http.StatusUnauthorized {
		t.Fatalf("got %v, want invalid_client", err)
	}
	if strings.Contains(err.Error(), "wrong-secret-value") {
		t.Errorf("error leaks the secret: %v", err)
	}
}

// The authorization code flow (with PKCE, endpoints from discovery) gives
// a refresh token; a source backed by a file store refreshes with the
// stored refresh token, the server rotates it, OnTokenChange and the store
// get the new one, and the next refresh sends the rotated one. The old
// refresh token is refused with a typed error.
func TestE2ERefreshTokenRotation(t *testing.T) {
	m := startMockOAuth2(t)
	api := newJWTAPI(t, m)
	ctx := testenv.Context(t, 30*time.Second)

	// Sign in: discovery, the authorization URL, the redirect's code, the
	// exchange.
	cfg, err := auth.Config{
		ClientID: clientID, ClientSecret: clientSecret,
		DiscoveryURL: m.discoveryURL(),
		RedirectURL:  "http://127.0.0.1/callback",
		Scopes:       []string{"openid", "read:pets"},
	}.Discover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	verifier := auth.GenerateVerifier()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(cfg.AuthCodeURL("state-123", verifier))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("state") != "state-123" || loc.Query().Get("code") == "" {
		t.Fatalf("authorization redirect %q: %v", resp.Header.Get("Location"), err)
	}
	signedIn, err := cfg.Exchange(ctx, loc.Query().Get("code"), verifier)
	if err != nil {
		t.Fatal(err)
	}
	rt1 := signedIn.RefreshToken
	if rt1 == "" {
		t.Fatal("the exchange gave no refresh token")
	}
	path := filepath.Join(t.TempDir(), "sdkgen", "tokens.json")
	store := auth.NewFileStore(path)
	if err := store.Save(signedIn); err != nil {
		t.Fatal(err)
	}

	// A later run of the program: the source starts from the store.
	var mu sync.Mutex
	var changed []string
	src := auth.RefreshToken(cfg, auth.WithTokenStore(store), auth.WithOnTokenChange(func(t *sdk.Token) error {
		mu.Lock()
		changed = append(changed, t.RefreshToken)
		mu.Unlock()
		return nil
	}))
	c := newClient(t, api.URL, sdk.WithTokenSource(src))

	// Wait for the signed-in token to expire: the call refreshes with the
	// stored refresh token.
	sleepPast(signedIn.Expiry)
	if err := call(ctx, c); err != nil {
		t.Fatal(err)
	}
	refreshes := grants(m.audit(t), "refresh_token")
	if len(refreshes) != 1 || refreshes[0].RefreshTokenSent != rt1 || refreshes[0].Status != 200 {
		t.Fatalf("refresh requests %+v; want one sending the stored refresh token", refreshes)
	}
	rt2 := refreshes[0].RefreshTokenIssued
	if rt2 == "" || rt2 == rt1 {
		t.Fatalf("the server did not rotate the refresh token: %q", rt2)
	}
	saved, err := store.Load()
	if err != nil || saved.RefreshToken != rt2 {
		t.Fatalf("store holds %v (%v); want the rotated refresh token", saved, err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %04o, want 0600", info.Mode().Perm())
	}

	// The next refresh sends the rotated refresh token.
	cur, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sleepPast(cur.Expiry)
	if err := call(ctx, c); err != nil {
		t.Fatal(err)
	}
	refreshes = grants(m.audit(t), "refresh_token")
	if len(refreshes) != 2 || refreshes[1].RefreshTokenSent != rt2 || refreshes[1].Status != 200 {
		t.Fatalf("refresh requests %+v; want the second to send the rotated token", refreshes)
	}
	rt3 := refreshes[1].RefreshTokenIssued
	mu.Lock()
	if strings.Join(changed, ",") != rt2+","+rt3 {
		t.Errorf("OnTokenChange saw refresh tokens %v, want [%s %s]", changed, rt2, rt3)
	}
	mu.Unlock()
	if saved, _ := store.Load(); saved.RefreshToken != rt3 {
		t.Errorf("store holds %s, want %s", saved.RefreshToken, rt3)
	}

	// The first refresh token was used: the server refuses it, and the
	// error keeps its code and description, without the token itself.
	stale := auth.RefreshToken(cfg, auth.WithToken(&sdk.Token{RefreshToken: rt1}))
	c2 := newClient(t, api.URL, sdk.WithTokenSource(stale))
	err = call(ctx, c2)
	var te *auth.TokenError
	if !errors.As(err, &te) || te.Code != "invalid_grant" || te.Description == "" || te.StatusCode != http.StatusBadRequest {
		t.Fatalf("got %v, want invalid_grant with a description", err)
	}
	for _, secret := range []string{rt1, clientSecret} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error leaks a secret: %v", err)
		}
	}
}
