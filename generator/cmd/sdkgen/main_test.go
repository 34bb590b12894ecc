package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sdkgen-go/sdkgen/internal/gentest"
)

type result struct {
	code           int
	stdout, stderr string
}

func sdkgen(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const danglingYAML = `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /pets:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Pets'
components:
  schemas:
    Pet: {type: object}
`

const danglingJSON = `{
  "openapi": "3.0.3",
  "info": {"title": "t", "version": "1"},
  "paths": {"/pets": {"get": {"responses": {"200": {"description": "ok",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pets"}}}}}}}},
  "components": {"schemas": {"Pet": {"type": "object"}}}
}
`

func TestCheckDanglingRef(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, content, where string }{
		{"api.yaml", danglingYAML, "api.yaml:12:17: "},
		{"api.json", danglingJSON, "api.json:5:49: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := writeFile(t, dir, tc.name, tc.content)
			r := sdkgen(t, "", "check", "--spec", spec)
			if r.code != exitFailed {
				t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
			}
			first := strings.Split(r.stderr, "\n")[0]
			for _, want := range []string{tc.where, "error[ref.dangling]", "#/paths/~1pets/get/responses/200/content/application~1json/schema/$ref", `"#/components/schemas/Pets"`} {
				if !strings.Contains(first, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q", r.stdout)
			}
		})
	}
}

func TestCheckNotASpecIsOneLine(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"README.md": "# Hello\n\nThis is not: a spec.\n",
		"main.go":   "package main\n\nfunc main() {}\n",
		"data.json": "[1, 2, 3]\n",
	} {
		t.Run(name, func(t *testing.T) {
			r := sdkgen(t, "", "check", "--spec", writeFile(t, dir, name, content))
			if r.code != exitFailed {
				t.Fatalf("exit %d, want 1", r.code)
			}
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], "is not an OpenAPI or Swagger document") {
				t.Errorf("stderr is not one clear line:\n%s", r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q", r.stdout)
			}
		})
	}
}

