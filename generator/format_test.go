package generator

import (
	"bytes"
	"go/format"
	"path/filepath"
	"slices"
	"testing"
)

// A file printed in parts is byte for byte what printing it whole gives:
// every spec of testdata/generate, printed in parts at every declaration
// the parts may start at.
func TestChunkedPrintIsGofmt(t *testing.T) {
	defer func(n, p int) { parallelPrintDecls, printParts = n, p }(parallelPrintDecls, printParts)
	parallelPrintDecls, printParts = 2, 7
	specs := specEntries(t, "testdata/generate")
	specs["split"] = "testdata/split.yaml"
	specs["petstore"] = "../examples/petstore/petstore.yaml"
	for _, name := range slices.Sorted(mapKeys(specs)) {
		files, diags := generate(t, specs[name], Config{Package: packageName(name)})
		if diags.HasErrors() {
			t.Fatalf("%s: %s", name, diagText(diags))
		}
		for _, f := range files {
			if filepath.Ext(f.Name) != ".go" {
				continue
			}
			want, err := format.Source(f.Content)
			if err != nil {
				t.Fatalf("%s/%s: %v", name, f.Name, err)
			}
			if !bytes.Equal(want, f.Content) {
				t.Errorf("%s/%s is not what gofmt prints:\n%s", name, f.Name, firstDiff(string(want), string(f.Content)))
			}
		}
	}
}
