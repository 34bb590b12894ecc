package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
)

// Document is a loaded spec: one OpenAPI 3 document, however many files it
// spanned and whichever version (Swagger 2.0, OpenAPI 3.0 or 3.1) it was
// written in. A Document is immutable and safe for concurrent use; each call
// to [Document.OpenAPI] returns a fresh, independent copy of the model.
type Document struct {
	// Version is the version the spec declared: "2.0", "3.0.3", "3.1.0"...
	Version string
	// Source is the spec as it was given to Load.
	Source string
	// Files names every file the spec spans, the root first, as diagnostics
	// name them.
	Files []string

	canonical []byte // the bundled document as JSON
	loc       *locator
	diags     Diagnostics
}

// Diagnostics returns the warnings and notes found while loading (a loaded
// document has no errors). Generation counts them in strict mode.
func (d *Document) Diagnostics() Diagnostics { return slices.Clone(d.diags) }

// OpenAPI returns a fresh copy of the bundled OpenAPI 3 document. Callers may
// modify it freely; it shares nothing with the Document or other copies.
func (d *Document) OpenAPI() (*openapi3.T, error) {
	t, err := decodeBundled(d.canonical)
	if err != nil {
		return nil, fmt.Errorf("reloading the bundled document: %w", err)
	}
	return t, nil
}

// JSON returns the bundled OpenAPI 3 document as JSON.
func (d *Document) JSON() []byte { return bytes.Clone(d.canonical) }

// Is31 reports whether the document follows OpenAPI 3.1 or later.
func (d *Document) Is31() bool {
	return strings.HasPrefix(d.Version, "3.1") || strings.HasPrefix(d.Version, "3.2")
}

// Locate finds where the value at a JSON pointer of the bundled document was
// written: the file, the pointer within that file, and the line and column.
// Pointers into components that came from other files, into values that a
// $ref brought in, and into a converted Swagger 2.0 spec are all traced back
// to their source. When the exact value cannot be found, the nearest
// enclosing one is returned.
func (d *Document) Locate(pointer string) (Position, string) {
	return d.loc.locate(pointer)
}

// Annotate fills in the position of every diagnostic that has a pointer into
// the bundled document but no position yet, and rewrites its pointer to
// point into the file the position names.
func (d *Document) Annotate(ds Diagnostics) {
	for i := range ds {
		if ds[i].Pos.IsValid() {
			continue
		}
		ds[i].Pos, ds[i].Pointer = d.Locate(ds[i].Pointer)
	}
}

// loadState carries one Load.
type loadState struct {
	ctx      context.Context
	reader   *sourceReader
	root     *file
	diags    Diagnostics
	targets  []resolvedRef
	version  string
	swagger2 bool
	is31     bool
}

func (l *loadState) versionFamily() string {
	if l.swagger2 {
		return "Swagger 2.0"
	}
	return "3.0"
}

// Load reads a spec from a file path, an http(s) URL, or "-" for standard
// input; YAML or JSON; Swagger 2.0 (converted to OpenAPI 3.0), OpenAPI 3.0 or
// 3.1; in one file or many. External $refs are resolved relative to the file
// they appear in and bundled into one document.
//
// Every problem found is a [Diagnostic] with its position. When any of them is
// an error, the returned Document is nil. Warnings (a description beside a
// $ref, an example that does not match its schema) never prevent loading.
//
// Load is safe on untrusted specs: see [LoadOptions].
func Load(ctx context.Context, source string, opts LoadOptions) (*Document, Diagnostics) {
	opts.defaults()
	l := &loadState{ctx: ctx, reader: &sourceReader{ctx: ctx, opts: opts}}
	defer l.reader.close()
	doc := l.load(source)
	l.diags.Sort()
	if l.diags.HasErrors() {
		return nil, l.diags
	}
	doc.diags = slices.Clone(l.diags)
	return doc, l.diags
}

