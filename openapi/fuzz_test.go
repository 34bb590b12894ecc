package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzInputCap bounds the specs the fuzz targets read (LoadOptions.MaxFileSize
// for FuzzLoad): larger inputs only test the size check, and slow the
// search down.
const fuzzInputCap = 256 << 10

// fuzzTimeBudget is how long one input may take to parse, load and
// normalize. Real work on inputs under fuzzInputCap takes milliseconds;
// the budget only catches blow-ups (alias bombs, quadratic passes), with
// room for a loaded machine and coverage instrumentation.
const fuzzTimeBudget = 10 * time.Second

// addSpecSeeds adds the specs of the repository's tests as seeds.
func addSpecSeeds(f *testing.F) {
	f.Helper()
	for _, s := range []string{petsYAML, petsJSON,
		"swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    post:\n      parameters:\n        - {in: body, name: b, schema: {type: object, properties: {x: {type: integer}}}}\n      responses: {'200': {description: ok}}\n",
		"openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    N: {type: [string, 'null']}\n    A: {allOf: [{$ref: '#/components/schemas/N'}, {description: d}]}\n",
		"a: &a [*a]\n", "x: &x {<<: *x}\n", "openapi: 3.0.3\n<<: {info: {title: t, version: '1'}}\npaths: {}\n",
		`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/a/{b}":{"get":{"responses":{"2XX":{"description":"ok"},"20":{"description":"?"}}}}}}`,
		"openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200': {$ref: 'other.yaml#/Ok'}\n",
		"openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200': {$ref: '#/components/responses/Missing'}\n",
		"\ufeff{\"openapi\": 3.0}", "openapi: [", "{\"a\":1} x", "--- a\n--- b\n", "", "\xff\xfe",
	} {
		f.Add([]byte(s))
	}
}

// yamlBreak matches the line breaks of YAML (libyaml's, which yaml.v3
// keeps): CRLF, CR, LF, NEL and the Unicode line and paragraph separators.
var yamlBreak = regexp.MustCompile("\r\n|[\r\n\u0085\u2028\u2029]")

// checkPos fails unless line and col name a place within data (or its
// end), with lines split at LF (as the JSON scanner counts them) or at
// YAML's line breaks (as yaml.v3 does).
func checkPos(t *testing.T, data []byte, what string, line, col int) {
	t.Helper()
	valid := func(lines []string) bool {
		if line < 1 || line > len(lines)+1 || col < 1 {
			return false
		}
		return line > len(lines) || col <= utf8.RuneCountInString(lines[line-1])+1
	}
	byLF := strings.Split(string(data), "\n")
	if !valid(byLF) && !valid(yamlBreak.Split(string(data), -1)) {
		t.Fatalf("%s at %d:%d, outside the input (%d lines)", what, line, col, len(byLF))
	}
}

// FuzzParseTree: the position pass reads any bytes without panicking and
// within its limits, reports failures as syntax errors placed inside the
// input, places every value inside the input, and writes JSON that reads
// back to itself; for JSON input, what it reads is what encoding/json
// reads.
func FuzzParseTree(f *testing.F) {
	addSpecSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > fuzzInputCap {
			return
		}
		start := time.Now()
		p, err := parseTree(data)
		if d := time.Since(start); d > fuzzTimeBudget {
			t.Fatalf("%d bytes took %v", len(data), d)
		}
		if err != nil {
			var se *syntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T) is not a syntaxError", err, err)
			}
			switch se.code {
			case CodeSyntax, CodeSyntaxTooComplex, CodeNotASpec:
			default:
				t.Fatalf("code %q", se.code)
			}
			if se.msg == "" || strings.ContainsAny(se.msg, "\r\n") {
				t.Fatalf("message %q", se.msg)
			}
			checkPos(t, data, "error", se.line, se.col)
			return
		}
		if p.tree == nil {
			t.Fatal("no tree and no error")
		}
		var walk func(n *node, depth int)
		walk = func(n *node, depth int) {
			if depth > maxDepth+2 {
				t.Fatalf("tree deeper than %d", maxDepth)
			}
			checkPos(t, data, "value", int(n.line), int(n.col))
			if n.kind == kindObject && len(n.keys) != len(n.kids) {
				t.Fatalf("%d keys, %d values", len(n.keys), len(n.kids))
			}
			for _, k := range n.kids {
				walk(k, depth+1)
			}
		}
		walk(p.tree, 0)
		for _, d := range p.dups {
			checkPos(t, data, "duplicate key", d.line, d.col)
		}
		out := p.tree.appendJSON(nil)
		if !json.Valid(out) {
			t.Fatalf("invalid JSON written: %q", out)
		}
		again, err := parseJSON(out)
		if err != nil {
			t.Fatalf("the JSON written does not read back: %v\n%s", err, out)
		}
		if back := again.tree.appendJSON(nil); !bytes.Equal(back, out) {
			t.Fatalf("JSON not stable:\n%s\n%s", out, back)
		}
		// JSON input reads as encoding/json reads it.
		trimmed := bytes.TrimLeft(data, " \t\r\n")
		if json.Valid(data) && utf8.Valid(data) && len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
			if !p.isJSON {
				t.Fatal("JSON read as YAML")
			}
			if a, b := decodeAny(t, data), decodeAny(t, out); !reflect.DeepEqual(a, b) {
				t.Fatalf("read %#v\nencoding/json reads %#v", b, a)
			}
		}
	})
}

