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
// (What encoding/json would not keep never gets that far: see jsonFilter.)
//
// head holds the first bytes of r, to see which kind of value it starts.
// The result is what encoding/json gives, errors included, ranked as
// encoding/json ranks them: a syntax or read error anywhere first; else an
// error an UnmarshalJSON method returned (decoding stops there); else the
// first type error (and misuse of the ,string option), which encoding/json
// keeps while decoding goes on. One difference remains: a type error that
// an UnmarshalJSON method returns counts as a type error.
//
// An error of decoding (not of syntax, not of reading) comes as a
// *pathError naming the value at fault: the piece that failed is walked
// again (see locate) from the bytes the reader kept of it, at most
// keepPiece of them. With a lenient function, such a piece is decoded
// around the values that fail instead (see walker), each given to
// lenient, and decoding goes on; the reader then keeps pieces up to
// maxKeep bytes.
func decodeStream(r io.Reader, head []byte, v any, lenient func(fieldErr), maxKeep int64) error {
	d := &streamDecoder{r: trackedReader{r: r, max: keepPiece}, lenient: lenient}
	if lenient != nil {
		d.r.max = max(maxKeep, keepPiece)
	}
	d.dec = json.NewDecoder(&d.r)
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return d.dec.Decode(v)
	}
	t := rv.Type().Elem()
	first := firstByte(head)
	switch {
	case first == '[' && t.Kind() == reflect.Slice && streamable(t):
		if err := d.array(rv.Elem(), "", nil, nil); err != nil {
			return err
		}
		return d.saved
	case first == '{' && t.Kind() == reflect.Struct:
		if fields := streamFields(t); len(fields) > 0 {
			if err := d.object(rv, fields); err != nil {
				return err
			}
			return d.saved
		}
	}
	err := d.dec.Decode(v)
	if err != nil && !d.broken(err) {
		err = d.place(err, 0, d.dec.InputOffset(), rv.Elem(), nil)
	}
	return err
}

// keepPiece is how much of a piece (an element of a streamed list, or a
// value decoded whole) the reader keeps to name the place of a decoding
// error inside it: past it, the error names the piece and what
// encoding/json says of the place within.
const keepPiece = 1 << 20

// streamDecoder decodes a value piece by piece, ranking the errors of the
// pieces as encoding/json would rank them in the whole.
type streamDecoder struct {
	r       trackedReader
	dec     *json.Decoder
	saved   error          // the first error encoding/json would keep while going on
	lenient func(fieldErr) // decode around values that fail, reporting them here
}

// trackedReader remembers that its reader failed or ended, so that an
// error of json.Decoder can be told a read error (or the end of the body)
// from an error of decoding a value it read whole.
//
// It also keeps what it read from the start of the piece being decoded
// (mark) on, so that a piece that fails can be walked again: rec holds
// the bytes from offset base on. A piece longer than max is not kept (its
// bytes are dropped as they come, bar the last read, where the next piece
// may start). json.Decoder reads only when it needs more of the value it
// decodes, so every byte of a piece is read after the piece's mark or is
// already in rec.
type trackedReader struct {
	r   io.Reader
	err error

	max  int64 // the longest piece kept
	rec  []byte
	base int64 // the offset of rec[0]
	keep int64 // where the piece being decoded starts
	off  int64 // bytes read
}

func (t *trackedReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil {
		t.err = err
	}
	if n > 0 {
		switch drop := t.keep - t.base; {
		case t.off-t.keep > t.max:
			t.rec, t.base = t.rec[:0], t.off
		case drop > 0 && drop >= int64(len(t.rec))/2:
			// Amortized: each byte is moved down at most once.
			t.rec, t.base = t.rec[:copy(t.rec, t.rec[drop:])], t.keep
		}
		t.rec = append(t.rec, p[:n]...)
		t.off += int64(n)
	}
	return n, err
}

// mark says that the piece decoded next starts at offset off (before the
// comma or spaces that may come first).
func (t *trackedReader) mark(off int64) { t.keep = off }

// piece returns the value at offsets [from, to), or nil when it was not
// kept.
func (t *trackedReader) piece(from, to int64) []byte {
	if from < t.base || to > t.base+int64(len(t.rec)) || from > to {
		return nil
	}
	return bytes.TrimLeft(t.rec[from-t.base:to-t.base], ", \t\r\n")
}

// broken reports an error of syntax or of reading: the piece was not
// read whole.
func (d *streamDecoder) broken(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) || d.r.err != nil && (err == d.r.err || err == io.ErrUnexpectedEOF && d.r.err == io.EOF)
}

// placed reports whether the decoding error err of a piece is placed (see
// place): always when decoding leniently; otherwise when it is the error
// decoding returns, not a type error after the first (walking every
// failing element of a long list would multiply its cost).
func (d *streamDecoder) placed(err error) bool {
	return d.lenient != nil || d.saved == nil || !keptError(err)
}

