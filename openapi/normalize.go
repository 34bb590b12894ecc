package openapi

import (
	"fmt"
	"strings"
)

// NormalizeOptions tune [Normalize].
type NormalizeOptions struct {
	// TrustGoExtensions keeps the x-go-* and x-oapi-codegen-* extensions of
	// the spec. They steer code generation (x-go-type-import adds an import of
	// any path the spec names), so they are removed unless the spec is
	// trusted.
	TrustGoExtensions bool
}

// Normalize makes a document ready for code generation without ever changing
// it silently: every change is reported as a diagnostic. It returns a new
// Document; doc itself is not modified.
func Normalize(doc *Document, opts NormalizeOptions) (*Document, Diagnostics) {
	p, err := parseJSON(doc.canonical)
	tree := p.tree
	if err != nil {
		// The canonical JSON is written by us; failing to read it is a bug.
		return doc, Diagnostics{{Code: CodeSpecInvalid, Severity: SeverityError, Message: fmt.Sprintf("internal error: bundled document unreadable: %v", err)}}
	}
	var diags Diagnostics
	changed := false
	if !opts.TrustGoExtensions {
		visitSpecObjects(tree, false, func(segs []string, obj *node) {
			keep := obj.keys[:0]
			kids := obj.kids[:0]
			for i, k := range obj.keys {
				if isGoExtension(k) {
					changed = true
					diags = append(diags, Diagnostic{
						Code: CodeExtensionIgnored, Severity: SeverityWarning,
						Pointer: pointerOf(append(segs, k)),
						Message: fmt.Sprintf("extension %q ignored: x-go-* and x-oapi-codegen-* extensions are not trusted in specs", k),
						Fix:     "set trust-go-extensions: true in sdkgen.yaml if the spec is trusted",
					})
					continue
				}
				keep = append(keep, k)
				kids = append(kids, obj.kids[i])
			}
			obj.keys, obj.kids, obj.index = keep, kids, nil
		})
	}
	if !changed {
		return doc, diags
	}
	doc.Annotate(diags)
	nd := *doc
	nd.canonical = tree.appendJSON(nil)
	return &nd, diags
}

func isGoExtension(k string) bool {
	return strings.HasPrefix(k, "x-go-") || strings.HasPrefix(k, "x-oapi-codegen-")
}
