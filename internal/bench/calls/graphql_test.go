package calls

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	genqlient "github.com/Khan/genqlient/graphql"

	"github.com/sdkgen-go/sdkgen/examples/catalog"
	"github.com/sdkgen-go/sdkgen/sdk"
)

// productGraphQLJSON is the response to examples/catalog's GetProduct.
var productGraphQLJSON = []byte(`{"data":{"product":{"id":"p3","sku":"SKU-003","name":"Product 3","price":300,"category":"books","rating":1.5}}}`)

// bearer adds the benchmark's token, as genqlient's README suggests
// authenticating (a wrapped Transport).
type bearer struct{ next http.RoundTripper }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+benchToken)
	return b.next.RoundTrip(r)
}

// graphQLImpls returns two ways to run the catalog's GetProduct query: the
// function genqlient generated, run by genqlient's own client
// (graphql.NewClient over an *http.Client), and the method sdkgen
// generated, run through the sdk runtime (retry, auth, the 200-with-errors
// check).
func graphQLImpls(tb testing.TB, url string, newRT func() http.RoundTripper) []impl {
	gq := genqlient.NewClient(url, &http.Client{Transport: bearer{newRT()}})
	c, err := catalog.NewClient(url, sdk.WithHTTPClient(&http.Client{Transport: newRT()}), sdk.WithBearerToken(benchToken))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	get := func(r *catalog.GetProductResponse, err error) (any, error) {
		if err != nil {
			return nil, err
		}
		if r.Product == nil || r.Product.Sku != "SKU-003" {
			return nil, fmt.Errorf("product = %+v", r.Product)
		}
		return r.Product.Sku, nil
	}
	return []impl{
		{"genqlient", func(ctx context.Context) (any, error) { return get(catalog.GetProduct(ctx, gq, "p3")) }},
		{"sdk", func(ctx context.Context) (any, error) { return get(c.GetProduct(ctx, "p3")) }},
	}
}

// BenchmarkGraphQLQuery measures one GraphQL query (examples/catalog's
// GetProduct, about 120 bytes of response) through genqlient's own client
// and through the sdk runtime, in memory and over loopback HTTP.
func BenchmarkGraphQLQuery(b *testing.B) {
	b.Run("transport=memory", func(b *testing.B) {
		runImpls(b, graphQLImpls(b, memoryBase+"/graphql", func() http.RoundTripper { return cannedTransport{productGraphQLJSON} }), nil)
	})
	b.Run("transport=loopback", func(b *testing.B) {
		srv := httptest.NewServer(cannedHandler(productGraphQLJSON))
		defer srv.Close()
		var trs []*http.Transport
		defer func() {
			for _, t := range trs {
				t.CloseIdleConnections()
			}
		}()
		runImpls(b, graphQLImpls(b, srv.URL+"/graphql", func() http.RoundTripper {
			t := newTransport()
			trs = append(trs, t)
			return t
		}), nil)
	})
}

// The two clients agree on the result.
func TestGraphQLImplsAgree(t *testing.T) {
	for _, im := range graphQLImpls(t, memoryBase+"/graphql", func() http.RoundTripper { return cannedTransport{productGraphQLJSON} }) {
		got, err := im.run(context.Background())
		if err != nil || got != "SKU-003" {
			t.Errorf("%s: %v, %v", im.name, got, err)
		}
	}
}
