package streams_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/sdkgen-go/sdkgen/internal/testsdk/streams"
	"github.com/sdkgen-go/sdkgen/sdk"
)

// benchEvents is how many events one stream of BenchmarkEvents delivers.
const benchEvents = 1000

// BenchmarkEvents measures event streams through the generated SDK, from
// the call to the last event, on an in-memory transport (no sockets, so
// the SDK's own cost shows): a stream of 1,000 JSON ticks decoded into
// streams.Tick (kind=json, ended by its terminal event) and one of 1,000
// text events (kind=text, which has no end of its own: the loop stops).
// ns/event is the time per event. Compare two versions of the runtime
// with
//
//	go test -run '^$' -bench Events -count 10 ./internal/testsdk/streams > bench.txt
func BenchmarkEvents(b *testing.B) {
	var ticks, notes bytes.Buffer
	for i := range benchEvents {
		fmt.Fprintf(&ticks, "id: %d\ndata: {\"symbol\":\"ACME\",\"price\":%d.25,\"seq\":%d}\n\n", i, 40+i%7, i)
		fmt.Fprintf(&notes, "id: %d\ndata: order %d shipped\n\n", i, i)
	}
	ticks.WriteString("event: done\n\n")
	newClient := func(b *testing.B, body []byte) *streams.Client {
		rt := sdk.RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
			return &http.Response{
				StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
				Header:  http.Header{"Content-Type": {"text/event-stream"}},
				Body:    io.NopCloser(bytes.NewReader(body)),
				Request: req,
			}, nil
		})
		c, err := streams.NewClient("https://api.example.com", sdk.WithHTTPClient(&http.Client{Transport: rt}))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = c.Close() })
		return c
	}
	b.Run("kind=json", func(b *testing.B) {
		c := newClient(b, ticks.Bytes())
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			for ev, err := range c.Ticks.WatchTicks(ctx, nil) {
				if err != nil {
					b.Fatal(err)
				}
				if ev.Data.Seq != int64(n) {
					b.Fatalf("event %d has seq %d", n, ev.Data.Seq)
				}
				n++
			}
			if n != benchEvents {
				b.Fatalf("%d events", n)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchEvents), "ns/event")
	})
	b.Run("kind=text", func(b *testing.B) {
		c := newClient(b, notes.Bytes())
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			for ev, err := range c.Default.ListenNotifications(ctx) {
				if err != nil {
					b.Fatal(err)
				}
				if ev.Data == "" {
					b.Fatalf("event %d has no data", n)
				}
				if n++; n == benchEvents {
					break
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchEvents), "ns/event")
	})
}
