package sdk_test

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/internal/testpki"
)

// tlsServer is an https test server that counts the connections it
// accepted and the requests that reached its handler.
type tlsServer struct {
	*httptest.Server
	conns    atomic.Int32
	requests atomic.Int32
	mu       sync.Mutex
	auth     []string // the Authorization of each request
	peers    []string // the client certificate's name, if any
}

// newTLSServer starts a server with cfg (its certificates, versions and
// client authentication); h2 enables HTTP/2.
func newTLSServer(t *testing.T, cfg *tls.Config, h2 bool) *tlsServer {
	t.Helper()
	s := &tlsServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		peer := ""
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			peer = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		s.mu.Lock()
		s.auth = append(s.auth, r.Header.Get("Authorization"))
		s.peers = append(s.peers, peer)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"proto":"`+r.Proto+`"}`)
	}))
	s.TLS = cfg
	s.EnableHTTP2 = h2
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func (s *tlsServer) lastAuth() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.auth) == 0 {
		return ""
	}
	return s.auth[len(s.auth)-1]
}

func (s *tlsServer) lastPeer() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.peers) == 0 {
		return ""
	}
	return s.peers[len(s.peers)-1]
}

func newClientT(t *testing.T, base string, opts ...sdk.Option) *sdk.Client {
	t.Helper()
	c, err := sdk.NewClient(base, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// getProto makes one GET call and returns the protocol the response came
// with.
func getProto(c *sdk.Client, opts ...sdk.Option) (int, error) {
	var resp *http.Response
	err := doGet(c, &sdk.Operation{ID: "get", Path: "/x"}, append(opts, sdk.WithResponse(&resp))...)
	if err != nil {
		return 0, err
	}
	return resp.ProtoMajor, nil
}

func asErr[E error](err error) (E, bool) {
	var e E
	ok := errors.As(err, &e)
	return e, ok
}

// tls11Server serves TLS 1.0 and 1.1 only. Go servers offer nothing below
// TLS 1.2 unless MinVersion says so.
func tls11Server(t *testing.T) *tlsServer {
	return newTLSServer(t, &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}, false)
}

// weakClient trusts srv and accepts TLS 1.0.
func weakClient(t *testing.T, srv *tlsServer) (*http.Client, *http.Transport) {
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS10}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}, tr
}

// A caller's client that accepts TLS 1.0 reaches a TLS 1.1-only server;
// the SDK, given that same client, refuses during the handshake, so the
// server never sees the request. The caller's transport is not changed.
func TestTLS11ServerRefusedWithCallersClient(t *testing.T) {
	srv := tls11Server(t)
	hc, tr := weakClient(t, srv)

	// The server works, and a weak client does connect: the test can fail.
	resp, err := hc.Get(srv.URL + "/plain")
	if err != nil {
		t.Fatalf("a client allowing TLS 1.0 could not connect: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.TLS == nil || resp.TLS.Version != tls.VersionTLS11 {
		t.Fatalf("the plain client did not negotiate TLS 1.1: %+v", resp.TLS)
	}
	if n := srv.requests.Load(); n != 1 {
		t.Fatalf("server saw %d requests", n)
	}

	c := newClientT(t, srv.URL, sdk.WithHTTPClient(hc), sdk.WithBearerToken(bearerSecret))
	_, err = getProto(c)
	ve, ok := asErr[*sdk.TLSVersionError](err)
	if !ok {
		t.Fatalf("err = %v (%T), want a *sdk.TLSVersionError", err, err)
	}
	if ve.Sent || ve.Version != 0 || ve.Host != strings.TrimPrefix(srv.URL, "https://") {
		t.Errorf("TLSVersionError %+v", ve)
	}
	if _, ok := asErr[*sdk.TransportError](err); !ok {
		t.Errorf("not inside a TransportError: %v", err)
	}
	if _, ok := asErr[*sdk.RetryError](err); ok {
		t.Errorf("a refused TLS version was treated as transient: %v", err)
	}
	if n := srv.requests.Load(); n != 1 {
		t.Errorf("server saw %d requests, want the plain client's 1 only", n)
	}
	if tr.TLSClientConfig.MinVersion != tls.VersionTLS10 {
		t.Errorf("the caller's TLS config was modified: MinVersion %x", tr.TLSClientConfig.MinVersion)
	}
	t.Logf("error: %v", err)

	// The SDK's own transport refuses it the same way.
	own := newClientT(t, srv.URL, sdk.WithRootCAs(poolOf(srv)))
	if _, err := getProto(own); !isVersionErr(err, false) {
		t.Errorf("own transport: %v", err)
	}
	// So does a client from NewHTTPClient built on the weak client.
	nhc, err := sdk.NewHTTPClient(sdk.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	defer nhc.CloseIdleConnections()
	if _, err := nhc.Get(srv.URL + "/x"); !isVersionErr(err, false) {
		t.Errorf("NewHTTPClient: %v", err)
	}
	if n := srv.requests.Load(); n != 1 {
		t.Errorf("server saw %d requests", n)
	}
}

func poolOf(srv *tlsServer) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return pool
}

func isVersionErr(err error, sent bool) bool {
	ve, ok := asErr[*sdk.TLSVersionError](err)
	return ok && ve.Sent == sent
}

// A RoundTripper the SDK cannot configure is checked on the response:
// the SDK refuses it, typed, but the request — its token included — has
// reached the server over TLS 1.1 by then. TLS options cannot apply to
// such a transport and fail at construction.
func TestTLS11ServerWithOpaqueTransport(t *testing.T) {
	srv := tls11Server(t)
	hc, tr := weakClient(t, srv)
	opaque := &http.Client{Transport: sdk.RoundTripperFunc(tr.RoundTrip)}
	c := newClientT(t, srv.URL, sdk.WithHTTPClient(opaque), sdk.WithBearerToken(bearerSecret))
	_, err := getProto(c)
	ve, ok := asErr[*sdk.TLSVersionError](err)
	if !ok || !ve.Sent || ve.Version != tls.VersionTLS11 {
		t.Fatalf("err = %v, want a TLSVersionError with Sent and TLS 1.1", err)
	}
	if !strings.Contains(err.Error(), "TLS 1.1") || !strings.Contains(err.Error(), "was sent") {
		t.Errorf("the error does not say what happened: %v", err)
	}
	// What the documentation warns about: the request went out.
	if n := srv.requests.Load(); n != 1 || srv.lastAuth() != "Bearer "+bearerSecret {
		t.Errorf("server saw %d requests, Authorization %q", n, srv.lastAuth())
	}

	for _, opt := range []sdk.Option{
		sdk.WithRootCAs(poolOf(srv)),
		sdk.WithPinnedKeys(sdk.PinOf(srv.Certificate())),
		sdk.WithClientCertificates(testpki.NewCA(t, "ca").Client(t, "me")),
	} {
		_, err := sdk.NewClient(srv.URL, sdk.WithHTTPClient(opaque), opt)
		if oe, ok := asErr[*sdk.OptionError](err); !ok || !strings.Contains(oe.Reason, "RoundTripperFunc") {
			t.Errorf("TLS option with an opaque transport: %v", err)
		}
	}
	// An *http.Transport with its own TLS dialer is opaque too.
	dialer := &http.Transport{DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return (&tls.Dialer{Config: hc.Transport.(*http.Transport).TLSClientConfig}).DialContext(ctx, network, addr)
	}}
	defer dialer.CloseIdleConnections()
	if _, err := sdk.NewClient(srv.URL, sdk.WithHTTPClient(&http.Client{Transport: dialer}), sdk.WithRootCAs(poolOf(srv))); err == nil {
		t.Error("TLS option with a DialTLSContext transport accepted")
	}
	c2 := newClientT(t, srv.URL, sdk.WithHTTPClient(&http.Client{Transport: dialer}))
	if _, err := getProto(c2); !isVersionErr(err, true) {
		t.Errorf("DialTLSContext transport: %v", err)
	}
}

// A server that answers a TLS 1.2+ ClientHello with a TLS 1.1 ServerHello,
// as old servers do, makes the client abort: that is a TLSVersionError too.
func TestServerHelloOfTLS11IsRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		var hdr [5]byte
		if _, err := io.ReadFull(conn, hdr[:]); err != nil || hdr[0] != 0x16 {
			return
		}
		if _, err := io.CopyN(io.Discard, conn, int64(hdr[3])<<8|int64(hdr[4])); err != nil {
			return
		}
		// ServerHello: version 3.2 (TLS 1.1), 32 random bytes, no session
		// id, ECDHE-RSA-AES128-SHA, no compression.
		body := append([]byte{0x03, 0x02}, make([]byte, 32)...)
		body = append(body, 0x00, 0xc0, 0x13, 0x00)
		hs := append([]byte{0x02, 0x00, 0x00, byte(len(body))}, body...)
		rec := append([]byte{0x16, 0x03, 0x02, 0x00, byte(len(hs))}, hs...)
		_, _ = conn.Write(rec)
		_, _ = io.Copy(io.Discard, conn) // until the client gives up
	}()
	defer wg.Wait()
	defer ln.Close()
	c := newClientT(t, "https://"+ln.Addr().String())
	_, err = getProto(c, sdk.WithoutRetries())
	if !isVersionErr(err, false) {
		t.Fatalf("err = %v, want a TLSVersionError", err)
	}
	if !strings.Contains(err.Error(), "unsupported protocol version 302") {
		t.Errorf("error: %v", err)
	}
}

// pki is a CA, a server certificate it signed, and a server using it.
type pki struct {
	ca   *testpki.CA
	cert tls.Certificate
}

func newPKI(t *testing.T) pki {
	ca := testpki.NewCA(t, "test root")
	return pki{ca: ca, cert: ca.Server(t)}
}

func wrongPin(t *testing.T) string {
	other := testpki.NewCA(t, "someone else")
	return sdk.PinOf(other.Cert)
}

// A pin of any certificate of the verified chain — the server's or the
// root's — lets the connection through; a wrong pin fails the handshake,
// before the server sees a request, with a PinError that errors.As finds,
// and the call is not retried. Chain verification still runs: a pinned
// certificate from an untrusted CA fails verification.
func TestPinnedKeys(t *testing.T) {
	p := newPKI(t)
	srv := newTLSServer(t, &tls.Config{Certificates: []tls.Certificate{p.cert}}, true)
	leafPin, rootPin := sdk.PinOf(p.cert.Leaf), sdk.PinOf(p.ca.Cert)

	for name, pins := range map[string][]string{
		"leaf":        {leafPin},
		"root":        {rootPin},
		"backup+leaf": {wrongPin(t), leafPin},
	} {
		c := newClientT(t, srv.URL, sdk.WithRootCAs(p.ca.Pool()), sdk.WithPinnedKeys(pins...))
		proto, err := getProto(c)
		if err != nil {
			t.Errorf("%s: %v", name, err)
		} else if proto != 2 {
			t.Errorf("%s: HTTP/%d, want HTTP/2", name, proto)
		}
	}
	requests, conns := srv.requests.Load(), srv.conns.Load()

	bad := wrongPin(t)
	c := newClientT(t, srv.URL, sdk.WithRootCAs(p.ca.Pool()), sdk.WithPinnedKeys(bad), sdk.WithBearerToken(bearerSecret),
		sdk.WithRetry(sdk.RetryPolicy{MaxRetries: 3}))
	_, err := getProto(c)
	pe, ok := asErr[*sdk.PinError](err)
	if !ok {
		t.Fatalf("err = %v (%T), want a *sdk.PinError", err, err)
	}
	if _, ok := asErr[*sdk.TransportError](err); !ok {
		t.Errorf("not inside a TransportError: %v", err)
	}
	if pe.Host != strings.TrimPrefix(srv.URL, "https://") || len(pe.Chain) != 2 || pe.Chain[0] != leafPin || pe.Chain[1] != rootPin {
		t.Errorf("PinError %+v, want the chain %s, %s", pe, leafPin, rootPin)
	}
	if strings.Contains(err.Error(), bearerSecret) {
		t.Errorf("error leaks the token: %v", err)
	}
	if n := srv.requests.Load() - requests; n != 0 {
		t.Errorf("the server saw %d requests through a connection that failed its pin", n)
	}
	if n := srv.conns.Load() - conns; n != 1 {
		t.Errorf("%d connections for a pin failure, want 1 (no retry)", n)
	}
	t.Logf("error: %v", err)

	// Verification is still on: the leaf pinned, but its CA not trusted.
	c = newClientT(t, srv.URL, sdk.WithPinnedKeys(leafPin))
	_, err = getProto(c, sdk.WithoutRetries())
	if _, ok := asErr[*tls.CertificateVerificationError](err); !ok {
		t.Errorf("untrusted chain with a matching pin: %v", err)
	}
	if n := srv.requests.Load() - requests; n != 0 {
		t.Errorf("server saw %d requests", n)
	}
}

// Pins that do not parse fail NewClient with an OptionError that says
// which.
func TestMalformedPins(t *testing.T) {
	short := sha256.Sum256([]byte("x"))
	for _, pin := range []string{
		"",
		"sha1/" + base64.StdEncoding.EncodeToString(short[:20]),
		base64.StdEncoding.EncodeToString(short[:]),               // raw base64: the prefix is required
		"sha256/" + base64.StdEncoding.EncodeToString(short[:31]), // 31 bytes
		"sha256/" + base64.RawURLEncoding.EncodeToString(short[:]),
		"sha256/not base64!",
	} {
		_, err := sdk.NewClient("https://example.com", sdk.WithPinnedKeys(pin))
		oe, ok := asErr[*sdk.OptionError](err)
		if !ok || oe.Option != "WithPinnedKeys" {
			t.Errorf("pin %q: %v", pin, err)
		}
	}
	if _, err := sdk.NewClient("https://example.com", sdk.WithPinnedKeys()); err == nil {
		t.Error("no pins accepted")
	}
	good := "sha256/" + base64.StdEncoding.EncodeToString(short[:])
	if _, err := sdk.NewClient("https://example.com", sdk.WithPinnedKeys(good)); err != nil {
		t.Errorf("good pin: %v", err)
	}
}

// Mutual TLS: with the client certificate the server requires, calls go
// through with the SDK's own transport and with a clone of the caller's;
// without it the server refuses the connection.
func TestMutualTLS(t *testing.T) {
	p := newPKI(t)
	clientCA := testpki.NewCA(t, "client CA")
	srv := newTLSServer(t, &tls.Config{
		Certificates: []tls.Certificate{p.cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clientCA.Pool(),
	}, true)
	cert := clientCA.Client(t, "sdk-client")

	c := newClientT(t, srv.URL, sdk.WithRootCAs(p.ca.Pool()), sdk.WithClientCertificates(cert))
	if _, err := getProto(c); err != nil {
		t.Fatal(err)
	}
	if got := srv.lastPeer(); got != "sdk-client" {
		t.Errorf("server saw client certificate %q", got)
	}

	// A caller's transport is cloned: the caller's keeps no certificate.
	tr := &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12}}
	defer tr.CloseIdleConnections()
	c = newClientT(t, srv.URL, sdk.WithHTTPClient(&http.Client{Transport: tr}), sdk.WithRootCAs(p.ca.Pool()), sdk.WithClientCertificates(cert))
	if _, err := getProto(c); err != nil {
		t.Fatal(err)
	}
	if tr.TLSClientConfig.Certificates != nil || tr.TLSClientConfig.RootCAs != nil {
		t.Error("the caller's TLS config was modified")
	}

	before := srv.requests.Load()
	c = newClientT(t, srv.URL, sdk.WithRootCAs(p.ca.Pool()))
	if _, err := getProto(c, sdk.WithoutRetries()); err == nil {
		t.Error("no client certificate, yet the call succeeded")
	} else {
		t.Logf("without a certificate: %v", err)
	}
	// A certificate from a CA the server does not trust.
	c = newClientT(t, srv.URL, sdk.WithRootCAs(p.ca.Pool()), sdk.WithClientCertificates(p.ca.Client(t, "stranger")))
	if _, err := getProto(c, sdk.WithoutRetries()); err == nil {
		t.Error("untrusted client certificate accepted")
	}
	if n := srv.requests.Load() - before; n != 0 {
		t.Errorf("server handled %d requests without a valid client certificate", n)
	}
}

// The TLS options are client options, checked at construction.
func TestTLSOptionErrors(t *testing.T) {
	ca := testpki.NewCA(t, "ca")
	cert := ca.Client(t, "me")
	getCert := &http.Transport{TLSClientConfig: &tls.Config{GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }}}
	skip := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	tooOld := &http.Transport{TLSClientConfig: &tls.Config{MaxVersion: tls.VersionTLS11}}
	for name, opts := range map[string][]sdk.Option{
		"nil pool":              {sdk.WithRootCAs(nil)},
		"no certificates":       {sdk.WithClientCertificates()},
		"certificate w/o key":   {sdk.WithClientCertificates(tls.Certificate{Certificate: cert.Certificate})},
		"GetClientCertificate":  {sdk.WithHTTPClient(&http.Client{Transport: getCert}), sdk.WithClientCertificates(cert)},
		"InsecureSkipVerify":    {sdk.WithHTTPClient(&http.Client{Transport: skip}), sdk.WithPinnedKeys(sdk.PinOf(ca.Cert))},
		"MaxVersion below 1.2":  {sdk.WithHTTPClient(&http.Client{Transport: tooOld})},
		"nil HTTP client":       {sdk.WithHTTPClient(nil)},
		"pins of an opaque one": {sdk.WithHTTPClient(&http.Client{Transport: sdk.RoundTripperFunc(http.DefaultTransport.RoundTrip)}), sdk.WithPinnedKeys(sdk.PinOf(ca.Cert))},
	} {
		_, err := sdk.NewClient("https://example.com", opts...)
		if _, ok := asErr[*sdk.OptionError](err); !ok {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Per call, they are refused rather than ignored.
	c := newClientT(t, "https://example.com")
	for _, opt := range []sdk.Option{sdk.WithRootCAs(ca.Pool()), sdk.WithPinnedKeys(sdk.PinOf(ca.Cert)), sdk.WithClientCertificates(cert)} {
		if _, err := getProto(c, opt); err == nil || !strings.Contains(err.Error(), "pass it to NewClient") {
			t.Errorf("per-call TLS option: %v", err)
		}
	}
	// NewHTTPClient takes only the transport's options.
	if _, err := sdk.NewHTTPClient(sdk.WithBearerToken("x")); err == nil {
		t.Error("NewHTTPClient took WithBearerToken")
	}
	if _, err := sdk.NewHTTPClient(sdk.WithLogger(nil)); err == nil || !strings.Contains(err.Error(), "WithLogger") {
		t.Errorf("NewHTTPClient took WithLogger: %v", err)
	}
}

// Cloning keeps HTTP/2: a caller's fresh *http.Transport, and a client
// with no Transport (http.DefaultTransport), speak HTTP/2 to a server that
// offers it, once the SDK has added its TLS settings to their clones.
func TestClonedTransportKeepsHTTP2(t *testing.T) {
	p := newPKI(t)
	srv := newTLSServer(t, &tls.Config{Certificates: []tls.Certificate{p.cert}}, true)
	fresh := &http.Transport{}
	defer fresh.CloseIdleConnections()
	for name, hc := range map[string]*http.Client{"fresh transport": {Transport: fresh}, "default transport": {}} {
		c := newClientT(t, srv.URL, sdk.WithHTTPClient(hc), sdk.WithRootCAs(p.ca.Pool()))
		proto, err := getProto(c)
		if err != nil {
			t.Errorf("%s: %v", name, err)
		} else if proto != 2 {
			t.Errorf("%s: HTTP/%d", name, proto)
		}
	}
}

// NewHTTPClient gives requests outside the SDK the same TLS rules, and a
// Client can share it.
func TestNewHTTPClient(t *testing.T) {
	p := newPKI(t)
	srv := newTLSServer(t, &tls.Config{Certificates: []tls.Certificate{p.cert}}, false)
	hc, err := sdk.NewHTTPClient(sdk.WithRootCAs(p.ca.Pool()), sdk.WithPinnedKeys(sdk.PinOf(p.ca.Cert)))
	if err != nil {
		t.Fatal(err)
	}
	defer hc.CloseIdleConnections()
	resp, err := hc.Get(srv.URL + "/plain")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	c := newClientT(t, srv.URL, sdk.WithHTTPClient(hc))
	if _, err := getProto(c); err != nil {
		t.Fatal(err)
	}

	bad, err := sdk.NewHTTPClient(sdk.WithRootCAs(p.ca.Pool()), sdk.WithPinnedKeys(wrongPin(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer bad.CloseIdleConnections()
	before := srv.requests.Load()
	_, err = bad.Get(srv.URL + "/plain")
	if _, ok := asErr[*sdk.PinError](err); !ok {
		t.Errorf("wrong pin: %v", err)
	}
	// The same client given to an SDK client keeps its pins.
	c = newClientT(t, srv.URL, sdk.WithHTTPClient(bad))
	if _, err := getProto(c, sdk.WithoutRetries()); err == nil {
		t.Error("an SDK client on a pinned http.Client ignored its pins")
	}
	if n := srv.requests.Load() - before; n != 0 {
		t.Errorf("server saw %d requests", n)
	}
}
