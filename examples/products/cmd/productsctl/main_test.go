package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/examples/products"
	"github.com/sdkgen-go/sdkgen/examples/products/server"
	"github.com/sdkgen-go/sdkgen/internal/cli/clitest"
)

// binary is the productsctl command, built once: the tests run it as a
// user would, against the real products server on loopback.
var binary clitest.Binary

func TestMain(m *testing.M) { clitest.Main(m, "productsctl", &binary) }

const secret = "s3cret-for-tests"

// startServer runs the products server on a free loopback port.
func startServer(t *testing.T) *server.Server {
	t.Helper()
	srv, err := server.New(server.Options{
		DBPath:   filepath.Join(t.TempDir(), "products.db"),
		ImageDir: filepath.Join(t.TempDir(), "images"),
		Clients:  []server.Client{{ID: "productsctl", Secret: secret, Scopes: []string{server.ScopeRead, server.ScopeWrite}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

type result = clitest.Result

// ctl runs the binary with args and only the environment env (plus PATH
// and HOME), so nothing of the developer's environment leaks in.
func ctl(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return binary.Run(t, env, args...)
}

// envFor points the command at srv through the environment.
func envFor(srv *server.Server) []string {
	return []string{"PRODUCTS_BASE_URL=" + srv.URL(), "PRODUCTS_CLIENT_SECRET=" + secret}
}

func mustOK(t *testing.T, r result) result {
	t.Helper()
	if r.Code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.Code, r.Stdout, r.Stderr)
	}
	return r
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, s)
	}
	return v
}

// The demo runs the whole walkthrough with no setup and exits 0.
func TestDemo(t *testing.T) {
	r := mustOK(t, ctl(t, nil, "demo"))
	for _, want := range []string{"page 3:", "412 Precondition Failed", "attempt 2 got 503", "fetched token #2", "event #", "same sha256",
		"the server stops", "3 writes stay queued", "conflict (412)", "resolved: sent again", "no sale lost", "Done:"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, r.Stdout)
		}
	}
}

// Create, get, list with filters and sort, update with If-Match, delete:
// each through the built binary, flags and environment both.
func TestCRUD(t *testing.T) {
	srv := startServer(t)
	env := envFor(srv)
	var ids []string
	for i, p := range []struct{ sku, name, cat, price string }{
		{"LAMP-1", "Desk lamp", "lighting", "3499"}, {"LAMP-2", "Floor lamp", "lighting", "8900"}, {"MUG-1", "Mug", "kitchen", "899"},
	} {
		r := mustOK(t, ctl(t, env, "create", "--sku", p.sku, "--name", p.name, "--category", p.cat, "--price", p.price, "--tag", "t1", "--output", "json"))
		got := decode[[]products.Product](t, r.Stdout)
		if len(got) != 1 || got[0].Sku != p.sku || got[0].Version != 1 {
			t.Fatalf("create %d: %+v", i, got)
		}
		ids = append(ids, got[0].ID)
	}
	// Table output, through the flags rather than the environment.
	r := mustOK(t, ctl(t, nil, "get", ids[0], "--base-url", srv.URL(), "--client-secret", secret))
	if !strings.Contains(r.Stdout, "Desk lamp") || !strings.Contains(r.Stdout, "34.99") || !strings.HasPrefix(r.Stdout, "ID") {
		t.Errorf("get: %s", r.Stdout)
	}
	r = mustOK(t, ctl(t, env, "list", "--category", "lighting", "--sort", "-price", "--page-size", "1", "--output", "json"))
	list := decode[[]products.Product](t, r.Stdout)
	if len(list) != 2 || list[0].Sku != "LAMP-2" || list[1].Sku != "LAMP-1" {
		t.Errorf("list lighting by -price over pages of 1: %+v", list)
	}
	r = mustOK(t, ctl(t, append(env, "PRODUCTS_OUTPUT=json"), "list", "--max-price", "1000"))
	if list := decode[[]products.Product](t, r.Stdout); len(list) != 1 || list[0].Sku != "MUG-1" {
		t.Errorf("list --max-price 1000: %+v", list)
	}
	r = mustOK(t, ctl(t, env, "update", ids[0], "--price", "2999", "--if-match", `"1"`, "--output", "json"))
	if up := decode[[]products.Product](t, r.Stdout); up[0].Price != 2999 || up[0].Version != 2 {
		t.Errorf("update: %+v", up)
	}
	// A stale ETag: one readable line, exit 1.
	r = ctl(t, env, "update", ids[0], "--price", "1", "--if-match", `"1"`)
	if r.Code != 1 || strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 || !strings.Contains(r.Stderr, "412") || !strings.Contains(r.Stderr, "request id") {
		t.Errorf("stale update: exit %d, stderr %q", r.Code, r.Stderr)
	}
	mustOK(t, ctl(t, env, "delete", ids[2]))
	r = ctl(t, env, "get", ids[2])
	if r.Code != 1 || !strings.Contains(r.Stderr, "404 Not Found") || !strings.Contains(r.Stderr, "GET /products/"+ids[2]) {
		t.Errorf("get of a deleted product: exit %d, stderr %q", r.Code, r.Stderr)
	}
}

