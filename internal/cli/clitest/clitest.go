// Package clitest runs a command's tests against its built binary, as a
// user runs it: [Main] builds the main package of the test's folder once,
// and [Binary.Run] runs it with an environment of the test's choosing.
package clitest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"go.uber.org/goleak"
)

// Binary is a command built for the tests of its package.
type Binary struct {
	// Path is the executable.
	Path string
}

// Main builds the main package of the current folder into a temporary
// folder as name, stores it in bin, runs the tests, checks for leaked
// goroutines when they passed, and exits with their status. Call it from
// TestMain.
func Main(m *testing.M, name string, bin *Binary) {
	dir, err := os.MkdirTemp("", name+"-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin.Path = filepath.Join(dir, name)
	if runtime.GOOS == "windows" {
		bin.Path += ".exe"
	}
	if out, err := exec.Command("go", "build", "-o", bin.Path, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// Result is what a run of the binary gave.
type Result struct {
	Code           int
	Stdout, Stderr string
}

// Command returns the command that runs the binary with args and an
// environment holding only env, PATH and a HOME of its own, so nothing of
// the developer's environment (a token, say) leaks into a test.
func (b *Binary) Command(t testing.TB, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(b.Path, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	return cmd
}

// Run runs the binary (see [Binary.Command]) to its end.
func (b *Binary) Run(t testing.TB, env []string, args ...string) Result {
	t.Helper()
	cmd := b.Command(t, env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	code := 0
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v", filepath.Base(b.Path), err)
	}
	return Result{code, stdout.String(), stderr.String()}
}
