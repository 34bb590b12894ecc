package server

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCRUD(t *testing.T) {
	h := start(t, Options{})
	body := map[string]any{
		"sku": "LAMP-001", "name": "Desk lamp", "description": "An adjustable LED desk lamp.",
		"category": "lighting", "price": 3999, "stock": 12, "tags": []string{"led", "office"},
	}
	res := h.do(http.MethodPost, "/products", body)
	if res.status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	var p product
	res.decode(&p)
	if !validID(p.ID) || p.SKU != "LAMP-001" || p.Name != "Desk lamp" || p.Price != 3999 || p.Stock != 12 ||
		!slices.Equal(p.Tags, []string{"led", "office"}) || p.Version != 1 || p.CreatedAt.IsZero() || !p.UpdatedAt.Equal(p.CreatedAt) {
		t.Fatalf("created %+v", p)
	}
	if loc := res.header.Get("Location"); loc != "/products/"+p.ID {
		t.Errorf("Location %q", loc)
	}
	if et := res.header.Get("ETag"); et != `"1"` {
		t.Errorf("ETag %q", et)
	}

	res = h.do(http.MethodGet, "/products/"+p.ID, nil)
	var got product
	res.decode(&got)
	if res.status != http.StatusOK || got.ID != p.ID || got.Description != "An adjustable LED desk lamp." || res.header.Get("ETag") != `"1"` {
		t.Fatalf("get: %d %s", res.status, res.body)
	}

	// An update with the current ETag applies; one with a stale ETag is
	// refused with the current one.
	res = h.do(http.MethodPatch, "/products/"+p.ID, map[string]any{"price": 3499, "tags": []string{}}, "If-Match", `"1"`)
	var upd product
	res.decode(&upd)
	if res.status != http.StatusOK || upd.Price != 3499 || len(upd.Tags) != 0 || upd.Version != 2 ||
		!upd.UpdatedAt.After(upd.CreatedAt) || upd.Stock != 12 || res.header.Get("ETag") != `"2"` {
		t.Fatalf("update: %d %s", res.status, res.body)
	}
	res = h.do(http.MethodPatch, "/products/"+p.ID, map[string]any{"price": 1}, "If-Match", `"1"`)
	res.problem(http.StatusPreconditionFailed)
	if res.header.Get("ETag") != `"2"` {
		t.Errorf("412 ETag %q", res.header.Get("ETag"))
	}
	// A weak tag never matches (If-Match compares strongly); "*" and a
	// list holding the tag do.
	h.do(http.MethodPatch, "/products/"+p.ID, map[string]any{"price": 1}, "If-Match", `W/"2"`).problem(http.StatusPreconditionFailed)
	if res := h.do(http.MethodPatch, "/products/"+p.ID, map[string]any{"stock": 5}, "If-Match", `"9", "2"`); res.status != http.StatusOK {
		t.Fatalf("If-Match list: %d %s", res.status, res.body)
	}
	if res := h.do(http.MethodPatch, "/products/"+p.ID, map[string]any{"stock": 6}, "If-Match", `*`); res.status != http.StatusOK {
		t.Fatalf("If-Match *: %d %s", res.status, res.body)
	}
	// Setting what is already there changes nothing: same version.
	res = h.do(http.MethodPatch, "/products/"+p.ID, map[string]any{"stock": 6, "name": "Desk lamp"})
	res.decode(&upd)
	if res.status != http.StatusOK || upd.Version != 4 {
		t.Fatalf("no-op update: %d %s", res.status, res.body)
	}

	h.do(http.MethodDelete, "/products/"+p.ID, nil, "If-Match", `"1"`).problem(http.StatusPreconditionFailed)
	if res := h.do(http.MethodDelete, "/products/"+p.ID, nil, "If-Match", `"4"`); res.status != http.StatusNoContent || len(res.body) != 0 {
		t.Fatalf("delete: %d %s", res.status, res.body)
	}
	pr := h.do(http.MethodGet, "/products/"+p.ID, nil).problem(http.StatusNotFound)
	if pr.Instance != "/products/"+p.ID || !strings.Contains(pr.Detail, p.ID) || pr.Type != ProblemTypeBase+"not-found" {
		t.Errorf("404 problem %+v", pr)
	}
	h.do(http.MethodDelete, "/products/"+p.ID, nil).problem(http.StatusNotFound)
	h.do(http.MethodPatch, "/products/"+p.ID, map[string]any{"stock": 1}).problem(http.StatusNotFound)
	// The SKU is free again.
	h.create(body)
}

func TestSKUConflict(t *testing.T) {
	h := start(t, Options{})
	a := h.create(map[string]any{"sku": "AAA-1", "name": "A", "category": "misc", "price": 1})
	b := h.create(map[string]any{"sku": "BBB-1", "name": "B", "category": "misc", "price": 1})
	pr := h.do(http.MethodPost, "/products", map[string]any{"sku": "AAA-1", "name": "C", "category": "misc", "price": 1}).problem(http.StatusConflict)
	if len(pr.Errors) != 1 || pr.Errors[0].Field != "sku" || !strings.Contains(pr.Detail, a.ID) {
		t.Errorf("create conflict %+v", pr)
	}
	h.do(http.MethodPatch, "/products/"+b.ID, map[string]any{"sku": "AAA-1"}).problem(http.StatusConflict)
	// Renaming frees the old SKU.
	if res := h.do(http.MethodPatch, "/products/"+a.ID, map[string]any{"sku": "AAA-2"}); res.status != http.StatusOK {
		t.Fatalf("rename: %d %s", res.status, res.body)
	}
	if res := h.do(http.MethodPatch, "/products/"+b.ID, map[string]any{"sku": "AAA-1"}); res.status != http.StatusOK {
		t.Fatalf("take freed SKU: %d %s", res.status, res.body)
	}
	h.do(http.MethodPost, "/products", map[string]any{"sku": "AAA-2", "name": "C", "category": "misc", "price": 1}).problem(http.StatusConflict)
}

