package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/sdkgen-go/sdkgen/examples/products"
	"github.com/sdkgen-go/sdkgen/internal/cli"
	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/auth"
	"github.com/sdkgen-go/sdkgen/sdk/outbox"
)

// Environment variables read when the matching flag is not given.
const (
	envBaseURL      = "PRODUCTS_BASE_URL"
	envToken        = "PRODUCTS_TOKEN"
	envClientID     = "PRODUCTS_CLIENT_ID"
	envClientSecret = "PRODUCTS_CLIENT_SECRET"
	envOutput       = "PRODUCTS_OUTPUT"
)

const (
	defaultBaseURL  = "http://127.0.0.1:8080"
	defaultClientID = "productsctl"
	userAgent       = "productsctl (github.com/sdkgen-go/sdkgen/examples/products)"
)

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	return cli.Run(ctx, newRoot(), args, stdout, stderr, getenv)
}

// globals are the flags of every command.
type globals struct {
	baseURL      string
	token        string
	clientID     string
	clientSecret string
	output       cli.Output
	queueFile    string
}

func newRoot() *cobra.Command {
	g := &globals{output: cli.OutputTable}
	root := &cobra.Command{
		Use:   "productsctl",
		Short: "Manage the product catalogue of examples/products",
		Long: `productsctl manages the product catalogue of examples/products through the
SDK that sdkgen generates from products.yaml. Start with "productsctl demo":
it runs the server embedded and walks through what the SDK does.

Exit status: 0 on success, 1 when the API answered with an error or could not
be reached, 2 for a bad command line.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return cli.Usagef("a command is required") },
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.baseURL, "base-url", defaultBaseURL, "API root URL")
	pf.StringVar(&g.token, "token", "", "bearer token; without it, client credentials get one")
	pf.StringVar(&g.clientID, "client-id", defaultClientID, "OAuth2 client id")
	pf.StringVar(&g.clientSecret, "client-secret", "", "OAuth2 client secret")
	pf.Var(&g.output, "output", "output format: table or json")
	pf.StringVar(&g.queueFile, "queue-file", defaultQueueFile(), "the offline queue's file (create, update and delete with --queue; queue)")
	cli.BindEnv(pf, "base-url", envBaseURL)
	cli.BindEnv(pf, "token", envToken)
	cli.BindEnv(pf, "client-id", envClientID)
	cli.BindEnv(pf, "client-secret", envClientSecret)
	cli.BindEnv(pf, "output", envOutput)
	cli.BindEnv(pf, "queue-file", envQueueFile)
	root.AddCommand(newDemo(), newList(g), newExport(g), newGet(g), newCreate(g), newUpdate(g), newDelete(g),
		newWatch(g), newUploadImage(g), newDownloadImage(g), newQueue(g))
	return root
}

// newClient makes the SDK client the global flags describe.
func (g *globals) newClient(opts ...sdk.Option) (*products.Client, error) {
	ts, err := g.tokenSource()
	if err != nil {
		return nil, err
	}
	opts = append([]sdk.Option{products.WithOAuth2(ts), sdk.WithUserAgent(userAgent), sdk.WithMaxRetries(3)}, opts...)
	return products.NewClient(g.baseURL, opts...)
}

func (g *globals) tokenSource() (sdk.TokenSource, error) {
	if g.token != "" {
		return sdk.StaticToken(g.token), nil
	}
	if g.clientSecret == "" {
		return nil, cli.Usagef("--token or --client-secret is required (or %s / %s)", envToken, envClientSecret)
	}
	return clientCredentials(g.baseURL, g.clientID, g.clientSecret), nil
}

// clientCredentials returns a token source of the OAuth2 client
// credentials grant against the server at base.
func clientCredentials(base, id, secret string, opts ...auth.Option) *auth.Source {
	cfg := products.OAuth2ClientCredentials(id, secret, "products:read", "products:write")
	cfg.TokenURL = strings.TrimSuffix(base, "/") + "/oauth/token"
	return auth.ClientCredentials(cfg, opts...)
}

// --- list and export

type listFlags struct {
	category           string
	minPrice, maxPrice int64
	q, sort            string
	pageSize, max      int
}

func (f *listFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.category, "category", "", "only this category")
	fs.Int64Var(&f.minPrice, "min-price", -1, "only products costing at least this many cents")
	fs.Int64Var(&f.maxPrice, "max-price", -1, "only products costing at most this many cents")
	fs.StringVar(&f.q, "q", "", "only products whose name or description contains this")
	fs.StringVar(&f.sort, "sort", "", "name, -name, price, -price, created_at or -created_at")
	fs.IntVar(&f.pageSize, "page-size", 50, "products per request, 1 to 100")
}

func (f *listFlags) params() (*products.ListProductsParams, error) {
	if f.pageSize < 1 || f.pageSize > 100 {
		return nil, cli.Usagef("--page-size must be between 1 and 100, not %d", f.pageSize)
	}
	limit := int32(f.pageSize)
	p := &products.ListProductsParams{Limit: &limit}
	if f.category != "" {
		p.Category = &f.category
	}
	if f.minPrice >= 0 {
		p.MinPrice = &f.minPrice
	}
	if f.maxPrice >= 0 {
		p.MaxPrice = &f.maxPrice
	}
	if f.q != "" {
		p.Q = &f.q
	}
	if f.sort != "" {
		s := products.ProductSort(f.sort)
		if !s.Valid() {
			return nil, cli.Usagef("--sort must be name, -name, price, -price, created_at or -created_at, not %q", f.sort)
		}
		p.Sort = &s
	}
	return p, nil
}

func newList(g *globals) *cobra.Command {
	f := &listFlags{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List products, filtered and sorted, across pages",
		Example: `  productsctl list --category lighting --sort -price
  productsctl list --q lamp --max 10 --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := f.params()
			if err != nil {
				return err
			}
			if f.max < 0 {
				return cli.Usagef("--max must not be negative")
			}
			c, err := g.newClient()
			if err != nil {
				return err
			}
			defer c.Close()
			var list []products.Product
			for prod, err := range c.Products.ListProducts(cmd.Context(), p).All() {
				if err != nil {
					return err
				}
				list = append(list, prod)
				if f.max > 0 && len(list) == f.max {
					break
				}
			}
			return writeProducts(cmd.OutOrStdout(), g.output, list)
		},
	}
	f.register(cmd)
	cmd.Flags().IntVar(&f.max, "max", 0, "stop after this many products (0: all)")
	return cmd
}

