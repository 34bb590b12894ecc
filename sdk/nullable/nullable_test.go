package nullable_test

import (
	"encoding/json"
	"errors"
	"testing"

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
