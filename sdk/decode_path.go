package sdk

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// This file finds where in a JSON value decoding failed, and decodes
// around the values that fail. encoding/json names no array index, no map
// key, and nothing at all for the error of an UnmarshalJSON method (a date
// that does not parse), and it stops at such an error. Both are done here
// only once decoding has failed, on the bytes of the value that failed, so
// decoding that succeeds costs nothing more.

// fieldErr is a value that did not decode, where it is.
type fieldErr struct {
	path string       // its JSON path from the value walked: "data[3].start_on"
	typ  reflect.Type // the Go type it decodes into, after pointers; nil when not known
	err  error        // the decoding error of the value alone
	// stop: encoding/json stops at this error (an UnmarshalJSON or
	// UnmarshalText method's); otherwise it keeps it and goes on.
	stop bool
}

// walker decodes a JSON value piece by piece, into values that keep what
// decodes, and reports each value that does not (left zero) to found.
type walker struct {
	path     []byte
	found    func(fieldErr)
	inMethod int // inside a value that decodes itself (a Nullable)
	budget   int // bytes the walk may still decode or scan
}

// newWalker returns a walker of the value data, at path, reporting to
// found.
//
// Each level of the walk scans the value it walks again, so a walk costs
// the depth of the value that fails times its size: with a recursive type
// and a value nested thousands deep (a hostile body of 32 KiB took 6.5 s),
// that is quadratic. The budget bounds a walk to walkFactor times its
// value's size (plus walkSlack); past it, the value being walked is taken
// whole, and reported whole if it fails. Real values, a few levels deep,
// stay well inside it.
func newWalker(path []byte, data []byte, found func(fieldErr)) walker {
	return walker{path: path, found: found, budget: walkFactor*len(data) + walkSlack}
}

const (
	walkFactor = 32
	walkSlack  = 64 << 10
)

// unmarshal is json.Unmarshal, charged to the walk's budget.
func (w *walker) unmarshal(data []byte, v any) error {
	w.budget -= len(data)
	return json.Unmarshal(data, v)
}

// pathError carries the place of a decoding error from the decoders to
// DecodeError: err is what encoding/json returned.
type pathError struct {
	err  error
	path string
	typ  reflect.Type
}

func (e *pathError) Error() string { return e.err.Error() }
func (e *pathError) Unwrap() error { return e.err }

// locate walks data, a whole, valid JSON value whose decoding into v
// (addressable) failed with err, and returns err with the place of the
// value that failed: the one encoding/json reported (the first error of a
// method in document order, else the first type error), found by its
// error. It returns err as it is when no value of the walk gives that
// error. The walk decodes into v: what a failed decoding leaves there is
// not specified anyway, and the values an interface points to (a
// GraphQL result) are walked through.
func locate(data []byte, v reflect.Value, prefix string, err error) error {
	var found []fieldErr
	w := newWalker(append([]byte(nil), prefix...), data, func(fe fieldErr) {
		if len(found) < 64 {
			found = append(found, fe)
		}
	})
	w.descend(data, v)
	if fe, ok := match(found, err); ok {
		return &pathError{err: err, path: fe.path, typ: fe.typ}
	}
	return err
}

// match picks among found (in document order) the value whose error is
// err. encoding/json returns the first error of a method when there is
// one, else the first error it kept while going on.
func match(found []fieldErr, err error) (fieldErr, bool) {
	te, isType := err.(*json.UnmarshalTypeError)
	same := func(fe fieldErr) bool {
		if fte, ok := fe.err.(*json.UnmarshalTypeError); ok && isType {
			// encoding/json names the field in the error it returns; the
			// walk decoded the value alone.
			return fte.Value == te.Value && fte.Type == te.Type
		}
		return fe.err.Error() == err.Error()
	}
	for _, fe := range found {
		if fe.stop && same(fe) {
			return fe, true
		}
	}
	for _, fe := range found {
		if same(fe) {
			return fe, true
		}
	}
	return fieldErr{}, false
}

// keptError reports an error that encoding/json keeps while it goes on
// decoding (a type error, misuse of the ,string option, bad base64); it
// returns every other error at once.
func keptError(err error) bool {
	switch err.(type) {
	case *json.UnmarshalTypeError, base64.CorruptInputError:
		return true
	}
	return strings.HasPrefix(err.Error(), "json: invalid use of ,string struct tag")
}

