package features_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"

	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sdkgen-go/sdkgen/internal/testsdk/features"
	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/nullable"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder is an httptest server that records what it receives and
// answers with a handler the test sets.
type recorder struct {
	*httptest.Server
	mu       sync.Mutex
	requests []recorded
	handle   func(w http.ResponseWriter, r *http.Request, body []byte)
}

type recorded struct {
	Host, Method, Path, Query, ContentType string
	Header                                 http.Header
	Body                                   []byte
}

func newRecorder(t *testing.T, tls bool, handle func(w http.ResponseWriter, r *http.Request, body []byte)) *recorder {
	rec := &recorder{handle: handle}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.requests = append(rec.requests, recorded{r.Host, r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type"), r.Header.Clone(), body})
		rec.mu.Unlock()
		rec.handle(w, r, body)
	})
	if tls {
		rec.Server = httptest.NewTLSServer(h)
	} else {
		rec.Server = httptest.NewServer(h)
	}
	t.Cleanup(rec.Close)
	return rec
}

func (r *recorder) last(t *testing.T) recorded {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.requests) == 0 {
		t.Fatal("the server received nothing")
	}
	return r.requests[len(r.requests)-1]
}

func (r *recorder) all() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.requests...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func newClient(t *testing.T, base string, opts ...sdk.Option) *features.Client {
	t.Helper()
	c, err := features.NewClient(base, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Servers: the spec's default (with variable defaults), a server of a path
// and of an operation, used when the client keeps the spec's server; an
// explicit base URL wins over all of them, and a call's own over that.
func TestServersAtThreeLevels(t *testing.T) {
	if features.DefaultBaseURL != "https://eu.features.example.com/v2" {
		t.Errorf("DefaultBaseURL = %q", features.DefaultBaseURL)
	}
	if u, err := features.Servers[0].URLWith(map[string]string{"region": "us"}); err != nil || u != "https://us.features.example.com/v2" {
		t.Errorf("URLWith = %q, %v", u, err)
	}
	if _, err := features.Servers[0].URLWith(map[string]string{"region": "mars"}); err == nil {
		t.Errorf("a value outside the enum was accepted")
	}
	if _, err := features.Servers[0].URLWith(map[string]string{"planet": "x"}); err == nil {
		t.Errorf("an unknown variable was accepted")
	}

	rec := newRecorder(t, true, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		switch r.URL.Path {
		case "/v2/things", "/things":
			writeJSON(w, 200, []features.Thing{})
		case "/files/a.txt":
			_, _ = io.WriteString(w, "data")
		case "/prod/login", "/login":
			writeJSON(w, 200, map[string]string{"session": "s"})
		default:
			http.NotFound(w, r)
		}
	})
	// Every host name resolves to the test server.
	hc := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, rec.Listener.Addr().String())
		},
	}}
	ctx := context.Background()

	c := newClient(t, "", sdk.WithHTTPClient(hc))
	if _, err := c.Things.ListThings(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := rec.last(t); got.Host != "eu.features.example.com" || got.Path != "/v2/things" {
		t.Errorf("document server: got %s%s", got.Host, got.Path)
	}
	body, err := c.Files.Download(ctx, "a.txt")
	if err != nil {
		t.Fatal(err)
	}
	body.Close()
	if got := rec.last(t); got.Host != "files.features.example.com" {
		t.Errorf("path server: got host %s", got.Host)
	}
	if _, err := c.Default.Login(ctx, features.LoginFormdataRequestBody{User: "u", Password: "p"}); err != nil {
		t.Fatal(err)
	}
	if got := rec.last(t); got.Host != "auth.features.example.com" || got.Path != "/prod/login" {
		t.Errorf("operation server: got %s%s", got.Host, got.Path)
	}

	// An explicit base URL wins over the servers of paths and operations.
	explicit := newClient(t, rec.URL, sdk.WithHTTPClient(hc))
	if _, err := explicit.Default.Login(ctx, features.LoginFormdataRequestBody{User: "u", Password: "p"}); err != nil {
		t.Fatal(err)
	}
	if got := rec.last(t); got.Path != "/login" || strings.Contains(got.Host, "example.com") {
		t.Errorf("explicit base: got %s%s", got.Host, got.Path)
	}
	// And a call's own base URL wins over the client's.
	if _, err := explicit.Things.ListThings(ctx, nil, sdk.WithBaseURL("https://other.example.com")); err != nil {
		t.Fatal(err)
	}
	if got := rec.last(t); got.Host != "other.example.com" {
		t.Errorf("per-call base: got host %s", got.Host)
	}
}

