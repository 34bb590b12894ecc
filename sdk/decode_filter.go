package sdk

import (
	"encoding"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"sync"
)

// jsonFilter stands between a large body and json.Decoder, so that the
// decoder never holds what the result does not keep. json.Decoder buffers
// every value it decodes, and the whitespace it skips, in a buffer that
// grows by doubling: a 1 MiB gzip body of `{"id":"a"` and a gibibyte of
// spaces took 0.9 GiB of heap to reach the size limit. The filter reads the
// first JSON value of the body and writes it out:
//
//   - without insignificant whitespace;
//   - without the members of objects that no field of the Go type they
//     decode into would take (encoding/json ignores them), found by the
//     rules encoding/json matches names with (exact, then case-folded);
//   - with the contents of an array or object emptied where the Go type
//     takes no array or object (a string field, say): encoding/json
//     reports the same type error whatever they hold.
//
// So what reaches the decoder is what the result holds, plus punctuation.
// Everything it drops is still checked: a syntax error anywhere is
// returned, with the message encoding/json gives for it (it is produced by
// encoding/json itself, on the character in the same context), where it
// occurs in the stream. Values whose types decode themselves (UnmarshalJSON,
// UnmarshalText, json.RawMessage) are passed through as sent, whitespace
// included, since the method sees their bytes. After the first value the
// filter reports io.EOF; Rest reads what follows.
type jsonFilter struct {
	src    io.Reader
	in     []byte
	i, n   int   // in[i:n] is unread input
	off    int64 // input bytes before in[0]
	srcErr error // the source's error, once it returned one
	err    error // a syntax error; returned once the output before it is read
	done   bool  // the first value ended

	out []byte // output not yet read
	o   int

	stack []filterFrame
	st    filterStep
	cur   valueMode // how the value that starts next is handled
	sink  sinkKind  // where the bytes of the string being read go
	lit   string    // the rest of the literal being read
	tok   []byte    // the literal or \u escape read so far, for errors
	hex   int       // hexadecimal digits left in a \u escape
	// A struct member's key is written out before its fate is known, and
	// held back (out[keyMark:] is not read) until it is: keyMark is where
	// the member starts (its comma), keyStart where its key does; -1
	// when no member is pending.
	keyMark, keyStart int
	inKey             bool // the string being read is a key
}

// valueMode says how a value is handled.
type valueMode struct {
	emit bool      // written out (else only checked)
	raw  bool      // written as sent, whitespace included
	plan *typePlan // the Go type it decodes into; nil: any (untyped)
}

type filterFrame struct {
	obj   bool
	emit  bool      // its brackets are written
	kids  valueMode // members' (maps, any) or elements' mode
	plan  *typePlan // a struct whose members are chosen by key, when set
	count int       // members written, for the commas between them
	hint  int       // the index in plan.names of the key likely next
}

type filterStep uint8

const (
	stValue      filterStep = iota // a value starts
	stValueOrEnd                   // after [: an element or ]
	stKeyOrEnd                     // after {: a key or }
	stKey                          // after , in an object: a key
	stColon                        // after a key
	stAfterValue                   // after a value
	stString
	stEscape
	stHex
	stNeg
	stZero
	stInt
	stDot
	stFrac
	stExp
	stExpSign
	stExpDigits
	stLiteral
)

type sinkKind uint8

const (
	sinkOut  sinkKind = iota // the value's bytes are written
	sinkDrop                 // checked only
	sinkKey                  // written, held back until its member is decided
)

// maxDepth is encoding/json's limit of nested arrays and objects.
const maxDepth = 10000

func newJSONFilter(src io.Reader, t reflect.Type) *jsonFilter {
	return &jsonFilter{src: src, in: make([]byte, 32<<10), cur: valueMode{emit: true, plan: planOf(t)}, keyMark: -1}
}

// ready is the end of the output that may be read.
func (f *jsonFilter) ready() int {
	if f.keyMark >= 0 {
		return f.keyMark
	}
	return len(f.out)
}

