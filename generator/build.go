package generator

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"

	"github.com/sdkgen-go/sdkgen/generator/ir"
	"github.com/sdkgen-go/sdkgen/internal/gotext"
	"github.com/sdkgen-go/sdkgen/openapi"
)

// Building the IR. The names come from the naming pass (decided before
// oapi-codegen ran); the Go types of parameters, bodies and results come
// from oapi-codegen's model of the operations, read once after its single
// run, so every type the facade names is one the models declare. The
// result is plain data (package ir) that the facade's templates print.

// genVersion is the version of the code this generator emits: sdkimpl's
// GenVersion, which generated code asserts at compile time.
const genVersion = 3

// builder builds the IR of one generation.
type builder struct {
	t    *openapi3.T
	cfg  Config
	nm   *naming
	fn   *facadeNames
	api  *ir.API
	errs map[string]*ir.ErrorType
	// pending are the result types of anonymous bodies, declared once
	// every operation is known.
	diags openapi.Diagnostics
	// opDiags are the diagnostics of each operation, in operation order.
	ops map[*ir.Operation]*opState
}

// opState is what building an operation keeps for later steps.
type opState struct {
	od *codegen.OperationDefinition
	on *opName
	// queries are the query parameters' fields, by name in the spec,
	// read from oapi-codegen's model while its state holds.
	queries map[string]*ir.ParamField
}

// query returns the field of a query parameter, or nil.
func (st *opState) query(name string) *ir.ParamField { return st.queries[name] }