func TestBodiesOfEveryKind(t *testing.T) {
	rec := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request, body []byte) {
		switch {
		case r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/note"):
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = io.WriteString(w, "remember the milk")
		case r.Method == "PUT" && strings.HasSuffix(r.URL.Path, "/note"):
			w.WriteHeader(204)
		case r.Method == "POST" && r.URL.Path == "/login":
			writeJSON(w, 200, map[string]string{"session": "sess-1"})
		case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/files/"):
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write(bytes.Repeat([]byte("0123456789"), 100_000))
		case r.Method == "PUT" && strings.HasPrefix(r.URL.Path, "/files/"):
			sum := sha256.Sum256(body)
			w.Header().Set("X-Sum", hex.EncodeToString(sum[:]))
			w.WriteHeader(201)
		case strings.HasSuffix(r.URL.Path, "/summary"):
			writeJSON(w, 200, map[string]any{"id": "t1", "words": 42})
		case r.URL.Path == "/health":
			w.WriteHeader(204)
		default:
			http.NotFound(w, r)
		}
	})
	ctx := context.Background()
	c := newClient(t, rec.URL)

	note, err := c.Things.GetNote(ctx, "t1")
	if err != nil || note != "remember the milk" {
		t.Errorf("text response: %q, %v", note, err)
	}
	if err := c.Things.PutNote(ctx, "t1", "buy bread"); err != nil {
		t.Fatal(err)
	}
	if got := rec.last(t); got.ContentType != "text/plain" || string(got.Body) != "buy bread" {
		t.Errorf("text request: %q %q", got.ContentType, got.Body)
	}
	sess, err := c.Default.Login(ctx, features.LoginFormdataRequestBody{User: "ann", Password: "p&ss w"})
	if err != nil || sess.Session != "sess-1" {
		t.Fatalf("form request: %+v, %v", sess, err)
	}
	if got := rec.last(t); got.ContentType != "application/x-www-form-urlencoded" || string(got.Body) != "password=p%26ss+w&user=ann" {
		t.Errorf("form request: %q %q", got.ContentType, got.Body)
	}
	dl, err := c.Files.Download(ctx, "big.bin")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, dl)
	dl.Close()
	if err != nil || n != 1_000_000 {
		t.Errorf("download: %d bytes, %v", n, err)
	}
	payload := bytes.Repeat([]byte("abc"), 300_000)
	var resp *http.Response
	if err := c.Files.Upload(ctx, "up.bin", bytes.NewReader(payload), sdk.WithResponse(&resp)); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(payload)
	if got := rec.last(t); got.ContentType != "application/octet-stream" || resp.Header.Get("X-Sum") != hex.EncodeToString(sum[:]) {
		t.Errorf("upload: content type %q, checksum %q", got.ContentType, resp.Header.Get("X-Sum"))
	}
	summary, err := c.Things.GetThingSummary(ctx, "t1")
	if err != nil || summary.ID != "t1" || summary.Words != 42 {
		t.Errorf("inline response object: %+v, %v", summary, err)
	}
	if err := c.Default.Health(ctx); err != nil {
		t.Errorf("no-content operation: %v", err)
	}
}

func TestSuccessStatuses(t *testing.T) {
	status := 200
	rec := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request, body []byte) {
		switch {
		case r.Method == "POST":
			if status == 200 {
				writeJSON(w, 200, features.Thing{ID: "t1", Name: "a", Kind: features.KindGadget})
			} else {
				writeJSON(w, 202, features.Job{JobID: "j1"})
			}
		case r.Method == "PATCH":
			w.WriteHeader(204)
		}
	})
	ctx := context.Background()
	c := newClient(t, rec.URL)
	res, err := c.Things.CreateThing(ctx, features.NewThing{Name: "a", Kind: features.KindGadget})
	if err != nil || res.StatusCode != 200 || res.JSON200 == nil || res.JSON200.ID != "t1" || res.JSON202 != nil {
		t.Errorf("200: %+v, %v", res, err)
	}
	status = 202
	res, err = c.Things.CreateThing(ctx, features.NewThing{Name: "a", Kind: features.KindGadget})
	if err != nil || res.StatusCode != 202 || res.JSON202 == nil || res.JSON202.JobID != "j1" || res.JSON200 != nil {
		t.Errorf("202: %+v, %v", res, err)
	}
	thing, err := c.Things.PatchThing(ctx, "t1", features.ThingPatch{})
	if err != nil || thing != nil {
		t.Errorf("204 beside a 200 with a body: %+v, %v", thing, err)
	}
}

