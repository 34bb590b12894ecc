package graphql

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"reflect"
	"slices"
	"strconv"
	"strings"

	gql "github.com/vektah/gqlparser/v2/ast"

	"github.com/sdkgen-go/sdkgen/internal/gotext"
	"github.com/sdkgen-go/sdkgen/openapi"
)

// model is what client.gen.go is rendered from: names are decided here,
// the template only prints.
type model struct {
	Package    string
	Endpoint   string
	Operations []*operation
	HasSubs    bool
	HasPagers  bool
}

type operation struct {
	Name     string // the GraphQL name
	GoName   string // genqlient's function, the name Go's way (goNames)
	Kind     string // Query, Mutation, Subscription (sdkgraphql constants)
	Verb     string // query, mutation, subscription
	Source   string // file:line of the definition
	Doc      []string
	Response string // genqlient's response type
	Params   []param
	// Idempotent marks a mutation retried with an Idempotency-Key.
	Idempotent bool
	Pager      *pager
	// Names of the method's own parameters, distinct from the operation's.
	Ctx, Opts, Recv string
}

type param struct{ Name, Type string }

// pager is a Relay connection of an operation.
type pager struct {
	Method string   // the pager method's name
	Path   string   // the connection's path in the response, dotted
	Item   string   // the Go type of an item
	Params []param  // the operation's parameters without the cursor
	Args   []string // the call's arguments, the cursor's among them
	Reader []string // statements of the page reader, r being the response
}

// buildModel reads genqlient's output (functions and struct types, parsed
// from the source) and the operations, and decides the client's methods.
func buildModel(cfg Config, schema *gql.Schema, doc *gql.QueryDocument, src []byte, renames map[string]string) (*model, openapi.Diagnostics) {
	goName := func(s string) string {
		if to, ok := renames[s]; ok {
			return to
		}
		return s
	}
	var diags openapi.Diagnostics
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, OperationsFile, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, openapi.Diagnostics{diag(CodeGenerate, "", 0, 0, "genqlient's output does not parse: %v", err)}
	}
	funcs := map[string]*ast.FuncDecl{}
	structs := map[string]*ast.StructType{}
	for _, d := range file.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				funcs[d.Name.Name] = d
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				if ts, ok := s.(*ast.TypeSpec); ok {
					if st, ok := ts.Type.(*ast.StructType); ok {
						structs[ts.Name.Name] = st
					}
				}
			}
		}
	}
	text := func(e ast.Expr) string {
		var b bytes.Buffer
		_ = format.Node(&b, fset, e)
		return b.String()
	}
	m := &model{Package: cfg.Package, Endpoint: cfg.Endpoint}
	defs := slices.Clone(doc.Operations)
	slices.SortFunc(defs, func(a, b *gql.OperationDefinition) int { return strings.Compare(a.Name, b.Name) })
	for _, def := range defs {
		fd := funcs[goName(def.Name)]
		if fd == nil || fd.Type.Results == nil {
			diags = append(diags, posDiag(CodeGenerate, def.Position, "genqlient generated no function %s", def.Name))
			continue
		}
		op := &operation{Name: def.Name, GoName: goName(def.Name), Source: source(def.Position), Doc: docLines(def)}
		switch def.Operation {
		case gql.Query:
			op.Kind, op.Verb = "Query", "query"
		case gql.Mutation:
			op.Kind, op.Verb = "Mutation", "mutation"
			op.Idempotent = slices.Contains(cfg.Idempotent, def.Name)
		case gql.Subscription:
			op.Kind, op.Verb = "Subscription", "subscription"
			m.HasSubs = true
		}
		// genqlient's parameters: ctx_, client_, then one per variable.
		var names []string
		for i, f := range fd.Type.Params.List {
			for _, n := range f.Names {
				if i >= 2 {
					op.Params = append(op.Params, param{Name: n.Name, Type: text(f.Type)})
					names = append(names, n.Name)
				}
			}
		}
		op.Ctx, op.Opts, op.Recv = free(names, "ctx"), free(names, "opts"), free(names, "c")
		if def.Operation != gql.Subscription {
			res := fd.Type.Results.List[0].Type
			if star, ok := res.(*ast.StarExpr); ok {
				op.Response = text(star.X)
			}
		} else {
			op.Response = goName(def.Name + "Response")
		}
		if op.Response == "" {
			diags = append(diags, posDiag(CodeGenerate, def.Position, "genqlient's function %s has an unexpected result", def.Name))
			continue
		}
		for _, c := range connections(def) {
			if def.Operation != gql.Query {
				break
			}
			if op.Pager != nil {
				diags = append(diags, warnAt(def.Position, "%s has more than one Relay connection with an after variable: no pager is generated for %s", def.Name, c.path))
				op.Pager = nil
				break
			}
			c.goCursor = goName(c.cursor)
			p, err := mapPager(op, c, structs, text)
			if err != nil {
				diags = append(diags, warnAt(def.Position, "no pager for the Relay connection %s of %s: %v", strings.Join(c.path, "."), def.Name, err))
				continue
			}
			op.Pager = p
		}
		if op.Pager != nil {
			m.HasPagers = true
			d := warnAt(def.Position, "%s pages the Relay connection %s: %s walks it", def.Name, op.Pager.Path, op.Pager.Method)
			d.Severity = openapi.SeverityInfo
			diags = append(diags, d)
		}
		m.Operations = append(m.Operations, op)
	}
	return m, diags
}

