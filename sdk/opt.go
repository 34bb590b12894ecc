package sdk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// Opt is an optional value: absent, or a T — the zero T included. It is
// for fields of request bodies that must tell "not given" from a zero
// value the caller means ("quantity": 0, "enabled": false), as
// openai-go's param.Opt is; unlike a *T, it prints as its value, compares
// with == when T does, and needs no helper to take a constant's address:
//
//	c.Products.CreateProduct(ctx, products.NewProduct{Name: "mug", Stock: sdk.Some(0)})
//
// A field of type Opt carries omitzero in its JSON tag, so that an absent
// Opt is left out (omitempty does not leave out structs; without omitzero
// an absent Opt is written as null). When decoding, null and a missing
// member both give an absent Opt. The zero Opt is absent.
type Opt[T any] struct {
	v   T
	set bool
}

// Some returns an Opt holding v.
func Some[T any](v T) Opt[T] { return Opt[T]{v: v, set: true} }

// Value returns the value and whether there is one.
func (o Opt[T]) Value() (T, bool) { return o.v, o.set }

// OrZero returns the value, or T's zero value when o is absent.
func (o Opt[T]) OrZero() T { return o.v }

// Or returns the value, or fallback when o is absent.
func (o Opt[T]) Or(fallback T) T {
	if o.set {
		return o.v
	}
	return fallback
}

// Ptr returns a pointer to a copy of the value, or nil when o is absent.
func (o Opt[T]) Ptr() *T {
	if !o.set {
		return nil
	}
	v := o.v
	return &v
}

// IsSet reports whether o holds a value.
func (o Opt[T]) IsSet() bool { return o.set }

// IsZero reports whether o is absent: a field tagged omitzero is then
// left out of the JSON.
func (o Opt[T]) IsZero() bool { return !o.set }

// MarshalJSON writes the value, or null when o is absent (a field tagged
// omitzero is left out before this is called).
func (o Opt[T]) MarshalJSON() ([]byte, error) {
	if !o.set {
		return []byte("null"), nil
	}
	return json.Marshal(o.v)
}

// UnmarshalJSON reads a value; null makes o absent.
func (o *Opt[T]) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		*o = Opt[T]{}
		return nil
	}
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*o = Opt[T]{v: v, set: true}
	return nil
}

// Format prints the value as fmt prints a T with the same verb and flags;
// an absent Opt prints as <absent>, padded as strings are. %#v prints Go
// syntax: sdk.Some[T](…) or sdk.Opt[T]{}.
func (o Opt[T]) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		fmt.Fprint(f, o.GoString())
	case o.set:
		fmt.Fprintf(f, fmt.FormatString(f, verb), o.v)
	default:
		w, ok := f.Width()
		switch {
		case !ok:
			fmt.Fprint(f, absentText)
		case f.Flag('-'):
			fmt.Fprintf(f, "%-*s", w, absentText)
		default:
			fmt.Fprintf(f, "%*s", w, absentText)
		}
	}
}

// absentText is how an absent Opt prints (as an absent nullable.Nullable
// does).
const absentText = "<absent>"

// String returns o as %v prints it: the value or <absent>.
func (o Opt[T]) String() string { return fmt.Sprint(o) }

// GoString returns o in Go syntax, for %#v.
func (o Opt[T]) GoString() string {
	t := reflect.TypeFor[T]().String()
	if o.set {
		return fmt.Sprintf("sdk.Some[%s](%#v)", t, o.v)
	}
	return fmt.Sprintf("sdk.Opt[%s]{}", t)
}

// optional is implemented by every Opt, for decoding that walks into the
// value an Opt holds (see walker).
type optional interface {
	elemType() reflect.Type
	setValue(v reflect.Value)
}

func (o *Opt[T]) elemType() reflect.Type   { return reflect.TypeFor[T]() }
func (o *Opt[T]) setValue(v reflect.Value) { *o = Opt[T]{v: v.Interface().(T), set: true} }

// Ptr returns a pointer to a copy of v: for optional fields that are
// pointers (sdk.Ptr(0), sdk.Ptr("blue")). It is [Deref]'s inverse.
func Ptr[T any](v T) *T { return &v }
