package generator

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"

	"github.com/sdkgen-go/sdkgen/generator/gonames"
	"github.com/sdkgen-go/sdkgen/openapi"
)

// The naming pass. Before oapi-codegen runs, one symbol table (symtab)
// decides every Go name of the models: component schemas, parameters,
// responses and request bodies; the types oapi-codegen derives for an
// operation (<Stem>Params, <Stem>JSONBody, New<Stem>Request...); inline
// enums, unions and maps; struct fields; parameter fields; enum constants.
// The decisions reach oapi-codegen through the channels it honours, and
// only those:
//
//   - x-go-name on component schemas, parameters, responses and request
//     bodies (their type names), on property edges (field names) and on
//     parameters (field names);
//   - x-go-type-name on the edge of every inline schema oapi-codegen would
//     name after its path (enums, unions, objects with
//     additionalProperties);
//   - x-enum-varnames on every enum (constant names);
//   - the operationId, rewritten to the operation's stem.
//
// Where oapi-codegen names a type by its path with no extension to say
// otherwise (the members of a union written in place, an allOf merged in
// place of a property), the schema is hoisted into a component of its own
// first, named like anything else. The spec's own x-go-* extensions were
// removed by normalization (they are untrusted); these are written after
// it. With every name decided here, oapi-codegen runs once: nothing is
// decided by reading its error messages.

// CodeName reports a name the generator had to choose apart from the one a
// spec or configuration asked for.
const CodeName = "generate.name"

// naming holds what the naming pass decided.
type naming struct {
	t     *openapi3.T
	syms  *symtab
	n     *gonames.Namer
	cfg   Config
	rules []nameRule
	diags openapi.Diagnostics

	schemaType map[string]string // component schema key → Go type
	// ops lists the operations of paths (sorted by path and method),
	// then those of webhooks and callbacks.
	ops  []*opName
	byOp map[*openapi3.Operation]*opName
	// enums are the enum sites found, in walk order.
	enums []enumSite
	// structs are the object schemas whose fields were named.
	structs map[*openapi3.Schema]bool
	// walked guards against walking a schema value twice.
	walked map[*openapi3.Schema]string
	// allOfGroups are the members of the allOf schemas merged in place.
	allOfGroups []openapi3.SchemaRefs
	// verbatim holds every name this pass wrote into an extension or an
	// operationId: oapi-codegen's normalizer must leave them as they are.
	verbatim map[string]bool
	// hoisted counts the schemas moved into components.
	hoisted int
	// paramSchemaOf names the component parameter an inlined parameter's
	// schema came from.
	paramSchemaOf map[*openapi3.SchemaRef]string
	// shallow reports that the walk is at the top of oapi-codegen's path
	// (a root schema, and the items and map values under it, share the
	// root's one-element path), where oapi-codegen names no enum.
	shallow bool
}

// opName is one operation and the names decided for it.
type opName struct {
	path, method string
	item         *openapi3.PathItem
	op           *openapi3.Operation
	// specID is the operationId before the stem replaced it.
	specID string
	stem   string
	// path reports an operation of the paths (not a webhook or callback).
	inPaths bool
	ptr     string
	// paging is the operation's planned pagination (planPaging).
	paging pagePlan
}

// enumSite is an enum oapi-codegen declares constants for.
type enumSite struct {
	edge     *openapi3.SchemaRef
	typeName string
	ptr      string
}

// nameRule is a compiled renaming rule of sdkgen.yaml.
type nameRule struct {
	kind    string
	re      *regexp.Regexp
	replace string
}

// decideNames runs the naming pass on t, writing its decisions into t's
// extensions and operationIds.
func decideNames(t *openapi3.T, cfg Config) (*naming, openapi.Diagnostics) {
	nm := &naming{
		t: t, syms: newSymtab(), n: gonames.New(cfg.Names.Initialisms...), cfg: cfg,
		schemaType: map[string]string{}, byOp: map[*openapi3.Operation]*opName{},
		structs: map[*openapi3.Schema]bool{}, walked: map[*openapi3.Schema]string{}, verbatim: map[string]bool{},
	}
	for _, r := range cfg.Names.Rules {
		re, err := regexp.Compile(r.Match)
		if err != nil {
			nm.diags = append(nm.diags, openapi.Diagnostic{Code: CodeConfigInvalid, Severity: openapi.SeverityError,
				Message: fmt.Sprintf("names.rules: match %q is not a regular expression: %v", r.Match, err)})
			continue
		}
		nm.rules = append(nm.rules, nameRule{kind: r.Kind, re: re, replace: r.Replace})
	}
	if nm.diags.HasErrors() {
		return nil, nm.diags
	}
	nm.collectOps()
	nm.planPaging()
	nm.inlineParameters()
	nm.nameComponents()
	nm.nameStems()
	nm.namePageItems()
	nm.walkAll()
	nm.nameFields()
	nm.nameParams()
	nm.nameEnums()
	nm.valueFields()
	return nm, nm.diags
}

