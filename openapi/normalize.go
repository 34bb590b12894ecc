package openapi

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/sdkgen-go/sdkgen/internal/gotext"
)

// NormalizeOptions tune [Normalize].
type NormalizeOptions struct {
	// TrustGoExtensions keeps the x-go-* and x-oapi-codegen-* extensions of
	// the spec. They steer code generation (x-go-type-import adds an import of
	// any path the spec names), so they are removed unless the spec is
	// trusted.
	TrustGoExtensions bool
}

// Diagnostic codes of normalization. Each change Normalize makes is
// reported under one of them.
const (
	CodeAllOfFolded     = "normalize.allof-annotations" // allOf members holding only annotations were folded away
	CodeAllOfConflict   = "normalize.allof-conflict"    // allOf members disagree on type or format; resolved
	CodeRefHoisted      = "normalize.ref-hoisted"       // a $ref into the middle of a schema got a component of its own
	CodeBodyUntyped     = "normalize.body-untyped"      // a body of a media type the SDK passes as bytes had its schema set aside
	CodePathParam       = "normalize.path-param"        // path template and path parameters disagreed
	CodeUnrepresentable = "normalize.unrepresentable"   // a name or value Go source cannot hold was dropped or cleaned
	CodeResponseKey     = "normalize.response-key"      // a response key that is not a status, a range or default
	CodeDuplicateOpID   = "normalize.duplicate-operation-id"
	CodeDegraded        = "normalize.degraded"      // a part that cannot be typed became untyped (JSON, or a string for a parameter)
	CodeParamUnion      = "normalize.param-union"   // a parameter that is one of several scalars is sent as a string
	CodeDiscriminator   = "normalize.discriminator" // a discriminator over members written in place was dropped; the union stays typed
	CodeNullableRef     = "normalize.nullable-ref"  // a union of a reference and a null object became a nullable reference
)

// Normalize makes a document ready for code generation without ever changing
// it silently: every change is reported as a diagnostic. It returns a new
// Document; doc itself is not modified.
func Normalize(doc *Document, opts NormalizeOptions) (*Document, Diagnostics) {
	p, err := parseJSON(doc.canonical)
	if err != nil {
		// The canonical JSON is written by us; failing to read it is a bug.
		return doc, Diagnostics{{Code: CodeSpecInvalid, Severity: SeverityError, Message: fmt.Sprintf("internal error: bundled document unreadable: %v", err)}}
	}
	n := &normalizer{root: p.tree, swagger2: false}
	if !opts.TrustGoExtensions {
		n.stripGoExtensions()
	}
	n.prose()
	n.responseKeys()
	n.unrepresentable()
	n.unsafeNames()
	n.pathParams()
	n.duplicateOperationIDs()
	n.paramUnions()
	// Deep references are hoisted first: one may point into a body schema
	// that untypedBodies sets aside.
	n.hoistDeepRefs()
	n.recursiveArrays()
	n.arrayCycles()
	n.untypedBodies()
	n.foldAllOf()
	n.allOfConflicts()
	n.inlineDiscriminators()
	// Last: the allOf of one reference it writes is not a merge, and the
	// allOf passes would expand it (through the references' own allOfs).
	n.nullableRefs()
	if !n.changed {
		return doc, n.diags
	}
	doc.Annotate(n.diags)
	nd := *doc
	nd.canonical = n.root.appendJSON(nil)
	return &nd, n.diags
}

type normalizer struct {
	root     *node
	swagger2 bool
	diags    Diagnostics
	changed  bool
}

func (n *normalizer) report(code string, sev Severity, segs []string, format string, args ...any) {
	n.diags = append(n.diags, Diagnostic{Code: code, Severity: sev, Pointer: pointerOf(segs), Message: fmt.Sprintf(format, args...)})
}

// remove deletes member key of obj.
func (obj *node) remove(key string) {
	i := slices.Index(obj.keys, key)
	if i < 0 {
		return
	}
	obj.keys = slices.Delete(obj.keys, i, i+1)
	obj.kids = slices.Delete(obj.kids, i, i+1)
	obj.index = nil
}

// set puts a member, replacing one of the same key.
func (obj *node) set(key string, v *node) {
	if i := slices.Index(obj.keys, key); i >= 0 {
		obj.kids[i] = v
		return
	}
	obj.keys = append(obj.keys, key)
	obj.kids = append(obj.kids, v)
	obj.index = nil
}

func strNode(s string) *node { return &node{kind: kindString, str: s} }

// clone deep-copies a tree.
func (obj *node) clone() *node {
	c := *obj
	c.index = nil
	c.keys = slices.Clone(obj.keys)
	c.kids = make([]*node, len(obj.kids))
	for i, k := range obj.kids {
		c.kids[i] = k.clone()
	}
	return &c
}

func isGoExtension(k string) bool {
	return strings.HasPrefix(k, "x-go-") || strings.HasPrefix(k, "x-oapi-codegen-")
}

func (n *normalizer) stripGoExtensions() {
	visitSpecObjects(n.root, false, func(segs []string, obj *node) {
		for _, k := range slices.Clone(obj.keys) {
			if isGoExtension(k) {
				obj.remove(k)
				n.changed = true
				n.diags = append(n.diags, Diagnostic{
					Code: CodeExtensionIgnored, Severity: SeverityWarning,
					Pointer: pointerOf(append(segs, k)),
					Message: fmt.Sprintf("extension %q ignored: x-go-* and x-oapi-codegen-* extensions are not trusted in specs", k),
					Fix:     "set trust-go-extensions: true in sdkgen.yaml if the spec is trusted",
				})
			}
		}
	})
}

// proseKeys are the members of spec objects that generators copy into
// comments.
var proseKeys = []string{"description", "summary", "title", "x-deprecated-reason"}

// prose removes from the text generators copy into comments the characters
// Go source must not hold raw (see gotext.Unsafe): NUL, control characters,
// bidirectional overrides. Line breaks stay. Examples are data, but
// oapi-codegen prints a schema's examples in its doc comment, so their
// strings are cleaned too.
func (n *normalizer) prose() {
	visitSpecObjects(n.root, false, func(segs []string, obj *node) {
		for _, k := range proseKeys {
			v := obj.get(k)
			if v == nil || v.kind != kindString || !needsProse(v.str) {
				continue
			}
			old := v.str
			v.str = gotext.Prose(old)
			n.changed = true
			if v.str == gotext.Breaks(old) {
				n.report(CodeUnrepresentable, SeverityInfo, append(slices.Clone(segs), k),
					"line or paragraph separators of the %s (U+2028, U+2029, NEL) written as line breaks", k)
				continue
			}
			n.report(CodeUnrepresentable, SeverityWarning, append(slices.Clone(segs), k),
				"the %s was cleaned for Go comments (control and bidirectional-formatting characters removed, a line starting \"+build\" spaced)", k)
		}
		if !schemaPlace(segs) {
			return // oapi-codegen prints the examples of schemas only
		}
		for _, k := range []string{"example", "examples"} {
			if v := obj.get(k); v != nil && cleanStrings(v) {
				n.changed = true
				n.report(CodeUnrepresentable, SeverityWarning, append(slices.Clone(segs), k),
					"the strings of the %s were cleaned for Go comments (control and bidirectional-formatting characters removed, a line starting \"+build\" spaced)", k)
			}
		}
	})
}

// needsProse reports whether gotext.Prose must clean s for a comment (a
// plain carriage return needs nothing: oapi-codegen and the facade read it
// as a line break).
func needsProse(s string) bool {
	return (gotext.HasUnsafe(s) || strings.Contains(s, "+build")) && gotext.Prose(s) != s
}

