package panel

import (
	"strings"
	"testing"
)

// The totals compare the tools over the APIs both built, and the text
// report names every labelled operation's verdict and every unlabelled
// pager.
func TestReport(t *testing.T) {
	three := 3
	results := []Result{
		{API: "a",
			Sdkgen: ToolResult{Tool: "sdkgen", Generated: true, Built: true, Vetted: true, ST1003: &three,
				Code: Code{Lines: 100, AnonymousStructs: 2, ScalarPointers: map[string]int{KindString: 5, KindNamed: 1}, ListPointers: 1}},
			OapiCodegen: ToolResult{Tool: "oapi-codegen", Generated: true, Built: true, Vetted: true, ST1003: &three,
				Code: Code{Lines: 200, AnonymousStructs: 1, ScalarPointers: map[string]int{KindString: 7}}},
			Pagination: &Pagination{Verdicts: Verdicts{Labelled: 2, Match: 1, Missing: 1, Recall: 0.5},
				Operations: []LabelResult{
					{Operation: "listA", LabelStyle: StyleToken, Generated: []string{"CursorPager"}, GeneratedStyle: GenCursor, Verdict: VerdictMatch},
					{Operation: "listB", LabelStyle: StylePage, Verdict: VerdictMissing},
				},
				Unlabelled: []Pager{{Operation: "listC", Method: "GET", Path: "/c", Pagers: []string{"LinkPager"}, Styles: []string{GenLinkHeader}}}}},
		{API: "b",
			Sdkgen:      ToolResult{Tool: "sdkgen", Generated: true, Code: Code{Lines: 50}, Failed: "build", Error: "x.go:1: boom"},
			OapiCodegen: ToolResult{Tool: "oapi-codegen", Failed: "generate", Error: "duplicate typename"},
			Pagination:  &Pagination{Verdicts: Verdicts{Labelled: 1, Missing: 1}}},
		{API: "c",
			Sdkgen:      ToolResult{Tool: "sdkgen", Generated: true, Built: true, Vetted: true, Code: Code{Lines: 10}},
			OapiCodegen: ToolResult{Tool: "oapi-codegen", Generated: true, Code: Code{Lines: 20}, Failed: "build", Error: "redeclared"},
			Pagination:  &Pagination{Verdicts: Verdicts{Labelled: 1, Missing: 1}}},
	}
	tot := Summarize(results)
	if tot.Labelled != 4 || tot.Match != 1 || tot.Missing != 3 || tot.Recall != 0.25 || tot.Unlabelled != 1 || tot.Both != 1 {
		t.Errorf("totals = %+v", tot)
	}
	if tot.Sdkgen.Lines != 160 || tot.SdkgenBoth.Lines != 100 || tot.OapiCodegen.Generated != 2 || tot.OapiCodegenBoth.Lines != 200 ||
		tot.SdkgenBoth.ScalarPointers != 6 || tot.OapiCodegenBoth.ScalarPointers != 7 || tot.Sdkgen.Built != 2 {
		t.Errorf("tool totals = %+v / %+v / %+v", tot.Sdkgen, tot.SdkgenBoth, tot.OapiCodegen)
	}
	var b strings.Builder
	if err := WriteText(&b, Report{Results: results, Totals: tot}); err != nil {
		t.Fatal(err)
	}
	// Compare with the columns' padding collapsed to one space.
	var lines []string
	for _, l := range strings.Split(b.String(), "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	out := strings.Join(lines, "\n")
	for _, want := range []string{
		"a sdkgen ok 1/2 (50%) 1 0 0 1 1 2 6 1 3 100 0.0 0.0", "a oapi-codegen ok n/a 1 7 0 3 200 0.0 0.0",
		"b sdkgen build failed 0/1 (0%)", "b: sdkgen: build failed: x.go:1: boom", "b: oapi-codegen: generate failed: duplicate typename",
		"all 3 sdkgen 3/2/2 1/4 (25%) 1 0 0 3 1 2 6 1 3 160", "all 3 oapi-codegen 2/1/1 n/a 1 7 0 3 220", "both 1 oapi-codegen 1/1/1 1 7 0 3 200",
		"a listA token cursor (CursorPager) style matches -", "a listB page - missing -",
		"a listC GET /c link-header (LinkPager)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
}
