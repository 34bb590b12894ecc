package generator

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

// Fields, parameters and enum constants: the names inside the types.

// nameFields gives every property of every struct a Go field name
// (x-go-name on the property's edge): its JSON name in Go case, apart from
// the other fields of the struct and from the methods oapi-codegen gives
// the type. The structs allOf merges are checked as merged.
func (nm *naming) nameFields() {
	structs := slices.Collect(maps.Keys(nm.structs))
	slices.SortFunc(structs, func(a, b *openapi3.Schema) int { return cmp.Compare(nm.walked[a], nm.walked[b]) })
	for _, s := range structs {
		nm.nameStructFields(s.Properties, typeMethods(s), nm.walked[s])
	}
	for _, members := range nm.allOfGroups {
		props := map[string]*openapi3.SchemaRef{}
		nm.mergedProperties(members, props, 0)
		if len(props) > 1 {
			nm.nameStructFields(props, func(string) bool { return false }, "")
		}
	}
}

// mergedProperties collects the properties an allOf merge ends with: each
// member's, through references and nested allOfs, the later member's edge
// winning for a name both have (as oapi-codegen merges).
func (nm *naming) mergedProperties(members openapi3.SchemaRefs, into map[string]*openapi3.SchemaRef, depth int) {
	if depth > 16 {
		return
	}
	for _, m := range members {
		if m == nil || m.Value == nil {
			continue
		}
		if m.Value.AllOf != nil {
			nm.mergedProperties(m.Value.AllOf, into, depth+1)
		}
		maps.Copy(into, m.Value.Properties)
	}
}

// nameStructFields names the property edges of one struct. A field keeps
// the name an earlier pass gave its edge unless it now collides; the
// property spelled like the field keeps it, the others take a number.
func (nm *naming) nameStructFields(props map[string]*openapi3.SchemaRef, isMethod func(string) bool, owner string) {
	want := map[string]string{}
	for name, p := range props {
		if p == nil {
			continue
		}
		if prev, ok := p.Extensions["x-go-name"].(string); ok {
			want[name] = prev
			continue
		}
		gn := nm.goName(name)
		switch {
		case gn == "":
			gn = "X"
		case isMethod(gn):
			gn += "Property"
		}
		want[name] = gn
	}
	groups := map[string][]string{}
	for name, gn := range want {
		groups[gn] = append(groups[gn], name)
	}
	taken := map[string]bool{}
	for gn := range groups {
		taken[gn] = true
	}
	final := maps.Clone(want)
	for _, gn := range slices.Sorted(maps.Keys(groups)) {
		names := groups[gn]
		if len(names) < 2 {
			continue
		}
		// The property spelled like the field keeps it; then the one
		// whose name is closest (same words), then by name.
		slices.SortFunc(names, func(a, b string) int {
			return cmp.Or(boolRank(b == gn)-boolRank(a == gn),
				boolRank(strings.EqualFold(b, gn))-boolRank(strings.EqualFold(a, gn)), cmp.Compare(a, b))
		})
		for _, name := range names[1:] {
			alt := gn
			for i := 2; taken[alt]; i++ {
				alt = fmt.Sprintf("%s%d", gn, i)
			}
			taken[alt] = true
			final[name] = alt
			nm.note("", "property %q of %s is the field %s: %q would be the same field, %s", name, cmp.Or(owner, "a merged struct"), alt, names[0], gn)
		}
	}
	for name, gn := range final {
		if p := props[name]; p != nil {
			nm.setExt(&p.Extensions, "x-go-name", gn)
		}
	}
}

// typeMethods reports the names oapi-codegen gives the members of the type
// it declares for s besides its properties' fields: a schema with
// additionalProperties gets an AdditionalProperties field and Get, Set and
// JSON methods; a union gets As<Variant>, From<Variant>, Merge<Variant>,
// discriminator and JSON methods.
func typeMethods(s *openapi3.Schema) func(string) bool {
	hasMap := hasAP(s)
	union := len(s.OneOf) > 0 || len(s.AnyOf) > 0
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
				if rest, ok := strings.CutPrefix(name, prefix); ok && rest != "" && unicode.IsUpper([]rune(rest)[0]) {
					return true
				}
			}
		}
		return false
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