// goName is the exported Go name of a spec name, or "" when nothing of it
// is left in Go.
func (nm *naming) goName(s string) string { return nm.n.Exported(s) }

// rename applies the configuration's rules of a kind to a name.
func (nm *naming) rename(kind, name string) string {
	for _, r := range nm.rules {
		if r.kind == kind && r.re.MatchString(name) {
			name = r.re.ReplaceAllString(name, r.replace)
		}
	}
	return name
}

// configured checks a name given in sdkgen.yaml; "" when it is not one.
func (nm *naming) configured(where, name string) string {
	if name == "" {
		return ""
	}
	if r := []rune(name); !isIdent(name) || !unicode.IsUpper(r[0]) {
		nm.diags = append(nm.diags, openapi.Diagnostic{Code: CodeConfigInvalid, Severity: openapi.SeverityError,
			Message: fmt.Sprintf("%s: %q is not an exported Go identifier", where, name)})
		return ""
	}
	return name
}

func isIdent(s string) bool {
	for i, r := range s {
		if !(unicode.IsLetter(r) || r == '_' || i > 0 && unicode.IsDigit(r)) {
			return false
		}
	}
	return s != ""
}

// note reports a name chosen apart from the one wanted.
func (nm *naming) note(ptr, format string, args ...any) {
	nm.diags = append(nm.diags, openapi.Diagnostic{Code: CodeName, Severity: openapi.SeverityInfo, Pointer: ptr,
		Message: fmt.Sprintf(format, args...)})
}

// claimNoted claims a name, noting when it is not the first candidate.
func (nm *naming) claimNoted(ptr, owner string, candidates ...string) string {
	got := nm.syms.claim(owner, candidates...)
	if len(candidates) > 0 && got != candidates[0] && candidates[0] != "" {
		nm.note(ptr, "%s is the Go name %s: %s is %s", owner, got, candidates[0], nm.syms.owner(candidates[0]))
	}
	return got
}

// setExt writes an extension oapi-codegen reads. Every name written is
// remembered as verbatim.
func (nm *naming) setExt(m *map[string]any, key string, v any) {
	if *m == nil {
		*m = map[string]any{}
	}
	(*m)[key] = v
	switch v := v.(type) {
	case string:
		nm.verbatim[v] = true
	case []any:
		for _, s := range v {
			if s, ok := s.(string); ok {
				nm.verbatim[s] = true
			}
		}
	}
}

