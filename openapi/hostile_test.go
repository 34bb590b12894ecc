package openapi

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// References that lead only to one another are refused where the first of
// them is written; so is a chain of them past maxRefChain, at its start. A
// schema that holds itself through a property is not a cycle.
func TestRefCyclesAndChains(t *testing.T) {
	var chain strings.Builder
	for i := range maxRefChain + 1 {
		fmt.Fprintf(&chain, "    C%d: {$ref: '#/components/schemas/C%d'}\n", i, i+1)
	}
	dir := writeFiles(t, map[string]string{
		"cycle.yaml": specHead + `paths: {}
components:
  schemas:
    Tree: {type: object, properties: {kids: {type: array, items: {$ref: '#/components/schemas/Tree'}}}}
    Alias: {$ref: '#/components/schemas/Tree'}
    A: {$ref: '#/components/schemas/B'}
    B: {$ref: '#/components/schemas/A'}
`,
		"chain.yaml": specHead + "paths: {}\ncomponents:\n  schemas:\n    Use: {type: object, properties: {c: {$ref: '#/components/schemas/C0'}}}\n" +
			chain.String() + fmt.Sprintf("    C%d: {type: string}\n", maxRefChain+1),
		"short.yaml": specHead + "paths: {}\ncomponents:\n  schemas:\n" + chain.String()[strings.Index(chain.String(), "    C1:"):] +
			fmt.Sprintf("    C%d: {type: string}\n", maxRefChain+1),
	})
	_, diags := load(t, filepath.Join(dir, "cycle.yaml"), LoadOptions{})
	cycles := withCode(diags, CodeRefCycle)
	if len(cycles) != 1 || cycles[0].Pos.Line != 8 || !strings.Contains(cycles[0].Message, "#/components/schemas/A → #/components/schemas/B → #/components/schemas/A") {
		t.Errorf("cycle:\n%s", format(diags))
	}
	_, diags = load(t, filepath.Join(dir, "chain.yaml"), LoadOptions{})
	deep := withCode(diags, CodeRefTooDeep)
	if len(deep) != 1 || deep[0].Pos.Line != 6 || !strings.Contains(deep[0].Message, fmt.Sprintf("chain of %d references", maxRefChain+2)) {
		t.Errorf("chain:\n%s", format(diags))
	}
	// A chain of exactly maxRefChain (C1 → ... → C65) loads.
	mustLoad(t, filepath.Join(dir, "short.yaml"), LoadOptions{})
}

// Merge keys that merge merges of empty mappings do no value conversion
// at all, yet take exponential time: they count against the alias budget.
func TestYAMLMergeKeyBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString(specHead + "paths: {}\nx-m0: &m0 {}\n")
	for i := 1; i < 12; i++ {
		fmt.Fprintf(&b, "x-m%d: &m%d {<<: [%s]}\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*m%d, ", i-1), 9), ", "))
	}
	dir := writeFiles(t, map[string]string{"merge.yaml": b.String()})
	start := time.Now()
	_, diags := load(t, filepath.Join(dir, "merge.yaml"), LoadOptions{})
	if len(withCode(diags, CodeSyntaxTooComplex)) != 1 {
		t.Errorf("want %s:\n%s", CodeSyntaxTooComplex, format(diags))
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
	// Merge keys within reason still work.
	dir = writeFiles(t, map[string]string{"ok.yaml": specHead + "paths: {}\nx-a: &a {p: 1}\nx-b: {<<: *a, q: 2}\n"})
	mustLoad(t, filepath.Join(dir, "ok.yaml"), LoadOptions{})
}

// A file over the size cap is refused from its size, before it is read:
// a 1 GiB sparse file costs nothing.
func TestOversizedFileIsNotRead(t *testing.T) {
	dir := writeFiles(t, map[string]string{"huge.yaml": specHead})
	if err := os.Truncate(filepath.Join(dir, "huge.yaml"), 1<<30); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, diags := load(t, filepath.Join(dir, "huge.yaml"), LoadOptions{})
	tl := withCode(diags, CodeSourceTooLarge)
	if len(tl) != 1 || tl[0].Pos.File == "" {
		t.Fatalf("want a located %s:\n%s", CodeSourceTooLarge, format(diags))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v: the file was read", d)
	}
}

// YAML nested past the YAML parser's own limit is "too complex", like
// JSON past ours.
func TestDeepYAMLIsTooComplex(t *testing.T) {
	dir := writeFiles(t, map[string]string{"deep.yaml": specHead + "x: " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "\n"})
	_, diags := load(t, filepath.Join(dir, "deep.yaml"), LoadOptions{})
	if len(withCode(diags, CodeSyntaxTooComplex)) != 1 {
		t.Errorf("want %s:\n%s", CodeSyntaxTooComplex, format(diags))
	}
}

// A diagnostic quoting a hostile name prints on one line, with nothing a
// terminal would act on.
func TestDiagnosticStringEscapes(t *testing.T) {
	d := Diagnostic{Code: CodeRefDangling, Severity: SeverityError, Pointer: "/components/schemas/a\nb\u202e",
		Pos: Position{File: "spec\x1b[2J.yaml", Line: 1}, Message: "bad \x1b]0;title\x07 name"}
	if got, want := d.String(), `spec\x1b[2J.yaml:1: error[ref.dangling] #/components/schemas/a\nb\u202e: bad \x1b]0;title\a name`; got != want {
		t.Errorf("String() = %q\nwant       %q", got, want)
	}
}

// A reference of a URL spec may be redirected within the spec's origin,
// never away from it: the other host gets no request.
func TestRefRedirectsStayAtTheOrigin(t *testing.T) {
	var hits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, "X: {type: object, description: TOP SECRET}\n")
	}))
	defer other.Close()
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1) // another host
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away.yaml":
			fmt.Fprint(w, specHead+"paths: {}\ncomponents:\n  schemas:\n    S: {$ref: 'moved.yaml#/X'}\n")
		case "/near.yaml":
			fmt.Fprint(w, specHead+"paths: {}\ncomponents:\n  schemas:\n    S: {$ref: 'renamed.yaml#/X'}\n")
		case "/moved.yaml":
			http.Redirect(w, r, otherURL+"/latest/meta-data", http.StatusFound)
		case "/renamed.yaml":
			http.Redirect(w, r, "/x.yaml", http.StatusMovedPermanently)
		case "/x.yaml":
			fmt.Fprint(w, "X: {type: object}\n")
		default:
			http.NotFound(w, r)
		}
	}))
	defer origin.Close()
	_, diags := load(t, origin.URL+"/away.yaml", LoadOptions{})
	forbidden := withCode(diags, CodeRefForbidden)
	if len(forbidden) != 1 || forbidden[0].Pos.Line != 6 || !strings.Contains(forbidden[0].Message, "redirected to http://localhost") {
		t.Errorf("want a located %s:\n%s", CodeRefForbidden, format(diags))
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the other host got %d requests", n)
	}
	mustLoad(t, origin.URL+"/near.yaml", LoadOptions{})
}
