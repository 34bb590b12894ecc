package boltstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sdkgen-go/sdkgen/internal/faultserver"
	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/cache"
	"github.com/sdkgen-go/sdkgen/sdk/cache/boltstore"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type noSleep struct{}

func (noSleep) Sleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }
func (noSleep) Now() time.Time                                   { return time.Now() }

func open(t *testing.T, path string, opts ...boltstore.Option) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// getPets calls GET /pets through a client with a cache over store.
func getPets(store cache.Store, base string, opts ...sdk.Option) (body string, outcome cache.Outcome, err error) {
	ch, err := cache.New(store, cache.WithStaleIfError(24*time.Hour))
	if err != nil {
		return "", "", err
	}
	c, err := sdk.NewClient(base, append([]sdk.Option{sdk.WithCache(ch), sdk.WithSleeper(noSleep{}), sdk.WithBearerToken("restart-SECRET-token")}, opts...)...)
	if err != nil {
		return "", "", err
	}
	defer c.Close()
	var resp *http.Response
	r, err := sdkimpl.Do(context.Background(), c, &sdk.Operation{ID: "listPets", Method: "GET", Path: "/pets"}, func(server string) (*http.Request, error) {
		return http.NewRequest(http.MethodGet, server+"pets", nil)
	}, sdk.WithResponse(&resp))
	if err != nil {
		return "", "", err
	}
	defer r.Body.Close()
	data, err := io.ReadAll(r.Body)
	return string(data), cache.OutcomeOf(resp), err
}

const (
	helperDB  = "SDKGEN_CACHE_HELPER_DB"
	helperURL = "SDKGEN_CACHE_HELPER_URL"
)

// TestHelperPopulate is not a test: TestSurvivesRestart runs it in a
// process of its own, which fills the store at $SDKGEN_CACHE_HELPER_DB from
// the server at $SDKGEN_CACHE_HELPER_URL and exits.
func TestHelperPopulate(t *testing.T) {
	path := os.Getenv(helperDB)
	if path == "" {
		t.Skip("helper of TestSurvivesRestart")
	}
	store := open(t, path)
	body, outcome, err := getPets(store, os.Getenv(helperURL))
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("helper: pid=%d outcome=%s body=%s\n", os.Getpid(), outcome, body)
}

// The store survives a restart: a second process fills it from a live
// server; then, with that server gone for good, this process opens the
// same file and is answered from it — as the same user only.
func TestSurvivesRestart(t *testing.T) {
	var served atomic.Int32
	srv := faultserver.New(faultserver.Config{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.Header().Set("Cache-Control", "max-age=0")
		w.Header().Set("ETag", `"p1"`)
		_, _ = io.WriteString(w, `["Rex","Fido"]`)
	})})
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "cache.db")

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperPopulate$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), helperDB+"="+path, helperURL+"="+srv.URL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper process: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "outcome=miss body=[\"Rex\",\"Fido\"]") || strings.Contains(string(out), "pid="+strconv.Itoa(os.Getpid())+" ") {
		t.Fatalf("helper process did not fill the store:\n%s", out)
	}
	if served.Load() != 1 {
		t.Fatalf("server got %d requests, want 1", served.Load())
	}
	srv.Close() // gone: its port refuses connections

	store := open(t, path)
	defer store.Close()
	var retries atomic.Int32
	body, outcome, err := getPets(store, srv.URL, sdk.WithMaxRetries(2), sdk.WithOnRetry(func(sdk.RetryEvent) { retries.Add(1) }))
	if err != nil || outcome != cache.Stale || body != `["Rex","Fido"]` {
		t.Fatalf("after the restart: %q, %q, %v; want the stored body, stale", body, outcome, err)
	}
	if retries.Load() != 2 {
		t.Fatalf("%d retries before the stale answer, want 2", retries.Load())
	}
	_, _, err = getPets(store, srv.URL, sdk.WithBearerToken("another-user"), sdk.WithoutRetries())
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("another user after the restart: %v, want connection refused", err)
	}
}

// The store is bounded: past its size it evicts what was written longest
// ago, and its accounting matches what it holds.
func TestStoreEvictsOldestBeyondItsBound(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "c.db"), boltstore.WithMaxBytes(10_000))
	defer s.Close()
	value := bytes.Repeat([]byte("v"), 996) // 1,000 bytes with a 4-byte key
	for i := range 25 {
		if err := s.Put(fmt.Sprintf("k%03d", i), value); err != nil {
			t.Fatal(err)
		}
	}
	n, _ := s.Len()
	size, _ := s.Size()
	if n != 10 || size != 10_000 {
		t.Fatalf("%d values, %d bytes; want 10, 10000", n, size)
	}
	for i := range 25 {
		_, err := s.Get(fmt.Sprintf("k%03d", i))
		if kept := i >= 15; kept != (err == nil) {
			t.Fatalf("k%03d: %v (kept: %v)", i, err, kept)
		}
	}
	// Writing a value again makes it the newest.
	if err := s.Put("k015", value); err != nil {
		t.Fatal(err)
	}
	if err := s.Put("k100", value); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("k015"); err != nil {
		t.Fatalf("the rewritten value was evicted: %v", err)
	}
	if _, err := s.Get("k016"); !errors.Is(err, cache.ErrNotFound) {
		t.Fatalf("k016: %v, want evicted", err)
	}
	if err := s.Put("huge", make([]byte, 20_000)); !errors.Is(err, cache.ErrTooLarge) {
		t.Fatalf("a value over the bound: %v", err)
	}
	if err := s.DeletePrefix("k01"); err != nil {
		t.Fatal(err)
	}
	n, _ = s.Len()
	size, _ = s.Size()
	if n != 6 || size != 6_000 {
		t.Fatalf("after DeletePrefix: %d values, %d bytes; want 6, 6000", n, size)
	}
}