// Read writes out the filtered value.
func (f *jsonFilter) Read(p []byte) (int, error) {
	for f.o == f.ready() {
		if f.keyMark < 0 {
			f.out, f.o = f.out[:0], 0
		} else if f.o > 0 {
			f.out = f.out[:copy(f.out, f.out[f.o:])]
			f.keyMark -= f.o
			f.keyStart -= f.o
			f.o = 0
		}
		if f.err != nil {
			return 0, f.err
		}
		if f.done {
			return 0, io.EOF
		}
		if f.i == f.n {
			if f.srcErr == io.EOF && f.inValue() {
				// Said here, not only by json.Decoder: the stream decoder
				// may drain the rest itself, after a piece's error.
				return 0, io.ErrUnexpectedEOF
			}
			if f.srcErr != nil {
				return 0, f.srcErr
			}
			f.off += int64(f.n)
			n, err := f.src.Read(f.in)
			f.i, f.n = 0, n
			if err != nil {
				f.srcErr = err
			}
			continue
		}
		f.scan()
	}
	n := copy(p, f.out[f.o:f.ready()])
	f.o += n
	return n, nil
}

// inValue reports that the first value has begun and is not whole yet (a
// number at the top may end with the body).
func (f *jsonFilter) inValue() bool {
	switch f.st {
	case stValue, stZero, stInt, stFrac, stExpDigits:
		return len(f.stack) > 0
	}
	return true
}

// Rest reads what follows the first value, up to max bytes, and returns
// the source's error if it was not io.EOF: a body that ends short of its
// Content-Length fails here though its value was whole.
func (f *jsonFilter) Rest(max int64) error {
	if f.srcErr != nil {
		if f.srcErr == io.EOF {
			return nil
		}
		return f.srcErr
	}
	n, err := io.Copy(io.Discard, io.LimitReader(f.src, max))
	if err == nil && n == max {
		return nil // more than max: left to the drain
	}
	return err
}

func (f *jsonFilter) emit(c byte) { f.out = append(f.out, c) }

// fail records the syntax error of c in the context that prefix sets up,
// as encoding/json words it.
func (f *jsonFilter) fail(prefix string, c byte) {
	var v any
	err := json.Unmarshal(append([]byte(prefix), c), &v)
	if se, ok := err.(*json.SyntaxError); ok {
		se.Offset = f.off + int64(f.i) + 1
	}
	f.err = err
}

// scan reads the input in[i:n] (stopping at an error or the end of the
// value) and appends the output.
func (f *jsonFilter) scan() {
	in := f.in[:f.n]
	for f.i < len(in) && f.err == nil && !f.done {
		c := in[f.i]
		switch f.st {
		case stValue, stValueOrEnd, stKeyOrEnd, stKey, stColon, stAfterValue:
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				j := f.i + 1
				for j < len(in) && (in[j] == ' ' || in[j] == '\t' || in[j] == '\n' || in[j] == '\r') {
					j++
				}
				if f.rawHere() {
					f.out = append(f.out, in[f.i:j]...)
				}
				f.i = j
				continue
			}
			f.structural(c)
		case stString:
			j := f.i
			for j < len(in) && plainStringByte[in[j]] {
				j++
			}
			f.sinkBytes(in[f.i:j])
			f.i = j
			if j == len(in) {
				return
			}
			switch c = in[j]; c {
			case '"':
				f.sinkBytes(in[j : j+1])
				f.i++
				f.endString()
			case '\\':
				f.sinkBytes(in[j : j+1])
				f.i++
				f.st = stEscape
			default:
				f.fail(`"`, c)
			}
		case stEscape:
			switch c {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				f.st = stString
			case 'u':
				f.st, f.hex, f.tok = stHex, 4, f.tok[:0]
			default:
				f.fail(`"\`, c)
				return
			}
			f.sinkBytes(in[f.i : f.i+1])
			f.i++
		case stHex:
			if !isHex(c) {
				f.fail(`"\u`+string(f.tok), c)
				return
			}
			f.tok = append(f.tok, c)
			f.sinkBytes(in[f.i : f.i+1])
			f.i++
			if f.hex--; f.hex == 0 {
				f.st = stString
			}
		case stLiteral:
			if c != f.lit[0] {
				f.fail(string(f.tok), c)
				return
			}
			f.tok = append(f.tok, c)
			f.valueByte(c)
			f.i++
			if f.lit = f.lit[1:]; f.lit == "" {
				f.endValue()
			}
		default:
			f.number(c)
		}
	}
}

// rawHere reports whether whitespace at this point is written out: inside
// a value passed as sent.
func (f *jsonFilter) rawHere() bool {
	if len(f.stack) == 0 {
		return false
	}
	top := &f.stack[len(f.stack)-1]
	return top.emit && top.kids.raw
}

// valueByte writes a byte of the scalar being read, if it is written.
func (f *jsonFilter) valueByte(c byte) {
	if f.cur.emit {
		f.out = append(f.out, c)
	}
}

