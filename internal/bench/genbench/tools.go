package genbench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/sdkgen-go/sdkgen/internal/gentest"
)

// Tool is a generator under comparison.
type Tool struct {
	// Name is the tool's name in sub-benchmark names and reports:
	// "oapi-codegen" or "sdkgen".
	Name string
	// Command returns the command that generates spec into the existing
	// folder out as Go package pkg, with the binaries BuildTools built in
	// bin.
	Command func(bin, spec, out, pkg string) *exec.Cmd
}

// OapiCodegen is oapi-codegen v2 at the version go.mod pins, with the
// configuration the comparisons use: models, client and
// ClientWithResponses (-generate types,client), default options otherwise,
// into one file <pkg>.gen.go.
var OapiCodegen = Tool{Name: "oapi-codegen", Command: func(bin, spec, out, pkg string) *exec.Cmd {
	return exec.Command(filepath.Join(bin, "oapi-codegen"),
		"-generate", "types,client", "-package", pkg, "-o", filepath.Join(out, pkg+".gen.go"), spec)
}}

// Sdkgen is this repository's generator, with default options.
var Sdkgen = Tool{Name: "sdkgen", Command: func(bin, spec, out, pkg string) *exec.Cmd {
	return exec.Command(filepath.Join(bin, "sdkgen"),
		"generate", "--spec", spec, "--out", out, "--package", pkg)
}}

// Tools are the compared generators in column order: oapi-codegen first,
// the base column of `benchstat -col /tool`.
var Tools = []Tool{OapiCodegen, Sdkgen}

// BuildTools builds both generators into the folder bin with the same go
// build defaults: sdkgen from root's ./generator/cmd/sdkgen, oapi-codegen
// from the version root's go.mod pins.
func BuildTools(root, bin string) error {
	for _, c := range [][]string{
		{"build", "-o", filepath.Join(bin, "sdkgen"), "./generator/cmd/sdkgen"},
		{"build", "-o", filepath.Join(bin, "oapi-codegen"), "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"},
	} {
		cmd := exec.Command("go", c...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOTOOLCHAIN=local")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go %s: %v\n%s", strings.Join(c, " "), err, out)
		}
	}
	return nil
}

// BuildDependencies builds every dependency of the packages that patterns
// name in the module at dir (which [gentest.WriteModule] wrote, named
// module), standard library included, and settles its go.mod, so that a
// build timed after it compiles the module's own packages alone.
func BuildDependencies(dir, module string, patterns ...string) error {
	args := append([]string{"list", "-deps", "-f", "{{.ImportPath}}"}, patterns...)
	out, err := gentest.GoCommand(context.Background(), dir, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("go list -deps: %v\n%s", err, out)
	}
	all := strings.Fields(string(out))
	var deps []string
	for _, p := range all {
		if p != module && !strings.HasPrefix(p, module+"/") {
			deps = append(deps, p)
		}
	}
	if len(deps) == len(all) {
		return fmt.Errorf("go list -deps %s listed no package of module %s:\n%s", strings.Join(patterns, " "), module, out)
	}
	if out, err := gentest.GoCommand(context.Background(), dir, append([]string{"build"}, deps...)...).CombinedOutput(); err != nil {
		return fmt.Errorf("building the dependencies: %v\n%s", err, out)
	}
	return nil
}

// NonceFile is the file WriteNonce writes into a package.
const NonceFile = "genbench_nonce.go"

// WriteNonce writes into the folder dir of Go package pkg a file holding a
// constant of a fresh value, so that the next go build compiles the package
// (and the packages that import it) instead of taking it from the build
// cache, as after a regeneration.
func WriteNonce(dir, pkg string) error {
	nonce := fmt.Sprintf("package %s\n\nconst genbenchNonce = \"%d\"\n", pkg, time.Now().UnixNano())
	return os.WriteFile(filepath.Join(dir, NonceFile), []byte(nonce), 0o644)
}