func TestValidation(t *testing.T) {
	h := start(t, Options{})
	fieldsOf := func(pr problem) map[string]string {
		m := map[string]string{}
		for _, e := range pr.Errors {
			m[e.Field] = e.Message
		}
		return m
	}
	pr := h.do(http.MethodPost, "/products", map[string]any{
		"sku": "lower", "name": "", "category": "Bad Category", "price": 12.5, "stock": -1,
		"tags": []any{"ok", "ok", 3, "UPPER"}, "colour": "red",
	}).problem(http.StatusUnprocessableEntity)
	want := map[string]string{
		"sku":      "must match ^[A-Z0-9][A-Z0-9-]{2,31}$",
		"name":     "must be 1 to 200 characters",
		"category": "must match ^[a-z][a-z0-9-]{0,49}$",
		"price":    "must be an integer from 0 to 100000000",
		"stock":    "must be an integer from 0 to 1000000",
		"tags.1":   "repeats an earlier tag",
		"tags.2":   "must be a string",
		"tags.3":   "must match ^[a-z0-9][a-z0-9-]{0,29}$",
		"colour":   "is not a field of ProductCreate",
	}
	if got := fieldsOf(pr); !mapsEqual(got, want) {
		t.Errorf("errors\n got %v\nwant %v", got, want)
	}
	if pr.Detail != "9 fields are not valid" || pr.Type != ProblemTypeBase+"validation" {
		t.Errorf("problem %+v", pr)
	}

	pr = h.do(http.MethodPost, "/products", map[string]any{"name": "x"}).problem(http.StatusUnprocessableEntity)
	if got := fieldsOf(pr); !mapsEqual(got, map[string]string{"sku": "is required", "category": "is required", "price": "is required"}) {
		t.Errorf("required: %v", got)
	}
	pr = h.do(http.MethodPost, "/products", map[string]any{"sku": "ABC", "name": strings.Repeat("é", 200), "category": "a", "price": 0,
		"description": strings.Repeat("x", 2001), "tags": []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}}).problem(http.StatusUnprocessableEntity)
	if got := fieldsOf(pr); !mapsEqual(got, map[string]string{"description": "must be at most 2000 characters", "tags": "must have at most 10 items"}) {
		t.Errorf("limits: %v", got)
	}

	p := h.create(newProduct("Chair", "furniture", 5000))
	for _, tc := range []struct {
		body string
		want map[string]string
	}{
		{`{}`, map[string]string{"": "must name at least one field to change"}},
		{`{"price": null}`, map[string]string{"price": "must not be null"}},
		{`{"name": 7, "id": "prd_x"}`, map[string]string{"name": "must be a string", "id": "is not a field of ProductUpdate"}},
		{`[1, 2]`, map[string]string{"": "must be a JSON object"}},
	} {
		pr := h.do(http.MethodPatch, "/products/"+p.ID, tc.body).problem(http.StatusUnprocessableEntity)
		if got := fieldsOf(pr); !mapsEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.body, got, tc.want)
		}
	}

	pr = h.do(http.MethodPost, "/products", `{"sku": "ABC",`).problem(http.StatusBadRequest)
	if pr.Type != ProblemTypeBase+"malformed-body" {
		t.Errorf("malformed: %+v", pr)
	}
	pr = h.do(http.MethodPost, "/products", nil, "Content-Type", "text/plain").problem(http.StatusUnsupportedMediaType)
	if !strings.Contains(pr.Detail, "text/plain") {
		t.Errorf("415: %+v", pr)
	}
	h.do(http.MethodPatch, "/products/"+p.ID, nil).problem(http.StatusUnsupportedMediaType)
	big := `{"description": "` + strings.Repeat("x", maxJSONBytes) + `"}`
	h.do(http.MethodPatch, "/products/"+p.ID, big).problem(http.StatusRequestEntityTooLarge)

	// The product is as it was.
	var got product
	h.do(http.MethodGet, "/products/"+p.ID, nil).decode(&got)
	if got.Version != 1 || got.Name != "Chair" {
		t.Errorf("after failed updates: %+v", got)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestRoutingProblems(t *testing.T) {
	h := start(t, Options{})
	h.do(http.MethodGet, "/nowhere", nil).problem(http.StatusNotFound)
	res := h.do(http.MethodPost, "/products/prd_01JCF7YQX4W99R5S0TKM2ND8FA", map[string]any{})
	res.problem(http.StatusMethodNotAllowed)
	if res.header.Get("Allow") != "GET, PUT, PATCH, DELETE" {
		t.Errorf("Allow %q", res.header.Get("Allow"))
	}
	pr := h.do(http.MethodGet, "/products/42", nil).problem(http.StatusBadRequest)
	if len(pr.Errors) != 1 || pr.Errors[0].Field != "id" {
		t.Errorf("bad id: %+v", pr)
	}
	h.do(http.MethodGet, "/products/prd_01JCF7YQX4W99R5S0TKM2ND8FA", nil).problem(http.StatusNotFound)
	h.do(http.MethodGet, "/products/prd_01JCF7YQX4W99R5S0TKM2ND8FA/image", nil).problem(http.StatusNotFound)

	// A caller's request id is kept; an unusable one is replaced.
	res = h.do(http.MethodGet, "/products/prd_01JCF7YQX4W99R5S0TKM2ND8FA", nil, "X-Request-Id", "trace-abc-123")
	if pr := res.problem(http.StatusNotFound); pr.RequestID != "trace-abc-123" {
		t.Errorf("request id %q", pr.RequestID)
	}
	res = h.do(http.MethodGet, "/products", nil, "X-Request-Id", "has space")
	if id := res.header.Get("X-Request-Id"); !strings.HasPrefix(id, "req_") {
		t.Errorf("request id %q", id)
	}
}

// listAll pages through /products with query, limit items a page, calling
// between after each page; it returns the ids in order.
func (h *harness) listAll(query url.Values, limit int, between func()) []string {
	h.t.Helper()
	var ids []string
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("limit", strconv.Itoa(limit))
	for pages := 0; ; pages++ {
		if pages > 1000 {
			h.t.Fatal("no end of pages")
		}
		res := h.do(http.MethodGet, "/products?"+q.Encode(), nil)
		if res.status != http.StatusOK {
			h.t.Fatalf("list: %d %s", res.status, res.body)
		}
		var page struct {
			Data       []product `json:"data"`
			NextCursor *string   `json:"next_cursor"`
		}
		res.decode(&page)
		if len(page.Data) > limit {
			h.t.Fatalf("page of %d > limit %d", len(page.Data), limit)
		}
		for _, p := range page.Data {
			ids = append(ids, p.ID)
		}
		if page.NextCursor == nil {
			if !strings.Contains(string(res.body), `"next_cursor":null`) {
				h.t.Fatalf("last page without next_cursor: null: %s", res.body)
			}
			return ids
		}
		if len(page.Data) == 0 {
			h.t.Fatal("empty page with a next cursor")
		}
		q.Set("cursor", *page.NextCursor)
		if between != nil {
			between()
		}
	}
}

// Paging visits every product that exists throughout exactly once, in
// order, while other clients insert and delete products.
func TestPaginationUnderConcurrentWrites(t *testing.T) {
	h := start(t, Options{})
	const n = 57
	original := map[string]*product{}
	for i := range n {
		p := h.create(newProduct(fmt.Sprintf("Item %02d", (i*37)%n), []string{"books", "toys", "garden"}[i%3], int64((i*7919)%1000)))
		original[p.ID] = p
	}
	// Products deleted while paging may or may not be seen, once at most.
	victims := map[string]bool{}
	for id := range original {
		if len(victims) == 5 {
			break
		}
		victims[id] = true
	}

	for _, sort := range []string{"created_at", "-created_at", "name", "-name", "price", "-price"} {
		t.Run(sort, func(t *testing.T) {
			// A writer inserts products, some sorting before and some after
			// the pages already read, while the reader pages.
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			inserted := 0
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					name := []string{"AAA early", "zzz late", "Item 30"}[i%3]
					if err := h.post(newProduct(name, "books", int64(i*131%1000))); err != nil {
						t.Errorf("concurrent create: %v", err)
						return
					}
					inserted++
				}
			}()
			deleted := false
			ids := h.listAll(url.Values{"sort": {sort}}, 10, func() {
				if !deleted && sort == "price" {
					for id := range victims {
						h.do(http.MethodDelete, "/products/"+id, nil)
					}
					deleted = true
				}
			})
			close(stop)
			wg.Wait()

			seen := map[string]int{}
			for _, id := range ids {
				seen[id]++
				if seen[id] > 1 {
					t.Fatalf("%s returned twice", id)
				}
			}
			for id := range original {
				if victims[id] && sort == "price" {
					continue // deleted while paging: seen once or not at all
				}
				if seen[id] != 1 {
					t.Errorf("original product %s seen %d times", id, seen[id])
				}
			}
			if inserted == 0 {
				t.Error("the writer inserted nothing while the reader paged")
			}
			t.Logf("%d ids over %d pages, %d inserted meanwhile", len(ids), (len(ids)+9)/10, inserted)
		})
		// Later sorts run without the victims.
		if sort == "price" {
			for id := range victims {
				delete(original, id)
			}
		}
	}
}