// collectOps lists the operations of paths, webhooks and callbacks.
func (nm *naming) collectOps() {
	t := nm.t
	add := func(path, method string, item *openapi3.PathItem, op *openapi3.Operation, inPaths bool, ptr string) {
		if op == nil || nm.byOp[op] != nil {
			return
		}
		o := &opName{path: path, method: method, item: item, op: op, specID: op.OperationID, inPaths: inPaths, ptr: ptr}
		nm.ops = append(nm.ops, o)
		nm.byOp[op] = o
	}
	var callbacks []func()
	if t.Paths != nil {
		for _, path := range slices.Sorted(maps.Keys(t.Paths.Map())) {
			item := t.Paths.Value(path)
			ops := item.Operations()
			for _, m := range slices.Sorted(maps.Keys(ops)) {
				op := ops[m]
				ptr := "/paths/" + escapePtr(path) + "/" + strings.ToLower(m)
				add(path, m, item, op, true, ptr)
				for _, cbName := range slices.Sorted(maps.Keys(op.Callbacks)) {
					cb := op.Callbacks[cbName]
					if cb == nil || cb.Value == nil {
						continue
					}
					callbacks = append(callbacks, func() {
						for _, cpath := range slices.Sorted(maps.Keys(cb.Value.Map())) {
							citem := cb.Value.Value(cpath)
							cops := citem.Operations()
							for _, cm := range slices.Sorted(maps.Keys(cops)) {
								add(cpath, cm, citem, cops[cm], false, ptr+"/callbacks/"+escapePtr(cbName)+"/"+escapePtr(cpath)+"/"+strings.ToLower(cm))
							}
						}
					})
				}
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(t.Webhooks)) {
		item := t.Webhooks[name]
		if item == nil {
			continue
		}
		ops := item.Operations()
		for _, m := range slices.Sorted(maps.Keys(ops)) {
			add(name, m, item, ops[m], false, "/webhooks/"+escapePtr(name)+"/"+strings.ToLower(m))
		}
	}
	for _, f := range callbacks {
		f()
	}
}

// inlineParameters replaces every reference to a component parameter by a
// copy of it, and removes the component parameters. oapi-codegen reads a
// parameter's x-go-name both as the name of the component's type and as
// its field in the operations' parameter structs (they cannot differ), and
// declares for each component parameter a type (type Limit = int) that
// nothing uses: the copies get their field names, and no such type is
// declared. Copies share their schema, so an enum of a shared parameter is
// still one type.
func (nm *naming) inlineParameters() {
	c := nm.t.Components
	if c == nil || len(c.Parameters) == 0 {
		return
	}
	nm.paramSchemaOf = map[*openapi3.SchemaRef]string{}
	copies := map[*openapi3.Parameter]*openapi3.Parameter{}
	inline := func(list openapi3.Parameters) {
		for i, ref := range list {
			if ref == nil || ref.Value == nil || ref.Ref == "" {
				continue
			}
			cp := copies[ref.Value]
			if cp == nil {
				v := *ref.Value
				v.Extensions = maps.Clone(v.Extensions)
				cp = &v
				copies[ref.Value] = cp
				if key, ok := strings.CutPrefix(ref.Ref, "#/components/parameters/"); ok && v.Schema != nil {
					nm.paramSchemaOf[v.Schema] = key
				}
			}
			list[i] = &openapi3.ParameterRef{Value: cp}
		}
	}
	seen := map[*openapi3.PathItem]bool{}
	for _, o := range nm.ops {
		inline(o.op.Parameters)
		if o.item != nil && !seen[o.item] {
			seen[o.item] = true
			inline(o.item.Parameters)
		}
	}
	c.Parameters = nil
}

// nameComponents names the component schemas, then responses and request
// bodies. A component whose key is already the Go name it
// gets claims first, so that Pet keeps Pet when pet wants it too.
func (nm *naming) nameComponents() {
	c := nm.t.Components
	if c == nil {
		return
	}
	keys := slices.Collect(maps.Keys(c.Schemas))
	slices.SortFunc(keys, func(a, b string) int {
		return cmp.Or(boolRank(nm.goName(b) == b)-boolRank(nm.goName(a) == a), cmp.Compare(a, b))
	})
	for _, key := range keys {
		ref := c.Schemas[key]
		if ref == nil || ref.Value == nil {
			continue
		}
		ptr := "/components/schemas/" + escapePtr(key)
		if ref.Ref != "" {
			// A component that is only a reference to another shares its
			// value: an allOf of one member makes it a schema of its own,
			// which oapi-codegen declares as an alias of the other, under
			// a name this table gives.
			ref = &openapi3.SchemaRef{Value: &openapi3.Schema{AllOf: openapi3.SchemaRefs{{Ref: ref.Ref, Value: ref.Value}}}}
			c.Schemas[key] = ref
		}
		want := nm.configured("names.types."+key, nm.cfg.Names.Types[key])
		if want == "" {
			want = nm.rename("type", nm.goName(key))
		}
		name := nm.claimNoted(ptr, "schema "+strconv.Quote(key), want, want+"Schema", want+"Model")
		nm.setExt(&ref.Value.Extensions, "x-go-name", name)
		nm.schemaType[key] = name
	}
	for _, key := range slices.Sorted(maps.Keys(c.Responses)) {
		r := c.Responses[key]
		if r == nil || r.Value == nil || r.Ref != "" || !hasJSON(r.Value.Content) {
			continue
		}
		base := nm.goName(key)
		ptr := "/components/responses/" + escapePtr(key)
		name := nm.syms.claimFamily("response "+strconv.Quote(key), func(stem string) []string {
			out := []string{stem}
			for mt := range r.Value.Content {
				if s := jsonSuffix(r.Value.Content, mt); s != "" {
					out = append(out, stem+s)
				}
			}
			return out
		}, base, base+"Response")
		if name != base {
			nm.note(ptr, "response %q is the Go type %s: %s is %s", key, name, base, nm.syms.owner(base))
		}
		nm.setExt(&r.Value.Extensions, "x-go-name", name)
	}
	for _, key := range slices.Sorted(maps.Keys(c.RequestBodies)) {
		b := c.RequestBodies[key]
		if b == nil || b.Value == nil || b.Ref != "" || !hasJSON(b.Value.Content) {
			continue
		}
		base := nm.goName(key)
		name := nm.claimNoted("/components/requestBodies/"+escapePtr(key), "request body "+strconv.Quote(key), base, base+"RequestBody", base+"Body")
		nm.setExt(&b.Value.Extensions, "x-go-name", name)
	}
}

// jsonSuffix is the suffix oapi-codegen puts after a component response's
// type name for one of several JSON media types.
func jsonSuffix(content openapi3.Content, mt string) string {
	if !isJSONMedia(mt) {
		return ""
	}
	n := 0
	for m := range content {
		if isJSONMedia(m) {
			n++
		}
	}
	if n <= 1 {
		return ""
	}
	return mediaTypeToCamelCase(mt)
}

func hasJSON(content openapi3.Content) bool {
	for mt := range content {
		if isJSONMedia(mt) {
			return true
		}
	}
	return false
}

// nameStems gives every operation its stem, the name of the operation in
// the package namespace, claimed with every name oapi-codegen derives from
// it, and writes it as the operationId oapi-codegen reads.
func (nm *naming) nameStems() {
	for _, o := range nm.ops {
		id := o.specID
		if id == "" {
			id = strings.ToLower(o.method) + "-" + o.path
		}
		base := nm.goName(id)
		if base == "" {
			base = nm.goName(o.method + " " + o.path)
		}
		if base == "" {
			base = "Op"
		}
		derive := func(stem string) []string { return stemFamily(stem, o.op) }
		o.stem = nm.syms.claimFamily("operation "+strconv.Quote(id), derive, base, base+"Op", base+"Operation")
		if o.stem != base {
			nm.note(o.ptr, "operation %q has the stem %s in Go (New%sRequest, %sParams): %s", id, o.stem, o.stem, o.stem, "a name derived from "+base+" is taken")
		}
		o.op.OperationID = o.stem
		nm.verbatim[o.stem] = true
	}
}

// stemFamily lists the names oapi-codegen derives from an operation's stem.
func stemFamily(stem string, op *openapi3.Operation) []string {
	out := []string{stem + "Params", "new" + stem + "Request", "new" + stem + "RequestWithBody"}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		for mt := range op.RequestBody.Value.Content {
			if tag := bodyTag(mt, false); tag != "" {
				out = append(out, stem+tag+"Body", stem+tag+"RequestBody", "new"+stem+"RequestWith"+tag+"Body")
			}
		}
	}
	if op.Responses != nil {
		for code, r := range op.Responses.Map() {
			if r == nil || r.Value == nil {
				continue
			}
			for mt := range r.Value.Content {
				if tag := bodyTag(mt, true); tag != "" {
					out = append(out, stem+code+tag+"ResponseBody")
				}
			}
		}
	}
	return out
}

// walkAll names the inline types of every component and operation.
func (nm *naming) walkAll() {
	c := nm.t.Components
	if c != nil {
		for _, key := range slices.Sorted(maps.Keys(c.Schemas)) {
			ref := c.Schemas[key]
			nm.walk(ref, nm.schemaType[key], "/components/schemas/"+escapePtr(key), roleRoot)
			nm.rootEnum(ref, nm.schemaType[key], "/components/schemas/"+escapePtr(key))
		}
		for _, key := range slices.Sorted(maps.Keys(c.Responses)) {
			r := c.Responses[key]
			if r == nil || r.Value == nil || r.Ref != "" {
				continue
			}
			name, _ := r.Value.Extensions["x-go-name"].(string)
			for _, mt := range slices.Sorted(maps.Keys(r.Value.Content)) {
				if m := r.Value.Content[mt]; m != nil && isJSONMedia(mt) {
					ptr := "/components/responses/" + escapePtr(key) + "/content/" + escapePtr(mt) + "/schema"
					nm.walk(m.Schema, name, ptr, roleRoot)
					nm.rootEnum(m.Schema, name+jsonSuffix(r.Value.Content, mt), ptr)
				}
			}
		}
		for _, key := range slices.Sorted(maps.Keys(c.RequestBodies)) {
			b := c.RequestBodies[key]
			if b == nil || b.Value == nil || b.Ref != "" {
				continue
			}
			name, _ := b.Value.Extensions["x-go-name"].(string)
			for _, mt := range slices.Sorted(maps.Keys(b.Value.Content)) {
				if m := b.Value.Content[mt]; m != nil && isJSONMedia(mt) {
					ptr := "/components/requestBodies/" + escapePtr(key) + "/content/" + escapePtr(mt) + "/schema"
					nm.walk(m.Schema, name, ptr, roleRoot)
					nm.rootEnum(m.Schema, name, ptr)
				}
			}
		}
	}
	for _, o := range nm.ops {
		for _, p := range opParams(o) {
			if p.ref.Value.Schema == nil {
				continue
			}
			base := o.stem + nm.goName(p.ref.Value.Name)
			if key, ok := nm.paramSchemaOf[p.ref.Value.Schema]; ok {
				// A parameter of the components, shared: its types are
				// named after it.
				base = nm.goName(key)
			}
			nm.walk(p.ref.Value.Schema, base, p.ptr+"/schema", roleParam)
			for _, mt := range slices.Sorted(maps.Keys(p.ref.Value.Content)) {
				if m := p.ref.Value.Content[mt]; m != nil {
					nm.walk(m.Schema, base, p.ptr+"/content/"+escapePtr(mt)+"/schema", roleParam)
				}
			}
		}
		if rb := o.op.RequestBody; rb != nil && rb.Value != nil {
			for _, mt := range slices.Sorted(maps.Keys(rb.Value.Content)) {
				m := rb.Value.Content[mt]
				tag := bodyTag(mt, false)
				if m == nil || tag == "" {
					continue
				}
				ptr := o.ptr + "/requestBody/content/" + escapePtr(mt) + "/schema"
				nm.walk(m.Schema, o.stem+"Body", ptr, roleRoot)
				nm.rootEnum(m.Schema, o.stem+tag+"Body", ptr)
			}
		}
		if o.op.Responses != nil {
			for _, code := range slices.Sorted(maps.Keys(o.op.Responses.Map())) {
				r := o.op.Responses.Value(code)
				if r == nil || r.Value == nil {
					continue
				}
				for _, mt := range slices.Sorted(maps.Keys(r.Value.Content)) {
					m := r.Value.Content[mt]
					if m == nil || m.Schema == nil {
						continue
					}
					ptr := o.ptr + "/responses/" + escapePtr(code) + "/content/" + escapePtr(mt) + "/schema"
					if bodyTag(mt, true) == "" && !isEventStream(mt) {
						continue
					}
					base := o.stem + "Response"
					if isEventStream(mt) {
						base = o.stem + "Event"
					}
					nm.walk(m.Schema, base, ptr, roleRoot)
				}
			}
		}
	}
}

// paramEntry is an operation's parameter with its pointer.
type paramEntry struct {
	ref *openapi3.ParameterRef
	ptr string
}

// opParams lists an operation's parameters, the operation's own first (an
// operation's parameter overrides its path item's of the same name and
// location).
func opParams(o *opName) []paramEntry {
	var out []paramEntry
	seen := map[string]bool{}
	add := func(list openapi3.Parameters, base string) {
		for i, ref := range list {
			if ref == nil || ref.Value == nil {
				continue
			}
			k := ref.Value.In + "\x00" + ref.Value.Name
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, paramEntry{ref, fmt.Sprintf("%s/parameters/%d", base, i)})
		}
	}
	add(o.op.Parameters, o.ptr)
	if o.item != nil {
		add(o.item.Parameters, strings.TrimSuffix(o.ptr, "/"+strings.ToLower(o.method)))
	}
	return out
}

