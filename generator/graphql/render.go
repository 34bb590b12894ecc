package graphql

import (
	"bytes"
	_ "embed"
	"go/format"
	"text/template"

	"github.com/sdkgen-go/sdkgen/generator"
	"github.com/sdkgen-go/sdkgen/sdk/graphql"
)

//go:embed templates/client.tmpl
var clientTemplate string

var clientTmpl = template.Must(template.New("client").Parse(clientTemplate))

// render writes client.gen.go from the model, formatted.
func render(m *model) ([]byte, error) {
	var b bytes.Buffer
	err := clientTmpl.Execute(&b, struct {
		*model
		Header     string
		GenVersion int
	}{m, generator.Header, graphql.GenVersion})
	if err != nil {
		return nil, err
	}
	out, err := format.Source(b.Bytes())
	if err != nil {
		return b.Bytes(), err
	}
	return out, nil
}
