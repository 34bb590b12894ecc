package openapi

import (
	"context"
	"errors"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// validate checks the document against the OpenAPI specification with
// kin-openapi. Its findings never stop generation: a spec that breaks a rule
// is still often perfectly generatable, and users cannot always fix a
// vendor's spec. Each finding becomes a warning with a pointer built from
// kin-openapi's structured errors.
func validate(ctx context.Context, t *openapi3.T) Diagnostics {
	out := checkExamples(t)
	var err error
	guardErr := guard("kin-openapi validation", func() error {
		stubComponentRefs(t)
		err = t.Validate(ctx,
			openapi3.EnableMultiError(),
			openapi3.DisableSchemaPatternValidation(),
			openapi3.DisableExamplesValidation(), // checkExamples does it, better located
		)
		return nil
	})
	if guardErr != nil {
		return append(out, Diagnostic{Code: CodeSpecValidation, Severity: SeverityWarning, Message: "validation stopped: " + firstLine(guardErr.Error())})
	}
	if err == nil {
		return out
	}
	var leaves []error
	var me openapi3.MultiError
	if errors.As(err, &me) {
		leaves = flatten(me)
	} else {
		leaves = []error{err}
	}
	seen := map[string]bool{}
	for _, e := range leaves {
		d := validationDiagnostic(e)
		k := d.Pointer + "\x00" + d.Message
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, d)
	}
	return out
}

// stubComponentRefs makes every reference to a component schema point at
// an empty schema, so that kin-openapi validates each component once, in
// components, instead of again at every place that refers to it (on
// Stripe's spec, that repetition was a third of loading). It changes t:
// validation is the last use of the model Load builds.
func stubComponentRefs(t *openapi3.T) {
	stub := &openapi3.Schema{}
	seen := map[*openapi3.Schema]bool{}
	var walk func(ref *openapi3.SchemaRef)
	walk = func(ref *openapi3.SchemaRef) {
		if ref == nil {
			return
		}
		if strings.HasPrefix(ref.Ref, "#/components/schemas/") {
			ref.Value = stub
			return
		}
		s := ref.Value
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		for _, list := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
			for _, sub := range list {
				walk(sub)
			}
		}
		walk(s.Not)
		walk(s.Items)
		walk(s.AdditionalProperties.Schema)
		for _, sub := range s.Properties {
			walk(sub)
		}
	}
	content := func(c openapi3.Content) {
		for _, mt := range c {
			if mt != nil {
				walk(mt.Schema)
			}
		}
	}
	params := func(ps openapi3.Parameters) {
		for _, p := range ps {
			if p != nil && p.Value != nil {
				walk(p.Value.Schema)
				content(p.Value.Content)
			}
		}
	}
	responses := func(rs map[string]*openapi3.ResponseRef) {
		for _, r := range rs {
			if r != nil && r.Value != nil {
				content(r.Value.Content)
				for _, h := range r.Value.Headers {
					if h != nil && h.Value != nil {
						walk(h.Value.Schema)
					}
				}
			}
		}
	}
	var item func(pi *openapi3.PathItem)
	item = func(pi *openapi3.PathItem) {
		if pi == nil {
			return
		}
		params(pi.Parameters)
		for _, op := range pi.Operations() {
			params(op.Parameters)
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				content(op.RequestBody.Value.Content)
			}
			if op.Responses != nil {
				responses(op.Responses.Map())
			}
			for _, cb := range op.Callbacks {
				if cb != nil && cb.Value != nil {
					for _, ci := range cb.Value.Map() {
						item(ci)
					}
				}
			}
		}
	}
	if t.Paths != nil {
		for _, pi := range t.Paths.Map() {
			item(pi)
		}
	}
	for _, pi := range t.Webhooks {
		item(pi)
	}
	if c := t.Components; c != nil {
		for _, s := range c.Schemas {
			if s != nil && s.Ref == "" {
				walk(s)
			}
		}
		params(func() openapi3.Parameters {
			var ps openapi3.Parameters
			for _, p := range c.Parameters {
				ps = append(ps, p)
			}
			return ps
		}())
		responses(c.Responses)
		for _, b := range c.RequestBodies {
			if b != nil && b.Value != nil {
				content(b.Value.Content)
			}
		}
		for _, h := range c.Headers {
			if h != nil && h.Value != nil {
				walk(h.Value.Schema)
			}
		}
	}
}

// flatten lists the leaves of a MultiError. kin-openapi distributes its
// context wrappers over each leaf, so every leaf carries its full context.
func flatten(me openapi3.MultiError) []error {
	var out []error
	for _, e := range me {
		if m, ok := e.(openapi3.MultiError); ok {
			out = append(out, flatten(m)...)
			continue
		}
		out = append(out, e)
	}
	return out
}

var componentSections = map[string]string{
	"schema": "schemas", "parameter": "parameters", "header": "headers",
	"request body": "requestBodies", "response": "responses", "security scheme": "securitySchemes",
	"example": "examples", "link": "links", "callback": "callbacks",
}

// validationDiagnostic turns one kin-openapi validation error into a
// diagnostic, reading the pointer off its chain of context errors.
func validationDiagnostic(err error) Diagnostic {
	var segs []string
	code := CodeSpecValidation
	e := err
	for e != nil {
		switch v := e.(type) {
		case *openapi3.SectionValidationError:
			switch v.Section {
			case "external docs":
				segs = append(segs, "externalDocs")
			default:
				if !strings.Contains(v.Section, " ") {
					segs = append(segs, v.Section)
				}
			}
			e = v.Cause
			continue
		case *openapi3.ComponentValidationError:
			if len(segs) == 0 || segs[len(segs)-1] != "components" {
				segs = append(segs, "components")
			}
			if s, ok := componentSections[v.Section]; ok {
				segs = append(segs, s, v.Name)
			}
			e = v.Cause
			continue
		case *openapi3.PathValidationError:
			if len(segs) == 0 {
				segs = append(segs, "paths")
			}
			segs = append(segs, v.Path)
			e = v.Cause
			continue
		case *openapi3.OperationValidationError:
			segs = append(segs, strings.ToLower(v.Method))
			e = v.Cause
			continue
		case *openapi3.WebhookValidationError:
			segs = append(segs, v.Name)
			e = v.Cause
			continue
		case *openapi3.MediaTypeExampleValidationError:
			segs = append(segs, "examples", v.ExampleName)
			code = CodeExampleInvalid
			e = v.Cause
			continue
		case *openapi3.ParameterExampleValidationError:
			segs = append(segs, "examples", v.ExampleName)
			code = CodeExampleInvalid
			e = v.Cause
			continue
		case *openapi3.SchemaValueError:
			if v.ValueKind == "example" || v.ValueKind == "examples" {
				code = CodeExampleInvalid
			}
		}
		break
	}
	var sve *openapi3.SchemaValueError
	if errors.As(err, &sve) && (sve.ValueKind == "example" || sve.ValueKind == "examples") {
		code = CodeExampleInvalid
	}
	msg := firstLine(e.Error())
	if code == CodeExampleInvalid && !strings.Contains(msg, "example") {
		msg = "invalid example: " + msg
	}
	return Diagnostic{Code: code, Severity: SeverityWarning, Pointer: pointerOf(segs), Message: msg}
}
