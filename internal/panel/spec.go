package panel

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/sdkgen-go/sdkgen/openapi"
)

// SpecOperation is what the panel reads of one operation of a spec: enough
// to match labels to generated code and to judge a generated pager whose
// style differs from the label.
type SpecOperation struct {
	ID     string `json:"id,omitempty"`
	Method string `json:"method"`
	Path   string `json:"path"`
	// Supports lists the generated styles (GenCursor, GenOffset, ...) that
	// the operation's query parameters and responses support, by the
	// rules of [Supports].
	Supports []string `json:"supports,omitempty"`
}

// Shape is the part of an operation that decides which pagination styles
// it supports.
type Shape struct {
	// Query are its query parameters: name and whether the schema is an
	// integer or number.
	Query map[string]bool
	// Body are the properties of its success response bodies (JSON media
	// types; 2xx responses, or default when there is none), nested
	// objects included, as paths of names ("response_metadata.next_cursor"),
	// with whether the property is a string.
	Body map[string]bool
	// Headers are the headers of its success responses, lower case.
	Headers []string
}

// Names the rules of Supports recognise, compared after norm (lower case;
// '_', '-', '.', '[', ']' and spaces removed).
var (
	offsetParams = []string{"offset", "skip", "start", "startindex", "startat", "from", "pageoffset"}
	pageParams   = []string{"page", "pagenumber", "pageno", "pagenum", "pageindex"}
	cursorParams = []string{"cursor", "after", "startingafter", "pagetoken", "nextpagetoken", "nexttoken",
		"marker", "continuation", "continuationtoken", "pagecursor", "pageafter", "starttoken", "offset"}
	// cursorBody are parts of the names of body fields that carry a cursor
	// (next_cursor, cursors.after, next_marker, next_page_token).
	cursorBody = []string{"cursor", "token", "marker", "continuation", "after"}
	// nextURLBody are names of string body fields that carry the URL of
	// the next page; a url, uri, href or link field inside an object whose
	// name holds "next" does too (next_page.uri).
	nextURLBody = []string{"next", "nexturl", "nextpage", "nextpageurl", "nextpageuri", "nextlink",
		"nexthref", "odatanextlink", "nextpagelink"}
	urlFields = []string{"url", "uri", "href", "link"}
)

func norm(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', '.', '[', ']', ' ':
			return -1
		}
		return r
	}, strings.ToLower(s))
}

// Supports returns the generated styles an operation of this shape
// supports, sorted:
//   - offset: an integer query parameter offset, skip, start, start_index,
//     start_at, from or page[offset];
//   - page: an integer query parameter page, page_number, page_no,
//     page_num or page_index;
//   - cursor: a query parameter that is not a number, named cursor,
//     after, starting_after, page_token, next_page_token, next_token,
//     marker, continuation(_token), page_cursor, page[after], start_token
//     or offset (not token, which is Slack's credential), and a body field
//     whose name holds cursor, token, marker, continuation or after, or a
//     string offset;
//   - next-url-body: a string body field next, next_url, next_page,
//     next_page_url, next_page_uri, next_link, next_href, @odata.nextLink
//     or next_page_link, or a url, uri, href or link field of an object
//     whose name holds next;
//   - link-header: a Link response header.
func (s Shape) Supports() []string {
	var out []string
	hasParam := func(names []string, integer bool) bool {
		for name, isInt := range s.Query {
			if isInt == integer && slices.Contains(names, norm(name)) {
				return true
			}
		}
		return false
	}
	if hasParam(offsetParams, true) {
		out = append(out, GenOffset)
	}
	if hasParam(pageParams, true) {
		out = append(out, GenPage)
	}
	nextURL, cursor := false, false
	for p, isString := range s.Body {
		names := strings.Split(p, ".")
		last := norm(names[len(names)-1])
		parent := ""
		if len(names) > 1 {
			parent = norm(names[len(names)-2])
		}
		if isString && (slices.Contains(nextURLBody, last) || slices.Contains(urlFields, last) && strings.Contains(parent, "next")) {
			nextURL = true
		}
		if slices.ContainsFunc(cursorBody, func(c string) bool { return strings.Contains(last, c) }) ||
			isString && (last == "offset" || last == "nextoffset") {
			cursor = true
		}
	}
	if cursor && hasParam(cursorParams, false) {
		out = append(out, GenCursor)
	}
	if nextURL {
		out = append(out, GenNextURLBody)
	}
	if slices.Contains(s.Headers, "link") {
		out = append(out, GenLinkHeader)
	}
	slices.Sort(out)
	return out
}

