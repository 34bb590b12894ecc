package openapi

import (
	"fmt"
	"regexp"
	"slices"
)

// shapeKinds says what kind of value a keyword of the spec's structure
// takes, where that does not depend on the object it appears in. Keywords
// whose kind varies ("required" is a list in a schema and a boolean in a
// parameter; "examples", "type", "items", "additionalProperties",
// "exclusiveMinimum") are left out; "parameters" is handled apart.
var shapeKinds = map[string][]nodeKind{
	"info": {kindObject}, "paths": {kindObject}, "components": {kindObject}, "webhooks": {kindObject},
	"properties": {kindObject}, "responses": {kindObject}, "content": {kindObject}, "headers": {kindObject},
	"variables": {kindObject}, "encoding": {kindObject}, "callbacks": {kindObject}, "links": {kindObject},
	"schemas": {kindObject}, "securitySchemes": {kindObject}, "requestBodies": {kindObject},
	"requestBody": {kindObject}, "schema": {kindObject, kindBool}, "discriminator": {kindObject},
	"flows": {kindObject}, "externalDocs": {kindObject}, "mapping": {kindObject},
	"servers": {kindArray}, "tags": {kindArray}, "security": {kindArray}, "allOf": {kindArray},
	"oneOf": {kindArray}, "anyOf": {kindArray}, "enum": {kindArray},
	"operationId": {kindString}, "summary": {kindString}, "description": {kindString}, "title": {kindString},
	"format": {kindString}, "pattern": {kindString}, "in": {kindString}, "style": {kindString},
	"openapi": {kindString}, "url": {kindString}, "tokenUrl": {kindString}, "authorizationUrl": {kindString},
	"deprecated": {kindBool}, "nullable": {kindBool}, "readOnly": {kindBool}, "writeOnly": {kindBool},
	"uniqueItems": {kindBool}, "allowEmptyValue": {kindBool}, "explode": {kindBool}, "allowReserved": {kindBool},
	"minLength": {kindNumber}, "maxLength": {kindNumber}, "minItems": {kindNumber}, "maxItems": {kindNumber},
	"minProperties": {kindNumber}, "maxProperties": {kindNumber}, "minimum": {kindNumber}, "maximum": {kindNumber},
	"multipleOf": {kindNumber},
}

// shapeErrors finds the values of the wrong kind that keep kin-openapi from
// reading a document ("responses" written as a list), so that the failure
// can be reported where it is. It runs only once kin-openapi has refused
// the document: it is a locator, not a validator.
func (l *loadState) shapeErrors(f *file) Diagnostics {
	var out Diagnostics
	visitSpecObjects(f.tree, l.swagger2, func(segs []string, obj *node) {
		for i, key := range obj.keys {
			want, known := shapeKinds[key]
			if key == "parameters" {
				// A list, but a map of named ones among the components.
				want, known = []nodeKind{kindArray}, true
				if len(segs) == 1 && segs[0] == "components" {
					want = []nodeKind{kindObject}
				}
			}
			v := obj.kids[i]
			if !known || slices.Contains(want, v.kind) || v.kind == kindNull {
				continue
			}
			names := make([]string, len(want))
			for j, k := range want {
				names[j] = article(k.String())
			}
			out = append(out, Diagnostic{
				Code: CodeSpecInvalid, Severity: SeverityError, Pointer: pointerOf(append(slices.Clone(segs), key)),
				Pos:     Position{File: f.name, Line: int(v.line), Column: int(v.col)},
				Message: fmt.Sprintf("%q must be %s, not %s", key, joinOr(names), article(v.kind.String())),
			})
		}
	})
	return out
}

func article(s string) string {
	switch s[0] {
	case 'a', 'o':
		return "an " + s
	}
	return "a " + s
}

func joinOr(list []string) string {
	if len(list) == 1 {
		return list[0]
	}
	return list[0] + " or " + joinOr(list[1:])
}

// refKindErrors finds the references whose target is a component of
// another kind than their place takes (a parameter that refers to a
// schema), which kin-openapi refuses without saying where. Like
// shapeErrors, it runs only once kin-openapi has refused the document.
func (l *loadState) refKindErrors() Diagnostics {
	var out Diagnostics
	for _, r := range l.targets {
		if r.site.mapping {
			continue
		}
		want := expectedSection(r.site.ptr)
		tsegs, err := splitPointer(r.target.frag)
		if want == "" || err != nil || len(tsegs) < 3 || tsegs[0] != "components" || tsegs[1] == want {
			continue
		}
		l.siteDiag(r.site, CodeSpecInvalid, SeverityError,
			fmt.Sprintf("$ref %q: a %s belongs here, and it refers to a %s", r.site.ref, sectionNoun(want), sectionNoun(tsegs[1])), "")
		out = append(out, l.diags[len(l.diags)-1])
		l.diags = l.diags[:len(l.diags)-1]
	}
	return out
}

// expectedSection returns the components section a $ref at ptr (the
// pointer of the $ref member) must point into, or "" when the place does
// not say.
func expectedSection(ptr string) string {
	segs, err := splitPointer(ptr)
	if err != nil || len(segs) < 2 {
		return ""
	}
	segs = segs[:len(segs)-1] // the object holding the $ref
	last := segs[len(segs)-1]
	parent := ""
	if len(segs) >= 2 {
		parent = segs[len(segs)-2]
	}
	switch {
	case last == "requestBody":
		return "requestBodies"
	case last == "schema" || last == "items" || last == "not" || last == "additionalProperties":
		return "schemas"
	case parent == "parameters" && !(len(segs) == 3 && segs[0] == "components"):
		return "parameters"
	case parent == "responses" && len(segs) >= 3:
		return "responses"
	case parent == "properties" || parent == "allOf" || parent == "oneOf" || parent == "anyOf":
		return "schemas"
	}
	return ""
}

func sectionNoun(section string) string {
	switch section {
	case "schemas":
		return "schema"
	case "parameters":
		return "parameter"
	case "requestBodies":
		return "request body"
	case "responses":
		return "response"
	case "headers":
		return "header"
	case "securitySchemes":
		return "security scheme"
	case "examples":
		return "example"
	}
	return section
}

var badRefData = regexp.MustCompile(`bad data in "([^"]*)" \(expecting ref to ([a-z ]+) object\)`)

// badRefErrors places kin-openapi's "bad data in <ref>" error at the
// references it names, when refKindErrors did not explain it (a schema
// that refers to "#/paths").
func (l *loadState) badRefErrors(kinErr string) Diagnostics {
	m := badRefData.FindStringSubmatch(kinErr)
	if m == nil {
		return nil
	}
	var out Diagnostics
	for _, r := range l.targets {
		if !r.site.mapping && r.site.ref == m[1] {
			l.siteDiag(r.site, CodeSpecInvalid, SeverityError, fmt.Sprintf("$ref %q: a %s belongs here, and what it refers to is not one", m[1], m[2]), "")
			out = append(out, l.diags[len(l.diags)-1])
			l.diags = l.diags[:len(l.diags)-1]
		}
	}
	return out
}
