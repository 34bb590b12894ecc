package generator

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/sdkgen-go/sdkgen/generator/gonames"
)

// The facade's names, decided in the same table after the models' (the
// models keep their names; the facade's own types give way).

// facadeNames are the names of the facade's declarations.
type facadeNames struct {
	client, newClient, defaultBaseURL, servers string
	services                                   map[string]*serviceNames // by tag
	// per operation
	method, opVar, response, event, form map[*opName]string
	// errorType names the error type of a key (schema:<key>,
	// response:<key>, op:<stem>:<status>).
	errorType map[string]string
	// scheme names a security scheme's option; flow its flows'
	// functions (by scheme and flow kind).
	scheme map[string]string
	flow   map[string]string
}

type serviceNames struct {
	tag                          string
	field, typeName, iface, file string
	ops                          []*opName
	methods                      map[string]*opName
	// pkg and dir are the package of a split SDK the service is in.
	pkg, dir string
}

// nameFacade names the client, the services and their methods, and the
// types the facade declares. It runs after the models' names, so a model
// keeps Client and the facade's client becomes APIClient.
func (nm *naming) nameFacade(split bool) *facadeNames {
	fn := &facadeNames{
		services: map[string]*serviceNames{}, method: map[*opName]string{}, opVar: map[*opName]string{},
		response: map[*opName]string{}, event: map[*opName]string{}, form: map[*opName]string{},
		errorType: map[string]string{}, scheme: map[string]string{}, flow: map[string]string{},
	}
	s := nm.syms
	fn.client = s.claim("the client", "Client", "APIClient")
	fn.newClient = s.claim("the client's constructor", "New"+fn.client, "New"+fn.client+"WithOptions")
	fn.defaultBaseURL = s.claim("the default server", "DefaultBaseURL", "DefaultServerURL")
	fn.servers = s.claim("the server list", "Servers", "ServerList")

	// Services, by tag.
	for _, o := range nm.ops {
		if !o.inPaths {
			continue
		}
		tag := opTag(o, split)
		svc := fn.services[tag]
		if svc == nil {
			svc = &serviceNames{tag: tag, methods: map[string]*opName{}}
			fn.services[tag] = svc
		}
		svc.ops = append(svc.ops, o)
	}
	fields := map[string]bool{"Close": true, "SDK": true}
	files := map[string]bool{"client.gen.go": true, "models.gen.go": true}
	for _, tag := range slices.Sorted(maps.Keys(fn.services)) {
		svc := fn.services[tag]
		base := ""
		key := tag
		if tag == "" {
			key = "default"
		}
		if c := nm.configured("names.services."+key, nm.cfg.Names.Services[key]); c != "" {
			base = c
		} else if tag != "" {
			base = nm.rename("service", nm.goName(tag))
		}
		if base == "" {
			base = "Default"
		}
		field := base
		for i := 2; fields[field]; i++ {
			field = base + strconv.Itoa(i)
		}
		fields[field] = true
		svc.field = field
		svc.typeName = s.claim("the service of tag "+strconv.Quote(tag), gonames.JoinWords(field, "Service"), field+"Operations")
		svc.iface = s.claim("the interface of tag "+strconv.Quote(tag), gonames.JoinWords(field, "API"), field+"ServiceAPI")
		stem := "service_" + fileStem(field)
		svc.file = stem + ".gen.go"
		for i := 2; files[svc.file]; i++ {
			svc.file = stem + "_" + strconv.Itoa(i) + ".gen.go"
		}
		files[svc.file] = true
		nm.nameMethods(svc, fn)
	}
	if split {
		nm.packageLayout(fn)
	}
	// Per-operation declarations, in stem order.
	ops := slices.Clone(nm.ops)
	slices.SortFunc(ops, func(a, b *opName) int { return strings.Compare(a.stem, b.stem) })
	for _, o := range ops {
		if !o.inPaths {
			continue
		}
		fn.opVar[o] = s.claim("the operation "+o.stem, "op"+o.stem, "operation"+o.stem)
		fn.response[o] = s.claim("the result of "+o.stem, o.stem+"Response", o.stem+"Result")
		if hasEventStream(o.op) {
			fn.event[o] = s.claim("the events of "+o.stem, o.stem+"Event", o.stem+"EventData")
		}
		if hasMultipart(o.op) {
			fn.form[o] = s.claim("the form of "+o.stem, o.stem+"Form", o.stem+"FormData", o.stem+"MultipartForm")
		}
	}
	nm.nameErrors(fn, ops)
	nm.nameSchemes(fn)
	return fn
}

// opTag is the tag that decides an operation's service: its first. An
// untagged operation of a split SDK goes by the first segment of its path
// (/applications/{id} → applications), so that no package gathers them
// all.
func opTag(o *opName, split bool) string {
	if len(o.op.Tags) > 0 {
		return o.op.Tags[0]
	}
	if split {
		for _, seg := range strings.Split(o.path, "/") {
			if seg != "" && !strings.Contains(seg, "{") {
				return seg
			}
		}
	}
	return ""
}

