package petstore_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/sdkgen-go/sdkgen/generator"
	"github.com/sdkgen-go/sdkgen/openapi"
)

// The committed SDK is exactly what the generator produces from
// petstore.yaml and sdkgen.yaml: regenerating changes nothing, and no stale
// generated file is left beside it.
func TestGeneratedCodeIsUpToDate(t *testing.T) {
	cfg, diags := generator.LoadConfig("sdkgen.yaml")
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	doc, diags := openapi.Load(context.Background(), cfg.Spec, openapi.LoadOptions{})
	if doc == nil {
		t.Fatal(diags.Err())
	}
	files, diags := generator.Generate(context.Background(), doc, cfg)
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	produced := map[string]bool{}
	for _, f := range files {
		produced[f.Name] = true
		onDisk, err := os.ReadFile(filepath.Join(cfg.Output, f.Name))
		if err != nil {
			t.Errorf("%s: %v (run go generate ./examples/petstore)", f.Name, err)
			continue
		}
		if !bytes.Equal(onDisk, f.Content) {
			t.Errorf("%s is out of date: run go generate ./examples/petstore", f.Name)
		}
	}
	stale, _ := filepath.Glob(filepath.Join(cfg.Output, "*.gen.go"))
	for _, p := range stale {
		if !produced[filepath.Base(p)] {
			t.Errorf("%s is no longer generated: run go generate ./examples/petstore", p)
		}
	}
}
