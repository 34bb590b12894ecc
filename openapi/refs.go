package openapi

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/sdkgen-go/sdkgen/internal/suggest"
)

// refSite is one $ref (or discriminator mapping value) in a file.
type refSite struct {
	file    *file
	ptr     string // pointer of the $ref member (or mapping value) itself
	node    *node  // its value node, for the position
	ref     string
	mapping bool
}

// Keys whose values are data, not spec structure: a "$ref" inside them is an
// example payload, not a reference.
var dataKeys = map[string]bool{"example": true, "default": true, "enum": true, "const": true}

// Keys whose values are maps from user-chosen names to spec objects: the keys
// inside are names, never keywords ("example" may be a property name).
var nameMapKeys = map[string]bool{
	"properties": true, "patternProperties": true, "definitions": true, "$defs": true,
	"schemas": true, "parameters": true, "responses": true, "requestBodies": true,
	"headers": true, "securitySchemes": true, "securityDefinitions": true, "links": true,
	"callbacks": true, "paths": true, "pathItems": true, "webhooks": true, "content": true,
	"encoding": true, "variables": true, "dependentSchemas": true, "mediaTypes": true,
}

type walkState int

const (
	walkSpec       walkState = iota // keys are keywords
	walkNames                       // keys are names; values are spec objects
	walkExampleMap                  // keys are names; values are Example Objects
	walkExample                     // an Example Object: "value" is data
)

// collectRefs finds every reference in a file, in document order.
// visitSpecObjects calls fn for every object of a spec file that stands where
// the specification expects keywords, in document order, with the segments of
// its pointer (valid only during the call). It does not descend into data
// (examples, defaults, enums, extensions), so a "$ref" or "x-go-type" key in
// an example payload, or a property named "example", is never mistaken for a
// keyword. In Swagger 2.0, "examples" maps media types straight to payloads.
func visitSpecObjects(root *node, swagger2 bool, fn func(segs []string, obj *node)) {
	var segs []string
	var walk func(n *node, st walkState)
	walk = func(n *node, st walkState) {
		switch n.kind {
		case kindArray:
			for i, k := range n.kids {
				segs = append(segs, strconv.Itoa(i))
				walk(k, walkSpec)
				segs = segs[:len(segs)-1]
			}
		case kindObject:
			if st == walkNames || st == walkExampleMap {
				next := walkSpec
				if st == walkExampleMap {
					next = walkExample
				}
				for i, k := range n.kids {
					segs = append(segs, n.keys[i])
					walk(k, next)
					segs = segs[:len(segs)-1]
				}
				return
			}
			fn(segs, n)
			for i, k := range n.kids {
				key := n.keys[i]
				switch {
				case key == "$ref", strings.HasPrefix(key, "x-"), dataKeys[key]:
					continue
				case st == walkExample && (key == "value" || key == "dataValue" || key == "serializedValue"):
					continue
				case key == "examples" && (k.kind != kindObject || swagger2):
					continue
				case key == "discriminator":
					continue // its mapping values are references, handled by callers
				}
				segs = append(segs, key)
				switch {
				case key == "examples":
					walk(k, walkExampleMap)
				case nameMapKeys[key] && k.kind == kindObject:
					walk(k, walkNames)
				default:
					walk(k, walkSpec)
				}
				segs = segs[:len(segs)-1]
			}
		}
	}
	walk(root, walkSpec)
}

// collectRefs finds every reference in a file, in document order: $refs and
// discriminator mapping values.
func collectRefs(f *file, swagger2 bool, add func(refSite), warnSibling func(f *file, ptr string, n *node, keys []string)) {
	visitSpecObjects(f.tree, swagger2, func(segs []string, n *node) {
		if r := n.get("$ref"); r != nil {
			add(refSite{file: f, ptr: pointerOf(append(segs, "$ref")), node: r, ref: refText(r)})
			if warnSibling != nil && len(n.keys) > 1 {
				var sib []string
				for _, k := range n.keys {
					if k != "$ref" && !strings.HasPrefix(k, "x-") {
						sib = append(sib, k)
					}
				}
				if len(sib) > 0 {
					warnSibling(f, pointerOf(segs), n, sib)
				}
			}
		}
		if m := n.get("discriminator").get("mapping"); m != nil && m.kind == kindObject {
			for j, v := range m.kids {
				if v.kind == kindString {
					ptr := pointerOf(append(segs, "discriminator", "mapping", m.keys[j]))
					add(refSite{file: f, ptr: ptr, node: v, ref: v.str, mapping: true})
				}
			}
		}
	})
}

