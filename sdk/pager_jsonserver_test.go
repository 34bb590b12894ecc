package sdk_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/internal/testenv"
	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

// These tests read lists from json-server 0.17.4 (internal/testenv/node),
// a real server nobody here wrote: its _page/_limit pagination sends RFC
// 8288 Link headers (first, prev, next, last), _start/_limit slices by
// offset, field=value filters and _sort/_order sorts.

type product struct {
	ID       int     `json:"id"`
	Name     string  `json:"name"`
	Category string  `json:"category"`
	Price    float64 `json:"price"`
}

// listProductsParams and newListProductsRequest stand for what the
// generator makes of GET /products: typed filters, sorting and paging.
type listProductsParams struct {
	Category *string
	Sort     *string // _sort
	Order    *string // _order
	Page     *int    // _page
	Limit    *int    // _limit
	Start    *int    // _start
}

func newListProductsRequest(server string, p *listProductsParams) (*http.Request, error) {
	q := url.Values{}
	if p != nil {
		set := func(k string, v *string) {
			if v != nil {
				q.Set(k, *v)
			}
		}
		setInt := func(k string, v *int) {
			if v != nil {
				q.Set(k, strconv.Itoa(*v))
			}
		}
		set("category", p.Category)
		set("_sort", p.Sort)
		set("_order", p.Order)
		setInt("_page", p.Page)
		setInt("_limit", p.Limit)
		setInt("_start", p.Start)
	}
	req, err := http.NewRequest(http.MethodGet, server+"products", nil)
	if err != nil {
		return nil, err
	}
	req.URL.RawQuery = q.Encode()
	return req, nil
}

var opListProducts = &sdk.Operation{ID: "listProducts", Method: http.MethodGet, Path: "/products"}

// The generated methods, one per style json-server offers.

func listProductsByLink(ctx context.Context, c *sdk.Client, params *listProductsParams, opts ...sdk.Option) *sdk.Pager[product] {
	return sdkimpl.LinkPager(ctx, c, opListProducts, func(server string) (*http.Request, error) {
		return newListProductsRequest(server, params)
	}, func(body *[]product) []product { return *body }, opts...)
}

func listProductsByPage(ctx context.Context, c *sdk.Client, params *listProductsParams, opts ...sdk.Option) *sdk.Pager[product] {
	start := 1
	if params != nil && params.Page != nil {
		start = *params.Page
	}
	return sdkimpl.PageNumberPager(ctx, c, opListProducts, start, func(server string, page int) (*http.Request, error) {
		p := sdkimpl.CopyParams(params)
		p.Page = &page
		return newListProductsRequest(server, p)
	}, func(body *[]product, _ int) ([]product, bool) { return *body, true }, opts...)
}

func listProductsByOffset(ctx context.Context, c *sdk.Client, params *listProductsParams, opts ...sdk.Option) *sdk.Pager[product] {
	start := 0
	if params != nil && params.Start != nil {
		start = *params.Start
	}
	return sdkimpl.OffsetPager(ctx, c, opListProducts, start, func(server string, offset int) (*http.Request, error) {
		p := sdkimpl.CopyParams(params)
		p.Start = &offset
		return newListProductsRequest(server, p)
	}, func(body *[]product, _ int) ([]product, bool) { return *body, true }, opts...)
}

var categories = []string{"books", "games", "tools", "food", "toys"}

// jsonServer starts json-server on a free loopback port over a database
// of 250 products with distinct prices, and returns its URL and products.
func jsonServer(t *testing.T) (string, []product) {
	t.Helper()
	bin := testenv.NodeBin(t, "json-server")
	rng := rand.New(rand.NewPCG(6, 8288))
	prices := rng.Perm(100_000)
	products := make([]product, 250)
	for i := range products {
		products[i] = product{
			ID:       i + 1,
			Name:     fmt.Sprintf("product %d", i+1),
			Category: categories[rng.IntN(len(categories))],
			Price:    float64(prices[i]+100) / 100, // distinct, so sorting has no ties
		}
	}
	dir := t.TempDir()
	db, err := json.Marshal(map[string]any{"products": products})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "db.json"), db, 0o600); err != nil {
		t.Fatal(err)
	}
	port := testenv.FreePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	testenv.Start(t, dir, testenv.HTTPReady(base+"/products?_limit=1"), 30*time.Second,
		bin, "db.json", "--host", "127.0.0.1", "--port", strconv.Itoa(port), "--read-only", "--quiet", "--no-gzip")
	return base, products
}

// countingClient returns a client whose calls are counted.
func countingClient(t *testing.T, base string) (*sdk.Client, *atomic.Int32, func() []string) {
	t.Helper()
	var n atomic.Int32
	var mu sync.Mutex
	var uris []string
	c, err := sdk.NewClient(base, sdk.WithMaxRetries(0), sdk.WithMiddleware(func(next http.RoundTripper) http.RoundTripper {
		return sdk.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			n.Add(1)
			mu.Lock()
			uris = append(uris, r.URL.RequestURI())
			mu.Unlock()
			return next.RoundTrip(r)
		})
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, &n, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(uris)
	}
}