func decodeAny(t *testing.T, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
	return v
}

var codeRE = regexp.MustCompile(`^[a-z0-9]+\.[a-z0-9-]+$`)

// FuzzLoad: Load (from standard input, as `sdkgen generate -` does) and
// Normalize take any bytes without panicking, in bounded time. Load
// returns a Document exactly when no diagnostic is an error; every
// diagnostic has a stable code, a severity, a one-line message and a
// position inside the input. A loaded document's canonical JSON loads
// again to the same JSON; Normalize reports no error, leaves a document
// kin-openapi reads, and has nothing left to change when run again.
func FuzzLoad(f *testing.F) {
	addSpecSeeds(f)
	// The repository's test specs (a few KiB each).
	for _, glob := range []string{"../generator/testdata/generate/*.yaml", "../generator/testdata/generate/*.json", "../generator/testdata/fail/*"} {
		paths, _ := filepath.Glob(glob)
		for _, p := range paths {
			if data, err := os.ReadFile(p); err == nil && len(data) <= 8<<10 {
				f.Add(data)
			}
		}
	}
	load := stdinLoader(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > fuzzInputCap {
			return
		}
		checkLoad(t, load, data)
	})
}

// stdinLoader returns Load of a spec given as bytes on standard input,
// with $refs confined to an empty folder.
func stdinLoader(f *testing.F) func([]byte) (*Document, Diagnostics) {
	dir := f.TempDir()
	return func(data []byte) (*Document, Diagnostics) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*fuzzTimeBudget)
		defer cancel()
		return Load(ctx, "-", LoadOptions{Stdin: bytes.NewReader(data), Dir: dir, MaxFileSize: fuzzInputCap})
	}
}

// checkLoad loads data and checks the invariants of FuzzLoad.
func checkLoad(t *testing.T, load func([]byte) (*Document, Diagnostics), data []byte) {
	t.Helper()
	start := time.Now()
	doc, diags := load(data)
	if (doc == nil) != diags.HasErrors() {
		t.Fatalf("document %v with diagnostics:\n%s", doc != nil, format(diags))
	}
	for _, d := range diags {
		if !codeRE.MatchString(d.Code) || d.Severity < SeverityError || d.Severity > SeverityInfo || d.Message == "" || strings.ContainsAny(d.Message, "\r\n") {
			t.Fatalf("diagnostic %#v", d)
		}
		switch d.Pos.File {
		case "":
		case "<stdin>":
			if d.Pos.Line != 0 {
				checkPos(t, data, d.String(), d.Pos.Line, max(d.Pos.Column, 1))
			}
		default:
			t.Fatalf("diagnostic in file %q: %s", d.Pos.File, d)
		}
	}
	if doc == nil {
		return
	}
	canonical := doc.JSON()
	if !json.Valid(canonical) {
		t.Fatalf("canonical JSON invalid: %s", canonical)
	}
	if _, err := doc.OpenAPI(); err != nil {
		t.Fatalf("OpenAPI(): %v", err)
	}
	doc2, diags2 := load(canonical)
	if doc2 == nil {
		t.Fatalf("the canonical JSON does not load:\n%s\n%s", format(diags2), canonical)
	}
	if again := doc2.JSON(); !bytes.Equal(again, canonical) {
		t.Fatalf("loading the canonical JSON changed it:\n%s\n%s", canonical, again)
	}
	nd, ndiags := Normalize(doc, NormalizeOptions{})
	if ndiags.HasErrors() {
		t.Fatalf("Normalize failed:\n%s", format(ndiags))
	}
	for _, d := range ndiags {
		if !codeRE.MatchString(d.Code) || d.Message == "" || strings.ContainsAny(d.Message, "\r\n") {
			t.Fatalf("diagnostic %#v", d)
		}
	}
	if !bytes.Equal(doc.JSON(), canonical) {
		t.Fatal("Normalize changed its input")
	}
	if _, err := nd.OpenAPI(); err != nil {
		t.Fatalf("the normalized document does not load: %v\n%s", err, nd.JSON())
	}
	if nd2, d2 := Normalize(nd, NormalizeOptions{}); !bytes.Equal(nd2.JSON(), nd.JSON()) {
		t.Fatalf("Normalize is not idempotent:\n%s\n%s\n%s", nd.JSON(), nd2.JSON(), format(d2))
	}
	if d := time.Since(start); d > fuzzTimeBudget {
		t.Fatalf("%d bytes took %v", len(data), d)
	}
}