func (l *loadState) fail(code, msg, fix string, pos Position) {
	l.diags = append(l.diags, Diagnostic{Code: code, Severity: SeverityError, Message: msg, Fix: fix, Pos: pos})
}

func (l *loadState) load(source string) *Document {
	root, err := l.reader.openRoot(source)
	if err != nil {
		re := err.(*readError)
		var pos Position
		if re.code != CodeSourceInvalid && re.code != CodeSourceNotFound {
			pos.File = source // the file that was too large or unreadable
			if source == "-" {
				pos.File = "<stdin>"
			}
		}
		l.fail(re.code, re.msg, re.fix, pos)
		return nil
	}
	l.root = root
	if !l.parse(root) {
		return nil
	}
	if !l.detectVersion() {
		return nil
	}
	l.resolveRefs()
	l.checkRefChains()
	if l.diags.HasErrors() {
		return nil
	}
	var t *openapi3.T
	if l.swagger2 {
		t = l.convertSwagger2()
	} else {
		t = l.loadOpenAPI3()
	}
	if t == nil {
		return nil
	}
	names := l.bundle(t)
	canonical, err := json.Marshal(t)
	if err != nil {
		l.fail(CodeSpecInvalid, fmt.Sprintf("the bundled document cannot be written as JSON: %v", err), "", l.rootPos())
		return nil
	}
	// Validate the model just built (a fresh copy would cost one more parse
	// of the whole document for the same content); validation may change
	// it, so it comes after the canonical JSON is written.
	vd := validate(l.ctx, t)
	doc := &Document{
		Version:   l.version,
		Source:    source,
		canonical: canonical,
		loc:       &locator{root: l.root, reader: l.reader, aliases: names, swagger2: l.swagger2},
	}
	for _, f := range l.reader.order {
		doc.Files = append(doc.Files, f.name)
	}
	doc.Annotate(vd)
	l.diags = append(l.diags, vd...)
	return doc
}

func (l *loadState) rootPos() Position { return Position{File: l.root.name} }

// parse builds the position tree of a file, reporting syntax errors.
func (l *loadState) parse(f *file) bool {
	p, err := parseTree(f.data)
	if err != nil {
		var se *syntaxError
		if !errors.As(err, &se) {
			l.fail(CodeSyntax, err.Error(), "", Position{File: f.name})
			return false
		}
		if f == l.root && se.code == CodeSyntax && !looksLikeSpec(f.data) {
			l.fail(CodeNotASpec, fmt.Sprintf("%s is not an OpenAPI or Swagger document (not YAML or JSON: %s)", f.name, se.msg), "", Position{File: f.name, Line: se.line, Column: se.col})
			return false
		}
		l.fail(se.code, se.msg, "", Position{File: f.name, Line: se.line, Column: se.col})
		return false
	}
	f.tree, f.isJSON = p.tree, p.isJSON
	for _, d := range p.dups {
		l.diags = append(l.diags, Diagnostic{Code: CodeDuplicateKey, Severity: SeverityWarning,
			Pos:     Position{File: f.name, Line: d.line, Column: d.col},
			Message: fmt.Sprintf("key %q appears twice in one object; the last one is used", d.key)})
	}
	return true
}

var specMarker = regexp.MustCompile(`(?m)^\s*["']?(openapi|swagger)["']?\s*:`)

func looksLikeSpec(data []byte) bool {
	return specMarker.Match(data[:min(len(data), 64<<10)])
}

var (
	oas3Version = regexp.MustCompile(`^3\.[0-2](\.\d+)?(-[0-9A-Za-z.-]+)?$`)
)

