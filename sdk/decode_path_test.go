package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk/nullable"
)

type pathOwner struct {
	Name  string    `json:"name"`
	Since time.Time `json:"since"`
}

type pathEvent struct {
	ID    int                       `json:"id"`
	Start time.Time                 `json:"start_on"`
	End   *time.Time                `json:"end_on,omitempty"`
	Tags  []string                  `json:"tags,omitempty"`
	Attrs map[string]int            `json:"attrs,omitempty"`
	Label nullable.Nullable[string] `json:"label,omitempty"`
	Owner *pathOwner                `json:"owner,omitempty"`
	Count int                       `json:"count,string,omitempty"`
	Extra Opt[pathOwner]            `json:"extra,omitzero"`
}

type pathPage struct {
	Data []pathEvent `json:"data"`
	Next *string     `json:"next"`
}

const okEvent = `{"id":1,"start_on":"2025-10-15T13:51:00Z","tags":["a"],"attrs":{"k":1},"label":"l","owner":{"name":"o","since":"2020-01-01T00:00:00Z"}}`

// pathCases are bodies of a pathPage with one value at fault (or a few:
// the one encoding/json reports is the first error of a method, else the
// first type error), and where it is.
var pathCases = []struct {
	name, body, path string
	typ              reflect.Type
}{
	{"time in an element", `{"data":[` + okEvent + `,` + okEvent + `,` + okEvent + `,{"id":4,"start_on":"2025-10-15"}]}`, "data[3].start_on", reflect.TypeFor[time.Time]()},
	{"type error", `{"data":[{"id":"x"}]}`, "data[0].id", reflect.TypeFor[int]()},
	{"nested", `{"data":[` + okEvent + `,{"owner":{"name":"o","since":"yesterday"}}]}`, "data[1].owner.since", reflect.TypeFor[time.Time]()},
	{"map entry", `{"data":[{"attrs":{"ok":1,"a b":"x"}}]}`, `data[0].attrs["a b"]`, reflect.TypeFor[int]()},
	{"list element", `{"data":[{"tags":["a","b",3]}]}`, "data[0].tags[2]", reflect.TypeFor[string]()},
	{"pointer", `{"data":[{"end_on":"soon"}]}`, "data[0].end_on", reflect.TypeFor[time.Time]()},
	{"nullable", `{"data":[{"label":5}]}`, "data[0].label", reflect.TypeFor[string]()},
	{"string option", `{"data":[{"count":"x"}]}`, "data[0].count", reflect.TypeFor[int]()},
	{"method after a type error", `{"data":[{"id":"x"},{"id":2},{"start_on":"never"}]}`, "data[2].start_on", reflect.TypeFor[time.Time]()},
	{"first type error", `{"data":[{"id":1},{"tags":[1]},{"id":"x"}]}`, "data[1].tags[0]", reflect.TypeFor[string]()},
	{"top-level member", `{"data":[],"next":5}`, "next", reflect.TypeFor[string]()},
	{"case-folded name", `{"DATA":[{"ID":"x"}]}`, "DATA[0].ID", reflect.TypeFor[int]()},
	{"not an object", `{"data":["x"]}`, "data[0]", reflect.TypeFor[pathEvent]()},
	{"inside an Opt", `{"data":[{"extra":{"name":"n","since":2}}]}`, "data[0].extra.since", reflect.TypeFor[time.Time]()},
}

func decodeBody[T any](t *testing.T, body string, opts ...Option) (T, error) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, WithoutRetries())
	resp, err := c.do(context.Background(), testOp, get("/thing"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return decodedAs[T](resp)
}

// decodedAs decodes resp into a T as generated code does.
func decodedAs[T any](resp *http.Response) (T, error) {
	var v T
	err := decodeJSONInto(resp, &v)
	return v, err
}

// padded returns body followed by enough spaces to be decoded as a
// stream (past the buffer, through the filter).
func padded(body string) string { return body + strings.Repeat(" ", 2*bodyBufSize) }

// A decoding error names the value at fault, with its JSON path and Go
// type, in small bodies and in bodies decoded as a stream alike; Err is
// still what encoding/json gives.
func TestDecodeErrorNamesTheValue(t *testing.T) {
	for _, tc := range pathCases {
		for _, size := range []string{"small", "stream"} {
			t.Run(tc.name+"/"+size, func(t *testing.T) {
				body := tc.body
				if size == "stream" {
					body = padded(body)
				}
				sameAsEncodingJSON[pathPage](t, body)
				_, err := decodeBody[pathPage](t, body)
				var de *DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("got %v, want a *DecodeError", err)
				}
				if de.Path != tc.path || de.Type != tc.typ {
					t.Errorf("at %q (%v), want %q (%v): %v", de.Path, de.Type, tc.path, tc.typ, err)
				}
				if msg := err.Error(); !strings.HasPrefix(msg, "getThing: decoding 200 response: "+tc.path+" (") || strings.Contains(msg, "\n") {
					t.Errorf("message %q", msg)
				}
			})
		}
	}
}

