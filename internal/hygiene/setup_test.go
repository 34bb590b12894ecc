package hygiene

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sdkgen-go/sdkgen/internal/gentest"
)

// The README's setup from a clone works as written: a fresh module points
// at the clone, adds the tool, tidies, generates, tidies, builds, and
// generates again.
func TestReadmeSetupFromAClone(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the sdkgen tool in a fresh module")
	}
	root := gentest.RepoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []string{
		"go mod edit -require github.com/sdkgen-go/sdkgen@v0.0.0 -replace github.com/sdkgen-go/sdkgen=../sdkgen",
		"go mod edit -tool github.com/sdkgen-go/sdkgen/generator/cmd/sdkgen",
		"go mod tidy",
		"//go:generate go tool sdkgen generate --config sdkgen.yaml",
	} {
		if !strings.Contains(string(readme), step) {
			t.Errorf("the README no longer says %q: update this test with it", step)
		}
	}

	dir := t.TempDir()
	app := filepath.Join(dir, "app")
	pkg := filepath.Join(app, "petstore")
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	spec, err := os.ReadFile(filepath.Join(root, "examples", "petstore", "petstore.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"petstore.yaml": string(spec),
		"sdkgen.yaml":   "spec: petstore.yaml\npackage: petstore\noutput: .\n",
		"doc.go":        "// Package petstore is the client for the Petstore API.\npackage petstore\n\n//go:generate go tool sdkgen generate --config sdkgen.yaml\n",
	} {
		if err := os.WriteFile(filepath.Join(pkg, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(app, "main.go"), []byte(`package main

import (
	"fmt"

	"example.com/app/petstore"
)

func main() {
	c, err := petstore.NewClient("", petstore.WithAPIKey("k"))
	fmt.Println(c != nil, err)
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	// The clone is this checkout, reached as ../sdkgen from the module.
	if err := os.Symlink(root, filepath.Join(dir, "sdkgen")); err != nil {
		t.Fatal(err)
	}
	// go mod tidy looks up the modules of the dependencies' tests too, which
	// a build never downloads: the module proxy is needed (CI reaches it).
	env := append(os.Environ(), "GOFLAGS=", "GOSUMDB=off", "GOWORK=off", "GOTOOLCHAIN=local")
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir, cmd.Env = app, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("go", "mod", "init", "example.com/app")
	run("go", "mod", "edit", "-require", "github.com/sdkgen-go/sdkgen@v0.0.0", "-replace", "github.com/sdkgen-go/sdkgen=../sdkgen")
	run("go", "mod", "edit", "-tool", "github.com/sdkgen-go/sdkgen/generator/cmd/sdkgen")
	run("go", "mod", "tidy")
	run("go", "generate", "./...")
	run("go", "mod", "tidy")
	run("go", "build", "./...")
	run("go", "vet", "./...")
	run("go", "generate", "./...") // a second run needs nothing more
	if _, err := os.Stat(filepath.Join(pkg, "client.gen.go")); err != nil {
		t.Fatal(err)
	}
}
