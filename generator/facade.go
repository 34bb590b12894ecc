package generator

import (
	"cmp"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"

	"github.com/sdkgen-go/sdkgen/internal/gotext"
	"github.com/sdkgen-go/sdkgen/openapi"
)

// The facade IR: plain data describing the client sdkgen generates on top of
// oapi-codegen's models and request builders. It is built from
// oapi-codegen's operation definitions (so every Go type in it is one the
// models declare) and the document, and rendered by the facade templates.

type apiIR struct {
	Package        string
	Title          string
	Version        string
	DocLines       []string
	DefaultBaseURL string
	Servers        []serverIR
	// The names of the declarations of the default server URL and of the
	// server list (DefaultBaseURL, Servers unless a schema took them).
	DefaultBaseURLName, ServersName string
	Services                        []*serviceIR
	Ops                             []*opIR // every operation, by Go name
	ErrorTypes                      []*errorTypeIR
	ResultTypes                     []*resultTypeIR
	Schemes                         []*schemeIR
	GenVersion                      int
	Diags                           openapi.Diagnostics // what building the facade found (pagination...)
	HasStreams                      bool                // some operation returns an event stream
	ClientName                      string              // "Client", unless the models took it
	NewClientName                   string
	SpecName                        string
}

type serverIR struct {
	URL         string
	Description string
	Variables   []serverVarIR
}

type serverVarIR struct {
	Name    string
	Default string
	Enum    []string
}

type serviceIR struct {
	Tag       string
	Field     string // field of the Client: "Pets"
	TypeName  string // "PetsService"
	Interface string // "PetsAPI"
	File      string // "service_pets.gen.go"
	DocLines  []string
	Ops       []*opIR
}

type opIR struct {
	ID           string // operationId as in the spec
	GoName       string
	Var          string // unexported *sdk.Operation variable
	Method       string
	MethodExpr   string // http.MethodGet, or a quoted custom method
	Path         string
	Service      *serviceIR
	DocLines     []string
	Deprecated   string // the Deprecated: paragraph, or ""
	Server       string
	Params       []argIR // method parameters after ctx, before opts
	Call         string  // the request builder call, with server as first argument
	OptBody      *argIR  // an optional body: nil means "send none"
	RawCall      string  // builder call used when OptBody is nil
	Result       resultIR
	Errors       []errorRefIR
	Idempotent   bool
	Security     string // Go literal of [][]string, or "" for nil
	Example      string // a call, for API.md
	Paging       *pagingIR
	PagedCall    string // the builder calls with the parameters copy p
	PagedRawCall string
	Form         *formIR             // the struct of a multipart/form-data body
	BodyNote     []string            // how the body is sent, for docs
	Diags        openapi.Diagnostics // what building the operation found
}

type argIR struct {
	Name string
	Type string
}

type resultKind string

const (
	resultNone   resultKind = "none"
	resultJSON   resultKind = "json"  // *T
	resultValue  resultKind = "value" // T (slices, maps, scalars)
	resultText   resultKind = "text"
	resultStream resultKind = "stream"
	resultMulti  resultKind = "multi"
	resultEvents resultKind = "events" // iter.Seq2[sdk.Event[T], error]
)

type resultIR struct {
	Kind     resultKind
	Type     string // the Go type decoded (json/value), or the multi struct
	Returns  string // "(*Pet, error)"
	Zero     string // zero value of the first result: "nil", `""`
	Cases    []resultCaseIR
	EmptyOK  []string // statuses without a body that still succeed (204 next to a 200 with one)
	DocNote  string
	ValueFor string // what a zero-body success returns, for docs
	// Events: the helper that reads the stream (sdk.JSONEvents[T],
	// sdk.TextEvents) and how the stream ends.
	Helper string
	Stream *streamIR
}

// streamIR is how an event stream ends, from sdkgen.yaml or
// x-sdkgen-stream.
type streamIR struct {
	Terminal     string
	TerminalData string
	Source       string
}

type resultCaseIR struct {
	Status string // "200", "2XX", "default"
	Field  string // field of the multi struct
	Kind   resultKind
	Type   string
}

type resultTypeIR struct {
	Name     string
	DocLines []string
	Decl     string // for anonymous body structs: the struct type
	Multi    []resultCaseIR
}

type errorRefIR struct {
	Status string
	Type   string
}

type errorTypeIR struct {
	Name     string
	BodyType string
	Source   string // what declared it, for docs
	UsedBy   []string
}

// symbols allocates Go names in the generated package, keeping clear of
// every name the models declare and every name allocated before.
type symbols struct {
	taken map[string]bool
}

// genVersion is the version of the code this generator emits: the sdk's
// GenVersion, which generated code asserts at compile time.
const genVersion = 2

func newSymbols(modelsSrc []byte) (*symbols, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "models.gen.go", modelsSrc, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	s := &symbols{taken: map[string]bool{}}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				s.taken[d.Name.Name] = true
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch sp := spec.(type) {
				case *ast.TypeSpec:
					s.taken[sp.Name.Name] = true
				case *ast.ValueSpec:
					for _, n := range sp.Names {
						s.taken[n.Name] = true
					}
				}
			}
		}
	}
	return s, nil
}

