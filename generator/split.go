package generator

import (
	"bytes"
	"cmp"
	"errors"
	"go/ast"
	"go/token"
	"maps"
	"path"
	"slices"
	"strconv"

	"golang.org/x/tools/go/ast/astutil"

	"github.com/sdkgen-go/sdkgen/generator/ir"
	"github.com/sdkgen-go/sdkgen/internal/parallel"
)

// Splitting an SDK into packages. The code is generated as one package
// (oapi-codegen runs once, every name is unique), then its declarations
// are moved: each service to its tag's package, with the request builders
// and types of its operations; every type only one package uses into that
// package; the types several packages share into package models. A
// reference to a declaration that went elsewhere is qualified with its
// package's name. Imports only go from a tag's package to models and to the
// root (for its Client), so there is no cycle, and a program that calls
// one package's operations compiles that package, models and the root,
// and no other tag's code.

// srcFile is a parsed file of the one-package SDK.
type srcFile struct {
	g *goFile
	// pkg is the package its declarations go to unless a unit says
	// otherwise ("" for the root).
	pkg string
	// float reports a file whose units are placed by use (the models, and
	// the facade's error and result types).
	float bool
	// name is the file's name in its package.
	name string
}

// unit is declarations that move together: a type with its methods and its
// enum constants, or a function, or a variable.
type unit struct {
	file  *srcFile
	decls []ast.Decl
	names []string
	pkg   string // folder of the package it goes to; "" for the root
	fixed bool
	// methodOf names the type, declared in another file, whose methods or
	// constants these are.
	methodOf string
	refs     map[*unit]bool
	// used is the set of packages whose fixed units reach it.
	used map[string]bool
}

// splitPackages lays the one-package SDK out in packages. models is the
// models file; facade holds the facade's files with the folder of the
// package each belongs to; fixed gives the package of the declarations
// whose place is known (the root's, an operation's). It returns the files
// and the folder each declaration went to.
func splitPackages(api *ir.API, models *goFile, facade []*srcFile, fixed map[string]string) ([]File, map[string]string, error) {
	files := append([]*srcFile{{g: models, float: true, name: "models.gen.go"}}, facade...)
	byName := map[string]*unit{}
	var units []*unit
	for _, sf := range files {
		for _, u := range fileUnits(sf) {
			units = append(units, u)
			for _, n := range u.names {
				byName[n] = u
			}
		}
	}
	// Fixed units: a service's file, the root's declarations, the request
	// builders and types of an operation.
	for _, u := range units {
		if !u.file.float {
			u.fixed, u.pkg = true, u.file.pkg
		}
		for _, n := range u.names {
			if pkg, ok := fixed[n]; ok {
				u.fixed, u.pkg = true, pkg
			}
		}
		if len(u.names) == 0 && u.file.name == "client.gen.go" {
			u.fixed, u.pkg = true, ""
		}
	}
	// References between units.
	for _, u := range units {
		u.refs = map[*unit]bool{}
		for _, d := range u.decls {
			eachRef(u.file.g.f, d, byName, func(_ *ast.Ident, to *unit) {
				if to != u {
					u.refs[to] = true
				}
			})
		}
	}
	// Which packages use each unit: a walk from every package's fixed
	// units.
	for _, u := range units {
		if !u.fixed || u.pkg == "" {
			continue
		}
		stack := []*unit{u}
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for w := range v.refs {
				if w.fixed || w.used[u.pkg] {
					continue
				}
				if w.used == nil {
					w.used = map[string]bool{}
				}
				w.used[u.pkg] = true
				stack = append(stack, w)
			}
		}
	}
	// What no package uses (the types of webhooks, of component
	// responses) goes to models, and so does everything it refers to:
	// models never imports a tag's package.
	var stack []*unit
	for _, u := range units {
		if !u.fixed && len(u.used) == 0 {
			u.used = map[string]bool{"models": true}
			stack = append(stack, u)
		}
	}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for w := range v.refs {
			if w.fixed || w.used["models"] {
				continue
			}
			if w.used == nil {
				w.used = map[string]bool{}
			}
			w.used["models"] = true
			stack = append(stack, w)
		}
	}
	for _, u := range units {
		if u.fixed {
			continue
		}
		if len(u.used) == 1 {
			for p := range u.used {
				u.pkg = p
			}
		} else {
			u.pkg = "models"
		}
	}
	for _, u := range units {
		if t := byName[u.methodOf]; t != nil {
			u.pkg = t.pkg
		}
	}
	pkgName := map[string]string{"": api.Package}
	for _, p := range api.Packages {
		if !p.Root {
			pkgName[p.Dir] = p.Name
		}
	}
	// Qualify references across packages, then write each package's part
	// of each file.
	type part struct {
		sf    *srcFile
		pkg   string
		decls []ast.Decl
		deps  map[string]bool
	}
	parts := map[string]*part{}
	parallel.Each(len(units), func(i int) {
		u := units[i]
		for _, d := range u.decls {
			qualify(u.file.g.f, d, byName, u.pkg, pkgName)
		}
	})
	for _, u := range units {
		key := u.pkg + "\x00" + u.file.name
		pt := parts[key]
		if pt == nil {
			pt = &part{sf: u.file, pkg: u.pkg, deps: map[string]bool{}}
			parts[key] = pt
		}
		pt.decls = append(pt.decls, u.decls...)
		for w := range u.refs {
			if w.pkg != u.pkg {
				pt.deps[w.pkg] = true
			}
		}
	}
	keys := slices.Sorted(maps.Keys(parts))
	out := make([]File, len(keys))
	errs := make([]error, len(keys))
	parallel.Each(len(keys), func(i int) {
		pt := parts[keys[i]]
		slices.SortFunc(pt.decls, func(a, b ast.Decl) int { return cmp.Compare(a.Pos(), b.Pos()) })
		var imports []string
		for dep := range pt.deps {
			imports = append(imports, path.Join(api.ImportPath, dep))
		}
		slices.Sort(imports)
		name := pt.sf.name
		if pt.sf.float && pt.sf.name != "models.gen.go" && pt.pkg != "" {
			name = "types.gen.go" // the facade's error and result types
		}
		src, err := writePart(pt.sf.g, pt.decls, pkgName[pt.pkg], imports, pt.pkg == "" && name == "client.gen.go")
		out[i], errs[i] = File{Name: path.Join(pt.pkg, name), Content: src}, err
	})
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	placed := map[string]string{}
	for _, u := range units {
		for _, n := range u.names {
			placed[n] = u.pkg
		}
	}
	return out, placed, nil
}