// The error of a method keeps its own type for errors.As, and the
// message is one line that names the value.
func TestDecodeErrorMessage(t *testing.T) {
	_, err := decodeBody[pathPage](t, pathCases[0].body)
	want := `getThing: decoding 200 response: data[3].start_on (time.Time): parsing time "2025-10-15" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "T"`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	var pe *time.ParseError
	if !errors.As(err, &pe) {
		t.Errorf("errors.As(*time.ParseError) fails on %v", err)
	}
	_, err = decodeBody[pathPage](t, `{"data":[{"id":"x"}]}`)
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || err.Error() != "getThing: decoding 200 response: data[0].id (int): cannot unmarshal string" {
		t.Errorf("type error: %v", err)
	}
	// A body that is not what the type takes at all keeps the old form.
	_, err = decodeBody[pathPage](t, `"x"`)
	var de *DecodeError
	if !errors.As(err, &de) || de.Path != "" || !strings.Contains(err.Error(), `body starts "\"x\""`) {
		t.Errorf("whole body: %v (path %q)", err, de.Path)
	}
}

// A top-level list names its elements [i], small or streamed.
func TestDecodeErrorInTopLevelList(t *testing.T) {
	body := `[` + okEvent + `,{"id":2,"owner":{"since":1}}]`
	for _, b := range []string{body, padded(body)} {
		_, err := decodeBody[[]pathEvent](t, b)
		var de *DecodeError
		if !errors.As(err, &de) || de.Path != "[1].owner.since" || de.Type != reflect.TypeFor[time.Time]() {
			t.Errorf("%d bytes: %v", len(b), err)
		}
	}
}

// An element longer than what the stream keeps to walk again is named,
// with what encoding/json says of the place inside it.
func TestDecodeErrorInALongElement(t *testing.T) {
	long := strings.Repeat("x", keepPiece+bodyBufSize*4) // past what is kept, whatever the reads
	body := `{"data":[` + okEvent + `,{"tags":["` + long + `"],"owner":{"name":5}}]}`
	_, err := decodeBody[pathPage](t, body)
	var de *DecodeError
	if !errors.As(err, &de) || de.Path != "data[1].owner.name" || de.Type != reflect.TypeFor[string]() {
		t.Errorf("got %v", err)
	}
	body = `{"data":[` + okEvent + `,{"tags":["` + long + `"],"start_on":"x"},{"start_on":"y"}]}`
	_, err = decodeBody[pathPage](t, body)
	if !errors.As(err, &de) || de.Path != "data[1]" || de.Type != nil {
		t.Errorf("got %v", err)
	}
	// The element after it is kept again.
	body = `{"data":[{"tags":["` + long + `"]},{"start_on":"y"}]}`
	_, err = decodeBody[pathPage](t, body)
	if !errors.As(err, &de) || de.Path != "data[1].start_on" {
		t.Errorf("got %v", err)
	}
}

// reports collects what lenient decoding reports, as path (type): cause.
type reports struct {
	mu  sync.Mutex
	got []string
}

func (r *reports) add(e *DecodeError) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, fmt.Sprintf("%s (%v)", e.Path, e.Type))
}

