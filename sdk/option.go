package sdk

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Option configures a [Client] (given to NewClient) or a single call (given
// to a method). It is satisfied only by this package's constructors, which
// keeps every option documented here; generated packages build their own
// options (per security scheme, say) from exported constructors.
//
// Every option checks its value where it is given: a value it cannot take
// (a negative duration, a size that is not positive, nil where a value is
// needed, a header that is not one) fails NewClient, or the call it was
// given to, with an [*OptionError] naming the option, and so does an
// option given where it does not apply (a client's option to a call).
// Nothing is ignored. A nil hook or middleware adds nothing;
// WithCache(nil) and WithRetryBudget(nil) turn the cache and the retry
// quota off. The options of packages sdk/cache and sdk/cache/boltstore
// follow the same rule.
type Option interface {
	apply(*settings)
}

type optionFunc func(*settings)

func (f optionFunc) apply(s *settings) { f(s) }

// clientOption may only be given to NewClient.
type clientOption struct {
	name string
	f    func(*settings)
}

func (o clientOption) apply(s *settings) {
	if s.perCall {
		s.fail(&OptionError{Option: o.name, Reason: "applies to the whole client: pass it to NewClient"})
		return
	}
	o.f(s)
}

// callOption may only be given to a call.
type callOption struct {
	name string
	f    func(*settings)
}

func (o callOption) apply(s *settings) {
	if !s.perCall {
		s.fail(&OptionError{Option: o.name, Reason: "applies to one call: pass it to the method"})
		return
	}
	o.f(s)
}

// settings is what options set. A client holds one; a call with options
// works on a copy (slices and maps are copied before they are changed).
type settings struct {
	perCall bool
	errs    []error

	baseURL           string
	baseURLSet        bool
	httpClient        *http.Client
	header            http.Header
	headerOwned       bool
	userAgent         string
	timeout           time.Duration
	attemptTimeout    time.Duration
	middleware        []Middleware
	attemptMiddleware []Middleware
	checks            []func(*http.Response) *http.Response // see impl.ResponseCheck
	logger            *slog.Logger
	logHeaders        map[string]bool
	maxErrorBody      int64
	maxResponseSize   int64
	capture           **http.Response
	retry             RetryPolicy
	retryBudget       *RetryBudget
	sleeper           Sleeper
	onRetry           []func(RetryEvent)
	idempotencyKey    string
	idempotent        *bool
	auth              []authenticator
	authOwned         bool
	allowInsecureAuth bool
	trusted           []originPattern
	pagesOnOwnOrigin  bool
	uploadProgress    func(sent, total int64)
	downloadProgress  func(received, total int64)
	cache             Cache
	idleTimeout       time.Duration
	maxEventSize      int
	tls               tlsSettings
	lenient           []func(*DecodeError)
}

func (s *settings) fail(err error) { s.errs = append(s.errs, err) }

// checked returns an option that applies set when its value is ok, and
// otherwise fails with an *OptionError naming the option and saying why.
func checked(ok bool, option, reason string, set func(*settings)) Option {
	return optionFunc(func(s *settings) {
		if !ok {
			s.fail(&OptionError{Option: option, Reason: reason})
			return
		}
		set(s)
	})
}

// Defaults, with their reasons.
const (
	// DefaultMaxErrorBody bounds how much of an error response is kept in an
	// [APIError]: enough for any real error document, small enough that a
	// hostile server cannot make errors expensive.
	DefaultMaxErrorBody = 64 << 10
	// DefaultMaxResponseSize bounds the JSON body a call decodes. Real list
	// responses reach tens of megabytes; past this, a body is more likely an
	// attack or a bug than data. Downloads (io.ReadCloser results) are not
	// limited.
	DefaultMaxResponseSize = 256 << 20
)

func defaultSettings() settings {
	return settings{
		maxErrorBody:    DefaultMaxErrorBody,
		maxResponseSize: DefaultMaxResponseSize,
		retry:           DefaultRetryPolicy(),
		retryBudget:     NewRetryBudget(DefaultRetryBudget),
		sleeper:         realSleeper{},
		idleTimeout:     DefaultIdleTimeout,
		maxEventSize:    DefaultMaxEventSize,
	}
}

// forCall returns the settings of one call: the client's, with opts applied.
// Without opts the client's settings are shared, read-only.
func (s *settings) forCall(opts []Option) (*settings, error) {
	if len(opts) == 0 {
		return s, nil
	}
	cs := *s
	cs.perCall = true
	cs.errs = nil
	cs.headerOwned = false
	cs.authOwned = false
	// Appending to a client slice must never write into its spare capacity.
	cs.middleware = slices.Clip(cs.middleware)
	cs.attemptMiddleware = slices.Clip(cs.attemptMiddleware)
	cs.checks = slices.Clip(cs.checks)
	cs.onRetry = slices.Clip(cs.onRetry)
	cs.lenient = slices.Clip(cs.lenient)
	for _, o := range opts {
		if o != nil {
			o.apply(&cs)
		}
	}
	if len(cs.errs) > 0 {
		return nil, cs.errs[0]
	}
	return &cs, nil
}

func (s *settings) ownHeader() http.Header {
	if !s.headerOwned {
		if s.header == nil {
			s.header = make(http.Header)
		} else {
			s.header = s.header.Clone()
		}
		s.headerOwned = true
	}
	return s.header
}

// OptionError reports an option that cannot be used where it was given, or
// a value it cannot take.
type OptionError struct {
	Option string
	Reason string
}

func (e *OptionError) Error() string { return fmt.Sprintf("sdk: %s: %s", e.Option, e.Reason) }

// canonicalHeaders returns names in canonical form.
func canonicalHeaders(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[http.CanonicalHeaderKey(n)] = true
	}
	return m
}

