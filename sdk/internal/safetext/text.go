// Package safetext makes what a server or a caller controls safe to print in
// the errors and logs of sdk and its subpackages: one line, bounded, no
// control characters, no credentials in URLs.
package safetext

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// OneLine makes s safe for one line of an error or a log record: invalid
// UTF-8 is replaced, line breaks (CR, LF, and the Unicode line and
// paragraph separators) and tabs become spaces, other control characters
// are escaped as \xNN and the bidirectional formatting characters (which
// can make a log line read other than it is) as \uNNNN (or, with blank,
// both become spaces too), and the text is cut at max runes with "…".
func OneLine(s string, max int, blank bool) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == max {
			b.WriteString("…")
			break
		}
		switch {
		case r == '\n' || r == '\r' || r == '\t' || r == '\u2028' || r == '\u2029':
			b.WriteByte(' ')
		case blank && (IsControl(r) || IsBidi(r)):
			b.WriteByte(' ')
		case IsControl(r):
			fmt.Fprintf(&b, "\\x%02x", r)
		case IsBidi(r):
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
		n++
	}
	return b.String()
}

// IsControl reports whether r is a C0 or C1 control character or DEL.
func IsControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

// IsBidi reports whether r is a bidirectional formatting character: the
// marks, embeddings, overrides and isolates of Unicode's bidirectional
// algorithm (UAX #9), which reorder the text around them on display.
func IsBidi(r rune) bool {
	switch {
	case r == 0x061c, r == 0x200e, r == 0x200f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// RedactURL returns u without its query, fragment and user information,
// which may carry credentials; "" for nil.
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return c.String()
}

// RedactRawURL is [RedactURL] of a URL not parsed yet; "(invalid URL)"
// when it does not parse.
func RedactRawURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	return RedactURL(u)
}
