package generator

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/scanner"
	"go/token"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/tools/go/ast/astutil"
)

// FormatError is returned when generated code does not parse: a bug in a
// template or an input the generator failed to sanitise. It keeps the raw
// output so the problem can be inspected.
type FormatError struct {
	File string
	Line int
	Err  error
	Raw  []byte
}

func (e *FormatError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: generated code does not parse: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: generated code does not parse: %v", e.File, e.Err)
}

func (e *FormatError) Unwrap() error { return e.Err }

// goFile is one generated Go file on its way out: parsed once, checked and
// trimmed on its syntax tree, printed once.
type goFile struct {
	name string
	fset *token.FileSet
	f    *ast.File
	// trimmed reports imports removed, whose block the printer may leave
	// with a blank line in it.
	trimmed bool
}

// parseGo parses generated source, or returns a *FormatError keeping it.
func parseGo(name string, src []byte) (*goFile, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
	if err != nil {
		line := 0
		var el scanner.ErrorList
		if errors.As(err, &el) && len(el) > 0 {
			line = el[0].Pos.Line
		}
		return nil, &FormatError{File: name, Line: line, Err: err, Raw: src}
	}
	return &goFile{name: name, fset: fset, f: f}, nil
}

// dropUnusedImports removes the imports the file does not use. It never
// adds imports and never looks at the module cache (unlike
// golang.org/x/tools/imports.Process), so the output depends on the input
// alone.
func (g *goFile) dropUnusedImports() {
	used := usedPackageNames(g.f)
	for _, imp := range slices.Clone(g.f.Imports) { // deleting edits f.Imports
		p, _ := strconv.Unquote(imp.Path.Value)
		local := importName(imp)
		if local == "_" || local == "." || used[local] {
			continue
		}
		if imp.Name != nil {
			astutil.DeleteNamedImport(g.fset, g.f, imp.Name.Name, p)
		} else {
			astutil.DeleteImport(g.fset, g.f, p)
		}
		g.trimmed = true
	}
}

// print prints the file as gofmt does.
func (g *goFile) print() ([]byte, error) {
	out, err := g.printChunks()
	if err != nil {
		return nil, err
	}
	if !g.trimmed {
		return out, nil
	}
	// Removing imports can leave a blank line where they were: the
	// canonical formatter settles the file's head (package clause and
	// imports), which is all that removal touched.
	head := len(out)
	if i := bytes.Index(out, []byte("\nimport (")); i >= 0 {
		if j := bytes.Index(out[i:], []byte("\n)\n")); j >= 0 {
			head = i + j + 3
		}
	} else if i := bytes.Index(out, []byte("\nimport ")); i >= 0 {
		if j := bytes.IndexByte(out[i+1:], '\n'); j >= 0 {
			head = i + 1 + j + 1
		}
	}
	fixed, err := format.Source(out[:head])
	if err != nil {
		return nil, &FormatError{File: g.name, Err: err, Raw: out}
	}
	if !bytes.HasSuffix(fixed, []byte("\n")) {
		fixed = append(fixed, '\n')
	}
	return append(fixed, out[head:]...), nil
}

// parallelPrintDecls is the number of declarations above which a file is
// printed in parts, one per processor.
var parallelPrintDecls = 400

// printParts is the number of parts a large file is printed in; 0 means
// one per processor.
var printParts = 0