func warnAt(p *gql.Position, format string, args ...any) openapi.Diagnostic {
	d := posDiag(CodePager, p, format, args...)
	d.Severity = openapi.SeverityWarning
	return d
}

// free returns name, or name with underscores appended, distinct from
// taken.
func free(taken []string, name string) string {
	for slices.Contains(taken, name) {
		name += "_"
	}
	return name
}

func source(p *gql.Position) string {
	if p == nil || p.Src == nil {
		return ""
	}
	return fmt.Sprintf("%s:%d", strings.ReplaceAll(filepathBase(p.Src.Name), "\\", "/"), p.Line)
}

func filepathBase(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// docLines is the comment above an operation's definition, made safe for
// a Go comment. genqlient's directives (# @genqlient) are left out.
func docLines(def *gql.OperationDefinition) []string {
	if def.Comment == nil {
		return nil
	}
	var out []string
	for _, c := range def.Comment.List {
		line := strings.TrimSpace(strings.TrimPrefix(c.Value, "#"))
		if strings.HasPrefix(line, "@genqlient") {
			continue
		}
		out = append(out, gotext.Prose(line))
	}
	return out
}

// connection is a Relay connection an operation selects: a field with an
// after argument bound to a variable, selecting pageInfo { hasNextPage
// endCursor } and nodes or edges { node }.
type connection struct {
	path   []string // response keys from the root to the connection
	cursor string   // the variable after is bound to
	// goCursor is the variable's name as a parameter of genqlient's function.
	goCursor string
	edges    bool // items under edges.node rather than nodes
}

// connections finds the Relay connections of an operation, outside lists
// (a connection inside another's items is paged by neither).
func connections(def *gql.OperationDefinition) []connection {
	var out []connection
	var walk func(set gql.SelectionSet, path []string)
	walk = func(set gql.SelectionSet, path []string) {
		for _, s := range set {
			switch s := s.(type) {
			case *gql.Field:
				key := s.Alias
				if key == "" {
					key = s.Name
				}
				p := append(slices.Clone(path), key)
				if c, ok := asConnection(s); ok {
					c.path = p
					out = append(out, c)
					continue
				}
				if s.Definition != nil && s.Definition.Type != nil && s.Definition.Type.Elem == nil && len(s.SelectionSet) > 0 {
					walk(s.SelectionSet, p)
				}
			case *gql.InlineFragment:
				walk(s.SelectionSet, path)
			}
		}
	}
	walk(def.SelectionSet, nil)
	return out
}

func asConnection(f *gql.Field) (connection, bool) {
	var c connection
	for _, a := range f.Arguments {
		if a.Name == "after" && a.Value != nil && a.Value.Kind == gql.Variable {
			c.cursor = a.Value.Raw
		}
	}
	if c.cursor == "" {
		return c, false
	}
	pageInfo := child(f.SelectionSet, "pageInfo")
	if pageInfo == nil || child(pageInfo.SelectionSet, "hasNextPage") == nil || child(pageInfo.SelectionSet, "endCursor") == nil {
		return c, false
	}
	if n := child(f.SelectionSet, "nodes"); n != nil && len(n.SelectionSet) > 0 {
		return c, true
	}
	if e := child(f.SelectionSet, "edges"); e != nil {
		if n := child(e.SelectionSet, "node"); n != nil {
			c.edges = true
			return c, true
		}
	}
	return c, false
}

// child finds the field selected under name (no alias) in set.
func child(set gql.SelectionSet, name string) *gql.Field {
	for _, s := range set {
		if f, ok := s.(*gql.Field); ok && f.Name == name && (f.Alias == "" || f.Alias == name) {
			return f
		}
	}
	return nil
}

// mapPager finds the Go fields of a connection in genqlient's types and
// writes the page reader.
func mapPager(op *operation, c connection, structs map[string]*ast.StructType, text func(ast.Expr) string) (*pager, error) {
	p := &pager{Method: op.GoName + "Pager", Path: strings.Join(c.path, ".")}
	found := false
	for _, prm := range op.Params {
		if prm.Name == c.goCursor {
			found = true
			switch prm.Type {
			case "string":
				p.Args = append(p.Args, "cursor")
			case "*string":
				p.Args = append(p.Args, "sdkgraphql.Cursor(cursor)")
			default:
				return nil, fmt.Errorf("$%s is a %s, not a string", c.cursor, prm.Type)
			}
			continue
		}
		p.Params = append(p.Params, prm)
		p.Args = append(p.Args, prm.Name)
	}
	if !found {
		return nil, fmt.Errorf("genqlient made no parameter for $%s", c.cursor)
	}
	cur, typ := "r", op.Response
	step := 0
	var reader []string
	// fieldOf returns the Go field of st with JSON name key.
	fieldOf := func(typ, key string) (string, ast.Expr, error) {
		st := structs[typ]
		if st == nil {
			return "", nil, fmt.Errorf("type %s is not a struct of genqlient's output", typ)
		}
		for _, f := range st.Fields.List {
			if f.Tag == nil || len(f.Names) != 1 {
				continue
			}
			tag, _ := strconv.Unquote(f.Tag.Value)
			name, _, _ := strings.Cut(reflect.StructTag(tag).Get("json"), ",")
			if name == key {
				return f.Names[0].Name, f.Type, nil
			}
		}
		return "", nil, fmt.Errorf("type %s has no field for %q (fragment spreads are not followed)", typ, key)
	}
	// follow moves cur to field key, checking pointers for nil.
	follow := func(key string) error {
		name, t, err := fieldOf(typ, key)
		if err != nil {
			return err
		}
		step++
		v := fmt.Sprintf("v%d", step)
		reader = append(reader, fmt.Sprintf("%s := %s.%s", v, cur, name))
		if star, ok := t.(*ast.StarExpr); ok {
			reader = append(reader, fmt.Sprintf("if %s == nil {\nreturn nil, \"\"\n}", v))
			t = star.X
		}
		id, ok := t.(*ast.Ident)
		if !ok {
			return fmt.Errorf("field %s is a %s, not an object", key, text(t))
		}
		cur, typ = v, id.Name
		return nil
	}
	for _, key := range c.path {
		if err := follow(key); err != nil {
			return nil, err
		}
	}
	conn, connType := cur, typ
	if c.edges {
		name, t, err := fieldOf(connType, "edges")
		if err != nil {
			return nil, err
		}
		arr, ok := t.(*ast.ArrayType)
		if !ok {
			return nil, fmt.Errorf("edges is a %s, not a list", text(t))
		}
		elem := arr.Elt
		ptr := false
		if star, ok := elem.(*ast.StarExpr); ok {
			elem, ptr = star.X, true
		}
		id, ok := elem.(*ast.Ident)
		if !ok {
			return nil, fmt.Errorf("edges holds %s, not objects", text(elem))
		}
		nodeName, nodeType, err := fieldOf(id.Name, "node")
		if err != nil {
			return nil, err
		}
		p.Item = text(nodeType)
		reader = append(reader, fmt.Sprintf("items := make([]%s, 0, len(%s.%s))", p.Item, conn, name),
			fmt.Sprintf("for _, e := range %s.%s {", conn, name))
		if ptr {
			reader = append(reader, "if e == nil {\ncontinue\n}")
		}
		reader = append(reader, fmt.Sprintf("items = append(items, e.%s)\n}", nodeName))
	} else {
		name, t, err := fieldOf(connType, "nodes")
		if err != nil {
			return nil, err
		}
		arr, ok := t.(*ast.ArrayType)
		if !ok {
			return nil, fmt.Errorf("nodes is a %s, not a list", text(t))
		}
		p.Item = text(arr.Elt)
		reader = append(reader, fmt.Sprintf("items := %s.%s", conn, name))
	}
	if err := follow("pageInfo"); err != nil {
		return nil, err
	}
	hasNext, hnType, err := fieldOf(typ, "hasNextPage")
	if err != nil {
		return nil, err
	}
	endCursor, ecType, err := fieldOf(typ, "endCursor")
	if err != nil {
		return nil, err
	}
	more := cur + "." + hasNext
	switch text(hnType) {
	case "bool":
	case "*bool":
		more = "sdk.Deref(" + more + ")"
	default:
		return nil, fmt.Errorf("hasNextPage is a %s", text(hnType))
	}
	next := cur + "." + endCursor
	switch text(ecType) {
	case "string":
	case "*string":
		next = "sdk.Deref(" + next + ")"
	default:
		return nil, fmt.Errorf("endCursor is a %s, not a string", text(ecType))
	}
	// A page without items but with hasNextPage would repeat: the pager
	// stops on repeated cursors anyway.
	reader = append(reader, fmt.Sprintf("if !%s {\nreturn items, \"\"\n}", more), fmt.Sprintf("return items, %s", next))
	// pageInfo's reader lines went after the items': the nil check of a
	// pointer pageInfo must come before it is read, which holds.
	p.Reader = reader
	return p, nil
}