// refText returns a $ref's string; a non-string $ref yields "" and is
// reported by the caller.
func refText(n *node) string {
	if n.kind != kindString {
		return ""
	}
	return n.str
}

// pointerOf builds an RFC 6901 pointer from unescaped segments.
func pointerOf(segs []string) string {
	var b strings.Builder
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(escapeToken(s))
	}
	return b.String()
}

func escapeToken(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// splitPointer parses an RFC 6901 pointer into unescaped segments.
func splitPointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if p[0] != '/' {
		return nil, fmt.Errorf("JSON pointer %q does not start with /", p)
	}
	parts := strings.Split(p[1:], "/")
	for i, s := range parts {
		if strings.Contains(s, "~") {
			for j := 0; j < len(s); j++ {
				if s[j] == '~' && (j+1 >= len(s) || (s[j+1] != '0' && s[j+1] != '1')) {
					return nil, fmt.Errorf("JSON pointer %q has an invalid escape", p)
				}
			}
			parts[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
		}
	}
	return parts, nil
}

// splitRef separates a $ref into its document part and its fragment
// (percent-decoded).
func splitRef(ref string) (doc, frag string) {
	doc, frag, _ = strings.Cut(ref, "#")
	if strings.Contains(frag, "%") {
		if u, err := url.PathUnescape(frag); err == nil {
			frag = u
		}
	}
	return doc, frag
}

// missingAt walks a pointer through a tree and, when it leads nowhere,
// describes the first segment that is missing and suggests a neighbour.
func missingAt(root *node, segs []string) (ok bool, parent string, missing string, suggestion string) {
	cur := root
	for i, s := range segs {
		next := cur.child(s)
		if next == nil {
			parent = pointerOf(segs[:i])
			if cur.kind == kindObject {
				suggestion = suggest.Closest(s, cur.keys)
			}
			return false, parent, s, suggestion
		}
		cur = next
	}
	return true, "", "", ""
}

// refTarget is where a reference leads.
type refTarget struct {
	file *file
	frag string // JSON pointer in file ("" for the whole file)
}

// resolveRefs reads every file the root refers to, directly or not, and
// checks every reference. It returns the resolved target of each site that
// resolved and a diagnostic for each that did not: all of them, not the first.
func (l *loadState) resolveRefs() {
	queue := []*file{l.root}
	seen := map[*file]bool{l.root: true}
	for len(queue) > 0 {
		f := queue[0]
		queue = queue[1:]
		var sites []refSite
		collectRefs(f, l.swagger2, func(s refSite) { sites = append(sites, s) }, l.siblingWarning)
		for _, s := range sites {
			t, ok := l.resolveSite(s)
			if !ok {
				continue
			}
			l.targets = append(l.targets, resolvedRef{site: s, target: t})
			if !seen[t.file] {
				seen[t.file] = true
				queue = append(queue, t.file)
			}
		}
	}
}

// maxRefChain bounds how many references may follow one another with
// nothing in between (A is a $ref to B, B to C...). Real specs alias a
// schema once or twice; a chain of thousands only makes every consumer
// walk it.
const maxRefChain = 64

// checkRefChains follows every reference whose target is itself only a
// reference. A cycle of them (A → B → A, or Self → Self) describes no value
// at all and is an error at the first of them in the document; so is a
// chain longer than maxRefChain, at the reference that starts it. (A
// schema that holds itself through a property or an array is a legal
// recursive type, not a cycle of references: the links here are only
// objects that hold a $ref.)
func (l *loadState) checkRefChains() {
	type link struct {
		ref resolvedRef
		to  string
	}
	next := map[string]link{}
	var order []string // objects holding a $ref, in document order
	for _, r := range l.targets {
		if r.site.mapping {
			continue
		}
		from := targetKey(r.site.file.key, strings.TrimSuffix(r.site.ptr, "/$ref"))
		if _, dup := next[from]; dup {
			continue
		}
		next[from] = link{r, targetKey(r.target.file.key, r.target.frag)}
		order = append(order, from)
	}
	rank := make(map[string]int, len(order))
	for i, k := range order {
		rank[k] = i
	}
	show := func(key string) string {
		file, frag, _ := strings.Cut(key, "#")
		if file == l.root.key {
			return "#" + frag
		}
		return next[key].ref.site.file.name + "#" + frag
	}
	const inCycle = -1
	depth := map[string]int{} // references to follow from an object to a value
	active := map[string]bool{}
	for _, start := range order {
		if _, known := depth[start]; known {
			continue
		}
		var path []string
		cur := start
		d := 0
		for {
			if v, known := depth[cur]; known {
				d = v
				break
			}
			lk, isRef := next[cur]
			if !isRef {
				d = 0 // a value
				break
			}
			if active[cur] {
				cycle := path[slices.Index(path, cur):]
				first := slices.MinFunc(cycle, func(a, b string) int { return rank[a] - rank[b] })
				i := slices.Index(cycle, first)
				names := make([]string, 0, len(cycle)+1)
				for _, k := range append(slices.Clone(cycle[i:]), cycle[:i+1]...) {
					names = append(names, show(k))
				}
				l.siteDiag(next[first].ref.site, CodeRefCycle, SeverityError,
					fmt.Sprintf("$ref cycle %s: these references lead to one another and never to a value", strings.Join(names, " → ")),
					"give one of them a schema (or parameter, response...) of its own")
				d = inCycle
				break
			}
			active[cur] = true
			path = append(path, cur)
			cur = lk.to
		}
		for i := len(path) - 1; i >= 0; i-- {
			if d != inCycle {
				d++
			}
			depth[path[i]] = d
			delete(active, path[i])
		}
	}
	targeted := map[string]bool{}
	for _, lk := range next {
		targeted[lk.to] = true
	}
	for _, from := range order {
		if depth[from] > maxRefChain && !targeted[from] {
			l.siteDiag(next[from].ref.site, CodeRefTooDeep, SeverityError,
				fmt.Sprintf("$ref chain of %d references, each to the next, before a value (the limit is %d)", depth[from], maxRefChain),
				"refer to the component at the end of the chain directly")
		}
	}
}

type resolvedRef struct {
	site   refSite
	target refTarget
}

func (l *loadState) siteDiag(s refSite, code string, sev Severity, msg, fix string) {
	l.diags = append(l.diags, Diagnostic{
		Code: code, Severity: sev, Pointer: s.ptr, Message: msg, Fix: fix,
		Pos: Position{File: s.file.name, Line: int(s.node.line), Column: int(s.node.col)},
	})
}

func (l *loadState) resolveSite(s refSite) (refTarget, bool) {
	if s.mapping {
		return l.resolveMapping(s)
	}
	if s.node.kind != kindString {
		l.siteDiag(s, CodeRefInvalid, SeverityError, fmt.Sprintf("$ref must be a string, not %s", s.node.kind), "")
		return refTarget{}, false
	}
	if s.ref == "" {
		l.siteDiag(s, CodeRefInvalid, SeverityError, "$ref is empty", "")
		return refTarget{}, false
	}
	docPart, frag := splitRef(s.ref)
	target := s.file
	if docPart != "" {
		if l.swagger2 {
			l.siteDiag(s, CodeExternalInSwagger2, SeverityError,
				fmt.Sprintf("$ref %q refers to another file; multi-file Swagger 2.0 specs are not supported", s.ref),
				"bundle the Swagger 2.0 spec into one file, or convert it to OpenAPI 3 first")
			return refTarget{}, false
		}
		loc, err := l.reader.resolve(s.file, docPart)
		if err != nil {
			re := err.(*readError)
			l.siteDiag(s, re.code, SeverityError, re.msg, re.fix)
			return refTarget{}, false
		}
		t, err := l.reader.get(loc, docPart)
		if err != nil {
			re := err.(*readError)
			code := re.code
			if code == CodeSourceNotFound || code == CodeSourceUnreadable {
				code = CodeRefFileMissing
			}
			l.siteDiag(s, code, SeverityError, fmt.Sprintf("$ref %q: %s", s.ref, re.msg), re.fix)
			return refTarget{}, false
		}
		if t.tree == nil {
			if !l.parse(t) {
				// The parse error is reported against the referenced file;
				// say here where it was referenced from.
				l.siteDiag(s, CodeRefFileMissing, SeverityError, fmt.Sprintf("$ref %q: the referenced file could not be parsed", s.ref), "")
				return refTarget{}, false
			}
		}
		target = t
	}
	if frag != "" && frag[0] != '/' {
		l.siteDiag(s, CodeRefInvalid, SeverityError,
			fmt.Sprintf("$ref %q: only JSON-pointer fragments (#/...) are supported, not plain names", s.ref), "")
		return refTarget{}, false
	}
	segs, err := splitPointer(frag)
	if err != nil {
		l.siteDiag(s, CodeRefInvalid, SeverityError, fmt.Sprintf("$ref %q: %v", s.ref, err), "")
		return refTarget{}, false
	}
	if ok, parent, missing, suggestion := missingAt(target.tree, segs); !ok {
		where := "#" + parent
		if target != s.file {
			where = target.name + where
		}
		msg := fmt.Sprintf("$ref %q points to nothing: %s has no %q", s.ref, where, missing)
		if parent == "" {
			msg = fmt.Sprintf("$ref %q points to nothing: %s has no top-level %q", s.ref, orDocument(target, s.file), missing)
		}
		fix := ""
		if suggestion != "" {
			fix = fmt.Sprintf("did you mean %q?", docPart+"#"+pointerOf(append(slices.Clone(segsUntil(segs, parent)), suggestion)))
		}
		l.siteDiag(s, CodeRefDangling, SeverityError, msg, fix)
		return refTarget{}, false
	}
	return refTarget{file: target, frag: frag}, true
}

func segsUntil(segs []string, parent string) []string {
	if parent == "" {
		return nil
	}
	return segs[:strings.Count(parent, "/")]
}

func orDocument(target, from *file) string {
	if target == from {
		return "the document"
	}
	return target.name
}

// resolveMapping checks a discriminator mapping value: either a schema name
// or a reference.
func (l *loadState) resolveMapping(s refSite) (refTarget, bool) {
	v := s.ref
	if !strings.ContainsAny(v, "#/.") {
		// A bare schema name, looked up among the root document's schemas.
		schemas := l.root.tree.get("components").get("schemas")
		if l.swagger2 {
			schemas = l.root.tree.get("definitions")
		}
		if schemas.get(v) == nil && s.file == l.root {
			fix := ""
			if schemas != nil {
				if c := suggest.Closest(v, schemas.keys); c != "" {
					fix = fmt.Sprintf("did you mean %q?", c)
				}
			}
			l.siteDiag(s, CodeMappingDangling, SeverityWarning, fmt.Sprintf("discriminator mapping names schema %q, which does not exist", v), fix)
		}
		return refTarget{}, false
	}
	// A reference: checked like a $ref, but reported as a warning, since a
	// discriminator only guides decoding.
	before := len(l.diags)
	t, ok := l.resolveSite(refSite{file: s.file, ptr: s.ptr, node: s.node, ref: s.ref})
	for i := before; i < len(l.diags); i++ {
		if l.diags[i].Code == CodeRefDangling {
			l.diags[i].Code = CodeMappingDangling
			l.diags[i].Severity = SeverityWarning
			l.diags[i].Message = strings.Replace(l.diags[i].Message, "$ref", "discriminator mapping", 1)
		}
	}
	return t, ok
}

func (l *loadState) siblingWarning(f *file, ptr string, n *node, keys []string) {
	if l.is31 {
		return // OpenAPI 3.1 applies the siblings of a $ref.
	}
	r := n.get("$ref")
	// Prose beside a reference changes nothing a generator makes: a note.
	sev := SeverityInfo
	for _, k := range keys {
		switch {
		case k == "description", k == "summary", k == "title", k == "example", k == "examples", k == "externalDocs",
			strings.HasPrefix(k, "x-"):
		default:
			sev = SeverityWarning
		}
	}
	l.diags = append(l.diags, Diagnostic{
		Code: CodeRefSibling, Severity: sev, Pointer: ptr,
		Pos:     Position{File: f.name, Line: int(r.line), Column: int(r.col)},
		Message: fmt.Sprintf("%s beside a $ref %s ignored in OpenAPI %s", quoteList(keys), isAre(len(keys)), l.versionFamily()),
		Fix:     "move them into the referenced object, or wrap the $ref in allOf",
	})
}

func quoteList(keys []string) string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = strconv.Quote(k)
	}
	return strings.Join(q, ", ")
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
