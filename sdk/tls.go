package sdk

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
)

// Transport security. Every transport a Client sends with, and every
// *http.Client from NewHTTPClient, refuses TLS versions below 1.2:
//
//   - The SDK's own transport sets MinVersion.
//   - A caller's *http.Transport whose TLS config allows less is cloned
//     with MinVersion raised; so is one that the TLS options configure
//     (WithRootCAs, WithClientCertificates, WithPinnedKeys). The caller's
//     value is never modified, and the clone's idle connections are the
//     client's to close.
//   - A transport the SDK cannot configure (any other RoundTripper, an
//     *http.Transport with its own TLS dialer or with golang.org/x/net/http2
//     installed) is checked after the fact: a response that came over a
//     connection older than TLS 1.2 is refused with a *TLSVersionError.
//     By then the request, credentials included, has been sent over that
//     connection. TLS options cannot apply to such a transport: NewClient
//     fails with an *OptionError rather than ignore them.
//
// Every transport is wrapped in tlsFloor, which makes both the refused
// handshake and the refused response a *TLSVersionError.

// PinPrefix starts every pin given to [WithPinnedKeys]: the hash function,
// written as OkHttp's CertificatePinner and HTTP Public Key Pinning write
// it.
const PinPrefix = "sha256/"

// tlsSettings are what the TLS options set; zero means none.
type tlsSettings struct {
	rootCAs     *x509.CertPool
	clientCerts []tls.Certificate
	pins        [][sha256.Size]byte
	given       []string // the TLS options given, for errors
}

func (t *tlsSettings) any() bool { return len(t.given) > 0 }

func (t *tlsSettings) note(name string) {
	if !slices.Contains(t.given, name) {
		t.given = append(slices.Clip(t.given), name)
	}
}

// transportOption configures the transport: client only, and accepted by
// NewHTTPClient.
type transportOption struct{ clientOption }

func (transportOption) configuresTransport() {}

func parsePin(p string) ([sha256.Size]byte, error) {
	var h [sha256.Size]byte
	b64, ok := strings.CutPrefix(p, PinPrefix)
	if !ok {
		return h, fmt.Errorf("a pin starts with %q", PinPrefix)
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil {
		return h, fmt.Errorf("not standard base64: %v", err)
	}
	if len(raw) != sha256.Size {
		return h, fmt.Errorf("%d bytes, a SHA-256 has %d", len(raw), sha256.Size)
	}
	copy(h[:], raw)
	return h, nil
}

// PinOf returns the pin of a certificate's public key, in the form
// [WithPinnedKeys] takes: "sha256/" and the base64 of the SHA-256 of its
// SubjectPublicKeyInfo.
func PinOf(cert *x509.Certificate) string {
	h := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return PinPrefix + base64.StdEncoding.EncodeToString(h[:])
}

// PinError reports a server whose verified certificate chain holds none of
// the keys pinned with [WithPinnedKeys]. The connection was closed during
// the handshake: no request was sent on it. It is not retried.
type PinError struct {
	// Host is the server (host and port).
	Host string
	// Chain holds the pins of the certificates of the verified chains,
	// server's first, for comparison with the configured ones.
	Chain []string
}

func (e *PinError) Error() string {
	return fmt.Sprintf("sdk: certificate pinning: no key of the certificate chain of %s is pinned (chain: %s)",
		sanitize(e.Host, 100), strings.Join(e.Chain, ", "))
}

// verifyPins checks a verified connection against pins.
func verifyPins(pins [][sha256.Size]byte, cs tls.ConnectionState) error {
	var chain []string
	seen := map[[sha256.Size]byte]bool{}
	for _, vc := range cs.VerifiedChains {
		for _, cert := range vc {
			h := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
			if slices.Contains(pins, h) {
				return nil
			}
			if !seen[h] {
				seen[h] = true
				chain = append(chain, PinPrefix+base64.StdEncoding.EncodeToString(h[:]))
			}
		}
	}
	// The handshake knows no port, and no name for an IP address: tlsFloor
	// names the host.
	return &PinError{Host: cs.ServerName, Chain: chain}
}

// TLSVersionError reports a server that cannot, or did not, use TLS 1.2 or
// later, which the SDK requires. It is not retried.
//
// With a transport the SDK configures (its own, or a caller's
// *http.Transport) the handshake itself fails: Sent is false and nothing of
// the request left the client. With a transport it cannot configure (see
// [WithHTTPClient]) the version is only known from the response: Sent is
// true, the request — credentials included — went over the old protocol,
// and the SDK refuses the response it got.
type TLSVersionError struct {
	// Host is the server (host and port).
	Host string
	// Version is the version the connection used (tls.VersionTLS11, say),
	// or 0 when the handshake failed because the server offered none of
	// the versions allowed.
	Version uint16
	// Sent reports whether the request had been sent before the version
	// was known.
	Sent bool
	// Err is the handshake's error, when the handshake failed.
	Err error
}

func (e *TLSVersionError) Error() string {
	host := sanitize(e.Host, 100)
	if !e.Sent {
		return fmt.Sprintf("sdk: %s offers no TLS version the SDK accepts (TLS 1.2 or later): %v", host, e.Err)
	}
	return fmt.Sprintf("sdk: %s used %s, the SDK requires TLS 1.2 or later: the response is refused, but the request was sent over it (its transport is not one the SDK can configure)",
		host, tls.VersionName(e.Version))
}

// Unwrap returns the handshake's error, if any.
func (e *TLSVersionError) Unwrap() error { return e.Err }

// tlsFloor wraps every transport: it types a handshake refused for its
// version, and refuses a response that came over TLS older than 1.2.
type tlsFloor struct{ rt http.RoundTripper }

func (f tlsFloor) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := f.rt.RoundTrip(req)
	if err != nil {
		var pe *PinError
		if errors.As(err, &pe) {
			// A copy: the connection may hand the same error to others.
			return nil, &PinError{Host: req.URL.Host, Chain: pe.Chain}
		}
		if versionRefused(err) {
			return nil, &TLSVersionError{Host: req.URL.Host, Err: err}
		}
		return nil, err
	}
	if resp.TLS != nil && resp.TLS.Version < tls.VersionTLS12 {
		// Nothing more is read from such a connection.
		resp.Body.Close()
		return nil, &TLSVersionError{Host: req.URL.Host, Version: resp.TLS.Version, Sent: true}
	}
	return resp, nil
}

