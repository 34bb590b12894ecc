// Package gentest builds generated code in tests: it writes generated
// packages into a throwaway module that requires this repository (through a
// replace directive), and runs go build and go vet on them.
package gentest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// RepoRoot returns the folder of this repository's go.mod, found by walking
// up from the test's working directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := FindRepoRoot()
	if err != nil {
		t.Fatal("gentest: ", err)
	}
	return dir
}

// FindRepoRoot returns the folder of this repository's go.mod, found by
// walking up from the working directory, for commands and tests alike.
func FindRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(data, []byte("module github.com/sdkgen-go/sdkgen\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("run from inside the sdkgen repository")
		}
		dir = parent
	}
}

// WriteFiles creates files (slash-separated relative path → content) in a
// new temporary folder of the test and returns the folder.
func WriteFiles(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Module is a throwaway Go module for generated packages.
type Module struct {
	Dir string
	t   testing.TB
}

// NewModule creates an empty module in a temporary folder. Its packages can
// import github.com/sdkgen-go/sdkgen/... (this checkout) and every module
// this repository requires; nothing is downloaded.
func NewModule(t testing.TB) *Module {
	t.Helper()
	dir := t.TempDir()
	if err := WriteModule(dir, "sdkgentest", RepoRoot(t)); err != nil {
		t.Fatal(err)
	}
	return &Module{Dir: dir, t: t}
}

// WriteModule writes the go.mod and go.sum of a module named name into the
// existing folder dir: the module requires this repository, at repo,
// through a replace directive, and its go.sum is the repository's, so that
// its packages build offline (see [GoCommand]) with what the repository
// itself was built with.
func WriteModule(dir, name, repo string) error {
	gomod := fmt.Sprintf(`module %s

go 1.25.0

require github.com/sdkgen-go/sdkgen v0.0.0

replace github.com/sdkgen-go/sdkgen => %s
`, name, filepath.ToSlash(repo))
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		return err
	}
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644)
}

// GoCommand returns the go command with args, to run in a module that
// [WriteModule] wrote, offline: the module's requirements are resolved
// from the replaced repository and the module cache it was built with,
// never from the network, and with the local toolchain.
func GoCommand(ctx context.Context, dir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = OfflineEnv()
	return cmd
}

// OfflineEnv is the environment of [GoCommand], for other programs that
// run the go command in such a module (staticcheck loads packages with
// it).
func OfflineEnv() []string {
	return append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
}

// Add writes a package's files into the folder rel of the module.
func (m *Module) Add(rel string, files map[string][]byte) {
	m.t.Helper()
	dir := filepath.Join(m.Dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		m.t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			m.t.Fatal(err)
		}
	}
}

// Go runs the go command in the module, offline (see [GoCommand]), and
// returns its combined output and error.
func (m *Module) Go(args ...string) (string, error) {
	out, err := GoCommand(context.Background(), m.Dir, args...).CombinedOutput()
	return string(out), err
}

// BuildAndVet runs go build and go vet on every package of the module and
// fails the test with the compiler's output when either fails.
func (m *Module) BuildAndVet() {
	m.t.Helper()
	if out, err := m.Go("build", "./..."); err != nil {
		m.t.Fatalf("go build: %v\n%s", err, trim(out))
	}
	if out, err := m.Go("vet", "./..."); err != nil {
		m.t.Fatalf("go vet: %v\n%s", err, trim(out))
	}
}

func trim(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 60 {
		lines = append(lines[:60], fmt.Sprintf("... %d more lines", len(lines)-60))
	}
	return strings.Join(lines, "\n")
}
