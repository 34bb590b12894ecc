package sdk_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

// A client that trusts a private CA and pins a key of the server's
// verified chain. A pin that matches nothing fails the TLS handshake,
// before any request is sent, with an *sdk.PinError. Generated clients take
// the same options: petstore.NewClient(url, sdk.WithRootCAs(pool),
// sdk.WithPinnedKeys(pin)). To share these rules with a token endpoint,
// build an *http.Client with sdk.NewHTTPClient and give it to both
// auth.WithHTTPClient and sdk.WithHTTPClient.
func ExampleWithPinnedKeys() {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"name":"Rex"}`)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate()) // the test server's self-signed CA

	get := func(pin string) error {
		c, err := sdk.NewClient(srv.URL, sdk.WithRootCAs(pool), sdk.WithPinnedKeys(pin))
		if err != nil {
			return err
		}
		defer c.Close()
		op := &sdk.Operation{ID: "getPet", Method: http.MethodGet, Path: "/pets/1"}
		resp, err := sdkimpl.Do(context.Background(), c, op, func(server string) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, server+"pets/1", nil)
		})
		if err != nil {
			return err
		}
		pet, err := sdkimpl.DecodeJSON[struct{ Name string }](resp)
		if err == nil {
			fmt.Println("got", pet.Name)
		}
		return err
	}

	if err := get(sdk.PinOf(srv.Certificate())); err != nil {
		log.Fatal(err)
	}
	err := get("sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=") // some other key
	var pe *sdk.PinError
	fmt.Println("wrong pin refused:", errors.As(err, &pe))
	err = get("md5/abc")
	var oe *sdk.OptionError
	fmt.Println("malformed pin refused:", errors.As(err, &oe))
	// Output:
	// got Rex
	// wrong pin refused: true
	// malformed pin refused: true
}
