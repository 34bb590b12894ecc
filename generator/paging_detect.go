package generator

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/sdkgen-go/sdkgen/internal/gotext"
	"github.com/sdkgen-go/sdkgen/openapi"
)

// Pagination is planned on the spec, before oapi-codegen runs: what sdkgen.yaml
// says (an operation's own block, then the first rule that matches it), the
// extensions the spec carries, and detection fill one plan per operation.
// Detection reads the shapes of the query parameters and of the success
// response together — the declared schema, and the response's example for
// what the schema leaves out — never a list of vendors. A field the plan
// reads that the schema does not declare (Slack documents its cursor only in
// examples; Asana's next_page is in prose, so sdkgen.yaml names it) is
// declared on the response schema, so the page type has it. After
// oapi-codegen, resolvePaging maps the plan's JSON paths to Go fields.

// pagePlan is the pagination planned for one operation.
type pagePlan struct {
	pg *Pagination
	// source says where pg comes from, for docs ("as sdkgen.yaml says",
	// "detected from …"); origin names it in notes.
	source, origin string
	// declared reports a pagination the user or the spec wrote for this
	// operation: when it cannot be used, that is a warning; a rule's or a
	// detection's misfit is a note.
	declared bool
	// unpaged says why a list-shaped operation got no pager, for its note.
	unpaged string
	// items is the schema of the list pg pages, when the response
	// declares it (namePageItems names what it holds).
	items *openapi3.Schema
}

// shape is what a response says of one value: its schema, and what its
// example shows beyond it.
type shape struct {
	kind   string // object, array, string, integer, number, boolean; "" unknown
	fields map[string]*shape
	order  []string
	elem   *shape
	// schema is the declared schema, nil for a value only the example
	// shows; union marks a oneOf or anyOf, which is never extended.
	schema *openapi3.Schema
	union  bool
	// url reports a string the schema says is a URL (format uri or url,
	// or a description that speaks of one), or whose example is one.
	url bool
}

const shapeDepth = 5

// newShape reads a schema and its example.
func newShape(ref *openapi3.SchemaRef, example any, depth int) *shape {
	sh := &shape{fields: map[string]*shape{}}
	var s *openapi3.Schema
	if ref != nil {
		s = ref.Value
	}
	if s != nil {
		sh.schema = s
		sh.kind = jsonKindOf(s)
		sh.union = len(s.OneOf) > 0 || len(s.AnyOf) > 0
		if sh.kind == "string" {
			d := strings.ToLower(s.Description)
			sh.url = s.Format == "uri" || s.Format == "url" || strings.Contains(d, "url") || strings.Contains(d, "link") || strings.Contains(d, "uri")
		}
		if example == nil {
			example = s.Example
		}
	}
	if depth >= shapeDepth {
		return sh
	}
	switch sh.kind {
	case "object", "":
		if s != nil {
			eachProperty(s, func(name string, p *openapi3.SchemaRef) {
				if _, ok := sh.fields[name]; !ok {
					sh.order = append(sh.order, name)
				}
				sh.fields[name] = newShape(p, exampleField(example, name), depth+1)
			})
		}
	case "array":
		if s != nil && s.Items != nil {
			sh.elem = newShape(s.Items, exampleElem(example), depth+1)
		}
	}
	if sh.union {
		return sh
	}
	// What the example shows and the schema does not.
	switch ex := example.(type) {
	case map[string]any:
		if sh.kind != "object" && sh.kind != "" {
			return sh
		}
		if s != nil && s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has {
			return sh // the schema says the example's other fields cannot be
		}
		sh.kind = "object"
		for _, k := range slices.Sorted(maps.Keys(ex)) {
			if _, ok := sh.fields[k]; !ok && gotext.PropertyName(k) {
				sh.fields[k] = newShape(nil, ex[k], depth+1)
				sh.order = append(sh.order, k)
			}
		}
	case []any:
		if sh.kind == "" {
			sh.kind = "array"
		}
		if sh.kind == "array" && sh.elem == nil {
			sh.elem = newShape(nil, exampleElem(ex), depth+1)
		}
	case string:
		if sh.kind == "" {
			sh.kind = "string"
		}
		sh.url = sh.url || strings.HasPrefix(ex, "http://") || strings.HasPrefix(ex, "https://") || strings.HasPrefix(ex, "/")
	case bool:
		if sh.kind == "" {
			sh.kind = "boolean"
		}
	case float64:
		if sh.kind == "" {
			sh.kind = "number"
			if ex == math.Trunc(ex) {
				sh.kind = "integer"
			}
		}
	case int, int64, uint64:
		if sh.kind == "" {
			sh.kind = "integer"
		}
	}
	return sh
}

