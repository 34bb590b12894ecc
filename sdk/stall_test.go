package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

// stallServer answers with status and content type, announces a body of
// 64 KiB, writes the first 2 KiB and then waits until the client goes
// away (or the test ends). It reports when the client closed the
// connection.
func stallServer(t *testing.T, status int, contentType string) (*httptest.Server, <-chan struct{}) {
	t.Helper()
	gone := make(chan struct{}, 1)
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Length", fmt.Sprint(64<<10))
		w.WriteHeader(status)
		_, _ = w.Write([]byte(strings.Repeat("x", 2<<10)))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			gone <- struct{}{}
		case <-done:
		}
	}))
	t.Cleanup(func() { close(done); srv.Close() })
	return srv, gone
}

// Once the answer is known — a status that is not 2xx, a 2xx body that is
// not JSON — the SDK does not wait on a server that stalls: an error body
// is read while the server keeps sending (each wait bounded by
// WithIdleTimeout), and the rest of a body read only to reuse its
// connection gets a fraction of a second before the connection is closed.
// Before, both held the call until the caller's deadline, for ever without
// one. The deadline here is 200 times the idle timeout: the call must
// return long before it.
func TestStalledBodiesAfterTheAnswer(t *testing.T) {
	for _, tc := range []struct {
		name        string
		status      int
		contentType string
		check       func(t *testing.T, err error)
	}{
		{"error body", http.StatusNotFound, "application/json", func(t *testing.T, err error) {
			var ae *sdk.APIError
			if !errors.As(err, &ae) || ae.StatusCode != http.StatusNotFound || len(ae.Body) != 2<<10 {
				t.Fatalf("got %v; want an APIError with the 2 KiB that came", err)
			}
		}},
		{"2xx body that is not JSON", http.StatusOK, "text/html", func(t *testing.T, err error) {
			var de *sdk.DecodeError
			if !errors.As(err, &de) || de.ContentType != "text/html" {
				t.Fatalf("got %v; want a DecodeError saying the body is not JSON", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, gone := stallServer(t, tc.status, tc.contentType)
			c := newTestClient(t, srv.URL, sdk.WithIdleTimeout(100*time.Millisecond))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			resp, err := sdkimpl.Do(ctx, c, &sdk.Operation{ID: "get"}, func(server string) (*http.Request, error) {
				return http.NewRequest(http.MethodGet, server+"thing", nil)
			})
			if err == nil {
				_, err = sdkimpl.DecodeJSON[map[string]any](resp)
			}
			if ctx.Err() != nil {
				t.Fatalf("the call waited for the caller's deadline: %v", err)
			}
			tc.check(t, err)
			select {
			case <-gone:
			case <-ctx.Done():
				t.Fatal("the client kept the stalled connection open")
			}
		})
	}
}
