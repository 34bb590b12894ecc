package panel

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Report is the panel's JSON report.
type Report struct {
	// Corpus, Labels, OapiCodegen and Staticcheck say what was measured
	// with what; Commit is this repository's commit when known.
	Corpus      string `json:"corpus"`
	Labels      string `json:"labels"`
	OapiCodegen string `json:"oapi_codegen"`
	Staticcheck string `json:"staticcheck,omitempty"`
	Commit      string `json:"commit,omitempty"`
	GoVersion   string `json:"go_version"`
	// Seconds is the wall time of the whole run.
	Seconds float64  `json:"seconds"`
	Results []Result `json:"results"`
	Totals  Totals   `json:"totals"`
}

// Totals sum the results.
type Totals struct {
	APIs int `json:"apis"`
	// Verdicts are sdkgen's on the labelled operations of every API.
	Verdicts
	// Unlabelled counts sdkgen's pagers on unlabelled operations.
	Unlabelled int `json:"unlabelled_pagers"`
	// WithoutConfig are sdkgen's verdicts without the panel's sdkgen.yaml
	// files (the APIs without one count as they are).
	WithoutConfig Verdicts `json:"without_config"`
	// Sdkgen and OapiCodegen sum each tool's figures over the APIs where
	// it generated.
	Sdkgen      ToolTotals `json:"sdkgen"`
	OapiCodegen ToolTotals `json:"oapi_codegen"`
	// Both is the number of APIs where both tools' outputs built (so that
	// every column, ST1003 included, has a figure for both), and
	// SdkgenBoth and OapiCodegenBoth sum each tool's figures over those
	// alone: the figures to compare.
	Both            int        `json:"both"`
	SdkgenBoth      ToolTotals `json:"sdkgen_both"`
	OapiCodegenBoth ToolTotals `json:"oapi_codegen_both"`
}

// ToolTotals sum one tool's figures.
type ToolTotals struct {
	Generated        int     `json:"generated"`
	Built            int     `json:"built"`
	Vetted           int     `json:"vetted"`
	AnonymousStructs int     `json:"anonymous_structs"`
	ScalarPointers   int     `json:"scalar_pointers"`
	ListPointers     int     `json:"list_pointers"`
	ST1003           int     `json:"st1003"`
	Lines            int     `json:"lines"`
	GenSeconds       float64 `json:"gen_seconds"`
	BuildSeconds     float64 `json:"build_seconds"`
}

func (t *ToolTotals) add(r ToolResult) {
	if !r.Generated {
		return
	}
	t.Generated++
	if r.Built {
		t.Built++
	}
	if r.Vetted {
		t.Vetted++
	}
	t.AnonymousStructs += r.Code.AnonymousStructs
	t.ScalarPointers += r.Code.ScalarPointerTotal()
	t.ListPointers += r.Code.ListPointers
	if r.ST1003 != nil {
		t.ST1003 += *r.ST1003
	}
	t.Lines += r.Code.Lines
	t.GenSeconds += r.GenSeconds
	t.BuildSeconds += r.BuildSeconds
}

// Summarize computes the totals of results.
func Summarize(results []Result) Totals {
	t := Totals{APIs: len(results)}
	for _, r := range results {
		if pg := r.Pagination; pg != nil {
			t.sum(pg.Verdicts)
			t.Unlabelled += len(pg.Unlabelled)
			if r.WithoutConfig != nil {
				t.WithoutConfig.sum(*r.WithoutConfig)
			} else {
				t.WithoutConfig.sum(pg.Verdicts)
			}
		}
		t.Sdkgen.add(r.Sdkgen)
		t.OapiCodegen.add(r.OapiCodegen)
		if r.Sdkgen.Built && r.OapiCodegen.Built {
			t.Both++
			t.SdkgenBoth.add(r.Sdkgen)
			t.OapiCodegenBoth.add(r.OapiCodegen)
		}
	}
	return t
}