// claim returns the first free name among the candidates; past them, the
// last candidate with a number.
func (s *symbols) claim(candidates ...string) string {
	for _, c := range candidates {
		if c != "" && !s.taken[c] && !token.IsKeyword(c) {
			s.taken[c] = true
			return c
		}
	}
	base := candidates[len(candidates)-1]
	for i := 2; ; i++ {
		c := fmt.Sprintf("%s%d", base, i)
		if !s.taken[c] {
			s.taken[c] = true
			return c
		}
	}
}

// goName turns a spec name (tag, scheme) into an exported Go identifier the
// way oapi-codegen names schemas.
func goName(s string) string {
	n := codegen.SchemaNameToTypeName(s)
	if n == "" || !unicode.IsUpper([]rune(n)[0]) {
		n = "X" + n
	}
	return n
}

// buildFacade builds the facade IR. It must run under oapiMu, right after
// codegen.Generate on the same document: oapi-codegen's operation
// definitions read the global state that call set.
func buildFacade(t *openapi3.T, cfg Config, modelsSrc []byte, specIDs map[string]string) (*apiIR, error) {
	ops, err := codegen.OperationDefinitions(t)
	if err != nil {
		return nil, fmt.Errorf("reading operations: %w", err)
	}
	syms, err := newSymbols(modelsSrc)
	if err != nil {
		return nil, fmt.Errorf("reading the models: %w", err)
	}
	api := &apiIR{Package: cfg.Package, GenVersion: genVersion}
	if t.Info != nil {
		api.Title, api.Version = t.Info.Title, t.Info.Version
	}
	api.ClientName = syms.claim("Client", "APIClient")
	api.NewClientName = syms.claim("New"+api.ClientName, "New"+api.ClientName+"WithOptions")
	api.DocLines = packageDoc(cfg.Package, t)
	for _, srv := range t.Servers {
		api.Servers = append(api.Servers, serverOf(srv))
	}
	if len(api.Servers) > 0 {
		api.DefaultBaseURL = expandServer(t.Servers[0])
	}
	// A schema may already be called Servers or DefaultBaseURL.
	api.DefaultBaseURLName = syms.claim("DefaultBaseURL", "DefaultServerURL")
	api.ServersName = syms.claim("Servers", "ServerList")

	api.Schemes = buildSchemes(t, syms)

	// Services by tag: an operation goes to its first tag's service;
	// untagged operations to a default one.
	services := map[string]*serviceIR{}
	tagDocs := map[string]string{}
	for _, tg := range t.Tags {
		if tg != nil {
			tagDocs[tg.Name] = tg.Description
		}
	}
	errTypes := newErrorTypes(syms, maps.Clone(syms.taken))
	var opsIR []*opIR
	defs := map[*opIR]*codegen.OperationDefinition{}
	for i := range ops {
		od := &ops[i]
		if od.IsWebhook || od.Spec == nil {
			continue
		}
		tag := ""
		if len(od.Spec.Tags) > 0 {
			tag = od.Spec.Tags[0]
		}
		svc := services[tag]
		if svc == nil {
			svc = &serviceIR{Tag: tag}
			services[tag] = svc
		}
		op := &opIR{
			ID:     cmp.Or(specIDs[od.Method+" "+od.Path], od.OperationId),
			GoName: od.OperationId,
			Method: od.Method,
			Path:   od.Path,
		}
		op.Service = svc
		svc.Ops = append(svc.Ops, op)
		opsIR = append(opsIR, op)
		defs[op] = od
		if err := buildOperation(op, od, t, errTypes); err != nil {
			return nil, err
		}
	}
	// Name the services, stable whatever the order of operations.
	tags := make([]string, 0, len(services))
	for tag := range services {
		tags = append(tags, tag)
	}
	slices.Sort(tags)
	clientFields := map[string]bool{"Close": true, "SDK": true}
	files := map[string]bool{"client.gen.go": true, "models.gen.go": true}
	for _, tag := range tags {
		svc := services[tag]
		base := "Default"
		if tag != "" {
			base = goName(tag)
		}
		field := base
		for i := 2; clientFields[field]; i++ {
			field = fmt.Sprintf("%s%d", base, i)
		}
		clientFields[field] = true
		svc.Field = field
		svc.TypeName = syms.claim(field+"Service", field+"Operations")
		svc.Interface = syms.claim(field+"API", field+"ServiceAPI")
		stem := "service_" + fileStem(field)
		svc.File = stem + ".gen.go"
		for i := 2; files[svc.File]; i++ {
			svc.File = fmt.Sprintf("%s_%d.gen.go", stem, i)
		}
		files[svc.File] = true
		if tag == "" {
			svc.DocLines = []string{fmt.Sprintf("%s holds the operations that have no tag.", svc.TypeName)}
		} else {
			svc.DocLines = []string{fmt.Sprintf("%s holds the operations tagged %q.", svc.TypeName, tag)}
			if d := tagDocs[tag]; d != "" {
				svc.DocLines = append(svc.DocLines, "")
				svc.DocLines = append(svc.DocLines, commentLines(d)...)
			}
		}
		slices.SortFunc(svc.Ops, func(a, b *opIR) int { return cmp.Compare(a.GoName, b.GoName) })
		api.Services = append(api.Services, svc)
	}
	slices.SortFunc(api.Services, func(a, b *serviceIR) int { return cmp.Compare(a.Field, b.Field) })
	slices.SortFunc(opsIR, func(a, b *opIR) int { return cmp.Compare(a.GoName, b.GoName) })
	for _, op := range opsIR {
		op.Var = syms.claim("op"+op.GoName, "operation"+op.GoName)
	}
	nameForms(opsIR, syms)
	api.Ops = opsIR
	// Result types and error types get their names once everything is known.
	for _, op := range opsIR {
		if err := nameResult(op, syms, api); err != nil {
			return nil, err
		}
	}
	api.ErrorTypes = errTypes.finish(opsIR)
	si, err := readStructs(modelsSrc)
	if err != nil {
		return nil, fmt.Errorf("reading the models: %w", err)
	}
	// The facade's own result types (anonymous bodies given a name) are
	// structs pagination may read too.
	var decls strings.Builder
	decls.WriteString("package p\n")
	for _, rt := range api.ResultTypes {
		if rt.Decl != "" {
			fmt.Fprintf(&decls, "type %s %s\n", rt.Name, rt.Decl)
		}
	}
	if extra, err := readStructs([]byte(decls.String())); err == nil {
		maps.Copy(si.fields, extra.fields)
	}
	for _, op := range opsIR {
		if oc, ok := cfg.Operations[op.ID]; ok && oc.Idempotent != nil {
			op.Idempotent = *oc.Idempotent
		}
		api.Diags = append(api.Diags, op.Diags...)
		api.HasStreams = api.HasStreams || op.Result.Kind == resultEvents
		api.Diags = append(api.Diags, streamEnd(op, defs[op].Spec, cfg)...)
		var d openapi.Diagnostics
		op.Paging, d = pagination(op, defs[op], cfg, si)
		api.Diags = append(api.Diags, d...)
		op.Example = exampleCall(op, cfg.Package, si)
	}
	return api, nil
}