func TestListOrderAndFilters(t *testing.T) {
	h := start(t, Options{})
	mk := func(sku, name, category string, price int64, desc string) *product {
		return h.create(map[string]any{"sku": sku, "name": name, "category": category, "price": price, "description": desc})
	}
	lamp := mk("LAMP-1", "desk Lamp", "lighting", 3999, "LED")
	bulb := mk("BULB-1", "Bulb", "lighting", 499, "warm white")
	sofa := mk("SOFA-1", "Sofa", "furniture", 49900, "three seats")
	chair := mk("CHAIR-1", "chair", "furniture", 4999, "oak, with a lamp hook")
	cheap := mk("BULB-2", "bulb", "lighting", 499, "")

	list := func(q string) []string {
		t.Helper()
		vals, err := url.ParseQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		return h.listAll(vals, 2, nil)
	}
	ids := func(ps ...*product) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = p.ID
		}
		return out
	}
	// Ties (same price, same name but for case) are broken by id in the
	// direction of the sort.
	firstBulb, secondBulb := bulb, cheap
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", ids(lamp, bulb, sofa, chair, cheap)},
		{"sort=-created_at", ids(cheap, chair, sofa, bulb, lamp)},
		{"sort=price", ids(firstBulb, secondBulb, lamp, chair, sofa)},
		{"sort=-price", ids(sofa, chair, lamp, secondBulb, firstBulb)},
		{"sort=name", ids(firstBulb, secondBulb, chair, lamp, sofa)},
		{"sort=-name", ids(sofa, lamp, chair, secondBulb, firstBulb)},
		{"category=lighting", ids(lamp, bulb, cheap)},
		{"category=lighting&sort=-price", ids(lamp, cheap, bulb)},
		{"min_price=500&max_price=5000", ids(lamp, chair)},
		{"min_price=4999", ids(sofa, chair)},
		{"max_price=499", ids(bulb, cheap)},
		{"q=LAMP", ids(lamp, chair)}, // name, description
		{"q=bulb-2", ids(cheap)},     // SKU
		{"q=lamp&category=furniture", ids(chair)},
		{"category=garden", nil},
	} {
		if got := list(tc.query); !slices.Equal(got, tc.want) {
			t.Errorf("%q: got %v, want %v", tc.query, got, tc.want)
		}
	}
}

