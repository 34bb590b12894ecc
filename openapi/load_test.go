package openapi

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/internal/gentest"
)

// writeFiles creates the files (relative path → content) in a new temporary
// folder and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	return gentest.WriteFiles(t, files)
}

func load(t *testing.T, source string, opts LoadOptions) (*Document, Diagnostics) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return Load(ctx, source, opts)
}

// mustLoad loads a spec that must load, and returns its diagnostics too.
func mustLoad(t *testing.T, source string, opts LoadOptions) (*Document, Diagnostics) {
	t.Helper()
	doc, diags := load(t, source, opts)
	if doc == nil {
		t.Fatalf("Load(%s) failed:\n%s", source, format(diags))
	}
	return doc, diags
}

func format(ds Diagnostics) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func withCode(ds Diagnostics, code string) Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Code == code {
			out = append(out, d)
		}
	}
	return out
}

const petsYAML = `openapi: 3.0.3
info:
  title: Pets
  version: "1"
paths:
  /pets/{id}:
    get:
      operationId: getPet
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Pet'
components:
  schemas:
    Pet:
      type: object
      properties:
        name: {type: string}
`

const petsJSON = `{
  "openapi": "3.0.3",
  "info": {"title": "Pets", "version": "1"},
  "paths": {
    "/pets/{id}": {
      "get": {
        "operationId": "getPet",
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "ok",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}}
      }
    }
  },
  "components": {"schemas": {"Pet": {"type": "object", "properties": {"name": {"type": "string"}}}}}
}
`

func assertHasPetOperation(t *testing.T, doc *Document) {
	t.Helper()
	oa, err := doc.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	item := oa.Paths.Value("/pets/{id}")
	if item == nil || item.Get == nil || item.Get.OperationID != "getPet" {
		t.Fatalf("operation getPet missing from %s", doc.JSON())
	}
	if oa.Components.Schemas["Pet"] == nil {
		t.Fatalf("schema Pet missing")
	}
}