func fileStem(field string) string {
	var b strings.Builder
	for i, r := range field {
		if unicode.IsUpper(r) && i > 0 {
			b.WriteByte('_')
		}
		if r > unicode.MaxASCII {
			// File names stay ASCII: look-alike letters (Cyrillic е
			// for Latin e) would make two files of one look, and file
			// systems normalize other letters differently.
			fmt.Fprintf(&b, "u%04x", unicode.ToLower(r))
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	stem := b.String()
	// The go command reads a file name ending in _<GOOS>, _<GOARCH> or
	// _test as a build constraint (service_chart_js.gen.go builds only
	// for GOOS=js): such a stem gets one more element.
	// (The stem follows "service_", so its last element is the file's.)
	if constraintSuffix[stem[strings.LastIndexByte(stem, '_')+1:]] {
		stem += "_service"
	}
	return stem
}

// constraintSuffix lists the file-name elements the go command reads as
// build constraints: the known GOOS and GOARCH values, and test.
var constraintSuffix = func() map[string]bool {
	m := map[string]bool{"test": true}
	for _, s := range strings.Fields(`aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd
		openbsd plan9 solaris wasip1 windows zos 386 amd64 amd64p32 arm armbe arm64 arm64be loong64 mips
		mipsle mips64 mips64le mips64p32 mips64p32le ppc ppc64 ppc64le riscv riscv64 s390 s390x sparc
		sparc64 wasm`) {
		m[s] = true
	}
	return m
}()

func packageDoc(pkg string, t *openapi3.T) []string {
	title := "the API"
	version := ""
	desc := ""
	if t.Info != nil {
		if t.Info.Title != "" {
			title = "the " + oneLine(t.Info.Title) + " API"
			if strings.HasSuffix(strings.ToLower(oneLine(t.Info.Title)), " api") {
				title = "the " + oneLine(t.Info.Title)
			}
		}
		if t.Info.Version != "" {
			version = fmt.Sprintf(" (version %s)", oneLine(t.Info.Version))
		}
		desc = t.Info.Description
	}
	lines := []string{fmt.Sprintf("Package %s is a client for %s%s, generated by sdkgen.", pkg, title, version)}
	if desc != "" {
		lines = append(lines, "")
		lines = append(lines, commentLines(desc)...)
	}
	return lines
}

func serverOf(s *openapi3.Server) serverIR {
	out := serverIR{URL: s.URL, Description: oneLine(s.Description)}
	names := make([]string, 0, len(s.Variables))
	for n := range s.Variables {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		v := s.Variables[n]
		if v == nil {
			continue
		}
		out.Variables = append(out.Variables, serverVarIR{Name: n, Default: v.Default, Enum: v.Enum})
	}
	return out
}

// expandServer returns a server's URL with its variables set to their
// defaults.
func expandServer(s *openapi3.Server) string {
	u := s.URL
	for n, v := range s.Variables {
		if v != nil {
			u = strings.ReplaceAll(u, "{"+n+"}", v.Default)
		}
	}
	return u
}

// opServer returns the first server of an operation, or of its path, with
// defaults applied; "" when neither declares one.
func opServer(t *openapi3.T, od *codegen.OperationDefinition) string {
	if od.Spec.Servers != nil && len(*od.Spec.Servers) > 0 {
		return expandServer((*od.Spec.Servers)[0])
	}
	if t.Paths != nil {
		if item := t.Paths.Value(od.Path); item != nil && len(item.Servers) > 0 {
			return expandServer(item.Servers[0])
		}
	}
	return ""
}

// reservedArgs are names the generated method bodies use.
var reservedArgs = map[string]bool{
	"ctx": true, "opts": true, "params": true, "body": true, "s": true, "sdk": true, "http": true,
	"context": true, "io": true, "err": true, "resp": true, "req": true, "server": true, "contentType": true, "reader": true,
	"v": true, "out": true, "url": true, "json": true, "strings": true, "fmt": true, "iter": true,
}

func argName(goVar string, used map[string]bool) string {
	n := goVar
	if n == "" {
		n = "arg"
	}
	r := []rune(n)
	r[0] = unicode.ToLower(r[0])
	n = string(r)
	if reservedArgs[n] || token.IsKeyword(n) || codegen.IsPredeclaredGoIdentifier(n) || used[n] {
		n += "Param"
	}
	for i := 2; used[n]; i++ {
		n = fmt.Sprintf("%sParam%d", strings.TrimSuffix(n, "Param"), i)
	}
	used[n] = true
	return n
}

// bodyPreference orders request content types: JSON, then form, text,
// multipart, anything else.
func bodyPreference(b codegen.RequestBodyDefinition) int {
	switch {
	case b.ContentType == "application/json":
		return 0
	case b.IsJSON():
		return 1
	case b.NameTag == "Formdata":
		return 2
	case b.NameTag == "Text":
		return 3
	case strings.HasPrefix(b.ContentType, "multipart/"):
		return 4
	}
	return 5
}

func buildOperation(op *opIR, od *codegen.OperationDefinition, t *openapi3.T, errTypes *errorTypes) error {
	spec := od.Spec
	op.MethodExpr = methodExpr(od.Method)
	op.Server = opServer(t, od)
	op.Idempotent = isTrue(spec.Extensions["x-sdkgen-idempotent"])
	op.Security = securityLiteral(t, spec)

	// Documentation: summary, description, where it goes, deprecation.
	if sm := oneLine(spec.Summary); sm != "" {
		op.DocLines = append(op.DocLines, fmt.Sprintf("%s: %s", op.GoName, strings.TrimSuffix(sm, ".")+"."))
	} else {
		op.DocLines = append(op.DocLines, fmt.Sprintf("%s calls the %s operation.", op.GoName, op.ID))
	}
	if d := spec.Description; d != "" && strings.TrimSpace(d) != strings.TrimSpace(spec.Summary) {
		op.DocLines = append(op.DocLines, "")
		op.DocLines = append(op.DocLines, commentLines(d)...)
	}
	op.DocLines = append(op.DocLines, "", fmt.Sprintf("Operation %s: %s %s.", oneLine(op.ID), od.Method, oneLine(od.Path)))
	if spec.Deprecated {
		reason := "the spec marks this operation deprecated."
		if r, ok := spec.Extensions["x-deprecated-reason"].(string); ok && r != "" {
			reason = oneLine(r)
		}
		op.Deprecated = "Deprecated: " + reason
	}

	// Arguments: path parameters in path order, the parameters object, the
	// body. The builder call passes them on in oapi-codegen's order.
	used := map[string]bool{}
	callArgs := []string{"server"}
	for _, p := range od.PathParams {
		name := argName(p.GoVariableName(), used)
		op.Params = append(op.Params, argIR{Name: name, Type: p.TypeDef()})
		callArgs = append(callArgs, name)
	}
	if od.RequiresParamObject() {
		op.Params = append(op.Params, argIR{Name: "params", Type: "*" + od.OperationId + "Params"})
		callArgs = append(callArgs, "params")
	}
	builder := "New" + od.OperationId + "Request"
	if od.HasBody() && len(od.Bodies) == 0 {
		// A request body with no media type: oapi-codegen generates only
		// the raw builder, so the caller gives the bytes and their type.
		op.Params = append(op.Params, argIR{Name: "body", Type: "io.Reader"}, argIR{Name: "contentType", Type: "string"})
		op.Call = fmt.Sprintf("%sWithBody(%s, contentType, body)", builder, strings.Join(callArgs, ", "))
	} else if od.HasBody() {
		bodies := slices.Clone(od.Bodies)
		sort.SliceStable(bodies, func(i, j int) bool { return bodyPreference(bodies[i]) < bodyPreference(bodies[j]) })
		b := bodies[0]
		rawArgs := append(slices.Clone(callArgs), `""`, "http.NoBody")
		if b.IsSupportedByClient() {
			typ := od.OperationId + b.NameTag + "RequestBody"
			if b.Required {
				op.Params = append(op.Params, argIR{Name: "body", Type: typ})
				op.Call = fmt.Sprintf("%s%s(%s, body)", builder, b.Suffix(), strings.Join(callArgs, ", "))
			} else {
				op.Params = append(op.Params, argIR{Name: "body", Type: "*" + typ})
				op.OptBody = &argIR{Name: "body", Type: typ}
				op.Call = fmt.Sprintf("%s%s(%s, *body)", builder, b.Suffix(), strings.Join(callArgs, ", "))
				op.RawCall = fmt.Sprintf("%sWithBody(%s)", builder, strings.Join(rawArgs, ", "))
			}
		} else if form, err := multipartForm(b, t, spec); err != nil {
			return fmt.Errorf("operation %s: %w", op.ID, err)
		} else if form != nil {
			// A form: a struct of its fields and files, named once every
			// operation is known (see nameForms).
			op.Form = form
			if b.Required {
				op.Params = append(op.Params, argIR{Name: "body"})
			} else {
				op.Params = append(op.Params, argIR{Name: "body"})
				op.OptBody = &argIR{Name: "body"}
				op.RawCall = fmt.Sprintf("%sWithBody(%s)", builder, strings.Join(rawArgs, ", "))
			}
			op.Call = formCall(form, builder, callArgs)
			op.BodyNote = formBodyNote
		} else {
			// Raw bodies (binary, XML, multipart without properties): the
			// caller supplies the bytes, streamed; a content type the spec
			// fixes is passed for them.
			op.Params = append(op.Params, argIR{Name: "body", Type: "io.Reader"})
			ct := strconv.Quote(b.ContentType)
			if !b.IsFixedContentType() || strings.HasPrefix(b.ContentType, "multipart/") {
				op.Params = append(op.Params, argIR{Name: "contentType", Type: "string"})
				ct = "contentType"
			}
			op.Call = streamCall(builder, callArgs, ct)
			op.BodyNote = streamBodyNote
		}
	} else {
		op.Call = fmt.Sprintf("%s(%s)", builder, strings.Join(callArgs, ", "))
	}
	if od.RequiresParamObject() {
		// The pager's builder passes its copy p of the parameters.
		paged := func(call string) string {
			return strings.Replace(call, ", params", ", p", 1)
		}
		op.PagedCall, op.PagedRawCall = paged(op.Call), paged(op.RawCall)
	}
	return buildResponses(op, od, errTypes)
}

func methodExpr(m string) string {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
		http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodConnect:
		return "http.Method" + m[:1] + strings.ToLower(m[1:])
	}
	return strconv.Quote(m)
}

func isTrue(v any) bool {
	b, ok := v.(bool)
	return ok && b
}

// securityLiteral renders the operation's effective security requirements
// as a Go [][]string literal, or "" when neither it nor the document says.
func securityLiteral(t *openapi3.T, spec *openapi3.Operation) string {
	var reqs openapi3.SecurityRequirements
	switch {
	case spec.Security != nil:
		reqs = *spec.Security
	case t.Security != nil:
		reqs = t.Security
	default:
		return ""
	}
	alts := make([]string, 0, len(reqs))
	for _, r := range reqs {
		names := make([]string, 0, len(r))
		for n := range r {
			names = append(names, strconv.Quote(n))
		}
		slices.Sort(names)
		alts = append(alts, "{"+strings.Join(names, ", ")+"}")
	}
	return "[][]string{" + strings.Join(alts, ", ") + "}"
}

// success reports whether a response key is a success status.
func success(code string) bool {
	if code == "2XX" || code == "2xx" {
		return true
	}
	n, err := strconv.Atoi(code)
	return err == nil && n >= 200 && n <= 299
}

// pickContent chooses how to read a response: JSON first, then an event
// stream, then text, then anything else as a stream.
func pickContent(rd codegen.ResponseDefinition) (resultKind, *codegen.ResponseContentDefinition) {
	if len(rd.Contents) == 0 {
		return resultNone, nil
	}
	best := -1
	kind := resultStream
	for i := range rd.Contents {
		c := &rd.Contents[i]
		switch {
		case c.IsJSON() && (best < 0 || kind != resultJSON || c.ContentType == "application/json"):
			best, kind = i, resultJSON
		case kind != resultJSON && isEventStream(c.ContentType):
			best, kind = i, resultEvents
		case kind != resultJSON && kind != resultEvents && strings.HasPrefix(c.ContentType, "text/") && kind != resultText:
			best, kind = i, resultText
		case best < 0:
			best = i
		}
	}
	c := &rd.Contents[best]
	if kind == resultJSON && c.Schema.OAPISchema == nil && c.Schema.GoType == "" {
		kind = resultStream
	}
	return kind, c
}

func isEventStream(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "text/event-stream")
}

