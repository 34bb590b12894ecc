package generator

import (
	"strings"
	"testing"

	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

// pathExpr renders segments as the request builders' template does.
func pathExpr(path string, params []codegen.ParameterDefinition) string {
	var names []string
	for _, p := range params {
		names = append(names, p.ParamName)
	}
	var parts []string
	for _, s := range pathSegments(path, names) {
		if s.Param {
			parts = append(parts, "pathParam"+string(rune('0'+s.Index)))
		} else {
			parts = append(parts, codegen.StringToGoString(s.Lit))
		}
	}
	return strings.Join(parts, " + ")
}

// Paths are built by concatenation, by name: a parameter used twice, a
// literal % and a placeholder no parameter names all come out as written.
func TestPathExpr(t *testing.T) {
	params := func(names ...string) []codegen.ParameterDefinition {
		var ps []codegen.ParameterDefinition
		for _, n := range names {
			ps = append(ps, codegen.ParameterDefinition{ParamName: n})
		}
		return ps
	}
	for _, tc := range []struct {
		path   string
		params []codegen.ParameterDefinition
		want   string
	}{
		{"/pets", nil, `"/pets"`},
		{"/pets/{petId}", params("petId"), `"/pets/" + pathParam0`},
		{"/pets/{petId}/photos", params("petId"), `"/pets/" + pathParam0 + "/photos"`},
		{"/{a}{b}", params("b", "a"), `"/" + pathParam1 + pathParam0`},
		{"/regions/{location}/zones/{location}/servers/{server}", params("location", "server"),
			`"/regions/" + pathParam0 + "/zones/" + pathParam0 + "/servers/" + pathParam1`},
		{"/100%/{id}", params("id"), `"/100%/" + pathParam0`},
		{"/orphan/{missing}/{id}", params("id"), `"/orphan/{missing}/" + pathParam0`},
		{"/odd/{unclosed", params("unclosed"), `"/odd/{unclosed"`},
		{`/quote"d/{id}`, params("id"), `"/quote\"d/" + pathParam0`},
		{"", nil, `""`},
	} {
		if got := pathExpr(tc.path, tc.params); got != tc.want {
			t.Errorf("pathExpr(%q) = %s, want %s", tc.path, got, tc.want)
		}
	}
}
