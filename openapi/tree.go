package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// The position pass. kin-openapi keeps no positions for JSON input and stops
// at the first dangling $ref, so every spec file is first parsed into this
// small tree of our own, in which every value knows where it starts. The tree
// serves three purposes: finding every $ref (refs.go), locating any JSON
// pointer for a diagnostic (locate.go), and handing kin-openapi canonical JSON
// for YAML files, so that only one YAML parser (with our limits) ever runs.

type nodeKind uint8

const (
	kindNull nodeKind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

func (k nodeKind) String() string {
	return [...]string{"null", "boolean", "number", "string", "array", "object"}[k]
}

// node is one value of a spec file. For a member of an object, pos is where
// its key starts (the line a reader looks for); otherwise where the value
// starts.
type node struct {
	kind  nodeKind
	str   string // scalar text: unescaped string, number as written, "true"/"false"
	keys  []string
	kids  []*node
	index map[string]int // built lazily for large objects
	line  int32
	col   int32
}

const indexThreshold = 16

// get returns the member named key of an object node.
func (n *node) get(key string) *node {
	if n == nil || n.kind != kindObject {
		return nil
	}
	if len(n.keys) > indexThreshold {
		if n.index == nil {
			n.index = make(map[string]int, len(n.keys))
			for i, k := range n.keys {
				n.index[k] = i
			}
		}
		if i, ok := n.index[key]; ok {
			return n.kids[i]
		}
		return nil
	}
	for i, k := range n.keys {
		if k == key {
			return n.kids[i]
		}
	}
	return nil
}

// put adds a member to an object under construction. A repeated key
// replaces the earlier value in place (as encoding/json does: the last one
// wins) and reports true.
func (n *node) put(key string, v *node) bool {
	if len(n.keys) >= indexThreshold {
		if n.index == nil {
			n.index = make(map[string]int, len(n.keys)*2)
			for i, k := range n.keys {
				n.index[k] = i
			}
		}
		if i, ok := n.index[key]; ok {
			n.kids[i] = v
			return true
		}
		n.index[key] = len(n.keys)
	} else {
		for i, k := range n.keys {
			if k == key {
				n.kids[i] = v
				return true
			}
		}
	}
	n.keys = append(n.keys, key)
	n.kids = append(n.kids, v)
	return false
}

// child steps one JSON-pointer segment down from n.
func (n *node) child(seg string) *node {
	if n == nil {
		return nil
	}
	switch n.kind {
	case kindObject:
		return n.get(seg)
	case kindArray:
		i, err := strconv.Atoi(seg)
		if err != nil || i < 0 || i >= len(n.kids) || (len(seg) > 1 && seg[0] == '0') {
			return nil
		}
		return n.kids[i]
	}
	return nil
}

// stringAt returns the string value of member key, if it is a string.
func (n *node) stringAt(key string) (string, bool) {
	c := n.get(key)
	if c == nil || c.kind != kindString {
		return "", false
	}
	return c.str, true
}

// Limits that keep hostile input from exhausting the stack or memory.
const (
	maxDepth = 512
	// maxAliasExpansion bounds how many nodes YAML alias expansion may add,
	// relative to the nodes actually written in the file (a "billion laughs"
	// document expands a few hundred bytes into billions of nodes).
	maxAliasExpansion = 10
	minAliasBudget    = 1_000_000
)

// syntaxError is a parse failure at a known place.
type syntaxError struct {
	line, col int
	msg       string
	code      string
}

func (e *syntaxError) Error() string { return fmt.Sprintf("%d:%d: %s", e.line, e.col, e.msg) }

// dupKey is a key that appeared twice in one object.
type dupKey struct {
	key       string
	line, col int
}

// parsed is a parsed file.
type parsed struct {
	tree   *node
	isJSON bool
	dups   []dupKey
}

// parseTree parses a JSON or YAML file. JSON is recognised by its first
// non-blank byte ('{' or '['); anything else goes to the YAML parser, which
// also accepts JSON that starts otherwise.
func parseTree(data []byte) (parsed, error) {
	trimmed := bytes.TrimPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("\ufeff"))
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		p, err := parseJSON(data)
		if err == nil {
			return p, nil
		}
		// A flow-style YAML document may also start with '{'. Only fall back
		// when YAML accepts it; otherwise the JSON error is the better one.
		if yp, yerr := parseYAML(data); yerr == nil {
			return yp, nil
		}
		return parsed{isJSON: true}, err
	}
	return parseYAML(data)
}

