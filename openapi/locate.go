package openapi

import (
	"strings"
)

// locator maps pointers of the bundled document back to source positions.
type locator struct {
	root     *file
	reader   *sourceReader
	aliases  map[string]refTarget // bundled component name → where it came from
	swagger2 bool
}

// maxRefHops bounds how many $refs one lookup follows (cycles included).
const maxRefHops = 64

// locate returns the position of the value at a bundled-document pointer and
// the pointer of that value within its own file. When the pointer leads
// nowhere, the nearest enclosing value that exists is used.
func (l *locator) locate(pointer string) (Position, string) {
	if l == nil || l.root == nil {
		return Position{}, pointer
	}
	segs, err := splitPointer(pointer)
	if err != nil {
		return Position{File: l.root.name}, pointer
	}
	if l.swagger2 {
		segs = swagger2Pointer(segs)
	}
	f, cur := l.root, l.root.tree
	var done []string // segments walked in the current file
	// Components bundled from other files start in those files.
	if len(segs) >= 3 && segs[0] == "components" && cur.child("components").child(segs[1]).child(segs[2]) == nil {
		if tg, ok := l.aliases[segs[2]]; ok {
			f, cur = tg.file, lookupNode(tg.file.tree, tg.frag)
			done, _ = splitPointer(tg.frag)
			segs = segs[3:]
		}
	}
	hops := 0
	for _, s := range segs {
		next := cur.child(s)
		for next == nil && hops < maxRefHops {
			// The value may live behind a $ref: follow it and try again.
			tf, tn, tsegs, ok := l.follow(f, cur)
			if !ok {
				break
			}
			hops++
			f, cur, done = tf, tn, tsegs
			next = cur.child(s)
		}
		if next == nil {
			break
		}
		cur = next
		done = append(done, s)
	}
	return Position{File: f.name, Line: int(cur.line), Column: int(cur.col)}, pointerOf(done)
}

// follow resolves the $ref held by n (an object in file f).
func (l *locator) follow(f *file, n *node) (*file, *node, []string, bool) {
	ref, ok := n.stringAt("$ref")
	if !ok {
		return nil, nil, nil, false
	}
	docPart, frag := splitRef(ref)
	target := f
	if docPart != "" {
		loc, err := l.reader.resolve(f, docPart)
		if err != nil {
			return nil, nil, nil, false
		}
		t, ok := l.reader.files[locKey(loc)]
		if !ok || t.tree == nil {
			return nil, nil, nil, false
		}
		target = t
	}
	segs, err := splitPointer(frag)
	if err != nil {
		return nil, nil, nil, false
	}
	cur := target.tree
	for _, s := range segs {
		if cur = cur.child(s); cur == nil {
			return nil, nil, nil, false
		}
	}
	return target, cur, segs, true
}

// swagger2Pointer maps a pointer of the converted OpenAPI 3.0 document to the
// Swagger 2.0 document it came from, as nearly as the structures allow.
func swagger2Pointer(segs []string) []string {
	if len(segs) >= 2 && segs[0] == "components" {
		switch segs[1] {
		case "schemas":
			return append([]string{"definitions"}, segs[2:]...)
		case "parameters", "responses":
			return segs[1:]
		case "securitySchemes":
			return append([]string{"securityDefinitions"}, segs[2:]...)
		case "requestBodies":
			return append([]string{"parameters"}, segs[2:]...)
		}
		return nil
	}
	out := make([]string, 0, len(segs))
	for i := 0; i < len(segs); i++ {
		s := segs[i]
		switch {
		case s == "content" && i+1 < len(segs):
			// .../content/<media type>/schema → .../schema
			i++
			continue
		case s == "requestBody":
			// The body parameter's position is not known without the
			// operation's parameter list; stop at the operation.
			return out
		case s == "schema" && len(out) >= 2 && out[len(out)-2] == "parameters":
			// OpenAPI 3 parameters keep their schema apart; in 2.0 it is
			// inline in the parameter.
			return out
		}
		out = append(out, s)
	}
	if len(out) > 0 && strings.HasPrefix(out[0], "servers") {
		return nil
	}
	return out
}
