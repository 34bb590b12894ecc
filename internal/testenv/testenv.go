// Package testenv runs the independent servers that tests check the SDK
// against: npm packages nobody here wrote (Prism, json-server,
// oauth2-mock-server), pinned in node/package.json and installed by .ci/run
// with
//
//	npm ci --prefix internal/testenv/node
//
// Outside CI a test whose component is missing is skipped, loudly; with
// CI=true a missing component fails the test.
package testenv

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// InCI reports whether the tests run in CI (CI=true), where every
// component must be present.
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing skips the test, or fails it in CI, because a component is absent.
func Missing(t testing.TB, what string) {
	t.Helper()
	msg := fmt.Sprintf("%s is not installed: run `npm ci --prefix internal/testenv/node` (as .ci/run does)", what)
	if InCI() {
		t.Fatal(msg)
	}
	t.Skip("SKIPPED, component missing: " + msg)
}

// nodeDir is internal/testenv/node, found from this source file.
func nodeDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "node")
}

// NodeBin returns the path of an executable installed by npm in
// internal/testenv/node, or skips/fails the test when it is absent (or when
// node itself is).
func NodeBin(t testing.TB, name string) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		Missing(t, "node")
	}
	p := filepath.Join(nodeDir(), "node_modules", ".bin", name)
	if _, err := os.Stat(p); err != nil {
		Missing(t, name)
	}
	return p
}

// NodeModule returns the folder of an installed npm package, or skips/fails.
func NodeModule(t testing.TB, name string) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		Missing(t, "node")
	}
	p := filepath.Join(nodeDir(), "node_modules", filepath.FromSlash(name))
	if _, err := os.Stat(p); err != nil {
		Missing(t, name)
	}
	return p
}

// FreePort returns a TCP port that was free on 127.0.0.1 a moment ago, for
// servers that cannot be told to pick their own.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Process is a component started for a test.
type Process struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs strings.Builder
	done chan struct{}
}

// Logs returns what the process printed so far.
func (p *Process) Logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

func (p *Process) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.logs.Len() < 1<<20 {
		p.logs.Write(b)
	}
	return len(b), nil
}

// Start runs name with args in its own process group, waits until ready
// reports true (polled every 50 ms, for at most timeout), and stops the
// whole group when the test ends. The process's output is kept for
// failure messages.
func Start(t testing.TB, dir string, ready func() bool, timeout time.Duration, name string, args ...string) *Process {
	t.Helper()
	p := &Process{done: make(chan struct{})}
	p.cmd = exec.Command(name, args...)
	p.cmd.Dir = dir
	p.cmd.Stdout = p
	p.cmd.Stderr = p
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p.cmd.Env = append(os.Environ(), "NO_COLOR=1", "FORCE_COLOR=0")
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.stop)
	deadline := time.Now().Add(timeout)
	for !ready() {
		select {
		case <-p.done:
			t.Fatalf("%s exited before it was ready:\n%s", name, p.Logs())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after %s:\n%s", name, timeout, p.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return p
}

// Kill ends the process's group at once (SIGKILL), as a crash would, and
// waits until it has exited. The test's end then has nothing more to stop.
func (p *Process) Kill() {
	if p.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

func (p *Process) stop() {
	if p.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// HTTPReady returns a readiness check that succeeds once GET url answers
// with any status.
func HTTPReady(url string) func() bool {
	client := &http.Client{Timeout: time.Second}
	return func() bool {
		resp, err := client.Get(url)
		if err != nil {
			return false
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return true
	}
}

// LineReady returns a readiness check that succeeds once the process has
// printed a line containing s.
func (p *Process) LineReady(s string) func() bool {
	return func() bool {
		sc := bufio.NewScanner(strings.NewReader(p.Logs()))
		for sc.Scan() {
			if strings.Contains(sc.Text(), s) {
				return true
			}
		}
		return false
	}
}

// Context returns a context for the test that ends when the test does (or
// after d).
func Context(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
