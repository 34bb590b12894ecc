// Sdkgen generates a typed Go client SDK from an OpenAPI spec, or from a
// GraphQL schema and operations when sdkgen.yaml has a graphql section.
//
// Usage:
//
//	sdkgen generate --spec <path|url|-> --out <dir> --package <name> [--config sdkgen.yaml] [--strict]
//	sdkgen check    --spec <path|url|-> [--format text|json] [--config sdkgen.yaml] [--strict] [--pagination]
//	sdkgen version
//
// The spec may be Swagger 2.0, OpenAPI 3.0 or 3.1, YAML or JSON, one file or
// several; "-" reads it from standard input, with relative $refs resolved
// against the current directory.
//
// Every flag can also be set in sdkgen.yaml (see generator/schema/sdkgen.schema.json);
// flags win. Without --config, ./sdkgen.yaml is used when it exists.
//
// Diagnostics go to standard error as file:line:col: severity[code] #pointer: message.
// The exit status is 0 on success (warnings included), 1 when the spec or the
// configuration has errors, and 2 when sdkgen is called wrongly.
//
// In a Go module, add the tool with
//
//	go get -tool github.com/sdkgen-go/sdkgen/generator/cmd/sdkgen
//
// and generate from a //go:generate line:
//
//	//go:generate go tool sdkgen generate --config sdkgen.yaml
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/sdkgen-go/sdkgen/generator"
	"github.com/sdkgen-go/sdkgen/internal/gotext"
	"github.com/sdkgen-go/sdkgen/openapi"
)