// jsonKind decides whether a JSON result is returned by pointer (objects)
// or by value (slices, maps, scalars).
func jsonKind(c *codegen.ResponseContentDefinition) resultKind {
	decl := c.Schema.TypeDecl()
	switch {
	case strings.HasPrefix(decl, "[]"), strings.HasPrefix(decl, "map["), decl == "interface{}", decl == "any",
		decl == "string", decl == "bool", decl == "int", decl == "int32", decl == "int64", decl == "float32",
		decl == "float64", decl == "json.RawMessage":
		return resultValue
	}
	if s := c.Schema.OAPISchema; s != nil && s.Type != nil {
		switch {
		case s.Type.Is("array"), s.Type.Is("string"), s.Type.Is("integer"), s.Type.Is("number"), s.Type.Is("boolean"):
			return resultValue
		case s.Type.Is("object") && len(s.Properties) == 0 && s.AdditionalProperties.Schema != nil && len(s.AllOf) == 0:
			return resultValue
		}
	}
	return resultJSON
}

type caseDraft struct {
	status string
	kind   resultKind
	typ    string // Go type; for anonymous structs the struct decl
	anon   bool
}

func buildResponses(op *opIR, od *codegen.OperationDefinition, errTypes *errorTypes) error {
	var cases []caseDraft
	var defaultResp *codegen.ResponseDefinition
	hasSuccess := false
	for i := range od.Responses {
		if success(od.Responses[i].StatusCode) {
			hasSuccess = true
		}
	}
	for i := range od.Responses {
		rd := od.Responses[i]
		isDefault := rd.StatusCode == "default"
		if isDefault {
			defaultResp = &od.Responses[i]
		}
		if success(rd.StatusCode) || (isDefault && !hasSuccess) {
			kind, c := pickContent(rd)
			d := caseDraft{status: rd.StatusCode, kind: kind}
			switch kind {
			case resultJSON:
				d.kind = jsonKind(c)
				d.typ = c.Schema.TypeDecl()
				d.anon = strings.HasPrefix(d.typ, "struct")
			case resultEvents:
				typ, degraded := eventType(od, rd.StatusCode, c.ContentType, op.GoName)
				d.typ, d.anon = typ, strings.HasPrefix(typ, "struct")
				if degraded != "" {
					op.Diags = append(op.Diags, openapi.Diagnostic{Code: CodeStream, Severity: openapi.SeverityWarning,
						Pointer: opPointer(op) + "/responses/" + escapePtr(rd.StatusCode) + "/content/" + escapePtr(c.ContentType) + "/schema",
						Message: fmt.Sprintf("%s: %s; events decode into json.RawMessage", op.ID, degraded)})
				}
			}
			cases = append(cases, d)
			if !isDefault {
				continue
			}
		}
		if success(rd.StatusCode) {
			continue
		}
		kind, c := pickContent(rd)
		if kind != resultJSON {
			continue
		}
		name := errTypes.typeFor(rd, c, op)
		op.Errors = append(op.Errors, errorRefIR{Status: rd.StatusCode, Type: name})
	}
	_ = defaultResp
	op.Result = resultIR{Kind: resultNone, Returns: "error"}
	if len(cases) == 0 {
		return nil
	}
	// Distinct shapes among the success cases; bodiless ones fit any shape.
	var shapes []caseDraft
	var empty []string
	for _, c := range cases {
		if c.kind == resultNone {
			empty = append(empty, c.status)
			continue
		}
		if !slices.ContainsFunc(shapes, func(s caseDraft) bool { return s.kind == c.kind && s.typ == c.typ }) {
			shapes = append(shapes, c)
		}
	}
	if len(shapes) > 1 {
		// An event stream beside other shapes is read as a plain body.
		for i := range cases {
			if cases[i].kind == resultEvents {
				cases[i].kind, cases[i].typ, cases[i].anon = resultStream, "", false
			}
		}
	}
	switch len(shapes) {
	case 0:
		return nil
	case 1:
		s := shapes[0]
		op.Result = resultIR{Kind: s.kind, Type: s.typ, EmptyOK: empty}
		if s.anon {
			op.Result.Type = "" // named later
			op.Result.Cases = []resultCaseIR{{Kind: s.kind, Type: s.typ}}
		}
	default:
		op.Result = resultIR{Kind: resultMulti}
		for _, c := range cases {
			op.Result.Cases = append(op.Result.Cases, resultCaseIR{Status: c.status, Kind: c.kind, Type: c.typ})
		}
	}
	return nil
}

