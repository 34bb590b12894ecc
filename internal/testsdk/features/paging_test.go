package features_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/sdkgen-go/sdkgen/internal/testsdk/features"
	"github.com/sdkgen-go/sdkgen/sdk"
)

// pagingServer serves the same 23 widgets through every paginated
// endpoint of the feature spec, 5 per page, and counts requests.
type pagingServer struct {
	*httptest.Server
	requests  atomic.Int32
	lastQuery atomic.Value
}

const total, perPage = 23, 5

func widgets(color string) []features.Widget {
	var out []features.Widget
	for i := 1; i <= total; i++ {
		c := []string{"red", "blue"}[i%2]
		if color != "" && c != color {
			continue
		}
		out = append(out, features.Widget{ID: fmt.Sprintf("w%02d", i), Color: c})
	}
	return out
}

func newPagingServer(t *testing.T) *pagingServer {
	ps := &pagingServer{}
	ps.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ps.requests.Add(1)
		q := r.URL.Query()
		ps.lastQuery.Store(q.Encode())
		all := widgets(q.Get("color"))
		atoi := func(s string, def int) int {
			if n, err := strconv.Atoi(s); err == nil {
				return n
			}
			return def
		}
		switch r.URL.Path {
		case "/widgets": // Stripe: starting_after, has_more
			start := 0
			if after := q.Get("starting_after"); after != "" {
				start = slices.IndexFunc(all, func(w features.Widget) bool { return w.ID == after }) + 1
			}
			end := min(len(all), start+perPage)
			writeJSON(w, 200, map[string]any{"data": all[start:end], "has_more": end < len(all)})
		case "/gadgets": // offset + total
			off := atoi(q.Get("offset"), 0)
			end := min(len(all), off+perPage)
			writeJSON(w, 200, map[string]any{"items": all[min(off, len(all)):end], "total": len(all)})
		case "/orders": // page + total_pages
			page := atoi(q.Get("page"), 1)
			start := (page - 1) * perPage
			writeJSON(w, 200, map[string]any{"orders": all[min(start, len(all)):min(len(all), start+perPage)], "total_pages": (len(all) + perPage - 1) / perPage})
		case "/events": // next URL in the body
			start := atoi(q.Get("skip"), 0)
			end := min(len(all), start+perPage)
			body := map[string]any{"value": all[start:end]}
			if end < len(all) {
				body["nextLink"] = fmt.Sprintf("%s/events?skip=%d", ps.URL, end)
			}
			writeJSON(w, 200, body)
		case "/issues": // GitHub: Link header
			page := atoi(q.Get("page"), 1)
			start := (page - 1) * perPage
			if start+perPage < len(all) {
				next := *r.URL
				nq := next.Query()
				nq.Set("page", strconv.Itoa(page+1))
				next.RawQuery = nq.Encode()
				w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next", <%s?page=1>; rel="first"`, next.String(), r.URL.Path))
			}
			writeJSON(w, 200, all[min(start, len(all)):min(len(all), start+perPage)])
		case "/notes": // cursor from sdkgen.yaml: token / continuation
			start := atoi(q.Get("token"), 0)
			end := min(len(all), start+perPage)
			body := map[string]any{"notes": all[start:end]}
			if end < len(all) {
				body["continuation"] = strconv.Itoa(end)
			}
			writeJSON(w, 200, body)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(ps.Close)
	return ps
}

func ids(t *testing.T, p *sdk.Pager[features.Widget]) []string {
	t.Helper()
	var out []string
	for w, err := range p.All() {
		if err != nil {
			t.Fatalf("after %d items: %v", len(out), err)
		}
		out = append(out, w.ID)
	}
	return out
}

func wantIDs(color string) []string {
	var out []string
	for _, w := range widgets(color) {
		out = append(out, w.ID)
	}
	return out
}

// Every style walks every page, and the typed filter reaches every page.
func TestGeneratedPagers(t *testing.T) {
	ps := newPagingServer(t)
	c := newClient(t, ps.URL)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		pager func() *sdk.Pager[features.Widget]
		pages int32
	}{
		{"cursor from the last item (Stripe, detected)", func() *sdk.Pager[features.Widget] {
			return c.Paging.ListWidgets(ctx, &features.ListWidgetsParams{Limit: ptr(perPage)})
		}, 5},
		{"offset with a total (x-sdkgen-pagination)", func() *sdk.Pager[features.Widget] { return c.Paging.ListGadgets(ctx, nil) }, 5},
		{"page numbers with total pages (x-sdkgen-pagination)", func() *sdk.Pager[features.Widget] { return c.Paging.ListOrders(ctx, nil) }, 5},
		{"next URL in the body (x-ms-pageable)", func() *sdk.Pager[features.Widget] { return c.Paging.ListEvents(ctx) }, 5},
		{"Link header (GitHub, detected)", func() *sdk.Pager[features.Widget] { return c.Paging.ListIssues(ctx, nil) }, 5},
		{"cursor in the body (sdkgen.yaml)", func() *sdk.Pager[features.Widget] { return c.Paging.ListNotes(ctx, nil) }, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := ps.requests.Load()
			got := ids(t, tc.pager())
			if !slices.Equal(got, wantIDs("")) {
				t.Errorf("items = %v", got)
			}
			if n := ps.requests.Load() - before; n != tc.pages {
				t.Errorf("%d requests, want %d", n, tc.pages)
			}
		})
	}

	// A filter stays typed and is sent with every page.
	red := "red"
	got := ids(t, c.Paging.ListWidgets(ctx, &features.ListWidgetsParams{Color: &red}))
	if !slices.Equal(got, wantIDs("red")) {
		t.Errorf("filtered: %v", got)
	}
	if q, _ := ps.lastQuery.Load().(string); q != "color=red&starting_after=w20" {
		t.Errorf("last page's query = %q", q)
	}
	// The caller's parameters are not changed by paging.
	params := &features.ListGadgetsParams{Limit: ptr(int32(5))}
	ids(t, c.Paging.ListGadgets(ctx, params))
	if params.Offset != nil {
		t.Errorf("the caller's params were modified: offset %d", *params.Offset)
	}
}

// Breaking out of the loop stops the requests; resuming from the saved
// position goes on where it left off.
func TestGeneratedPagerBreakAndResume(t *testing.T) {
	ps := newPagingServer(t)
	c := newClient(t, ps.URL)
	ctx := context.Background()
	p := c.Paging.ListNotes(ctx, nil)
	var first []string
	for w, err := range p.All() {
		if err != nil {
			t.Fatal(err)
		}
		first = append(first, w.ID)
		if len(first) == 7 {
			break
		}
	}
	if n := ps.requests.Load(); n != 2 {
		t.Errorf("%d requests for 7 items over pages of 5", n)
	}
	resumed := ids(t, c.Paging.ListNotes(ctx, nil, sdk.WithStartAt(p.Position())))
	// The page broken off is read again: items may repeat, never go missing.
	if got := append(first[:5], resumed...); !slices.Equal(got, wantIDs("")) {
		t.Errorf("resumed = %v", resumed)
	}
	// A cap on items, with prefetch.
	got := ids(t, c.Paging.ListOrders(ctx, nil, sdk.WithMaxItems(12), sdk.WithPrefetch()))
	if len(got) != 12 {
		t.Errorf("capped at %d items", len(got))
	}
}
