package generator

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"unicode"

	"github.com/sdkgen-go/sdkgen/generator/ir"
	"github.com/sdkgen-go/sdkgen/internal/gotext"
	"github.com/sdkgen-go/sdkgen/internal/parallel"
)

//go:embed templates/facade/*.tmpl
var facadeFS embed.FS

// facadeFuncs are the facade templates' functions. The example function
// is replaced per rendering (see renderFacade).
var facadeFuncs = template.FuncMap{
	"header":           func() string { return Header },
	"comment":          comment,
	"quote":            strconv.Quote,
	"oneline":          oneLine,
	"inName":           inName,
	"inConst":          inConst,
	"opDoc":            opDoc,
	"signature":        signature,
	"fieldType":        fieldType,
	"multiCases":       multiCases,
	"caseCond":         caseCond,
	"md":               mdText,
	"mdCode":           mdCode,
	"anchor":           anchor,
	"summary":          summary,
	"schemeSends":      schemeSends,
	"flowName":         flowName,
	"methodExpr":       methodExpr,
	"securityLit":      securityLit,
	"securityDeclared": securityDeclared,
	"call":             callExpr,
	"rawCall":          rawCallExpr,
	"zero":             zeroOf,
	"fieldExpr":        fieldExpr,
	"setParam":         setParam,
	"startFromParams":  startFromParams,
	"cursorNext":       cursorNext,
	"pagerMore":        pagerMore,
	"usedBy":           usedBy,
	"example":          func(*ir.Operation) string { return "" },
}

var facadeTemplates = template.Must(template.New("facade").Funcs(facadeFuncs).ParseFS(facadeFS, "templates/facade/*.tmpl"))

// mdText makes spec text safe inside one line of Markdown: one line, no
// HTML, no table breaks.
func mdText(s string) string {
	r := strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "`", "'")
	return r.Replace(oneLine(s))
}

// mdCode makes text safe inside a code span of a table.
func mdCode(s string) string {
	return strings.NewReplacer("|", `\|`, "`", "'").Replace(oneLine(s))
}

// anchor is the GitHub anchor of an operation's heading.
func anchor(op *ir.Operation) string {
	return strings.ToLower(op.Service.Field + op.Name)
}

// summary is the first paragraph of an operation's documentation, for
// API.md.
func summary(op *ir.Operation) string {
	var lines []string
	for _, l := range op.DocLines[1:] {
		if l == "" && len(lines) > 0 {
			break
		}
		if l != "" && !strings.HasPrefix(l, "Operation ") {
			lines = append(lines, l)
		}
	}
	first := op.DocLines[0]
	if i := strings.Index(first, ": "); i > 0 && strings.HasPrefix(first, op.Name) {
		first = first[i+2:]
	} else {
		first = ""
	}
	text := strings.TrimSpace(first + " " + strings.Join(lines, " "))
	return mdText(text)
}

func schemeSends(sc *ir.Scheme) string {
	switch sc.Kind {
	case "apiKey":
		return fmt.Sprintf("%s `%s`", inName(sc.In), mdCode(sc.ParamName))
	case "basic":
		return "HTTP basic credentials"
	}
	return "`Authorization: Bearer` tokens from an `sdk.TokenSource`"
}

// flowName names an OAuth2 flow kind in prose.
func flowName(kind string) string {
	switch kind {
	case "clientCredentials":
		return "client credentials"
	case "authorizationCode":
		return "authorization code"
	}
	return kind
}

// comment renders lines as a // comment, each line prefixed; an empty line
// becomes a bare "//". It is the one way facade templates write text into
// comments: whatever a line holds (a line break, a control or
// bidirectional-formatting character), the result is comment lines only.
func comment(prefix string, lines []string) string {
	var clean []string
	for _, l := range lines {
		for _, part := range strings.Split(gotext.Prose(l), "\n") {
			clean = append(clean, strings.TrimRightFunc(cleanText(part), unicode.IsSpace))
		}
	}
	lines = clean
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(prefix)
		if l == "" {
			b.WriteString("//")
		} else {
			b.WriteString("// ")
			b.WriteString(l)
		}
	}
	return b.String()
}

func inName(in string) string {
	switch in {
	case "query":
		return "query parameter"
	case "cookie":
		return "cookie"
	}
	return "header"
}

// inConst is the sdk constant of where an API key goes.
func inConst(in string) string {
	switch in {
	case "query":
		return "sdk.InQuery"
	case "cookie":
		return "sdk.InCookie"
	}
	return "sdk.InHeader"
}