// schemaPlace reports whether the object at segs is a schema.
func schemaPlace(segs []string) bool {
	n := len(segs)
	switch {
	case n == 0:
		return false
	case n == 3 && segs[0] == "components" && segs[1] == "schemas":
		return true
	}
	switch segs[n-1] {
	case "schema", "items", "not", "additionalProperties", "additionalItems", "contains", "if", "then", "else",
		"propertyNames", "unevaluatedItems", "unevaluatedProperties", "contentSchema":
		return true
	}
	if n >= 2 {
		switch segs[n-2] {
		case "properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "allOf", "oneOf", "anyOf", "prefixItems":
			return true
		}
	}
	return false
}

// cleanStrings applies gotext.Prose to every string and key of a value and
// reports whether it changed any.
func cleanStrings(v *node) bool {
	changed := false
	switch v.kind {
	case kindString:
		if needsProse(v.str) {
			v.str, changed = gotext.Prose(v.str), true
		}
	case kindArray, kindObject:
		for i, k := range v.kids {
			if v.kind == kindObject && needsProse(v.keys[i]) {
				v.keys[i], v.index, changed = gotext.Prose(v.keys[i]), nil, true
			}
			if cleanStrings(k) {
				changed = true
			}
		}
	}
	return changed
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// operations calls fn for every operation of every path.
func (n *normalizer) operations(fn func(path string, item, op *node, method string, segs []string)) {
	n.operationsIn("paths", fn)
}

// operationsIn calls fn for every operation of the path items under the
// document's member section: "paths", or "webhooks" (OpenAPI 3.1).
func (n *normalizer) operationsIn(section string, fn func(path string, item, op *node, method string, segs []string)) {
	paths := n.root.get(section)
	if paths == nil || paths.kind != kindObject {
		return
	}
	for i, p := range paths.keys {
		item := paths.kids[i]
		if item.kind != kindObject {
			continue
		}
		for _, m := range httpMethods {
			if op := item.get(m); op != nil && op.kind == kindObject {
				fn(p, item, op, m, []string{section, p, m})
			}
		}
	}
}

var responseKeyRE = regexp.MustCompile(`^(default|[1-5]XX|[1-9][0-9][0-9])$`)

// responseKeys repairs response keys Go code cannot use: "2xx" becomes
// "2XX", "200 OK" becomes "200"; others are dropped.
func (n *normalizer) responseKeys() {
	n.operations(func(_ string, _, op *node, _ string, segs []string) {
		rs := op.get("responses")
		if rs == nil || rs.kind != kindObject {
			return
		}
		for _, k := range slices.Clone(rs.keys) {
			if responseKeyRE.MatchString(k) {
				continue
			}
			fixed := strings.ToUpper(strings.TrimSpace(k))
			if f := strings.Fields(fixed); len(f) > 0 {
				fixed = f[0]
			}
			v := rs.get(k)
			rs.remove(k)
			n.changed = true
			if responseKeyRE.MatchString(fixed) && rs.get(fixed) == nil {
				rs.set(fixed, v)
				n.report(CodeResponseKey, SeverityWarning, append(segs, "responses", k), "response key %q read as %q", k, fixed)
			} else {
				n.report(CodeResponseKey, SeverityWarning, append(segs, "responses", k), "response %q dropped: its key is not a status code, a range such as 2XX, or default", k)
			}
		}
	})
}

// representable reports whether a name can be copied into Go source as
// oapi-codegen does (string literals, struct tags, comments).
func representable(s string) bool { return gotext.Literal(s) }

// unsafeInName reports whether r has no place in a name: a control
// character (tab and line breaks included) or a rune that is never copied
// raw into Go source.
func unsafeInName(r rune) bool { return unicode.IsControl(r) || gotext.Unsafe(r) }

// scalarKind is the node kind the values of a schema of one scalar type
// have (integer and number: numbers; boolean: booleans; string: strings).
func scalarKind(obj *node) (nodeKind, bool) {
	t, ok := obj.stringAt("type")
	if ts := obj.get("type"); ts != nil && ts.kind == kindArray {
		// OpenAPI 3.1: type: [integer, "null"].
		for _, k := range ts.kids {
			if k.kind == kindString && k.str != "null" {
				if ok {
					return 0, false // two types
				}
				t, ok = k.str, true
			}
		}
	}
	if !ok {
		return 0, false
	}
	switch t {
	case "integer", "number":
		return kindNumber, true
	case "boolean":
		return kindBool, true
	case "string":
		return kindString, true
	}
	return 0, false
}

// oneLineText shortens s to max runes on one line, for messages.
func oneLineText(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return s
}

// unrepresentable drops what Go source cannot hold: properties, parameters,
// enum values and scopes whose names contain quotes, backticks, backslashes
// or control characters, formats that contain them, enum values of another
// type than their schema's (a string among integers, a null, any value of a
// date or date-time, which Go constants cannot hold), and control
// characters in operationIds.
func (n *normalizer) unrepresentable() {
	visitSpecObjects(n.root, false, func(segs []string, obj *node) {
		if props := obj.get("properties"); props != nil && props.kind == kindObject {
			for _, k := range slices.Clone(props.keys) {
				// An empty name cannot be a JSON tag's name either (the
				// field's own name would be used).
				if !gotext.PropertyName(k) {
					props.remove(k)
					if req := obj.get("required"); req != nil && req.kind == kindArray {
						req.kids = slices.DeleteFunc(req.kids, func(r *node) bool { return r.str == k })
					}
					n.changed = true
					n.report(CodeUnrepresentable, SeverityWarning, append(slices.Clone(segs), "properties", k),
						"property %q dropped: its name cannot be a Go struct tag's JSON name (encoding/json would ignore it and read another key)", k)
				}
			}
		}
		if f, ok := obj.stringAt("format"); ok && !representable(f) {
			obj.remove("format")
			n.changed = true
			n.report(CodeUnrepresentable, SeverityWarning, append(slices.Clone(segs), "format"),
				"format %q dropped: it is not a format name", oneLineText(f, 60))
		}
		if enum := obj.get("enum"); enum != nil && enum.kind == kindArray {
			want, typed := scalarKind(obj)
			// Go has no constants of time.Time: a date enum keeps no value.
			f, _ := obj.stringAt("format")
			timeValued := typed && want == kindString && (f == "date-time" || f == "date")
			kept := enum.kids[:0]
			for i, v := range enum.kids {
				if typed && (v.kind != want || timeValued) {
					n.changed = true
					n.report(CodeUnrepresentable, SeverityWarning, append(slices.Clone(segs), "enum", strconv.Itoa(i)),
						"enum value %s dropped from the constants: it is not of the schema's type", oneLineText(string(v.appendJSON(nil)), 60))
					continue
				}
				if v.kind == kindString && !representable(v.str) {
					n.changed = true
					n.report(CodeUnrepresentable, SeverityWarning, append(slices.Clone(segs), "enum", strconv.Itoa(i)),
						"enum value %q dropped from the constants (it still decodes)", v.str)
					continue
				}
				kept = append(kept, v)
			}
			enum.kids = kept
			if len(kept) == 0 {
				obj.remove("enum")
			}
		}
		if params := obj.get("parameters"); params != nil && params.kind == kindArray {
			kept := params.kids[:0]
			for i, p := range params.kids {
				if name, ok := p.stringAt("name"); ok && !representable(name) {
					n.changed = true
					n.report(CodeUnrepresentable, SeverityWarning, append(slices.Clone(segs), "parameters", strconv.Itoa(i)),
						"parameter %q dropped: its name cannot appear in Go source; set it with sdk.WithHeader or a middleware if needed", name)
					continue
				}
				kept = append(kept, p)
			}
			params.kids = kept
		}
		if id, ok := obj.stringAt("operationId"); ok && strings.IndexFunc(id, unsafeInName) >= 0 {
			clean := strings.Map(func(r rune) rune {
				if unsafeInName(r) {
					return -1
				}
				return r
			}, id)
			obj.set("operationId", strNode(clean))
			n.changed = true
			n.report(CodeUnrepresentable, SeverityWarning, append(slices.Clone(segs), "operationId"), "control and bidirectional-formatting characters removed from operationId %q", id)
		}
	})
	// Scopes of security requirements are copied into string literals.
	cleanScopes := func(reqs *node, segs []string) {
		if reqs == nil || reqs.kind != kindArray {
			return
		}
		for i, req := range reqs.kids {
			if req.kind != kindObject {
				continue
			}
			for j, scopes := range req.kids {
				if scopes.kind != kindArray {
					continue
				}
				kept := scopes.kids[:0]
				for _, s := range scopes.kids {
					if s.kind == kindString && !representable(s.str) {
						n.changed = true
						n.report(CodeUnrepresentable, SeverityWarning, append(slices.Clone(segs), strconv.Itoa(i), req.keys[j]), "scope %q dropped", s.str)
						continue
					}
					kept = append(kept, s)
				}
				scopes.kids = kept
			}
		}
	}
	cleanScopes(n.root.get("security"), []string{"security"})
	n.operations(func(_ string, _, op *node, _ string, segs []string) {
		cleanScopes(op.get("security"), append(segs, "security"))
	})
}

// unsafeNames removes what unrepresentable leaves of the characters no name
// may hold (control characters, line breaks, bidirectional formatting; see
// gotext.Unsafe): generators copy names into identifiers, string literals
// and comments. A component whose name holds one is renamed, and every
// reference to it follows; any other entry of a map of names (a media
// type, a header, a callback, an encoding) is dropped; a string value of
// the spec's structure (a style, a URL, a tag) loses them.
func (n *normalizer) unsafeNames() {
	bad := func(s string) bool { return strings.IndexFunc(s, unsafeInName) >= 0 }
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if unsafeInName(r) {
				return -1
			}
			return r
		}, s)
	}
	renamed := map[string]map[string]string{} // section → old name → new name
	visitSpecObjects(n.root, false, func(segs []string, obj *node) {
		for i, key := range obj.keys {
			v := obj.kids[i]
			switch {
			case dataKeys[key], key == "examples", key == "pattern", key == "$ref", key == "operationId", slices.Contains(proseKeys, key):
				// Data, references, and what prose and unrepresentable
				// took care of.
			case v.kind == kindString && bad(v.str):
				old := v.str
				v.str = clean(v.str)
				n.changed = true
				if t := strings.TrimSpace(old); !bad(t) {
					// Only a line break at an end (a scope's description
					// written as a YAML block): nothing to say.
					v.str = t
					continue
				}
				n.report(CodeUnrepresentable, SeverityWarning, append(slices.Clone(segs), key),
					"control and bidirectional-formatting characters removed from %s %q", key, old)
			case v.kind == kindArray:
				for j, e := range v.kids {
					if e.kind == kindString && bad(e.str) {
						old := e.str
						e.str = clean(e.str)
						n.changed = true
						n.report(CodeUnrepresentable, SeverityWarning, append(slices.Clone(segs), key, strconv.Itoa(j)),
							"control and bidirectional-formatting characters removed from %s entry %q", key, old)
					}
				}
			case v.kind == kindObject && nameMapKeys[key] && key != "paths" && key != "properties":
				component := len(segs) == 1 && segs[0] == "components"
				for _, name := range slices.Clone(v.keys) {
					// oapi-codegen names the type of a $ref after the
					// reference's last segment as written: a "/" or "~"
					// (~1, ~0 there) makes it differ from the component's.
					if !bad(name) && !(component && strings.ContainsAny(name, "/~")) {
						continue
					}
					where := append(slices.Clone(segs), key, name)
					n.changed = true
					if !component {
						v.remove(name)
						n.report(CodeUnrepresentable, SeverityWarning, where,
							"%s entry %q dropped: its name holds control or bidirectional-formatting characters", key, name)
						continue
					}
					base := cmp.Or(strings.NewReplacer("/", "_", "~", "_").Replace(clean(name)), "Component")
					fresh := base
					for k := 2; v.get(fresh) != nil; k++ {
						fresh = fmt.Sprintf("%s%d", base, k)
					}
					idx := slices.Index(v.keys, name)
					v.keys[idx], v.index = fresh, nil
					if renamed[key] == nil {
						renamed[key] = map[string]string{}
					}
					renamed[key][name] = fresh
					why := "holds control or bidirectional-formatting characters"
					if !bad(name) {
						why = `holds "/" or "~", which references cannot carry as written`
					}
					n.report(CodeUnrepresentable, SeverityWarning, where, "component %q renamed %q: its name %s", name, fresh, why)
				}
			}
		}
	})
	if len(renamed) == 0 {
		return
	}
	// References follow the renamed components.
	retarget := func(ref string) (string, bool) {
		segs, ok := refSegments(ref)
		if !ok || len(segs) < 3 || segs[0] != "components" {
			return "", false
		}
		fresh, ok := renamed[segs[1]][segs[2]]
		if !ok {
			return "", false
		}
		segs[2] = fresh
		return "#" + pointerOf(segs), true
	}
	visitSpecObjects(n.root, false, func(_ []string, obj *node) {
		if r := obj.get("$ref"); r != nil && r.kind == kindString {
			if fresh, ok := retarget(r.str); ok {
				r.str = fresh
			}
		}
		if m := obj.get("discriminator").get("mapping"); m != nil && m.kind == kindObject {
			for _, v := range m.kids {
				if v.kind != kindString {
					continue
				}
				if fresh, ok := retarget(v.str); ok {
					v.str = fresh
				} else if fresh, ok := renamed["schemas"][v.str]; ok {
					v.str = fresh // a bare schema name
				}
			}
		}
		// Security requirements name schemes by their component name.
		for _, list := range []*node{obj.get("security")} {
			if list == nil || list.kind != kindArray {
				continue
			}
			for _, req := range list.kids {
				if req.kind != kindObject {
					continue
				}
				for i, k := range req.keys {
					if fresh, ok := renamed["securitySchemes"][k]; ok {
						req.keys[i], req.index = fresh, nil
					}
				}
			}
		}
	})
}