// ---- JSON ----

type jsonScanner struct {
	data       []byte
	pos        int
	lineStarts []int
	dups       []dupKey
	// The last position computed: positions are asked for in increasing
	// order, so columns are counted from there, not from the line's start
	// (minified specs are one line of many megabytes).
	lastOff, lastLine, lastCol int
}

func parseJSON(data []byte) (parsed, error) {
	s := &jsonScanner{data: data, lineStarts: []int{0}}
	for i, c := range data {
		if c == '\n' {
			s.lineStarts = append(s.lineStarts, i+1)
		}
	}
	if bytes.HasPrefix(data, []byte("\ufeff")) {
		s.pos = 3
	}
	s.skipSpace()
	n, err := s.value(0)
	if err != nil {
		return parsed{}, err
	}
	s.skipSpace()
	if s.pos < len(s.data) {
		return parsed{}, s.errorf("unexpected %s after the top-level value", s.describe())
	}
	return parsed{tree: n, isJSON: true, dups: s.dups}, nil
}

// lineCol converts a byte offset to a 1-based line and rune column.
func (s *jsonScanner) lineCol(off int) (int, int) {
	if s.lastLine > 0 && off >= s.lastOff && (s.lastLine == len(s.lineStarts) || off < s.lineStarts[s.lastLine]) {
		col := s.lastCol + utf8.RuneCount(s.data[s.lastOff:off])
		s.lastOff, s.lastCol = off, col
		return s.lastLine, col
	}
	lo, hi := 0, len(s.lineStarts)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if s.lineStarts[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	start := s.lineStarts[lo]
	col := utf8.RuneCount(s.data[start:off]) + 1
	s.lastOff, s.lastLine, s.lastCol = off, lo+1, col
	return lo + 1, col
}

func (s *jsonScanner) errorf(format string, args ...any) error {
	line, col := s.lineCol(min(s.pos, len(s.data)))
	return &syntaxError{line: line, col: col, msg: "invalid JSON: " + fmt.Sprintf(format, args...), code: CodeSyntax}
}

func (s *jsonScanner) describe() string {
	if s.pos >= len(s.data) {
		return "end of file"
	}
	r, _ := utf8.DecodeRune(s.data[s.pos:])
	return strconv.QuoteRune(r)
}

func (s *jsonScanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\r', '\n':
			s.pos++
		default:
			return
		}
	}
}

func (s *jsonScanner) newNode(kind nodeKind, off int) *node {
	line, col := s.lineCol(off)
	return &node{kind: kind, line: int32(line), col: int32(col)}
}

