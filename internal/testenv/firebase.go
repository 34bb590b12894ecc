package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// The Firebase Auth emulator comes from npm firebase-tools, pinned in
// internal/testenv/firebase (apart from node/: its install takes minutes,
// and only the Firebase tests need it). It runs on Node 20 without Java and
// downloads nothing.

// AuthEmulator is a running Firebase Auth emulator.
type AuthEmulator struct {
	// Host is host:port, for fbauth.WithEmulator.
	Host string
	// Project is the demo project it serves.
	Project string
	Process *Process
}

// firebaseDir is internal/testenv/firebase.
func firebaseDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "firebase")
}

// StartAuthEmulator starts the Auth emulator of a demo project on free
// loopback ports, or skips the test (fails it in CI) when firebase-tools is
// not installed. It stops when the test ends.
func StartAuthEmulator(t testing.TB) *AuthEmulator {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		Missing(t, "node")
	}
	bin := filepath.Join(firebaseDir(), "node_modules", ".bin", "firebase")
	if _, err := os.Stat(bin); err != nil {
		msg := "firebase-tools is not installed: run `npm ci --prefix internal/testenv/firebase` (as .ci/run does; about 7 minutes)"
		if InCI() {
			t.Fatal(msg)
		}
		t.Skip("SKIPPED, component missing: " + msg)
	}
	dir := t.TempDir()
	port, hub, logging := FreePort(t), FreePort(t), FreePort(t)
	cfg := map[string]any{"emulators": map[string]any{
		"auth":    map[string]any{"host": "127.0.0.1", "port": port},
		"hub":     map[string]any{"host": "127.0.0.1", "port": hub},
		"logging": map[string]any{"host": "127.0.0.1", "port": logging},
		"ui":      map[string]any{"enabled": false},
	}}
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "firebase.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	e := &AuthEmulator{Host: fmt.Sprintf("127.0.0.1:%d", port), Project: "demo-sdkgen"}
	e.Process = Start(t, dir, HTTPReady("http://"+e.Host+"/"), 90*time.Second, bin,
		"emulators:start", "--only", "auth", "--project", e.Project)
	return e
}

// Admin sends an emulator admin request (as the Admin SDK would, with the
// emulator's "Bearer owner") to the project's Identity Toolkit path, such
// as "accounts:update", and fails the test unless it succeeds.
func (e *AuthEmulator) Admin(t testing.TB, path string, body any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("http://%s/identitytoolkit.googleapis.com/v1/projects/%s/%s", e.Host, e.Project, path), bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer owner")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("emulator admin %s: %s", path, resp.Status)
	}
}
