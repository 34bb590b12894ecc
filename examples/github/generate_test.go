// Under the race detector, loading GitHub's 5.7 MB spec takes about 30 s
// instead of 8: the file is left out of -race runs (CI's), where the
// drift check of .ci/run (go generate ./... && git diff) proves the same.

//go:build !race

package github_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/sdkgen-go/sdkgen/generator"
	"github.com/sdkgen-go/sdkgen/openapi"
)

// The committed SDK is exactly what the generator produces from GitHub's
// spec and sdkgen.yaml. The spec comes from npm (internal/corpus/node):
// without it the test is skipped, except in CI (CI=true), where .ci/run
// installs it and a missing spec is a failure.
func TestGeneratedCodeIsUpToDate(t *testing.T) {
	cfg, diags := generator.LoadConfig("sdkgen.yaml")
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	if _, err := os.Stat(cfg.Spec); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("GitHub's spec is not installed: %v", err)
		}
		t.Skipf("GitHub's spec is not installed (npm ci --prefix internal/corpus/node): %v", err)
	}
	if testing.Short() {
		t.Skip("loading GitHub's 5.7 MB spec takes seconds")
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
			t.Errorf("%s: %v (run go generate ./examples/github)", f.Name, err)
			continue
		}
		if !bytes.Equal(onDisk, f.Content) {
			t.Errorf("%s is out of date: run go generate ./examples/github", f.Name)
		}
	}
	stale, _ := filepath.Glob(filepath.Join(cfg.Output, "*.gen.go"))
	for _, p := range stale {
		if !produced[filepath.Base(p)] {
			t.Errorf("%s is no longer generated: run go generate ./examples/github", p)
		}
	}
}
