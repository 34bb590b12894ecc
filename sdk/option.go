package sdk

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"
)

// Option configures a [Client] (given to NewClient) or a single call (given
// to a method). It is satisfied only by this package's constructors, which
// keeps every option documented here; generated packages build their own
// options (per security scheme, say) from exported constructors.
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
	uploadProgress    func(sent, total int64)
	downloadProgress  func(received, total int64)
	cache             Cache
	idleTimeout       time.Duration
	maxEventSize      int
	tls               tlsSettings
}

func (s *settings) fail(err error) { s.errs = append(s.errs, err) }

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
	cs.onRetry = slices.Clip(cs.onRetry)
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

// WithBaseURL sends requests to url instead of the server the spec names,
// for the client or for one call. Paths of operations are appended to it.
func WithBaseURL(url string) Option {
	return optionFunc(func(s *settings) {
		s.baseURL, s.baseURLSet = url, true
	})
}

// WithHeader sets a header on every request (client) or on one call's
// requests. Values set for a call replace the client's for that name.
// Credentials belong in the auth options, which bind them to an origin.
func WithHeader(name, value string) Option {
	return optionFunc(func(s *settings) {
		s.ownHeader().Set(name, value)
	})
}

// WithUserAgent sets the User-Agent header. The default names the SDK.
func WithUserAgent(ua string) Option {
	return optionFunc(func(s *settings) { s.userAgent = ua })
}

// WithTimeout bounds a whole logical call: every attempt and wait between
// attempts, and the reading of the response body. A deadline on the
// caller's context, if earlier, wins. Zero means no bound (the default).
func WithTimeout(d time.Duration) Option {
	return optionFunc(func(s *settings) {
		if d < 0 {
			s.fail(&OptionError{Option: "WithTimeout", Reason: "negative duration"})
			return
		}
		s.timeout = d
	})
}

// WithAttemptTimeout bounds each attempt until its response headers arrive;
// an attempt that times out is retried like a connection failure. It never
// cuts a body that is being read (streams are governed by the caller's
// context). Zero means no bound (the default).
func WithAttemptTimeout(d time.Duration) Option {
	return optionFunc(func(s *settings) {
		if d < 0 {
			s.fail(&OptionError{Option: "WithAttemptTimeout", Reason: "negative duration"})
			return
		}
		s.attemptTimeout = d
	})
}

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

// WithMaxErrorBody sets how many bytes of an error response an [APIError]
// keeps (default [DefaultMaxErrorBody]).
func WithMaxErrorBody(n int64) Option {
	return optionFunc(func(s *settings) {
		if n <= 0 {
			s.fail(&OptionError{Option: "WithMaxErrorBody", Reason: "must be positive"})
			return
		}
		s.maxErrorBody = n
	})
}

// WithMaxResponseSize sets how large a JSON response body may be before
// decoding fails with [ErrResponseTooLarge] (default
// [DefaultMaxResponseSize]). Streamed results (io.ReadCloser) are not
// limited.
func WithMaxResponseSize(n int64) Option {
	return optionFunc(func(s *settings) {
		if n <= 0 {
			s.fail(&OptionError{Option: "WithMaxResponseSize", Reason: "must be positive"})
			return
		}
		s.maxResponseSize = n
	})
}

// WithResponse stores the call's final *http.Response in *dst, for callers
// who need its headers or status. The body has been consumed (or, for
// streamed results, is the one returned). Call only.
func WithResponse(dst **http.Response) Option {
	return callOption{"WithResponse", func(s *settings) { s.capture = dst }}
}

// canonicalHeaders returns names in canonical form.
func canonicalHeaders(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[http.CanonicalHeaderKey(n)] = true
	}
	return m
}
