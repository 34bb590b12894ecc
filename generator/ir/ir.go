// Package ir is the generator's intermediate representation of an SDK: plain
// data describing the client sdkgen generates on top of oapi-codegen's
// models and request builders — its packages, services, operations,
// arguments, bodies, results, declared errors, pagination, auth schemes,
// event streams, forms and servers.
//
// Every Go name in it is decided before any code is generated (the
// generator's symbol table), and no Go code travels in it: a request
// builder call is a Call (a function and its arguments), a pager reads
// fields through FieldPaths, and the templates print them. Go type
// expressions (Type fields) are the only Go source text it holds.
package ir

import "strconv"

// API is a whole generated SDK.
type API struct {
	// Package is the Go package name of the root package.
	Package string
	// Title and Version come from the spec's info object.
	Title, Version string
	// DocLines is the package doc comment, one entry per line.
	DocLines []string
	// GenVersion is the generated-code version the code asserts against
	// the sdk it links (sdkimpl.EnforceVersion).
	GenVersion int
	// Names of the root package's own declarations.
	ClientName, NewClientName, DefaultBaseURLName, ServersName string
	// DefaultBaseURL is the first server's URL with its variables at their
	// defaults, or "".
	DefaultBaseURL string
	Servers        []Server
	Schemes        []*Scheme
	// Services lists every service, sorted by Field.
	Services []*Service
	// Ops lists every operation, sorted by Stem.
	Ops []*Operation
	// ErrorTypes and ResultTypes are the facade's own types.
	ErrorTypes  []*ErrorType
	ResultTypes []*ResultType
	// Packages is the package layout: one entry (the root) unless the SDK
	// is split.
	Packages []*Package
	// ImportPath is the import path of the root package of a split SDK
	// (the others are under it); "" when it is not split.
	ImportPath string
	// HasStreams reports that some operation returns an event stream.
	HasStreams bool
}

// Package is one Go package of the generated SDK.
type Package struct {
	// Name is the package name; Dir its folder, relative to the output
	// folder ("" for the root).
	Name, Dir string
	// Root reports the root package (client, schemes, servers); Models the
	// package of the models several packages share.
	Root, Models bool
	// Services are the services the package declares.
	Services []*Service
	// Imports lists the folders (relative to the output folder) of the
	// other generated packages this package imports.
	Imports []string
}

// Server is a server of the spec.
type Server struct {
	URL         string
	Description string
	Variables   []ServerVar
}

// ServerVar is a variable of a server URL.
type ServerVar struct {
	Name    string
	Default string
	Enum    []string
}

// Service is the operations of one tag.
type Service struct {
	// Tag is the spec's tag, "" for untagged operations.
	Tag string
	// Field is the Client field holding it ("Pets"); TypeName its struct
	// type ("PetsService"); Interface its interface ("PetsAPI"); File the
	// file it is written to.
	Field, TypeName, Interface, File string
	// Package is the package that declares it.
	Package  *Package
	DocLines []string
	Ops      []*Operation
}

// Operation is one operation of the spec, a method of its service.
type Operation struct {
	// ID is the spec's operationId (or the one normalization gave it).
	ID string
	// Stem is the operation's name in the package namespace: the request
	// builders are New<Stem>Request..., the parameters <Stem>Params.
	Stem string
	// Name is the method's name in its service.
	Name string
	// Var is the package-level *sdk.Operation variable.
	Var string
	// Method is the HTTP method, Path the spec's path template.
	Method, Path string
	Service      *Service
	DocLines     []string
	// Deprecated is the "Deprecated: ..." paragraph, or "".
	Deprecated string
	// Server is the operation's own server URL (defaults applied), or "".
	Server     string
	Idempotent bool
	// Security is the effective security requirements: nil when neither
	// the operation nor the document declares any.
	Security [][]string
	// Args are the method's parameters after ctx and before opts.
	Args []Arg
	// Request is how the request is built.
	Request Request
	Result  Result
	Errors  []ErrorRef
	Paging  *Paging
	Form    *Form
	// BodyNote says how the body is sent, for the method's doc.
	BodyNote []string
}

