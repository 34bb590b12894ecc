package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

// Transient failures are retried with backoff; a POST is retried only with
// an Idempotency-Key, and when a call is not retried the error says why.
// Generated clients take the same options: petstore.NewClient(url,
// sdk.WithRetry(policy)), and per call c.Pets.CreatePet(ctx, pet,
// sdk.WithIdempotent(true)).
func ExampleWithRetry() {
	// A server that fails twice with 503 before each answer.
	var failures atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failures.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		failures.Store(0)
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"name":"Rex","key_sent":%t}`, r.Header.Get("Idempotency-Key") != "")
	}))
	defer srv.Close()

	policy := sdk.DefaultRetryPolicy()
	policy.BaseDelay = 10 * time.Millisecond // short waits, for the example
	c, err := sdk.NewClient(srv.URL, sdk.WithRetry(policy), sdk.WithOnRetry(func(e sdk.RetryEvent) {
		fmt.Printf("%s: attempt %d got %d, retrying\n", e.Operation, e.Attempt, e.StatusCode)
	}))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	type pet struct {
		Name    string `json:"name"`
		KeySent bool   `json:"key_sent"`
	}
	call := func(method string, opts ...sdk.Option) (*pet, error) {
		op := &sdk.Operation{ID: strings.ToLower(method) + "Pet", Method: method, Path: "/pets"}
		resp, err := sdkimpl.Do(ctx, c, op, func(server string) (*http.Request, error) {
			return http.NewRequest(method, strings.TrimSuffix(server, "/")+"/pets", strings.NewReader(`{"name":"Rex"}`))
		}, opts...)
		if err != nil {
			return nil, err
		}
		return sdkimpl.DecodeJSON[pet](resp)
	}

	// PUT is idempotent: retried.
	p, err := call(http.MethodPut)
	fmt.Println(p.Name, err)

	// POST without an Idempotency-Key: sent once.
	_, err = call(http.MethodPost)
	var re *sdk.RetryError
	var apiErr *sdk.APIError
	if errors.As(err, &re) && errors.As(err, &apiErr) {
		fmt.Printf("%d attempt: %s (status %d)\n", re.Attempts, re.Reason, apiErr.StatusCode)
	}

	// The same POST marked idempotent gets a key, the same on every attempt,
	// and is retried.
	failures.Store(0)
	p, err = call(http.MethodPost, sdk.WithIdempotent(true))
	fmt.Println(p.Name, p.KeySent, err)

	// Output:
	// putPet: attempt 1 got 503, retrying
	// putPet: attempt 2 got 503, retrying
	// Rex <nil>
	// 1 attempt: a POST without an Idempotency-Key is never retried (status 503)
	// postPet: attempt 1 got 503, retrying
	// postPet: attempt 2 got 503, retrying
	// Rex true <nil>
}
