package generator

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/sdkgen-go/sdkgen/internal/gentest"
	"github.com/sdkgen-go/sdkgen/openapi"
)

// Hostile specs: a spec is untrusted input to a code generator. The specs
// under testdata/hostile/generate put text that tries to break out of
// comments and string literals, Go keywords, names of the sdk package and
// of the generator's own declarations, look-alike names and untrusted
// extensions everywhere a spec can hold them; they must generate, compile,
// vet, and pass auditGenerated. The specs under testdata/hostile/fail
// (and the ones hostileFailCases builds) must be refused with a located
// diagnostic, in bounded time and memory.

// allowedImports is every package generated code may import when the
// spec's x-go-* extensions are not trusted:
//   - the standard library packages oapi-codegen's request builders and
//     models use (HTTP, URLs, JSON, multipart bodies, times) and the ones
//     the facade uses (context, iterators). None of them reaches the file
//     system, processes or unsafe memory: os, os/exec, syscall, unsafe,
//     plugin, runtime, reflect and "C" are absent on purpose;
//   - oapi-codegen's runtime (parameter styles, UUID/date/file types);
//   - this repository's sdk and its auth, nullable and sdkimpl subpackages.
var allowedImports = map[string]bool{
	"bytes": true, "context": true, "encoding/base64": true, "encoding/json": true, "encoding/xml": true,
	"errors": true, "fmt": true, "io": true, "iter": true, "mime": true, "mime/multipart": true,
	"net/http": true, "net/url": true, "path": true, "strconv": true, "strings": true, "time": true,
	"github.com/oapi-codegen/runtime":          true,
	"github.com/oapi-codegen/runtime/types":    true,
	"github.com/sdkgen-go/sdkgen/sdk":          true,
	"github.com/sdkgen-go/sdkgen/sdk/auth":     true,
	"github.com/sdkgen-go/sdkgen/sdk/nullable": true,
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl":  true,
}

// directive matches the comment lines the go command, the compiler and
// cgo read as instructions: //go:xxx and every other //word:word form,
// //line, //export, //extern, old-style // +build, and #cgo lines.
var directive = regexp.MustCompile(`^(//[a-z0-9]+:[a-z0-9]|//line |/\*line |//export |//extern |//\s*\+build|#cgo)`)

// auditGenerated parses one generated Go file and returns every way it
// departs from what a generator may emit for an untrusted spec: a file that
// does not parse, another package clause, init functions, comment
// directives (the generator emits none; the only special comment is the
// "Code generated ... DO NOT EDIT." header, a plain comment), cgo, imports
// outside allowedImports, and raw control, bidirectional-formatting or
// line-separator characters in comments and string literals.
func auditGenerated(pkg, name string, src []byte) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(name+": "+format, args...)) }
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		bad("does not parse: %v", err)
		return problems
	}
	if !bytes.HasPrefix(src, []byte(Header+"\n")) {
		bad("does not start with the header %q", Header)
	}
	if f.Name.Name != pkg {
		bad("package %s, want %s", f.Name.Name, pkg)
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && (fd.Name.Name == "init" || fd.Name.Name == "main") {
			bad("declares func %s at %s", fd.Name.Name, fset.Position(fd.Pos()))
		}
	}
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		switch {
		case p == "C":
			bad("uses cgo (import \"C\")")
		case !allowedImports[p]:
			bad("imports %q, which is not in the allowlist", p)
		}
	}
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			if unsafeRunes(c.Text) {
				bad("comment at %s holds a raw control, bidi or separator character: %q", fset.Position(c.Pos()), c.Text)
			}
			for _, line := range strings.Split(c.Text, "\n") {
				line = strings.TrimLeft(line, " \t")
				if directive.MatchString(line) {
					bad("comment at %s is a directive: %q", fset.Position(c.Pos()), line)
				}
			}
			if strings.HasPrefix(c.Text, "/*") {
				bad("block comment at %s: the generator writes only line comments", fset.Position(c.Pos()))
			}
		}
	}
	// The go command's generate step does not parse: it runs every line
	// that starts with its directive, in a raw string literal too.
	for i, line := range strings.Split(string(src), "\n") {
		if directive.MatchString(line) {
			bad("line %d starts like a directive: %q", i+1, line)
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && (lit.Kind == token.STRING || lit.Kind == token.CHAR) && unsafeRunes(lit.Value) {
			bad("literal at %s holds a raw control, bidi or separator character: %s", fset.Position(lit.Pos()), strconv.QuoteToASCII(lit.Value))
		}
		return true
	})
	return problems
}