// A second Open of a file another store holds waits for the lock, then
// fails with an OpenError; a file that is not a store fails too.
func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.db")
	s := open(t, path)
	defer s.Close()
	_, err := boltstore.Open(path, boltstore.WithLockTimeout(100*time.Millisecond))
	var oe *boltstore.OpenError
	if !errors.As(err, &oe) || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("second open: %v, want an OpenError after a timeout", err)
	}
	junk := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(junk, bytes.Repeat([]byte("not a database "), 2000), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := boltstore.Open(junk); !errors.As(err, &oe) {
		t.Fatalf("junk file: %v", err)
	}
}

// Damage to the file is a miss or a typed error, never a panic and never a
// wrong answer: an altered entry fails its checksum; garbage over bbolt's
// pages is caught.
func TestDamagedFile(t *testing.T) {
	var served atomic.Int32
	srv := faultserver.New(faultserver.Config{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.Header().Set("Cache-Control", "max-age=600")
		_, _ = io.WriteString(w, `["MARKER-body-of-the-entry"]`)
	})})
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "c.db")
	populate := func() {
		t.Helper()
		s := open(t, path)
		if _, _, err := getPets(s, srv.URL); err != nil {
			t.Fatal(err)
		}
		if _, o, _ := getPets(s, srv.URL); o != cache.Hit {
			t.Fatalf("not stored: %q", o)
		}
		s.Close()
	}
	populate()

	// One byte of the stored body changed (in every copy: bbolt writes
	// pages anew, and older copies may linger in free pages).
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("MARKER-body")) {
		t.Fatal("the entry is not in the file")
	}
	data = bytes.ReplaceAll(data, []byte("MARKER-body"), []byte("mARKER-body"))
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s := open(t, path)
	var errs []error
	var mu sync.Mutex
	ch, _ := cache.New(s, cache.WithOnError(func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }))
	c, _ := sdk.NewClient(srv.URL, sdk.WithCache(ch), sdk.WithBearerToken("restart-SECRET-token"))
	before := served.Load()
	resp, err := sdkimpl.Do(context.Background(), c, nil, func(server string) (*http.Request, error) { return http.NewRequest("GET", server+"pets", nil) })
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	c.Close()
	var ce *cache.CorruptEntryError
	if served.Load() != before+1 || string(body) != `["MARKER-body-of-the-entry"]` || len(errs) != 1 || !errors.As(errs[0], &ce) {
		t.Fatalf("altered entry: %d requests, body %q, errors %v; want a request, the server's body, one CorruptEntryError", served.Load()-before, body, errs)
	}
	s.Close()

	// A page damaged while the store is open (bbolt maps the file, so it
	// reads the damage): bbolt panics on the page; the store reports a
	// CorruptError and the call goes to the server.
	os.Remove(path)
	populate()
	s = open(t, path)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	data, err = os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := os.Getpagesize()
	for off := 0; ; {
		i := bytes.Index(data[off:], []byte("MARKER-body"))
		if i < 0 {
			break
		}
		start := (off + i) / page * page
		// The page header: id (8 bytes), flags (2), count (2), overflow (4).
		// Flags 0 are neither branch nor leaf.
		if _, err := f.WriteAt([]byte{0, 0}, int64(start+8)); err != nil {
			t.Fatal(err)
		}
		off = start + page
	}
	f.Close()
	errs = nil
	ch, _ = cache.New(s, cache.WithOnError(func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }))
	before = served.Load()
	body2, outcome, err := getPets(s, srv.URL, sdk.WithCache(ch))
	s.Close()
	var damaged *boltstore.CorruptError
	if err != nil || body2 != `["MARKER-body-of-the-entry"]` || outcome != cache.Miss || served.Load() != before+1 || len(errs) == 0 || !errors.As(errs[0], &damaged) {
		t.Fatalf("damaged page: %q %q %v, %d requests, errors %v; want the server's answer and a CorruptError", body2, outcome, err, served.Load()-before, errs)
	}
	t.Logf("damaged page: %v", errs)
	os.Remove(path)

	// Garbage over every page past bbolt's two meta pages, in several
	// patterns: never a panic.
	for seed := range 8 {
		populate()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(uint64(seed), 1))
		for j := 2 * page; j < len(data); j++ {
			if seed%2 == 0 || rng.IntN(8) == 0 {
				data[j] = byte(rng.Uint32())
			}
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := boltstore.Open(path, boltstore.WithLockTimeout(time.Second))
		if err != nil {
			var oe *boltstore.OpenError
			if !errors.As(err, &oe) {
				t.Fatalf("seed %d: open: %v, want an OpenError", seed, err)
			}
			t.Logf("seed %d: %v", seed, err)
			os.Remove(path)
			continue
		}
		var storeErrs []string
		ch, _ := cache.New(s, cache.WithOnError(func(err error) { storeErrs = append(storeErrs, err.Error()) }))
		body, outcome, err := getPets(s, srv.URL, sdk.WithCache(ch))
		s.Close()
		t.Logf("seed %d: %s; store errors: %q", seed, outcome, storeErrs)
		if err != nil || body != `["MARKER-body-of-the-entry"]` || (outcome != cache.Miss && outcome != cache.Hit) {
			t.Fatalf("seed %d: %q %q %v", seed, body, outcome, err)
		}
		os.Remove(path)
	}
}

