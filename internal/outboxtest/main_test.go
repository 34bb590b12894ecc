package outboxtest_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sdkgen-go/sdkgen/internal/outboxtest"
)

// The child process of TestCrash is this test binary, run again with
// OUTBOXTEST_CHILD set: it runs outboxtest.RunChild and exits.
func TestMain(m *testing.M) {
	if os.Getenv("OUTBOXTEST_CHILD") == "1" {
		os.Exit(child())
	}
	goleak.VerifyTestMain(m)
}

func child() int {
	env := func(name string) string { return os.Getenv("OUTBOXTEST_" + name) }
	seed, _ := strconv.ParseUint(env("SEED"), 10, 64)
	writes, _ := strconv.Atoi(env("WRITES"))
	cfg := outboxtest.ChildConfig{
		Base: env("BASE"), Queue: env("QUEUE"), Seed: seed, Writes: writes, Enqueuers: 4,
		Cred: outboxtest.Credentials{ClientID: env("CLIENT_ID"), ClientSecret: env("CLIENT_SECRET"), APIKey: env("API_KEY"), QueryKey: env("QUERY_KEY")},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	if err := outboxtest.RunChild(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	return 0
}

// dbDir is where the server's database goes: /dev/shm when there is one.
// The server syncs every write, and on a disk its syncs would set the
// pace; the queue's file stays on the disk, where the test's subject is.
func dbDir(t *testing.T) string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		dir, err := os.MkdirTemp("/dev/shm", "outboxtest-")
		if err == nil {
			t.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		}
	}
	return t.TempDir()
}