func TestListBadParameters(t *testing.T) {
	h := start(t, Options{})
	for range 3 {
		h.create(newProduct("Pen", "office", 100))
	}
	for _, tc := range []struct{ query, field string }{
		{"limit=0", "limit"}, {"limit=101", "limit"}, {"limit=ten", "limit"},
		{"sort=price,name", "sort"}, {"category=Office", "category"},
		{"min_price=-1", "min_price"}, {"max_price=1.5", "max_price"},
		{"min_price=10&max_price=5", "min_price"},
		{"cursor=not-a-cursor", "cursor"}, {"q=", "q"},
		{"category=office&category=books", "category"},
	} {
		pr := h.do(http.MethodGet, "/products?"+tc.query, nil).problem(http.StatusBadRequest)
		if len(pr.Errors) == 0 || pr.Errors[0].Field != tc.field || pr.Type != ProblemTypeBase+"invalid-parameter" {
			t.Errorf("%s: %+v", tc.query, pr)
		}
	}
	// A cursor is bound to its filters and sort.
	var page struct {
		NextCursor *string `json:"next_cursor"`
	}
	h.do(http.MethodGet, "/products?limit=1&sort=price", nil).decode(&page)
	if page.NextCursor == nil {
		t.Fatal("no cursor")
	}
	pr := h.do(http.MethodGet, "/products?limit=1&sort=name&cursor="+url.QueryEscape(*page.NextCursor), nil).problem(http.StatusBadRequest)
	if !strings.Contains(pr.Errors[0].Message, "other filters") {
		t.Errorf("mismatched cursor: %+v", pr)
	}
	if res := h.do(http.MethodGet, "/products?limit=1&sort=price&cursor="+url.QueryEscape(*page.NextCursor), nil); res.status != http.StatusOK {
		t.Errorf("cursor with its own query: %d %s", res.status, res.body)
	}
}

func TestTokenEndpoint(t *testing.T) {
	h := start(t, Options{TokenLifetime: 90 * time.Second})
	post := func(form url.Values, basicID, basicSecret string, contentType string) *response {
		req, _ := http.NewRequest(http.MethodPost, h.url+"/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", contentType)
		if basicID != "" {
			req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
		}
		return h.send(req)
	}
	const formType = "application/x-www-form-urlencoded"
	cc := url.Values{"grant_type": {"client_credentials"}}

	res := post(cc, demoID, demoSecret, formType)
	var tr tokenResponse
	res.decode(&tr)
	if res.status != http.StatusOK || tr.TokenType != "Bearer" || tr.ExpiresIn != 90 || tr.Scope != "products:read products:write" ||
		len(tr.AccessToken) < 40 || res.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("basic: %d %s", res.status, res.body)
	}
	// Credentials in the form, and a narrower scope.
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {demoID}, "client_secret": {demoSecret}, "scope": {"products:read"}}
	res = post(form, "", "", formType+"; charset=utf-8")
	res.decode(&tr)
	if res.status != http.StatusOK || tr.Scope != "products:read" {
		t.Fatalf("form: %d %s", res.status, res.body)
	}
	h.doAs(tr.AccessToken, http.MethodPost, "/products", newProduct("x", "y", 1)).problem(http.StatusForbidden)

	for _, tc := range []struct {
		name        string
		form        url.Values
		id, secret  string
		contentType string
		status      int
		code        string
	}{
		{"wrong secret", cc, demoID, "nope", formType, 401, "invalid_client"},
		{"unknown client", cc, "ghost", demoSecret, formType, 401, "invalid_client"},
		{"no credentials", cc, "", "", formType, 401, "invalid_client"},
		{"two methods", url.Values{"grant_type": {"client_credentials"}, "client_secret": {demoSecret}}, demoID, demoSecret, formType, 400, "invalid_request"},
		{"no grant", url.Values{}, demoID, demoSecret, formType, 400, "invalid_request"},
		{"password grant", url.Values{"grant_type": {"password"}}, demoID, demoSecret, formType, 400, "unsupported_grant_type"},
		{"scope not granted", url.Values{"grant_type": {"client_credentials"}, "scope": {"products:write"}}, readerID, readerSecret, formType, 400, "invalid_scope"},
		{"unknown scope", url.Values{"grant_type": {"client_credentials"}, "scope": {"products:admin"}}, demoID, demoSecret, formType, 400, "invalid_scope"},
		{"JSON body", cc, demoID, demoSecret, "application/json", 400, "invalid_request"},
	} {
		res := post(tc.form, tc.id, tc.secret, tc.contentType)
		var oe oauthError
		res.decode(&oe)
		if res.status != tc.status || oe.Error != tc.code || oe.Description == "" || res.header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %s", tc.name, res.status, res.body)
		}
		if tc.status == 401 && res.header.Get("WWW-Authenticate") != `Basic realm="products"` {
			t.Errorf("%s: WWW-Authenticate %q", tc.name, res.header.Get("WWW-Authenticate"))
		}
	}
	res = h.doAs("", http.MethodGet, "/oauth/token", nil)
	res.problem(http.StatusMethodNotAllowed)
}

func TestBearerTokens(t *testing.T) {
	clk := newClock()
	h := start(t, Options{TokenLifetime: 2 * time.Second, Now: clk.Now})

	res := h.doAs("", http.MethodGet, "/products", nil)
	res.problem(http.StatusUnauthorized)
	if got := res.header.Get("WWW-Authenticate"); got != `Bearer realm="products"` {
		t.Errorf("no token: WWW-Authenticate %q", got)
	}
	res = h.doAs("made-up", http.MethodGet, "/products", nil)
	res.problem(http.StatusUnauthorized)
	if got := res.header.Get("WWW-Authenticate"); !strings.Contains(got, `error="invalid_token"`) {
		t.Errorf("unknown token: WWW-Authenticate %q", got)
	}

	// Scopes: a read-only client lists but cannot write.
	ro := h.token(readerID, readerSecret)
	if res := h.doAs(ro, http.MethodGet, "/products", nil); res.status != http.StatusOK {
		t.Fatalf("read-only list: %d %s", res.status, res.body)
	}
	res = h.doAs(ro, http.MethodPost, "/products", newProduct("x", "misc", 1))
	pr := res.problem(http.StatusForbidden)
	if got := res.header.Get("WWW-Authenticate"); got != `Bearer realm="products", error="insufficient_scope", scope="products:write"` {
		t.Errorf("WWW-Authenticate %q", got)
	}
	if pr.Type != ProblemTypeBase+"insufficient-scope" {
		t.Errorf("403 problem %+v", pr)
	}
	p := h.create(newProduct("Mug", "kitchen", 800))
	h.doAs(ro, http.MethodDelete, "/products/"+p.ID, nil).problem(http.StatusForbidden)
	h.doAs(ro, http.MethodPatch, "/products/"+p.ID, map[string]any{"price": 1}).problem(http.StatusForbidden)
	// A write-only token cannot read.
	wo := h.token(demoID, demoSecret, ScopeWrite)
	h.doAs(wo, http.MethodGet, "/products/"+p.ID, nil).problem(http.StatusForbidden)

	// Expiry.
	clk.Advance(1900 * time.Millisecond)
	if res := h.do(http.MethodGet, "/products", nil); res.status != http.StatusOK {
		t.Fatalf("before expiry: %d", res.status)
	}
	clk.Advance(200 * time.Millisecond)
	res = h.do(http.MethodGet, "/products", nil)
	if pr := res.problem(http.StatusUnauthorized); pr.Detail != "the token expired" {
		t.Errorf("expired: %+v", pr)
	}
	if got := res.header.Get("WWW-Authenticate"); got != `Bearer realm="products", error="invalid_token", error_description="the token expired"` {
		t.Errorf("expired: WWW-Authenticate %q", got)
	}

	// Revocation.
	fresh := h.token(demoID, demoSecret)
	if res := h.doAs(fresh, http.MethodGet, "/products", nil); res.status != http.StatusOK {
		t.Fatalf("fresh token: %d", res.status)
	}
	h.srv.RevokeTokens()
	h.doAs(fresh, http.MethodGet, "/products", nil).problem(http.StatusUnauthorized)
}

