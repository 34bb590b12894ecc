package generator

import (
	"context"
	"embed"
	"fmt"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"

	"github.com/sdkgen-go/sdkgen/generator/ir"
	"github.com/sdkgen-go/sdkgen/internal/suggest"
	"github.com/sdkgen-go/sdkgen/openapi"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// oapiMu serializes calls into oapi-codegen, which keeps package-level state
// (see TRAPS.md): concurrent calls race, and settings leak between calls.
var oapiMu sync.Mutex

// oapiTemplates are our overrides of oapi-codegen's templates: our header, no
// Client type or ClientWithResponses (the facade replaces them), request
// builders kept, webhook and callback senders dropped.
var oapiTemplates = func() map[string]string {
	read := func(name string) string {
		b, err := templateFS.ReadFile("templates/" + name)
		if err != nil {
			panic(err) // embedded at build time
		}
		s := string(b)
		// oapi-codegen treats a single-line template as a file path or URL
		// to fetch; ours are never single-line.
		if !strings.Contains(strings.TrimSpace(s), "\n") {
			panic("template " + name + " must span several lines")
		}
		return s
	}
	omitted := read("omitted.tmpl")
	return map[string]string{
		"imports.tmpl":               read("imports.tmpl"),
		"client.tmpl":                read("requests.tmpl"),
		"client-with-responses.tmpl": omitted,
		"webhook-initiator.tmpl":     omitted,
		"callback-initiator.tmpl":    omitted,
	}
}()

// pathSegment is one piece of an operation's path, for the request
// builders' template: a literal or the index of a path parameter (its
// variable is pathParam<Index>).
type pathSegment struct {
	Lit   string
	Param bool
	Index int
}

// pathSegments cuts a path template at its parameters, given the path
// parameters in the order oapi-codegen passes them (their order in the
// path). A parameter may appear twice; a placeholder no parameter names
// stays as written. The request builders concatenate the segments
// ("/pets/" + pathParam0 + "/photos"), which costs one allocation where
// oapi-codegen's strings.Replacer costs a replacer per call.
func pathSegments(path string, params []string) []pathSegment {
	var out []pathSegment
	lit := ""
	for path != "" {
		open := strings.IndexByte(path, '{')
		end := strings.IndexByte(path[max(open, 0):], '}')
		if open < 0 || end < 0 {
			lit += path
			break
		}
		end += open
		name := path[open+1 : end]
		i := slices.Index(params, name)
		if i < 0 {
			lit += path[:end+1]
			path = path[end+1:]
			continue
		}
		if lit += path[:open]; lit != "" {
			out = append(out, pathSegment{Lit: lit})
		}
		out = append(out, pathSegment{Param: true, Index: i})
		lit, path = "", path[end+1:]
	}
	if lit != "" || len(out) == 0 {
		out = append(out, pathSegment{Lit: lit})
	}
	return out
}

// pathParamOrder lists the path parameters an operation declares in the
// order oapi-codegen passes them to the request builder: by their first
// appearance in the path (its SortParamsByPath).
func pathParamOrder(path string, declared []string) []string {
	var out []string
	for _, m := range pathParamRE.FindAllStringSubmatch(path, -1) {
		if slices.Contains(declared, m[1]) && !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

var pathParamRE = regexp.MustCompile(`{[.;?]?([^{}*]+)\*?}`)

// oapiResult is what one run of oapi-codegen gives.
type oapiResult struct {
	models string
	api    *ir.API
	states map[*ir.Operation]*opState
	diags  openapi.Diagnostics
	// stemPackages gives, in a split SDK, the folder of the package each
	// name an operation derives (its request builders, parameters, body
	// types) goes to.
	stemPackages map[string]string
}

// oapiRuns counts the calls of codegen.Generate in this process, so that
// the corpus runner can show one per spec.
var oapiRuns atomic.Int64

// OapiCodegenRuns reports how many times this process has run
// oapi-codegen's code generation.
func OapiCodegenRuns() int64 { return oapiRuns.Load() }

// sdkgenNormalizer is the name under which runOapi registers the naming
// pass's normalizer with oapi-codegen.
const sdkgenNormalizer codegen.NameNormalizerFunction = "sdkgen"

// runOapi runs oapi-codegen once for the models and the request builders,
// with the names the naming pass decided, and builds the IR from its model
// of the operations in the same critical section (that model reads the
// global state codegen.Generate set). This is the one place where
// oapi-codegen is bent: our templates replace four of its own (header,
// builders only, no ClientWithResponses, no webhook senders), the
// operations carry their path segments in an extension the builders'
// template reads (x-sdkgen-path), and its name normalizer is sdkgen's,
// registered for the call under its documented extension point
// (codegen.NameNormalizers).
func runOapi(ctx context.Context, t *openapi3.T, cfg Config, nm *naming, fn *facadeNames) (res oapiResult) {
	version := "sdkgen"
	conf := codegen.Configuration{
		PackageName: cfg.Package,
		Generate:    codegen.GenerateOptions{Models: true, Client: true},
		Compatibility: codegen.CompatibilityOptions{
			// PetStatusAvailable, not Available: enum constants never
			// collide with each other or with type names.
			AlwaysPrefixEnumValues: true,
		},
		OutputOptions: codegen.OutputOptions{
			SkipFmt:        true, // we format, without goimports' module-cache lookups
			UserTemplates:  oapiTemplates,
			NameNormalizer: string(sdkgenNormalizer),
			// Nullable fields become nullable.Nullable[T] (our sdk/nullable),
			// so a PATCH body can say absent and null apart.
			NullableType: true,
			// Unused components were pruned before naming (pruneUnused):
			// oapi-codegen's own pass would find nothing, quadratically.
			SkipPrune: true,
			// A number without a format is a float64, as encoding/json
			// decodes it: oapi-codegen's float32 keeps 24 bits, so a
			// millisecond timestamp (Vercel's created, its next-page
			// cursor) came out tens of seconds off. format: float keeps
			// float32.
			TypeMapping: &codegen.TypeMapping{Number: codegen.FormatMapping{Default: codegen.SimpleTypeSpec{Type: "float64"}}},
		},
		AllowRemoteRefsFrom:  []string{},
		NoVCSVersionOverride: &version,
	}
	fail := func(code, msg string) {
		res.diags = append(res.diags, openapi.Diagnostic{Code: code, Severity: openapi.SeverityError, Message: msg})
	}
	if err := ctx.Err(); err != nil {
		fail(CodeCanceled, err.Error())
		return res
	}
	for _, o := range nm.ops {
		var declared []string
		for _, p := range opParams(o) {
			if p.ref.Value.In == openapi3.ParameterInPath {
				declared = append(declared, p.ref.Value.Name)
			}
		}
		nm.setExt(&o.op.Extensions, "x-sdkgen-path", pathSegments(o.path, pathParamOrder(o.path, declared)))
	}
	oapiMu.Lock()
	defer oapiMu.Unlock()
	codegen.NameNormalizers[sdkgenNormalizer] = nm.normalize
	defer delete(codegen.NameNormalizers, sdkgenNormalizer)
	oapiRuns.Add(1)
	src, err := guardCodegen("oapi-codegen", func() (string, error) { return codegen.Generate(t, conf) })
	if err != nil {
		code := CodeCodegenFailed
		if _, ok := err.(*panicError); ok {
			code = CodeCodegenPanic
		}
		fail(code, err.Error())
		return res
	}
	res.models = src
	res.stemPackages = map[string]string{}
	for _, sn := range fn.services {
		if sn.dir == "" {
			continue
		}
		for _, o := range sn.ops {
			for _, n := range stemFamily(o.stem, o.op) {
				res.stemPackages[n] = sn.dir
			}
		}
	}
	_, err = guardCodegen("sdkgen's facade", func() (string, error) {
		defs, err := codegen.OperationDefinitions(t)
		if err != nil {
			return "", fmt.Errorf("reading operations: %w", err)
		}
		b, err := buildAPI(t, cfg, nm, fn, defs)
		if err != nil {
			return "", err
		}
		res.api, res.states, res.diags = b.api, b.ops, append(res.diags, b.diags...)
		return "", nil
	})
	if err != nil {
		code := CodeFacadeFailed
		if _, ok := err.(*panicError); ok {
			code = CodeCodegenPanic
		}
		fail(code, err.Error())
	}
	return res
}

type panicError struct {
	who   string // oapi-codegen, or sdkgen's facade
	value any
	stack string
}

func (e *panicError) Error() string {
	return fmt.Sprintf("%s panicked: %v (this is a bug; please report it with the spec)\n%s", e.who, e.value, e.stack)
}

// guardCodegen runs fn, turning a panic into a *panicError.
func guardCodegen(who string, fn func() (string, error)) (src string, err error) {
	defer func() {
		if r := recover(); r != nil {
			lines := strings.Split(string(debug.Stack()), "\n")
			err = &panicError{who: who, value: r, stack: strings.Join(lines[:min(len(lines), 16)], "\n")}
		}
	}()
	return fn()
}

// checkFilters warns about include/exclude entries that match nothing: most
// likely a typo that would otherwise silently generate too much or too
// little.
func checkFilters(t *openapi3.T, cfg Config) openapi.Diagnostics {
	if cfg.Include.empty() && cfg.Exclude.empty() {
		return nil
	}
	tags, ops := map[string]bool{}, map[string]bool{}
	if t.Paths != nil {
		for _, item := range t.Paths.Map() {
			for _, op := range item.Operations() {
				ops[op.OperationID] = true
				for _, tag := range op.Tags {
					tags[tag] = true
				}
			}
		}
	}
	var ds openapi.Diagnostics
	check := func(kind, which string, list []string, known map[string]bool) {
		for _, v := range list {
			if !known[v] {
				ds = append(ds, openapi.Diagnostic{Code: CodeConfigNoMatch, Severity: openapi.SeverityWarning,
					Message: fmt.Sprintf("%s.%s entry %q matches no %s in the spec", which, kind, v, strings.TrimSuffix(kind, "s")),
					Fix:     didYouMean(v, known)})
			}
		}
	}
	check("tags", "include", cfg.Include.Tags, tags)
	check("operations", "include", cfg.Include.Operations, ops)
	check("tags", "exclude", cfg.Exclude.Tags, tags)
	check("operations", "exclude", cfg.Exclude.Operations, ops)
	return ds
}

// didYouMean suggests the known name a filter entry probably meant.
func didYouMean(v string, known map[string]bool) string {
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	slices.Sort(names)
	if s := suggest.Closest(v, names); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return ""
}
