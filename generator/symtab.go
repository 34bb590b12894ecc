package generator

import (
	"fmt"
	"go/token"
)

// symtab is the one table of the Go names of a generated package. Every
// name sdkgen or oapi-codegen declares at the package level is claimed in
// it before any code is generated, in a fixed order of priority
// (components, then what operations derive, then inline types, then the
// facade's own names), so that no two declarations meet and the names do
// not depend on the order in which a spec lists things.
type symtab struct {
	taken map[string]string // name → what took it
}

func newSymtab() *symtab { return &symtab{taken: map[string]string{}} }

// free reports whether name can still be taken.
func (s *symtab) free(name string) bool {
	if name == "" || token.IsKeyword(name) || !token.IsIdentifier(name) {
		return false
	}
	_, taken := s.taken[name]
	return !taken
}

// take takes name for owner, reporting whether it was free.
func (s *symtab) take(name, owner string) bool {
	if !s.free(name) {
		return false
	}
	s.taken[name] = owner
	return true
}

// owner says what took name, or "".
func (s *symtab) owner(name string) string { return s.taken[name] }

// claim takes the first free candidate; when none is free, the last one
// followed by the first free number from 2.
func (s *symtab) claim(owner string, candidates ...string) string {
	for _, c := range candidates {
		if s.take(c, owner) {
			return c
		}
	}
	base := ""
	for i := len(candidates) - 1; i >= 0 && base == ""; i-- {
		if token.IsIdentifier(candidates[i]) {
			base = candidates[i]
		}
	}
	if base == "" {
		base = "X"
	}
	for i := 2; ; i++ {
		if c := fmt.Sprintf("%s%d", base, i); s.take(c, owner) {
			return c
		}
	}
}

// claimFamily takes a stem and the names derived from it (derive returns
// them, the stem included) for the first candidate stem whose whole family
// is free; past the candidates, the last one with a number.
func (s *symtab) claimFamily(owner string, derive func(stem string) []string, candidates ...string) string {
	try := func(stem string) bool {
		names := derive(stem)
		for _, n := range names {
			if !s.free(n) {
				return false
			}
		}
		seen := map[string]bool{}
		for _, n := range names {
			if !seen[n] {
				seen[n] = true
				s.take(n, owner)
			}
		}
		return true
	}
	for _, c := range candidates {
		if c != "" && try(c) {
			return c
		}
	}
	base := candidates[len(candidates)-1]
	for i := 2; ; i++ {
		if c := fmt.Sprintf("%s%d", base, i); try(c) {
			return c
		}
	}
}
