package generator

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/util"
)

// The names oapi-codegen derives by rules of its own, which the symbol table
// must know before oapi-codegen runs: the tags it gives media types, the
// prefix it gives names that start with a symbol. They are copies of
// unexported functions of oapi-codegen v2.8.2 (pkg/codegen), kept exact;
// TestOapiNamesAgree compares them with oapi-codegen's output.

// bodyTag is the NameTag oapi-codegen gives a request or response body of a
// media type: "JSON", a camel-cased +json type, "Formdata", "Multipart",
// "Text", or "" for media it does not type.
func bodyTag(contentType string, response bool) string {
	switch {
	case contentType == "application/json":
		return "JSON"
	case util.IsMediaTypeJson(contentType):
		return mediaTypeToCamelCase(contentType)
	}
	if response {
		switch {
		case contentType == "application/x-www-form-urlencoded":
			return "Formdata"
		case strings.HasPrefix(contentType, "multipart/"):
			return "Multipart"
		case contentType == "text/plain":
			return "Text"
		}
		return ""
	}
	switch {
	case strings.HasPrefix(contentType, "multipart/"):
		return "Multipart"
	case contentType == "application/x-www-form-urlencoded":
		return "Formdata"
	case contentType == "text/plain":
		return "Text"
	}
	return ""
}

// mediaTypeToCamelCase is oapi-codegen's name for a media type
// (application/vnd.api+json → ApplicationVndAPIPlusJSON).
func mediaTypeToCamelCase(s string) string {
	s = strings.Replace(s, "/", "_", 1)
	s = strings.Replace(s, "*", "Wildcard_", 1)
	s = strings.Replace(s, "+", "Plus_", 1)
	return initialismRE.ReplaceAllStringFunc(codegen.ToCamelCase(s), func(m string) string {
		if unicode.IsLower(rune(m[0])) {
			return m
		}
		return strings.ToUpper(m)
	})
}

// initialismRE is oapi-codegen's targetWordRegex for its default
// initialisms.
var initialismRE = regexp.MustCompile(`(?i)(ACL|API|ASCII|CPU|CSS|DNS|EOF|GUID|HTML|HTTP|HTTPS|ID|IP|JSON|QPS|RAM|RPC|SLA|SMTP|SQL|SSH|TCP|TLS|TTL|UDP|UI|GID|UID|UUID|URI|URL|UTF8|VM|XML|XMPP|XSRF|XSS|SIP|RTP|AMQP|DB|TS)`)

// typeNamePrefix is the prefix oapi-codegen's SchemaNameToTypeName puts
// before a name that starts with a symbol or a digit.
func typeNamePrefix(name string) (prefix string) {
	if len(name) == 0 {
		return "Empty"
	}
	for _, r := range name {
		switch r {
		case '$':
			if len(name) == 1 {
				return "DollarSign"
			}
		case '-':
			prefix += "Minus"
		case '+':
			prefix += "Plus"
		case '&':
			prefix += "And"
		case '|':
			prefix += "Or"
		case '~':
			prefix += "Tilde"
		case '=':
			prefix += "Equal"
		case '>':
			prefix += "GreaterThan"
		case '<':
			prefix += "LessThan"
		case '#':
			prefix += "Hash"
		case '.':
			prefix += "Dot"
		case '*':
			prefix += "Asterisk"
		case '^':
			prefix += "Caret"
		case '%':
			prefix += "Percent"
		case '_':
			prefix += "Underscore"
		default:
			if prefix == "" && unicode.IsDigit(r) {
				return "N"
			}
			return
		}
	}
	return
}

// isJSONMedia reports a JSON media type (application/json, +json).
func isJSONMedia(ct string) bool { return util.IsMediaTypeJson(ct) }