func exampleField(ex any, name string) any {
	if m, ok := ex.(map[string]any); ok {
		return m[name]
	}
	return nil
}

func exampleElem(ex any) any {
	if a, ok := ex.([]any); ok && len(a) > 0 {
		return a[0]
	}
	return nil
}

// jsonKindOf is a schema's one JSON type ("null" aside), object for a
// schema with properties or allOf, "" when it says none.
func jsonKindOf(s *openapi3.Schema) string {
	if s.Type != nil {
		for _, t := range s.Type.Slice() {
			if t != "null" {
				return t
			}
		}
	}
	if len(s.Properties) > 0 || len(s.AllOf) > 0 {
		return "object"
	}
	if s.Items != nil {
		return "array"
	}
	return ""
}

// eachProperty calls f for the properties of s and of its allOf members.
func eachProperty(s *openapi3.Schema, f func(string, *openapi3.SchemaRef)) {
	var walk func(s *openapi3.Schema, depth int)
	walk = func(s *openapi3.Schema, depth int) {
		if s == nil || depth > 8 {
			return
		}
		for _, m := range s.AllOf {
			if m != nil {
				walk(m.Value, depth+1)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
			f(name, s.Properties[name])
		}
	}
	walk(s, 0)
}

// at returns the shape at a dotted path, or nil.
func (sh *shape) at(p string) *shape {
	if p == "" {
		return sh
	}
	for _, seg := range strings.Split(p, ".") {
		if sh == nil || sh.fields == nil {
			return nil
		}
		sh = sh.fields[seg]
	}
	return sh
}

// declared reports whether the schema declares every step of a path.
func (sh *shape) declared(p string) bool {
	if p == "" {
		return sh.schema != nil
	}
	for _, seg := range strings.Split(p, ".") {
		if sh == nil || sh.schema == nil {
			return false
		}
		sh = sh.fields[seg]
	}
	return sh != nil && sh.schema != nil
}

// normWord is a name without case and separators: next_page_token,
// nextPageToken and next-page-token are all nextpagetoken.
func normWord(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// The names pagination reads, normalized by normWord.
var (
	// Query parameters.
	cursorParamNames = []string{"cursor", "after", "startingafter", "pagetoken", "marker", "nexttoken", "continuationtoken",
		"continuation", "pagecursor", "startcursor", "nextpagetoken", "skiptoken", "scrollid", "searchafter", "pagekey",
		"startkey", "exclusivestartkey", "lastkey", "nextcursor", "afterid", "next", "token", "offset", "from", "since", "start",
		"until", "before"}
	offsetParamNames = []string{"offset", "skip", "start", "startindex", "startat", "from", "first", "startrow"}
	pageParamNames   = []string{"page", "pagenumber", "pageno", "pagenum", "pageindex", "pg"}
	sizeParamNames   = []string{"limit", "perpage", "pagesize", "count", "size", "maxresults", "top", "max", "pagelimit",
		"rows", "itemsperpage", "maxitems", "numresults", "per", "pagelength", "maxpagesize", "resultsperpage"}
	// Fields of the page.
	nextCursorNames = []string{"nextcursor", "nextpagetoken", "nexttoken", "nextmarker", "nextpagecursor", "continuationtoken",
		"nextcontinuationtoken", "endcursor", "nextkey", "nextpagekey", "cursornext", "nextoffset", "lastevaluatedkey",
		"scrollid", "nextpageoffset", "nextstartingafter", "nextafter"}
	cursorParentNames = []string{"cursors", "cursor", "nextpage", "next", "pageinfo", "paging", "pagination", "meta",
		"responsemetadata", "metadata", "links", "page"}
	cursorLeafNames = []string{"after", "next", "cursor", "offset", "token", "marker", "nextcursor", "endcursor"}
	hasMoreNames    = []string{"hasmore", "hasnext", "hasnextpage", "more", "hasmoreitems", "moreresults", "hasmoreresults", "moreitems", "nextpageexists"}
	totalNames      = []string{"total", "totalcount", "totalresults", "totalitems", "totalsize", "totalrecords", "totalentries",
		"totalelements", "totalhits", "results", "count", "numfound", "totalnumber"}
	totalPagesNames = []string{"totalpages", "pages", "pagecount", "numpages", "lastpage", "totalpage", "pagestotal", "numberofpages", "pagetotal"}
	nextURLNames    = []string{"nexturl", "nextpage", "nextpageurl", "nextpageuri", "nextlink", "odatanextlink", "nexthref",
		"nextpagelink", "nexturi", "nextpagepath"}
	headerCursorNames = []string{"xnextcursor", "nextcursor", "xnextpagetoken", "nextpagetoken", "xcontinuationtoken",
		"xcontinuation", "xnexttoken", "xpaginationnextcursor", "xnextpagecursor", "xcursornext", "xnextmarker", "xpagenext"}
	itemsNames = []string{"data", "items", "results", "entries", "values", "records", "elements", "list", "content",
		"objects", "rows", "hits", "nodes", "edges", "resources", "collection", "value", "result", "matches"}
)

// qparam is a query parameter as pagination sees it.
type qparam struct {
	name, norm string
	kind       string // string, int (integer or number), or another JSON type
	// first is the parameter's default when it is a whole number.
	first *int
	// time reports a parameter that is a point in time (its format, or a
	// description that says so), never an offset or a page, whatever its
	// name: Vercel's from is "the deployment created after this Date
	// timestamp".
	time bool
}

// isTimeParam reports a parameter whose format or description says it is
// a point in time.
func isTimeParam(p *openapi3.Parameter) bool {
	desc := p.Description
	if s := p.Schema; s != nil && s.Value != nil {
		switch s.Value.Format {
		case "date", "date-time", "unix-time", "timestamp", "time":
			return true
		}
		desc += " " + s.Value.Description
	}
	desc = strings.ToLower(desc)
	return strings.Contains(desc, "timestamp") || strings.Contains(desc, "epoch") || strings.Contains(desc, "unix time")
}

// queryParams lists an operation's query parameters (its own over its
// path item's).
func queryParams(item *openapi3.PathItem, op *openapi3.Operation) []qparam {
	var out []qparam
	seen := map[string]bool{}
	for _, params := range []openapi3.Parameters{op.Parameters, item.Parameters} {
		for _, p := range params {
			if p == nil || p.Value == nil || p.Value.In != openapi3.ParameterInQuery || seen[p.Value.Name] {
				continue
			}
			seen[p.Value.Name] = true
			kind := ""
			if p.Value.Schema != nil && p.Value.Schema.Value != nil {
				kind = jsonKindOf(p.Value.Schema.Value)
			}
			if kind == "integer" || kind == "number" {
				kind = "int"
			}
			q := qparam{name: p.Value.Name, norm: normWord(p.Value.Name), kind: kind, time: isTimeParam(p.Value)}
			if p.Value.Schema != nil && p.Value.Schema.Value != nil {
				if d, ok := p.Value.Schema.Value.Default.(float64); ok && d == math.Trunc(d) && d >= 0 && d < 1<<31 {
					q.first = ptrTo(int(d))
				}
			}
			out = append(out, q)
		}
	}
	return out
}

// signal is a scalar field of the page that may steer paging.
type signal struct {
	path       string
	last, prev string // normalized last and parent names
	kind       string
	url        bool
	depth      int
	// thisPage reports a field its description says counts the page
	// itself ("Amount of items in the current page"), not the whole list.
	thisPage bool
}

// pageSignals lists the scalar fields of the page, its metadata objects
// included, nearest first.
func pageSignals(root *shape) []signal {
	var out []signal
	var visit func(sh *shape, prefix, parent string, depth int)
	visit = func(sh *shape, prefix, parent string, depth int) {
		for _, name := range sh.order {
			f := sh.fields[name]
			p := prefix + name
			switch f.kind {
			case "string", "integer", "number", "boolean":
				out = append(out, signal{path: p, last: normWord(name), prev: parent, kind: f.kind, url: f.url, depth: depth, thisPage: countsThisPage(f)})
			case "object":
				if depth < 3 && !f.union {
					visit(f, p+".", normWord(name), depth+1)
				}
			}
		}
	}
	if root != nil && root.kind == "object" {
		visit(root, "", "", 0)
	}
	slices.SortStableFunc(out, func(a, b signal) int { return cmp.Compare(a.depth, b.depth) })
	return out
}

// countsThisPage reports a field whose description says it counts the
// page it is on.
func countsThisPage(sh *shape) bool {
	if sh.schema == nil {
		return false
	}
	d := strings.ToLower(sh.schema.Description)
	return strings.Contains(d, "current page") || strings.Contains(d, "this page") || strings.Contains(d, "in the page")
}

// findItems finds the list of a page: the body itself when it is an array,
// else its one array (of objects, preferably, or under a usual name), or
// the one array of one of its objects (Spotify's {"albums": {"items": …}}).
func findItems(root *shape) (string, bool) {
	if root == nil {
		return "", false
	}
	if root.kind == "array" {
		return "", true
	}
	if root.kind != "object" || isResource(root) {
		return "", false
	}
	if name, ok := chooseArray(root); ok {
		return name, true
	}
	var found []string
	for _, name := range root.order {
		f := root.fields[name]
		if f.kind != "object" || f.union || isResource(f) || !hasPagingField(f) {
			continue
		}
		if inner, ok := chooseArray(f); ok {
			found = append(found, name+"."+inner)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return "", false
}

// isResource reports an object that is one thing rather than a page of
// things: it has an identifier (a GET of one album whose tracks page, a
// volume with a list of tags).
func isResource(sh *shape) bool {
	for _, name := range sh.order {
		switch normWord(name) {
		case "id", "gid", "uuid", "sid", "guid":
			if k := sh.fields[name].kind; k == "string" || k == "integer" {
				return true
			}
		}
	}
	return false
}

// hasPagingField reports an object holding a field that pages: a total, a
// next link or cursor, an offset, a limit, a page.
func hasPagingField(sh *shape) bool {
	for _, name := range sh.order {
		n := normWord(name)
		if n == "next" || n == "offset" || n == "limit" || n == "page" || n == "cursors" || n == "paging" || n == "pagination" ||
			slices.Contains(totalNames, n) || slices.Contains(totalPagesNames, n) || slices.Contains(hasMoreNames, n) ||
			slices.Contains(nextCursorNames, n) || slices.Contains(nextURLNames, n) {
			return true
		}
	}
	return false
}

func chooseArray(sh *shape) (string, bool) {
	var arrays []string
	for _, name := range sh.order {
		if sh.fields[name].kind == "array" {
			arrays = append(arrays, name)
		}
	}
	switch len(arrays) {
	case 0:
		return "", false
	case 1:
		return arrays[0], true
	}
	// The schema's lists before the example's, lists of objects before
	// others, usual names before others.
	var declared []string
	for _, name := range arrays {
		if sh.fields[name].schema != nil {
			declared = append(declared, name)
		}
	}
	if len(declared) == 1 {
		return declared[0], true
	}
	if len(declared) > 1 {
		arrays = declared
	}
	var objects []string
	for _, name := range arrays {
		if e := sh.fields[name].elem; e != nil && e.kind == "object" {
			objects = append(objects, name)
		}
	}
	if len(objects) == 1 {
		return objects[0], true
	}
	for _, want := range itemsNames {
		for _, name := range arrays {
			if normWord(name) == want {
				return name, true
			}
		}
	}
	return "", false
}

// successShape returns the shape of an operation's success JSON body and
// its schema (nil when it has none), and the headers it declares.
func successShape(op *openapi3.Operation) (sh *shape, schema *openapi3.SchemaRef, headers []string) {
	if op.Responses == nil {
		return nil, nil, nil
	}
	codes := slices.Sorted(maps.Keys(op.Responses.Map()))
	for _, code := range codes {
		if !success(code) {
			continue
		}
		r := op.Responses.Value(code)
		if r == nil || r.Value == nil {
			continue
		}
		headers = slices.Sorted(maps.Keys(r.Value.Headers))
		var mt *openapi3.MediaType
		for _, ct := range slices.Sorted(maps.Keys(r.Value.Content)) {
			c := r.Value.Content[ct]
			if c == nil || !isJSONMedia(ct) {
				continue
			}
			if mt == nil || ct == "application/json" {
				mt = c
			}
		}
		if mt == nil || mt.Schema == nil {
			return nil, nil, nil
		}
		example := mt.Example
		if example == nil {
			for _, k := range slices.Sorted(maps.Keys(mt.Examples)) {
				if e := mt.Examples[k]; e != nil && e.Value != nil && e.Value.Value != nil {
					example = e.Value.Value
					break
				}
			}
		}
		return newShape(mt.Schema, example, 0), mt.Schema, headers
	}
	return nil, nil, nil
}

// detectSpec recognises how an operation pages from its query parameters
// and its success body; it returns nil and why not when it does not page.
// listShaped reports an operation that looks like a list (a list in the
// body and a paging parameter or field), whose missing pager deserves a
// note.
func detectSpec(params []qparam, root *shape, headers []string) (pg *Pagination, source string, why string, listShaped bool) {
	items, hasItems := findItems(root)
	if !hasItems {
		return nil, "", "", false
	}
	// findIf returns the first parameter of one of the names (in their
	// order) and kinds, points in time among them when time is set; find
	// looks among all the parameters, notTime among those that are not
	// points in time.
	findIf := func(names []string, time bool, kinds []string) *qparam {
		for _, want := range names {
			for i := range params {
				if params[i].norm == want && (time || !params[i].time) && (len(kinds) == 0 || slices.Contains(kinds, params[i].kind)) {
					return &params[i]
				}
			}
		}
		return nil
	}
	find := func(names []string, kinds ...string) *qparam { return findIf(names, true, kinds) }
	notTime := func(names []string, kinds ...string) *qparam { return findIf(names, false, kinds) }
	sigs := pageSignals(root)
	inItems := func(s signal) bool { return items != "" && strings.HasPrefix(s.path, items+".") }
	field := func(kinds []string, match func(s signal) bool) string {
		for _, s := range sigs {
			if slices.Contains(kinds, s.kind) && !inItems(s) && match(s) {
				return s.path
			}
		}
		return ""
	}
	named := func(names []string, kinds ...string) string {
		return field(kinds, func(s signal) bool { return slices.Contains(names, s.last) })
	}
	hasMore := named(hasMoreNames, "boolean")
	total := field([]string{"integer", "number"}, func(s signal) bool { return slices.Contains(totalNames, s.last) && !s.thisPage })
	totalPages := named(totalPagesNames, "integer", "number")
	nextURL := field([]string{"string"}, func(s signal) bool {
		switch {
		case slices.Contains(nextURLNames, s.last):
			return s.last != "nextpage" || s.url
		case s.last == "next":
			// next alone is a URL when the schema or example says so, or
			// when it sits in a links object.
			return s.url || s.prev == "links" || s.prev == "paging"
		case s.prev == "next" && (s.last == "href" || s.last == "url" || s.last == "uri"):
			return true
		}
		return false
	})
	// The cursor parameter and the field that gives its next value.
	var cursorParam *qparam
	cursorNext := ""
	for _, want := range cursorParamNames {
		p := find([]string{want}, "string", "int")
		if p == nil {
			continue
		}
		generic := want == "offset" || want == "from" || want == "since" || want == "start" || want == "token" || want == "next" ||
			want == "until" || want == "before"
		// A time window's end moved back page by page: Vercel's until
		// takes pagination.next, the timestamp of the next (older) page.
		// Only numbers: a string before is a backward cursor.
		window := (want == "until" || want == "before") && p.kind == "int"
		if p.kind == "int" && want != "after" && !window {
			continue // an integer is an offset or a page, or a time
		}
		next := field([]string{"string", "integer", "number"}, func(s signal) bool {
			switch {
			case s.last == "next"+p.norm:
				return true
			case s.last == p.norm && slices.Contains(cursorParentNames, s.prev):
				return true
			case !generic && slices.Contains(nextCursorNames, s.last):
				return true
			case !generic && slices.Contains(cursorLeafNames, s.last) && (s.prev == "cursors" || s.prev == "nextpage") && !s.url:
				return true
			case window && s.last == "next" && s.kind != "string" && slices.Contains(cursorParentNames, s.prev):
				return true
			}
			return false
		})
		if next == "" {
			continue
		}
		cursorParam, cursorNext = p, next
		break
	}
	link, cursorHeader := false, ""
	for _, h := range headers {
		switch n := normWord(h); {
		case n == "link":
			link = true
		case slices.Contains(headerCursorNames, n) && cursorHeader == "":
			cursorHeader = h
		}
	}
	offset := notTime(offsetParamNames, "int")
	page := notTime(pageParamNames, "int")
	if page == nil {
		// Slack declares page and count as strings of digits.
		if p := notTime(pageParamNames, "string"); p != nil && find(sizeParamNames) != nil && totalPages != "" {
			page = p
		}
	}
	size := find(sizeParamNames, "int", "string")
	cursorQ := find(cursorParamNames, "string")
	pg = &Pagination{Items: items}
	switch {
	case cursorParam != nil:
		pg.Style, pg.Cursor = "cursor", &CursorConfig{Param: cursorParam.name, Next: cursorNext}
		pg.HasMore = hasMore
		return pg, fmt.Sprintf("detected from the %s parameter and the %s field", cursorParam.name, cursorNext), "", true
	case cursorHeader != "" && cursorQ != nil:
		pg.Style, pg.Cursor = "cursor", &CursorConfig{Param: cursorQ.name, Header: cursorHeader}
		return pg, fmt.Sprintf("detected from the %s parameter and the %s response header", cursorQ.name, cursorHeader), "", true
	case cursorQ != nil && (cursorQ.norm == "startingafter" || cursorQ.norm == "afterid") && hasMore != "" && root.at(items) != nil &&
		root.at(items).elem != nil && root.at(items).elem.fields["id"] != nil:
		pg.Style, pg.HasMore, pg.Cursor = "cursor", hasMore, &CursorConfig{Param: cursorQ.name, From: "last-item.id"}
		return pg, fmt.Sprintf("detected from the %s parameter, the %s flag and the last item's id", cursorQ.name, hasMore), "", true
	case offset != nil && (total != "" || hasMore != "" || nextURL != ""):
		pg.Style, pg.Offset = "offset", &ParamConfig{Param: offset.name}
		pg.HasMore, pg.Total = hasMore, total
		if hasMore == "" && total == "" {
			pg.Next = nextURL
		}
		return pg, fmt.Sprintf("detected from the %s parameter and the %s field", offset.name, cmp.Or(total, hasMore, nextURL)), "", true
	case page != nil && (totalPages != "" || hasMore != ""):
		pg.Style, pg.Page = "page", &PageConfig{Param: page.name, Start: page.first}
		pg.HasMore, pg.TotalPages = hasMore, totalPages
		return pg, fmt.Sprintf("detected from the %s parameter and the %s field", page.name, cmp.Or(totalPages, hasMore)), "", true
	case nextURL != "":
		pg.Style, pg.Next = "next-url", nextURL
		return pg, fmt.Sprintf("detected from the next page's URL in %s", nextURL), "", true
	case link && (page != nil || offset != nil || size != nil || cursorQ != nil):
		return &Pagination{Style: "link", Items: items}, "detected from the Link response header", "", true
	case page != nil && nextCursorOrMore(sigs) == "":
		pg.Style, pg.Page = "page", &PageConfig{Param: page.name, Start: page.first}
		return pg, fmt.Sprintf("detected from the %s parameter; the pager stops at an empty page", page.name), "", true
	case offset != nil && size != nil:
		pg.Style, pg.Offset = "offset", &ParamConfig{Param: offset.name}
		return pg, fmt.Sprintf("detected from the %s and %s parameters; the pager stops at an empty page", offset.name, size.name), "", true
	}
	switch {
	case cursorQ != nil:
		return nil, "", fmt.Sprintf("a %s parameter, but no field of the response gives the next one", cursorQ.name), true
	case offset != nil:
		return nil, "", fmt.Sprintf("an %s parameter, but no limit parameter and no total, has-more or next field", offset.name), true
	case size != nil:
		return nil, "", fmt.Sprintf("a %s parameter, but nothing that says where the next page starts", size.name), true
	}
	return nil, "", "", false
}

// nextCursorOrMore is a field that says a page-number pager would be the
// wrong one (the API pages by a cursor the pager would not pass).
func nextCursorOrMore(sigs []signal) string {
	for _, s := range sigs {
		if slices.Contains(nextCursorNames, s.last) {
			return s.path
		}
	}
	return ""
}

// planPaging plans the pagination of every operation of the paths, and
// declares on the response schemas the fields the plans read that the
// schemas leave out.
func (nm *naming) planPaging() {
	rules := nm.cfg.Pagination
	for _, o := range nm.ops {
		if !o.inPaths {
			continue
		}
		id := cmp.Or(o.specID, o.op.OperationID)
		root, schema, headers := successShape(o.op)
		params := queryParams(o.item, o.op)
		var plan pagePlan
		if oc, ok := nm.cfg.Operations[id]; ok && oc.Pagination != nil {
			plan = pagePlan{pg: oc.Pagination, source: "as sdkgen.yaml says", origin: "sdkgen.yaml (operations." + id + ".pagination)", declared: true}
		} else if pg, src := specPagination(o.op); pg != nil {
			plan = pagePlan{pg: pg, source: "as " + src + " says", origin: src, declared: true}
		} else if r := matchRule(rules, id, o, params); r != nil {
			pg := r.Pagination
			rule := "pagination rule " + strconv.Itoa(r.index+1) + " of sdkgen.yaml"
			plan = pagePlan{pg: &pg, source: "as " + rule + " says", origin: rule}
			if pg.Items == "" {
				// A rule matches broadly (every operation with an offset
				// parameter); one whose response holds no list is not a
				// list to page.
				items, ok := findItems(root)
				if !ok {
					plan = pagePlan{}
				}
				pg.Items = items
			}
		} else if o.method != "GET" {
			// Detection pages reads only: a POST that returns a list is an
			// action (sdkgen.yaml can still page it).
		} else if pg, src, why, list := detectSpec(params, root, headers); pg != nil {
			plan = pagePlan{pg: pg, source: src, origin: "detection (" + src + ")"}
		} else if list {
			plan.unpaged = why
		}
		if plan.pg != nil && plan.pg.Style != "none" && root != nil {
			nm.declarePaging(o, root, schema, plan.pg)
			if list := root.at(plan.pg.Items); list != nil {
				plan.items = list.schema
			}
		}
		o.paging = plan
	}
}

// matchRule returns the first pagination rule that matches an operation.
func matchRule(rules []PaginationRule, id string, o *opName, params []qparam) *indexedRule {
	for i, r := range rules {
		m := r.Match
		ok := true
		if len(m.Operations) > 0 {
			ok = ok && slices.ContainsFunc(m.Operations, func(g string) bool { matched, _ := path.Match(g, id); return matched })
		}
		if len(m.Tags) > 0 {
			ok = ok && slices.ContainsFunc(m.Tags, func(t string) bool { return slices.Contains(o.op.Tags, t) })
		}
		if len(m.Paths) > 0 {
			ok = ok && slices.ContainsFunc(m.Paths, func(g string) bool { return pathGlob(g, o.path) })
		}
		if len(m.Methods) > 0 {
			ok = ok && slices.ContainsFunc(m.Methods, func(x string) bool { return strings.EqualFold(x, o.method) })
		} else {
			ok = ok && o.method == "GET"
		}
		for _, want := range m.Params {
			ok = ok && slices.ContainsFunc(params, func(p qparam) bool { return p.name == want })
		}
		if ok {
			return &indexedRule{PaginationRule: r, index: i}
		}
	}
	return nil
}

type indexedRule struct {
	PaginationRule
	index int
}

// pathGlob matches a path against a glob whose * matches within one
// segment and ** any number of segments.
func pathGlob(glob, p string) bool {
	gs, ps := strings.Split(strings.Trim(glob, "/"), "/"), strings.Split(strings.Trim(p, "/"), "/")
	var match func(gs, ps []string) bool
	match = func(gs, ps []string) bool {
		if len(gs) == 0 {
			return len(ps) == 0
		}
		if gs[0] == "**" {
			for i := 0; i <= len(ps); i++ {
				if match(gs[1:], ps[i:]) {
					return true
				}
			}
			return false
		}
		if len(ps) == 0 {
			return false
		}
		if ok, _ := path.Match(gs[0], ps[0]); !ok {
			return false
		}
		return match(gs[1:], ps[1:])
	}
	return match(gs, ps)
}

// specPagination reads the pagination an operation's extensions declare.
func specPagination(op *openapi3.Operation) (*Pagination, string) {
	if raw, ok := op.Extensions["x-sdkgen-pagination"]; ok {
		var pg Pagination
		if remarshal(raw, &pg) == nil && pg.Style != "" {
			return &pg, "x-sdkgen-pagination"
		}
	}
	if raw, ok := op.Extensions["x-speakeasy-pagination"]; ok {
		if pg := speakeasyPagination(raw); pg != nil {
			return pg, "x-speakeasy-pagination"
		}
	}
	if raw, ok := op.Extensions["x-fern-pagination"]; ok {
		if pg := fernPagination(raw); pg != nil {
			return pg, "x-fern-pagination"
		}
	}
	if raw, ok := op.Extensions["x-ms-pageable"]; ok {
		var v struct {
			NextLinkName *string `json:"nextLinkName"`
			ItemName     string  `json:"itemName"`
		}
		if remarshal(raw, &v) == nil && v.NextLinkName != nil && *v.NextLinkName != "" {
			return &Pagination{Style: "next-url", Items: cmp.Or(v.ItemName, "value"), Next: *v.NextLinkName}, "x-ms-pageable"
		}
	}
	return nil, ""
}

// declarePaging declares on the response schema the fields a plan reads
// that it does not declare: the items as a list of what the example shows
// (objects without declared fields stay free-form), the others as the
// example's scalars (strings when it shows none).
func (nm *naming) declarePaging(o *opName, root *shape, schema *openapi3.SchemaRef, pg *Pagination) {
	if schema == nil || schema.Value == nil || root.union {
		return
	}
	want := map[string]string{} // path → kind
	if pg.Items != "" {
		want[pg.Items] = "array"
	}
	for _, p := range []string{pg.HasMore, pg.Total, pg.TotalPages, pg.Next} {
		if p != "" {
			want[p] = ""
		}
	}
	if pg.Cursor != nil && pg.Cursor.Next != "" {
		want[pg.Cursor.Next] = ""
	}
	for _, p := range slices.Sorted(maps.Keys(want)) {
		if root.declared(p) || slices.ContainsFunc(strings.Split(p, "."), func(seg string) bool { return !gotext.PropertyName(seg) }) {
			continue
		}
		kind := want[p]
		if sh := root.at(p); sh != nil && sh.kind != "" && kind == "" {
			kind = sh.kind
		}
		switch {
		case p == pg.HasMore:
			kind = "boolean"
		case p == pg.Total || p == pg.TotalPages:
			kind = "integer"
		case kind == "" || kind == "object":
			kind = "string"
		}
		if declarePath(schema.Value, root, strings.Split(p, "."), kind) {
			nm.diags = append(nm.diags, pagingNote(o.ptr, fmt.Sprintf("%s: the response declares no %s; the pagination reads it, so it is declared (a %s)", cmp.Or(o.specID, o.op.OperationID), p, kindWord(kind, root.at(p)))))
		}
	}
}

func kindWord(kind string, sh *shape) string {
	if kind == "array" {
		if sh != nil && sh.elem != nil && sh.elem.kind != "" && sh.elem.kind != "object" {
			return "list of " + sh.elem.kind + "s"
		}
		return "list of free-form objects"
	}
	return kind
}

// declarePath adds the missing steps of a path to s (whose shape is sh),
// and records them on the shapes, so later paths see them.
func declarePath(s *openapi3.Schema, sh *shape, segs []string, kind string) bool {
	changed := false
	for i, name := range segs {
		last := i == len(segs)-1
		child := sh.fields[name]
		if child == nil {
			child = &shape{fields: map[string]*shape{}}
			sh.fields[name] = child
			sh.order = append(sh.order, name)
		}
		switch {
		case child.schema == nil:
			add := openapi3.NewObjectSchema()
			if last {
				add = leafSchema(kind, child)
			}
			addProperty(s, name, add)
			child.schema, changed = add, true
			if !last {
				child.kind = "object"
			}
		case !last && (child.union || jsonKindOf(child.schema) != "object"):
			return changed
		}
		s, sh = child.schema, child
	}
	return changed
}

// addProperty declares a property on an object schema (on a new member of
// its allOf, when it has one).
func addProperty(s *openapi3.Schema, name string, p *openapi3.Schema) {
	ref := openapi3.NewSchemaRef("", p)
	if len(s.AllOf) > 0 {
		s.AllOf = append(s.AllOf, openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"object"}, Properties: openapi3.Schemas{name: ref}}))
		return
	}
	if s.Properties == nil {
		s.Properties = openapi3.Schemas{}
	}
	if s.Type == nil || s.Type.IsEmpty() {
		s.Type = &openapi3.Types{"object"}
	}
	s.Properties[name] = ref
}

// leafSchema is the schema a declared field gets.
func leafSchema(kind string, sh *shape) *openapi3.Schema {
	switch kind {
	case "array":
		elem := openapi3.NewObjectSchema()
		if sh != nil && sh.elem != nil {
			switch sh.elem.kind {
			case "string":
				elem = openapi3.NewStringSchema()
			case "integer":
				elem = openapi3.NewInt64Schema()
			case "number":
				elem = openapi3.NewFloat64Schema()
			case "boolean":
				elem = openapi3.NewBoolSchema()
			}
		}
		if elem.Type.Is("object") {
			elem.AdditionalProperties = openapi3.AdditionalProperties{Has: ptrTo(true)}
		}
		return openapi3.NewArraySchema().WithItems(elem)
	case "integer":
		return openapi3.NewInt64Schema()
	case "number":
		return openapi3.NewFloat64Schema()
	case "boolean":
		return openapi3.NewBoolSchema()
	}
	return openapi3.NewStringSchema()
}

func ptrTo[T any](v T) *T { return &v }

// pagingNote is an info diagnostic about an operation's pagination.
func pagingNote(ptr, msg string) openapi.Diagnostic {
	return openapi.Diagnostic{Code: CodePagination, Severity: openapi.SeverityInfo, Pointer: ptr, Message: msg}
}