func (l *loadState) detectVersion() bool {
	t := l.root.tree
	if t.kind != kindObject {
		what := "plain text"
		if t.kind != kindString {
			what = "a " + t.kind.String()
		}
		l.fail(CodeNotASpec, fmt.Sprintf("%s is not an OpenAPI or Swagger document: its content is %s, not a YAML or JSON object", l.root.name, what), "",
			Position{File: l.root.name, Line: int(t.line), Column: int(t.col)})
		return false
	}
	pos := func(n *node) Position { return Position{File: l.root.name, Line: int(n.line), Column: int(n.col)} }
	version := func(key string) (string, *node) {
		n := t.get(key)
		if n == nil {
			return "", nil
		}
		if n.kind == kindNumber {
			// "openapi: 3.0" in YAML is a number; the spec wants a string.
			l.diags = append(l.diags, Diagnostic{Code: CodeSpecValidation, Severity: SeverityWarning, Pointer: "/" + key, Pos: pos(n),
				Message: fmt.Sprintf("%q should be a string, not the number %s", key, n.str), Fix: fmt.Sprintf("quote it: %s: %q", key, n.str)})
			n.kind = kindString
		}
		return n.str, n
	}
	if v, n := version("openapi"); n != nil {
		if n.kind != kindString || !oas3Version.MatchString(v) {
			l.fail(CodeUnsupportedVersion, fmt.Sprintf("OpenAPI version %q is not supported (3.0, 3.1 and 3.2 are, and Swagger 2.0)", v), "", pos(n))
			return false
		}
		l.version = v
		l.is31 = !strings.HasPrefix(v, "3.0")
		return true
	}
	if v, n := version("swagger"); n != nil {
		if v != "2.0" {
			l.fail(CodeUnsupportedVersion, fmt.Sprintf("Swagger version %q is not supported (only 2.0 is)", v), "convert the spec to OpenAPI 3", pos(n))
			return false
		}
		l.version, l.swagger2 = v, true
		return true
	}
	l.fail(CodeNotASpec, fmt.Sprintf("%s is not an OpenAPI or Swagger document: it has no top-level \"openapi\" or \"swagger\" field", l.root.name), "",
		Position{File: l.root.name, Line: int(t.line), Column: int(t.col)})
	return false
}

// jsonOf returns the JSON kin-openapi reads for a file: always written from
// our tree, so that it sees exactly what was checked.
func jsonOf(f *file) []byte { return f.tree.appendJSON(nil) }

// guard runs fn, turning a panic inside kin-openapi into an error.
func guard(what string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s panicked: %v\n%s", what, r, firstFrames(debug.Stack()))
		}
	}()
	return fn()
}

func firstFrames(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	return strings.Join(lines[:min(len(lines), 12)], "\n")
}

func (l *loadState) loadOpenAPI3() *openapi3.T {
	loader := openapi3.NewLoader()
	loader.Context = l.ctx
	loader.IsExternalRefsAllowed = true
	// Every file was read, checked and parsed by us: the loader only gets
	// those, as JSON. It never touches the file system or the network.
	loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		if f, ok := l.reader.files[locKey(u)]; ok && f.tree != nil {
			return jsonOf(f), nil
		}
		return nil, fmt.Errorf("%s was not among the files checked for this spec", u.Redacted())
	}
	var t *openapi3.T
	// A spec of one file decodes faster (decodeBundled); when that fails,
	// the loader's own path runs, which the error handling below knows.
	if len(l.reader.order) == 1 {
		if guard("kin-openapi", func() error {
			var err error
			t, err = decodeBundled(jsonOf(l.root))
			return err
		}) == nil {
			return t
		}
	}
	err := guard("kin-openapi", func() error {
		var err error
		t, err = loader.LoadFromDataWithPath(jsonOf(l.root), l.root.loc)
		return err
	})
	if err != nil {
		// Say where, when a value of the wrong kind is the reason.
		located := l.refKindErrors()
		for _, f := range l.reader.order {
			if f.tree != nil {
				located = append(located, l.shapeErrors(f)...)
			}
		}
		if len(located) == 0 {
			located = l.badRefErrors(err.Error())
		}
		if len(located) > 0 {
			l.diags = append(l.diags, located...)
			return nil
		}
		l.fail(CodeSpecInvalid, "the document cannot be loaded: "+cleanKinError(err), "", l.rootPos())
		return nil
	}
	return t
}

