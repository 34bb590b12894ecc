package generator

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sdkgen-go/sdkgen/generator/ir"
	"github.com/sdkgen-go/sdkgen/openapi"
)

// irSpec has one operation of each kind the IR describes: a paged list, a
// JSON body with declared errors, a multipart form, an event stream, a
// binary download, two auth schemes and a server.
const irSpec = `openapi: 3.0.3
info: {title: IR, version: "1"}
servers: [{url: "https://api.example.com/v1"}]
security: [{apiKey: []}]
tags: [{name: repos, description: Repositories.}]
paths:
  /users/{username}/repos:
    get:
      operationId: repos/list-for-user
      tags: [repos]
      parameters:
        - {name: username, in: path, required: true, schema: {type: string}}
        - {name: page, in: query, schema: {type: integer, default: 1}}
        - {name: per_page, in: query, schema: {type: integer}}
      responses:
        "200":
          description: ok
          headers: {Link: {schema: {type: string}}}
          content: {application/json: {schema: {type: array, items: {$ref: "#/components/schemas/Repo"}}}}
  /repos:
    post:
      operationId: repos/create
      tags: [repos]
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: "#/components/schemas/Repo"}}}
      responses:
        "201": {description: created, content: {application/json: {schema: {$ref: "#/components/schemas/Repo"}}}}
        "404": {description: missing, content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
  /repos/{repo_id}/avatar:
    put:
      operationId: repos/upload-avatar
      tags: [repos]
      parameters: [{name: repo_id, in: path, required: true, schema: {type: integer}}]
      requestBody:
        content:
          multipart/form-data:
            schema:
              type: object
              required: [file]
              properties:
                file: {type: string, format: binary}
                caption: {type: string}
      responses: {"204": {description: done}}
    get:
      operationId: repos/get-avatar
      tags: [repos]
      parameters: [{name: repo_id, in: path, required: true, schema: {type: integer}}]
      responses: {"200": {description: png, content: {image/png: {schema: {type: string, format: binary}}}}}
  /events:
    get:
      operationId: events/watch
      tags: [events]
      security: [{oauth: [read]}]
      responses:
        "200":
          description: events
          content: {text/event-stream: {schema: {$ref: "#/components/schemas/Event"}}}
components:
  securitySchemes:
    apiKey: {type: apiKey, in: header, name: X-API-Key}
    oauth:
      type: oauth2
      flows: {clientCredentials: {tokenUrl: "https://auth.example.com/token", scopes: {read: Read.}}}
  schemas:
    Repo:
      type: object
      required: [id]
      properties:
        id: {type: integer}
        html_url: {type: string}
    Error:
      type: object
      properties: {message: {type: string}}
    Event:
      type: object
      properties: {id: {type: string}}
`

