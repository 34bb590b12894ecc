package calls

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/examples/products"
)

// memoryBase is the base URL of in-memory calls. It is https so that the
// SDK's auth layer sends the token to a host that is not loopback, as in
// production.
const memoryBase = "https://api.example.com"

// impl is one implementation of a benchmark's call: run makes the call and
// returns what it decoded, for the test that checks they all agree.
type impl struct {
	name string
	run  func(ctx context.Context) (any, error)
}

// runImpls runs each implementation as a sub-benchmark impl=<name>, in
// order (benchstat -col /impl takes the first as the baseline), and
// reports the process's CPU time per call beside the wall time (see
// cpuMeter).
func runImpls(b *testing.B, impls []impl, after func(b *testing.B, im impl)) {
	for _, im := range impls {
		b.Run("impl="+im.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				_, err := im.run(ctx)
				check(b, err)
			}
			cpu.report(b)
			if after != nil {
				after(b, im)
			}
		})
	}
}

// getProductImpls returns the three ways to get one product: by hand, with
// oapi-codegen's ClientWithResponses, with the generated SDK. Each gets its
// own *http.Client over a transport from newRT.
func getProductImpls(tb testing.TB, base string, newRT func() http.RoundTripper) []impl {
	hand := &handClient{hc: &http.Client{Transport: newRT()}, base: base, token: benchToken}
	oapi := oapiClient(tb, base, &http.Client{Transport: newRT()})
	sdkc := sdkClient(tb, base, &http.Client{Transport: newRT()})
	const id = "prd_01JCF7YQX4W99R5S0TK0000042"
	return []impl{
		{"nethttp", func(ctx context.Context) (any, error) { return hand.getProduct(ctx, id) }},
		{"oapi-codegen", func(ctx context.Context) (any, error) { return oapiGetProduct(ctx, oapi, id) }},
		{"sdk", func(ctx context.Context) (any, error) { return sdkc.Products.GetProduct(ctx, id) }},
	}
}

// BenchmarkGetProduct measures the cost of one call — a GET of one product
// (about 600 bytes of JSON) with a bearer token — through each
// implementation: in memory (transport=memory: a RoundTripper that returns
// a canned response, so only the client's CPU counts) and over loopback
// HTTP to an httptest server (transport=loopback).
func BenchmarkGetProduct(b *testing.B) {
	b.Run("transport=memory", func(b *testing.B) {
		runImpls(b, getProductImpls(b, memoryBase, func() http.RoundTripper { return cannedTransport{productJSON} }), nil)
	})
	b.Run("transport=loopback", func(b *testing.B) {
		srv := httptest.NewServer(cannedHandler(productJSON))
		defer srv.Close()
		runImpls(b, getProductImpls(b, srv.URL, loopbackTransports(b)), nil)
	})
}

// largeItems is the size of the large list: 10,000 products, about 6 MB.
const largeItems = 10_000

// listImpls returns the three ways to read one page of products: decoding
// with encoding/json by hand, oapi-codegen's ClientWithResponses, and the
// SDK's pager. Each returns the page's items.
func listImpls(tb testing.TB, base string, newRT func() http.RoundTripper) []impl {
	hand := &handClient{hc: &http.Client{Transport: newRT()}, base: base, token: benchToken}
	oapi := oapiClient(tb, base, &http.Client{Transport: newRT()})
	sdkc := sdkClient(tb, base, &http.Client{Transport: newRT()})
	return []impl{
		{"encoding-json", func(ctx context.Context) (any, error) {
			var page products.ProductPage
			err := hand.get(ctx, "/products", &page)
			return page.Data, err
		}},
		{"oapi-codegen", func(ctx context.Context) (any, error) {
			resp, err := oapi.ListProductsWithResponse(ctx, nil)
			if err != nil {
				return nil, err
			}
			if resp.JSON200 == nil {
				return nil, fmt.Errorf("list products: status %d", resp.StatusCode())
			}
			return resp.JSON200.Data, nil
		}},
		{"sdk", func(ctx context.Context) (any, error) {
			page, err := sdkc.Products.ListProducts(ctx, nil).NextPage(ctx)
			return page.Items, err
		}},
	}
}

// BenchmarkLargeList measures reading one page of 10,000 products (about
// 6 MB of JSON) from memory, through each implementation, and reports the
// peak heap of one read (peak-heap-B, see peakHeap) beside the
// allocations: the SDK and encoding/json decode from the stream, while
// ClientWithResponses reads the whole body into memory first.
func BenchmarkLargeList(b *testing.B) {
	body := listJSON(largeItems)
	b.Run("transport=memory", func(b *testing.B) {
		impls := listImpls(b, memoryBase, func() http.RoundTripper { return cannedTransport{body} })
		runImpls(b, impls, func(b *testing.B, im impl) {
			var err error
			peak := peakHeap(func() { _, err = im.run(context.Background()) })
			check(b, err)
			b.ReportMetric(float64(peak), "peak-heap-B")
		})
	})
}

// cpuMeter measures the process's CPU time over a benchmark's loop. On a
// machine shared with other work, wall time per call (sec/op) includes the
// time the benchmark waited for a CPU; CPU time per call (cpu-sec/op) does
// not, so its ratios hold up better there. It includes the garbage
// collector's work, and in loopback benchmarks the server's.
type cpuMeter struct {
	start time.Duration
	ok    bool
}

func startCPU() cpuMeter {
	d, ok := processCPU()
	return cpuMeter{d, ok}
}

func (m cpuMeter) report(b *testing.B) {
	if d, ok := processCPU(); ok && m.ok && b.N > 0 {
		b.ReportMetric((d-m.start).Seconds()/float64(b.N), "cpu-sec/op")
	}
}
