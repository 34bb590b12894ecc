package outboxtest_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/examples/products"
	"github.com/sdkgen-go/sdkgen/examples/products/server"
	"github.com/sdkgen-go/sdkgen/internal/faultserver"
	"github.com/sdkgen-go/sdkgen/internal/outboxtest"
	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/outbox"
)

// TestFaults: the plan's writes are queued and synced through a fault
// server in front of the products server, which gives a quarter of the
// requests a fault: a connection reset before the handler ran, or after
// it (the write is committed, its response lost), a connection closed
// after the handler ran, a 503, a 429 with Retry-After, response headers
// held past the client's attempt timeout (before or after the handler
// ran); and the server is down for a while in the middle. The same
// guarantees as TestCrash must hold, with -race and goleak.
//
//	go test -race -run TestFaults -v ./internal/outboxtest/     # 1,000 writes (300 with -short)
func TestFaults(t *testing.T) {
	writes := 1000
	if testing.Short() {
		writes = 300
	}
	if v := os.Getenv("OUTBOXTEST_FAULT_WRITES"); v != "" {
		writes, _ = strconv.Atoi(v)
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("OUTBOXTEST_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("seed %d, %d writes", seed, writes)
	cred := outboxtest.Credentials{ClientID: "faults", ClientSecret: "faults-secret-1", APIKey: "faults-api-key", QueryKey: "faults-query-key"}
	api, err := server.New(server.Options{DBPath: filepath.Join(dbDir(t), "products.db"),
		Clients: []server.Client{{ID: cred.ClientID, Secret: cred.ClientSecret}}, EventLogSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := api.Close(); err != nil {
			t.Error(err)
		}
	}()
	rec := &outboxtest.Recorder{Next: api}

	const attemptTimeout = 300 * time.Millisecond
	problem := func(status int) string {
		return fmt.Sprintf(`{"type":"about:blank","title":%q,"status":%d}`, http.StatusText(status), status)
	}
	kinds := []struct {
		name string
		step faultserver.Step
	}{
		{"reset", faultserver.Step{Fault: faultserver.Reset}},
		{"reset after commit", faultserver.Step{Fault: faultserver.Reset, AfterHandler: true}},
		{"closed after commit", faultserver.Step{Fault: faultserver.CloseBeforeResponse, AfterHandler: true}},
		{"503", faultserver.Status(http.StatusServiceUnavailable, problem(503), "Content-Type", "application/problem+json")},
		{"429", faultserver.Status(http.StatusTooManyRequests, problem(429), "Content-Type", "application/problem+json", "Retry-After", "1")},
		{"slow headers", faultserver.Step{Fault: faultserver.SlowHeaders, Delay: 3 * attemptTimeout}},
		{"slow headers after commit", faultserver.Step{Fault: faultserver.SlowHeaders, Delay: 3 * attemptTimeout, AfterHandler: true}},
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	var mu sync.Mutex
	injected := map[string]int{}
	var faultsOn atomic.Bool
	faultsOn.Store(true)
	fs := faultserver.New(faultserver.Config{KeepAlives: true, MaxRecords: 1, Handler: rec, Pick: func(r *http.Request) faultserver.Step {
		if !faultsOn.Load() || r.URL.Path == "/oauth/token" || rng.Float64() >= 0.25 {
			return faultserver.Step{}
		}
		k := kinds[rng.IntN(len(kinds))]
		mu.Lock()
		injected[k.name]++
		mu.Unlock()
		return k.step
	}})
	defer fs.Close()

	q, err := outbox.Open(filepath.Join(t.TempDir(), "outbox.db"),
		outbox.WithBackoff(5*time.Millisecond, 200*time.Millisecond), outbox.WithWorkers(8),
		outbox.WithKeyLifetime(server.DefaultIdempotencyTTL))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	c, err := products.NewClient(fs.URL, cred.ClientOptions(fs.URL, q.Watch(), sdk.WithAttemptTimeout(attemptTimeout))...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := q.Start(c.SDK()); err != nil {
		t.Fatal(err)
	}
	plan := outboxtest.NewPlan(seed, writes, 4)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for g, ops := range plan.Enqueuers {
		wg.Go(func() {
			for i, n := range ops {
				if _, err := plan.Enqueue(ctx, q, c, plan.Ops[n], "enqueuer-"+strconv.Itoa(g), i+1); err != nil {
					t.Error(err)
					return
				}
				if g == 0 && i == len(ops)/2 {
					// The server goes away for a while: dials are refused.
					fs.Down()
					time.Sleep(300 * time.Millisecond)
					if err := fs.Up(); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	flushes := 0
	for q.Len() > 0 {
		flushes++
		if err := q.Flush(ctx); err != nil && ctx.Err() != nil {
			t.Fatalf("%d writes still queued: %v", q.Len(), err)
		}
	}
	elapsed := time.Since(start)
	dead, err := q.Dead()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dead {
		t.Errorf("dead: %d %s %s: %s (%d) %s", d.ID, d.Method, d.Label, d.Reason, d.Status, d.Detail)
	}

	// Read the catalogue without faults.
	direct, err := products.NewClient(fs.URL, cred.ClientOptions(fs.URL)...)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	faultsOn.Store(false)
	mu.Lock()
	faults := 0
	for _, n := range injected {
		faults += n
	}
	mu.Unlock()
	bad, _, err := outboxtest.Audit(ctx, api, rec, direct, plan)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Error(b)
	}
	st := api.KeyStats()
	t.Logf("%d writes in %s (%d flushes); %d requests, %d faults injected %v", writes, elapsed.Round(time.Millisecond), flushes, fs.Count(), faults, injected)
	t.Logf("server: %d applied, %d replayed, %d refused as in use, %d reused keys; violations %d", st.Applied, st.Replayed, st.InFlight, st.Reused, len(bad))
	if st.Applied != int64(writes) {
		t.Errorf("applied %d keyed writes, want %d", st.Applied, writes)
	}
	if writes >= 300 && (injected["reset after commit"] == 0 || injected["closed after commit"] == 0 || st.Replayed == 0) {
		t.Errorf("the faults did not bite: %v, %d replays", injected, st.Replayed)
	}
}
