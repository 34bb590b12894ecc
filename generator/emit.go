package generator

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/printer"
	"go/token"
	"slices"
	"strings"

	"github.com/sdkgen-go/sdkgen/generator/ir"
	"github.com/sdkgen-go/sdkgen/internal/parallel"
	"github.com/sdkgen-go/sdkgen/openapi"
)

// CodeNameCollision reports two declarations of one name in the generated
// code: the naming pass failed to foresee a name oapi-codegen derives. It
// is a bug of sdkgen, reported instead of writing code that does not
// compile.
const CodeNameCollision = "generate.name-collision"

// emit turns oapi-codegen's output and the IR into files. The models are
// parsed once: identical copies of a declaration are folded, unused
// imports dropped, the struct fields pagination reads are taken from the
// same syntax tree, and it is checked and printed. The facade is rendered
// from the IR.
func emit(res oapiResult, cfg Config) (Files, openapi.Diagnostics) {
	var diags openapi.Diagnostics
	fail := func(code string, err error) (Files, openapi.Diagnostics) {
		return nil, append(diags, openapi.Diagnostic{Code: code, Severity: openapi.SeverityError, Message: err.Error()})
	}
	models, err := parseGo("models.gen.go", []byte(res.models))
	if err != nil {
		return fail(CodeFormat, err)
	}
	dropIdenticalDecls(models)
	if dups := duplicateDecls(models.f); len(dups) > 0 {
		return fail(CodeNameCollision, fmt.Errorf("the generated models declare %s twice (a bug of sdkgen's naming: please report it with the spec)", strings.Join(dups, ", ")))
	}
	api := res.api

	// What pagination and the examples read of the types: the models'
	// structs and the facade's own result types.
	si := readStructs(models.fset, models.f, nil)
	var decls strings.Builder
	decls.WriteString("package p\n")
	for _, rt := range api.ResultTypes {
		if rt.Decl != "" {
			fmt.Fprintf(&decls, "type %s %s\n", rt.Name, rt.Decl)
		}
	}
	if extra, err := parseGo("results.go", []byte(decls.String())); err == nil {
		readStructs(extra.fset, extra.f, si)
	}
	for _, op := range api.Ops {
		st := res.states[op]
		p, d := pagination(op, st, si)
		op.Paging = p
		diags = append(diags, d...)
	}
	facade, err := renderFacade(api)
	if err != nil {
		return fail(CodeFormat, err)
	}
	sources := make([]*srcFile, len(facade))
	errs := make([]error, len(facade))
	parallel.Each(len(facade), func(i int) {
		g, err := parseGo(facade[i].name, facade[i].src)
		sources[i], errs[i] = &srcFile{g: g, name: facade[i].name}, err
	})
	if err := errors.Join(errs...); err != nil {
		return fail(CodeFormat, err)
	}
	split := len(api.Packages) > 1
	if split {
		packageFiles(api, sources)
	}
	for _, sf := range append([]*srcFile{{g: models}}, sources...) {
		pkg := cfg.Package
		if sf.pkg != "" {
			pkg = sf.g.f.Name.Name
		}
		if d := verifyGo(sf.g, pkg, cfg.TrustGoExtensions); len(d) > 0 {
			return nil, append(diags, d...)
		}
	}
	// The examples of API.md qualify a type with its package.
	q := func(string) string { return cfg.Package }
	var out Files
	if split {
		var placed map[string]string
		out, placed, err = splitPackages(api, models, sources, rootNames(api, res.stemPackages, models))
		if err != nil {
			return fail(CodeFormat, err)
		}
		names := map[string]string{"": cfg.Package}
		for _, p := range api.Packages {
			names[p.Dir] = p.Name
		}
		q = func(typ string) string { return names[placed[typ]] }
	} else {
		all := append([]*srcFile{{g: models, name: "models.gen.go"}}, sources...)
		out = make(Files, len(all))
		errs := make([]error, len(all))
		parallel.Each(len(all), func(i int) {
			all[i].g.dropUnusedImports()
			src, err := all[i].g.print()
			out[i], errs[i] = File{Name: all[i].name, Content: src}, err
		})
		if err := errors.Join(errs...); err != nil {
			return fail(CodeFormat, err)
		}
	}
	for _, f := range out {
		if d := verifyText(f.Name, f.Content); len(d) > 0 {
			return nil, append(diags, d...)
		}
	}
	examples := map[*ir.Operation]string{}
	for _, op := range api.Ops {
		examples[op] = exampleCall(op, q, si)
	}
	md, err := renderAPIMD(api, examples)
	if err != nil {
		return fail(CodeFormat, err)
	}
	return append(out, File{Name: "API.md", Content: md}), diags
}