// Lenient decoding leaves each value at fault zero, reports it, and
// decodes the rest; small bodies and streamed ones alike.
func TestLenientDecoding(t *testing.T) {
	t0 := time.Date(2025, 10, 15, 13, 51, 0, 0, time.UTC)
	t1 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	body := `{"data":[` +
		`{"id":1,"start_on":"2025-10-15T13:51:00Z","end_on":"soon","tags":["a",2,"c"],"attrs":{"k":1,"bad":"x"},"label":5,"owner":{"name":"o","since":"2020-01-01T00:00:00Z"}},` +
		`{"id":"two","start_on":"yesterday","owner":{"name":7,"since":"2020-01-01T00:00:00Z"},"count":"x"},` +
		`{"id":3,"start_on":"2025-10-15T13:51:00Z","label":null}` +
		`],"next":"n"}`
	next := "n"
	want := pathPage{Data: []pathEvent{
		{ID: 1, Start: t0, Tags: []string{"a", "", "c"}, Attrs: map[string]int{"k": 1, "bad": 0}, Owner: &pathOwner{Name: "o", Since: t1}},
		{Owner: &pathOwner{Since: t1}},
		{ID: 3, Start: t0, Label: nullable.Null[string]()},
	}, Next: &next}
	wantReports := []string{
		"data[0].end_on (time.Time)", "data[0].tags[1] (string)", "data[0].attrs.bad (int)", "data[0].label (string)",
		"data[1].id (int)", "data[1].start_on (time.Time)", "data[1].owner.name (string)", "data[1].count (int)",
	}
	for _, b := range []string{body, padded(body)} {
		var r reports
		got, err := decodeBody[pathPage](t, b, WithLenientDecoding(r.add))
		if err != nil {
			t.Fatalf("%d bytes: %v", len(b), err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%d bytes: got\n%+v\nwant\n%+v", len(b), got, want)
		}
		if !reflect.DeepEqual(r.got, wantReports) {
			t.Errorf("%d bytes: reports\n%q\nwant\n%q", len(b), r.got, wantReports)
		}
	}
}

// Lenient decoding of a top-level list, a value decoded whole from a
// stream, and what still fails: syntax, a cut body.
func TestLenientDecodingShapes(t *testing.T) {
	list := `[{"id":1},{"id":"x","tags":["t"]},{"id":3}]`
	for _, b := range []string{list, padded(list)} {
		var r reports
		got, err := decodeBody[[]pathEvent](t, b, WithLenientDecoding(r.add))
		want := []pathEvent{{ID: 1}, {Tags: []string{"t"}}, {ID: 3}}
		if err != nil || !reflect.DeepEqual(got, want) || !reflect.DeepEqual(r.got, []string{"[1].id (int)"}) {
			t.Errorf("list of %d bytes: %+v, %v, %q", len(b), got, err, r.got)
		}
	}
	// A map is not streamed: the stream keeps the whole value.
	m := `{"a":{"id":1},"b":{"id":"x"},"c":{"start_on":"x","id":3}}`
	for _, b := range []string{m, padded(m)} {
		var r reports
		got, err := decodeBody[map[string]pathEvent](t, b, WithLenientDecoding(r.add))
		want := map[string]pathEvent{"a": {ID: 1}, "b": {}, "c": {ID: 3}}
		if err != nil || !reflect.DeepEqual(got, want) || !reflect.DeepEqual(r.got, []string{"b.id (int)", "c.start_on (time.Time)"}) {
			t.Errorf("map of %d bytes: %+v, %v, %q", len(b), got, err, r.got)
		}
	}
	for _, b := range []string{`{"data":[{"id":"x"},{"id":}]}`, `{"data":[{"id":"x"},{"id":2}`} {
		var r reports
		_, err := decodeBody[pathPage](t, b, WithLenientDecoding(r.add))
		var de *DecodeError
		if !errors.As(err, &de) || de.Path != "" {
			t.Errorf("%s: %v", b, err)
		}
	}
}

// The client's hook and the call's both run, the client's first; a nil
// hook is refused.
func TestLenientDecodingHooks(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"data":[{"id":"x"}]}`)
	}))
	defer srv.Close()
	var order []string
	c := newTestClient(t, srv.URL, WithLenientDecoding(func(e *DecodeError) { order = append(order, "client "+e.Path) }))
	resp, err := c.do(context.Background(), testOp, get("/"), WithLenientDecoding(func(e *DecodeError) {
		order = append(order, "call "+e.Operation+" "+e.Error())
	}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodedAs[pathPage](resp); err != nil {
		t.Fatal(err)
	}
	want := []string{"client data[0].id", "call getThing getThing: decoding 200 response: data[0].id (int): cannot unmarshal string"}
	if !reflect.DeepEqual(order, want) {
		t.Errorf("got %q", order)
	}
	_, err = NewClient(srv.URL, WithLenientDecoding(nil))
	var oe *OptionError
	if !errors.As(err, &oe) || oe.Option != "WithLenientDecoding" {
		t.Errorf("nil report: %v", err)
	}
}

// decodeDirect decodes body as a call's 200 response would be, strictly
// or leniently (returning what was reported), without a server: for the
// fuzz target.
func decodeDirect[T any](body string, lenient bool) (T, []*DecodeError, error) {
	var got []*DecodeError
	s := defaultSettings()
	if lenient {
		s.lenient = []func(*DecodeError){func(e *DecodeError) { got = append(got, e) }}
	}
	st := &callState{op: &Operation{ID: "f"}, s: &s}
	req, _ := http.NewRequestWithContext(context.WithValue(context.Background(), callKey{}, st), http.MethodGet, "http://x/", nil)
	resp := jsonResponse(strings.NewReader(body))
	resp.Request = req
	v, err := decodedAs[T](resp)
	return v, got, err
}

// FuzzLenientDecoding: whatever the body, small or streamed, strict
// decoding names the same place, and lenient decoding gives what strict
// decoding gives when that succeeds, succeeds whenever the body is whole
// JSON (reporting, among others, the place strict decoding names), and
// fails as strict decoding does otherwise.
func FuzzLenientDecoding(f *testing.F) {
	for _, tc := range pathCases {
		f.Add([]byte(tc.body))
	}
	for _, s := range []string{
		`[{"id":1},{"id":"x"}]`, `{"data":[{"attrs":{"1":"x"}}]}`, `{"data":[{"label":{"a":1}}],"next":null}`,
		`{"data":[{"id":1}`, `"x"`, `{"data":{"id":1}}`, `{"data":[{"owner":[1]}]}`, okEvent,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > 4096 {
			return
		}
		fuzzLenient[pathPage](t, string(body))
		fuzzLenient[[]pathEvent](t, string(body))
	})
}

func fuzzLenient[T any](t *testing.T, body string) {
	t.Helper()
	var strictPath, strictErr [2]string
	var lenientVal [2]T
	var lenientReports [2][]string
	for i, b := range []string{body, padded(body)} {
		want, _, err := decodeDirect[T](b, false)
		got, reps, lerr := decodeDirect[T](b, true)
		var de *DecodeError
		if err != nil && !errors.As(err, &de) {
			t.Fatalf("%q: %v is not a *DecodeError", b, err)
		}
		var se *json.SyntaxError
		broken := err != nil && (errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) || de.Err.Error() == "empty body")
		switch {
		case err == nil:
			if lerr != nil || len(reps) > 0 || !reflect.DeepEqual(got, want) {
				t.Fatalf("%q: strict decodes; lenient gives %+v, %v, %d reports; want %+v", b, got, lerr, len(reps), want)
			}
		case broken:
			if lerr == nil {
				t.Fatalf("%q: strict fails with %v; lenient succeeds", b, err)
			}
			continue
		default:
			if lerr != nil || len(reps) == 0 {
				t.Fatalf("%q: strict fails with %v; lenient gives %v with %d reports", b, err, lerr, len(reps))
			}
			found := false
			for _, r := range reps {
				found = found || r.Path == de.Path
				if r.Err == nil || strings.ContainsAny(r.Error(), "\n\r") {
					t.Fatalf("%q: report %v", b, r)
				}
			}
			if !found {
				t.Fatalf("%q: strict names %q, not among the lenient reports", b, de.Path)
			}
			strictPath[i], strictErr[i] = de.Path+" "+fmt.Sprint(de.Type), de.Err.Error()
		}
		lenientVal[i] = got
		for _, r := range reps {
			lenientReports[i] = append(lenientReports[i], r.Path+" "+fmt.Sprint(r.Type))
		}
	}
	if strictErr[0] == strictErr[1] && strictPath[0] != strictPath[1] {
		t.Errorf("%q: strict names %s small, %s streamed", body, strictPath[0], strictPath[1])
	}
	if !reflect.DeepEqual(lenientVal[0], lenientVal[1]) || !reflect.DeepEqual(lenientReports[0], lenientReports[1]) {
		t.Errorf("%q: lenient gives %+v %q small, %+v %q streamed", body, lenientVal[0], lenientReports[0], lenientVal[1], lenientReports[1])
	}
}

// Decoding into a value the caller made decodes through an interface that points to the
// caller's value (a GraphQL envelope): errors are located inside it, and
// lenient decoding fills the caller's value.
func TestDecodeIntoInterfaceNamesTheValue(t *testing.T) {
	type envelope struct {
		Data   any               `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	body := `{"data":{"data":[{"id":1},{"id":"x","tags":["t"]}]},"errors":[]}`
	for _, b := range []string{body, padded(body)} {
		for _, lenient := range []bool{false, true} {
			var r reports
			var opts []Option
			if lenient {
				opts = append(opts, WithLenientDecoding(r.add))
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, b)
			}))
			c := newTestClient(t, srv.URL, WithoutRetries())
			resp, err := c.do(context.Background(), testOp, get("/"), opts...)
			if err != nil {
				t.Fatal(err)
			}
			var page pathPage
			err = decodeJSONInto(resp, &envelope{Data: &page})
			srv.Close()
			var de *DecodeError
			switch {
			case !lenient && (!errors.As(err, &de) || de.Path != "data.data[1].id" || de.Type != reflect.TypeFor[int]()):
				t.Errorf("%d bytes: %v", len(b), err)
			case lenient && (err != nil || len(page.Data) != 2 || page.Data[1].Tags[0] != "t" || !reflect.DeepEqual(r.got, []string{"data.data[1].id (int)"})):
				t.Errorf("%d bytes, lenient: %+v, %v, %q", len(b), page, err, r.got)
			}
		}
	}
}

