package generator

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sdkgen-go/sdkgen/generator/ir"
)

// The template functions that print the Go of a method's body from the
// IR's structured data: the request builder call, the pager's reads of
// fields and parameters.

// builderArgs are the arguments of a request builder call: the server, the
// path parameters, the parameters struct (params, or the pager's copy p).
func builderArgs(op *ir.Operation, params string) []string {
	args := append([]string{"server"}, op.Request.PathArgs...)
	if op.Request.Params {
		args = append(args, params)
	}
	return args
}

// callExpr is the expression that builds op's request.
func callExpr(op *ir.Operation, params string) string {
	r := op.Request
	args := builderArgs(op, params)
	join := func(extra ...string) string { return strings.Join(append(slices.Clone(args), extra...), ", ") }
	switch r.Kind {
	case ir.RequestBody:
		return fmt.Sprintf("%s(%s)", r.Builder, join("body"))
	case ir.RequestOptBody:
		return fmt.Sprintf("%s(%s)", r.Builder, join("*body"))
	case ir.RequestAnyBody:
		return fmt.Sprintf("%s(%s)", r.Builder, join("contentType", "body"))
	case ir.RequestStream:
		ct := "contentType"
		if r.ContentType != "" {
			ct = strconv.Quote(r.ContentType)
		}
		return fmt.Sprintf("sdkimpl.StreamBody(body, func(reader io.Reader) (*http.Request, error) {\nreturn %s(%s)\n})", r.Builder, join(ct, "reader"))
	case ir.RequestForm, ir.RequestOptForm:
		var b strings.Builder
		b.WriteString("sdkimpl.NewMultipart().")
		for _, f := range op.Form.Fields {
			b.WriteString("\n")
			switch f.Kind {
			case ir.FormValue:
				fmt.Fprintf(&b, "Field(%s, body.%s).", strconv.Quote(f.Part), f.Name)
			case ir.FormFile:
				ref := "body." + f.Name
				if f.Required {
					ref = "&" + ref
				}
				fmt.Fprintf(&b, "File(%s, %s, %s).", strconv.Quote(f.Part), strconv.Quote(f.ContentType), ref)
			case ir.FormFiles:
				fmt.Fprintf(&b, "Files(%s, %s, body.%s).", strconv.Quote(f.Part), strconv.Quote(f.ContentType), f.Name)
			}
		}
		fmt.Fprintf(&b, "\nRequest(func(contentType string, reader io.Reader) (*http.Request, error) {\nreturn %s(%s)\n})", r.Builder, join("contentType", "reader"))
		return b.String()
	}
	return fmt.Sprintf("%s(%s)", r.Builder, join())
}

// rawCallExpr is the expression that builds op's request without a body,
// when its optional body is nil.
func rawCallExpr(op *ir.Operation, params string) string {
	return fmt.Sprintf("%s(%s)", op.Request.RawBuilder, strings.Join(append(builderArgs(op, params), `""`, "http.NoBody"), ", "))
}

// fieldExpr reads a FieldPath from base: an optional field through
// sdk.Deref, a nullable one through OrZero. An empty path is the value base
// points to.
func fieldExpr(base string, path ir.FieldPath) string {
	if len(path) == 0 {
		return "*" + base
	}
	expr := base
	for _, s := range path {
		expr += "." + s.Field
		switch {
		case s.Pointer:
			expr = "sdk.Deref(" + expr + ")"
		case s.Nullable:
			expr += ".OrZero()"
		}
	}
	return expr
}

// setParam sets a parameter of the pager's copy p to value: cursor (a
// string) or pos (an int), converted to the parameter's type. An integer
// parameter takes a cursor's digits (Spotify's after is a timestamp in
// milliseconds); a string parameter takes a number's (Slack's page).
func setParam(pf *ir.ParamField, value string) string {
	base := cmp.Or(pf.Base, pf.Type)
	pre, v := "", value
	switch str := value == "cursor"; {
	case str && base == "string", !str && base == "int":
	case str:
		pre = fmt.Sprintf("n, err := strconv.ParseInt(%s, 10, 64)\n\t\t\tif err != nil {\n\t\t\t\treturn nil, fmt.Errorf(\"cursor %%q is not an integer: %%w\", %s, err)\n\t\t\t}\n\t\t\t", value, value)
		v = "n"
		if base != "int64" {
			v = base + "(n)"
		}
	case base == "string":
		v = "strconv.Itoa(" + value + ")"
	default:
		v = base + "(" + value + ")"
	}
	if pf.Type != base {
		v = pf.Type + "(" + v + ")"
	}
	if pf.Pointer {
		return fmt.Sprintf("%sv := %s\n\t\t\tp.%s = &v", pre, v, pf.Field)
	}
	return fmt.Sprintf("%sp.%s = %s", pre, pf.Field, v)
}

