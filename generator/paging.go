package generator

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/printer"
	"go/token"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/sdkgen-go/sdkgen/generator/ir"
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
	// Struct holds the fields of an anonymous struct type (struct{…},
	// *struct{…}), by JSON name.
	Struct map[string]fieldInfo
}

// readStructs reads the struct types, aliases and defined types of a
// parsed file.
func readStructs(fset *token.FileSet, f *ast.File, si *structInfo) *structInfo {
	if si == nil {
		si = &structInfo{fields: map[string]map[string]fieldInfo{}, aliases: map[string]string{}, defined: map[string]string{}}
	}
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
			si.fields[ts.Name.Name] = structFields(fset, st, 0)
		}
	}
	return si
}

// structFields reads the fields of a struct type by JSON name, those of
// anonymous struct fields within.
func structFields(fset *token.FileSet, st *ast.StructType, depth int) map[string]fieldInfo {
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
		fi := fieldInfo{Name: fl.Names[0].Name, Type: exprString(fset, fl.Type)}
		t := fl.Type
		if star, ok := t.(*ast.StarExpr); ok {
			t = star.X
		}
		if inner, ok := t.(*ast.StructType); ok && depth < 8 {
			fi.Struct = structFields(fset, inner, depth+1)
		}
		fields[name] = fi
	}
	return fields
}

func exprString(fset *token.FileSet, e ast.Expr) string {
	var b strings.Builder
	_ = printer.Fprint(&b, fset, e)
	return b.String()
}