var templateVar = regexp.MustCompile(`\{([^{}]*)\}`)

// pathParams reconciles each operation's path template with its path
// parameters: a template variable without a parameter gets a string one; a
// path parameter the template does not name is dropped. A path that Go
// source cannot hold drops its operations, loudly.
func (n *normalizer) pathParams() {
	paths := n.root.get("paths")
	if paths == nil || paths.kind != kindObject {
		return
	}
	for _, p := range slices.Clone(paths.keys) {
		if !representable(p) {
			paths.remove(p)
			n.changed = true
			n.report(CodeUnrepresentable, SeverityWarning, []string{"paths", p}, "path %q dropped with its operations: it cannot appear in Go source", p)
		}
	}
	n.pathItemRefs(paths)
	n.labelExpansions(paths)
	n.operations(func(path string, item, op *node, method string, segs []string) {
		var vars []string
		for _, m := range templateVar.FindAllStringSubmatch(path, -1) {
			if !slices.Contains(vars, m[1]) {
				vars = append(vars, m[1])
			}
		}
		declared := map[string]bool{}
		collect := func(list *node) {
			if list == nil || list.kind != kindArray {
				return
			}
			for _, prm := range list.kids {
				prm = n.deref(prm)
				if in, _ := prm.stringAt("in"); in == "path" {
					name, _ := prm.stringAt("name")
					declared[name] = true
				}
			}
		}
		collect(item.get("parameters"))
		collect(op.get("parameters"))
		// Drop path parameters the template does not name (from the
		// operation's own list; a path-level one is shared).
		if list := op.get("parameters"); list != nil && list.kind == kindArray {
			kept := list.kids[:0]
			for i, prm := range list.kids {
				r := n.deref(prm)
				in, _ := r.stringAt("in")
				name, _ := r.stringAt("name")
				if in == "path" && !slices.Contains(vars, name) {
					n.changed = true
					n.report(CodePathParam, SeverityWarning, append(slices.Clone(segs), "parameters", strconv.Itoa(i)),
						"path parameter %q dropped: %s has no {%s}", name, path, name)
					continue
				}
				kept = append(kept, prm)
			}
			list.kids = kept
		}
		for _, v := range vars {
			if declared[v] || v == "" {
				continue
			}
			list := op.get("parameters")
			if list == nil || list.kind != kindArray {
				list = &node{kind: kindArray}
				op.set("parameters", list)
			}
			prm := &node{kind: kindObject}
			prm.set("name", strNode(v))
			prm.set("in", strNode("path"))
			prm.set("required", &node{kind: kindBool, str: "true"})
			schema := &node{kind: kindObject}
			schema.set("type", strNode("string"))
			prm.set("schema", schema)
			list.kids = append(list.kids, prm)
			n.changed = true
			n.report(CodePathParam, SeverityWarning, segs, "path parameter %q added as a string: %s names it but no parameter declares it", v, path)
		}
	})
}