// nameResult declares the types results need (anonymous bodies, several
// shapes) and fills in the signature.
func nameResult(op *opIR, syms *symbols, api *apiIR) error {
	r := &op.Result
	switch {
	case r.Kind == resultMulti:
		name := syms.claim(op.GoName+"Response", op.GoName+"Result")
		rt := &resultTypeIR{Name: name, DocLines: []string{
			fmt.Sprintf("%s is the result of %s; which field is set depends on the status.", name, op.GoName),
		}}
		for i := range r.Cases {
			c := &r.Cases[i]
			switch c.Kind {
			case resultNone:
				continue
			case resultJSON, resultValue:
				c.Field = "JSON" + statusSuffix(c.Status)
			case resultText:
				c.Field = "Text" + statusSuffix(c.Status)
			case resultStream:
				c.Field = "Body" + statusSuffix(c.Status)
			}
			rt.Multi = append(rt.Multi, *c)
		}
		r.Type = name
		api.ResultTypes = append(api.ResultTypes, rt)
	case len(r.Cases) == 1 && r.Type == "" && r.Kind == resultEvents:
		// An anonymous object as the data of events.
		name := syms.claim(op.GoName+"Event", op.GoName+"EventData")
		api.ResultTypes = append(api.ResultTypes, &resultTypeIR{Name: name, Decl: r.Cases[0].Type,
			DocLines: []string{fmt.Sprintf("%s is the data of the events %s yields.", name, op.GoName)}})
		r.Type = name
		r.Cases = nil
	case len(r.Cases) == 1 && r.Type == "":
		// An anonymous object: give it a name.
		name := syms.claim(op.GoName+"Response", op.GoName+"Result")
		api.ResultTypes = append(api.ResultTypes, &resultTypeIR{Name: name, Decl: r.Cases[0].Type,
			DocLines: []string{fmt.Sprintf("%s is the body %s returns.", name, op.GoName)}})
		r.Type = name
		r.Cases = nil
	}
	switch r.Kind {
	case resultNone:
		r.Returns, r.Zero = "error", ""
	case resultJSON, resultMulti:
		r.Returns, r.Zero = fmt.Sprintf("(*%s, error)", r.Type), "nil"
	case resultValue:
		r.Returns, r.Zero = fmt.Sprintf("(%s, error)", r.Type), zeroOf(r.Type)
	case resultText:
		r.Returns, r.Zero = "(string, error)", `""`
	case resultStream:
		r.Returns, r.Zero = "(io.ReadCloser, error)", "nil"
	case resultEvents:
		r.Returns, r.Zero = fmt.Sprintf("iter.Seq2[sdk.Event[%s], error]", r.Type), ""
		r.Helper = "sdk.TextEvents"
		if r.Type != "string" {
			r.Helper = fmt.Sprintf("sdk.JSONEvents[%s]", r.Type)
		}
		r.EmptyOK = nil // a 204 ends a stream cleanly
	}
	if len(r.EmptyOK) > 0 && r.Kind != resultNone {
		r.DocNote = fmt.Sprintf("A %s response, which has no body, gives %s and a nil error.", strings.Join(r.EmptyOK, " or "), zeroDoc(r))
	}
	if r.Kind == resultStream {
		r.DocNote = "The caller must close the returned body."
	}
	return nil
}

