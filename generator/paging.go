package generator

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"

	"github.com/sdkgen-go/sdkgen/openapi"
)

// Pagination. An operation whose results come in pages gets a method that
// returns an *sdk.Pager[T] over the items. How it pages comes, in this
// order, from sdkgen.yaml (operations.<id>.pagination), the
// x-sdkgen-pagination extension, the vendor extensions real specs carry
// (x-speakeasy-pagination, x-fern-pagination, x-ms-pageable), or detection
// of the common shapes; what was detected is reported, so users see it.

// CodePagination reports how an operation is paged (info), or why a
// declared pagination could not be used (warning).
const CodePagination = "generate.pagination"

// pagingIR is how the generated method reads pages: Go expressions over
// the decoded page `page` and the parameters copy `p`.
type pagingIR struct {
	Style    string // cursor, offset, page, link, next-url
	Helper   string // sdk.CursorPager ...
	ItemType string
	PageType string
	Items    string // []T expression over `page`
	// cursor
	SetCursor string // statements setting `cursor` on p
	Next      string // next cursor, or next URL, over `page`
	// offset and page numbers
	Start  string // statements computing `start`
	SetPos string // statements setting `pos` (int) on p
	More   string // expression over `page` and `pos`
	Source string // where the configuration came from
}

// structInfo describes the fields of the models' struct types, by JSON
// name, read from the generated source.
type structInfo struct {
	fields  map[string]map[string]fieldInfo // type → json name → field
	aliases map[string]string               // type → aliased type
	defined map[string]string               // non-struct defined type → its underlying type
}

type fieldInfo struct {
	Name string // Go field name
	Type string // Go type as written
}

func readStructs(src []byte) (*structInfo, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "models.gen.go", src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	si := &structInfo{fields: map[string]map[string]fieldInfo{}, aliases: map[string]string{}, defined: map[string]string{}}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, spec := range gd.Specs {
			ts, ok := spec.(*ast.TypeSpec)
			if !ok {
				continue
			}
			if ts.Assign.IsValid() {
				si.aliases[ts.Name.Name] = exprString(fset, ts.Type)
				continue
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				si.defined[ts.Name.Name] = exprString(fset, ts.Type)
				continue
			}
			fields := map[string]fieldInfo{}
			for _, fl := range st.Fields.List {
				if len(fl.Names) != 1 || fl.Tag == nil {
					continue
				}
				tag, _ := strconv.Unquote(fl.Tag.Value)
				name, _, _ := strings.Cut(reflect.StructTag(tag).Get("json"), ",")
				if name == "" || name == "-" {
					continue
				}
				fields[name] = fieldInfo{Name: fl.Names[0].Name, Type: exprString(fset, fl.Type)}
			}
			si.fields[ts.Name.Name] = fields
		}
	}
	return si, nil
}

func exprString(fset *token.FileSet, e ast.Expr) string {
	var b strings.Builder
	_ = printer.Fprint(&b, fset, e)
	return b.String()
}

// resolve follows aliases to a struct type's name.
func (si *structInfo) resolve(typ string) string {
	for range 16 {
		a, ok := si.aliases[typ]
		if !ok {
			return typ
		}
		typ = a
	}
	return typ
}

// access builds a Go expression reaching a dotted JSON path from expr of
// type typ, dereferencing optional fields with sdk.Deref and nullable ones
// with OrZero; it returns the
// expression and the type reached.
func (si *structInfo) access(expr, typ, path string) (string, string, error) {
	if path == "" {
		return expr, typ, nil
	}
	for _, seg := range strings.Split(path, ".") {
		base := strings.TrimPrefix(typ, "*")
		fields, ok := si.fields[si.resolve(base)]
		if !ok {
			return "", "", fmt.Errorf("%s is not an object with a %q field", typ, seg)
		}
		f, ok := fields[seg]
		if !ok {
			return "", "", fmt.Errorf("%s has no %q field", base, seg)
		}
		expr = expr + "." + f.Name
		typ = f.Type
		switch {
		case strings.HasPrefix(typ, "*"):
			expr = "sdk.Deref(" + expr + ")"
			typ = typ[1:]
		case strings.HasPrefix(typ, "nullable.Nullable[") && strings.HasSuffix(typ, "]"):
			// Required but nullable (next_cursor: null on the last page).
			expr += ".OrZero()"
			typ = strings.TrimSuffix(strings.TrimPrefix(typ, "nullable.Nullable["), "]")
		}
	}
	return expr, typ, nil
}