func (s *jsonScanner) value(depth int) (*node, error) {
	if depth > maxDepth {
		e := s.errorf("nesting deeper than %d levels", maxDepth).(*syntaxError)
		e.code = CodeSyntaxTooComplex
		return nil, e
	}
	if s.pos >= len(s.data) {
		return nil, s.errorf("unexpected end of file")
	}
	start := s.pos
	switch c := s.data[s.pos]; {
	case c == '{':
		n := s.newNode(kindObject, start)
		s.pos++
		s.skipSpace()
		if s.pos < len(s.data) && s.data[s.pos] == '}' {
			s.pos++
			return n, nil
		}
		for {
			s.skipSpace()
			if s.pos >= len(s.data) || s.data[s.pos] != '"' {
				return nil, s.errorf("expected a string key, found %s", s.describe())
			}
			keyLine, keyCol := s.lineCol(s.pos)
			key, err := s.string()
			if err != nil {
				return nil, err
			}
			s.skipSpace()
			if s.pos >= len(s.data) || s.data[s.pos] != ':' {
				return nil, s.errorf("expected ':' after object key, found %s", s.describe())
			}
			s.pos++
			s.skipSpace()
			v, err := s.value(depth + 1)
			if err != nil {
				return nil, err
			}
			v.line, v.col = int32(keyLine), int32(keyCol)
			if n.put(key, v) {
				s.dups = append(s.dups, dupKey{key: key, line: keyLine, col: keyCol})
			}
			s.skipSpace()
			if s.pos >= len(s.data) {
				return nil, s.errorf("unexpected end of file in object")
			}
			if s.data[s.pos] == ',' {
				s.pos++
				continue
			}
			if s.data[s.pos] == '}' {
				s.pos++
				return n, nil
			}
			return nil, s.errorf("expected ',' or '}' in object, found %s", s.describe())
		}
	case c == '[':
		n := s.newNode(kindArray, start)
		s.pos++
		s.skipSpace()
		if s.pos < len(s.data) && s.data[s.pos] == ']' {
			s.pos++
			return n, nil
		}
		for {
			s.skipSpace()
			v, err := s.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, v)
			s.skipSpace()
			if s.pos >= len(s.data) {
				return nil, s.errorf("unexpected end of file in array")
			}
			if s.data[s.pos] == ',' {
				s.pos++
				continue
			}
			if s.data[s.pos] == ']' {
				s.pos++
				return n, nil
			}
			return nil, s.errorf("expected ',' or ']' in array, found %s", s.describe())
		}
	case c == '"':
		n := s.newNode(kindString, start)
		str, err := s.string()
		if err != nil {
			return nil, err
		}
		n.str = str
		return n, nil
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range []string{"true", "false", "null"} {
			if bytes.HasPrefix(s.data[s.pos:], []byte(lit)) {
				s.pos += len(lit)
				if lit == "null" {
					return s.newNode(kindNull, start), nil
				}
				n := s.newNode(kindBool, start)
				n.str = lit
				return n, nil
			}
		}
		return nil, s.errorf("unexpected %s", s.describe())
	case c == '-' || (c >= '0' && c <= '9'):
		end := s.pos
		for end < len(s.data) && strings.IndexByte("+-0123456789.eE", s.data[end]) >= 0 {
			end++
		}
		text := string(s.data[s.pos:end])
		if !isJSONNumber(text) {
			return nil, s.errorf("invalid number %q", text)
		}
		s.pos = end
		n := s.newNode(kindNumber, start)
		n.str = text
		return n, nil
	default:
		return nil, s.errorf("unexpected %s", s.describe())
	}
}

func (s *jsonScanner) string() (string, error) {
	start := s.pos
	s.pos++ // opening quote
	escaped := false
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			raw := s.data[start:s.pos]
			if !escaped {
				if !utf8.Valid(raw) {
					return strings.ToValidUTF8(string(raw[1:len(raw)-1]), "\uFFFD"), nil
				}
				return string(raw[1 : len(raw)-1]), nil
			}
			var out string
			if err := json.Unmarshal(raw, &out); err != nil {
				s.pos = start
				return "", s.errorf("invalid string escape")
			}
			return out, nil
		case c == '\\':
			escaped = true
			s.pos += 2
		case c < 0x20:
			return "", s.errorf("control character in string")
		default:
			s.pos++
		}
	}
	s.pos = start
	return "", s.errorf("unterminated string")
}

func isJSONNumber(s string) bool {
	// Grammar of RFC 8259 numbers: -? int frac? exp?
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i >= len(s) {
		return false
	}
	if s[i] == '0' {
		i++
	} else if s[i] >= '1' && s[i] <= '9' {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	} else {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	return i == len(s)
}

// ---- YAML ----

func parseYAML(data []byte) (parsed, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return parsed{}, &syntaxError{line: 1, col: 1, msg: "the file is empty", code: CodeNotASpec}
		}
		return parsed{}, yamlError(err)
	}
	// A second document in the stream is not part of the spec.
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return parsed{}, &syntaxError{line: extra.Line, col: extra.Column, msg: "the file holds more than one YAML document", code: CodeSyntax}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return parsed{}, &syntaxError{line: 1, col: 1, msg: "the file is empty", code: CodeNotASpec}
	}
	written := countYAML(doc.Content[0], 0)
	c := &yamlConverter{budget: max(minAliasBudget, written*maxAliasExpansion)}
	n, err := c.convert(doc.Content[0], 0)
	if err != nil {
		return parsed{}, err
	}
	return parsed{tree: n, dups: c.dups}, nil
}

