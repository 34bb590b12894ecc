package soak_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/internal/soak"
	"go.uber.org/goleak"
)

// No goroutine of a run may outlive it: servers, connections, token
// fetches and retries all end.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestSoak runs the soak: 2,000 calls by default (the CI run); with
// SDKGEN_SOAK=full, 20,000; with SDKGEN_SOAK=<n>, n. SDKGEN_SOAK_SEED
// repeats a seed.
//
//	SDKGEN_SOAK=full go test -race -timeout 30m -run TestSoak -v ./internal/soak/
func TestSoak(t *testing.T) {
	cfg := soak.Config{Calls: 2000, Workers: 64}
	switch v := os.Getenv("SDKGEN_SOAK"); v {
	case "":
		if testing.Short() {
			cfg.Calls = 500
		}
	case "full":
		cfg.Calls = 20000
	default:
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("SDKGEN_SOAK=%q: want full or a number of calls", v)
		}
		cfg.Calls = n
	}
	if v := os.Getenv("SDKGEN_SOAK_SEED"); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("SDKGEN_SOAK_SEED=%q: %v", v, err)
		}
		cfg.Seed = seed
	}

	heapStart := heapLive()
	rep, err := soak.Run(t.Context(), cfg)
	if rep != nil {
		t.Logf("seed %d (repeat with SDKGEN_SOAK_SEED=%d)\n%s", rep.Seed, rep.Seed, rep)
	}
	if err != nil {
		t.Fatal(err)
	}
	heapEnd := heapLive()
	t.Logf("heap at the start of the test %s, after the run closed %s (%+d bytes)", mib(heapStart), mib(heapEnd), int64(heapEnd)-int64(heapStart))

	for i, v := range rep.Violations {
		if i == 50 {
			t.Errorf("... and %d more", len(rep.Violations)-50)
			break
		}
		t.Error(v)
	}
	if rep.Duplicates != 0 || rep.SKUConflicts != 0 {
		t.Errorf("%d duplicated writes, %d SKU conflicts", rep.Duplicates, rep.SKUConflicts)
	}
	// The faults were really injected, of every kind, and bit (checked on
	// runs large enough for the counts to be sure).
	total := 0
	for _, n := range rep.Faults {
		total += n
	}
	if share := float64(total) / float64(rep.Requests); rep.Calls >= 1000 && (share < 0.15 || share > 0.25 || len(rep.Faults) != 8) {
		t.Errorf("faults %v: %.1f%% of %d requests, want about 20%% of every kind", rep.Faults, 100*share, rep.Requests)
	}
	if rep.Calls >= 1000 && (rep.Retries == 0 || rep.UnseenWrites == 0) {
		t.Errorf("%d retries, %d writes applied with a failed response: the faults did not bite", rep.Retries, rep.UnseenWrites)
	}
	// The heap returns to its level: while the client lives (nothing
	// kept per call) and once the run is closed (nothing kept at all).
	if grow := int64(rep.HeapAfter) - int64(rep.HeapBefore); grow > openSlack {
		t.Errorf("the live heap grew by %d bytes over the run (client still open), more than %d", grow, openSlack)
	}
	if grow := int64(heapEnd) - int64(heapStart); grow > closedSlack {
		t.Errorf("the live heap grew by %d bytes from before the run to after it closed, more than %d", grow, closedSlack)
	}
}

// How much the live heap may grow.
//
// openSlack is for the run itself, client and servers open, the run's
// ledgers left out. What varies is the pool of idle connections (up to 16,
// about 10 KiB each with their buffers), bbolt's freelist and the size of
// maps that never shrink; runs of 200 to 20,000 calls measured between
// -90 KiB and +20 KiB. 256 KiB is 131 bytes per call of the CI run and 13
// of the full run: keeping any per-call object (a request, a response, a
// call's state, an error) would pass it.
//
// closedSlack is for the whole run, from before the servers started to
// after everything closed. A constant ~270 KiB stays, whatever the number
// of calls: caches the packages fill once (encoding/json's type cache,
// crc32 tables, the MIME table). 1 MiB leaves room for those and catches
// any per-call leak larger than 512 bytes in the CI run.
const (
	openSlack   = 256 << 10
	closedSlack = 1 << 20
)

func heapLive() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func mib(n uint64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }

// A small run: 200 calls from 16 goroutines, a fifth of the requests
// faulted, and no rule broken.
func ExampleRun() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := soak.Run(ctx, soak.Config{Calls: 200, Workers: 16, Seed: 1, AttemptTimeout: 200 * time.Millisecond})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("calls:", rep.Calls)
	fmt.Println("duplicated writes:", rep.Duplicates)
	fmt.Println("violations:", len(rep.Violations))
	// Output:
	// calls: 200
	// duplicated writes: 0
	// violations: 0
}