// nameParams gives every operation's parameters Go names (x-go-name on the
// parameter): the fields of the <Stem>Params struct, apart from each
// other, and the path parameters' variables of the request builders, apart
// from the builders' own. A parameter shared by several operations keeps
// one name: when it would collide in one of them, the operation's own
// parameter gives way.
func (nm *naming) nameParams() {
	decided := map[*openapi3.Parameter]string{}
	goName := func(p *openapi3.Parameter) string {
		if n, ok := decided[p]; ok {
			return n
		}
		n := nm.goName(p.Name)
		if n == "" {
			n = "Param"
		}
		return n
	}
	set := func(p *openapi3.Parameter, name string) {
		decided[p] = name
		nm.setExt(&p.Extensions, "x-go-name", name)
	}
	// Shared parameters (copies of components) first, so that operations
	// adapt to them.
	shared := map[*openapi3.Parameter]bool{}
	for _, o := range nm.ops {
		for _, e := range opParams(o) {
			if _, ok := nm.paramSchemaOf[e.ref.Value.Schema]; ok && e.ref.Value.Schema != nil {
				shared[e.ref.Value] = true
			}
		}
	}
	for _, o := range nm.ops {
		all := opParams(o)
		// Path parameters become variables of the builder, named by
		// lower-casing the leading capitals of their Go name: the Go name
		// is chosen so that the variable reads as Go (ids, petID, url),
		// not as that rule would make of IDs or URL.
		for _, e := range all {
			p := e.ref.Value
			if p.In != openapi3.ParameterInPath {
				continue
			}
			if _, done := decided[p]; done {
				continue
			}
			v := nm.n.Unexported(p.Name)
			if v == "" {
				v = "param"
			}
			if builderLocals[v] || codegen.IsPredeclaredGoIdentifier(v) || codegen.IsGoKeyword(v) {
				nm.note(e.ptr, "path parameter %q is the variable %sParam of the request builder: %s is a name it uses itself", p.Name, v, v)
				v += "Param"
			}
			gn := codegen.UppercaseFirstCharacter(v)
			if codegen.LowercaseFirstCharacters(gn) != v {
				gn = goName(p) // a caseless first letter: keep the Go name
			}
			set(p, gn)
		}
		// The others become fields of one struct.
		fields := map[string][]paramEntry{}
		for _, e := range all {
			if e.ref.Value.In != openapi3.ParameterInPath {
				fields[goName(e.ref.Value)] = append(fields[goName(e.ref.Value)], e)
			}
		}
		taken := map[string]bool{}
		for n := range fields {
			taken[n] = true
		}
		for _, name := range slices.Sorted(maps.Keys(fields)) {
			group := fields[name]
			if len(group) < 2 {
				if _, done := decided[group[0].ref.Value]; !done {
					set(group[0].ref.Value, name)
				}
				continue
			}
			// A shared parameter keeps the name, then the one spelled like
			// it; the others take their location, or a number.
			slices.SortFunc(group, func(a, b paramEntry) int {
				return cmp.Or(boolRank(shared[b.ref.Value])-boolRank(shared[a.ref.Value]),
					boolRank(nm.goName(b.ref.Value.Name) == b.ref.Value.Name)-boolRank(nm.goName(a.ref.Value.Name) == a.ref.Value.Name),
					cmp.Compare(a.ref.Value.In, b.ref.Value.In), cmp.Compare(a.ref.Value.Name, b.ref.Value.Name))
			})
			if _, done := decided[group[0].ref.Value]; !done {
				set(group[0].ref.Value, name)
			}
			for _, e := range group[1:] {
				alt := name + nm.goName(e.ref.Value.In)
				for i := 2; taken[alt]; i++ {
					alt = fmt.Sprintf("%s%d", name, i)
				}
				taken[alt] = true
				set(e.ref.Value, alt)
				nm.note(e.ptr, "parameter %q of %s is the field %s: %q would be the same field, %s", e.ref.Value.Name, o.stem, alt, group[0].ref.Value.Name, name)
				// Two parameters with one name in different places
				// (a header and a query parameter) would carry one JSON
				// tag, which go vet refuses: the second is not encoded.
				if e.ref.Value.Name == group[0].ref.Value.Name {
					nm.setExt(&e.ref.Value.Extensions, "x-oapi-codegen-extra-tags", map[string]any{"json": "-"})
				}
			}
		}
	}
}