// splitYAMLLine takes "yaml: line 12: did not find expected key" apart.
func splitYAMLLine(msg string) (int, string) {
	rest, ok := strings.CutPrefix(msg, "yaml: line ")
	if !ok {
		return 0, strings.TrimPrefix(msg, "yaml: ")
	}
	num, text, ok := strings.Cut(rest, ": ")
	if !ok {
		return 0, msg
	}
	n, err := strconv.Atoi(num)
	if err != nil {
		return 0, msg
	}
	return n, text
}

func yamlError(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		err = errors.New(te.Errors[0])
	}
	line, text := splitYAMLLine(err.Error())
	if line == 0 {
		line = 1
	}
	return &syntaxError{line: line, col: 1, msg: "invalid YAML: " + text, code: CodeSyntax}
}

// countYAML counts the nodes written in the file, not following aliases.
func countYAML(n *yaml.Node, depth int) int {
	if depth > maxDepth {
		return 1
	}
	c := 1
	for _, k := range n.Content {
		c += countYAML(k, depth+1)
	}
	return c
}

type yamlConverter struct {
	budget int
	dups   []dupKey
}

func (c *yamlConverter) tooComplex(n *yaml.Node, what string) error {
	return &syntaxError{line: n.Line, col: n.Column, msg: what, code: CodeSyntaxTooComplex}
}

func (c *yamlConverter) convert(n *yaml.Node, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, c.tooComplex(n, fmt.Sprintf("nesting deeper than %d levels", maxDepth))
	}
	c.budget--
	if c.budget < 0 {
		return nil, c.tooComplex(n, "alias expansion makes the document too large (a YAML alias bomb?)")
	}
	out := &node{line: int32(n.Line), col: int32(n.Column)}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, c.tooComplex(n, "unknown alias")
		}
		v, err := c.convert(n.Alias, depth+1)
		if err != nil {
			return nil, err
		}
		cp := *v
		cp.line, cp.col = out.line, out.col
		return &cp, nil
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			out.kind = kindNull
			return out, nil
		}
		return c.convert(n.Content[0], depth)
	case yaml.SequenceNode:
		out.kind = kindArray
		out.kids = make([]*node, 0, len(n.Content))
		for _, k := range n.Content {
			v, err := c.convert(k, depth+1)
			if err != nil {
				return nil, err
			}
			out.kids = append(out.kids, v)
		}
		return out, nil
	case yaml.MappingNode:
		out.kind = kindObject
		if err := c.mapping(out, n, depth); err != nil {
			return nil, err
		}
		return out, nil
	case yaml.ScalarNode:
		return c.scalar(out, n)
	}
	return nil, &syntaxError{line: n.Line, col: n.Column, msg: "unsupported YAML node", code: CodeSyntax}
}