func TestDeclaredErrors(t *testing.T) {
	rec := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("X-Request-Id", "req-77")
		switch {
		case r.Method == "GET" && r.URL.Path == "/things/missing":
			writeJSON(w, 404, features.Error{Message: "no thing missing"})
		case r.Method == "POST":
			writeJSON(w, 409, map[string]string{"reason": "duplicate", "existingId": "t9"})
		case r.URL.Path == "/things":
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"type":"about:blank","title":"Bad filter","status":400,"detail":"kind must be gadget or widget","hint":"see docs"}`)
		}
	})
	ctx := context.Background()
	c := newClient(t, rec.URL)

	_, err := c.Things.GetThing(ctx, "missing")
	var nf *features.ErrorResponse
	if !errors.As(err, &nf) || nf.Body.Message != "no thing missing" {
		t.Fatalf("404: %v", err)
	}
	var apiErr *sdk.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.RequestID != "req-77" || apiErr.Operation != "getThing" || apiErr.Method != "GET" {
		t.Fatalf("APIError: %+v", apiErr)
	}
	if want := "getThing: GET " + rec.URL + "/things/missing: 404 Not Found: ErrorResponse: no thing missing (request id req-77)"; err.Error() != want {
		t.Errorf("Error() = %q\nwant      %q", err.Error(), want)
	}

	_, err = c.Things.CreateThing(ctx, features.NewThing{Name: "a", Kind: features.KindWidget})
	var conflict *features.CreateThing409Error
	if !errors.As(err, &conflict) || conflict.Body.Reason != "duplicate" || conflict.Body.ExistingID != "t9" {
		t.Errorf("inline 409 body: %v", err)
	}

	_, err = c.Things.ListThings(ctx, &features.ListThingsParams{Kind: ptr(features.Kind("gizmo"))})
	var problem *features.ProblemError
	if !errors.As(err, &problem) || problem.Body.Title != "Bad filter" {
		t.Fatalf("problem+json as the declared default: %v", err)
	}
	if !errors.As(err, &apiErr) || apiErr.Problem == nil || apiErr.Problem.Detail != "kind must be gadget or widget" || string(apiErr.Problem.Extensions["hint"]) != `"see docs"` {
		t.Errorf("APIError.Problem: %+v", apiErr.Problem)
	}
	if !strings.Contains(err.Error(), "Bad filter: kind must be gadget or widget") {
		t.Errorf("Error() = %q", err.Error())
	}
}

func ptr[T any](v T) *T { return &v }

// A value the spec did not list still decodes: an enum value, and a oneOf
// variant.
func TestForwardCompatibleDecoding(t *testing.T) {
	rec := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"t1","name":"n","kind":"gizmo","shape":{"type":"triangle","corners":3}}`)
	})
	c := newClient(t, rec.URL)
	thing, err := c.Things.GetThing(context.Background(), "t1")
	if err != nil {
		t.Fatalf("an unknown enum value or union variant failed the call: %v", err)
	}
	if thing.Kind != "gizmo" || thing.Kind.Valid() {
		t.Errorf("kind = %q, Valid() = %v; want the unknown value kept, not valid", thing.Kind, thing.Kind.Valid())
	}
	if _, err := thing.Shape.ValueByDiscriminator(); err == nil {
		t.Errorf("unknown variant resolved to a known type")
	}
	if d, _ := thing.Shape.Discriminator(); d != "triangle" {
		t.Errorf("discriminator = %q", d)
	}
	out, _ := json.Marshal(thing.Shape)
	if string(out) != `{"type":"triangle","corners":3}` {
		t.Errorf("unknown variant not kept as sent: %s", out)
	}
}

