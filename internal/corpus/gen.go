package corpus

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/sdkgen-go/sdkgen/generator"
	"github.com/sdkgen-go/sdkgen/openapi"
)

// Outcomes of a spec, best first.
const (
	OutcomeOK             = "ok"              // generated, built and vetted
	OutcomeVetFailed      = "vet-failed"      // built, but go vet complains
	OutcomeBuildFailed    = "build-failed"    // the generated code does not compile
	OutcomeGenerateFailed = "generate-failed" // the spec loaded but generation failed
	OutcomeBrokenSpec     = "broken-spec"     // the spec itself is broken (located load errors)
	OutcomeTimeout        = "timeout"         // over the per-spec time cap
	OutcomeOOM            = "out-of-memory"   // over the per-spec memory cap
	OutcomeCrashed        = "crashed"         // the generator process died otherwise
	OutcomeNotBuilt       = "generated-large" // generated, but over the size above which the run does not build
)

// Result is the outcome of one spec.
type Result struct {
	Spec     string `json:"spec"`
	Provider string `json:"provider"`
	Package  string `json:"package"`
	Outcome  string `json:"outcome"`
	// Class names the kind of failure (a diagnostic code, or a compiler
	// error class such as redeclared-identifier); Detail is its first line.
	Class  string `json:"class,omitempty"`
	Detail string `json:"detail,omitempty"`
	// Codes counts the diagnostics of loading and generation by code.
	Codes map[string]int `json:"codes,omitempty"`
	// Operations in the spec, and methods generated for them.
	Operations int `json:"operations"`
	Methods    int `json:"methods"`
	// Schemas (components, after normalization) and parameters (of paths
	// and operations) in the spec, and the parts generation degraded to
	// untyped values (normalize.degraded diagnostics).
	Schemas    int `json:"schemas"`
	Parameters int `json:"parameters"`
	Degraded   int `json:"degraded,omitempty"`
	// Lines of generated Go code.
	Lines int `json:"lines,omitempty"`
	// GenSeconds, GenCPUSeconds (user and system) and GenMaxRSSMiB measure
	// the generator process.
	GenSeconds    float64 `json:"gen_seconds"`
	GenCPUSeconds float64 `json:"gen_cpu_seconds,omitempty"`
	GenMaxRSSMiB  int64   `json:"gen_max_rss_mib,omitempty"`
	// OapiRuns counts the runs of oapi-codegen's code generation the spec
	// took (one per package generated).
	OapiRuns int64 `json:"oapi_runs"`
}

// GenerateOne loads and generates one spec into out (the child side of a
// run). It caps its own address space at memLimit bytes first, so that a
// runaway spec fails alone.
func GenerateOne(ctx context.Context, spec, out, pkg string, memLimit int64) (r Result) {
	if memLimit > 0 {
		lim := &syscall.Rlimit{Cur: uint64(memLimit), Max: uint64(memLimit)}
		_ = syscall.Setrlimit(syscall.RLIMIT_AS, lim)
	}
	start := time.Now()
	r = Result{Package: pkg, Codes: map[string]int{}}
	defer func() { r.GenSeconds = time.Since(start).Seconds() }()
	doc, diags := openapi.Load(ctx, spec, openapi.LoadOptions{})
	count(r.Codes, diags)
	if doc == nil {
		r.Outcome = OutcomeBrokenSpec
		r.Class, r.Detail = firstError(diags)
		return r
	}
	if t, err := doc.OpenAPI(); err == nil && t.Paths != nil {
		for _, item := range t.Paths.Map() {
			r.Parameters += len(item.Parameters)
			for _, op := range item.Operations() {
				r.Operations++
				r.Parameters += len(op.Parameters)
			}
		}
		if t.Components != nil {
			r.Schemas = len(t.Components.Schemas)
		}
	}
	runs := generator.OapiCodegenRuns()
	files, gdiags := generator.Generate(ctx, doc, generator.Config{Package: pkg, ImportPath: ImportPath(pkg)})
	r.OapiRuns = generator.OapiCodegenRuns() - runs
	count(r.Codes, gdiags)
	if gdiags.HasErrors() {
		r.Outcome = OutcomeGenerateFailed
		r.Class, r.Detail = firstError(gdiags)
		return r
	}
	if err := files.Write(out); err != nil {
		r.Outcome = OutcomeCrashed
		r.Class, r.Detail = "write", err.Error()
		return r
	}
	for _, f := range files {
		if !strings.HasSuffix(f.Name, ".go") {
			continue
		}
		r.Lines += strings.Count(string(f.Content), "\n")
		if strings.HasPrefix(path.Base(f.Name), "service_") {
			r.Methods += len(methodDecl.FindAll(f.Content, -1))
		}
	}
	r.Degraded = r.Codes[openapi.CodeDegraded]
	r.Outcome = OutcomeOK // until the build says otherwise
	return r
}

// methodDecl matches the methods of generated services.
var methodDecl = regexp.MustCompile(`(?m)^func \(s \*[\p{L}\p{N}_]+\) [\p{L}\p{N}_]+\(`)

func count(m map[string]int, ds openapi.Diagnostics) {
	for _, d := range ds {
		m[d.Code]++
	}
}

func firstError(ds openapi.Diagnostics) (string, string) {
	for _, d := range ds {
		if d.Severity == openapi.SeverityError {
			return d.Code, oneLine(d.String(), 300)
		}
	}
	return "unknown", ""
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// ImportPath is the import path of a spec's package in the build module.
func ImportPath(pkg string) string { return "corpus/specs/" + pkg }

// packageDir is where a spec's package goes in the module.
func packageDir(mod, pkg string) string { return filepath.Join(mod, "specs", pkg) }

func mustMkdir(dir string) error { return os.MkdirAll(dir, 0o755) }
