package generator

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"golang.org/x/tools/txtar"

	"github.com/sdkgen-go/sdkgen/internal/gentest"
	"github.com/sdkgen-go/sdkgen/openapi"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata")

// specEntries lists the specs of a testdata folder by name: every file (but
// .golden, .want and _-prefixed ones) under its file name, and every folder
// under its name, standing for its openapi.yaml.
func specEntries(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	specs := map[string]string{}
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "_"), strings.HasSuffix(name, ".golden"), strings.HasSuffix(name, ".want"):
			continue
		case e.IsDir():
			specs[name] = filepath.Join(dir, name, "openapi.yaml")
		default:
			specs[name] = filepath.Join(dir, name)
		}
	}
	return specs
}

// packageName turns a spec's name into a Go package name.
func packageName(name string) string {
	name = strings.TrimSuffix(name, filepath.Ext(name))
	return strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]`).ReplaceAllString(name, ""))
}

func generate(t *testing.T, spec string, cfg Config) (Files, openapi.Diagnostics) {
	t.Helper()
	doc, diags := openapi.Load(context.Background(), spec, openapi.LoadOptions{})
	if doc == nil {
		return nil, diags
	}
	files, gdiags := Generate(context.Background(), doc, cfg)
	diags = append(diags, gdiags...)
	diags.Sort()
	return files, diags
}

func diagText(diags openapi.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		fmt.Fprintln(&b, d.String())
		if d.Fix != "" {
			fmt.Fprintf(&b, "\tfix: %s\n", d.Fix)
		}
	}
	return b.String()
}

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./generator -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the generated output (run go test ./generator -update and review the diff):\n%s", path, firstDiff(string(want), string(got)))
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  want %q\n   got %q", i+1, w, g)
		}
	}
	return "(no line differs; lengths differ)"
}

// Every spec under testdata/generate generates without errors, matches its
// golden file, and compiles and vets.
func TestMustGenerate(t *testing.T) {
	specs := specEntries(t, "testdata/generate")
	specs["petstore"] = "../examples/petstore/petstore.yaml"
	mod := gentest.NewModule(t)
	for _, name := range slices.Sorted(mapKeys(specs)) {
		pkg := packageName(name)
		files, diags := generate(t, specs[name], Config{Package: pkg})
		if diags.HasErrors() {
			t.Errorf("%s: generation failed:\n%s", name, diagText(diags))
			continue
		}
		ar := &txtar.Archive{Comment: []byte(diagText(diags))}
		pkgFiles := map[string][]byte{}
		for _, f := range files {
			ar.Files = append(ar.Files, txtar.File{Name: f.Name, Data: f.Content})
			if strings.HasSuffix(f.Name, ".go") {
				pkgFiles[f.Name] = f.Content
			}
			if strings.HasSuffix(f.Name, ".go") && !bytes.HasPrefix(f.Content, []byte(Header+"\n")) {
				t.Errorf("%s/%s does not start with %q", name, f.Name, Header)
			}
		}
		if name != "petstore" { // the example has its own drift test
			checkGolden(t, filepath.Join("testdata/generate", name+".golden"), txtar.Format(ar))
		}
		mod.Add(pkg, pkgFiles)
		mod.Add(pkg+"/apimd", map[string][]byte{"calls.go": apiMDCalls(t, pkg, files)})
	}
	mod.BuildAndVet()
}

// apiMDCalls turns the method calls of API.md's examples into a package
// that calls them, so building it proves every example's arguments
// compile.
func apiMDCalls(t *testing.T, pkg string, files Files) []byte {
	t.Helper()
	apiMD := fileNamed(t, files, "API.md")
	calls := regexp.MustCompile(`(?m)c\.[\pL\pN_]+\.[\pL\pN_]+\(ctx.*\)`).FindAll(apiMD, -1)
	// The client type is Client unless a schema took the name.
	client := "Client"
	if m := regexp.MustCompile(`(?m)^func New[\pL\pN_]*\(baseURL string, opts \.\.\.sdk\.Option\) \(\*([\pL\pN_]+), error\)`).FindSubmatch(fileNamed(t, files, "client.gen.go")); m != nil {
		client = string(m[1])
	}
	if len(calls) == 0 {
		t.Errorf("%s: API.md shows no method call", pkg)
	}
	var b bytes.Buffer
	// The examples name types of the standard library and of oapi-codegen's
	// runtime as the generated code imports them.
	// Upload examples stream a file f.
	fmt.Fprintf(&b, "package apimd\n\nimport (\n\t\"context\"\n\t\"io\"\n\t\"strings\"\n\t\"time\"\n\n\topenapi_types \"github.com/oapi-codegen/runtime/types\"\n\t\"github.com/sdkgen-go/sdkgen/sdk\"\n\t%q\n)\n\n", "sdkgentest/"+pkg)
	b.WriteString("var (\n\t_ = strings.NewReader\n\t_ time.Time\n\t_ openapi_types.File\n\t_ sdk.File\n)\n\n")
	fmt.Fprintf(&b, "func calls(ctx context.Context, c *%s.%s, f io.Reader) {\n", pkg, client)
	for _, call := range calls {
		fmt.Fprintf(&b, "\t%s\n", call)
	}
	b.WriteString("}\n\nvar _ = calls\n")
	return b.Bytes()
}

func fileNamed(t *testing.T, files Files, name string) []byte {
	t.Helper()
	for _, f := range files {
		if f.Name == name {
			return f.Content
		}
	}
	t.Fatalf("no %s among the generated files", name)
	return nil
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Every spec under testdata/fail fails with the diagnostics in its .want
// file (which names the codes and positions), and produces no files.
func TestMustFail(t *testing.T) {
	specs := specEntries(t, "testdata/fail")
	if len(specs) == 0 {
		t.Fatal("no specs in testdata/fail")
	}
	for _, name := range slices.Sorted(mapKeys(specs)) {
		t.Run(name, func(t *testing.T) {
			files, diags := generate(t, specs[name], Config{Package: "api"})
			if !diags.HasErrors() {
				t.Fatalf("generation succeeded; want errors")
			}
			if files != nil {
				t.Errorf("files returned despite errors")
			}
			checkGolden(t, filepath.Join("testdata/fail", name+".want"), []byte(diagText(diags)))
		})
	}
}

func TestOutputIsDeterministic(t *testing.T) {
	doc, diags := openapi.Load(context.Background(), "testdata/generate/multifile/openapi.yaml", openapi.LoadOptions{})
	if doc == nil {
		t.Fatal(diagText(diags))
	}
	first, _ := Generate(context.Background(), doc, Config{Package: "api"})
	// Concurrent calls are serialized and do not leak settings into each
	// other: a call with filters between calls without them.
	var wg sync.WaitGroup
	results := make([]Files, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg := Config{Package: "api"}
			if i%2 == 1 {
				cfg.Include.Operations = []string{"getUser"}
			}
			results[i], _ = Generate(context.Background(), doc, cfg)
		}()
	}
	wg.Wait()
	for i, r := range results {
		if i%2 == 1 {
			if bytes.Contains(fileNamed(t, r, "models.gen.go"), []byte("newListUsersRequest")) {
				t.Errorf("include filter not applied in call %d", i)
			}
			continue
		}
		if len(r) != len(first) {
			t.Fatalf("call %d produced %d files, want %d", i, len(r), len(first))
		}
		for j := range r {
			if r[j].Name != first[j].Name || !bytes.Equal(r[j].Content, first[j].Content) {
				t.Errorf("call %d produced a different %s", i, r[j].Name)
			}
		}
	}
}

func TestHeaderCarriesNoVersion(t *testing.T) {
	files, diags := generate(t, "../examples/petstore/petstore.yaml", Config{Package: "petstore"})
	if diags.HasErrors() {
		t.Fatal(diagText(diags))
	}
	for _, f := range files {
		if !strings.HasSuffix(f.Name, ".go") {
			continue
		}
		lines := strings.SplitN(string(f.Content), "\n", 3)
		if lines[0] != Header || lines[1] != "" {
			t.Errorf("%s starts with %q", f.Name, lines[:2])
		}
		if regexp.MustCompile(`v\d+\.\d+|\+dirty|devel`).Match(f.Content[:200]) {
			t.Errorf("%s header carries a version: %s", f.Name, f.Content[:200])
		}
	}
}

// A panic inside oapi-codegen becomes an error diagnostic, not a crash.
func TestCodegenPanicIsRecovered(t *testing.T) {
	// An empty but non-nil allOf (as kin-openapi's Swagger 2.0 converter
	// leaves behind) makes oapi-codegen index past the end of the list.
	broken := &openapi3.SchemaRef{Value: &openapi3.Schema{AllOf: openapi3.SchemaRefs{}}}
	resp := openapi3.NewResponse().WithDescription("ok").WithJSONSchemaRef(&openapi3.SchemaRef{Ref: "#/components/schemas/Broken", Value: broken.Value})
	bad := &openapi3.T{
		OpenAPI:    "3.0.3",
		Info:       &openapi3.Info{Title: "t", Version: "1"},
		Paths:      openapi3.NewPaths(openapi3.WithPath("/x", &openapi3.PathItem{Get: &openapi3.Operation{OperationID: "getX", Responses: openapi3.NewResponses(openapi3.WithStatus(200, &openapi3.ResponseRef{Value: resp}))}})),
		Components: &openapi3.Components{Schemas: openapi3.Schemas{"Broken": broken}},
	}
	cfg := Config{Package: "api"}
	nm, _ := decideNames(bad, cfg)
	diags := runOapi(context.Background(), bad, cfg, nm, nm.nameFacade(false)).diags
	if len(diags) != 1 || diags[0].Code != CodeCodegenPanic || diags[0].Severity != openapi.SeverityError {
		t.Fatalf("diagnostics = %s", diagText(diags))
	}
	// And the generator still works afterwards.
	files, d := generate(t, "../examples/petstore/petstore.yaml", Config{Package: "petstore"})
	if d.HasErrors() || len(files) == 0 {
		t.Fatalf("generator broken after a recovered panic:\n%s", diagText(d))
	}
}

func TestStrictTurnsWarningsIntoFailure(t *testing.T) {
	spec := writeSpec(t, `openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /a:
    get:
      operationId: getA
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/A', type: string}
components:
  schemas:
    A: {type: object}
