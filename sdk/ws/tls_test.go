package ws_test

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/internal/testpki"
	"github.com/sdkgen-go/sdkgen/sdk/ws"
)

// The client's TLS options apply to WebSocket handshakes: with the root
// CA, the client certificate the server requires and a matching pin the
// dial goes through, on the SDK's transport and on a clone of a caller's
// that allowed TLS 1.0; with a wrong pin it fails with a PinError before
// the server sees a handshake.
func TestDialAppliesTLSOptions(t *testing.T) {
	leakCheck(t)
	ca := testpki.NewCA(t, "root")
	clientCA := testpki.NewCA(t, "client CA")
	srv := &server{t: t, pings: map[int]int{}}
	srv.ctx, srv.cancel = context.WithCancel(context.Background())
	srv.Server = httptest.NewUnstartedServer(http.HandlerFunc(srv.handle))
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{ca.Server(t)},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clientCA.Pool(),
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	t.Cleanup(srv.shutdown)
	cert := clientCA.Client(t, "ws-client")

	weak := &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS10}}
	t.Cleanup(weak.CloseIdleConnections)
	for name, extra := range map[string][]sdk.Option{
		"own transport":      nil,
		"caller's transport": {sdk.WithHTTPClient(&http.Client{Transport: weak})},
	} {
		opts := append([]sdk.Option{sdk.WithRootCAs(ca.Pool()), sdk.WithClientCertificates(cert),
			sdk.WithPinnedKeys(sdk.PinOf(ca.Cert)), sdk.WithBearerToken(bearerSecret)}, extra...)
		c := newClient(t, srv.URL, opts...)
		conn := dial(t, c, "secure")
		roundTrip(t, conn, Command{Op: name})
		conn.Close()
	}
	if weak.TLSClientConfig.Certificates != nil || weak.TLSClientConfig.MinVersion != tls.VersionTLS10 {
		t.Error("the caller's TLS config was modified")
	}
	seen := len(srv.seen())
	if seen != 2 || srv.seen()[0].Authorization != "Bearer "+bearerSecret {
		t.Fatalf("server saw %+v", srv.seen())
	}

	other := testpki.NewCA(t, "other")
	c := newClient(t, srv.URL, sdk.WithRootCAs(ca.Pool()), sdk.WithClientCertificates(cert),
		sdk.WithPinnedKeys(sdk.PinOf(other.Cert)), sdk.WithBearerToken(bearerSecret))
	_, err := ws.Dial[Event, Command](context.Background(), c, "secure")
	if _, ok := as[*sdk.PinError](err); !ok {
		t.Fatalf("wrong pin: %v, want a *sdk.PinError", err)
	}
	if n := len(srv.seen()); n != seen {
		t.Errorf("the server saw %d handshakes through a connection that failed its pin", n-seen)
	}
}
