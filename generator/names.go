package generator

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"

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
	ext     string // x-go-name (components) or x-go-type-name (inline)
	name    string
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
	if t.Components == nil {
		return nil
	}
	var sites []schemaSite
	var walk func(ref *openapi3.SchemaRef, ptr string, path []string, depth int)
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
		for _, p := range slices.Sorted(mapKeysOf(s.Properties)) {
			walk(s.Properties[p], ptr+"/properties/"+escapePtr(p), append(slices.Clone(path), p), depth+1)
		}
		walk(s.Items, ptr+"/items", append(slices.Clone(path), "Item"), depth+1)
		walk(s.AdditionalProperties.Schema, ptr+"/additionalProperties", append(slices.Clone(path), "AdditionalProperties"), depth+1)
	}
	for _, key := range slices.Sorted(mapKeysOf(t.Components.Schemas)) {
		ref := t.Components.Schemas[key]
		ptr := "/components/schemas/" + escapePtr(key)
		if ref != nil && ref.Value != nil {
			sites = append(sites, schemaSite{pointer: ptr, schema: ref.Value, component: true, key: key,
				names: []string{codegen.SchemaNameToTypeName(key)}})
		}
		walk(ref, ptr, []string{key}, 0)
	}
	return sites
}

func escapePtr(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func mapKeysOf[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// collisionFixes decides how to name apart the schemas that would all be
// called dup: inline types take a suffix saying what they are
// (ServerStatusEnum); among components, the one whose key is the name keeps
// it and the others take a number in key order. taken lists the names of
// all sites, so a new name is free.
func collisionFixes(t *openapi3.T, dup string) []nameFix {
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

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// applyNameFixes sets the fixes' extensions on a fresh document.
func applyNameFixes(t *openapi3.T, fixes []nameFix) {
	if len(fixes) == 0 || t.Components == nil {
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
			ref.Value.Extensions[f.ext] = f.name
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
	}
	for key, ref := range t.Components.Schemas {
		walk(ref, "/components/schemas/"+escapePtr(key), 0)
	}
}
