// Package generator turns a loaded OpenAPI document into the Go files of a
// typed client SDK.
//
// Models and request builders come from oapi-codegen v2, driven as a library
// with templates of our own; the rest of the SDK (the facade that replaces
// oapi-codegen's ClientWithResponses) comes from sdkgen's templates. Output is
// deterministic: the same document and configuration give byte-identical
// files on every run and machine.
package generator

import (
	"cmp"
	"context"
	"fmt"
	"go/token"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/sdkgen-go/sdkgen/openapi"
)

// Diagnostic codes of the generator. Like the openapi package's codes, they
// are stable.
const (
	CodeConfigInvalid    = "config.invalid"        // a value of sdkgen.yaml or Config is unusable
	CodeConfigUnknownKey = "config.unknown-key"    // sdkgen.yaml has a key the schema does not know
	CodeConfigNoMatch    = "config.no-match"       // an include/exclude entry matches nothing in the spec
	CodeCodegenFailed    = "generate.failed"       // oapi-codegen returned an error
	CodeFacadeFailed     = "generate.facade"       // the client facade could not be built
	CodeTypeRenamed      = "generate.type-renamed" // a schema's Go type was named apart from another with the same name
	CodeCodegenPanic     = "generate.panic"        // oapi-codegen panicked (a bug, reported instead of crashing)
	CodeFormat           = "generate.format"       // generated code does not parse
	CodeStrict           = "generate.strict"       // strict mode: warnings are failures
	CodeCanceled         = "generate.canceled"     // the context ended first
	CodeNothingGenerated = "generate.no-content"   // filters left no operations and no schemas
	// CodeUnsafeOutput (verify.go): generated code failed the generator's own safety check.
)

// Config says what to generate. It is what sdkgen.yaml holds; flags of the
// sdkgen command override it.
type Config struct {
	// Spec is the spec to load: a path, an http(s) URL or "-". Paths in a
	// config file are relative to the file.
	Spec string `yaml:"spec" json:"spec,omitempty"`
	// Package is the Go package name of the generated code. Required.
	Package string `yaml:"package" json:"package,omitempty"`
	// Output is the folder the files are written to. Paths in a config file
	// are relative to the file.
	Output string `yaml:"output" json:"output,omitempty"`
	// Strict turns warnings into failures.
	Strict bool `yaml:"strict" json:"strict,omitempty"`
	// Include keeps only the operations with one of these tags or ids (and
	// the schemas they use). Empty lists keep everything.
	Include Filter `yaml:"include" json:"include,omitzero"`
	// Exclude drops the operations with one of these tags or ids.
	Exclude Filter `yaml:"exclude" json:"exclude,omitzero"`
	// TrustGoExtensions keeps the spec's x-go-* and x-oapi-codegen-*
	// extensions, which can add imports and change types; only for trusted
	// specs.
	TrustGoExtensions bool `yaml:"trust-go-extensions" json:"trust-go-extensions,omitempty"`
	// Operations says, per operationId, what the spec does not: how results
	// are paged, whether a POST may be retried.
	Operations map[string]OperationConfig `yaml:"operations" json:"operations,omitempty"`
	// Pagination pages the operations each rule matches, in order: the
	// first rule that matches an operation applies, unless the operation
	// has its own block in Operations. What a rule leaves out (the items,
	// most often) is detected.
	Pagination []PaginationRule `yaml:"pagination" json:"pagination,omitempty"`
	// Names renames what sdkgen names: methods, services, types.
	Names Names `yaml:"names" json:"names,omitzero"`
	// Split says how the SDK is laid out: none (one package), tag (one
	// package per tag, over packages of shared models), or auto (the
	// default: tag for specs of more than SplitThreshold operations).
	Split string `yaml:"split" json:"split,omitempty"`
	// ImportPath is the Go import path of Output, which split packages
	// import each other by. sdkgen generate finds it from go.mod when it
	// is not given.
	ImportPath string `yaml:"import-path" json:"import-path,omitempty"`
}

// SplitThreshold is the number of operations above which Split auto
// splits an SDK into packages. Microsoft Graph (11,422 operations) is over
// it; the largest single-package APIs of the corpus (GitHub, Stripe,
// Kubernetes, 450 to 850 operations) are well under.
const SplitThreshold = 2000

