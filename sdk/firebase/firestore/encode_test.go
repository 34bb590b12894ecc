package firestore_test

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk/firebase/firestore"
	v1 "github.com/sdkgen-go/sdkgen/sdk/firebase/firestore/firestorev1"
)

type Inner struct {
	Note  string `firestore:"note"`
	Count int    `firestore:"count"`
}

type Base struct {
	Owner string `firestore:"owner"`
}

// Every kind of Firestore value, as fields of one struct.
type Everything struct {
	Base                                    // embedded: its fields are the document's
	Null       *string                      `firestore:"null"`
	Bool       bool                         `firestore:"bool"`
	Int        int64                        `firestore:"int"`
	Small      int8                         `firestore:"small"`
	Unsigned   uint32                       `firestore:"unsigned"`
	Double     float64                      `firestore:"double"`
	String     string                       `firestore:"string"`
	Bytes      []byte                       `firestore:"bytes"`
	Time       time.Time                    `firestore:"time"`
	Geo        firestore.GeoPoint           `firestore:"geo"`
	Ref        firestore.Reference          `firestore:"ref"`
	Array      []any                        `firestore:"array"`
	Strings    []string                     `firestore:"strings"`
	Fixed      [2]int                       `firestore:"fixed"`
	Map        map[string]int               `firestore:"map"`
	Struct     Inner                        `firestore:"struct"`
	Pointer    *Inner                       `firestore:"pointer"`
	Any        any                          `firestore:"any"`
	Nested     map[string]map[string][]bool `firestore:"nested"`
	Omitted    string                       `firestore:"omitted,omitempty"`
	Skipped    string                       `firestore:"-"`
	Untagged   string
	unexported string
}

func everything() Everything {
	return Everything{
		Base:       Base{Owner: "ada"},
		Bool:       false,
		Int:        math.MaxInt64,
		Small:      -128,
		Unsigned:   math.MaxUint32,
		Double:     -0.125,
		String:     "héllo\n\x00world",
		Bytes:      []byte{0, 1, 2, 0xff},
		Time:       time.Date(2026, 12, 6, 8, 30, 15, 123456000, time.UTC),
		Geo:        firestore.GeoPoint{Lat: 48.8584, Lng: -2.2945},
		Ref:        "projects/p/databases/(default)/documents/rooms/lobby",
		Array:      []any{int64(1), "two", 3.5, true, nil, map[string]any{"k": "v"}},
		Strings:    []string{},
		Fixed:      [2]int{7, 8},
		Map:        map[string]int{"a": 1, "b": -2},
		Struct:     Inner{Note: "n", Count: 3},
		Pointer:    &Inner{Note: "p"},
		Any:        map[string]any{"x": []any{"y"}, "t": time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), "g": firestore.GeoPoint{Lat: 1, Lng: 2}},
		Nested:     map[string]map[string][]bool{"a": {"b": {true, false}}},
		Skipped:    "not stored",
		Untagged:   "by field name",
		unexported: "never stored",
	}
}

// A struct holding every Firestore value type goes to Firestore's JSON
// and back unchanged, through the generated model of Value.
func TestRoundTripEveryValueType(t *testing.T) {
	in := everything()
	fields, err := firestore.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	wire, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	// The wire form is Firestore's.
	for _, want := range []string{
		`"null":{"nullValue":"NULL_VALUE"}`, `"bool":{"booleanValue":false}`,
		`"int":{"integerValue":"9223372036854775807"}`, `"small":{"integerValue":"-128"}`,
		`"unsigned":{"integerValue":"4294967295"}`, `"double":{"doubleValue":-0.125}`,
		`"bytes":{"bytesValue":"AAEC/w=="}`, `"time":{"timestampValue":"2026-12-06T08:30:15.123456Z"}`,
		`"geo":{"geoPointValue":{"latitude":48.8584,"longitude":-2.2945}}`,
		`"ref":{"referenceValue":"projects/p/databases/(default)/documents/rooms/lobby"}`,
		`"strings":{"arrayValue":{"values":[]}}`, `"fixed":{"arrayValue":{"values":[{"integerValue":"7"},{"integerValue":"8"}]}}`,
		`"struct":{"mapValue":{"fields":{"count":{"integerValue":"3"},"note":{"stringValue":"n"}}}}`,
		`"owner":{"stringValue":"ada"}`, `"Untagged":{"stringValue":"by field name"}`,
	} {
		if !strings.Contains(string(wire), want) {
			t.Errorf("the wire form lacks %s:\n%s", want, wire)
		}
	}
	for _, absent := range []string{"omitted", "Skipped", "not stored", "unexported", "never stored"} {
		if strings.Contains(string(wire), absent) {
			t.Errorf("the wire form holds %s", absent)
		}
	}
	var back map[string]v1.Value
	if err := json.Unmarshal(wire, &back); err != nil {
		t.Fatal(err)
	}
	var out Everything
	out.Null = new(string) // a null must reset it
	if err := firestore.Decode(back, &out); err != nil {
		t.Fatal(err)
	}
	in.Skipped, in.unexported = "", ""
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip changed the value:\n in %#v\nout %#v", in, out)
	}
}

