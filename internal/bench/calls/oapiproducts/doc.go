// Package oapiproducts is oapi-codegen v2.8.2's client of the products API
// (examples/products/products.yaml): models, Client and
// ClientWithResponses, as a user of oapi-codegen would generate them. The
// benchmarks of package calls measure the products SDK against it. It is
// generated, committed and checked for drift like the SDKs sdkgen
// generates.
package oapiproducts

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config oapi-codegen.yaml ../../../../examples/products/products.yaml
