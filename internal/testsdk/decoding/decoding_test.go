package decoding_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"
	"go.uber.org/goleak"

	"github.com/sdkgen-go/sdkgen/internal/testsdk/decoding"
	"github.com/sdkgen-go/sdkgen/sdk"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// event returns the JSON of a well-formed event with id i, its twelve
// dates and times included.
func event(i int) map[string]any {
	return map[string]any{
		"id": i, "name": fmt.Sprintf("event %d", i), "start_on": "2025-10-15", "end_on": "2025-10-16",
		"created_at": "2025-10-01T09:00:00Z", "updated_at": "2025-10-02T09:00:00Z", "status": "scheduled",
		"capacity": 100, "price": 12.5, "tags": []string{"a", "b"}, "labels": map[string]string{"k": "v"},
		"venue":     map[string]any{"name": "hall", "opened_on": "1990-01-01", "seats": 300},
		"organizer": map[string]any{"name": "org", "since": "2001-01-01T00:00:00Z"},
		"ticket":    map[string]any{"kind": "paid", "amount": 12.5},
	}
}

// page is a page of n events, from first, with changes made to some of
// them; next is the next cursor ("" for null).
func page(first, n int, next string, change map[int]map[string]any) []byte {
	var data []map[string]any
	for i := first; i < first+n; i++ {
		e := event(i)
		for k, v := range change[i] {
			e[k] = v
		}
		data = append(data, e)
	}
	var cursor any
	if next != "" {
		cursor = next
	}
	b, err := json.Marshal(map[string]any{"data": data, "next_cursor": cursor})
	if err != nil {
		panic(err)
	}
	return b
}

// serve answers GET /events?cursor=X with pages[X] and GET /events/1
// with one.
func serve(t *testing.T, pages map[string][]byte, one []byte) *decoding.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/events/1" {
			_, _ = w.Write(one)
			return
		}
		_, _ = w.Write(pages[r.URL.Query().Get("cursor")])
	}))
	t.Cleanup(srv.Close)
	c, err := decoding.NewClient(srv.URL, sdk.WithoutRetries())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

var dateType = reflect.TypeFor[openapi_types.Date]()

// The case: a date-time where a date goes, in a body with twelve
// date fields per event. The error names the field, its Go type and the
// cause, on one line; errors.As still reaches *time.ParseError.
func TestDecodeErrorNamesTheField(t *testing.T) {
	bad := map[int]map[string]any{3: {"start_on": "2025-10-15T13:51:00.926Z"}}
	for _, n := range []int{10, 500} { // one buffered body, one streamed (over 32 KiB)
		c := serve(t, map[string][]byte{"": page(0, n, "", bad)}, nil)
		_, err := c.Events.ListEvents(context.Background(), nil).NextPage(context.Background())
		var de *sdk.DecodeError
		if !errors.As(err, &de) {
			t.Fatalf("%d events: %v", n, err)
		}
		if de.Path != "data[3].start_on" || de.Type != dateType {
			t.Errorf("%d events: at %q (%v)", n, de.Path, de.Type)
		}
		want := `listEvents: decoding 200 response: data[3].start_on (types.Date): parsing time "2025-10-15T13:51:00.926Z": extra text: "T13:51:00.926Z"`
		if err.Error() != want {
			t.Errorf("%d events:\n got %s\nwant %s", n, err, want)
		}
		var pe *time.ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%d events: errors.As(*time.ParseError) fails", n)
		}
	}
	// Deep in a streamed page, in a nullable object.
	bad = map[int]map[string]any{1234: {"organizer": map[string]any{"name": "o", "since": "yesterday"}}}
	c := serve(t, map[string][]byte{"": page(0, 2000, "", bad)}, nil)
	_, err := c.Events.ListEvents(context.Background(), nil).NextPage(context.Background())
	var de *sdk.DecodeError
	if !errors.As(err, &de) || de.Path != "data[1234].organizer.since" || de.Type != reflect.TypeFor[time.Time]() {
		t.Errorf("got %v", err)
	}
}

type collected struct {
	mu  sync.Mutex
	all []string
}

func (c *collected) report(e *sdk.DecodeError) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.all = append(c.all, e.Path+" ("+fmt.Sprint(e.Type)+")")
}