func TestIdempotencyKey(t *testing.T) {
	clk := newClock()
	h := start(t, Options{Now: clk.Now, IdempotencyTTL: time.Hour, TokenLifetime: 24 * time.Hour, Clients: []Client{
		{ID: demoID, Secret: demoSecret}, {ID: "other", Secret: "other-secret"},
	}})
	body := newProduct("Kettle", "kitchen", 2999)
	first := h.do(http.MethodPost, "/products", body, "Idempotency-Key", "key-1")
	if first.status != http.StatusCreated || first.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("first: %d %s", first.status, first.body)
	}
	replay := h.do(http.MethodPost, "/products", body, "Idempotency-Key", "key-1")
	if replay.status != http.StatusCreated || string(replay.body) != string(first.body) ||
		replay.header.Get("Idempotent-Replayed") != "true" || replay.header.Get("Location") != first.header.Get("Location") ||
		replay.header.Get("ETag") != `"1"` {
		t.Fatalf("replay: %d %v %s", replay.status, replay.header, replay.body)
	}
	if ids := h.listAll(nil, 10, nil); len(ids) != 1 {
		t.Fatalf("%d products after a replay, want 1", len(ids))
	}
	other := newProduct("Teapot", "kitchen", 1999)
	pr := h.do(http.MethodPost, "/products", other, "Idempotency-Key", "key-1").problem(http.StatusUnprocessableEntity)
	if pr.Type != ProblemTypeBase+"idempotency-key-reused" {
		t.Errorf("reuse: %+v", pr)
	}
	// Keys belong to a client: another client's key-1 is another key.
	otherTok := h.token("other", "other-secret")
	if res := h.doAs(otherTok, http.MethodPost, "/products", other, "Idempotency-Key", "key-1"); res.status != http.StatusCreated || res.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("another client's key: %d %s", res.status, res.body)
	}
	other = newProduct("Teapot", "kitchen", 1999)
	// A key longer than 255 characters is refused.
	h.do(http.MethodPost, "/products", other, "Idempotency-Key", strings.Repeat("k", 256)).problem(http.StatusBadRequest)
	// After the TTL the key is free.
	clk.Advance(time.Hour)
	if res := h.do(http.MethodPost, "/products", other, "Idempotency-Key", "key-1"); res.status != http.StatusCreated || res.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("after TTL: %d %s", res.status, res.body)
	}
	// A failed request (validation) is not remembered: the same key works
	// with a corrected body.
	bad := newProduct("Cup", "kitchen", -5)
	h.do(http.MethodPost, "/products", bad, "Idempotency-Key", "key-2").problem(http.StatusUnprocessableEntity)
	bad["price"] = 5
	if res := h.do(http.MethodPost, "/products", bad, "Idempotency-Key", "key-2"); res.status != http.StatusCreated {
		t.Fatalf("after a failure: %d %s", res.status, res.body)
	}
}

// A request with a key whose first request is still running gets 409.
func TestIdempotencyKeyInFlight(t *testing.T) {
	h := start(t, Options{})
	body := newProduct("Kettle", "kitchen", 2999)
	h.srv.writeMu.Lock() // the first request waits in its write
	done := make(chan *response)
	go func() {
		done <- h.do(http.MethodPost, "/products", body, "Idempotency-Key", "slow")
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		h.srv.idem.mu.Lock()
		n := len(h.srv.idem.keys)
		h.srv.idem.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			h.srv.writeMu.Unlock()
			t.Fatal("the first request never started")
		}
		time.Sleep(time.Millisecond)
	}
	pr := h.do(http.MethodPost, "/products", body, "Idempotency-Key", "slow").problem(http.StatusConflict)
	h.srv.writeMu.Unlock()
	if pr.Type != ProblemTypeBase+"idempotency-key-in-use" {
		t.Errorf("in flight: %+v", pr)
	}
	if res := <-done; res.status != http.StatusCreated {
		t.Fatalf("first: %d %s", res.status, res.body)
	}
	if res := h.do(http.MethodPost, "/products", body, "Idempotency-Key", "slow"); res.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("then replayed: %d %v", res.status, res.header)
	}
}

