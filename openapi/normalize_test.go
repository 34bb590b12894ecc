package openapi

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// normalized loads a spec, normalizes it, and returns the document as
// generic JSON with the diagnostics.
func normalized(t *testing.T, spec string) (map[string]any, Diagnostics) {
	t.Helper()
	dir := writeFiles(t, map[string]string{"api.yaml": spec})
	doc, _ := mustLoad(t, filepath.Join(dir, "api.yaml"), LoadOptions{})
	nd, diags := Normalize(doc, NormalizeOptions{})
	var out map[string]any
	if err := json.Unmarshal(nd.JSON(), &out); err != nil {
		t.Fatal(err)
	}
	// The normalized document must load again as a document.
	if _, err := nd.OpenAPI(); err != nil {
		t.Fatalf("normalized document does not load: %v", err)
	}
	return out, diags
}

// at walks a generic JSON value by pointer segments.
func at(v any, path ...string) any {
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i := 0
			for _, c := range p {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

const specHead = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n"

func TestNormalizeFoldsAnnotationOnlyAllOf(t *testing.T) {
	doc, diags := normalized(t, specHead+`paths: {}
components:
  schemas:
    Date: {type: string, format: date-time}
    Thing:
      type: object
      properties:
        created:
          allOf:
            - $ref: '#/components/schemas/Date'
            - description: When it was made.
`)
	created := at(doc, "components", "schemas", "Thing", "properties", "created")
	if js(created) != `{"$ref":"#/components/schemas/Date","description":"When it was made."}` {
		t.Errorf("created = %s", js(created))
	}
	if got := withCode(diags, CodeAllOfFolded); len(got) != 1 || got[0].Pos.Line != 10 {
		t.Errorf("diagnostics:\n%s", format(diags))
	}
}

func TestNormalizeReconcilesAllOfMembers(t *testing.T) {
	doc, diags := normalized(t, specHead+`paths: {}
components:
  schemas:
    Owner:
      type: object
      readOnly: true
      properties:
        id: {type: integer}
    Thing:
      type: object
      properties:
        size:
          allOf:
            - {type: integer, format: int32}
            - {type: integer, format: int64}
        owner:
          type: object
          required: [id]
          allOf:
            - $ref: '#/components/schemas/Owner'
        mixed:
          allOf:
            - {type: string}
            - {type: object}
        withDefault:
          allOf:
            - {type: string, default: a}
            - {type: string, minLength: 1}
`)
	size := at(doc, "components", "schemas", "Thing", "properties", "size", "allOf")
	if js(size) != `[{"format":"int64","type":"integer"},{"format":"int64","type":"integer"}]` {
		t.Errorf("size members = %s", js(size))
	}
	owner := at(doc, "components", "schemas", "Thing", "properties", "owner")
	if strings.Contains(js(owner), "readOnly") || strings.Contains(js(owner), "$ref") {
		t.Errorf("owner = %s: the readOnly member should be inlined without readOnly", js(owner))
	}
	if at(doc, "components", "schemas", "Owner", "readOnly") != true {
		t.Errorf("the referenced schema itself was changed")
	}
	mixed := at(doc, "components", "schemas", "Thing", "properties", "mixed")
	if js(mixed) != `{}` {
		t.Errorf("members of different types should degrade to untyped JSON: %s", js(mixed))
	}
	if strings.Contains(js(at(doc, "components", "schemas", "Thing", "properties", "withDefault")), "default") {
		t.Errorf("a default in an allOf member should be dropped")
	}
	if n := len(withCode(diags, CodeAllOfConflict)); n != 3 {
		t.Errorf("want 3 conflicts reported once each, got:\n%s", format(diags))
	}
	if d := withCode(diags, CodeDegraded); len(d) != 1 || d[0].Severity != SeverityWarning {
		t.Errorf("degradation: %s", format(diags))
	}
	// Normalizing twice changes nothing more: the passes converge.
	again, diags2 := normalized(t, strings.TrimSpace(js(doc)))
	if js(again) != js(doc) || len(withCode(diags2, CodeAllOfConflict)) != 0 {
		t.Errorf("a second normalization changed the document:\n%s", format(diags2))
	}
}

func TestNormalizeHoistsDeepRefs(t *testing.T) {
	doc, diags := normalized(t, specHead+`paths:
  /a:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  inner: {$ref: '#/components/schemas/Outer/properties/inner'}
                  other: {$ref: '#/paths/~1b/get/responses/200/content/application~1json/schema'}
  /b:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {b: {type: string}}}
components:
  schemas:
    Outer:
      type: object
      properties:
        inner: {type: object, properties: {x: {type: integer}}}
`)
	props := at(doc, "paths", "/a", "get", "responses", "200", "content", "application/json", "schema", "properties")
	if js(at(props, "inner")) != `{"$ref":"#/components/schemas/Outer_inner"}` {
		t.Errorf("inner = %s", js(at(props, "inner")))
	}
	if !strings.HasPrefix(js(at(props, "other")), `{"$ref":"#/components/schemas/`) {
		t.Errorf("other = %s", js(at(props, "other")))
	}
	if js(at(doc, "components", "schemas", "Outer_inner")) != `{"properties":{"x":{"type":"integer"}},"type":"object"}` {
		t.Errorf("hoisted copy = %s", js(at(doc, "components", "schemas", "Outer_inner")))
	}
	if n := len(withCode(diags, CodeRefHoisted)); n != 2 {
		t.Errorf("diagnostics:\n%s", format(diags))
	}
}

func TestNormalizePathParameters(t *testing.T) {
	doc, diags := normalized(t, specHead+`paths:
  /a/{missing}:
    get:
      operationId: getA
      parameters:
        - {name: extra, in: path, required: true, schema: {type: string}}
        - {name: q, in: query, schema: {type: string}}
      responses:
        '204': {description: ok}
`)
	params := at(doc, "paths", "/a/{missing}", "get", "parameters")
	if js(params) != `[{"in":"query","name":"q","schema":{"type":"string"}},{"in":"path","name":"missing","required":true,"schema":{"type":"string"}}]` {
		t.Errorf("parameters = %s", js(params))
	}
	if n := len(withCode(diags, CodePathParam)); n != 2 {
		t.Errorf("diagnostics:\n%s", format(diags))
	}
}

func TestNormalizeRepairsWhatGoCannotHold(t *testing.T) {
	doc, diags := normalized(t, specHead+`paths:
  /a:
    get:
      operationId: getA
      parameters:
        - {name: 'bad"name', in: query, schema: {type: string}}
      responses:
        '2xx': {description: range}
        '200 OK': {description: reason phrase}
        'weird': {description: not a status}
  /b:
    get:
      operationId: getA
      responses:
        '204': {description: ok}
components:
  schemas:
    Thing:
      type: object
      required: ['a"b']
      properties:
        'a"b': {type: string}
        ok: {type: string, enum: [fine, "back\\slash", "quo\"te"]}
`)
	if js(at(doc, "components", "schemas", "Thing")) != `{"properties":{"ok":{"enum":["fine"],"type":"string"}},"required":[],"type":"object"}` {
		t.Errorf("Thing = %s", js(at(doc, "components", "schemas", "Thing")))
	}
	if at(doc, "paths", "/a", "get", "parameters") != nil && js(at(doc, "paths", "/a", "get", "parameters")) != `[]` {
		t.Errorf("parameter with a quote kept: %s", js(at(doc, "paths", "/a", "get", "parameters")))
	}
	responses := at(doc, "paths", "/a", "get", "responses")
	if js(responses) != `{"200":{"description":"reason phrase"},"2XX":{"description":"range"}}` {
		t.Errorf("responses = %s", js(responses))
	}
	ids := []any{at(doc, "paths", "/a", "get", "operationId"), at(doc, "paths", "/b", "get", "operationId")}
	if ids[0] != "getA" || ids[1] != "getA_get_b" {
		t.Errorf("operationIds = %v", ids)
	}
	for _, code := range []string{CodeUnrepresentable, CodeResponseKey, CodeDuplicateOpID} {
		if len(withCode(diags, code)) == 0 {
			t.Errorf("no %s diagnostic:\n%s", code, format(diags))
		}
	}
}

func TestNormalizeUntypedBodies(t *testing.T) {
	doc, diags := normalized(t, specHead+`paths:
  /a:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json: {schema: {type: object, properties: {a: {type: string}}}}
            application/xml: {schema: {type: object, properties: {a: {type: string}}}}
            application/octet-stream: {schema: {type: string, format: binary}}
`)
	content := at(doc, "paths", "/a", "get", "responses", "200", "content")
	if at(content, "application/json", "schema") == nil || at(content, "application/xml", "schema") != nil || at(content, "application/octet-stream", "schema") == nil {
		t.Errorf("content = %s", js(content))
	}
	if n := len(withCode(diags, CodeBodyUntyped)); n != 1 {
		t.Errorf("diagnostics:\n%s", format(diags))
	}
}

// The schema of an event-stream response describes each event's data, so
// it is kept; an event-stream request body travels as bytes.
func TestNormalizeKeepsEventStreamSchemas(t *testing.T) {
	doc, diags := normalized(t, specHead+`paths:
  /a:
    post:
      requestBody:
        content:
          text/event-stream: {schema: {type: object, properties: {a: {type: string}}}}
      responses:
        '200':
          description: ok
          content:
            text/event-stream; charset=utf-8: {schema: {type: object, properties: {a: {type: string}}}}
`)
	if at(doc, "paths", "/a", "post", "responses", "200", "content", "text/event-stream; charset=utf-8", "schema") == nil {
		t.Errorf("the event schema was dropped")
	}
	if at(doc, "paths", "/a", "post", "requestBody", "content", "text/event-stream", "schema") != nil {
		t.Errorf("an event-stream request body kept its schema")
	}
	if n := len(withCode(diags, CodeBodyUntyped)); n != 1 {
		t.Errorf("diagnostics:\n%s", format(diags))
	}
}

// A document that needs nothing is returned as is, without diagnostics.
func TestNormalizeLeavesCleanDocumentsAlone(t *testing.T) {
	dir := writeFiles(t, map[string]string{"api.yaml": petsYAML})
	doc, _ := mustLoad(t, filepath.Join(dir, "api.yaml"), LoadOptions{})
	nd, diags := Normalize(doc, NormalizeOptions{})
	if nd != doc || len(diags) != 0 {
		t.Errorf("clean document changed:\n%s", format(diags))
	}
}

func TestNormalizeDropsEnumValuesOfAnotherTypeAndBadFormats(t *testing.T) {
	doc, diags := normalized(t, specHead+`paths: {}
components:
  schemas:
    Kind:
      type: integer
      enum: [1, "Primary", 2]
    Mixed:
      type: integer
      enum: [Apprenticeship, Contract]
    Event:
      type: object
      properties:
        source:
          type: string
          format: "A human readable description of the `+"`source`"+`."
`)
	if got := js(at(doc, "components", "schemas", "Kind", "enum")); got != "[1,2]" {
		t.Errorf("Kind enum = %s, want [1,2]", got)
	}
	if v := at(doc, "components", "schemas", "Mixed", "enum"); v != nil {
		t.Errorf("Mixed keeps enum %s, want none", js(v))
	}
	if v := at(doc, "components", "schemas", "Event", "properties", "source", "format"); v != nil {
		t.Errorf("format kept: %v", v)
	}
	warned := map[string]bool{}
	for _, d := range diags {
		if d.Code == CodeUnrepresentable && d.Severity == SeverityWarning {
			warned["#"+strings.TrimPrefix(d.Pointer, "#")] = true
		}
	}
	for _, p := range []string{"#/components/schemas/Kind/enum/1", "#/components/schemas/Mixed/enum/0", "#/components/schemas/Event/properties/source/format"} {
		if !warned[p] {
			t.Errorf("no warning at %s; got %v", p, diags)
		}
	}
}

func TestNormalizeDropsEnumsGoCannotHold(t *testing.T) {
	doc, _ := normalized(t, specHead+`paths: {}
components:
  schemas:
    Flag: {type: boolean, enum: [true, null]}
    SendAt: {type: string, format: date-time, enum: [now]}
`)
	if got := js(at(doc, "components", "schemas", "Flag", "enum")); got != "[true]" {
		t.Errorf("Flag enum = %s, want [true]", got)
	}
	if v := at(doc, "components", "schemas", "SendAt", "enum"); v != nil {
		t.Errorf("SendAt keeps enum %s", js(v))
	}
}

func TestNormalize31TypeLists(t *testing.T) {
	doc, diags := normalized(t, `openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /things/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: [string, number]}}
      responses: {'204': {description: ok}}
components:
  schemas:
    Status: {type: [integer, "null"], enum: [301, 302, null]}
`)
	if got := js(at(doc, "paths", "/things/{id}", "get", "parameters", "0", "schema", "type")); got != `"string"` {
		t.Errorf("parameter type = %s, want \"string\"", got)
	}
	if got := js(at(doc, "components", "schemas", "Status", "enum")); got != "[301,302]" {
		t.Errorf("Status enum = %s, want [301,302]", got)
	}
	degraded := false
	for _, d := range diags {
		degraded = degraded || d.Code == CodeDegraded
	}
	if !degraded {
		t.Errorf("no %s warning: %v", CodeDegraded, diags)
	}
}

// RFC 6570 label expansions in path templates become plain variables.
func TestNormalizeLabelExpansions(t *testing.T) {
	doc, diags := normalized(t, specHead+`paths:
  /projects/{id}{.format}:
    get:
      operationId: getProject
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
        - {name: .format, in: path, required: true, schema: {type: string}}
      responses:
        '204': {description: ok}
`)
	params := at(doc, "paths", "/projects/{id}.{format}", "get", "parameters")
	if js(params) != `[{"in":"path","name":"id","required":true,"schema":{"type":"integer"}},{"in":"path","name":"format","required":true,"schema":{"type":"string"}}]` {
		t.Errorf("parameters = %s\npaths: %s", js(params), js(at(doc, "paths")))
	}
	if n := len(withCode(diags, CodePathParam)); n != 1 {
		t.Errorf("diagnostics:\n%s", format(diags))
	}
}

// A path item that refers to another path item becomes a copy of it.
func TestNormalizePathItemRefs(t *testing.T) {
	doc, diags := normalized(t, specHead+`paths:
  /ip-address:
    get:
      operationId: getIP
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: string}}}}
  /support/ip-address:
    $ref: '#/paths/~1ip-address'
`)
	if at(doc, "paths", "/support/ip-address", "get", "responses", "200") == nil || at(doc, "components", "schemas") != nil {
		t.Errorf("document = %s", js(doc))
	}
	if id := at(doc, "paths", "/support/ip-address", "get", "operationId"); id == "getIP" {
		t.Errorf("copied operation kept the operationId %v of the original", id)
	}
	if n := len(withCode(diags, CodeRefHoisted)); n != 1 {
		t.Errorf("diagnostics:\n%s", format(diags))
	}
}

// A discriminator over members written in place cannot name them: it is
// dropped and the union kept.
func TestNormalizeInlineDiscriminators(t *testing.T) {
	doc, diags := normalized(t, specHead+`paths: {}
components:
  schemas:
    Condition:
      discriminator: {propertyName: kind}
      oneOf:
        - {type: object, properties: {kind: {type: string, enum: [a]}, x: {type: string}}}
        - {type: object, properties: {kind: {type: string, enum: [b]}, y: {type: integer}}}
    Pet:
      discriminator: {propertyName: kind}
      oneOf:
        - {$ref: '#/components/schemas/Cat'}
    Cat: {type: object, properties: {kind: {type: string}}}
`)
	if at(doc, "components", "schemas", "Condition", "discriminator") != nil || len(at(doc, "components", "schemas", "Condition", "oneOf").([]any)) != 2 {
		t.Errorf("Condition = %s", js(at(doc, "components", "schemas", "Condition")))
	}
	if at(doc, "components", "schemas", "Pet", "discriminator") == nil {
		t.Errorf("Pet lost its discriminator: %s", js(at(doc, "components", "schemas", "Pet")))
	}
	if n := len(withCode(diags, CodeDiscriminator)); n != 1 {
		t.Errorf("diagnostics:\n%s", format(diags))
	}
}

// A schema's own discriminator wins over its allOf member's: oapi-codegen
// cannot merge two.
func TestNormalizeAllOfSiblingDiscriminator(t *testing.T) {
	doc, _ := normalized(t, specHead+`paths: {}
components:
  schemas:
    Invocation:
      type: object
      required: [method]
      properties: {method: {type: string}}
      discriminator: {propertyName: method, mapping: {a: '#/components/schemas/AInvocation'}}
    AInvocation:
      allOf:
        - $ref: '#/components/schemas/Invocation'
      required: [method]
      properties: {extra: {type: string}}
      discriminator: {propertyName: method, mapping: {a: '#/components/schemas/AInvocation'}}
`)
	a := at(doc, "components", "schemas", "AInvocation")
	if at(a, "discriminator") == nil || at(a, "allOf", "0", "discriminator") != nil || at(a, "allOf", "0", "properties", "method") == nil {
		t.Errorf("AInvocation = %s", js(a))
	}
}

// A reference into a body schema the SDK sets aside still resolves: it was
// hoisted into a component first.
func TestNormalizeRefIntoUntypedBody(t *testing.T) {
	doc, _ := normalized(t, specHead+`paths:
  /a:
    put:
      requestBody:
        content:
          text/yaml: {schema: {type: string, description: policy}}
      responses:
        '204': {description: ok}
  /b:
    put:
      requestBody:
        content:
          application/json: {schema: {$ref: '#/paths/~1a/put/requestBody/content/text~1yaml/schema'}}
      responses:
        '204': {description: ok}
`)
	if at(doc, "paths", "/a", "put", "requestBody", "content", "text/yaml", "schema") != nil {
		t.Errorf("text/yaml schema kept: %s", js(at(doc, "paths", "/a")))
	}
	ref, _ := at(doc, "paths", "/b", "put", "requestBody", "content", "application/json", "schema", "$ref").(string)
	if !strings.HasPrefix(ref, "#/components/schemas/") {
		t.Errorf("ref = %q", ref)
	}
}

// Union parameters of operations without operationIds get components named
// after method and path, not the method alone.
func TestNormalizeParamUnionNamesWithoutOperationID(t *testing.T) {
	doc, _ := normalized(t, specHead+`paths:
  /events:
    get:
      parameters:
        - {name: source, in: query, schema: {oneOf: [{type: string, enum: [a, b]}, {type: array, items: {type: string}}]}}
      responses:
        '204': {description: ok}
  /events/statuses:
    get:
      parameters:
        - {name: source, in: query, schema: {oneOf: [{type: string, enum: [a, c]}, {type: array, items: {type: string}}]}}
      responses:
        '204': {description: ok}
`)
	schemas, _ := at(doc, "components", "schemas").(map[string]any)
	if _, ok := schemas["get_events_source_param"]; !ok {
		t.Errorf("schemas = %s", js(schemas))
	}
	if _, ok := schemas["get_events_statuses_source_param"]; !ok {
		t.Errorf("schemas = %s", js(schemas))
	}
}

// Operations whose ids would make the same Go method are named apart,
// including the ids derived for operations without one.
func TestNormalizeOperationIDsThatMakeOneGoName(t *testing.T) {
	doc, diags := normalized(t, specHead+`paths:
  /aliases/trackingId:
    get: {responses: {'204': {description: ok}}}
  /aliases/{trackingId}:
    get: {responses: {'204': {description: ok}}}
  /pets:
    get: {operationId: get-pets, responses: {'204': {description: ok}}}
    post: {operationId: getPets, responses: {'204': {description: ok}}}
`)
	if id := at(doc, "paths", "/aliases/trackingId", "get", "operationId"); id != nil {
		t.Errorf("first operation got the operationId %v", id)
	}
	if id := at(doc, "paths", "/aliases/{trackingId}", "get", "operationId"); id != "get-aliases-by-trackingId" {
		t.Errorf("operationId = %v", id)
	}
	if id := at(doc, "paths", "/pets", "post", "operationId"); id != "getPets_post_pets" {
		t.Errorf("operationId = %v", id)
	}
	if n := len(withCode(diags, CodeDuplicateOpID)); n != 2 {
		t.Errorf("diagnostics:\n%s", format(diags))
	}
}

// The items of a component array that refer back to it get a component of
// their own, so the array is not an alias of a struct holding itself.
func TestNormalizeRecursiveArrays(t *testing.T) {
	doc, diags := normalized(t, specHead+`paths: {}
components:
  schemas:
    order-item:
      type: array
      items:
        type: object
        properties:
          Items: {$ref: '#/components/schemas/order-item'}
          Name: {type: string}
    OrderItemItem: {type: string}
`)
	if ref := at(doc, "components", "schemas", "order-item", "items", "$ref"); ref != "#/components/schemas/order-item_item2" {
		t.Errorf("items = %s", js(at(doc, "components", "schemas", "order-item", "items")))
	}
	if at(doc, "components", "schemas", "order-item_item2", "properties", "Items", "$ref") != "#/components/schemas/order-item" {
		t.Errorf("schemas = %s", js(at(doc, "components", "schemas")))
	}
	if n := len(withCode(diags, CodeRefHoisted)); n != 1 {
		t.Errorf("diagnostics:\n%s", format(diags))
	}
}

// A callback is named like an operation (oapi-codegen names its types
// after the callback when it has no operationId): it is renamed.
func TestNormalizeCallbackNamedLikeAnOperation(t *testing.T) {
	doc, diags := normalized(t, specHead+`paths:
  /calls:
    post:
      operationId: dial
      callbacks:
        callHangup:
          '{$request.body#/url}':
            post:
              requestBody: {content: {application/json: {schema: {type: object}}}}
              responses: {'200': {description: ok}}
      responses: {'204': {description: ok}}
  /calls/{id}/hangup:
    post:
      operationId: callHangup
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {'204': {description: ok}}
`)
	cb := at(doc, "paths", "/calls", "post", "callbacks", "callHangup", "{$request.body#/url}", "post", "operationId")
	if cb != "callHangupCallback" || at(doc, "paths", "/calls/{id}/hangup", "post", "operationId") != "callHangup" {
		t.Errorf("callback operationId = %v\n%s", cb, format(diags))
	}
}

// Text that would break out of generated comments or hide in them loses
// what Go source must not hold raw, each change reported where it was made.
func TestNormalizeCleansUnsafeText(t *testing.T) {
	doc, diags := normalized(t, specHead+`paths:
  /a:
    get:
      operationId: "get\u202eA"
      summary: "one\u0000two"
      description: "line\nbreaks stay\u2028but LS becomes one\u202e"
      parameters:
        - {name: q, in: query, style: "form\n//x", schema: {type: string, example: {k: "v\u0007"}}}
      responses:
        '200':
          description: ok
          headers:
            "X-Bad\nHeader": {schema: {type: string}}
            X-Good: {schema: {type: string}}
          content:
            "application/json\n//x": {schema: {type: string}}
            application/json: {schema: {$ref: "#/components/schemas/Bad\u202e~1Name"}}
  /b:
    get:
      operationId: "获取"
      responses: {'204': {description: ok}}
components:
  schemas:
    "Bad\u202e/Name":
      type: object
      properties:
        self: {$ref: "#/components/schemas/Bad\u202e~1Name"}
        "": {type: string}
      discriminator: {propertyName: self, mapping: {x: "#/components/schemas/Bad\u202e~1Name"}}
    Nested: {type: array, items: {$ref: "#/components/schemas/Nested"}}
`)
	op := at(doc, "paths", "/a", "get")
	if got := js(at(op, "operationId")) + js(at(op, "summary")) + js(at(op, "description")); got != `"getA""onetwo""line\nbreaks stay\nbut LS becomes one"` {
		t.Errorf("operation text = %s", got)
	}
	if got := js(at(op, "parameters", "0", "style")) + js(at(op, "parameters", "0", "schema", "example")); got != `"form//x"{"k":"v"}` {
		t.Errorf("parameter = %s", got)
	}
	if got := js(at(op, "responses", "200", "headers")); got != `{"X-Good":{"schema":{"type":"string"}}}` {
		t.Errorf("headers = %s", got)
	}
	// The component is renamed, and every reference follows it.
	schemas := at(doc, "components", "schemas").(map[string]any)
	if _, ok := schemas["Bad_Name"]; !ok || len(schemas) != 2 {
		t.Fatalf("schemas = %s", js(schemas))
	}
	for _, ref := range []any{
		at(op, "responses", "200", "content", "application/json", "schema", "$ref"),
		at(schemas, "Bad_Name", "properties", "self", "$ref"),
		at(schemas, "Bad_Name", "discriminator", "mapping", "x"),
	} {
		if ref != "#/components/schemas/Bad_Name" {
			t.Errorf("reference not retargeted: %v", ref)
		}
	}
	if js(at(op, "responses", "200", "content")) != `{"application/json":{"schema":{"$ref":"#/components/schemas/Bad_Name"}}}` {
		t.Errorf("content = %s", js(at(op, "responses", "200", "content")))
	}
	if at(schemas, "Bad_Name", "properties", "") != nil {
		t.Errorf("a property without a name was kept")
	}
	// An operationId Go keeps nothing of is derived from the path.
	if id := at(doc, "paths", "/b", "get", "operationId"); id != "get-b" {
		t.Errorf("operationId = %v", id)
	}
	// An array of itself cannot be a Go alias: its items became untyped.
	if js(at(schemas, "Nested")) != `{"items":{},"type":"array"}` {
		t.Errorf("Nested = %s", js(at(schemas, "Nested")))
	}
	if n := len(withCode(diags, CodeUnrepresentable)); n != 10 {
		t.Errorf("%d %s warnings, want 10:\n%s", n, CodeUnrepresentable, format(diags))
	}
	if len(withCode(diags, CodeDegraded)) != 1 {
		t.Errorf("no %s warning for the nested array:\n%s", CodeDegraded, format(diags))
	}
	for _, d := range diags {
		if d.Code == CodeUnrepresentable && d.Pos.Line == 0 {
			t.Errorf("unlocated: %s", d)
		}
	}
}

func TestNormalizeNullableRefs(t *testing.T) {
	doc, diags := normalized(t, specHead+`paths: {}
components:
  schemas:
    User: {type: object, properties: {name: {type: string}}}
    Group:
      type: object
      properties:
        manager:
          anyOf:
            - $ref: '#/components/schemas/User'
            - {type: object, nullable: true}
          description: The manager.
        owner:
          oneOf:
            - {nullable: true}
            - $ref: '#/components/schemas/User'
        either:
          anyOf:
            - $ref: '#/components/schemas/User'
            - {type: object, nullable: true, properties: {x: {type: string}}}
`)
	for _, p := range []string{"manager", "owner"} {
		got := at(doc, "components", "schemas", "Group", "properties", p)
		if js(at(got, "allOf")) != `[{"$ref":"#/components/schemas/User"}]` || at(got, "nullable") != true || at(got, "anyOf") != nil || at(got, "oneOf") != nil {
			t.Errorf("%s = %s", p, js(got))
		}
	}
	if at(doc, "components", "schemas", "Group", "properties", "manager", "description") != "The manager." {
		t.Errorf("description lost")
	}
	// A null member with properties is an object, not null: left alone.
	if at(doc, "components", "schemas", "Group", "properties", "either", "anyOf") == nil {
		t.Errorf("either was rewritten")
	}
	if n := countCode(diags, CodeNullableRef); n != 2 {
		t.Errorf("%d %s diagnostics, want 2", n, CodeNullableRef)
	}
}

func countCode(ds Diagnostics, code string) int {
	n := 0
	for _, d := range ds {
		if d.Code == code {
			n++
		}
	}
	return n
}
