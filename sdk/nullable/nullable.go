// Package nullable holds the type generated models use for fields the spec
// marks nullable, so that a request can say "leave this field alone"
// (absent), "clear it" (null) and "set it" (a value) apart, as JSON Merge
// Patch and most PATCH endpoints need.
//
// A Nullable is a map so that encoding/json's omitempty leaves an absent
// field out (the approach of golang/go#64515). Never use *Nullable.
package nullable

import (
	"bytes"
	"encoding/json"
	"errors"
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