func TestFailNext(t *testing.T) {
	h := start(t, Options{FaultRetryAfter: 1500 * time.Millisecond})
	h.srv.FailNext(2, http.StatusServiceUnavailable)
	for i := range 2 {
		res := h.do(http.MethodGet, "/products", nil)
		pr := res.problem(http.StatusServiceUnavailable)
		if res.header.Get("Retry-After") != "2" || pr.Type != ProblemTypeBase+"unavailable" {
			t.Errorf("failure %d: Retry-After %q, %+v", i, res.header.Get("Retry-After"), pr)
		}
		// The token endpoint is not an API request: it neither fails nor
		// uses up a failure.
		h.token(demoID, demoSecret)
	}
	if res := h.do(http.MethodGet, "/products", nil); res.status != http.StatusOK {
		t.Fatalf("after the failures: %d %s", res.status, res.body)
	}
	// Failures come before authentication, as from a proxy in front.
	h.srv.FailNext(1, http.StatusBadGateway)
	h.doAs("", http.MethodGet, "/products", nil).problem(http.StatusBadGateway)
	h.srv.FailNext(3, http.StatusTooManyRequests)
	h.srv.FailNext(0, http.StatusTooManyRequests) // cancels
	if res := h.do(http.MethodGet, "/products", nil); res.status != http.StatusOK {
		t.Fatalf("after cancelling: %d", res.status)
	}
	for _, bad := range []func(){func() { h.srv.FailNext(-1, 503) }, func() { h.srv.FailNext(1, 404) }} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("FailNext accepted a bad argument")
				}
			}()
			bad()
		}()
	}
}

func TestRateLimit(t *testing.T) {
	clk := newClock()
	h := start(t, Options{RateLimit: 2, RateBurst: 3, Now: clk.Now})
	for i := range 3 {
		if res := h.do(http.MethodGet, "/products", nil); res.status != http.StatusOK {
			t.Fatalf("request %d: %d", i, res.status)
		}
	}
	res := h.do(http.MethodGet, "/products", nil)
	res.problem(http.StatusTooManyRequests)
	if res.header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q", res.header.Get("Retry-After"))
	}
	// Another client has its own bucket.
	if res := h.doAs(h.token(readerID, readerSecret), http.MethodGet, "/products", nil); res.status != http.StatusOK {
		t.Fatalf("other client: %d", res.status)
	}
	clk.Advance(500 * time.Millisecond)
	if res := h.do(http.MethodGet, "/products", nil); res.status != http.StatusOK {
		t.Fatalf("after refill: %d", res.status)
	}
	h.do(http.MethodGet, "/products", nil).problem(http.StatusTooManyRequests)
}

func TestEvents(t *testing.T) {
	h := start(t, Options{EventRetry: 1500 * time.Millisecond})
	live := h.openStream("")
	p := h.create(newProduct("Lamp", "lighting", 1000))
	h.do(http.MethodPatch, "/products/"+p.ID, map[string]any{"price": 900})
	h.do(http.MethodDelete, "/products/"+p.ID, nil)

	var last string
	for i, want := range []string{"created", "updated", "deleted"} {
		e := live.next()
		pe := e.decode(t)
		if e.id != strconv.Itoa(i+1) || pe.Type != want || pe.Product == nil || pe.Product.ID != p.ID || pe.At.IsZero() {
			t.Fatalf("event %d: %+v", i, e)
		}
		if want == "updated" && (pe.Product.Price != 900 || pe.Product.Version != 2) {
			t.Errorf("updated event: %+v", pe.Product)
		}
		last = e.id
	}
	if live.retry != "1500" {
		t.Errorf("retry %q", live.retry)
	}
	live.close()

	// Missed while disconnected: replayed on resume, then live again.
	a := h.create(newProduct("A", "misc", 1))
	b := h.create(newProduct("B", "misc", 2))
	resumed := h.openStream(last)
	for _, want := range []*product{a, b} {
		if pe := resumed.next().decode(t); pe.Type != "created" || pe.Product.ID != want.ID {
			t.Fatalf("replayed %+v, want %s", pe, want.ID)
		}
	}
	c := h.create(newProduct("C", "misc", 3))
	if e := resumed.next(); e.id != "6" || e.decode(t).Product.ID != c.ID {
		t.Fatalf("live after replay: %+v", e)
	}
	// Resuming at the latest id replays nothing.
	caughtUp := h.openStream("6")
	d := h.create(newProduct("D", "misc", 4))
	if e := caughtUp.next(); e.id != "7" || e.decode(t).Product.ID != d.ID {
		t.Fatalf("caught up: %+v", e)
	}

	// A malformed Last-Event-ID is refused.
	h.do(http.MethodGet, "/products/events", nil, "Last-Event-ID", "seven").problem(http.StatusBadRequest)
}

func TestEventsResetWhenLogIsShort(t *testing.T) {
	h := start(t, Options{EventLogSize: 3, KeepAlive: 20 * time.Millisecond})
	for i := range 5 {
		h.create(newProduct(fmt.Sprint("P", i), "misc", 1))
	}
	// Events 3, 4 and 5 are logged: resuming after 2 works, after 1 not.
	s := h.openStream("2")
	for _, want := range []string{"3", "4", "5"} {
		if e := s.next(); e.id != want || e.event != "created" {
			t.Fatalf("resume after 2: %+v, want id %s", e, want)
		}
	}
	latest := 5
	for _, from := range []string{"1", "99"} {
		s := h.openStream(from)
		e := s.next()
		pe := e.decode(t)
		if e.id != strconv.Itoa(latest) || pe.Type != "reset" || pe.Product != nil {
			t.Fatalf("resume after %s: %+v, want a reset with id %d", from, e, latest)
		}
		h.create(newProduct("Next "+from, "misc", 1))
		latest++
		if e := s.next(); e.event != "created" || e.id != strconv.Itoa(latest) {
			t.Fatalf("after the reset: %+v", e)
		}
	}
	// Idle streams get keepalive comments.
	idle := h.openStream("")
	time.Sleep(100 * time.Millisecond)
	h.create(newProduct("late", "misc", 1))
	idle.next()
	if idle.keepalives == 0 {
		t.Error("no keepalive comment on an idle stream")
	}
}

// A stream ends when the server closes, and Close does not wait for it.
func TestCloseEndsStreams(t *testing.T) {
	h := start(t, Options{})
	s := h.openStream("")
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, s.rd)
		done <- err
	}()
	began := time.Now()
	if err := h.srv.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(began); d > 3*time.Second {
		t.Errorf("Close took %v", d)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("stream still open after Close")
	}
	if err := h.srv.Start(context.Background(), "127.0.0.1:0"); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close: %v", err)
	}
}