// opDoc is the doc comment of an operation's method: what it does, where it
// goes, what it returns, its declared errors and deprecation.
func opDoc(op *ir.Operation) []string {
	lines := slices.Clone(op.DocLines)
	switch {
	case op.Paging != nil:
		lines = append(lines, "", fmt.Sprintf("It returns a pager over the items of every page (paged by %s, %s): range over its All method; see sdk.Pager.", op.Paging.Style, op.Paging.Source))
	case op.Result.Kind == ir.ResultEvents:
		lines = append(lines, "")
		lines = append(lines, streamDoc(op)...)
	case op.Result.DocNote != "":
		lines = append(lines, "", op.Result.DocNote)
	}
	if len(op.BodyNote) > 0 {
		lines = append(lines, "")
		lines = append(lines, op.BodyNote...)
	}
	if len(op.Errors) > 0 {
		lines = append(lines, "", "Declared errors (reach them with errors.As through the *sdk.APIError):")
		for _, e := range op.Errors {
			lines = append(lines, fmt.Sprintf("  - %s: *%s", e.Status, e.Type.Name))
		}
	}
	if op.Deprecated != "" {
		lines = append(lines, "", op.Deprecated)
	}
	return lines
}

func signature(op *ir.Operation) string {
	var b strings.Builder
	b.WriteString("(ctx context.Context")
	for _, p := range op.Args {
		fmt.Fprintf(&b, ", %s %s", p.Name, p.Type)
	}
	b.WriteString(", opts ...sdk.Option) ")
	if op.Paging != nil {
		b.WriteString("*sdk.Pager[" + op.Paging.ItemType + "]")
		return b.String()
	}
	b.WriteString(returns(op.Result))
	return b.String()
}

// returns is a method's results.
func returns(r ir.Result) string {
	switch r.Kind {
	case ir.ResultNone:
		return "error"
	case ir.ResultJSON, ir.ResultMulti:
		return fmt.Sprintf("(*%s, error)", r.Type)
	case ir.ResultValue:
		return fmt.Sprintf("(%s, error)", r.Type)
	case ir.ResultText:
		return "(string, error)"
	case ir.ResultStream:
		return "(io.ReadCloser, error)"
	case ir.ResultEvents:
		return fmt.Sprintf("iter.Seq2[sdk.Event[%s], error]", r.Type)
	}
	return "error"
}

func fieldType(c ir.ResultCase) string {
	switch c.Kind {
	case ir.ResultJSON:
		return "*" + c.Type
	case ir.ResultValue:
		return c.Type
	case ir.ResultText:
		return "string"
	case ir.ResultStream:
		return "io.ReadCloser"
	}
	return ""
}

// multiCases orders the cases of a result with several shapes: exact
// statuses, then ranges, then default.
func multiCases(r ir.Result) []ir.ResultCase {
	cs := slices.Clone(r.Cases)
	rank := func(s string) int {
		switch {
		case s == "default":
			return 2
		case strings.HasSuffix(strings.ToUpper(s), "XX"):
			return 1
		}
		return 0
	}
	slices.SortStableFunc(cs, func(a, b ir.ResultCase) int {
		if d := rank(a.Status) - rank(b.Status); d != 0 {
			return d
		}
		return strings.Compare(a.Status, b.Status)
	})
	return cs
}

func caseCond(status string) string {
	switch {
	case status == "default":
		return "resp.StatusCode >= 200 && resp.StatusCode <= 299"
	case strings.HasSuffix(strings.ToUpper(status), "XX"):
		d := status[:1]
		return fmt.Sprintf("resp.StatusCode >= %s00 && resp.StatusCode <= %s99", d, d)
	}
	return "resp.StatusCode == " + status
}

// rendered is a facade file as rendered, before formatting.
type rendered struct {
	name string
	src  []byte
}

// renderFacade renders the client and service files from the IR, the
// services at once on every processor.
func renderFacade(api *ir.API) ([]rendered, error) {
	out := make([]rendered, 1+len(api.Services))
	errs := make([]error, len(out))
	parallel.Each(len(out), func(i int) {
		var buf bytes.Buffer
		name, t, data := "client.gen.go", "client.tmpl", any(api)
		if i > 0 {
			svc := api.Services[i-1]
			name, t, data = svc.File, "service.tmpl", struct {
				API     *ir.API
				Service *ir.Service
			}{api, svc}
		}
		if err := facadeTemplates.ExecuteTemplate(&buf, t, data); err != nil {
			errs[i] = fmt.Errorf("rendering %s: %w", name, err)
		}
		out[i] = rendered{name: name, src: buf.Bytes()}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// renderAPIMD renders API.md; examples holds each operation's call.
func renderAPIMD(api *ir.API, examples map[*ir.Operation]string) ([]byte, error) {
	tmpl, err := facadeTemplates.Clone()
	if err != nil {
		return nil, err
	}
	tmpl.Funcs(template.FuncMap{"example": func(op *ir.Operation) string { return examples[op] }})
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, "api.md.tmpl", api); err != nil {
		return nil, fmt.Errorf("rendering API.md: %w", err)
	}
	return buf.Bytes(), nil
}