// unsafeRunes reports raw characters that have no business in generated
// source: C0 and C1 controls (tab and newline aside), DEL, the byte order
// mark, bidirectional formatting characters and the Unicode line and
// paragraph separators. (Written apart from internal/gotext, which the
// generator uses, so that a mistake there cannot hide here.)
func unsafeRunes(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		switch {
		case r == '\t' || r == '\n':
			return false
		case unicode.IsControl(r), r == '\ufeff', r == '\u2028', r == '\u2029', r == '\u061c', r == '\u200e', r == '\u200f':
			return true
		case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
			return true
		}
		return false
	})
}

// The audit finds each kind of injection in a file written to have them
// all: it is not a check that cannot fail.
func TestAuditCatchesInjectedCode(t *testing.T) {
	// The directives are written "#go:" here and put back below: the go
	// command's generate step reads every line of every .go file that
	// starts with the generate directive, inside string literals too, and
	// runs it.
	evil := Header + "\n\n" + `// Package evil does harm.
#go:generate rm -rf /
package evil

/*
#cgo LDFLAGS: -levil
*/
import "C"

import (
	"os/exec"
	_ "unsafe"
)

#go:linkname now runtime.nanotime
func now() int64

// a comment with a ` + "\u202e" + ` right-to-left override
//line evil.go:1
func init() { _ = exec.Command("sh").Run() }

//export Evil
func Evil() {}

// +build ignore
var s = "` + "\u2066" + `"

var raw = ` + "`" + `
#go:generate echo pwned
` + "`" + `
`
	evil = strings.ReplaceAll(evil, "#go:", "//go:")
	problems := strings.Join(auditGenerated("api", "evil.go", []byte(evil)), "\n")
	for _, want := range []string{
		"package evil, want api", "declares func init", `uses cgo`, `imports "os/exec"`, `imports "unsafe"`,
		`directive: "//go:generate rm -rf /"`, `directive: "#cgo LDFLAGS: -levil"`, `directive: "//go:linkname`,
		`directive: "//line evil.go:1"`, `directive: "//export Evil"`, `directive: "// +build ignore"`,
		"raw control, bidi or separator character: \"// a comment", `starts like a directive: "//go:generate echo pwned"`, `separator character: "\"\u2066\""`, "block comment",
	} {
		if !strings.Contains(problems, want) {
			t.Errorf("the audit missed %s; it found:\n%s", want, problems)
		}
	}
	if p := auditGenerated("api", "x.go", []byte("package api\n")); len(p) != 1 || !strings.Contains(p[0], "header") {
		t.Errorf("a file without the header: %q", p)
	}
}