// The options, grouped. Each says whether it may be given to NewClient,
// to a call, or both; one given where it does not apply fails with an
// [*OptionError], as does a value it cannot take.

// ——— Where calls go, and what they carry ———

// WithBaseURL sends requests to url instead of the server the spec names,
// for the client or for one call. Paths of operations are appended to it.
// It must be an http or https URL with a host.
func WithBaseURL(url string) Option {
	return optionFunc(func(s *settings) {
		if _, err := parseBaseURL(url); err != nil {
			s.fail(&OptionError{Option: "WithBaseURL", Reason: err.Error()})
			return
		}
		s.baseURL, s.baseURLSet = url, true
	})
}

// WithHTTPClient makes the client send requests with hc. hc itself is never
// modified: the client works on a shallow copy whose Transport is wrapped
// with the SDK's per-attempt layers, and never closes hc's idle
// connections. hc's Timeout, if set, bounds each attempt including its body
// (prefer [WithTimeout], which does not cut streamed downloads short).
// Client only.
//
// The SDK refuses TLS older than 1.2 with hc too. When hc's Transport (or
// http.DefaultTransport, when it has none) is an *http.Transport whose TLS
// config allows less, or when TLS options ([WithRootCAs],
// [WithClientCertificates], [WithPinnedKeys]) are given, the client uses a
// clone of it with those settings, whose idle connections [Client.Close]
// closes. Any other RoundTripper (or an *http.Transport with its own
// DialTLSContext, or with golang.org/x/net/http2 installed) is not one the
// SDK can configure: TLS options then fail NewClient with an
// [*OptionError], and the version is checked only on the response, which
// is refused with a [*TLSVersionError] — after the request, credentials
// included, went over the old protocol. Configure such transports with
// MinVersion tls.VersionTLS12 yourself.
func WithHTTPClient(hc *http.Client) Option {
	return transportOption{clientOption{"WithHTTPClient", func(s *settings) {
		if hc == nil {
			s.fail(&OptionError{Option: "WithHTTPClient", Reason: "nil client"})
			return
		}
		s.httpClient = hc
	}}}
}