// cleanKinError shortens kin-openapi's errors for one-line display.
func cleanKinError(err error) string {
	msg := err.Error()
	msg = strings.ReplaceAll(msg, "\n", " ")
	return msg
}

func (l *loadState) convertSwagger2() *openapi3.T {
	var doc2 openapi2.T
	if err := json.Unmarshal(jsonOf(l.root), &doc2); err != nil {
		if located := l.shapeErrors(l.root); len(located) > 0 {
			l.diags = append(l.diags, located...)
			return nil
		}
		l.fail(CodeSpecInvalid, "the Swagger 2.0 document cannot be read: "+cleanKinError(err), "", l.rootPos())
		return nil
	}
	var t *openapi3.T
	err := guard("the Swagger 2.0 converter", func() error {
		var err error
		t, err = openapi2conv.ToV3(&doc2)
		return err
	})
	if err != nil {
		l.fail(CodeConversion, "converting Swagger 2.0 to OpenAPI 3.0: "+cleanKinError(err), "", l.rootPos())
		return nil
	}
	// The converter leaves empty non-nil allOf lists that make oapi-codegen
	// panic; a JSON round trip clears them (see TRAPS.md).
	data, err := json.Marshal(t)
	if err == nil {
		err = guard("kin-openapi", func() error {
			var err error
			t, err = decodeBundled(data)
			return err
		})
	}
	if err != nil {
		l.fail(CodeConversion, "the converted document cannot be loaded: "+cleanKinError(err), "", l.rootPos())
		return nil
	}
	l.diags = append(l.diags, Diagnostic{Code: CodeConversionNote, Severity: SeverityInfo, Pos: Position{File: l.root.name, Line: 1, Column: 1},
		Message: "Swagger 2.0 spec converted to OpenAPI 3.0"})
	return t
}

// bundle moves every component that came from another file into the root
// document's components, under names from our own table (never
// kin-openapi's default resolver, which merges same-named schemas of
// different files). It returns the internalized name of each external target.
func (l *loadState) bundle(t *openapi3.T) map[string]refTarget {
	if len(l.reader.order) == 1 {
		return nil // one file: nothing to bundle
	}
	// Every target that is not already a component of the root document
	// needs a component name.
	external := map[string]refTarget{}
	for _, r := range l.targets {
		tg := r.target
		if tg.file == l.root {
			if segs, _ := splitPointer(tg.frag); len(segs) == 3 && segs[0] == "components" {
				continue
			}
		}
		external[targetKey(tg.file.key, tg.frag)] = tg
	}
	taken := map[string]bool{}
	if comps := l.root.tree.get("components"); comps != nil {
		for _, coll := range comps.kids {
			if coll.kind == kindObject {
				for _, k := range coll.keys {
					taken[k] = true
				}
			}
		}
	}
	// Group the targets by the plain name each would like; a name wanted by
	// one target only, and free in the root document, is given as is. Every
	// target in a contested group is qualified by its file: the result does
	// not depend on the order in which references were found.
	groups := map[string][]string{}
	for key, tg := range external {
		base := baseName(tg)
		groups[base] = append(groups[base], key)
	}
	names := map[string]string{} // target key → component name
	used := map[string]bool{}
	aliases := map[string]refTarget{}
	bases := make([]string, 0, len(groups))
	for b := range groups {
		bases = append(bases, b)
	}
	slices.Sort(bases)
	for _, base := range bases {
		keys := groups[base]
		slices.Sort(keys)
		if len(keys) == 1 && !taken[base] {
			names[keys[0]] = base
			used[base] = true
			continue
		}
		for _, key := range keys {
			tg := external[key]
			name := l.qualifiedName(tg, base)
			for n := 2; taken[name] || used[name] || groups[name] != nil; n++ {
				name = fmt.Sprintf("%s_%d", l.qualifiedName(tg, base), n)
			}
			names[key] = name
			used[name] = true
			n := lookupNode(tg.file.tree, tg.frag)
			l.diags = append(l.diags, Diagnostic{
				Code: CodeRefRenamed, Severity: SeverityInfo, Pointer: tg.frag,
				Pos:     Position{File: tg.file.name, Line: int(n.line), Column: int(n.col)},
				Message: fmt.Sprintf("bundled as %q: the name %q is used by more than one component", name, base),
				Fix:     "rename one of them, or name it in sdkgen.yaml",
			})
		}
	}
	for key, name := range names {
		aliases[name] = external[key]
	}
	rootPath := l.root.loc
	resolver := func(_ *openapi3.T, ref openapi3.ComponentRef) string {
		u := ref.RefPath()
		if u == nil {
			return sanitizeComponentName(ref.RefString())
		}
		frag := u.Fragment
		uu := *u
		uu.Fragment, uu.RawFragment = "", ""
		fileKey := locKey(&uu)
		if fileKey == locKey(rootPath) {
			if segs, _ := splitPointer(frag); len(segs) == 3 && segs[0] == "components" {
				return segs[2]
			}
		}
		if name, ok := names[targetKey(fileKey, frag)]; ok {
			return name
		}
		// Not found by the pre-pass (should not happen): a name derived from
		// the full location, which cannot collide with a plain one.
		return sanitizeComponentName(strings.TrimPrefix(fileKey, path.Dir(locKey(rootPath))+"/") + "_" + frag)
	}
	err := guard("kin-openapi", func() error {
		t.InternalizeRefs(l.ctx, resolver)
		return nil
	})
	if err != nil {
		l.fail(CodeSpecInvalid, "bundling the spec's files: "+err.Error(), "", l.rootPos())
	}
	return aliases
}

