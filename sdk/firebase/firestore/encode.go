package firestore

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	v1 "github.com/sdkgen-go/sdkgen/sdk/firebase/firestore/firestorev1"
)

// GeoPoint is a Firestore geoPointValue: a latitude and a longitude in
// degrees.
type GeoPoint struct {
	Lat, Lng float64
}

// Reference is a Firestore referenceValue: the full name of a document
// ("projects/p/databases/(default)/documents/rooms/lobby"). [DocRef.Reference]
// makes one.
type Reference string

// Go values and Firestore values, both ways:
//
//	Go                                       Firestore
//	nil pointer, map, slice, interface       nullValue
//	bool                                     booleanValue
//	int, int8…int64, uint8…uint32            integerValue (uint, uint64, uintptr up to 2^63-1)
//	float32, float64 (not NaN or ±Inf)       doubleValue
//	string                                   stringValue
//	[]byte                                   bytesValue
//	time.Time                                timestampValue (kept to the microsecond)
//	GeoPoint                                 geoPointValue
//	Reference                                referenceValue
//	slice, array                             arrayValue
//	map[string]T, struct                     mapValue
//
// Struct fields are named by their firestore tag (`firestore:"name"`,
// `firestore:"name,omitempty"`, `firestore:"-"` to skip), else by the
// field's name; embedded structs without a tag lend their fields. Decoding
// into an interface gives nil, bool, int64, float64, string, []byte,
// time.Time, GeoPoint, Reference, []any or map[string]any; an integer
// decodes into a float, never the other way round.

var (
	timeType      = reflect.TypeFor[time.Time]()
	geoType       = reflect.TypeFor[GeoPoint]()
	refType       = reflect.TypeFor[Reference]()
	bytesType     = reflect.TypeFor[[]byte]()
	nullValue     = v1.ValueNullValue("NULL_VALUE")
	maxSafeUint64 = uint64(math.MaxInt64)
)

// EncodeError reports a Go value that has no Firestore form.
type EncodeError struct {
	// Path is where the value is ("scores.ada", "tags[2]").
	Path   string
	Type   string
	Reason string
}

// Error describes the failure on one line.
func (e *EncodeError) Error() string {
	where := ""
	if e.Path != "" {
		where = " at " + e.Path
	}
	return fmt.Sprintf("firestore: cannot encode %s%s: %s", e.Type, where, e.Reason)
}

// DecodeError reports a Firestore value that does not fit the Go type.
type DecodeError struct {
	Path string
	// Kind is the Firestore value's kind ("stringValue").
	Kind   string
	Type   string
	Reason string
}

