package nullable_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk/nullable"
)

type patch struct {
	Label nullable.Nullable[string] `json:"label,omitempty"`
	Size  nullable.Nullable[int]    `json:"size,omitempty"`
}

func TestAbsentNullAndValueAreDistinct(t *testing.T) {
	var p patch
	p.Label.SetNull()
	p.Size.Set(3)
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"label":null,"size":3}` {
		t.Errorf("marshal = %s", out)
	}
	if out, _ := json.Marshal(patch{}); string(out) != `{}` {
		t.Errorf("absent fields written: %s", out)
	}

	var in patch
	if err := json.Unmarshal([]byte(`{"label":null}`), &in); err != nil {
		t.Fatal(err)
	}
	if !in.Label.IsNull() || in.Label.IsSpecified() == false {
		t.Errorf("label should be null: %v", in.Label)
	}
	if in.Size.IsSpecified() {
		t.Errorf("size should be absent: %v", in.Size)
	}
	if _, err := in.Size.Get(); !errors.Is(err, nullable.ErrAbsent) {
		t.Errorf("Get on absent: %v", err)
	}
	if _, err := in.Label.Get(); !errors.Is(err, nullable.ErrNull) {
		t.Errorf("Get on null: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"size":7}`), &in); err != nil {
		t.Fatal(err)
	}
	if v, ok := in.Size.Value(); !ok || v != 7 {
		t.Errorf("size = %v %v", v, ok)
	}
	if err := json.Unmarshal([]byte(`{"size":"x"}`), &in); err == nil {
		t.Errorf("a string decoded into an int field")
	}
	if v := nullable.Of("a"); v.IsNull() || !v.IsSpecified() {
		t.Errorf("Of: %v", v)
	}
}

func TestOrZero(t *testing.T) {
	var absent nullable.Nullable[string]
	if got := absent.OrZero(); got != "" {
		t.Errorf("absent: %q", got)
	}
	if got := nullable.Null[string]().OrZero(); got != "" {
		t.Errorf("null: %q", got)
	}
	if got := nullable.Of("next").OrZero(); got != "next" {
		t.Errorf("value: %q", got)
	}
}

// A Nullable prints its value, or null, or <absent>, with any verb; a
// struct holding one prints it so; %#v is Go syntax.
func TestPrinting(t *testing.T) {
	type repo struct {
		Name     string
		Homepage nullable.Nullable[string]
		Stars    nullable.Nullable[int]
		Pushed   nullable.Nullable[time.Time]
	}
	pushed := time.Date(2025, 10, 15, 13, 51, 0, 0, time.UTC)
	r := repo{Name: "sdkgen", Homepage: nullable.Null[string](), Pushed: nullable.Of(pushed)}
	for _, tc := range []struct {
		format string
		arg    any
		want   string
	}{
		{"%v", nullable.Of("x"), "x"},
		{"%s", nullable.Of("x"), "x"},
		{"%q", nullable.Of("x"), `"x"`},
		{"%d", nullable.Of(42), "42"},
		{"%5d|", nullable.Of(42), "   42|"},
		{"%.2f", nullable.Of(1.5), "1.50"},
		{"%v", nullable.Null[int](), "null"},
		{"%d", nullable.Null[int](), "null"},
		{"%v", nullable.Nullable[int]{}, "<absent>"},
		{"%s", nullable.Nullable[int](nil), "<absent>"},
		{"%6v|", nullable.Null[int](), "  null|"},
		{"%-6v|", nullable.Null[int](), "null  |"},
		{"%v", r, "{sdkgen null <absent> 2025-10-15 13:51:00 +0000 UTC}"},
		{"%+v", r, "{Name:sdkgen Homepage:null Stars:<absent> Pushed:2025-10-15 13:51:00 +0000 UTC}"},
		{"%+v", nullable.Of(struct{ A int }{1}), "{A:1}"},
		{"%#v", nullable.Of("x"), `nullable.Of[string]("x")`},
		{"%#v", nullable.Null[int](), "nullable.Null[int]()"},
		{"%#v", nullable.Nullable[time.Time](nil), "nullable.Nullable[time.Time](nil)"},
		{"%s", nullable.Of(nullable.Of("in")).String(), "in"},
	} {
		if got := fmt.Sprintf(tc.format, tc.arg); got != tc.want {
			t.Errorf("Sprintf(%q, %#v) = %q, want %q", tc.format, tc.arg, got, tc.want)
		}
	}
	// JSON is unchanged, and omitzero leaves an absent one out as omitempty does.
	type z struct {
		A nullable.Nullable[int] `json:"a,omitzero"`
		B nullable.Nullable[int] `json:"b,omitzero"`
		C nullable.Nullable[int] `json:"c,omitzero"`
	}
	out, err := json.Marshal(z{A: nullable.Of(0), B: nullable.Null[int]()})
	if err != nil || string(out) != `{"a":0,"b":null}` {
		t.Errorf("marshal = %s, %v", out, err)
	}
	if out, _ := json.Marshal(r); string(out) != `{"Name":"sdkgen","Homepage":null,"Stars":null,"Pushed":"2025-10-15T13:51:00Z"}` {
		t.Errorf("marshal = %s", out)
	}
}

func TestEqual(t *testing.T) {
	for _, tc := range []struct {
		a, b nullable.Nullable[int]
		want bool
	}{
		{nil, nil, true}, {nil, nullable.Nullable[int]{}, true}, {nullable.Null[int](), nullable.Null[int](), true},
		{nullable.Of(1), nullable.Of(1), true}, {nullable.Of(0), nullable.Null[int](), false},
		{nullable.Of(0), nil, false}, {nullable.Null[int](), nil, false}, {nullable.Of(1), nullable.Of(2), false},
	} {
		if got := nullable.Equal(tc.a, tc.b); got != tc.want {
			t.Errorf("Equal(%#v, %#v) = %v", tc.a, tc.b, got)
		}
	}
}
