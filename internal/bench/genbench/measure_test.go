package genbench_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sdkgen-go/sdkgen/internal/bench/genbench"
)

// childAlloc is what the "alloc" child holds resident: well above the
// few MiB a Go process starts with.
const childAlloc = 96 << 20

// child is the test binary run as a measured process.
func child(mode string) int {
	switch mode {
	case "idle":
		return 0
	case "alloc":
		buf := make([]byte, childAlloc)
		for i := 0; i < len(buf); i += os.Getpagesize() {
			buf[i] = 1 // touch every page so it is resident
		}
		runtime.KeepAlive(buf)
		return 0
	case "fail":
		fmt.Println("# some/package")
		fmt.Println()
		fmt.Fprintln(os.Stderr, "x.go:3:6: T redeclared in this block")
		fmt.Fprintln(os.Stderr, "x.go:9:6: other error")
		return 3
	}
	fmt.Fprintln(os.Stderr, "unknown GENBENCH_CHILD mode", mode)
	return 2
}

func childCommand(t *testing.T, mode string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), "GENBENCH_CHILD="+mode)
	return cmd
}

func TestMeasurePeakRSS(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("peak RSS is read on Linux and macOS only")
	}
	small, err := genbench.Measure(childCommand(t, "idle"))
	if err != nil {
		t.Fatal(err)
	}
	big, err := genbench.Measure(childCommand(t, "alloc"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("idle child: %.1f MiB in %v; child holding %d MiB: %.1f MiB in %v",
		small.PeakMiB(), small.Wall, childAlloc>>20, big.PeakMiB(), big.Wall)
	if big.PeakRSS < childAlloc {
		t.Errorf("peak RSS of a child holding %d MiB = %.1f MiB, want at least that", childAlloc>>20, big.PeakMiB())
	}
	if small.PeakRSS <= 0 || small.PeakRSS >= childAlloc {
		t.Errorf("peak RSS of an idle child = %.1f MiB, want between 0 and %d MiB", small.PeakMiB(), childAlloc>>20)
	}
	if big.Wall <= 0 {
		t.Errorf("wall time %v, want > 0", big.Wall)
	}
}

// As with go build, whose compiler is a grandchild of the benchmark: the
// peak of a descendant the child waited for is what Measure reports when it
// is the largest process.
func TestMeasureCountsWaitedDescendants(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the descendant rule of ru_maxrss is checked on Linux")
	}
	// The shell runs the allocating child and waits for it; the shell
	// itself stays tiny.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	script := "GENBENCH_CHILD=alloc \"$0\" -test.run='^$'; exit $?"
	u, err := genbench.Measure(exec.Command("/bin/sh", "-c", script, self))
	if err != nil {
		t.Fatal(err)
	}
	if u.PeakRSS < childAlloc {
		t.Errorf("peak RSS of a shell whose child holds %d MiB = %.1f MiB, want at least that", childAlloc>>20, u.PeakMiB())
	}
}

func TestMeasureFailure(t *testing.T) {
	u, err := genbench.Measure(childCommand(t, "fail"))
	var re *genbench.RunError
	if !errors.As(err, &re) {
		t.Fatalf("got %v, want a *RunError", err)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Errorf("got %v, want the *exec.ExitError of status 3", err)
	}
	if want := "T redeclared in this block"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not carry the first error line %q", err, want)
	}
	if !strings.Contains(string(re.Output), "other error") {
		t.Errorf("Output lacks the rest of the output: %q", re.Output)
	}
	if u.Wall <= 0 {
		t.Errorf("a failed run still has a wall time: got %v", u.Wall)
	}

	_, err = genbench.Measure(exec.Command(filepath.Join(t.TempDir(), "missing")))
	if !errors.As(err, &re) {
		t.Fatalf("missing binary: got %v, want a *RunError", err)
	}

	cmd := exec.Command("true")
	cmd.Stdout = os.Stdout
	if _, err := genbench.Measure(cmd); err == nil {
		t.Error("Measure accepted a command whose Stdout is set")
	}
}

func TestFirstError(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"\n\n", ""},
		{"# sdkgentest/stripe\nstripe/x.go:1:2: boom\nmore\n", "stripe/x.go:1:2: boom"},
		{"  error generating code: duplicate typename 'Actor'  \n", "error generating code: duplicate typename 'Actor'"},
		{strings.Repeat("x", 400), strings.Repeat("x", 300) + "…"},
	} {
		if got := genbench.FirstError([]byte(c.in)); got != c.want {
			t.Errorf("FirstError(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCountLines(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"a.gen.go": "package a\n\nvar X = 1\n", // 3
		"b.go":     "package a\nvar Y = 2",     // 2, no final newline
		"API.md":   "# not code\n\n\n",
		"c.go.txt": "x\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.go"), 0o755); err != nil {
		t.Fatal(err)
	}
	n, err := genbench.CountLines(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Errorf("CountLines = %d, want 5", n)
	}
	if _, err := genbench.CountLines(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing folder: got %v, want an error wrapping os.ErrNotExist", err)
	}
}
