package graphql

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	_ "github.com/vektah/gqlparser/v2/validator/rules" // the standard validation rules

	"github.com/sdkgen-go/sdkgen/openapi"
)

// maxInputSize caps each schema and operation file: GitHub's schema, among
// the largest public ones, is 1.3 MB of SDL and 10 MB of introspection
// JSON.
const maxInputSize = 64 << 20

// expand resolves globs (a path without glob characters is itself).
func expand(patterns []string) ([]string, error) {
	var out []string
	for _, p := range patterns {
		if !strings.ContainsAny(p, "*?[") {
			out = append(out, p)
			continue
		}
		m, err := filepath.Glob(p)
		if err != nil {
			return nil, fmt.Errorf("bad glob %q: %v", p, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("%s matches no file", p)
		}
		out = append(out, m...)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func readFile(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if fi.Size() > maxInputSize {
		return "", fmt.Errorf("larger than %d MiB", maxInputSize>>20)
	}
	data, err := os.ReadFile(path)
	return string(data), err
}

// schemaSources reads the schema's files as SDL sources; introspection
// results are converted to SDL (named after their file, with ".graphql"
// appended, so positions in them are in the converted text).
func schemaSources(files []string) ([]*ast.Source, openapi.Diagnostics) {
	var srcs []*ast.Source
	var diags openapi.Diagnostics
	for _, f := range files {
		text, err := readFile(f)
		if err != nil {
			diags = append(diags, diag(CodeInput, f, 0, 0, "cannot read schema: %v", err))
			continue
		}
		if strings.EqualFold(filepath.Ext(f), ".json") {
			sdl, err := IntrospectionToSDL([]byte(text))
			if err != nil {
				diags = append(diags, diag(CodeSchema, f, 0, 0, "%v", err))
				continue
			}
			srcs = append(srcs, &ast.Source{Name: f + ".graphql", Input: sdl})
			continue
		}
		srcs = append(srcs, &ast.Source{Name: f, Input: text})
	}
	return srcs, diags
}

// loadSchema parses and validates the schema, adding the built-in types
// when the files do not declare them (introspection-derived SDL often
// does).
func loadSchema(srcs []*ast.Source) (*ast.Schema, openapi.Diagnostics) {
	doc, err := parser.ParseSchemas(srcs...)
	if err != nil {
		return nil, gqlDiagnostics(CodeSchema, err)
	}
	if !slices.ContainsFunc(doc.Definitions, func(d *ast.Definition) bool { return d.Name == "String" }) {
		prelude, err := parser.ParseSchema(validator.Prelude)
		if err != nil {
			return nil, gqlDiagnostics(CodeSchema, err)
		}
		doc.Merge(prelude)
	}
	schema, err := validator.ValidateSchemaDocument(doc)
	if err != nil {
		return nil, gqlDiagnostics(CodeSchema, err)
	}
	return schema, nil
}

// loadOperations parses every operation document and validates it against
// the schema.
func loadOperations(schema *ast.Schema, files []string) (*ast.QueryDocument, openapi.Diagnostics) {
	merged := &ast.QueryDocument{}
	var diags openapi.Diagnostics
	for _, f := range files {
		text, err := readFile(f)
		if err != nil {
			diags = append(diags, diag(CodeInput, f, 0, 0, "cannot read operations: %v", err))
			continue
		}
		switch strings.ToLower(filepath.Ext(f)) {
		case ".graphql", ".gql", ".graphqls":
		default:
			diags = append(diags, diag(CodeInput, f, 0, 0, "operation documents must be .graphql or .gql files"))
			continue
		}
		doc, err := parser.ParseQuery(&ast.Source{Name: f, Input: text})
		if err != nil {
			diags = append(diags, gqlDiagnostics(CodeOperation, err)...)
			continue
		}
		merged.Operations = append(merged.Operations, doc.Operations...)
		merged.Fragments = append(merged.Fragments, doc.Fragments...)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	if len(merged.Operations) == 0 {
		return nil, append(diags, diag(CodeOperation, strings.Join(files, ", "), 0, 0, "no operations found"))
	}
	if errs := validator.ValidateWithRules(schema, merged, nil); len(errs) > 0 {
		return nil, append(diags, gqlDiagnostics(CodeOperation, errs)...)
	}
	seen := map[string]*ast.OperationDefinition{}
	for _, op := range merged.Operations {
		switch {
		case op.Name == "":
			diags = append(diags, posDiag(CodeOperation, op.Position, "an operation needs a name: it names the generated method"))
		case goKeyword(op.Name) || !ast2Exported(op.Name):
			diags = append(diags, posDiag(CodeOperation, op.Position, "operation name %q must start with an upper-case letter (it names an exported method)", op.Name))
		case seen[op.Name] != nil:
			diags = append(diags, posDiag(CodeOperation, op.Position, "operation %q is declared twice (also at %s)", op.Name, posString(seen[op.Name].Position)))
		default:
			seen[op.Name] = op
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return merged, diags
}

func ast2Exported(name string) bool { return name != "" && name[0] >= 'A' && name[0] <= 'Z' }

func goKeyword(s string) bool {
	switch s {
	case "break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough", "for", "func",
		"go", "goto", "if", "import", "interface", "map", "package", "range", "return", "select", "struct", "switch", "type", "var":
		return true
	}
	return false
}

func posString(p *ast.Position) string {
	if p == nil || p.Src == nil {
		return "?"
	}
	return fmt.Sprintf("%s:%d:%d", p.Src.Name, p.Line, p.Column)
}

// Diagnostic codes of GraphQL generation.
const (
	CodeInput     = "graphql.input"     // a file cannot be read
	CodeSchema    = "graphql.schema"    // the schema does not parse or validate
	CodeOperation = "graphql.operation" // an operation does not parse or validate
	CodeGenqlient = "graphql.genqlient" // genqlient refused the input
	CodePager     = "graphql.pager"     // a Relay connection got no pager, or got one
	CodeGenerate  = "graphql.generate"  // the generated code is broken (a bug)
)

func diag(code, file string, line, col int, format string, args ...any) openapi.Diagnostic {
	return openapi.Diagnostic{Code: code, Severity: openapi.SeverityError, Message: fmt.Sprintf(format, args...),
		Pos: openapi.Position{File: file, Line: line, Column: col}}
}

func posDiag(code string, p *ast.Position, format string, args ...any) openapi.Diagnostic {
	d := diag(code, "", 0, 0, format, args...)
	if p != nil {
		d.Pos.Line, d.Pos.Column = p.Line, p.Column
		if p.Src != nil {
			d.Pos.File = p.Src.Name
		}
	}
	return d
}

// gqlDiagnostics turns gqlparser's errors (one, or a list) into located
// diagnostics.
func gqlDiagnostics(code string, err error) openapi.Diagnostics {
	var list gqlerror.List
	var one *gqlerror.Error
	switch {
	case errors.As(err, &list):
	case errors.As(err, &one):
		list = gqlerror.List{one}
	default:
		return openapi.Diagnostics{diag(code, "", 0, 0, "%v", err)}
	}
	var out openapi.Diagnostics
	for _, e := range list {
		file, _ := e.Extensions["file"].(string)
		d := diag(code, file, 0, 0, "%s", e.Message)
		if len(e.Locations) > 0 {
			d.Pos.Line, d.Pos.Column = e.Locations[0].Line, e.Locations[0].Column
		}
		if e.Rule != "" {
			d.Fix = "GraphQL validation rule " + e.Rule
		}
		out = append(out, d)
	}
	return out
}

// IntrospectionToSDL converts the result of GraphQL's introspection query
// (the JSON {"data": {"__schema": ...}}, or {"__schema": ...}) into schema
// definition language, so a schema known only by introspection generates
// as its SDL would.
func IntrospectionToSDL(data []byte) (string, error) {
	var doc struct {
		Data *struct {
			Schema *iSchema `json:"__schema"`
		} `json:"data"`
		Schema *iSchema `json:"__schema"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return "", fmt.Errorf("not an introspection result: %v", err)
	}
	s := doc.Schema
	if s == nil && doc.Data != nil {
		s = doc.Data.Schema
	}
	if s == nil {
		return "", errors.New(`not an introspection result: no "__schema" member`)
	}
	var b strings.Builder
	root := func(t *iTypeRef) string {
		if t == nil || t.Name == nil {
			return ""
		}
		return *t.Name
	}
	q, m, sub := root(s.QueryType), root(s.MutationType), root(s.SubscriptionType)
	if q != "" && q != "Query" || m != "" && m != "Mutation" || sub != "" && sub != "Subscription" {
		b.WriteString("schema {\n")
		for _, r := range [][2]string{{"query", q}, {"mutation", m}, {"subscription", sub}} {
			if r[1] != "" {
				fmt.Fprintf(&b, "  %s: %s\n", r[0], r[1])
			}
		}
		b.WriteString("}\n\n")
	}
	for _, d := range s.Directives {
		if builtinDirective[d.Name] {
			continue
		}
		description(&b, "", d.Description)
		fmt.Fprintf(&b, "directive @%s%s", d.Name, args(d.Args, ""))
		if d.IsRepeatable {
			b.WriteString(" repeatable")
		}
		fmt.Fprintf(&b, " on %s\n\n", strings.Join(d.Locations, " | "))
	}
	for _, t := range s.Types {
		if strings.HasPrefix(t.Name, "__") || builtinScalar[t.Name] {
			continue
		}
		description(&b, "", t.Description)
		switch t.Kind {
		case "SCALAR":
			fmt.Fprintf(&b, "scalar %s", t.Name)
			if t.SpecifiedByURL != nil {
				fmt.Fprintf(&b, " @specifiedBy(url: %s)", quote(*t.SpecifiedByURL))
			}
			b.WriteString("\n\n")
		case "OBJECT", "INTERFACE":
			kw := "type"
			if t.Kind == "INTERFACE" {
				kw = "interface"
			}
			fmt.Fprintf(&b, "%s %s", kw, t.Name)
			if len(t.Interfaces) > 0 {
				names := make([]string, len(t.Interfaces))
				for i, x := range t.Interfaces {
					names[i] = root(&x)
				}
				fmt.Fprintf(&b, " implements %s", strings.Join(names, " & "))
			}
			b.WriteString(" {\n")
			for _, f := range t.Fields {
				description(&b, "  ", f.Description)
				fmt.Fprintf(&b, "  %s%s: %s%s\n", f.Name, args(f.Args, "  "), f.Type.String(), deprecated(f.IsDeprecated, f.DeprecationReason))
			}
			b.WriteString("}\n\n")
		case "UNION":
			names := make([]string, len(t.PossibleTypes))
			for i, x := range t.PossibleTypes {
				names[i] = root(&x)
			}
			fmt.Fprintf(&b, "union %s = %s\n\n", t.Name, strings.Join(names, " | "))
		case "ENUM":
			fmt.Fprintf(&b, "enum %s {\n", t.Name)
			for _, v := range t.EnumValues {
				description(&b, "  ", v.Description)
				fmt.Fprintf(&b, "  %s%s\n", v.Name, deprecated(v.IsDeprecated, v.DeprecationReason))
			}
			b.WriteString("}\n\n")
		case "INPUT_OBJECT":
			fmt.Fprintf(&b, "input %s {\n", t.Name)
			for _, f := range t.InputFields {
				description(&b, "  ", f.Description)
				fmt.Fprintf(&b, "  %s\n", inputValue(f))
			}
			b.WriteString("}\n\n")
		default:
			return "", fmt.Errorf("type %s has unknown kind %q", t.Name, t.Kind)
		}
	}
	return b.String(), nil
}

var builtinScalar = map[string]bool{"String": true, "Int": true, "Float": true, "Boolean": true, "ID": true}

var builtinDirective = map[string]bool{"include": true, "skip": true, "deprecated": true, "specifiedBy": true, "oneOf": true, "defer": true, "stream": true}

type iSchema struct {
	QueryType        *iTypeRef    `json:"queryType"`
	MutationType     *iTypeRef    `json:"mutationType"`
	SubscriptionType *iTypeRef    `json:"subscriptionType"`
	Types            []iType      `json:"types"`
	Directives       []iDirective `json:"directives"`
}

type iType struct {
	Kind           string        `json:"kind"`
	Name           string        `json:"name"`
	Description    *string       `json:"description"`
	SpecifiedByURL *string       `json:"specifiedByURL"`
	Fields         []iField      `json:"fields"`
	InputFields    []iInputValue `json:"inputFields"`
	Interfaces     []iTypeRef    `json:"interfaces"`
	EnumValues     []iEnumValue  `json:"enumValues"`
	PossibleTypes  []iTypeRef    `json:"possibleTypes"`
}

type iField struct {
	Name              string        `json:"name"`
	Description       *string       `json:"description"`
	Args              []iInputValue `json:"args"`
	Type              iTypeRef      `json:"type"`
	IsDeprecated      bool          `json:"isDeprecated"`
	DeprecationReason *string       `json:"deprecationReason"`
}

type iInputValue struct {
	Name         string   `json:"name"`
	Description  *string  `json:"description"`
	Type         iTypeRef `json:"type"`
	DefaultValue *string  `json:"defaultValue"`
}

type iEnumValue struct {
	Name              string  `json:"name"`
	Description       *string `json:"description"`
	IsDeprecated      bool    `json:"isDeprecated"`
	DeprecationReason *string `json:"deprecationReason"`
}

type iDirective struct {
	Name         string        `json:"name"`
	Description  *string       `json:"description"`
	Locations    []string      `json:"locations"`
	Args         []iInputValue `json:"args"`
	IsRepeatable bool          `json:"isRepeatable"`
}

type iTypeRef struct {
	Kind   string    `json:"kind"`
	Name   *string   `json:"name"`
	OfType *iTypeRef `json:"ofType"`
}

func (t *iTypeRef) String() string {
	switch {
	case t == nil:
		return "?"
	case t.Kind == "NON_NULL":
		return t.OfType.String() + "!"
	case t.Kind == "LIST":
		return "[" + t.OfType.String() + "]"
	case t.Name != nil:
		return *t.Name
	}
	return "?"
}

func inputValue(v iInputValue) string {
	s := v.Name + ": " + v.Type.String()
	if v.DefaultValue != nil {
		s += " = " + *v.DefaultValue
	}
	return s
}

func args(as []iInputValue, indent string) string {
	if len(as) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("(\n")
	for _, a := range as {
		description(&b, indent+"    ", a.Description)
		b.WriteString(indent + "    " + inputValue(a) + "\n")
	}
	b.WriteString(indent + ")")
	return b.String()
}

func deprecated(is bool, reason *string) string {
	if !is {
		return ""
	}
	if reason == nil {
		return " @deprecated"
	}
	return " @deprecated(reason: " + quote(*reason) + ")"
}

func description(b *strings.Builder, indent string, d *string) {
	if d == nil || *d == "" {
		return
	}
	b.WriteString(indent + quote(*d) + "\n")
}

// quote writes s as a GraphQL string literal (JSON's escapes are
// GraphQL's).
func quote(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}