type pathNode struct {
	V int        `json:"v"`
	C []pathNode `json:"c"`
}

// A value nested thousands deep in a recursive type, failing at the
// bottom, is walked within a budget: each level of a walk scans what it
// walks again, which made a 32 KiB body take 6.5 s to fail. Past the
// budget the walk stops and names the value it got to. The test counts
// the bytes the walk scans and decodes (each charged to its budget), not
// time: without the budget a walk of depth 4000 scans about 64 MB.
// BenchmarkDeepValueWalk times it.
func TestDeepValuesAreWalkedInBoundedTime(t *testing.T) {
	for _, depth := range []int{3000, 4000} { // 24 KB buffered, 32 KB streamed
		body := deepBody(depth)
		_, _, err := decodeDirect[pathNode](body, false)
		var de *DecodeError
		if !errors.As(err, &de) || !strings.HasPrefix(de.Path, "c[0].c[0]") || de.Type == nil {
			t.Errorf("depth %d: %v", depth, err)
		}
		_, reps, err := decodeDirect[pathNode](body, true)
		if err != nil || len(reps) != 1 {
			t.Errorf("depth %d, lenient: %v, %d reports", depth, err, len(reps))
		}

		var n pathNode
		w := newWalker(nil, []byte(body), func(fieldErr) {})
		budget := w.budget
		w.descend([]byte(body), reflect.ValueOf(&n).Elem())
		// The level being walked when the budget runs out is charged at
		// most three more times (whole, as its member, as a leaf), and
		// each level still open returns without scanning.
		scanned, bound := budget-w.budget, budget+4*len(body)
		if scanned > bound {
			t.Errorf("depth %d: the walk scanned %d bytes of a %d-byte body, more than %d", depth, scanned, len(body), bound)
		}
		if w.budget > 0 {
			t.Errorf("depth %d: the walk ended inside its budget (%d bytes left): the body is not deep enough to test it", depth, w.budget)
		}
	}
}