// WriteText writes the report as text tables: the figures of each API,
// tool beside tool; sdkgen's pagination on every labelled operation; its
// pagers on unlabelled operations.
func WriteText(w io.Writer, rep Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "api\ttool\tbuilt\tpaged (labels)\tmatch\talt\tunsup\tmissing\tunlabelled\tanon structs\tscalar ptrs\t*[]T\tST1003\tlines\tgen s\tbuild s\t")
	for _, r := range rep.Results {
		for _, tr := range []ToolResult{r.Sdkgen, r.OapiCodegen} {
			var pg *Pagination
			if tr.Tool == "sdkgen" {
				pg = r.Pagination
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", r.API, tr.Tool, status(tr), pagination(pg), toolFigures(tr))
		}
	}
	t := rep.Totals
	all := fmt.Sprintf("all %d", t.APIs)
	both := fmt.Sprintf("both %d", t.Both)
	for _, x := range []struct {
		rows, name string
		tt         ToolTotals
		pg         string
	}{
		{all, "sdkgen", t.Sdkgen, paginationCells(t.Verdicts, t.Unlabelled)},
		{all, "oapi-codegen", t.OapiCodegen, pagination(nil)},
		{both, "sdkgen", t.SdkgenBoth, "\t\t\t\t\t"},
		{both, "oapi-codegen", t.OapiCodegenBoth, "\t\t\t\t\t"},
	} {
		fmt.Fprintf(tw, "%s\t%s\t%d/%d/%d\t%s\t%d\t%d\t%d\t%d\t%d\t%.1f\t%.1f\t\n", x.rows, x.name,
			x.tt.Generated, x.tt.Built, x.tt.Vetted, x.pg,
			x.tt.AnonymousStructs, x.tt.ScalarPointers, x.tt.ListPointers, x.tt.ST1003, x.tt.Lines, x.tt.GenSeconds, x.tt.BuildSeconds)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nbuilt: ok, or the step that failed (generate, read, build, vet); totals: generated/built/vetted.")
	fmt.Fprintln(w, "all N: each tool's sums over the APIs it generated; both N: over the APIs both tools built.")
	fmt.Fprintln(w, "paged (labels): labelled operations paged the way the API pages (match + alt) / labelled (recall).")
	for _, r := range rep.Results {
		if r.Config != "" && r.WithoutConfig != nil {
			v := r.WithoutConfig
			fmt.Fprintf(w, "%s: sdkgen ran with the panel's %s.sdkgen.yaml; without it, %d/%d (%.0f%%)\n", r.API, r.API, v.Match+v.Alternative, v.Labelled, 100*v.Recall)
		}
	}
	if v := t.WithoutConfig; v.Labelled > 0 {
		fmt.Fprintf(w, "all: without the panel's sdkgen.yaml files, %d/%d (%.0f%%)\n", v.Match+v.Alternative, v.Labelled, 100*v.Recall)
	}

	for _, r := range rep.Results {
		for _, tr := range []ToolResult{r.Sdkgen, r.OapiCodegen} {
			if tr.Failed != "" {
				fmt.Fprintf(w, "%s: %s: %s failed: %s\n", r.API, tr.Tool, tr.Failed, tr.Error)
			}
			if tr.ST1003Error != "" {
				fmt.Fprintf(w, "%s: %s: staticcheck: %s\n", r.API, tr.Tool, tr.ST1003Error)
			}
		}
	}

	fmt.Fprintln(w, "\nsdkgen's pagination on the labelled operations (generated style: the pager constructor the code calls)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "api\toperation\tlabel style\tgenerated style\tverdict\tspec supports\tnote")
	for _, r := range rep.Results {
		if r.Pagination == nil {
			continue
		}
		for _, o := range r.Pagination.Operations {
			gen := "-"
			if len(o.Generated) > 0 {
				gen = o.GeneratedStyle + " (" + strings.Join(o.Generated, ",") + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.API, o.Operation, o.LabelStyle, gen, verdictColumn(o.Verdict),
				orDash(strings.Join(o.Supports, ",")), o.Note)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nsdkgen's pagers on unlabelled operations (to review)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "api\toperation\tmethod path\tgenerated style\tmethods")
	none := true
	for _, r := range rep.Results {
		if r.Pagination == nil {
			continue
		}
		for _, p := range r.Pagination.Unlabelled {
			none = false
			fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s (%s)\t%s\n", r.API, p.Operation, p.Method, p.Path,
				strings.Join(p.Styles, ","), strings.Join(p.Pagers, ","), strings.Join(p.Methods, ", "))
		}
		for _, u := range r.Pagination.UnattachedPagers {
			none = false
			fmt.Fprintf(tw, "%s\t?\t?\t(a paged function that uses no operation descriptor)\t%s\n", r.API, u)
		}
	}
	if none {
		fmt.Fprintln(tw, "(none)")
	}
	return tw.Flush()
}

// verdictColumn spells a verdict as the table's column does.
func verdictColumn(v string) string {
	switch v {
	case VerdictMatch:
		return "style matches"
	case VerdictUnsupported:
		return "unsupported (not counted)"
	}
	return v
}

func status(tr ToolResult) string {
	if tr.Failed != "" {
		return tr.Failed + " failed"
	}
	return "ok"
}

func pagination(pg *Pagination) string {
	if pg == nil {
		return "n/a\t\t\t\t\t"
	}
	return paginationCells(pg.Verdicts, len(pg.Unlabelled))
}

// paginationCells are the pagination columns: recall, then the verdicts
// and the pagers on unlabelled operations.
func paginationCells(v Verdicts, unlabelled int) string {
	return fmt.Sprintf("%d/%d (%.0f%%)\t%d\t%d\t%d\t%d\t%d", v.Match+v.Alternative, v.Labelled, 100*v.Recall,
		v.Match, v.Alternative, v.Unsupported, v.Missing, unlabelled)
}

func toolFigures(tr ToolResult) string {
	if !tr.Generated {
		return "-\t-\t-\t-\t-\t" + strconv.FormatFloat(tr.GenSeconds, 'f', 1, 64) + "\t-"
	}
	st := "-"
	if tr.ST1003 != nil {
		st = strconv.Itoa(*tr.ST1003)
	}
	build := "-"
	if tr.Built {
		build = strconv.FormatFloat(tr.BuildSeconds, 'f', 1, 64)
	}
	return fmt.Sprintf("%d\t%d\t%d\t%s\t%d\t%.1f\t%s", tr.Code.AnonymousStructs, tr.Code.ScalarPointerTotal(),
		tr.Code.ListPointers, st, tr.Code.Lines, tr.GenSeconds, build)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
