package fbauth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

// The services' public endpoints.
const (
	IdentityToolkitURL = "https://identitytoolkit.googleapis.com/v1/"
	SecureTokenURL     = "https://securetoken.googleapis.com/v1/"
)

// Client signs users in to a Firebase project and keeps their ID tokens
// fresh. It is safe for concurrent use. Close it when done.
type Client struct {
	apiKey    string
	sdk       *sdk.Client // Identity Toolkit calls
	secureURL string      // Secure Token's base, ending in a slash
	insecure  bool        // plain http allowed (the emulator)
	now       func() time.Time
}

// Option configures a [Client].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	emulator string
	sdkOpts  []sdk.Option
	now      func() time.Time
}

// WithEmulator sends every request to the Firebase Auth emulator at host
// ("127.0.0.1:9099"), over plain http, as the Firebase SDKs do when
// FIREBASE_AUTH_EMULATOR_HOST is set.
func WithEmulator(host string) Option {
	return optionFunc(func(c *config) { c.emulator = host })
}

// WithSDKOptions passes options to the [sdk.Client] that makes the
// Identity Toolkit calls (sign-up and sign-in): a logger, an *http.Client,
// timeouts. Token refreshes do not go through it: they are token requests
// of the sdk/auth source (see [Client.TokenSource]).
func WithSDKOptions(opts ...sdk.Option) Option {
	return optionFunc(func(c *config) { c.sdkOpts = append(c.sdkOpts, opts...) })
}

// WithClock replaces the clock that token expiries are computed with; the
// sources of [Client.TokenSource] read the same clock. For tests.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c *config) { c.now = now })
}

// NewClient returns a client of the Firebase project whose Web API key is
// apiKey (the project settings' "Web API Key"; the emulator takes any).
// The key identifies the project, and is sent as the key query
// parameter, which the SDK keeps out of logs and errors.
func NewClient(apiKey string, opts ...Option) (*Client, error) {
	cfg := config{now: time.Now}
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	if apiKey == "" {
		return nil, &Error{Op: "new client", Message: "empty API key"}
	}
	c := &Client{apiKey: apiKey, secureURL: SecureTokenURL, now: cfg.now}
	base := IdentityToolkitURL
	sopts := append([]sdk.Option{sdk.WithAPIKey(sdk.InQuery, "key", apiKey)}, cfg.sdkOpts...)
	if cfg.emulator != "" {
		if strings.ContainsAny(cfg.emulator, "/?#@") {
			return nil, &Error{Op: "new client", Message: fmt.Sprintf("emulator host %q: want host:port", cfg.emulator)}
		}
		base = "http://" + cfg.emulator + "/identitytoolkit.googleapis.com/v1/"
		c.secureURL = "http://" + cfg.emulator + "/securetoken.googleapis.com/v1/"
		c.insecure = true
		sopts = append(sopts, sdk.WithInsecureCredentials())
	}
	sc, err := sdk.NewClient(base, sopts...)
	if err != nil {
		return nil, &Error{Op: "new client", Err: err}
	}
	c.sdk = sc
	return c, nil
}

// Close releases the client's connections.
func (c *Client) Close() error { return c.sdk.Close() }

// Session is a signed-in user: who, and the tokens that prove it.
type Session struct {
	// UserID is the user's uid (localId).
	UserID string
	// Email, for users of email and password.
	Email string
	// IDToken proves the user's identity to Firebase services until
	// Expiry; RefreshToken obtains the next one.
	IDToken      string
	RefreshToken string
	Expiry       time.Time
	// NewUser reports a user created by this sign-in.
	NewUser bool
}

// Token returns the session's tokens, to start a [Client.TokenSource] or
// to save in an auth.TokenStore.
func (s *Session) Token() *sdk.Token {
	return &sdk.Token{AccessToken: s.IDToken, RefreshToken: s.RefreshToken, Expiry: s.Expiry}
}

// String describes the session without its tokens.
func (s Session) String() string {
	return fmt.Sprintf("fbauth.Session{UserID: %s, Email: %s, Expiry: %s, IDToken: [redacted], RefreshToken: [redacted]}",
		s.UserID, s.Email, s.Expiry.UTC().Format(time.RFC3339))
}

// GoString is String, so that %#v does not print the tokens either.
func (s Session) GoString() string { return s.String() }

// The Identity Toolkit operations. Sign-ups and sign-ins are POSTs sent
// once: a retry could create a second anonymous user.
var (
	opSignUp       = &sdk.Operation{ID: "identitytoolkit.accounts.signUp", Method: http.MethodPost, Path: "/accounts:signUp"}
	opSignIn       = &sdk.Operation{ID: "identitytoolkit.accounts.signInWithPassword", Method: http.MethodPost, Path: "/accounts:signInWithPassword"}
	opCustomToken  = &sdk.Operation{ID: "identitytoolkit.accounts.signInWithCustomToken", Method: http.MethodPost, Path: "/accounts:signInWithCustomToken"}
	opLookup       = &sdk.Operation{ID: "identitytoolkit.accounts.lookup", Method: http.MethodPost, Path: "/accounts:lookup", Safe: true}
	errEmptyAnswer = errors.New("the answer holds no ID token")
)