// statusSuffix writes a response key for a Go name: "404", "4XX",
// "Default".
func statusSuffix(code string) string {
	if code == "default" {
		return "Default"
	}
	return strings.ToUpper(code)
}

func zeroOf(typ string) string {
	switch {
	case strings.HasPrefix(typ, "[]"), strings.HasPrefix(typ, "map["), typ == "interface{}", typ == "any", typ == "json.RawMessage":
		return "nil"
	case typ == "string":
		return `""`
	case typ == "bool":
		return "false"
	case strings.HasPrefix(typ, "int"), strings.HasPrefix(typ, "uint"), strings.HasPrefix(typ, "float"):
		return "0"
	}
	return "*new(" + typ + ")"
}

func zeroDoc(r *resultIR) string {
	switch r.Zero {
	case "nil":
		return "nil"
	case `""`:
		return "an empty string"
	}
	return "the zero value"
}

// errorTypes allocates the Go types of declared error bodies: one per
// component schema (shared by every operation that declares it), one per
// component response with an inline schema, else one per operation and
// status.
type errorTypes struct {
	syms   *symbols
	models map[string]bool // the names the models declare
	byKey  map[string]*errorTypeIR
	refs   map[*opIR][]errorRefDraft
	keys   []string
}

type errorRefDraft struct {
	idx int
	key string
}

