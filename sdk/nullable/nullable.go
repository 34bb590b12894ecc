// Package nullable holds the type generated models use for fields the spec
// marks nullable, so that a request can say "leave this field alone"
// (absent), "clear it" (null) and "set it" (a value) apart, as JSON Merge
// Patch and most PATCH endpoints need.
//
// A Nullable is a map so that encoding/json's omitempty leaves an absent
// field out (the approach of golang/go#64515). Never use *Nullable.
//
// A Nullable prints as its value, as null, or as <absent>:
//
//	fmt.Println(repo.Homepage) // https://example.com, null or <absent>
//
// Being a map, it cannot be compared with ==; [Equal] compares two, and
// reflect.DeepEqual and go-cmp compare values that hold them.
package nullable

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// Nullable is a field that is absent, null, or holds a value. The zero value
// is absent.
type Nullable[T any] map[bool]T

// ErrNull and ErrAbsent are returned by Get.
var (
	ErrNull   = errors.New("nullable: value is null")
	ErrAbsent = errors.New("nullable: value is absent")
)

// Of returns a Nullable holding v.
func Of[T any](v T) Nullable[T] { return Nullable[T]{true: v} }

// Null returns an explicit null.
func Null[T any]() Nullable[T] { return Nullable[T]{false: *new(T)} }

// Get returns the value, or ErrNull or ErrAbsent.
func (n Nullable[T]) Get() (T, error) {
	if v, ok := n[true]; ok {
		return v, nil
	}
	var zero T
	if n.IsNull() {
		return zero, ErrNull
	}
	return zero, ErrAbsent
}

// Value returns the value and whether there is one (false for null and
// absent).
func (n Nullable[T]) Value() (T, bool) {
	v, ok := n[true]
	return v, ok
}

// OrZero returns the value, or T's zero value when n is null or absent.
func (n Nullable[T]) OrZero() T { return n[true] }

// Set makes n hold v.
func (n *Nullable[T]) Set(v T) { *n = Nullable[T]{true: v} }

// SetNull makes n an explicit null.
func (n *Nullable[T]) SetNull() { *n = Null[T]() }

// SetAbsent makes n absent, so it is left out of the JSON.
func (n *Nullable[T]) SetAbsent() { *n = nil }

// IsNull reports whether n is an explicit null.
func (n Nullable[T]) IsNull() bool {
	_, ok := n[false]
	return ok
}

// IsSpecified reports whether n is null or holds a value (is not absent).
func (n Nullable[T]) IsSpecified() bool { return len(n) != 0 }

// MarshalJSON writes null or the value. An absent Nullable in a field with
// omitempty is left out by encoding/json before this is called; elsewhere
// it is written as null.
func (n Nullable[T]) MarshalJSON() ([]byte, error) {
	if v, ok := n[true]; ok {
		return json.Marshal(v)
	}
	return []byte("null"), nil
}

// UnmarshalJSON reads null or a value. (A field missing from the JSON never
// reaches here and stays absent.)
func (n *Nullable[T]) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		n.SetNull()
		return nil
	}
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	n.Set(v)
	return nil
}

// IsZero reports whether n is absent, so that a field tagged omitzero
// leaves it out as omitempty does.
func (n Nullable[T]) IsZero() bool { return len(n) == 0 }

// Absent and null as they print.
const (
	absentText = "<absent>"
	nullText   = "null"
)

// Format prints n's value as fmt prints a T with the same verb and flags
// (%v, %+v, %s, %d, %.2f, ...); a null as null and an absent value as
// <absent>, padded as strings are. %#v prints Go syntax: nullable.Of[T](…),
// nullable.Null[T]() or nullable.Nullable[T](nil).
func (n Nullable[T]) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, n.GoString())
		return
	}
	if v, ok := n[true]; ok {
		fmt.Fprintf(f, fmt.FormatString(f, verb), v)
		return
	}
	word := absentText
	if n.IsNull() {
		word = nullText
	}
	w, wok := f.Width()
	switch {
	case !wok || w <= len(word):
		fmt.Fprint(f, word)
	case f.Flag('-'):
		fmt.Fprintf(f, "%-*s", w, word)
	default:
		fmt.Fprintf(f, "%*s", w, word)
	}
}

// String returns n as %v prints it: the value, null or <absent>.
func (n Nullable[T]) String() string { return fmt.Sprint(n) }

// GoString returns n in Go syntax, for %#v.
func (n Nullable[T]) GoString() string {
	t := reflect.TypeFor[T]().String()
	if v, ok := n[true]; ok {
		return fmt.Sprintf("nullable.Of[%s](%#v)", t, v)
	}
	if n.IsNull() {
		return fmt.Sprintf("nullable.Null[%s]()", t)
	}
	return fmt.Sprintf("nullable.Nullable[%s](nil)", t)
}

// Equal reports whether a and b are both absent, both null, or hold equal
// values.
func Equal[T comparable](a, b Nullable[T]) bool {
	av, aok := a[true]
	bv, bok := b[true]
	return aok == bok && a.IsNull() == b.IsNull() && av == bv
}