const usage = `sdkgen generates a typed Go client SDK from an OpenAPI spec
(or from a GraphQL schema and operations: a graphql section in sdkgen.yaml).

Usage:

	sdkgen generate --spec <path|url|-> --out <dir> --package <name> [--config sdkgen.yaml] [--strict]
	sdkgen check    --spec <path|url|-> [--format text|json] [--config sdkgen.yaml] [--strict]
	sdkgen version

Run 'sdkgen <command> -h' for the flags of a command.
Exit status: 0 success, 1 errors in the spec or configuration, 2 misuse.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// errUsage marks misuse; its message has already been printed.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "generate":
		return runGenerate(ctx, args[1:], stdin, stderr)
	case "check":
		return runCheck(ctx, args[1:], stdin, stdout, stderr)
	case "version":
		if len(args) > 1 {
			fmt.Fprintln(stderr, "sdkgen: version takes no arguments")
			return exitUsage
		}
		fmt.Fprintln(stdout, versionString())
		return exitOK
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "sdkgen: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// options are the flags shared by generate and check.
type options struct {
	fs      *flag.FlagSet
	spec    string
	out     string
	pkg     string
	config  string
	strict  bool
	verbose bool
	format  string
	// pagination prints the pagination of every operation (check).
	pagination bool
	command    string
}

func parseFlags(command string, args []string, stderr io.Writer) (*options, error) {
	o := &options{command: command, fs: flag.NewFlagSet("sdkgen "+command, flag.ContinueOnError)}
	fs := o.fs
	fs.SetOutput(stderr)
	fs.StringVar(&o.spec, "spec", "", "the spec: a file path, an http(s) URL, or - for standard input")
	fs.StringVar(&o.config, "config", "", "sdkgen.yaml to read (default ./sdkgen.yaml when it exists)")
	fs.BoolVar(&o.strict, "strict", false, "treat warnings as failures")
	fs.BoolVar(&o.verbose, "v", false, "print every diagnostic (by default: infos are counted, and at most 10 of each warning code are printed)")
	if command == "generate" {
		fs.StringVar(&o.out, "out", "", "folder to write the generated files to")
		fs.StringVar(&o.pkg, "package", "", "Go package name of the generated code")
	} else {
		fs.StringVar(&o.pkg, "package", "", "Go package name to check generation with (default from sdkgen.yaml, else api)")
		fs.StringVar(&o.format, "format", "text", "output format: text or json")
		fs.BoolVar(&o.pagination, "pagination", false, "print how each operation pages, or why a list-shaped one does not")
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage of sdkgen %s:\n", command)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, flag.ErrHelp
		}
		return nil, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sdkgen %s: unexpected argument %q (flags come as --name value)\n", command, fs.Arg(0))
		return nil, errUsage
	}
	if o.format != "" && o.format != "text" && o.format != "json" {
		fmt.Fprintf(stderr, "sdkgen %s: --format must be text or json, not %q\n", command, o.format)
		return nil, errUsage
	}
	return o, nil
}

// configure merges sdkgen.yaml with the flags, flags winning.
func (o *options) configure(stderr io.Writer) (generator.Config, openapi.Diagnostics) {
	var cfg generator.Config
	var diags openapi.Diagnostics
	path := o.config
	if path == "" {
		if _, err := os.Stat("sdkgen.yaml"); err == nil {
			path = "sdkgen.yaml"
		}
	}
	if path != "" {
		cfg, diags = generator.LoadConfig(path)
		if diags.HasErrors() {
			return cfg, diags
		}
	}
	set := o.setFlags()
	if set["spec"] {
		cfg.Spec = o.spec
	}
	if set["out"] {
		cfg.Output = o.out
	}
	if set["package"] {
		cfg.Package = o.pkg
	}
	if set["strict"] {
		cfg.Strict = o.strict
	}
	return cfg, diags
}

// setFlags reports which flags the command line set: they override the
// configuration file.
func (o *options) setFlags() map[string]bool {
	set := map[string]bool{}
	o.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

func exitCode(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}

func runGenerate(ctx context.Context, args []string, stdin io.Reader, stderr io.Writer) int {
	o, err := parseFlags("generate", args, stderr)
	if err != nil {
		return exitCode(err)
	}
	if gcfg, ok := o.graphqlConfig(); ok {
		return runGraphQL(ctx, o, gcfg, io.Discard, stderr)
	}
	cfg, diags := o.configure(stderr)
	printDiagnostics(stderr, diags, o.verbose)
	if diags.HasErrors() {
		return exitFailed
	}
	var missing []string
	if cfg.Spec == "" {
		missing = append(missing, "--spec")
	}
	if cfg.Output == "" {
		missing = append(missing, "--out")
	}
	if cfg.Package == "" {
		missing = append(missing, "--package")
	}
	if len(missing) > 0 {
		fmt.Fprintf(stderr, "sdkgen generate: missing %s (set by flag or in sdkgen.yaml)\n", strings.Join(missing, ", "))
		return exitUsage
	}
	if cfg.ImportPath == "" {
		// A split SDK's packages import each other by it; when the
		// output is in a module, go.mod says it.
		if ip, err := generator.ImportPathOf(cfg.Output); err == nil {
			cfg.ImportPath = ip
		}
	}
	doc, diags := openapi.Load(ctx, cfg.Spec, openapi.LoadOptions{Stdin: stdin})
	if doc == nil {
		printDiagnostics(stderr, diags, o.verbose)
		return exitFailed
	}
	files, gdiags := generator.Generate(ctx, doc, cfg)
	diags = append(diags, gdiags...)
	diags.Sort()
	printDiagnostics(stderr, diags, o.verbose)
	if diags.HasErrors() {
		return exitFailed
	}
	if err := files.Write(cfg.Output); err != nil {
		fmt.Fprintf(stderr, "sdkgen: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// checkReport is the JSON output of check; its schema is
// generator/schema/check.schema.json.
type checkReport struct {
	Spec        string              `json:"spec"`
	OK          bool                `json:"ok"`
	Version     string              `json:"version,omitempty"`
	Files       []string            `json:"files,omitempty"`
	Summary     checkSummary        `json:"summary"`
	Diagnostics openapi.Diagnostics `json:"diagnostics"`
}

type checkSummary struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
}

func runCheck(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseFlags("check", args, stderr)
	if err != nil {
		return exitCode(err)
	}
	if gcfg, ok := o.graphqlConfig(); ok {
		return runGraphQL(ctx, o, gcfg, stdout, stderr)
	}
	cfg, diags := o.configure(stderr)
	report := checkReport{Spec: cfg.Spec}
	if !diags.HasErrors() {
		if cfg.Spec == "" {
			fmt.Fprintln(stderr, "sdkgen check: missing --spec (set by flag or in sdkgen.yaml)")
			return exitUsage
		}
		if cfg.Package == "" {
			cfg.Package = "api"
		}
		doc, ldiags := openapi.Load(ctx, cfg.Spec, openapi.LoadOptions{Stdin: stdin})
		diags = append(diags, ldiags...)
		if doc != nil {
			report.Version, report.Files = doc.Version, doc.Files
			// Generate in memory: what check passes, generate passes.
			_, gdiags := generator.Generate(ctx, doc, cfg)
			diags = append(diags, gdiags...)
		}
	}
	diags.Sort()
	report.Diagnostics = diags
	report.Summary = checkSummary{
		Errors:   diags.Count(openapi.SeverityError),
		Warnings: diags.Count(openapi.SeverityWarning),
		Infos:    diags.Count(openapi.SeverityInfo),
	}
	report.OK = report.Summary.Errors == 0
	if o.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			fmt.Fprintf(stderr, "sdkgen: %v\n", err)
			return exitFailed
		}
	} else {
		printDiagnostics(stderr, diags, o.verbose)
		if o.pagination {
			printPagination(stdout, diags)
		}
		if report.OK {
			fmt.Fprintf(stdout, "%s: ok (%s, %d %s, %d warnings)\n", cfg.Spec, describeVersion(report.Version),
				len(report.Files), plural(len(report.Files), "file", "files"), report.Summary.Warnings)
		}
	}
	if !report.OK {
		return exitFailed
	}
	return exitOK
}

// printPagination prints the pagination notes of a check, operation by
// operation (method and path, then what the generator decided).
func printPagination(w io.Writer, diags openapi.Diagnostics) {
	type line struct{ op, msg string }
	var lines []line
	for _, d := range diags {
		if d.Code != generator.CodePagination {
			continue
		}
		op := d.Pointer
		if rest, ok := strings.CutPrefix(op, "/paths/"); ok {
			if i := strings.LastIndex(rest, "/"); i > 0 {
				p := strings.ReplaceAll(strings.ReplaceAll(rest[:i], "~1", "/"), "~0", "~")
				op = strings.ToUpper(rest[i+1:]) + " " + p
			}
		}
		lines = append(lines, line{op, d.Message})
	}
	slices.SortStableFunc(lines, func(a, b line) int { return strings.Compare(a.op, b.op) })
	paged, unpaged := 0, 0
	for _, l := range lines {
		switch {
		case strings.Contains(l.msg, " pages by "):
			paged++
		case strings.Contains(l.msg, "is not paged") || strings.Contains(l.msg, "is not used"):
			unpaged++
		}
	}
	fmt.Fprintf(w, "pagination: %d %s paged, %d list-shaped %s not\n", paged, plural(paged, "operation", "operations"), unpaged, plural(unpaged, "operation", "operations"))
	for _, l := range lines {
		fmt.Fprintf(w, "  %s: %s\n", gotext.Printable(l.op), gotext.Printable(l.msg))
	}
}

func describeVersion(v string) string {
	if v == "2.0" {
		return "Swagger 2.0"
	}
	return "OpenAPI " + v
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// maxPerCode bounds how many warnings of one code are printed without -v.
const maxPerCode = 10

// printDiagnostics prints errors, and warnings up to maxPerCode per code,
// then counts what it left out; infos are counted by code. With verbose,
// everything is printed.
func printDiagnostics(w io.Writer, diags openapi.Diagnostics, verbose bool) {
	shown := map[string]int{}
	hidden := map[string]int{}
	var infos []string
	for _, d := range diags {
		if !verbose {
			switch {
			case d.Severity == openapi.SeverityInfo:
				if hidden[d.Code] == 0 {
					infos = append(infos, d.Code)
				}
				hidden[d.Code]++
				continue
			case d.Severity == openapi.SeverityWarning && shown[d.Code] >= maxPerCode:
				hidden[d.Code]++
				continue
			}
		}
		shown[d.Code]++
		fmt.Fprintln(w, d.String())
		if d.Fix != "" {
			fmt.Fprintf(w, "\tfix: %s\n", gotext.Printable(d.Fix))
		}
	}
	var more []string
	for code, n := range hidden {
		if shown[code] > 0 {
			more = append(more, fmt.Sprintf("%d more %s", n, code))
		}
	}
	slices.Sort(more)
	if len(more) > 0 {
		fmt.Fprintf(w, "sdkgen: and %s (-v shows all)\n", strings.Join(more, ", "))
	}
	if len(infos) > 0 {
		slices.Sort(infos)
		var parts []string
		for _, code := range infos {
			parts = append(parts, fmt.Sprintf("%d %s", hidden[code], code))
		}
		fmt.Fprintf(w, "sdkgen: notes: %s (-v shows them)\n", strings.Join(parts, ", "))
	}
}

func versionString() string {
	v, deps := "(devel)", map[string]string{}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, d := range bi.Deps {
			deps[d.Path] = d.Version
		}
		return fmt.Sprintf("sdkgen %s (oapi-codegen %s, kin-openapi %s, %s)", v,
			orUnknown(deps["github.com/oapi-codegen/oapi-codegen/v2"]), orUnknown(deps["github.com/getkin/kin-openapi"]), bi.GoVersion)
	}
	return "sdkgen " + v
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
