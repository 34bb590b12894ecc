package safetext

import (
	"net/url"
	"testing"
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