// deepBody is a pathNode value nested depth deep whose innermost member
// does not decode.
func deepBody(depth int) string {
	return strings.Repeat(`{"c":[`, depth) + `{"v":"x"}` + strings.Repeat(`]}`, depth)
}

// BenchmarkDeepValueWalk: the strict and lenient decoding of a hostile
// body, nested 4000 deep, whose walk the budget cuts short.
func BenchmarkDeepValueWalk(b *testing.B) {
	body := deepBody(4000)
	b.SetBytes(int64(len(body)))
	for _, lenient := range []bool{false, true} {
		b.Run(fmt.Sprintf("lenient=%v", lenient), func(b *testing.B) {
			for b.Loop() {
				if _, _, err := decodeDirect[pathNode](body, lenient); (err != nil) == lenient {
					b.Fatal(err)
				}
			}
		})
	}
}

type optDims struct {
	W int `json:"w"`
	H int `json:"h"`
}

// Lenient decoding walks into an Opt: a bad member of the object it holds
// is left zero, the rest kept.
func TestOptLenient(t *testing.T) {
	type holder struct {
		Dims  Opt[optDims] `json:"dims,omitzero"`
		Stock Opt[int]     `json:"stock,omitzero"`
	}
	var r reports
	h, err := decodeBody[holder](t, `{"dims":{"w":1,"h":"tall"},"stock":"many"}`, WithLenientDecoding(r.add))
	if err != nil || h.Dims != Some(optDims{W: 1}) || h.Stock.IsSet() || !reflect.DeepEqual(r.got, []string{"dims.h (int)", "stock (int)"}) {
		t.Errorf("got %+v, %v, %q", h, err, r.got)
	}
}