func TestImages(t *testing.T) {
	h := start(t, Options{MaxImageBytes: 256 << 10})
	p := h.create(newProduct("Lamp", "lighting", 1000))
	img := testPNG(t, 200, 150, 1) // ~90 KB
	sum := sha256.Sum256(img)

	res := h.upload(p.ID, part{name: "caption", data: []byte("The lamp, lit.")},
		part{name: "image", filename: "lamp.png", contentType: "image/png", data: img})
	if res.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", res.status, res.body)
	}
	var meta productImage
	res.decode(&meta)
	if meta.ContentType != "image/png" || meta.Size != int64(len(img)) || meta.SHA256 != hex.EncodeToString(sum[:]) ||
		meta.Width != 200 || meta.Height != 150 || meta.Caption != "The lamp, lit." || meta.UploadedAt.IsZero() {
		t.Fatalf("image %+v", meta)
	}
	if res.header.Get("Location") != "/products/"+p.ID+"/image" {
		t.Errorf("Location %q", res.header.Get("Location"))
	}
	var got product
	h.do(http.MethodGet, "/products/"+p.ID, nil).decode(&got)
	if got.Image == nil || got.Image.SHA256 != meta.SHA256 || got.Version != 2 {
		t.Fatalf("product after upload: %+v", got)
	}

	download := func(accept string) *response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, h.url+"/products/"+p.ID+"/image", nil)
		req.Header.Set("Authorization", "Bearer "+h.tok)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		return h.send(req)
	}
	res = download("")
	if res.status != http.StatusOK || sha256.Sum256(res.body) != sum || res.header.Get("Content-Type") != "image/png" ||
		res.header.Get("Content-Length") != strconv.Itoa(len(img)) || res.header.Get("ETag") != `"`+meta.SHA256+`"` {
		t.Fatalf("download: %d %v, %d bytes", res.status, res.header, len(res.body))
	}
	if res := download("application/octet-stream"); res.status != http.StatusOK || res.header.Get("Content-Type") != "application/octet-stream" || sha256.Sum256(res.body) != sum {
		t.Errorf("octet-stream: %d %v", res.status, res.header)
	}
	if res := download("text/html, image/*;q=0.5"); res.header.Get("Content-Type") != "image/png" {
		t.Errorf("image/*: %d %v", res.status, res.header)
	}
	download("text/html, image/png;q=0").problem(http.StatusNotAcceptable)

	// A JPEG replaces it, and the PNG's file goes.
	jpg := testJPEG(t, 64, 32)
	res = h.upload(p.ID, part{name: "image", filename: "lamp.jpg", data: jpg})
	res.decode(&meta)
	if res.status != http.StatusCreated || meta.ContentType != "image/jpeg" || meta.Width != 64 || meta.Height != 32 || meta.Caption != "" {
		t.Fatalf("replace: %d %s", res.status, res.body)
	}
	if files := imageFiles(t, h.srv.imageDir); len(files) != 1 || !strings.Contains(files[0], meta.SHA256) {
		t.Errorf("image files after replace: %v", files)
	}
	if res := download(""); res.header.Get("Content-Type") != "image/jpeg" || string(res.body) != string(jpg) {
		t.Errorf("download after replace: %v", res.header)
	}

	// What is refused, and why.
	pr := h.upload(p.ID, part{name: "image", filename: "notes.txt", contentType: "image/png", data: []byte("just text, whatever the part says")}).problem(http.StatusUnprocessableEntity)
	if pr.Type != ProblemTypeBase+"not-an-image" || len(pr.Errors) != 1 || pr.Errors[0].Field != "image" {
		t.Errorf("not an image: %+v", pr)
	}
	// A PNG signature and the start of a header, then nothing.
	h.upload(p.ID, part{name: "image", data: img[:20]}).problem(http.StatusUnprocessableEntity)
	pr = h.upload(p.ID, part{name: "image", data: testPNG(t, 400, 300, 2)}).problem(http.StatusRequestEntityTooLarge)
	if !strings.Contains(pr.Detail, strconv.Itoa(256<<10)) {
		t.Errorf("too large: %+v", pr)
	}
	pr = h.upload(p.ID, part{name: "caption", data: []byte("no image")}).problem(http.StatusUnprocessableEntity)
	if pr.Errors[0].Field != "image" || pr.Errors[0].Message != "is required" {
		t.Errorf("no image: %+v", pr)
	}
	h.upload(p.ID, part{name: "image", data: img}, part{name: "caption", data: []byte(strings.Repeat("c", 501))}).problem(http.StatusUnprocessableEntity)
	h.upload(p.ID, part{name: "image", data: img}, part{name: "image", data: img}).problem(http.StatusUnprocessableEntity)
	h.upload(p.ID, part{name: "photo", data: img}).problem(http.StatusUnprocessableEntity)
	h.do(http.MethodPost, "/products/"+p.ID+"/image", map[string]any{"image": "base64?"}).problem(http.StatusUnsupportedMediaType)
	h.upload("prd_01JCF7YQX4W99R5S0TKM2ND8FA", part{name: "image", data: img}).problem(http.StatusNotFound)
	if files := imageFiles(t, h.srv.imageDir); len(files) != 1 {
		t.Errorf("failed uploads left files: %v", files)
	}
	// The refused uploads changed nothing.
	if res := download(""); string(res.body) != string(jpg) {
		t.Error("a refused upload replaced the image")
	}

	// A product without an image, and a deleted product's image.
	q := h.create(newProduct("Shade", "lighting", 500))
	h.do(http.MethodGet, "/products/"+q.ID+"/image", nil).problem(http.StatusNotFound)
	h.do(http.MethodDelete, "/products/"+p.ID, nil)
	if files := imageFiles(t, h.srv.imageDir); len(files) != 0 {
		t.Errorf("image files after delete: %v", files)
	}
	h.do(http.MethodGet, "/products/"+p.ID+"/image", nil).problem(http.StatusNotFound)
}

