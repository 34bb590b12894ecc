package safetext

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestOneLine(t *testing.T) {
	for _, c := range []struct {
		in    string
		max   int
		blank bool
		want  string
	}{
		{"a\nb\tc", 10, false, "a b c"},
		{"bell\x07", 10, false, `bell\x07`},
		{"bell\x07", 10, true, "bell "},
		{"abcdef", 3, false, "abc…"},
		{"bad\xffutf8", 20, false, "bad\uFFFDutf8"},
	} {
		if got := OneLine(c.in, c.max, c.blank); got != c.want {
			t.Errorf("OneLine(%q, %d, %v) = %q, want %q", c.in, c.max, c.blank, got, c.want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	u, _ := url.Parse("https://user:pw@example.com/a/b?token=secret#frag")
	if got := RedactURL(u); got != "https://example.com/a/b" {
		t.Errorf("RedactURL = %q", got)
	}
	if got := RedactURL(nil); got != "" {
		t.Errorf("RedactURL(nil) = %q", got)
	}
	if got := RedactRawURL("https://example.com/x?k=v"); got != "https://example.com/x" {
		t.Errorf("RedactRawURL = %q", got)
	}
	if got := RedactRawURL("http://[::1"); got != "(invalid URL)" {
		t.Errorf("RedactRawURL(bad) = %q", got)
	}
}

func TestOneLineUnicodeBreaksAndBidi(t *testing.T) {
	for _, c := range []struct {
		in    string
		blank bool
		want  string
	}{
		{"a\u2028b\u2029c\u0085d", false, `a b c\x85d`},
		{"user\u202egnp.exe", false, `user\u202egnp.exe`},
		{"user\u202egnp.exe", true, "user gnp.exe"},
		{"\u2066x\u2069\u200f", false, `\u2066x\u2069\u200f`},
	} {
		if got := OneLine(c.in, 100, c.blank); got != c.want {
			t.Errorf("OneLine(%q, %v) = %q, want %q", c.in, c.blank, got, c.want)
		}
	}
}

// FuzzOneLine: the output is valid UTF-8 on one line, holds no control or
// bidirectional formatting character, reads at most max runes of the
// input, leaves clean short text as it is, and is clean itself.
func FuzzOneLine(f *testing.F) {
	for _, s := range []string{"plain", "a\nb\r\nc\td", "bell\x07\x1b[31mred", "bad\xff\xfeutf8", "\u2028\u2029\u0085\u202e\u2066", "é€𝄞…", ""} {
		f.Add(s, uint8(10), false)
		f.Add(s, uint8(3), true)
	}
	f.Fuzz(func(t *testing.T, s string, max uint8, blank bool) {
		out := OneLine(s, int(max), blank)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8: %q", out)
		}
		for _, r := range out {
			if IsControl(r) || IsBidi(r) || r == '\u2028' || r == '\u2029' {
				t.Fatalf("%U in %q", r, out)
			}
		}
		in := []rune(strings.ToValidUTF8(s, "\uFFFD"))
		cut := len(in) > int(max)
		if cut && !strings.HasSuffix(out, "…") || !cut && strings.HasSuffix(out, "…") && !strings.HasSuffix(s, "…") {
			t.Fatalf("%d runes, cap %d, output %q", len(in), max, out)
		}
		// Each rune read gives at most 6 ("\u202e"), plus the ellipsis.
		if n := utf8.RuneCountInString(out); n > 6*int(max)+1 {
			t.Fatalf("%d runes out of a cap of %d", n, max)
		}
		clean := utf8.ValidString(s) && !cut && !strings.ContainsFunc(s, func(r rune) bool {
			return IsControl(r) || IsBidi(r) || r == '\u2028' || r == '\u2029'
		})
		if clean && out != s {
			t.Fatalf("clean text changed: %q → %q", s, out)
		}
		if again := OneLine(out, len(out)+1, blank); again != out {
			t.Fatalf("output not clean: %q → %q", out, again)
		}
	})
}

// FuzzRedactRawURL: what is left of a URL for an error string has no user
// information, query or fragment, and is printable on one line.
func FuzzRedactRawURL(f *testing.F) {
	for _, s := range []string{"https://user:pw@example.com/a/b?token=secret#frag", "http://[::1]:8080/x?k=v", "/relative?q=1", "mailto:a@b.c?subject=x", "http://h/%zz", "http://h/a%2Fb?x#y", "//host/p?q"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		out := RedactRawURL(raw)
		if out == "(invalid URL)" {
			if _, err := url.Parse(raw); err == nil {
				t.Fatalf("%q parses, yet was called invalid", raw)
			}
			return
		}
		if strings.ContainsAny(out, "?#") || strings.ContainsFunc(out, func(r rune) bool { return IsControl(r) || r == ' ' }) || !utf8.ValidString(out) {
			t.Fatalf("RedactRawURL(%q) = %q", raw, out)
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if u.User != nil {
			if p, ok := u.User.Password(); ok && p != "" && strings.Contains(out, "@"+u.Host) {
				t.Fatalf("RedactRawURL(%q) = %q keeps the user information", raw, out)
			}
		}
		back, err := url.Parse(out)
		if err != nil {
			t.Fatalf("RedactRawURL(%q) = %q, which does not parse: %v", raw, out, err)
		}
		if back.User != nil || back.RawQuery != "" || back.Fragment != "" {
			t.Fatalf("RedactRawURL(%q) = %q keeps user, query or fragment", raw, out)
		}
	})
}
