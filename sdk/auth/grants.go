package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/sdkgen-go/sdkgen/sdk/internal/safetext"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/sdkgen-go/sdkgen/sdk"
)

// Config is an OAuth2 client of an authorization server. Generated SDKs
// build one per flow of a security scheme, with the spec's URLs
// (petstore.PetstoreAuthClientCredentials(id, secret, scopes...)).
type Config struct {
	// ClientID and ClientSecret identify the client. A public client (no
	// secret) sends its id in the request body.
	ClientID     string
	ClientSecret string
	// TokenURL is the token endpoint; AuthURL the authorization endpoint
	// (authorization code flow only).
	TokenURL string
	AuthURL  string
	// DiscoveryURL is an OpenID Connect discovery document
	// (".../.well-known/openid-configuration"). When TokenURL or AuthURL is
	// empty, it is read, once, for token_endpoint and
	// authorization_endpoint.
	DiscoveryURL string
	// RedirectURL is where the authorization server sends the user back
	// (authorization code flow).
	RedirectURL string
	// Scopes to ask for; none means the server's default.
	Scopes []string
	// EndpointParams are sent with client credentials requests (audience,
	// resource, ...).
	EndpointParams url.Values
	// AuthStyle says how the client authenticates to the token endpoint.
	AuthStyle AuthStyle
}

// AuthStyle says how a client sends its id and secret to the token
// endpoint.
type AuthStyle int

const (
	// AuthStyleInHeader sends them as HTTP basic credentials, which RFC 6749
	// (section 2.3.1) requires every server to accept. It is the default.
	// A client without a secret sends its id in the body instead.
	AuthStyleInHeader AuthStyle = iota
	// AuthStyleInParams sends them in the form body (client_secret_post).
	AuthStyleInParams
	// AuthStyleAutoDetect tries the header, then the body, and remembers
	// what worked, as golang.org/x/oauth2 does by default. A failed request
	// is then sent twice, a refresh token included.
	AuthStyleAutoDetect
)

func (c *Config) oauth2Style() oauth2.AuthStyle {
	if c.ClientSecret == "" {
		return oauth2.AuthStyleInParams
	}
	switch c.AuthStyle {
	case AuthStyleInParams:
		return oauth2.AuthStyleInParams
	case AuthStyleAutoDetect:
		return oauth2.AuthStyleAutoDetect
	}
	return oauth2.AuthStyleInHeader
}

// ErrNoRefreshToken is the error of a [RefreshToken] source that has no
// refresh token to send: the user must authorize the client (again).
var ErrNoRefreshToken = errors.New("auth: no refresh token: authorize the client first (authorization code flow)")

// ClientCredentials returns a source of tokens from the client credentials
// grant (RFC 6749 section 4.4): the client's own tokens, fetched again
// when they near their expiry or the server refuses them.
func ClientCredentials(cfg Config, opts ...Option) *Source {
	g := &grant{cfg: cfg}
	s := NewSource(g.clientCredentials, opts...)
	g.o = &s.o
	if s.o.identity == "" {
		s.o.identity = cfg.clientIdentity()
	}
	return s
}

// clientIdentity names the principal of the client credentials grant: the
// client, at its token endpoint, with its scopes and parameters (which
// decide what its tokens may do). The secret is left out, so a rotated
// secret keeps the identity.
func (c *Config) clientIdentity() string {
	endpoint := c.TokenURL
	if endpoint == "" {
		endpoint = "discovery:" + c.DiscoveryURL
	}
	scopes := slices.Clone(c.Scopes)
	slices.Sort(scopes)
	return strings.Join([]string{"oauth2-client-credentials", endpoint, c.ClientID, strings.Join(scopes, " "), c.EndpointParams.Encode()}, "\x00")
}

// RefreshToken returns a source of tokens from the refresh token grant
// (RFC 6749 section 6): the user's tokens, obtained once through the
// authorization code flow ([Config.AuthCodeURL], [Config.Exchange]) and
// kept with [WithToken] or [WithTokenStore]. Each refresh sends the current
// refresh token; when the server rotates it, the new one is kept, handed
// to [WithOnTokenChange] hooks and the store, and sent next time.
func RefreshToken(cfg Config, opts ...Option) *Source {
	g := &grant{cfg: cfg}
	s := NewSource(g.refresh, opts...)
	g.o = &s.o
	return s
}

// grant performs the requests of one Config with golang.org/x/oauth2.
// Fetches of a Source never overlap, so its lazily built state needs no
// lock.
type grant struct {
	cfg Config
	o   *options

	endpoints endpoints // resolved TokenURL and AuthURL
	cc        *clientcredentials.Config
	oc        *oauth2.Config
}