func newExport(g *globals) *cobra.Command {
	f := &listFlags{}
	var file string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write every product, page by page, as JSON lines, with a progress bar",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := f.params()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if file != "" && file != "-" {
				fh, err := os.Create(file)
				if err != nil {
					return err
				}
				defer fh.Close()
				out = fh
			}
			c, err := g.newClient()
			if err != nil {
				return err
			}
			defer c.Close()
			bar := newBar(cmd.ErrOrStderr(), -1, "exporting", false)
			n := 0
			for page, err := range c.Products.ListProducts(cmd.Context(), p).Pages() {
				if err != nil {
					return err
				}
				for _, prod := range page.Items {
					if err := writeJSONLine(out, prod); err != nil {
						return err
					}
				}
				n += len(page.Items)
				_ = bar.Set(n)
			}
			_ = bar.Finish()
			fmt.Fprintf(cmd.ErrOrStderr(), "exported %d products\n", n)
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&file, "file", "", "write to this file instead of standard output")
	return cmd
}

// --- one product

func newGet(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "get <id>",
		Short: "Show one product",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.newClient()
			if err != nil {
				return err
			}
			defer c.Close()
			prod, err := c.Products.GetProduct(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return writeProducts(cmd.OutOrStdout(), g.output, []products.Product{*prod})
		},
	}
}

type productFlags struct {
	sku, name, category, description string
	price                            int64
	stock                            int32
	tags                             []string
	ifMatch                          string
	queue                            bool
}

func (f *productFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.sku, "sku", "", "stock-keeping unit, unique")
	fs.StringVar(&f.name, "name", "", "name")
	fs.StringVar(&f.category, "category", "", "category slug, such as lighting")
	fs.StringVar(&f.description, "description", "", "description")
	fs.Int64Var(&f.price, "price", 0, "price in cents")
	fs.Int32Var(&f.stock, "stock", 0, "units in stock")
	fs.StringSliceVar(&f.tags, "tag", nil, "a tag (repeat for more)")
	fs.BoolVar(&f.queue, "queue", false, "queue the write in --queue-file instead of sending it (see: productsctl queue)")
}