// role is where a schema sits, which decides whether oapi-codegen names
// it.
type role int

const (
	roleRoot     role = iota // a component, a body, a response: named by what holds it
	roleProperty             // the value of a property
	roleItem                 // the items of an array
	roleValue                // additionalProperties
	roleParam                // an operation's parameter (oapi-codegen's path has two elements)
)

// schemaKind is what oapi-codegen makes of a schema.
type schemaKind int

const (
	kindPlain  schemaKind = iota // a scalar, a list, a map, a reference
	kindStruct                   // an anonymous struct
	kindEnum
	kindUnion   // a struct holding a union: it needs methods, hence a name
	kindAPMixed // properties and additionalProperties: it needs methods too
)

// walk visits the schema at an edge the way oapi-codegen's
// GenerateGoSchema does, naming what it would name after the schema's
// path: base is the name such a type gets here. It returns what the schema
// becomes.
func (nm *naming) walk(ref *openapi3.SchemaRef, base, ptr string, r role) schemaKind {
	if ref == nil || ref.Value == nil {
		return kindPlain
	}
	switch r {
	case roleRoot, roleProperty, roleParam:
		defer func(prev bool) { nm.shallow = prev }(nm.shallow)
		nm.shallow = r == roleRoot
	}
	if codegen.IsGoTypeReference(ref.Ref) {
		return kindPlain
	}
	s := ref.Value
	if _, ok := ref.Extensions["x-go-type"]; ok {
		return kindPlain
	}
	if _, ok := s.Extensions["x-go-type"]; ok {
		return kindPlain
	}
	if named, ok := ref.Extensions["x-go-type-name"].(string); ok && named != "" {
		// Named already (a parameter shared by operations).
		nm.walkChildren(s, named, ptr)
		return kindPlain
	}
	if s.AllOf != nil {
		return nm.walkAllOf(ref, base, ptr, r)
	}
	if isEnumViaOneOf(nm.t, s) {
		switch {
		case r == roleRoot:
		case nm.shallow:
			nm.hoist(ref, base, ptr)
		default:
			name := nm.nameSite(ref, base, ptr, true)
			nm.enums = append(nm.enums, enumSite{edge: ref, typeName: name, ptr: ptr})
		}
		return kindEnum
	}
	t := primaryType(s)
	switch {
	case t == "" || t == "object":
		if len(s.Properties) == 0 && !hasAP(s) && s.AnyOf == nil && s.OneOf == nil {
			return kindPlain
		}
		k := nm.walkChildren(s, base, ptr)
		if k == kindUnion || k == kindAPMixed {
			if r == roleProperty || r == roleItem || r == roleValue {
				nm.nameSite(ref, base, ptr, false)
				return kindPlain
			}
		}
		return k
	case isEnum(s) && t != "array":
		switch {
		case r == roleRoot:
		case nm.shallow:
			// The items or map values of a root schema: oapi-codegen
			// would drop the enum for its base type (type Tags =
			// []string); a component keeps it.
			nm.hoist(ref, base, ptr)
		default:
			name := nm.nameSite(ref, base, ptr, false)
			nm.enums = append(nm.enums, enumSite{edge: ref, typeName: name, ptr: ptr})
		}
		return kindEnum
	case t == "array":
		nm.walk(s.Items, base+"Item", ptr+"/items", roleItem)
		return kindPlain
	}
	return kindPlain
}

