// Package hygiene holds repository-wide checks: the module's go line, the
// header of generated files, paths of this machine leaking into
// committed files, and lines go generate would run.
package hygiene

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"

	"github.com/sdkgen-go/sdkgen/generator"
	"github.com/sdkgen-go/sdkgen/internal/gentest"
)

// Users build generated SDKs with their own Go: the go line names the
// oldest supported release, 1.25, not the toolchain we happen to run.
func TestGoLineIsOldestSupportedRelease(t *testing.T) {
	root := gentest.RepoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.Parse("go.mod", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.Go == nil || !regexp.MustCompile(`^1\.25(\.0)?$`).MatchString(f.Go.Version) {
		t.Errorf("go line = %v, want 1.25 (a dependency upgrade raised it?)", f.Go)
	}
	if f.Toolchain != nil {
		t.Errorf("toolchain line %q would make users download a toolchain", f.Toolchain.Name)
	}
}

// trackedFiles lists the files git tracks, or skips when git is absent.
func trackedFiles(t *testing.T, root string) []string {
	t.Helper()
	cmd := exec.Command("git", "ls-files", "-z")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("git ls-files: %v", err)
	}
	var files []string
	for _, f := range bytes.Split(out, []byte{0}) {
		if len(f) > 0 {
			files = append(files, string(f))
		}
	}
	return files
}

// peerCode holds code that other generators made, for the benchmarks that
// measure sdkgen against them: it carries their header, which must still
// mark it generated (go's "// Code generated ... DO NOT EDIT." line).
var peerCode = []string{"internal/bench/calls/oapiproducts/"}

var goGenerated = regexp.MustCompile(`(?m)^// Code generated .* DO NOT EDIT\.$`)

func TestGeneratedFilesHaveTheHeader(t *testing.T) {
	root := gentest.RepoRoot(t)
	for _, f := range trackedFiles(t, root) {
		if !strings.HasSuffix(f, ".gen.go") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue // deleted in the working tree
		}
		if slices.ContainsFunc(peerCode, func(dir string) bool { return strings.HasPrefix(f, dir) }) {
			head, _, _ := bytes.Cut(data, []byte("\npackage "))
			if !goGenerated.Match(head) {
				t.Errorf("%s has no \"// Code generated ... DO NOT EDIT.\" line before its package clause", f)
			}
			continue
		}
		line, _, _ := strings.Cut(string(data), "\n")
		if line != generator.Header {
			t.Errorf("%s starts with %q, want %q", f, line, generator.Header)
		}
	}
}

// No absolute path of a development machine ends up in committed files
// (generated code, golden files, docs).
func TestNoMachinePaths(t *testing.T) {
	root := gentest.RepoRoot(t)
	machine := regexp.MustCompile(`(/` + `root/|/home/[a-z]+/|/Users/[A-Za-z]+/|/tmp/` + `Test|/tmp/` + `go-build|/` + `work/main|C:\\\\Users)`)
	for _, f := range trackedFiles(t, root) {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue
		}
		if loc := machine.FindIndex(data); loc != nil {
			line := bytes.Count(data[:loc[0]], []byte("\n")) + 1
			t.Errorf("%s:%d holds a machine path: %q", f, line, data[loc[0]:min(len(data), loc[1]+20)])
		}
	}
}

