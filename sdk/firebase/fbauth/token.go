package fbauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/auth"
)

// TokenSource returns the source of a user's ID tokens: it starts from
// start (a [Session]'s Token(), or nil to start from the token store given
// with auth.WithTokenStore) and refreshes the ID token through Secure Token
// (grant_type=refresh_token) when it nears its expiry (a random point of
// the last 60 to 90 seconds, auth.WithRefreshMargin changes it) and when a
// server refused it (a 401, or a Realtime Database stream's auth_revoked).
// Refreshes are single-flight: however many calls need a new token at
// once, one request is made, and they all wait for it.
//
// Every new token (the refresh token included, which Secure Token may
// rotate) is handed to auth.WithTokenStore's store and auth.WithOnTokenChange
// hooks before any call uses it. A refresh token that no longer works
// fails with an [*Error] for which [SignInAgain] is true (ErrTokenExpired,
// ErrInvalidRefreshToken, ErrUserDisabled, ErrUserNotFound), wrapped by the
// SDK in an [*sdk.AuthError] when a call needed the token.
//
// Pass the source to rtdb.WithIDTokens, or to sdk.WithTokenSource for
// services that take the ID token as a bearer token (Firestore, Cloud
// Functions).
func (c *Client) TokenSource(start *sdk.Token, opts ...auth.Option) *auth.Source {
	base := []auth.Option{auth.WithClock(c.now)}
	if start != nil {
		base = append(base, auth.WithToken(start))
	}
	return auth.NewSource(c.refresh, append(base, opts...)...)
}

// secureTokenResponse is Secure Token's answer, in snake_case (unlike
// Identity Toolkit's), with expires_in a string of seconds.
type secureTokenResponse struct {
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    string `json:"expires_in"`
	UserID       string `json:"user_id"`
}

// refresh is the source's fetch: one Secure Token request, with the
// source's HTTP client (no SDK middleware, no redirects followed).
func (c *Client) refresh(ctx context.Context, current *sdk.Token) (*sdk.Token, error) {
	if current == nil || current.RefreshToken == "" {
		return nil, &Error{Op: "refresh", Code: ErrMissingRefreshToken.Code, Message: "no refresh token: sign in first"}
	}
	target := c.endpoint(c.secureURL, "token")
	if u, err := url.Parse(target); err != nil || u.Scheme != "https" && !(c.insecure || isLoopback(u.Hostname())) {
		return nil, &Error{Op: "refresh", Message: "refusing to send a refresh token over plain http"}
	}
	hc, _ := ctx.Value(oauth2.HTTPClient).(*http.Client)
	if hc == nil {
		hc = http.DefaultClient
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {current.RefreshToken}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, &Error{Op: "refresh", Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text holds the URL, and the URL the API key
		}
		return nil, &Error{Op: "refresh", Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, &Error{Op: "refresh", StatusCode: resp.StatusCode, Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		e := &Error{Op: "refresh", StatusCode: resp.StatusCode}
		if !e.parse(body) {
			e.Message = fmt.Sprintf("status %d", resp.StatusCode)
		}
		return nil, e
	}
	var out secureTokenResponse
	if err := json.Unmarshal(body, &out); err != nil || out.IDToken == "" {
		return nil, &Error{Op: "refresh", StatusCode: resp.StatusCode, Err: errEmptyAnswer}
	}
	exp, err := expiry(out.ExpiresIn, c.now())
	if err != nil {
		return nil, &Error{Op: "refresh", Err: err}
	}
	return &sdk.Token{AccessToken: out.IDToken, RefreshToken: out.RefreshToken, Expiry: exp}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Scopes a service account asks for.
const (
	// ScopeDatabase and ScopeEmail are what the Realtime Database takes.
	ScopeDatabase = "https://www.googleapis.com/auth/firebase.database"
	ScopeEmail    = "https://www.googleapis.com/auth/userinfo.email"
	// ScopeDatastore is what Firestore takes.
	ScopeDatastore = "https://www.googleapis.com/auth/datastore"
)

// ServiceAccount returns a source of Google OAuth2 access tokens for the
// service account whose JSON key file is jsonKey, for servers and tools
// that act as the project rather than as a user. The JWT grant is
// golang.org/x/oauth2/google's (JWTConfigFromJSON); the source around it is
// sdk/auth's single-flight cache, so the token requests use its HTTP
// client (auth.WithHTTPClient) and refresh as [Client.TokenSource]'s do.
// Without scopes it asks for [ScopeDatabase], [ScopeEmail] and
// [ScopeDatastore]. Pass the source to rtdb.WithAccessTokens or
// sdk.WithTokenSource.
func ServiceAccount(jsonKey []byte, scopes []string, opts ...auth.Option) (*auth.Source, error) {
	if len(scopes) == 0 {
		scopes = []string{ScopeDatabase, ScopeEmail, ScopeDatastore}
	}
	cfg, err := google.JWTConfigFromJSON(jsonKey, scopes...)
	if err != nil {
		// Its text quotes no key material.
		return nil, &Error{Op: "service account", Err: err}
	}
	if len(cfg.PrivateKey) == 0 || cfg.Email == "" || cfg.TokenURL == "" {
		return nil, &Error{Op: "service account", Message: "the key file lacks private_key, client_email or token_uri"}
	}
	fetch := func(ctx context.Context, _ *sdk.Token) (*sdk.Token, error) {
		t, err := cfg.TokenSource(ctx).Token()
		if err != nil {
			e := &Error{Op: "service account token", Err: err}
			var re *oauth2.RetrieveError
			if errors.As(err, &re) {
				e.Code, e.Message = re.ErrorCode, re.ErrorDescription
				if e.Code == "" { // x/oauth2/jwt does not parse the body
					var body struct {
						Error       string `json:"error"`
						Description string `json:"error_description"`
					}
					if json.Unmarshal(re.Body, &body) == nil {
						e.Code, e.Message = body.Error, body.Description
					}
				}
				e.Code, e.Message = oneLine(e.Code, 100), oneLine(e.Message, 300)
				if re.Response != nil {
					e.StatusCode = re.Response.StatusCode
				}
				e.Err = nil // its text quotes the whole response
			}
			return nil, e
		}
		return auth.TokenFromOAuth2(t), nil
	}
	return auth.NewSource(fetch, append([]auth.Option{auth.WithIdentity("service-account:" + cfg.Email)}, opts...)...), nil
}
