package outbox_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/outbox"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

// Every test of the package must leave no goroutine behind: the queue's
// dispatcher and workers stop at Close.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// items is a small API for the tests, written here so that the tests of
// the queue depend on nothing but the HTTP semantics it relies on: items
// at /items/{id} with PUT (create or replace), PATCH (merge the JSON
// object's members), DELETE and GET; an ETag per version and If-Match;
// and Idempotency-Key on every write, as the products example's server
// honours it (the same key and request replay the stored response, the
// same key with another request gets 422, a key in use 409).
type items struct {
	mu      sync.Mutex
	data    map[string]*item
	keys    map[string]stored
	applied []applied
	inUse   map[string]bool
	// requests records every request: method, path, the headers.
	requests []*http.Request
	// hold, when set, is called before a request is served (after it was
	// recorded) and may write a response itself (returning true).
	hold func(w http.ResponseWriter, r *http.Request) bool
}

type item struct {
	version int64
	fields  map[string]any
}

type stored struct {
	fingerprint [32]byte
	status      int
	etag        string
	body        []byte
}

// applied is a write the server applied, with its key.
type applied struct {
	key, method, path string
	version           int64
	body              string
}

func newItems() *items {
	return &items{data: map[string]*item{}, keys: map[string]stored{}, inUse: map[string]bool{}}
}

func (s *items) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	rec := r.Clone(context.Background())
	rec.Body = io.NopCloser(bytes.NewReader(body))
	s.requests = append(s.requests, rec)
	hold := s.hold
	s.mu.Unlock()
	if hold != nil && hold(w, r) {
		return
	}
	key := r.Header.Get("Idempotency-Key")
	fp := sha256.Sum256([]byte(r.Method + " " + r.URL.Path + "\n" + string(body)))
	if key != "" && r.Method != http.MethodGet {
		s.mu.Lock()
		if st, ok := s.keys[key]; ok {
			s.mu.Unlock()
			if st.fingerprint != fp {
				problem(w, http.StatusUnprocessableEntity, "key reused with another request")
				return
			}
			w.Header().Set("Idempotent-Replayed", "true")
			writeStored(w, st)
			return
		}
		if s.inUse[key] {
			s.mu.Unlock()
			problem(w, http.StatusConflict, "key in use")
			return
		}
		s.inUse[key] = true
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			delete(s.inUse, key)
			s.mu.Unlock()
		}()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := strings.CutPrefix(r.URL.Path, "/items/")
	if !ok || id == "" {
		problem(w, http.StatusNotFound, "no such endpoint")
		return
	}
	it := s.data[id]
	if r.Method == http.MethodGet {
		if it == nil {
			problem(w, http.StatusNotFound, "no item "+id)
			return
		}
		out, _ := json.Marshal(it.fields)
		writeStored(w, stored{status: 200, etag: etagOf(it.version), body: out})
		return
	}
	if m := r.Header.Get("If-Match"); m != "" && (it == nil || (m != "*" && m != etagOf(it.version))) {
		if it != nil {
			w.Header().Set("ETag", etagOf(it.version))
		}
		problem(w, http.StatusPreconditionFailed, "the item changed")
		return
	}
	var st stored
	switch r.Method {
	case http.MethodPut, http.MethodPatch:
		var fields map[string]any
		if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
			problem(w, http.StatusUnprocessableEntity, "the body must be a JSON object")
			return
		}
		if _, bad := fields["invalid"]; bad {
			problem(w, http.StatusUnprocessableEntity, "a field is invalid")
			return
		}
		status := http.StatusOK
		switch {
		case it == nil && r.Method == http.MethodPatch:
			problem(w, http.StatusNotFound, "no item "+id)
			return
		case it == nil:
			it = &item{fields: map[string]any{}}
			s.data[id] = it
			status = http.StatusCreated
		case r.Method == http.MethodPut:
			it.fields = map[string]any{}
		}
		for k, v := range fields {
			it.fields[k] = v
		}
		it.version++
		out, _ := json.Marshal(it.fields)
		st = stored{status: status, etag: etagOf(it.version), body: out}
	case http.MethodDelete:
		if it == nil {
			problem(w, http.StatusNotFound, "no item "+id)
			return
		}
		delete(s.data, id)
		st = stored{status: http.StatusNoContent}
	default:
		problem(w, http.StatusMethodNotAllowed, r.Method)
		return
	}
	ver := int64(0)
	if it := s.data[id]; it != nil {
		ver = it.version
	}
	s.applied = append(s.applied, applied{key: key, method: r.Method, path: r.URL.Path, version: ver, body: string(body)})
	if key != "" {
		st.fingerprint = fp
		s.keys[key] = st
	}
	writeStored(w, st)
}

func etagOf(v int64) string { return `"` + strconv.FormatInt(v, 10) + `"` }