func newErrorTypes(syms *symbols, models map[string]bool) *errorTypes {
	return &errorTypes{syms: syms, models: models, byKey: map[string]*errorTypeIR{}, refs: map[*opIR][]errorRefDraft{}}
}

var goIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// typeFor registers the error type of a declared error response and returns
// a placeholder; finish names them all at once.
func (e *errorTypes) typeFor(rd codegen.ResponseDefinition, c *codegen.ResponseContentDefinition, op *opIR) string {
	var key, base, body, source string
	decl := c.Schema.TypeDecl()
	switch {
	case goIdent.MatchString(decl) && e.models[decl]:
		// A model type: shared by every operation that declares it.
		key, base, body = "schema:"+decl, decl, decl
		source = "the " + decl + " schema"
	case rd.Ref != "":
		// A component response with an inline schema (rd.Ref is its Go
		// name, "BadRequestResponse").
		name := strings.TrimSuffix(rd.Ref, "Response")
		key, base, body = "response:"+rd.Ref, name, decl
		source = "the " + name + " response"
	default:
		key, base, body = "op:"+op.GoName+":"+rd.StatusCode, op.GoName+statusSuffix(rd.StatusCode), c.Schema.TypeDecl()
		source = fmt.Sprintf("the %s response of %s", rd.StatusCode, op.GoName)
	}
	et := e.byKey[key]
	if et == nil {
		et = &errorTypeIR{Name: base, BodyType: body, Source: source}
		e.byKey[key] = et
		e.keys = append(e.keys, key)
	}
	e.refs[op] = append(e.refs[op], errorRefDraft{idx: len(op.Errors), key: key})
	return "" // filled in by finish
}