// buildAPI builds the IR from oapi-codegen's operation definitions. It
// runs under oapiMu, right after codegen.Generate: the definitions' types
// read the global state that call set.
func buildAPI(t *openapi3.T, cfg Config, nm *naming, fn *facadeNames, defs []codegen.OperationDefinition) (*builder, error) {
	b := &builder{t: t, cfg: cfg, nm: nm, fn: fn, errs: map[string]*ir.ErrorType{}, ops: map[*ir.Operation]*opState{}}
	api := &ir.API{
		Package: cfg.Package, GenVersion: genVersion,
		ClientName: fn.client, NewClientName: fn.newClient, DefaultBaseURLName: fn.defaultBaseURL, ServersName: fn.servers,
	}
	b.api = api
	if t.Info != nil {
		api.Title, api.Version = t.Info.Title, t.Info.Version
	}
	api.DocLines = packageDoc(cfg.Package, t)
	for _, srv := range t.Servers {
		if srv != nil {
			api.Servers = append(api.Servers, serverOf(srv))
		}
	}
	if len(t.Servers) > 0 && t.Servers[0] != nil {
		api.DefaultBaseURL = expandServer(t.Servers[0])
	}
	api.Schemes = b.schemes()
	root := &ir.Package{Name: cfg.Package, Root: true}
	api.Packages = []*ir.Package{root}
	pkgs := map[string]*ir.Package{"": root}
	for _, sn := range fn.services {
		if sn.dir != "" && pkgs[sn.dir] == nil {
			pkgs[sn.dir] = &ir.Package{Name: sn.pkg, Dir: sn.dir}
		}
	}
	if len(pkgs) > 1 {
		pkgs["models"] = &ir.Package{Name: "models", Dir: "models", Models: true}
		for _, dir := range slices.Sorted(maps.Keys(pkgs)) {
			if dir != "" {
				api.Packages = append(api.Packages, pkgs[dir])
			}
		}
		api.ImportPath = strings.TrimSuffix(cfg.ImportPath, "/")
	}

	byStem := map[string]*opName{}
	for _, o := range nm.ops {
		byStem[o.stem] = o
	}
	services := map[string]*ir.Service{}
	for _, tag := range slices.Sorted(maps.Keys(fn.services)) {
		sn := fn.services[tag]
		pkg := pkgs[sn.dir]
		svc := &ir.Service{Tag: tag, Field: sn.field, TypeName: sn.typeName, Interface: sn.iface, File: sn.file, Package: pkg}
		if tag == "" {
			svc.DocLines = []string{fmt.Sprintf("%s holds the operations that have no tag.", svc.TypeName)}
		} else {
			svc.DocLines = []string{fmt.Sprintf("%s holds the operations tagged %q.", svc.TypeName, tag)}
			if d := tagDescription(t, tag); d != "" {
				svc.DocLines = append(svc.DocLines, "")
				svc.DocLines = append(svc.DocLines, commentLines(d)...)
			}
		}
		services[tag] = svc
		api.Services = append(api.Services, svc)
		pkg.Services = append(pkg.Services, svc)
	}
	for i := range defs {
		od := &defs[i]
		on := byStem[od.OperationId]
		if od.IsWebhook || od.Spec == nil || on == nil || !on.inPaths {
			continue
		}
		svc := services[opTag(on, len(pkgs) > 1)]
		op := &ir.Operation{
			ID: cmp.Or(on.specID, od.OperationId), Stem: on.stem, Name: fn.method[on], Var: fn.opVar[on],
			Method: od.Method, Path: od.Path, Service: svc,
		}
		st := &opState{od: od, on: on, queries: map[string]*ir.ParamField{}}
		for _, q := range od.QueryParams {
			st.queries[q.ParamName] = &ir.ParamField{Field: q.GoName(), Type: q.TypeDef(), Pointer: q.HasOptionalPointer()}
		}
		b.ops[op] = st
		if err := b.operation(op, od, on); err != nil {
			return nil, err
		}
		svc.Ops = append(svc.Ops, op)
		api.Ops = append(api.Ops, op)
	}
	for _, svc := range api.Services {
		slices.SortFunc(svc.Ops, func(a, b *ir.Operation) int { return cmp.Compare(a.Name, b.Name) })
	}
	slices.SortFunc(api.Services, func(a, b *ir.Service) int { return cmp.Compare(a.Field, b.Field) })
	slices.SortFunc(api.Ops, func(a, b *ir.Operation) int { return cmp.Compare(a.Stem, b.Stem) })
	for _, op := range api.Ops {
		b.nameResult(op)
		if oc, ok := cfg.Operations[op.ID]; ok && oc.Idempotent != nil {
			op.Idempotent = *oc.Idempotent
		}
		api.HasStreams = api.HasStreams || op.Result.Kind == ir.ResultEvents
		b.diags = append(b.diags, streamEnd(op, b.ops[op].od.Spec, cfg)...)
	}
	for _, k := range slices.Sorted(maps.Keys(b.errs)) {
		et := b.errs[k]
		slices.Sort(et.UsedBy)
		et.UsedBy = slices.Compact(et.UsedBy)
		api.ErrorTypes = append(api.ErrorTypes, et)
	}
	slices.SortFunc(api.ErrorTypes, func(a, b *ir.ErrorType) int { return cmp.Compare(a.Name, b.Name) })
	return b, nil
}

func tagDescription(t *openapi3.T, tag string) string {
	for _, tg := range t.Tags {
		if tg != nil && tg.Name == tag {
			return tg.Description
		}
	}
	return ""
}

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

