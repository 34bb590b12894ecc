package rtdb

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sdkgen-go/sdkgen/sdk"
)

// DefaultTrustedOrigins are the origins a redirect may take a request and
// its credential to, besides the database's own: the hosts of the Realtime
// Database service, which answers 307 with another host of the same
// database ("s-usc1a-nss-2031.firebaseio.com"). Google runs every host of
// these domains.
var DefaultTrustedOrigins = []string{"https://*.firebaseio.com", "https://*.firebasedatabase.app"}

// Client reads, writes and listens to one Realtime Database. It is safe
// for concurrent use. Close it when done.
type Client struct {
	sdk       *sdk.Client
	query     url.Values // the database URL's own query (the emulator's ns=)
	tokens    *tokenTracker
	reconnect sdk.RetryPolicy
	sleep     func(context.Context, time.Duration) error
}

// Option configures a [Client].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	ts        sdk.TokenSource
	param     string
	trusted   []string
	noDefault bool
	sdkOpts   []sdk.Option
	reconnect *sdk.RetryPolicy
}

// WithIDTokens authenticates every request with a Firebase ID token from
// ts, in the auth query parameter as the REST API takes it. Use the source
// of package sdk/firebase/fbauth, which refreshes tokens through Secure
// Token: a 401 makes it refresh once and the request is sent again, and a
// stream's auth_revoked makes it refresh before the stream resumes.
func WithIDTokens(ts sdk.TokenSource) Option {
	return optionFunc(func(c *config) { c.ts, c.param = ts, "auth" })
}

// WithAccessTokens authenticates every request with a Google OAuth2 access
// token from ts (a service account's, from fbauth.ServiceAccount), in the
// access_token query parameter.
func WithAccessTokens(ts sdk.TokenSource) Option {
	return optionFunc(func(c *config) { c.ts, c.param = ts, "access_token" })
}

// WithTrustedOrigins adds origins that a redirect may take requests to,
// credential and body included (see [sdk.WithTrustedOrigins] for the
// patterns), to [DefaultTrustedOrigins]. Redirects anywhere else lose the
// credential, and writes are not followed there.
func WithTrustedOrigins(patterns ...string) Option {
	return optionFunc(func(c *config) { c.trusted = append(c.trusted, patterns...) })
}

// WithOnlyTrustedOrigins replaces [DefaultTrustedOrigins] with patterns
// (none: credentials go to the database's own origin only).
func WithOnlyTrustedOrigins(patterns ...string) Option {
	return optionFunc(func(c *config) { c.trusted, c.noDefault = append([]string(nil), patterns...), true })
}

// WithSDKOptions passes options to the underlying [sdk.Client]: a logger,
// an *http.Client, retries, timeouts.
func WithSDKOptions(opts ...sdk.Option) Option {
	return optionFunc(func(c *config) { c.sdkOpts = append(c.sdkOpts, opts...) })
}

// WithReconnect sets how [Listen] reconnects a dropped stream: at most
// MaxRetries reconnections in a row that deliver no event, waiting the
// policy's backoff before each. The default is sdk.DefaultRetryPolicy
// with 10 retries.
func WithReconnect(p sdk.RetryPolicy) Option {
	return optionFunc(func(c *config) { c.reconnect = &p })
}

