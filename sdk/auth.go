package sdk

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Token is an access token, as OAuth2 servers issue them.
type Token struct {
	// AccessToken is what requests carry.
	AccessToken string
	// TokenType is the scheme it is sent with; empty means "Bearer".
	TokenType string
	// Expiry is when the token stops working; zero means never.
	Expiry time.Time
	// RefreshToken, when the grant gives one, obtains the next token.
	RefreshToken string
}

// TokenSource supplies access tokens. Token is called once per attempt, so
// a retried attempt carries a fresh token. Implementations must be safe for
// concurrent use and should cache: the SDK does not. The returned token must
// not be modified by the caller.
type TokenSource interface {
	Token(ctx context.Context) (*Token, error)
}

// StaticToken returns a TokenSource that always returns token.
func StaticToken(token string) TokenSource { return staticToken{&Token{AccessToken: token}} }

type staticToken struct{ t *Token }

func (s staticToken) Token(context.Context) (*Token, error) { return s.t, nil }

// APIKeyLocation says where an API key travels.
type APIKeyLocation int

// Where API keys go: a header, a query parameter or a cookie.
const (
	InHeader APIKeyLocation = iota
	InQuery
	InCookie
)

// authenticator adds one scheme's credentials to a request.
type authenticator struct {
	// scheme is the security scheme's name in the spec ("api_key"), or ""
	// for credentials that apply to any operation that takes credentials.
	scheme string
	// apply sets the credentials on req (a copy the caller owns).
	apply func(ctx context.Context, req *http.Request) error
	// secretHeader names a header that carries a secret (for redaction).
	secretHeader string
	secretQuery  string
}

func addAuth(s *settings, a authenticator) {
	if !s.authOwned {
		s.auth = append([]authenticator(nil), s.auth...)
		s.authOwned = true
	}
	// A scheme given again (per call, say) replaces the earlier one.
	for i := range s.auth {
		if s.auth[i].scheme == a.scheme {
			s.auth[i] = a
			return
		}
	}
	s.auth = append(s.auth, a)
}

// WithBearerToken sends token as "Authorization: Bearer <token>".
func WithBearerToken(token string) Option { return WithTokenSourceFor("", StaticToken(token)) }

// WithTokenSource sends tokens from ts as "Authorization: <type> <token>",
// asking ts once per attempt.
func WithTokenSource(ts TokenSource) Option { return WithTokenSourceFor("", ts) }

// WithTokenSourceFor is [WithTokenSource] bound to the security scheme
// named scheme in the spec: it applies only to operations that accept that
// scheme. Generated options (petstore.WithOAuth2(...)) are built on it.
func WithTokenSourceFor(scheme string, ts TokenSource) Option {
	return optionFunc(func(s *settings) {
		if ts == nil {
			s.fail(&OptionError{Option: "WithTokenSource", Reason: "nil token source"})
			return
		}
		addAuth(s, authenticator{scheme: scheme, secretHeader: "Authorization", apply: func(ctx context.Context, req *http.Request) error {
			t, err := ts.Token(ctx)
			if err != nil {
				return &AuthError{Scheme: scheme, Err: err}
			}
			if t == nil || t.AccessToken == "" {
				return &AuthError{Scheme: scheme, Err: errors.New("the token source returned no token")}
			}
			typ := t.TokenType
			if typ == "" || strings.EqualFold(typ, "bearer") {
				typ = "Bearer"
			}
			req.Header.Set("Authorization", typ+" "+t.AccessToken)
			return nil
		}})
	})
}

// WithBasicAuth sends HTTP basic credentials.
func WithBasicAuth(user, password string) Option { return WithBasicAuthFor("", user, password) }

// WithBasicAuthFor is [WithBasicAuth] bound to a security scheme.
func WithBasicAuthFor(scheme, user, password string) Option {
	value := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
	return optionFunc(func(s *settings) {
		addAuth(s, authenticator{scheme: scheme, secretHeader: "Authorization", apply: func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", value)
			return nil
		}})
	})
}

// WithAPIKey sends an API key in a header, a query parameter or a cookie
// named name.
func WithAPIKey(in APIKeyLocation, name, key string) Option { return WithAPIKeyFor("", in, name, key) }

