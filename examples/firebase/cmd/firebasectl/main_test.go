package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sdkgen-go/sdkgen/internal/rtdbserver"
	"github.com/sdkgen-go/sdkgen/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The example end to end: a user signs up with the Auth emulator, and as
// that user writes, reads, pushes and watches paths of a Realtime
// Database that accepts the emulator's ID tokens.
func TestFirebasectl(t *testing.T) {
	emu := testenv.StartAuthEmulator(t)
	db := rtdbserver.New(rtdbserver.Options{Verify: rtdbserver.VerifyUnsignedJWT})
	srv := httptest.NewServer(db)
	defer srv.Close()
	defer db.Close()
	tokenFile := filepath.Join(t.TempDir(), "token.json")
	env := map[string]string{
		envEmulator: emu.Host, envDatabaseURL: srv.URL, envTokenFile: tokenFile, envPassword: "correct horse",
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(ctx, args, &out, &errOut, func(k string) string { return env[k] })
		return code, out.String(), errOut.String()
	}
	mustRun := func(args ...string) string {
		t.Helper()
		code, out, errOut := cmd(args...)
		if code != 0 {
			t.Fatalf("firebasectl %s: exit %d: %s", strings.Join(args, " "), code, errOut)
		}
		return out
	}

	if out := mustRun("signup", "ada@example.com"); !strings.HasPrefix(out, "signed in as ") || !strings.Contains(out, "<ada@example.com>") {
		t.Fatalf("signup printed %q", out)
	}
	if info, err := os.Stat(tokenFile); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, %v", info, err)
	}
	if out := mustRun("whoami"); !strings.Contains(out, "ada@example.com") {
		t.Fatalf("whoami printed %q", out)
	}
	mustRun("set", "rooms/lobby", `{"topic":"Go"}`)
	if out := mustRun("get", "rooms/lobby"); strings.TrimSpace(out) != `{"topic":"Go"}` {
		t.Fatalf("get printed %q", out)
	}
	if out := mustRun("push", "rooms/lobby/messages", `"hi"`); !strings.HasPrefix(out, "/rooms/lobby/messages/") {
		t.Fatalf("push printed %q", out)
	}

	var wg sync.WaitGroup
	var watched string
	wg.Go(func() { watched = mustRun("watch", "rooms/lobby/topic", "--count", "2") })
	for db.Streams() == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	mustRun("set", "rooms/lobby/topic", `"Go 1.25"`)
	wg.Wait()
	if watched != "put / \"Go\"\nput / \"Go 1.25\"\n" {
		t.Fatalf("watch printed %q", watched)
	}

	code, _, errOut := cmd("signin", "ada@example.com", "--password", "wrong horse")
	if code != 1 || !strings.Contains(errOut, "INVALID_PASSWORD") {
		t.Fatalf("a wrong password: exit %d, %q", code, errOut)
	}
	for _, r := range db.Requests() {
		if !strings.Contains(r.RawQuery, "auth=") {
			t.Errorf("%s %s went without the ID token", r.Method, r.Path)
		}
	}
	mustRun("signout")
	if code, _, errOut := cmd("get", "rooms/lobby"); code != 1 || !strings.Contains(errOut, "not signed in") {
		t.Fatalf("after signout: exit %d, %q", code, errOut)
	}
	if code, _, _ := cmd("set", "x", "{not json"); code != 2 {
		t.Fatalf("bad JSON: exit %d, want 2", code)
	}
}
