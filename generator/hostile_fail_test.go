//go:build unix

package generator

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/openapi"
)

// Bounds every refused spec must stay within, measured on the process that
// loads it (a child of the test, so that one spec's memory is not another's):
// wall time from start to exit, and peak resident memory (the Go runtime
// itself takes about 10 MiB of it).
const (
	failTimeBound   = 10 * time.Second
	failMemoryBound = 512 << 20
)

// childRequest is what the parent asks the child process to load.
type childRequest struct {
	Source      string `json:"source"`
	MaxFileSize int64  `json:"max_file_size,omitempty"`
	MaxFiles    int    `json:"max_files,omitempty"`
	Strict      bool   `json:"strict,omitempty"`
	EndlessIn   bool   `json:"endless_stdin,omitempty"` // stdin is an endless stream
}

const childEnv = "SDKGEN_HOSTILE_CHILD"

// TestHostileFailChild is the child process: it loads and generates one
// spec and prints the diagnostics as JSON. It does nothing in a normal run.
func TestHostileFailChild(t *testing.T) {
	spec := os.Getenv(childEnv)
	if spec == "" {
		t.Skip("run by TestHostileSpecsFail")
	}
	var req childRequest
	if err := json.Unmarshal([]byte(spec), &req); err != nil {
		t.Fatal(err)
	}
	opts := openapi.LoadOptions{MaxFileSize: req.MaxFileSize, MaxFiles: req.MaxFiles}
	if req.EndlessIn {
		opts.Stdin = endless{}
	}
	doc, diags := openapi.Load(context.Background(), req.Source, opts)
	var files Files
	if doc != nil {
		var gd openapi.Diagnostics
		files, gd = Generate(context.Background(), doc, Config{Package: "api", Strict: req.Strict})
		diags = append(diags, gd...)
	}
	if files != nil {
		diags = append(diags, openapi.Diagnostic{Code: "test.generated", Severity: openapi.SeverityError, Message: "files were generated"})
	}
	out, err := json.Marshal(diags)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("\nDIAGNOSTICS %s\n", out)
}

// endless is a spec that never ends: an object whose one member is a
// string of spaces as long as it is read.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	if len(p) > 0 {
		p[0] = '{'
	}
	return len(p), nil
}

// childResult is what a child did, as measured by its parent.
type childResult struct {
	diags   openapi.Diagnostics
	elapsed time.Duration
	maxRSS  int64 // bytes
}

func runChild(t *testing.T, req childRequest) childResult {
	t.Helper()
	payload, _ := json.Marshal(req)
	ctx, cancel := context.WithTimeout(context.Background(), 3*failTimeBound)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHostileFailChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+string(payload))
	start := time.Now()
	out, err := cmd.CombinedOutput()
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("child failed after %v: %v\n%s", elapsed, err, tail(out))
	}
	_, js, ok := strings.Cut(string(out), "\nDIAGNOSTICS ")
	if !ok {
		t.Fatalf("child printed no diagnostics:\n%s", tail(out))
	}
	js, _, _ = strings.Cut(js, "\n")
	var diags openapi.Diagnostics
	if err := json.Unmarshal([]byte(js), &diags); err != nil {
		t.Fatal(err)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	rss := int64(0)
	if ru != nil {
		rss = int64(ru.Maxrss)
		if runtime.GOOS != "darwin" {
			rss *= 1024 // kilobytes on Linux and the BSDs
		}
	}
	return childResult{diags: diags, elapsed: elapsed, maxRSS: rss}
}

func tail(b []byte) string {
	if len(b) > 4000 {
		return "..." + string(b[len(b)-4000:])
	}
	return string(b)
}

// hostileFailCase is a spec that must be refused.
type hostileFailCase struct {
	name string
	// build writes the spec under dir (or serves it) and returns the
	// request; nil means the committed spec testdata/hostile/fail/<name>,
	// checked against its .want file.
	build func(t *testing.T, dir string) childRequest
	// code must be among the errors, at line (0: at any line, but at one).
	code string
	line int
}

