package panel

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"iter"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sdkgen-go/sdkgen/internal/bench/genbench"
)

// Code is what the panel reads from one tool's generated Go code: every
// package under one output folder.
type Code struct {
	// Packages, Files and Lines count the Go packages (folders holding .go
	// files), their .go files and the lines of those files.
	Packages int `json:"packages"`
	Files    int `json:"files"`
	Lines    int `json:"lines"`
	// Operations are the operation descriptors of the code, in the order
	// of the files and declarations (sdkgen's; none in oapi-codegen's).
	Operations []Operation `json:"operations,omitempty"`
	// UnattachedPagers are paged functions that use no operation
	// descriptor, as package.Receiver.Method: the panel cannot tell which
	// operation they page.
	UnattachedPagers []string `json:"unattached_pagers,omitempty"`
	// AnonymousStructs counts struct type literals in package-level type
	// declarations other than a declared type's own definition (a field
	// or element of type struct{...}); AnonymousStructAt locates the first
	// few.
	AnonymousStructs  int      `json:"anonymous_structs"`
	AnonymousStructAt []string `json:"anonymous_struct_at,omitempty"`
	// ScalarPointers counts the struct fields (of package-level type
	// declarations) whose type is a pointer to a scalar, by kind (see
	// ScalarKinds); ListPointers those whose type is a pointer to a slice.
	ScalarPointers map[string]int `json:"scalar_pointers"`
	ListPointers   int            `json:"list_pointers"`
	// PackageNames maps the packages' folders (relative, slash-separated,
	// "." for the top one) to their names.
	PackageNames map[string]string `json:"-"`
}

// ScalarPointerTotal is the sum of ScalarPointers.
func (c Code) ScalarPointerTotal() int {
	n := 0
	for _, v := range c.ScalarPointers {
		n += v
	}
	return n
}

// Kinds of scalar pointer fields.
const (
	KindString = "string" // *string
	KindBool   = "bool"   // *bool
	KindNumber = "number" // *int, *int64, *float64, *uint8... (and byte, rune)
	KindTime   = "time"   // *time.Time, *time.Duration and date types (*openapi_types.Date, *X.Date, *X.DateTime)
	KindNamed  = "named"  // a type of the generated code whose underlying type is a scalar (an enum: *PetStatus)
	KindOther  = "other"  // other well-known scalars: *json.Number, *X.UUID, *X.Email
)

// ScalarKinds lists the kinds of [Code.ScalarPointers].
var ScalarKinds = []string{KindString, KindBool, KindNumber, KindTime, KindNamed, KindOther}

// Operation is an operation descriptor of generated code: a package-level
// variable whose value is a composite literal of a type named Operation
// (whatever its package) with ID, Method and Path fields.
type Operation struct {
	// ID, Method ("GET") and Path ("/albums/{id}") are the literal's fields.
	ID     string `json:"id"`
	Method string `json:"method"`
	Path   string `json:"path"`
	// Package is the folder of its package, relative to the output folder
	// ("." for the top one); Var is the variable's name.
	Package string `json:"package"`
	Var     string `json:"var"`
	// Methods are the functions that use the variable, as
	// Receiver.Method (or Function).
	Methods []string `json:"methods,omitempty"`
	// Pagers are the pager constructors called by the functions that use
	// the variable and return a Pager (*X.Pager[T]): CursorPager,
	// OffsetPager, PageNumberPager, LinkPager, NextURLPager, or any other
	// function whose name ends in Pager; "?" when such a function calls
	// none.
	Pagers []string `json:"pagers,omitempty"`
}

// Generated pagination styles, the constructor names mapped to the label
// vocabulary.
const (
	GenCursor      = "cursor"        // CursorPager: a cursor or token from the body sent back as a parameter
	GenOffset      = "offset"        // OffsetPager
	GenPage        = "page"          // PageNumberPager
	GenLinkHeader  = StyleLinkHeader // LinkPager
	GenNextURLBody = StyleNextURLBody
	GenOther       = "other" // a constructor the panel does not know: review it
)

// pagerStyles maps the runtime's pager constructors to styles; a
// constructor not listed is GenOther.
var pagerStyles = map[string]string{
	"CursorPager":     GenCursor,
	"OffsetPager":     GenOffset,
	"PageNumberPager": GenPage,
	"LinkPager":       GenLinkHeader,
	"NextURLPager":    GenNextURLBody,
}

