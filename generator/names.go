package generator

import (
	"bytes"
	"cmp"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/util"

	"github.com/sdkgen-go/sdkgen/openapi"
)

// Type-name collisions. oapi-codegen names a component schema after its key
// and an inline enum, union or map after the path that leads to it
// (Server.status → ServerStatus), and gives up when two differ but share a
// name. The generator then names them apart itself, with the x-go-name and
// x-go-type-name extensions oapi-codegen honours (the spec's own were
// stripped by normalization; these are ours), and generates again.

// nameFix gives the schema at a pointer of the bundled document a Go name.
type nameFix struct {
	pointer string
	ext     string   // x-go-name (components), x-go-type-name (inline), x-enum-varnames
	name    string   // for the name extensions
	names   []string // for x-enum-varnames
	reason  string
}

// maxNameRounds bounds the regenerations one spec may take.
const maxNameRounds = 12

var duplicateTypeRE = regexp.MustCompile(`duplicate typename '([^']+)' detected`)

// duplicateType returns the name oapi-codegen reported as a duplicate.
func duplicateType(diags openapi.Diagnostics) string {
	for _, d := range diags {
		if d.Code == CodeCodegenFailed {
			if m := duplicateTypeRE.FindStringSubmatch(d.Message); m != nil {
				return m[1]
			}
		}
	}
	return ""
}

// schemaSite is a schema of the document oapi-codegen may declare a type
// for, with the name it would give it.
type schemaSite struct {
	pointer   string
	schema    *openapi3.Schema
	component bool
	key       string // component key
	names     []string
	kind      string // "Enum", "Union", "Map", "" for components
}

