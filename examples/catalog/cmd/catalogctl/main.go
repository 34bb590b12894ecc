// Command catalogctl uses the GraphQL catalogue API of examples/catalog
// through the client sdkgen generates from schema.graphql and
// operations.graphql. `catalogctl demo` starts the gqlgen server of
// examples/catalog/server embedded on a free loopback port and walks
// through queries, a mutation, Relay paging, typed errors, a token refused
// with a 200 and refreshed, and a subscription, with no setup.
//
// Usage:
//
//	catalogctl demo
//	catalogctl get <id>
//	catalogctl list [--category c] [--page-size n] [--max n]
//	catalogctl create --sku s --name n --price cents --category c
//	catalogctl watch [--category c] [--count n]
//
// Flags of every command, with environment fallbacks (the flag wins):
//
//	--base-url url       the GraphQL endpoint (CATALOG_BASE_URL; default the client's DefaultEndpoint)
//	--token token        a bearer token (CATALOG_TOKEN)
//	--output table|json  output format (CATALOG_OUTPUT; default table)
//
// Exit status: 0 on success, 1 when the API answered with an error or could
// not be reached, 2 for a bad command line.
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