// dropIdenticalDecls removes the second and later copies of top-level
// declarations that are identical to an earlier one, as oapi-codegen does
// itself within one section: a schema shared by a component request body
// and the operation that uses it is declared in both sections, and an
// enum a shared parameter declares is declared by every operation using it.
func dropIdenticalDecls(g *goFile) {
	count := countDeclNames(g.f)
	repeated := func(d ast.Decl) bool {
		for _, n := range declNames(d) {
			if count[n] > 1 {
				return true
			}
		}
		return false
	}
	seen := map[string]bool{}
	var drop []ast.Decl
	for _, d := range g.f.Decls {
		if !repeated(d) {
			continue
		}
		// Compared without their doc comments, which say where each copy
		// came from.
		var doc **ast.CommentGroup
		switch d := d.(type) {
		case *ast.GenDecl:
			doc = &d.Doc
		case *ast.FuncDecl:
			doc = &d.Doc
		}
		saved := *doc
		*doc = nil
		var buf bytes.Buffer
		err := printer.Fprint(&buf, g.fset, d)
		*doc = saved
		if err != nil {
			return
		}
		text := buf.String()
		if !seen[text] {
			seen[text] = true
			continue
		}
		drop = append(drop, d)
	}
	if len(drop) == 0 {
		return
	}
	type span struct{ from, to token.Pos }
	var spans []span
	for _, d := range drop {
		from := declStart(d)
		spans = append(spans, span{from, d.End()})
	}
	g.f.Decls = slices.DeleteFunc(g.f.Decls, func(d ast.Decl) bool { return slices.Contains(drop, d) })
	// Their comments go with them, or the printer would put them elsewhere.
	g.f.Comments = slices.DeleteFunc(g.f.Comments, func(cg *ast.CommentGroup) bool {
		for _, s := range spans {
			if cg.Pos() >= s.from && cg.End() <= s.to {
				return true
			}
		}
		return false
	})
}

// duplicateDecls returns the top-level names declared twice (methods as
// Type.Method).
func duplicateDecls(f *ast.File) []string {
	var dups []string
	for n, c := range countDeclNames(f) {
		if c > 1 {
			dups = append(dups, n)
		}
	}
	slices.Sort(dups)
	return dups
}

// declNames lists the names a top-level declaration declares; a method is
// Type.Method.
func declNames(d ast.Decl) []string {
	var names []string
	switch d := d.(type) {
	case *ast.FuncDecl:
		if d.Recv == nil || len(d.Recv.List) == 0 {
			return []string{d.Name.Name}
		}
		recv := d.Recv.List[0].Type
		if star, ok := recv.(*ast.StarExpr); ok {
			recv = star.X
		}
		if id, ok := recv.(*ast.Ident); ok {
			return []string{id.Name + "." + d.Name.Name}
		}
	case *ast.GenDecl:
		for _, spec := range d.Specs {
			switch sp := spec.(type) {
			case *ast.TypeSpec:
				names = append(names, sp.Name.Name)
			case *ast.ValueSpec:
				for _, n := range sp.Names {
					if n.Name != "_" {
						names = append(names, n.Name)
					}
				}
			}
		}
	}
	return names
}

// countDeclNames counts how many top-level declarations of f declare each
// name.
func countDeclNames(f *ast.File) map[string]int {
	count := map[string]int{}
	for _, d := range f.Decls {
		for _, n := range declNames(d) {
			count[n]++
		}
	}
	return count
}
