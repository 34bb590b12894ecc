package openapi

import (
	"fmt"
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