// CloseIdleConnections closes the idle connections of the transport
// beneath, for http.Client.CloseIdleConnections.
func (f tlsFloor) CloseIdleConnections() {
	if c, ok := f.rt.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// versionRefused reports a handshake that failed because client and server
// share no TLS version: the server said so (Go and OpenSSL servers send the
// protocol_version alert), or the client did (a server answered with TLS
// 1.1 or older). crypto/tls types neither, so its messages are matched.
func versionRefused(err error) bool {
	const protocolVersion = tls.AlertError(70) // RFC 8446 protocol_version
	var a tls.AlertError
	if errors.As(err, &a) { // QUIC connections
		return a == protocolVersion
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" && op.Err != nil && op.Err.Error() == protocolVersion.Error() {
		return true
	}
	return strings.Contains(err.Error(), "tls: server selected unsupported protocol version")
}

// buildTransport returns the transport a Client (or NewHTTPClient) built
// from s sends with, wrapped in tlsFloor, and the *http.Transport the SDK
// created for it (nil when it uses the caller's as it is), whose idle
// connections are the SDK's to close.
func (s *settings) buildTransport() (http.RoundTripper, *http.Transport, error) {
	if s.httpClient == nil {
		t := defaultTransport()
		if err := s.tls.configure(t.TLSClientConfig); err != nil {
			return nil, nil, err
		}
		return tlsFloor{t}, t, nil
	}
	rt := s.httpClient.Transport
	if f, ok := rt.(tlsFloor); ok { // from NewHTTPClient
		rt = f.rt
	}
	if rt == nil {
		rt = http.DefaultTransport
	}
	t, ok := rt.(*http.Transport)
	if !ok {
		return s.opaque(rt, fmt.Sprintf("its transport is a %T, not an *http.Transport", rt))
	}
	//lint:ignore SA1019 DialTLS is deprecated, not gone: a caller may still set it
	if t.DialTLSContext != nil || t.DialTLS != nil {
		return s.opaque(rt, "its *http.Transport makes TLS connections with its own DialTLSContext")
	}
	// Clone first: it settles the caller's HTTP/2 setup, so what follows
	// reads no field a first request of theirs could be writing.
	c := t.Clone()
	if _, ok := c.TLSNextProto["h2"]; ok {
		// golang.org/x/net/http2's connection pool would be shared with
		// the caller's transport: a connection dialed without our settings
		// could serve our requests.
		return s.opaque(rt, "its *http.Transport has golang.org/x/net/http2 installed (TLSNextProto), whose connection pool a copy would share")
	}
	cfg := c.TLSClientConfig
	if cfg == nil {
		cfg = &tls.Config{}
	}
	if cfg.MaxVersion != 0 && cfg.MaxVersion < tls.VersionTLS12 {
		return nil, nil, &OptionError{Option: "WithHTTPClient", Reason: "its transport's TLS MaxVersion is below TLS 1.2, which the SDK requires"}
	}
	weak := cfg.MinVersion != 0 && cfg.MinVersion < tls.VersionTLS12
	if !weak && !s.tls.any() {
		// Go's client default is TLS 1.2 already: use the caller's
		// transport, and its connection pool, as it is.
		return tlsFloor{t}, nil, nil
	}
	if err := s.tls.configure(cfg); err != nil {
		return nil, nil, err
	}
	// The bundled HTTP/2 that the caller's transport set up is not copied:
	// let the clone set up its own, which it would not do by itself now
	// that it has a TLS config.
	if _, h2 := t.TLSNextProto["h2"]; h2 && c.Protocols == nil {
		c.ForceAttemptHTTP2 = true
	}
	c.TLSClientConfig = cfg
	return tlsFloor{c}, c, nil
}

// opaque is buildTransport for a transport the SDK cannot configure.
func (s *settings) opaque(rt http.RoundTripper, why string) (http.RoundTripper, *http.Transport, error) {
	if s.tls.any() {
		return nil, nil, &OptionError{Option: strings.Join(s.tls.given, ", "),
			Reason: "cannot apply to the client given to WithHTTPClient: " + why + "; pass a client whose Transport is a plain *http.Transport, or configure its TLS yourself"}
	}
	return tlsFloor{rt}, nil, nil
}

// configure applies the TLS options to cfg, a config the SDK owns.
func (t *tlsSettings) configure(cfg *tls.Config) error {
	if cfg.MinVersion < tls.VersionTLS12 {
		cfg.MinVersion = tls.VersionTLS12
	}
	if t.rootCAs != nil {
		cfg.RootCAs = t.rootCAs
	}
	if len(t.clientCerts) > 0 {
		if cfg.GetClientCertificate != nil {
			return &OptionError{Option: "WithClientCertificates", Reason: "the transport's TLS config chooses its own certificates (GetClientCertificate)"}
		}
		cfg.Certificates = slices.Clone(t.clientCerts)
	}
	if len(t.pins) > 0 {
		if cfg.InsecureSkipVerify {
			return &OptionError{Option: "WithPinnedKeys", Reason: "the transport's TLS config skips certificate verification (InsecureSkipVerify); pins narrow verification, they do not replace it"}
		}
		pins := slices.Clone(t.pins)
		prev := cfg.VerifyConnection
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if err := verifyPins(pins, cs); err != nil {
				return err
			}
			if prev != nil {
				return prev(cs)
			}
			return nil
		}
	}
	return nil
}