func TestLoadInputKinds(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"pets.yaml":      petsYAML,
		"pets.json":      petsJSON,
		"split/api.yaml": strings.Replace(petsYAML, "'#/components/schemas/Pet'", "'schemas/pet.yaml'", 1),
		"split/schemas/pet.yaml": `type: object
properties:
  name: {type: string}
  owner: {$ref: 'owner.json'}
`,
		"split/schemas/owner.json": `{"type": "object", "properties": {"id": {"type": "integer"}}}`,
	})

	t.Run("yaml file", func(t *testing.T) {
		doc, diags := mustLoad(t, filepath.Join(dir, "pets.yaml"), LoadOptions{})
		assertHasPetOperation(t, doc)
		if len(diags) != 0 {
			t.Errorf("unexpected diagnostics:\n%s", format(diags))
		}
		if doc.Version != "3.0.3" {
			t.Errorf("Version = %q", doc.Version)
		}
	})
	t.Run("json file", func(t *testing.T) {
		doc, _ := mustLoad(t, filepath.Join(dir, "pets.json"), LoadOptions{})
		assertHasPetOperation(t, doc)
	})
	t.Run("multi-file", func(t *testing.T) {
		doc, _ := mustLoad(t, filepath.Join(dir, "split/api.yaml"), LoadOptions{})
		if len(doc.Files) != 3 {
			t.Fatalf("Files = %v, want 3 files", doc.Files)
		}
		oa, err := doc.OpenAPI()
		if err != nil {
			t.Fatal(err)
		}
		schemas := oa.Components.Schemas
		if schemas["pet"] == nil || schemas["owner"] == nil {
			t.Fatalf("bundled components = %v, want pet and owner", slices.Sorted(mapsKeys(schemas)))
		}
		ref := oa.Paths.Value("/pets/{id}").Get.Responses.Status(200).Value.Content["application/json"].Schema.Ref
		if ref != "#/components/schemas/pet" {
			t.Errorf("ref = %q, want it internalized", ref)
		}
	})
	t.Run("stdin resolves refs against Dir", func(t *testing.T) {
		data, err := os.ReadFile(filepath.Join(dir, "split/api.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := mustLoad(t, "-", LoadOptions{Stdin: strings.NewReader(string(data)), Dir: filepath.Join(dir, "split")})
		if doc.Files[0] != "<stdin>" || len(doc.Files) != 3 {
			t.Fatalf("Files = %v", doc.Files)
		}
	})
	t.Run("url", func(t *testing.T) {
		srv := httptest.NewServer(http.FileServer(http.Dir(filepath.Join(dir, "split"))))
		defer srv.Close()
		doc, _ := mustLoad(t, srv.URL+"/api.yaml", LoadOptions{})
		if len(doc.Files) != 3 || !strings.HasPrefix(doc.Files[1], srv.URL) {
			t.Fatalf("Files = %v", doc.Files)
		}
	})
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestLoadSwagger2(t *testing.T) {
	dir := writeFiles(t, map[string]string{"swagger.yaml": `swagger: "2.0"
info: {title: Pets, version: "1"}
host: api.example.com
basePath: /v1
paths:
  /pets:
    post:
      operationId: createPet
      consumes: [application/json]
      parameters:
        - in: body
          name: pet
          required: true
          schema: {$ref: '#/definitions/Pet'}
      responses:
        '201':
          description: created
          schema: {$ref: '#/definitions/Pet'}
definitions:
  Pet:
    type: object
    required: [name]
    properties:
      name: {type: string}
      tags:
        type: array
        items: {type: string}
`})
	doc, diags := mustLoad(t, filepath.Join(dir, "swagger.yaml"), LoadOptions{})
	if doc.Version != "2.0" {
		t.Errorf("Version = %q", doc.Version)
	}
	if len(withCode(diags, CodeConversionNote)) != 1 {
		t.Errorf("want a %s note, got:\n%s", CodeConversionNote, format(diags))
	}
	oa, err := doc.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	op := oa.Paths.Value("/pets").Post
	if op.RequestBody == nil || op.RequestBody.Value.Content["application/json"] == nil {
		t.Fatalf("body parameter not converted to a requestBody")
	}
	if got := oa.Servers[0].URL; got != "https://api.example.com/v1" {
		t.Errorf("server = %q", got)
	}
	// Pointers into the converted document locate in the 2.0 source.
	pos, ptr := doc.Locate("/components/schemas/Pet/properties/tags")
	if pos.Line != 25 || ptr != "/definitions/Pet/properties/tags" {
		t.Errorf("Locate = %v %q, want line 25 /definitions/Pet/properties/tags", pos, ptr)
	}
}

func TestLoadOpenAPI31(t *testing.T) {
	dir := writeFiles(t, map[string]string{"api.yaml": `openapi: 3.1.0
info: {title: Pets, version: "1"}
paths:
  /pets:
    get:
      operationId: listPets
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: array
                items: {$ref: '#/components/schemas/Pet', description: a pet}
components:
  schemas:
    Pet:
      type: object
      properties:
        name: {type: [string, "null"]}
        age: {type: integer, exclusiveMinimum: 0}
`})
	doc, diags := mustLoad(t, filepath.Join(dir, "api.yaml"), LoadOptions{})
	if !doc.Is31() {
		t.Errorf("Is31 = false for %q", doc.Version)
	}
	// In 3.1, siblings of $ref apply: no warning.
	if n := len(withCode(diags, CodeRefSibling)); n != 0 {
		t.Errorf("got %d sibling warnings in 3.1:\n%s", n, format(diags))
	}
	oa, err := doc.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	if !oa.Components.Schemas["Pet"].Value.Properties["name"].Value.Type.Includes("null") {
		t.Errorf("type array lost")
	}
}

// The same three dangling refs, in YAML and in JSON: every one is reported,
// with the pointer of the $ref and its line and column.
func TestDanglingRefsAreAllReportedWithPositions(t *testing.T) {
	yamlSpec := `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Pets'
  /b:
    get:
      parameters:
        - $ref: '#/components/parameters/Limit'
      responses:
        '200': {$ref: '#/components/responses/Missing'}
components:
  schemas:
    Pet: {type: object}
`
	jsonSpec := `{
  "openapi": "3.0.3",
  "info": {"title": "t", "version": "1"},
  "paths": {
    "/a": {"get": {"responses": {"200": {"description": "ok",
      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pets"}}}}}}},
    "/b": {"get": {
      "parameters": [{"$ref": "#/components/parameters/Limit"}],
      "responses": {"200": {"$ref": "#/components/responses/Missing"}}}}
  },
  "components": {"schemas": {"Pet": {"type": "object"}}}
}
`
	dir := writeFiles(t, map[string]string{"api.yaml": yamlSpec, "api.json": jsonSpec})
	for _, tc := range []struct {
		file string
		want []string // file:line:col pointer
	}{
		{"api.yaml", []string{
			"api.yaml:12:17 /paths/~1a/get/responses/200/content/application~1json/schema/$ref",
			"api.yaml:16:11 /paths/~1b/get/parameters/0/$ref",
			"api.yaml:18:17 /paths/~1b/get/responses/200/$ref",
		}},
		{"api.json", []string{
			"api.json:6:51 /paths/~1a/get/responses/200/content/application~1json/schema/$ref",
			"api.json:8:23 /paths/~1b/get/parameters/0/$ref",
			"api.json:9:29 /paths/~1b/get/responses/200/$ref",
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			doc, diags := load(t, filepath.Join(dir, tc.file), LoadOptions{})
			if doc != nil {
				t.Fatal("Load succeeded on dangling refs")
			}
			var got []string
			for _, d := range withCode(diags, CodeRefDangling) {
				got = append(got, fmt.Sprintf("%s:%d:%d %s", filepath.Base(d.Pos.File), d.Pos.Line, d.Pos.Column, d.Pointer))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("dangling refs:\n got %q\nwant %q\nall:\n%s", got, tc.want, format(diags))
			}
			first := withCode(diags, CodeRefDangling)[0]
			if first.Fix != `did you mean "#/components/schemas/Pet"?` {
				t.Errorf("fix = %q", first.Fix)
			}
			if !strings.Contains(first.Message, `#/components/schemas has no "Pets"`) {
				t.Errorf("message = %q", first.Message)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"notes.txt":     "Just some notes.\nNot a spec: at all, really.\n",
		"main.go":       "package main\n\nfunc main() {}\n",
		"array.json":    `[1, 2, 3]`,
		"empty.yaml":    "",
		"bad.yaml":      "openapi: 3.0.3\ninfo:\n  title: [unclosed\n",
		"bad.json":      "{\n  \"openapi\": \"3.0.3\",\n  \"info\": {\"title\": \"t\" \"version\": \"1\"}\n}\n",
		"nofield.yaml":  "info: {title: t, version: '1'}\npaths: {}\n",
		"v4.yaml":       "openapi: 4.0.0\ninfo: {title: t, version: '1'}\n",
		"swagger1.json": `{"swagger": "1.2", "info": {}}`,
		"missingref.yaml": `openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /a:
    get:
      responses:
        '200': {$ref: 'responses.yaml#/Ok'}
`,
		"badref.yaml": `openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /a:
    get:
      responses:
        '200': {$ref: 'broken.yaml#/Ok'}
`,
		"broken.yaml": "Ok:\n  description: [\n",
		"wrongtype.yaml": `openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /a:
    get:
      parameters: {not: a list}
      responses: {'200': {description: ok}}
`,
	})
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()

	for _, tc := range []struct {
		source   string
		code     string
		msg      string
		line     int // 0: don't check
		relative bool
	}{
		{source: "notes.txt", code: CodeNotASpec, msg: "is not an OpenAPI or Swagger document"},
		{source: "main.go", code: CodeNotASpec, msg: "is not an OpenAPI or Swagger document"},
		{source: "array.json", code: CodeNotASpec, msg: "its content is a array"},
		{source: "empty.yaml", code: CodeNotASpec, msg: "empty"},
		{source: "bad.yaml", code: CodeSyntax, msg: "invalid YAML: did not find expected ',' or ']'", line: 2},
		{source: "bad.json", code: CodeSyntax, msg: "expected ',' or '}'", line: 3},
		{source: "nofield.yaml", code: CodeNotASpec, msg: `no top-level "openapi" or "swagger" field`},
		{source: "v4.yaml", code: CodeUnsupportedVersion, msg: `"4.0.0"`, line: 1},
		{source: "swagger1.json", code: CodeUnsupportedVersion, msg: `"1.2"`},
		{source: "missing.yaml", code: CodeSourceNotFound, msg: "no such file"},
		{source: "missingref.yaml", code: CodeRefFileMissing, msg: "responses.yaml: no such file", line: 7},
		{source: "badref.yaml", code: CodeSyntax, msg: "invalid YAML"},
		{source: "wrongtype.yaml", code: CodeSpecInvalid, msg: `"parameters" must be an array, not an object`, line: 6},
		{source: srv.URL + "/api.yaml", code: CodeSourceNotFound, msg: "404 Not Found"},
		{source: "", code: CodeSourceInvalid, msg: "no spec given"},
		{source: ".", code: CodeSourceInvalid, msg: "is a directory"},
	} {
		t.Run(tc.source, func(t *testing.T) {
			src := tc.source
			if src != "" && !strings.HasPrefix(src, "http") {
				src = filepath.Join(dir, src)
			}
			doc, diags := load(t, src, LoadOptions{})
			if doc != nil {
				t.Fatalf("Load succeeded")
			}
			errs := Diagnostics{}
			for _, d := range diags {
				if d.Severity == SeverityError {
					errs = append(errs, d)
				}
			}
			if len(errs) == 0 {
				t.Fatalf("no error diagnostics")
			}
			d := errs[0]
			for _, e := range errs {
				if e.Code == tc.code {
					d = e
					break
				}
			}
			if d.Code != tc.code || !strings.Contains(d.Message, tc.msg) {
				t.Errorf("got %s\nwant code %s and message containing %q", d, tc.code, tc.msg)
			}
			if tc.line != 0 && d.Pos.Line != tc.line {
				t.Errorf("line = %d, want %d (%s)", d.Pos.Line, tc.line, d)
			}
			if strings.Contains(d.Message, "map key") || strings.Contains(d.Message, "\n") {
				t.Errorf("message is not one clear line: %q", d.Message)
			}
		})
	}
}

func TestHostileRefsAreRefused(t *testing.T) {
	outside := writeFiles(t, map[string]string{"secret.yaml": "Secret: {type: object, description: TOP SECRET}\n"})
	spec := func(ref string) string {
		return fmt.Sprintf(`openapi: 3.0.3
info: {title: t, version: '1'}
paths: {}
components:
  schemas:
    X: {$ref: '%s'}
`, ref)
	}
	dir := writeFiles(t, map[string]string{
		"spec/parent.yaml":   spec("../secret.yaml#/Secret"),
		"spec/absolute.yaml": spec(filepath.ToSlash(filepath.Join(outside, "secret.yaml")) + "#/Secret"),
		"spec/fileurl.yaml":  spec("file://" + filepath.ToSlash(filepath.Join(outside, "secret.yaml")) + "#/Secret"),
		"spec/http.yaml":     spec("http://127.0.0.1:1/secret.yaml#/Secret"),
		"spec/symlink.yaml":  spec("link/secret.yaml#/Secret"),
		"secret.yaml":        "Secret: {type: object, description: TOP SECRET}\n",
	})
	if err := os.Symlink(outside, filepath.Join(dir, "spec", "link")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"parent", "absolute", "fileurl", "http", "symlink"} {
		t.Run(name, func(t *testing.T) {
			doc, diags := load(t, filepath.Join(dir, "spec", name+".yaml"), LoadOptions{})
			if doc != nil {
				t.Fatalf("hostile ref was followed: %s", doc.JSON())
			}
			forbidden := withCode(diags, CodeRefForbidden)
			if len(forbidden) != 1 {
				t.Fatalf("want one %s, got:\n%s", CodeRefForbidden, format(diags))
			}
			if forbidden[0].Pos.Line != 6 {
				t.Errorf("position = %v, want line 6", forbidden[0].Pos)
			}
			if strings.Contains(format(diags), "TOP SECRET") {
				t.Errorf("secret content leaked into diagnostics")
			}
		})
	}

	t.Run("url spec refers to another host", func(t *testing.T) {
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t.Errorf("request to another host: %s", r.URL)
		}))
		defer other.Close()
		otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, spec(otherURL+"/secret.yaml#/Secret"))
		}))
		defer srv.Close()
		doc, diags := load(t, srv.URL+"/api.yaml", LoadOptions{})
		if doc != nil || len(withCode(diags, CodeRefForbidden)) != 1 {
			t.Fatalf("want %s, got:\n%s", CodeRefForbidden, format(diags))
		}
	})
}

