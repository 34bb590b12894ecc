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
		pg := o.paging.pg
		if pg == nil || pg.Style == "none" {
			continue
		}
		_, schema, _ := successShape(o.op)
		list := schemaAt(schema, pg.Items)
		if list == nil || list.Value == nil || list.Value.Items == nil {
			continue
		}
		edge := list.Value.Items
		s := edge.Value
		if edge.Ref != "" || s == nil || len(s.Properties) == 0 || s.AllOf != nil || s.OneOf != nil || s.AnyOf != nil ||
			hasAP(s) || seen[s] || edge.Extensions["x-go-type-name"] != nil || s.Extensions["x-go-type"] != nil {
			continue
		}
		seen[s] = true
		field := pg.Items
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

// schemaAt follows a dotted path of properties from a schema (through
// allOf members), "" being the schema itself; nil when a step is missing.
func schemaAt(ref *openapi3.SchemaRef, path string) *openapi3.SchemaRef {
	if path == "" || ref == nil {
		return ref
	}
	for step := range strings.SplitSeq(path, ".") {
		ref = propertyOf(ref, step)
		if ref == nil {
			return nil
		}
	}
	return ref
}

// propertyOf is the property name of a schema or of one of its allOf
// members.
func propertyOf(ref *openapi3.SchemaRef, name string) *openapi3.SchemaRef {
	if ref == nil || ref.Value == nil {
		return nil
	}
	if p := ref.Value.Properties[name]; p != nil {
		return p
	}
	for _, m := range ref.Value.AllOf {
		if p := propertyOf(m, name); p != nil {
			return p
		}
	}
	return nil
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
