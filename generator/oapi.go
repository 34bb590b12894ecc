package generator

import (
	"context"
	"embed"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"

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

func init() {
	// Our request template builds paths with it; oapi-codegen's templates
	// see only codegen.TemplateFunctions.
	codegen.TemplateFunctions["sdkgenPathExpr"] = pathExpr
}

// pathExpr returns the Go expression of an operation's path with its
// parameters substituted: the path's literal parts and the variables
// pathParam<i> of the request builder, concatenated, as in
// "/pets/" + pathParam0 + "/photos". A parameter may appear more than
// once, a literal % is only a character, and a placeholder no parameter
// names stays as written. A concatenation costs one allocation where
// strings.NewReplacer costs a replacer per call.
func pathExpr(path string, params []codegen.ParameterDefinition) string {
	var parts []string
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
		i := slices.IndexFunc(params, func(p codegen.ParameterDefinition) bool { return p.ParamName == name })
		if i < 0 {
			lit += path[:end+1]
			path = path[end+1:]
			continue
		}
		if lit += path[:open]; lit != "" {
			parts = append(parts, codegen.StringToGoString(lit))
		}
		parts = append(parts, fmt.Sprintf("pathParam%d", i))
		lit, path = "", path[end+1:]
	}
	if lit != "" || len(parts) == 0 {
		parts = append(parts, codegen.StringToGoString(lit))
	}
	return strings.Join(parts, " + ")
}

// generateCode runs oapi-codegen for the models and the request builders,
// and builds the facade IR from its operation definitions in the same
// critical section (they read the global state Generate set).
func generateCode(ctx context.Context, t *openapi3.T, cfg Config) (models []byte, api *apiIR, diags openapi.Diagnostics) {
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
			SkipFmt:                   true, // we format, without goimports' module-cache lookups
			IncludeTags:               cfg.Include.Tags,
			ExcludeTags:               cfg.Exclude.Tags,
			IncludeOperationIDs:       cfg.Include.Operations,
			ExcludeOperationIDs:       cfg.Exclude.Operations,
			UserTemplates:             oapiTemplates,
			ResolveTypeNameCollisions: true,
			// Nullable fields become nullable.Nullable[T] (our sdk/nullable),
			// so a PATCH body can say absent and null apart.
			NullableType: true,
			// oapi-codegen declares the bodies of webhooks but, pruning,
			// counts only the references from paths: a spec of webhooks
			// alone would lose the schemas its bodies name.
			SkipPrune: len(t.Webhooks) > 0,
		},
		AllowRemoteRefsFrom:  []string{},
		NoVCSVersionOverride: &version,
	}
	fail := func(code, msg string) {
		diags = append(diags, openapi.Diagnostic{Code: code, Severity: openapi.SeverityError, Message: msg})
	}
	if err := ctx.Err(); err != nil {
		fail(CodeCanceled, err.Error())
		return nil, nil, diags
	}
	// codegen.Generate rewrites operationIds into Go names in place; keep the
	// spec's own for the facade's docs and errors.
	specIDs := operationIDs(t)
	oapiMu.Lock()
	defer oapiMu.Unlock()
	diags = append(diags, nameParameters(t)...)
	diags = append(diags, nameProperties(t)...)
	src, err := guardCodegen("oapi-codegen", func() (string, error) { return codegen.Generate(t, conf) })
	if err != nil {
		code := CodeCodegenFailed
		if _, ok := err.(*panicError); ok {
			code = CodeCodegenPanic
		}
		fail(code, err.Error())
		return nil, nil, diags
	}
	formatted, err := formatGo("models.gen.go", dropIdenticalDecls([]byte(src)))
	if err != nil {
		fail(CodeFormat, err.Error())
		return nil, nil, diags
	}
	_, err = guardCodegen("sdkgen's facade", func() (string, error) {
		var err error
		api, err = buildFacade(t, cfg, formatted, specIDs)
		return "", err
	})
	if err != nil {
		code := CodeFacadeFailed
		if _, ok := err.(*panicError); ok {
			code = CodeCodegenPanic
		}
		fail(code, err.Error())
		return nil, nil, diags
	}
	diags = append(diags, api.Diags...)
	return formatted, api, diags
}

// operationIDs maps "METHOD /path" to the operation's operationId.
func operationIDs(t *openapi3.T) map[string]string {
	ids := map[string]string{}
	if t.Paths == nil {
		return ids
	}
	for p, item := range t.Paths.Map() {
		for m, op := range item.Operations() {
			ids[m+" "+p] = op.OperationID
		}
	}
	return ids
}

type panicError struct {
	who   string // oapi-codegen, or sdkgen's facade
	value any
	stack string
}

func (e *panicError) Error() string {
	return fmt.Sprintf("%s panicked: %v (this is a bug; please report it with the spec)\n%s", e.who, e.value, e.stack)
}

// guardCodegen runs fn, turning a panic into a *panicError. The caller
// holds oapiMu.
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