func newCreate(g *globals) *cobra.Command {
	f := &productFlags{}
	cmd := &cobra.Command{
		Use:     "create",
		Short:   "Add a product",
		Example: `  productsctl create --sku LAMP-001 --name "Desk lamp" --price 3499 --category lighting --tag led`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, req := range []struct{ flag, v string }{{"sku", f.sku}, {"name", f.name}, {"category", f.category}} {
				if req.v == "" {
					return cli.Usagef("--%s is required", req.flag)
				}
			}
			if !cmd.Flags().Changed("price") {
				return cli.Usagef("--price is required")
			}
			body := products.ProductCreate{Sku: f.sku, Name: f.name, Category: f.category, Price: f.price}
			if f.description != "" {
				body.Description = &f.description
			}
			if cmd.Flags().Changed("stock") {
				body.Stock = &f.stock
			}
			if len(f.tags) > 0 {
				body.Tags = f.tags
			}
			if f.queue {
				// Offline, the product gets an id of our choosing (PUT), so
				// that later queued writes can name it.
				id := products.NewProductID()
				return g.enqueue(cmd.Context(), cmd.OutOrStdout(), "create "+id+" ("+f.sku+")", func(c *products.Client) outbox.Call {
					return func(ctx context.Context, opts ...sdk.Option) error {
						_, err := c.Products.PutProduct(ctx, id, nil, body, opts...)
						return err
					}
				})
			}
			c, err := g.newClient()
			if err != nil {
				return err
			}
			defer c.Close()
			// createProduct is idempotent in the spec: the SDK sends one
			// Idempotency-Key for all attempts, so a retried POST never
			// creates two products.
			prod, err := c.Products.CreateProduct(cmd.Context(), nil, body)
			if err != nil {
				return err
			}
			return writeProducts(cmd.OutOrStdout(), g.output, []products.Product{*prod})
		},
	}
	f.register(cmd)
	return cmd
}

func newUpdate(g *globals) *cobra.Command {
	f := &productFlags{}
	cmd := &cobra.Command{
		Use:     "update <id>",
		Short:   "Change some fields of a product",
		Example: `  productsctl update prd_01JCF7YQX4W99R5S0TKM2ND8FA --price 2999 --if-match '"3"'`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var body products.ProductUpdate
			fs := cmd.Flags()
			set := func(name string, apply func()) {
				if fs.Changed(name) {
					apply()
				}
			}
			set("sku", func() { body.Sku = &f.sku })
			set("name", func() { body.Name = &f.name })
			set("category", func() { body.Category = &f.category })
			set("description", func() { body.Description = &f.description })
			set("price", func() { body.Price = &f.price })
			set("stock", func() { body.Stock = &f.stock })
			set("tag", func() { body.Tags = f.tags })
			if reflect.ValueOf(body).IsZero() {
				return cli.Usagef("nothing to change: give at least one of --sku, --name, --category, --description, --price, --stock, --tag")
			}
			if f.queue {
				return g.enqueue(cmd.Context(), cmd.OutOrStdout(), "update "+args[0], func(c *products.Client) outbox.Call {
					return func(ctx context.Context, opts ...sdk.Option) error {
						_, err := c.Products.UpdateProduct(ctx, args[0], ifMatch(f.ifMatch), body, opts...)
						return err
					}
				}, outbox.Resource("/products/"+args[0]))
			}
			c, err := g.newClient()
			if err != nil {
				return err
			}
			defer c.Close()
			prod, err := c.Products.UpdateProduct(cmd.Context(), args[0], ifMatch(f.ifMatch), body)
			if err != nil {
				return err
			}
			return writeProducts(cmd.OutOrStdout(), g.output, []products.Product{*prod})
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&f.ifMatch, "if-match", "", `change only if the product's ETag is this (such as '"3"')`)
	return cmd
}

func ifMatch(etag string) *products.UpdateProductParams {
	if etag == "" {
		return nil
	}
	return &products.UpdateProductParams{IfMatch: &etag}
}

