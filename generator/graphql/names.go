package graphql

import (
	"bytes"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sdkgen-go/sdkgen/generator/gonames"
)

// goNames gives genqlient's output Go's names, as the OpenAPI generator
// does: genqlient spells GraphQL's names with their first letter in upper
// case (a field id is Id, a getter GetId, a variable subjectId) and names
// its helpers with underscores (__GetProductInput, __premarshalJSON,
// GetProduct_Operation), which staticcheck's ST1003 reports. Every name the
// file declares (types, functions, methods, constants, variables, struct
// fields, interface methods, parameters) is respelled with Go's initialisms and
// without underscores, keeping whether it is exported; leading underscores
// go (__GetProductInput → getProductInput), and genqlient's local names
// ending in '_' (ctx_, err_) are kept. A new name that another declared
// name already has is not used: the old one stays. Uses are renamed with
// their declaration: a name is the same thing wherever the file spells it,
// except as the selector of an imported package (graphql.Request).
//
// It returns the new source and the renames made, old name → new.
func goNames(src []byte) ([]byte, map[string]string, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, OperationsFile, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, nil, err
	}
	imports := map[string]bool{}
	for _, im := range file.Imports {
		name := strings.Trim(im.Path.Value, `"`)
		name = name[strings.LastIndex(name, "/")+1:]
		if im.Name != nil {
			name = im.Name.Name
		}
		imports[name] = true
	}
	// A name is spelled bare where it is a type, function, constant,
	// variable or parameter, and after a dot (or as a composite literal's
	// key) where it is a field or method, or a type embedded as a field.
	declared := map[string]bool{}
	bare := map[string]bool{}
	member := map[string]bool{}
	declare := func(in map[string]bool, ids ...*ast.Ident) {
		for _, id := range ids {
			if id != nil && id.Name != "_" {
				declared[id.Name], in[id.Name] = true, true
			}
		}
	}
	fields := func(in map[string]bool, fl *ast.FieldList) {
		if fl == nil {
			return
		}
		for _, f := range fl.List {
			declare(in, f.Names...)
		}
	}
	ast.Inspect(file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			if n.Recv != nil {
				declare(member, n.Name)
			} else {
				declare(bare, n.Name)
			}
		case *ast.TypeSpec:
			declare(bare, n.Name)
			member[n.Name.Name] = true
		case *ast.ValueSpec:
			declare(bare, n.Names...)
		case *ast.StructType:
			fields(member, n.Fields)
		case *ast.InterfaceType:
			fields(member, n.Methods)
		case *ast.FuncType:
			fields(bare, n.Params)
			fields(bare, n.Results)
		}
		return true
	})
	namer := gonames.New()
	rename := map[string]string{}
	taken := maps.Clone(declared)
	// Sorted, so that two names wanting one spelling resolve the same way
	// on every run.
	for _, name := range slices.Sorted(maps.Keys(declared)) {
		trimmed := strings.TrimLeft(name, "_")
		if trimmed == "" || strings.HasSuffix(name, "_") {
			continue
		}
		want := namer.Unexported(trimmed)
		if first, _ := utf8.DecodeRuneInString(name); unicode.IsUpper(first) {
			want = namer.Exported(name)
		}
		if want == "" || want == name || taken[want] || token.IsKeyword(want) {
			continue
		}
		rename[name] = want
		taken[want] = true
	}
	if len(rename) == 0 {
		return src, rename, nil
	}
	memberAt := map[*ast.Ident]bool{}
	skip := map[*ast.Ident]bool{}
	markFields := func(fl *ast.FieldList) {
		for _, f := range fl.List {
			for _, id := range f.Names {
				memberAt[id] = true
			}
		}
	}
	ast.Inspect(file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ImportSpec:
			if n.Name != nil {
				skip[n.Name] = true
			}
		case *ast.SelectorExpr:
			if x, ok := n.X.(*ast.Ident); ok && imports[x.Name] && !declared[x.Name] {
				skip[n.Sel] = true
			} else {
				memberAt[n.Sel] = true
			}
		case *ast.CompositeLit:
			for _, e := range n.Elts {
				if kv, ok := e.(*ast.KeyValueExpr); ok {
					if id, ok := kv.Key.(*ast.Ident); ok {
						memberAt[id] = true
					}
				}
			}
		case *ast.StructType:
			markFields(n.Fields)
		case *ast.InterfaceType:
			markFields(n.Methods)
		case *ast.FuncDecl:
			if n.Recv != nil {
				memberAt[n.Name] = true
			}
		case *ast.Ident:
			to, ok := rename[n.Name]
			if !ok || skip[n] {
				break
			}
			if memberAt[n] && member[n.Name] || !memberAt[n] && bare[n.Name] {
				n.Name = to
			}
		}
		return true
	})
	// Comments name fields and types ("GetId returns Product.Id"): the
	// identifiers in them follow.
	for _, cg := range file.Comments {
		for _, c := range cg.List {
			c.Text = word.ReplaceAllStringFunc(c.Text, func(w string) string {
				if to, ok := rename[w]; ok {
					return to
				}
				return w
			})
		}
	}
	var b bytes.Buffer
	if err := format.Node(&b, fset, file); err != nil {
		return nil, nil, err
	}
	return b.Bytes(), rename, nil
}

// word is an identifier in a comment.
var word = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)
