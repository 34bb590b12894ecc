package sdk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
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

// String describes the token without its secrets, so that printing a
// token (with %v, %+v or %s) never leaks it into logs.
func (t Token) String() string {
	typ := t.TokenType
	if typ == "" {
		typ = "Bearer"
	}
	exp := "never"
	if !t.Expiry.IsZero() {
		exp = t.Expiry.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("sdk.Token{Type: %s, Expiry: %s, AccessToken: %s, RefreshToken: %s}",
		typ, exp, redacted(t.AccessToken), redacted(t.RefreshToken))
}

// GoString is String, so that %#v does not print the secrets either.
func (t Token) GoString() string { return t.String() }

// LogValue shows the token in log/slog records without its secrets.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("type", t.TokenType),
		slog.Time("expiry", t.Expiry),
		slog.Bool("refresh_token", t.RefreshToken != ""),
	)
}

func redacted(s string) string {
	if s == "" {
		return `""`
	}
	return "[redacted]"
}

// TokenSource supplies access tokens. Token is called once per attempt (and
// per redirect hop to the call's origin), so a retried attempt carries a
// fresh token. Implementations must be safe for concurrent use and should
// cache: the SDK does not. The returned token must not be modified by the
// caller. Token must honour ctx: a caller that gives up must be able to
// return early.
//
// Package [github.com/sdkgen-go/sdkgen/sdk/auth] has the OAuth2 grants,
// behind a cache that implements [TokenRefresher], and adapters to and from
// golang.org/x/oauth2.
type TokenSource interface {
	Token(ctx context.Context) (*Token, error)
}

// TokenRefresher is a [TokenSource] that can replace a token the server
// refused. When a request that carried a token from a TokenRefresher gets
// the status 401 Unauthorized, the SDK calls Refresh with the token that
// failed, once per call, and sends the request again (body included) if
// Refresh returns another token. It never asks twice in one call, so a
// server that refuses every token costs one extra request, not a loop.
//
// Refresh must return a token other than failed when it can: if failed is
// still the source's current token, by obtaining a new one (once, however
// many callers saw it fail at the same time); if the source has already
// moved on, by returning its current token without a request. It must be
// safe for concurrent use, and a caller whose ctx ends may return early
// without cancelling the refresh for the others.
type TokenRefresher interface {
	TokenSource
	Refresh(ctx context.Context, failed *Token) (*Token, error)
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
	// apply sets static credentials on req (a copy the caller owns); nil
	// for token credentials.
	apply func(req *http.Request)
	// ts supplies token credentials, sent as "Authorization: <type> <token>".
	ts TokenSource
	// secretHeader names a header that carries a secret (for redaction and
	// for stripping on redirects elsewhere).
	secretHeader string
	// secret is the static credential's value (the basic credentials, the
	// API key), for the cache's keyed fingerprint; empty for tokens.
	secret string
	// redact lists the static secret's forms, kept out of errors and logs.
	redact []string
	// query, for a token source, names the query parameter its tokens go
	// in instead of the Authorization header.
	query string
	// slot is where the credential goes ("authorization", "header:X-Key",
	// "query:key", "cookie:name"): unbound credentials replace only one of
	// the same slot.
	slot string
}