// WithHeader sets a header on every request (client) or on one call's
// requests. Values set for a call replace the client's for that name. The
// name must be a field name (RFC 9110: letters, digits and !#$%&'*+-.^_`|~)
// and the value hold no CR, LF or NUL. Credentials belong in the auth
// options, which bind them to an origin; a header whose name says it
// carries one (X-Auth-Token, ...) is redacted in errors and logs and never
// follows a redirect to another origin.
func WithHeader(name, value string) Option {
	return optionFunc(func(s *settings) {
		if !validHeaderName(name) {
			s.fail(&OptionError{Option: "WithHeader", Reason: fmt.Sprintf("%q is not a header name", sanitize(name, 60))})
			return
		}
		if strings.ContainsAny(value, "\r\n\x00") {
			s.fail(&OptionError{Option: "WithHeader", Reason: "the value of " + name + " holds a line break or NUL"})
			return
		}
		s.ownHeader().Set(name, value)
	})
}

// validHeaderName reports a field name (RFC 9110 section 5.1: a token).
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := range len(name) {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// WithUserAgent sets the User-Agent header. The default names the SDK.
func WithUserAgent(ua string) Option {
	return optionFunc(func(s *settings) { s.userAgent = ua })
}

// WithResponse stores the call's final *http.Response in *dst, for callers
// who need its headers or status. The body has been consumed (or, for
// streamed results, is the one returned). Call only.
func WithResponse(dst **http.Response) Option {
	return callOption{"WithResponse", func(s *settings) { s.capture = dst }}
}

// ——— Credentials (layer 5: once per attempt, only to the call's origin) ———

// WithBearerToken sends token as "Authorization: Bearer <token>".
func WithBearerToken(token string) Option { return WithTokenSourceFor("", StaticToken(token)) }

// WithTokenSource sends tokens from ts as "Authorization: <type> <token>",
// asking ts once per attempt. When ts is a [TokenRefresher] (the sources of
// package sdk/auth are), a response with status 401 makes the call refresh
// the token, once, and send the request again.
func WithTokenSource(ts TokenSource) Option { return WithTokenSourceFor("", ts) }

// WithTokenSourceFor is [WithTokenSource] bound to the security scheme
// named scheme in the spec: it applies only to operations that accept that
// scheme. Generated options (petstore.WithPetstoreAuth(ts)) are built on it.
func WithTokenSourceFor(scheme string, ts TokenSource) Option {
	return optionFunc(func(s *settings) {
		if ts == nil {
			s.fail(&OptionError{Option: "WithTokenSource", Reason: "nil token source"})
			return
		}
		addAuth(s, authenticator{scheme: scheme, ts: ts, secretHeader: "Authorization", slot: "authorization"})
	})
}

// WithBasicAuth sends HTTP basic credentials.
func WithBasicAuth(user, password string) Option { return WithBasicAuthFor("", user, password) }

// WithBasicAuthFor is [WithBasicAuth] bound to a security scheme. The user
// may not hold a colon (RFC 7617).
func WithBasicAuthFor(scheme, user, password string) Option {
	encoded := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	value := "Basic " + encoded
	return optionFunc(func(s *settings) {
		if strings.Contains(user, ":") {
			s.fail(&OptionError{Option: "WithBasicAuth", Reason: "the user holds a colon"})
			return
		}
		addAuth(s, authenticator{scheme: scheme, secretHeader: "Authorization", slot: "authorization", secret: value, redact: []string{password, encoded}, apply: func(req *http.Request) {
			req.Header.Set("Authorization", value)
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
		a := authenticator{scheme: scheme, secret: key, redact: []string{key}}
		switch in {
		case InHeader:
			a.secretHeader = http.CanonicalHeaderKey(name)
			a.slot = "header:" + a.secretHeader
			a.apply = func(req *http.Request) { req.Header.Set(name, key) }
		case InQuery:
			a.slot = "query:" + name
			a.apply = func(req *http.Request) {
				q := req.URL.Query()
				q.Set(name, key)
				u := *req.URL
				u.RawQuery = q.Encode()
				req.URL = &u
			}
		case InCookie:
			a.slot = "cookie:" + name
			a.apply = func(req *http.Request) { req.AddCookie(&http.Cookie{Name: name, Value: key}) }
		default:
			s.fail(&OptionError{Option: "WithAPIKey", Reason: "unknown location"})
			return
		}
		addAuth(s, a)
	})
}

// WithQueryToken sends tokens from ts in the query parameter name instead
// of an Authorization header, as Firebase's Realtime Database takes an ID
// token (auth=) and Google APIs an access token (access_token=). Like
// [WithTokenSource], ts is asked once per attempt, a 401 makes a
// [TokenRefresher] refresh once, and the token goes only to the call's
// origin (or a [WithTrustedOrigins] one): on a redirect elsewhere the
// parameter is removed from the URL, even when the server's Location
// repeats it. Its values are redacted from errors and logs.
func WithQueryToken(name string, ts TokenSource) Option {
	return optionFunc(func(s *settings) {
		switch {
		case name == "":
			s.fail(&OptionError{Option: "WithQueryToken", Reason: "empty parameter name"})
		case ts == nil:
			s.fail(&OptionError{Option: "WithQueryToken", Reason: "nil token source"})
		default:
			addAuth(s, authenticator{ts: ts, query: name, slot: "query:" + name})
		}
	})
}

// WithTrustedOrigins names other origins than the call's to which a call
// may carry its credentials, and a request body, when a redirect leads
// there: the hosts of one service that hands requests to each other (the
// Realtime Database answers 307 with another host of the same database).
// Each pattern is scheme://host or scheme://host:port, where the host may
// start with "*." to match any of its subdomains ("https://*.firebaseio.com";
// not the domain itself). Without it, credentials never leave the call's
// scheme, host and port. Client only.
func WithTrustedOrigins(patterns ...string) Option {
	var ps []originPattern
	for _, p := range patterns {
		op, err := parseOriginPattern(p)
		if err != nil {
			return checked(false, "WithTrustedOrigins", err.Error(), nil)
		}
		ps = append(ps, op)
	}
	return clientOption{"WithTrustedOrigins", func(s *settings) {
		s.trusted = append(s.trusted[:len(s.trusted):len(s.trusted)], ps...)
	}}
}

// WithInsecureCredentials allows credentials to be sent over plain http to
// a host other than loopback, which the SDK otherwise refuses (anyone on
// the path could read them). Client only.
func WithInsecureCredentials() Option {
	return clientOption{"WithInsecureCredentials", func(s *settings) { s.allowInsecureAuth = true }}
}

// ——— Transport security ———

// WithRootCAs makes the client trust the certificate authorities in pool
// instead of the system's, to verify the servers' certificates: for
// private CAs and self-signed test servers. Chain and host name
// verification stay on. Client only; like every TLS option it applies to
// calls, WebSocket handshakes ([Client.UpgradeClient]) and clients from
// [NewHTTPClient].
func WithRootCAs(pool *x509.CertPool) Option {
	return transportOption{clientOption{"WithRootCAs", func(s *settings) {
		if pool == nil {
			s.fail(&OptionError{Option: "WithRootCAs", Reason: "nil pool"})
			return
		}
		s.tls.rootCAs = pool
		s.tls.note("WithRootCAs")
	}}}
}

// WithClientCertificates makes the client present a certificate to servers
// that ask for one (mutual TLS): the first of certs that suits the server's
// request, as crypto/tls chooses. Each must hold a certificate chain and its
// private key ([tls.LoadX509KeyPair] gives one). Client only.
func WithClientCertificates(certs ...tls.Certificate) Option {
	return transportOption{clientOption{"WithClientCertificates", func(s *settings) {
		if len(certs) == 0 {
			s.fail(&OptionError{Option: "WithClientCertificates", Reason: "no certificate"})
			return
		}
		for i, c := range certs {
			if len(c.Certificate) == 0 || c.PrivateKey == nil {
				s.fail(&OptionError{Option: "WithClientCertificates", Reason: fmt.Sprintf("certificate %d has no certificate chain or no private key", i)})
				return
			}
		}
		s.tls.clientCerts = append(slices.Clip(s.tls.clientCerts), certs...)
		s.tls.note("WithClientCertificates")
	}}}
}

// WithPinnedKeys pins the servers' public keys: a connection is accepted
// only when a certificate of its verified chain — the server's own, an
// intermediate or the root, in any chain crypto/tls verified — has one of
// the given keys. Normal chain and host name verification still run first;
// pinning narrows them, it never replaces them. The check runs during the
// TLS handshake, before any byte of a request is sent; a connection that
// fails it gives a [*PinError].
//
// A pin is "sha256/" followed by the standard base64 (with padding) of the
// SHA-256 of the certificate's DER-encoded SubjectPublicKeyInfo, as OkHttp
// and HTTP Public Key Pinning write them ([PinOf] computes one):
//
//	openssl x509 -in cert.pem -pubkey -noout | openssl pkey -pubin -outform der |
//	  openssl dgst -sha256 -binary | openssl enc -base64
//
// Pin a backup key too (the next key, or an intermediate's), or a key
// rotation will lock the client out. A pin that does not parse fails
// NewClient with an [*OptionError]. Client only.
func WithPinnedKeys(pins ...string) Option {
	return transportOption{clientOption{"WithPinnedKeys", func(s *settings) {
		if len(pins) == 0 {
			s.fail(&OptionError{Option: "WithPinnedKeys", Reason: "no pin"})
			return
		}
		parsed := slices.Clip(s.tls.pins)
		for i, p := range pins {
			h, err := parsePin(p)
			if err != nil {
				s.fail(&OptionError{Option: "WithPinnedKeys", Reason: fmt.Sprintf("pin %d (%q): %v", i, sanitize(p, 60), err)})
				return
			}
			parsed = append(parsed, h)
		}
		s.tls.pins = parsed
		s.tls.note("WithPinnedKeys")
	}}}
}

// ——— Time limits ———

// WithTimeout bounds a whole logical call: every attempt and wait between
// attempts, and the reading of the response body. A deadline on the
// caller's context, if earlier, wins. Zero means no bound (the default).
func WithTimeout(d time.Duration) Option {
	return checked(d >= 0, "WithTimeout", "negative duration", func(s *settings) { s.timeout = d })
}

// WithAttemptTimeout bounds each attempt until its response headers arrive;
// an attempt that times out is retried like a connection failure. It never
// cuts a body that is being read (streams are governed by the caller's
// context). Zero means no bound (the default).
func WithAttemptTimeout(d time.Duration) Option {
	return checked(d >= 0, "WithAttemptTimeout", "negative duration", func(s *settings) { s.attemptTimeout = d })
}

// WithIdleTimeout sets how long the server may stay silent in a body the
// SDK reads once the answer is known (default [DefaultIdleTimeout]); zero
// turns the check off. Only the wait for the server's bytes counts, never
// the time the caller spends on an event.
//
// An event stream that stays silent so long is taken for a dropped
// connection: it is reconnected like any dropped one, when it can be (see
// Streams in the package documentation); otherwise it fails with a [*StreamError] wrapping an
// [*IdleTimeoutError]. The per-attempt timeout ([WithAttemptTimeout])
// covers the wait for a stream's response headers, never the stream
// itself.
//
// The body of an error response, and the start of a 2xx body that is not
// what the spec says (read for the [*DecodeError]), are read while the
// server keeps sending: the call returns with what came. A body the
// caller decodes or reads (a JSON result, a download) is its answer, and
// is bounded by the caller's context and [WithTimeout], as net/http's are.
func WithIdleTimeout(d time.Duration) Option {
	return checked(d >= 0, "WithIdleTimeout", "negative duration", func(s *settings) { s.idleTimeout = d })
}

// ——— Retries (layer 3) ———

// WithRetry replaces the retry policy, for the client or for one call.
// Zero durations take the defaults (see [RetryPolicy]).
func WithRetry(p RetryPolicy) Option {
	return optionFunc(func(s *settings) {
		if p.MaxRetries < 0 || p.BaseDelay < 0 || p.MaxDelay < 0 || p.MaxRetryAfter < 0 || p.MaxElapsed < 0 {
			s.fail(&OptionError{Option: "WithRetry", Reason: "negative value in policy"})
			return
		}
		s.retry = p.normalized()
	})
}

// WithMaxRetries sets how many times a call is retried, keeping the rest of
// the policy; zero disables retries.
func WithMaxRetries(n int) Option {
	return checked(n >= 0, "WithMaxRetries", "negative count", func(s *settings) { s.retry.MaxRetries = n })
}

// WithoutRetries disables retries (for the client or one call). A
// transient failure then fails the call with a [*RetryError] whose Reason
// says that retries are disabled.
func WithoutRetries() Option { return WithMaxRetries(0) }

// WithRetryBudget makes calls draw their retries from budget, which may be
// shared by many clients, instead of the client's own quota. Given to a
// call, it replaces the client's budget for that call; nil turns the
// quota off (every call may then use its whole [RetryPolicy], as before
// the quota existed).
func WithRetryBudget(budget *RetryBudget) Option {
	return optionFunc(func(s *settings) { s.retryBudget = budget })
}

// WithIdempotencyKey sends key as the Idempotency-Key header of the call,
// on every attempt, which makes a POST or PATCH call retryable. Call only.
func WithIdempotencyKey(key string) Option {
	return callOption{"WithIdempotencyKey", func(s *settings) {
		if key == "" || strings.ContainsAny(key, "\r\n") {
			s.fail(&OptionError{Option: "WithIdempotencyKey", Reason: "empty key or key with a line break"})
			return
		}
		s.idempotencyKey = key
	}}
}

// WithIdempotent says whether the call's operation is idempotent, whatever
// the spec says. When true, a POST or PATCH call gets a fresh
// Idempotency-Key (the same on every attempt) and is retried; when false,
// the call is never retried, whatever its method, even if the spec marks it
// idempotent or it carries a key. Call only.
func WithIdempotent(idempotent bool) Option {
	return callOption{"WithIdempotent", func(s *settings) { s.idempotent = &idempotent }}
}

// WithOnRetry calls f before each retry (after the wait is chosen, before
// it starts), for metrics; for the client or one call (a call's hooks run
// after the client's). f must be quick and must not block: it runs on the
// caller's goroutine.
func WithOnRetry(f func(RetryEvent)) Option {
	return optionFunc(func(s *settings) {
		if f != nil {
			s.onRetry = append(s.onRetry, f)
		}
	})
}

// WithSleeper replaces the clock the retry layer waits on, for the client
// or one call.
func WithSleeper(sl Sleeper) Option {
	return checked(sl != nil, "WithSleeper", "nil sleeper", func(s *settings) { s.sleeper = sl })
}

// ——— Middleware and interceptors (layers 1 and 6) ———

// WithMiddleware adds middleware that runs once per logical call, outside
// the retry layer: it sees the request once and the final outcome (the last
// attempt's response, or the error after retries ran out). Middleware given
// to NewClient wraps middleware given to a call; among several, the first
// is the outermost.
func WithMiddleware(mw ...Middleware) Option {
	return optionFunc(func(s *settings) {
		for _, m := range mw {
			if m != nil {
				s.middleware = append(s.middleware, m)
			}
		}
	})
}

// WithInterceptor adds an interceptor that runs once per logical call, like
// [WithMiddleware]: OnResponse and OnError see the final outcome.
func WithInterceptor(i Interceptor) Option { return WithMiddleware(i.Middleware()) }

// WithAttemptMiddleware adds middleware that runs once per attempt (and per
// redirect hop), inside the retry layer and after auth: it sees every
// request as sent, credentials included. Use it for metrics of each try;
// use [WithMiddleware] to observe calls.
func WithAttemptMiddleware(mw ...Middleware) Option {
	return optionFunc(func(s *settings) {
		for _, m := range mw {
			if m != nil {
				s.attemptMiddleware = append(s.attemptMiddleware, m)
			}
		}
	})
}

// WithAttemptInterceptor adds an interceptor that runs once per attempt,
// like [WithAttemptMiddleware].
func WithAttemptInterceptor(i Interceptor) Option { return WithAttemptMiddleware(i.Middleware()) }

// ——— Cache (layer 2) ———

// WithCache installs c as the cache layer, for the client or for one call;
// WithCache(nil) turns caching off (for a call of a client that has a
// cache, say). Closing the client does not close c or its store.
func WithCache(c Cache) Option {
	return optionFunc(func(s *settings) { s.cache = c })
}

// ——— Sizes of what the SDK reads ———

// WithMaxResponseSize sets how large a JSON response body may be before
// decoding fails with [ErrResponseTooLarge] (default
// [DefaultMaxResponseSize]). Streamed results (io.ReadCloser) are not
// limited.
func WithMaxResponseSize(n int64) Option {
	return checked(n > 0, "WithMaxResponseSize", "must be positive", func(s *settings) { s.maxResponseSize = n })
}

// WithMaxErrorBody sets how many bytes of an error response an [APIError]
// keeps (default [DefaultMaxErrorBody]).
func WithMaxErrorBody(n int64) Option {
	return checked(n > 0, "WithMaxErrorBody", "must be positive", func(s *settings) { s.maxErrorBody = n })
}

// WithMaxEventSize sets the longest line, and the most data one event may
// carry, in an event stream (default [DefaultMaxEventSize]).
func WithMaxEventSize(n int) Option {
	return checked(n > 0, "WithMaxEventSize", "must be positive", func(s *settings) { s.maxEventSize = n })
}

// ——— Decoding ———

// WithLenientDecoding makes the JSON bodies of successful responses decode
// leniently, for the client or for one call: a value that does not fit its
// Go type (a date that does not parse, a string where a number goes, an
// enum's object where a string goes) is left zero, report is called with
// a [*DecodeError] naming it (Path, Type, Err), and the rest of the body
// decodes; the call succeeds. Without it, such a value fails the call
// with that DecodeError. A body that is not JSON, is cut short or is over
// [WithMaxResponseSize] still fails the call. Pages of a pager, and
// GraphQL responses, decode the same way.
//
// What is left zero is the smallest part that fails alone: a field, an
// element of a list, a map's entry; a pointer becomes nil, a
// nullable.Nullable absent. A type with its own UnmarshalJSON (a union, a
// date) is one part: it is decoded whole or left zero.
//
// report runs on the goroutine that decodes (the caller's, or a pager's
// prefetch goroutine), once per value, before the call returns; a call's
// hooks run after the client's. It must be quick. A nil report is an
// [*OptionError]: to ignore what is left zero, say so with an empty
// function.
//
// The cost: none while bodies decode; a failing value is decoded again,
// piece by piece. A body over 32 KiB is read as a stream, and to decode a
// failing part again the SDK keeps a copy of the list element (or the
// whole value, when it is not a list) being decoded, up to the response
// limit.
func WithLenientDecoding(report func(*DecodeError)) Option {
	return checked(report != nil, "WithLenientDecoding", "nil report: pass func(*sdk.DecodeError) {} to ignore what is left zero",
		func(s *settings) { s.lenient = append(s.lenient, report) })
}

// ——— Progress of uploads and downloads ———

// WithUploadProgress calls f as the call's request body is sent, with the
// bytes sent so far (multipart framing included) and the total: the
// Content-Length, or -1 when unknown. Reports never go backwards: when a
// retry sends the body again, they resume once it passes the furthest
// point reached before; the last report of a body sent in full is its
// length. f runs on the goroutine that writes the body and must be quick.
// Call only.
func WithUploadProgress(f func(sent, total int64)) Option {
	return callOption{"WithUploadProgress", func(s *settings) { s.uploadProgress = f }}
}

// WithDownloadProgress calls f as the body of the call's successful
// response is read, with the bytes received so far and the total: the
// Content-Length, or -1 when unknown. Reports never go backwards, and the
// last report of a body read to its end is its length. f runs on the
// goroutine that reads the body and must be quick. Call only.
func WithDownloadProgress(f func(received, total int64)) Option {
	return callOption{"WithDownloadProgress", func(s *settings) { s.downloadProgress = f }}
}

// ——— Logging ———

// WithLogger logs each attempt (debug level) and each retry (info level) to
// l. Headers are logged only when on the allowlist (see [WithLogHeaders]);
// credentials never are. Without it the SDK is silent. Client only.
func WithLogger(l *slog.Logger) Option {
	return clientOption{"WithLogger", func(s *settings) { s.logger = l }}
}

// WithLogHeaders adds header names to the allowlist of headers that logs
// may show. Authorization, cookies and the API-key headers of the client's
// auth are never logged, even when listed. Client only.
func WithLogHeaders(names ...string) Option {
	return clientOption{"WithLogHeaders", func(s *settings) {
		m := make(map[string]bool, len(s.logHeaders)+len(names))
		for k := range s.logHeaders {
			m[k] = true
		}
		for _, n := range names {
			m[http.CanonicalHeaderKey(n)] = true
		}
		s.logHeaders = m
	}}
}

// ——— Pagination (PagerOption: for methods that return a Pager) ———

// WithPrefetch makes the pager fetch one page ahead, in a goroutine,
// while the caller works on the current page: with a slow server and
// per-page work of similar cost, a list is read up to twice as fast. The
// goroutine stops when the iteration stops (a break included, after which
// no new request starts and the one in flight is cancelled), when the
// pager's context ends, and when the [Client] is closed; the iterator does
// not return before it has stopped. [Pager.NextPage] never prefetches. A
// fetch function given to [NewPager] must honour its context for the
// goroutine to stop promptly.
func WithPrefetch() PagerOption {
	return pagerOption{"WithPrefetch", func(c *pagerConfig) { c.prefetch = true }}
}

// WithMaxItems stops [Pager.All] and [Pager.Pages] after n items (n > 0),
// cutting the last page short. No page is fetched once n items were. It
// does not apply to [Pager.NextPage], which returns whole pages.
func WithMaxItems(n int) PagerOption {
	return pagerOption{"WithMaxItems", func(c *pagerConfig) {
		if n <= 0 {
			c.err = &OptionError{Option: "WithMaxItems", Reason: "must be positive"}
			return
		}
		c.maxItems = n
	}}
}

// WithNextPagesOnOwnOrigin makes the pagers that follow next-page URLs
// (a next link in the body, a Link header) request a URL the server gives
// on another origin on the client's own origin instead: same query, same
// path, less the leading segments that differ between the two (the
// server's /v1 when the client's base URL has none). A client pointed at a
// mock server, a gateway or a proxy then pages through it, where by default
// a next URL on another origin stops the list with a [*PaginationError]:
// https://api.example.com/v1/me/shows?offset=20 is requested as
// http://127.0.0.1:4011/me/shows?offset=20. Credentials only ever go to
// the client's origin. Given to [NewClient] it applies to every pager of
// the client, given to a call to that call's pager.
func WithNextPagesOnOwnOrigin() Option { return ownOriginOption{} }

type ownOriginOption struct{}

func (ownOriginOption) apply(s *settings) { s.pagesOnOwnOrigin = true }

// WithStartAt starts the pager at a position saved from [Pager.Position]
// or [Page.Next], instead of the first page.
func WithStartAt(position string) PagerOption {
	return pagerOption{"WithStartAt", func(c *pagerConfig) { c.start = position }}
}
