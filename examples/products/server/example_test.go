package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"strings"

	"github.com/sdkgen-go/sdkgen/examples/products/server"
)

// A server embedded in a program: started on a free loopback port with a
// temporary database, then used over HTTP as any client would — get a
// token, create a product, list.
func Example() {
	srv, err := server.New(server.Options{
		Clients: []server.Client{{ID: "demo", Secret: "s3cret"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close() // also removes the temporary database
	if err := srv.Start(context.Background(), "127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()

	// The client-credentials grant.
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/oauth/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("demo", "s3cret")
	var tok struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
	}
	call(hc, req, &tok)
	fmt.Println("scopes:", tok.Scope)

	req, _ = http.NewRequest(http.MethodPost, srv.URL()+"/products", strings.NewReader(
		`{"sku": "LAMP-001", "name": "Desk lamp", "category": "lighting", "price": 3999, "tags": ["led"]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	var p struct {
		Name    string `json:"name"`
		Price   int    `json:"price"`
		Version int    `json:"version"`
	}
	status := call(hc, req, &p)
	fmt.Printf("%d: %s, $%d.%02d, version %d\n", status, p.Name, p.Price/100, p.Price%100, p.Version)

	req, _ = http.NewRequest(http.MethodGet, srv.URL()+"/products?category=lighting&sort=-price", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	var page struct {
		Data       []json.RawMessage `json:"data"`
		NextCursor *string           `json:"next_cursor"`
	}
	call(hc, req, &page)
	fmt.Printf("%d product(s), last page: %t\n", len(page.Data), page.NextCursor == nil)
	// Output:
	// scopes: products:read products:write
	// 201: Desk lamp, $39.99, version 1
	// 1 product(s), last page: true
}

// call sends req and decodes the JSON response into v, returning the
// status.
func call(hc *http.Client, req *http.Request, v any) int {
	resp, err := hc.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		log.Fatal(err)
	}
	return resp.StatusCode
}
