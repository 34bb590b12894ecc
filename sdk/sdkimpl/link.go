package sdkimpl

import (
	"net/http"
	"strings"
)

// Limits of the Link header parser. Response headers are already bounded
// by the transport; these keep the parser's own work and output small
// whatever a server sends.
const (
	maxLinkHeaderBytes = 64 << 10 // bytes of Link field values read
	maxLinks           = 256      // link values kept
)

// link is one link-value of an RFC 8288 Link header.
type link struct {
	uri    string   // the URI-Reference between < and >, unresolved
	rels   []string // relation types, lower-cased
	anchor bool     // an anchor parameter changes the link's context
}

// nextLink returns the target of the first rel="next" link of h that is
// about the response itself (no anchor), unresolved.
func nextLink(h http.Header) (string, bool) {
	for _, l := range parseLinks(h.Values("Link")) {
		if l.anchor {
			continue
		}
		for _, r := range l.rels {
			if r == "next" {
				return l.uri, true
			}
		}
	}
	return "", false
}

// parseLinks parses Link header field values (RFC 8288 section 3):
//
//	Link       = #link-value
//	link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param )
//	link-param = token BWS [ "=" BWS ( token / quoted-string ) ]
//
// Several fields and comma-separated values are both accepted; commas and
// semicolons inside <...> and quoted strings do not split. Parameter names
// and relation types are case-insensitive; rel may hold several
// space-separated types; only the first rel of a link counts, as the RFC
// says. A malformed link-value is skipped up to the next comma. The parser
// reads at most maxLinkHeaderBytes and keeps at most maxLinks links, and
// never fails.
func parseLinks(values []string) []link {
	var links []link
	budget := maxLinkHeaderBytes
	for _, v := range values {
		if budget <= 0 || len(links) >= maxLinks {
			break
		}
		if len(v) > budget {
			v = v[:budget]
		}
		budget -= len(v)
		links = parseLinkValue(v, links)
	}
	return links
}

func parseLinkValue(s string, links []link) []link {
	i := 0
	for i < len(s) && len(links) < maxLinks {
		// Between link-values: whitespace and empty list elements.
		for i < len(s) && (isOWS(s[i]) || s[i] == ',') {
			i++
		}
		if i >= len(s) {
			break
		}
		if s[i] != '<' {
			i = skipElement(s, i)
			continue
		}
		end := strings.IndexByte(s[i+1:], '>')
		if end < 0 {
			break // an unterminated URI swallows the rest
		}
		l := link{uri: strings.TrimSpace(s[i+1 : i+1+end])}
		i += end + 2
		ok, relSeen := true, false
		for ok {
			for i < len(s) && isOWS(s[i]) {
				i++
			}
			if i >= len(s) || s[i] == ',' {
				break
			}
			if s[i] != ';' {
				ok = false
				break
			}
			i++
			for i < len(s) && isOWS(s[i]) {
				i++
			}
			start := i
			for i < len(s) && isTokenChar(s[i]) {
				i++
			}
			name := strings.ToLower(s[start:i])
			for i < len(s) && isOWS(s[i]) {
				i++
			}
			if name == "" {
				// "; ;" and a trailing ";" are tolerated; anything else
				// (a value without a name, a stray character) is not.
				if i < len(s) && s[i] != ';' && s[i] != ',' {
					ok = false
				}
				continue
			}
			var value string
			if i < len(s) && s[i] == '=' {
				i++
				for i < len(s) && isOWS(s[i]) {
					i++
				}
				if i < len(s) && s[i] == '"' {
					value, i = quotedString(s, i)
				} else {
					start := i
					for i < len(s) && s[i] != ';' && s[i] != ',' && !isOWS(s[i]) {
						i++
					}
					value = s[start:i]
				}
			}
			switch name {
			case "rel":
				if !relSeen {
					relSeen = true
					l.rels = strings.Fields(strings.ToLower(value))
				}
			case "anchor":
				l.anchor = true
			}
		}
		if !ok {
			i = skipElement(s, i)
			continue
		}
		links = append(links, l)
	}
	return links
}

// skipElement returns the index of the next top-level comma at or after i
// (or len(s)), stepping over <...> and quoted strings.
func skipElement(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case ',':
			return i
		case '"':
			_, i = quotedString(s, i)
		case '<':
			end := strings.IndexByte(s[i:], '>')
			if end < 0 {
				return len(s)
			}
			i += end + 1
		default:
			i++
		}
	}
	return i
}

// quotedString reads the quoted-string starting at s[i] == '"', undoing
// backslash escapes; an unterminated one ends with s. It returns the value
// and the index after the closing quote.
func quotedString(s string, i int) (string, int) {
	i++ // opening quote
	var b strings.Builder
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			return b.String(), i + 1
		case c == '\\' && i+1 < len(s):
			b.WriteByte(s[i+1])
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), i
}

func isOWS(c byte) bool { return c == ' ' || c == '\t' }

// isTokenChar reports whether c is an RFC 9110 tchar, or '*' (for
// extended parameter names such as title*).
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