// NewHTTPClient returns an *http.Client that reaches servers under the
// same TLS rules as a [Client] built with the same options — TLS 1.2 at
// least, [WithRootCAs], [WithClientCertificates], [WithPinnedKeys] — and
// none of the SDK's other layers (no auth, retries or logging). It is for
// requests made outside the SDK's calls, such as a token endpoint's
// (auth.WithHTTPClient), and can be shared with the Client through
// [WithHTTPClient] so that both use one connection pool:
//
//	hc, err := sdk.NewHTTPClient(sdk.WithRootCAs(pool), sdk.WithPinnedKeys(pin))
//	ts := auth.ClientCredentials(cfg, auth.WithHTTPClient(hc))
//	c, err := petstore.NewClient(url, sdk.WithHTTPClient(hc), petstore.WithOAuth(ts))
//
// It takes only the options that configure the transport: those above and
// [WithHTTPClient], whose client it copies (never modifies) as NewClient
// does. Any other option is an [*OptionError]. The caller owns the result:
// its CloseIdleConnections closes the connections of the transport it uses.
func NewHTTPClient(opts ...Option) (*http.Client, error) {
	s := defaultSettings()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if _, ok := o.(interface{ configuresTransport() }); !ok {
			name := "an option"
			if co, ok := o.(clientOption); ok {
				name = co.name
			}
			return nil, &OptionError{Option: name, Reason: "does not configure the transport: NewHTTPClient takes WithHTTPClient, WithRootCAs, WithClientCertificates and WithPinnedKeys"}
		}
		o.apply(&s)
	}
	if len(s.errs) > 0 {
		return nil, errors.Join(s.errs...)
	}
	rt, _, err := s.buildTransport()
	if err != nil {
		return nil, err
	}
	var hc http.Client
	if s.httpClient != nil {
		hc = *s.httpClient
	}
	hc.Transport = rt
	return &hc, nil
}