func serverOf(s *openapi3.Server) ir.Server {
	out := ir.Server{URL: s.URL, Description: oneLine(s.Description)}
	for _, n := range slices.Sorted(maps.Keys(s.Variables)) {
		v := s.Variables[n]
		if v == nil {
			continue
		}
		out.Variables = append(out.Variables, ir.ServerVar{Name: n, Default: v.Default, Enum: v.Enum})
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
	"v": true, "out": true, "url": true, "json": true, "strings": true, "fmt": true, "iter": true, "p": true,
	"page": true, "pos": true, "cursor": true, "start": true, "it": true,
}

func argName(goVar string, used map[string]bool) string {
	n := goVar
	if n == "" {
		n = "arg"
	}
	r := []rune(n)
	r[0] = unicode.ToLower(r[0])
	n = string(r)
	if reservedArgs[n] || codegen.IsGoKeyword(n) || codegen.IsPredeclaredGoIdentifier(n) || used[n] {
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

// operation fills in an operation from oapi-codegen's definition of it.
func (b *builder) operation(op *ir.Operation, od *codegen.OperationDefinition, on *opName) error {
	spec := od.Spec
	op.Server = opServer(b.t, od)
	op.Idempotent = isTrue(spec.Extensions["x-sdkgen-idempotent"])
	op.Security = securityOf(b.t, spec)

	// Documentation: summary, description, where it goes, deprecation.
	if sm := oneLine(spec.Summary); sm != "" {
		op.DocLines = append(op.DocLines, fmt.Sprintf("%s: %s", op.Name, strings.TrimSuffix(sm, ".")+"."))
	} else {
		op.DocLines = append(op.DocLines, fmt.Sprintf("%s calls the %s operation.", op.Name, oneLine(op.ID)))
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
	// body.
	used := map[string]bool{}
	req := &op.Request
	req.Builder = "new" + od.OperationId + "Request"
	for _, p := range od.PathParams {
		name := argName(p.GoVariableName(), used)
		op.Args = append(op.Args, ir.Arg{Name: name, Type: p.TypeDef(), Kind: ir.ArgPath})
		req.PathArgs = append(req.PathArgs, name)
	}
	if od.RequiresParamObject() {
		op.Args = append(op.Args, ir.Arg{Name: "params", Type: "*" + od.OperationId + "Params", Kind: ir.ArgParams})
		req.Params = true
	}
	raw := "new" + od.OperationId + "RequestWithBody"
	switch {
	case od.HasBody() && len(od.Bodies) == 0:
		// A request body with no media type: oapi-codegen generates only
		// the raw builder, so the caller gives the bytes and their type.
		op.Args = append(op.Args, ir.Arg{Name: "body", Type: "io.Reader", Kind: ir.ArgBody}, ir.Arg{Name: "contentType", Type: "string", Kind: ir.ArgContentType})
		req.Kind, req.Builder = ir.RequestAnyBody, raw
	case od.HasBody():
		bodies := slices.Clone(od.Bodies)
		sort.SliceStable(bodies, func(i, j int) bool { return bodyPreference(bodies[i]) < bodyPreference(bodies[j]) })
		bd := bodies[0]
		switch form, err := multipartForm(bd, b.t, spec); {
		case bd.IsSupportedByClient():
			typ := od.OperationId + bd.NameTag + "RequestBody"
			req.Builder += bd.Suffix()
			if bd.Required {
				op.Args = append(op.Args, ir.Arg{Name: "body", Type: typ, Kind: ir.ArgBody})
				req.Kind = ir.RequestBody
			} else {
				op.Args = append(op.Args, ir.Arg{Name: "body", Type: "*" + typ, Kind: ir.ArgBody})
				req.Kind, req.RawBuilder = ir.RequestOptBody, raw
			}
		case err != nil:
			return fmt.Errorf("operation %s: %w", op.ID, err)
		case form != nil:
			// A form: a struct of its fields and files.
			form.Name = b.fn.form[on]
			form.DocLines = []string{fmt.Sprintf("%s is the multipart/form-data body of %s.", form.Name, op.Name)}
			op.Form = form
			req.Builder = raw
			if bd.Required {
				op.Args = append(op.Args, ir.Arg{Name: "body", Type: form.Name, Kind: ir.ArgBody})
				req.Kind = ir.RequestForm
			} else {
				op.Args = append(op.Args, ir.Arg{Name: "body", Type: "*" + form.Name, Kind: ir.ArgBody})
				req.Kind, req.RawBuilder = ir.RequestOptForm, raw
			}
			op.BodyNote = formBodyNote
		default:
			// Raw bodies (binary, XML, multipart without properties): the
			// caller supplies the bytes, streamed; a content type the spec
			// fixes is passed for them.
			op.Args = append(op.Args, ir.Arg{Name: "body", Type: "io.Reader", Kind: ir.ArgBody})
			req.Kind, req.Builder = ir.RequestStream, raw
			if bd.IsFixedContentType() && bd.ContentType != "" && !strings.HasPrefix(bd.ContentType, "multipart/") {
				req.ContentType = bd.ContentType
			} else {
				op.Args = append(op.Args, ir.Arg{Name: "contentType", Type: "string", Kind: ir.ArgContentType})
			}
			op.BodyNote = streamBodyNote
		}
	default:
		req.Kind = ir.RequestPlain
	}
	return b.responses(op, od, on)
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

// securityOf returns the operation's effective security requirements, or
// nil when neither it nor the document says.
func securityOf(t *openapi3.T, spec *openapi3.Operation) [][]string {
	var reqs openapi3.SecurityRequirements
	switch {
	case spec.Security != nil:
		reqs = *spec.Security
	case t.Security != nil:
		reqs = t.Security
	default:
		return nil
	}
	alts := make([][]string, 0, len(reqs))
	for _, r := range reqs {
		alts = append(alts, slices.Sorted(maps.Keys(r)))
	}
	return alts
}

// responseBodyType is the Go type of a response's body: for an inline
// schema of a components/responses entry, the type oapi-codegen declares
// for that response (type BadRequest struct{…}) rather than a struct
// literal.
func (b *builder) responseBodyType(r *openapi3.ResponseRef, c *codegen.ResponseContentDefinition) string {
	decl := c.Schema.TypeDecl()
	if !strings.HasPrefix(decl, "struct") || r == nil || b.t.Components == nil {
		return decl
	}
	key, ok := strings.CutPrefix(r.Ref, "#/components/responses/")
	if !ok {
		return decl
	}
	comp := b.t.Components.Responses[key]
	if comp == nil || comp.Value == nil {
		return decl
	}
	if name, ok := comp.Value.Extensions["x-go-name"].(string); ok && name != "" {
		return name + jsonSuffix(comp.Value.Content, c.ContentType)
	}
	return decl
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
func pickContent(rd codegen.ResponseDefinition) (ir.ResultKind, *codegen.ResponseContentDefinition) {
	if len(rd.Contents) == 0 {
		return ir.ResultNone, nil
	}
	best := -1
	kind := ir.ResultStream
	for i := range rd.Contents {
		c := &rd.Contents[i]
		switch {
		case c.IsJSON() && (best < 0 || kind != ir.ResultJSON || c.ContentType == "application/json"):
			best, kind = i, ir.ResultJSON
		case kind != ir.ResultJSON && isEventStream(c.ContentType):
			best, kind = i, ir.ResultEvents
		case kind != ir.ResultJSON && kind != ir.ResultEvents && strings.HasPrefix(c.ContentType, "text/") && kind != ir.ResultText:
			best, kind = i, ir.ResultText
		case best < 0:
			best = i
		}
	}
	c := &rd.Contents[best]
	if kind == ir.ResultJSON && c.Schema.OAPISchema == nil && c.Schema.GoType == "" {
		kind = ir.ResultStream
	}
	return kind, c
}

func isEventStream(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "text/event-stream")
}

// jsonKind decides whether a JSON result is returned by pointer (objects)
// or by value (slices, maps, scalars).
func jsonKind(c *codegen.ResponseContentDefinition) ir.ResultKind {
	decl := c.Schema.TypeDecl()
	switch {
	case strings.HasPrefix(decl, "[]"), strings.HasPrefix(decl, "map["), decl == "interface{}", decl == "any",
		decl == "string", decl == "bool", decl == "int", decl == "int32", decl == "int64", decl == "float32",
		decl == "float64", decl == "json.RawMessage":
		return ir.ResultValue
	}
	if s := c.Schema.OAPISchema; s != nil && s.Type != nil {
		switch {
		case s.Type.Is("array"), s.Type.Is("string"), s.Type.Is("integer"), s.Type.Is("number"), s.Type.Is("boolean"):
			return ir.ResultValue
		case s.Type.Is("object") && len(s.Properties) == 0 && s.AdditionalProperties.Schema != nil && len(s.AllOf) == 0:
			return ir.ResultValue
		}
	}
	return ir.ResultJSON
}

type caseDraft struct {
	status string
	kind   ir.ResultKind
	typ    string // Go type; for anonymous structs the struct decl
	anon   bool
}

// responses reads the operation's result and declared errors.
func (b *builder) responses(op *ir.Operation, od *codegen.OperationDefinition, on *opName) error {
	var cases []caseDraft
	hasSuccess := false
	for i := range od.Responses {
		if success(od.Responses[i].StatusCode) {
			hasSuccess = true
		}
	}
	schemaKey := func(ref string) string {
		k, ok := strings.CutPrefix(ref, "#/components/schemas/")
		if !ok || b.nm.schemaType[k] == "" {
			return ""
		}
		return k
	}
	for i := range od.Responses {
		rd := od.Responses[i]
		isDefault := rd.StatusCode == "default"
		if success(rd.StatusCode) || (isDefault && !hasSuccess) {
			kind, c := pickContent(rd)
			d := caseDraft{status: rd.StatusCode, kind: kind}
			switch kind {
			case ir.ResultJSON:
				d.kind = jsonKind(c)
				d.typ = c.Schema.TypeDecl()
				d.anon = strings.HasPrefix(d.typ, "struct")
			case ir.ResultEvents:
				typ, degraded := eventType(od, rd.StatusCode, c.ContentType, on.stem)
				d.typ, d.anon = typ, strings.HasPrefix(typ, "struct")
				if degraded != "" {
					b.diags = append(b.diags, openapi.Diagnostic{Code: CodeStream, Severity: openapi.SeverityWarning,
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
		if kind != ir.ResultJSON {
			continue
		}
		key, _ := errorKey(on, rd.StatusCode, on.op.Responses.Value(rd.StatusCode), schemaKey)
		name := b.fn.errorType[key]
		if key == "" || name == "" {
			continue
		}
		et := b.errs[key]
		if et == nil {
			et = &ir.ErrorType{Name: name, BodyType: b.responseBodyType(on.op.Responses.Value(rd.StatusCode), c), Package: b.api.Packages[0]}
			switch {
			case strings.HasPrefix(key, "schema:"):
				et.Source = "the " + c.Schema.TypeDecl() + " schema"
			case strings.HasPrefix(key, "response:"):
				et.Source = "the " + oneLine(strings.TrimPrefix(key, "response:")) + " response"
			default:
				et.Source = fmt.Sprintf("the %s response of %s", rd.StatusCode, op.Stem)
			}
			b.errs[key] = et
		}
		et.UsedBy = append(et.UsedBy, fmt.Sprintf("%s.%s (%s)", op.Service.Field, op.Name, rd.StatusCode))
		op.Errors = append(op.Errors, ir.ErrorRef{Status: rd.StatusCode, Type: et})
	}
	op.Result = ir.Result{Kind: ir.ResultNone}
	if len(cases) == 0 {
		return nil
	}
	// Distinct shapes among the success cases; bodiless ones fit any shape.
	var shapes []caseDraft
	var empty []string
	for _, c := range cases {
		if c.kind == ir.ResultNone {
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
			if cases[i].kind == ir.ResultEvents {
				cases[i].kind, cases[i].typ, cases[i].anon = ir.ResultStream, "", false
			}
		}
	}
	switch len(shapes) {
	case 0:
	case 1:
		s := shapes[0]
		op.Result = ir.Result{Kind: s.kind, Type: s.typ, EmptyOK: empty}
		if s.anon {
			op.Result.Type = "" // named by nameResult
			op.Result.Cases = []ir.ResultCase{{Kind: s.kind, Type: s.typ}}
		}
	default:
		op.Result = ir.Result{Kind: ir.ResultMulti}
		for _, c := range cases {
			op.Result.Cases = append(op.Result.Cases, ir.ResultCase{Status: c.status, Kind: c.kind, Type: c.typ})
		}
	}
	return nil
}

// nameResult declares the types results need (anonymous bodies, several
// shapes), under the names the naming pass kept for them.
func (b *builder) nameResult(op *ir.Operation) {
	r := &op.Result
	on := b.ops[op].on
	switch {
	case r.Kind == ir.ResultMulti:
		name := b.fn.response[on]
		rt := &ir.ResultType{Name: name, Package: op.Service.Package, DocLines: []string{
			fmt.Sprintf("%s is the result of %s; which field is set depends on the status.", name, op.Name),
		}}
		for i := range r.Cases {
			c := &r.Cases[i]
			switch c.Kind {
			case ir.ResultNone:
				continue
			case ir.ResultJSON, ir.ResultValue:
				c.Field = "JSON" + statusSuffix(c.Status)
			case ir.ResultText:
				c.Field = "Text" + statusSuffix(c.Status)
			case ir.ResultStream:
				c.Field = "Body" + statusSuffix(c.Status)
			}
			rt.Multi = append(rt.Multi, *c)
		}
		r.Type = name
		b.api.ResultTypes = append(b.api.ResultTypes, rt)
	case len(r.Cases) == 1 && r.Type == "" && r.Kind == ir.ResultEvents:
		// An anonymous object as the data of events.
		name := b.fn.event[on]
		b.api.ResultTypes = append(b.api.ResultTypes, &ir.ResultType{Name: name, Decl: r.Cases[0].Type, Package: op.Service.Package,
			DocLines: []string{fmt.Sprintf("%s is the data of the events %s yields.", name, op.Name)}})
		r.Type = name
		r.Cases = nil
	case len(r.Cases) == 1 && r.Type == "":
		// An anonymous object: give it a name.
		name := b.fn.response[on]
		b.api.ResultTypes = append(b.api.ResultTypes, &ir.ResultType{Name: name, Decl: r.Cases[0].Type, Package: op.Service.Package,
			DocLines: []string{fmt.Sprintf("%s is the body %s returns.", name, op.Name)}})
		r.Type = name
		r.Cases = nil
	}
	if r.Kind == ir.ResultEvents {
		r.EmptyOK = nil // a 204 ends a stream cleanly
	}
	if len(r.EmptyOK) > 0 && r.Kind != ir.ResultNone {
		r.DocNote = fmt.Sprintf("A %s response, which has no body, gives %s and a nil error.", strings.Join(r.EmptyOK, " or "), zeroDoc(*r))
	}
	if r.Kind == ir.ResultStream {
		r.DocNote = "The caller must close the returned body."
	}
}

// statusSuffix writes a response key for a Go name: "404", "4XX",
// "Default".
func statusSuffix(code string) string {
	if code == "default" {
		return "Default"
	}
	return strings.ToUpper(code)
}

// zeroOf is the Go expression of the zero value of a result's type.
func zeroOf(r ir.Result) string {
	switch r.Kind {
	case ir.ResultNone, ir.ResultEvents:
		return ""
	case ir.ResultJSON, ir.ResultMulti, ir.ResultStream:
		return "nil"
	case ir.ResultText:
		return `""`
	}
	typ := r.Type
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

func zeroDoc(r ir.Result) string {
	switch zeroOf(r) {
	case "nil":
		return "nil"
	case `""`:
		return "an empty string"
	}
	return "the zero value"
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

func escapePtr(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// opPointer is the JSON pointer of an operation.
func opPointer(op *ir.Operation) string {
	return "/paths/" + escapePtr(op.Path) + "/" + strings.ToLower(op.Method)
}