// Names overrides the Go names sdkgen chooses. The names it gives still go
// through the generator's collision checks: a name another declaration
// holds is given a suffix, with a note.
type Names struct {
	// Initialisms are written in upper case in every generated name (or as
	// given, for a word like OAuth), beside Go's usual ones (ID, URL, HTTP,
	// API, JSON, UUID, ...).
	Initialisms []string `yaml:"initialisms" json:"initialisms,omitempty"`
	// Methods names operations' methods, by operationId.
	Methods map[string]string `yaml:"methods" json:"methods,omitempty"`
	// Services names services (the client's fields), by tag; "default" is
	// the service of untagged operations.
	Services map[string]string `yaml:"services" json:"services,omitempty"`
	// Types names component schemas' Go types, by schema name.
	Types map[string]string `yaml:"types" json:"types,omitempty"`
	// Rules rename by pattern, in order, every name sdkgen chooses of a
	// kind.
	Rules []NameRule `yaml:"rules" json:"rules,omitempty"`
}

// NameRule renames the names of one kind that match a regular expression.
type NameRule struct {
	// Kind is method, service or type.
	Kind string `yaml:"kind" json:"kind"`
	// Match is a regular expression (RE2) over the Go name sdkgen chose.
	Match string `yaml:"match" json:"match"`
	// Replace replaces the match; $1 and ${name} refer to its groups.
	Replace string `yaml:"replace" json:"replace"`
}

// OperationConfig holds the settings of one operation.
type OperationConfig struct {
	// Pagination overrides what the spec declares or sdkgen detects.
	Pagination *Pagination `yaml:"pagination" json:"pagination,omitempty"`
	// Idempotent marks the operation safe to retry (POST and PATCH calls
	// then carry an Idempotency-Key).
	Idempotent *bool `yaml:"idempotent" json:"idempotent,omitempty"`
	// Stream says how the operation's event stream (a text/event-stream
	// response) ends; it overrides the x-sdkgen-stream extension.
	Stream *StreamConfig `yaml:"stream" json:"stream,omitempty"`
}

// StreamConfig says how an event stream ends cleanly; it is the block of
// the x-sdkgen-stream extension. Without either field, a stream ends
// cleanly only when the server answers a reconnection with 204, or the
// caller stops.
type StreamConfig struct {
	// Terminal is the type of the event that ends the stream ("done").
	Terminal string `yaml:"terminal" json:"terminal,omitempty"`
	// TerminalData is a data value that ends the stream ("[DONE]").
	TerminalData string `yaml:"terminal-data" json:"terminal-data,omitempty"`
}

// Pagination describes how an operation's results are paged; it is the
// block of the x-sdkgen-pagination extension.
type Pagination struct {
	// Style is cursor, offset, page, link, next-url, or none.
	Style string `yaml:"style" json:"style"`
	// Items is the field of the page body holding the items (dotted path),
	// empty when the body is the array itself.
	Items  string        `yaml:"items" json:"items,omitempty"`
	Cursor *CursorConfig `yaml:"cursor" json:"cursor,omitempty"`
	Offset *ParamConfig  `yaml:"offset" json:"offset,omitempty"`
	Page   *PageConfig   `yaml:"page" json:"page,omitempty"`
	// HasMore, Total, TotalPages and Next name fields of the body: a
	// has-more flag, the total item count, the page count, the next page's
	// URL.
	HasMore    string `yaml:"has-more" json:"has-more,omitempty"`
	Total      string `yaml:"total" json:"total,omitempty"`
	TotalPages string `yaml:"total-pages" json:"total-pages,omitempty"`
	Next       string `yaml:"next" json:"next,omitempty"`
}

// PaginationRule is a pagination for every operation that Match selects.
type PaginationRule struct {
	Match      PaginationMatch `yaml:"match" json:"match"`
	Pagination `yaml:",inline"`
}

// PaginationMatch selects operations: each list given must match (any of
// its entries), and GET operations only unless Methods says otherwise.
type PaginationMatch struct {
	// Operations are operationId globs (path.Match: list*, *_list).
	Operations []string `yaml:"operations" json:"operations,omitempty"`
	// Tags are tags an operation must have one of.
	Tags []string `yaml:"tags" json:"tags,omitempty"`
	// Paths are path globs: * matches within a segment, ** across
	// segments (/v1/**/members).
	Paths []string `yaml:"paths" json:"paths,omitempty"`
	// Params are query parameters an operation must have, all of them.
	Params []string `yaml:"params" json:"params,omitempty"`
	// Methods are the HTTP methods matched (default GET).
	Methods []string `yaml:"methods" json:"methods,omitempty"`
}