// pathItemRefs replaces a path item that is a $ref to another path item
// of the document ("/support/ip-address": {"$ref": "#/paths/~1ip-address"})
// by a copy of it: later passes would take the reference into the middle of
// paths for a schema.
func (n *normalizer) pathItemRefs(paths *node) {
	for i, p := range paths.keys {
		item := paths.kids[i]
		ref, ok := item.stringAt("$ref")
		if !ok || !strings.HasPrefix(ref, "#/paths/") {
			continue
		}
		segs, err := splitPointer(strings.TrimPrefix(ref, "#"))
		target := n.lookup(segs)
		if err != nil || target == nil || target.kind != kindObject || target.get("$ref") != nil {
			continue // reported by the loader, or a chain: left alone
		}
		copied := target.clone()
		for j, k := range item.keys {
			if k != "$ref" {
				copied.set(k, item.kids[j])
			}
		}
		paths.kids[i] = copied
		n.changed = true
		n.report(CodeRefHoisted, SeverityInfo, []string{"paths", p}, "path item copied from %s", ref)
	}
}

var expansion = regexp.MustCompile(`\{([./])([^{}]+)\}`)

// labelExpansions rewrites the RFC 6570 label and path-segment expansions
// some specs put in path templates ({id}{.format}, /files{/name}) as a
// literal prefix and a plain variable ({id}.{format}), and renames the path
// parameters that carry the operator (".format") to match.
func (n *normalizer) labelExpansions(paths *node) {
	rebuilt := &node{kind: kindObject, line: paths.line, col: paths.col}
	changed := false
	for i, p := range paths.keys {
		item := paths.kids[i]
		np := expansion.ReplaceAllString(p, "$1{$2}")
		if np != p && paths.get(np) == nil && rebuilt.get(np) == nil {
			renamed := map[string]string{}
			for _, m := range expansion.FindAllStringSubmatch(p, -1) {
				renamed[m[1]+m[2]] = m[2]
			}
			rename := func(list *node) {
				if list == nil || list.kind != kindArray {
					return
				}
				for _, prm := range list.kids {
					if prm.kind != kindObject || prm.get("$ref") != nil {
						continue
					}
					name, _ := prm.stringAt("name")
					if in, _ := prm.stringAt("in"); in == "path" && renamed[name] != "" {
						prm.set("name", strNode(renamed[name]))
					}
				}
			}
			if item.kind == kindObject {
				rename(item.get("parameters"))
				for j, k := range item.keys {
					if slices.Contains(httpMethods, k) {
						rename(item.kids[j].get("parameters"))
					}
				}
			}
			n.report(CodePathParam, SeverityInfo, []string{"paths", p}, "path template %q rewritten as %q: RFC 6570 expansions are not OpenAPI path templates", p, np)
			p, changed = np, true
		}
		rebuilt.set(p, item)
	}
	if changed {
		n.root.set("paths", rebuilt)
		n.changed = true
	}
}

// deref follows a local $ref of a parameter (one step).
func (n *normalizer) deref(obj *node) *node {
	ref, ok := obj.stringAt("$ref")
	if !ok {
		return obj
	}
	segs, ok := refSegments(ref)
	if !ok {
		return obj
	}
	if t := n.lookup(segs); t != nil {
		return t
	}
	return obj
}

// duplicateOperationIDs renames operationIds that would be the same Go
// method: repeated ones, ones that differ only in case or punctuation
// (get-pet, getPet), and the ids generators derive for operations without
// one (GET /a/{id} and GET /a/id both make GetAId). The first in path order
// (paths sorted, then methods in HTTP order) keeps its name; a later one
// gets method and path appended, or, without an id of its own, one that
// says "by" the path parameter.
func (n *normalizer) duplicateOperationIDs() {
	seen := map[string]bool{}
	// Webhooks and callbacks after paths: oapi-codegen declares their
	// bodies under the same names, so one named like an operation is
	// renamed.
	each := func(fn func(path string, item, op *node, method string, segs []string)) {
		var callbacks []*node
		var callbackSegs [][]string
		n.operationsIn("paths", func(path string, item, op *node, method string, segs []string) {
			fn(path, item, op, method, segs)
			if cb := op.get("callbacks"); cb != nil && cb.kind == kindObject {
				callbacks = append(callbacks, cb)
				callbackSegs = append(callbackSegs, append(slices.Clone(segs), "callbacks"))
			}
		})
		n.operationsIn("webhooks", fn)
		if cb := n.lookup([]string{"components", "callbacks"}); cb != nil && cb.kind == kindObject {
			callbacks = append(callbacks, cb)
			callbackSegs = append(callbackSegs, []string{"components", "callbacks"})
		}
		// Callbacks: name → expression → path item → operation.
		for i, cb := range callbacks {
			for j, name := range cb.keys {
				exprs := cb.kids[j]
				if exprs.kind != kindObject || exprs.get("$ref") != nil {
					continue
				}
				for k, expr := range exprs.keys {
					item := exprs.kids[k]
					if item.kind != kindObject {
						continue
					}
					for _, m := range httpMethods {
						if op := item.get(m); op != nil && op.kind == kindObject {
							fn(expr, item, op, m, append(slices.Clone(callbackSegs[i]), name, expr, m))
						}
					}
				}
			}
		}
	}
	each(func(path string, _, op *node, method string, segs []string) {
		id, given := op.stringAt("operationId")
		if id == "" {
			given = false
		}
		inCallback := slices.Contains(segs, "callbacks")
		if !given && segs[0] == "webhooks" {
			return // a webhook without an id generates nothing
		}
		var parts []string
		for _, p := range strings.Split(path, "/") {
			if p != "" {
				parts = append(parts, p)
			}
		}
		// An operationId of which no letter or digit survives in a Go name
		// ("获取宠物", "*/") is replaced like a missing one.
		unusable := given && goNameKey(id) == "" && !inCallback
		if unusable {
			given = false
		}
		original := id
		switch {
		case !given && inCallback:
			id = segs[len(segs)-3] // oapi-codegen names a callback's types after its name
		case !given:
			id = method + "-" + strings.Join(parts, "-")
		}
		if !seen[goNameKey(id)] {
			seen[goNameKey(id)] = true
			if unusable {
				op.set("operationId", strNode(id))
				n.changed = true
				n.report(CodeUnrepresentable, SeverityWarning, append(segs, "operationId"),
					"operationId %q has no letter or digit a Go name can keep; this operation is %q", original, id)
			}
			return
		}
		alt := id + "_" + method + strings.NewReplacer("/", "_", "{", "", "}", "").Replace(path)
		switch {
		case inCallback:
			alt = id + "Callback"
		case !given:
			for i, p := range parts {
				if strings.HasPrefix(p, "{") {
					parts[i] = "by-" + strings.Trim(p, "{}")
				}
			}
			alt = method + "-" + strings.Join(parts, "-")
		}
		base := alt
		for i := 2; seen[goNameKey(alt)]; i++ {
			alt = fmt.Sprintf("%s%d", base, i)
		}
		seen[goNameKey(alt)] = true
		op.set("operationId", strNode(alt))
		n.changed = true
		switch {
		case unusable:
			n.report(CodeUnrepresentable, SeverityWarning, append(segs, "operationId"),
				"operationId %q has no letter or digit a Go name can keep, and the one derived from its path (%q) names the same Go method as an earlier one; this operation is %q", original, id, alt)
		case given:
			n.report(CodeDuplicateOpID, SeverityWarning, append(segs, "operationId"), "operationId %q names the same Go method as an earlier one; this one is %q", id, alt)
		default:
			n.report(CodeDuplicateOpID, SeverityWarning, segs, "this operation has no operationId, and the one derived from its path (%q) names the same Go method as an earlier one; it is %q", id, alt)
		}
	})
}

