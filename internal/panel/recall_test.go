package panel

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/sdkgen-go/sdkgen/internal/corpus"
	"github.com/sdkgen-go/sdkgen/internal/gentest"
	"github.com/sdkgen-go/sdkgen/internal/testenv"
)

// A small spec with one operation of each shape the rules recognise.
const pagingSpec = `openapi: 3.0.3
info: {title: paging, version: "1"}
paths:
  /albums:
    get:
      operationId: listAlbums
      parameters:
        - {name: offset, in: query, schema: {type: integer}}
        - {name: limit, in: query, schema: {type: integer}}
      responses:
        "200":
          description: a page
          content:
            application/json:
              schema: {$ref: "#/components/schemas/AlbumPage"}
  /channels:
    get:
      operationId: listChannels
      parameters:
        - {$ref: "#/components/parameters/Cursor"}
      responses:
        "200":
          description: a page
          content:
            application/json:
              schema:
                type: object
                properties:
                  channels: {type: array, items: {type: object, properties: {next_cursor: {type: string}}}}
                  response_metadata:
                    type: object
                    properties:
                      next_cursor: {type: string}
  /tasks:
    get:
      operationId: listTasks
      parameters:
        - {name: offset, in: query, schema: {type: string}}
      responses:
        "200":
          description: a page
          content:
            application/json:
              schema:
                allOf:
                  - {type: object, properties: {data: {type: array, items: {type: object}}}}
                  - type: object
                    properties:
                      next_page:
                        type: object
                        properties:
                          offset: {type: string}
                          uri: {type: string, format: uri}
  /users:
    get:
      operationId: listUsers
      parameters:
        - {name: page, in: query, schema: {type: integer}}
      responses:
        "200":
          description: a page
          headers:
            Link: {schema: {type: string}}
          content:
            application/json:
              schema: {type: array, items: {type: object}}
  /users/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        default:
          description: a user
          content:
            application/json:
              schema: {type: object, properties: {name: {type: string}}}
components:
  parameters:
    Cursor: {name: cursor, in: query, schema: {type: string}}
  schemas:
    AlbumPage:
      type: object
      properties:
        items: {type: array, items: {type: object}}
        next: {type: string, nullable: true}
        total: {type: integer}
`

// ReadSpec reads each operation's shape, through $refs, allOf and nested
// objects (not array items), and the styles it supports.
func TestReadSpec(t *testing.T) {
	dir := gentest.WriteFiles(t, map[string]string{"paging.yaml": pagingSpec})
	ops, err := ReadSpec(context.Background(), filepath.Join(dir, "paging.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := []SpecOperation{
		{ID: "listAlbums", Method: "GET", Path: "/albums", Supports: []string{GenNextURLBody, GenOffset}},
		{ID: "listChannels", Method: "GET", Path: "/channels", Supports: []string{GenCursor}},
		{ID: "listTasks", Method: "GET", Path: "/tasks", Supports: []string{GenCursor, GenNextURLBody}},
		{ID: "listUsers", Method: "GET", Path: "/users", Supports: []string{GenLinkHeader, GenPage}},
		{Method: "GET", Path: "/users/{id}"},
	}
	if !reflect.DeepEqual(ops, want) {
		t.Errorf("ReadSpec =\n%+v\nwant\n%+v", ops, want)
	}
}

// Supports needs both halves of a cursor (a parameter to send it and a
// body field that carries it) and the parameter types of offsets and pages.
func TestSupports(t *testing.T) {
	for _, tc := range []struct {
		name  string
		shape Shape
		want  []string
	}{
		{"cursor param without a body cursor", Shape{Query: map[string]bool{"cursor": false}, Body: map[string]bool{"data": false}}, nil},
		{"body cursor without a param", Shape{Query: map[string]bool{"limit": true}, Body: map[string]bool{"meta.next_cursor": true}}, nil},
		{"cursor", Shape{Query: map[string]bool{"page[after]": false}, Body: map[string]bool{"meta.cursors.after": true}}, []string{GenCursor}},
		{"string offset is a token", Shape{Query: map[string]bool{"offset": false}, Body: map[string]bool{"next_page.offset": true}}, []string{GenCursor}},
		{"integer offset is not a token", Shape{Query: map[string]bool{"offset": true}, Body: map[string]bool{"offset": false}}, []string{GenOffset}},
		{"string page is not a page number", Shape{Query: map[string]bool{"page": false}}, nil},
		{"Twilio", Shape{Query: map[string]bool{"Page": true, "PageSize": true, "PageToken": false},
			Body: map[string]bool{"meta.next_page_url": true, "meta.page": false}}, []string{GenNextURLBody, GenPage}},
		{"next that is an object", Shape{Body: map[string]bool{"next": false}}, nil},
		{"link header", Shape{Headers: []string{"link", "x-total"}}, []string{GenLinkHeader}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.shape.Supports(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Supports() = %v, want %v", got, tc.want)
			}
		})
	}
}

