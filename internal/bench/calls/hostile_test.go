package calls

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"

	"github.com/sdkgen-go/sdkgen/sdk"
)

// gzipPadding is a gzip body of about 1 MiB that inflates to
// {"id":"a" followed by about a gibibyte of spaces: a JSON value that
// never ends, in a body that is small on the wire.
var gzipPadding = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write([]byte(`{"id":"a"`))
	spaces := bytes.Repeat([]byte{' '}, 1<<20)
	for buf.Len() < 1<<20 {
		_, _ = zw.Write(spaces)
	}
	_ = zw.Close()
	return buf.Bytes()
})

// hugeListItems makes a page of about 200 MiB of JSON.
const hugeListItems = 200 << 20 / 610

// BenchmarkHostileBodies measures the peak heap (peak-heap-B, see
// peakHeap) of calls of the generated SDK, with its default limits, on
// bodies a hostile or broken server sends:
//
//   - body=gzip-padding: GetProduct answered, over loopback, with 1 MiB of
//     gzip (Content-Encoding: gzip, inflated by net/http) holding
//     {"id":"a" and a gibibyte of spaces. The call fails with
//     ErrResponseTooLarge once the default limit of 256 MiB has been read;
//     what it holds meanwhile is the measure.
//   - body=list-200MiB: ListProducts answered, from memory, with a page of
//     about 200 MiB of JSON, under the same limit: the page decodes, its
//     products one at a time. result-B is the live heap the decoded page
//     holds afterwards; a decoder that held the body beside them would
//     peak at least 200 MiB above it.
func BenchmarkHostileBodies(b *testing.B) {
	b.Run("body=gzip-padding", func(b *testing.B) {
		body := gzipPadding()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			_, _ = w.Write(body)
		}))
		defer srv.Close()
		tr := newTransport()
		defer tr.CloseIdleConnections()
		c := sdkClient(b, srv.URL, &http.Client{Transport: tr}, sdk.WithoutRetries())
		var peak uint64
		for b.Loop() {
			var err error
			peak = max(peak, peakHeap(func() { _, err = c.Products.GetProduct(context.Background(), "p") }))
			if !errors.Is(err, sdk.ErrResponseTooLarge) {
				b.Fatalf("got %v, want a DecodeError wrapping ErrResponseTooLarge", err)
			}
		}
		b.ReportMetric(float64(peak), "peak-heap-B")
		b.ReportMetric(float64(len(body)), "gzip-B")
	})
	b.Run("body=list-200MiB", func(b *testing.B) {
		body := listJSON(hugeListItems)
		c := sdkClient(b, memoryBase, &http.Client{Transport: cannedTransport{body}})
		var peak, result uint64
		for b.Loop() {
			// Twice: encoding/json keeps the buffer that wrote the body in a
			// sync.Pool, which one collection only moves to its victim cache.
			runtime.GC()
			runtime.GC()
			before := liveHeap()
			var n int
			var err error
			peak = max(peak, peakHeap(func() {
				page, e := c.Products.ListProducts(context.Background(), nil).NextPage(context.Background())
				n, err = len(page.Items), e
				runtime.GC()
				if after := liveHeap(); after > before {
					result = max(result, after-before)
				}
				runtime.KeepAlive(page)
			}))
			if err != nil || n != hugeListItems {
				b.Fatalf("%d products, %v", n, err)
			}
		}
		b.ReportMetric(float64(peak), "peak-heap-B")
		b.ReportMetric(float64(result), "result-B")
		b.ReportMetric(float64(len(body)), "body-B")
	})
}

// liveHeap is the heap's objects, as peakHeap reads them.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: heapObjects}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