func addAuth(s *settings, a authenticator) {
	if !s.authOwned {
		s.auth = append([]authenticator(nil), s.auth...)
		s.authOwned = true
	}
	// A scheme given again (per call, say) replaces the earlier one; an
	// unbound credential replaces the unbound one of the same slot.
	for i := range s.auth {
		if s.auth[i].scheme == a.scheme && (a.scheme != "" || s.auth[i].slot == a.slot) {
			s.auth[i] = a
			return
		}
	}
	s.auth = append(s.auth, a)
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

// sentToken records a token an attempt carried, for the handling of 401.
type sentToken struct {
	scheme string
	src    TokenRefresher
	tok    *Token
}

// authenticate adds the credentials an attempt needs. It runs once per
// attempt and per redirect hop, and adds credentials only when the request
// goes to the origin (scheme, host and port) the call was made to: a
// redirect elsewhere, even to another port of the same host, carries none,
// and loses the credential headers net/http would have copied onto it. It
// returns the tokens it sent whose sources can refresh them.
func (c *Client) authenticate(req *http.Request, st *callState) (*http.Request, []sentToken, error) {
	if !sameOrigin(req.URL, st.origin) && !st.s.trustedOrigin(req.URL) {
		return stripCredentials(req, st.s), nil, nil
	}
	auths := st.s.auth
	if len(auths) == 0 {
		return req, nil, nil
	}
	var buf [4]*authenticator
	chosen := appendAuth(buf[:0], auths, st.op.Security)
	if len(chosen) == 0 {
		return req, nil, nil
	}
	if req.URL.Scheme != "https" && !st.s.allowInsecureAuth && !isLoopback(req.URL.Hostname()) {
		return nil, nil, &AuthError{Err: fmt.Errorf("refusing to send credentials over plain http to %s (use https, or WithInsecureCredentials)", req.URL.Host)}
	}
	r2 := req
	if req != st.auth.own || len(st.s.attemptMiddleware) > 0 || !tokensInHeader(chosen) {
		// RoundTrippers must not modify the request they are given, and
		// the layers above must not see credentials appear on it. The
		// copy has a header of its own; its URL is shared, because
		// credentials in the query replace the URL (setQuery) rather than
		// change it. A whole Clone would copy the URL and more.
		//
		// The call's own request, which nothing outside the SDK holds
		// (auth.own) and no attempt middleware sees, takes tokens in its
		// Authorization header as it is: each attempt sets them anew, once
		// the previous attempt's response body is closed (when net/http
		// lets a caller change a request it sent: the retry layer replays
		// the body on it too), a hop elsewhere is stripped by the hop's
		// auth, and the copy was the largest single cost of the layers.
		r2 = new(http.Request)
		*r2 = *req
		r2.Header = req.Header.Clone()
		if r2.Header == nil {
			r2.Header = make(http.Header)
		}
	}
	var sent []sentToken
	for _, a := range chosen {
		if a.ts == nil {
			a.apply(r2)
			continue
		}
		t, err := a.ts.Token(req.Context())
		if err != nil {
			return nil, nil, &AuthError{Scheme: a.scheme, Err: err}
		}
		if t == nil || t.AccessToken == "" {
			return nil, nil, &AuthError{Scheme: a.scheme, Err: errors.New("the token source returned no token")}
		}
		typ := t.TokenType
		if typ == "" || strings.EqualFold(typ, "bearer") {
			typ = "Bearer"
		}
		if a.query != "" {
			setQuery(r2, a.query, t.AccessToken)
		} else {
			r2.Header.Set("Authorization", typ+" "+t.AccessToken)
		}
		st.auth.noteToken(t.AccessToken)
		if r, ok := a.ts.(TokenRefresher); ok {
			sent = append(sent, sentToken{scheme: a.scheme, src: r, tok: t})
		}
	}
	return r2, sent, nil
}

// tokensInHeader reports whether every chosen credential is a token sent
// in the Authorization header.
func tokensInHeader(chosen []*authenticator) bool {
	for _, a := range chosen {
		if a.ts == nil || a.query != "" {
			return false
		}
	}
	return true
}

// stripCredentials removes the headers that carry credentials from a
// request going to another origin. net/http copies headers onto redirected
// requests: Authorization and Cookie to another port of the same host,
// and custom headers (an API key's, an X-Auth-Token set with WithHeader)
// to any host.
//
// It also removes the query parameters the client's auth options put
// credentials in (an API key's, a query token's): a server's Location may
// repeat them, and net/http follows it as it is.
func stripCredentials(req *http.Request, s *settings) *http.Request {
	var drop, dropQuery []string
	for name := range req.Header {
		if s.credentialHeader(name) {
			drop = append(drop, name)
		}
	}
	if req.URL.RawQuery != "" {
		q := req.URL.Query()
		for _, a := range s.auth {
			if name, ok := strings.CutPrefix(a.slot, "query:"); ok && q.Has(name) {
				dropQuery = append(dropQuery, name)
			}
		}
	}
	if len(drop) == 0 && len(dropQuery) == 0 {
		return req
	}
	r2 := req.Clone(req.Context())
	for _, name := range drop {
		r2.Header.Del(name)
	}
	if len(dropQuery) > 0 {
		q := r2.URL.Query()
		for _, name := range dropQuery {
			q.Del(name)
		}
		u := *r2.URL
		u.RawQuery = q.Encode()
		r2.URL = &u
	}
	return r2
}

// setQuery sets the query parameter name of req (a clone the caller owns)
// to value.
func setQuery(req *http.Request, name, value string) {
	q := req.URL.Query()
	q.Set(name, value)
	u := *req.URL
	u.RawQuery = q.Encode()
	req.URL = &u
}

// credentialHeader reports whether a header carries a credential: its name
// says so (Authorization, Cookie, X-Auth-Token, X-Api-Key, ...: see
// secretName) or an auth option of the client sends its secret in it. It is
// the one rule for what is stripped on redirects elsewhere, redacted in
// errors and logs, never logged, and must be explained to the cache.
func (s *settings) credentialHeader(name string) bool {
	return secretName(name) || s.isAuthHeader(name)
}

func (s *settings) isAuthHeader(name string) bool {
	for _, a := range s.auth {
		if a.secretHeader != "" && strings.EqualFold(a.secretHeader, name) {
			return true
		}
	}
	return false
}

// refreshAndReplay handles a 401 to a request that carried refreshable
// tokens: once per call, it asks each source for a token other than the one
// that failed and, when one changed, sends the request again with a fresh
// body. Otherwise (no new token, a body that cannot be replayed, a second
// 401 in the same call) the 401 stands. A refresh that fails ends the call
// with an [*AuthError] wrapping the source's error.
func (c *Client) refreshAndReplay(req *http.Request, resp *http.Response, sent []sentToken, st *callState, next http.RoundTripper) (*http.Response, error) {
	hasBody := req.Body != nil && req.Body != http.NoBody
	if hasBody && req.GetBody == nil {
		return resp, nil
	}
	if st.auth.refreshed {
		return resp, nil
	}
	st.auth.refreshed = true
	// Free the connection before waiting for the token: a call waiting for
	// a refresh must not hold a connection the others need to get their own
	// 401s. The body is kept, in memory, for when the 401 stands.
	resp.Body = bufferBody(resp.Body, st.s.maxErrorBody, st.s.idleTimeout)
	changed := false
	for _, s := range sent {
		nt, err := s.src.Refresh(req.Context(), s.tok)
		if err != nil {
			drainClose(resp.Body)
			return nil, &AuthError{Scheme: s.scheme, Err: err}
		}
		if nt != nil && nt.AccessToken != "" && nt.AccessToken != s.tok.AccessToken {
			changed = true
		}
	}
	if !changed {
		return resp, nil
	}
	var body io.ReadCloser = req.Body
	if hasBody {
		b, err := req.GetBody()
		if err != nil {
			return resp, nil
		}
		body = b
	}
	drainClose(resp.Body)
	r2 := req.Clone(req.Context())
	r2.Body = body
	areq, _, err := c.authenticate(r2, st)
	if err != nil {
		if hasBody {
			body.Close()
		}
		return nil, err
	}
	st.core.authed = areq
	if l := st.s.logger; l != nil {
		l.LogAttrs(req.Context(), slog.LevelDebug, "sdk: replaying after 401 with a refreshed token",
			slog.String("operation", st.op.ID), slog.Int("attempt", st.retry.attempt))
	}
	return next.RoundTrip(areq)
}

// bufferBody reads up to max bytes of body into memory and closes it when
// that was all of it; a longer body stays open behind what was read.
func bufferBody(body io.ReadCloser, max int64, idle time.Duration) io.ReadCloser {
	data, truncated, err := readBoundedIdle(body, max, idle)
	if truncated || err != nil {
		return struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(data), body), body}
	}
	body.Close()
	return io.NopCloser(bytes.NewReader(data))
}