// pagination decides how op pages, if it does. od is oapi-codegen's view
// of the operation (its parameters); the returned diagnostics say what was
// chosen or why a declaration was not usable.
func pagination(op *opIR, od *codegen.OperationDefinition, cfg Config, si *structInfo) (*pagingIR, openapi.Diagnostics) {
	if op.Result.Kind != resultJSON && op.Result.Kind != resultValue {
		return nil, nil
	}
	pg, source := declaredPagination(op, od.Spec, cfg)
	if pg == nil {
		pg, source = detectPagination(op, od, si)
	}
	if pg == nil || pg.Style == "none" {
		return nil, nil
	}
	ptr := "/paths/" + escapePtr(op.Path) + "/" + strings.ToLower(op.Method)
	ir, err := resolvePaging(op, od, pg, si)
	if err != nil {
		return nil, openapi.Diagnostics{{Code: CodePagination, Severity: openapi.SeverityWarning, Pointer: ptr,
			Message: fmt.Sprintf("%s: pagination from %s not used: %v; the method returns one page", op.ID, source, err)}}
	}
	ir.Source = source
	return ir, openapi.Diagnostics{{Code: CodePagination, Severity: openapi.SeverityInfo, Pointer: ptr,
		Message: fmt.Sprintf("%s pages by %s (%s); it returns an *sdk.Pager[%s]", op.ID, pg.Style, source, ir.ItemType)}}
}

// declaredPagination reads the pagination the configuration or the spec
// declares.
func declaredPagination(op *opIR, spec *openapi3.Operation, cfg Config) (*Pagination, string) {
	if oc, ok := cfg.Operations[op.ID]; ok && oc.Pagination != nil {
		return oc.Pagination, "sdkgen.yaml"
	}
	if raw, ok := spec.Extensions["x-sdkgen-pagination"]; ok {
		var pg Pagination
		if remarshal(raw, &pg) == nil && pg.Style != "" {
			return &pg, "x-sdkgen-pagination"
		}
	}
	if raw, ok := spec.Extensions["x-speakeasy-pagination"]; ok {
		if pg := speakeasyPagination(raw); pg != nil {
			return pg, "x-speakeasy-pagination"
		}
	}
	if raw, ok := spec.Extensions["x-fern-pagination"]; ok {
		if pg := fernPagination(raw); pg != nil {
			return pg, "x-fern-pagination"
		}
	}
	if raw, ok := spec.Extensions["x-ms-pageable"]; ok {
		var v struct {
			NextLinkName *string `json:"nextLinkName"`
			ItemName     string  `json:"itemName"`
		}
		if remarshal(raw, &v) == nil && v.NextLinkName != nil && *v.NextLinkName != "" {
			items := v.ItemName
			if items == "" {
				items = "value"
			}
			return &Pagination{Style: "next-url", Items: items, Next: *v.NextLinkName}, "x-ms-pageable"
		}
	}
	return nil, ""
}

func remarshal(in, out any) error {
	data, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, out)
}

// jsonPathField turns a simple JSONPath ($.data.next, $response.next) into
// a dotted field path.
func jsonPathField(p string) string {
	for _, prefix := range []string{"$response.", "$.", "$"} {
		if strings.HasPrefix(p, prefix) {
			return strings.TrimPrefix(p, prefix)
		}
	}
	return p
}

