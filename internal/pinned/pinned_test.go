package pinned

import (
	"debug/buildinfo"
	"os"
	"testing"
)

// Is reads the program's build information: the test binary is its own
// package at its own module's version, and nothing else.
func TestIs(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bi, err := buildinfo.ReadFile(exe)
	if err != nil {
		t.Skip("no build information: ", err)
	}
	self := Tool{Package: bi.Path, Module: bi.Main.Path, Version: bi.Main.Version}
	if !self.Is(exe) {
		t.Errorf("%+v is not the test binary", self)
	}
	other := self
	other.Version = "v0.0.1"
	if other.Is(exe) {
		t.Errorf("%+v is the test binary", other)
	}
	if self.Is(exe + ".missing") {
		t.Error("a missing file is the tool")
	}
	if got := (Tool{Package: "honnef.co/go/tools/cmd/staticcheck"}).Name(); got != "staticcheck" {
		t.Errorf("Name() = %q", got)
	}
}
