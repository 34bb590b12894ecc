package sdk_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk"
)

type newProduct struct {
	Name  string              `json:"name"`
	Stock sdk.Opt[int]        `json:"stock,omitzero"`
	Promo sdk.Opt[bool]       `json:"promo,omitzero"`
	Note  sdk.Opt[string]     `json:"note,omitzero"`
	Until sdk.Opt[time.Time]  `json:"until,omitzero"`
	Dims  sdk.Opt[dimensions] `json:"dims,omitzero"`
}

type dimensions struct {
	W int `json:"w"`
	H int `json:"h"`
}

// Absent and zero stay apart in both directions; null reads as absent.
func TestOptJSON(t *testing.T) {
	for _, tc := range []struct {
		v    newProduct
		json string
	}{
		{newProduct{Name: "mug"}, `{"name":"mug"}`},
		{newProduct{Name: "mug", Stock: sdk.Some(0), Promo: sdk.Some(false), Note: sdk.Some("")}, `{"name":"mug","stock":0,"promo":false,"note":""}`},
		{newProduct{Stock: sdk.Some(3), Dims: sdk.Some(dimensions{W: 1})}, `{"name":"","stock":3,"dims":{"w":1,"h":0}}`},
	} {
		out, err := json.Marshal(tc.v)
		if err != nil || string(out) != tc.json {
			t.Errorf("marshal %+v = %s, %v; want %s", tc.v, out, err, tc.json)
		}
		var back newProduct
		if err := json.Unmarshal(out, &back); err != nil || back != tc.v {
			t.Errorf("unmarshal %s = %+v, %v", out, back, err)
		}
	}
	var p newProduct
	if err := json.Unmarshal([]byte(`{"stock":null,"note":"x"}`), &p); err != nil || p.Stock.IsSet() || p.Note != sdk.Some("x") {
		t.Errorf("null: %+v, %v", p, err)
	}
	if err := json.Unmarshal([]byte(`{"stock":"many"}`), &p); err == nil || p.Stock.IsSet() {
		t.Errorf("a string into Opt[int]: %+v, %v", p, err)
	}
	// Without omitzero an absent Opt is written as null.
	out, _ := json.Marshal(struct {
		A sdk.Opt[int] `json:"a,omitempty"`
	}{})
	if string(out) != `{"a":null}` {
		t.Errorf("omitempty: %s", out)
	}
}

func TestOptReads(t *testing.T) {
	var absent sdk.Opt[int]
	if v, ok := absent.Value(); ok || v != 0 || absent.OrZero() != 0 || absent.Or(7) != 7 || absent.Ptr() != nil || absent.IsSet() || !absent.IsZero() {
		t.Errorf("absent: %#v", absent)
	}
	zero := sdk.Some(0)
	if v, ok := zero.Value(); !ok || v != 0 || zero.Or(7) != 0 || *zero.Ptr() != 0 || !zero.IsSet() || zero.IsZero() {
		t.Errorf("zero: %#v", zero)
	}
	if zero == absent || zero != sdk.Some(0) || sdk.Some("a") == sdk.Some("b") {
		t.Errorf("==")
	}
	five := sdk.Some(5)
	*five.Ptr() = 6 // a copy
	if five.OrZero() != 5 || *sdk.Ptr(3) != 3 || sdk.Deref(sdk.Ptr("x")) != "x" {
		t.Errorf("Ptr")
	}
}

func TestOptPrinting(t *testing.T) {
	until := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	p := newProduct{Name: "mug", Stock: sdk.Some(0), Until: sdk.Some(until)}
	for _, tc := range []struct {
		format string
		arg    any
		want   string
	}{
		{"%v", sdk.Some(0), "0"},
		{"%s", sdk.Some("x"), "x"},
		{"%q", sdk.Some("x"), `"x"`},
		{"%05.1f", sdk.Some(2.25), "002.2"},
		{"%v", sdk.Opt[int]{}, "<absent>"},
		{"%10v|", sdk.Opt[int]{}, "  <absent>|"},
		{"%-10v|", sdk.Opt[int]{}, "<absent>  |"},
		{"%+v", p, "{Name:mug Stock:0 Promo:<absent> Note:<absent> Until:2026-01-02 00:00:00 +0000 UTC Dims:<absent>}"},
		{"%+v", sdk.Some(dimensions{1, 2}), "{W:1 H:2}"},
		{"%#v", sdk.Some("x"), `sdk.Some[string]("x")`},
		{"%#v", sdk.Opt[dimensions]{}, "sdk.Opt[sdk_test.dimensions]{}"},
		{"%s", sdk.Some(3).String(), "3"},
	} {
		if got := fmt.Sprintf(tc.format, tc.arg); got != tc.want {
			t.Errorf("Sprintf(%q, %#v) = %q, want %q", tc.format, tc.arg, got, tc.want)
		}
	}
}
