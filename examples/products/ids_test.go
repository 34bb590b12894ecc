package products_test

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/examples/products"
)

// Ids match the spec's ProductID pattern, sort by time, and come from
// their inputs alone.
func TestProductIDs(t *testing.T) {
	pattern := regexp.MustCompile(`^prd_[0-9A-HJKMNP-TV-Z]{26}$`)
	if id := products.NewProductID(); !pattern.MatchString(id) {
		t.Fatalf("NewProductID() = %q", id)
	}
	t0 := time.Date(2024, 11, 12, 9, 30, 0, 0, time.UTC)
	var lo, hi [10]byte
	for i := range hi {
		hi[i] = 0xff
	}
	a, b := products.ProductIDFrom(t0, hi), products.ProductIDFrom(t0.Add(time.Millisecond), lo)
	if !pattern.MatchString(a) || !pattern.MatchString(b) || a >= b {
		t.Fatalf("ids %s, %s: want the later millisecond to sort after", a, b)
	}
	if products.ProductIDFrom(t0, hi) != a {
		t.Fatal("the same inputs gave another id")
	}
	// The first ULID digit holds the top 3 bits of the time: 0 to 7.
	if got := products.ProductIDFrom(time.UnixMilli(0), lo); got != "prd_00000000000000000000000000" {
		t.Fatalf("zero id %s", got)
	}
}

// A client chooses the id of a product it creates (PutProduct), so that it
// can name the product in later writes before the server has seen it.
func ExampleProductIDFrom() {
	t := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	fmt.Println(products.ProductIDFrom(t, [10]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}))
	// Output: prd_01KDYAK348041061050R3GG28A
}