// Error describes the failure on one line.
func (e *DecodeError) Error() string {
	where := ""
	if e.Path != "" {
		where = " at " + e.Path
	}
	s := fmt.Sprintf("firestore: cannot decode %s%s into %s", e.Kind, where, e.Type)
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Encode returns the fields of a document holding v, a struct or a
// map[string]T (or a pointer to one).
func Encode(v any) (map[string]v1.Value, error) {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return nil, &EncodeError{Type: fmt.Sprintf("%T", v), Reason: "a document needs a struct or a map, not nil"}
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct && rv.Kind() != reflect.Map {
		return nil, &EncodeError{Type: fmt.Sprintf("%T", v), Reason: "a document needs a struct or a map"}
	}
	val, err := encode(rv, "")
	if err != nil {
		return nil, err
	}
	if val.MapValue == nil || val.MapValue.Fields == nil {
		return map[string]v1.Value{}, nil
	}
	return val.MapValue.Fields, nil
}

// EncodeValue returns the Firestore value of v.
func EncodeValue(v any) (v1.Value, error) {
	if v == nil {
		return v1.Value{NullValue: &nullValue}, nil
	}
	return encode(reflect.ValueOf(v), "")
}

func encode(rv reflect.Value, path string) (v1.Value, error) {
	fail := func(reason string) (v1.Value, error) {
		return v1.Value{}, &EncodeError{Path: path, Type: rv.Type().String(), Reason: reason}
	}
	switch rv.Type() {
	case timeType:
		t := rv.Interface().(time.Time).UTC().Truncate(time.Microsecond)
		return v1.Value{TimestampValue: &t}, nil
	case geoType:
		g := rv.Interface().(GeoPoint)
		if g.Lat < -90 || g.Lat > 90 || g.Lng < -180 || g.Lng > 180 || math.IsNaN(g.Lat) || math.IsNaN(g.Lng) {
			return fail(fmt.Sprintf("latitude %v or longitude %v out of range", g.Lat, g.Lng))
		}
		return v1.Value{GeoPointValue: &v1.LatLng{Latitude: &g.Lat, Longitude: &g.Lng}}, nil
	case refType:
		s := rv.String()
		if !strings.HasPrefix(s, "projects/") || !strings.Contains(s, "/documents/") {
			return fail(fmt.Sprintf("%q is not a document name (projects/…/documents/…)", s))
		}
		return v1.Value{ReferenceValue: &s}, nil
	case bytesType:
		if rv.IsNil() {
			return v1.Value{NullValue: &nullValue}, nil
		}
		b := append([]byte(nil), rv.Bytes()...)
		return v1.Value{BytesValue: &b}, nil
	}
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return v1.Value{NullValue: &nullValue}, nil
		}
		return encode(rv.Elem(), path)
	case reflect.Bool:
		b := rv.Bool()
		return v1.Value{BooleanValue: &b}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		s := strconv.FormatInt(rv.Int(), 10)
		return v1.Value{IntegerValue: &s}, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if rv.Uint() > maxSafeUint64 {
			return fail(fmt.Sprintf("%d is above Firestore's largest integer (2^63-1)", rv.Uint()))
		}
		s := strconv.FormatUint(rv.Uint(), 10)
		return v1.Value{IntegerValue: &s}, nil
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fail("NaN and infinities have no JSON form in this SDK")
		}
		return v1.Value{DoubleValue: &f}, nil
	case reflect.String:
		s := rv.String()
		return v1.Value{StringValue: &s}, nil
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return v1.Value{NullValue: &nullValue}, nil
		}
		vals := make([]v1.Value, rv.Len())
		for i := range vals {
			v, err := encode(rv.Index(i), fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return v1.Value{}, err
			}
			if v.ArrayValue != nil {
				return fail("an array cannot hold an array directly (put it in a map)")
			}
			vals[i] = v
		}
		return v1.Value{ArrayValue: &v1.ArrayValue{Values: vals}}, nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return fail("map keys must be strings")
		}
		if rv.IsNil() {
			return v1.Value{NullValue: &nullValue}, nil
		}
		fields := make(map[string]v1.Value, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			k := it.Key().String()
			v, err := encode(it.Value(), join(path, k))
			if err != nil {
				return v1.Value{}, err
			}
			fields[k] = v
		}
		return v1.Value{MapValue: &v1.MapValue{Fields: fields}}, nil
	case reflect.Struct:
		fields := map[string]v1.Value{}
		for _, f := range structFields(rv.Type()) {
			fv := rv.FieldByIndex(f.index)
			if f.omitEmpty && fv.IsZero() {
				continue
			}
			v, err := encode(fv, join(path, f.name))
			if err != nil {
				return v1.Value{}, err
			}
			fields[f.name] = v
		}
		return v1.Value{MapValue: &v1.MapValue{Fields: fields}}, nil
	}
	return fail("no Firestore value has this kind")
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// field is a struct field as Firestore sees it.
type field struct {
	name      string
	index     []int
	omitEmpty bool
}

var fieldCache sync.Map // reflect.Type → []field

// structFields lists the fields of a struct type, embedded structs
// flattened (an outer field wins over an embedded one of the same name).
func structFields(t reflect.Type) []field {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]field)
	}
	var out []field
	seen := map[string]bool{}
	var walk func(t reflect.Type, index []int, depth int)
	walk = func(t reflect.Type, index []int, depth int) {
		var embedded []reflect.StructField
		for i := range t.NumField() {
			sf := t.Field(i)
			tag, hasTag := sf.Tag.Lookup("firestore")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if sf.Anonymous && !hasTag && sf.Type.Kind() == reflect.Struct {
				embedded = append(embedded, sf)
				continue
			}
			if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			if seen[name] {
				continue
			}
			seen[name] = true
			out = append(out, field{name: name, index: append(append([]int(nil), index...), i), omitEmpty: strings.Contains(","+opts+",", ",omitempty,")})
		}
		for _, sf := range embedded {
			if depth < 8 {
				walk(sf.Type, append(append([]int(nil), index...), sf.Index...), depth+1)
			}
		}
	}
	walk(t, nil, 0)
	sort.SliceStable(out, func(i, j int) bool { return out[i].name < out[j].name })
	fieldCache.Store(t, out)
	return out
}

