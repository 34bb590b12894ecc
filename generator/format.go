package generator

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/scanner"
	"go/token"
	"path"
	"slices"
	"strconv"
	"strings"

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
	var buf bytes.Buffer
	if err := format.Node(&buf, g.fset, g.f); err != nil {
		return nil, &FormatError{File: g.name, Err: err}
	}
	out := buf.Bytes()
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
