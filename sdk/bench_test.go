package sdk

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const benchBody = `{"id":42,"name":"Rex","status":"available","tags":["good","dog"]}`

// BenchmarkChain measures a whole call — options, request, layers,
// transport, decoding — with the retry layer (layer=retry) and without it
// (layer=noretry: the same client with the retry layer replaced by a
// direct send), on an in-memory transport, where the layer's cost shows
// most, and over loopback HTTP. Compare in one run with
//
//	go test -run '^$' -bench Chain -count 10 ./sdk/ > bench.txt
//	benchstat -col /layer bench.txt
func BenchmarkChain(b *testing.B) {
	memory := RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
		return &http.Response{
			StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header:        http.Header{"Content-Type": {"application/json"}},
			Body:          io.NopCloser(strings.NewReader(benchBody)),
			ContentLength: int64(len(benchBody)),
			Request:       req,
		}, nil
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, benchBody)
	}))
	defer srv.Close()
	loopback := &http.Transport{MaxIdleConnsPerHost: 4}
	defer loopback.CloseIdleConnections()

	type pet struct {
		ID     int64    `json:"id"`
		Name   string   `json:"name"`
		Status string   `json:"status"`
		Tags   []string `json:"tags"`
	}
	op, build := thing(http.MethodGet, nil, false)
	for _, tr := range []struct {
		name string
		url  string
		rt   http.RoundTripper
	}{{"memory", "http://api.example.com", memory}, {"loopback", srv.URL, loopback}} {
		for _, layer := range []string{"noretry", "retry"} {
			b.Run("transport="+tr.name+"/layer="+layer, func(b *testing.B) {
				c := retryClient(b, tr.url, WithHTTPClient(&http.Client{Transport: tr.rt}))
				if layer == "noretry" {
					c.retrier = RoundTripperFunc(func(req *http.Request) (*http.Response, error) { return c.hc.Do(req) })
				}
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					resp, err := c.do(ctx, op, build)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := decodeJSON[pet](resp); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