// Decode sets v (a pointer to a struct or a map) from a document's fields.
func Decode(fields map[string]v1.Value, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &DecodeError{Kind: "mapValue", Type: fmt.Sprintf("%T", v), Reason: "want a non-nil pointer"}
	}
	return decode(v1.Value{MapValue: &v1.MapValue{Fields: fields}}, rv.Elem(), "")
}

// DecodeValue sets v (a pointer) from a Firestore value.
func DecodeValue(val v1.Value, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &DecodeError{Kind: kind(val), Type: fmt.Sprintf("%T", v), Reason: "want a non-nil pointer"}
	}
	return decode(val, rv.Elem(), "")
}

// kind names the value's kind.
func kind(v v1.Value) string {
	switch {
	case v.NullValue != nil:
		return "nullValue"
	case v.BooleanValue != nil:
		return "booleanValue"
	case v.IntegerValue != nil:
		return "integerValue"
	case v.DoubleValue != nil:
		return "doubleValue"
	case v.TimestampValue != nil:
		return "timestampValue"
	case v.StringValue != nil:
		return "stringValue"
	case v.BytesValue != nil:
		return "bytesValue"
	case v.ReferenceValue != nil:
		return "referenceValue"
	case v.GeoPointValue != nil:
		return "geoPointValue"
	case v.ArrayValue != nil:
		return "arrayValue"
	case v.MapValue != nil:
		return "mapValue"
	}
	return "nullValue" // a value with no member set is how a null arrives in some answers
}