func TestLimits(t *testing.T) {
	t.Run("file size", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{"big.yaml": petsYAML + "# " + strings.Repeat("x", 4096) + "\n"})
		_, diags := load(t, filepath.Join(dir, "big.yaml"), LoadOptions{MaxFileSize: 1024})
		if len(withCode(diags, CodeSourceTooLarge)) != 1 {
			t.Fatalf("want %s, got:\n%s", CodeSourceTooLarge, format(diags))
		}
	})
	t.Run("url timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		start := time.Now()
		_, diags := load(t, srv.URL+"/api.yaml", LoadOptions{Timeout: 200 * time.Millisecond})
		if len(withCode(diags, CodeSourceUnreadable)) != 1 {
			t.Fatalf("want %s, got:\n%s", CodeSourceUnreadable, format(diags))
		}
		if elapsed := time.Since(start); elapsed > 10*time.Second {
			t.Errorf("timeout not honoured: %v", elapsed)
		}
	})
	t.Run("deep nesting", func(t *testing.T) {
		deep := `{"openapi": "3.0.3", "x-deep": ` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`
		dir := writeFiles(t, map[string]string{"deep.json": deep})
		_, diags := load(t, filepath.Join(dir, "deep.json"), LoadOptions{})
		if len(withCode(diags, CodeSyntaxTooComplex)) != 1 {
			t.Fatalf("want %s, got:\n%s", CodeSyntaxTooComplex, format(diags))
		}
	})
	t.Run("yaml alias bomb", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("openapi: 3.0.3\nx-a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
		for i := 1; i < 12; i++ {
			fmt.Fprintf(&b, "x-a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
		}
		dir := writeFiles(t, map[string]string{"bomb.yaml": b.String()})
		start := time.Now()
		_, diags := load(t, filepath.Join(dir, "bomb.yaml"), LoadOptions{})
		if len(withCode(diags, CodeSyntaxTooComplex)) != 1 {
			t.Fatalf("want %s, got:\n%s", CodeSyntaxTooComplex, format(diags))
		}
		if elapsed := time.Since(start); elapsed > 10*time.Second {
			t.Errorf("alias bomb took %v", elapsed)
		}
	})
	// Merge keys (<<) recurse on their own: a mapping that merges itself
	// overflowed the stack (a fatal error, not a panic), and merges of
	// empty mappings doubling at each level ran without end. Both found
	// by FuzzParseTree.
	for name, spec := range map[string]string{
		"merge of itself": "openapi: 3.0.3\nx: &x {<<: *x}\n",
		"merge bomb": func() string {
			var b strings.Builder
			b.WriteString("openapi: 3.0.3\nx-m0: &m0 {}\n")
			for i := 1; i < 64; i++ {
				fmt.Fprintf(&b, "x-m%d: &m%d {<<: [*m%d, *m%d]}\n", i, i, i-1, i-1)
			}
			return b.String()
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"merge.yaml": spec})
			start := time.Now()
			_, diags := load(t, filepath.Join(dir, "merge.yaml"), LoadOptions{})
			if len(withCode(diags, CodeSyntaxTooComplex)) != 1 {
				t.Fatalf("want %s, got:\n%s", CodeSyntaxTooComplex, format(diags))
			}
			if elapsed := time.Since(start); elapsed > 10*time.Second {
				t.Errorf("took %v", elapsed)
			}
		})
	}
}

// Two files each define a schema called Pet: bundling keeps both, under
// names derived from their files, and says so.
func TestBundleNeverMergesSameNamedSchemas(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"api.yaml": `openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /v1/pets:
    get:
      responses:
        '200':
          description: ok
          content: {application/json: {schema: {$ref: 'pet.v1.yaml#/Pet'}}}
  /v2/pets:
    get:
      responses:
        '200':
          description: ok
          content: {application/json: {schema: {$ref: 'pet.yaml#/Pet'}}}
  /errors:
    get:
      responses:
        '200':
          description: ok
          content: {application/json: {schema: {$ref: 'common/error.yaml'}}}
`,
		"pet.v1.yaml":       "Pet:\n  type: object\n  properties:\n    name: {type: string}\n",
		"pet.yaml":          "Pet:\n  type: object\n  properties:\n    fullName: {type: string}\n",
		"common/error.yaml": "type: object\nproperties:\n  message: {type: string}\n",
	})
	doc, diags := mustLoad(t, filepath.Join(dir, "api.yaml"), LoadOptions{})
	oa, err := doc.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	schemas := oa.Components.Schemas
	got := slices.Sorted(mapsKeys(schemas))
	want := []string{"error", "pet.v1_Pet", "pet_Pet"}
	if !slices.Equal(got, want) {
		t.Fatalf("components = %v, want %v", got, want)
	}
	if schemas["pet.v1_Pet"].Value.Properties["name"] == nil || schemas["pet_Pet"].Value.Properties["fullName"] == nil {
		t.Errorf("the two Pet schemas were mixed up")
	}
	if n := len(withCode(diags, CodeRefRenamed)); n != 2 {
		t.Errorf("want 2 %s notes, got:\n%s", CodeRefRenamed, format(diags))
	}
	// A pointer into a bundled component locates in its own file.
	pos, ptr := doc.Locate("/components/schemas/pet_Pet/properties/fullName")
	if filepath.Base(pos.File) != "pet.yaml" || pos.Line != 4 || ptr != "/Pet/properties/fullName" {
		t.Errorf("Locate = %v %q", pos, ptr)
	}
	// The names do not depend on the order the files are referred to in.
	swapped := strings.NewReplacer("pet.v1.yaml#", "pet.yaml#", "pet.yaml#", "pet.v1.yaml#")
	data, _ := os.ReadFile(filepath.Join(dir, "api.yaml"))
	if err := os.WriteFile(filepath.Join(dir, "swapped.yaml"), []byte(swapped.Replace(string(data))), 0o644); err != nil {
		t.Fatal(err)
	}
	doc2, _ := mustLoad(t, filepath.Join(dir, "swapped.yaml"), LoadOptions{})
	oa2, _ := doc2.OpenAPI()
	if got2 := slices.Sorted(mapsKeys(oa2.Components.Schemas)); !slices.Equal(got2, want) {
		t.Errorf("after swapping, components = %v", got2)
	}
}

func TestWarningsDoNotFail(t *testing.T) {
	dir := writeFiles(t, map[string]string{"api.yaml": `openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /pets:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Pet'
                type: string
                description: ignored in 3.0
components:
  schemas:
    Pet:
      type: object
      properties:
        age:
          $ref: '#/components/schemas/Age'
          description: prose beside a reference changes nothing
        alias:
          type: integer
          example: not a number
    Age:
      type: integer
`})
	doc, diags := mustLoad(t, filepath.Join(dir, "api.yaml"), LoadOptions{})
	_ = doc
	// type beside a $ref is a warning (the schema is not what it says);
	// a description alone a note.
	sib := withCode(diags, CodeRefSibling)
	if len(sib) != 2 || sib[0].Severity != SeverityWarning || sib[0].Pos.Line != 12 || sib[1].Severity != SeverityInfo {
		t.Errorf("sibling warning:\n%s", format(diags))
	}
	ex := withCode(diags, CodeExampleInvalid)
	if len(ex) != 1 || ex[0].Severity != SeverityWarning {
		t.Fatalf("example warning:\n%s", format(diags))
	}
	if ex[0].Pos.Line != 25 || ex[0].Pointer != "/components/schemas/Pet/properties/alias/example" {
		t.Errorf("example warning located at %v %s, want line 25", ex[0].Pos, ex[0].Pointer)
	}
}

func TestDuplicateKeysWarn(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"api.json": `{"openapi": "3.0.3", "info": {"title": "a", "title": "b", "version": "1"}, "paths": {}}`,
		"api.yaml": "openapi: 3.0.3\ninfo:\n  title: a\n  title: b\n  version: '1'\npaths: {}\n",
	})
	for _, name := range []string{"api.json", "api.yaml"} {
		doc, diags := mustLoad(t, filepath.Join(dir, name), LoadOptions{})
		if d := withCode(diags, CodeDuplicateKey); len(d) != 1 {
			t.Errorf("%s: want one duplicate-key warning, got:\n%s", name, format(diags))
		}
		oa, _ := doc.OpenAPI()
		if oa.Info.Title != "b" {
			t.Errorf("%s: title = %q, want the last one", name, oa.Info.Title)
		}
	}
}

func TestNormalizeRemovesUntrustedGoExtensions(t *testing.T) {
	dir := writeFiles(t, map[string]string{"api.yaml": `openapi: 3.0.3
info: {title: t, version: '1'}
paths: {}
components:
  schemas:
    Pet:
      type: object
      x-go-type: evil.Type
      x-go-type-import: {path: example.com/evil}
      properties:
        x-go-type: {type: string}
        example: {type: string, example: {x-go-type: data}}
`})
	doc, _ := mustLoad(t, filepath.Join(dir, "api.yaml"), LoadOptions{})
	nd, diags := Normalize(doc, NormalizeOptions{})
	ext := withCode(diags, CodeExtensionIgnored)
	if len(ext) != 2 {
		t.Fatalf("want 2 %s warnings, got:\n%s", CodeExtensionIgnored, format(diags))
	}
	if ext[0].Pos.Line != 8 || ext[1].Pos.Line != 9 {
		t.Errorf("positions: %v %v", ext[0].Pos, ext[1].Pos)
	}
	oa, err := nd.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	pet := oa.Components.Schemas["Pet"].Value
	if len(pet.Extensions) != 0 {
		t.Errorf("extensions left: %v", pet.Extensions)
	}
	if pet.Properties["x-go-type"] == nil || pet.Properties["example"] == nil {
		t.Errorf("properties named like keywords were removed")
	}
	trusted, diags := Normalize(doc, NormalizeOptions{TrustGoExtensions: true})
	if len(diags) != 0 || trusted != doc {
		t.Errorf("trusted normalization changed the document")
	}
}
