package sdk

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"sync"
)

// decodeStream decodes the JSON value that r starts with into v, as
// json.Decoder.Decode does, without holding the whole value in memory when
// it is a list: json.Decoder reads a value whole before decoding it, so a
// 5 MB page would sit in its buffer beside the decoded items. Here an array
// at the top level, or in a top-level field of a struct (a page's items),
// is decoded one element at a time, and only one element's bytes are
// buffered at once. Every other value is decoded by encoding/json, whole.
//
// head holds the first bytes of r, to see which kind of value it starts.
// The result is what encoding/json gives, with one difference in what an
// error says when a body has several faults: a type error
// (*json.UnmarshalTypeError) is kept while decoding goes on, and the first
// is returned at the end, as encoding/json does, but any other error of an
// element (a syntax error, a read error, an UnmarshalJSON method's error)
// stops decoding at once, where encoding/json would report a syntax error
// found anywhere first, and an UnmarshalJSON error only at the end.
func decodeStream(r io.Reader, head []byte, v any) error {
	dec := json.NewDecoder(r)
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return dec.Decode(v)
	}
	t := rv.Type().Elem()
	first := firstByte(head)
	switch {
	case first == '[' && t.Kind() == reflect.Slice && streamable(t):
		return decodeArray(dec, rv.Elem())
	case first == '{' && t.Kind() == reflect.Struct:
		if fields := streamFields(t); len(fields) > 0 {
			return decodeObject(dec, rv, fields)
		}
	}
	return dec.Decode(v)
}

// firstByte returns the first byte of b that is not JSON whitespace, or 0.
func firstByte(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// streamable reports whether encoding/json decodes a JSON array into a
// value of slice type t element by element, with nothing of its own: t
// has no UnmarshalJSON or UnmarshalText, and is not []byte.
func streamable(t reflect.Type) bool {
	if t.Elem().Kind() == reflect.Uint8 {
		return false
	}
	for _, u := range []reflect.Type{jsonUnmarshaler, textUnmarshaler} {
		if t.Implements(u) || reflect.PointerTo(t).Implements(u) {
			return false
		}
	}
	return true
}

var streamFieldCache sync.Map // reflect.Type → map[string]int

// streamFields returns the fields of struct type t that decodeObject
// streams, by JSON name: the slice fields (streamable) that encoding/json
// matches exactly to that name. To stay clear of encoding/json's rules for
// embedded structs and conflicting names, a struct with embedded fields,
// or with an UnmarshalJSON or UnmarshalText method, has none, and a name
// two fields claim is left out.
func streamFields(t reflect.Type) map[string]int {
	if f, ok := streamFieldCache.Load(t); ok {
		return f.(map[string]int)
	}
	fields := map[string]int{}
	names := map[string]int{}
	ok := !reflect.PointerTo(t).Implements(jsonUnmarshaler) && !reflect.PointerTo(t).Implements(textUnmarshaler) &&
		!t.Implements(jsonUnmarshaler) && !t.Implements(textUnmarshaler)
	for i := 0; ok && i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			ok = false
			break
		}
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		names[name]++
		if f.Type.Kind() == reflect.Slice && streamable(f.Type) && !hasOption(opts, "string") {
			fields[name] = i
		}
	}
	for name := range fields {
		if !ok || names[name] > 1 {
			delete(fields, name)
		}
	}
	streamFieldCache.Store(t, fields)
	return fields
}

func hasOption(opts, want string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == want {
			return true
		}
	}
	return false
}

// decodeArray decodes the array dec is at into the slice s, one element
// at a time, as encoding/json fills a slice: grown in place, elements
// decoded into zeroed memory, and an empty array gives an empty, non-nil
// slice.
func decodeArray(dec *json.Decoder, s reflect.Value) error {
	if _, err := dec.Token(); err != nil { // [
		return err
	}
	var typeErr error
	i := 0
	for dec.More() {
		if i >= s.Cap() {
			s.Grow(1)
		}
		if i >= s.Len() {
			s.SetLen(i + 1)
		}
		if err := dec.Decode(s.Index(i).Addr().Interface()); err != nil {
			var te *json.UnmarshalTypeError
			if !errors.As(err, &te) {
				return cut(err)
			}
			if typeErr == nil {
				typeErr = err
			}
		}
		i++
	}
	if _, err := dec.Token(); err != nil { // ]
		return cut(err)
	}
	if i < s.Len() {
		s.SetLen(i)
	}
	if i == 0 {
		s.Set(reflect.MakeSlice(s.Type(), 0, 0))
	}
	return typeErr
}

// decodeObject decodes the object dec is at into the struct *rv: the
// arrays of fields element by element (decodeArray), every other member
// by json.Unmarshal of an object holding just that member, which applies
// all of encoding/json's rules (case-insensitive names, embedded structs,
// options) to it.
func decodeObject(dec *json.Decoder, rv reflect.Value, fields map[string]int) error {
	if _, err := dec.Token(); err != nil { // {
		return err
	}
	st := rv.Elem()
	var typeErr error
	keep := func(err error, key string) error {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			return err
		}
		if key != "" {
			// Name the field as encoding/json would, from the top.
			if te.Field == "" {
				te.Field = key
			} else {
				te.Field = key + "." + te.Field
			}
			if te.Struct == "" {
				te.Struct = st.Type().Name()
			}
		}
		if typeErr == nil {
			typeErr = err
		}
		return nil
	}
	streamed := map[int]bool{}
	var member []byte
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return cut(err)
		}
		key, _ := tok.(string)
		if i, ok := fields[key]; ok && !streamed[i] && nextIsArray(dec) {
			streamed[i] = true
			if err := decodeArray(dec, st.Field(i)); err != nil {
				if err := keep(err, key); err != nil {
					return err
				}
			}
			continue
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return cut(err)
		}
		name, err := json.Marshal(key)
		if err != nil {
			return err
		}
		member = append(append(append(append(append(member[:0], '{'), name...), ':'), raw...), '}')
		if err := json.Unmarshal(member, rv.Interface()); err != nil {
			if err := keep(err, ""); err != nil {
				return err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // }
		return cut(err)
	}
	return typeErr
}

// cut reports the end of the body inside a value as json.Decoder does.
func cut(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// nextIsArray reports whether the value after the key dec just read is an
// array, from what dec has buffered; false when it cannot tell.
func nextIsArray(dec *json.Decoder) bool {
	var buf [64]byte
	n, _ := io.ReadFull(dec.Buffered(), buf[:])
	b := bytes.TrimLeft(buf[:n], " \t\r\n")
	if len(b) == 0 || b[0] != ':' {
		return false
	}
	return firstByte(b[1:]) == '['
}