// descend decodes data (a whole, valid JSON value) into v (addressable)
// as encoding/json does, piece by piece: objects member by member, arrays
// element by element, each decoded whole when it can be and walked when it
// cannot; a value that fails alone (a scalar, or a type with its own
// UnmarshalJSON) is set to its zero value and reported. It reports whether
// v itself was such a value.
func (w *walker) descend(data []byte, v reflect.Value) bool {
	t := v.Type()
	if w.budget <= 0 {
		return w.leaf(data, v, decodesItself(t))
	}
	if t.Kind() == reflect.Pointer && !decodesItself(t) {
		if isNull(data) {
			v.SetZero()
			return false
		}
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		if w.descend(data, v.Elem()) {
			v.SetZero()
			return true
		}
		return false
	}
	if t.Kind() == reflect.Interface && !v.IsNil() && v.Elem().Kind() == reflect.Pointer && !v.Elem().IsNil() && !isNull(data) {
		// encoding/json decodes into what the interface points to.
		return w.descend(data, v.Elem().Elem())
	}
	if elem := wrappedElem(t); elem != nil {
		return w.wrapped(data, v, elem)
	}
	if decodesItself(t) {
		return w.leaf(data, v, true)
	}
	switch first := firstByte(data); {
	case t.Kind() == reflect.Struct && first == '{':
		w.object(data, v)
		return false
	case t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8 && first == '[':
		w.elements(data, v)
		return false
	case t.Kind() == reflect.Map && first == '{':
		w.entries(data, v)
		return false
	}
	return w.leaf(data, v, false)
}

// leaf decodes data into v alone; when that fails, v is set to its zero
// value and reported.
func (w *walker) leaf(data []byte, v reflect.Value, method bool) bool {
	err := w.unmarshal(data, v.Addr().Interface())
	if err == nil {
		return false
	}
	v.SetZero()
	w.report(v.Type(), err, method || !keptError(err))
	return true
}

func (w *walker) report(t reflect.Type, err error, stop bool) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	w.found(fieldErr{path: string(w.path), typ: t, err: err, stop: stop || w.inMethod > 0})
}

// object decodes the members of the object data into the struct v.
func (w *walker) object(data []byte, v reflect.Value) {
	fields := jsonFieldsOf(v.Type())
	n := len(w.path)
	w.budget -= len(data)
	members(data, func(key string, raw []byte) {
		member := oneMember(key, raw)
		err := w.unmarshal(member, v.Addr().Interface())
		if err == nil {
			return
		}
		w.path = appendKey(w.path[:n], key)
		defer func() { w.path = w.path[:n] }()
		f, ok := fields.lookup(key)
		switch {
		case !ok:
			// No field is known to take it (embedded structs): reported
			// where it is, its field left as encoding/json left it.
			w.report(nil, err, !keptError(err))
		case f.quoted:
			// A ,string field: the value alone would not decode as the
			// member does.
			v.Field(f.index).SetZero()
			w.report(f.typ, err, !keptError(err))
		default:
			w.descend(raw, v.Field(f.index))
		}
	})
}

// elements decodes the elements of the array data into the slice v, as
// encoding/json fills a slice.
func (w *walker) elements(data []byte, v reflect.Value) {
	n := len(w.path)
	i := 0
	w.budget -= len(data)
	eachElement(data, func(raw []byte) {
		if i >= v.Cap() {
			v.Grow(1)
		}
		if i >= v.Len() {
			v.SetLen(i + 1)
		}
		if w.unmarshal(raw, v.Index(i).Addr().Interface()) != nil {
			w.path = appendIndex(w.path[:n], i)
			w.descend(raw, v.Index(i))
			w.path = w.path[:n]
		}
		i++
	})
	if i < v.Len() {
		v.SetLen(i)
	}
	if i == 0 {
		v.Set(reflect.MakeSlice(v.Type(), 0, 0))
	}
}

// entries decodes the members of the object data into the map v. A
// member whose key does not fit the map's key type is left out.
func (w *walker) entries(data []byte, v reflect.Value) {
	t := v.Type()
	if v.IsNil() {
		v.Set(reflect.MakeMap(t))
	}
	n := len(w.path)
	w.budget -= len(data)
	members(data, func(key string, raw []byte) {
		one := reflect.New(t)
		if w.unmarshal(oneMember(key, raw), one.Interface()) == nil {
			for it := one.Elem().MapRange(); it.Next(); {
				v.SetMapIndex(it.Key(), it.Value())
			}
			return
		}
		w.path = appendKey(w.path[:n], key)
		defer func() { w.path = w.path[:n] }()
		keys := reflect.New(reflect.MapOf(t.Key(), reflect.TypeFor[json.RawMessage]()))
		if err := w.unmarshal(oneMember(key, []byte("null")), keys.Interface()); err != nil {
			w.report(t.Key(), err, !keptError(err))
			return
		}
		it := keys.Elem().MapRange()
		it.Next()
		elem := reflect.New(t.Elem()).Elem()
		w.descend(raw, elem)
		v.SetMapIndex(it.Key(), elem)
	})
}

// wrapped decodes data into v, a nullable.Nullable[T] or an Opt[T]:
// null, or a T walked like any other value (so that a bad field of an
// optional object leaves only that field zero). What fails inside counts
// as the error of a method, the wrapper's UnmarshalJSON.
func (w *walker) wrapped(data []byte, v reflect.Value, elem reflect.Type) bool {
	if w.unmarshal(data, v.Addr().Interface()) == nil {
		return false
	}
	e := reflect.New(elem).Elem()
	w.inMethod++
	failed := w.descend(data, e)
	w.inMethod--
	switch {
	case failed:
		v.SetZero()
	case isNullable(v.Type()):
		m := reflect.MakeMapWithSize(v.Type(), 1)
		m.SetMapIndex(reflect.ValueOf(true), e)
		v.Set(m)
	default:
		v.Addr().Interface().(optional).setValue(e)
	}
	return failed
}