// Recall judges each labelled operation: the labelled style, another style
// the spec supports, a style it does not support (not counted) or none.
// Labels find their operation by ID, else by method and path through the
// spec (a renamed operationId), or by "METHOD /path".
func TestRecall(t *testing.T) {
	labels := []Label{
		{Operation: "listAlbums", Style: StyleOffset},       // OffsetPager: match
		{Operation: "listPlaylists", Style: StyleOffset},    // NextURLPager, supported: alternative
		{Operation: "listTasks", Style: StyleToken},         // CursorPager: match (a token is a cursor)
		{Operation: "listChannels", Style: StyleCursorBody}, // PageNumberPager, unsupported
		{Operation: "listUsers", Style: StyleLinkHeader},    // unpaged: missing
		{Operation: "listRenamed", Style: StylePage},        // generated under another ID: match
		{Operation: "GET /events", Style: StyleNextURLBody}, // by method and path: match
		{Operation: "listGone", Style: StylePage},           // not in the spec
		{Operation: "listOther", Style: StyleCursorBody},    // a constructor the panel does not know
		{Operation: "listNoCode", Style: StylePage},         // no descriptor in the code
	}
	spec := []SpecOperation{
		{ID: "listAlbums", Method: "GET", Path: "/albums", Supports: []string{GenNextURLBody, GenOffset}},
		{ID: "listPlaylists", Method: "GET", Path: "/playlists", Supports: []string{GenNextURLBody, GenOffset}},
		{ID: "listTasks", Method: "GET", Path: "/tasks", Supports: []string{GenCursor}},
		{ID: "listChannels", Method: "GET", Path: "/channels", Supports: []string{GenCursor}},
		{ID: "listUsers", Method: "GET", Path: "/users", Supports: []string{GenLinkHeader}},
		{ID: "listRenamed", Method: "GET", Path: "/renamed", Supports: []string{GenPage}},
		{Method: "GET", Path: "/events", Supports: []string{GenNextURLBody}},
		{ID: "listOther", Method: "GET", Path: "/other", Supports: []string{GenCursor}},
		{ID: "listNoCode", Method: "GET", Path: "/nocode", Supports: []string{GenPage}},
		{ID: "listExtra", Method: "GET", Path: "/extra"},
	}
	code := Code{
		Operations: []Operation{
			{ID: "listAlbums", Method: "GET", Path: "/albums", Pagers: []string{"OffsetPager"}},
			{ID: "listPlaylists", Method: "GET", Path: "/playlists", Pagers: []string{"NextURLPager"}},
			{ID: "listTasks", Method: "GET", Path: "/tasks", Pagers: []string{"CursorPager"}},
			{ID: "listChannels", Method: "GET", Path: "/channels", Pagers: []string{"PageNumberPager"}},
			{ID: "listUsers", Method: "GET", Path: "/users"},
			{ID: "ListRenamed2", Method: "GET", Path: "/renamed", Pagers: []string{"PageNumberPager"}},
			{ID: "GetEvents", Method: "GET", Path: "/events", Pagers: []string{"NextURLPager"}},
			{ID: "listOther", Method: "GET", Path: "/other", Pagers: []string{"HeaderCursorPager"}},
			{ID: "listExtra", Method: "GET", Path: "/extra", Pagers: []string{"LinkPager"}, Methods: []string{"S.ListExtra"}},
		},
		UnattachedPagers: []string{"S.All"},
	}
	pg := Recall(labels, spec, code)
	verdicts := map[string]string{}
	styles := map[string]string{}
	for _, o := range pg.Operations {
		verdicts[o.Operation] = o.Verdict
		styles[o.Operation] = o.GeneratedStyle
	}
	wantVerdicts := map[string]string{
		"listAlbums": VerdictMatch, "listPlaylists": VerdictAlternative, "listTasks": VerdictMatch,
		"listChannels": VerdictUnsupported, "listUsers": VerdictMissing, "listRenamed": VerdictMatch,
		"GET /events": VerdictMatch, "listGone": VerdictMissing, "listOther": VerdictUnsupported, "listNoCode": VerdictMissing,
	}
	if !reflect.DeepEqual(verdicts, wantVerdicts) {
		t.Errorf("verdicts = %v\nwant %v", verdicts, wantVerdicts)
	}
	if styles["listPlaylists"] != GenNextURLBody || styles["listTasks"] != GenCursor || styles["listOther"] != GenOther {
		t.Errorf("generated styles = %v", styles)
	}
	if pg.Labelled != 10 || pg.Match != 4 || pg.Alternative != 1 || pg.Unsupported != 2 || pg.Missing != 3 || pg.Recall != 0.5 {
		t.Errorf("counts = %+v", pg)
	}
	notes := map[string]string{}
	for _, o := range pg.Operations {
		if o.Note != "" {
			notes[o.Operation] = o.Note
		}
	}
	if want := map[string]string{"listGone": "not in the spec", "listNoCode": "no operation descriptor in the code"}; !reflect.DeepEqual(notes, want) {
		t.Errorf("notes = %v, want %v", notes, want)
	}
	if pg.Paged != 8 {
		t.Errorf("Paged = %d, want 8", pg.Paged)
	}
	wantUnlabelled := []Pager{{Operation: "listExtra", Method: "GET", Path: "/extra", Pagers: []string{"LinkPager"},
		Styles: []string{GenLinkHeader}, Methods: []string{"S.ListExtra"}}}
	if !reflect.DeepEqual(pg.Unlabelled, wantUnlabelled) {
		t.Errorf("Unlabelled = %+v, want %+v", pg.Unlabelled, wantUnlabelled)
	}
	if !reflect.DeepEqual(pg.UnattachedPagers, []string{"S.All"}) {
		t.Errorf("UnattachedPagers = %v", pg.UnattachedPagers)
	}
}