func speakeasyPagination(raw any) *Pagination {
	var v struct {
		Type   string `json:"type"`
		Inputs []struct {
			Name string `json:"name"`
			In   string `json:"in"`
			Type string `json:"type"`
		} `json:"inputs"`
		Outputs struct {
			Results    string `json:"results"`
			NextCursor string `json:"nextCursor"`
			NumPages   string `json:"numPages"`
			NextURL    string `json:"nextUrl"`
		} `json:"outputs"`
	}
	if remarshal(raw, &v) != nil {
		return nil
	}
	input := func(kind string) string {
		for _, in := range v.Inputs {
			if in.Type == kind && (in.In == "" || in.In == "parameters") {
				return in.Name
			}
		}
		return ""
	}
	items := jsonPathField(v.Outputs.Results)
	switch v.Type {
	case "cursor":
		if c := input("cursor"); c != "" && v.Outputs.NextCursor != "" {
			return &Pagination{Style: "cursor", Items: items, Cursor: &CursorConfig{Param: c, Next: jsonPathField(v.Outputs.NextCursor)}}
		}
	case "offsetLimit":
		if o := input("offset"); o != "" {
			return &Pagination{Style: "offset", Items: items, Offset: &ParamConfig{Param: o}}
		}
		if p := input("page"); p != "" {
			return &Pagination{Style: "page", Items: items, Page: &PageConfig{Param: p}, TotalPages: jsonPathField(v.Outputs.NumPages)}
		}
	case "url":
		if v.Outputs.NextURL != "" {
			return &Pagination{Style: "next-url", Items: items, Next: jsonPathField(v.Outputs.NextURL)}
		}
	}
	return nil
}

func fernPagination(raw any) *Pagination {
	var v struct {
		Cursor     string `json:"cursor"`
		NextCursor string `json:"next_cursor"`
		Offset     string `json:"offset"`
		Results    string `json:"results"`
	}
	if remarshal(raw, &v) != nil || v.Results == "" {
		return nil
	}
	param := func(s string) string { return strings.TrimPrefix(s, "$request.") }
	items := jsonPathField(v.Results)
	switch {
	case v.Cursor != "" && v.NextCursor != "":
		return &Pagination{Style: "cursor", Items: items, Cursor: &CursorConfig{Param: param(v.Cursor), Next: jsonPathField(v.NextCursor)}}
	case v.Offset != "":
		p := param(v.Offset)
		if strings.Contains(strings.ToLower(p), "page") {
			return &Pagination{Style: "page", Items: items, Page: &PageConfig{Param: p}}
		}
		return &Pagination{Style: "offset", Items: items, Offset: &ParamConfig{Param: p}}
	}
	return nil
}

// queryParam finds an operation's query parameter by its name in the spec.
func queryParam(od *codegen.OperationDefinition, name string) *codegen.ParameterDefinition {
	for i := range od.QueryParams {
		if od.QueryParams[i].ParamName == name {
			return &od.QueryParams[i]
		}
	}
	return nil
}

// detectPagination recognises the shapes most APIs use: Stripe's
// starting_after/has_more/data, GitHub's page/per_page with a Link header,
// Google's pageToken/nextPageToken, and cursor/next_cursor pairs.
func detectPagination(op *opIR, od *codegen.OperationDefinition, si *structInfo) (*Pagination, string) {
	pageFields := si.fields[si.resolve(strings.TrimPrefix(op.Result.Type, "*"))]
	arrayFields := func() []string {
		var out []string
		for name, f := range pageFields {
			if strings.HasPrefix(f.Type, "[]") || strings.HasPrefix(f.Type, "*[]") {
				out = append(out, name)
			}
		}
		slices.Sort(out)
		return out
	}
	has := func(name string) bool { _, ok := pageFields[name]; return ok }
	switch {
	case queryParam(od, "starting_after") != nil && has("data") && has("has_more"):
		return &Pagination{Style: "cursor", Items: "data", HasMore: "has_more",
			Cursor: &CursorConfig{Param: "starting_after", From: "last-item.id"}}, "detected: Stripe-style starting_after, has_more and data"
	case queryParam(od, "page") != nil && queryParam(od, "per_page") != nil && strings.HasPrefix(op.Result.Type, "[]"):
		return &Pagination{Style: "link"}, "detected: GitHub-style page and per_page with a list body, following Link headers"
	}
	for _, pair := range [][2]string{{"pageToken", "nextPageToken"}, {"page_token", "next_page_token"}, {"cursor", "next_cursor"}, {"cursor", "nextCursor"}} {
		if queryParam(od, pair[0]) != nil && has(pair[1]) {
			if arr := arrayFields(); len(arr) == 1 {
				return &Pagination{Style: "cursor", Items: arr[0], Cursor: &CursorConfig{Param: pair[0], Next: pair[1]}},
					fmt.Sprintf("detected: %s parameter, %s and %s fields", pair[0], pair[1], arr[0])
			}
		}
	}
	return nil, ""
}