`)
	files, diags := generate(t, spec, Config{Package: "api"})
	if diags.HasErrors() || files == nil {
		t.Fatalf("non-strict generation failed:\n%s", diagText(diags))
	}
	files, diags = generate(t, spec, Config{Package: "api", Strict: true})
	if !diags.HasErrors() || files != nil {
		t.Fatalf("strict generation succeeded despite a warning:\n%s", diagText(diags))
	}
}

func writeSpec(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "api.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFiltersAndTheirTypos(t *testing.T) {
	files, diags := generate(t, "../examples/petstore/petstore.yaml", Config{
		Package: "petstore",
		Include: Filter{Tags: []string{"store", "Pets"}},
	})
	if diags.HasErrors() {
		t.Fatal(diagText(diags))
	}
	src := string(fileNamed(t, files, "models.gen.go"))
	if !strings.Contains(src, "newGetInventoryRequest") || strings.Contains(src, "newGetPetRequest") {
		t.Errorf("include tags not applied")
	}
	var typo []openapi.Diagnostic
	for _, d := range diags {
		if d.Code == CodeConfigNoMatch {
			typo = append(typo, d)
		}
	}
	if len(typo) != 1 || !strings.Contains(typo[0].Message, `"Pets"`) || typo[0].Fix != `did you mean "pets"?` {
		t.Errorf("typo diagnostics:\n%s", diagText(diags))
	}
}

func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		name, pkg, code string
	}{
		{"empty", "", CodeConfigInvalid},
		{"keyword", "func", CodeConfigInvalid},
		{"main", "main", CodeConfigInvalid},
		{"not an identifier", "pet-store", CodeConfigInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, diags := generate(t, "../examples/petstore/petstore.yaml", Config{Package: tc.pkg})
			if files != nil || len(diags) == 0 || diags[0].Code != tc.code {
				t.Errorf("got %s", diagText(diags))
			}
		})
	}
}

func TestFilesWriteRemovesOnlyStaleGeneratedFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("old.gen.go", Header+"\n\npackage x\n")
	write("mine.gen.go", "// hand-written, oddly named\npackage x\n")
	write("doc.go", "package x\n")
	if err := (Files{{Name: "models.gen.go", Content: []byte(Header + "\n\npackage x\n")}}).Write(dir); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"doc.go", "mine.gen.go", "models.gen.go"}; !slices.Equal(names, want) {
		t.Errorf("files = %v, want %v", names, want)
	}
	if err := (Files{{Name: "../escape.gen.go"}}).Write(dir); err == nil {
		t.Errorf("a file name with a path was written")
	}
}

// Generated code does not compile against an sdk that cannot run it: the
// same package, as the next generator (version genVersion+1) would have
// written it, fails to build against this sdk, naming the assertion.
func TestVersionAssertionBreaksTheBuild(t *testing.T) {
	if genVersion != sdkimpl.GenVersion {
		t.Fatalf("the generator emits version %d, the sdk expects %d", genVersion, sdkimpl.GenVersion)
	}
	files, diags := generate(t, "../examples/petstore/petstore.yaml", Config{Package: "petstore"})
	if diags.HasErrors() {
		t.Fatal(diagText(diags))
	}
	pkg := map[string][]byte{}
	for _, f := range files {
		if !strings.HasSuffix(f.Name, ".go") {
			continue
		}
		src := f.Content
		if f.Name == "client.gen.go" {
			if !bytes.Contains(src, []byte("sdkimpl.EnforceVersion(sdkimpl.MaxVersion - 3)")) {
				t.Fatal("client.gen.go has no version assertion")
			}
			src = bytes.ReplaceAll(src, []byte("sdkimpl.EnforceVersion(3 - sdkimpl.MinVersion)"), []byte("sdkimpl.EnforceVersion(4 - sdkimpl.MinVersion)"))
			src = bytes.ReplaceAll(src, []byte("sdkimpl.EnforceVersion(sdkimpl.MaxVersion - 3)"), []byte("sdkimpl.EnforceVersion(sdkimpl.MaxVersion - 4)"))
		}
		pkg[f.Name] = src
	}
	mod := gentest.NewModule(t)
	mod.Add("petstore", pkg)
	out, err := mod.Go("build", "./...")
	if err == nil || !strings.Contains(out, "client.gen.go") || !strings.Contains(out, "overflows") {
		t.Fatalf("code of a newer generator built against this sdk: %v\n%s", err, out)
	}
}

// A multipart/form-data body becomes a form struct whose binary properties
// are sdk.File values (arrays of them []sdk.File), named through the symbol
// table clear of the schemas (SendForm and SendFormData are taken); a
// multipart body without properties and other raw bodies are streamed
// from an io.Reader.
func TestUploadBodies(t *testing.T) {
	files, diags := generate(t, "testdata/generate/uploads30.yaml", Config{Package: "up"})
	if diags.HasErrors() {
		t.Fatal(diagText(diags))
	}
	src := string(fileNamed(t, files, "service_default.gen.go"))
	for _, want := range []string{
		"type SendMultipartForm struct",
		"\tDoc sdk.File\n",
		"\tExtra []sdk.File\n",
		"\tCount *int\n",
		"Send(ctx context.Context, readerParam string, body SendMultipartForm, opts ...sdk.Option)",
		`File("doc", "", &body.Doc)`,
		"SendRaw(ctx context.Context, body io.Reader, contentType string, opts ...sdk.Option) error",
		"return sdkimpl.StreamBody(body, func(reader io.Reader) (*http.Request, error) {",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("the service lacks %q", want)
		}
	}
	models := string(fileNamed(t, files, "models.gen.go"))
	if !strings.Contains(models, "type SendForm struct") || !strings.Contains(models, "type SendFormData struct") {
		t.Errorf("the schemas SendForm and SendFormData are not declared")
	}
}

// A service file is never named like a build constraint.
func TestServiceFilesAreNotBuildConstraints(t *testing.T) {
	for field, want := range map[string]string{
		"Pets": "pets", "ChartJs": "chart_js_service", "LoadTest": "load_test_service", "RunWindows": "run_windows_service",
		"JsChart": "js_chart", "Js": "js_service", "Pеts": "pu0435ts", "Ｐｅｔｓ": "uff50uff45uff54uff53",
	} {
		if got := fileStem(field); got != want {
			t.Errorf("fileStem(%q) = %q, want %q", field, got, want)
		}
	}
}

func TestSingular(t *testing.T) {
	for in, want := range map[string]string{
		"Deployments": "Deployment", "Aliases": "Alias", "Policies": "Policy", "Statuses": "Status",
		"Addresses": "Address", "Matches": "Match", "Boxes": "Box", "Caches": "Cache", "Movies": "Movie",
		"Responses": "Response", "ListedUsers": "ListedUser", "Status": "", "News": "", "Series": "",
		"Analysis": "", "People": "", "S": "",
	} {
		if got := singular(in); got != want {
			t.Errorf("singular(%q) = %q, want %q", in, got, want)
		}
	}
}
