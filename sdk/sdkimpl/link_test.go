package sdkimpl

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestParseLinks(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   []link
	}{
		{"none", nil, nil},
		{"empty", []string{""}, nil},
		{"one", []string{`<https://api.example.com/items?page=2>; rel="next"`},
			[]link{{uri: "https://api.example.com/items?page=2", rels: []string{"next"}}}},
		{"token rel", []string{`</items?page=2>;rel=next`},
			[]link{{uri: "/items?page=2", rels: []string{"next"}}}},
		{"github", []string{`<https://api.github.com/repositories/1/issues?page=2>; rel="next", <https://api.github.com/repositories/1/issues?page=5>; rel="last"`},
			[]link{
				{uri: "https://api.github.com/repositories/1/issues?page=2", rels: []string{"next"}},
				{uri: "https://api.github.com/repositories/1/issues?page=5", rels: []string{"last"}},
			}},
		{"several fields", []string{`<a>; rel="prev"`, `<b>; rel="next"`},
			[]link{{uri: "a", rels: []string{"prev"}}, {uri: "b", rels: []string{"next"}}}},
		{"several rels, case folded", []string{`<b>; REL="Next LAST"`},
			[]link{{uri: "b", rels: []string{"next", "last"}}}},
		{"only the first rel counts", []string{`<b>; rel="prev"; rel="next"`},
			[]link{{uri: "b", rels: []string{"prev"}}}},
		{"comma and semicolon in quoted param", []string{`<a>; title="x, y; z"; rel="next", <b>; rel="last"`},
			[]link{{uri: "a", rels: []string{"next"}}, {uri: "b", rels: []string{"last"}}}},
		{"escaped quote", []string{`<a>; title="say \"hi\", ok"; rel=next`},
			[]link{{uri: "a", rels: []string{"next"}}}},
		{"comma inside the URI", []string{`<https://x.test/a,b;c?q=1,2>; rel="next"`},
			[]link{{uri: "https://x.test/a,b;c?q=1,2", rels: []string{"next"}}}},
		{"whitespace everywhere", []string{"  <a>\t ;\trel = \"next\" ,  , <b> ; rel=last  "},
			[]link{{uri: "a", rels: []string{"next"}}, {uri: "b", rels: []string{"last"}}}},
		{"param without value", []string{`<a>; crossorigin; rel=next`},
			[]link{{uri: "a", rels: []string{"next"}}}},
		{"anchor", []string{`<a>; rel=next; anchor="#frag"`},
			[]link{{uri: "a", rels: []string{"next"}, anchor: true}}},
		{"extended param", []string{`<a>; title*=UTF-8'de'n%c3%a4chstes; rel="next"`},
			[]link{{uri: "a", rels: []string{"next"}}}},
		{"no rel", []string{`<a>; title="x"`}, []link{{uri: "a"}}},
		{"malformed element skipped", []string{`garbage; rel=next, <b>; rel="next"`},
			[]link{{uri: "b", rels: []string{"next"}}}},
		{"junk after URI skipped", []string{`<a> junk; rel=next, <b>; rel=next`},
			[]link{{uri: "b", rels: []string{"next"}}}},
		{"unterminated URI", []string{`<a>; rel=next, <b; rel=next`},
			[]link{{uri: "a", rels: []string{"next"}}}},
		{"unterminated quote", []string{`<a>; rel="next`},
			[]link{{uri: "a", rels: []string{"next"}}}},
		{"quoted junk skipped", []string{`"<x>, y", <b>; rel=next`},
			[]link{{uri: "b", rels: []string{"next"}}}},
		{"stray semicolons", []string{`<a>;; ; rel=next;`},
			[]link{{uri: "a", rels: []string{"next"}}}},
		{"stray character in params", []string{`<a>; =x; rel=next, <b>; rel=last`},
			[]link{{uri: "b", rels: []string{"last"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseLinks(tt.values)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseLinks(%q)\n got %+v\nwant %+v", tt.values, got, tt.want)
			}
		})
	}
}

