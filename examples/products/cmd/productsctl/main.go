// Command productsctl manages the product catalogue of examples/products
// through the SDK that sdkgen generates from products.yaml, and shows what
// the SDK does: `productsctl demo` starts the server embedded on a free
// loopback port and walks through CRUD, pagination, filters, retries,
// token refresh, live updates, an upload, and writes queued offline and
// synced, with no setup.
//
// Usage:
//
//	productsctl demo
//	productsctl list [--category c] [--min-price n] [--max-price n] [--q text] [--sort s] [--page-size n] [--max n]
//	productsctl export [--file f]              every product, page by page, as JSON lines
//	productsctl get <id>
//	productsctl create --sku s --name n --price cents --category c [--description d] [--stock n] [--tag t]... [--queue]
//	productsctl update <id> [--name n] [--price cents] [--category c] [--description d] [--stock n] [--if-match etag] [--queue]
//	productsctl delete <id> [--if-match etag] [--queue]
//	productsctl queue                          the writes queued with --queue, and the dead ones
//	productsctl queue sync [--on-conflict server|client|merge]
//	productsctl watch [--count n] [--last-event-id id]
//	productsctl upload-image <id> <file> [--caption text]
//	productsctl download-image <id> <file>
//
// Flags of every command, each with an environment variable as fallback
// (the flag wins):
//
//	--base-url url          the API (PRODUCTS_BASE_URL; default http://127.0.0.1:8080)
//	--token token           a bearer token (PRODUCTS_TOKEN); without it, the client
//	--client-id id          credentials get tokens from the server's /oauth/token
//	--client-secret secret  (PRODUCTS_CLIENT_ID, default productsctl; PRODUCTS_CLIENT_SECRET)
//	--output table|json     output format (PRODUCTS_OUTPUT; default table)
//	--queue-file path       the offline queue (PRODUCTS_QUEUE_FILE; default
//	                        productsctl/outbox.db in the user's cache folder)
//
// Exit status: 0 on success, 1 when the API answered with an error or could
// not be reached (one line on stderr: status, title, detail, request and
// request id), 2 for a bad command line.
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
