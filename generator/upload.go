package generator

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"

	"github.com/sdkgen-go/sdkgen/generator/ir"
)

// Uploads. A multipart/form-data body with an object schema becomes a
// struct of its own per operation (UploadImageForm), whose binary
// properties are sdk.File values streamed by sdkimpl.Multipart; other bodies
// the client cannot encode itself (binary, XML, a multipart body without
// properties) are taken as an io.Reader and streamed by sdkimpl.StreamBody.

// multipartForm returns the form struct of a multipart/form-data body, or
// nil when its schema has no properties to make one of. The caller holds
// oapiMu (GenerateGoSchema reads oapi-codegen's global state).
func multipartForm(b codegen.RequestBodyDefinition, t *openapi3.T, spec *openapi3.Operation) (*ir.Form, error) {
	if b.ContentType != "multipart/form-data" && !strings.HasPrefix(b.ContentType, "multipart/form-data;") {
		return nil, nil
	}
	sch := b.Schema
	if ref := bodySchemaRef(spec, b.ContentType); ref != nil && ref.Value != nil && ref.Ref != "" {
		// A component: its own properties, with inline types named as
		// oapi-codegen named them for the component that declares them
		// (after its key, past any component that only refers to it).
		key, comp := componentOf(t, ref.Ref)
		if comp == nil {
			return nil, nil
		}
		var err error
		sch, err = codegen.GenerateGoSchema(comp, []string{key})
		if err != nil {
			return nil, fmt.Errorf("the multipart schema %s: %w", ref.Ref, err)
		}
	}
	if len(sch.Properties) == 0 {
		return nil, nil
	}
	form := &ir.Form{}
	var files []ir.FormField
	for _, p := range sch.Properties {
		f := ir.FormField{Name: p.GoFieldName(), Part: p.JsonFieldName, Required: p.Required}
		switch {
		case isFileSchema(p.Schema):
			f.Kind = ir.FormFile
			f.Type = "sdk.File"
			if !p.Required {
				f.Type = "*sdk.File"
			}
			f.ContentType = partContentType(b, p.JsonFieldName, p.Schema.OAPISchema)
		case p.Schema.ArrayType != nil && isFileSchema(*p.Schema.ArrayType):
			f.Kind = ir.FormFiles
			f.Type = "[]sdk.File"
			f.ContentType = partContentType(b, p.JsonFieldName, p.Schema.ArrayType.OAPISchema)
		default:
			f.Kind = ir.FormValue
			f.Type = p.Schema.TypeDecl()
			if !p.Required && !strings.HasPrefix(f.Type, "[]") && !strings.HasPrefix(f.Type, "map[") {
				f.Type = "*" + f.Type
			}
		}
		f.DocLines = formFieldDoc(f)
		if d := p.Description; d != "" {
			f.DocLines = append(f.DocLines, "")
			f.DocLines = append(f.DocLines, commentLines(d)...)
		}
		if f.Kind == ir.FormValue {
			form.Fields = append(form.Fields, f)
		} else {
			files = append(files, f)
		}
	}
	// Fields before files, so a server that streams the parts knows the
	// metadata before the file arrives.
	form.Fields = append(form.Fields, files...)
	return form, nil
}

// componentOf follows a reference to a component schema, and on through
// components that are only references to others, to the one that declares
// the schema: its key and its reference.
func componentOf(t *openapi3.T, ref string) (string, *openapi3.SchemaRef) {
	const prefix = "#/components/schemas/"
	if t.Components == nil {
		return "", nil
	}
	for range 32 {
		if !strings.HasPrefix(ref, prefix) {
			return "", nil
		}
		key := ref[len(prefix):]
		comp := t.Components.Schemas[key]
		if comp == nil || comp.Value == nil {
			return "", nil
		}
		if comp.Ref == "" {
			// A component that only refers to another is an allOf of that
			// one after naming (see nameComponents).
			if v := comp.Value; len(v.AllOf) == 1 && v.AllOf[0].Ref != "" && len(v.Properties) == 0 && v.Type == nil {
				ref = v.AllOf[0].Ref
				continue
			}
			return key, comp
		}
		ref = comp.Ref
	}
	return "", nil
}