// PagerStyle returns the style of a pager constructor's name.
func PagerStyle(constructor string) string {
	if s, ok := pagerStyles[constructor]; ok {
		return s
	}
	return GenOther
}

// httpMethods maps net/http's method constants to methods.
var httpMethods = map[string]string{
	"MethodGet": "GET", "MethodHead": "HEAD", "MethodPost": "POST", "MethodPut": "PUT",
	"MethodPatch": "PATCH", "MethodDelete": "DELETE", "MethodConnect": "CONNECT",
	"MethodOptions": "OPTIONS", "MethodTrace": "TRACE",
}

// goPackage is one parsed package of the output.
type goPackage struct {
	rel   string // folder relative to the output folder, slash-separated
	files []*ast.File
	types map[string]typeDecl // package-level declared types
}

// typeDecl is a declared type and the file that declares it.
type typeDecl struct {
	spec *ast.TypeSpec
	file *ast.File
}

// ScanCode parses every Go package under dir (test files left out) and
// reads what the panel counts.
func ScanCode(dir string) (Code, error) {
	code := Code{ScalarPointers: map[string]int{}, PackageNames: map[string]string{}}
	fset := token.NewFileSet()
	var pkgs []*goPackage
	byRel := map[string]*goPackage{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, p, src, parser.SkipObjectResolution)
		if err != nil {
			return fmt.Errorf("panel: %v", err)
		}
		rel, err := filepath.Rel(dir, filepath.Dir(p))
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		pkg := byRel[rel]
		if pkg == nil {
			pkg = &goPackage{rel: rel, types: map[string]typeDecl{}}
			byRel[rel] = pkg
			pkgs = append(pkgs, pkg)
			n, err := genbench.CountLines(filepath.Dir(p))
			if err != nil {
				return err
			}
			code.Lines += n
		}
		pkg.files = append(pkg.files, f)
		code.PackageNames[rel] = f.Name.Name
		code.Files++
		return nil
	})
	if err != nil {
		return code, err
	}
	code.Packages = len(pkgs)
	for _, pkg := range pkgs {
		for _, f := range pkg.files {
			for s := range declSpecs(f, token.TYPE) {
				ts := s.(*ast.TypeSpec)
				pkg.types[ts.Name.Name] = typeDecl{ts, f}
			}
		}
	}
	r := &resolver{pkgs: pkgs}
	for _, pkg := range pkgs {
		for _, f := range pkg.files {
			r.countTypes(&code, fset, pkg, f)
		}
	}
	code.Operations, code.UnattachedPagers = readOperations(pkgs)
	return code, nil
}

// countTypes counts the anonymous structs and pointer fields of a file's
// type declarations.
func (r *resolver) countTypes(code *Code, fset *token.FileSet, pkg *goPackage, f *ast.File) {
	for s := range declSpecs(f, token.TYPE) {
		ts := s.(*ast.TypeSpec)
		ast.Inspect(ts.Type, func(n ast.Node) bool {
			st, ok := n.(*ast.StructType)
			if !ok {
				return true
			}
			if n != ts.Type {
				code.AnonymousStructs++
				if len(code.AnonymousStructAt) < 20 {
					pos := fset.Position(st.Pos())
					code.AnonymousStructAt = append(code.AnonymousStructAt,
						fmt.Sprintf("%s:%d (in %s)", path.Join(pkg.rel, filepath.Base(pos.Filename)), pos.Line, ts.Name.Name))
				}
			}
			for _, field := range st.Fields.List {
				star, ok := field.Type.(*ast.StarExpr)
				if !ok || len(field.Names) == 0 {
					continue // not a pointer, or embedded
				}
				if at, ok := star.X.(*ast.ArrayType); ok && at.Len == nil {
					code.ListPointers += len(field.Names)
				} else if kind := r.scalarKind(pkg, f, star.X, 0); kind != "" {
					code.ScalarPointers[kind] += len(field.Names)
				}
			}
			return true
		})
	}
}

// resolver follows type names through the declarations of the generated
// packages.
type resolver struct{ pkgs []*goPackage }

