package sdkimpl_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/internal/running"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

// item is what the test lists hold: ids 1..n.
type item struct {
	ID int `json:"id"`
}

// listServer serves a list of n items in pages of size, in one of the
// pagination styles, and counts requests.
type listServer struct {
	style string
	n     int
	size  int
	// emptyAt inserts an empty page (with a next page) at this 0-based
	// index; -1 for none.
	emptyAt int
	// failAt makes the failAt-th request (1-based) fail with a 400.
	failAt int
	// repeat makes the server hand out the same next position forever.
	repeat bool
	// noTotal leaves totals out of offset and page bodies (the client then
	// stops at an empty page).
	noTotal bool
	// hook runs at the start of each request, with its 1-based number.
	hook func(n int, r *http.Request)

	requests atomic.Int32
	mu       sync.Mutex
	seen     []string // request URIs, in order
	headers  []string // X-Trace of each request
	srv      *httptest.Server
}

func newListServer(t *testing.T, style string, n, size int, setup ...func(*listServer)) *listServer {
	ls := &listServer{style: style, n: n, size: size, emptyAt: -1}
	for _, f := range setup {
		f(ls)
	}
	ls.srv = httptest.NewServer(http.HandlerFunc(ls.serve))
	t.Cleanup(ls.srv.Close)
	return ls
}

// pages is how many pages the list has.
func (ls *listServer) pages() int {
	p := (ls.n + ls.size - 1) / ls.size
	if p == 0 {
		p = 1 // an empty list is one empty page
	}
	if ls.emptyAt >= 0 {
		p++
	}
	return p
}

// page returns the items of the 0-based page k.
func (ls *listServer) page(k int) []item {
	if ls.emptyAt >= 0 {
		if k == ls.emptyAt {
			return []item{}
		}
		if k > ls.emptyAt {
			k--
		}
	}
	items := []item{}
	for id := k*ls.size + 1; id <= min((k+1)*ls.size, ls.n); id++ {
		items = append(items, item{id})
	}
	return items
}

