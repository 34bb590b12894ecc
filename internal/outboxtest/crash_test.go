//go:build unix

package outboxtest_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/examples/products"
	"github.com/sdkgen-go/sdkgen/examples/products/server"
	"github.com/sdkgen-go/sdkgen/internal/outboxtest"
	"github.com/sdkgen-go/sdkgen/sdk/outbox"
)

// crashSize returns the writes and the least number of kills of the run:
// 1,000 and 10 in CI's run (go test -race ./..., or -short); 10,000 and 50
// with OUTBOXTEST_CRASH=full. OUTBOXTEST_WRITES and OUTBOXTEST_KILLS
// override.
func crashSize(t *testing.T) (writes, kills int) {
	writes, kills = 1000, 10
	if os.Getenv("OUTBOXTEST_CRASH") == "full" && !testing.Short() {
		writes, kills = 10000, 50
	}
	if v := os.Getenv("OUTBOXTEST_WRITES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 10 || n%10 != 0 {
			t.Fatalf("OUTBOXTEST_WRITES=%q: want a multiple of 10", v)
		}
		writes = n
	}
	if v := os.Getenv("OUTBOXTEST_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			t.Fatalf("OUTBOXTEST_KILLS=%q", v)
		}
		kills = n
	}
	return writes, kills
}

