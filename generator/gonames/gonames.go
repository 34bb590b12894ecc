// Package gonames turns the names an API spec uses (operationIds, schema
// keys, property and parameter names, tags, enum values) into Go
// identifiers that read as a Go programmer would write them: words broken
// at '/', '.', '-', '_', spaces and case changes, every word capitalized,
// initialisms in upper case (ID, URL, HTTP, API, JSON, UUID, …), no
// underscores.
//
//	repos/list-for-user  → ReposListForUser
//	user_id              → UserID
//	getHTTPSUrl          → GetHTTPSURL
//	api_keys             → APIKeys
//	IDs                  → IDs
//
// The functions are pure and deterministic. A Namer applied to its own
// output returns it unchanged for the names it produces from words it can
// split again (initialisms, capitalized words, digits), so a name that goes
// through a second normalization (as oapi-codegen's derived names do) keeps
// its form.
package gonames

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CommonInitialisms is the list of initialisms golint and staticcheck's
// ST1003 check know, in their canonical form.
var CommonInitialisms = []string{
	"ACL", "API", "ASCII", "CPU", "CSS", "DNS", "EOF", "GUID", "HTML", "HTTP", "HTTPS", "ID", "IP", "JSON",
	"QPS", "RAM", "RPC", "SLA", "SMTP", "SQL", "SSH", "TCP", "TLS", "TTL", "UDP", "UI", "GID", "UID", "UUID",
	"URI", "URL", "UTF8", "VM", "XML", "XMPP", "XSRF", "XSS", "SIP", "RTP", "AMQP", "DB", "TS",
}

// mixedCase are words with a canonical mixed-case spelling that Go
// programs use (golang.org/x/oauth2 writes OAuth).
var mixedCase = []string{"OAuth"}

// A Namer makes Go identifiers. The zero value is not usable; call New.
type Namer struct {
	words map[string]string // lower case → canonical spelling
	// longest is the length of the longest initialism, to bound the
	// decomposition of upper-case runs.
	longest int
}

// New returns a Namer that knows CommonInitialisms, OAuth and the extra
// initialisms given (in their canonical spelling, e.g. "SKU" or "OAuth").
func New(extra ...string) *Namer {
	n := &Namer{words: map[string]string{}}
	for _, list := range [][]string{CommonInitialisms, mixedCase, extra} {
		for _, w := range list {
			w = strings.TrimSpace(w)
			if w == "" {
				continue
			}
			n.words[strings.ToLower(w)] = w
			n.longest = max(n.longest, len(w))
		}
	}
	return n
}

// Words splits s into words: at every rune that is neither a letter nor a
// digit, at a lower-case letter or digit followed by an upper-case one
// (listFor → list For, base64Url → base64 Url), at digits that follow a
// letter and precede a lower-case one (oauth2token → oauth2 token; 2xx and
// 1st stay whole), and before the last
// letter of an upper-case run followed by a lower-case letter (HTTPServer →
// HTTP Server), except for a plural ending in s (IDs, URLs stay one word).
func Words(s string) []string {
	var words []string
	rs := []rune(s)
	start := -1
	flush := func(end int) {
		if start >= 0 && end > start {
			words = append(words, string(rs[start:end]))
		}
		start = -1
	}
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush(i)
			continue
		}
		if start < 0 {
			start = i
			continue
		}
		prev := rs[i-1]
		switch {
		case unicode.IsUpper(r) && (unicode.IsLower(prev) || unicode.IsDigit(prev)),
			unicode.IsLower(r) && unicode.IsDigit(prev) && hasLetter(rs[start:i]):
			flush(i)
			start = i
		case unicode.IsLower(r) && unicode.IsUpper(prev) && i-1 > start && unicode.IsUpper(rs[i-2]):
			// An upper-case run ends before its last letter, which starts
			// the next word: HTTPServer. A lone "s" closing the run is a
			// plural: IDs, URLs.
			if r == 's' && (i+1 == len(rs) || !unicode.IsLower(rs[i+1])) {
				continue
			}
			flush(i - 1)
			start = i - 1
		}
	}
	flush(len(rs))
	return words
}

// hasLetter reports whether rs holds a letter.
func hasLetter(rs []rune) bool {
	return slices.ContainsFunc(rs, unicode.IsLetter)
}

// Exported returns s as an exported Go identifier: its words, each
// capitalized or spelled as an initialism, joined. It returns "" when s
// has no letter or digit. A name that would start with a digit gets an "N"
// in front (2fa → N2FA is not produced: the result is N2fa).
func (n *Namer) Exported(s string) string {
	var b strings.Builder
	for _, w := range Words(s) {
		b.WriteString(n.word(w))
	}
	out := b.String()
	if out == "" {
		return ""
	}
	if r, _ := utf8.DecodeRuneInString(out); unicode.IsDigit(r) {
		out = "N" + out
	} else if !unicode.IsUpper(r) {
		// A letter without case (Chinese, Japanese): not exported in Go.
		out = "X" + out
	}
	return out
}