// goNameKey folds an operationId to what decides its Go name: the letters
// oapi-codegen keeps (upper and lower case ones: letters without case, as in
// Chinese, are dropped) and digits, case aside.
func goNameKey(id string) string {
	return strings.ToLower(strings.Map(func(r rune) rune {
		if unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, id))
}

// scalarType reports whether t is a JSON Schema type a parameter can send
// as text.
func scalarType(t string) bool {
	switch t {
	case "string", "integer", "number", "boolean":
		return true
	}
	return false
}

// paramUnions turns the schema of a parameter that is one of several
// scalar types (oneOf: [integer, string]) into a string: it travels as text
// in a path, query or header anyway, and generators fail on such unions.
func (n *normalizer) paramUnions() {
	var fix func(prm *node, segs []string)
	fixScalar := func(prm *node, segs []string) {
		s := prm.get("schema")
		if s == nil || s.kind != kindObject {
			return
		}
		if ts := s.get("type"); ts != nil && ts.kind == kindArray {
			// OpenAPI 3.1: type: [string, number].
			var types []string
			for _, t := range ts.kids {
				switch {
				case t.kind != kindString:
					return
				case t.str == "null":
				case scalarType(t.str):
					types = append(types, t.str)
				default:
					return
				}
			}
			if len(uniq(types)) > 1 {
				s.set("type", strNode("string"))
				s.remove("format")
				n.changed = true
				n.report(CodeDegraded, SeverityWarning, append(segs, "schema"), "parameter of type %s is sent as a string", strings.Join(uniq(types), " or "))
			}
			return
		}
		for _, kw := range []string{"oneOf", "anyOf"} {
			list := s.get(kw)
			if list == nil || list.kind != kindArray || len(list.kids) == 0 {
				continue
			}
			var types []string
			for _, m := range list.kids {
				r := n.resolveSchema(m, 0)
				t, _ := r.stringAt("type")
				if r == nil || !scalarType(t) {
					return
				}
				types = append(types, t)
			}
			str := &node{kind: kindObject}
			str.set("type", strNode("string"))
			if d := s.get("description"); d != nil {
				str.set("description", d)
			}
			prm.set("schema", str)
			n.changed = true
			n.report(CodeDegraded, SeverityWarning, append(segs, "schema"), "parameter of type %s %s is sent as a string", kw, strings.Join(uniq(types), " or "))
			return
		}
	}
	// A parameter union of other shapes gets a schema component of its own:
	// generators name a union's members after the path to it, which an
	// inline parameter schema does not give.
	hoisted := map[string]string{} // canonical JSON of a schema → its component
	hoist := func(prm *node, segs []string) {
		s := prm.get("schema")
		if s == nil || s.kind != kindObject || (s.get("oneOf") == nil && s.get("anyOf") == nil) {
			return
		}
		name, _ := prm.stringAt("name")
		ref := &node{kind: kindObject}
		// Identical unions (Stripe's created filter on every list) share
		// one component.
		canon := string(s.appendJSON(nil))
		if key, ok := hoisted[canon]; ok {
			ref.set("$ref", strNode("#/components/schemas/"+escapeToken(key)))
			prm.set("schema", ref)
			n.changed = true
			n.report(CodeParamUnion, SeverityInfo, append(segs, "schema"), "the union schema of parameter %q is the component %s", name, key)
			return
		}
		comps := n.root.get("components")
		if comps == nil {
			comps = &node{kind: kindObject}
			n.root.set("components", comps)
		}
		schemas := comps.get("schemas")
		if schemas == nil {
			schemas = &node{kind: kindObject}
			comps.set("schemas", schemas)
		}
		// Named after where it is (the operation, or the component
		// parameter), never numbered: a number would run into the member
		// names generators derive from it (X2 + member 0 = X20).
		base := sanitizeComponentName(name) + "Param"
		if len(segs) >= 3 && segs[0] == "paths" {
			// Without an operationId, the method and the path: the method
			// alone would give every GET's "status" parameter one name.
			opName := segs[2] + segs[1]
			if op := n.lookup(segs[:3]); op != nil {
				if id, ok := op.stringAt("operationId"); ok {
					opName = id
				}
			}
			base = sanitizeComponentName(opName + "_" + name + "_param")
		}
		key := base
		for schemas.get(key) != nil {
			key += "_"
		}
		schemas.set(key, s)
		hoisted[canon] = key
		ref.set("$ref", strNode("#/components/schemas/"+escapeToken(key)))
		prm.set("schema", ref)
		n.changed = true
		n.report(CodeParamUnion, SeverityInfo, append(segs, "schema"), "the union schema of parameter %q became the component %s", name, key)
	}
	fix = func(prm *node, segs []string) {
		fixScalar(prm, segs)
		hoist(prm, segs)
	}
	visitSpecObjects(n.root, false, func(segs []string, obj *node) {
		list := obj.get("parameters")
		if list == nil {
			return
		}
		switch list.kind {
		case kindArray:
			for i, prm := range list.kids {
				if prm.kind == kindObject && prm.get("$ref") == nil {
					fix(prm, append(slices.Clone(segs), "parameters", strconv.Itoa(i)))
				}
			}
		case kindObject: // components/parameters
			for i, name := range list.keys {
				if prm := list.kids[i]; prm.kind == kindObject && prm.get("$ref") == nil {
					fix(prm, append(slices.Clone(segs), "parameters", name))
				}
			}
		}
	})
}

// typedMedia reports whether the SDK decodes or encodes a media type itself
// (JSON, forms, multipart, text); other bodies travel as bytes.
func typedMedia(mt string) bool {
	mt = strings.ToLower(strings.TrimSpace(strings.SplitN(mt, ";", 2)[0]))
	switch {
	case mt == "application/json", strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "/json"),
		mt == "application/x-www-form-urlencoded", strings.HasPrefix(mt, "multipart/"),
		mt == "text/plain", mt == "*/*", mt == "application/*", mt == "":
		return true
	}
	return false
}

// eventStream reports whether a media type is text/event-stream, whose
// schema describes the data of each event: generated methods decode events
// into its type.
func eventStream(mt string) bool {
	return strings.EqualFold(strings.TrimSpace(strings.SplitN(mt, ";", 2)[0]), "text/event-stream")
}

