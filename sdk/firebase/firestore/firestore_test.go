package firestore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/firebase/firestore"
	v1 "github.com/sdkgen-go/sdkgen/sdk/firebase/firestore/firestorev1"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// pathServer records the raw paths it is sent and answers runQuery over n
// documents of rooms/lobby/messages, honouring limit and a startAt cursor
// on __name__ (the only order these tests use), as Firestore does.
type pathServer struct {
	mu    sync.Mutex
	paths []string
	pages int
	docs  []string
}

func (s *pathServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.paths = append(s.paths, r.Method+" "+r.URL.EscapedPath())
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if !strings.HasSuffix(r.URL.Path, ":runQuery") {
		name := strings.TrimPrefix(r.URL.Path, "/v1/")
		if r.Method == http.MethodPost { // createDocument
			name += "/" + r.URL.Query().Get("documentId")
		}
		json.NewEncoder(w).Encode(map[string]any{"name": name, "fields": map[string]any{"text": map[string]string{"stringValue": "hi"}}})
		return
	}
	var req struct {
		StructuredQuery struct {
			Limit   int `json:"limit"`
			StartAt *struct {
				Values []v1.Value `json:"values"`
				Before bool       `json:"before"`
			} `json:"startAt"`
			OrderBy []struct {
				Field struct{ FieldPath string } `json:"field"`
			} `json:"orderBy"`
		} `json:"structuredQuery"`
	}
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	q := req.StructuredQuery
	if n := len(q.OrderBy); n == 0 || q.OrderBy[n-1].Field.FieldPath != "__name__" {
		http.Error(w, `{"error":{"code":400,"message":"order by __name__ last"}}`, 400)
		return
	}
	s.mu.Lock()
	s.pages++
	s.mu.Unlock()
	start := 0
	if q.StartAt != nil {
		after := *q.StartAt.Values[len(q.StartAt.Values)-1].ReferenceValue
		start = slices.Index(s.docs, after) + 1
		if q.StartAt.Before {
			start--
		}
	}
	out := []map[string]any{}
	for _, name := range s.docs[start:min(len(s.docs), start+q.Limit)] {
		out = append(out, map[string]any{"document": map[string]any{"name": name,
			"fields": map[string]any{"n": map[string]string{"stringValue": name[strings.LastIndexByte(name, '/')+1:]}}}})
	}
	if len(out) == 0 {
		out = append(out, map[string]any{"readTime": "2026-12-06T00:00:00Z"}) // no document: what Firestore sends
	}
	json.NewEncoder(w).Encode(out)
}

func newTestClient(t *testing.T, h http.Handler) *firestore.Client {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := firestore.NewClient("demo-project", firestore.WithBaseURL(srv.URL), firestore.WithSDKOptions(sdk.WithMaxRetries(0)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Resource names keep their slashes: a request for rooms/lobby goes to
// .../documents/rooms/lobby, never .../documents%2Frooms%2Flobby, which
// Firestore would not find.
func TestResourceNamesKeepTheirSlashes(t *testing.T) {
	s := &pathServer{}
	c := newTestClient(t, s)
	ctx := context.Background()
	if _, err := firestore.Get[map[string]any](ctx, c.Doc("rooms/lobby")); err != nil {
		t.Fatal(err)
	}
	if _, err := firestore.Create(ctx, c.Collection("rooms/lobby/messages"), "m1", map[string]string{"text": "hi"}); err != nil {
		t.Fatal(err)
	}
	for range firestore.Run[map[string]any](ctx, c.Collection("rooms/lobby/messages").Query()) {
	}
	const root = "/v1/projects/demo-project/databases/%28default%29/documents"
	want := []string{
		"GET " + root + "/rooms/lobby",
		"POST " + root + "/rooms/lobby/messages",
		"POST " + root + "/rooms/lobby:runQuery",
	}
	if !slices.Equal(s.paths, want) {
		t.Fatalf("paths:\n%s\nwant\n%s", strings.Join(s.paths, "\n"), strings.Join(want, "\n"))
	}
}

// A query is paged by cursors: every document once, in order, in pages of
// the page size, and a limit stops it.
func TestQueryPages(t *testing.T) {
	s := &pathServer{}
	for i := range 23 {
		s.docs = append(s.docs, fmt.Sprintf("projects/demo-project/databases/(default)/documents/rooms/lobby/messages/m%02d", i))
	}
	c := newTestClient(t, s)
	msgs := c.Collection("rooms/lobby/messages")
	var got []string
	for doc, err := range firestore.Run[struct {
		N string `firestore:"n"`
	}](context.Background(), msgs.Query().PageSize(5)) {
		if err != nil {
			t.Fatal(err)
		}
		if doc.Data.N != doc.Ref.ID() {
			t.Fatalf("document %s decoded as %q", doc.Ref.Path(), doc.Data.N)
		}
		got = append(got, doc.Ref.ID())
	}
	if len(got) != 23 || got[0] != "m00" || got[22] != "m22" || !slices.IsSorted(got) || s.pages != 5 {
		t.Fatalf("got %d documents in %d pages: %v", len(got), s.pages, got)
	}
	got = got[:0]
	for doc, err := range firestore.Run[map[string]any](context.Background(), msgs.Query().PageSize(5).Limit(7)) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, doc.Ref.ID())
	}
	if len(got) != 7 || got[6] != "m06" {
		t.Fatalf("limit 7: %v", got)
	}
	for _, q := range []firestore.Query{msgs.Where("n", "~", 1), msgs.Query().OrderBy("n", "up"), msgs.Query().PageSize(0), c.Collection("rooms/lobby").Query()} {
		for _, err := range firestore.Run[any](context.Background(), q) {
			var qe *firestore.QueryError
			var pe *firestore.PathError
			if !errors.As(err, &qe) && !errors.As(err, &pe) {
				t.Errorf("a bad query: %v", err)
			}
		}
	}
}