// WithAPIKeyFor is [WithAPIKey] bound to a security scheme.
func WithAPIKeyFor(scheme string, in APIKeyLocation, name, key string) Option {
	return optionFunc(func(s *settings) {
		if name == "" {
			s.fail(&OptionError{Option: "WithAPIKey", Reason: "empty parameter name"})
			return
		}
		a := authenticator{scheme: scheme}
		switch in {
		case InHeader:
			a.secretHeader = http.CanonicalHeaderKey(name)
			a.apply = func(_ context.Context, req *http.Request) error {
				req.Header.Set(name, key)
				return nil
			}
		case InQuery:
			a.secretQuery = name
			a.apply = func(_ context.Context, req *http.Request) error {
				q := req.URL.Query()
				q.Set(name, key)
				u := *req.URL
				u.RawQuery = q.Encode()
				req.URL = &u
				return nil
			}
		case InCookie:
			a.apply = func(_ context.Context, req *http.Request) error {
				req.AddCookie(&http.Cookie{Name: name, Value: key})
				return nil
			}
		default:
			s.fail(&OptionError{Option: "WithAPIKey", Reason: "unknown location"})
			return
		}
		addAuth(s, a)
	})
}

// WithInsecureCredentials allows credentials to be sent over plain http to
// a host other than loopback, which the SDK otherwise refuses (anyone on
// the path could read them). Client only.
func WithInsecureCredentials() Option {
	return clientOption{"WithInsecureCredentials", func(s *settings) { s.allowInsecureAuth = true }}
}

// AuthError reports credentials that could not be obtained or may not be
// sent. It wraps the cause (a token endpoint's error, say).
type AuthError struct {
	// Scheme is the security scheme, or "" for credentials not bound to one.
	Scheme string
	Err    error
}

func (e *AuthError) Error() string {
	if e.Scheme != "" {
		return fmt.Sprintf("auth (%s): %v", e.Scheme, e.Err)
	}
	return fmt.Sprintf("auth: %v", e.Err)
}

// Unwrap returns the cause.
func (e *AuthError) Unwrap() error { return e.Err }

// authenticate adds the credentials an attempt needs. It runs once per
// attempt and per redirect hop, and adds credentials only when the request
// goes to the origin (scheme, host and port) the call was made to: a
// redirect elsewhere, even to another port of the same host, carries none.
func (c *Client) authenticate(req *http.Request, st *callState) (*http.Request, error) {
	auths := st.s.auth
	if len(auths) == 0 {
		return req, nil
	}
	if !sameOrigin(req.URL, st.origin) {
		return req, nil
	}
	chosen := chooseAuth(auths, st.op.Security)
	if len(chosen) == 0 {
		return req, nil
	}
	if req.URL.Scheme != "https" && !st.s.allowInsecureAuth && !isLoopback(req.URL.Hostname()) {
		return nil, &AuthError{Err: fmt.Errorf("refusing to send credentials over plain http to %s (use https, or WithInsecureCredentials)", req.URL.Host)}
	}
	// RoundTrippers must not modify the request they are given.
	r2 := req.Clone(req.Context())
	for _, a := range chosen {
		if err := a.apply(req.Context(), r2); err != nil {
			return nil, err
		}
	}
	return r2, nil
}

// chooseAuth picks the credentials for an operation's security
// requirements: nil requirements take every configured credential; an empty
// list takes none; otherwise the first alternative whose schemes are all
// configured, plus credentials bound to no scheme.
func chooseAuth(auths []authenticator, security [][]string) []*authenticator {
	if security != nil && len(security) == 0 {
		return nil
	}
	var out []*authenticator
	var generic []*authenticator
	byScheme := map[string]*authenticator{}
	for i := range auths {
		a := &auths[i]
		if a.scheme == "" {
			generic = append(generic, a)
		} else {
			byScheme[a.scheme] = a
		}
	}
	if security == nil {
		for i := range auths {
			out = append(out, &auths[i])
		}
		return out
	}
	for _, alt := range security {
		if len(alt) == 0 {
			// An empty alternative: anonymous access is acceptable, but
			// configured credentials still go along.
			continue
		}
		ok := true
		for _, name := range alt {
			if byScheme[name] == nil {
				ok = false
				break
			}
		}
		if ok {
			for _, name := range alt {
				out = append(out, byScheme[name])
			}
			return append(out, generic...)
		}
	}
	return generic
}

// origin is scheme://host:port with the default port made explicit.
type origin struct{ scheme, host, port string }

func originOf(u *url.URL) origin {
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return origin{strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), port}
}

func sameOrigin(u *url.URL, o origin) bool { return originOf(u) == o }

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// secretHeaders returns the headers that carry credentials, for redaction.
func (s *settings) secretHeaders() map[string]bool {
	m := map[string]bool{"Authorization": true, "Proxy-Authorization": true, "Cookie": true, "Set-Cookie": true}
	for _, a := range s.auth {
		if a.secretHeader != "" {
			m[a.secretHeader] = true
		}
	}
	return m
}

// secretQueryParams returns the query parameters that carry credentials.
func (s *settings) secretQueryParams() map[string]bool {
	m := map[string]bool{}
	for _, a := range s.auth {
		if a.secretQuery != "" {
			m[a.secretQuery] = true
		}
	}
	return m
}
