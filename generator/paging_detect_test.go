package generator

import (
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// detectOne loads a spec of one GET /list operation whose parameters and
// 200 response are given in YAML, and detects its pagination.
func detectOne(t *testing.T, params, response string) (*Pagination, string, bool) {
	t.Helper()
	indent := func(s, pad string) string {
		lines := strings.Split(strings.TrimSpace(s), "\n")
		for i, l := range lines {
			lines[i] = pad + l
		}
		return strings.Join(lines, "\n")
	}
	src := "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /list:\n    get:\n      operationId: list\n"
	if params != "" {
		src += "      parameters:\n" + indent(params, "        ") + "\n"
	}
	src += "      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n" + indent(response, "              ") + "\n"
	doc, err := openapi3.NewLoader().LoadFromData([]byte(src))
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	item := doc.Paths.Value("/list")
	root, _, headers := successShape(item.Get)
	pg, _, why, list := detectSpec(queryParams(item, item.Get), root, headers)
	return pg, why, list
}

func TestDetectPagination(t *testing.T) {
	for _, tc := range []struct {
		name, params, response string
		want                   string // style items param next/total… as "style|items|param|extra"
	}{
		{"nested cursor (Slack)",
			`- {name: cursor, in: query, schema: {type: string}}`,
			`schema: {type: object, properties: {channels: {type: array, items: {type: object}}, response_metadata: {type: object, properties: {next_cursor: {type: string}}}}}`,
			"cursor|channels|cursor|response_metadata.next_cursor"},
		{"marker (Box)",
			`- {name: marker, in: query, schema: {type: string}}`,
			`schema: {type: object, properties: {entries: {type: array, items: {type: object}}, next_marker: {type: string}}}`,
			"cursor|entries|marker|next_marker"},
		{"page token (Google)",
			"- {name: pageToken, in: query, schema: {type: string}}\n- {name: pageSize, in: query, schema: {type: integer}}",
			`schema: {type: object, properties: {files: {type: array, items: {type: object}}, nextPageToken: {type: string}}}`,
			"cursor|files|pageToken|nextPageToken"},
		{"cursor from the example only",
			`- {name: cursor, in: query, schema: {type: string}}`,
			"schema: {type: object, properties: {ok: {type: boolean}}}\nexample: {ok: true, users: [{id: u1}], response_metadata: {next_cursor: abc}}",
			"cursor|users|cursor|response_metadata.next_cursor"},
		{"offset and total in a paging object (Spotify)",
			"- {name: offset, in: query, schema: {type: integer}}\n- {name: limit, in: query, schema: {type: integer}}",
			`schema: {type: object, properties: {albums: {type: object, properties: {items: {type: array, items: {type: object}}, total: {type: integer}, next: {type: string}}}}}`,
			"offset|albums.items|offset|total=albums.total"},
		{"page and pages (Linode)",
			"- {name: page, in: query, schema: {type: integer}}\n- {name: page_size, in: query, schema: {type: integer}}",
			`schema: {type: object, properties: {data: {type: array, items: {type: object}}, page: {type: integer}, pages: {type: integer}}}`,
			"page|data|page|pages"},
		{"next page URI (Twilio)",
			"- {name: Page, in: query, schema: {type: integer}}\n- {name: PageToken, in: query, schema: {type: string}}",
			`schema: {type: object, properties: {accounts: {type: array, items: {type: object}}, next_page_uri: {type: string}}}`,
			"next-url|accounts||next_page_uri"},
		{"last item's id (Stripe)",
			"- {name: starting_after, in: query, schema: {type: string}}",
			`schema: {type: object, properties: {data: {type: array, items: {type: object, properties: {id: {type: string}}}}, has_more: {type: boolean}}}`,
			"cursor|data|starting_after|last-item.id"},
		{"page and per_page, a list body",
			"- {name: page, in: query, schema: {type: integer}}\n- {name: per_page, in: query, schema: {type: integer}}",
			"schema: {type: array, items: {type: object}}",
			"page||page|"},
		{"a time window moved back by the next page's timestamp (Vercel)",
			"- {name: from, in: query, description: Gets the deployment created after this Date timestamp., schema: {type: number}}\n" +
				"- {name: limit, in: query, schema: {type: number}}\n- {name: until, in: query, schema: {type: number}}",
			`schema: {type: object, properties: {deployments: {type: array, items: {type: object}}, pagination: {type: object, properties: {count: {type: number, description: Amount of items in the current page.}, next: {type: [number, "null"]}, prev: {type: [number, "null"]}}}}}`,
			"cursor|deployments|until|pagination.next"},
		{"the list of objects among lists",
			"- {name: cursor, in: query, schema: {type: string}}",
			`schema: {type: object, properties: {ts: {type: array, items: {type: string}}, messages: {type: array, items: {type: object}}, next_cursor: {type: string}}}`,
			"cursor|messages|cursor|next_cursor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pg, why, _ := detectOne(t, tc.params, tc.response)
			if pg == nil {
				t.Fatalf("not detected: %s", why)
			}
			param, extra := "", ""
			switch {
			case pg.Cursor != nil:
				param, extra = pg.Cursor.Param, pg.Cursor.Next+pg.Cursor.From
			case pg.Offset != nil:
				param = pg.Offset.Param
				if pg.Total != "" {
					extra = "total=" + pg.Total
				}
			case pg.Page != nil:
				param, extra = pg.Page.Param, pg.TotalPages
			default:
				extra = pg.Next
			}
			if got := strings.Join([]string{pg.Style, pg.Items, param, extra}, "|"); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// A list with a paging parameter but nothing to page by gets a reason; a
// list without paging parameters and an object are not lists to page.
func TestDetectUnpaged(t *testing.T) {
	pg, why, list := detectOne(t, `- {name: cursor, in: query, schema: {type: string}}`,
		`schema: {type: object, properties: {items: {type: array, items: {type: object}}}}`)
	if pg != nil || !list || !strings.Contains(why, "cursor parameter") {
		t.Errorf("cursor without a next one: %v %q %v", pg, why, list)
	}
	if pg, why, list := detectOne(t, "", `schema: {type: array, items: {type: object}}`); pg != nil || list {
		t.Errorf("a plain list: %v %q %v", pg, why, list)
	}
	if pg, why, list := detectOne(t, `- {name: page, in: query, schema: {type: integer}}`,
		`schema: {type: object, properties: {id: {type: string}, total: {type: integer}}}`); pg != nil || list {
		t.Errorf("an object: %v %q %v", pg, why, list)
	}
	// One album whose tracks page inside it is a resource, not a page.
	if pg, _, list := detectOne(t, `- {name: market, in: query, schema: {type: string}}`,
		`schema: {type: object, properties: {id: {type: string}, name: {type: string}, tracks: {type: object, properties: {items: {type: array, items: {type: object}}, next: {type: string, format: uri}, total: {type: integer}}}}}`); pg != nil || list {
		t.Errorf("a resource paged: %+v", pg)
	}
	// A parameter that is a point in time is not an offset, whatever its
	// name, and a count of the page itself is not a total: paging
	// deployments from=0 until the page's own count would stop after one
	// page, silently.
	if pg, why, list := detectOne(t,
		"- {name: from, in: query, description: Gets the deployment created after this Date timestamp., schema: {type: number}}\n- {name: limit, in: query, schema: {type: number}}",
		`schema: {type: object, properties: {deployments: {type: array, items: {type: object}}, pagination: {type: object, properties: {count: {type: number}, next: {type: [number, "null"]}}}}}`); pg != nil || !list {
		t.Errorf("a timestamp paged as an offset: %+v %q", pg, why)
	}
	if pg, why, _ := detectOne(t,
		"- {name: offset, in: query, schema: {type: integer}}",
		`schema: {type: object, properties: {data: {type: array, items: {type: object}}, count: {type: integer, description: The number of items in this page.}}}`); pg != nil {
		t.Errorf("a page's own count taken for the total: %+v %q", pg, why)
	}
	// A string before is a backward cursor, not a window's end.
	if pg, _, _ := detectOne(t,
		"- {name: before, in: query, schema: {type: string}}",
		`schema: {type: object, properties: {data: {type: array, items: {type: object}}, paging: {type: object, properties: {next: {type: string}}}}}`); pg != nil && pg.Cursor != nil && pg.Cursor.Param == "before" {
		t.Errorf("a backward cursor paged forward: %+v", pg.Cursor)
	}
	// Two lists of objects under unusual names: which one pages is not
	// guessed.
	if pg, _, _ := detectOne(t, `- {name: cursor, in: query, schema: {type: string}}`,
		`schema: {type: object, properties: {cats: {type: array, items: {type: object}}, dogs: {type: array, items: {type: object}}, next_cursor: {type: string}}}`); pg != nil {
		t.Errorf("ambiguous lists paged: %+v", pg)
	}
}

func TestPathGlob(t *testing.T) {
	for _, tc := range []struct {
		glob, path string
		want       bool
	}{
		{"/projects", "/projects", true},
		{"/projects/*/tasks", "/projects/{gid}/tasks", true},
		{"/projects/*", "/projects/{gid}/tasks", false},
		{"/**/members", "/teams/{id}/members", true},
		{"/**", "/a/b/c", true},
		{"/v1/**/list", "/v2/a/list", false},
	} {
		if got := pathGlob(tc.glob, tc.path); got != tc.want {
			t.Errorf("pathGlob(%q, %q) = %v", tc.glob, tc.path, got)
		}
	}
}
