package corpus

import (
	"slices"
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
	s := Summarize([]Result{
		{Spec: "a/1.json", Provider: "a", Outcome: OutcomeOK, Operations: 10, Methods: 10},
		{Spec: "a/2.json", Provider: "a", Outcome: OutcomeOK, Operations: 5, Methods: 5},
		{Spec: "a/3.json", Provider: "a", Outcome: OutcomeGenerateFailed, Class: "x", Operations: 5},
		{Spec: "b/1.json", Provider: "b", Outcome: OutcomeBrokenSpec, Class: "ref.dangling", Operations: 0},
	})
	if s.OK != 0.5 || s.OKWorking != 2.0/3 || s.OKByProvider != (2.0/3+0)/2 {
		t.Errorf("rates: %v %v %v", s.OK, s.OKWorking, s.OKByProvider)
	}
	if s.Operations != 20 || s.Methods != 15 || s.TypedOperations != 0.75 {
		t.Errorf("operations: %d %d %v", s.Operations, s.Methods, s.TypedOperations)
	}
	if !slices.Equal(s.BrokenSpecs, []string{"b/1.json"}) || s.FailureClasses["generate-failed: x"] != 1 {
		t.Errorf("summary: %+v", s)
	}
}
