package graphql

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
)

// The committed catalog client is what the generator makes (CI's go
// generate checks it too; this keeps go test honest on its own).
func TestCatalogMatchesCommitted(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "catalog")
	cfg, ok, diags := LoadConfig(filepath.Join(dir, "sdkgen.yaml"))
	if !ok || diags.HasErrors() {
		t.Fatalf("config: %v %v", ok, diags)
	}
	files, diags := Generate(context.Background(), cfg)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, f := range files {
		want, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil || !bytes.Equal(want, f.Content) {
			t.Errorf("%s differs from the generator's output (run go generate ./examples/catalog)", f.Name)
		}
	}
}

// An invalid operation is a located diagnostic, as a broken spec is.
func TestInvalidOperationIsLocated(t *testing.T) {
	dir := t.TempDir()
	ops := filepath.Join(dir, "ops.graphql")
	if err := os.WriteFile(ops, []byte("query GetProduct($id: ID!) {\n  product(id: $id) {\n    prce\n  }\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, diags := Generate(context.Background(), Config{Package: "x", Schema: []string{filepath.Join("..", "..", "examples", "catalog", "schema.graphql")}, Operations: []string{ops}})
	if len(diags) == 0 {
		t.Fatal("no diagnostics")
	}
	d := diags[0]
	if d.Code != CodeOperation || d.Pos.File != ops || d.Pos.Line != 3 || d.Pos.Column != 5 || !strings.Contains(d.Message, `"prce"`) {
		t.Fatalf("diagnostic = %s", d)
	}
}

// An introspection result converts to SDL that declares the same schema.
func TestIntrospectionToSDL(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "catalog.introspection.json"))
	if err != nil {
		t.Fatal(err)
	}
	sdl, err := IntrospectionToSDL(data)
	if err != nil {
		t.Fatal(err)
	}
	got, diags := loadSchema([]*ast.Source{{Name: "got", Input: sdl}})
	if diags.HasErrors() {
		t.Fatal(diags, sdl)
	}
	src, _ := os.ReadFile(filepath.Join("..", "..", "examples", "catalog", "schema.graphql"))
	want, diags := loadSchema([]*ast.Source{{Name: "want", Input: string(src)}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	format := func(s *ast.Schema) string {
		var b strings.Builder
		formatter.NewFormatter(&b, formatter.WithoutDescription()).FormatSchema(s)
		return b.String()
	}
	if format(got) != format(want) {
		t.Errorf("schemas differ:\n%s\n---\n%s", format(got), format(want))
	}
}
