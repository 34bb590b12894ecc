package sdk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/sdkgen-go/sdkgen/internal/faultserver"
)

// A sustained 429/503 storm against a client with default options costs
// at most 1.1 requests per call: the client's retry quota (on by default,
// as AWS SDK v2's is) runs out after a few retries and stays out while
// retries keep failing. Before, every call made its four attempts (4.0
// requests per call). One transient failure of a healthy service is still
// retried, and retries come back once calls succeed again. The calls run
// one after another and from 8 goroutines at once.
func TestRetryStormWithDefaultOptions(t *testing.T) {
	const calls = 200
	for _, workers := range []int{1, 8} {
		for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
			t.Run(fmt.Sprintf("%d/workers=%d", status, workers), func(t *testing.T) {
				srv := newFaultServer(t, faultserver.Config{Default: faultserver.Status(status, "")})
				// Defaults, but for the clock: the storm's waits are not slept.
				c := retryClient(t, srv.URL, WithSleeper(newFakeClock()))
				get := func() error {
					op, build := thing(http.MethodGet, nil, false)
					resp, err := c.do(context.Background(), op, build)
					if err == nil {
						noContent(resp)
					}
					return err
				}
				var wg sync.WaitGroup
				for w := range workers {
					wg.Go(func() {
						for range calls / workers {
							var ae *APIError
							if err := get(); !errors.As(err, &ae) || ae.StatusCode != status {
								t.Errorf("worker %d: %v", w, err)
								return
							}
						}
					})
				}
				wg.Wait()
				n := srv.Count()
				t.Logf("%d calls in a %d storm: %d requests (%.2f per call)", calls, status, n, float64(n)/calls)
				if n > calls*11/10 {
					t.Errorf("%d requests for %d calls: more than 1.1 per call", n, calls)
				}
			})
		}
	}
	t.Run("one transient failure", func(t *testing.T) {
		srv := newFaultServer(t, faultserver.Config{Default: okStep})
		c := retryClient(t, srv.URL, WithSleeper(newFakeClock()))
		op, build := thing(http.MethodGet, nil, false)
		srv.Script(faultserver.Status(503, ""))
		resp, err := c.do(context.Background(), op, build)
		if err != nil || srv.Count() != 2 {
			t.Fatalf("a single 503: %v after %d requests; want success after 2", err, srv.Count())
		}
		noContent(resp)
		// After a storm, retries come back with the successes.
		srv.SetDefault(faultserver.Status(503, ""))
		for range 50 {
			if _, err := c.do(context.Background(), op, build); err == nil {
				t.Fatal("a storm call succeeded")
			}
		}
		srv.SetDefault(okStep)
		for range 20 {
			resp, err := c.do(context.Background(), op, build)
			if err != nil {
				t.Fatal(err)
			}
			noContent(resp)
		}
		before := srv.Count()
		srv.Script(faultserver.Status(503, ""))
		resp, err = c.do(context.Background(), op, build)
		if err != nil || srv.Count()-before != 2 {
			t.Fatalf("a 503 after the storm: %v after %d requests; want success after 2", err, srv.Count()-before)
		}
		noContent(resp)
	})
}
