package generator

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/token"
	"regexp"
	"strconv"
	"strings"

	"github.com/sdkgen-go/sdkgen/internal/gotext"
	"github.com/sdkgen-go/sdkgen/openapi"
)

// CodeUnsafeOutput reports generated code that failed the generator's own
// check of what it writes (see verifyOutput): a sanitizer missed something
// a spec held. It is a bug, and no files are returned.
const CodeUnsafeOutput = "generate.unsafe-output"

// templateImports lists every package the templates import (oapi-codegen's
// overridden imports.tmpl and the facade's): what generated code may import
// when the spec's Go extensions are not trusted.
var templateImports = func() map[string]bool {
	m := map[string]bool{}
	quoted := regexp.MustCompile(`(?m)^\s*(?:[a-z_]+\s+)?"([^"]+)"\s*$`)
	for _, name := range []string{"templates/imports.tmpl"} {
		b, _ := templateFS.ReadFile(name)
		for _, s := range quoted.FindAllSubmatch(b, -1) {
			m[string(s[1])] = true
		}
	}
	b, _ := facadeFS.ReadFile("templates/facade/imports.tmpl")
	for _, s := range quoted.FindAllSubmatch(b, -1) {
		m[string(s[1])] = true
	}
	return m
}()

// directiveLine matches the lines the go command, the compiler, cgo and
// gofmt act on: //go:xxx and other //word:word forms, //line, //export,
// //extern, // +build (the space is optional), #cgo.
var directiveLine = regexp.MustCompile(`^\s*(//[a-z0-9]+:[a-z0-9]|//line |/\*line |//export |//extern |//\s*\+build|#cgo)`)

// The generator's last look at what it writes, whatever the spec held:
// every Go file parses, starts with Header, belongs to pkg, declares no init
// (or main) function, holds no comment directive and no line the go command
// would read as one (go generate reads raw lines, in string literals too),
// no raw control, bidirectional-formatting or line-separator character in a
// comment or literal, no cgo, and, unless the spec's Go extensions are
// trusted, imports only what the templates import. verifyGo checks a
// file's syntax tree, verifyText its printed bytes.

// verifyGo checks a parsed file.
func verifyGo(g *goFile, pkg string, trusted bool) openapi.Diagnostics {
	var problems []string
	bad := func(format string, args ...any) {
		problems = append(problems, g.name+": "+fmt.Sprintf(format, args...))
	}
	f, fset := g.f, g.fset
	if f.Name.Name != pkg {
		bad("is in package %s, not %s", f.Name.Name, pkg)
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && (fd.Name.Name == "init" || fd.Name.Name == "main") {
			bad("line %d declares func %s", fset.Position(fd.Pos()).Line, fd.Name.Name)
		}
	}
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if p == "C" || (!trusted && !templateImports[p]) {
			bad("imports %q", p)
		}
	}
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			if !strings.HasPrefix(c.Text, "//") {
				bad("line %d has a block comment", fset.Position(c.Pos()).Line)
			}
			if gotext.HasUnsafe(c.Text) {
				bad("line %d has a comment with a raw control or bidirectional-formatting character", fset.Position(c.Pos()).Line)
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && (lit.Kind == token.STRING || lit.Kind == token.CHAR) && gotext.HasUnsafe(lit.Value) {
			bad("line %d has a literal with a raw control or bidirectional-formatting character", fset.Position(lit.Pos()).Line)
		}
		return true
	})
	return unsafeOutput(problems)
}

// verifyText checks a printed file's lines.
func verifyText(name string, src []byte) openapi.Diagnostics {
	var problems []string
	if !bytes.HasPrefix(src, []byte(Header+"\n")) {
		problems = append(problems, name+": does not start with the generated-code header")
	}
	for i, line := range bytes.Split(src, []byte("\n")) {
		if directiveLine.Match(line) {
			problems = append(problems, fmt.Sprintf("%s: line %d reads as a directive: %s", name, i+1, gotext.Printable(string(line))))
		}
	}
	return unsafeOutput(problems)
}

func unsafeOutput(problems []string) openapi.Diagnostics {
	var ds openapi.Diagnostics
	for _, p := range problems {
		ds = append(ds, openapi.Diagnostic{Code: CodeUnsafeOutput, Severity: openapi.SeverityError,
			Message: p + " (a bug of sdkgen: please report it with the spec)"})
	}
	return ds
}
