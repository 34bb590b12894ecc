// Package calls holds the runtime benchmarks that measure the SDK sdkgen
// generates against its peers, side by side in one run: the products SDK
// (examples/products: facade, retry and auth layers), a hand-written
// net/http + encoding/json client, and oapi-codegen v2.8.2's
// ClientWithResponses generated from the same spec (package
// oapiproducts).
//
// Each benchmark names its implementations in an impl=... sub-benchmark,
// so benchstat compares them column by column:
//
//	go test -run '^$' -bench . -count 10 ./internal/bench/calls > calls.txt
//	benchstat -col /impl calls.txt
//
// go run ./internal/bench/cmd/bench runs these with the pagination and
// generator benchmarks and prints every table; docs/BENCHMARKS.md has the
// method and the figures.
package calls
