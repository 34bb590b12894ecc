// Command ghrepos lists a GitHub user's repositories, through the SDK that
// sdkgen generates from GitHub's own OpenAPI description (package
// github.com/sdkgen-go/sdkgen/examples/github). It follows GitHub's
// Link-header pagination to the last page.
//
// Usage:
//
//	ghrepos list <username> [--per-page n] [--limit n] [--type owner|all|member]
//	                        [--sort full_name|created|updated|pushed] [--direction asc|desc]
//
// Flags of every command, each with an environment variable as fallback
// (the flag wins):
//
//	--base-url url         API root (GITHUB_API_URL; default https://api.github.com)
//	--token token          sent as "Authorization: Bearer <token>" (GITHUB_TOKEN)
//	--output table|json    output format (GHREPOS_OUTPUT; default table)
//
// Without a token, GitHub serves public repositories at a lower rate limit.
// The whole list is read before anything is printed, so a failure on a
// later page prints only the error.
//
// Exit status: 0 on success, 1 when GitHub answered with an error or could
// not be reached (one line on stderr: status, message, request and
// GitHub's request id), 2 for a bad command line.
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