// fileUnits cuts a file into units.
func fileUnits(sf *srcFile) []*unit {
	var units []*unit
	byType := map[string]*unit{}
	var pending []ast.Decl // methods and constants of types declared later
	for _, d := range sf.g.f.Decls {
		switch d := d.(type) {
		case *ast.GenDecl:
			switch d.Tok {
			case token.IMPORT:
				continue
			case token.TYPE:
				u := &unit{file: sf, decls: []ast.Decl{d}}
				for _, sp := range d.Specs {
					ts := sp.(*ast.TypeSpec)
					u.names = append(u.names, ts.Name.Name)
					byType[ts.Name.Name] = u
				}
				units = append(units, u)
				continue
			case token.CONST:
				if typ := constType(d); typ != "" {
					pending = append(pending, d)
					continue
				}
			}
			u := &unit{file: sf, decls: []ast.Decl{d}}
			for _, sp := range d.Specs {
				if vs, ok := sp.(*ast.ValueSpec); ok {
					for _, n := range vs.Names {
						if n.Name != "_" {
							u.names = append(u.names, n.Name)
						}
					}
				}
			}
			units = append(units, u)
		case *ast.FuncDecl:
			if d.Recv != nil {
				pending = append(pending, d)
				continue
			}
			units = append(units, &unit{file: sf, decls: []ast.Decl{d}, names: []string{d.Name.Name}})
		}
	}
	for _, d := range pending {
		var typ string
		switch d := d.(type) {
		case *ast.GenDecl:
			typ = constType(d)
		case *ast.FuncDecl:
			typ = recvType(d)
		}
		if u := byType[typ]; u != nil {
			u.decls = append(u.decls, d)
			continue
		}
		// A method or constant of a type of another file: its own unit,
		// placed with the type.
		units = append(units, &unit{file: sf, decls: []ast.Decl{d}, methodOf: typ})
	}
	return units
}

// constType is the type of every constant of a const declaration (an
// enum's), or "".
func constType(d *ast.GenDecl) string {
	typ := ""
	for _, sp := range d.Specs {
		vs, ok := sp.(*ast.ValueSpec)
		if !ok || vs.Type == nil {
			return ""
		}
		id, ok := vs.Type.(*ast.Ident)
		if !ok || (typ != "" && id.Name != typ) {
			return ""
		}
		typ = id.Name
	}
	return typ
}

func recvType(d *ast.FuncDecl) string {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return ""
	}
	t := d.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// eachRef calls fn for every identifier of d that refers to a unit: one
// the parser resolved to a declaration of the file, or, unresolved, one
// named like a unit in an expression (not a field, a selector's name or a
// composite literal's key).
func eachRef(f *ast.File, d ast.Decl, byName map[string]*unit, fn func(*ast.Ident, *unit)) {
	astutil.Apply(d, func(c *astutil.Cursor) bool {
		id, ok := c.Node().(*ast.Ident)
		if !ok {
			return true
		}
		switch p := c.Parent().(type) {
		case *ast.SelectorExpr:
			if c.Name() == "Sel" {
				return true
			}
		case *ast.KeyValueExpr:
			if c.Name() == "Key" {
				return true
			}
		case *ast.Field:
			if c.Name() == "Names" {
				return true
			}
		case *ast.TypeSpec, *ast.FuncDecl:
			if c.Name() == "Name" {
				return true
			}
		case *ast.ValueSpec:
			if c.Name() == "Names" {
				return true
			}
		case *ast.LabeledStmt, *ast.BranchStmt:
			return true
		case *ast.AssignStmt:
			if p.Tok == token.DEFINE && c.Name() == "Lhs" {
				return true
			}
		}
		if id.Obj != nil && f.Scope.Objects[id.Name] != id.Obj {
			return true // a local
		}
		if u := byName[id.Name]; u != nil {
			fn(id, u)
		}
		return true
	}, nil)
}

