package sdk

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// Cache is an HTTP cache for the calls of a client, installed with
// [WithCache] as layer 2: below the user middleware, above retry. Package
// github.com/sdkgen-go/sdkgen/sdk/cache implements one (a private cache
// following RFC 9111, in memory or in an embedded database).
//
// Because it sits above retry, a response it serves never reaches the
// retry layer, and a response it keeps for failures (stale-if-error) is
// served only after the retries have run out.
type Cache interface {
	// RoundTrip answers req, one logical call: from the cache, or by
	// sending req (or a conditional copy of it) through next, the retry
	// layer and everything below it. It must call next at most once per
	// call, and honour http.RoundTripper's contract (never modify req,
	// close its body even on error). It must never answer with a response
	// stored under another fingerprint of scope, and must neither serve nor
	// store a response when scope's Fingerprint fails.
	RoundTrip(req *http.Request, scope *CacheScope, next http.RoundTripper) (*http.Response, error)
}

// IdentifiedTokenSource is a [TokenSource] that can name the principal its
// tokens act for, so that a cache can key responses by who asked rather
// than by the token: entries then outlive token refreshes and process
// restarts. The OAuth2 client credentials sources of package sdk/auth
// implement it (client id, token URL, scopes and parameters), and any
// sdk/auth source given auth.WithIdentity.
type IdentifiedTokenSource interface {
	TokenSource
	// TokenIdentity returns a stable name of the principal (the same
	// across token refreshes and restarts, different for different
	// principals), or "" when the source does not know it. The name is
	// hashed, never stored; it need not be secret, and must not be shared
	// by two principals.
	TokenIdentity() string
}

// CacheScope says whose responses a call may see: a [Cache] keys stored
// responses by its Fingerprint, so that a response never reaches a
// different user. It is made for one call and is safe for concurrent use.
type CacheScope struct {
	c   *Client
	st  *callState
	req *http.Request

	once     sync.Once
	material []byte
	err      error
}

// CacheScopeError is the error of [CacheScope.Fingerprint] when the call
// carries credentials the fingerprint cannot bind, so its responses must
// not be cached: an Authorization, Proxy-Authorization or Cookie header (or
// an API key's header) set by middleware rather than by the auth options,
// or a token source without an identity that failed to give a token.
type CacheScopeError struct {
	Reason string
	// Err is the cause, when there is one (the token source's error).
	Err error
}

func (e *CacheScopeError) Error() string {
	if e.Err != nil {
		return "sdk: responses of this call cannot be cached: " + e.Reason + ": " + e.Err.Error()
	}
	return "sdk: responses of this call cannot be cached: " + e.Reason
}

// Unwrap returns the cause.
func (e *CacheScopeError) Unwrap() error { return e.Err }

// Fingerprint returns HMAC-SHA256 under key, in hex, of the identity of the
// credentials the call will carry (key must be at least 16 bytes). The
// identity is made of:
//
//   - static secrets (a bearer token from [WithBearerToken], basic
//     credentials, API keys), by value: the same secret always gives the
//     same fingerprint, and the keyed hash never reveals it;
//   - for a token source that implements [IdentifiedTokenSource], its
//     identity, so the fingerprint survives token refreshes and restarts;
//   - for any other token source, the token it gives now (asked once, as the
//     auth layer will ask again): safe, but entries are not found again
//     once the token is refreshed;
//   - the headers set with [WithHeader] (a tenant header, say), except
//     Cache-Control, Pragma, Accept and Accept-*, If-*, User-Agent,
//     Content-Type and Idempotency-Key, which say how to answer rather than
//     who asks; user information in the URL; and the cookies the
//     http.Client's Jar holds for the URL.
//
// Only the credentials the operation's security requirements select
// count. A call without credentials has the fingerprint of the empty
// identity. Fingerprint fails with a [*CacheScopeError] when the call
// carries credentials that none of these cover; the cache must then leave
// the call alone.
func (s *CacheScope) Fingerprint(key []byte) (string, error) {
	if len(key) < 16 {
		return "", &CacheScopeError{Reason: fmt.Sprintf("the fingerprint key has %d bytes, fewer than 16", len(key))}
	}
	s.once.Do(s.compute)
	if s.err != nil {
		return "", s.err
	}
	m := hmac.New(sha256.New, key)
	m.Write(s.material)
	return hex.EncodeToString(m.Sum(nil)), nil
}