// resolvePaging turns a pagination block into Go expressions, checking
// that every field and parameter it names exists.
func resolvePaging(op *opIR, od *codegen.OperationDefinition, pg *Pagination, si *structInfo) (*pagingIR, error) {
	pageType := strings.TrimPrefix(op.Result.Type, "*")
	ir := &pagingIR{Style: pg.Style, PageType: pageType}
	items, itemsType, err := si.access("page", pageType, pg.Items)
	if err != nil {
		return nil, fmt.Errorf("items: %v", err)
	}
	if pg.Items == "" {
		items, itemsType = "*page", pageType
	}
	itemsType = si.resolve(itemsType)
	if !strings.HasPrefix(itemsType, "[]") {
		return nil, fmt.Errorf("items %q is a %s, not a list", pg.Items, itemsType)
	}
	ir.Items, ir.ItemType = items, itemsType[2:]
	if op.Result.Kind == resultValue && pg.Items != "" {
		return nil, fmt.Errorf("the body is not an object")
	}
	setParam := func(name, value, kind string) (string, error) {
		if !hasParamsArg(op) {
			return "", fmt.Errorf("the operation has no query parameters")
		}
		p := queryParam(od, name)
		if p == nil {
			return "", fmt.Errorf("no query parameter %q", name)
		}
		field := p.GoName()
		typ := p.TypeDef()
		ptr := p.HasOptionalPointer()
		switch {
		case kind == "string" && typ == "string":
		case kind == "int" && (typ == "int" || typ == "int32" || typ == "int64" || typ == "float32" || typ == "float64"):
			if typ != "int" {
				value = typ + "(" + value + ")"
			}
		default:
			return "", fmt.Errorf("query parameter %q is a %s, not a %s", name, typ, kind)
		}
		if ptr {
			return fmt.Sprintf("v := %s\n\t\t\tp.%s = &v", value, field), nil
		}
		return fmt.Sprintf("p.%s = %s", field, value), nil
	}
	readInt := func(name string) (string, error) {
		p := queryParam(od, name)
		if p == nil {
			return "", fmt.Errorf("no query parameter %q", name)
		}
		if p.HasOptionalPointer() {
			return fmt.Sprintf("if params != nil && params.%s != nil {\n\t\tstart = int(*params.%s)\n\t}", p.GoName(), p.GoName()), nil
		}
		return fmt.Sprintf("if params != nil {\n\t\tstart = int(params.%s)\n\t}", p.GoName()), nil
	}
	boolField := func(name string) (string, error) {
		expr, typ, err := si.access("page", pageType, name)
		if err != nil {
			return "", err
		}
		if typ != "bool" {
			return "", fmt.Errorf("%q is a %s, not a boolean", name, typ)
		}
		return expr, nil
	}
	stringField := func(name string) (string, error) {
		expr, typ, err := si.access("page", pageType, name)
		if err != nil {
			return "", err
		}
		if typ != "string" {
			return "", fmt.Errorf("%q is a %s, not a string", name, typ)
		}
		return expr, nil
	}
	switch pg.Style {
	case "cursor":
		ir.Helper = "sdk.CursorPager"
		if pg.Cursor == nil || pg.Cursor.Param == "" {
			return nil, fmt.Errorf("cursor style needs cursor.param")
		}
		if ir.SetCursor, err = setParam(pg.Cursor.Param, "cursor", "string"); err != nil {
			return nil, err
		}
		switch {
		case pg.Cursor.Next != "":
			if ir.Next, err = stringField(pg.Cursor.Next); err != nil {
				return nil, fmt.Errorf("cursor.next: %v", err)
			}
			if pg.HasMore != "" {
				more, err := boolField(pg.HasMore)
				if err != nil {
					return nil, fmt.Errorf("has-more: %v", err)
				}
				ir.Next = fmt.Sprintf("func() string {\n\t\t\tif !%s {\n\t\t\t\treturn \"\"\n\t\t\t}\n\t\t\treturn %s\n\t\t}()", more, ir.Next)
			}
		case strings.HasPrefix(pg.Cursor.From, "last-item."):
			idExpr, idType, err := si.access("it", ir.ItemType, strings.TrimPrefix(pg.Cursor.From, "last-item."))
			if err != nil {
				return nil, fmt.Errorf("cursor.from: %v", err)
			}
			switch idType {
			case "string":
			case "int", "int32", "int64":
				idExpr = "strconv.FormatInt(int64(" + idExpr + "), 10)"
			default:
				return nil, fmt.Errorf("cursor.from: the item's %s is a %s", pg.Cursor.From, idType)
			}
			more := "true"
			if pg.HasMore != "" {
				if more, err = boolField(pg.HasMore); err != nil {
					return nil, fmt.Errorf("has-more: %v", err)
				}
			}
			ir.Next = fmt.Sprintf("sdk.LastItemCursor(%s, %s, func(it %s) string { return %s })", ir.Items, more, ir.ItemType, idExpr)
		default:
			return nil, fmt.Errorf("cursor style needs cursor.next or cursor.from")
		}
	case "offset", "page":
		param, start := "", "0"
		if pg.Style == "offset" {
			ir.Helper = "sdk.OffsetPager"
			if pg.Offset == nil {
				return nil, fmt.Errorf("offset style needs offset.param")
			}
			param = pg.Offset.Param
		} else {
			ir.Helper = "sdk.PageNumberPager"
			if pg.Page == nil {
				return nil, fmt.Errorf("page style needs page.param")
			}
			param, start = pg.Page.Param, "1"
			if pg.Page.Start != nil {
				start = strconv.Itoa(*pg.Page.Start)
			}
		}
		if ir.SetPos, err = setParam(param, "pos", "int"); err != nil {
			return nil, err
		}
		read, err := readInt(param)
		if err != nil {
			return nil, err
		}
		ir.Start = "start := " + start + "\n\t" + read
		ir.More = "true"
		switch {
		case pg.HasMore != "":
			if ir.More, err = boolField(pg.HasMore); err != nil {
				return nil, fmt.Errorf("has-more: %v", err)
			}
		case pg.Style == "offset" && pg.Total != "":
			total, typ, err := si.access("page", pageType, pg.Total)
			if err != nil || !isIntType(typ) {
				return nil, fmt.Errorf("total: not an integer field")
			}
			ir.More = fmt.Sprintf("pos+len(%s) < int(%s)", ir.Items, total)
		case pg.Style == "page" && pg.TotalPages != "":
			total, typ, err := si.access("page", pageType, pg.TotalPages)
			if err != nil || !isIntType(typ) {
				return nil, fmt.Errorf("total-pages: not an integer field")
			}
			ir.More = fmt.Sprintf("pos < int(%s)", total)
		}
	case "link":
		ir.Helper = "sdk.LinkPager"
	case "next-url":
		ir.Helper = "sdk.NextURLPager"
		if pg.Next == "" {
			return nil, fmt.Errorf("next-url style needs next")
		}
		if ir.Next, err = stringField(pg.Next); err != nil {
			return nil, fmt.Errorf("next: %v", err)
		}
	default:
		return nil, fmt.Errorf("unknown style %q", pg.Style)
	}
	return ir, nil
}

func isIntType(t string) bool {
	switch t {
	case "int", "int32", "int64", "float32", "float64":
		return true
	}
	return false
}

func hasParamsArg(op *opIR) bool {
	return slices.ContainsFunc(op.Params, func(a argIR) bool { return a.Name == "params" })
}
