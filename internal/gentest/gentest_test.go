package gentest

import (
	"strings"
	"testing"
)

// The module really compiles what it is given: a type error fails, and
// code importing this repository's dependencies builds offline.
func TestModuleBuildsAndFails(t *testing.T) {
	m := NewModule(t)
	m.Add("good", map[string][]byte{"good.go": []byte(`package good

import "github.com/oapi-codegen/runtime/types"

var D types.Date
`)})
	if out, err := m.Go("build", "./..."); err != nil {
		t.Fatalf("good package failed to build: %v\n%s", err, out)
	}
	m.Add("bad", map[string][]byte{"bad.go": []byte("package bad\n\nvar X int = \"not an int\"\n")})
	out, err := m.Go("build", "./...")
	if err == nil || !strings.Contains(out, "bad.go:3") {
		t.Fatalf("broken package built: %v\n%s", err, out)
	}
}