func ptr[T any](v T) *T { return &v }

func readAll(t *testing.T, p *sdk.Pager[product]) []product {
	t.Helper()
	var out []product
	for it, err := range p.All() {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, it)
	}
	return out
}

func TestJSONServerPagination(t *testing.T) {
	base, products := jsonServer(t)
	ctx := testenv.Context(t, time.Minute)

	// What a filtered, sorted read must return.
	books := slices.DeleteFunc(slices.Clone(products), func(p product) bool { return p.Category != "books" })
	slices.SortFunc(books, func(a, b product) int { return cmp.Compare(b.Price, a.Price) })
	if len(books) < 30 {
		t.Fatalf("only %d books: choose another seed", len(books))
	}
	filtered := func() *listProductsParams {
		return &listProductsParams{Category: ptr("books"), Sort: ptr("price"), Order: ptr("desc"), Page: ptr(1), Limit: ptr(7)}
	}
	pages := func(n, size int) int { return (n + size - 1) / size }

	t.Run("link/all", func(t *testing.T) {
		c, calls, uris := countingClient(t, base)
		p := listProductsByLink(ctx, c, &listProductsParams{Page: ptr(1), Limit: ptr(20)})
		got := readAll(t, p)
		if !slices.Equal(got, products) {
			t.Errorf("got %d products, want the 250 in order", len(got))
		}
		if n := int(calls.Load()); n != pages(250, 20) {
			t.Errorf("%d requests, want %d: %q", n, pages(250, 20), uris())
		}
		if !p.Done() {
			t.Error("not Done after the last page")
		}
	})

	t.Run("link/filtered and sorted", func(t *testing.T) {
		for _, prefetch := range []bool{false, true} {
			c, calls, uris := countingClient(t, base)
			params := filtered()
			var opts []sdk.Option
			if prefetch {
				opts = append(opts, sdk.WithPrefetch())
			}
			got := readAll(t, listProductsByLink(ctx, c, params, opts...))
			if !slices.Equal(got, books) {
				t.Errorf("prefetch=%v: got %v\nwant %v", prefetch, got, books)
			}
			if n := int(calls.Load()); n != pages(len(books), 7) {
				t.Errorf("prefetch=%v: %d requests, want %d: %q", prefetch, n, pages(len(books), 7), uris())
			}
			// Every page kept the filter and the sorting.
			for _, u := range uris() {
				q, _ := url.ParseQuery(u[len("/products?"):])
				if q.Get("category") != "books" || q.Get("_sort") != "price" || q.Get("_order") != "desc" || q.Get("_limit") != "7" {
					t.Errorf("page request lost a parameter: %s", u)
				}
			}
			if *params.Page != 1 {
				t.Error("the caller's params were changed")
			}
		}
	})

	t.Run("link/resume", func(t *testing.T) {
		c, _, _ := countingClient(t, base)
		first := listProductsByLink(ctx, c, filtered(), sdk.WithMaxItems(14))
		got := readAll(t, first)
		pos := first.Position()
		if u, err := url.Parse(pos); err != nil || u.Query().Get("_page") != "3" {
			t.Fatalf("Position %q, want the URL of page 3", pos)
		}
		got = append(got, readAll(t, listProductsByLink(ctx, c, filtered(), sdk.WithStartAt(pos)))...)
		if !slices.Equal(got, books) {
			t.Errorf("resumed read differs: %d products, want %d", len(got), len(books))
		}
	})

	t.Run("link/break", func(t *testing.T) {
		c, calls, _ := countingClient(t, base)
		for it, err := range listProductsByLink(ctx, c, filtered(), sdk.WithPrefetch()).All() {
			if err != nil {
				t.Fatal(err)
			}
			if it.ID == books[8].ID { // on page 2
				break
			}
		}
		if n := calls.Load(); n > 3 {
			t.Errorf("%d requests after a break on page 2", n)
		}
	})

	t.Run("page number", func(t *testing.T) {
		c, calls, uris := countingClient(t, base)
		got := readAll(t, listProductsByPage(ctx, c, filtered()))
		if !slices.Equal(got, books) {
			t.Errorf("got %d products, want %d", len(got), len(books))
		}
		// No total in the body: the pager stops at the first empty page.
		if n := int(calls.Load()); n != pages(len(books), 7)+1 {
			t.Errorf("%d requests, want %d: %q", n, pages(len(books), 7)+1, uris())
		}
	})

	t.Run("offset", func(t *testing.T) {
		c, calls, uris := countingClient(t, base)
		params := filtered()
		params.Page = nil
		got := readAll(t, listProductsByOffset(ctx, c, params))
		if !slices.Equal(got, books) {
			t.Errorf("got %d products, want %d", len(got), len(books))
		}
		if n := int(calls.Load()); n != pages(len(books), 7)+1 {
			t.Errorf("%d requests, want %d: %q", n, pages(len(books), 7)+1, uris())
		}
	})
}