// untypedBodies sets aside the schemas of bodies the SDK passes as bytes
// (XML, binary, images...), so that their models, which would go unused,
// cannot break generation.
func (n *normalizer) untypedBodies() {
	strip := func(content *node, segs []string, response bool) {
		if content == nil || content.kind != kindObject {
			return
		}
		// Only when the body has a typed alternative or is itself untyped:
		// the SDK then reads it as a stream.
		for i, mt := range content.keys {
			media := content.kids[i]
			if typedMedia(mt) || response && eventStream(mt) || media.kind != kindObject || media.get("schema") == nil {
				continue
			}
			if s := media.get("schema"); s.get("$ref") == nil && isBinarySchema(s) {
				continue // format: binary: nothing to generate anyway
			}
			media.remove("schema")
			n.changed = true
			n.report(CodeBodyUntyped, SeverityInfo, append(slices.Clone(segs), mt, "schema"),
				"%s bodies travel as bytes (io.Reader / io.ReadCloser); their schema is not used", mt)
		}
	}
	n.operations(func(_ string, _, op *node, _ string, segs []string) {
		if rb := op.get("requestBody"); rb != nil {
			strip(rb.get("content"), append(slices.Clone(segs), "requestBody", "content"), false)
		}
		if rs := op.get("responses"); rs != nil && rs.kind == kindObject {
			for i, code := range rs.keys {
				strip(rs.kids[i].get("content"), append(slices.Clone(segs), "responses", code, "content"), true)
			}
		}
	})
	if comps := n.root.get("components"); comps != nil {
		for _, coll := range []string{"responses", "requestBodies"} {
			if c := comps.get(coll); c != nil && c.kind == kindObject {
				for i, name := range c.keys {
					strip(c.kids[i].get("content"), []string{"components", coll, name, "content"}, coll == "responses")
				}
			}
		}
	}
}

// recursiveArrays gives the items of a component array a component of
// their own when they are written in place and refer back to the array
// (order-item: [{Items: order-item}]): generators declare arrays as
// aliases, and an alias of a struct that holds the alias is a type Go
// cannot declare.
func (n *normalizer) recursiveArrays() {
	schemas := n.lookup([]string{"components", "schemas"})
	if schemas == nil || schemas.kind != kindObject {
		return
	}
	for _, key := range slices.Clone(schemas.keys) {
		arr := schemas.get(key)
		if arr == nil || arr.kind != kindObject {
			continue
		}
		items := arr.get("items")
		if t, _ := arr.stringAt("type"); t != "array" || items == nil || items.kind != kindObject || items.get("$ref") != nil {
			continue
		}
		self := `"#/components/schemas/` + escapeToken(key) + `"`
		if !strings.Contains(string(items.appendJSON(nil)), self) {
			continue
		}
		name := freeSchemaKey(schemas, key+"_item")
		schemas.set(name, items)
		ref := &node{kind: kindObject}
		ref.set("$ref", strNode("#/components/schemas/"+escapeToken(name)))
		arr.set("items", ref)
		n.changed = true
		n.report(CodeRefHoisted, SeverityInfo, []string{"components", "schemas", key, "items"},
			"the items of this array refer back to it; they became the component %s", name)
	}
}

// arrayCycles makes untyped the items of a component array that holds
// itself through arrays alone (Nested: [Nested]; Ping: [Pong], Pong:
// [Ping]). JSON can hold such nesting, but generators declare arrays as
// aliases, and an alias cannot refer to itself: the first array of each
// cycle, in name order, gets items of any JSON value.
func (n *normalizer) arrayCycles() {
	schemas := n.lookup([]string{"components", "schemas"})
	if schemas == nil || schemas.kind != kindObject {
		return
	}
	// itemsOf returns the component an array component's items refer to.
	itemsOf := func(key string) (string, bool) {
		arr := schemas.get(key)
		if t, _ := arr.stringAt("type"); arr == nil || t != "array" {
			return "", false
		}
		ref, ok := arr.get("items").stringAt("$ref")
		if !ok {
			return "", false
		}
		segs, ok := refSegments(ref)
		if !ok || len(segs) != 3 || segs[0] != "components" || segs[1] != "schemas" {
			return "", false
		}
		return segs[2], true
	}
	for _, key := range slices.Sorted(slices.Values(schemas.keys)) {
		seen := map[string]bool{}
		for cur := key; !seen[cur]; {
			seen[cur] = true
			next, ok := itemsOf(cur)
			if !ok {
				break
			}
			if next == key {
				arr := schemas.get(key)
				arr.set("items", &node{kind: kindObject})
				n.changed = true
				n.report(CodeDegraded, SeverityWarning, []string{"components", "schemas", key, "items"},
					"the items of this array are arrays that hold it again (%s); they are typed as any JSON value", strings.Join(slices.Sorted(maps.Keys(seen)), ", "))
				break
			}
			cur = next
		}
	}
}

// freeSchemaKey returns base, or base with a number, such that no schema
// component has a key that makes the same Go name.
func freeSchemaKey(schemas *node, base string) string {
	taken := map[string]bool{}
	for _, k := range schemas.keys {
		taken[goNameKey(k)] = true
	}
	name := base
	for i := 2; taken[goNameKey(name)]; i++ {
		name = fmt.Sprintf("%s%d", base, i)
	}
	return name
}

func isBinarySchema(s *node) bool {
	f, _ := s.stringAt("format")
	t, _ := s.stringAt("type")
	return t == "string" && (f == "binary" || f == "byte")
}

// hoistDeepRefs gives every $ref that points into the middle of something
// (#/components/schemas/A/properties/b, #/paths/...) a component of its own,
// which generators can name: a copy of the target under a name derived from
// its path. Copies may hold deep references of their own, so it repeats
// until none is left.
func (n *normalizer) hoistDeepRefs() {
	for range 8 {
		if !n.hoistRound() {
			return
		}
	}
}

func (n *normalizer) hoistRound() bool {
	type site struct {
		obj  *node
		segs []string
	}
	byTarget := map[string][]site{}
	var order []string
	visitSpecObjects(n.root, false, func(segs []string, obj *node) {
		ref, ok := obj.stringAt("$ref")
		if !ok {
			return
		}
		tsegs, ok := refSegments(ref)
		if !ok || len(tsegs) == 0 || (len(tsegs) == 3 && tsegs[0] == "components") {
			return
		}
		key := pointerOf(tsegs)
		if _, ok := byTarget[key]; !ok {
			order = append(order, key)
		}
		byTarget[key] = append(byTarget[key], site{obj, slices.Clone(segs)})
	})
	if len(order) == 0 {
		return false
	}
	comps := n.root.get("components")
	if comps == nil {
		comps = &node{kind: kindObject}
		n.root.set("components", comps)
	}
	slices.Sort(order)
	for _, key := range order {
		tsegs, _ := splitPointer(key)
		target := n.lookup(tsegs)
		if target == nil {
			continue
		}
		coll := collectionOf(tsegs)
		c := comps.get(coll)
		if c == nil {
			c = &node{kind: kindObject}
			comps.set(coll, c)
		}
		name := hoistedName(tsegs)
		for i := 2; c.get(name) != nil; i++ {
			name = fmt.Sprintf("%s_%d", hoistedName(tsegs), i)
		}
		c.set(name, target.clone())
		newRef := "#/components/" + coll + "/" + escapeToken(name)
		for _, st := range byTarget[key] {
			st.obj.set("$ref", strNode(newRef))
			n.report(CodeRefHoisted, SeverityInfo, st.segs, "$ref \"#%s\" points into the middle of a definition; it now refers to a copy, %s", key, newRef)
		}
		n.changed = true
	}
	return true
}

// collectionOf guesses which components collection a deep target belongs
// to: schemas unless the pointer ends at a parameter, response or body.
func collectionOf(segs []string) string {
	if len(segs) >= 2 {
		switch segs[len(segs)-2] {
		case "parameters":
			return "parameters"
		case "responses":
			return "responses"
		}
	}
	if segs[len(segs)-1] == "requestBody" {
		return "requestBodies"
	}
	return "schemas"
}