// qualify rewrites the references of d to units of other packages as
// package.Name.
func qualify(f *ast.File, d ast.Decl, byName map[string]*unit, pkg string, pkgName map[string]string) {
	var refs []*ast.Ident
	eachRef(f, d, byName, func(id *ast.Ident, to *unit) {
		if to.pkg != pkg {
			refs = append(refs, id)
		}
	})
	if len(refs) == 0 {
		return
	}
	targets := map[*ast.Ident]string{}
	for _, id := range refs {
		targets[id] = pkgName[byName[id.Name].pkg]
	}
	astutil.Apply(d, func(c *astutil.Cursor) bool {
		if id, ok := c.Node().(*ast.Ident); ok {
			if q, ok := targets[id]; ok {
				c.Replace(&ast.SelectorExpr{X: &ast.Ident{Name: q, NamePos: id.NamePos}, Sel: &ast.Ident{Name: id.Name, NamePos: id.NamePos}})
			}
		}
		return true
	}, nil)
}

// writePart prints the declarations of one file that go to one package,
// with the file's imports and those of the generated packages it uses; a
// package's part of the client file keeps the file's doc comments.
func writePart(g *goFile, decls []ast.Decl, pkgName string, imports []string, keepHead bool) ([]byte, error) {
	nf := &ast.File{Name: &ast.Ident{Name: pkgName}, Decls: decls}
	// Only the imports the declarations use (computed, not deleted: parts
	// are written at once, and deleting an import edits the file set's
	// line table).
	used := usedPackageNames(nf)
	var specs []ast.Spec
	for _, imp := range g.f.Imports {
		if used[importName(imp)] {
			specs = append(specs, &ast.ImportSpec{Name: imp.Name, Path: &ast.BasicLit{Kind: token.STRING, Value: imp.Path.Value}})
		}
	}
	for _, p := range imports {
		spec := &ast.ImportSpec{Path: &ast.BasicLit{Kind: token.STRING, Value: strconv.Quote(p)}}
		if used[importName(spec)] {
			specs = append(specs, spec)
		}
	}
	if len(specs) > 0 {
		gd := &ast.GenDecl{Tok: token.IMPORT, Lparen: 1, Specs: specs}
		nf.Decls = append([]ast.Decl{gd}, decls...)
		for _, s := range specs {
			nf.Imports = append(nf.Imports, s.(*ast.ImportSpec))
		}
	}
	// The comments inside the declarations, doc comments included (the
	// file's comments are in order).
	cs := g.f.Comments
	for _, d := range decls {
		from := declStart(d)
		i, _ := slices.BinarySearchFunc(cs, from, func(cg *ast.CommentGroup, p token.Pos) int { return cmp.Compare(cg.Pos(), p) })
		for ; i < len(cs) && cs[i].End() <= d.End(); i++ {
			nf.Comments = append(nf.Comments, cs[i])
		}
	}
	// Imports made anew print without positions: print formats the head
	// again.
	part := &goFile{name: g.name, fset: g.fset, f: nf, trimmed: true}
	body, err := part.print()
	if err != nil {
		return nil, err
	}
	var head bytes.Buffer
	head.WriteString(Header + "\n\n")
	if keepHead && g.f.Doc != nil {
		for _, c := range g.f.Doc.List {
			head.WriteString(c.Text + "\n")
		}
	}
	return append(head.Bytes(), body...), nil
}

// packageFiles gives the facade's files of a split SDK their packages.
func packageFiles(api *ir.API, rendered []*srcFile) {
	dirOf := map[string]string{}
	for _, svc := range api.Services {
		dirOf[svc.File] = svc.Package.Dir
	}
	for _, sf := range rendered {
		sf.pkg = dirOf[sf.name]
		sf.float = sf.name == "client.gen.go"
	}
}

// rootNames lists the declarations of the root package, and those of the
// models file that belong to an operation's package (its request builders,
// parameters and body types), by name.
func rootNames(api *ir.API, stems map[string]string, models *goFile) map[string]string {
	fixed := map[string]string{}
	for _, n := range []string{api.ClientName, api.NewClientName, api.DefaultBaseURLName, api.ServersName} {
		fixed[n] = ""
	}
	for _, sc := range api.Schemes {
		fixed[sc.Option] = ""
		for _, f := range sc.Flows {
			fixed[f.Func] = ""
		}
		if sc.OIDC != nil {
			fixed[sc.OIDC.Func] = ""
		}
	}
	for _, d := range models.f.Decls {
		for _, n := range declNames(d) {
			if pkg, ok := stems[n]; ok {
				fixed[n] = pkg
			}
		}
	}
	return fixed
}
