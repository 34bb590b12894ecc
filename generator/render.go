package generator

import (
	"bytes"
	"embed"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"unicode"

	"github.com/sdkgen-go/sdkgen/internal/gotext"
)

//go:embed templates/facade/*.tmpl
var facadeFS embed.FS

var facadeTemplates = template.Must(template.New("facade").Funcs(template.FuncMap{
	"header":      func() string { return Header },
	"comment":     comment,
	"quote":       strconv.Quote,
	"oneline":     oneLine,
	"inName":      inName,
	"opDoc":       opDoc,
	"signature":   signature,
	"fieldType":   fieldType,
	"multiCases":  multiCases,
	"caseCond":    caseCond,
	"md":          mdText,
	"mdCode":      mdCode,
	"anchor":      anchor,
	"summary":     summary,
	"schemeSends": schemeSends,
	"flowName":    flowName,
}).ParseFS(facadeFS, "templates/facade/*.tmpl"))

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
func anchor(op *opIR) string {
	return strings.ToLower(op.Service.Field + op.GoName)
}

// summary is the first paragraph of an operation's documentation, for
// API.md.
func summary(op *opIR) string {
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
	if i := strings.Index(first, ": "); i > 0 && strings.HasPrefix(first, op.GoName) {
		first = first[i+2:]
	} else {
		first = ""
	}
	text := strings.TrimSpace(first + " " + strings.Join(lines, " "))
	return mdText(text)
}

func schemeSends(sc *schemeIR) string {
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
	case "sdk.InQuery":
		return "query parameter"
	case "sdk.InCookie":
		return "cookie"
	}
	return "header"
}

// opDoc is the doc comment of an operation's method: what it does, where it
// goes, what it returns, its declared errors and deprecation.
func opDoc(op *opIR) []string {
	lines := slices.Clone(op.DocLines)
	switch {
	case op.Paging != nil:
		lines = append(lines, "", fmt.Sprintf("It returns a pager over the items of every page (paged by %s, from %s): range over its All method; see sdk.Pager.", op.Paging.Style, op.Paging.Source))
	case op.Result.Kind == resultEvents:
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
			lines = append(lines, fmt.Sprintf("  - %s: *%s", e.Status, e.Type))
		}
	}
	if op.Deprecated != "" {
		lines = append(lines, "", op.Deprecated)
	}
	return lines
}

func signature(op *opIR) string {
	var b strings.Builder
	b.WriteString("(ctx context.Context")
	for _, p := range op.Params {
		fmt.Fprintf(&b, ", %s %s", p.Name, p.Type)
	}
	b.WriteString(", opts ...sdk.Option) ")
	if op.Paging != nil {
		b.WriteString("*sdk.Pager[" + op.Paging.ItemType + "]")
		return b.String()
	}
	b.WriteString(op.Result.Returns)
	return b.String()
}

func fieldType(c resultCaseIR) string {
	switch c.Kind {
	case resultJSON:
		return "*" + c.Type
	case resultValue:
		return c.Type
	case resultText:
		return "string"
	case resultStream:
		return "io.ReadCloser"
	}
	return ""
}

// multiCases orders the cases of a result with several shapes: exact
// statuses, then ranges, then default.
func multiCases(r resultIR) []resultCaseIR {
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
	slices.SortStableFunc(cs, func(a, b resultCaseIR) int {
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

// renderFacade renders the client and service files, formatted.
func renderFacade(api *apiIR) (Files, error) {
	var files Files
	render := func(name, tmpl string, data any) error {
		var buf bytes.Buffer
		if err := facadeTemplates.ExecuteTemplate(&buf, tmpl, data); err != nil {
			return fmt.Errorf("rendering %s: %w", name, err)
		}
		src, err := formatGo(name, buf.Bytes())
		if err != nil {
			return err
		}
		files = append(files, File{Name: name, Content: src})
		return nil
	}
	if err := render("client.gen.go", "client.tmpl", api); err != nil {
		return nil, err
	}
	var md bytes.Buffer
	if err := facadeTemplates.ExecuteTemplate(&md, "api.md.tmpl", api); err != nil {
		return nil, fmt.Errorf("rendering API.md: %w", err)
	}
	files = append(files, File{Name: "API.md", Content: md.Bytes()})
	for _, svc := range api.Services {
		data := struct {
			API     *apiIR
			Service *serviceIR
		}{api, svc}
		if err := render(svc.File, "service.tmpl", data); err != nil {
			return nil, err
		}
	}
	return files, nil
}
