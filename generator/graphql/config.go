package graphql

import (
	"fmt"
	"os"
	"path/filepath"

	yaml "go.yaml.in/yaml/v3"

	"github.com/sdkgen-go/sdkgen/generator"
	"github.com/sdkgen-go/sdkgen/openapi"
)

// Config is what generating a GraphQL client needs: the graphql section of
// sdkgen.yaml with the file's package, output and strict settings.
type Config struct {
	// Package is the Go package name of the generated code; Output the
	// folder the files go to.
	Package string
	Output  string
	// Strict turns warnings into failures.
	Strict bool
	// Schema lists the schema's files: SDL (.graphql, .graphqls, .gql) or
	// introspection results (.json). Operations lists the operation
	// documents (.graphql, .gql). Both may hold globs.
	Schema     []string
	Operations []string
	// Endpoint is the URL NewClient uses when given "" (optional).
	Endpoint string
	// Optional says how nullable arguments and input fields are typed:
	// "value" (the default: zero means null only with omitempty) or
	// "pointer" (nil means null), as genqlient's option of that name.
	Optional string
	// Bindings maps GraphQL scalar and type names to Go types
	// ("time.Time", "github.com/google/uuid.UUID").
	Bindings map[string]string
	// Idempotent lists mutations that are safe to retry: their calls carry
	// an Idempotency-Key and are retried like queries.
	Idempotent []string
}

// section is the graphql block of sdkgen.yaml, as written.
type section struct {
	Schema     stringList        `yaml:"schema"`
	Operations stringList        `yaml:"operations"`
	Endpoint   string            `yaml:"endpoint"`
	Optional   string            `yaml:"optional"`
	Bindings   map[string]string `yaml:"bindings"`
	Idempotent []string          `yaml:"idempotent"`
}

// stringList reads a string or a list of strings.
type stringList []string

func (s *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*s = []string{n.Value}
		return nil
	}
	var l []string
	if err := n.Decode(&l); err != nil {
		return err
	}
	*s = l
	return nil
}

// LoadConfig reads the sdkgen.yaml at path, validated against the config
// schema like any (generator.LoadConfig), and returns its GraphQL
// configuration; ok is false when the file has no graphql section (it
// then configures an OpenAPI client). Paths are made relative to the
// current directory, as if given as flags.
func LoadConfig(path string) (cfg Config, ok bool, diags openapi.Diagnostics) {
	base, diags := generator.LoadConfig(path)
	if diags.HasErrors() {
		return Config{}, false, diags
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, false, append(diags, openapi.Diagnostic{Code: generator.CodeConfigInvalid, Severity: openapi.SeverityError,
			Message: fmt.Sprintf("cannot read config: %v", err), Pos: openapi.Position{File: path}})
	}
	var file struct {
		GraphQL *section `yaml:"graphql"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		return Config{}, false, append(diags, openapi.Diagnostic{Code: generator.CodeConfigInvalid, Severity: openapi.SeverityError,
			Message: err.Error(), Pos: openapi.Position{File: path}})
	}
	if file.GraphQL == nil {
		return Config{}, false, diags
	}
	g := file.GraphQL
	dir := filepath.Dir(path)
	rel := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	cfg = Config{Package: base.Package, Output: base.Output, Strict: base.Strict,
		Endpoint: g.Endpoint, Optional: g.Optional, Bindings: g.Bindings, Idempotent: g.Idempotent}
	for _, p := range g.Schema {
		cfg.Schema = append(cfg.Schema, rel(p))
	}
	for _, p := range g.Operations {
		cfg.Operations = append(cfg.Operations, rel(p))
	}
	return cfg, true, diags
}