// FuzzNormalize drives the normalizer with specs that load: the fuzzer
// writes a path template and three JSON values, placed as a response
// schema, a component schema (A) and a path parameter's schema of one
// valid document, so that mutations reach the normalization passes
// (allOf folding and conflicts, deep $refs, recursive arrays,
// discriminators, parameter unions, path parameters) instead of failing
// to parse. The invariants are FuzzLoad's.
func FuzzNormalize(f *testing.F) {
	for _, s := range [][4]string{
		{"/a/{id}", `{"$ref":"#/components/schemas/A"}`, `{"type":"object","properties":{"x":{"type":"string"}}}`, `{"type":"integer"}`},
		{"/a/{id}", `{"allOf":[{"$ref":"#/components/schemas/A"},{"description":"d"}]}`, `{"type":"string","format":"date"}`, `{"oneOf":[{"type":"string"},{"type":"integer"}]}`},
		{"/a/{id}/{other}", `{"$ref":"#/components/schemas/A/properties/x"}`, `{"type":"object","properties":{"x":{"type":"object","properties":{"y":{"$ref":"#/components/schemas/A/properties/x"}}}}}`, `{"type":"string"}`},
		{"/a/{id}", `{"type":"array","items":{"$ref":"#/components/schemas/A"}}`, `{"type":"array","items":{"type":"object","properties":{"kids":{"$ref":"#/components/schemas/A"}}}}`, `{}`},
		{"/a/{id}", `{"allOf":[{"type":"integer","format":"int32"},{"type":"number","format":"int64"},{"$ref":"#/components/schemas/A"}]}`, `{"type":"string"}`, `{"enum":["a",1,null]}`},
		{"/a/{id}", `{"oneOf":[{"type":"object","properties":{"k":{"type":"string","enum":["a"]}}},{"$ref":"#/components/schemas/A"}],"discriminator":{"propertyName":"k","mapping":{"a":"#/components/schemas/A"}}}`, `{"type":"object","properties":{"k":{"type":"string"}}}`, `{"type":"string"}`},
		{"/a/{id*}", `{"type":"string","format":"binary"}`, `{"x-go-type":"int","x-go-type-import":{"path":"evil.example/x"}}`, `{"type":"array","items":{"type":"string"}}`},
		{"/a/{}/{id}/{id}", `{"properties":{"a b":{"type":"string"},"":{"type":"integer"},"\u202e":{}}}`, `{"enum":["*/","` + "\n//go:generate x" + `",""]}`, `{"type":"object"}`},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	load := stdinLoader(f)
	f.Fuzz(func(t *testing.T, path, resp, a, param string) {
		if !strings.HasPrefix(path, "/") || len(path)+len(resp)+len(a)+len(param) > 16<<10 {
			return
		}
		for _, v := range []string{resp, a, param} {
			if !json.Valid([]byte(v)) {
				return
			}
		}
		p, _ := json.Marshal(path)
		spec := `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{` + string(p) + `:{"get":{"operationId":"get",` +
			`"parameters":[{"name":"id","in":"path","required":true,"schema":` + param + `}],` +
			`"responses":{"200":{"description":"ok","content":{"application/json":{"schema":` + resp + `}}}}}}},` +
			`"components":{"schemas":{"A":` + a + `,"B":{"type":"object","properties":{"a":{"$ref":"#/components/schemas/A"}}}}}}`
		checkLoad(t, load, []byte(spec))
	})
}
