package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/sdkgen-go/sdkgen/examples/catalog"
	"github.com/sdkgen-go/sdkgen/examples/catalog/server"
	"github.com/sdkgen-go/sdkgen/sdk"
	sdkgraphql "github.com/sdkgen-go/sdkgen/sdk/graphql"
)

func demoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Run the catalogue server embedded and walk through the client",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return demo(cmd.Context(), cmd.OutOrStdout())
		},
	}
}

// rotating hands out "token-1" first, which the server refuses, then the
// server's token once asked to refresh: the demo's 401-as-200 refresh.
type rotating struct {
	good      string
	refreshed atomic.Bool
}

func (r *rotating) Token(context.Context) (*sdk.Token, error) {
	if r.refreshed.Load() {
		return &sdk.Token{AccessToken: r.good}, nil
	}
	return &sdk.Token{AccessToken: "expired-token"}, nil
}

func (r *rotating) Refresh(context.Context, *sdk.Token) (*sdk.Token, error) {
	r.refreshed.Store(true)
	return &sdk.Token{AccessToken: r.good}, nil
}

func demo(ctx context.Context, w io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	srv := server.New()
	srv.Token = "demo-token"
	url, err := srv.Start(ctx, "127.0.0.1:0")
	if err != nil {
		return err
	}
	step := func(format string, args ...any) { fmt.Fprintf(w, "\n== "+format+"\n", args...) }
	fmt.Fprintf(w, "catalogue server (gqlgen) at %s\n", url)

	var attempts atomic.Int32
	src := &rotating{good: srv.Token}
	rt, err := sdk.NewClient(url, sdk.WithTokenSource(src),
		sdk.WithAttemptMiddleware(func(next http.RoundTripper) http.RoundTripper {
			return sdk.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
				attempts.Add(1)
				return next.RoundTrip(r)
			})
		}))
	if err != nil {
		return err
	}
	gql, err := sdkgraphql.New(rt, sdkgraphql.WithPersistedQueries())
	if err != nil {
		return err
	}
	c := catalog.New(gql)
	defer c.Close()

	step("a query, with a token the server refuses in a 200 (UNAUTHENTICATED): refreshed once, replayed")
	p, err := c.GetProduct(ctx, "p3")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "GetProduct(p3): %s %q, %d cents (%d HTTP attempts: refused, then persisted-query hash, then full text)\n",
		p.Product.Sku, p.Product.Name, p.Product.Price, attempts.Load())

	step("a mutation marked idempotent: sent with an Idempotency-Key")
	created, err := c.CreateProduct(ctx, catalog.NewProduct{Sku: "SKU-777", Name: "Demo lamp", Price: 4200, Category: "tools"})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "CreateProduct: %s %s\n", created.CreateProduct.ID, created.CreateProduct.Sku)

	step("GraphQL errors are typed: the same SKU again")
	_, err = c.CreateProduct(ctx, catalog.NewProduct{Sku: "SKU-777", Name: "Again", Price: 1, Category: "tools"})
	var gqlErr *sdkgraphql.Error
	if !errors.As(err, &gqlErr) {
		return fmt.Errorf("want a GraphQL error, got %v", err)
	}
	fmt.Fprintf(w, "error at %q, code %s: %s\n", gqlErr.PathString(), gqlErr.Code(), gqlErr.Message)

	step("a Relay connection as a pager, 4 per page")
	size, pages := 4, 0
	for page, err := range c.ListProductsPager(ctx, &size, nil).Pages() {
		if err != nil {
			return err
		}
		pages++
		fmt.Fprintf(w, "page %d:", pages)
		for _, it := range page.Items {
			fmt.Fprintf(w, " %s", it.Sku)
		}
		fmt.Fprintln(w)
	}

	step("a subscription over graphql-transport-ws: three events, then break (unsubscribes)")
	every := 100
	n := 0
	for ev, err := range c.ProductEvents(ctx, nil, &every) {
		if err != nil {
			return err
		}
		e := ev.ProductEvents
		fmt.Fprintf(w, "event %d: %s %s\n", e.Seq, e.Type, e.Product.Sku)
		if n++; n == 3 {
			break
		}
	}
	fmt.Fprintln(w, "\ndone: every call went through sdk.Client (auth, retries, middleware).")
	return nil
}