// ReadSpec loads a spec (any version the project loads) and reads its
// operations.
func ReadSpec(ctx context.Context, file string) ([]SpecOperation, error) {
	doc, diags := openapi.Load(ctx, file, openapi.LoadOptions{})
	if doc == nil {
		return nil, fmt.Errorf("loading %s: %v", file, diags.Err())
	}
	t, err := doc.OpenAPI()
	if err != nil {
		return nil, err
	}
	var ops []SpecOperation
	if t.Paths == nil {
		return nil, nil
	}
	for _, p := range slices.Sorted(maps.Keys(t.Paths.Map())) {
		item := t.Paths.Value(p)
		methods := item.Operations()
		for _, m := range slices.Sorted(maps.Keys(methods)) {
			op := methods[m]
			shape := OperationShape(item, op)
			ops = append(ops, SpecOperation{ID: op.OperationID, Method: strings.ToUpper(m), Path: p, Supports: shape.Supports()})
		}
	}
	return ops, nil
}

// OperationShape reads the shape of an operation of a path item.
func OperationShape(item *openapi3.PathItem, op *openapi3.Operation) Shape {
	s := Shape{Query: map[string]bool{}, Body: map[string]bool{}}
	for _, params := range []openapi3.Parameters{item.Parameters, op.Parameters} {
		for _, pr := range params {
			if pr == nil || pr.Value == nil || pr.Value.In != openapi3.ParameterInQuery {
				continue
			}
			isInt := false
			if pr.Value.Schema != nil && pr.Value.Schema.Value != nil {
				t := pr.Value.Schema.Value.Type
				isInt = t.Includes("integer") || t.Includes("number")
			}
			s.Query[pr.Value.Name] = isInt
		}
	}
	if op.Responses == nil {
		return s
	}
	var success []*openapi3.ResponseRef
	for code, r := range op.Responses.Map() {
		if strings.HasPrefix(code, "2") {
			success = append(success, r)
		}
	}
	if len(success) == 0 {
		if d := op.Responses.Default(); d != nil {
			success = append(success, d)
		}
	}
	for _, r := range success {
		if r == nil || r.Value == nil {
			continue
		}
		for h := range r.Value.Headers {
			if !slices.Contains(s.Headers, strings.ToLower(h)) {
				s.Headers = append(s.Headers, strings.ToLower(h))
			}
		}
		for mt, c := range r.Value.Content {
			if strings.Contains(mt, "json") && c.Schema != nil {
				bodyFields(s.Body, "", c.Schema.Value, 0, map[*openapi3.Schema]bool{})
			}
		}
	}
	slices.Sort(s.Headers)
	return s
}

// maxBodyDepth is how deep bodyFields looks into nested objects.
const maxBodyDepth = 4

// bodyFields adds the properties of schema (and of its allOf, oneOf and
// anyOf members) to fields, under prefix, and those of nested objects
// (not of array items) down to maxBodyDepth.
func bodyFields(fields map[string]bool, prefix string, schema *openapi3.Schema, depth int, seen map[*openapi3.Schema]bool) {
	if schema == nil || depth >= maxBodyDepth || seen[schema] {
		return
	}
	seen[schema] = true
	defer delete(seen, schema)
	for _, members := range []openapi3.SchemaRefs{schema.AllOf, schema.OneOf, schema.AnyOf} {
		for _, m := range members {
			if m != nil {
				bodyFields(fields, prefix, m.Value, depth, seen)
			}
		}
	}
	for name, p := range schema.Properties {
		if p == nil || p.Value == nil {
			continue
		}
		full := prefix + name
		isString := p.Value.Type.Includes("string") || stringMembers(p.Value)
		fields[full] = fields[full] || isString
		bodyFields(fields, full+".", p.Value, depth+1, seen)
	}
}

// stringMembers reports whether a schema without a type is a union or
// intersection with a string member (a nullable reference written as
// anyOf: [{$ref}, {type: null}] included).
func stringMembers(s *openapi3.Schema) bool {
	for _, members := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, m := range members {
			if m != nil && m.Value != nil && m.Value.Type.Includes("string") {
				return true
			}
		}
	}
	return false
}