// CursorConfig says where a cursor goes and comes from.
type CursorConfig struct {
	// Param is the query parameter that takes it.
	Param string `yaml:"param" json:"param"`
	// Next is the body field holding the next one; From
	// ("last-item.<field>") takes it from the page's last item instead,
	// Header from a response header.
	Next string `yaml:"next" json:"next,omitempty"`
	From string `yaml:"from" json:"from,omitempty"`
	// Header is the response header holding the next cursor, when the
	// API sends it there (X-Next-Cursor).
	Header string `yaml:"header" json:"header,omitempty"`
}

// ParamConfig names a query parameter.
type ParamConfig struct {
	Param string `yaml:"param" json:"param"`
}

// PageConfig names the page-number parameter and the first page's number.
type PageConfig struct {
	Param string `yaml:"param" json:"param"`
	Start *int   `yaml:"start" json:"start,omitempty"`
}

// Filter selects operations by tag or by operationId.
type Filter struct {
	Tags       []string `yaml:"tags" json:"tags,omitempty"`
	Operations []string `yaml:"operations" json:"operations,omitempty"`
}

func (f Filter) empty() bool { return len(f.Tags) == 0 && len(f.Operations) == 0 }

// File is one generated file.
type File struct {
	// Name is the file's base name, e.g. "models.gen.go".
	Name    string
	Content []byte
}

// Files is the output of one generation, sorted by name.
type Files []File

// Header is the first line of every generated Go file. It matches the
// pattern the go command and linters use to recognise generated code.
const Header = "// Code generated by sdkgen. DO NOT EDIT."