// sharedAPIs returns the shared panel's labels and APIs.
func sharedAPIs(t *testing.T) ([]Label, []API) {
	t.Helper()
	labels, err := Labels()
	if err != nil {
		t.Fatal(err)
	}
	apis, err := APIs(labels)
	if err != nil {
		t.Fatal(err)
	}
	return labels, apis
}

// The shared labels are read as given: 152 operations of 6 APIs.
func TestLabels(t *testing.T) {
	labels, apis := sharedAPIs(t)
	var names []string
	for _, a := range apis {
		names = append(names, a.Name)
	}
	if len(labels) != 152 || !reflect.DeepEqual(names, []string{"spotify", "slack", "twilio", "linode", "asana", "box"}) {
		t.Errorf("%d labels of %v, want 152 of spotify, slack, twilio, linode, asana, box", len(labels), names)
	}
	if _, err := ParseLabels("api\tspec_relpath\toperationId\tstyle\tevidence\nx\ty\tz\tsideways\te\n"); err == nil {
		t.Error("no error for an unknown style")
	}
	l := Label{Operation: "GET /a/{b}"}
	if m, p, ok := l.MethodPath(); !ok || m != "GET" || p != "/a/{b}" {
		t.Errorf("MethodPath = %q %q %v", m, p, ok)
	}
	if _, _, ok := (Label{Operation: "get-a-b"}).MethodPath(); ok {
		t.Error("an operationId read as METHOD /path")
	}
}

// Every label names an operation of its spec, in the installed corpus
// (skipped without it, failed under CI=true).
func TestLabelsMatchSpecs(t *testing.T) {
	dir, err := corpus.Dir("")
	if err != nil {
		if testenv.InCI() {
			t.Fatal(err)
		}
		t.Skip("SKIPPED, component missing: ", err)
	}
	_, apis := sharedAPIs(t)
	for _, a := range apis {
		file, err := SpecFile(dir, a.Spec)
		if err != nil {
			t.Fatal(err)
		}
		ops, err := ReadSpec(context.Background(), file)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range Recall(a.Labels, ops, Code{}).Operations {
			if o.Note == "not in the spec" {
				t.Errorf("%s: %s is not an operation of %s", a.Name, o.Operation, a.Spec)
			}
		}
	}
}
