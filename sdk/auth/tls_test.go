package auth_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/auth"
	"github.com/sdkgen-go/sdkgen/sdk/internal/testpki"
)

// newTLSTokenServer is newTokenServer over TLS with cfg.
func newTLSTokenServer(t *testing.T, cfg *tls.Config) *tokenServer {
	ts := &tokenServer{t: t, ttl: 3600, live: map[string]bool{}}
	ts.Server = httptest.NewUnstartedServer(http.HandlerFunc(ts.serve))
	ts.TLS = cfg
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts
}

// A token endpoint that offers only TLS 1.1 gets no client secret, even
// through a caller's client that allows TLS 1.0: the handshake is refused
// and the fetch fails with a TokenError around a TLSVersionError.
func TestTokenEndpointBelowTLS12IsRefused(t *testing.T) {
	ts := newTLSTokenServer(t, &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11})
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	weak := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS10}}
	t.Cleanup(weak.CloseIdleConnections)
	hc := &http.Client{Transport: weak}

	// The weak client itself gets through: the test can fail.
	resp, err := hc.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.TLS.Version != tls.VersionTLS11 {
		t.Fatalf("negotiated %x", resp.TLS.Version)
	}

	src := auth.ClientCredentials(ts.config(), auth.WithHTTPClient(hc))
	_, err = src.Token(context.Background())
	var te *auth.TokenError
	var ve *sdk.TLSVersionError
	if !errors.As(err, &te) || !errors.As(err, &ve) || ve.Sent {
		t.Fatalf("err = %v, want a TokenError around a TLSVersionError", err)
	}
	if n := ts.requests.Load(); n != 0 {
		t.Errorf("the token endpoint got %d requests", n)
	}
	if strings.Contains(err.Error(), clientSecret) {
		t.Errorf("error leaks the secret: %v", err)
	}
}

// With a client from sdk.NewHTTPClient, token requests use the custom CA,
// the client certificate and the pins, and the same client serves the API
// calls; a wrong pin stops the token request before it is sent.
func TestTokenEndpointWithTLSOptions(t *testing.T) {
	ca := testpki.NewCA(t, "root")
	clientCA := testpki.NewCA(t, "client CA")
	serverCfg := func() *tls.Config {
		return &tls.Config{
			Certificates: []tls.Certificate{ca.Server(t)},
			ClientAuth:   tls.RequireAndVerifyClientCert,
			ClientCAs:    clientCA.Pool(),
		}
	}
	ts := newTLSTokenServer(t, serverCfg())
	var withToken atomic.Int32
	api := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer access-1" && len(r.TLS.PeerCertificates) > 0 {
			withToken.Add(1)
		}
		_, _ = io.WriteString(w, "{}")
	}))
	api.TLS = serverCfg()
	api.StartTLS()
	t.Cleanup(api.Close)

	cert := clientCA.Client(t, "sdk-client")
	hc, err := sdk.NewHTTPClient(sdk.WithRootCAs(ca.Pool()), sdk.WithClientCertificates(cert), sdk.WithPinnedKeys(sdk.PinOf(ca.Cert)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hc.CloseIdleConnections)
	src := auth.ClientCredentials(ts.config(), auth.WithHTTPClient(hc))
	c, err := sdk.NewClient(api.URL, sdk.WithHTTPClient(hc), sdk.WithTokenSource(src))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := call(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if ts.requests.Load() != 1 || withToken.Load() != 1 {
		t.Errorf("token requests %d, API calls with the token and a client certificate %d", ts.requests.Load(), withToken.Load())
	}

	other := testpki.NewCA(t, "other")
	bad, err := sdk.NewHTTPClient(sdk.WithRootCAs(ca.Pool()), sdk.WithClientCertificates(cert), sdk.WithPinnedKeys(sdk.PinOf(other.Cert)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bad.CloseIdleConnections)
	_, err = auth.ClientCredentials(ts.config(), auth.WithHTTPClient(bad)).Token(context.Background())
	var pe *sdk.PinError
	if !errors.As(err, &pe) {
		t.Fatalf("wrong pin: %v, want a PinError", err)
	}
	if n := ts.requests.Load(); n != 1 {
		t.Errorf("the token endpoint got %d requests, want 1", n)
	}
}