// chooseAuth picks the credentials for an operation's security
// requirements: nil requirements take every configured credential; an empty
// list takes none; otherwise the first alternative whose schemes are all
// configured, plus credentials bound to no scheme.
func chooseAuth(auths []authenticator, security [][]string) []*authenticator {
	return appendAuth(nil, auths, security)
}

// appendAuth is chooseAuth appending to out, so that a caller can choose
// into a buffer on its stack.
func appendAuth(out []*authenticator, auths []authenticator, security [][]string) []*authenticator {
	if security != nil && len(security) == 0 {
		return out
	}
	if security == nil {
		for i := range auths {
			out = append(out, &auths[i])
		}
		return out
	}
	// A client has a handful of credentials: look them up by scanning.
	byScheme := func(name string) *authenticator {
		for i := len(auths) - 1; i >= 0; i-- {
			if name != "" && auths[i].scheme == name {
				return &auths[i]
			}
		}
		return nil
	}
	generic := func(out []*authenticator) []*authenticator {
		for i := range auths {
			if auths[i].scheme == "" {
				out = append(out, &auths[i])
			}
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
			if byScheme(name) == nil {
				ok = false
				break
			}
		}
		if ok {
			for _, name := range alt {
				out = append(out, byScheme(name))
			}
			return generic(out)
		}
	}
	return generic(out)
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

// originPattern is an origin of WithTrustedOrigins: an exact host, or with
// wildcard set, any subdomain of host.
type originPattern struct {
	scheme, host, port string
	wildcard           bool
}

func parseOriginPattern(p string) (originPattern, error) {
	scheme, rest, ok := strings.Cut(p, "://")
	scheme = strings.ToLower(scheme)
	if !ok || scheme != "https" && scheme != "http" {
		return originPattern{}, fmt.Errorf("%q: want scheme://host[:port] with scheme http or https", p)
	}
	if rest == "" || strings.ContainsAny(rest, "/?#@") {
		return originPattern{}, fmt.Errorf("%q: want scheme://host[:port], without path, query or user", p)
	}
	op := originPattern{scheme: scheme}
	if h, ok := strings.CutPrefix(rest, "*."); ok {
		op.wildcard, rest = true, h
	}
	u := url.URL{Scheme: scheme, Host: rest}
	op.host, op.port = strings.ToLower(u.Hostname()), u.Port()
	if op.host == "" || strings.Contains(op.host, "*") {
		return originPattern{}, fmt.Errorf("%q: the host may only start with \"*.\"", p)
	}
	if op.port == "" {
		op.port = originOf(&u).port
	}
	return op, nil
}

// trustedOrigin reports whether u's origin is one of WithTrustedOrigins.
func (s *settings) trustedOrigin(u *url.URL) bool {
	if len(s.trusted) == 0 {
		return false
	}
	o := originOf(u)
	for _, p := range s.trusted {
		if p.scheme != o.scheme || p.port != o.port {
			continue
		}
		if o.host == p.host && !p.wildcard || p.wildcard && strings.HasSuffix(o.host, "."+p.host) {
			return true
		}
	}
	return false
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	// netip parses without allocating (net.ParseIP allocates, on every
	// attempt to a plain-http host); a zone is not loopback, as for
	// net.ParseIP, which refuses one.
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Zone() == "" && ip.IsLoopback()
}