// Unexported returns s as an unexported Go identifier: the first word in
// lower case (an initialism too: id, url, httpClient), the others as in
// Exported. It returns "" when s has no letter or digit; a leading digit
// gets an "n" in front.
func (n *Namer) Unexported(s string) string {
	words := Words(s)
	if len(words) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(strings.ToLower(words[0]))
	for _, w := range words[1:] {
		b.WriteString(n.word(w))
	}
	out := b.String()
	if r, _ := utf8.DecodeRuneInString(out); unicode.IsDigit(r) {
		out = "n" + out
	} else if !unicode.IsLower(r) {
		out = "x" + out
	}
	return out
}

// word spells one word: an initialism in its canonical form (also in the
// plural, IDs, and with a version number, OAuth2), a run of initialisms as
// one (HTTPURL), a short upper-case word as written (SKU), a longer one
// capitalized (ACTIVE → Active), any other word with its first letter in
// upper case.
func (n *Namer) word(w string) string {
	lw := strings.ToLower(w)
	if c, ok := n.words[lw]; ok {
		return c
	}
	if base := strings.TrimRight(lw, "0123456789"); base != lw && base != "" {
		if c, ok := n.words[base]; ok {
			return c + lw[len(base):]
		}
	}
	if len(lw) > 2 && strings.HasSuffix(lw, "s") {
		if c, ok := n.words[lw[:len(lw)-1]]; ok && strings.ToUpper(c) == c {
			return c + "s"
		}
	}
	if isUpperWord(w) {
		if parts, ok := n.splitInitialisms(lw); ok {
			return strings.Join(parts, "")
		}
		if utf8.RuneCountInString(w) <= 3 {
			return w
		}
		r, size := utf8.DecodeRuneInString(w)
		return string(r) + strings.ToLower(w[size:])
	}
	r, size := utf8.DecodeRuneInString(w)
	return string(unicode.ToUpper(r)) + w[size:]
}

// splitInitialisms decomposes a lower-case run into pieces this Namer
// writes in upper case, so that a name it wrote reads back the same: known
// initialisms, each maybe followed by digits (HTTP2), and single letters
// followed by digits (V1): httpurl → HTTP URL, apiv1 → API V1. The longest
// initialism is tried first; ok is false when the run does not decompose.
func (n *Namer) splitInitialisms(lw string) ([]string, bool) {
	if lw == "" {
		return nil, true
	}
	digits := func(s string) int { return len(s) - len(strings.TrimLeft(s, "0123456789")) }
	for l := min(n.longest, len(lw)); l >= 2; l-- {
		c, ok := n.words[lw[:l]]
		if !ok || strings.ToUpper(c) != c {
			continue
		}
		d := digits(lw[l:])
		if rest, ok := n.splitInitialisms(lw[l+d:]); ok {
			return append([]string{c + lw[l:l+d]}, rest...), true
		}
	}
	if len(lw) >= 2 && lw[0] >= 'a' && lw[0] <= 'z' {
		if d := digits(lw[1:]); d > 0 {
			if rest, ok := n.splitInitialisms(lw[1+d:]); ok {
				return append([]string{strings.ToUpper(lw[:1]) + lw[1:1+d]}, rest...), true
			}
		}
	}
	return nil, false
}

// isUpperWord reports whether w has at least two letters and no lower-case
// letter.
func isUpperWord(w string) bool {
	letters := 0
	for _, r := range w {
		if unicode.IsLower(r) {
			return false
		}
		if unicode.IsLetter(r) {
			letters++
		}
	}
	return letters >= 2
}

// FileStem returns a name as a file-name stem: its words in lower case,
// joined by underscores, ASCII only (other letters become uXXXX, so that
// look-alike letters never make two files of one look): AuditLogAPI →
// audit_log_api.
func FileStem(name string) string {
	var parts []string
	for _, w := range Words(name) {
		var b strings.Builder
		for _, r := range strings.ToLower(w) {
			if r > unicode.MaxASCII {
				fmt.Fprintf(&b, "u%04x", r)
				continue
			}
			b.WriteRune(r)
		}
		parts = append(parts, b.String())
	}
	return strings.Join(parts, "_")
}

// JoinWords concatenates a and b, leaving out b's first word when it
// repeats a's last one (case-insensitively): AuditLogAPI + API is
// AuditLogAPI, Pets + Service is PetsService.
func JoinWords(a, b string) string {
	wa, wb := Words(a), Words(b)
	if len(wa) > 0 && len(wb) > 0 && strings.EqualFold(wa[len(wa)-1], wb[0]) {
		return a + strings.Join(wb[1:], "")
	}
	return a + b
}

// TrimCommonWords removes from the start of name the words it shares with
// the start of prefix (at least one, case-insensitively), when something
// starting with an upper-case letter is left: TrimCommonWords
// ("DrivesItemsListChildren", "DrivesDriveItem") is "ItemsListChildren".
// It returns name unchanged otherwise.
func TrimCommonWords(name, prefix string) string {
	wn, wp := Words(name), Words(prefix)
	n := 0
	for n < len(wn)-1 && n < len(wp) && strings.EqualFold(wn[n], wp[n]) {
		n++
	}
	if n == 0 {
		return name
	}
	rest := strings.Join(wn[n:], "")
	if r, _ := utf8.DecodeRuneInString(rest); !unicode.IsUpper(r) {
		return name
	}
	return rest
}