// Export writes every product as JSON lines, page by page, with a progress
// bar on stderr.
func TestExport(t *testing.T) {
	srv := startServer(t)
	env := envFor(srv)
	for i := range 23 {
		mustOK(t, ctl(t, env, "create", "--sku", fmt.Sprintf("SKU-%02d", i), "--name", fmt.Sprintf("Item %d", i), "--category", "misc", "--price", "100"))
	}
	out := filepath.Join(t.TempDir(), "all.jsonl")
	r := mustOK(t, ctl(t, env, "export", "--page-size", "5", "--file", out))
	if !strings.Contains(r.Stderr, "exported 23 products") || !strings.Contains(r.Stderr, "exporting") {
		t.Errorf("export stderr: %q", r.Stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		p := decode[products.Product](t, line)
		if seen[p.Sku] {
			t.Errorf("%s exported twice", p.Sku)
		}
		seen[p.Sku] = true
	}
	if len(seen) != 23 {
		t.Errorf("exported %d products, want 23", len(seen))
	}
}

// Watch prints the changes made while it runs and stops after --count.
func TestWatch(t *testing.T) {
	srv := startServer(t)
	env := envFor(srv)
	cmd := binary.Command(t, env, "watch", "--count", "2", "--output", "json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// Changes until the watcher has seen two (it may connect after the
	// first ones: they are not replayed without a Last-Event-ID).
	var once sync.Once
	deadline := time.After(30 * time.Second)
	for i := 0; ; i++ {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("watch: %v\n%s", err, stderr.String())
			}
			lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
			if len(lines) != 2 {
				t.Fatalf("watch printed %d lines, want 2:\n%s", len(lines), stdout.String())
			}
			for _, l := range lines {
				ev := decode[struct {
					ID   string                `json:"id"`
					Data products.ProductEvent `json:"data"`
				}](t, l)
				if ev.ID == "" || ev.Data.Type != "created" || ev.Data.Product == nil {
					t.Errorf("event: %s", l)
				}
			}
			return
		case <-deadline:
			once.Do(func() { cmd.Process.Kill() })
			t.Fatalf("watch did not stop after 2 events:\n%s", stdout.String())
		case <-time.After(200 * time.Millisecond):
			mustOK(t, ctl(t, env, "create", "--sku", fmt.Sprintf("W-%d", i), "--name", "Watched", "--category", "misc", "--price", "1"))
		}
	}
}

