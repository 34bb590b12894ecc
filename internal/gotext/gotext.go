// Package gotext decides what spec text may become in generated Go source.
// A spec is untrusted input: its names, descriptions and values end up in
// comments, string literals, struct tags and identifiers. This package is
// the one place that says which characters are safe there, shared by the
// spec normalizer (which cleans or drops what is unsafe, with a diagnostic)
// and the generator (which renders comments and checks its own output).
package gotext

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Unsafe reports whether r must never be copied raw into generated source:
//   - NUL, which the Go compiler refuses anywhere in a file;
//   - the byte order mark U+FEFF, refused anywhere but at the start;
//   - the other C0 and C1 control characters and DEL (a raw ESC starts a
//     terminal escape sequence when the file is printed), except tab,
//     newline and carriage return;
//   - the bidirectional formatting characters (U+061C, U+200E, U+200F,
//     U+202A-U+202E, U+2066-U+2069), which make source display in an order
//     other than the compiler reads it ("Trojan Source", CVE-2021-42574);
//   - the line and paragraph separators U+2028 and U+2029, which editors
//     show as line breaks the compiler does not see.
//
// Zero-width joiners and non-joiners stay allowed: emoji and several
// scripts need them, and they reorder nothing.
func Unsafe(r rune) bool {
	switch r {
	case '\t', '\n', '\r':
		return false
	case '\u061c', '\u200e', '\u200f', '\u2028', '\u2029', '\ufeff':
		return true
	}
	return unicode.IsControl(r) || ('\u202a' <= r && r <= '\u202e') || ('\u2066' <= r && r <= '\u2069')
}

// HasUnsafe reports whether s holds an [Unsafe] rune or invalid UTF-8.
func HasUnsafe(s string) bool {
	return !utf8.ValidString(s) || strings.IndexFunc(s, Unsafe) >= 0
}

// Prose cleans text for use as comment lines: line breaks of every kind
// (CRLF, CR, U+2028, U+2029, NEL U+0085) become "\n", tabs stay, and every
// other [Unsafe] rune is removed, as are bytes that are not UTF-8. A line
// that begins with "+build" gets a space after its "+": gofmt (go/printer)
// hoists every "// +build" comment line of a file, wherever it is, to the
// top as a //go:build constraint, so such a line in a doc comment would
// decide when the package builds.
func Prose(s string) string {
	if !HasUnsafe(s) && !strings.ContainsRune(s, '\r') && !strings.Contains(s, "+build") {
		return s
	}
	s = strings.ToValidUTF8(s, "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\r', '\u2028', '\u2029', '\u0085':
			return '\n'
		case '\t', '\n':
			return r
		}
		if Unsafe(r) {
			return -1
		}
		return r
	}, s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if rest, ok := strings.CutPrefix(strings.TrimLeft(l, " \t"), "+build"); ok {
			lines[i] = l[:len(l)-len(rest)-len("build")] + " build" + rest
		}
	}
	return strings.Join(lines, "\n")
}

// Breaks writes every kind of line break of s (CRLF, CR, U+2028, U+2029,
// NEL U+0085) as "\n", and changes nothing else.
func Breaks(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch r {
		case '\r', '\u2028', '\u2029', '\u0085':
			return '\n'
		}
		return r
	}, s)
}

// Literal reports whether s can be copied raw between the quotes of a Go
// string literal or a struct tag (as oapi-codegen copies names and enum
// values): no quote, backtick or backslash, no line break and no [Unsafe]
// rune.
func Literal(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r == '"' || r == '`' || r == '\\' || r == '\n' || r == '\r' || r == '\t' || Unsafe(r) {
			return false
		}
	}
	return true
}

// Printable escapes, Go style (\n, \x1b, \u202e), the control characters and
// [Unsafe] runes of s and its invalid bytes, so that text quoted from a spec
// (a pointer, a name) prints on one line and cannot drive a terminal or
// reorder what is shown around it.
func Printable(s string) string {
	if utf8.ValidString(s) && strings.IndexFunc(s, escaped) < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case escaped(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

func escaped(r rune) bool { return r != '\t' && (unicode.IsControl(r) || Unsafe(r)) }

// PropertyName reports whether s can name a struct field's JSON key: a
// Literal that encoding/json takes as a json tag's name (not empty;
// letters, digits and the punctuation it allows — a comma would end the
// name, a quote the tag).
func PropertyName(s string) bool {
	if s == "" || !Literal(s) {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c) && !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			return false
		}
	}
	return true
}