// packageLayout gives each service of a split SDK its package: the tag's
// dotted segments as folders (users.calendar → users/calendar, package
// calendar), in lower case.
func (nm *naming) packageLayout(fn *facadeNames) {
	taken := map[string]bool{"models": true}
	for _, tag := range slices.Sorted(maps.Keys(fn.services)) {
		svc := fn.services[tag]
		var segs []string
		for _, seg := range strings.FieldsFunc(tag, func(r rune) bool { return r == '.' || r == '/' }) {
			if p := packageWord(seg); p != "" {
				segs = append(segs, p)
			}
		}
		if len(segs) == 0 {
			segs = []string{packageWord(svc.field)}
		}
		last := len(segs) - 1
		if reservedPackageNames[segs[last]] || segs[last] == nm.cfg.Package {
			segs[last] += "api"
		}
		dir := strings.Join(segs, "/")
		for i := 2; taken[dir]; i++ {
			segs[last] = strings.TrimRight(segs[last], "0123456789") + strconv.Itoa(i)
			dir = strings.Join(segs, "/")
		}
		taken[dir] = true
		svc.dir, svc.pkg = dir, segs[last]
	}
}

// packageWord makes a package name of a name: its letters and digits in
// lower case, ASCII only, starting with a letter.
func packageWord(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		}
	}
	w := b.String()
	if w != "" && unicode.IsDigit(rune(w[0])) {
		w = "n" + w
	}
	return w
}

// reservedPackageNames are names a split package must not take: Go's
// keywords and predeclared names, the packages generated code imports, and
// the names its functions use for variables.
var reservedPackageNames = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`break case chan const continue default defer else fallthrough for func go goto
		if import interface map package range return select struct switch type var
		bool byte error string rune int int8 int16 int32 int64 uint uint8 uint16 uint32 uint64 uintptr
		float32 float64 complex64 complex128 any true false nil iota append cap clear close complex copy
		delete imag len make max min new panic print println real recover
		sdk sdkauth http url json io strings fmt bytes time context iter runtime nullable openapi_types strconv
		models`) {
		m[w] = true
	}
	for w := range builderLocals {
		m[w] = true
	}
	for w := range reservedArgs {
		m[w] = true
	}
	return m
}()

// nameMethods names the methods of a service: the operationId in Go case,
// without the service's name in front (c.Repos.ListForUser, not
// c.Repos.ReposListForUser), unless two methods would then meet.
func (nm *naming) nameMethods(svc *serviceNames, fn *facadeNames) {
	slices.SortFunc(svc.ops, func(a, b *opName) int { return strings.Compare(a.stem, b.stem) })
	want := map[*opName]string{}
	count := map[string]int{}
	for _, o := range svc.ops {
		id := o.specID
		if c := nm.configured("names.methods."+id, nm.cfg.Names.Methods[id]); c != "" {
			want[o] = c
			count[c]++
			continue
		}
		full := nm.goName(id)
		if full == "" {
			full = o.stem
		}
		// The words the operation's name shares with its service's go:
		// c.Repos.ListForUser, not c.Repos.ReposListForUser. The rule looks
		// at the operation and its service alone, so adding operations
		// never renames another (unless two would then meet).
		short := gonames.TrimCommonWords(full, svc.field)
		want[o] = nm.rename("method", short)
		count[want[o]]++
	}
	for _, o := range svc.ops {
		name := want[o]
		if count[name] > 1 || name == "" {
			// Two operations would meet: each keeps its whole name.
			name = nm.rename("method", o.stem)
		}
		base := name
		for i := 2; svc.methods[name] != nil; i++ {
			name = base + strconv.Itoa(i)
		}
		svc.methods[name] = o
		fn.method[o] = name
	}
}

// errorKey says which error type a declared error response of an
// operation gets: one per component schema (shared by every operation that
// declares it), one per component response with an inline schema, else one
// per operation and status. "" when the response has no JSON body.
func errorKey(o *opName, status string, r *openapi3.ResponseRef, schemaKey func(ref string) string) (key, base string) {
	if r == nil || r.Value == nil {
		return "", ""
	}
	var m *openapi3.MediaType
	for _, mt := range slices.Sorted(maps.Keys(r.Value.Content)) {
		if isJSONMedia(mt) && (m == nil || mt == "application/json") {
			m = r.Value.Content[mt]
		}
	}
	if m == nil || m.Schema == nil {
		return "", ""
	}
	if m.Schema.Ref != "" {
		if k := schemaKey(m.Schema.Ref); k != "" {
			return "schema:" + k, ""
		}
	}
	if strings.HasPrefix(r.Ref, "#/components/responses/") {
		k := strings.TrimPrefix(r.Ref, "#/components/responses/")
		return "response:" + k, ""
	}
	return "op:" + o.stem + ":" + status, o.stem + statusSuffix(status)
}