// base is the type beneath a named type: aliases followed, a defined
// non-struct type's underlying type (type Limit int32 is int32).
func (si *structInfo) base(typ string) string {
	for range 16 {
		t := si.resolve(typ)
		u, ok := si.defined[t]
		if !ok || u == t {
			return t
		}
		typ = u
	}
	return typ
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

// access follows a dotted JSON path from a value of type typ: the fields
// it reads and the type it reaches (an optional field's pointer, a
// nullable field's wrapper, taken off).
func (si *structInfo) access(typ, path string) (ir.FieldPath, string, error) {
	var fp ir.FieldPath
	if path == "" {
		return nil, typ, nil
	}
	var anon map[string]fieldInfo // the fields of an anonymous struct reached
	for _, seg := range strings.Split(path, ".") {
		base := strings.TrimPrefix(typ, "*")
		fields, ok := anon, anon != nil
		if !ok {
			fields, ok = si.fields[si.resolve(base)]
		}
		if !ok {
			return nil, "", fmt.Errorf("%s is not an object with a %q field", typ, seg)
		}
		f, ok := fields[seg]
		if !ok {
			return nil, "", fmt.Errorf("%s has no %q field", oneLine(base), seg)
		}
		anon = f.Struct
		step := ir.FieldStep{Field: f.Name}
		typ = f.Type
		switch {
		case strings.HasPrefix(typ, "*"):
			step.Pointer = true
			typ = typ[1:]
		case strings.HasPrefix(typ, "nullable.Nullable[") && strings.HasSuffix(typ, "]"):
			// Required but nullable (next_cursor: null on the last page).
			step.Nullable = true
			typ = strings.TrimSuffix(strings.TrimPrefix(typ, "nullable.Nullable["), "]")
		}
		fp = append(fp, step)
	}
	return fp, typ, nil
}

// pagination resolves the pagination planned for op (planPaging) on the
// generated types; the diagnostics say what was chosen, why a plan was not
// usable, or why a list-shaped operation is not paged.
func pagination(op *ir.Operation, st *opState, si *structInfo) (*ir.Paging, openapi.Diagnostics) {
	ptr := opPointer(op)
	plan := st.on.paging
	if plan.pg == nil || plan.pg.Style == "none" {
		if plan.unpaged != "" {
			return nil, openapi.Diagnostics{pagingNote(ptr, fmt.Sprintf("%s looks like a list but is not paged: %s; sdkgen.yaml can say how it pages", op.ID, plan.unpaged))}
		}
		return nil, nil
	}
	if op.Result.Kind != ir.ResultJSON && op.Result.Kind != ir.ResultValue {
		return nil, nil
	}
	pg := plan.pg
	p, err := resolvePaging(op, st, pg, si)
	if err != nil {
		d := pagingNote(ptr, fmt.Sprintf("%s: the pagination of %s is not used: %v; the method returns one page", op.ID, plan.origin, err))
		if plan.declared {
			d.Severity = openapi.SeverityWarning
		}
		return nil, openapi.Diagnostics{d}
	}
	p.Source = plan.source
	return p, openapi.Diagnostics{pagingNote(ptr, fmt.Sprintf("%s pages by %s (%s); it returns an *sdk.Pager[%s]", op.ID, pg.Style, plan.source, oneLineType(p.ItemType)))}
}

// oneLineType is a Go type for a one-line message: a struct written in
// place (items an sdkgen.yaml rule points at inside a named type) is
// struct{…}, not its fields.
func oneLineType(t string) string {
	if i := strings.Index(t, "struct {"); i >= 0 && strings.Contains(t, "\n") {
		return t[:i] + "struct{…}" + t[strings.LastIndexByte(t, '}')+1:]
	}
	return t
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

// resolvePaging turns a pagination block into the fields a pager reads,
// checking that every field and parameter it names exists.
func resolvePaging(op *ir.Operation, st *opState, pg *Pagination, si *structInfo) (*ir.Paging, error) {
	pageType := strings.TrimPrefix(op.Result.Type, "*")
	p := &ir.Paging{Style: pg.Style, PageType: pageType}
	items, itemsType, err := si.access(pageType, pg.Items)
	if err != nil {
		return nil, fmt.Errorf("items: %v", err)
	}
	itemsType = si.resolve(itemsType)
	if !strings.HasPrefix(itemsType, "[]") {
		return nil, fmt.Errorf("items %q is a %s, not a list", pg.Items, itemsType)
	}
	p.Items, p.ItemType = items, itemsType[2:]
	if op.Result.Kind == ir.ResultValue && pg.Items != "" {
		return nil, fmt.Errorf("the body is not an object")
	}
	param := func(name string, kinds ...string) (*ir.ParamField, error) {
		if !slices.ContainsFunc(op.Args, func(a ir.Arg) bool { return a.Kind == ir.ArgParams }) {
			return nil, fmt.Errorf("the operation has no query parameters")
		}
		q := st.query(name)
		if q == nil {
			return nil, fmt.Errorf("no query parameter %q", name)
		}
		// A parameter's type may be an alias or a defined type of a
		// components/parameters schema (type QueryOffset = int).
		base := si.base(q.Type)
		kind := "string"
		if isIntType(base) {
			kind = "int"
		}
		if base != "string" && kind != "int" || !slices.Contains(kinds, kind) {
			return nil, fmt.Errorf("query parameter %q is a %s, not a %s", name, q.Type, strings.Join(kinds, " or "))
		}
		c := *q
		c.Base = base
		return &c, nil
	}
	field := func(name, want string) (ir.FieldPath, error) {
		fp, typ, err := si.access(pageType, name)
		if err != nil {
			return nil, err
		}
		typ = si.base(typ)
		switch {
		case want == "int" && isIntType(typ):
		case typ == want:
		default:
			return nil, fmt.Errorf("%q is a %s, not a %s", name, typ, want)
		}
		return fp, nil
	}
	switch pg.Style {
	case "cursor":
		p.Helper = "sdkimpl.CursorPager"
		if pg.Cursor == nil || pg.Cursor.Param == "" {
			return nil, fmt.Errorf("cursor style needs cursor.param")
		}
		if p.Param, err = param(pg.Cursor.Param, "string", "int"); err != nil {
			return nil, err
		}
		if pg.HasMore != "" {
			if p.HasMore, err = field(pg.HasMore, "bool"); err != nil {
				return nil, fmt.Errorf("has-more: %v", err)
			}
		}
		switch {
		case pg.Cursor.Header != "":
			if !validHeaderName(pg.Cursor.Header) {
				return nil, fmt.Errorf("cursor.header %q is not a header name", pg.Cursor.Header)
			}
			p.Helper, p.Header = "sdkimpl.HeaderCursorPager", http.CanonicalHeaderKey(pg.Cursor.Header)
		case pg.Cursor.Next != "":
			// Box declares its next_marker an integer.
			if p.Next, err = field(pg.Cursor.Next, "string"); err != nil {
				var ierr error
				if p.Next, ierr = field(pg.Cursor.Next, "int"); ierr != nil {
					return nil, fmt.Errorf("cursor.next: %v", err)
				}
				p.NextInt = true
			}
		case strings.HasPrefix(pg.Cursor.From, "last-item."):
			fp, idType, err := si.access(p.ItemType, strings.TrimPrefix(pg.Cursor.From, "last-item."))
			if err != nil {
				return nil, fmt.Errorf("cursor.from: %v", err)
			}
			switch idType {
			case "string":
			case "int", "int32", "int64":
				p.LastItemInt = true
			default:
				return nil, fmt.Errorf("cursor.from: the item's %s is a %s", pg.Cursor.From, idType)
			}
			p.LastItem = fp
		default:
			return nil, fmt.Errorf("cursor style needs cursor.next or cursor.from")
		}
	case "offset", "page":
		name := ""
		if pg.Style == "offset" {
			p.Helper = "sdkimpl.OffsetPager"
			if pg.Offset == nil {
				return nil, fmt.Errorf("offset style needs offset.param")
			}
			name = pg.Offset.Param
		} else {
			p.Helper = "sdkimpl.PageNumberPager"
			if pg.Page == nil {
				return nil, fmt.Errorf("page style needs page.param")
			}
			name, p.Start = pg.Page.Param, 1
			if pg.Page.Start != nil {
				p.Start = *pg.Page.Start
			}
		}
		// Slack declares its page numbers as strings of digits.
		if p.Param, err = param(name, "int", "string"); err != nil {
			return nil, err
		}
		switch {
		case pg.HasMore != "":
			if p.HasMore, err = field(pg.HasMore, "bool"); err != nil {
				return nil, fmt.Errorf("has-more: %v", err)
			}
		case pg.Style == "offset" && pg.Total != "":
			if p.Total, err = field(pg.Total, "int"); err != nil {
				return nil, fmt.Errorf("total: not an integer field")
			}
		case pg.Style == "page" && pg.TotalPages != "":
			if p.TotalPages, err = field(pg.TotalPages, "int"); err != nil {
				return nil, fmt.Errorf("total-pages: not an integer field")
			}
		case pg.Next != "":
			// A next link or cursor the pager does not follow, but whose
			// absence ends the list.
			if p.More, err = field(pg.Next, "string"); err != nil {
				return nil, fmt.Errorf("next: %v", err)
			}
		}
	case "link":
		p.Helper = "sdkimpl.LinkPager"
	case "next-url":
		p.Helper = "sdkimpl.NextURLPager"
		if pg.Next == "" {
			return nil, fmt.Errorf("next-url style needs next")
		}
		if p.Next, err = field(pg.Next, "string"); err != nil {
			return nil, fmt.Errorf("next: %v", err)
		}
	default:
		return nil, fmt.Errorf("unknown style %q", pg.Style)
	}
	return p, nil
}

// validHeaderName reports an HTTP header name (RFC 9110 token).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > 0x7e || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

func isIntType(t string) bool {
	switch t {
	case "int", "int32", "int64", "float32", "float64":
		return true
	}
	return false
}