// A document as Firestore's REST reference writes one decodes into a
// struct and into plain Go values.
func TestDecodeFirestoreJSON(t *testing.T) {
	const doc = `{
		"title": {"stringValue": "Go"},
		"stars": {"integerValue": "42"},
		"score": {"doubleValue": 4.5},
		"tags": {"arrayValue": {"values": [{"stringValue": "a"}, {"stringValue": "b"}]}},
		"meta": {"mapValue": {"fields": {"open": {"booleanValue": true}}}},
		"at": {"timestampValue": "2024-02-29T12:00:00.5Z"},
		"none": {"nullValue": null}
	}`
	var fields map[string]v1.Value
	if err := json.Unmarshal([]byte(doc), &fields); err != nil {
		t.Fatal(err)
	}
	var typed struct {
		Title string              `firestore:"title"`
		Stars int                 `firestore:"stars"`
		Score float32             `firestore:"score"`
		Tags  []string            `firestore:"tags"`
		Meta  struct{ Open bool } `firestore:"meta"`
		At    time.Time           `firestore:"at"`
		None  *int                `firestore:"none"`
	}
	if err := firestore.Decode(fields, &typed); err != nil {
		t.Fatal(err)
	}
	if typed.Title != "Go" || typed.Stars != 42 || typed.Score != 4.5 || len(typed.Tags) != 2 || typed.At.Nanosecond() != 5e8 {
		t.Errorf("decoded %+v", typed)
	}
	var plain map[string]any
	if err := firestore.Decode(fields, &plain); err != nil {
		t.Fatal(err)
	}
	if plain["stars"] != int64(42) || plain["none"] != nil || plain["meta"].(map[string]any)["open"] != true {
		t.Errorf("decoded %#v", plain)
	}
}

func TestEncodeErrors(t *testing.T) {
	for _, tc := range []struct {
		v    any
		path string
	}{
		{map[string]any{"big": uint64(math.MaxUint64)}, "big"},
		{map[string]any{"x": map[string]float64{"nan": math.NaN()}}, "x.nan"},
		{map[string]any{"k": map[int]string{1: "a"}}, "k"},
		{map[string]any{"nested": [][]int{{1}}}, "nested"},
		{map[string]any{"ch": make(chan int)}, "ch"},
		{map[string]any{"geo": firestore.GeoPoint{Lat: 91}}, "geo"},
		{map[string]any{"ref": firestore.Reference("rooms/lobby")}, "ref"},
	} {
		_, err := firestore.Encode(tc.v)
		var ee *firestore.EncodeError
		if !errors.As(err, &ee) || ee.Path != tc.path {
			t.Errorf("Encode(%v): %v, want an *EncodeError at %s", tc.v, err, tc.path)
		}
	}
	if _, err := firestore.Encode(42); err == nil {
		t.Error("Encode(42): a number is not a document")
	}
}

func TestDecodeErrors(t *testing.T) {
	s := "300"
	str := "x"
	for _, tc := range []struct {
		val  v1.Value
		into any
		path string
	}{
		{v1.Value{IntegerValue: &s}, new(int8), ""},
		{v1.Value{StringValue: &str}, new(int), ""},
		{v1.Value{MapValue: &v1.MapValue{Fields: map[string]v1.Value{"a": {StringValue: &str}}}}, new(struct {
			A []string `firestore:"a"`
		}), "a"},
		{v1.Value{ArrayValue: &v1.ArrayValue{Values: []v1.Value{{IntegerValue: &s}, {StringValue: &str}}}}, new([]int), "[1]"},
	} {
		err := firestore.DecodeValue(tc.val, tc.into)
		var de *firestore.DecodeError
		if !errors.As(err, &de) || de.Path != tc.path {
			t.Errorf("DecodeValue into %T: %v, want a *DecodeError at %q", tc.into, err, tc.path)
		}
	}
}