// Arg is a parameter of a generated method.
type Arg struct {
	Name string
	Type string
	// Kind says what the argument is.
	Kind ArgKind
}

// ArgKind says what a method argument carries.
type ArgKind string

// The kinds of method arguments.
const (
	ArgPath        ArgKind = "path"         // a path parameter
	ArgParams      ArgKind = "params"       // the *<Stem>Params struct
	ArgBody        ArgKind = "body"         // the request body
	ArgContentType ArgKind = "content-type" // the media type of a raw body
)

// Request is how a method builds its request: a call of one of the request
// builders oapi-codegen generates, in one of several shapes.
type Request struct {
	Kind RequestKind
	// Builder is the function called: New<Stem>Request,
	// New<Stem>RequestWith<Tag>Body or New<Stem>RequestWithBody.
	Builder string
	// RawBuilder builds the request with no body when an optional body is
	// nil (New<Stem>RequestWithBody with "", http.NoBody); "" when the
	// body is required or absent.
	RawBuilder string
	// PathArgs are the names of the method arguments passed as path
	// parameters, in the builder's order.
	PathArgs []string
	// Params reports that the parameters struct is passed.
	Params bool
	// ContentType is the media type a raw body is sent with; "" when the
	// caller passes it (the contentType argument).
	ContentType string
}

// RequestKind is the shape of a request builder call.
type RequestKind string

// The shapes of request builder calls.
const (
	RequestPlain   RequestKind = "plain"    // Builder(server, path..., params)
	RequestBody    RequestKind = "body"     // Builder(server, path..., params, body): a typed body
	RequestOptBody RequestKind = "opt-body" // a typed body passed as a pointer; nil sends none
	RequestAnyBody RequestKind = "any-body" // a body without a media type: body and contentType arguments
	RequestStream  RequestKind = "stream"   // an io.Reader streamed by sdkimpl.StreamBody
	RequestForm    RequestKind = "form"     // a multipart form built by sdkimpl.Multipart
	RequestOptForm RequestKind = "opt-form" // an optional multipart form
)

// ResultKind is how a method returns its response.
type ResultKind string

// The kinds of results.
const (
	ResultNone   ResultKind = "none"   // error only
	ResultJSON   ResultKind = "json"   // *T
	ResultValue  ResultKind = "value"  // T: slices, maps, scalars
	ResultText   ResultKind = "text"   // string
	ResultStream ResultKind = "stream" // io.ReadCloser
	ResultMulti  ResultKind = "multi"  // *<Op>Response with a field per status
	ResultEvents ResultKind = "events" // iter.Seq2[sdk.Event[T], error]
)

// Result is what a method returns.
type Result struct {
	Kind ResultKind
	// Type is the Go type decoded (json, value, events) or the multi
	// struct.
	Type string
	// Cases are the statuses of a multi result.
	Cases []ResultCase
	// EmptyOK lists statuses without a body that still succeed (a 204 next
	// to a 200 with one).
	EmptyOK []string
	// DocNote is a sentence for the method's doc.
	DocNote string
	// Stream is how an event stream ends.
	Stream *Stream
}

// ResultCase is one status of a multi result.
type ResultCase struct {
	Status string // "200", "2XX", "default"
	Field  string // field of the multi struct
	Kind   ResultKind
	Type   string
}

// ResultType is a type the facade declares for results: a name for an
// anonymous body, or the struct of a multi result.
type ResultType struct {
	Name     string
	DocLines []string
	// Decl is the type's declaration (a struct type) for a named body; ""
	// for a multi struct, whose fields are Multi.
	Decl  string
	Multi []ResultCase
	// Package declares it.
	Package *Package
}

// Stream is how an event stream ends, from sdkgen.yaml or x-sdkgen-stream.
type Stream struct {
	Terminal     string
	TerminalData string
	Source       string
}

// ErrorRef is a declared error of an operation.
type ErrorRef struct {
	Status string
	Type   *ErrorType
}