// hoistedName derives a component name from a pointer's path:
// components/schemas/EntityTransfer/properties/entities →
// EntityTransfer_entities.
func hoistedName(segs []string) string {
	var parts []string
	for _, s := range segs {
		switch s {
		case "components", "schemas", "properties", "items", "paths", "content", "schema", "responses",
			"requestBody", "application/json", "parameters", "allOf", "oneOf", "anyOf":
			continue
		}
		parts = append(parts, s)
	}
	return sanitizeComponentName(strings.Join(parts, "_"))
}

// annotationKeys are the keywords that describe a schema without
// constraining it.
var annotationKeys = map[string]bool{
	"description": true, "title": true, "example": true, "examples": true, "default": true,
	"deprecated": true, "readOnly": true, "writeOnly": true, "externalDocs": true, "xml": true,
	"$comment": true,
}

func annotationOnly(obj *node) bool {
	if obj.kind != kindObject || len(obj.keys) == 0 {
		return obj.kind == kindObject // {} constrains nothing either
	}
	for _, k := range obj.keys {
		if !annotationKeys[k] && !strings.HasPrefix(k, "x-") {
			return false
		}
	}
	return true
}

// foldAllOf removes allOf members that only annotate (a description next to
// a $ref, the common "decorator" idiom), moving their description up; an
// allOf left with one member and nothing beside it becomes that member.
func (n *normalizer) foldAllOf() {
	visitSpecObjects(n.root, false, func(segs []string, obj *node) {
		all := obj.get("allOf")
		if all == nil || all.kind != kindArray || len(all.kids) < 2 {
			return
		}
		var kept []*node
		folded := false
		for _, m := range all.kids {
			if annotationOnly(m) {
				if d := m.get("description"); d != nil && obj.get("description") == nil {
					obj.set("description", d)
				}
				folded = true
				continue
			}
			kept = append(kept, m)
		}
		if !folded || len(kept) == 0 {
			return
		}
		all.kids = kept
		n.changed = true
		if len(kept) == 1 && onlyAnnotationsBeside(obj, "allOf") {
			obj.remove("allOf")
			member := kept[0]
			for i, k := range member.keys {
				if obj.get(k) == nil || k == "$ref" {
					obj.set(k, member.kids[i])
				}
			}
		}
		n.report(CodeAllOfFolded, SeverityInfo, segs, "allOf members that only annotate were folded into the schema")
	})
}

// nullableRefs rewrites a union of a reference and an empty nullable
// object, anyOf: [{$ref: X}, {type: object, nullable: true}] (OpenAPI 3.0's
// way to say "X or null", which Microsoft Graph writes 1,473 times), as a
// nullable reference, allOf: [{$ref: X}] with nullable: true. oapi-codegen
// would make a union type with accessor methods of each; the field is
// then a nullable.Nullable[X].
func (n *normalizer) nullableRefs() {
	visitSpecObjects(n.root, false, func(segs []string, obj *node) {
		if obj.get("discriminator") != nil || obj.get("allOf") != nil {
			return
		}
		for _, kw := range []string{"anyOf", "oneOf"} {
			list := obj.get(kw)
			if list == nil || list.kind != kindArray || len(list.kids) != 2 {
				continue
			}
			if !onlyAnnotationsBeside(obj, kw) || (kw == "anyOf" && obj.get("oneOf") != nil) || (kw == "oneOf" && obj.get("anyOf") != nil) {
				return
			}
			ref, null := list.kids[0], list.kids[1]
			if ref.get("$ref") == nil {
				ref, null = null, ref
			}
			if ref.kind != kindObject || ref.get("$ref") == nil || !nullObject(null) {
				continue
			}
			obj.remove(kw)
			obj.set("allOf", &node{kind: kindArray, kids: []*node{ref}})
			obj.set("nullable", &node{kind: kindBool, str: "true"})
			n.changed = true
			n.report(CodeNullableRef, SeverityInfo, segs, "%s of a reference and a null object is read as a nullable reference", kw)
			return
		}
	})
}

// nullObject reports a schema that says only "null": nullable: true with
// type object or none, and nothing else but annotations.
func nullObject(obj *node) bool {
	if obj.kind != kindObject {
		return false
	}
	if v := obj.get("nullable"); v == nil || v.kind != kindBool || v.str != "true" {
		return false
	}
	if t, ok := obj.stringAt("type"); ok && t != "object" {
		return false
	}
	for _, k := range obj.keys {
		if k != "nullable" && k != "type" && !annotationKeys[k] && !strings.HasPrefix(k, "x-") {
			return false
		}
	}
	return true
}

// inlineDiscriminators drops the discriminator of a oneOf or anyOf whose
// members are written in place: a discriminator maps values to schema
// names, which such members do not have (oapi-codegen refuses them). The
// union stays typed, with its As/From accessors; only the dispatch on the
// property's value is lost.
func (n *normalizer) inlineDiscriminators() {
	visitSpecObjects(n.root, false, func(segs []string, obj *node) {
		d := obj.get("discriminator")
		if d == nil || d.kind != kindObject {
			return
		}
		for _, kw := range []string{"oneOf", "anyOf"} {
			list := obj.get(kw)
			if list == nil || list.kind != kindArray {
				continue
			}
			for _, m := range list.kids {
				if m.kind != kindObject || m.get("$ref") != nil {
					continue
				}
				if t, ok := m.stringAt("type"); ok && t == "null" {
					continue
				}
				obj.remove("discriminator")
				n.changed = true
				n.report(CodeDiscriminator, SeverityInfo, segs, "the discriminator of this %s was dropped: its members are written in place, so it cannot name them", kw)
				return
			}
		}
	})
}

func onlyAnnotationsBeside(obj *node, except string) bool {
	for _, k := range obj.keys {
		if k != except && !annotationKeys[k] && !strings.HasPrefix(k, "x-") && k != "nullable" {
			return false
		}
	}
	return true
}

// allOfConflicts reconciles allOf members that oapi-codegen cannot merge
// because they disagree (pairwise, an absent keyword counting as its zero
// value) on a keyword: the referenced members are inlined (the merged type
// is a new one anyway) and the keyword is reconciled: formats to the widest
// (int32 and int64 make int64) or none, types integer and number to number,
// readOnly/writeOnly/defaults/uniqueItems/exclusive bounds dropped from the
// members; members of different types degrade the schema to untyped JSON.
// It runs until nothing changes, since an inlined member may hold an allOf
// of its own.
func (n *normalizer) allOfConflicts() {
	for range 8 {
		again := false
		visitSpecObjects(n.root, false, func(segs []string, obj *node) {
			if n.reconcileAllOf(segs, obj) {
				again = true
			}
		})
		if !again {
			return
		}
	}
}

// mergedKeywords are the keywords oapi-codegen's allOf merge requires to
// be equal across members.
var mergedKeywords = []string{"type", "format", "default", "uniqueItems", "exclusiveMinimum", "exclusiveMaximum", "readOnly", "writeOnly"}

