package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sdkgen-go/sdkgen/internal/gentest"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/sdkgen-go/sdkgen/internal/bench/calls
cpu: AMD EPYC
BenchmarkGetProduct/transport=memory/impl=nethttp-2         	  100	     10000 ns/op	    5000 B/op	      50 allocs/op
BenchmarkGetProduct/transport=memory/impl=oapi-codegen-2    	  100	     20000 ns/op	    6000 B/op	      60 allocs/op
BenchmarkGetProduct/transport=memory/impl=sdk-2             	  100	     11000 ns/op	    5500 B/op	      55 allocs/op
BenchmarkGetProduct/transport=memory/impl=nethttp-2         	  100	     30000 ns/op	    5000 B/op	      50 allocs/op
BenchmarkGetProduct/transport=memory/impl=oapi-codegen-2    	  100	     20000 ns/op	    6000 B/op	      60 allocs/op
BenchmarkGetProduct/transport=memory/impl=sdk-2             	  100	     13000 ns/op	    5500 B/op	      55 allocs/op
BenchmarkGenerate/spec=github/tool=oapi-codegen-2           	    1	 2000000000 ns/op	 100 lines
BenchmarkGenerate/spec=github/tool=sdkgen-2                 	    1	 2600000000 ns/op	  80 lines
BenchmarkPagerLiveHeap/fake-2                               	    1	 300000000 ns/op	  1.03 heap-ratio
BenchmarkMixed/impl=sdk-2                                   	    1	 1 ns/op
BenchmarkMixed/other-2                                      	    1	 1 ns/op
BenchmarkSkipped
--- SKIP: BenchmarkSkipped
PASS
`

func TestParseResults(t *testing.T) {
	rs, err := parseResults(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 11 {
		t.Fatalf("%d results, want 11", len(rs))
	}
	r := rs[2]
	if r.top != "GetProduct" || r.keys["impl"] != "sdk" || r.keys["transport"] != "memory" || r.values["ns/op"] != 11000 || r.values["allocs/op"] != 55 {
		t.Fatalf("third result: %+v", r)
	}
	if rs[8].top != "PagerLiveHeap" || rs[8].values["heap-ratio"] != 1.03 {
		t.Fatalf("custom metric: %+v", rs[8])
	}
	if _, err := parseResults(strings.NewReader("BenchmarkX-2  1  abc ns/op\n")); err == nil {
		t.Fatal("a malformed value was accepted")
	}
}

func TestComparisons(t *testing.T) {
	rs, err := parseResults(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	cmps, plain := comparisons(rs)
	if len(cmps) != 2 || cmps[0].top != "GetProduct" || cmps[0].key != "impl" || cmps[0].subject != "sdk" ||
		strings.Join(cmps[0].peers, ",") != "nethttp,oapi-codegen" {
		t.Fatalf("comparisons: %+v", cmps)
	}
	if cmps[1].top != "Generate" || cmps[1].key != "tool" || strings.Join(cmps[1].peers, ",") != "oapi-codegen" {
		t.Fatalf("generator comparison: %+v", cmps[1])
	}
	// Mixed: not every sub-benchmark names an implementation.
	if strings.Join(plain, ",") != "PagerLiveHeap,Mixed" {
		t.Fatalf("plain benchmarks: %q", plain)
	}
}

func TestRatioTable(t *testing.T) {
	rs, err := parseResults(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	cmps, _ := comparisons(rs)
	got := ratioTable(cmps[0], rs)
	// Medians: nethttp 20000, oapi-codegen 20000, sdk 12000 ns/op.
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`GetProduct/transport=memory ns/op +0\.60× +0\.60×\n`),
		regexp.MustCompile(`GetProduct/transport=memory B/op +1\.10× +0\.92×\n`),
		regexp.MustCompile(`GetProduct/transport=memory allocs/op +1\.10× +0\.92×\n`),
	} {
		if !want.MatchString(got) {
			t.Errorf("table lacks %s:\n%s", want, got)
		}
	}
	if i, j := strings.Index(got, "ns/op"), strings.Index(got, "B/op"); i > j {
		t.Errorf("time is not the first row:\n%s", got)
	}
	gen := ratioTable(cmps[1], rs)
	if !regexp.MustCompile(`Generate/spec=github lines +0\.80×`).MatchString(gen) || !strings.Contains(gen, "1.30×") {
		t.Errorf("generator table:\n%s", gen)
	}
}

// CI installs the benchstat the command pins.
func TestCIPinsBenchstat(t *testing.T) {
	ci, err := os.ReadFile(filepath.Join("..", "..", "..", "..", ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ci), "BENCHSTAT_VERSION="+benchstatVersion+" ") {
		t.Fatalf(".ci/run does not install benchstat %s", benchstatVersion)
	}
}

// Discovery finds the benchmark packages under internal/bench, not the
// ones without benchmarks, and adds the pager benchmarks of package sdk.
func TestDiscover(t *testing.T) {
	root, err := gentest.FindRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	sets, err := discover(root)
	if err != nil {
		t.Fatal(err)
	}
	var pkgs []string
	for _, s := range sets {
		pkgs = append(pkgs, s.pkg)
	}
	joined := strings.Join(pkgs, " ")
	if !strings.Contains(joined, "internal/bench/calls ") || !strings.HasSuffix(joined, "/sdk") {
		t.Fatalf("discovered %q", pkgs)
	}
	for _, p := range pkgs {
		if strings.HasSuffix(p, "/oapiproducts") || strings.HasSuffix(p, "/cmd/bench") {
			t.Fatalf("discovered %s, which has no benchmarks", p)
		}
	}
}

func TestDropConfig(t *testing.T) {
	got := string(dropConfig([]byte("goos: linux\ngoarch: amd64\npkg: x\ncpu: y\n  │ a │\nrow 1\n")))
	if got != "  │ a │\nrow 1\n" {
		t.Fatalf("got %q", got)
	}
}
