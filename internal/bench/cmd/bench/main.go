// Command bench runs sdkgen's comparative benchmarks and prints their
// tables: every package under internal/bench that has benchmarks (the
// runtime's, internal/bench/calls, the generator's,
// internal/bench/genbench, and the offline queue's, internal/bench/outbox)
// and the pagination benchmarks of package sdk
// (BenchmarkPagerLiveHeap, BenchmarkPagerPrefetch).
//
// Usage:
//
//	go run ./internal/bench/cmd/bench [flags]
//
// It runs the benchmarks of each package as go test -run '^$' -bench .
// -count N -benchmem would, but in N rounds of one run each, from a test
// binary built once, so that the implementations a benchmark compares
// alternate through the run (see goTest). Then, for each benchmark that sets our implementation beside its peers
// (sub-benchmarks impl=sdk and impl=<peer>, tool=sdkgen and tool=<peer>,
// or via=outbox and via=<peer>), prints the ratio of medians ours/peer for every unit, and
// benchstat's table of each pair (the peer as the base, so "vs base" is
// ours against it); other benchmarks get benchstat's plain table.
// docs/BENCHMARKS.md reports the figures.
//
// Flags:
//
//	-count N      runs of each benchmark (default 6; 1 with -short)
//	-gencount N   runs of the generator's benchmarks (internal/bench/genbench),
//	              each one -benchtime 1x: a run generates and builds GitHub,
//	              Stripe and Kubernetes with both tools, minutes and GiBs
//	              (default 2; 1 with -short)
//	-benchtime D  go test's -benchtime (default 1s; 1x with -short)
//	-short        the CI variant: every benchmark once, in go test's short
//	              mode, so none can rot; the figures mean nothing
//	-pkg REGEXP   only the packages whose import path matches
//	-out DIR      keep the raw go test outputs and the tables in DIR
//
// benchstat is golang.org/x/perf/cmd/benchstat at a pinned version: the
// one in .ci/bin or on PATH when it is that version, else installed into a
// temporary folder with go install (from the module cache once fetched).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sdkgen-go/sdkgen/internal/gentest"
	"github.com/sdkgen-go/sdkgen/internal/pinned"
)

// benchstatVersion is benchstat's pinned version; .ci/run installs the
// same one.
const benchstatVersion = "v0.0.0-20260908200009-22c9c6c9d4da"

var benchstatTool = pinned.Tool{Package: "golang.org/x/perf/cmd/benchstat", Module: "golang.org/x/perf", Version: benchstatVersion}

const modulePath = "github.com/sdkgen-go/sdkgen"

// benchRoot holds the benchmark packages, discovered; extra names the
// benchmarks that live beside the code they measure, by package.
const benchRoot = "./internal/bench/..."

var extra = map[string]string{
	"github.com/sdkgen-go/sdkgen/sdk": "^BenchmarkPager(LiveHeap|Prefetch)$",
}

// benchSet is what one package's runs benchmark.
type benchSet struct {
	pkg   string // import path
	dir   string // its folder, where its test binary runs
	bench string // -test.bench regexp
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("bench: ")
	count := flag.Int("count", 6, "runs of each benchmark")
	benchtime := flag.String("benchtime", "", "go test -benchtime (default 1s; 1x with -short)")
	gencount := flag.Int("gencount", 2, "runs of the generator benchmarks (internal/bench/genbench)")
	short := flag.Bool("short", false, "CI variant: each benchmark once, in short mode")
	pkgRE := flag.String("pkg", "", "only packages whose import path matches this regexp")
	out := flag.String("out", "", "keep raw outputs and tables in this folder")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: go run ./internal/bench/cmd/bench [flags]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *short {
		if !set["count"] {
			*count = 1
		}
		if !set["gencount"] {
			*gencount = 1
		}
		if *benchtime == "" {
			*benchtime = "1x"
		}
	}
	if *count < 1 || *gencount < 1 {
		log.Print("-count and -gencount must be at least 1")
		os.Exit(2)
	}
	var only *regexp.Regexp
	if *pkgRE != "" {
		var err error
		if only, err = regexp.Compile(*pkgRE); err != nil {
			log.Printf("-pkg: %v", err)
			os.Exit(2)
		}
	}
	if err := run(config{count: *count, gencount: *gencount, benchtime: *benchtime, short: *short, only: only, out: *out}); err != nil {
		log.Fatal(err)
	}
}

type config struct {
	count     int
	gencount  int // rounds of the heavy generator benchmarks
	benchtime string
	short     bool
	only      *regexp.Regexp
	out       string
}