func writeStored(w http.ResponseWriter, st stored) {
	if st.etag != "" {
		w.Header().Set("ETag", st.etag)
	}
	if st.body != nil {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(st.status)
	w.Write(st.body)
}

func problem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"type":"about:blank","title":%q,"status":%d,"detail":%q}`, http.StatusText(status), status, detail)
}

// get returns an item's fields and version (nil when absent).
func (s *items) get(id string) (map[string]any, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if it := s.data[id]; it != nil {
		return it.fields, it.version
	}
	return nil, 0
}

// set changes an item as another client would, without a key.
func (s *items) set(id string, fields map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.data[id]
	if it == nil {
		it = &item{fields: map[string]any{}}
		s.data[id] = it
	}
	for k, v := range fields {
		it.fields[k] = v
	}
	it.version++
}

func (s *items) appliedWrites() []applied {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]applied(nil), s.applied...)
}

func (s *items) received() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Request(nil), s.requests...)
}

// The operations of the items API, as generated code declares them.
var (
	opPut    = &sdk.Operation{ID: "putItem", Method: http.MethodPut, Path: "/items/{id}"}
	opPatch  = &sdk.Operation{ID: "patchItem", Method: http.MethodPatch, Path: "/items/{id}"}
	opDelete = &sdk.Operation{ID: "deleteItem", Method: http.MethodDelete, Path: "/items/{id}"}
	opGet    = &sdk.Operation{ID: "getItem", Method: http.MethodGet, Path: "/items/{id}"}
)

// write returns the call of a write to /items/id, as a generated method
// makes it: the body is JSON, headers are name, value pairs.
func write(c *sdk.Client, op *sdk.Operation, id string, body any, headers ...string) outbox.Call {
	return func(ctx context.Context, opts ...sdk.Option) error {
		resp, err := sdkimpl.Do(ctx, c, op, func(server string) (*http.Request, error) {
			var r io.Reader
			if body != nil {
				data, err := json.Marshal(body)
				if err != nil {
					return nil, err
				}
				r = bytes.NewReader(data)
			}
			req, err := http.NewRequest(op.Method, server+"items/"+id, r)
			if err != nil {
				return nil, err
			}
			if body != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			for i := 0; i+1 < len(headers); i += 2 {
				req.Header.Set(headers[i], headers[i+1])
			}
			return req, nil
		}, opts...)
		if err == nil {
			return sdkimpl.NoContent(resp)
		}
		return err
	}
}

// get reads an item through the client.
func get(t *testing.T, c *sdk.Client, id string) (map[string]any, string) {
	t.Helper()
	var got map[string]any
	var resp *http.Response
	r, err := sdkimpl.Do(t.Context(), c, opGet, func(server string) (*http.Request, error) {
		return http.NewRequest(http.MethodGet, server+"items/"+id, nil)
	}, sdk.WithResponse(&resp))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	return got, resp.Header.Get("ETag")
}

// fastRetries makes the client's own retries quick.
var fastRetries = sdk.WithRetry(sdk.RetryPolicy{MaxRetries: 2, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond})

// newClient is a client of url with a bearer token and quick retries.
func newClient(t *testing.T, url string, opts ...sdk.Option) *sdk.Client {
	t.Helper()
	c, err := sdk.NewClient(url, append([]sdk.Option{sdk.WithBearerToken("test-token-0123456789"), fastRetries}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// serve runs h on loopback until the test ends.
func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// open opens a queue in the test's folder, closed when the test ends,
// with quick backoff.
func open(t *testing.T, opts ...outbox.Option) (*outbox.Queue, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "outbox.db")
	q, err := outbox.Open(path, append([]outbox.Option{outbox.WithBackoff(time.Millisecond, 20*time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q, path
}

// events collects a queue's events.
type events struct {
	mu  sync.Mutex
	all []outbox.Event
}

func (e *events) add(ev outbox.Event) {
	e.mu.Lock()
	e.all = append(e.all, ev)
	e.mu.Unlock()
}

func (e *events) kinds(id uint64) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.all {
		if ev.Entry.ID == id {
			out = append(out, ev.Kind.String())
		}
	}
	return out
}

// enqueue queues a call, failing the test if it cannot.
func enqueue(t *testing.T, q *outbox.Queue, call outbox.Call, opts ...outbox.WriteOption) *outbox.Handle {
	t.Helper()
	h, err := q.Enqueue(t.Context(), call, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// wait waits for a handle, within 10 seconds.
func wait(t *testing.T, h *outbox.Handle) (*outbox.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	res, err := h.Wait(ctx)
	if ctx.Err() != nil {
		t.Fatalf("write %d: not done within 10 s", h.ID)
	}
	return res, err
}

// fileHas reports whether the file at path holds any of secrets.
func fileHas(t *testing.T, path string, secrets ...string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, s := range secrets {
		if bytes.Contains(data, []byte(s)) {
			found = append(found, s)
		}
	}
	return found
}
