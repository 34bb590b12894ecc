package gotext

import (
	"go/scanner"
	"go/token"
	"strconv"
	"strings"
	"testing"
)

// Text cleaned by Prose sits in comment lines the Go scanner reads back as
// comments only, and Literal admits nothing that breaks a quoted string
// or a struct tag.
func TestProseAndLiteral(t *testing.T) {
	hostile := "a*/ /* `\"\\\x00\a\x1b[31m\x7f\u0085\u202e\u2066\u200e\u2028\u2029\ufeff\r\n//go:generate rm\rb\xff"
	p := Prose(hostile)
	if HasUnsafe(p) {
		t.Fatalf("Prose left unsafe runes: %q", p)
	}
	if want := "a*/ /* `\"\\[31m\n\n\n\n//go:generate rm\nb"; p != want {
		t.Errorf("Prose = %q, want %q", p, want)
	}
	var src strings.Builder
	src.WriteString("package p\n")
	for _, line := range strings.Split(p, "\n") {
		src.WriteString("// " + line + "\n")
	}
	var s scanner.Scanner
	fset := token.NewFileSet()
	s.Init(fset.AddFile("x.go", -1, src.Len()), []byte(src.String()), func(pos token.Position, msg string) {
		t.Errorf("scanner: %s: %s", pos, msg)
	}, scanner.ScanComments)
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok != token.COMMENT && tok != token.PACKAGE && tok != token.IDENT && tok != token.SEMICOLON {
			t.Errorf("token %s %q outside the comments", tok, lit)
		}
	}
	// A "+build" line would be hoisted by gofmt into a build constraint.
	if got := Prose("a\n  +build ignore\n+buildx"); got != "a\n  + build ignore\n+ buildx" {
		t.Errorf("Prose kept a +build line: %q", got)
	}
	for _, ok := range []string{"plain", "ünïcödé", "a\u200db", "ｐａｇｅ", "*/ /*", "\ufffd"} {
		if !Literal(ok) {
			t.Errorf("Literal(%q) = false", ok)
		}
	}
	for _, bad := range []string{"a\"b", "a`b", `a\b`, "a\nb", "a\tb", "a\x00b", "a\u202eb", "a\u2028b", "a\ufeffb", "a\xffb"} {
		if Literal(bad) {
			t.Errorf("Literal(%q) = true", bad)
		}
	}
}

func TestBreaks(t *testing.T) {
	if got := Breaks("a\r\nb\rc\u2028d\u2029e\u0085f\u202eg"); got != "a\nb\nc\nd\ne\nf\u202eg" {
		t.Errorf("Breaks = %q", got)
	}
}

func TestPrintable(t *testing.T) {
	got := Printable("ok\ttab é\n\x1b[2J\u202eevil\xff")
	if want := `ok` + "\t" + `tab é\n\x1b[2J\u202eevil\xff`; got != want {
		t.Errorf("Printable = %q, want %q", got, want)
	}
	if s := "plain ünïcödé"; Printable(s) != s {
		t.Errorf("Printable changed %q", s)
	}
	// What it escapes reads back as the original, quoted.
	if u, err := strconv.Unquote(`"` + Printable("a\n\u202eb") + `"`); err != nil || u != "a\n\u202eb" {
		t.Errorf("unquote: %q %v", u, err)
	}
}