type endpoints struct{ token, auth string }

func (g *grant) clientCredentials(ctx context.Context, _ *sdk.Token) (*sdk.Token, error) {
	const grantType = "client_credentials"
	ep, err := g.resolve(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkURL(ep.token, g.o.insecure); err != nil {
		return nil, &TokenError{Grant: grantType, URL: redactURL(ep.token), Err: err}
	}
	if g.cc == nil {
		g.cc = &clientcredentials.Config{
			ClientID:       g.cfg.ClientID,
			ClientSecret:   g.cfg.ClientSecret,
			TokenURL:       ep.token,
			Scopes:         g.cfg.Scopes,
			EndpointParams: g.cfg.EndpointParams,
			AuthStyle:      g.cfg.oauth2Style(),
		}
	}
	t, err := g.cc.Token(ctx)
	if err != nil {
		return nil, tokenError(grantType, ep.token, err, g.cfg.ClientSecret)
	}
	return fromOAuth2(t, g.o.now), nil
}

func (g *grant) refresh(ctx context.Context, current *sdk.Token) (*sdk.Token, error) {
	const grantType = "refresh_token"
	if current == nil || current.RefreshToken == "" {
		return nil, ErrNoRefreshToken
	}
	ep, err := g.resolve(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkURL(ep.token, g.o.insecure); err != nil {
		return nil, &TokenError{Grant: grantType, URL: redactURL(ep.token), Err: err}
	}
	if g.oc == nil {
		g.oc = g.cfg.oauth2(ep)
	}
	// A token without an access token is invalid to x/oauth2, so this
	// source refreshes at once, with ctx, and once.
	t, err := g.oc.TokenSource(ctx, &oauth2.Token{RefreshToken: current.RefreshToken}).Token()
	if err != nil {
		return nil, tokenError(grantType, ep.token, err, g.cfg.ClientSecret, current.RefreshToken)
	}
	return fromOAuth2(t, g.o.now), nil
}

// resolve returns the endpoints, reading the discovery document the first
// time it is needed.
func (g *grant) resolve(ctx context.Context) (endpoints, error) {
	if g.endpoints.token != "" {
		return g.endpoints, nil
	}
	ep, err := g.cfg.endpoints(ctx, g.o)
	if err != nil {
		return endpoints{}, err
	}
	g.endpoints = ep
	return ep, nil
}

func (c *Config) oauth2(ep endpoints) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret,
		Endpoint:     oauth2.Endpoint{TokenURL: ep.token, AuthURL: ep.auth, AuthStyle: c.oauth2Style()},
		RedirectURL:  c.RedirectURL,
		Scopes:       c.Scopes,
	}
}

// endpoints returns the token endpoint (and the authorization endpoint,
// when known) from the configuration, or else from its discovery document.
func (c *Config) endpoints(ctx context.Context, o *options) (endpoints, error) {
	ep := endpoints{token: c.TokenURL, auth: c.AuthURL}
	if ep.token != "" {
		return ep, nil
	}
	if c.DiscoveryURL == "" {
		return ep, errors.New("auth: the configuration has no TokenURL and no DiscoveryURL")
	}
	d, err := discover(ctx, o, c.DiscoveryURL)
	if err != nil {
		return ep, err
	}
	if ep.token == "" {
		ep.token = d.TokenEndpoint
	}
	if ep.auth == "" {
		ep.auth = d.AuthorizationEndpoint
	}
	return ep, nil
}

// Discover returns a copy of c whose empty TokenURL and AuthURL are filled
// from its OpenID Connect discovery document, for programs that run the
// authorization code flow themselves ([Config.AuthCodeURL] needs AuthURL).
// Sources discover on their own. Of the options, those of the HTTP client
// apply ([WithHTTPClient], [WithTimeout], [WithInsecureHTTP]).
func (c Config) Discover(ctx context.Context, opts ...Option) (Config, error) {
	o := buildOptions(opts)
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	if c.DiscoveryURL == "" {
		return c, errors.New("auth: the configuration has no DiscoveryURL")
	}
	d, err := discover(ctx, &o, c.DiscoveryURL)
	if err != nil {
		return c, err
	}
	if c.TokenURL == "" {
		c.TokenURL = d.TokenEndpoint
	}
	if c.AuthURL == "" {
		c.AuthURL = d.AuthorizationEndpoint
	}
	return c, nil
}