// Lenient decoding, per call, through a pager over three pages (the
// second streamed): each value that does not fit is left zero and
// reported, and everything else arrives.
func TestLenientDecodingOfGeneratedTypes(t *testing.T) {
	pages := map[string][]byte{
		"": page(0, 10, "p2", map[int]map[string]any{
			1: {"start_on": "2025-10-15T13:51:00.926Z"},     // a date-time for a date
			2: {"status": map[string]any{"v": "scheduled"}}, // an object for an enum
			3: {"organizer": map[string]any{"name": "o", "since": "soon"}},
			5: {"capacity": "ten", "price": "free"},
			6: {"labels": map[string]any{"ok": "x", "n": 1}},
			7: {"tags": []any{"a", 2, "c"}, "updated_at": "never"},
			8: {"venue": map[string]any{"name": "v", "opened_on": "1990-13-45", "seats": 300}},
		}),
		"p2": page(10, 400, "p3", map[int]map[string]any{300: {"end_on": "tomorrow"}}),
		"p3": page(410, 2, "", nil),
	}
	c := serve(t, pages, nil)
	var rep collected
	var got []decoding.Event
	for e, err := range c.Events.ListEvents(context.Background(), nil, sdk.WithLenientDecoding(rep.report)).All() {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e)
	}
	if len(got) != 412 {
		t.Fatalf("%d events, want 412", len(got))
	}
	want := []string{
		"data[1].start_on (types.Date)", "data[2].status (decoding.Status)", "data[3].organizer.since (time.Time)",
		"data[5].capacity (int)", "data[5].price (float64)", "data[6].labels.n (string)",
		"data[7].tags[1] (string)", "data[7].updated_at (time.Time)", "data[8].venue.opened_on (types.Date)",
		"data[290].end_on (types.Date)", // event 300, the 291st of its page
	}
	if !reflect.DeepEqual(rep.all, want) {
		t.Errorf("reported\n%q\nwant\n%q", rep.all, want)
	}
	ok := event(0)
	for i, e := range got {
		if e.ID != int64(i) || e.Name != fmt.Sprintf("event %d", i) || !e.CreatedAt.Equal(time.Date(2025, 10, 1, 9, 0, 0, 0, time.UTC)) {
			t.Fatalf("event %d: %+v", i, e)
		}
	}
	if !got[1].StartOn.IsZero() || got[1].EndOn.IsZero() || got[1].EndOn.String() != ok["end_on"] {
		t.Errorf("event 1: start %v end %v", got[1].StartOn, got[1].EndOn)
	}
	if got[2].Status != "" || got[2].Venue == nil || got[2].Venue.Name != "hall" {
		t.Errorf("event 2: %+v", got[2])
	}
	if o, ok := got[3].Organizer.Value(); !ok || o.Name != "o" || !o.Since.IsZero() {
		t.Errorf("event 3: organizer %+v", got[3].Organizer)
	}
	if got[5].Capacity != 0 || got[5].Price != 0 || got[5].Tags == nil {
		t.Errorf("event 5: %+v", got[5])
	}
	if got[6].Labels == nil || !reflect.DeepEqual(got[6].Labels, map[string]string{"ok": "x", "n": ""}) {
		t.Errorf("event 6: labels %v", got[6].Labels)
	}
	if got[7].Tags == nil || !reflect.DeepEqual(got[7].Tags, []string{"a", "", "c"}) || got[7].UpdatedAt.IsSpecified() {
		t.Errorf("event 7: tags %v updated %v", got[7].Tags, got[7].UpdatedAt)
	}
	if v := got[8].Venue; v == nil || v.Name != "v" || !v.OpenedOn.IsZero() || v.Seats != 300 {
		t.Errorf("event 8: venue %+v", got[8].Venue)
	}
	if !got[300].EndOn.IsZero() || got[300].StartOn.String() != "2025-10-15" {
		t.Errorf("event 300: %+v", got[300])
	}
	// A union's own UnmarshalJSON takes any JSON: what it holds is checked
	// when it is read (AsPaidTicket), not while decoding.
	if tk, err := got[0].Ticket.AsPaidTicket(); err != nil || tk.Amount != 12.5 {
		t.Errorf("ticket: %+v, %v", tk, err)
	}
}

// Lenient decoding set on the client applies to every call; a body that
// is not whole JSON still fails.
func TestLenientDecodingOnTheClient(t *testing.T) {
	one := page(0, 1, "", map[int]map[string]any{0: {"created_at": "2025-10-01 09:00"}})
	one = []byte(strings.TrimSuffix(strings.TrimPrefix(string(one), `{"data":[`), `],"next_cursor":null}`))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("cut") != "" {
			_, _ = w.Write(one[:len(one)-1])
			return
		}
		_, _ = w.Write(one)
	}))
	defer srv.Close()
	var rep collected
	c, err := decoding.NewClient(srv.URL, sdk.WithoutRetries(), sdk.WithLenientDecoding(rep.report))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	e, err := c.Events.GetEvent(context.Background(), 1)
	if err != nil || e.Name != "event 0" || !e.CreatedAt.IsZero() || !reflect.DeepEqual(rep.all, []string{"created_at (time.Time)"}) {
		t.Errorf("got %+v, %v; reported %q", e, err, rep.all)
	}
	_, err = c.Events.GetEvent(context.Background(), 1, sdk.WithMiddleware(func(next http.RoundTripper) http.RoundTripper {
		return sdk.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			r = r.Clone(r.Context())
			r.URL.RawQuery = "cut=1"
			return next.RoundTrip(r)
		})
	}))
	var de *sdk.DecodeError
	if !errors.As(err, &de) || de.Path != "" {
		t.Errorf("cut body: %v", err)
	}
}