// mapping converts the pairs of a YAML mapping, applying merge keys ("<<").
// Keys written in the mapping win over merged ones; of a key written twice,
// the last wins (reported as a duplicate).
func (c *yamlConverter) mapping(out *node, n *yaml.Node, depth int) error {
	// Merge keys recurse here without passing through convert: the same
	// limits apply (a mapping that merges itself, or merges of empty
	// mappings that double at each level, would otherwise run without
	// end).
	if depth > maxDepth {
		return c.tooComplex(n, fmt.Sprintf("nesting deeper than %d levels (through merge keys)", maxDepth))
	}
	c.budget--
	if c.budget < 0 {
		return c.tooComplex(n, "merge keys make the document too large (a YAML alias bomb?)")
	}
	written := map[string]bool{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		key, err := c.key(k)
		if err != nil {
			return err
		}
		val, err := c.convert(v, depth+1)
		if err != nil {
			return err
		}
		val.line, val.col = int32(k.Line), int32(k.Column)
		if out.put(key, val) {
			c.dups = append(c.dups, dupKey{key: key, line: k.Line, col: k.Column})
		}
		written[key] = true
	}
	for _, m := range merges {
		src := m
		if src.Kind == yaml.AliasNode {
			src = src.Alias
		}
		var sources []*yaml.Node
		switch {
		case src == nil:
			return c.tooComplex(m, "unknown alias in merge key")
		case src.Kind == yaml.MappingNode:
			sources = []*yaml.Node{src}
		case src.Kind == yaml.SequenceNode:
			for _, s := range src.Content {
				if s.Kind == yaml.AliasNode {
					s = s.Alias
				}
				if s == nil || s.Kind != yaml.MappingNode {
					return &syntaxError{line: m.Line, col: m.Column, msg: "invalid YAML: merge key needs mappings", code: CodeSyntax}
				}
				sources = append(sources, s)
			}
		default:
			return &syntaxError{line: m.Line, col: m.Column, msg: "invalid YAML: merge key needs a mapping", code: CodeSyntax}
		}
		for _, s := range sources {
			tmp := &node{kind: kindObject}
			if err := c.mapping(tmp, s, depth+1); err != nil {
				return err
			}
			for i, key := range tmp.keys {
				// Written keys win, and of several merged mappings the
				// first to give a key wins (YAML merge-key semantics).
				if !written[key] && out.get(key) == nil {
					out.put(key, tmp.kids[i])
				}
			}
		}
	}
	return nil
}

func (c *yamlConverter) key(k *yaml.Node) (string, error) {
	if k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode {
		return "", &syntaxError{line: k.Line, col: k.Column, msg: "invalid YAML: a mapping key must be a scalar", code: CodeSyntax}
	}
	// Keys are strings in JSON: 200 and "200" are the same response code.
	return k.Value, nil
}

func (c *yamlConverter) scalar(out *node, n *yaml.Node) (*node, error) {
	switch n.ShortTag() {
	case "!!null":
		out.kind = kindNull
	case "!!bool":
		out.kind = kindBool
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err != nil {
			out.kind, out.str = kindString, n.Value
			break
		}
		out.str = strconv.FormatBool(b)
	case "!!int":
		out.kind = kindNumber
		if isJSONNumber(n.Value) {
			out.str = n.Value
			break
		}
		// 0x1F, 0o17, 1_000, +5: normalise to a JSON number.
		v := strings.ReplaceAll(strings.TrimPrefix(n.Value, "+"), "_", "")
		if strings.HasPrefix(v, "0o") || strings.HasPrefix(v, "-0o") {
			v = strings.Replace(v, "0o", "0", 1)
		}
		i, err := strconv.ParseInt(v, 0, 64)
		if err != nil {
			out.kind, out.str = kindString, n.Value
			break
		}
		out.str = strconv.FormatInt(i, 10)
	case "!!float":
		out.kind = kindNumber
		if isJSONNumber(n.Value) {
			out.str = n.Value
			break
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimPrefix(n.Value, "+"), "_", ""), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			// .inf and .nan have no JSON form; keep them as text.
			out.kind, out.str = kindString, n.Value
			break
		}
		out.str = strconv.FormatFloat(f, 'g', -1, 64)
	case "!!binary":
		out.kind, out.str = kindString, n.Value
	default:
		// !!str, !!timestamp (kept as written, as JSON has no dates) and
		// custom tags.
		out.kind, out.str = kindString, n.Value
	}
	return out, nil
}

// ---- JSON output ----

// appendJSON writes the tree as compact JSON.
func (n *node) appendJSON(b []byte) []byte {
	switch n.kind {
	case kindNull:
		return append(b, "null"...)
	case kindBool, kindNumber:
		return append(b, n.str...)
	case kindString:
		return appendJSONString(b, n.str)
	case kindArray:
		b = append(b, '[')
		for i, k := range n.kids {
			if i > 0 {
				b = append(b, ',')
			}
			b = k.appendJSON(b)
		}
		return append(b, ']')
	case kindObject:
		b = append(b, '{')
		for i, k := range n.kids {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, n.keys[i])
			b = append(b, ':')
			b = k.appendJSON(b)
		}
		return append(b, '}')
	}
	return b
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // never fails for a string
	return append(b, q...)
}