// printChunks prints the file as format.Node does; a large file (the
// models of a big spec, a megabyte or more) in contiguous parts printed at
// once on every processor and joined. A part starts at a declaration with
// a doc comment and no other comment before it: there the printer puts
// exactly one blank line, whatever the positions, so the joined parts are
// what printing the whole would give (TestChunkedPrintIsGofmt checks it).
func (g *goFile) printChunks() ([]byte, error) {
	decls := g.f.Decls
	n := cmp.Or(printParts, runtime.GOMAXPROCS(0))
	if n < 2 || len(decls) < parallelPrintDecls {
		var buf bytes.Buffer
		if err := format.Node(&buf, g.fset, g.f); err != nil {
			return nil, &FormatError{File: g.name, Err: err}
		}
		return buf.Bytes(), nil
	}
	// Cut points: indexes of declarations that may start a part.
	comments := g.f.Comments
	ci := 0
	var cuts []int
	for i := 1; i < len(decls); i++ {
		start := docPos(decls[i])
		if start == token.NoPos {
			continue
		}
		if gd, ok := decls[i-1].(*ast.GenDecl); ok && gd.Tok == token.IMPORT {
			continue
		}
		// No comment between the previous declaration and this one's doc.
		for ci < len(comments) && comments[ci].End() <= decls[i-1].End() {
			ci++
		}
		if ci < len(comments) && comments[ci].Pos() < start {
			continue
		}
		cuts = append(cuts, i)
	}
	if len(cuts) == 0 {
		n = 1
	}
	// n parts of about equal source length.
	total := int(decls[len(decls)-1].End() - decls[0].Pos())
	var bounds []int // first declaration of parts 1..n-1
	for k, c := 1, 0; k < n && c < len(cuts); k++ {
		target := decls[0].Pos() + token.Pos(total*k/n)
		for c < len(cuts) && decls[cuts[c]].Pos() < target {
			c++
		}
		if c < len(cuts) && (len(bounds) == 0 || cuts[c] > bounds[len(bounds)-1]) {
			bounds = append(bounds, cuts[c])
		}
	}
	starts := append([]int{0}, bounds...)
	parts := make([][]byte, len(starts))
	errs := make([]error, len(starts))
	var wg sync.WaitGroup
	for p := range starts {
		from, to := starts[p], len(decls)
		if p+1 < len(starts) {
			to = starts[p+1]
		}
		// A part's comments: those before its first declaration's doc (for
		// the first part, the file's head) up to its last declaration's end.
		lo, hi := token.NoPos, decls[to-1].End()
		if p > 0 {
			lo = docPos(decls[from])
		}
		var cs []*ast.CommentGroup
		for _, cg := range comments {
			if cg.Pos() >= lo && (cg.End() <= hi || to == len(decls)) {
				cs = append(cs, cg)
			}
		}
		f := &ast.File{Name: g.f.Name, Package: g.f.Package, Decls: decls[from:to], Comments: cs}
		if p == 0 {
			f.Doc, f.Imports = g.f.Doc, g.f.Imports
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			if err := format.Node(&buf, g.fset, f); err != nil {
				errs[p] = &FormatError{File: g.name, Err: err}
				return
			}
			out := buf.Bytes()
			if p > 0 {
				// The part's own package clause goes.
				i := bytes.IndexByte(out, '\n')
				out = bytes.TrimLeft(out[i+1:], "\n")
			}
			parts[p] = out
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return bytes.Join(parts, []byte("\n")), nil
}

// usedPackageNames collects X of every selector X.Sel where X does not
// resolve to a declaration in the file: those are package references.
func usedPackageNames(f *ast.File) map[string]bool {
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			// The parser resolves identifiers within the file (Obj); a
			// package name never resolves.
			if id, ok := sel.X.(*ast.Ident); ok && id.Obj == nil {
				used[id.Name] = true
			}
		}
		return true
	})
	return used
}

// importName is the name an import is referred to by in the file.
func importName(imp *ast.ImportSpec) string {
	if imp.Name != nil {
		return imp.Name.Name
	}
	p, _ := strconv.Unquote(imp.Path.Value)
	return defaultPackageName(p)
}

// defaultPackageName guesses a package's name from its import path the way
// goimports does: the last element, without a major-version suffix, a
// "go-" prefix or a ".vN" suffix.
func defaultPackageName(p string) string {
	base := path.Base(p)
	if len(base) >= 2 && base[0] == 'v' && isDigits(base[1:]) && path.Dir(p) != "." {
		base = path.Base(path.Dir(p))
	}
	if i := strings.Index(base, ".v"); i > 0 && isDigits(base[i+2:]) {
		base = base[:i]
	}
	base = strings.TrimPrefix(base, "go-")
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '.' {
			return '_'
		}
		return r
	}, base)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// docPos returns where a declaration's doc comment starts, or token.NoPos
// when it has none.
func docPos(d ast.Decl) token.Pos {
	switch d := d.(type) {
	case *ast.GenDecl:
		if d.Doc != nil {
			return d.Doc.Pos()
		}
	case *ast.FuncDecl:
		if d.Doc != nil {
			return d.Doc.Pos()
		}
	}
	return token.NoPos
}

// declStart returns where a declaration starts, its doc comment included.
func declStart(d ast.Decl) token.Pos { return cmp.Or(docPos(d), d.Pos()) }