func newDelete(g *globals) *cobra.Command {
	var etag string
	var queue bool
	cmd := &cobra.Command{
		Use:   "delete <id>",
		Short: "Delete a product",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var p *products.DeleteProductParams
			if etag != "" {
				p = &products.DeleteProductParams{IfMatch: &etag}
			}
			if queue {
				return g.enqueue(cmd.Context(), cmd.OutOrStdout(), "delete "+args[0], func(c *products.Client) outbox.Call {
					return func(ctx context.Context, opts ...sdk.Option) error {
						return c.Products.DeleteProduct(ctx, args[0], p, opts...)
					}
				})
			}
			c, err := g.newClient()
			if err != nil {
				return err
			}
			defer c.Close()
			if err := c.Products.DeleteProduct(cmd.Context(), args[0], p); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted %s\n", args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&etag, "if-match", "", "delete only if the product's ETag is this")
	cmd.Flags().BoolVar(&queue, "queue", false, "queue the delete in --queue-file instead of sending it (see: productsctl queue)")
	return cmd
}

// --- live updates

func newWatch(g *globals) *cobra.Command {
	var count int
	var lastID string
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Print changes to the catalogue as they happen (server-sent events)",
		Long: `watch follows the server's event stream and prints each create, update and
delete as it happens. When the connection drops it reconnects on its own and
resumes after the last event it saw. Stop it with Ctrl-C, or with --count.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if count < 0 {
				return cli.Usagef("--count must not be negative")
			}
			c, err := g.newClient()
			if err != nil {
				return err
			}
			defer c.Close()
			var p *products.StreamProductEventsParams
			if lastID != "" {
				p = &products.StreamProductEventsParams{LastEventID: &lastID}
			}
			n := 0
			for ev, err := range c.Products.StreamProductEvents(cmd.Context(), p) {
				if err != nil {
					if cmd.Context().Err() != nil {
						return nil // Ctrl-C
					}
					return err
				}
				if err := writeEvent(cmd.OutOrStdout(), g.output, ev); err != nil {
					return err
				}
				if n++; count > 0 && n == count {
					return nil
				}
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&count, "count", 0, "stop after this many events (0: never)")
	cmd.Flags().StringVar(&lastID, "last-event-id", "", "resume after this event id")
	return cmd
}

// --- images

func newUploadImage(g *globals) *cobra.Command {
	var caption string
	cmd := &cobra.Command{
		Use:   "upload-image <id> <file>",
		Short: "Upload a product's image (PNG or JPEG), with a progress bar",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			file, err := sdk.FileFromPath(args[1])
			if err != nil {
				return err
			}
			c, err := g.newClient()
			if err != nil {
				return err
			}
			defer c.Close()
			img, err := uploadImage(cmd.Context(), c, args[0], file, caption, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if g.output == cli.OutputJSON {
				return cli.WriteJSON(cmd.OutOrStdout(), img)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "uploaded %s: %d bytes, %dx%d %s, sha256 %s\n",
				args[0], img.Size, img.Width, img.Height, img.ContentType, img.Sha256)
			return nil
		},
	}
	cmd.Flags().StringVar(&caption, "caption", "", "a caption for the image")
	return cmd
}

// uploadImage streams file as the product's image, drawing a progress bar
// on w.
func uploadImage(ctx context.Context, c *products.Client, id string, file sdk.File, caption string, w io.Writer) (*products.ProductImage, error) {
	bar := newBar(w, file.Size, "uploading", true)
	form := products.UploadProductImageForm{Image: file}
	if caption != "" {
		form.Caption = &caption
	}
	img, err := c.Products.UploadProductImage(ctx, id, form, sdk.WithUploadProgress(progress(bar)))
	if err == nil {
		_ = bar.Finish()
	} else {
		_ = bar.Exit()
	}
	return img, err
}

func newDownloadImage(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "download-image <id> <file>",
		Short: "Save a product's image to a file, with a progress bar",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.newClient()
			if err != nil {
				return err
			}
			defer c.Close()
			bar := newBar(cmd.ErrOrStderr(), -1, "downloading", true)
			body, err := c.Products.GetProductImage(cmd.Context(), args[0], sdk.WithDownloadProgress(progress(bar)))
			if err != nil {
				return err
			}
			defer body.Close()
			out, err := os.Create(args[1])
			if err != nil {
				return err
			}
			n, err := io.Copy(out, body)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(args[1])
				return err
			}
			_ = bar.Finish()
			fmt.Fprintf(cmd.OutOrStdout(), "saved %d bytes to %s\n", n, args[1])
			return nil
		},
	}
}

// --- output

func newBar(w io.Writer, total int64, what string, bytes bool) *progressbar.ProgressBar {
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowBytes(bytes),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(50*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
}

// progress moves bar with the SDK's progress reports, taking the total
// once it is known.
func progress(bar *progressbar.ProgressBar) func(done, total int64) {
	return func(done, total int64) {
		if total > 0 {
			bar.ChangeMax64(total)
		}
		_ = bar.Set64(done)
	}
}

func writeProducts(w io.Writer, out cli.Output, list []products.Product) error {
	if out == cli.OutputJSON {
		if list == nil {
			list = []products.Product{}
		}
		return cli.WriteJSON(w, list)
	}
	rows := make([][]string, 0, len(list))
	for _, p := range list {
		rows = append(rows, []string{p.ID, p.Sku, p.Name, p.Category, cents(p.Price), strconv.Itoa(int(p.Stock)), strconv.FormatInt(p.Version, 10)})
	}
	return cli.WriteTable(w, []string{"ID", "SKU", "NAME", "CATEGORY", "PRICE", "STOCK", "VERSION"}, rows, 40)
}

func writeEvent(w io.Writer, out cli.Output, ev sdk.Event[products.ProductEvent]) error {
	if out == cli.OutputJSON {
		return writeJSONLine(w, map[string]any{"id": ev.ID, "event": ev.Type, "data": ev.Data})
	}
	what := string(ev.Data.Type)
	if p := ev.Data.Product; p != nil {
		what += fmt.Sprintf(" %s %s (%s, %s)", p.ID, cli.Cell(p.Name, 40), p.Sku, cents(p.Price))
	}
	_, err := fmt.Fprintf(w, "#%s %s %s\n", cli.Cell(ev.ID, 20), ev.Data.At.Format(time.TimeOnly), what)
	return err
}

func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// cents formats a price in cents as units with two decimals.
func cents(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}