func (n *normalizer) reconcileAllOf(segs []string, obj *node) bool {
	all := obj.get("allOf")
	if all == nil || all.kind != kindArray || len(all.kids) == 0 {
		return false
	}
	// Keywords beside allOf are merged by oapi-codegen as one more member.
	var siblings *node
	if !onlyAnnotationsBeside(obj, "allOf") {
		siblings = obj.clone()
		siblings.remove("allOf")
		// type: object beside the reference to an object says nothing
		// oapi-codegen merges (Spotify's PlaylistObject.tracks).
		if t, ok := siblings.stringAt("type"); ok && t == "object" && len(all.kids) == 1 {
			rest := siblings.clone()
			rest.remove("type")
			if onlyAnnotationsBeside(rest, "") {
				siblings = nil
			}
		}
	}
	if len(all.kids) < 2 && siblings == nil {
		// One member and annotations (a described or nullable reference):
		// oapi-codegen takes the member's type as it is, a named type kept;
		// a nested allOf in it is reconciled where it is declared.
		return false
	}
	// allOf is associative: a member that is itself an allOf stands for its
	// members (and whatever else it says). oapi-codegen merges a nested
	// allOf starting from an empty schema, so any format or flag in it is a
	// conflict; flat, the members are only compared with each other.
	members, resolved, flattened, ok := n.flattenAllOf(all.kids, 0)
	if !ok {
		return false
	}
	compared := resolved
	if siblings != nil {
		compared = append(slices.Clone(resolved), siblings)
	}
	var conflicts []string
	values := map[string][]string{}
	for _, kw := range mergedKeywords {
		var vs []string
		present := false
		for _, r := range compared {
			v := ""
			if x := r.get(kw); x != nil {
				v = string(x.appendJSON(nil))
				present = true
			}
			vs = append(vs, v)
		}
		values[kw] = vs
		switch {
		case kw == "default" && present:
			conflicts = append(conflicts, kw) // oapi-codegen refuses any default in an allOf
		case kw != "default" && len(uniq(slices.Clone(vs))) > 1:
			if kw == "type" && len(uniq(nonEmpty(vs))) == 1 {
				continue // typed and untyped members agree
			}
			conflicts = append(conflicts, kw)
		}
	}
	for _, kw := range []string{"additionalProperties", "discriminator"} {
		count := 0
		for _, r := range compared {
			if x := r.get(kw); x != nil && x.kind == kindObject {
				count++
			}
		}
		if count > 1 {
			conflicts = append(conflicts, kw)
		}
	}
	if len(conflicts) == 0 && !flattened {
		return false
	}
	n.changed = true
	// A value every member must agree on goes on every member (beside allOf
	// it would be one more member to disagree with).
	agreed := map[string]*node{}
	if slices.Contains(conflicts, "type") {
		types := uniq(nonEmpty(values["type"]))
		for i := range types {
			types[i] = strings.Trim(types[i], `"`)
		}
		if len(types) == 2 && types[0] == "integer" && types[1] == "number" {
			agreed["type"] = strNode("number")
		} else {
			for _, k := range slices.Clone(obj.keys) {
				if !annotationKeys[k] && !strings.HasPrefix(k, "x-") {
					obj.remove(k)
				}
			}
			n.report(CodeDegraded, SeverityWarning, segs, "allOf members have different types (%s); the value is kept as untyped JSON", strings.Join(types, ", "))
			return true
		}
	}
	all.kids = members
	// Inline the members that need a change, and take the conflicting
	// keywords out of them (a later member keeps additionalProperties or a
	// discriminator only if no earlier one has one).
	seenSingle := map[string]bool{}
	if siblings != nil && (siblings.get("properties") != nil || siblings.get("required") != nil || siblings.get("additionalProperties") != nil) {
		// oapi-codegen merges structural siblings as the last member: the
		// schema's own additionalProperties or discriminator, which
		// describes its own subtypes, wins over its members'.
		for _, kw := range []string{"additionalProperties", "discriminator"} {
			if x := siblings.get(kw); x != nil && x.kind == kindObject {
				seenSingle[kw] = true
			}
		}
	}
	for i := range all.kids {
		needs := false
		for _, kw := range conflicts {
			if resolved[i].get(kw) != nil {
				needs = true
			}
		}
		if !needs {
			continue
		}
		if all.kids[i].get("$ref") != nil {
			all.kids[i] = resolved[i].clone()
		}
		for _, kw := range conflicts {
			switch kw {
			case "additionalProperties", "discriminator":
				if all.kids[i].get(kw) != nil {
					if seenSingle[kw] {
						all.kids[i].remove(kw)
					}
					seenSingle[kw] = true
				}
			default:
				all.kids[i].remove(kw)
			}
		}
	}
	// The keywords beside allOf lose their conflicting ones too.
	for _, kw := range conflicts {
		if kw != "additionalProperties" && kw != "discriminator" {
			obj.remove(kw)
		}
	}
	sev := SeverityInfo
	if slices.Contains(conflicts, "format") {
		formats := uniq(nonEmpty(values["format"]))
		for i := range formats {
			formats[i] = strings.Trim(formats[i], `"`)
		}
		if wide := widestFormat(formats); wide != "" {
			agreed["format"] = strNode(wide)
		} else {
			sev = SeverityWarning
		}
	}
	if len(agreed) > 0 {
		for i := range all.kids {
			if all.kids[i].get("$ref") != nil {
				all.kids[i] = resolved[i].clone()
			}
			for kw, v := range agreed {
				all.kids[i].set(kw, v)
			}
		}
	}
	if slices.Contains(conflicts, "additionalProperties") || slices.Contains(conflicts, "discriminator") {
		sev = SeverityWarning
	}
	switch {
	case len(conflicts) > 0:
		n.report(CodeAllOfConflict, sev, segs, "allOf members disagree on %s; the members were flattened, inlined and reconciled", strings.Join(conflicts, ", "))
	default:
		n.report(CodeAllOfConflict, SeverityInfo, segs, "nested allOf flattened")
	}
	return true
}

func nonEmpty(vs []string) []string {
	var out []string
	for _, v := range vs {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// flattenAllOf expands members that are allOfs themselves (through
// references), returning the flat members (cloned where expanded), their
// resolved forms, and whether anything was expanded.
func (n *normalizer) flattenAllOf(list []*node, depth int) ([]*node, []*node, bool, bool) {
	if depth > 8 {
		return nil, nil, false, false
	}
	var members, resolved []*node
	flattened := false
	for _, m := range list {
		r := n.resolveSchema(m, 0)
		if r == nil || r.kind != kindObject {
			return nil, nil, false, false
		}
		inner := r.get("allOf")
		if inner == nil || inner.kind != kindArray {
			members = append(members, m)
			resolved = append(resolved, r)
			continue
		}
		flattened = true
		sub, subResolved, _, ok := n.flattenAllOf(inner.kids, depth+1)
		if !ok {
			return nil, nil, false, false
		}
		members = append(members, sub...)
		resolved = append(resolved, subResolved...)
		rest := r.clone()
		rest.remove("allOf")
		if !annotationOnly(rest) {
			members = append(members, rest)
			resolved = append(resolved, rest)
		}
	}
	return members, resolved, flattened, true
}

func widestFormat(formats []string) string {
	if len(formats) == 0 {
		return ""
	}
	rank := map[string]int{"int32": 1, "int64": 2, "float": 1, "double": 2}
	best := formats[0]
	for _, f := range formats[1:] {
		rb, okb := rank[best]
		rf, okf := rank[f]
		if !okb || !okf {
			return "" // incomparable: drop the format
		}
		if rf > rb {
			best = f
		}
	}
	return best
}

func uniq(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// refSegments parses a local reference ("#/a/b~1c", percent-encoding
// allowed) into pointer segments.
func refSegments(ref string) ([]string, bool) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, false
	}
	_, frag := splitRef(ref)
	segs, err := splitPointer(frag)
	return segs, err == nil
}

// lookup returns the node at pointer segments, or nil.
func (n *normalizer) lookup(segs []string) *node {
	cur := n.root
	for _, s := range segs {
		if cur = cur.child(s); cur == nil {
			return nil
		}
	}
	return cur
}

// resolveSchema follows local $refs (bounded).
func (n *normalizer) resolveSchema(obj *node, depth int) *node {
	if obj == nil || depth > 16 {
		return nil
	}
	ref, ok := obj.stringAt("$ref")
	if !ok {
		return obj
	}
	segs, ok := refSegments(ref)
	if !ok {
		return nil
	}
	return n.resolveSchema(n.lookup(segs), depth+1)
}