// walkChildren visits what an object schema holds (its additional
// properties, properties and union members) and says what it becomes.
func (nm *naming) walkChildren(s *openapi3.Schema, base, ptr string) schemaKind {
	if prev, ok := nm.walked[s]; ok {
		_ = prev
		return nm.kindOf(s)
	}
	nm.walked[s] = base
	if ap := s.AdditionalProperties.Schema; ap != nil {
		nm.walk(ap, base+"Value", ptr+"/additionalProperties", roleValue)
	}
	if len(s.Properties) > 0 {
		nm.structs[s] = true
	}
	for _, p := range slices.Sorted(maps.Keys(s.Properties)) {
		nm.walk(s.Properties[p], base+nm.fieldWord(p), ptr+"/properties/"+escapePtr(p), roleProperty)
	}
	for _, u := range []struct {
		kw   string
		list openapi3.SchemaRefs
	}{{"anyOf", s.AnyOf}, {"oneOf", s.OneOf}} {
		if u.list == nil {
			continue
		}
		sole := soleBranch(u.list, s.Discriminator)
		if sole >= 0 {
			nm.walk(u.list[sole], base, fmt.Sprintf("%s/%s/%d", ptr, u.kw, sole), roleItem)
			continue
		}
		nm.hoistMembers(u.list, base, ptr+"/"+u.kw)
	}
	return nm.kindOf(s)
}

