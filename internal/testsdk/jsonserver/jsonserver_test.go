package jsonserver_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sdkgen-go/sdkgen/internal/testenv"
	"github.com/sdkgen-go/sdkgen/internal/testsdk/jsonserver"
	"github.com/sdkgen-go/sdkgen/sdk"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var categories = []jsonserver.Category{jsonserver.CategoryTools, jsonserver.CategoryToys, jsonserver.CategoryBooks}

// products is the db: 137 products, prices distinct so sorting is total.
func products() []jsonserver.Product {
	var out []jsonserver.Product
	for i := 1; i <= 137; i++ {
		out = append(out, jsonserver.Product{
			ID:       i,
			Name:     fmt.Sprintf("product %03d", i),
			Category: categories[i%3],
			Price:    float64((i*7919)%1000) + float64(i)/1000,
		})
	}
	return out
}

// reviews are 43 reviews of the first products.
func reviews() []jsonserver.Review {
	var out []jsonserver.Review
	for i := 1; i <= 43; i++ {
		out = append(out, jsonserver.Review{ID: i, ProductID: i % 7, Stars: 1 + i%5})
	}
	return out
}

// startJSONServer runs json-server 0.17.4 (from npm, installed by .ci/run)
// on a free loopback port over a fresh db.
func startJSONServer(t *testing.T) string {
	t.Helper()
	bin := testenv.NodeBin(t, "json-server")
	dir := t.TempDir()
	db, err := json.Marshal(map[string]any{"products": products(), "reviews": reviews()})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "db.json"), db, 0o644); err != nil {
		t.Fatal(err)
	}
	port := testenv.FreePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	testenv.Start(t, dir, testenv.HTTPReady(base+"/products/1"), 30*time.Second, bin,
		"--host", "127.0.0.1", "--port", fmt.Sprint(port), "--quiet", filepath.Join(dir, "db.json"))
	return base
}

// The generated pager follows json-server's Link headers across every page,
// with the typed filter and sort parameters on each request.
func TestListProductsAgainstJSONServer(t *testing.T) {
	base := startJSONServer(t)
	c, err := jsonserver.NewClient(base)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	want := slices.DeleteFunc(products(), func(p jsonserver.Product) bool { return p.Category != jsonserver.CategoryToys })
	slices.SortFunc(want, func(a, b jsonserver.Product) int { return cmp.Compare(b.Price, a.Price) })

	sortBy, order, toys := jsonserver.ListProductsSortPrice, jsonserver.ListProductsOrderDesc, jsonserver.CategoryToys
	params := &jsonserver.ListProductsParams{Page: 1, Limit: ptr(10), Category: &toys, Sort: &sortBy, Order: &order}
	for _, opts := range [][]sdk.Option{nil, {sdk.WithPrefetch()}} {
		var got []jsonserver.Product
		var pages int
		for page, err := range c.Products.ListProducts(ctx, params, opts...).Pages() {
			if err != nil {
				t.Fatal(err)
			}
			pages++
			got = append(got, page.Items...)
		}
		if !slices.Equal(got, want) {
			t.Errorf("got %d products, want the %d toys sorted by price, descending", len(got), len(want))
		}
		if wantPages := (len(want) + 9) / 10; pages != wantPages {
			t.Errorf("%d pages, want %d", pages, wantPages)
		}
	}

	// A filter that matches nothing gives an empty, finished iteration.
	params.PriceGte = ptr(float64(5000))
	for p, err := range c.Products.ListProducts(ctx, params).All() {
		t.Errorf("unexpected item %v, %v", p, err)
	}

	// The rest of the API works against it too.
	created, err := c.Products.CreateProduct(ctx, jsonserver.NewProduct{Name: "new", Category: jsonserver.CategoryBooks, Price: 1.5})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Products.GetProduct(ctx, created.ID)
	if err != nil || got.Name != "new" {
		t.Errorf("GetProduct: %+v, %v", got, err)
	}
	_, err = c.Products.GetProduct(ctx, 99999)
	var apiErr *sdk.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
		t.Errorf("missing product: %v", err)
	}
}

// The offset pager detected from _start and _limit reads every review,
// page after page, and stops at json-server's first empty slice.
func TestListReviewsByOffset(t *testing.T) {
	base := startJSONServer(t)
	c, err := jsonserver.NewClient(base)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var got []jsonserver.Review
	pages := 0
	for page, err := range c.Reviews.ListReviews(context.Background(), &jsonserver.ListReviewsParams{Limit: ptr(10)}).Pages() {
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got = append(got, page.Items...)
	}
	if !slices.Equal(got, reviews()) {
		t.Errorf("got %d reviews, want %d", len(got), len(reviews()))
	}
	if pages != 6 { // 10, 10, 10, 10, 3, and the empty slice that ends the list
		t.Errorf("%d pages", pages)
	}
}

func ptr[T any](v T) *T { return &v }