// buildIR runs the generator's pipeline up to the IR (with pagination
// resolved on the models' structs, as emit does) and returns it.
func buildIR(t *testing.T, spec string) *ir.API {
	t.Helper()
	path := filepath.Join(t.TempDir(), "openapi.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	doc, diags := openapi.Load(ctx, path, openapi.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ndoc, diags := openapi.Normalize(doc, openapi.NormalizeOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	doc3, err := ndoc.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Package: "gh"}
	nm, diags := decideNames(doc3, cfg)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	res := runOapi(ctx, doc3, cfg, nm, nm.nameFacade(false))
	if res.diags.HasErrors() {
		t.Fatal(res.diags)
	}
	models, err := parseGo("models.gen.go", []byte(res.models))
	if err != nil {
		t.Fatal(err)
	}
	si := readStructs(models.fset, models.f, nil)
	for _, op := range res.api.Ops {
		op.Paging, _ = pagination(op, res.states[op], si)
	}
	return res.api
}

// TestIR checks the IR of one spec field by field, without rendering
// anything: names, services, arguments, requests, results, errors,
// pagination, forms, streams and auth schemes.
func TestIR(t *testing.T) {
	api := buildIR(t, irSpec)
	if api.ClientName != "Client" || api.DefaultBaseURL != "https://api.example.com/v1" || api.Title != "IR" {
		t.Errorf("API = %q %q %q", api.ClientName, api.DefaultBaseURL, api.Title)
	}
	var services []string
	for _, s := range api.Services {
		services = append(services, s.Field+"/"+s.TypeName+"/"+s.File)
	}
	if want := []string{"Events/EventsService/service_events.gen.go", "Repos/ReposService/service_repos.gen.go"}; !slices.Equal(services, want) {
		t.Errorf("services = %q, want %q", services, want)
	}
	ops := map[string]*ir.Operation{}
	for _, op := range api.Ops {
		ops[op.ID] = op
	}

	list := ops["repos/list-for-user"]
	if list == nil {
		t.Fatalf("no repos/list-for-user among %d operations", len(api.Ops))
	}
	// A method does not repeat its service; initialisms are Go's.
	if list.Name != "ListForUser" || list.Service.Field != "Repos" || list.Method != "GET" || list.Path != "/users/{username}/repos" {
		t.Errorf("list = %s.%s %s %s", list.Service.Field, list.Name, list.Method, list.Path)
	}
	if len(list.Args) != 2 || list.Args[0] != (ir.Arg{Name: "username", Type: "string", Kind: ir.ArgPath}) || list.Args[1].Kind != ir.ArgParams {
		t.Errorf("list args = %+v", list.Args)
	}
	if list.Request.Kind != ir.RequestPlain || !list.Request.Params || list.Result.Kind != ir.ResultValue || list.Result.Type != "[]Repo" {
		t.Errorf("list request %+v, result %+v", list.Request, list.Result)
	}
	if p := list.Paging; p == nil || p.Style != "link" || p.ItemType != "Repo" {
		t.Errorf("list paging = %+v, want a Link header pager of Repo", p)
	}

	create := ops["repos/create"]
	if create.Name != "Create" || create.Request.Kind != ir.RequestBody || create.Result.Kind != ir.ResultJSON || create.Result.Type != "Repo" {
		t.Errorf("create = %s request %+v result %+v", create.Name, create.Request, create.Result)
	}
	if len(create.Errors) != 1 || create.Errors[0].Status != "404" || create.Errors[0].Type.BodyType != "Error" {
		t.Errorf("create errors = %+v", create.Errors)
	}
	if create.Paging != nil {
		t.Errorf("a POST is paged: %+v", create.Paging)
	}

	upload := ops["repos/upload-avatar"]
	if upload.Name != "UploadAvatar" || upload.Request.Kind != ir.RequestOptForm || upload.Form == nil {
		t.Fatalf("upload = %s request %+v form %+v", upload.Name, upload.Request, upload.Form)
	}
	if upload.Args[0].Name != "repoID" {
		t.Errorf("path argument %q, want repoID", upload.Args[0].Name)
	}
	var fields []string
	for _, f := range upload.Form.Fields {
		fields = append(fields, f.Name+":"+f.Part+":"+string(f.Kind))
	}
	if want := []string{"Caption:caption:value", "File:file:file"}; !slices.Equal(fields, want) {
		t.Errorf("form fields = %q, want %q", fields, want)
	}

	if get := ops["repos/get-avatar"]; get.Result.Kind != ir.ResultStream {
		t.Errorf("get-avatar result = %+v, want a stream", get.Result)
	}
	watch := ops["events/watch"]
	if watch.Service.Field != "Events" || watch.Name != "Watch" || watch.Result.Kind != ir.ResultEvents || watch.Result.Type != "Event" || !api.HasStreams {
		t.Errorf("watch = %s.%s result %+v", watch.Service.Field, watch.Name, watch.Result)
	}
	if !slices.EqualFunc(watch.Security, [][]string{{"oauth"}}, slices.Equal) {
		t.Errorf("watch security = %q", watch.Security)
	}

	schemes := map[string]*ir.Scheme{}
	for _, s := range api.Schemes {
		schemes[s.Name] = s
	}
	if k := schemes["apiKey"]; k == nil || k.Kind != "apiKey" || k.In != "header" || k.ParamName != "X-API-Key" || k.Option != "WithAPIKey" {
		t.Errorf("apiKey scheme = %+v", k)
	}
	if o := schemes["oauth"]; o == nil || len(o.Flows) != 1 || o.Flows[0].Kind != "clientCredentials" || o.Flows[0].TokenURL != "https://auth.example.com/token" {
		t.Errorf("oauth scheme = %+v", o)
	}
}
