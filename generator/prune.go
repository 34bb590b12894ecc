package generator

import (
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// pruneUnused removes the components that no operation reaches (through
// any chain of references), before anything is named: an unused schema
// must not take a name a used one wants, and oapi-codegen would drop it
// anyway. Operations of paths, webhooks and callbacks are the roots. It
// replaces oapi-codegen's own pruning, which compares every reference with
// every component in rounds (quadratic on a spec the size of Microsoft
// Graph).
func pruneUnused(t *openapi3.T) {
	c := t.Components
	if c == nil {
		return
	}
	p := &pruner{t: t, used: map[string]bool{}, seen: map[any]bool{}}
	if t.Paths != nil {
		for _, item := range t.Paths.Map() {
			p.pathItem(item)
		}
	}
	for _, item := range t.Webhooks {
		p.pathItem(item)
	}
	drop := func(kind string, keys []string, del func(string)) {
		for _, k := range keys {
			if !p.used["#/components/"+kind+"/"+k] {
				del(k)
			}
		}
	}
	drop("schemas", keysOf(c.Schemas), func(k string) { delete(c.Schemas, k) })
	drop("parameters", keysOf(c.Parameters), func(k string) { delete(c.Parameters, k) })
	drop("requestBodies", keysOf(c.RequestBodies), func(k string) { delete(c.RequestBodies, k) })
	drop("responses", keysOf(c.Responses), func(k string) { delete(c.Responses, k) })
	drop("headers", keysOf(c.Headers), func(k string) { delete(c.Headers, k) })
	drop("callbacks", keysOf(c.Callbacks), func(k string) { delete(c.Callbacks, k) })
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

type pruner struct {
	t    *openapi3.T
	used map[string]bool
	seen map[any]bool
}

// ref records a reference to a component; it reports whether the target
// is new (so its content is walked once).
func (p *pruner) ref(r string) bool {
	if r == "" {
		return true
	}
	if i := strings.Index(r, "#/components/"); i > 0 {
		r = r[i:]
	}
	p.used[r] = true
	return true
}

func (p *pruner) once(v any) bool {
	if p.seen[v] {
		return false
	}
	p.seen[v] = true
	return true
}

func (p *pruner) pathItem(item *openapi3.PathItem) {
	if item == nil || !p.once(item) {
		return
	}
	for _, prm := range item.Parameters {
		p.parameter(prm)
	}
	for _, op := range item.Operations() {
		p.operation(op)
	}
}

func (p *pruner) operation(op *openapi3.Operation) {
	if op == nil || !p.once(op) {
		return
	}
	for _, prm := range op.Parameters {
		p.parameter(prm)
	}
	if rb := op.RequestBody; rb != nil {
		p.ref(rb.Ref)
		if rb.Value != nil && p.once(rb.Value) {
			p.content(rb.Value.Content)
		}
	}
	if op.Responses != nil {
		for _, r := range op.Responses.Map() {
			p.response(r)
		}
	}
	for _, cb := range op.Callbacks {
		if cb == nil {
			continue
		}
		p.ref(cb.Ref)
		if cb.Value != nil {
			for _, item := range cb.Value.Map() {
				p.pathItem(item)
			}
		}
	}
}

func (p *pruner) parameter(prm *openapi3.ParameterRef) {
	if prm == nil {
		return
	}
	p.ref(prm.Ref)
	if prm.Value == nil || !p.once(prm.Value) {
		return
	}
	p.schema(prm.Value.Schema)
	p.content(prm.Value.Content)
}

func (p *pruner) response(r *openapi3.ResponseRef) {
	if r == nil {
		return
	}
	p.ref(r.Ref)
	if r.Value == nil || !p.once(r.Value) {
		return
	}
	p.content(r.Value.Content)
	for _, h := range r.Value.Headers {
		if h == nil {
			continue
		}
		p.ref(h.Ref)
		if h.Value != nil && p.once(h.Value) {
			p.schema(h.Value.Schema)
			p.content(h.Value.Content)
		}
	}
}

func (p *pruner) content(c openapi3.Content) {
	for _, mt := range c {
		if mt == nil {
			continue
		}
		p.schema(mt.Schema)
		for _, enc := range mt.Encoding {
			if enc == nil {
				continue
			}
			for _, h := range enc.Headers {
				if h != nil {
					p.ref(h.Ref)
					if h.Value != nil && p.once(h.Value) {
						p.schema(h.Value.Schema)
					}
				}
			}
		}
	}
}

func (p *pruner) schema(ref *openapi3.SchemaRef) {
	if ref == nil {
		return
	}
	p.ref(ref.Ref)
	s := ref.Value
	if s == nil || !p.once(s) {
		return
	}
	for _, list := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, sub := range list {
			p.schema(sub)
		}
	}
	p.schema(s.Not)
	p.schema(s.Items)
	for _, sub := range s.Properties {
		p.schema(sub)
	}
	p.schema(s.AdditionalProperties.Schema)
	if d := s.Discriminator; d != nil {
		for _, m := range d.Mapping {
			p.ref(m.Ref)
			if v, ok := p.target(m.Ref); ok {
				p.schema(v)
			}
		}
	}
}

// target is the component schema a discriminator mapping names.
func (p *pruner) target(ref string) (*openapi3.SchemaRef, bool) {
	key, ok := strings.CutPrefix(ref, "#/components/schemas/")
	if !ok || p.t.Components == nil {
		return nil, false
	}
	v := p.t.Components.Schemas[key]
	return v, v != nil
}