func writeFileAt(t *testing.T, path string, content []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const failHead = "openapi: 3.0.3\ninfo: {title: hostile, version: '1'}\n"

// hostileFailCases are the specs too large to commit, or that need a
// symbolic link or a server, built when the test runs.
func hostileFailCases(srvURL string) []hostileFailCase {
	return []hostileFailCase{{
		// A symbolic link inside the folder that leads out of it.
		name: "symlink-escape", code: openapi.CodeRefForbidden, line: 6,
		build: func(t *testing.T, dir string) childRequest {
			outside := writeFileAt(t, filepath.Join(dir, "outside", "secret.yaml"), []byte("Secret: {type: object, description: TOP SECRET}\n"))
			spec := writeFileAt(t, filepath.Join(dir, "spec", "openapi.yaml"), []byte(failHead+"paths: {}\ncomponents:\n  schemas:\n    S: {$ref: 'link/secret.yaml#/Secret'}\n"))
			if err := os.Symlink(filepath.Dir(outside), filepath.Join(dir, "spec", "link")); err != nil {
				t.Fatal(err)
			}
			return childRequest{Source: spec}
		},
	}, {
		// 10,000 schemas, each only a $ref to the next.
		name: "ref-chain-10000", code: openapi.CodeRefTooDeep, line: 12,
		build: func(t *testing.T, dir string) childRequest {
			var b strings.Builder
			b.WriteString(failHead + "paths:\n  /a:\n    get:\n      operationId: getA\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/S0'}\ncomponents:\n  schemas:\n")
			for i := range 10000 {
				fmt.Fprintf(&b, "    S%d: {$ref: '#/components/schemas/S%d'}\n", i, i+1)
			}
			b.WriteString("    S10000: {type: object}\n")
			return childRequest{Source: writeFileAt(t, filepath.Join(dir, "chain.yaml"), []byte(b.String()))}
		},
	}, {
		// Two files whose schemas are references to each other.
		name: "ref-cycle-files", code: openapi.CodeRefCycle, line: 6,
		build: func(t *testing.T, dir string) childRequest {
			writeFileAt(t, filepath.Join(dir, "b.yaml"), []byte("B: {$ref: 'openapi.yaml#/components/schemas/A'}\n"))
			return childRequest{Source: writeFileAt(t, filepath.Join(dir, "openapi.yaml"), []byte(failHead+"paths: {}\ncomponents:\n  schemas:\n    A: {$ref: 'b.yaml#/B'}\n"))}
		},
	}, {
		name: "nesting-100000-json", code: openapi.CodeSyntaxTooComplex, line: 1,
		build: func(t *testing.T, dir string) childRequest {
			deep := `{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {}, "x-deep": ` +
				strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000) + "}"
			return childRequest{Source: writeFileAt(t, filepath.Join(dir, "deep.json"), []byte(deep))}
		},
	}, {
		name: "nesting-100000-yaml", code: openapi.CodeSyntaxTooComplex,
		build: func(t *testing.T, dir string) childRequest {
			deep := failHead + "paths: {}\nx-deep: " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "\n"
			return childRequest{Source: writeFileAt(t, filepath.Join(dir, "deep.yaml"), []byte(deep))}
		},
	}, {
		// Merge keys that merge merges: exponential work, no values.
		name: "yaml-merge-bomb", code: openapi.CodeSyntaxTooComplex,
		build: func(t *testing.T, dir string) childRequest {
			var b strings.Builder
			b.WriteString(failHead + "paths: {}\nx-m0: &m0 {}\n")
			for i := 1; i < 12; i++ {
				refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*m%d, ", i-1), 9), ", ")
				fmt.Fprintf(&b, "x-m%d: &m%d {<<: [%s]}\n", i, i, refs)
			}
			return childRequest{Source: writeFileAt(t, filepath.Join(dir, "merge.yaml"), []byte(b.String()))}
		},
	}, {
		// A valid 1 MiB spec over a 64 KiB cap.
		name: "over-the-cap", code: openapi.CodeSourceTooLarge,
		build: func(t *testing.T, dir string) childRequest {
			var b strings.Builder
			b.WriteString(failHead + "paths: {}\ncomponents:\n  schemas:\n")
			for i := 0; b.Len() < 1<<20; i++ {
				fmt.Fprintf(&b, "    S%d: {type: object, description: padding padding padding padding}\n", i)
			}
			return childRequest{Source: writeFileAt(t, filepath.Join(dir, "big.yaml"), []byte(b.String())), MaxFileSize: 64 << 10}
		},
	}, {
		// A 300 MiB file (sparse: it takes no disk) over the default
		// 256 MiB cap: refused before a byte is read.
		name: "300MiB-file-default-cap", code: openapi.CodeSourceTooLarge,
		build: func(t *testing.T, dir string) childRequest {
			p := writeFileAt(t, filepath.Join(dir, "huge.yaml"), []byte(failHead))
			if err := os.Truncate(p, 300<<20); err != nil {
				t.Fatal(err)
			}
			return childRequest{Source: p}
		},
	}, {
		// Standard input that never ends, read up to a 32 MiB cap.
		name: "endless-stdin", code: openapi.CodeSourceTooLarge,
		build: func(t *testing.T, dir string) childRequest {
			return childRequest{Source: "-", EndlessIn: true, MaxFileSize: 32 << 20}
		},
	}, {
		// A URL whose body never ends (no Content-Length).
		name: "endless-url", code: openapi.CodeSourceTooLarge,
		build: func(t *testing.T, dir string) childRequest {
			return childRequest{Source: srvURL + "/endless.yaml", MaxFileSize: 32 << 20}
		},
	}, {
		// A URL that announces 1 GiB: refused at its headers.
		name: "url-announces-1GiB", code: openapi.CodeSourceTooLarge,
		build: func(t *testing.T, dir string) childRequest {
			return childRequest{Source: srvURL + "/huge.yaml"}
		},
	}, {
		// More files than the cap allows, each referring to the next.
		name: "too-many-files", code: openapi.CodeRefTooManyFiles,
		build: func(t *testing.T, dir string) childRequest {
			for i := 1; i < 20; i++ {
				writeFileAt(t, filepath.Join(dir, fmt.Sprintf("f%d.yaml", i)), fmt.Appendf(nil, "X: {type: object, properties: {next: {$ref: 'f%d.yaml#/X'}}}\n", i+1))
			}
			writeFileAt(t, filepath.Join(dir, "f20.yaml"), []byte("X: {type: object}\n"))
			spec := writeFileAt(t, filepath.Join(dir, "openapi.yaml"), []byte(failHead+"paths: {}\ncomponents:\n  schemas:\n    X: {$ref: 'f1.yaml#/X'}\n"))
			return childRequest{Source: spec, MaxFiles: 10}
		},
	}, {
		// A key written twice: a warning, which strict mode refuses.
		name: "duplicate-key-strict", code: openapi.CodeDuplicateKey, line: 4,
		build: func(t *testing.T, dir string) childRequest {
			spec := failHead + "paths: {}\ninfo: {title: again, version: '2'}\n"
			return childRequest{Source: writeFileAt(t, filepath.Join(dir, "dup.yaml"), []byte(spec)), Strict: true}
		},
	}}
}

