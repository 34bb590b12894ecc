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
// UTF-8 is replaced, line breaks and tabs become spaces, other control
// characters are escaped as \xNN (or, with blank, become spaces too), and
// the text is cut at max runes with "…".
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
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			if blank {
				b.WriteByte(' ')
			} else {
				fmt.Fprintf(&b, "\\x%02x", r)
			}
		default:
			b.WriteRune(r)
		}
		n++
	}
	return b.String()
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