// nameErrors names the error types: schema-based ones first, so they keep
// the plain name.
func (nm *naming) nameErrors(fn *facadeNames, ops []*opName) {
	keys := map[string]string{} // key → base
	schemaKey := func(ref string) string {
		k, ok := strings.CutPrefix(ref, "#/components/schemas/")
		if !ok || nm.schemaType[k] == "" {
			return ""
		}
		return k
	}
	for _, o := range ops {
		if !o.inPaths || o.op.Responses == nil {
			continue
		}
		for _, code := range slices.Sorted(maps.Keys(o.op.Responses.Map())) {
			if success(code) {
				continue
			}
			key, base := errorKey(o, code, o.op.Responses.Value(code), schemaKey)
			if key == "" {
				continue
			}
			switch {
			case strings.HasPrefix(key, "schema:"):
				base = nm.schemaType[strings.TrimPrefix(key, "schema:")]
			case strings.HasPrefix(key, "response:"):
				base = nm.goName(strings.TrimPrefix(key, "response:"))
			}
			keys[key] = base
		}
	}
	rank := func(k string) int {
		switch {
		case strings.HasPrefix(k, "schema:"):
			return 0
		case strings.HasPrefix(k, "response:"):
			return 1
		}
		return 2
	}
	sorted := slices.Collect(maps.Keys(keys))
	slices.SortFunc(sorted, func(a, b string) int {
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	for _, k := range sorted {
		fn.errorType[k] = nm.syms.claim("the error type of "+k, errorTypeCandidates(keys[k])...)
	}
}

// errorTypeCandidates names the error type of a body of type base:
// NotFound → NotFoundError; a name ending in Error (BasicError) →
// BasicErrorResponse (or APIBasicError), not BasicErrorError; a name with Error elsewhere
// (ErrorResponse) → ResponseError, not ErrorResponseError.
func errorTypeCandidates(base string) []string {
	words := gonames.Words(base)
	last := len(words) - 1
	switch {
	case last >= 0 && words[last] == "Error":
		return []string{base + "Response", "API" + base, base + "Body"}
	case slices.Contains(words, "Error"):
		i := slices.Index(words, "Error")
		moved := strings.Join(slices.Concat(words[:i], words[i+1:]), "") + "Error"
		return []string{moved, base + "Error", base + "APIError"}
	}
	return []string{base + "Error", base + "ErrorBody", base + "APIError"}
}

// nameSchemes names the option constructors of the security schemes and
// the configuration functions of their flows.
func (nm *naming) nameSchemes(fn *facadeNames) {
	c := nm.t.Components
	if c == nil {
		return
	}
	for _, n := range slices.Sorted(maps.Keys(c.SecuritySchemes)) {
		ref := c.SecuritySchemes[n]
		if ref == nil || ref.Value == nil {
			continue
		}
		g := nm.goName(n)
		if g == "" {
			g = "Scheme"
		}
		fn.scheme[n] = nm.syms.claim("the scheme "+strconv.Quote(n), "With"+g, "With"+g+"Auth")
		ss := ref.Value
		if ss.Flows != nil {
			if f := ss.Flows.ClientCredentials; f != nil && f.TokenURL != "" {
				fn.flow[n+"\x00clientCredentials"] = nm.syms.claim("a flow of "+n, g+"ClientCredentials", g+"ClientCredentialsConfig")
			}
			if f := ss.Flows.AuthorizationCode; f != nil && f.TokenURL != "" {
				fn.flow[n+"\x00authorizationCode"] = nm.syms.claim("a flow of "+n, g+"AuthorizationCode", g+"AuthorizationCodeConfig")
			}
		}
		if ss.Type == "openIdConnect" && ss.OpenIdConnectUrl != "" {
			fn.flow[n+"\x00openIdConnect"] = nm.syms.claim("a flow of "+n, g+"OpenIDConnect", g+"OpenIDConnectConfig")
		}
	}
}

func hasEventStream(op *openapi3.Operation) bool {
	if op.Responses == nil {
		return false
	}
	for _, r := range op.Responses.Map() {
		if r != nil && r.Value != nil {
			for mt := range r.Value.Content {
				if isEventStream(mt) {
					return true
				}
			}
		}
	}
	return false
}

func hasMultipart(op *openapi3.Operation) bool {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return false
	}
	for mt := range op.RequestBody.Value.Content {
		if strings.HasPrefix(mt, "multipart/form-data") {
			return true
		}
	}
	return false
}

// fileStem is a service's file-name stem: its words in lower case joined
// by underscores, with one more element when the last would read as a
// build constraint (service_chart_js.gen.go builds only for GOOS=js).
func fileStem(field string) string {
	stem := gonames.FileStem(field)
	if stem == "" {
		stem = "x"
	}
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
