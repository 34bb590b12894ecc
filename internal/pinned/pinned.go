// Package pinned finds the Go programs that the repository's commands run
// at pinned versions (benchstat for the bench command, staticcheck for the
// panel command): the copy .ci/run installs into .ci/bin, or the one on
// PATH, when it is that version; otherwise it installs one with go install
// (from the module cache once fetched).
package pinned

import (
	"debug/buildinfo"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// Tool is a Go program at a pinned version.
type Tool struct {
	// Package is the program's import path; its last element is the
	// program's name.
	Package string
	// Module is the module that holds it, at Version.
	Module  string
	Version string
}

// Name is the program's file name: the last element of Package.
func (t Tool) Name() string { return filepath.Base(filepath.FromSlash(t.Package)) }

// Find returns the path of the program at the pinned version: root's
// .ci/bin copy or PATH's when it is that version, else one it installs into
// dir/bin, writing go install's output to log.
func (t Tool) Find(root, dir string, log io.Writer) (string, error) {
	candidates := []string{filepath.Join(root, ".ci", "bin", t.Name())}
	if p, err := exec.LookPath(t.Name()); err == nil {
		candidates = append(candidates, p)
	}
	for _, p := range candidates {
		if t.Is(p) {
			return p, nil
		}
	}
	bin, err := filepath.Abs(filepath.Join(dir, "bin"))
	if err != nil {
		return "", err
	}
	cmd := exec.Command("go", "install", t.Package+"@"+t.Version)
	cmd.Env = append(os.Environ(), "GOBIN="+bin)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go install %s@%s: %v", t.Package, t.Version, err)
	}
	return filepath.Join(bin, t.Name()), nil
}

// Is reports whether the program at path is the tool at its pinned
// version, as its build information says.
func (t Tool) Is(path string) bool {
	bi, err := buildinfo.ReadFile(path)
	return err == nil && bi.Path == t.Package && bi.Main.Path == t.Module && bi.Main.Version == t.Version
}
