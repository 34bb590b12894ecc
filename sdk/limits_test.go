package sdk_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

// A hostile server that streams a JSON body without end gets a
// DecodeError wrapping ErrResponseTooLarge once the limit is passed, with
// memory bounded by the limit rather than by what the server sends: both
// as an endless array (many small values) and as one endless string (a
// single token the decoder must buffer whole).
func TestEndlessJSONBodyIsCut(t *testing.T) {
	const limit = 1 << 20
	for name, chunk := range map[string]struct{ open, repeat string }{
		"endless array":  {`{"items":[`, `{"id":12345,"name":"abcdefghijklmnop"},`},
		"endless string": {`{"name":"`, strings.Repeat("x", 64)},
	} {
		t.Run(name, func(t *testing.T) {
			var sent atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				n, _ := w.Write([]byte(chunk.open))
				sent.Add(int64(n))
				buf := []byte(strings.Repeat(chunk.repeat, 16<<10/len(chunk.repeat)))
				for r.Context().Err() == nil {
					n, err := w.Write(buf)
					sent.Add(int64(n))
					if err != nil {
						return
					}
				}
			}))
			defer srv.Close()
			c := newTestClient(t, srv.URL, sdk.WithMaxResponseSize(limit), sdk.WithTimeout(20*time.Second))

			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			resp, err := sdkimpl.Do(context.Background(), c, &sdk.Operation{ID: "list"}, func(server string) (*http.Request, error) {
				return http.NewRequest(http.MethodGet, server+"items", nil)
			})
			if err != nil {
				t.Fatal(err)
			}
			_, err = sdkimpl.DecodeJSON[struct {
				Items []struct {
					ID   int    `json:"id"`
					Name string `json:"name"`
				} `json:"items"`
				Name string `json:"name"`
			}](resp)
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			var de *sdk.DecodeError
			if !errors.As(err, &de) || !errors.Is(err, sdk.ErrResponseTooLarge) {
				t.Fatalf("err = %v, want a DecodeError wrapping ErrResponseTooLarge", err)
			}
			if len(de.Prefix) != 1<<10 || de.Operation != "list" {
				t.Errorf("DecodeError %q prefix of %d bytes", de.Operation, len(de.Prefix))
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("limit %d B; allocated %.1f MiB in %v; the server had written %.1f MiB when the client stopped reading",
				limit, float64(alloc)/(1<<20), elapsed.Round(time.Millisecond), float64(sent.Load())/(1<<20))
			// The allocations include the server's side and the decoded
			// values; what matters is that they do not grow with the body.
			if alloc > 32<<20 {
				t.Errorf("allocated %d bytes for a limit of %d", alloc, limit)
			}
		})
	}
}
