package sdk

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Servers echo what they were sent: a 401 body that quotes the token it
// refused, a redirect whose Location repeats the query. Before such text
// reaches an error string or a log line, the secrets the call knows of are
// replaced with "[redacted]": the credentials of its auth options (API
// keys, basic passwords and their encoding, every token it sent), the
// values of credential headers set with WithHeader, the password of user
// information in its URLs, and the values of query parameters whose names
// say they are secret (access_token, api_key, signature, ...).

const redactedText = "[redacted]"

// minSecretLen: shorter values are not searched for, or every "1" and
// "true" in a message would go.
const minSecretLen = 4

// redactor replaces a call's secrets in text. A nil redactor changes
// nothing.
type redactor struct{ secrets []string }

func (r *redactor) apply(s string) string {
	if r == nil {
		return s
	}
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, redactedText)
	}
	return s
}

// secretBag collects secrets; several forms of each (as sent, and
// query-escaped), longest first.
type secretBag map[string]bool

func (b secretBag) add(values ...string) {
	for _, v := range values {
		if len(v) < minSecretLen {
			continue
		}
		b[v] = true
		if q := url.QueryEscape(v); q != v {
			b[q] = true
		}
		if p := url.PathEscape(v); p != v {
			b[p] = true
		}
	}
}

// addHeader adds the credential in a header value: all of it, and what
// follows the scheme of an Authorization value, or each cookie's value.
func (b secretBag) addHeader(name, value string) {
	switch http.CanonicalHeaderKey(name) {
	case "Cookie":
		if cs, err := http.ParseCookie(value); err == nil {
			for _, c := range cs {
				b.add(c.Value)
			}
		}
	case "Authorization", "Proxy-Authorization":
		if _, cred, ok := strings.Cut(value, " "); ok {
			b.add(strings.TrimSpace(cred))
		}
	}
	b.add(value)
}

func (b secretBag) addURL(u *url.URL) {
	if u == nil {
		return
	}
	if u.User != nil {
		if p, ok := u.User.Password(); ok {
			b.add(p)
		}
	}
	for name, vs := range u.Query() {
		if secretName(name) {
			b.add(vs...)
		}
	}
}

func (b secretBag) redactor() *redactor {
	if len(b) == 0 {
		return nil
	}
	r := &redactor{secrets: make([]string, 0, len(b))}
	for s := range b {
		r.secrets = append(r.secrets, s)
	}
	slices.SortFunc(r.secrets, func(x, y string) int {
		return cmp.Or(cmp.Compare(len(y), len(x)), strings.Compare(x, y))
	})
	return r
}

// secretName reports whether a query parameter or header name says its
// value is a credential.
func secretName(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "key", "sig", "auth", "code", "pwd", "cookie", "set-cookie", "authorization", "proxy-authorization":
		return true
	}
	for _, w := range []string{"token", "secret", "passw", "apikey", "api_key", "api-key", "signature", "credential", "session"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// noteToken records a token the call sent, which exists only once sent.
func (a *authState) noteToken(token string) {
	if !slices.Contains(a.sent, token) {
		if a.sent == nil {
			a.sent = a.sentBuf[:0]
		}
		a.sent = append(a.sent, token)
	}
}

// redactor returns what must not appear in the errors and logs of the
// call, which sent req (its first or its last request).
func (st *callState) redactor(req *http.Request) *redactor {
	if st == nil {
		return nil
	}
	b := secretBag{}
	for _, a := range st.s.auth {
		b.add(a.redact...)
	}
	b.add(st.auth.sent...)
	for name, vs := range st.s.header {
		if st.s.credentialHeader(name) {
			for _, v := range vs {
				b.addHeader(name, v)
			}
		}
	}
	if st.client != nil {
		b.addURL(st.client.base)
	}
	if st.s.baseURLSet {
		if u, err := url.Parse(st.s.baseURL); err == nil {
			b.addURL(u)
		}
	}
	if req != nil {
		b.addURL(req.URL)
		for name, vs := range req.Header {
			if st.s.credentialHeader(name) {
				for _, v := range vs {
					b.addHeader(name, v)
				}
			}
		}
	}
	return b.redactor()
}
