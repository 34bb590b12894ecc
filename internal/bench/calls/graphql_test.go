package calls

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

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
		runImpls(b, graphQLImpls(b, srv.URL+"/graphql", loopbackTransports(b)), nil)
	})
}

// BenchmarkGraphQLQueryPaired runs the two clients of BenchmarkGraphQLQuery
// interleaved, for the ratio of their costs on a machine whose speed drifts
// (a shared one: back-to-back runs of one client there differ by more than
// the clients do). Each iteration makes block calls with one client, then
// block calls with the other, the order alternating from one iteration to
// the next, and times each block; it reports each client's mean time per
// call (genqlient-ns/call, sdk-ns/call) and sdk/genqlient, the ratio of the
// two. block=1 pairs single calls; block=100 lets each client run 100
// calls in a row, as one user's program does, which keeps its own pattern
// of goroutine wake-ups and caches.
func BenchmarkGraphQLQueryPaired(b *testing.B) {
	b.Run("transport=memory/block=1", func(b *testing.B) {
		runPaired(b, graphQLImpls(b, memoryBase+"/graphql", func() http.RoundTripper { return cannedTransport{productGraphQLJSON} }), 1)
	})
	for _, block := range []int{1, 100} {
		b.Run(fmt.Sprintf("transport=loopback/block=%d", block), func(b *testing.B) {
			srv := httptest.NewServer(cannedHandler(productGraphQLJSON))
			defer srv.Close()
			runPaired(b, graphQLImpls(b, srv.URL+"/graphql", loopbackTransports(b)), block)
		})
	}
}

// runPaired runs two implementations interleaved (see
// BenchmarkGraphQLQueryPaired) and reports their times and the ratio of
// the second to the first.
func runPaired(b *testing.B, impls []impl, block int) {
	ctx := context.Background()
	var sum [2]time.Duration
	i := 0
	for b.Loop() {
		for j := range 2 {
			k := (i + j) % 2
			start := time.Now()
			for range block {
				_, err := impls[k].run(ctx)
				check(b, err)
			}
			sum[k] += time.Since(start)
		}
		i++
	}
	calls := float64(i * block)
	b.ReportMetric(0, "ns/op") // an iteration is 2×block calls: per call below
	b.ReportMetric(float64(sum[0].Nanoseconds())/calls, impls[0].name+"-ns/call")
	b.ReportMetric(float64(sum[1].Nanoseconds())/calls, impls[1].name+"-ns/call")
	b.ReportMetric(float64(sum[1])/float64(sum[0]), impls[1].name+"/"+impls[0].name)
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