// Concurrent calls of many users on one file.
func TestConcurrentUse(t *testing.T) {
	srv := faultserver.New(faultserver.Config{KeepAlives: true, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=600")
		_, _ = io.WriteString(w, r.URL.Path+" "+r.Header.Get("Authorization"))
	})})
	defer srv.Close()
	s := open(t, filepath.Join(t.TempDir(), "c.db"), boltstore.WithMaxBytes(16<<10))
	defer s.Close()
	ch, err := cache.New(s)
	if err != nil {
		t.Fatal(err)
	}
	var clients []*sdk.Client
	for u := range 3 {
		c, err := sdk.NewClient(srv.URL, sdk.WithCache(ch), sdk.WithBearerToken("u"+strconv.Itoa(u)))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
	}
	var wg sync.WaitGroup
	var wrong atomic.Int32
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				u, p := (g+i)%3, "/r/"+strconv.Itoa(i%5)
				resp, err := sdkimpl.Do(context.Background(), clients[u], nil, func(server string) (*http.Request, error) {
					return http.NewRequest("GET", server+strings.TrimPrefix(p, "/"), nil)
				})
				if err != nil {
					wrong.Add(1)
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if string(body) != p+" Bearer u"+strconv.Itoa(u) {
					wrong.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if wrong.Load() != 0 {
		t.Fatalf("%d wrong answers", wrong.Load())
	}
}

const helperOpen = "SDKGEN_CACHE_HELPER_OPEN"

// TestHelperOpen is not a test: TestTruncatedFile runs it in a process of
// its own (a fault in bbolt's mapping kills the process, which recover
// cannot stop), to open the store at $SDKGEN_CACHE_HELPER_OPEN and print
// the outcome.
func TestHelperOpen(t *testing.T) {
	path := os.Getenv(helperOpen)
	if path == "" {
		t.Skip("helper of TestTruncatedFile")
	}
	s, err := boltstore.Open(path, boltstore.WithLockTimeout(time.Second))
	if err != nil {
		var oe *boltstore.OpenError
		fmt.Printf("helper: open-error=%v truncated=%v: %v\n", errors.As(err, &oe), errors.Is(err, boltstore.ErrTruncated), err)
		return
	}
	_, gerr := s.Get("x")
	fmt.Printf("helper: opened get=%v close=%v\n", gerr, s.Close())
}

// A file cut short (a half-copied file, a disk that filled up) is refused
// by Open with an OpenError wrapping ErrTruncated, checked against the
// size its meta page records before bbolt maps it: mapped, the missing
// pages are a SIGBUS that kills the process. The store opens in a child
// process, so that a fault fails this test instead of killing it.
func TestTruncatedFile(t *testing.T) {
	srv := faultserver.New(faultserver.Config{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=600")
		_, _ = io.WriteString(w, `["Rex"]`)
	})})
	defer srv.Close()
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.db")
	s := open(t, whole)
	if _, _, err := getPets(s, srv.URL); err != nil {
		t.Fatal(err)
	}
	s.Close()
	data, err := os.ReadFile(whole)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("whole file: %d bytes", len(data))
	run := func(path string) string {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperOpen$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), helperOpen+"="+path)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: the opening process died: %v\n%s", filepath.Base(path), err, firstLines(out, 6))
		}
		return string(out)
	}
	if out := run(whole); !strings.Contains(out, "helper: opened get=") {
		t.Fatalf("the whole file: %s", out)
	}
	for _, size := range []int{100, 4 << 10, 6 << 10, 8 << 10, 12 << 10, 16 << 10, 20 << 10} {
		if size >= len(data) {
			continue
		}
		path := filepath.Join(dir, fmt.Sprintf("cut-%d.db", size))
		if err := os.WriteFile(path, data[:size], 0o600); err != nil {
			t.Fatal(err)
		}
		out := run(path)
		if !strings.Contains(out, "helper: open-error=true truncated=true") {
			t.Errorf("cut to %d bytes: %s", size, firstLines([]byte(out), 6))
		}
	}
}

func firstLines(b []byte, n int) string {
	lines := strings.SplitN(string(b), "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}
