package catalog_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/sdkgen-go/sdkgen/examples/catalog"
	"github.com/sdkgen-go/sdkgen/examples/catalog/server"
	"github.com/sdkgen-go/sdkgen/sdk"
	sdkgraphql "github.com/sdkgen-go/sdkgen/sdk/graphql"
)

// A query, a mutation, a typed GraphQL error and a Relay pager, against
// the gqlgen server of examples/catalog/server.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url, err := server.New().Start(ctx, "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	c, err := catalog.NewClient(url, sdk.WithMaxRetries(2))
	if err != nil {
		panic(err)
	}
	defer c.Close()

	p, err := c.GetProduct(ctx, "p2")
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Product.Sku, p.Product.Name)

	in := catalog.NewProduct{Sku: "SKU-042", Name: "Kettle", Price: 2500, Category: "tools"}
	if _, err := c.CreateProduct(ctx, in); err != nil {
		panic(err)
	}
	_, err = c.CreateProduct(ctx, in)
	var gqlErr *sdkgraphql.Error
	if errors.As(err, &gqlErr) {
		fmt.Println(gqlErr.Code(), gqlErr.Message)
	}

	size := 5
	n := 0
	for _, err := range c.ListProductsPager(ctx, &size, nil).All() {
		if err != nil {
			panic(err)
		}
		n++
	}
	fmt.Println(n, "products")
	// Output:
	// SKU-002 Product 2
	// CONFLICT SKU SKU-042 exists
	// 11 products
}