// signInResponse is the answer of signUp, signInWithPassword and
// signInWithCustomToken (camelCase, unlike Secure Token's).
type signInResponse struct {
	LocalID      string `json:"localId"`
	Email        string `json:"email"`
	IDToken      string `json:"idToken"`
	RefreshToken string `json:"refreshToken"`
	ExpiresIn    string `json:"expiresIn"`
	IsNewUser    bool   `json:"isNewUser"`
}

// SignUp creates a user with an email and a password and signs it in.
// Errors: [ErrEmailExists], [ErrWeakPassword], [ErrInvalidEmail],
// [ErrOperationNotAllowed] (the provider is disabled), ...
func (c *Client) SignUp(ctx context.Context, email, password string, opts ...sdk.Option) (*Session, error) {
	s, err := c.signIn(ctx, opSignUp, "sign up", map[string]any{"email": email, "password": password, "returnSecureToken": true}, opts)
	if s != nil {
		s.NewUser = true
	}
	return s, err
}

// SignInWithPassword signs in a user of email and password. Errors:
// [ErrInvalidPassword], [ErrEmailNotFound] or, with email enumeration
// protection on, [ErrInvalidLoginCredentials]; [ErrUserDisabled],
// [ErrTooManyAttempts].
func (c *Client) SignInWithPassword(ctx context.Context, email, password string, opts ...sdk.Option) (*Session, error) {
	return c.signIn(ctx, opSignIn, "sign in", map[string]any{"email": email, "password": password, "returnSecureToken": true}, opts)
}

// SignInAnonymously creates an anonymous user and signs it in.
func (c *Client) SignInAnonymously(ctx context.Context, opts ...sdk.Option) (*Session, error) {
	s, err := c.signIn(ctx, opSignUp, "sign in anonymously", map[string]any{"returnSecureToken": true}, opts)
	if s != nil {
		s.NewUser = true
	}
	return s, err
}

// SignInWithCustomToken exchanges a custom token (minted by your server
// with the Admin SDK) for a session. Errors: [ErrInvalidCustomToken],
// [ErrCredentialMismatch].
func (c *Client) SignInWithCustomToken(ctx context.Context, customToken string, opts ...sdk.Option) (*Session, error) {
	return c.signIn(ctx, opCustomToken, "sign in with custom token", map[string]any{"token": customToken, "returnSecureToken": true}, opts)
}

func (c *Client) signIn(ctx context.Context, op *sdk.Operation, name string, body map[string]any, opts []sdk.Option) (*Session, error) {
	var out signInResponse
	if err := c.post(ctx, op, name, body, &out, opts); err != nil {
		return nil, err
	}
	if out.IDToken == "" {
		return nil, &Error{Op: name, Err: errEmptyAnswer}
	}
	s := &Session{UserID: out.LocalID, Email: out.Email, IDToken: out.IDToken, RefreshToken: out.RefreshToken, NewUser: out.IsNewUser}
	if s.UserID == "" {
		// signInWithCustomToken names no user: the token does.
		s.UserID = claim(out.IDToken, "user_id")
	}
	exp, err := expiry(out.ExpiresIn, c.now())
	if err != nil {
		return nil, &Error{Op: name, Err: err}
	}
	s.Expiry = exp
	return s, nil
}

// User is what [Client.LookUp] returns about the user of an ID token.
type User struct {
	UserID        string `json:"localId"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"emailVerified"`
	Disabled      bool   `json:"disabled"`
}

// LookUp returns the user an ID token belongs to; it fails with
// [ErrInvalidIDToken] or [ErrTokenExpired] when the token is not valid.
func (c *Client) LookUp(ctx context.Context, idToken string, opts ...sdk.Option) (*User, error) {
	var out struct {
		Users []User `json:"users"`
	}
	if err := c.post(ctx, opLookup, "look up", map[string]any{"idToken": idToken}, &out, opts); err != nil {
		return nil, err
	}
	if len(out.Users) == 0 {
		return nil, &Error{Op: "look up", Code: "USER_NOT_FOUND"}
	}
	return &out.Users[0], nil
}

func (c *Client) post(ctx context.Context, op *sdk.Operation, name string, body, out any, opts []sdk.Option) error {
	b, err := json.Marshal(body)
	if err != nil {
		return &Error{Op: name, Err: err}
	}
	resp, err := sdkimpl.Do(ctx, c.sdk, op, func(server string) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodPost, server+strings.TrimPrefix(op.Path, "/"), bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		return req, nil
	}, opts...)
	if err != nil {
		return apiError(name, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return &Error{Op: name, StatusCode: resp.StatusCode, Err: fmt.Errorf("decoding the answer: %w", err)}
	}
	return nil
}

// expiry turns expiresIn ("3600", seconds) into a time.
func expiry(expiresIn string, now time.Time) (time.Time, error) {
	var secs int64
	if _, err := fmt.Sscan(expiresIn, &secs); err != nil || secs <= 0 {
		return time.Time{}, fmt.Errorf("expiresIn %q is not a positive number of seconds", oneLine(expiresIn, 40))
	}
	return now.Add(time.Duration(secs) * time.Second), nil
}

// endpoint joins a base URL and a path with the key.
func (c *Client) endpoint(base, path string) string {
	return base + path + "?" + url.Values{"key": {c.apiKey}}.Encode()
}

// claim reads a string claim of a JWT without verifying it: the ID token
// just came from the service, over TLS.
func claim(jwt, name string) string {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return ""
	}
	var claims map[string]any
	if json.Unmarshal(b, &claims) != nil {
		return ""
	}
	v, _ := claims[name].(string)
	return v
}