func run(cfg config) error {
	root, err := gentest.FindRepoRoot()
	if err != nil {
		return err
	}
	sets, err := discover(root)
	if err != nil {
		return err
	}
	if cfg.only != nil {
		var kept []benchSet
		for _, s := range sets {
			if cfg.only.MatchString(s.pkg) {
				kept = append(kept, s)
			}
		}
		sets = kept
	}
	if len(sets) == 0 {
		return fmt.Errorf("no benchmark package matches")
	}
	dir := cfg.out
	if dir == "" {
		if dir, err = os.MkdirTemp("", "bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	bs, err := benchstatTool.Find(root, dir, os.Stderr)
	if err != nil {
		return err
	}
	binDir, err := os.MkdirTemp("", "bench-bin-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(binDir)

	var failed []string
	var files []string
	for _, s := range sets {
		file := filepath.Join(dir, strings.ReplaceAll(strings.TrimPrefix(s.pkg, modulePath+"/"), "/", "_")+".txt")
		if err := goTest(root, s, cfg, file, binDir); err != nil {
			log.Printf("%s: %v", s.pkg, err)
			failed = append(failed, s.pkg)
		}
		files = append(files, file)
	}

	var tables bytes.Buffer
	for i, s := range sets {
		if err := report(&tables, bs, s.pkg, files[i]); err != nil {
			log.Printf("%s: %v", s.pkg, err)
			failed = append(failed, s.pkg)
		}
	}
	os.Stdout.Write(tables.Bytes())
	if cfg.out != "" {
		if err := os.WriteFile(filepath.Join(dir, "tables.txt"), tables.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("failed: %s", strings.Join(failed, ", "))
	}
	return nil
}

var benchFunc = regexp.MustCompile(`(?m)^func Benchmark\w*\(b \*testing\.B\)`)

// discover lists the packages under benchRoot whose tests declare
// benchmarks, then the extra ones.
func discover(root string) ([]benchSet, error) {
	args := []string{"list", "-f", `{{.ImportPath}} {{.Dir}}{{range .TestGoFiles}} {{$.Dir}}/{{.}}{{end}}{{range .XTestGoFiles}} {{$.Dir}}/{{.}}{{end}}`, benchRoot}
	args = append(args, slices.Sorted(maps.Keys(extra))...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %v", benchRoot, err)
	}
	var sets []benchSet
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		if re, ok := extra[f[0]]; ok {
			sets = append(sets, benchSet{pkg: f[0], dir: f[1], bench: re})
			continue
		}
		for _, name := range f[2:] {
			src, err := os.ReadFile(name)
			if err != nil {
				return nil, err
			}
			if benchFunc.Match(src) {
				sets = append(sets, benchSet{pkg: f[0], dir: f[1], bench: "."})
				break
			}
		}
	}
	return sets, nil
}

// goTest builds the test binary of s once, then runs its benchmarks
// cfg.count times, as go test -run '^$' -bench <s.bench> -count 1
// -benchmem would, appending their output to file and showing it on
// stderr. Rounds, rather than -count N, interleave the implementations a
// benchmark compares: go test runs a sub-benchmark's N runs back to back,
// so on a machine whose load changes, one implementation would get the
// quiet minutes and another the busy ones.
func goTest(root string, s benchSet, cfg config, file, binDir string) error {
	bin := filepath.Join(binDir, filepath.Base(file)+".test")
	build := exec.Command("go", "test", "-c", "-o", bin, s.pkg)
	build.Dir = root
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go test -c: %v", err)
	}
	args := []string{"-test.run", "^$", "-test.bench", s.bench, "-test.count", "1", "-test.benchmem", "-test.timeout", "0"}
	rounds, benchtime := cfg.count, cfg.benchtime
	if path.Base(s.pkg) == "genbench" {
		rounds, benchtime = cfg.gencount, "1x"
	}
	if benchtime != "" {
		args = append(args, "-test.benchtime", benchtime)
	}
	if cfg.short {
		args = append(args, "-test.short")
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	start := time.Now()
	for round := 1; round <= rounds; round++ {
		log.Printf("%s: round %d of %d", s.pkg, round, rounds)
		cmd := exec.Command(bin, args...)
		cmd.Dir = s.dir
		cmd.Stdout = io.MultiWriter(f, os.Stderr)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("round %d: %v", round, err)
		}
	}
	log.Printf("%s: %s", s.pkg, time.Since(start).Round(time.Second))
	return nil
}

// report writes the tables of one package's results.
func report(w io.Writer, bs, pkg, file string) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	results, err := parseResults(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n==== %s\n", pkg)
	if m := cpuLine.FindSubmatch(raw); m != nil {
		fmt.Fprintf(w, "cpu: %s\n", m[1])
	}
	if len(results) == 0 {
		fmt.Fprintln(w, "(no results)")
		return nil
	}
	cmps, plain := comparisons(results)
	for _, c := range cmps {
		fmt.Fprintf(w, "\n%s\n", ratioTable(c, results))
		for _, p := range c.peers {
			fmt.Fprintf(w, "-- %s: %s vs %s (base)\n", c.top, c.subject, p)
			if err := runBenchstat(w, bs, file, ".name:"+c.top, fmt.Sprintf("/%s@(%s %s)", c.key, p, c.subject)); err != nil {
				return err
			}
		}
	}
	for _, top := range plain {
		fmt.Fprintf(w, "\n-- %s\n", top)
		if err := runBenchstat(w, bs, file, ".name:"+top, ""); err != nil {
			return err
		}
	}
	return nil
}

func runBenchstat(w io.Writer, bs, file, filter, col string) error {
	args := []string{"-filter", filter}
	if col != "" {
		args = append(args, "-col", col)
	}
	// A label instead of the file's path heads the columns of plain tables.
	label := strings.TrimSuffix(filepath.Base(file), ".txt")
	cmd := exec.Command(bs, append(args, label+"="+file)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("benchstat %s: %v\n%s", strings.Join(args, " "), err, out.Bytes())
	}
	_, err := w.Write(dropConfig(out.Bytes()))
	return err
}

// dropConfig removes the goos/goarch/pkg/cpu lines benchstat repeats at
// the top of every table; report prints the package once.
func dropConfig(b []byte) []byte {
	var out bytes.Buffer
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		if cfgLine.Match(line) {
			continue
		}
		out.Write(line)
	}
	return out.Bytes()
}

var (
	cfgLine = regexp.MustCompile(`^(goos|goarch|pkg|cpu): `)
	cpuLine = regexp.MustCompile(`(?m)^cpu: (.*)$`)
)