func targetKey(fileKey, frag string) string { return fileKey + "#" + frag }

var invalidComponentChars = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)

func sanitizeComponentName(s string) string {
	s = strings.Trim(invalidComponentChars.ReplaceAllString(s, "_"), "_.")
	if s == "" {
		return "Component"
	}
	return s
}

// baseName is the name a bundled component would like: the last segment of
// its pointer, or the file's name for a whole-file reference.
func baseName(tg refTarget) string {
	if tg.frag != "" {
		segs, _ := splitPointer(tg.frag)
		if len(segs) > 0 {
			return sanitizeComponentName(segs[len(segs)-1])
		}
	}
	b := path.Base(tg.file.loc.Path)
	b = strings.TrimSuffix(b, path.Ext(b))
	return sanitizeComponentName(b)
}

// qualifiedName prefixes a contested name with its file's path relative to
// the root's folder, extensions dropped: pet.v1.yaml#/Pet → pet.v1_Pet.
func (l *loadState) qualifiedName(tg refTarget, base string) string {
	rel := tg.file.loc.Path
	if dir := path.Dir(l.root.loc.Path); strings.HasPrefix(rel, dir+"/") {
		rel = strings.TrimPrefix(rel, dir+"/")
	}
	for _, ext := range []string{".yaml", ".yml", ".json"} {
		rel = strings.TrimSuffix(rel, ext)
	}
	if tg.frag == "" {
		return sanitizeComponentName(rel)
	}
	mid := ""
	if segs, _ := splitPointer(tg.frag); len(segs) > 1 {
		// Keep the path inside the file too, so #/a/Pet and #/b/Pet differ.
		var parts []string
		for _, s := range segs[:len(segs)-1] {
			if s != "components" && s != "schemas" && s != "definitions" {
				parts = append(parts, s)
			}
		}
		if len(parts) > 0 {
			mid = "_" + strings.Join(parts, "_")
		}
	}
	return sanitizeComponentName(rel + mid + "_" + base)
}

// lookupNode returns the node at a pointer, or the tree's root.
func lookupNode(tree *node, frag string) *node {
	segs, _ := splitPointer(frag)
	cur := tree
	for _, s := range segs {
		next := cur.child(s)
		if next == nil {
			return cur
		}
		cur = next
	}
	return cur
}