// place handles the decoding error err of the piece at offsets [from, to)
// of the stream, decoded into v, at path: with a lenient function, the
// piece is decoded again around the values that fail (nil is returned);
// otherwise err is returned with the place of the value at fault.
func (d *streamDecoder) place(err error, from, to int64, v reflect.Value, path []byte) error {
	raw := d.r.piece(from, to)
	switch {
	case raw != nil && d.lenient != nil:
		w := newWalker(path, raw, d.lenient)
		w.descend(raw, v)
		return nil
	case raw != nil:
		return locate(raw, v, string(path), err)
	}
	// Too long to walk again: the piece, and what encoding/json says
	// of the place within.
	var typ reflect.Type
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		if te.Field != "" {
			for name := range strings.SplitSeq(te.Field, ".") {
				path = appendKey(path, name)
			}
		}
		typ = te.Type
	}
	return &pathError{err: err, path: string(path), typ: typ}
}

// piece handles the error of decoding one piece (an element, a member)
// under the name key (for type errors; "" for none). It returns the error
// that ends decoding, or nil to go on.
func (d *streamDecoder) piece(err error, key string, st reflect.Type) error {
	if err == nil {
		return nil
	}
	if d.broken(err) {
		return cut(err) // the piece was not read whole
	}
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		if key != "" {
			// Name the field as encoding/json would, from the top.
			if te.Field == "" {
				te.Field = key
			} else {
				te.Field = key + "." + te.Field
			}
			if te.Struct == "" && st != nil {
				te.Struct = st.Name()
			}
		}
	case strings.HasPrefix(err.Error(), "json: invalid use of ,string struct tag, trying to unmarshal unquoted value"):
	default:
		// An UnmarshalJSON method's error: encoding/json stops there, but
		// only after reading the whole value, whose syntax errors come
		// first.
		if _, rerr := io.Copy(io.Discard, &d.r); rerr != nil {
			return cut(rerr)
		}
		return err
	}
	if d.saved == nil {
		d.saved = err
	}
	return nil
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
		!t.Implements(jsonUnmarshaler) && !t.Implements(textUnmarshaler) &&
		eachJSONField(t, func(f reflect.StructField, name, opts string) {
			if name == "" {
				name = f.Name
			}
			names[name]++
			if f.Type.Kind() == reflect.Slice && streamable(f.Type) && !hasOption(opts, "string") {
				fields[name] = f.Index[0]
			}
		})
	for name := range fields {
		if !ok || names[name] > 1 {
			delete(fields, name)
		}
	}
	streamFieldCache.Store(t, fields)
	return fields
}

// eachJSONField calls f for each field of the struct type t that
// encoding/json decodes by name (exported, not tagged "-"), with the name
// and options of its tag (name is "" when the tag gives none). It calls f
// for none and reports false when t has an embedded field: promoted fields
// would need all of encoding/json's rules.
func eachJSONField(t reflect.Type, f func(sf reflect.StructField, name, opts string)) bool {
	for i := range t.NumField() {
		if t.Field(i).Anonymous {
			return false
		}
	}
	for i := range t.NumField() {
		sf := t.Field(i)
		if tag := sf.Tag.Get("json"); sf.IsExported() && tag != "-" {
			name, opts, _ := strings.Cut(tag, ",")
			f(sf, name, opts)
		}
	}
	return true
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

// array decodes the array the decoder is at into the slice s, one element
// at a time, as encoding/json fills a slice: grown in place, elements
// decoded into zeroed memory, and an empty array gives an empty, non-nil
// slice. key names the slice's field in the struct type st, for type
// errors ("" and nil at the top), and path is its JSON path.
func (d *streamDecoder) array(s reflect.Value, key string, path []byte, st reflect.Type) error {
	dec := d.dec
	if _, err := dec.Token(); err != nil { // [
		return cut(err)
	}
	var at []byte
	i := 0
	for dec.More() {
		if i >= s.Cap() {
			s.Grow(1)
		}
		if i >= s.Len() {
			s.SetLen(i + 1)
		}
		start := dec.InputOffset()
		d.r.mark(start)
		err := dec.Decode(s.Index(i).Addr().Interface())
		if err != nil && !d.broken(err) && d.placed(err) {
			at = appendIndex(append(at[:0], path...), i)
			err = d.place(err, start, dec.InputOffset(), s.Index(i), at)
		}
		if err := d.piece(err, key, st); err != nil {
			return err
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
	return nil
}

// object decodes the object the decoder is at into the struct *rv: the
// arrays of fields element by element (array), every other member by
// json.Unmarshal of an object holding just that member, which applies all
// of encoding/json's rules (case-insensitive names, embedded structs,
// options) to it.
func (d *streamDecoder) object(rv reflect.Value, fields map[string]int) error {
	dec := d.dec
	if _, err := dec.Token(); err != nil { // {
		return cut(err)
	}
	st := rv.Elem()
	streamed := map[int]bool{}
	var member []byte
	for dec.More() {
		d.r.mark(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return cut(err)
		}
		key, _ := tok.(string)
		if i, ok := fields[key]; ok && !streamed[i] && nextIsArray(dec) {
			streamed[i] = true
			if err := d.array(st.Field(i), key, appendKey(nil, key), st.Type()); err != nil {
				return err
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
		err = json.Unmarshal(member, rv.Interface())
		switch {
		case err == nil || !d.placed(err):
		case d.lenient != nil:
			w := newWalker(nil, member, d.lenient)
			w.object(member, st)
			err = nil
		default:
			err = locate(member, st, "", err)
		}
		if err := d.piece(err, "", st.Type()); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // }
		return cut(err)
	}
	return nil
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