func (ls *listServer) serve(w http.ResponseWriter, r *http.Request) {
	num := int(ls.requests.Add(1))
	ls.mu.Lock()
	ls.seen = append(ls.seen, r.URL.RequestURI())
	ls.headers = append(ls.headers, r.Header.Get("X-Trace"))
	ls.mu.Unlock()
	if ls.hook != nil {
		ls.hook(num, r)
	}
	if num == ls.failAt {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"message":"page %d is cursed"}`, num)
		return
	}
	q := r.URL.Query()
	atoi := func(name string, def int) int {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				http.Error(w, "bad "+name, http.StatusBadRequest)
				return -1
			}
			return n
		}
		return def
	}
	reply := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	var k int
	switch ls.style {
	case "cursor":
		if c := q.Get("cursor"); c != "" {
			k, _ = strconv.Atoi(strings.TrimPrefix(c, "p"))
		}
	case "lastid":
		if a := q.Get("starting_after"); a != "" && !ls.repeat {
			id, _ := strconv.Atoi(a)
			k = id / ls.size
		}
	case "offset":
		k = atoi("offset", 0) / ls.size
	default: // page, link, nexturl
		k = atoi("page", 1) - 1
	}
	if k < 0 {
		return
	}
	items := ls.page(k)
	if k >= ls.pages() {
		items = []item{}
	}
	last := k >= ls.pages()-1
	if ls.style == "offset" {
		off := atoi("offset", 0)
		items = []item{}
		for id := off + 1; id <= min(off+ls.size, ls.n); id++ {
			items = append(items, item{id})
		}
	}
	nextK := k + 1
	if ls.repeat {
		nextK = 1
	}
	switch ls.style {
	case "cursor":
		body := map[string]any{"data": items}
		if !last {
			body["next_cursor"] = "p" + strconv.Itoa(nextK)
		}
		reply(body)
	case "lastid":
		reply(map[string]any{"data": items, "has_more": !last})
	case "offset":
		body := map[string]any{"items": items}
		if !ls.noTotal {
			body["total"] = ls.n
		}
		reply(body)
	case "page":
		body := map[string]any{"items": items}
		if !ls.noTotal {
			body["total_pages"] = ls.pages()
		}
		reply(body)
	case "link":
		if !last {
			// Relative, resolved against the request URL; a first and last
			// link around it, as GitHub sends.
			w.Header().Add("Link", `</items?page=1>; rel="first"`)
			w.Header().Add("Link", fmt.Sprintf(`</items?page=%d>; rel="next", </items?page=%d>; rel="last"`, nextK+1, ls.pages()))
		}
		reply(items)
	case "nexturl":
		body := map[string]any{"results": items}
		if !last {
			body["next"] = fmt.Sprintf("%s/items?page=%d", ls.srv.URL, nextK+1)
		}
		reply(body)
	}
}

func (ls *listServer) uris() []string {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return slices.Clone(ls.seen)
}

// Page bodies of the styles, as oapi-codegen would generate them.
type (
	cursorBody struct {
		Data       []item  `json:"data"`
		NextCursor *string `json:"next_cursor,omitempty"`
	}
	lastIDBody struct {
		Data    []item `json:"data"`
		HasMore bool   `json:"has_more"`
	}
	offsetBody struct {
		Items []item `json:"items"`
		Total *int   `json:"total,omitempty"`
	}
	pageBody struct {
		Items      []item `json:"items"`
		TotalPages *int   `json:"total_pages,omitempty"`
	}
	nextURLBody struct {
		Results []item  `json:"results"`
		Next    *string `json:"next,omitempty"`
	}
	// listParams stands for a generated params struct.
	listParams struct {
		Cursor        *string
		StartingAfter *string
		Offset        *int32
		Page          *int
		Limit         *int
	}
)

var opListItems = &sdk.Operation{ID: "listItems", Method: http.MethodGet, Path: "/items"}

// newListRequest stands for a generated request builder.
func newListRequest(server string, p *listParams) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodGet, strings.TrimSuffix(server, "/")+"/items", nil)
	if err != nil {
		return nil, err
	}
	q := req.URL.Query()
	if p != nil {
		if p.Cursor != nil {
			q.Set("cursor", *p.Cursor)
		}
		if p.StartingAfter != nil {
			q.Set("starting_after", *p.StartingAfter)
		}
		if p.Offset != nil {
			q.Set("offset", strconv.Itoa(int(*p.Offset)))
		}
		if p.Page != nil {
			q.Set("page", strconv.Itoa(*p.Page))
		}
		if p.Limit != nil {
			q.Set("limit", strconv.Itoa(*p.Limit))
		}
	}
	req.URL.RawQuery = q.Encode()
	return req, nil
}

// listItems is what a generated method would be, for each style, written
// the way the generator is meant to write it.
func listItems(ctx context.Context, c *sdk.Client, style string, params *listParams, opts ...sdk.Option) *sdk.Pager[item] {
	switch style {
	case "cursor":
		return sdkimpl.CursorPager(ctx, c, opListItems, func(server, cursor string) (*http.Request, error) {
			p := sdkimpl.CopyParams(params)
			if cursor != "" {
				p.Cursor = &cursor
			}
			return newListRequest(server, p)
		}, func(page *cursorBody) ([]item, string) {
			return page.Data, sdk.Deref(page.NextCursor)
		}, opts...)
	case "lastid":
		return sdkimpl.CursorPager(ctx, c, opListItems, func(server, cursor string) (*http.Request, error) {
			p := sdkimpl.CopyParams(params)
			if cursor != "" {
				p.StartingAfter = &cursor
			}
			return newListRequest(server, p)
		}, func(page *lastIDBody) ([]item, string) {
			return page.Data, sdkimpl.LastItemCursor(page.Data, page.HasMore, func(it item) string { return strconv.Itoa(it.ID) })
		}, opts...)
	case "offset":
		start := 0
		if params != nil && params.Offset != nil {
			start = int(*params.Offset)
		}
		return sdkimpl.OffsetPager(ctx, c, opListItems, start, func(server string, offset int) (*http.Request, error) {
			p := sdkimpl.CopyParams(params)
			o := int32(offset)
			p.Offset = &o
			return newListRequest(server, p)
		}, func(page *offsetBody, offset int) ([]item, bool) {
			if page.Total == nil {
				return page.Items, true
			}
			return page.Items, offset+len(page.Items) < *page.Total
		}, opts...)
	case "page":
		start := 1
		if params != nil && params.Page != nil {
			start = *params.Page
		}
		return sdkimpl.PageNumberPager(ctx, c, opListItems, start, func(server string, page int) (*http.Request, error) {
			p := sdkimpl.CopyParams(params)
			p.Page = &page
			return newListRequest(server, p)
		}, func(body *pageBody, page int) ([]item, bool) {
			if body.TotalPages == nil {
				return body.Items, true
			}
			return body.Items, page < *body.TotalPages
		}, opts...)
	case "link":
		return sdkimpl.LinkPager(ctx, c, opListItems, func(server string) (*http.Request, error) {
			return newListRequest(server, params)
		}, func(body *[]item) []item { return *body }, opts...)
	case "nexturl":
		return sdkimpl.NextURLPager(ctx, c, opListItems, func(server string) (*http.Request, error) {
			return newListRequest(server, params)
		}, func(body *nextURLBody) ([]item, string) {
			return body.Results, sdk.Deref(body.Next)
		}, opts...)
	}
	panic("unknown style " + style)
}

var allStyles = []string{"cursor", "lastid", "offset", "page", "link", "nexturl"}

func newPagerClient(t *testing.T, url string) *sdk.Client {
	t.Helper()
	c, err := sdk.NewClient(url, sdk.WithoutRetries())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// collect ranges over All and returns the ids and the errors yielded.
func collect(p *sdk.Pager[item]) (ids []int, errs []error) {
	for it, err := range p.All() {
		if err != nil {
			errs = append(errs, err)
			continue // a pager stops by itself after an error
		}
		ids = append(ids, it.ID)
	}
	return ids, errs
}

func seq(from, to int) []int {
	var s []int
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

func TestPagerStyles(t *testing.T) {
	for _, style := range allStyles {
		t.Run(style, func(t *testing.T) {
			for _, tc := range []struct {
				name     string
				n        int
				setup    func(*listServer)
				requests int
			}{
				{"full", 25, nil, 3},
				{"exact multiple", 20, nil, 2},
				{"empty list", 0, nil, 1},
				{"single page", 7, nil, 1},
			} {
				t.Run(tc.name, func(t *testing.T) {
					ls := newListServer(t, style, tc.n, 10)
					c := newPagerClient(t, ls.srv.URL)
					p := listItems(t.Context(), c, style, nil)
					ids, errs := collect(p)
					if len(errs) > 0 {
						t.Fatalf("errors: %v", errs)
					}
					if want := seq(1, tc.n); !slices.Equal(ids, want) {
						t.Errorf("ids = %v, want %v", ids, want)
					}
					if got := int(ls.requests.Load()); got != tc.requests {
						t.Errorf("%d requests, want %d: %q", got, tc.requests, ls.uris())
					}
					if !p.Done() || p.Position() != "" {
						t.Errorf("Done = %v, Position = %q after the last page", p.Done(), p.Position())
					}
				})
			}
		})
	}
}

// Without totals, offset and page pagers ask for one more page and stop
// at the empty one.
func TestPagerStopsAtEmptyPage(t *testing.T) {
	for _, style := range []string{"offset", "page"} {
		t.Run(style, func(t *testing.T) {
			for _, tc := range []struct{ n, requests int }{{25, 4}, {20, 3}, {0, 1}} {
				ls := newListServer(t, style, tc.n, 10, func(ls *listServer) { ls.noTotal = true })
				c := newPagerClient(t, ls.srv.URL)
				ids, errs := collect(listItems(t.Context(), c, style, nil))
				if len(errs) > 0 || !slices.Equal(ids, seq(1, tc.n)) {
					t.Errorf("n=%d: ids %v, errors %v", tc.n, ids, errs)
				}
				if got := int(ls.requests.Load()); got != tc.requests {
					t.Errorf("n=%d: %d requests, want %d: %q", tc.n, got, tc.requests, ls.uris())
				}
			}
		})
	}
}

// An empty page in the middle of a cursor or URL list does not end it.
func TestPagerEmptyPageInTheMiddle(t *testing.T) {
	for _, style := range []string{"cursor", "link", "nexturl"} {
		t.Run(style, func(t *testing.T) {
			ls := newListServer(t, style, 25, 10, func(ls *listServer) { ls.emptyAt = 1 })
			c := newPagerClient(t, ls.srv.URL)
			var sizes []int
			for page, err := range listItems(t.Context(), c, style, nil).Pages() {
				if err != nil {
					t.Fatal(err)
				}
				sizes = append(sizes, len(page.Items))
			}
			if want := []int{10, 0, 10, 5}; !slices.Equal(sizes, want) {
				t.Errorf("page sizes %v, want %v", sizes, want)
			}
		})
	}
}

func TestPagerRepeatedPosition(t *testing.T) {
	for _, tc := range []struct {
		style    string
		ids      []int // yielded before the error
		requests int
	}{
		// Page 2 hands out page 2's own cursor again.
		{"cursor", seq(1, 20), 2},
		{"link", seq(1, 20), 2},
		{"nexturl", seq(1, 20), 2},
		// The server ignores starting_after: page 2 is page 1 again (its
		// items are yielded: the pager cannot know), and its last id
		// repeats.
		{"lastid", append(seq(1, 10), seq(1, 10)...), 2},
	} {
		t.Run(tc.style, func(t *testing.T) {
			ls := newListServer(t, tc.style, 100, 10, func(ls *listServer) { ls.repeat = true })
			c := newPagerClient(t, ls.srv.URL)
			p := listItems(t.Context(), c, tc.style, nil)
			ids, errs := collect(p)
			if !slices.Equal(ids, tc.ids) {
				t.Errorf("ids %v, want %v", ids, tc.ids)
			}
			if len(errs) != 1 {
				t.Fatalf("errors %v, want one", errs)
			}
			var pe *sdk.PaginationError
			if !errors.As(errs[0], &pe) || !errors.Is(errs[0], sdk.ErrRepeatedPosition) {
				t.Fatalf("error %v (%T), want a *sdk.PaginationError with sdk.ErrRepeatedPosition", errs[0], errs[0])
			}
			if pe.Operation != "listItems" || pe.Pages != 2 {
				t.Errorf("error %+v", pe)
			}
			if got := int(ls.requests.Load()); got != tc.requests {
				t.Errorf("%d requests, want %d", got, tc.requests)
			}
			if strings.Contains(pe.Error(), "?") {
				t.Errorf("error shows a query: %v", pe)
			}
			t.Log(pe)
		})
	}
}

// A failing page ends the iteration with its error, yielded once, after
// the items of the pages before it; nothing more is fetched.
func TestPagerErrorOnPage3(t *testing.T) {
	for _, style := range allStyles {
		for _, prefetch := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/prefetch=%v", style, prefetch), func(t *testing.T) {
				ls := newListServer(t, style, 100, 10, func(ls *listServer) { ls.failAt = 3 })
				c := newPagerClient(t, ls.srv.URL)
				var opts []sdk.Option
				if prefetch {
					opts = append(opts, sdk.WithPrefetch())
				}
				p := listItems(t.Context(), c, style, nil, opts...)
				ids, errs := collect(p)
				if !slices.Equal(ids, seq(1, 20)) {
					t.Errorf("ids %v", ids)
				}
				var apiErr *sdk.APIError
				if len(errs) != 1 || !errors.As(errs[0], &apiErr) || apiErr.StatusCode != http.StatusBadRequest {
					t.Fatalf("errors %v, want one 400 *sdk.APIError", errs)
				}
				if got := ls.requests.Load(); got != 3 {
					t.Errorf("%d requests, want 3", got)
				}
				if p.Done() {
					t.Error("Done after an error")
				}
				// Position is the page that failed: resuming there retries it.
				ls.failAt = 0
				rest, errs := collect(listItems(t.Context(), c, style, nil, sdk.WithStartAt(p.Position())))
				if len(errs) > 0 || !slices.Equal(rest, seq(21, 100)) {
					t.Errorf("resumed at %q: %v, %v", p.Position(), rest, errs)
				}
				if n := running.Prefetches.Load(); n != 0 {
					t.Errorf("%d prefetch goroutines left", n)
				}
			})
		}
	}
}

// A break fetches nothing more: without prefetch not one request; with
// prefetch, at most the page that was already being fetched, and its
// goroutine is gone when the loop ends.
func TestPagerBreak(t *testing.T) {
	for _, style := range allStyles {
		for _, prefetch := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/prefetch=%v", style, prefetch), func(t *testing.T) {
				ls := newListServer(t, style, 100, 10)
				c := newPagerClient(t, ls.srv.URL)
				var opts []sdk.Option
				if prefetch {
					opts = append(opts, sdk.WithPrefetch())
				}
				p := listItems(t.Context(), c, style, nil, opts...)
				var ids []int
				var atBreak int32
				for it, err := range p.All() {
					if err != nil {
						t.Fatal(err)
					}
					ids = append(ids, it.ID)
					if it.ID == 12 {
						atBreak = ls.requests.Load()
						break
					}
				}
				if n := running.Prefetches.Load(); n != 0 {
					t.Errorf("%d prefetch goroutines left after the loop", n)
				}
				ls.srv.Close() // waits for requests in flight
				got := ls.requests.Load()
				switch {
				case !prefetch && (atBreak != 2 || got != 2):
					t.Errorf("requests: %d at break, %d in all; want 2", atBreak, got)
				case prefetch && got > 3:
					t.Errorf("requests: %d at break, %d in all; want at most 3 (%q)", atBreak, got, ls.uris())
				}
				if !slices.Equal(ids, seq(1, 12)) {
					t.Errorf("ids %v", ids)
				}
				// Position is page 2, which was not delivered in full.
				want := map[string]string{"cursor": "p1", "lastid": "10", "offset": "10", "page": "2",
					"link": ls.srv.URL + "/items?page=2", "nexturl": ls.srv.URL + "/items?page=2"}[style]
				if p.Position() != want || p.Done() {
					t.Errorf("Position %q (Done %v), want %q", p.Position(), p.Done(), want)
				}
			})
		}
	}
}

func TestPagerMaxItems(t *testing.T) {
	for _, style := range allStyles {
		for _, prefetch := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/prefetch=%v", style, prefetch), func(t *testing.T) {
				ls := newListServer(t, style, 100, 10)
				c := newPagerClient(t, ls.srv.URL)
				opts := []sdk.Option{sdk.WithMaxItems(15)}
				if prefetch {
					opts = append(opts, sdk.WithPrefetch())
				}
				p := listItems(t.Context(), c, style, nil, opts...)
				ids, errs := collect(p)
				if len(errs) > 0 || !slices.Equal(ids, seq(1, 15)) {
					t.Fatalf("ids %v, errors %v", ids, errs)
				}
				if got := ls.requests.Load(); got != 2 {
					t.Errorf("%d requests, want 2 (no page past the cap)", got)
				}
				// Resume: page 2 was cut, so it comes again in full.
				rest, errs := collect(listItems(t.Context(), c, style, nil, sdk.WithStartAt(p.Position()), sdk.WithMaxItems(20)))
				if len(errs) > 0 || !slices.Equal(rest, seq(11, 30)) {
					t.Errorf("resumed at %q: %v, %v", p.Position(), rest, errs)
				}
				// A cap on a page boundary resumes at the next page.
				ls2 := newListServer(t, style, 100, 10)
				c2 := newPagerClient(t, ls2.srv.URL)
				p2 := listItems(t.Context(), c2, style, nil, append(opts[1:], sdk.WithMaxItems(20))...)
				if ids, _ := collect(p2); len(ids) != 20 || ls2.requests.Load() != 2 {
					t.Errorf("cap 20: %d items, %d requests", len(ids), ls2.requests.Load())
				}
				rest, _ = collect(listItems(t.Context(), c2, style, nil, sdk.WithStartAt(p2.Position()), sdk.WithMaxItems(5)))
				if !slices.Equal(rest, seq(21, 25)) {
					t.Errorf("resumed at %q: %v", p2.Position(), rest)
				}
			})
		}
	}
}

// The caller's parameters reach every page, positions are set on a copy,
// and call options apply to every page's call.
func TestPagerKeepsParamsAndCallOptions(t *testing.T) {
	ls := newListServer(t, "cursor", 25, 10)
	c := newPagerClient(t, ls.srv.URL)
	limit := 10
	params := &listParams{Limit: &limit}
	ids, errs := collect(listItems(t.Context(), c, "cursor", params, sdk.WithHeader("X-Trace", "t1"), sdk.WithPrefetch()))
	if len(errs) > 0 || len(ids) != 25 {
		t.Fatalf("%d ids, errors %v", len(ids), errs)
	}
	if params.Cursor != nil {
		t.Error("the caller's params were changed")
	}
	want := []string{"/items?limit=10", "/items?cursor=p1&limit=10", "/items?cursor=p2&limit=10"}
	if got := ls.uris(); !slices.Equal(got, want) {
		t.Errorf("requests %q, want %q", got, want)
	}
	if !slices.Equal(ls.headers, []string{"t1", "t1", "t1"}) {
		t.Errorf("X-Trace per page: %q", ls.headers)
	}
}

// A caller's offset or page parameter is where the pager starts.
func TestPagerStartsAtCallerParams(t *testing.T) {
	off := int32(90)
	ls := newListServer(t, "offset", 100, 10)
	ids, _ := collect(listItems(t.Context(), newPagerClient(t, ls.srv.URL), "offset", &listParams{Offset: &off}))
	if !slices.Equal(ids, seq(91, 100)) {
		t.Errorf("offset 90: %v", ids)
	}
	pg := 10
	ls = newListServer(t, "page", 100, 10)
	ids, _ = collect(listItems(t.Context(), newPagerClient(t, ls.srv.URL), "page", &listParams{Page: &pg}))
	if !slices.Equal(ids, seq(91, 100)) {
		t.Errorf("page 10: %v", ids)
	}
}

func TestPagerInvalidPositions(t *testing.T) {
	for _, tc := range []struct{ style, pos string }{
		{"offset", "ten"},
		{"page", "-1"},
		{"link", "/items?page=2"},                     // not absolute
		{"link", "ftp://127.0.0.1/items"},             // not http
		{"nexturl", "http://other.example/items?p=2"}, // another origin
	} {
		t.Run(tc.style+" "+tc.pos, func(t *testing.T) {
			ls := newListServer(t, tc.style, 100, 10)
			c := newPagerClient(t, ls.srv.URL)
			p := listItems(t.Context(), c, tc.style, nil, sdk.WithStartAt(tc.pos))
			ids, errs := collect(p)
			var pe *sdk.PaginationError
			if len(ids) > 0 || len(errs) != 1 || !errors.As(errs[0], &pe) || !errors.Is(pe, sdk.ErrInvalidPosition) {
				t.Fatalf("ids %v, errors %v", ids, errs)
			}
			if pe.Operation != "listItems" || ls.requests.Load() != 0 {
				t.Errorf("%+v after %d requests", pe, ls.requests.Load())
			}
			t.Log(pe)
		})
	}
}

// A Link to another origin stops the pager after the page that sent it.
func TestPagerRefusesForeignLink(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("request sent to the other origin")
	}))
	defer other.Close()
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Link", "<"+other.URL+`/items?page=2>; rel="next"`)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `[{"id":1}]`)
	}))
	defer srv.Close()
	c := newPagerClient(t, srv.URL)
	ids, errs := collect(listItems(t.Context(), c, "link", nil))
	if !slices.Equal(ids, []int{1}) || len(errs) != 1 || !errors.Is(errs[0], sdk.ErrInvalidPosition) || requests.Load() != 1 {
		t.Fatalf("ids %v, errors %v, %d requests", ids, errs, requests.Load())
	}
	t.Log(errs[0])
}

// Closing the client stops a prefetching pager: the fetch in flight is
// cancelled and the iteration ends with sdk.ErrClientClosed.
func TestPagerPrefetchStopsOnClientClose(t *testing.T) {
	inFlight := make(chan struct{})
	ls := newListServer(t, "cursor", 100, 10, func(ls *listServer) {
		ls.hook = func(n int, r *http.Request) {
			if n == 2 {
				close(inFlight)
				<-r.Context().Done() // a slow server: page 2 never comes
			}
		}
	})
	c, err := sdk.NewClient(ls.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	var errs []error
	for it, err := range listItems(t.Context(), c, "cursor", nil, sdk.WithPrefetch()).All() {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, it.ID)
		if it.ID == 1 {
			<-inFlight // page 2 is being prefetched
			_ = c.Close()
		}
	}
	if !slices.Equal(ids, seq(1, 10)) || len(errs) != 1 || !errors.Is(errs[0], sdk.ErrClientClosed) {
		t.Fatalf("ids %v, errors %v", ids, errs)
	}
	if n := running.Prefetches.Load(); n != 0 {
		t.Errorf("%d prefetch goroutines left", n)
	}
}

// The end of the pager's context stops a prefetching pager with the
// context's error.
func TestPagerPrefetchStopsOnContext(t *testing.T) {
	inFlight := make(chan struct{})
	ls := newListServer(t, "cursor", 100, 10, func(ls *listServer) {
		ls.hook = func(n int, r *http.Request) {
			if n == 2 {
				close(inFlight)
				<-r.Context().Done()
			}
		}
	})
	c := newPagerClient(t, ls.srv.URL)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var ids []int
	var errs []error
	for it, err := range listItems(ctx, c, "cursor", nil, sdk.WithPrefetch()).All() {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, it.ID)
		if it.ID == 1 {
			<-inFlight
			cancel()
		}
	}
	if !slices.Equal(ids, seq(1, 10)) || len(errs) != 1 || !errors.Is(errs[0], context.Canceled) {
		t.Fatalf("ids %v, errors %v", ids, errs)
	}
	if ls.requests.Load() != 2 {
		t.Errorf("%d requests", ls.requests.Load())
	}
	if n := running.Prefetches.Load(); n != 0 {
		t.Errorf("%d prefetch goroutines left", n)
	}
}

// Prefetch keeps one page ahead, no more: while the caller holds page k,
// page k+1 is requested and page k+2 is not.
func TestPagerPrefetchOnePageAhead(t *testing.T) {
	ls := newListServer(t, "page", 50, 10)
	c := newPagerClient(t, ls.srv.URL)
	requested := make(chan int, 10)
	ls.hook = func(n int, _ *http.Request) { requested <- n }
	k := 0
	for page, err := range listItems(t.Context(), c, "page", nil, sdk.WithPrefetch()).Pages() {
		if err != nil {
			t.Fatal(err)
		}
		k++
		if k < 5 {
			// Page k+1 is fetched while the caller holds page k.
			for n := range requested {
				if n > k+1 {
					t.Fatalf("holding page %d, request %d arrived", k, n)
				}
				if n == k+1 {
					break
				}
			}
		}
		if got := int(ls.requests.Load()); got > k+1 {
			t.Fatalf("holding page %d after %d requests", k, got)
		}
		_ = page
	}
	if k != 5 || ls.requests.Load() != 5 {
		t.Errorf("%d pages, %d requests", k, ls.requests.Load())
	}
}

// A pager of a nil Client fails when read, instead of panicking.
func TestPagerNilClient(t *testing.T) {
	if _, err := sdkimpl.CursorPager(t.Context(), nil, opListItems, nil, func(*cursorBody) ([]item, string) { return nil, "" }).NextPage(t.Context()); err == nil {
		t.Error("nil client accepted")
	}
}
