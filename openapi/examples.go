package openapi

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// checkExamples validates every example against its schema. kin-openapi's
// own check reports a bad example once per place its schema is used, located
// at the operation; this walk reports each example once, at the example.
func checkExamples(t *openapi3.T) Diagnostics {
	w := exampleWalker{opts: t.GetSchemaValidationOptions(), seen: map[*openapi3.Schema]bool{}}
	if c := t.Components; c != nil {
		for _, name := range slices.Sorted(maps.Keys(c.Schemas)) {
			w.schemaRef([]string{"components", "schemas", name}, c.Schemas[name], true)
		}
		for _, name := range slices.Sorted(maps.Keys(c.Parameters)) {
			w.parameterRef([]string{"components", "parameters", name}, c.Parameters[name], true)
		}
		for _, name := range slices.Sorted(maps.Keys(c.Headers)) {
			if h := c.Headers[name]; h != nil && h.Value != nil && h.Ref == "" {
				w.parameter([]string{"components", "headers", name}, &h.Value.Parameter)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(c.RequestBodies)) {
			if rb := c.RequestBodies[name]; rb != nil && rb.Value != nil && rb.Ref == "" {
				w.content([]string{"components", "requestBodies", name, "content"}, rb.Value.Content)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(c.Responses)) {
			w.responseRef([]string{"components", "responses", name}, c.Responses[name], true)
		}
	}
	if t.Paths != nil {
		for _, p := range t.Paths.InMatchingOrder() {
			item := t.Paths.Value(p)
			if item == nil || item.Ref != "" {
				continue
			}
			base := []string{"paths", p}
			for i, pr := range item.Parameters {
				w.parameterRef(append(slices.Clone(base), "parameters", fmt.Sprint(i)), pr, false)
			}
			for method, op := range item.Operations() {
				ob := append(slices.Clone(base), strings.ToLower(method))
				for i, pr := range op.Parameters {
					w.parameterRef(append(slices.Clone(ob), "parameters", fmt.Sprint(i)), pr, false)
				}
				if rb := op.RequestBody; rb != nil && rb.Value != nil && rb.Ref == "" {
					w.content(append(slices.Clone(ob), "requestBody", "content"), rb.Value.Content)
				}
				if op.Responses != nil {
					for code, r := range op.Responses.Map() {
						w.responseRef(append(slices.Clone(ob), "responses", code), r, false)
					}
				}
			}
		}
	}
	return w.diags
}

type exampleWalker struct {
	opts  []openapi3.SchemaValidationOption
	seen  map[*openapi3.Schema]bool
	diags Diagnostics
}

func (w *exampleWalker) check(segs []string, schema *openapi3.Schema, value any) {
	if schema == nil || value == nil {
		return
	}
	err := guard("example validation", func() error { return schema.VisitJSON(value, w.opts...) })
	if err == nil {
		return
	}
	msg := err.Error()
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		msg = se.Reason
		if p := se.JSONPointer(); len(p) > 0 {
			msg = fmt.Sprintf("at %s: %s", pointerOf(p), msg)
		}
	}
	w.diags = append(w.diags, Diagnostic{Code: CodeExampleInvalid, Severity: SeverityWarning,
		Pointer: pointerOf(segs), Message: "example does not match its schema: " + firstLine(msg)})
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

// schemaRef walks a schema written in place (references are checked where
// they are defined), unless it is a component itself.
func (w *exampleWalker) schemaRef(segs []string, s *openapi3.SchemaRef, component bool) {
	if s == nil || s.Value == nil || (s.Ref != "" && !component) || w.seen[s.Value] {
		return
	}
	v := s.Value
	w.seen[v] = true
	w.check(append(slices.Clone(segs), "example"), v, v.Example)
	for _, name := range slices.Sorted(maps.Keys(v.Properties)) {
		w.schemaRef(append(slices.Clone(segs), "properties", name), v.Properties[name], false)
	}
	w.schemaRef(append(slices.Clone(segs), "items"), v.Items, false)
	if v.AdditionalProperties.Schema != nil {
		w.schemaRef(append(slices.Clone(segs), "additionalProperties"), v.AdditionalProperties.Schema, false)
	}
	for kw, list := range map[string]openapi3.SchemaRefs{"allOf": v.AllOf, "anyOf": v.AnyOf, "oneOf": v.OneOf} {
		for i, sub := range list {
			w.schemaRef(append(slices.Clone(segs), kw, fmt.Sprint(i)), sub, false)
		}
	}
}

func (w *exampleWalker) parameterRef(segs []string, p *openapi3.ParameterRef, component bool) {
	if p == nil || p.Value == nil || (p.Ref != "" && !component) {
		return
	}
	w.parameter(segs, p.Value)
}

func (w *exampleWalker) parameter(segs []string, p *openapi3.Parameter) {
	if p.Schema != nil && p.Schema.Value != nil {
		w.check(append(slices.Clone(segs), "example"), p.Schema.Value, p.Example)
		w.examples(append(slices.Clone(segs), "examples"), p.Schema.Value, p.Examples)
		w.schemaRef(append(slices.Clone(segs), "schema"), p.Schema, false)
	}
	w.content(append(slices.Clone(segs), "content"), p.Content)
}

func (w *exampleWalker) responseRef(segs []string, r *openapi3.ResponseRef, component bool) {
	if r == nil || r.Value == nil || (r.Ref != "" && !component) {
		return
	}
	w.content(append(slices.Clone(segs), "content"), r.Value.Content)
}

func (w *exampleWalker) content(segs []string, c openapi3.Content) {
	for _, mt := range slices.Sorted(maps.Keys(c)) {
		m := c[mt]
		if m == nil || m.Schema == nil || m.Schema.Value == nil {
			continue
		}
		// Only JSON bodies have examples that are JSON values to check.
		if !strings.Contains(mt, "json") {
			continue
		}
		ms := append(slices.Clone(segs), mt)
		w.check(append(slices.Clone(ms), "example"), m.Schema.Value, m.Example)
		w.examples(append(slices.Clone(ms), "examples"), m.Schema.Value, m.Examples)
		w.schemaRef(append(slices.Clone(ms), "schema"), m.Schema, false)
	}
}

func (w *exampleWalker) examples(segs []string, schema *openapi3.Schema, ex openapi3.Examples) {
	for _, name := range slices.Sorted(maps.Keys(ex)) {
		e := ex[name]
		if e == nil || e.Value == nil || e.Ref != "" {
			continue
		}
		w.check(append(slices.Clone(segs), name, "value"), schema, e.Value.Value)
	}
}
