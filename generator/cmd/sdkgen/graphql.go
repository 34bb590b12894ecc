package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	gqlgen "github.com/sdkgen-go/sdkgen/generator/graphql"
	"github.com/sdkgen-go/sdkgen/openapi"
)

// graphqlConfig returns the GraphQL configuration when the config file
// (--config, else ./sdkgen.yaml) has a graphql section, with the flags
// applied.
func (o *options) graphqlConfig() (gqlgen.Config, bool) {
	path := o.config
	if path == "" {
		if _, err := os.Stat("sdkgen.yaml"); err != nil {
			return gqlgen.Config{}, false
		}
		path = "sdkgen.yaml"
	}
	cfg, ok, diags := gqlgen.LoadConfig(path)
	if !ok || diags.HasErrors() {
		return cfg, false // the OpenAPI path reports the config's errors
	}
	set := o.setFlags()
	if set["out"] {
		cfg.Output = o.out
	}
	if set["package"] {
		cfg.Package = o.pkg
	}
	if set["strict"] {
		cfg.Strict = o.strict
	}
	return cfg, true
}

// runGraphQL generates (or, for check, only checks) a GraphQL client.
func runGraphQL(ctx context.Context, o *options, cfg gqlgen.Config, stdout, stderr io.Writer) int {
	if o.spec != "" {
		fmt.Fprintf(stderr, "sdkgen %s: --spec does not apply to a config with a graphql section\n", o.command)
		return exitUsage
	}
	if o.command == "generate" && cfg.Output == "" {
		fmt.Fprintln(stderr, "sdkgen generate: missing --out (set by flag or in sdkgen.yaml)")
		return exitUsage
	}
	if cfg.Package == "" {
		if o.command == "generate" {
			fmt.Fprintln(stderr, "sdkgen generate: missing --package (set by flag or in sdkgen.yaml)")
			return exitUsage
		}
		cfg.Package = "api"
	}
	start := time.Now()
	files, diags := gqlgen.Generate(ctx, cfg)
	diags.Sort()
	printDiagnostics(stderr, diags, o.verbose)
	if diags.HasErrors() {
		return exitFailed
	}
	if o.command == "check" {
		fmt.Fprintf(stdout, "graphql: ok (%d files, %d warnings, %s)\n", len(files), diags.Count(openapi.SeverityWarning), time.Since(start).Round(time.Millisecond))
		return exitOK
	}
	if err := files.Write(cfg.Output); err != nil {
		fmt.Fprintf(stderr, "sdkgen: %v\n", err)
		return exitFailed
	}
	return exitOK
}