// startFromParams reads the first position from the caller's parameters;
// a string parameter that is not a number leaves the first position.
func startFromParams(pf *ir.ParamField) string {
	val := "params." + pf.Field
	cond := "params != nil"
	if pf.Pointer {
		val, cond = "*"+val, cond+" && params."+pf.Field+" != nil"
	}
	if cmp.Or(pf.Base, pf.Type) == "string" {
		if pf.Type != "string" {
			val = "string(" + val + ")"
		}
		return fmt.Sprintf("if %s {\n\t\tif n, err := strconv.Atoi(%s); err == nil {\n\t\t\tstart = n\n\t\t}\n\t}", cond, val)
	}
	return fmt.Sprintf("if %s {\n\t\tstart = int(%s)\n\t}", cond, val)
}

// cursorNext is the next cursor of a cursor pager's page.
func cursorNext(p *ir.Paging) string {
	more := "true"
	if len(p.HasMore) > 0 {
		more = fieldExpr("page", p.HasMore)
	}
	if len(p.LastItem) > 0 {
		id := fieldExpr("it", p.LastItem)
		if p.LastItemInt {
			id = "strconv.FormatInt(int64(" + id + "), 10)"
		}
		return fmt.Sprintf("sdkimpl.LastItemCursor(%s, %s, func(it %s) string { return %s })", fieldExpr("page", p.Items), more, p.ItemType, id)
	}
	next := fieldExpr("page", p.Next)
	if p.NextInt {
		next = fmt.Sprintf("func() string {\n\t\t\tif n := %s; n != 0 {\n\t\t\t\treturn strconv.FormatInt(int64(n), 10)\n\t\t\t}\n\t\t\treturn \"\"\n\t\t}()", next)
	}
	if len(p.HasMore) > 0 {
		return fmt.Sprintf("func() string {\n\t\t\tif !%s {\n\t\t\t\treturn \"\"\n\t\t\t}\n\t\t\treturn %s\n\t\t}()", more, next)
	}
	return next
}

// pagerMore says whether an offset or page-number pager goes on after a
// page.
func pagerMore(p *ir.Paging) string {
	switch {
	case len(p.HasMore) > 0:
		return fieldExpr("page", p.HasMore)
	case len(p.Total) > 0:
		return fmt.Sprintf("pos+len(%s) < int(%s)", fieldExpr("page", p.Items), fieldExpr("page", p.Total))
	case len(p.TotalPages) > 0:
		return fmt.Sprintf("pos < int(%s)", fieldExpr("page", p.TotalPages))
	case len(p.More) > 0:
		return fieldExpr("page", p.More) + ` != ""`
	}
	return "true"
}

// securityLit is a [][]string literal of an operation's security
// requirements.
func securityLit(reqs [][]string) string {
	alts := make([]string, 0, len(reqs))
	for _, r := range reqs {
		names := make([]string, len(r))
		for i, n := range r {
			names[i] = strconv.Quote(n)
		}
		alts = append(alts, "{"+strings.Join(names, ", ")+"}")
	}
	return "[][]string{" + strings.Join(alts, ", ") + "}"
}

// usedBy lists the methods that return an error type, for its doc comment:
// a few, and how many more.
func usedBy(et *ir.ErrorType) []string {
	const shown = 5
	if len(et.UsedBy) <= shown {
		return et.UsedBy
	}
	return append(slices.Clone(et.UsedBy[:shown]), fmt.Sprintf("and %d more (see API.md)", len(et.UsedBy)-shown))
}

// securityDeclared reports that the spec declares an operation's security
// requirements (an empty list says it needs none).
func securityDeclared(op *ir.Operation) bool { return op.Security != nil }