func decode(val v1.Value, rv reflect.Value, path string) error {
	k := kind(val)
	fail := func(reason string) error {
		return &DecodeError{Path: path, Kind: k, Type: rv.Type().String(), Reason: reason}
	}
	if k == "nullValue" {
		rv.SetZero()
		return nil
	}
	switch rv.Kind() {
	case reflect.Pointer:
		if rv.IsNil() {
			rv.Set(reflect.New(rv.Type().Elem()))
		}
		return decode(val, rv.Elem(), path)
	case reflect.Interface:
		if rv.NumMethod() != 0 {
			return fail("an interface with methods")
		}
		nv, err := natural(val, path)
		if err != nil {
			return err
		}
		if nv == nil {
			rv.SetZero()
		} else {
			rv.Set(reflect.ValueOf(nv))
		}
		return nil
	}
	switch k {
	case "booleanValue":
		if rv.Kind() != reflect.Bool {
			return fail("")
		}
		rv.SetBool(*val.BooleanValue)
	case "integerValue":
		n, err := strconv.ParseInt(*val.IntegerValue, 10, 64)
		if err != nil {
			return fail(fmt.Sprintf("%q is not an integer", *val.IntegerValue))
		}
		switch rv.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			if rv.OverflowInt(n) {
				return fail(fmt.Sprintf("%d overflows it", n))
			}
			rv.SetInt(n)
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			if n < 0 || rv.OverflowUint(uint64(n)) {
				return fail(fmt.Sprintf("%d overflows it", n))
			}
			rv.SetUint(uint64(n))
		case reflect.Float32, reflect.Float64:
			rv.SetFloat(float64(n))
		default:
			return fail("")
		}
	case "doubleValue":
		if rv.Kind() != reflect.Float32 && rv.Kind() != reflect.Float64 {
			return fail("")
		}
		if rv.OverflowFloat(*val.DoubleValue) {
			return fail(fmt.Sprintf("%v overflows it", *val.DoubleValue))
		}
		rv.SetFloat(*val.DoubleValue)
	case "stringValue":
		if rv.Kind() != reflect.String || rv.Type() == refType {
			return fail("")
		}
		rv.SetString(*val.StringValue)
	case "timestampValue":
		if rv.Type() != timeType {
			return fail("")
		}
		rv.Set(reflect.ValueOf(*val.TimestampValue))
	case "bytesValue":
		if rv.Type() != bytesType && !(rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8) {
			return fail("")
		}
		rv.SetBytes(append([]byte(nil), *val.BytesValue...))
	case "referenceValue":
		if rv.Type() != refType {
			return fail("")
		}
		rv.SetString(*val.ReferenceValue)
	case "geoPointValue":
		if rv.Type() != geoType {
			return fail("")
		}
		var g GeoPoint
		if p := val.GeoPointValue.Latitude; p != nil {
			g.Lat = *p
		}
		if p := val.GeoPointValue.Longitude; p != nil {
			g.Lng = *p
		}
		rv.Set(reflect.ValueOf(g))
	case "arrayValue":
		var vals []v1.Value
		if val.ArrayValue.Values != nil {
			vals = val.ArrayValue.Values
		}
		switch rv.Kind() {
		case reflect.Slice:
			s := reflect.MakeSlice(rv.Type(), len(vals), len(vals))
			for i, e := range vals {
				if err := decode(e, s.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
			rv.Set(s)
		case reflect.Array:
			if len(vals) > rv.Len() {
				return fail(fmt.Sprintf("%d elements do not fit", len(vals)))
			}
			rv.SetZero()
			for i, e := range vals {
				if err := decode(e, rv.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
		default:
			return fail("")
		}
	case "mapValue":
		var fields map[string]v1.Value
		if val.MapValue.Fields != nil {
			fields = val.MapValue.Fields
		}
		switch rv.Kind() {
		case reflect.Map:
			if rv.Type().Key().Kind() != reflect.String {
				return fail("map keys must be strings")
			}
			m := reflect.MakeMapWithSize(rv.Type(), len(fields))
			for name, e := range fields {
				ev := reflect.New(rv.Type().Elem()).Elem()
				if err := decode(e, ev, join(path, name)); err != nil {
					return err
				}
				m.SetMapIndex(reflect.ValueOf(name).Convert(rv.Type().Key()), ev)
			}
			rv.Set(m)
		case reflect.Struct:
			if rv.Type() == timeType || rv.Type() == geoType {
				return fail("")
			}
			for _, f := range structFields(rv.Type()) {
				e, ok := fields[f.name]
				if !ok {
					continue
				}
				if err := decode(e, rv.FieldByIndex(f.index), join(path, f.name)); err != nil {
					return err
				}
			}
		default:
			return fail("")
		}
	}
	return nil
}

// natural is the Go value of val for an interface.
func natural(val v1.Value, path string) (any, error) {
	switch kind(val) {
	case "nullValue":
		return nil, nil
	case "booleanValue":
		return *val.BooleanValue, nil
	case "integerValue":
		n, err := strconv.ParseInt(*val.IntegerValue, 10, 64)
		if err != nil {
			return nil, &DecodeError{Path: path, Kind: "integerValue", Type: "int64", Reason: fmt.Sprintf("%q is not an integer", *val.IntegerValue)}
		}
		return n, nil
	case "doubleValue":
		return *val.DoubleValue, nil
	case "stringValue":
		return *val.StringValue, nil
	case "timestampValue":
		return *val.TimestampValue, nil
	case "bytesValue":
		return append([]byte(nil), *val.BytesValue...), nil
	case "referenceValue":
		return Reference(*val.ReferenceValue), nil
	case "geoPointValue":
		var g GeoPoint
		if err := decode(val, reflect.ValueOf(&g).Elem(), path); err != nil {
			return nil, err
		}
		return g, nil
	case "arrayValue":
		var out []any
		if err := decode(val, reflect.ValueOf(&out).Elem(), path); err != nil {
			return nil, err
		}
		if out == nil {
			out = []any{}
		}
		return out, nil
	default: // mapValue
		out := map[string]any{}
		if err := decode(val, reflect.ValueOf(&out).Elem(), path); err != nil {
			return nil, err
		}
		return out, nil
	}
}
