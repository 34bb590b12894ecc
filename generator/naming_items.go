package generator

import (
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// namePageItems gives the items of every paged list a type of its own when
// the spec writes them in place: a pager's element type is what a user
// names most (a loop variable passed to a function, a slice to collect
// into), and oapi-codegen would make it an anonymous struct, spelled out
// in the method's signature. The name is the list's field made singular
// (deployments → Deployment), else the operation's stem and Item
// (GetDeploymentsItem) when that is taken or the field says nothing
// (data, items). It runs after the components and stems have their names,
// which win, and before the walk, which names what the items hold after
// them (DeploymentState).
func (nm *naming) namePageItems() {
	seen := map[*openapi3.Schema]bool{}
	for _, o := range nm.ops {
		list := o.paging.items
		if list == nil || list.Items == nil {
			continue
		}
		edge := list.Items
		s := edge.Value
		if edge.Ref != "" || s == nil || len(s.Properties) == 0 || s.AllOf != nil || s.OneOf != nil || s.AnyOf != nil ||
			hasAP(s) || seen[s] || edge.Extensions["x-go-type-name"] != nil || s.Extensions["x-go-type"] != nil {
			continue
		}
		seen[s] = true
		field := o.paging.pg.Items
		if i := strings.LastIndexByte(field, '.'); i >= 0 {
			field = field[i+1:]
		}
		var candidates []string
		if !genericItemsNames[normWord(field)] {
			if one := singular(nm.goName(field)); one != "" {
				candidates = append(candidates, nm.rename("type", one))
			}
		}
		candidates = append(candidates, nm.rename("type", o.stem+"Item"))
		name := nm.claimNoted(o.ptr, "the items of "+o.stem, candidates...)
		nm.setExt(&edge.Extensions, "x-go-type-name", name)
	}
}

// genericItemsNames are the fields of a page whose name says nothing of
// what the items are.
var genericItemsNames = map[string]bool{
	"": true, "data": true, "items": true, "results": true, "entries": true, "values": true, "records": true,
	"elements": true, "list": true, "content": true, "objects": true, "rows": true, "hits": true, "nodes": true,
	"edges": true, "resources": true, "collection": true, "value": true, "result": true, "matches": true,
}

// singular is an exported Go name whose last word is made singular
// (ListedDeployments → ListedDeployment, Aliases → Alias, Policies →
// Policy, Statuses → Status), or "" when its last word does not read as a
// plural.
func singular(name string) string {
	lower := strings.ToLower(name)
	has := func(suffixes ...string) bool {
		for _, s := range suffixes {
			if strings.HasSuffix(lower, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("ss", "us", "is", "news", "series", "species"):
		return ""
	case has("movies", "cookies", "caches", "niches"):
		return name[:len(name)-1]
	case has("ies") && len(name) > 4:
		return name[:len(name)-3] + "y"
	case has("sses", "shes", "ches", "xes", "zzes", "iases", "tuses", "nuses", "puses", "ruses", "buses"):
		return name[:len(name)-2]
	case has("s") && len(name) > 1:
		return name[:len(name)-1]
	}
	return ""
}
