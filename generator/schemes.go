package generator

import (
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Security schemes become option constructors of the generated package
// (WithApiKey(key), WithPetstoreAuth(ts), ...), built on package sdk's
// scheme-bound auth options, so each credential goes only to the
// operations whose security requirements name its scheme.

type schemeIR struct {
	Name      string // in the spec
	Option    string // generated option constructor
	Kind      string // apiKey, bearer, basic, token
	In        string // sdk.InHeader...
	ParamName string
	DocLines  []string
}

// buildSchemes makes an option constructor for each security scheme.
func buildSchemes(t *openapi3.T, syms *symbols) []*schemeIR {
	if t.Components == nil {
		return nil
	}
	names := make([]string, 0, len(t.Components.SecuritySchemes))
	for n := range t.Components.SecuritySchemes {
		names = append(names, n)
	}
	slices.Sort(names)
	var out []*schemeIR
	for _, n := range names {
		ref := t.Components.SecuritySchemes[n]
		if ref == nil || ref.Value == nil {
			continue
		}
		ss := ref.Value
		sc := &schemeIR{Name: n}
		desc := commentLines(ss.Description)
		switch {
		case ss.Type == "apiKey":
			sc.Kind, sc.ParamName = "apiKey", ss.Name
			switch ss.In {
			case "query":
				sc.In = "sdk.InQuery"
			case "cookie":
				sc.In = "sdk.InCookie"
			default:
				sc.In = "sdk.InHeader"
			}
		case ss.Type == "http" && strings.EqualFold(ss.Scheme, "basic"):
			sc.Kind = "basic"
		case ss.Type == "http":
			sc.Kind = "bearer"
		case ss.Type == "oauth2" || ss.Type == "openIdConnect":
			sc.Kind = "token"
		default:
			continue
		}
		sc.Option = syms.claim("With"+goName(n), "With"+goName(n)+"Auth")
		sc.DocLines = desc
		out = append(out, sc)
	}
	return out
}