// Features with dependencies of their own live in subpackages, so that
// programs link them only when they use them: the core package links
// neither OAuth2 (sdk/auth) nor a database (sdk/cache/boltstore,
// sdk/outbox), and the cache itself only the standard library and sdk. No
// package of sdk links OpenTelemetry: its tests prove that otelhttp
// composes with the middleware (sdk/otel_test.go), and only they import it.
func TestFeatureDependenciesStayInSubpackages(t *testing.T) {
	root := gentest.RepoRoot(t)
	for pkg, forbidden := range map[string][]string{
		"./sdk":        {"golang.org/x/oauth2", "go.etcd.io/bbolt", "github.com/sdkgen-go/sdkgen/sdk/auth", "github.com/sdkgen-go/sdkgen/sdk/cache", "github.com/sdkgen-go/sdkgen/sdk/outbox", "go.opentelemetry.io"},
		"./sdk/cache":  {"golang.org/x/oauth2", "go.etcd.io/bbolt", "github.com/sdkgen-go/sdkgen/sdk/outbox"},
		"./sdk/outbox": {"golang.org/x/oauth2", "github.com/sdkgen-go/sdkgen/sdk/auth", "github.com/sdkgen-go/sdkgen/sdk/cache"},
		// What generated code calls links no more than sdk itself does.
		"./sdk/sdkimpl": {"golang.org/x/oauth2", "go.etcd.io/bbolt", "github.com/sdkgen-go/sdkgen/sdk/auth", "github.com/sdkgen-go/sdkgen/sdk/cache", "github.com/sdkgen-go/sdkgen/sdk/outbox", "go.opentelemetry.io"},
		"./sdk/...":     {"go.opentelemetry.io"},
	} {
		cmd := exec.Command("go", "list", "-deps", pkg)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, f := range forbidden {
				if dep == f || strings.HasPrefix(dep, f+"/") {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
}

// Programs link sdk (and generated SDKs) into production binaries, which must
// not carry a spec loader or a code generator.
func TestRuntimeDoesNotLinkTheGenerator(t *testing.T) {
	root := gentest.RepoRoot(t)
	forbidden := []string{
		"github.com/getkin/kin-openapi",
		"github.com/oapi-codegen/oapi-codegen/v2",
		"github.com/sdkgen-go/sdkgen/openapi",
		"github.com/sdkgen-go/sdkgen/generator",
		"go.yaml.in/yaml",
		"gopkg.in/yaml",
		// The GraphQL side: genqlient's generator (generated code imports
		// only its small graphql package), gqlparser's parser and
		// validator, and gqlgen (a server library, for the examples).
		"github.com/Khan/genqlient/generate",
		"github.com/vektah/gqlparser/v2/parser",
		"github.com/vektah/gqlparser/v2/validator",
		"github.com/99designs/gqlgen",
		"golang.org/x/tools",
	}
	for _, pkgs := range []string{"./sdk/...", "./sdk/sdkimpl", "./examples/petstore", "./internal/testsdk/...", "./examples/catalog", "./examples/githubgql"} {
		cmd := exec.Command("go", "list", "-deps", pkgs)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkgs, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, f := range forbidden {
				if dep == f || strings.HasPrefix(dep, f+"/") {
					t.Errorf("%s depends on %s", pkgs, dep)
				}
			}
		}
	}
}

// go generate runs every line that starts with its directive, string
// literals included (it reads lines, not Go tokens): test data holding
// hostile spec text once made `go generate ./...` run a fuzz seed. Only the
// generators this repository means to run may stand at the start of a line.
func TestGoGenerateRunsOnlyTheGenerators(t *testing.T) {
	root := gentest.RepoRoot(t)
	directive := "//go:" + "generate"
	allowed := []string{
		directive + " go tool sdkgen generate --config sdkgen.yaml",
		directive + " go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config oapi-codegen.yaml ",
		directive + " go tool gqlgen generate --config gqlgen.yml",
		directive + " go run github.com/sdkgen-go/sdkgen/internal/discovery/cmd/discovery2openapi ",
	}
	for _, f := range trackedFiles(t, root) {
		if !strings.HasSuffix(f, ".go") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue
		}
		for i, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSuffix(line, "\r")
			if !strings.HasPrefix(line, directive) {
				continue
			}
			if !slices.ContainsFunc(allowed, func(a string) bool { return line == a || strings.HasPrefix(line, a) && strings.HasSuffix(a, " ") }) {
				t.Errorf("%s:%d: go generate would run %q", f, i+1, line)
			}
		}
	}
}

// Package sdk shows users what they call; what only generated code calls
// lives in sdk/sdkimpl (see docs/ARCHITECTURE.md, "Two faces"). None of the
// names that moved comes back to sdk's exported API, as a function, a type
// or a method of Client.
func TestSDKExportsNoGeneratedCodeHelpers(t *testing.T) {
	root := gentest.RepoRoot(t)
	moved := []string{
		"EnforceVersion", "MinVersion", "MaxVersion", "GenVersion",
		"Do", "RequestBuilder", "ErrorDecoder", "JSONError",
		"DecodeJSON", "DecodeJSONValue", "DecodeJSONInto", "DecodeText", "NoContent", "Stream", "DescribeBody",
		"CopyParams", "StreamBody", "NewMultipart", "Multipart",
		"LastItemCursor", "CursorPager", "OffsetPager", "PageNumberPager", "LinkPager", "NextURLPager",
		"JSONEvents", "TextEvents",
	}
	fset := token.NewFileSet()
	entries, err := os.ReadDir(filepath.Join(root, "sdk"))
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(root, "sdk", e.Name()), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					exported[d.Name.Name] = d.Name.IsExported()
				} else if recv := types.ExprString(d.Recv.List[0].Type); recv == "*Client" || recv == "Client" {
					exported["Client."+d.Name.Name] = d.Name.IsExported()
				}
			case *ast.GenDecl:
				for _, sp := range d.Specs {
					switch sp := sp.(type) {
					case *ast.TypeSpec:
						exported[sp.Name.Name] = sp.Name.IsExported()
					case *ast.ValueSpec:
						for _, n := range sp.Names {
							exported[n.Name] = n.IsExported()
						}
					}
				}
			}
		}
	}
	if len(exported) < 100 {
		t.Fatalf("read %d declarations of package sdk: the test does not see the package", len(exported))
	}
	for _, name := range moved {
		if exported[name] || exported["Client."+name] {
			t.Errorf("package sdk exports %s, which only generated code calls: it belongs in sdk/sdkimpl", name)
		}
	}
}