// finish names the error types (schema-based first, so they keep the plain
// name when a response-based one would want it too) and fills in the
// operations' references.
func (e *errorTypes) finish(ops []*opIR) []*errorTypeIR {
	keys := slices.Clone(e.keys)
	rank := func(k string) int {
		switch {
		case strings.HasPrefix(k, "schema:"):
			return 0
		case strings.HasPrefix(k, "response:"):
			return 1
		}
		return 2
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a, b)) })
	var out []*errorTypeIR
	for _, k := range keys {
		et := e.byKey[k]
		et.Name = e.syms.claim(et.Name+"Error", et.Name+"ErrorBody", et.Name+"APIError")
		out = append(out, et)
	}
	for _, op := range ops {
		for _, r := range e.refs[op] {
			et := e.byKey[r.key]
			op.Errors[r.idx].Type = et.Name
			used := fmt.Sprintf("%s (%s)", op.GoName, op.Errors[r.idx].Status)
			if !slices.Contains(et.UsedBy, used) {
				et.UsedBy = append(et.UsedBy, used)
			}
		}
	}
	slices.SortFunc(out, func(a, b *errorTypeIR) int { return cmp.Compare(a.Name, b.Name) })
	for _, et := range out {
		slices.Sort(et.UsedBy)
	}
	return out
}

// exampleCall writes a call of op with zero-valued arguments, for API.md.
// si knows the models' types, so an argument whose type is an alias
// (type Username = string) or a defined non-struct type (type Kind string)
// gets a value that compiles.
func exampleCall(op *opIR, pkg string, si *structInfo) string {
	args := []string{"ctx"}
	for _, p := range op.Params {
		if op.Form != nil && p.Name == "body" {
			args = append(args, exampleForm(op.Form, p.Type, pkg))
			continue
		}
		args = append(args, exampleValue(p.Type, pkg, si, 0))
	}
	call := fmt.Sprintf("c.%s.%s(%s)", op.Service.Field, op.GoName, strings.Join(args, ", "))
	if op.Paging != nil {
		return fmt.Sprintf("for item, err := range %s.All() {\n\tif err != nil {\n\t\treturn err\n\t}\n\t_ = item // a %s\n}", call, op.Paging.ItemType)
	}
	switch op.Result.Kind {
	case resultNone:
		return "err := " + call
	case resultEvents:
		return fmt.Sprintf("for ev, err := range %s {\n\tif err != nil {\n\t\treturn err // a *sdk.StreamError once the stream has started\n\t}\n\t_ = ev.Data // a %s; ev.ID and ev.Type too\n}", call, op.Result.Type)
	case resultStream:
		return "body, err := " + call + "\n// ...\ndefer body.Close()"
	default:
		return "res, err := " + call
	}
}

func exampleValue(typ, pkg string, si *structInfo, depth int) string {
	// A model type that is an alias (type Username = string) or a defined
	// type that is not a struct (type Kind string) takes the value of the
	// type beneath: a literal for an alias, a conversion for a defined type.
	if si != nil && depth < 8 && len(typ) > 0 && unicode.IsUpper(rune(typ[0])) {
		end := si.resolve(typ)
		under, defined := si.defined[end]
		if !defined {
			under = end
		}
		if under != typ {
			switch v := exampleValue(under, pkg, si, depth+1); {
			case v == "nil":
				return v
			case strings.HasSuffix(v, "{}"): // a struct, an array, a type of another package
				return pkg + "." + typ + "{}"
			case defined:
				return pkg + "." + typ + "(" + v + ")"
			default:
				return v
			}
		}
	}
	switch {
	case strings.HasPrefix(typ, "*"):
		return "nil"
	case typ == "io.Reader":
		return `strings.NewReader("...")`
	case typ == "string":
		return `"id"`
	case typ == "bool":
		return "false"
	case strings.HasPrefix(typ, "int"), strings.HasPrefix(typ, "uint"), strings.HasPrefix(typ, "float"):
		return "1"
	case strings.HasPrefix(typ, "[]"), strings.HasPrefix(typ, "map["):
		return "nil"
	case typ == "any" || strings.HasPrefix(typ, "interface{"):
		return "nil"
	case len(typ) > 0 && unicode.IsUpper(rune(typ[0])):
		return pkg + "." + typ + "{}"
	}
	return typ + "{}"
}

// commentLines turns spec prose into comment lines: one per line of text,
// control characters removed, trailing blanks dropped. Every line becomes a
// comment whatever it holds: a line reading "//go:generate ..." or
// "package x" stays prose.
func commentLines(s string) []string {
	s = gotext.Prose(strings.ReplaceAll(s, "\r\n", "\n"))
	var out []string
	for _, l := range strings.Split(s, "\n") {
		out = append(out, strings.TrimRightFunc(cleanText(l), unicode.IsSpace))
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	for len(out) > 0 && out[0] == "" {
		out = out[1:]
	}
	return out
}

// cleanText drops control characters (a tab becomes a space) and every rune
// gotext.Unsafe names: what is left can sit in a comment line or a string.
func cleanText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case unicode.IsControl(r), gotext.Unsafe(r):
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
}

// oneLine flattens text to one line, cleaned: safe inside a comment line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(cleanText(strings.ReplaceAll(gotext.Prose(s), "\n", " "))), " ")
}