// An image goes up with a progress bar and comes back the same.
func TestImages(t *testing.T) {
	srv := startServer(t)
	env := envFor(srv)
	r := mustOK(t, ctl(t, env, "create", "--sku", "IMG-1", "--name", "Pictured", "--category", "misc", "--price", "1", "--output", "json"))
	id := decode[[]products.Product](t, r.Stdout)[0].ID
	img := noiseImage(300, 200)
	in := filepath.Join(t.TempDir(), "in.png")
	if err := os.WriteFile(in, img, 0o600); err != nil {
		t.Fatal(err)
	}
	r = mustOK(t, ctl(t, env, "upload-image", id, in, "--caption", "front"))
	if !strings.Contains(r.Stdout, "300x200 image/png") || !strings.Contains(r.Stderr, "uploading 100%") {
		t.Errorf("upload: stdout %q stderr %q", r.Stdout, r.Stderr)
	}
	out := filepath.Join(t.TempDir(), "out.png")
	r = mustOK(t, ctl(t, env, "download-image", id, out))
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(got) != sha256.Sum256(img) {
		t.Errorf("downloaded image differs (%d bytes, uploaded %d)", len(got), len(img))
	}
	if !strings.Contains(r.Stderr, "downloading 100%") {
		t.Errorf("download stderr: %q", r.Stderr)
	}
	// Not an image: the server's 422 problem, on one line.
	bad := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(bad, []byte("plain text"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = ctl(t, env, "upload-image", id, bad)
	lines := strings.Split(strings.TrimSpace(r.Stderr), "\n")
	if last := lines[len(lines)-1]; r.Code != 1 || !strings.HasPrefix(last, "productsctl: 422 Unprocessable Entity: ") || !strings.Contains(last, "request id") {
		t.Errorf("upload of text: exit %d, stderr %q", r.Code, r.Stderr)
	}
}

// Usage errors exit 2 before any request; --help exits 0.
func TestUsage(t *testing.T) {
	srv := startServer(t)
	env := envFor(srv)
	for _, args := range [][]string{
		{},
		{"nope"},
		{"get"},
		{"list", "--sort", "colour"},
		{"list", "--page-size", "0"},
		{"create", "--name", "x"},
		{"update", "prd_x"},
		{"list", "--output", "yaml"},
		{"watch", "--count", "-1"},
	} {
		if r := ctl(t, env, args...); r.Code != 2 {
			t.Errorf("%q: exit %d, want 2\n%s", args, r.Code, r.Stderr)
		}
	}
	// No credentials at all.
	if r := ctl(t, []string{"PRODUCTS_BASE_URL=" + srv.URL()}, "list"); r.Code != 2 || !strings.Contains(r.Stderr, "--client-secret") {
		t.Errorf("no credentials: exit %d, stderr %q", r.Code, r.Stderr)
	}
	for _, args := range [][]string{{"--help"}, {"list", "--help"}, {"demo", "--help"}} {
		if r := ctl(t, nil, args...); r.Code != 0 || !strings.Contains(r.Stdout, "Usage:") {
			t.Errorf("%q: exit %d\n%s", args, r.Code, r.Stdout)
		}
	}
}

// A wrong secret or token is one readable line and exit 1; an unreachable
// server too.
func TestFailures(t *testing.T) {
	srv := startServer(t)
	r := ctl(t, []string{"PRODUCTS_BASE_URL=" + srv.URL(), "PRODUCTS_CLIENT_SECRET=wrong"}, "list")
	if r.Code != 1 || strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 || strings.Contains(r.Stderr, "wrong") {
		t.Errorf("wrong secret: exit %d, stderr %q", r.Code, r.Stderr)
	}
	r = ctl(t, []string{"PRODUCTS_BASE_URL=" + srv.URL(), "PRODUCTS_TOKEN=not-a-token"}, "list")
	if r.Code != 1 || !strings.Contains(r.Stderr, "401") || strings.Contains(r.Stderr, "not-a-token") {
		t.Errorf("bad token: exit %d, stderr %q", r.Code, r.Stderr)
	}
	url := srv.URL()
	srv.Close()
	r = ctl(t, []string{"PRODUCTS_BASE_URL=" + url, "PRODUCTS_TOKEN=t"}, "get", "prd_x")
	if r.Code != 1 || strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 {
		t.Errorf("server gone: exit %d, stderr %q", r.Code, r.Stderr)
	}
}

// Writes queued with --queue wait in the queue's file, without a
// credential; "queue" lists them, "queue sync" sends them in order and
// reports a write the server rejects, which stays in the list as dead.
func TestQueue(t *testing.T) {
	srv := startServer(t)
	file := filepath.Join(t.TempDir(), "q.db")
	env := append(envFor(srv), "PRODUCTS_QUEUE_FILE="+file)
	r := mustOK(t, ctl(t, env, "create", "--queue", "--sku", "Q-1", "--name", "Queued", "--category", "misc", "--price", "100", "--output", "json"))
	created := decode[map[string]any](t, r.Stdout)
	label, _ := created["label"].(string)
	id := strings.Fields(label)[1] // "create <id> (Q-1)"
	mustOK(t, ctl(t, env, "update", id, "--queue", "--price", "250"))
	mustOK(t, ctl(t, env, "update", "prd_01JCF7YQX4W99R5S0TKM2ND8FA", "--queue", "--price", "1")) // no such product
	mustOK(t, ctl(t, env, "delete", id, "--queue"))
	r = mustOK(t, ctl(t, env, "queue"))
	if n := strings.Count(r.Stdout, "queued"); n != 4 || !strings.Contains(r.Stdout, "/products/"+id) {
		t.Fatalf("queue:\n%s", r.Stdout)
	}
	data, err := os.ReadFile(file)
	if err != nil || strings.Contains(string(data), secret) {
		t.Fatalf("the queue's file holds the client secret (%v)", err)
	}
	if got := srv.KeyStats().Applied; got != 0 {
		t.Fatalf("%d writes reached the server while queued", got)
	}
	r = mustOK(t, ctl(t, env, "queue", "sync"))
	for _, want := range []string{"sent (201)", "sent (200)", "sent (204)", "gave up: rejected: Not found", "synced: 4 queued writes handled, 0 still queued"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("sync output lacks %q:\n%s", want, r.Stdout)
		}
	}
	r = mustOK(t, ctl(t, env, "queue", "--output", "json"))
	q := decode[struct {
		Pending []map[string]any
		Dead    []map[string]any
	}](t, r.Stdout)
	if len(q.Pending) != 0 || len(q.Dead) != 1 || q.Dead[0]["Reason"] != "rejected" || q.Dead[0]["Status"] != float64(404) {
		t.Fatalf("queue after sync: %s", r.Stdout)
	}
	if log, err := srv.AppliedKeys(); err != nil || len(log) != 3 || log[0].Method != "PUT" || log[1].Method != "PATCH" || log[2].Method != "DELETE" {
		t.Fatalf("applied %+v %v", log, err)
	}
	if r := ctl(t, env, "queue", "sync", "--on-conflict", "mine"); r.Code != 2 {
		t.Errorf("bad --on-conflict: exit %d", r.Code)
	}
}
