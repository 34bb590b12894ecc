// Package products is the SDK that sdkgen generates from products.yaml: the
// product catalogue of examples/products, with CRUD, cursor pagination,
// filters and sorting, OAuth2 client credentials, problem+json errors, a
// server-sent event stream of changes and image uploads. Its server is
// package [github.com/sdkgen-go/sdkgen/examples/products/server]; its CLI is
// examples/products/cmd/productsctl.
//
// Regenerate it with
//
//	go generate ./examples/products
package products

//go:generate go tool sdkgen generate --config sdkgen.yaml