// kindOf says what an object schema (not an allOf) becomes.
func (nm *naming) kindOf(s *openapi3.Schema) schemaKind {
	switch {
	case (s.AnyOf != nil && soleBranch(s.AnyOf, s.Discriminator) < 0) || (s.OneOf != nil && soleBranch(s.OneOf, s.Discriminator) < 0):
		return kindUnion
	case hasAP(s) && (len(s.Properties) > 0 || s.AnyOf != nil || s.OneOf != nil):
		return kindAPMixed
	case hasAP(s):
		return kindPlain // a map
	case len(s.Properties) > 0:
		return kindStruct
	}
	return kindPlain
}

// walkAllOf visits an allOf: its members' properties become the merged
// struct's. A merge in place of a property, item or map value that needs
// a name of its own is hoisted into a component (oapi-codegen would name
// it after its path, with no extension to say otherwise).
func (nm *naming) walkAllOf(ref *openapi3.SchemaRef, base, ptr string, r role) schemaKind {
	s := ref.Value
	members := slices.Clone(s.AllOf)
	if hasStructuralSiblings(s) {
		own := *s
		own.AllOf = nil
		members = append(members, &openapi3.SchemaRef{Value: &own})
	}
	if len(members) == 1 {
		return nm.walk(members[0], base, ptr+"/allOf/0", r)
	}
	if r == roleProperty || r == roleItem || r == roleValue {
		nm.hoist(ref, base, ptr)
		return kindPlain
	}
	k := kindStruct
	for i, m := range members {
		if m == nil || m.Value == nil {
			continue
		}
		mptr := fmt.Sprintf("%s/allOf/%d", ptr, i)
		if m.Ref != "" {
			continue // a component, walked on its own
		}
		if m.Value.AllOf != nil {
			nm.walkAllOf(m, base, mptr, roleRoot)
			continue
		}
		switch nm.walkChildren(m.Value, base, mptr) {
		case kindUnion:
			k = kindUnion
		case kindAPMixed:
			if k != kindUnion {
				k = kindAPMixed
			}
		}
	}
	nm.allOfGroups = append(nm.allOfGroups, members)
	return k
}

