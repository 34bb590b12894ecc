package generator

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/sdkgen-go/sdkgen/generator/ir"
)

// exampleCall writes a call of op with zero-valued arguments, for API.md.
// si knows the models' types, so an argument whose type is an alias
// (type Username = string) or a defined non-struct type (type Kind string)
// gets a value that compiles.
// qualifier says which package's name qualifies a type of the SDK in an
// example.
type qualifier func(typeName string) string

func exampleCall(op *ir.Operation, q qualifier, si *structInfo) string {
	args := []string{"ctx"}
	for _, p := range op.Args {
		if op.Form != nil && p.Kind == ir.ArgBody {
			args = append(args, exampleForm(op.Form, p.Type, q))
			continue
		}
		if p.Kind == ir.ArgContentType {
			args = append(args, `"application/octet-stream"`)
			continue
		}
		args = append(args, exampleValue(p.Type, q, si, 0))
	}
	call := fmt.Sprintf("c.%s.%s(%s)", op.Service.Field, op.Name, strings.Join(args, ", "))
	if !op.Service.Package.Root {
		call = fmt.Sprintf("%s.New(c).%s(%s)", op.Service.Package.Name, op.Name, strings.Join(args, ", "))
	}
	if op.Paging != nil {
		return fmt.Sprintf("for item, err := range %s.All() {\n\tif err != nil {\n\t\treturn err\n\t}\n\t_ = item // a %s\n}", call, op.Paging.ItemType)
	}
	switch op.Result.Kind {
	case ir.ResultNone:
		return "err := " + call
	case ir.ResultEvents:
		return fmt.Sprintf("for ev, err := range %s {\n\tif err != nil {\n\t\treturn err // a *sdk.StreamError once the stream has started\n\t}\n\t_ = ev.Data // a %s; ev.ID and ev.Type too\n}", call, op.Result.Type)
	case ir.ResultStream:
		return "body, err := " + call + "\n// ...\ndefer body.Close()"
	default:
		return "res, err := " + call
	}
}

func exampleValue(typ string, q qualifier, si *structInfo, depth int) string {
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
			switch v := exampleValue(under, q, si, depth+1); {
			case v == "nil":
				return v
			case strings.HasSuffix(v, "{}"): // a struct, an array, a type of another package
				return q(typ) + "." + typ + "{}"
			case defined:
				return q(typ) + "." + typ + "(" + v + ")"
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
		return q(typ) + "." + typ + "{}"
	}
	return typ + "{}"
}