// A PATCH body says "leave it", "clear it" and "set it" apart.
func TestPatchAbsentNullAndValue(t *testing.T) {
	rec := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request, _ []byte) { w.WriteHeader(204) })
	c := newClient(t, rec.URL)
	ctx := context.Background()
	for _, tc := range []struct {
		patch features.ThingPatch
		want  string
	}{
		{features.ThingPatch{}, `{}`},
		{features.ThingPatch{Label: nullable.Null[string]()}, `{"label":null}`},
		{features.ThingPatch{Label: nullable.Of("blue"), Name: ptr("b")}, `{"label":"blue","name":"b"}`},
	} {
		if _, err := c.Things.PatchThing(ctx, "t1", tc.patch); err != nil {
			t.Fatal(err)
		}
		got := rec.last(t)
		if strings.TrimSpace(string(got.Body)) != tc.want || got.ContentType != "application/merge-patch+json" {
			t.Errorf("PATCH body %s (%s), want %s", got.Body, got.ContentType, tc.want)
		}
	}
}

// Query, header and cookie parameters travel where the spec says.
func TestParametersTravel(t *testing.T) {
	rec := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request, _ []byte) { writeJSON(w, 200, []features.Thing{}) })
	c := newClient(t, rec.URL)
	_, err := c.Things.ListThings(context.Background(), &features.ListThingsParams{
		Kind: ptr(features.KindWidget), XTrace: ptr("trace-1"), Session: ptr("sess-9"),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := rec.last(t)
	if got.Query != "kind=widget" || got.Header.Get("X-Trace") != "trace-1" || !strings.Contains(got.Header.Get("Cookie"), "session=sess-9") {
		t.Errorf("query %q, header %q, cookie %q", got.Query, got.Header.Get("X-Trace"), got.Header.Get("Cookie"))
	}
	if ua := got.Header.Get("User-Agent"); !strings.HasPrefix(ua, "sdkgen-go/") {
		t.Errorf("User-Agent = %q", ua)
	}
}

// An operation the spec marks idempotent sends one Idempotency-Key, the
// same on every attempt, and is retried although it is a POST.
func TestIdempotentPostIsRetriedWithOneKey(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	rec := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n < 3 {
			w.Header().Set("Connection", "close")
			w.WriteHeader(503)
			return
		}
		writeJSON(w, 200, features.Thing{ID: "t1"})
	})
	c := newClient(t, rec.URL, sdk.WithSleeper(noSleep{}))
	if _, err := c.Things.CreateThing(context.Background(), features.NewThing{Name: "a", Kind: features.KindGadget}); err != nil {
		t.Fatal(err)
	}
	reqs := rec.all()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	key := reqs[0].Header.Get("Idempotency-Key")
	if len(key) != 36 {
		t.Fatalf("Idempotency-Key = %q", key)
	}
	for i, r := range reqs {
		if r.Header.Get("Idempotency-Key") != key || !bytes.Equal(r.Body, reqs[0].Body) {
			t.Errorf("attempt %d: key %q body %s", i+1, r.Header.Get("Idempotency-Key"), r.Body)
		}
	}
}

type noSleep struct{}

func (noSleep) Sleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }
func (noSleep) Now() time.Time                                   { return time.Now() }

// The generated method of a deprecated operation says so where tools look.
func TestDeprecationIsMarked(t *testing.T) {
	src, err := os.ReadFile("service_things.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	want := "// Deprecated: the spec marks this operation deprecated.\nfunc (s *ThingsService) DeleteThing("
	if !strings.Contains(string(src), want) {
		t.Errorf("DeleteThing is not marked deprecated")
	}
}

// Fakes: a test can replace a service with its own implementation.
func TestServicesCanBeFaked(t *testing.T) {
	c := newClient(t, "http://127.0.0.1:1")
	c.Things = fakeThings{}
	got, err := c.Things.GetThing(context.Background(), "x")
	if err != nil || got.ID != "fake-x" {
		t.Errorf("fake: %+v, %v", got, err)
	}
}

type fakeThings struct{ features.ThingsAPI }

func (fakeThings) GetThing(_ context.Context, id string, _ ...sdk.Option) (*features.Thing, error) {
	return &features.Thing{ID: "fake-" + id}, nil
}