// AuthCodeURL returns the URL to send the user to, to authorize the
// client (RFC 6749 section 4.1). state protects against cross-site request
// forgery: check that the redirect brings it back. verifier, from
// [GenerateVerifier], adds a PKCE challenge (RFC 7636); pass the same to
// [Config.Exchange]. AuthURL must be set (see [Config.Discover]).
func (c Config) AuthCodeURL(state, verifier string) string {
	var opts []oauth2.AuthCodeOption
	if verifier != "" {
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	return c.oauth2(endpoints{token: c.TokenURL, auth: c.AuthURL}).AuthCodeURL(state, opts...)
}

// GenerateVerifier returns a new PKCE code verifier (RFC 7636): 32 random
// bytes, base64url-encoded.
func GenerateVerifier() string { return oauth2.GenerateVerifier() }

// Exchange turns the code the authorization server redirected the user
// back with into a token (with a refresh token, usually), to keep with
// [WithToken] or a [TokenStore] and use through [RefreshToken]. verifier is
// the one given to [Config.AuthCodeURL], or "". Of the options, those of
// the HTTP client apply ([WithHTTPClient], [WithTimeout],
// [WithInsecureHTTP], [WithClock]).
func (c Config) Exchange(ctx context.Context, code, verifier string, opts ...Option) (*sdk.Token, error) {
	const grantType = "authorization_code"
	o := buildOptions(opts)
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	ctx = withHTTPClient(ctx, o.hc)
	ep, err := c.endpoints(ctx, &o)
	if err != nil {
		return nil, err
	}
	if err := checkURL(ep.token, o.insecure); err != nil {
		return nil, &TokenError{Grant: grantType, URL: redactURL(ep.token), Err: err}
	}
	var aopts []oauth2.AuthCodeOption
	if verifier != "" {
		aopts = append(aopts, oauth2.VerifierOption(verifier))
	}
	t, err := c.oauth2(ep).Exchange(ctx, code, aopts...)
	if err != nil {
		return nil, tokenError(grantType, ep.token, err, c.ClientSecret, code, verifier)
	}
	return fromOAuth2(t, o.now), nil
}

// withHTTPClient makes golang.org/x/oauth2 send with hc.
func withHTTPClient(ctx context.Context, hc *http.Client) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, hc)
}

// discovery is the part of an OpenID Connect discovery document we use.
type discovery struct {
	Issuer                string `json:"issuer"`
	TokenEndpoint         string `json:"token_endpoint"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
}

// maxDiscovery bounds a discovery document; real ones are a few kilobytes.
const maxDiscovery = 1 << 20

// discover reads an OpenID Connect discovery document with the source's
// client.
func discover(ctx context.Context, o *options, rawURL string) (*discovery, error) {
	fail := func(status int, err error) error {
		return &DiscoveryError{URL: redactURL(rawURL), StatusCode: status, Err: err}
	}
	if err := checkURL(rawURL, o.insecure); err != nil {
		return nil, fail(0, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fail(0, unwrapURLError(err))
	}
	req.Header.Set("Accept", "application/json")
	resp, err := o.hc.Do(req)
	if err != nil {
		return nil, fail(0, unwrapURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDiscovery+1))
	if err != nil {
		return nil, fail(resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fail(resp.StatusCode, errors.New("unexpected status"))
	}
	if len(body) > maxDiscovery {
		return nil, fail(resp.StatusCode, errors.New("document larger than 1 MiB"))
	}
	var d discovery
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, fail(resp.StatusCode, fmt.Errorf("not a discovery document: %v", err))
	}
	if d.TokenEndpoint == "" {
		return nil, fail(resp.StatusCode, errors.New("the document has no token_endpoint"))
	}
	for _, u := range []string{d.TokenEndpoint, d.AuthorizationEndpoint} {
		if u == "" {
			continue
		}
		if err := checkURL(u, o.insecure); err != nil {
			return nil, fail(resp.StatusCode, err)
		}
	}
	return &d, nil
}

// errInsecure is the cause of requests refused over plain http.
var errInsecure = errors.New("refusing to send credentials over plain http to a host other than loopback (use https, or auth.WithInsecureHTTP)")

// checkURL accepts https URLs, and http ones to loopback hosts (or any with
// insecure).
func checkURL(raw string, insecure bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("invalid URL: %v", unwrapURLError(err))
	}
	switch {
	case u.Host == "":
		return errors.New("URL has no host")
	case u.Scheme == "https":
		return nil
	case u.Scheme != "http":
		return fmt.Errorf("URL scheme %q is not http or https", u.Scheme)
	case insecure || isLoopback(u.Hostname()):
		return nil
	}
	return errInsecure
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redactURL drops the query, fragment and user information of a URL for
// error strings.
func redactURL(raw string) string { return safetext.RedactRawURL(raw) }

// unwrapURLError strips net/http's *url.Error, whose message holds the
// full URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