// wrappedElem returns T when t is a nullable.Nullable[T] or an Opt[T],
// whose UnmarshalJSON decodes a T (or null), else nil.
func wrappedElem(t reflect.Type) reflect.Type {
	switch {
	case isNullable(t):
		return t.Elem()
	case t.Kind() == reflect.Struct && reflect.PointerTo(t).Implements(optionalType):
		return reflect.New(t).Interface().(optional).elemType()
	}
	return nil
}

var optionalType = reflect.TypeFor[optional]()

// nullablePkg is the package of nullable.Nullable.
const nullablePkg = "github.com/sdkgen-go/sdkgen/sdk/nullable"

// isNullable reports whether t is a nullable.Nullable[T] (a map[bool]T).
func isNullable(t reflect.Type) bool {
	return t.Kind() == reflect.Map && t.Key().Kind() == reflect.Bool && t.PkgPath() == nullablePkg &&
		strings.HasPrefix(t.Name(), "Nullable[")
}

// decodesItself reports whether encoding/json hands values of type t (or
// *t) to their own UnmarshalJSON or UnmarshalText method.
func decodesItself(t reflect.Type) bool {
	for _, u := range []reflect.Type{jsonUnmarshaler, textUnmarshaler} {
		if t.Implements(u) || t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(u) {
			return true
		}
	}
	return false
}

func isNull(data []byte) bool { return string(bytes.TrimSpace(data)) == "null" }

// members calls f with each member of the object data, in order.
func members(data []byte, f func(key string, raw []byte)) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return
		}
		key, _ := tok.(string)
		f(key, raw)
	}
}

// eachElement calls f with each element of the array data, in order.
func eachElement(data []byte, f func(raw []byte)) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return
	}
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return
		}
		f(raw)
	}
}

// oneMember returns the object {key: raw}.
func oneMember(key string, raw []byte) []byte {
	name, _ := json.Marshal(key)
	b := make([]byte, 0, len(name)+len(raw)+3)
	return append(append(append(append(append(b, '{'), name...), ':'), raw...), '}')
}

// appendKey appends the member key to a JSON path: .key when key is a
// plain name, else ["key"].
func appendKey(path []byte, key string) []byte {
	if plainName(key) {
		if len(path) > 0 {
			path = append(path, '.')
		}
		return append(path, key...)
	}
	q, _ := json.Marshal(key)
	return append(append(append(path, '['), q...), ']')
}

func appendIndex(path []byte, i int) []byte {
	return append(strconv.AppendInt(append(path, '['), int64(i), 10), ']')
}

// plainName reports a key that a path may show after a dot: letters,
// digits and underscores, not starting with a digit.
func plainName(s string) bool {
	for i, c := range s {
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return s != ""
}

// jsonField is a struct field as encoding/json decodes it.
type jsonField struct {
	name   string
	index  int
	typ    reflect.Type
	quoted bool // the ,string option
}

type jsonFields []jsonField

var jsonFieldsCache sync.Map // reflect.Type → jsonFields

// jsonFieldsOf lists the fields of the struct type t by the names
// encoding/json gives them, in order, without the names that two fields
// claim alike; nil for a struct with embedded fields, whose promoted
// fields would need all of encoding/json's rules.
func jsonFieldsOf(t reflect.Type) jsonFields {
	if f, ok := jsonFieldsCache.Load(t); ok {
		return f.(jsonFields)
	}
	var all jsonFields
	tagged := map[string]int{}
	count := map[string]int{}
	if eachJSONField(t, func(sf reflect.StructField, name, opts string) {
		if isValidTagName(name) {
			tagged[name]++
		} else {
			name = sf.Name
		}
		count[name]++
		q := hasOption(opts, "string")
		all = append(all, jsonField{name: name, index: sf.Index[0], typ: sf.Type, quoted: q})
	}) {
		// encoding/json's rule for a name claimed twice at one depth: the
		// one tagged field wins; otherwise none does.
		var fields jsonFields
		for _, f := range all {
			tag, _, _ := strings.Cut(t.Field(f.index).Tag.Get("json"), ",")
			if count[f.name] == 1 || tagged[f.name] == 1 && tag == f.name {
				fields = append(fields, f)
			}
		}
		all = fields
	} else {
		all = nil
	}
	jsonFieldsCache.Store(t, all)
	return all
}

// lookup finds the field a key goes to: the exact name, else the first
// that matches without regard to case, as encoding/json matches them.
func (fs jsonFields) lookup(key string) (jsonField, bool) {
	for _, f := range fs {
		if f.name == key {
			return f, true
		}
	}
	for _, f := range fs {
		if strings.EqualFold(f.name, key) {
			return f, true
		}
	}
	return jsonField{}, false
}

// typeErrorText words a type error for a place that is already named.
func typeErrorText(err error) (string, bool) {
	te, ok := err.(*json.UnmarshalTypeError)
	if !ok {
		return "", false
	}
	return "cannot unmarshal " + te.Value, true
}