// builtinKinds are the predeclared scalar types.
var builtinKinds = map[string]string{
	"string": KindString, "bool": KindBool,
	"int": KindNumber, "int8": KindNumber, "int16": KindNumber, "int32": KindNumber, "int64": KindNumber,
	"uint": KindNumber, "uint8": KindNumber, "uint16": KindNumber, "uint32": KindNumber, "uint64": KindNumber,
	"uintptr": KindNumber, "float32": KindNumber, "float64": KindNumber,
	"complex64": KindNumber, "complex128": KindNumber, "byte": KindNumber, "rune": KindNumber,
}

// scalarKind returns the kind of scalar the type expression e of file f
// denotes, or "" when it is not a scalar.
func (r *resolver) scalarKind(pkg *goPackage, f *ast.File, e ast.Expr, depth int) string {
	if depth > 20 {
		return ""
	}
	switch e := e.(type) {
	case *ast.ParenExpr:
		return r.scalarKind(pkg, f, e.X, depth+1)
	case *ast.Ident:
		if d, ok := pkg.types[e.Name]; ok {
			return declaredKind(r.scalarKind(pkg, d.file, d.spec.Type, depth+1), d.spec)
		}
		return builtinKinds[e.Name]
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		if !ok {
			return ""
		}
		switch {
		case x.Name == "time" && (e.Sel.Name == "Time" || e.Sel.Name == "Duration"):
			return KindTime
		case x.Name == "json" && e.Sel.Name == "Number":
			return KindOther
		}
		if other := r.imported(f, x.Name); other != nil {
			if d, ok := other.types[e.Sel.Name]; ok {
				return declaredKind(r.scalarKind(other, d.file, d.spec.Type, depth+1), d.spec)
			}
		}
		switch e.Sel.Name {
		case "Date", "DateTime":
			return KindTime
		case "UUID", "Email":
			return KindOther
		}
	}
	return ""
}

// declaredKind is the kind of a type declared as spec whose definition is
// of kind k: an alias keeps k, a defined scalar type is KindNamed.
func declaredKind(k string, spec *ast.TypeSpec) string {
	if k == "" || spec.Assign.IsValid() {
		return k
	}
	return KindNamed
}

// imported returns the generated package that the file f imports under the
// name local, if any: the one whose folder ends the import path.
func (r *resolver) imported(f *ast.File, local string) *goPackage {
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			continue
		}
		if importName(imp, p) != local {
			continue
		}
		for _, pkg := range r.pkgs {
			if pkg.rel != "." && (p == pkg.rel || strings.HasSuffix(p, "/"+pkg.rel)) {
				return pkg
			}
		}
	}
	return nil
}

// declSpecs yields the specs of a file's package-level declarations of
// kind tok (token.TYPE, token.VAR).
func declSpecs(f *ast.File, tok token.Token) iter.Seq[ast.Spec] {
	return func(yield func(ast.Spec) bool) {
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == tok {
				for _, s := range g.Specs {
					if !yield(s) {
						return
					}
				}
			}
		}
	}
}

