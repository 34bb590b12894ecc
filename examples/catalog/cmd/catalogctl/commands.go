package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/sdkgen-go/sdkgen/examples/catalog"
	"github.com/sdkgen-go/sdkgen/internal/cli"
	"github.com/sdkgen-go/sdkgen/sdk"
)

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	return cli.Run(ctx, newRoot(), args, stdout, stderr, getenv)
}

type globals struct {
	baseURL string
	token   string
	output  cli.Output
}

func (g *globals) client() (*catalog.Client, error) {
	opts := []sdk.Option{sdk.WithUserAgent("catalogctl (github.com/sdkgen-go/sdkgen/examples/catalog)")}
	if g.token != "" {
		opts = append(opts, sdk.WithBearerToken(g.token))
	}
	return catalog.NewClient(g.baseURL, opts...)
}

func newRoot() *cobra.Command {
	g := &globals{output: cli.OutputTable}
	root := &cobra.Command{
		Use:   "catalogctl",
		Short: "Use the GraphQL catalogue of examples/catalog",
		Long: `catalogctl uses the GraphQL catalogue API of examples/catalog through the
client sdkgen generates. Start with "catalogctl demo": it runs a server
embedded and walks through what the client does.`,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.baseURL, "base-url", "", "the GraphQL endpoint (default "+catalog.DefaultEndpoint+")")
	pf.StringVar(&g.token, "token", "", "a bearer token")
	pf.Var(&g.output, "output", "output format: table or json")
	cli.BindEnv(pf, "base-url", "CATALOG_BASE_URL")
	cli.BindEnv(pf, "token", "CATALOG_TOKEN")
	cli.BindEnv(pf, "output", "CATALOG_OUTPUT")
	root.AddCommand(demoCmd(), getCmd(g), listCmd(g), createCmd(g), watchCmd(g))
	return root
}

func productRow(p catalog.Product) []string {
	return []string{p.ID, p.Sku, p.Name, strconv.Itoa(p.Price), p.Category}
}

var productHeader = []string{"ID", "SKU", "NAME", "PRICE", "CATEGORY"}

func getCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use: "get <id>", Short: "Show a product", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			defer c.Close()
			r, err := c.GetProduct(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if r.Product == nil {
				return fmt.Errorf("no product %q", args[0])
			}
			if g.output == cli.OutputJSON {
				return cli.WriteJSON(cmd.OutOrStdout(), r.Product)
			}
			p := r.Product.ProductFields
			return cli.WriteTable(cmd.OutOrStdout(), productHeader, [][]string{productRow(catalog.Product(p))}, 60)
		},
	}
}

func listCmd(g *globals) *cobra.Command {
	var category string
	var size, maxItems int
	cmd := &cobra.Command{
		Use: "list", Short: "List products, every page", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if size <= 0 || maxItems < 0 {
				return cli.Usagef("--page-size must be positive and --max not negative")
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			defer c.Close()
			var cat *string
			if category != "" {
				cat = &category
			}
			var opts []sdk.Option
			if maxItems > 0 {
				opts = append(opts, sdk.WithMaxItems(maxItems))
			}
			var rows [][]string
			var all []catalog.Product
			for p, err := range c.ListProductsPager(cmd.Context(), &size, cat, opts...).All() {
				if err != nil {
					return err
				}
				rows = append(rows, productRow(p))
				all = append(all, p)
			}
			if g.output == cli.OutputJSON {
				return cli.WriteJSON(cmd.OutOrStdout(), all)
			}
			return cli.WriteTable(cmd.OutOrStdout(), productHeader, rows, 60)
		},
	}
	cmd.Flags().StringVar(&category, "category", "", "only this category")
	cmd.Flags().IntVar(&size, "page-size", 5, "products per page")
	cmd.Flags().IntVar(&maxItems, "max", 0, "stop after this many products (0: all)")
	return cmd
}

func createCmd(g *globals) *cobra.Command {
	var in catalog.NewProduct
	cmd := &cobra.Command{
		Use: "create", Short: "Add a product", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if in.Sku == "" || in.Name == "" || in.Category == "" {
				return cli.Usagef("--sku, --name and --category are required")
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			defer c.Close()
			r, err := c.CreateProduct(cmd.Context(), in)
			if err != nil {
				return err
			}
			if g.output == cli.OutputJSON {
				return cli.WriteJSON(cmd.OutOrStdout(), r.CreateProduct)
			}
			return cli.WriteTable(cmd.OutOrStdout(), productHeader, [][]string{productRow(catalog.Product(r.CreateProduct.ProductFields))}, 60)
		},
	}
	cmd.Flags().StringVar(&in.Sku, "sku", "", "stock-keeping unit (new)")
	cmd.Flags().StringVar(&in.Name, "name", "", "name")
	cmd.Flags().IntVar(&in.Price, "price", 0, "price in cents")
	cmd.Flags().StringVar(&in.Category, "category", "", "category")
	return cmd
}

func watchCmd(g *globals) *cobra.Command {
	var category string
	var count int
	cmd := &cobra.Command{
		Use: "watch", Short: "Print product events as they happen", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			defer c.Close()
			var cat *string
			if category != "" {
				cat = &category
			}
			n := 0
			for ev, err := range c.ProductEvents(cmd.Context(), cat, nil) {
				if err != nil {
					if errors.Is(err, context.Canceled) {
						return nil
					}
					return err
				}
				e := ev.ProductEvents
				fmt.Fprintf(cmd.OutOrStdout(), "%d %s %s %s\n", e.Seq, e.Type, e.Product.ID, e.Product.Name)
				if n++; count > 0 && n >= count {
					return nil
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&category, "category", "", "only this category")
	cmd.Flags().IntVar(&count, "count", 0, "stop after this many events (0: until interrupted)")
	return cmd
}