// nameEnums names the constants of every enum: <Type><Value>, the value in
// Go case ("Empty" for ""), apart from every other name of the package.
// The names reach oapi-codegen as x-enum-varnames.
func (nm *naming) nameEnums() {
	done := map[*openapi3.SchemaRef]bool{}
	for _, e := range nm.enums {
		if done[e.edge] {
			continue
		}
		done[e.edge] = true
		s := e.edge.Value
		if isEnumViaOneOf(nm.t, s) {
			// oapi-codegen names these constants after the members'
			// titles; they can only be claimed.
			for _, m := range s.OneOf {
				suffix := codegen.UppercaseFirstCharacter(typeNamePrefix(m.Value.Title) + nm.normalize(m.Value.Title))
				nm.syms.take(e.typeName+suffix, "a constant of "+e.typeName)
			}
			continue
		}
		given := specEnumNames(e.edge, len(s.Enum))
		s.Enum, given = dedupeEnum(s.Enum, given)
		values := s.Enum
		if len(values) == 0 && s.Const != nil {
			values = []any{s.Const}
		}
		names := make([]any, len(values))
		used := map[string]bool{}
		for i, v := range values {
			raw := fmt.Sprint(v)
			suffix := nm.enumWord(raw)
			if given != nil {
				// The spec names its constants (x-enum-varnames,
				// x-enumNames): its names, in Go case.
				if w := nm.goName(given[i]); w != "" {
					suffix = w
				}
			}
			base := suffix
			for n := 2; used[suffix]; n++ {
				suffix = base + strconv.Itoa(n)
			}
			if !nm.syms.free(e.typeName + suffix) {
				alt := suffix + "Value"
				for n := 2; used[alt] || !nm.syms.free(e.typeName+alt); n++ {
					alt = suffix + "Value" + strconv.Itoa(n)
				}
				nm.note(e.ptr, "enum value %q of %s is the constant %s: %s is %s", raw, e.typeName, e.typeName+alt, e.typeName+suffix, nm.syms.owner(e.typeName+suffix))
				suffix = alt
			}
			used[suffix] = true
			nm.syms.take(e.typeName+suffix, "a constant of "+e.typeName)
			names[i] = suffix
		}
		nm.setExt(&e.edge.Extensions, "x-enum-varnames", names)
	}
}

// dedupeEnum drops the values an enum lists again (a spec's "kml", "kml"),
// and their given names: Go constants of one value would be duplicate
// cases in the type's Valid switch. Values are compared as Go prints
// them, so true and "true" of a string enum are one.
func dedupeEnum(values []any, given []string) ([]any, []string) {
	seen := make(map[string]bool, len(values))
	var keep []any
	var names []string
	for i, v := range values {
		k := fmt.Sprint(v)
		if seen[k] {
			continue
		}
		seen[k] = true
		keep = append(keep, v)
		if given != nil {
			names = append(names, given[i])
		}
	}
	if len(keep) == len(values) {
		return values, given
	}
	return keep, names
}

// specEnumNames reads the constant names a spec gives an enum's n values
// (x-enum-varnames, or x-enumNames), nil when it gives none or not one per
// value.
func specEnumNames(edge *openapi3.SchemaRef, n int) []string {
	for _, ext := range []map[string]any{edge.Extensions, edge.Value.Extensions} {
		for _, key := range []string{"x-enum-varnames", "x-enumNames"} {
			list, ok := ext[key].([]any)
			if !ok || len(list) != n {
				continue
			}
			out := make([]string, n)
			for i, v := range list {
				s, ok := v.(string)
				if !ok {
					return nil
				}
				out[i] = s
			}
			return out
		}
	}
	return nil
}

// enumWord spells an enum value as the end of a constant's name.
func (nm *naming) enumWord(raw string) string {
	if raw == "" {
		return "Empty"
	}
	w := nm.goName(raw)
	if w == "" {
		w = symbolWords(raw)
	} else if sign := strings.IndexFunc(raw, func(r rune) bool { return r != '-' && r != '+' }); sign > 0 {
		// A sign carries meaning (-price sorts the other way).
		w = symbolWords(raw[:sign]) + w
	}
	if w == "" {
		w = "Value"
	}
	// A value starting with a digit is spelled after the type's name
	// (StatusN404 would read worse than Status404), but oapi-codegen
	// prefixes names starting with a digit: the N stays.
	return w
}

// symbolWords spells a name made of symbols only (+1 is not one: it has a
// digit): "=" is Equal, ">=" GreaterThanEqual.
func symbolWords(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '$':
			b.WriteString("Dollar")
		case '-':
			b.WriteString("Minus")
		case '+':
			b.WriteString("Plus")
		case '&':
			b.WriteString("And")
		case '|':
			b.WriteString("Or")
		case '~':
			b.WriteString("Tilde")
		case '=':
			b.WriteString("Equal")
		case '>':
			b.WriteString("GreaterThan")
		case '<':
			b.WriteString("LessThan")
		case '#':
			b.WriteString("Hash")
		case '.':
			b.WriteString("Dot")
		case '*':
			b.WriteString("Asterisk")
		case '^':
			b.WriteString("Caret")
		case '%':
			b.WriteString("Percent")
		case '_':
			b.WriteString("Underscore")
		case '!':
			b.WriteString("Not")
		case '/':
			b.WriteString("Slash")
		case '?':
			b.WriteString("Question")
		case '@':
			b.WriteString("At")
		case ':':
			b.WriteString("Colon")
		case ' ':
			b.WriteString("Space")
		}
	}
	return b.String()
}

// normalize is the name normalizer oapi-codegen uses while sdkgen drives
// it: a name this pass wrote into an extension or an operationId stays as
// it is, anything else is spelled by the Namer (names oapi-codegen derives
// from spec strings: a media type's tag, a default operationId).
func (nm *naming) normalize(s string) string {
	if nm.verbatim[s] {
		return s
	}
	return nm.n.Exported(s)
}