func (f *jsonFilter) sinkBytes(b []byte) {
	switch f.sink {
	case sinkOut:
		f.out = append(f.out, b...)
	case sinkKey:
		if len(f.out)-f.keyStart+len(b) > f.stack[len(f.stack)-1].plan.maxKey {
			// Longer than any name that a field may take: the member is
			// dropped.
			f.out, f.keyMark, f.sink = f.out[:f.keyMark], -1, sinkDrop
			return
		}
		f.out = append(f.out, b...)
	}
}

// structural handles c where punctuation or a value may come.
func (f *jsonFilter) structural(c byte) {
	switch f.st {
	case stValueOrEnd:
		if c == ']' {
			f.i++
			f.close()
			return
		}
		f.st = stValue
		fallthrough
	case stValue:
		f.startValue(c)
	case stKeyOrEnd, stKey:
		switch {
		case c == '}' && f.st == stKeyOrEnd:
			f.i++
			f.close()
		case c == '"':
			f.i++
			f.startKey()
		case f.st == stKeyOrEnd:
			f.fail("{", c)
		default:
			f.fail(`{"a":"",`, c)
		}
	case stColon:
		if c != ':' {
			f.fail(`{"a"`, c)
			return
		}
		f.i++
		f.member()
		f.st = stValue
	case stAfterValue:
		top := &f.stack[len(f.stack)-1]
		switch {
		case c == ',':
			f.i++
			if top.obj {
				if top.plan == nil && top.emit && top.kids.emit {
					f.emit(',')
				}
				f.st = stKey
			} else {
				if top.emit && top.kids.emit {
					f.emit(',')
				}
				f.cur, f.st = top.kids, stValue
			}
		case c == '}' && top.obj, c == ']' && !top.obj:
			f.i++
			f.close()
		case top.obj:
			f.fail(`{"a":""`, c)
		default:
			f.fail(`[""`, c)
		}
	}
}

// startValue begins the value whose first byte is c.
func (f *jsonFilter) startValue(c byte) {
	switch {
	case c == '{' || c == '[':
		f.open(c == '{')
		f.i++
	case c == '"':
		f.valueByte(c)
		f.sink = sinkDrop
		if f.cur.emit {
			f.sink = sinkOut
		}
		f.st = stString
		f.i++
	case c == '-':
		f.valueByte(c)
		f.st = stNeg
		f.i++
	case c == '0':
		f.valueByte(c)
		f.st = stZero
		f.i++
	case '1' <= c && c <= '9':
		f.valueByte(c)
		f.st = stInt
		f.i++
	case c == 't' || c == 'f' || c == 'n':
		switch c {
		case 't':
			f.lit = "rue"
		case 'f':
			f.lit = "alse"
		default:
			f.lit = "ull"
		}
		f.tok = append(f.tok[:0], c)
		f.valueByte(c)
		f.st = stLiteral
		f.i++
	default:
		f.fail("", c)
	}
}

// open starts an object or an array in the current mode.
func (f *jsonFilter) open(obj bool) {
	if len(f.stack) >= maxDepth {
		b := byte('[')
		if obj {
			b = '{'
		}
		f.fail(strings.Repeat("[", maxDepth), b)
		return
	}
	m := f.cur
	fr := filterFrame{obj: obj, emit: m.emit}
	switch p := m.plan; {
	case !m.emit:
		fr.kids = valueMode{}
	case m.raw:
		fr.kids = valueMode{emit: true, raw: true}
	case p == nil:
		fr.kids = valueMode{emit: true}
	case p.raw:
		fr.kids = valueMode{emit: true, raw: true}
	case obj && p.fields != nil:
		fr.plan = p
	case obj && p.kind == reflect.Map, !obj && p.kind == reflect.Slice:
		fr.kids = valueMode{emit: true, plan: p.elemPlan()}
	default:
		// The Go type takes no array or object here: encoding/json
		// reports a type error whatever the contents, so they are
		// checked and dropped.
		fr.kids = valueMode{}
	}
	if fr.emit {
		if obj {
			f.emit('{')
		} else {
			f.emit('[')
		}
	}
	f.stack = append(f.stack, fr)
	if obj {
		f.st = stKeyOrEnd
	} else {
		f.st = stValueOrEnd
		f.cur = fr.kids
	}
}

// close ends the innermost object or array.
func (f *jsonFilter) close() {
	top := f.stack[len(f.stack)-1]
	if top.emit {
		if top.obj {
			f.emit('}')
		} else {
			f.emit(']')
		}
	}
	f.stack = f.stack[:len(f.stack)-1]
	f.endValue()
}