// NewClient returns a client of the database at databaseURL
// ("https://<db>.firebaseio.com", "https://<db>.<region>.firebasedatabase.app",
// or an emulator's "http://127.0.0.1:9000?ns=<db>"). A query in the URL is
// sent with every request.
func NewClient(databaseURL string, opts ...Option) (*Client, error) {
	var cfg config
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	u, err := url.Parse(databaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, &Error{Op: "new client", Err: fmt.Errorf("database URL %q: want https://<host>", safeURL(databaseURL))}
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		return nil, &Error{Op: "new client", Err: fmt.Errorf("database URL %q has a path; give the database's root", safeURL(databaseURL))}
	}
	c := &Client{query: u.Query(), sleep: sleepCtx}
	for name := range c.query {
		if sdk.IsSecretParam(name) {
			return nil, &Error{Op: "new client", Err: fmt.Errorf("database URL carries a credential (%s=): use WithIDTokens or WithAccessTokens", name)}
		}
	}
	trusted := cfg.trusted
	if !cfg.noDefault {
		trusted = append(slices.Clone(DefaultTrustedOrigins), trusted...)
	}
	sopts := slices.Clone(cfg.sdkOpts)
	if len(trusted) > 0 {
		sopts = append(sopts, sdk.WithTrustedOrigins(trusted...))
	}
	if cfg.ts != nil {
		c.tokens = &tokenTracker{ts: cfg.ts}
		sopts = append(sopts, sdk.WithQueryToken(cfg.param, c.tokens))
	}
	c.sdk, err = sdk.NewClient((&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/"}).String(), sopts...)
	if err != nil {
		return nil, &Error{Op: "new client", Err: err}
	}
	c.reconnect = sdk.DefaultRetryPolicy()
	c.reconnect.MaxRetries = 10
	if cfg.reconnect != nil {
		c.reconnect = *cfg.reconnect
	}
	return c, nil
}

// Close releases the client's connections and stops its streams.
func (c *Client) Close() error { return c.sdk.Close() }

// SDK returns the underlying client.
func (c *Client) SDK() *sdk.Client { return c.sdk }

// Ref returns a reference to the location at path ("users/ada"; "" or "/"
// is the root). An invalid path is reported by the calls made with the
// reference, as a [*PathError].
func (c *Client) Ref(path string) Ref {
	segs, err := parsePath(path)
	return Ref{c: c, path: segs, err: err}
}

// Ref is a location of the database. The zero Ref is not usable.
type Ref struct {
	c    *Client
	path []string
	err  error
}

// Path returns the location's path, "/" for the root.
func (r Ref) Path() string { return "/" + strings.Join(r.path, "/") }

// Key returns the last segment of the path, "" for the root.
func (r Ref) Key() string {
	if len(r.path) == 0 {
		return ""
	}
	return r.path[len(r.path)-1]
}

// Child returns the location at path under r.
func (r Ref) Child(path string) Ref {
	if r.err != nil {
		return r
	}
	segs, err := parsePath(path)
	if err != nil {
		err.(*PathError).Path = strings.TrimSuffix(r.Path(), "/") + "/" + path
	}
	return Ref{c: r.c, path: append(slices.Clone(r.path), segs...), err: err}
}

// Parent returns the location above r; the root's parent is the root.
func (r Ref) Parent() Ref {
	if len(r.path) == 0 {
		return r
	}
	return Ref{c: r.c, path: r.path[: len(r.path)-1 : len(r.path)-1], err: r.err}
}

// maxPathBytes is the longest path the service takes (its limits page: a
// key of at most 768 bytes, a depth of at most 32).
const (
	maxKeyBytes = 768
	maxDepth    = 32
)

func parsePath(p string) ([]string, error) {
	var segs []string
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "" {
			continue
		}
		if reason := badKey(seg); reason != "" {
			return nil, &PathError{Path: p, Reason: reason}
		}
		segs = append(segs, seg)
	}
	if len(segs) > maxDepth {
		return nil, &PathError{Path: p, Reason: fmt.Sprintf("deeper than %d levels", maxDepth)}
	}
	return segs, nil
}

// badKey says why a key is not allowed, or "".
func badKey(k string) string {
	switch {
	case len(k) > maxKeyBytes:
		return fmt.Sprintf("a key is longer than %d bytes", maxKeyBytes)
	case !utf8.ValidString(k):
		return "a key is not valid UTF-8"
	case strings.ContainsAny(k, ".$#[]"):
		return `a key holds one of . $ # [ ]`
	}
	for _, r := range k {
		if r < 0x20 || r == 0x7f {
			return "a key holds a control character"
		}
	}
	return ""
}

// tokenTracker hands out the tokens of ts and remembers the last ones, so
// that a stream's auth_revoked can refresh the token it used and errors
// can be kept free of them.
type tokenTracker struct {
	ts   sdk.TokenSource
	mu   sync.Mutex
	last *sdk.Token
	seen []string
}

var _ sdk.TokenRefresher = (*tokenTracker)(nil)

func (t *tokenTracker) note(tok *sdk.Token) {
	if tok == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.last = tok
	if !slices.Contains(t.seen, tok.AccessToken) {
		t.seen = append(t.seen, tok.AccessToken)
		if len(t.seen) > 16 {
			t.seen = t.seen[1:]
		}
	}
}

// Token returns the source's token.
func (t *tokenTracker) Token(ctx context.Context) (*sdk.Token, error) {
	tok, err := t.ts.Token(ctx)
	t.note(tok)
	return tok, err
}

// Refresh asks the source for a token other than failed, when it can
// refresh; otherwise it returns failed, and the refusal stands.
func (t *tokenTracker) Refresh(ctx context.Context, failed *sdk.Token) (*sdk.Token, error) {
	r, ok := t.ts.(sdk.TokenRefresher)
	if !ok {
		return failed, nil
	}
	tok, err := r.Refresh(ctx, failed)
	t.note(tok)
	return tok, err
}

// revoked refreshes the last token handed out, after the server said it is
// no longer valid.
func (t *tokenTracker) revoked(ctx context.Context) error {
	t.mu.Lock()
	last := t.last
	t.mu.Unlock()
	if last == nil {
		return nil
	}
	_, err := t.Refresh(ctx, last)
	return err
}

// scrub removes every token handed out from s.
func (t *tokenTracker) scrub(s string) string {
	if t == nil {
		return s
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, tok := range t.seen {
		if len(tok) >= 4 {
			s = strings.ReplaceAll(s, tok, "[redacted]")
			s = strings.ReplaceAll(s, url.QueryEscape(tok), "[redacted]")
		}
	}
	return s
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// safeURL is a URL for an error message: without query and user.
func safeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
