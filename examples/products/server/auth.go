package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// tokenInfo is what an access token grants, until when.
type tokenInfo struct {
	client  string
	scopes  []string
	expires time.Time
}

// tokenStore holds the issued access tokens, by SHA-256 (a map lookup by
// the token itself would take time depending on it).
type tokenStore struct {
	mu      sync.Mutex
	entries map[[32]byte]tokenInfo
}

func (ts *tokenStore) issue(info tokenInfo, now time.Time) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for k, e := range ts.entries {
		if !now.Before(e.expires) {
			delete(ts.entries, k)
		}
	}
	ts.entries[sha256.Sum256([]byte(tok))] = info
	return tok
}

func (ts *tokenStore) lookup(tok string) (tokenInfo, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	info, ok := ts.entries[sha256.Sum256([]byte(tok))]
	return info, ok
}

// oauthError is an RFC 6749 (section 5.2) error response.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// tokenResponse is an RFC 6749 (section 5.1) access token response.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
}

// issueToken is the token endpoint: the client-credentials grant, the
// client authenticated by HTTP basic credentials or by client_id and
// client_secret in the form.
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request, c *call) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	fail := func(status int, code, desc string) {
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="products"`)
		}
		_ = writeJSON(w, status, oauthError{Error: code, Description: desc})
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		fail(http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		fail(http.StatusBadRequest, "invalid_request", "unreadable form: "+err.Error())
		return
	}
	form := r.PostForm
	for k, v := range form {
		if len(v) > 1 {
			fail(http.StatusBadRequest, "invalid_request", fmt.Sprintf("the %s parameter is repeated", k))
			return
		}
	}
	id, secret, basic := r.BasicAuth()
	if basic {
		// RFC 6749, section 2.3.1: both are form-encoded before going into
		// the header.
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			fail(http.StatusUnauthorized, "invalid_client", "malformed basic credentials")
			return
		}
		if form.Has("client_secret") {
			fail(http.StatusBadRequest, "invalid_request", "the client authenticated both by basic credentials and in the form")
			return
		}
	} else {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	cl, known := s.clients[id]
	// Compare against something even for unknown clients, so the answer
	// takes about as long.
	want := cl.Secret
	if !known {
		want = "\x00unknown client"
	}
	if id == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(want)) != 1 || !known {
		fail(http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
		return
	}
	c.client = cl.ID
	switch gt := form.Get("grant_type"); gt {
	case "client_credentials":
	case "":
		fail(http.StatusBadRequest, "invalid_request", "grant_type is missing")
		return
	default:
		fail(http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("the grant type %q is not supported; use client_credentials", gt))
		return
	}
	scopes := cl.Scopes
	if raw := form.Get("scope"); raw != "" {
		scopes = nil
		for sc := range strings.FieldsSeq(raw) {
			if !slices.Contains(cl.Scopes, sc) {
				fail(http.StatusBadRequest, "invalid_scope", fmt.Sprintf("scope %q is not granted to this client", sc))
				return
			}
			if !slices.Contains(scopes, sc) {
				scopes = append(scopes, sc)
			}
		}
	}
	now := s.now()
	tok := s.tokens.issue(tokenInfo{client: cl.ID, scopes: slices.Clone(scopes), expires: now.Add(s.opts.TokenLifetime)}, now)
	_ = writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: tok,
		TokenType:   "Bearer",
		ExpiresIn:   max(1, int64(math.Ceil(s.opts.TokenLifetime.Seconds()))),
		Scope:       strings.Join(scopes, " "),
	})
}

// authenticate checks the request's bearer token and that it carries
// scope; when not, it writes the 401 or 403 and returns false.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, c *call, scope string) bool {
	const realm = `Bearer realm="products"`
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		w.Header().Set("WWW-Authenticate", realm)
		s.problem(w, r, c, http.StatusUnauthorized, probUnauthorized, "a bearer token is required: get one at /oauth/token")
		return false
	}
	info, ok := s.tokens.lookup(tok)
	var why string
	switch {
	case !ok:
		why = "the token is unknown or was revoked"
	case !s.now().Before(info.expires):
		why = "the token expired"
	}
	if why != "" {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`%s, error="invalid_token", error_description=%q`, realm, why))
		s.problem(w, r, c, http.StatusUnauthorized, probUnauthorized, why)
		return false
	}
	c.client = info.client
	if !slices.Contains(info.scopes, scope) {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`%s, error="insufficient_scope", scope=%q`, realm, scope))
		s.problem(w, r, c, http.StatusForbidden, probScope, "this operation needs the "+scope+" scope")
		return false
	}
	return true
}

// rateLimiter is a token bucket per client.
type rateLimiter struct {
	rate  float64
	burst float64
	mu    sync.Mutex
	bkts  map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(rate float64, burst int) *rateLimiter {
	return &rateLimiter{rate: rate, burst: float64(burst), bkts: map[string]*bucket{}}
}

// allow takes a token from the client's bucket, or says how long until
// one is there.
func (l *rateLimiter) allow(client string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.bkts[client]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.bkts[client] = b
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(l.burst, b.tokens+elapsed.Seconds()*l.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return time.Duration((1 - b.tokens) / l.rate * float64(time.Second)), false
}