// Every spec under testdata/hostile/fail, and every one hostileFailCases
// builds, is refused: no files, error diagnostics, each located in a file
// (and at the expected line where there is one), within failTimeBound and
// failMemoryBound. The figures are logged (go test -v).
func TestHostileSpecsFail(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a process per spec")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/huge.yaml":
			w.Header().Set("Content-Length", fmt.Sprint(1<<30))
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, failHead) // then hang up
		case "/endless.yaml":
			buf := make([]byte, 64<<10)
			_, _ = endless{}.Read(buf)
			w.WriteHeader(http.StatusOK)
			for {
				if _, err := w.Write(buf); err != nil {
					return
				}
				buf[0] = ' '
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	var cases []hostileFailCase
	for _, name := range slices.Sorted(mapKeys(specEntries(t, "testdata/hostile/fail"))) {
		cases = append(cases, hostileFailCase{name: name})
	}
	cases = append(cases, hostileFailCases(srv.URL)...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var req childRequest
			if tc.build == nil {
				req.Source = specEntries(t, "testdata/hostile/fail")[tc.name]
			} else {
				req = tc.build(t, t.TempDir())
			}
			res := runChild(t, req)
			t.Logf("%s: %d diagnostics in %v, peak RSS %.1f MiB", tc.name, len(res.diags), res.elapsed.Round(time.Millisecond), float64(res.maxRSS)/(1<<20))
			if res.elapsed > failTimeBound {
				t.Errorf("took %v, over %v", res.elapsed, failTimeBound)
			}
			if res.maxRSS > failMemoryBound {
				t.Errorf("peak RSS %d MiB, over %d MiB", res.maxRSS>>20, failMemoryBound>>20)
			}
			if !res.diags.HasErrors() {
				t.Fatalf("not refused:\n%s", diagText(res.diags))
			}
			for _, d := range res.diags {
				if d.Code == "test.generated" {
					t.Errorf("files were generated despite errors")
				}
				// Every error names its file, and its line unless it is
				// about the whole file (too large) or the whole run
				// (strict mode's count of warnings).
				switch {
				case d.Severity != openapi.SeverityError || d.Code == CodeStrict:
				case d.Pos.File == "":
					t.Errorf("error without a file: %s", d)
				case d.Pos.Line == 0 && d.Code != openapi.CodeSourceTooLarge:
					t.Errorf("error without a line: %s", d)
				}
			}
			if tc.build == nil {
				checkGolden(t, filepath.Join("testdata/hostile/fail", tc.name+".want"), []byte(diagText(res.diags)))
				return
			}
			found := false
			for _, d := range res.diags {
				if d.Code == tc.code && (tc.line == 0 || d.Pos.Line == tc.line) {
					found = true
				}
			}
			if !found {
				t.Errorf("no %s diagnostic at line %d:\n%s", tc.code, tc.line, diagText(res.diags))
			}
			if strings.Contains(diagText(res.diags), "TOP SECRET") {
				t.Errorf("the content of a refused file reached the diagnostics")
			}
		})
	}
}