// ErrorType is the Go type of a declared error body.
type ErrorType struct {
	Name string
	// BodyType is the Go type of the decoded body.
	BodyType string
	// Source says what declared it ("the Error schema").
	Source string
	// UsedBy lists "Method (status)" entries, for the doc comment.
	UsedBy  []string
	Package *Package
}

// Paging is how a paged method reads its pages: the pager it builds and
// the fields it reads.
type Paging struct {
	// Style is cursor, offset, page, link or next-url.
	Style string
	// Helper is the sdk pager constructor.
	Helper string
	// Source says where the pagination came from, for docs.
	Source   string
	ItemType string
	PageType string
	// Items reaches the page's items from the page; empty when the page
	// is the list itself.
	Items FieldPath
	// Param is the query parameter that takes the position (cursor,
	// offset, page number).
	Param *ParamField
	// Next reaches the next cursor or next URL from the page; NextInt
	// reports a cursor the spec declares an integer (0 ends the list).
	Next    FieldPath
	NextInt bool
	// Header is the response header holding the next cursor, when the
	// cursor comes in one.
	Header string
	// HasMore reaches a boolean "more pages" flag; Total a total item
	// count; TotalPages a page count.
	HasMore, Total, TotalPages FieldPath
	// More reaches a string (a next link or cursor) whose absence ends an
	// offset or page-number list.
	More FieldPath
	// LastItem reaches the cursor from the last item (Stripe's
	// starting_after), with LastItemInt when it is an integer.
	LastItem    FieldPath
	LastItemInt bool
	// Start is the first page's number (page style) or offset.
	Start int
}

// FieldPath is a path of struct fields from a value; empty when unused.
type FieldPath []FieldStep

// FieldStep is one field of a FieldPath.
type FieldStep struct {
	// Field is the Go field name.
	Field string
	// Pointer reports an optional field (*T), Nullable a
	// nullable.Nullable[T] one: both are read as their value or zero.
	Pointer, Nullable bool
}

// ParamField is a field of the parameters struct.
type ParamField struct {
	Field string
	// Type is its Go type (int, int64, string...).
	Type string
	// Pointer reports an optional parameter (*T).
	Pointer bool
	// Base is the type beneath Type, aliases and defined types followed
	// (string, int, int32, float64...).
	Base string
}

// Form is the struct of a multipart/form-data body.
type Form struct {
	Name     string
	DocLines []string
	Fields   []FormField
}

// FormFieldKind is how a form field is sent.
type FormFieldKind string

// The kinds of form fields.
const (
	FormValue FormFieldKind = "value" // a field, encoded by sdkimpl.Multipart.Field
	FormFile  FormFieldKind = "file"  // sdk.File or *sdk.File
	FormFiles FormFieldKind = "files" // []sdk.File
)

// FormField is a field of a Form.
type FormField struct {
	Name        string // Go field
	Part        string // form field name
	Type        string
	Kind        FormFieldKind
	Required    bool
	ContentType string // the part's media type the spec gives a file, or ""
	DocLines    []string
}

// Scheme is a security scheme: an option constructor of the root package.
type Scheme struct {
	Name      string // in the spec
	Option    string // generated option constructor
	Kind      string // apiKey, bearer, basic, token
	In        string // header, query, cookie (apiKey)
	ParamName string
	DocLines  []string
	// Flows are the OAuth2 flows the SDK can run; OIDC an OpenID Connect
	// scheme's discovery.
	Flows []*Flow
	OIDC  *Flow
}

// Flow is a generated configuration function for one OAuth2 flow or an
// OpenID Connect scheme.
type Flow struct {
	Func         string
	Kind         string // clientCredentials, authorizationCode, openIdConnect
	TokenURL     string
	AuthURL      string
	DiscoveryURL string
	Scopes       []Scope
}

// Scope is an OAuth2 scope.
type Scope struct{ Name, Description string }

// ScopeArg is the first scope as a Go argument (`, "read:pets"`), for
// examples in doc comments.
func (f *Flow) ScopeArg() string {
	if len(f.Scopes) == 0 {
		return ""
	}
	return ", " + strconv.Quote(f.Scopes[0].Name)
}