// readOperations finds the operation descriptors of the packages and the
// functions that use them.
func readOperations(pkgs []*goPackage) ([]Operation, []string) {
	var ops []Operation
	type key struct{ rel, name string }
	index := map[key]int{}
	byName := map[string][]int{} // for references from other packages
	for _, pkg := range pkgs {
		for _, f := range pkg.files {
			for s := range declSpecs(f, token.VAR) {
				vs := s.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i >= len(vs.Values) {
						break
					}
					op, ok := operationLiteral(vs.Values[i])
					if !ok {
						continue
					}
					op.Package, op.Var = pkg.rel, name.Name
					index[key{pkg.rel, name.Name}] = len(ops)
					byName[name.Name] = append(byName[name.Name], len(ops))
					ops = append(ops, op)
				}
			}
		}
	}
	var unattached []string
	for _, pkg := range pkgs {
		for _, f := range pkg.files {
			imports := importNames(f)
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Body == nil {
					continue
				}
				used := map[int]bool{}
				var pagers []string
				ast.Inspect(fd.Body, func(n ast.Node) bool {
					switch n := n.(type) {
					case *ast.Ident:
						if i, ok := index[key{pkg.rel, n.Name}]; ok {
							used[i] = true
						}
					case *ast.SelectorExpr:
						if x, ok := n.X.(*ast.Ident); ok && imports[x.Name] {
							for _, i := range byName[n.Sel.Name] {
								if ops[i].Package != pkg.rel {
									used[i] = true
								}
							}
						}
					case *ast.CallExpr:
						if name := funcName(n.Fun); strings.HasSuffix(name, "Pager") && name != "NewPager" {
							pagers = append(pagers, name)
						}
					}
					return true
				})
				paged := returnsPager(fd.Type)
				if paged && len(pagers) == 0 {
					pagers = []string{"?"}
				}
				name := funcDeclName(fd)
				if paged && len(used) == 0 {
					unattached = append(unattached, path.Join(pkg.rel, name))
				}
				for i := range used {
					ops[i].Methods = append(ops[i].Methods, name)
					if paged {
						for _, p := range pagers {
							if !slices.Contains(ops[i].Pagers, p) {
								ops[i].Pagers = append(ops[i].Pagers, p)
							}
						}
					}
				}
			}
		}
	}
	for i := range ops {
		slices.Sort(ops[i].Methods)
	}
	return ops, unattached
}

// importNames returns the names a file's imports are known by.
func importNames(f *ast.File) map[string]bool {
	names := map[string]bool{}
	for _, imp := range f.Imports {
		if p, err := strconv.Unquote(imp.Path.Value); err == nil {
			names[importName(imp, p)] = true
		}
	}
	return names
}

// importName is the name an import is known by: its explicit name, or the
// last element of its path.
func importName(imp *ast.ImportSpec, p string) string {
	if imp.Name != nil {
		return imp.Name.Name
	}
	return path.Base(p)
}

// operationLiteral reads an operation descriptor: &X.Operation{ID: ...,
// Method: ..., Path: ...} or the same without &.
func operationLiteral(e ast.Expr) (Operation, bool) {
	if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.AND {
		e = u.X
	}
	lit, ok := e.(*ast.CompositeLit)
	if !ok || funcName(lit.Type) != "Operation" {
		return Operation{}, false
	}
	var op Operation
	var has int
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		k, ok := kv.Key.(*ast.Ident)
		if !ok {
			continue
		}
		switch k.Name {
		case "ID":
			op.ID, has = stringValue(kv.Value), has|1
		case "Method":
			op.Method, has = strings.ToUpper(stringValue(kv.Value)), has|2
		case "Path":
			op.Path, has = stringValue(kv.Value), has|4
		}
	}
	return op, has == 7
}

// stringValue is the value of a string literal or of a net/http method
// constant; other expressions are given as written, roughly.
func stringValue(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.BasicLit:
		if s, err := strconv.Unquote(e.Value); err == nil {
			return s
		}
		return e.Value
	case *ast.SelectorExpr:
		if m, ok := httpMethods[e.Sel.Name]; ok {
			return m
		}
		return e.Sel.Name
	case *ast.Ident:
		if m, ok := httpMethods[e.Name]; ok {
			return m
		}
		return e.Name
	}
	return fmt.Sprintf("%T", e)
}

// funcName is the name of a called function or of a type, whatever its
// qualifier and type arguments: Pager for sdk.Pager[T].
func funcName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	case *ast.IndexExpr:
		return funcName(e.X)
	case *ast.IndexListExpr:
		return funcName(e.X)
	case *ast.ParenExpr:
		return funcName(e.X)
	}
	return ""
}

// returnsPager reports whether a function returns a *X.Pager[T].
func returnsPager(ft *ast.FuncType) bool {
	if ft.Results == nil {
		return false
	}
	for _, r := range ft.Results.List {
		if star, ok := r.Type.(*ast.StarExpr); ok {
			switch star.X.(type) {
			case *ast.IndexExpr, *ast.IndexListExpr:
				if funcName(star.X) == "Pager" {
					return true
				}
			}
		}
	}
	return false
}

// funcDeclName is Receiver.Method, or the function's name.
func funcDeclName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	if star, ok := t.(*ast.StarExpr); ok {
		t = star.X
	}
	return funcName(t) + "." + fd.Name.Name
}
