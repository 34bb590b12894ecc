package generator

import (
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/sdkgen-go/sdkgen/generator/ir"
)

// Security schemes become option constructors of the generated package
// (WithAPIKey(key), WithPetstoreAuth(ts), ...), built on package sdk's
// scheme-bound auth options, so each credential goes only to the
// operations whose security requirements name its scheme. OAuth2 flows and
// OpenID Connect schemes also get a function returning the client
// configuration (sdk/auth.Config) with the spec's URLs, to pass to the
// grants of package sdk/auth.

// schemes makes an option constructor for each security scheme, under the
// names the naming pass gave them.
func (b *builder) schemes() []*ir.Scheme {
	t := b.t
	if t.Components == nil {
		return nil
	}
	base := ""
	if len(t.Servers) > 0 && t.Servers[0] != nil {
		base = expandServer(t.Servers[0])
	}
	var out []*ir.Scheme
	for _, n := range slices.Sorted(maps.Keys(t.Components.SecuritySchemes)) {
		ref := t.Components.SecuritySchemes[n]
		if ref == nil || ref.Value == nil {
			continue
		}
		ss := ref.Value
		sc := &ir.Scheme{Name: n, Option: b.fn.scheme[n], DocLines: commentLines(ss.Description)}
		switch {
		case ss.Type == "apiKey":
			sc.Kind, sc.ParamName = "apiKey", ss.Name
			switch ss.In {
			case "query":
				sc.In = "query"
			case "cookie":
				sc.In = "cookie"
			default:
				sc.In = "header"
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
		if f := ss.Flows; ss.Type == "oauth2" && f != nil {
			if cc := f.ClientCredentials; cc != nil && cc.TokenURL != "" {
				sc.Flows = append(sc.Flows, &ir.Flow{Func: b.fn.flow[n+"\x00clientCredentials"], Kind: "clientCredentials",
					TokenURL: resolveURL(base, cc.TokenURL), Scopes: scopes(cc.Scopes)})
			}
			if ac := f.AuthorizationCode; ac != nil && ac.TokenURL != "" {
				sc.Flows = append(sc.Flows, &ir.Flow{Func: b.fn.flow[n+"\x00authorizationCode"], Kind: "authorizationCode",
					TokenURL: resolveURL(base, ac.TokenURL), AuthURL: resolveURL(base, ac.AuthorizationURL), Scopes: scopes(ac.Scopes)})
			}
		}
		if ss.Type == "openIdConnect" && ss.OpenIdConnectUrl != "" {
			sc.OIDC = &ir.Flow{Func: b.fn.flow[n+"\x00openIdConnect"], Kind: "openIdConnect", DiscoveryURL: resolveURL(base, ss.OpenIdConnectUrl)}
		}
		out = append(out, sc)
	}
	return out
}

func scopes(m map[string]string) []ir.Scope {
	out := make([]ir.Scope, 0, len(m))
	for name, d := range m {
		out = append(out, ir.Scope{Name: oneLine(name), Description: oneLine(d)})
	}
	slices.SortFunc(out, func(a, b ir.Scope) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// resolveURL resolves a URL of the spec (OpenAPI 3.1 allows them relative)
// against the first server's.
func resolveURL(base, ref string) string {
	if ref == "" || base == "" {
		return ref
	}
	r, err := url.Parse(ref)
	if err != nil || r.IsAbs() {
		return ref
	}
	b, err := url.Parse(base)
	if err != nil || !b.IsAbs() {
		return ref
	}
	return b.ResolveReference(r).String()
}