// schemaSites lists the component schemas and the inline schemas under them
// that get types of their own. It calls codegen.PathToTypeName and
// SchemaNameToTypeName, which read oapi-codegen's global state: the caller
// holds oapiMu, after a Generate call.
func schemaSites(t *openapi3.T) []schemaSite {
	var sites []schemaSite
	var walk func(ref *openapi3.SchemaRef, ptr string, path []string, depth int)
	var walkAllOf func(s *openapi3.Schema, ptr string, path []string, depth int)
	walk = func(ref *openapi3.SchemaRef, ptr string, path []string, depth int) {
		if ref == nil || ref.Value == nil || ref.Ref != "" || depth > 32 {
			return
		}
		s := ref.Value
		if len(path) > 1 {
			kind := ""
			switch {
			case len(s.Enum) > 0:
				kind = "Enum"
			case len(s.OneOf) > 0 || len(s.AnyOf) > 0:
				kind = "Union"
			case s.AdditionalProperties.Schema != nil && len(s.Properties) > 0:
				kind = "Map"
			}
			if kind != "" {
				joined := codegen.PathToTypeName(slices.Clone(path))
				sites = append(sites, schemaSite{pointer: ptr, schema: s, kind: kind,
					names: []string{joined, codegen.SchemaNameToTypeName(joined)}})
			}
		}
		for _, p := range slices.Sorted(maps.Keys(s.Properties)) {
			walk(s.Properties[p], ptr+"/properties/"+escapePtr(p), append(slices.Clone(path), p), depth+1)
		}
		// Array items are named after the array's own path (an enum) or
		// with "Item" appended (a union or map): both are candidates.
		walk(s.Items, ptr+"/items", path, depth+1)
		walk(s.Items, ptr+"/items", append(slices.Clone(path), "Item"), depth+1)
		walk(s.AdditionalProperties.Schema, ptr+"/additionalProperties", append(slices.Clone(path), "AdditionalProperties"), depth+1)
		for kw, list := range map[string]openapi3.SchemaRefs{"oneOf": s.OneOf, "anyOf": s.AnyOf} {
			for i, sub := range list {
				walk(sub, fmt.Sprintf("%s/%s/%d", ptr, kw, i), append(slices.Clone(path), strconv.Itoa(i)), depth+1)
			}
		}
		walkAllOf(s, ptr, path, depth)
	}
	// oapi-codegen merges allOf members into one struct, so the properties
	// of every member, referenced or written in place, get types named after
	// the merging schema's path (AlertRule.kind → AlertRuleKind) while they
	// live at the member's pointer.
	walkAllOf = func(s *openapi3.Schema, ptr string, path []string, depth int) {
		if depth > 32 {
			return
		}
		for i, sub := range s.AllOf {
			if sub == nil || sub.Value == nil {
				continue
			}
			mptr := fmt.Sprintf("%s/allOf/%d", ptr, i)
			if sub.Ref != "" {
				if !strings.HasPrefix(sub.Ref, "#/components/schemas/") {
					continue
				}
				mptr = strings.TrimPrefix(sub.Ref, "#")
			}
			for _, p := range slices.Sorted(maps.Keys(sub.Value.Properties)) {
				walk(sub.Value.Properties[p], mptr+"/properties/"+escapePtr(p), append(slices.Clone(path), p), depth+1)
			}
			walkAllOf(sub.Value, mptr, path, depth+1)
		}
	}
	var components openapi3.Schemas
	if t.Components != nil {
		components = t.Components.Schemas
	}
	for _, key := range slices.Sorted(maps.Keys(components)) {
		ref := components[key]
		ptr := "/components/schemas/" + escapePtr(key)
		if ref != nil && ref.Value != nil {
			sites = append(sites, schemaSite{pointer: ptr, schema: ref.Value, component: true, key: key,
				names: []string{codegen.SchemaNameToTypeName(key)}})
		}
		walk(ref, ptr, []string{key}, 0)
	}
	// Component request bodies and responses: their JSON schemas' inline
	// types are named after the component's key.
	for _, c := range componentContents(t) {
		walk(c.schema, c.ptr, []string{c.key}, 0)
	}
	// Request bodies written in place: their types are named after the
	// operation (<Op>JSONBody, <Op>FormdataBody).
	if t.Paths != nil {
		for _, path := range slices.Sorted(maps.Keys(t.Paths.Map())) {
			item := t.Paths.Value(path)
			for _, method := range slices.Sorted(maps.Keys(item.Operations())) {
				op := item.Operations()[method]
				if op.RequestBody == nil || op.RequestBody.Value == nil || op.RequestBody.Ref != "" || op.OperationID == "" {
					continue
				}
				opName := codegen.UppercaseFirstCharacter(codegen.ToCamelCase(op.OperationID))
				for mt, tag := range map[string]string{"application/json": "JSON", "application/x-www-form-urlencoded": "Formdata"} {
					if m := op.RequestBody.Value.Content[mt]; m != nil && m.Schema != nil && m.Schema.Ref == "" {
						ptr := "/paths/" + escapePtr(path) + "/" + strings.ToLower(method) + "/requestBody/content/" + escapePtr(mt) + "/schema"
						walk(m.Schema, ptr, []string{opName + tag + "Body"}, 0)
					}
				}
			}
		}
	}
	return sites
}

// componentContent is the JSON schema of a component request body or
// response.
type componentContent struct {
	key, ptr string
	schema   *openapi3.SchemaRef
}