// endValue moves past a value that ended.
func (f *jsonFilter) endValue() {
	if len(f.stack) == 0 {
		f.done = true
		return
	}
	f.st = stAfterValue
}

// startKey begins an object key, after its opening quote.
func (f *jsonFilter) startKey() {
	top := &f.stack[len(f.stack)-1]
	f.st, f.inKey = stString, true
	if top.plan != nil {
		// The member's fate depends on the key: hold it.
		f.sink, f.keyMark = sinkKey, len(f.out)
		if top.count > 0 {
			f.emit(',')
		}
		f.keyStart = len(f.out)
		f.emit('"')
		return
	}
	if top.emit && top.kids.emit {
		f.sink = sinkOut
		f.emit('"')
	} else {
		f.sink = sinkDrop
	}
}

// endString ends a string: a key or a value.
func (f *jsonFilter) endString() {
	if f.inKey {
		f.inKey, f.st = false, stColon
		return
	}
	f.endValue()
}

// member decides what happens to the value of the member whose key was
// read, after its colon.
func (f *jsonFilter) member() {
	top := &f.stack[len(f.stack)-1]
	if top.plan == nil {
		if top.emit && top.kids.emit {
			f.emit(':')
		}
		f.cur = top.kids
		return
	}
	if f.keyMark < 0 {
		f.cur = valueMode{} // a key too long for any field
		return
	}
	m := top.plan.member(f.out[f.keyStart:], &top.hint)
	if m.emit {
		top.count++
		f.emit(':')
	} else {
		f.out = f.out[:f.keyMark]
	}
	f.keyMark, f.cur = -1, m
}

// number reads the bytes of a number.
func (f *jsonFilter) number(c byte) {
	digit := '0' <= c && c <= '9'
	switch f.st {
	case stNeg:
		switch {
		case c == '0':
			f.st = stZero
		case digit:
			f.st = stInt
		default:
			f.fail("-", c)
			return
		}
	case stZero, stInt:
		switch {
		case digit && f.st == stInt:
		case c == '.':
			f.st = stDot
		case c == 'e' || c == 'E':
			f.st = stExp
		default:
			f.endValue()
			return
		}
	case stDot:
		if !digit {
			f.fail("0.", c)
			return
		}
		f.st = stFrac
	case stFrac:
		switch {
		case digit:
		case c == 'e' || c == 'E':
			f.st = stExp
		default:
			f.endValue()
			return
		}
	case stExp:
		switch {
		case c == '+' || c == '-':
			f.st = stExpSign
		case digit:
			f.st = stExpDigits
		default:
			f.fail("0e", c)
			return
		}
	case stExpSign:
		if !digit {
			f.fail("0e+", c)
			return
		}
		f.st = stExpDigits
	case stExpDigits:
		if !digit {
			f.endValue()
			return
		}
	}
	f.valueByte(c)
	f.i++
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// plainStringByte marks the bytes that may stand for themselves inside a
// JSON string.
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// typePlan is what the filter knows of a Go type a value decodes into.
type typePlan struct {
	t    reflect.Type
	kind reflect.Kind // after pointers
	// raw: the type decodes itself (or its members cannot be told apart):
	// its values are passed through as sent.
	raw bool
	// fields of a struct, by name as encoding/json matches them; nil for
	// other kinds.
	fields map[string]*fieldEntry
	names  []string      // the keys of fields, in the struct's order
	byName []*fieldEntry // fields[names[i]]
	maxKey int           // the longest key that may match, quoted and escaped

	elemOnce sync.Once
	elem     *typePlan
}

var typePlans sync.Map // reflect.Type → *typePlan

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// planOf returns the plan of t (nil t: any).
func planOf(t reflect.Type) *typePlan {
	if t == nil {
		return nil
	}
	if p, ok := typePlans.Load(t); ok {
		return p.(*typePlan)
	}
	p := &typePlan{t: t}
	for {
		if elem := wrappedElem(t); elem != nil {
			// A nullable.Nullable[T] or an Opt[T] decodes null, or a T
			// with json.Unmarshal: what keeps the T's decoding as it is
			// keeps the wrapper's.
			p2, _ := typePlans.LoadOrStore(p.t, planOf(elem))
			return p2.(*typePlan)
		}
		if t.Implements(jsonUnmarshalerType) || t.Implements(textUnmarshalerType) ||
			reflect.PointerTo(t).Implements(jsonUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) {
			p.raw = true
			break
		}
		if t.Kind() != reflect.Pointer {
			break
		}
		t = t.Elem()
	}
	p.kind = t.Kind()
	switch p.kind {
	case reflect.Interface:
		if t.NumMethod() == 0 {
			p2, _ := typePlans.LoadOrStore(p.t, (*typePlan)(nil))
			return p2.(*typePlan)
		}
		p.raw = true
	case reflect.Struct:
		if !p.raw {
			p.structFields(t)
		}
	case reflect.Map, reflect.Slice, reflect.Array:
		if p.kind == reflect.Array {
			p.kind = reflect.Slice
		}
	case reflect.Bool, reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
	default:
		p.raw = true
	}
	p2, _ := typePlans.LoadOrStore(p.t, p)
	return p2.(*typePlan)
}

// elemPlan is the plan of the elements of a slice, array or map.
func (p *typePlan) elemPlan() *typePlan {
	p.elemOnce.Do(func() {
		t := p.t
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		p.elem = planOf(t.Elem())
	})
	return p.elem
}

// fieldEntry is the fields a name may match.
type fieldEntry struct {
	next   int // the index in names of the name after this one
	fields []reflect.StructField
	once   sync.Once
	mode   valueMode // of their values, once known
}

func (e *fieldEntry) valueMode() valueMode {
	e.once.Do(func() {
		if len(e.fields) > 1 || e.fields[0].Type == nil {
			e.mode = valueMode{emit: true, raw: true} // several fields, or special: as sent
			return
		}
		e.mode = valueMode{emit: true, plan: planOf(e.fields[0].Type)}
	})
	return e.mode
}

// structFields lists the names encoding/json may match to fields of t. A
// struct with embedded fields is passed through as sent: its promoted
// fields would need all of encoding/json's rules.
func (p *typePlan) structFields(t reflect.Type) {
	fields := map[string]*fieldEntry{}
	if !eachJSONField(t, func(sf reflect.StructField, name, opts string) {
		if hasOption(opts, "string") {
			sf.Type = nil // decoded from a quoted string: passed as sent
		}
		// encoding/json falls back on the field's name for a tag name it
		// finds invalid; both are kept, which can only keep more.
		for _, n := range []string{name, sf.Name} {
			if n != "" {
				if fields[n] == nil {
					fields[n] = &fieldEntry{}
				}
				fields[n].fields = append(fields[n].fields, sf)
			}
			if name != "" && isValidTagName(name) {
				break
			}
		}
	}) {
		p.raw = true
		return
	}
	p.fields = fields
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		for _, n := range []string{name, sf.Name} {
			if e := fields[n]; e != nil && e.next == 0 {
				p.names, p.byName = append(p.names, n), append(p.byName, e)
				e.next = len(p.names)
			}
		}
	}
	for _, n := range p.names {
		// Every byte of a name may be sent as a \u escape of 6 bytes.
		p.maxKey = max(p.maxKey, 6*len(n)+2)
	}
	p.maxKey = max(p.maxKey, 2)
}