func TestNextLink(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   string
		ok     bool
	}{
		{"absent", nil, "", false},
		{"next among others", []string{`<f>; rel="first", <n>; rel="next", <l>; rel="last"`}, "n", true},
		{"next in a later field", []string{`<p>; rel=prev`, `<n>; rel=next`}, "n", true},
		{"first next wins", []string{`<n1>; rel=next, <n2>; rel=next`}, "n1", true},
		{"several rel values", []string{`<n>; rel="last next"`}, "n", true},
		{"case-insensitive", []string{`<n>; Rel=NEXT`}, "n", true},
		{"anchored next ignored", []string{`<x>; rel=next; anchor="/other", <n>; rel=next`}, "n", true},
		{"extension relation is not next", []string{`<x>; rel="https://example.com/next"`}, "", false},
		{"nextpage is not next", []string{`<x>; rel="nextpage"`}, "", false},
		{"only last", []string{`<l>; rel="last"`}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.values {
				h.Add("Link", v)
			}
			got, ok := nextLink(h)
			if got != tt.want || ok != tt.ok {
				t.Errorf("nextLink(%q) = %q, %v; want %q, %v", tt.values, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// The parser is bounded whatever a server sends.
func TestParseLinksBounded(t *testing.T) {
	many := strings.Repeat(`<a>; rel=next, `, 10_000)
	if n := len(parseLinks([]string{many})); n != maxLinks {
		t.Errorf("kept %d links, want %d", n, maxLinks)
	}
	// Past the byte budget nothing more is read: the next link sits beyond it.
	pad := strings.Repeat(" ", maxLinkHeaderBytes)
	if _, ok := nextLink(http.Header{"Link": {pad + `<n>; rel=next`}}); ok {
		t.Error("read past the byte budget")
	}
	if _, ok := nextLink(http.Header{"Link": {pad, `<n>; rel=next`}}); ok {
		t.Error("read a field past the byte budget")
	}
	huge := `<a>; title="` + strings.Repeat("x", 1<<20)
	if got := parseLinks([]string{huge}); len(got) != 1 || got[0].uri != "a" {
		t.Errorf("huge unterminated quote: %+v", got)
	}
}

// FuzzParseLinks: whatever the Link fields hold, the parser stays within
// its limits, every link it returns was written in the input, relation
// types are lower-cased single words, nextLink agrees with the links,
// fields parse independently of each other, and writing the links back
// as a Link field gives the same links again.
func FuzzParseLinks(f *testing.F) {
	for _, s := range [][2]string{
		{`<https://a.test/x?page=2>; rel="next", <https://a.test/x?page=9>; rel="last"`, ""},
		{`<a>; title="x, \"y\"; z"; rel=next; anchor="#b"`, `<c>; rel="prev next"`},
		{`<a`, `"`}, {`<a>; rel="`, `;;,,<>;=;`}, {`<a>; title*=UTF-8''%e2; rel=next`, "\\"},
		{`<https://api.github.com/repositories/1300192/issues?page=2>; rel="next", <https://api.github.com/repositories/1300192/issues?page=3>; rel="last"`, ""},
		{"< a b >;REL=\"NEXT\u00a0Last\"", "<x>;rel=\"\u0130\""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		links := parseLinks([]string{a, b})
		if len(links) > maxLinks {
			t.Fatalf("%d links", len(links))
		}
		for _, l := range links {
			if strings.Contains(l.uri, ">") || l.uri != strings.TrimSpace(l.uri) || !strings.Contains(a+"\x00"+b, l.uri) {
				t.Fatalf("uri %q not as written in %q, %q", l.uri, a, b)
			}
			for _, r := range l.rels {
				if r == "" || r != strings.ToLower(r) || len(strings.Fields(r)) != 1 {
					t.Fatalf("relation type %q", r)
				}
			}
		}
		// nextLink is the first link about the response with rel next.
		h := http.Header{"Link": {a, b}}
		uri, ok := nextLink(h)
		var want string
		var wantOK bool
	search:
		for _, l := range links {
			for _, r := range l.rels {
				if r == "next" && !l.anchor {
					want, wantOK = l.uri, true
					break search
				}
			}
		}
		if uri != want || ok != wantOK {
			t.Fatalf("nextLink = %q, %v; the links say %q, %v", uri, ok, want, wantOK)
		}
		// Two fields parse as each alone, when under the limits.
		if len(a)+len(b) <= maxLinkHeaderBytes && len(links) < maxLinks {
			alone := append(parseLinks([]string{a}), parseLinks([]string{b})...)
			if !reflect.DeepEqual(alone, links) && len(alone)+len(links) > 0 {
				t.Fatalf("fields together %+v, alone %+v", links, alone)
			}
		}
		// Written back, the links read the same.
		var out []string
		for _, l := range links {
			v := "<" + l.uri + ">"
			if l.rels != nil {
				v += `; rel="` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(strings.Join(l.rels, " ")) + `"`
			}
			if l.anchor {
				v += `; anchor="#"`
			}
			out = append(out, v)
		}
		again := parseLinks([]string{strings.Join(out, ", ")})
		if !reflect.DeepEqual(again, links) && len(again)+len(links) > 0 {
			t.Fatalf("links %+v written as %q read back as %+v", links, strings.Join(out, ", "), again)
		}
	})
}