func TestCheckJSONMatchesItsSchema(t *testing.T) {
	root := gentest.RepoRoot(t)
	schemaDoc, err := os.ReadFile(filepath.Join(root, "generator/schema/check.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaDoc))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("check.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	schema := c.MustCompile("check.schema.json")

	dir := t.TempDir()
	for _, tc := range []struct {
		spec string
		ok   bool
	}{
		{writeFile(t, dir, "bad.yaml", danglingYAML), false},
		{filepath.Join(root, "examples/petstore/petstore.yaml"), true},
		{filepath.Join(root, "generator/testdata/generate/swagger2-body.yaml"), true},
		{writeFile(t, dir, "notes.txt", "just text"), false},
	} {
		r := sdkgen(t, "", "check", "--format", "json", "--spec", tc.spec)
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(r.stdout))
		if err != nil {
			t.Fatalf("%s: output is not JSON: %v\n%s", tc.spec, err, r.stdout)
		}
		if err := schema.Validate(inst); err != nil {
			t.Errorf("%s: output does not match check.schema.json: %v\n%s", tc.spec, err, r.stdout)
		}
		var rep checkReport
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.OK != tc.ok || (r.code == exitOK) != tc.ok {
			t.Errorf("%s: ok=%v exit=%d, want ok=%v", tc.spec, rep.OK, r.code, tc.ok)
		}
	}
}

func TestGenerate(t *testing.T) {
	root := gentest.RepoRoot(t)
	out := t.TempDir()
	spec := filepath.Join(root, "examples/petstore/petstore.yaml")
	r := sdkgen(t, "", "generate", "--spec", spec, "--out", out, "--package", "petstore")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	first, err := os.ReadFile(filepath.Join(out, "models.gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(root, "examples/petstore/models.gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, want) {
		t.Errorf("generated code differs from examples/petstore (run go generate ./examples/petstore)")
	}
	// A second run writes the same bytes.
	if r := sdkgen(t, "", "generate", "--spec", spec, "--out", out, "--package", "petstore"); r.code != exitOK {
		t.Fatalf("second run: exit %d\n%s", r.code, r.stderr)
	}
	second, _ := os.ReadFile(filepath.Join(out, "models.gen.go"))
	if !bytes.Equal(first, second) {
		t.Errorf("output differs between runs")
	}
}

func TestGenerateFromStdinResolvesRefsInCurrentDir(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "schemas/pet.yaml", "type: object\nproperties:\n  name: {type: string}\n")
	spec := strings.Replace(danglingYAML, "'#/components/schemas/Pets'", "'schemas/pet.yaml'", 1)
	t.Chdir(dir)
	r := sdkgen(t, spec, "generate", "--spec", "-", "--out", "out", "--package", "api")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	src, err := os.ReadFile(filepath.Join(dir, "out", "models.gen.go"))
	if err != nil || !bytes.Contains(src, []byte("type Pet struct")) {
		t.Fatalf("schemas/pet.yaml not bundled as Pet: %v\n%s", err, src)
	}
}

func TestConfigFile(t *testing.T) {
	root := gentest.RepoRoot(t)
	dir := t.TempDir()
	spec := filepath.Join(root, "examples/petstore/petstore.yaml")
	cfg := writeFile(t, dir, "sdkgen.yaml", "spec: "+spec+"\npackage: fromconfig\noutput: gen\ninclude:\n  tags: [store]\n")

	t.Run("values and relative output", func(t *testing.T) {
		if r := sdkgen(t, "", "generate", "--config", cfg); r.code != exitOK {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		src, err := os.ReadFile(filepath.Join(dir, "gen", "models.gen.go"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(src, []byte("package fromconfig")) || bytes.Contains(src, []byte("newGetPetRequest")) {
			t.Errorf("config not applied")
		}
	})
	t.Run("flags win", func(t *testing.T) {
		out := t.TempDir()
		if r := sdkgen(t, "", "generate", "--config", cfg, "--package", "fromflag", "--out", out); r.code != exitOK {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		src, _ := os.ReadFile(filepath.Join(out, "models.gen.go"))
		if !bytes.Contains(src, []byte("package fromflag")) {
			t.Errorf("--package did not override the config")
		}
	})
	t.Run("found in the current directory", func(t *testing.T) {
		t.Chdir(dir)
		if r := sdkgen(t, "", "check"); r.code != exitOK {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("unknown keys are located errors", func(t *testing.T) {
		bad := writeFile(t, dir, "bad.yaml", "spec: x.yaml\npackage: api\nouput: gen\ninclude:\n  labels: [a]\n")
		r := sdkgen(t, "", "generate", "--config", bad)
		if r.code != exitFailed {
			t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
		}
		for _, want := range []string{
			"bad.yaml:3:1: error[config.unknown-key] #/ouput: unknown key \"ouput\"",
			"fix: did you mean \"output\"?",
			"bad.yaml:5:3: error[config.unknown-key] #/include/labels: unknown key \"labels\" in include",
			"fix: known keys here: operations, tags",
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
		}
	})
	t.Run("wrong types are located errors", func(t *testing.T) {
		bad := writeFile(t, dir, "types.yaml", "spec: x.yaml\npackage: 42\nstrict: maybe\n")
		r := sdkgen(t, "", "generate", "--config", bad)
		if r.code != exitFailed || !strings.Contains(r.stderr, "types.yaml:2:10: error[config.invalid] #/package") ||
			!strings.Contains(r.stderr, "types.yaml:3:9: error[config.invalid] #/strict") {
			t.Errorf("exit %d\n%s", r.code, r.stderr)
		}
	})
}

func TestStrict(t *testing.T) {
	dir := t.TempDir()
	spec := writeFile(t, dir, "api.yaml", strings.Replace(danglingYAML, "'#/components/schemas/Pets'\n", "'#/components/schemas/Pet'\n                type: string\n", 1))
	if r := sdkgen(t, "", "generate", "--spec", spec, "--out", filepath.Join(dir, "a"), "--package", "api"); r.code != exitOK || !strings.Contains(r.stderr, "warning[ref.sibling-ignored]") {
		t.Errorf("exit %d, want 0 with the warning printed\n%s", r.code, r.stderr)
	}
	if r := sdkgen(t, "", "generate", "--strict", "--spec", spec, "--out", filepath.Join(dir, "b"), "--package", "api"); r.code != exitFailed {
		t.Errorf("--strict: exit %d, want 1\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "b")); err == nil {
		t.Errorf("--strict failure still wrote files")
	}
}

func TestMisuseExitsTwo(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"generate"},
		{"generate", "--spec", "x.yaml"},
		{"generate", "--nope"},
		{"check"},
		{"check", "--spec", "x.yaml", "--format", "xml"},
		{"check", "--spec", "x.yaml", "extra"},
		{"version", "extra"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Chdir(t.TempDir()) // no sdkgen.yaml around
			r := sdkgen(t, "", args...)
			if r.code != exitUsage {
				t.Errorf("exit %d, want 2\n%s", r.code, r.stderr)
			}
			if r.stderr == "" {
				t.Errorf("no explanation on stderr")
			}
		})
	}
	if r := sdkgen(t, "", "generate", "-h"); r.code != exitOK || !strings.Contains(r.stderr, "-package") {
		t.Errorf("-h: exit %d\n%s", r.code, r.stderr)
	}
}

func TestVersion(t *testing.T) {
	r := sdkgen(t, "", "version")
	if r.code != exitOK || !regexp.MustCompile(`^sdkgen \S+`).MatchString(r.stdout) {
		t.Errorf("exit %d, stdout %q", r.code, r.stdout)
	}
}

// The tool line in go.mod makes "go tool sdkgen" work, which is what
// //go:generate lines use.
func TestGoTool(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the tool")
	}
	cmd := exec.Command("go", "tool", "sdkgen", "version")
	cmd.Dir = gentest.RepoRoot(t)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "sdkgen ") {
		t.Fatalf("go tool sdkgen version: %v\n%s", err, out)
	}
}

// Without -v, warnings of one code are printed up to ten and then counted,
// and notes are counted; -v prints everything.
func TestDiagnosticVolume(t *testing.T) {
	var b strings.Builder
	b.WriteString("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A: {type: object}\n")
	for i := range 12 {
		fmt.Fprintf(&b, "    B%d: {$ref: '#/components/schemas/A', type: string}\n", i)
	}
	spec := writeFile(t, t.TempDir(), "api.yaml", b.String())
	r := sdkgen(t, "", "check", "--spec", spec)
	if n := strings.Count(r.stderr, "warning[ref.sibling-ignored]"); n != 10 || !strings.Contains(r.stderr, "and 2 more ref.sibling-ignored (-v shows all)") {
		t.Errorf("default output:\n%s", r.stderr)
	}
	r = sdkgen(t, "", "check", "-v", "--spec", spec)
	if n := strings.Count(r.stderr, "warning[ref.sibling-ignored]"); n != 12 || strings.Contains(r.stderr, "more") {
		t.Errorf("-v output:\n%s", r.stderr)
	}
}

// check --pagination prints, operation by operation, how each pages and why
// a list-shaped one does not.
func TestCheckPagination(t *testing.T) {
	spec := writeFile(t, t.TempDir(), "api.yaml", `openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /users:
    get:
      operationId: listUsers
      parameters:
        - {name: cursor, in: query, schema: {type: string}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  users: {type: array, items: {type: object, properties: {id: {type: string}}}}
                  next_cursor: {type: string}
  /teams:
    get:
      operationId: listTeams
      parameters:
        - {name: cursor, in: query, schema: {type: string}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  teams: {type: array, items: {type: object, properties: {id: {type: string}}}}
`)
	r := sdkgen(t, "", "check", "--pagination", "--spec", spec)
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		"pagination: 1 operation paged, 1 list-shaped operation not\n",
		"  GET /users: listUsers pages by cursor (detected from the cursor parameter and the next_cursor field)",
		"  GET /teams: listTeams looks like a list but is not paged: a cursor parameter, but no field of the response gives the next one",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
}