// imageFiles lists the image folder, without temporary files (there
// should be none).
func imageFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// An upload streams to disk: receiving a 20 MB image allocates far less
// than 20 MB (the test's own client streams from one buffer made before).
func TestUploadIsStreamed(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads 20 MB")
	}
	h := start(t, Options{MaxImageBytes: 32 << 20})
	p := h.create(newProduct("Poster", "art", 2500))
	// A valid PNG header followed by 20 MB of bytes: enough to sniff and
	// decode the header, cheap to make.
	head := testPNG(t, 8, 8, 3)
	big := make([]byte, 20<<20)
	copy(big, head)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res := h.upload(p.ID, part{name: "image", data: big})
	runtime.ReadMemStats(&after)
	if res.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", res.status, res.body)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KiB while uploading %d KiB", allocated>>10, len(big)>>10)
	if allocated > 8<<20 {
		t.Errorf("allocated %d bytes to receive %d: the upload is buffered", allocated, len(big))
	}
	var meta productImage
	res.decode(&meta)
	sum := sha256.Sum256(big)
	if meta.Size != int64(len(big)) || meta.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("meta %+v", meta)
	}
	st, err := os.Stat(filepath.Join(h.srv.imageDir, p.ID+"-"+meta.SHA256))
	if err != nil || st.Size() != int64(len(big)) {
		t.Fatalf("stored file: %v %v", st, err)
	}
}

// Products, images, idempotency records and the event sequence survive a
// restart on the same database; tokens do not.
func TestPersistence(t *testing.T) {
	dir := t.TempDir()
	opts := Options{DBPath: filepath.Join(dir, "products.db")}
	h := start(t, opts)
	p := h.create(newProduct("Clock", "decor", 4200))
	img := testPNG(t, 32, 32, 4)
	if res := h.upload(p.ID, part{name: "image", data: img}); res.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", res.status, res.body)
	}
	body := newProduct("Vase", "decor", 1500)
	first := h.do(http.MethodPost, "/products", body, "Idempotency-Key", "vase")
	oldToken := h.tok
	if err := h.srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(opts.DBPath); err != nil {
		t.Fatalf("database removed by Close: %v", err)
	}

	h2 := start(t, opts)
	h2.doAs(oldToken, http.MethodGet, "/products", nil).problem(http.StatusUnauthorized)
	var got product
	h2.do(http.MethodGet, "/products/"+p.ID, nil).decode(&got)
	if got.Name != "Clock" || got.Version != 2 || got.Image == nil {
		t.Fatalf("after restart: %+v", got)
	}
	res := h2.do(http.MethodGet, "/products/"+p.ID+"/image", nil)
	if sha256.Sum256(res.body) != sha256.Sum256(img) {
		t.Fatal("image changed across the restart")
	}
	if res := h2.do(http.MethodPost, "/products", body, "Idempotency-Key", "vase"); res.header.Get("Idempotent-Replayed") != "true" || string(res.body) != string(first.body) {
		t.Fatalf("idempotency record lost: %d %s", res.status, res.body)
	}
	// Three events before (create, upload, create): a stream from before
	// the restart is reset to 3, and the next event is 4.
	s := h2.openStream("2")
	if e := s.next(); e.event != "reset" || e.id != "3" {
		t.Fatalf("resume across restart: %+v", e)
	}
	h2.create(newProduct("Frame", "decor", 900))
	if e := s.next(); e.id != "4" {
		t.Fatalf("next event id %s, want 4", e.id)
	}
	if ids := h2.listAll(nil, 10, nil); len(ids) != 3 {
		t.Fatalf("%d products after restart, want 3", len(ids))
	}
}

// A database another server holds cannot be opened twice.
func TestDatabaseLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	a, err := New(Options{DBPath: path, Clients: []Client{{ID: "a", Secret: "b"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := New(Options{DBPath: path, Clients: []Client{{ID: "a", Secret: "b"}}}); err == nil {
		t.Fatal("opened a database another server holds")
	}
}

func TestStartAndClose(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := New(Options{Clients: []Client{{ID: "a", Secret: "b"}}})
	if err != nil {
		t.Fatal(err)
	}
	if srv.URL() != "" {
		t.Errorf("URL before Start: %q", srv.URL())
	}
	if err := srv.Start(ctx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx, "127.0.0.1:0"); err == nil {
		t.Error("started twice")
	}
	tmp := srv.tempDir
	if _, err := os.Stat(tmp); err != nil {
		t.Fatal(err)
	}
	// Cancelling Start's context closes the server.
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(tmp); errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the temporary database outlived the context")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("Close after the context: %v", err)
	}
	if _, err := http.Get(srv.URL() + "/products"); err == nil {
		t.Error("still serving after Close")
	}

	for _, opts := range []Options{
		{},
		{Clients: []Client{{ID: "a"}}},
		{Clients: []Client{{ID: "a:b", Secret: "s"}}},
		{Clients: []Client{{ID: "a", Secret: "s"}, {ID: "a", Secret: "t"}}},
		{Clients: []Client{{ID: "a", Secret: "s", Scopes: []string{"admin"}}}},
		{Clients: []Client{{ID: "a", Secret: "s"}}, TokenLifetime: -1},
	} {
		if s, err := New(opts); err == nil {
			_ = s.Close()
			t.Errorf("New(%+v) accepted", opts)
		}
	}
}

func TestIDs(t *testing.T) {
	var g ids
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	prev := ""
	for i := range 1000 {
		id := g.next(now.Add(time.Duration(i/10) * time.Millisecond))
		if !validID(id) || id <= prev {
			t.Fatalf("id %d: %s after %s", i, id, prev)
		}
		prev = id
	}
	// The reference implementation's example (ulid/javascript's README):
	// ulid(1469918176385) is 01ARYZ6S41 and 16 random digits.
	var u [16]byte
	binary.BigEndian.PutUint64(u[:8], 1469918176385<<16)
	if got := encodeULID(u)[:10]; got != "01ARYZ6S41" {
		t.Errorf("ULID time prefix %s, want 01ARYZ6S41", got)
	}
}