// componentContents lists the JSON schemas of the document's component
// request bodies and responses, in a stable order.
func componentContents(t *openapi3.T) []componentContent {
	if t.Components == nil {
		return nil
	}
	var out []componentContent
	add := func(section, key string, content openapi3.Content) {
		for _, mt := range slices.Sorted(maps.Keys(content)) {
			if m := content[mt]; m != nil && m.Schema != nil && util.IsMediaTypeJson(mt) {
				out = append(out, componentContent{key: key, schema: m.Schema,
					ptr: "/components/" + section + "/" + escapePtr(key) + "/content/" + escapePtr(mt) + "/schema"})
			}
		}
	}
	for _, key := range slices.Sorted(maps.Keys(t.Components.RequestBodies)) {
		if rb := t.Components.RequestBodies[key]; rb != nil && rb.Ref == "" && rb.Value != nil {
			add("requestBodies", key, rb.Value.Content)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(t.Components.Responses)) {
		if r := t.Components.Responses[key]; r != nil && r.Ref == "" && r.Value != nil {
			add("responses", key, r.Value.Content)
		}
	}
	return out
}

func escapePtr(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// collisionFixes decides how to name apart the schemas that would all be
// called dup: inline types take a suffix saying what they are
// (ServerStatusEnum); among components, the one whose key is the name keeps
// it and the others take a number in key order. taken lists the names of
// all sites, so a new name is free. With lone, a single component named
// like a declaration that is no schema's takes a number too.
func collisionFixes(t *openapi3.T, dup string, lone bool) []nameFix {
	sites := schemaSites(t)
	taken := map[string]bool{}
	for _, s := range sites {
		for _, n := range s.names {
			taken[n] = true
		}
	}
	var comps, inline []schemaSite
	for _, s := range sites {
		if slices.Contains(s.names, dup) {
			if s.component {
				comps = append(comps, s)
			} else {
				inline = append(inline, s)
			}
		}
	}
	claim := func(base string) string {
		name := base
		for i := 2; taken[name]; i++ {
			name = fmt.Sprintf("%s%d", base, i)
		}
		taken[name] = true
		return name
	}
	var fixes []nameFix
	for _, s := range inline {
		name := claim(dup + s.kind)
		fixes = append(fixes, nameFix{pointer: s.pointer, ext: "x-go-type-name", name: name,
			reason: fmt.Sprintf("its type would be called %s, like another", dup)})
	}
	if len(comps) == 1 && len(inline) == 0 && lone {
		// The other declaration is one oapi-codegen makes for an
		// operation (ListPetsParams, CreatePetJSONRequestBody): the
		// schema gives way.
		name := claim(dup)
		fixes = append(fixes, nameFix{pointer: comps[0].pointer, ext: "x-go-name", name: name,
			reason: fmt.Sprintf("schema %q would be the Go type %s, which is declared for an operation", comps[0].key, dup)})
	}
	if len(comps) > 1 {
		slices.SortFunc(comps, func(a, b schemaSite) int {
			// The component whose key is exactly the Go name keeps it.
			return cmp.Or(boolRank(b.key == dup)-boolRank(a.key == dup), cmp.Compare(a.key, b.key))
		})
		for _, s := range comps[1:] {
			name := claim(dup)
			fixes = append(fixes, nameFix{pointer: s.pointer, ext: "x-go-name", name: name,
				reason: fmt.Sprintf("schemas %q and %q would both be the Go type %s", comps[0].key, s.key, dup)})
		}
	}
	return fixes
}

func unicodeUpper(s string) bool {
	r := []rune(s)
	return len(r) > 0 && unicode.IsUpper(r[0])
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// applyNameFixes sets the fixes' extensions on a fresh document.
func applyNameFixes(t *openapi3.T, fixes []nameFix) {
	if len(fixes) == 0 {
		return
	}
	byPtr := map[string]nameFix{}
	for _, f := range fixes {
		byPtr[f.pointer] = f
	}
	var walk func(ref *openapi3.SchemaRef, ptr string, depth int)
	walk = func(ref *openapi3.SchemaRef, ptr string, depth int) {
		if ref == nil || ref.Value == nil || depth > 32 {
			return
		}
		if f, ok := byPtr[ptr]; ok && ref.Ref == "" {
			if ref.Value.Extensions == nil {
				ref.Value.Extensions = map[string]any{}
			}
			if f.names != nil {
				vs := make([]any, len(f.names))
				for i, n := range f.names {
					vs[i] = n
				}
				ref.Value.Extensions[f.ext] = vs
			} else {
				ref.Value.Extensions[f.ext] = f.name
			}
		}
		if ref.Ref != "" {
			return
		}
		s := ref.Value
		for p, sub := range s.Properties {
			walk(sub, ptr+"/properties/"+escapePtr(p), depth+1)
		}
		walk(s.Items, ptr+"/items", depth+1)
		walk(s.AdditionalProperties.Schema, ptr+"/additionalProperties", depth+1)
		for kw, list := range map[string]openapi3.SchemaRefs{"oneOf": s.OneOf, "anyOf": s.AnyOf, "allOf": s.AllOf} {
			for i, sub := range list {
				walk(sub, fmt.Sprintf("%s/%s/%d", ptr, kw, i), depth+1)
			}
		}
	}
	if t.Components != nil {
		for key, ref := range t.Components.Schemas {
			walk(ref, "/components/schemas/"+escapePtr(key), 0)
		}
	}
	for _, c := range componentContents(t) {
		walk(c.schema, c.ptr, 0)
	}
	if t.Paths != nil {
		for path, item := range t.Paths.Map() {
			for method, op := range item.Operations() {
				if op.RequestBody == nil || op.RequestBody.Value == nil || op.RequestBody.Ref != "" {
					continue
				}
				for mt, m := range op.RequestBody.Value.Content {
					if m.Schema != nil && m.Schema.Ref == "" {
						walk(m.Schema, "/paths/"+escapePtr(path)+"/"+strings.ToLower(method)+"/requestBody/content/"+escapePtr(mt)+"/schema", 0)
					}
				}
			}
		}
	}
}

// builderLocals are the names oapi-codegen's request builders use for their
// own variables; a path parameter must not be called like one of them.
var builderLocals = map[string]bool{
	"server": true, "err": true, "serverURL": true, "operationPath": true, "queryURL": true,
	"req": true, "params": true, "body": true, "contentType": true, "bodyReader": true, "buf": true,
	"queryValues": true, "rawQueryFragments": true, "queryFrag": true, "qp": true,
	// Packages the builders use: a parameter of that name would shadow it.
	"url": true, "http": true, "runtime": true, "fmt": true, "strings": true, "io": true, "bytes": true, "json": true,
}

// nameParameters gives parameters Go names that cannot collide: two
// parameters of one operation that would be the same field of its Params
// struct (max-results and MaxResults), and path parameters named like a
// variable of the request builder (server, req). It sets x-go-name on the
// document and reports each rename. The caller holds oapiMu.
func nameParameters(t *openapi3.T) openapi.Diagnostics {
	if t.Paths == nil {
		return nil
	}
	var diags openapi.Diagnostics
	type renaming struct {
		diag    int // index in diags
		reasons []string
	}
	renamed := map[*openapi3.Parameter]*renaming{}
	rename := func(p *openapi3.Parameter, name, ptr, reason string) {
		if p.Extensions == nil {
			p.Extensions = map[string]any{}
		}
		p.Extensions["x-go-name"] = name
		r := renamed[p]
		if r == nil {
			// Renamed once, or again when the name given first is taken
			// too: one diagnostic, with the final name.
			r = &renaming{diag: len(diags)}
			renamed[p] = r
			diags = append(diags, openapi.Diagnostic{Code: CodeTypeRenamed, Severity: openapi.SeverityInfo, Pointer: ptr})
		}
		r.reasons = append(r.reasons, reason)
		diags[r.diag].Message = fmt.Sprintf("parameter %q is %s in Go: %s", p.Name, name, strings.Join(r.reasons, "; "))
	}
	for _, path := range slices.Sorted(maps.Keys(t.Paths.Map())) {
		item := t.Paths.Value(path)
		for _, method := range slices.Sorted(maps.Keys(item.Operations())) {
			op := item.Operations()[method]
			type entry struct {
				p   *openapi3.Parameter
				ptr string
			}
			var all []entry
			seen := map[string]bool{}
			add := func(list openapi3.Parameters, base string) {
				for i, ref := range list {
					if ref == nil || ref.Value == nil {
						continue
					}
					k := ref.Value.In + "\x00" + ref.Value.Name
					if seen[k] {
						continue // an operation's parameter overrides the path's
					}
					seen[k] = true
					all = append(all, entry{ref.Value, fmt.Sprintf("%s/parameters/%d", base, i)})
				}
			}
			opPtr := "/paths/" + escapePtr(path) + "/" + strings.ToLower(method)
			add(op.Parameters, opPtr)
			add(item.Parameters, "/paths/"+escapePtr(path))
			goName := func(p *openapi3.Parameter) string {
				if n, ok := p.Extensions["x-go-name"].(string); ok {
					return codegen.SchemaNameToTypeName(n)
				}
				return codegen.SchemaNameToTypeName(p.Name)
			}
			// A name of which nothing is left in Go ("获取") would make
			// an empty identifier.
			// One that does not start with a letter or a separator
			// ("//go:generate") would be an unexported field.
			for _, e := range all {
				gn := goName(e.p)
				switch r := []rune(gn); {
				case gn == "":
					rename(e.p, "Param", e.ptr, "no letter or digit of its name is left in Go")
				case e.p.In != openapi3.ParameterInPath && !unicode.IsUpper(r[0]):
					alt := "X" + gn
					if unicode.IsLetter(r[0]) {
						alt = string(unicode.ToUpper(r[0])) + string(r[1:])
					}
					rename(e.p, alt, e.ptr, gn+" would not be exported")
				}
			}
			// Path parameters become variables of the builder: not one
			// of its own, and not a predeclared identifier (a variable
			// called string or nil would shadow it).
			for _, e := range all {
				if e.p.In != openapi3.ParameterInPath {
					continue
				}
				v := codegen.LowercaseFirstCharacters(goName(e.p))
				switch {
				case builderLocals[v]:
					rename(e.p, goName(e.p)+"Param", e.ptr, "the request builder uses "+v+" itself")
				case codegen.IsPredeclaredGoIdentifier(v):
					rename(e.p, goName(e.p)+"Param", e.ptr, v+" is a predeclared Go identifier")
				}
			}
			// The others become fields of one struct.
			fields := map[string][]entry{}
			for _, e := range all {
				if e.p.In != openapi3.ParameterInPath {
					fields[goName(e.p)] = append(fields[goName(e.p)], e)
				}
			}
			taken := map[string]bool{}
			for n := range fields {
				taken[n] = true
			}
			// "_page" would be UnderscorePage: plain Page reads better,
			// when no other parameter takes it.
			for _, name := range slices.Sorted(maps.Keys(fields)) {
				group := fields[name]
				if len(group) != 1 || !strings.HasPrefix(group[0].p.Name, "_") {
					continue
				}
				if _, own := group[0].p.Extensions["x-go-name"]; own {
					continue
				}
				plain := codegen.SchemaNameToTypeName(strings.TrimLeft(group[0].p.Name, "_"))
				if plain == "" || taken[plain] || !unicodeUpper(plain) {
					continue
				}
				taken[plain] = true
				rename(group[0].p, plain, group[0].ptr, "a leading underscore is left out of Go names")
			}
			for _, name := range slices.Sorted(maps.Keys(fields)) {
				group := fields[name]
				if len(group) < 2 {
					continue
				}
				// The parameter spelled like the field keeps it; the others
				// take their location, or a number.
				slices.SortFunc(group, func(a, b entry) int {
					return cmp.Or(boolRank(goName(b.p) == b.p.Name)-boolRank(goName(a.p) == a.p.Name), cmp.Compare(a.p.In, b.p.In), cmp.Compare(a.p.Name, b.p.Name))
				})
				for _, e := range group[1:] {
					alt := name + codegen.SchemaNameToTypeName(e.p.In)
					for i := 2; taken[alt]; i++ {
						alt = fmt.Sprintf("%s%d", name, i)
					}
					taken[alt] = true
					rename(e.p, alt, e.ptr, fmt.Sprintf("%q would be the same field, %s", group[0].p.Name, name))
				}
			}
		}
	}
	return diags
}

// nameProperties gives the properties of one object that would be the same
// Go field (x-axis and xAxis are both XAxis) names of their own, set on the
// property's reference so a shared schema is not renamed elsewhere. The
// caller holds oapiMu.
func nameProperties(t *openapi3.T) openapi.Diagnostics {
	var diags openapi.Diagnostics
	seen := map[*openapi3.Schema]bool{}
	var walk func(ref *openapi3.SchemaRef, ptr string, depth int)
	walk = func(ref *openapi3.SchemaRef, ptr string, depth int) {
		if ref == nil || ref.Value == nil || depth > 32 {
			return
		}
		s := ref.Value
		if seen[s] {
			return
		}
		seen[s] = true
		// oapi-codegen keeps a name that starts with neither a letter nor a
		// separator as it is ("/contacts" is the field contacts), which
		// encoding/json cannot fill: the field is exported instead. A name
		// of which nothing is left ("获取") would be an embedded field, and
		// one named like a method oapi-codegen gives the type (Get, Set,
		// MarshalJSON...) does not compile: both are named apart.
		methods := typeMethods(s)
		for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
			p := s.Properties[name]
			if _, ok := p.Extensions["x-go-name"]; ok {
				continue
			}
			gn := codegen.SchemaNameToTypeName(name)
			r := []rune(gn)
			var alt, why string
			switch {
			case len(r) == 0:
				alt, why = "X", "no letter or digit of its name is left in Go"
			case methods(gn):
				alt, why = gn+"Property", gn+" is a method of the type"
			case unicode.IsUpper(r[0]):
				continue
			case unicode.IsLetter(r[0]):
				alt, why = string(unicode.ToUpper(r[0]))+string(r[1:]), gn+" would not be exported"
			default:
				alt, why = "X"+gn, gn+" would not be exported"
			}
			if p.Extensions == nil {
				p.Extensions = map[string]any{}
			}
			p.Extensions["x-go-name"] = alt
			diags = append(diags, openapi.Diagnostic{Code: CodeTypeRenamed, Severity: openapi.SeverityInfo,
				Pointer: ptr + "/properties/" + escapePtr(name),
				Message: fmt.Sprintf("property %q is the field %s in Go: %s", name, alt, why)})
		}
		if len(s.Properties) > 1 {
			groups := map[string][]string{}
			for name, p := range s.Properties {
				gn := codegen.SchemaNameToTypeName(name)
				if n, ok := p.Extensions["x-go-name"].(string); ok {
					gn = codegen.SchemaNameToTypeName(n)
				}
				groups[gn] = append(groups[gn], name)
			}
			taken := map[string]bool{}
			for gn := range groups {
				taken[gn] = true
			}
			for _, gn := range slices.Sorted(maps.Keys(groups)) {
				names := groups[gn]
				if len(names) < 2 {
					continue
				}
				// The property spelled like the field keeps it; the others
				// take a number, in name order.
				slices.SortFunc(names, func(a, b string) int {
					return cmp.Or(boolRank(b == gn)-boolRank(a == gn), cmp.Compare(a, b))
				})
				for _, name := range names[1:] {
					alt := gn
					for i := 2; taken[alt]; i++ {
						alt = fmt.Sprintf("%s%d", gn, i)
					}
					taken[alt] = true
					p := s.Properties[name]
					if p.Extensions == nil {
						p.Extensions = map[string]any{}
					}
					p.Extensions["x-go-name"] = alt
					diags = append(diags, openapi.Diagnostic{Code: CodeTypeRenamed, Severity: openapi.SeverityInfo,
						Pointer: ptr + "/properties/" + escapePtr(name),
						Message: fmt.Sprintf("property %q is the field %s in Go: %q would be the same field, %s", name, alt, names[0], gn)})
				}
			}
		}
		for _, p := range slices.Sorted(maps.Keys(s.Properties)) {
			if sub := s.Properties[p]; sub != nil && sub.Ref == "" {
				walk(sub, ptr+"/properties/"+escapePtr(p), depth+1)
			}
		}
		for kw, list := range map[string]openapi3.SchemaRefs{"allOf": s.AllOf, "oneOf": s.OneOf, "anyOf": s.AnyOf} {
			for i, sub := range list {
				if sub != nil && sub.Ref == "" {
					walk(sub, fmt.Sprintf("%s/%s/%d", ptr, kw, i), depth+1)
				}
			}
		}
		if s.Items != nil && s.Items.Ref == "" {
			walk(s.Items, ptr+"/items", depth+1)
		}
		if ap := s.AdditionalProperties.Schema; ap != nil && ap.Ref == "" {
			walk(ap, ptr+"/additionalProperties", depth+1)
		}
	}
	if t.Components != nil {
		for _, key := range slices.Sorted(maps.Keys(t.Components.Schemas)) {
			walk(t.Components.Schemas[key], "/components/schemas/"+escapePtr(key), 0)
		}
	}
	if t.Paths != nil {
		for _, path := range slices.Sorted(maps.Keys(t.Paths.Map())) {
			item := t.Paths.Value(path)
			for _, method := range slices.Sorted(maps.Keys(item.Operations())) {
				op := item.Operations()[method]
				base := "/paths/" + escapePtr(path) + "/" + strings.ToLower(method)
				if op.RequestBody != nil && op.RequestBody.Value != nil {
					for _, mt := range slices.Sorted(maps.Keys(op.RequestBody.Value.Content)) {
						if s := op.RequestBody.Value.Content[mt].Schema; s != nil && s.Ref == "" {
							walk(s, base+"/requestBody/content/"+escapePtr(mt)+"/schema", 0)
						}
					}
				}
				if op.Responses != nil {
					for code, r := range op.Responses.Map() {
						if r == nil || r.Value == nil || r.Ref != "" {
							continue
						}
						for mt, m := range r.Value.Content {
							if m.Schema != nil && m.Schema.Ref == "" {
								walk(m.Schema, base+"/responses/"+code+"/content/"+escapePtr(mt)+"/schema", 0)
							}
						}
					}
				}
			}
		}
	}
	return diags
}

// typeMethods reports the names oapi-codegen gives the members of the type
// it declares for s besides its properties' fields: a schema with
// additionalProperties gets an AdditionalProperties field and Get, Set and
// JSON methods; a union gets As<Variant>, From<Variant>, Merge<Variant>,
// discriminator and JSON methods.
func typeMethods(s *openapi3.Schema) func(string) bool {
	hasMap := s.AdditionalProperties.Schema != nil || (s.AdditionalProperties.Has != nil && *s.AdditionalProperties.Has)
	union := len(s.OneOf) > 0 || len(s.AnyOf) > 0
	// Variants are named after their schema, or after the union's type
	// and their index when written in place.
	variants := map[string]bool{}
	for _, v := range append(slices.Clone(s.OneOf), s.AnyOf...) {
		if v != nil && v.Ref != "" {
			variants[codegen.SchemaNameToTypeName(v.Ref[strings.LastIndexByte(v.Ref, '/')+1:])] = true
		}
	}
	return func(name string) bool {
		switch {
		case hasMap && (name == "AdditionalProperties" || name == "Get" || name == "Set"):
			return true
		case (hasMap || union) && (name == "MarshalJSON" || name == "UnmarshalJSON"):
			return true
		case union && (name == "Discriminator" || name == "ValueByDiscriminator"):
			return true
		case union:
			for _, prefix := range []string{"As", "From", "Merge"} {
				if rest, ok := strings.CutPrefix(name, prefix); ok && rest != "" && (variants[rest] || unicode.IsDigit(rune(rest[len(rest)-1]))) {
					return true
				}
			}
		}
		return false
	}
}

// dropIdenticalDecls removes the second and later copies of top-level
// declarations that are identical to an earlier one, as oapi-codegen does
// itself within one section: a schema shared by a component request body
// and the operation that uses it is generated in both sections, and a name
// the generator gave it makes the two copies the same declaration.
func dropIdenticalDecls(src []byte) []byte {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "models.gen.go", src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return src
	}
	// Only declarations of a name declared more than once can be copies;
	// the others are not printed.
	count := countDeclNames(f)
	repeated := func(d ast.Decl) bool {
		for _, n := range declNames(d) {
			if count[n] > 1 {
				return true
			}
		}
		return false
	}
	seen := map[string]bool{}
	type span struct{ from, to int }
	var cut []span
	for _, d := range f.Decls {
		if !repeated(d) {
			continue
		}
		// Compared without their doc comments, which say where each copy
		// came from.
		var doc **ast.CommentGroup
		switch d := d.(type) {
		case *ast.GenDecl:
			doc = &d.Doc
		case *ast.FuncDecl:
			doc = &d.Doc
		}
		saved := *doc
		*doc = nil
		var buf bytes.Buffer
		err := printer.Fprint(&buf, fset, d)
		*doc = saved
		if err != nil {
			return src
		}
		text := buf.String()
		if !seen[text] {
			seen[text] = true
			continue
		}
		from := d.Pos()
		if saved != nil {
			from = saved.Pos()
		}
		cut = append(cut, span{fset.Position(from).Offset, fset.Position(d.End()).Offset})
	}
	if len(cut) == 0 {
		return src
	}
	var out []byte
	last := 0
	for _, c := range cut {
		out = append(out, src[last:c.from]...)
		last = c.to
	}
	return append(out, src[last:]...)
}

// duplicateDecls returns the top-level names declared twice in generated
// source (an enum constant and a type, most often).
func duplicateDecls(src []byte) []string {
	f, err := parser.ParseFile(token.NewFileSet(), "models.gen.go", src, parser.SkipObjectResolution)
	if err != nil {
		return nil
	}
	var dups []string
	for n, c := range countDeclNames(f) {
		if c > 1 && !strings.Contains(n, ".") {
			dups = append(dups, n)
		}
	}
	slices.Sort(dups)
	return dups
}

// declNames lists the names a top-level declaration declares; a method is
// Type.Method.
func declNames(d ast.Decl) []string {
	var names []string
	switch d := d.(type) {
	case *ast.FuncDecl:
		if d.Recv == nil || len(d.Recv.List) == 0 {
			return []string{d.Name.Name}
		}
		recv := d.Recv.List[0].Type
		if star, ok := recv.(*ast.StarExpr); ok {
			recv = star.X
		}
		if id, ok := recv.(*ast.Ident); ok {
			return []string{id.Name + "." + d.Name.Name}
		}
	case *ast.GenDecl:
		for _, spec := range d.Specs {
			switch sp := spec.(type) {
			case *ast.TypeSpec:
				names = append(names, sp.Name.Name)
			case *ast.ValueSpec:
				for _, n := range sp.Names {
					if n.Name != "_" {
						names = append(names, n.Name)
					}
				}
			}
		}
	}
	return names
}

// countDeclNames counts how many top-level declarations of f declare each
// name.
func countDeclNames(f *ast.File) map[string]int {
	count := map[string]int{}
	for _, d := range f.Decls {
		for _, n := range declNames(d) {
			count[n]++
		}
	}
	return count
}

// enumConstFixes renames the enum constants among dups: the enum whose
// type name and value make the constant gets x-enum-varnames with that
// value's name suffixed "Value". The caller holds oapiMu.
func enumConstFixes(t *openapi3.T, dups []string) []nameFix {
	var fixes []nameFix
	for _, s := range schemaSites(t) {
		if len(s.schema.Enum) == 0 {
			continue
		}
		typeName := s.names[len(s.names)-1]
		if s.component {
			typeName = codegen.SchemaNameToTypeName(s.key)
			if n, ok := s.schema.Extensions["x-go-name"].(string); ok {
				typeName = n
			}
		} else if n, ok := s.schema.Extensions["x-go-type-name"].(string); ok {
			typeName = n
		}
		names := make([]string, len(s.schema.Enum))
		for i, v := range s.schema.Enum {
			names[i] = fmt.Sprint(v)
		}
		if existing, ok := s.schema.Extensions["x-enum-varnames"].([]any); ok && len(existing) == len(names) {
			for i, v := range existing {
				names[i] = fmt.Sprint(v)
			}
		}
		changed := false
		for i, n := range names {
			if slices.Contains(dups, typeName+codegen.SchemaNameToTypeName(n)) {
				names[i] = n + "Value"
				changed = true
			}
		}
		if changed {
			fixes = append(fixes, nameFix{pointer: s.pointer, ext: "x-enum-varnames", names: names,
				reason: "an enum constant would have the name of a type"})
		}
	}
	return fixes
}