// hostileExpectations are what each must-generate spec is known to
// produce, so that a generator that dropped the hostile text (or the
// operations) would fail too, not only one that let it through.
var hostileExpectations = map[string]func(t *testing.T, files Files, diags openapi.Diagnostics){
	"injection.yaml": func(t *testing.T, files Files, diags openapi.Diagnostics) {
		models, client := string(fileNamed(t, files, "models.gen.go")), string(fileNamed(t, files, "client.gen.go"))
		// The payload is there, as inert comment text.
		for _, want := range []string{"\n// //go:generate rm -rf /\n", "\n// package evil\n", "\n// func init() { exec.Command(\"sh\").Run() }\n", "\n// + build ignore\n", "\n// go:build ignore\n"} {
			if !strings.Contains(models, want) || !strings.Contains(client, want) {
				t.Errorf("the payload line %q is not in the doc comments", want)
			}
		}
		// URLs of the security schemes lost their line breaks.
		if !strings.Contains(client, "// https://example.com/token//go:generate rm -rf /func init() {}.\n") {
			t.Errorf("the token URL is not flattened into its comment line")
		}
		if len(withCodes(diags, openapi.CodeUnrepresentable)) == 0 {
			t.Errorf("no %s diagnostics for the cleaned text", openapi.CodeUnrepresentable)
		}
	},
	"extensions.yaml": func(t *testing.T, files Files, diags openapi.Diagnostics) {
		// Every x-go-* and x-oapi-codegen-* extension was dropped, each with
		// a warning at its place.
		if n := len(withCodes(diags, openapi.CodeExtensionIgnored)); n != 16 {
			t.Errorf("%d %s warnings, want 16:\n%s", n, openapi.CodeExtensionIgnored, diagText(diags))
		}
		models := string(fileNamed(t, files, "models.gen.go"))
		for _, want := range []string{"\tCmd   string ", "\tEvil  map[string]interface{} ", "\tName  string ", "\tTags  []string "} {
			if !strings.Contains(models, want) {
				t.Errorf("models.gen.go lacks %q: an x-go-type was applied", want)
			}
		}
		// The enum names of x-enum-varnames are identifiers, whatever they
		// held.
		if !strings.Contains(models, "\tThingKindA1funcInitPanic1ConstB ThingKind = \"a\"\n") {
			t.Errorf("x-enum-varnames did not become a plain identifier")
		}
		// x-sdkgen-stream values are quoted string literals.
		svc := string(fileNamed(t, files, "service_default.gen.go"))
		if !strings.Contains(svc, `Stream: &sdk.EventStream{Terminal: "done\"); panic(1); (\"", TerminalData: "`+"`[DONE]`"+`\n//go:generate rm -rf /"},`) {
			t.Errorf("the x-sdkgen-stream values are not quoted literals")
		}
	},
}

// Trusted extensions do reach the output, so a spec must be trusted for
// them to apply; and the audit sees the import they add.
func TestTrustedExtensionsReachTheOutput(t *testing.T) {
	spec := writeSpec(t, `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /t:
    get:
      operationId: getT
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/T"}
components:
  schemas:
    T:
      type: object
      properties:
        x:
          type: object
          x-go-type: evil.Thing
          x-go-type-import: {name: evil, path: github.com/evil/pkg}
`)
	for _, trusted := range []bool{false, true} {
		files, diags := generate(t, spec, Config{Package: "api", TrustGoExtensions: trusted})
		if diags.HasErrors() {
			t.Fatalf("trusted=%v: %s", trusted, diagText(diags))
		}
		problems := strings.Join(auditGenerated("api", "models.gen.go", fileNamed(t, files, "models.gen.go")), "\n")
		flagged := strings.Contains(problems, `imports "github.com/evil/pkg"`)
		warned := len(withCodes(diags, openapi.CodeExtensionIgnored)) == 2
		if flagged != trusted || warned == trusted {
			t.Errorf("trusted=%v: import flagged %v, extensions dropped %v:\n%s\n%s", trusted, flagged, warned, problems, diagText(diags))
		}
	}
}

func withCodes(diags openapi.Diagnostics, code string) openapi.Diagnostics {
	var out openapi.Diagnostics
	for _, d := range diags {
		if d.Code == code {
			out = append(out, d)
		}
	}
	return out
}