// soleBranch is the index of the one branch of a union that is not the
// null type, when that is all there is besides null branches and there is
// no discriminator (oapi-codegen then reads the union as that branch, made
// nullable); -1 otherwise.
func soleBranch(list openapi3.SchemaRefs, d *openapi3.Discriminator) int {
	if d != nil {
		return -1
	}
	sole, n, hadNull := -1, 0, false
	for i, e := range list {
		if e != nil && isNullType(e.Value) {
			hadNull = true
			continue
		}
		n++
		sole = i
	}
	if n == 1 && hadNull {
		return sole
	}
	return -1
}

func isNullType(s *openapi3.Schema) bool {
	return s != nil && s.Type != nil && len(s.Type.Slice()) == 1 && s.Type.Is("null")
}

// hoistMembers moves the members of a union written in place into
// components of their own: oapi-codegen names such members after the
// union's path and index (Pet0, Pet1), whatever extension they carry.
func (nm *naming) hoistMembers(list openapi3.SchemaRefs, base, ptr string) {
	labels := map[string]int{}
	want := make([]string, len(list))
	for i, e := range list {
		if e == nil || e.Value == nil || e.Ref != "" || isNullType(e.Value) {
			continue
		}
		want[i] = nm.memberLabel(e.Value)
		labels[want[i]]++
	}
	seen := map[string]int{}
	for i, e := range list {
		if want[i] == "" {
			continue
		}
		label := want[i]
		if labels[label] > 1 {
			seen[label]++
			label += strconv.Itoa(seen[label])
		}
		nm.hoist(e, base+label, fmt.Sprintf("%s/%d", ptr, i))
	}
}

// memberLabel names a union member written in place: its title, else what
// it is.
func (nm *naming) memberLabel(s *openapi3.Schema) string {
	if l := nm.goName(s.Title); l != "" {
		return l
	}
	switch t := primaryType(s); {
	case t != "":
		return nm.goName(t)
	case s.AllOf != nil || len(s.Properties) > 0:
		return "Object"
	}
	return "Value"
}

