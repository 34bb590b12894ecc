package generator

import (
	"maps"
	"slices"

	"github.com/getkin/kin-openapi/openapi3"
)

// Optional fields without pointer noise. oapi-codegen makes an optional
// field a pointer so that "absent" and "zero" stay apart; in a response a
// user reads, that costs a nil check or sdk.Deref on every read and prints
// as an address. oapi-codegen makes one Go type per schema for requests and
// responses alike, so the choice is made per schema:
//
//   - a schema no request reaches (no request body, form or parameter
//     refers to it, directly or through other schemas) is only ever decoded:
//     its optional scalars (strings, numbers, booleans, dates, enums), lists
//     and maps are plain values tagged omitzero;
//   - a schema a request reaches keeps pointers on its optional scalars, so
//     a request can still send an explicit zero or false; its lists and maps
//     are plain values tagged omitzero without omitempty (nil is absent, an
//     empty one is sent as [] or {});
//   - optional objects stay pointers everywhere (a value would make
//     recursive types impossible and hide "absent"), nullable fields stay
//     nullable.Nullable.
//
// The decisions reach oapi-codegen as x-go-type-skip-optional-pointer,
// x-omitzero and x-omitempty on the property's reference, never on a shared schema, so a
// schema used in both places is not changed for the other. The reasons are
// in docs/ARCHITECTURE.md.

// valueFields marks the optional properties that become plain values.
func (nm *naming) valueFields() {
	inRequest := requestSchemas(nm.t)
	seen := map[*openapi3.Schema]bool{}
	var visit func(ref *openapi3.SchemaRef)
	visit = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
			p := s.Properties[name]
			visit(p)
			if p == nil || p.Value == nil || slices.Contains(s.Required, name) {
				continue
			}
			switch optionalKind(p) {
			case "scalar":
				if inRequest[s] {
					continue
				}
			case "container":
			default:
				continue
			}
			if p.Extensions == nil {
				p.Extensions = map[string]any{}
			}
			p.Extensions["x-go-type-skip-optional-pointer"] = true
			// omitzero alone: nil is absent, an empty list or map is sent
			// as [] or {} (omitempty would drop it).
			p.Extensions["x-omitzero"] = true
			p.Extensions["x-omitempty"] = false
		}
		eachChild(s, visit)
	}
	eachSchema(nm.t, func(ref *openapi3.SchemaRef, _ bool) { visit(ref) })
}

// optionalKind says what an optional property is, for valueFields:
// "scalar", "container" (a list or a map), or "" (an object, a union, a
// nullable or typed-by-extension value: left as oapi-codegen makes it).
func optionalKind(p *openapi3.SchemaRef) string {
	s := p.Value
	if s.Nullable || (s.Type != nil && s.Type.Includes("null")) || len(s.OneOf) > 0 || len(s.AnyOf) > 0 || len(s.AllOf) > 0 || s.Not != nil {
		return ""
	}
	for _, ext := range []map[string]any{p.Extensions, s.Extensions} {
		for _, k := range []string{"x-go-type", "x-go-type-skip-optional-pointer", "x-omitzero", "x-go-json-ignore"} {
			if _, ok := ext[k]; ok {
				return ""
			}
		}
	}
	switch primaryType(s) {
	case "string", "integer", "number", "boolean":
		return "scalar"
	case "array":
		return "container"
	case "object":
		// A map: additionalProperties only, or a free-form object.
		if len(s.Properties) == 0 && (s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has || s.AdditionalProperties.Schema != nil) {
			return "container"
		}
	}
	return ""
}

// requestSchemas returns the schemas a request reaches: those of request
// bodies and parameters (of callbacks and webhooks too, whose direction is
// the other way), and every schema they refer to.
func requestSchemas(t *openapi3.T) map[*openapi3.Schema]bool {
	out := map[*openapi3.Schema]bool{}
	var mark func(ref *openapi3.SchemaRef)
	mark = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || out[ref.Value] {
			return
		}
		out[ref.Value] = true
		for _, p := range ref.Value.Properties {
			mark(p)
		}
		eachChild(ref.Value, mark)
	}
	eachSchema(t, func(ref *openapi3.SchemaRef, request bool) {
		if request {
			mark(ref)
		}
	})
	return out
}

// eachChild calls f for the schemas a schema is made of, its properties
// aside.
func eachChild(s *openapi3.Schema, f func(*openapi3.SchemaRef)) {
	f(s.Items)
	f(s.AdditionalProperties.Schema)
	f(s.Not)
	for _, list := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, m := range list {
			f(m)
		}
	}
}

// eachSchema calls f for the root schemas of a document: components,
// request and response bodies, parameters and headers; request says
// whether a request carries it (request bodies and parameters, and
// everything of callbacks and webhooks).
func eachSchema(t *openapi3.T, f func(ref *openapi3.SchemaRef, request bool)) {
	content := func(c openapi3.Content, request bool) {
		for _, mt := range slices.Sorted(maps.Keys(c)) {
			if m := c[mt]; m != nil {
				f(m.Schema, request)
			}
		}
	}
	params := func(ps openapi3.Parameters) {
		for _, p := range ps {
			if p != nil && p.Value != nil {
				f(p.Value.Schema, true)
				content(p.Value.Content, true)
			}
		}
	}
	var operation func(item *openapi3.PathItem, op *openapi3.Operation, callback bool)
	pathItem := func(item *openapi3.PathItem, callback bool) {
		if item == nil {
			return
		}
		params(item.Parameters)
		ops := item.Operations()
		for _, m := range slices.Sorted(maps.Keys(ops)) {
			operation(item, ops[m], callback)
		}
	}
	operation = func(item *openapi3.PathItem, op *openapi3.Operation, callback bool) {
		if op == nil {
			return
		}
		params(op.Parameters)
		if op.RequestBody != nil && op.RequestBody.Value != nil {
			content(op.RequestBody.Value.Content, true)
		}
		if op.Responses != nil {
			for _, code := range slices.Sorted(maps.Keys(op.Responses.Map())) {
				if r := op.Responses.Value(code); r != nil && r.Value != nil {
					content(r.Value.Content, callback)
					for _, h := range r.Value.Headers {
						if h != nil && h.Value != nil {
							f(h.Value.Schema, callback)
						}
					}
				}
			}
		}
		for _, name := range slices.Sorted(maps.Keys(op.Callbacks)) {
			if cb := op.Callbacks[name]; cb != nil && cb.Value != nil {
				for _, p := range slices.Sorted(maps.Keys(cb.Value.Map())) {
					pathItem(cb.Value.Value(p), true)
				}
			}
		}
	}
	if t.Paths != nil {
		for _, p := range slices.Sorted(maps.Keys(t.Paths.Map())) {
			pathItem(t.Paths.Value(p), false)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(t.Webhooks)) {
		pathItem(t.Webhooks[name], true)
	}
	if c := t.Components; c != nil {
		for _, k := range slices.Sorted(maps.Keys(c.Schemas)) {
			f(c.Schemas[k], false)
		}
		for _, k := range slices.Sorted(maps.Keys(c.Responses)) {
			if r := c.Responses[k]; r != nil && r.Value != nil {
				content(r.Value.Content, false)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(c.RequestBodies)) {
			if b := c.RequestBodies[k]; b != nil && b.Value != nil {
				content(b.Value.Content, true)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(c.Parameters)) {
			if p := c.Parameters[k]; p != nil && p.Value != nil {
				f(p.Value.Schema, true)
			}
		}
	}
}