// Write writes the files into dir, creating it (and the folders of a split
// SDK's packages) if needed, and removes generated files (*.gen.go
// starting with [Header]) that a previous run left in those folders and
// this one no longer produces. Other files are never touched.
func (fs Files) Write(dir string) error {
	keep := map[string]bool{}
	dirs := map[string]bool{".": true}
	for _, f := range fs {
		clean := path.Clean(f.Name)
		if f.Name == "" || clean != f.Name || path.IsAbs(f.Name) || strings.HasPrefix(clean, "../") || clean == ".." ||
			strings.ContainsRune(f.Name, '\\') || slices.ContainsFunc(strings.Split(clean, "/"), func(s string) bool { return s == "" || s[0] == '.' }) {
			return fmt.Errorf("refusing to write %q: not a plain relative file name", f.Name)
		}
		keep[filepath.FromSlash(clean)] = true
		dirs[path.Dir(clean)] = true
	}
	for d := range dirs {
		if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(d)), 0o755); err != nil {
			return err
		}
		stale, err := filepath.Glob(filepath.Join(dir, filepath.FromSlash(d), "*.gen.go"))
		if err != nil {
			return err
		}
		for _, p := range stale {
			rel, err := filepath.Rel(dir, p)
			if err != nil || keep[rel] || !isGenerated(p) {
				continue
			}
			if err := os.Remove(p); err != nil {
				return err
			}
		}
	}
	for _, f := range fs {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if old, err := os.ReadFile(p); err == nil && string(old) == string(f.Content) {
			continue // unchanged: keep the modification time
		}
		if err := os.WriteFile(p, f.Content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func isGenerated(path string) bool {
	fh, err := os.Open(path)
	if err != nil {
		return false
	}
	defer fh.Close()
	buf := make([]byte, len(Header))
	n, _ := fh.Read(buf)
	return string(buf[:n]) == Header
}

// Generate turns a loaded document into Go files. It never panics on bad
// input: every problem is a diagnostic, and when any is an error (or, with
// Config.Strict, a warning) no files are returned.
//
// It works in one pass: the naming pass decides every Go name, oapi-codegen
// runs once for the models and the request builders, the IR is built from
// its model of the operations, the models are parsed once (checked, trimmed
// and printed from that one syntax tree), and the facade is rendered from
// the IR. Calls are serialized where they run oapi-codegen (it keeps
// global state); each works on its own copy of the document.
func Generate(ctx context.Context, doc *openapi.Document, cfg Config) (Files, openapi.Diagnostics) {
	diags := cfg.check()
	if diags.HasErrors() {
		return nil, diags
	}
	if err := ctx.Err(); err != nil {
		return nil, append(diags, openapi.Diagnostic{Code: CodeCanceled, Severity: openapi.SeverityError, Message: err.Error()})
	}
	ndoc, nd := openapi.Normalize(doc, openapi.NormalizeOptions{TrustGoExtensions: cfg.TrustGoExtensions})
	diags = append(diags, nd...)
	if diags.HasErrors() {
		return nil, diags
	}
	t, err := ndoc.OpenAPI()
	if err != nil {
		return nil, append(diags, openapi.Diagnostic{Code: CodeCodegenFailed, Severity: openapi.SeverityError, Message: err.Error()})
	}
	diags = append(diags, checkFilters(t, cfg)...)
	applyFilters(t, cfg)
	pruneUnused(t)

	var gen openapi.Diagnostics
	finish := func() (Files, openapi.Diagnostics) {
		ndoc.Annotate(gen)
		diags = append(diags, gen...)
		diags.Sort()
		return nil, diags
	}
	nm, nd := decideNames(t, cfg)
	gen = append(gen, nd...)
	if gen.HasErrors() {
		return finish()
	}
	split := cfg.Split == "tag" || ((cfg.Split == "" || cfg.Split == "auto") && len(nm.ops) > SplitThreshold)
	if split && cfg.ImportPath == "" {
		gen = append(gen, openapi.Diagnostic{Code: CodeConfigInvalid, Severity: openapi.SeverityError,
			Message: fmt.Sprintf("the SDK is split into packages (split: %s, %d operations) and needs the import path of its output folder", cmp.Or(cfg.Split, "auto"), len(nm.ops)),
			Fix:     "set import-path in sdkgen.yaml (sdkgen generate reads it from go.mod), or split: none"})
		return finish()
	}
	fn := nm.nameFacade(split)
	gen = append(gen, nm.diags[len(nd):]...)
	res := runOapi(ctx, t, cfg, nm, fn)
	gen = append(gen, res.diags...)
	if gen.HasErrors() {
		return finish()
	}
	files, ed := emit(res, cfg)
	gen = append(gen, ed...)
	if gen.HasErrors() {
		return finish()
	}
	ndoc.Annotate(gen)
	diags = append(diags, gen...)
	// Strict mode counts the warnings of loading too; they are not repeated
	// in the result (Load returned them already).
	if warnings := diags.Count(openapi.SeverityWarning) + doc.Diagnostics().Count(openapi.SeverityWarning); cfg.Strict && warnings > 0 {
		diags = append(diags, openapi.Diagnostic{Code: CodeStrict, Severity: openapi.SeverityError,
			Message: fmt.Sprintf("strict mode: %d %s count as failure", warnings, plural(warnings, "warning", "warnings"))})
		files = nil
	}
	diags.Sort()
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	return files, diags
}

// applyFilters removes the operations include and exclude leave out, as
// oapi-codegen's own filters would (by any tag, by operationId), before
// anything is named; oapi-codegen then prunes the schemas nothing uses.
func applyFilters(t *openapi3.T, cfg Config) {
	if (cfg.Include.empty() && cfg.Exclude.empty()) || t.Paths == nil {
		return
	}
	keep := func(op *openapi3.Operation) bool {
		if len(cfg.Include.Tags) > 0 && !slices.ContainsFunc(op.Tags, func(tg string) bool { return slices.Contains(cfg.Include.Tags, tg) }) {
			return false
		}
		if len(cfg.Include.Operations) > 0 && !slices.Contains(cfg.Include.Operations, op.OperationID) {
			return false
		}
		if slices.ContainsFunc(op.Tags, func(tg string) bool { return slices.Contains(cfg.Exclude.Tags, tg) }) {
			return false
		}
		return !slices.Contains(cfg.Exclude.Operations, op.OperationID)
	}
	for _, path := range slices.Sorted(maps.Keys(t.Paths.Map())) {
		item := t.Paths.Value(path)
		for m, op := range item.Operations() {
			if !keep(op) {
				item.SetOperation(m, nil)
			}
		}
		if len(item.Operations()) == 0 {
			t.Paths.Delete(path)
		}
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// check validates the parts of the configuration Generate uses.
func (c Config) check() openapi.Diagnostics {
	var ds openapi.Diagnostics
	bad := func(msg, fix string) {
		ds = append(ds, openapi.Diagnostic{Code: CodeConfigInvalid, Severity: openapi.SeverityError, Message: msg, Fix: fix})
	}
	switch c.Split {
	case "", "none", "tag", "auto":
	default:
		bad(fmt.Sprintf("split %q is not none, tag or auto", c.Split), "use split: tag to write one package per tag")
	}
	switch {
	case c.Package == "":
		bad("no package name given", "set package in sdkgen.yaml or pass --package")
	case !token.IsIdentifier(c.Package) || token.IsKeyword(c.Package):
		bad(fmt.Sprintf("package name %q is not a valid Go identifier", c.Package), "use a short lower-case name such as petstore")
	case c.Package == "main":
		bad(`package name "main" cannot be imported`, "use the API's name")
	}
	return ds
}