// hoist moves the schema at an edge into a component of its own, named
// base, and makes the edge a reference to it.
func (nm *naming) hoist(ref *openapi3.SchemaRef, base, ptr string) {
	c := nm.t.Components
	if c == nil {
		nm.t.Components = &openapi3.Components{}
		c = nm.t.Components
	}
	if c.Schemas == nil {
		c.Schemas = openapi3.Schemas{}
	}
	name := nm.claimNoted(ptr, "the schema at "+ptr, nm.rename("type", base), base+"Type")
	key := name
	for i := 2; c.Schemas[key] != nil; i++ {
		key = fmt.Sprintf("%s_%d", name, i)
	}
	value := ref.Value
	comp := &openapi3.SchemaRef{Value: value}
	nm.setExt(&value.Extensions, "x-go-name", name)
	c.Schemas[key] = comp
	nm.schemaType[key] = name
	ref.Ref = "#/components/schemas/" + key
	nm.hoisted++
	nm.walk(comp, name, ptr, roleRoot)
	nm.rootEnum(comp, name, ptr)
}

// nameSite gives the inline schema at an edge a type of its own, through
// x-go-type-name. onValue writes it on the schema (oapi-codegen reads an
// enum written as a 3.1 oneOf of constants there).
func (nm *naming) nameSite(ref *openapi3.SchemaRef, base, ptr string, onValue bool) string {
	if prev, ok := ref.Extensions["x-go-type-name"].(string); ok {
		return prev
	}
	want := nm.rename("type", base)
	if want == "" {
		want = "Type"
	}
	name := nm.syms.claim("the schema at "+ptr, want, want+"Type", want+"Value")
	nm.setExt(&ref.Extensions, "x-go-type-name", name)
	if onValue {
		nm.setExt(&ref.Value.Extensions, "x-go-type-name", name)
	}
	return name
}

// rootEnum records the enum of a root schema (a component, a body) whose
// constants are named after the root's type.
func (nm *naming) rootEnum(ref *openapi3.SchemaRef, typeName, ptr string) {
	if ref == nil || ref.Value == nil || ref.Ref != "" || typeName == "" {
		return
	}
	s := ref.Value
	if (isEnum(s) && primaryType(s) != "array") || isEnumViaOneOf(nm.t, s) {
		nm.enums = append(nm.enums, enumSite{edge: ref, typeName: typeName, ptr: ptr})
	}
}

func (nm *naming) fieldWord(jsonName string) string {
	if w := nm.goName(jsonName); w != "" {
		return w
	}
	return "X"
}

func isEnum(s *openapi3.Schema) bool { return len(s.Enum) > 0 }

func hasAP(s *openapi3.Schema) bool {
	return s.AdditionalProperties.Schema != nil || (s.AdditionalProperties.Has != nil && *s.AdditionalProperties.Has)
}

// hasStructuralSiblings is oapi-codegen's test for an allOf whose schema
// holds properties of its own, merged with the members.
func hasStructuralSiblings(s *openapi3.Schema) bool {
	return len(s.Properties) > 0 || len(s.Required) > 0 || s.AdditionalProperties.Has != nil || s.AdditionalProperties.Schema != nil
}

// primaryType is the schema's type without "null" ("" when none or
// several).
func primaryType(s *openapi3.Schema) string {
	if s.Type == nil {
		return ""
	}
	var ts []string
	for _, t := range s.Type.Slice() {
		if t != "null" {
			ts = append(ts, t)
		}
	}
	if len(ts) == 1 {
		return ts[0]
	}
	return ""
}

// isEnumViaOneOf is oapi-codegen's OpenAPI 3.1 enum written as a oneOf of
// titled constants.
func isEnumViaOneOf(t *openapi3.T, s *openapi3.Schema) bool {
	if !t.IsOpenAPI31OrLater() || len(s.OneOf) == 0 {
		return false
	}
	switch primaryType(s) {
	case "string", "integer":
	default:
		return false
	}
	for _, e := range s.OneOf {
		if e == nil || e.Value == nil || e.Value.Const == nil || e.Value.Title == "" {
			return false
		}
	}
	return true
}
