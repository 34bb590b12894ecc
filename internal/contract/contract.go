// Package contract runs generated SDKs against Prism, an independent mock
// server that validates every request against the spec: started with
// --errors, it answers a request that breaks the spec with an error instead
// of a 2xx, so a call that succeeds is a call the spec allows. A [Recorder]
// installed on the client notes which operations answered 2xx and any
// violation Prism reports, and [Recorder.Check] fails the test unless every
// operation of the spec was called and none was refused.
package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/sdkgen-go/sdkgen/internal/testenv"
	"github.com/sdkgen-go/sdkgen/sdk"
)

// StartPrism serves spec with Prism's mock server (--errors) on a free
// loopback port and returns its base URL. Prism ignores the spec's server
// path, so operations are at the root. Outside CI it skips the test when
// Prism is not installed.
func StartPrism(t testing.TB, spec string) string {
	t.Helper()
	prism := testenv.NodeBin(t, "prism")
	port := testenv.FreePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	abs, err := filepath.Abs(spec)
	if err != nil {
		t.Fatal(err)
	}
	testenv.Start(t, filepath.Dir(abs), testenv.HTTPReady(base+"/"), 90*time.Second, prism,
		"mock", "--host", "127.0.0.1", "--port", fmt.Sprint(port), "--errors", abs)
	return base
}

// Recorder notes, per operation, the calls that Prism answered 2xx and the
// violations it reported.
type Recorder struct {
	mu         sync.Mutex
	ok         map[string]int
	refused    []string
	violations []string
	mocked     map[string]bool // operations whose mocked response Prism may fail on
	excused    []string
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{ok: map[string]int{}, mocked: map[string]bool{}} }

// AllowMockedResponseViolation accepts, for operation id, Prism's failure
// to produce a response of its own: a 500 problem of Prism's type
// NO_COMPLEX_OBJECT_TEXT (it cannot write an object schema as a text media
// type such as text/event-stream) without any violation. Prism validates
// the request before it mocks, so the request still had to pass; Check
// logs each such call.
func (r *Recorder) AllowMockedResponseViolation(id string) { r.mocked[id] = true }

// Option returns the middleware that records each call's outcome. It runs
// once per call (outside retries), so it sees the final answer.
func (r *Recorder) Option() sdk.Option {
	return sdk.WithMiddleware(func(next http.RoundTripper) http.RoundTripper {
		return sdk.RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
			op := sdk.OperationFrom(req.Context())
			resp, err := next.RoundTrip(req)
			id := "(no operation)"
			if op != nil {
				id = op.ID
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			switch {
			case err == nil && r.mocked[id] && prismCannotMock(resp):
				r.ok[id]++
				r.excused = append(r.excused, fmt.Sprintf("%s: the request passed Prism's validation; Prism could not mock the response", id))
				return resp, err
			case err != nil:
				r.refused = append(r.refused, fmt.Sprintf("%s %s: %v", id, req.URL.Path, err))
			case resp.StatusCode < 200 || resp.StatusCode > 299:
				r.refused = append(r.refused, fmt.Sprintf("%s %s: %s", id, req.URL.Path, resp.Status))
			default:
				r.ok[id]++
			}
			if resp != nil {
				if v := resp.Header.Get("sl-violations"); v != "" {
					r.violations = append(r.violations, fmt.Sprintf("%s: %s", id, v))
				}
			}
			return resp, err
		})
	})
}

// Check fails t unless every operation of spec was answered 2xx at least
// once, no call was refused, and Prism reported no violation.
func (r *Recorder) Check(t testing.TB, spec string) {
	t.Helper()
	ids, err := OperationIDs(spec)
	if err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var missing []string
	for _, id := range ids {
		if r.ok[id] == 0 {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		t.Errorf("operations never answered 2xx: %s", strings.Join(missing, ", "))
	}
	for _, s := range r.refused {
		t.Errorf("refused: %s", s)
	}
	for _, v := range r.violations {
		t.Errorf("Prism reported a violation: %s", v)
	}
	for _, e := range r.excused {
		t.Logf("excused: %s", e)
	}
	calls := 0
	for _, n := range r.ok {
		calls += n
	}
	t.Logf("%d operations of %s, %d calls answered 2xx", len(ids), filepath.Base(spec), calls)
}

// prismCannotMock reports whether resp is Prism's 500 for a response it
// could not produce. It peeks at the body and puts it back.
func prismCannotMock(resp *http.Response) bool {
	if resp.StatusCode != http.StatusInternalServerError {
		return false
	}
	head, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	if err != nil {
		return false
	}
	var problem struct {
		Type string `json:"type"`
	}
	return json.Unmarshal(head, &problem) == nil && problem.Type == "https://stoplight.io/prism/errors#NO_COMPLEX_OBJECT_TEXT" &&
		resp.Header.Get("sl-violations") == ""
}

// OperationIDs lists the operationIds of a spec, sorted.
func OperationIDs(spec string) ([]string, error) {
	doc, err := openapi3.NewLoader().LoadFromFile(spec)
	if err != nil {
		return nil, fmt.Errorf("contract: loading %s: %w", spec, err)
	}
	var ids []string
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.OperationID != "" {
				ids = append(ids, op.OperationID)
			}
		}
	}
	slices.Sort(ids)
	return ids, nil
}