// isValidTagName is encoding/json's rule for tag names (isValidTag).
func isValidTagName(s string) bool {
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c > 0x7f):
			return false
		}
	}
	return s != ""
}

// member says how the value of the member whose key is quoted (as sent)
// is handled: dropped when no field takes the key, as sent when several
// may or its field is special, else by its field's type. hint is where in
// names to look first: members tend to come in the order of the fields.
func (p *typePlan) member(quoted []byte, hint *int) valueMode {
	raw := quoted[1 : len(quoted)-1]
	if h := *hint; h < len(p.names) && p.names[h] == string(raw) {
		e := p.byName[h]
		*hint = e.next
		return e.valueMode()
	}
	var e *fieldEntry
	var key string
	if plainKey(raw) {
		e = p.fields[string(raw)]
		if e == nil {
			key = string(raw)
		}
	} else {
		var ok bool
		if key, ok = unquoteKey(quoted); !ok {
			return valueMode{emit: true, raw: true}
		}
		e = p.fields[key]
	}
	if e == nil {
		for _, n := range p.names {
			if strings.EqualFold(n, key) {
				if e != nil {
					return valueMode{emit: true, raw: true}
				}
				e = p.fields[n]
			}
		}
		if e == nil {
			return valueMode{}
		}
	}
	*hint = e.next
	return e.valueMode()
}

// unquoteKey decodes a key with escapes or bytes past ASCII as
// encoding/json does.
func unquoteKey(quoted []byte) (string, bool) {
	var s string
	err := json.Unmarshal(quoted, &s)
	return s, err == nil
}

// plainKey reports a key that is its own text: no escapes, only ASCII.
func plainKey(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}