// TestCrash: a second process queues and syncs the writes of a plan
// (creates, updates, uploads and deletes of writes/10 products) against
// the products server running here, and is killed with SIGKILL at random
// moments and started again until it reports the plan done. Then every
// write must have been applied exactly once (the server's applied-key
// log), none is lost, each product's writes were applied in order, the
// catalogue is what the plan makes, nothing is left queued or dead, and
// the queue's file never held a credential (checked after every kill).
//
//	OUTBOXTEST_CRASH=full go test -race -timeout 30m -run TestCrash -v ./internal/outboxtest/   # 10,000 writes, at least 50 kills
//	go test -race -short -run TestCrash -v ./internal/outboxtest/                              # 1,000 and 10, as in CI
func TestCrash(t *testing.T) {
	writes, minKills := crashSize(t)
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("OUTBOXTEST_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("seed %d (repeat with OUTBOXTEST_SEED=%d), %d writes, at least %d kills", seed, seed, writes, minKills)
	rng := rand.New(rand.NewPCG(seed, 1))
	cred := outboxtest.Credentials{ClientID: "crash", ClientSecret: "client-secret-" + strconv.FormatUint(rng.Uint64(), 36),
		APIKey: "api-key-" + strconv.FormatUint(rng.Uint64(), 36), QueryKey: "query-key-" + strconv.FormatUint(rng.Uint64(), 36)}

	api, err := server.New(server.Options{DBPath: filepath.Join(dbDir(t), "products.db"),
		Clients: []server.Client{{ID: cred.ClientID, Secret: cred.ClientSecret}}, EventLogSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	rec := &outboxtest.Recorder{Next: api}
	hs := httptest.NewServer(rec)
	defer func() {
		hs.Close()
		if err := api.Close(); err != nil {
			t.Error(err)
		}
	}()

	dir := t.TempDir()
	queue := filepath.Join(dir, "outbox.db")
	logPath := filepath.Join(dir, "child.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	env := append(os.Environ(), "OUTBOXTEST_CHILD=1", "OUTBOXTEST_BASE="+hs.URL, "OUTBOXTEST_QUEUE="+queue,
		"OUTBOXTEST_SEED="+strconv.FormatUint(seed, 10), "OUTBOXTEST_WRITES="+strconv.Itoa(writes),
		"OUTBOXTEST_CLIENT_ID="+cred.ClientID, "OUTBOXTEST_CLIENT_SECRET="+cred.ClientSecret,
		"OUTBOXTEST_API_KEY="+cred.APIKey, "OUTBOXTEST_QUERY_KEY="+cred.QueryKey)

	secrets := func() []string {
		return append([]string{cred.ClientSecret, cred.APIKey, cred.QueryKey}, rec.Tokens()...)
	}
	scans, hits := 0, 0
	scan := func() {
		data, err := os.ReadFile(queue)
		if errors.Is(err, os.ErrNotExist) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		scans++
		for _, s := range secrets() {
			if bytes.Contains(data, []byte(s)) {
				hits++
				t.Errorf("the queue's file holds the credential %.12s…", s)
			}
		}
	}

	start := time.Now()
	kills, runs := 0, 0
	var lastDelay time.Duration
	// Kills come at a random moment from 5 ms to bound after the start.
	// bound adapts: it shrinks while the child goes so fast that it would
	// finish before the kills the run needs, and doubles after a run that
	// got nothing done (killed before it was up: a child built with the
	// race detector takes a while to start).
	bound := 250 * time.Millisecond
	for {
		if time.Since(start) > 15*time.Minute {
			t.Fatalf("not done after %s and %d kills", time.Since(start), kills)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = logFile, logFile
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		runs++
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		// Kill at a random moment: during start-up, while queueing, while
		// sending, while committing.
		before := api.KeyStats().Applied
		lastDelay = 5*time.Millisecond + time.Duration(rng.Int64N(int64(bound)))
		select {
		case err := <-done:
			if err != nil {
				logFile.Sync()
				tail, _ := os.ReadFile(logPath)
				t.Fatalf("run %d failed: %v\n%s", runs, err, lastLines(string(tail), 30))
			}
		case <-time.After(lastDelay):
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			err := <-done
			if ee, ok := err.(*exec.ExitError); ok && ee.Sys().(syscall.WaitStatus).Signaled() {
				kills++
				scan()
				after := api.KeyStats().Applied
				switch {
				case after == before:
					bound = min(2*bound, 5*time.Second)
				case kills < minKills && int64(writes)-after < (after-before)*int64(minKills-kills):
					bound = max(bound*2/3, 20*time.Millisecond)
				}
				continue
			}
			if err != nil {
				t.Fatalf("run %d: %v", runs, err)
			}
		}
		break // the child finished the plan
	}
	elapsed := time.Since(start)
	scan()

	// What the queue's file holds now: nothing queued, nothing dead.
	q, err := outbox.Open(queue)
	if err != nil {
		t.Fatal(err)
	}
	pending, err1 := q.Pending()
	dead, err2 := q.Dead()
	q.Close()
	if err1 != nil || err2 != nil || len(pending) != 0 || len(dead) != 0 {
		t.Errorf("after the run: %d pending, %d dead (%v %v)", len(pending), len(dead), err1, err2)
	}

	plan := outboxtest.NewPlan(seed, writes, 4)
	c, err := products.NewClient(hs.URL, cred.ClientOptions(hs.URL)...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	bad, logLen, err := outboxtest.Audit(t.Context(), api, rec, c, plan)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Error(b)
	}
	keyOp, _ := rec.Keys()
	stats := api.KeyStats()
	t.Logf("%d writes over %d products in %s: %d runs, %d kills (the last run finished within its %s)",
		writes, len(plan.Products), elapsed.Round(time.Millisecond), runs, kills, lastDelay)
	t.Logf("server: %d keyed writes applied, %d replayed to a repeated request, %d refused as in use (409), %d reused keys (422); applied-key log %d entries, %d distinct keys sent",
		stats.Applied, stats.Replayed, stats.InFlight, stats.Reused, logLen, len(keyOp))
	t.Logf("credential scans of the queue's file: %d, hits: %d (%d secrets: client secret, API key, query key, %d access tokens)",
		scans, hits, len(secrets()), len(rec.Tokens()))
	t.Logf("violations: %d", len(bad))
	if kills < minKills {
		t.Errorf("%d kills, want at least %d: the child finished too fast (raise OUTBOXTEST_WRITES)", kills, minKills)
	}
	if stats.Applied != int64(writes) {
		t.Errorf("the server applied %d keyed writes, want %d", stats.Applied, writes)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
