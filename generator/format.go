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

// formatGo gofmts generated source and drops the imports it does not use.
// It never adds imports and never looks at the module cache (unlike
// golang.org/x/tools/imports.Process), so the output depends on the input
// alone.
func formatGo(name string, src []byte) ([]byte, error) {
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
	used := usedPackageNames(f)
	for _, imp := range slices.Clone(f.Imports) { // deleting edits f.Imports
		p, _ := strconv.Unquote(imp.Path.Value)
		local := importName(imp)
		if local == "_" || local == "." {
			continue
		}
		if !used[local] {
			if imp.Name != nil {
				astutil.DeleteNamedImport(fset, f, imp.Name.Name, p)
			} else {
				astutil.DeleteImport(fset, f, p)
			}
		}
	}
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, f); err != nil {
		return nil, &FormatError{File: name, Err: err, Raw: src}
	}
	// A second pass through the canonical formatter settles any layout the
	// import removal left behind (blank lines in the import block).
	out, err := format.Source(buf.Bytes())
	if err != nil {
		return nil, &FormatError{File: name, Err: err, Raw: buf.Bytes()}
	}
	return out, nil
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
