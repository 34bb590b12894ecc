package generator

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Security schemes become option constructors of the generated package
// (WithApiKey(key), WithPetstoreAuth(ts), ...), built on package sdk's
// scheme-bound auth options, so each credential goes only to the
// operations whose security requirements name its scheme. OAuth2 flows and
// OpenID Connect schemes also get a function returning the client
// configuration (sdk/auth.Config) with the spec's URLs, to pass to the
// grants of package sdk/auth.

type schemeIR struct {
	Name      string // in the spec
	Option    string // generated option constructor
	Kind      string // apiKey, bearer, basic, token
	In        string // sdk.InHeader...
	ParamName string
	DocLines  []string
	// OAuth2 flows the SDK can run (client credentials, authorization
	// code), and OpenID Connect discovery.
	Flows []*flowIR
	OIDC  *flowIR
}

// flowIR is a generated configuration function for one OAuth2 flow or an
// OpenID Connect scheme.
type flowIR struct {
	Func         string // generated function
	Kind         string // clientCredentials, authorizationCode, openIdConnect
	TokenURL     string
	AuthURL      string
	DiscoveryURL string
	Scopes       []scopeIR
}

type scopeIR struct{ Name, Description string }

// buildSchemes makes an option constructor for each security scheme.
func buildSchemes(t *openapi3.T, syms *symbols) []*schemeIR {
	if t.Components == nil {
		return nil
	}
	base := ""
	if len(t.Servers) > 0 && t.Servers[0] != nil {
		base = expandServer(t.Servers[0])
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
		switch ss.Type {
		case "oauth2":
			sc.Flows = oauthFlows(ss.Flows, goName(n), base, syms)
		case "openIdConnect":
			if ss.OpenIdConnectUrl != "" {
				sc.OIDC = &flowIR{
					Func:         syms.claim(goName(n)+"OpenIDConnect", goName(n)+"OpenIDConnectConfig"),
					Kind:         "openIdConnect",
					DiscoveryURL: resolveURL(base, ss.OpenIdConnectUrl),
				}
			}
		}
		out = append(out, sc)
	}
	return out
}

// oauthFlows returns the flows the SDK can run: client credentials, and
// authorization code (whose tokens it refreshes). The implicit and password
// flows are left out (OAuth 2.1 drops both).
func oauthFlows(flows *openapi3.OAuthFlows, name, base string, syms *symbols) []*flowIR {
	if flows == nil {
		return nil
	}
	var out []*flowIR
	if f := flows.ClientCredentials; f != nil && f.TokenURL != "" {
		out = append(out, &flowIR{
			Func:     syms.claim(name+"ClientCredentials", name+"ClientCredentialsConfig"),
			Kind:     "clientCredentials",
			TokenURL: resolveURL(base, f.TokenURL),
			Scopes:   scopes(f.Scopes),
		})
	}
	if f := flows.AuthorizationCode; f != nil && f.TokenURL != "" {
		out = append(out, &flowIR{
			Func:     syms.claim(name+"AuthorizationCode", name+"AuthorizationCodeConfig"),
			Kind:     "authorizationCode",
			TokenURL: resolveURL(base, f.TokenURL),
			AuthURL:  resolveURL(base, f.AuthorizationURL),
			Scopes:   scopes(f.Scopes),
		})
	}
	return out
}

func scopes(m map[string]string) []scopeIR {
	out := make([]scopeIR, 0, len(m))
	for name, d := range m {
		out = append(out, scopeIR{Name: oneLine(name), Description: oneLine(d)})
	}
	slices.SortFunc(out, func(a, b scopeIR) int { return strings.Compare(a.Name, b.Name) })
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

// ScopeArg is the first scope as a Go argument (", \"read:pets\""), for
// examples in doc comments.
func (f *flowIR) ScopeArg() string {
	if len(f.Scopes) == 0 {
		return ""
	}
	return fmt.Sprintf(", %q", f.Scopes[0].Name)
}