// compute gathers the identity material. It holds secrets: it never leaves
// the scope except through the keyed hash.
func (s *CacheScope) compute() {
	if s.st == nil {
		s.err = &CacheScopeError{Reason: "the request is not a call of an sdk client"}
		return
	}
	settings := s.st.s
	var parts []string
	add := func(kind string, fields ...string) {
		parts = append(parts, string(lengthPrefixed(append([]string{kind}, fields...))))
	}
	chosen := chooseAuth(settings.auth, s.st.op.Security)
	for _, a := range chosen {
		switch ts := a.ts.(type) {
		case nil:
			add("secret", a.scheme, a.slot, a.secret)
		case staticToken:
			add("secret", a.scheme, a.slot, ts.t.TokenType+" "+ts.t.AccessToken)
		default:
			if it, ok := a.ts.(IdentifiedTokenSource); ok {
				if id := it.TokenIdentity(); id != "" {
					add("identity", a.scheme, a.slot, id)
					continue
				}
			}
			t, err := a.ts.Token(s.req.Context())
			if err != nil {
				s.err = &CacheScopeError{Reason: "the token source has no identity and gave no token", Err: err}
				return
			}
			if t == nil || t.AccessToken == "" {
				s.err = &CacheScopeError{Reason: "the token source has no identity and gave no token"}
				return
			}
			add("token", a.scheme, a.slot, t.TokenType+" "+t.AccessToken)
		}
	}
	for name, values := range settings.header {
		if !negotiationHeader(name) {
			add("header", name, strings.Join(values, "\x00"))
		}
	}
	u := s.req.URL
	if u.User != nil {
		add("userinfo", u.User.String())
	}
	if jar := s.c.hc.Jar; jar != nil {
		for _, ck := range jar.Cookies(u) {
			add("jar", ck.Name, ck.Value)
		}
	}
	// Attempt middleware runs below the cache, where credentials it adds
	// (a request signer's) cannot be seen here: its calls are keyed apart,
	// and once one of the client's attempts carried such credentials
	// (addedCredentials), the client's calls are not cached.
	if len(settings.attemptMiddleware) > 0 {
		if s.c.hiddenCreds.Load() {
			s.err = &CacheScopeError{Reason: "attempt middleware of the client adds credentials the cache cannot bind"}
			return
		}
		add("attempt-middleware")
	}
	// Credentials the request carries that did not come from the options
	// above (user middleware set them) are not bound to the identity.
	for name, values := range s.req.Header {
		if !settings.credentialHeader(name) {
			continue
		}
		if !slices.Equal(values, settings.header[name]) {
			s.err = &CacheScopeError{Reason: "the request carries a " + name + " header that the auth options did not set"}
			return
		}
	}
	slices.Sort(parts)
	s.material = lengthPrefixed(append([]string{"sdkgen-cache-scope-v1"}, parts...))
}

// Storable reports whether a response of the call may be stored under its
// fingerprint, once next has answered: it fails with a [*CacheScopeError]
// when an attempt carried credentials that attempt middleware added
// ([WithAttemptMiddleware] runs below the cache, so Fingerprint cannot
// bind them). A [Cache] must not store a response when it fails.
func (s *CacheScope) Storable() error {
	if s.st != nil && s.st.auth.hidden {
		return &CacheScopeError{Reason: "an attempt carried credentials that attempt middleware added"}
	}
	return nil
}

// addedCredentials reports whether sent, the request attempt middleware
// handed on, carries credentials that authed, the request as the SDK's
// auth left it, does not: a credential header (credentialHeader) or a
// query parameter whose name says it is secret, added or changed, or user
// information in the URL.
func addedCredentials(s *settings, authed, sent *http.Request) bool {
	for name, values := range sent.Header {
		if s.credentialHeader(name) && !slices.Equal(values, authed.Header[name]) {
			return true
		}
	}
	if sent.URL == authed.URL || sent.URL == nil || authed.URL == nil {
		return false
	}
	if sent.URL.User.String() != authed.URL.User.String() {
		return true
	}
	if sent.URL.RawQuery == authed.URL.RawQuery {
		return false
	}
	before := authed.URL.Query()
	for name, values := range sent.URL.Query() {
		if secretName(name) && !slices.Equal(values, before[name]) {
			return true
		}
	}
	return false
}

// lengthPrefixed encodes fields so that different lists never encode
// alike, whatever bytes the fields hold.
func lengthPrefixed(fields []string) []byte {
	var b []byte
	for _, f := range fields {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

// negotiationHeader reports the request headers that are not part of an
// identity: cache directives, content negotiation (a response that depends
// on them says so in Vary), conditions, and the SDK's own.
func negotiationHeader(name string) bool {
	switch name {
	case "Cache-Control", "Pragma", "User-Agent", "Content-Type", "Idempotency-Key":
		return true
	}
	return strings.HasPrefix(name, "Accept") || strings.HasPrefix(name, "If-")
}

// cacheLayer is layer 2: it hands each call to the cache with its scope.
type cacheLayer struct {
	c     *Client
	cache Cache
	next  http.RoundTripper
}

func (l cacheLayer) RoundTrip(req *http.Request) (*http.Response, error) {
	scope := &CacheScope{c: l.c, st: stateFrom(req.Context()), req: req}
	return l.cache.RoundTrip(req, scope, l.next)
}