// bodySchemaRef is the schema of the operation's request body of a content
// type.
func bodySchemaRef(spec *openapi3.Operation, contentType string) *openapi3.SchemaRef {
	if spec == nil || spec.RequestBody == nil || spec.RequestBody.Value == nil {
		return nil
	}
	mt := spec.RequestBody.Value.Content[contentType]
	if mt == nil {
		return nil
	}
	return mt.Schema
}

// isFileSchema reports a binary string: format: binary (OpenAPI 3.0) or
// contentMediaType (3.1), which oapi-codegen types as openapi_types.File.
func isFileSchema(s codegen.Schema) bool {
	if s.GoType == "openapi_types.File" {
		return true
	}
	o := s.OAPISchema
	return o != nil && o.Type.Is("string") && (o.Format == "binary" || o.ContentMediaType != "" && o.ContentEncoding == "")
}

// partContentType is the media type the spec gives a file part: the
// body's encoding for the field, else the schema's contentMediaType, when
// either names one concrete type.
func partContentType(b codegen.RequestBodyDefinition, field string, s *openapi3.Schema) string {
	concrete := func(ct string) string {
		ct = strings.TrimSpace(ct)
		if ct == "" || strings.ContainsAny(ct, "*,") {
			return ""
		}
		return ct
	}
	if e, ok := b.Encoding[field]; ok {
		if ct := concrete(e.ContentType); ct != "" {
			return ct
		}
	}
	if s != nil {
		return concrete(s.ContentMediaType)
	}
	return ""
}

func formFieldDoc(f ir.FormField) []string {
	part := strconv.Quote(f.Part)
	switch f.Kind {
	case ir.FormFile, ir.FormFiles:
		var lines []string
		switch {
		case f.Kind == ir.FormFiles:
			lines = append(lines, fmt.Sprintf("%s are the %s file parts, one per file.", f.Name, part))
		case f.Required:
			lines = append(lines, fmt.Sprintf("%s is the %s file part.", f.Name, part))
		default:
			lines = append(lines, fmt.Sprintf("%s is the %s file part; nil leaves it out.", f.Name, part))
		}
		if f.ContentType != "" {
			lines = append(lines, fmt.Sprintf("Media type %s, unless the File sets one.", f.ContentType))
		}
		return lines
	}
	if f.Required {
		return []string{fmt.Sprintf("%s is the %s field.", f.Name, part)}
	}
	return []string{fmt.Sprintf("%s is the %s field; nil leaves it out.", f.Name, part)}
}

// Notes for the doc comments of upload methods.
var (
	formBodyNote = []string{
		"The files of body are streamed as the request is sent, never held in",
		"memory; a failed attempt is retried only when every file can be read",
		"again (see sdk.File). sdk.WithUploadProgress follows the upload.",
	}
	streamBodyNote = []string{
		"body is streamed as the request is sent, never held in memory, and",
		"never closed; a failed attempt is retried only when body can be read",
		"again (see sdkimpl.StreamBody). sdk.WithUploadProgress follows the upload.",
	}
)

// exampleForm writes a form for API.md: its first file, streamed from f.
func exampleForm(form *ir.Form, typ string, q qualifier) string {
	lit := q(form.Name) + "." + form.Name + "{"
	fields := slices.Clone(form.Fields)
	// A required file first: the example then shows what a call needs.
	slices.SortStableFunc(fields, func(a, b ir.FormField) int { return boolRank(b.Required) - boolRank(a.Required) })
	for _, f := range fields {
		switch f.Kind {
		case ir.FormFile:
			ref := ""
			if !f.Required {
				ref = "&"
			}
			lit += f.Name + ": " + ref + `sdk.File{Name: "photo.jpg", Reader: f}`
		case ir.FormFiles:
			lit += f.Name + `: []sdk.File{{Name: "a.bin", Reader: f}}`
		default:
			continue
		}
		break
	}
	lit += "}"
	if strings.HasPrefix(typ, "*") {
		return "&" + lit
	}
	return lit
}
