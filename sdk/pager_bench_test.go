package sdk_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

type benchItem struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type benchList struct {
	Data       []benchItem `json:"data"`
	NextCursor *string     `json:"next_cursor,omitempty"`
}

var opBench = &sdk.Operation{ID: "listBench", Method: http.MethodGet, Path: "/items"}

// benchPage writes the JSON of the page of size items starting after id
// from, out of total, as a server would send it.
func benchPage(from, size, total int) []byte {
	b := make([]byte, 0, 32*size+64)
	b = append(b, `{"data":[`...)
	last := min(from+size, total)
	for id := from + 1; id <= last; id++ {
		if id > from+1 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = strconv.AppendInt(b, int64(id), 10)
		b = append(b, `,"name":"item `...)
		b = strconv.AppendInt(b, int64(id), 10)
		b = append(b, `"}`...)
	}
	b = append(b, ']')
	if last < total {
		b = append(b, `,"next_cursor":"`...)
		b = strconv.AppendInt(b, int64(last), 10)
		b = append(b, '"')
	}
	return append(b, '}')
}

// memTransport answers every request in memory with the page its cursor
// asks for: the whole SDK path runs (layers, decoding), without sockets.
type memTransport struct{ size, total int }

func (m memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	from := 0
	if c := req.URL.Query().Get("cursor"); c != "" {
		from, _ = strconv.Atoi(c)
	}
	return &http.Response{
		StatusCode: http.StatusOK,
		Status:     "200 OK",
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"Content-Type": {"application/json"}},
		Body:    io.NopCloser(bytes.NewReader(benchPage(from, m.size, m.total))),
		Request: req,
	}, nil
}

func listBench(ctx context.Context, c *sdk.Client, opts ...sdk.Option) *sdk.Pager[benchItem] {
	return sdkimpl.CursorPager(ctx, c, opBench, func(server, cursor string) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodGet, server+"items", nil)
		if err == nil && cursor != "" {
			req.URL.RawQuery = "cursor=" + cursor
		}
		return req, err
	}, func(page *benchList) ([]benchItem, string) {
		return page.Data, sdk.Deref(page.NextCursor)
	}, opts...)
}

func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkPagerLiveHeap iterates 1,000,000 items in pages of 100 and
// reports the live heap (after a GC) at 1% and at 100% of the iteration,
// and their ratio: a pager keeps nothing of the pages it has passed.
func BenchmarkPagerLiveHeap(b *testing.B) {
	const total, size = 1_000_000, 100
	run := func(b *testing.B, p *sdk.Pager[benchItem]) {
		var n int
		var at1, at100 uint64
		for it, err := range p.All() {
			if err != nil {
				b.Fatal(err)
			}
			n++
			if it.ID != int64(n) {
				b.Fatalf("item %d has id %d", n, it.ID)
			}
			switch n {
			case total / 100:
				at1 = liveHeap()
			case total:
				at100 = liveHeap()
			}
		}
		if n != total {
			b.Fatalf("%d items", n)
		}
		b.ReportMetric(float64(at1), "heap@1%-B")
		b.ReportMetric(float64(at100), "heap@100%-B")
		b.ReportMetric(float64(at100)/float64(at1), "heap-ratio")
	}
	b.Run("fake", func(b *testing.B) {
		for b.Loop() {
			run(b, sdk.NewPager(b.Context(), func(ctx context.Context, cursor string) (sdk.Page[benchItem], error) {
				from := 0
				if cursor != "" {
					from, _ = strconv.Atoi(cursor)
				}
				page := sdk.Page[benchItem]{Items: make([]benchItem, 0, size)}
				for id := from + 1; id <= min(from+size, total); id++ {
					page.Items = append(page.Items, benchItem{ID: int64(id), Name: "item " + strconv.Itoa(id)})
				}
				if from+size < total {
					page.Next = strconv.Itoa(from + size)
				}
				return page, nil
			}))
		}
	})
	for _, prefetch := range []bool{false, true} {
		name := "http"
		var opts []sdk.Option
		if prefetch {
			name += "-prefetch"
			opts = append(opts, sdk.WithPrefetch())
		}
		b.Run(name, func(b *testing.B) {
			c, err := sdk.NewClient("http://bench.example", sdk.WithHTTPClient(&http.Client{Transport: memTransport{size, total}}))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			for b.Loop() {
				run(b, listBench(b.Context(), c, opts...))
			}
		})
	}
}

// BenchmarkPagerPrefetch reads 20 pages from a server that takes latency
// to answer, with the same time of work per page on the caller's side,
// without and with prefetch. The speedup sub-benchmark runs both in turn
// in each iteration (so a loaded machine slows both alike) and reports
// their ratio.
func BenchmarkPagerPrefetch(b *testing.B) {
	const pages, size = 20, 100
	const latency, work = 5 * time.Millisecond, 5 * time.Millisecond
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(latency)
		from, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(benchPage(from, size, pages*size))
	}))
	defer srv.Close()
	c, err := sdk.NewClient(srv.URL)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	read := func(b *testing.B, opts ...sdk.Option) time.Duration {
		start := time.Now()
		n := 0
		for _, err := range listBench(b.Context(), c, opts...).All() {
			if err != nil {
				b.Fatal(err)
			}
			if n%size == 0 {
				time.Sleep(work) // the caller's work on a page
			}
			n++
		}
		if n != pages*size {
			b.Fatalf("%d items", n)
		}
		return time.Since(start)
	}
	b.Run("sync", func(b *testing.B) {
		for b.Loop() {
			read(b)
		}
	})
	b.Run("prefetch", func(b *testing.B) {
		for b.Loop() {
			read(b, sdk.WithPrefetch())
		}
	})
	b.Run("speedup", func(b *testing.B) {
		var sync, pre time.Duration
		for b.Loop() {
			sync += read(b)
			pre += read(b, sdk.WithPrefetch())
		}
		b.ReportMetric(float64(sync.Milliseconds())/float64(b.N), "sync-ms/op")
		b.ReportMetric(float64(pre.Milliseconds())/float64(b.N), "prefetch-ms/op")
		b.ReportMetric(float64(sync)/float64(pre), "speedup")
	})
}