// Every spec under testdata/hostile/generate generates, builds, vets, and
// passes the audit; so do the examples its API.md shows.
func TestHostileSpecsGenerate(t *testing.T) {
	specs := specEntries(t, "testdata/hostile/generate")
	mod := gentest.NewModule(t)
	for _, name := range slices.Sorted(mapKeys(specs)) {
		pkg := packageName(name)
		files, diags := generate(t, specs[name], Config{Package: pkg})
		if diags.HasErrors() {
			t.Errorf("%s: generation failed:\n%s", name, diagText(diags))
			continue
		}
		pkgFiles := map[string][]byte{}
		for _, f := range files {
			if strings.ContainsFunc(f.Name, func(r rune) bool { return r > unicode.MaxASCII }) {
				t.Errorf("%s: file name %q is not ASCII", name, f.Name)
			}
			if !strings.HasSuffix(f.Name, ".go") {
				continue
			}
			pkgFiles[f.Name] = f.Content
			for _, p := range auditGenerated(pkg, f.Name, f.Content) {
				t.Errorf("%s: %s", name, p)
			}
		}
		if check := hostileExpectations[name]; check != nil {
			t.Run(name, func(t *testing.T) { check(t, files, diags) })
		}
		mod.Add(pkg, pkgFiles)
		mod.Add(pkg+"/apimd", map[string][]byte{"calls.go": apiMDCalls(t, pkg, files)})
	}
	mod.BuildAndVet()
	_ = filepath.Join
}

// The generator's own last check refuses what the audit refuses: each kind
// of injection, in a file as a broken sanitizer would let it through.
func TestVerifyOutputRefusesInjectedCode(t *testing.T) {
	good := Header + "\n\npackage api\n\nimport (\n\t\"net/http\"\n)\n\n// Get gets.\nvar Get = http.MethodGet\n"
	if p := verifyFile("a.go", []byte(good), "api", false); len(p) != 0 {
		t.Fatalf("a clean file was refused: %q", p)
	}
	for name, evil := range map[string]string{
		"init":         good + "\nfunc init() {}\n",
		"package":      strings.Replace(good, "package api", "package evil", 1),
		"header":       strings.TrimPrefix(good, Header+"\n"),
		"import":       strings.Replace(good, `"net/http"`, "\"net/http\"\n\t_ \"os/exec\"", 1),
		"cgo":          strings.Replace(good, "import (", "import \"C\"\nimport (", 1),
		"go:generate":  good + "\n" + "//go:" + "generate rm -rf /\nvar X int\n",
		"+build":       good + "\n// +build ignore\nvar X int\n",
		"//line":       good + "\n//line evil.go:1\nvar X int\n",
		"raw string":   good + "\nvar X = `\n" + "//go:" + "generate rm -rf /\n`\n",
		"bidi comment": good + "\n// a \u202e b\nvar X int\n",
		"bidi literal": good + "\nvar X = \"\u2066\"\n",
		"block":        good + "\n/* x */\nvar X int\n",
		"syntax":       good + "\nfunc {\n",
	} {
		if p := verifyFile("a.go", []byte(evil), "api", false); len(p) == 0 {
			t.Errorf("%s: not refused", name)
		}
	}
	// Trusted extensions may import what they name.
	trusted := strings.Replace(good, `"net/http"`, "\"net/http\"\n\tevil \"github.com/evil/pkg\"", 1) + "\nvar _ evil.T\n"
	if p := verifyFile("a.go", []byte(trusted), "api", true); len(p) != 0 {
		t.Errorf("trusted import refused: %q", p)
	}
	if p := verifyFile("a.go", []byte(trusted), "api", false); len(p) != 1 {
		t.Errorf("untrusted import: %q", p)
	}
	// The templates' imports are what the audit allows, and no more.
	for p := range templateImports {
		if !allowedImports[p] {
			t.Errorf("the templates import %q, which the audit's allowlist lacks", p)
		}
	}
}

// verifyFile runs the generator's checks of a file's syntax tree and of its
// bytes on source, as emit runs them on what it writes.
func verifyFile(name string, src []byte, pkg string, trusted bool) []string {
	g, err := parseGo(name, src)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	for _, d := range append(verifyGo(g, pkg, trusted), verifyText(name, src)...) {
		problems = append(problems, d.Message)
	}
	return problems
}
