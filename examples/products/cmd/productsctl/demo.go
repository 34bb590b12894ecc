package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/sdkgen-go/sdkgen/examples/products"
	"github.com/sdkgen-go/sdkgen/examples/products/server"
	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/auth"
	"github.com/sdkgen-go/sdkgen/sdk/outbox"
)

func newDemo() *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Start the server embedded and walk through what the SDK does",
		Long: `demo starts the products server embedded in this process, on a free loopback
port with a temporary database, and walks through the generated SDK: create,
list page by page, filter and sort, update, delete, a transient server failure
retried, an expired token refreshed, live updates streamed, and an image
upload with a progress bar, and writes queued offline (the server stops and
comes back) then synced with a conflict resolved. It needs no setup and leaves
nothing behind.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return demo(cmd.Context(), cmd.OutOrStdout())
		},
	}
}

// demo runs the walkthrough, writing it to w.
func demo(ctx context.Context, w io.Writer) error {
	dir, err := os.MkdirTemp("", "productsctl-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	secret := make([]byte, 16)
	_, _ = rand.Read(secret)
	opts := server.Options{
		DBPath:   filepath.Join(dir, "products.db"),
		ImageDir: filepath.Join(dir, "images"),
		Clients:  []server.Client{{ID: "demo", Secret: hex.EncodeToString(secret), Scopes: []string{server.ScopeRead, server.ScopeWrite}}},
	}
	srv, err := server.New(opts)
	if err != nil {
		return err
	}
	d := &walkthrough{w: w, srv: srv, dir: dir, serverOpts: opts, secret: hex.EncodeToString(secret)}
	defer func() { d.srv.Close() }() // the server running at the end (the offline step restarts it)
	if err := srv.Start(ctx, "127.0.0.1:0"); err != nil {
		return err
	}
	fmt.Fprintf(w, "The products server is running embedded at %s (a temporary database).\n", srv.URL())

	// The client: OAuth2 client credentials, retries that honour
	// Retry-After, and a note for every retry and every new token.
	ts := clientCredentials(srv.URL(), "demo", hex.EncodeToString(secret),
		auth.WithOnTokenChange(func(*sdk.Token) error { d.tokens.Add(1); return nil }))
	c, err := products.NewClient(srv.URL(), append(d.counting(),
		products.WithOAuth2(ts),
		sdk.WithUserAgent(userAgent),
		sdk.WithRetry(sdk.RetryPolicy{MaxRetries: 3, BaseDelay: 100 * time.Millisecond, MaxDelay: 2 * time.Second}),
		sdk.WithOnRetry(func(ev sdk.RetryEvent) {
			fmt.Fprintf(w, "   ↻ %s: attempt %d got %s; the SDK retries in %v\n", ev.Operation, ev.Attempt, statusOrError(ev), ev.Delay.Round(time.Millisecond))
		}))...)
	if err != nil {
		return err
	}
	defer c.Close()
	for _, step := range []struct {
		title string
		run   func(context.Context, *products.Client) error
	}{
		{"Create products (one Idempotency-Key per product, so a retried POST never makes two)", d.create},
		{"List them page by page (cursor pagination, 5 per page)", d.pages},
		{"Filter and sort: lighting under 50.00, most expensive first", d.filter},
		{"Update a product (PATCH with If-Match, so a concurrent change is not overwritten)", d.update},
		{"Delete a product; getting it again is a typed 404 with the server's problem details", d.delete},
		{"A transient failure: the server answers 503 twice, the SDK retries", d.transient},
		{"An expired token: the server revokes every token, the SDK refreshes once and replays", d.expiredToken},
		{"Live updates: stream the changes while they happen (server-sent events)", d.live},
		{"Upload an image with a progress bar, then download it and compare", d.upload},
		{"Offline: the server stops, three writes are queued on disk, the server comes back, the queue syncs them and resolves a conflict", d.offline},
	} {
		d.n++
		fmt.Fprintf(w, "\n%d. %s\n", d.n, step.title)
		if err := step.run(ctx, c); err != nil {
			return fmt.Errorf("step %d: %w", d.n, err)
		}
	}
	fmt.Fprintf(w, "\nDone: %d SDK calls, %d HTTP requests (retries and replays included), %d access tokens. The server and its data are gone.\n",
		d.calls.Load(), d.attempts.Load(), d.tokens.Load())
	return nil
}

// walkthrough holds what the steps share.
type walkthrough struct {
	w          io.Writer
	srv        *server.Server
	dir        string // the demo's temporary folder
	serverOpts server.Options
	secret     string
	n          int
	tokens     atomic.Int32
	ids        []string // the products created, in order
	changes    int      // creates, updates and deletes made, for the event ids
	// calls counts the SDK calls (once per call, whatever its retries);
	// attempts counts the requests sent (retries and replays included).
	calls, attempts atomic.Int32
}

// counting returns the middleware that counts calls and attempts.
func (d *walkthrough) counting() []sdk.Option {
	count := func(n *atomic.Int32) sdk.Middleware {
		return func(next http.RoundTripper) http.RoundTripper {
			return sdk.RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
				n.Add(1)
				return next.RoundTrip(req)
			})
		}
	}
	return []sdk.Option{sdk.WithMiddleware(count(&d.calls)), sdk.WithAttemptMiddleware(count(&d.attempts))}
}

var catalogue = []struct {
	sku, name, category string
	price               int64
}{
	{"LAMP-001", "Desk lamp", "lighting", 3499},
	{"LAMP-002", "Floor lamp", "lighting", 8900},
	{"LAMP-003", "Reading light", "lighting", 2450},
	{"LAMP-004", "String lights", "lighting", 1299},
	{"CHAIR-01", "Office chair", "furniture", 15900},
	{"CHAIR-02", "Stool", "furniture", 4500},
	{"DESK-001", "Standing desk", "furniture", 39900},
	{"MUG-0001", "Coffee mug", "kitchen", 899},
	{"MUG-0002", "Travel mug", "kitchen", 1850},
	{"KETTLE-1", "Electric kettle", "kitchen", 4299},
	{"PLANT-01", "Monstera", "garden", 2999},
	{"PLANT-02", "Cactus", "garden", 799},
}

func (d *walkthrough) create(ctx context.Context, c *products.Client) error {
	for _, p := range catalogue {
		stock := int32(10 + len(p.name))
		prod, err := c.Products.CreateProduct(ctx, nil, products.ProductCreate{Sku: p.sku, Name: p.name, Category: p.category, Price: p.price, Stock: &stock})
		if err != nil {
			return err
		}
		d.changes++
		d.ids = append(d.ids, prod.ID)
	}
	fmt.Fprintf(d.w, "   created %d products, the first is %s (%s)\n", len(d.ids), d.ids[0], catalogue[0].name)
	return nil
}

func (d *walkthrough) pages(ctx context.Context, c *products.Client) error {
	limit := int32(5)
	sort := products.ProductSortName
	n := 0
	for page, err := range c.Products.ListProducts(ctx, &products.ListProductsParams{Limit: &limit, Sort: &sort}).Pages() {
		if err != nil {
			return err
		}
		n++
		names := make([]string, len(page.Items))
		for i, p := range page.Items {
			names[i] = p.Name
		}
		more := "the last page"
		if page.Next != "" {
			more = "more to come"
		}
		fmt.Fprintf(d.w, "   page %d: %s (%s)\n", n, strings.Join(names, ", "), more)
	}
	return nil
}

func (d *walkthrough) filter(ctx context.Context, c *products.Client) error {
	cat, maxPrice, sort := "lighting", int64(5000), products.ProductSortMinusPrice
	for p, err := range c.Products.ListProducts(ctx, &products.ListProductsParams{Category: &cat, MaxPrice: &maxPrice, Sort: &sort}).All() {
		if err != nil {
			return err
		}
		fmt.Fprintf(d.w, "   %-14s %8s\n", p.Name, cents(p.Price))
	}
	return nil
}

func (d *walkthrough) update(ctx context.Context, c *products.Client) error {
	p, err := c.Products.GetProduct(ctx, d.ids[0])
	if err != nil {
		return err
	}
	etag := strconv.Quote(strconv.FormatInt(p.Version, 10))
	price := p.Price - 500
	up, err := c.Products.UpdateProduct(ctx, p.ID, &products.UpdateProductParams{IfMatch: &etag}, products.ProductUpdate{Price: &price})
	if err != nil {
		return err
	}
	d.changes++
	fmt.Fprintf(d.w, "   %s: price %s → %s, version %d → %d\n", up.Name, cents(p.Price), cents(up.Price), p.Version, up.Version)
	// The same ETag again is stale now: the server refuses with 412.
	_, err = c.Products.UpdateProduct(ctx, p.ID, &products.UpdateProductParams{IfMatch: &etag}, products.ProductUpdate{Price: &price})
	var apiErr *sdk.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusPreconditionFailed {
		return fmt.Errorf("an update with a stale ETag: want 412, got %v", err)
	}
	fmt.Fprintf(d.w, "   the same update with the old ETag: %s\n", apiErr.Status)
	return nil
}

func (d *walkthrough) delete(ctx context.Context, c *products.Client) error {
	id := d.ids[len(d.ids)-1]
	if err := c.Products.DeleteProduct(ctx, id, nil); err != nil {
		return err
	}
	d.changes++
	d.ids = d.ids[:len(d.ids)-1]
	_, err := c.Products.GetProduct(ctx, id)
	var notFound *products.ProblemError
	if !errors.As(err, &notFound) {
		return fmt.Errorf("getting a deleted product: want a 404 problem, got %v", err)
	}
	fmt.Fprintf(d.w, "   deleted %s; GetProduct now fails with %s: %s\n", id, notFound.Body.Title, notFound.Body.Detail)
	return nil
}

func (d *walkthrough) transient(ctx context.Context, c *products.Client) error {
	d.srv.FailNext(2, http.StatusServiceUnavailable)
	p, err := c.Products.GetProduct(ctx, d.ids[1])
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "   third attempt: %s, %s\n", p.Name, cents(p.Price))
	return nil
}

func (d *walkthrough) expiredToken(ctx context.Context, c *products.Client) error {
	before := d.tokens.Load()
	d.srv.RevokeTokens()
	p, err := c.Products.GetProduct(ctx, d.ids[2])
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "   the call got 401, the token source fetched token #%d, the request went again: %s\n", d.tokens.Load(), p.Name)
	if d.tokens.Load() != before+1 {
		return fmt.Errorf("want exactly one new token, got %d", d.tokens.Load()-before)
	}
	return nil
}

func (d *walkthrough) live(ctx context.Context, c *products.Client) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	// Resume after the last change this walkthrough made (event ids count
	// the changes of this fresh database), so nothing is missed between
	// opening the stream and the first change.
	last := strconv.Itoa(d.changes)
	type result struct {
		ev  sdk.Event[products.ProductEvent]
		err error
	}
	events := make(chan result)
	go func() {
		defer close(events)
		for ev, err := range c.Products.StreamProductEvents(ctx, &products.StreamProductEventsParams{LastEventID: &last}) {
			select {
			case events <- result{ev, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	// Three changes, made while the stream is open.
	name := "Desk lamp (new model)"
	price := int64(3999)
	if _, err := c.Products.UpdateProduct(ctx, d.ids[0], nil, products.ProductUpdate{Name: &name}); err != nil {
		return err
	}
	if _, err := c.Products.UpdateProduct(ctx, d.ids[0], nil, products.ProductUpdate{Price: &price}); err != nil {
		return err
	}
	if err := c.Products.DeleteProduct(ctx, d.ids[len(d.ids)-1], nil); err != nil {
		return err
	}
	d.changes += 3
	d.ids = d.ids[:len(d.ids)-1]
	for i := 0; i < 3; i++ {
		r, ok := <-events
		if !ok {
			return errors.New("the event stream ended early")
		}
		if r.err != nil {
			return r.err
		}
		fmt.Fprintf(d.w, "   event #%s %-7s %s (%s)\n", r.ev.ID, r.ev.Data.Type, r.ev.Data.Product.Name, cents(r.ev.Data.Product.Price))
	}
	cancel() // breaking off the stream closes its connection
	for range events {
	}
	return nil
}

func (d *walkthrough) upload(ctx context.Context, c *products.Client) error {
	img := noiseImage(640, 480)
	want := sha256.Sum256(img)
	file := sdk.File{Name: "lamp.png", ContentType: "image/png", Reader: bytes.NewReader(img), Size: int64(len(img))}
	meta, err := uploadImage(ctx, c, d.ids[0], file, "The desk lamp", d.w)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "   stored: %dx%d %s, %d bytes\n", meta.Width, meta.Height, meta.ContentType, meta.Size)
	body, err := c.Products.GetProductImage(ctx, d.ids[0])
	if err != nil {
		return err
	}
	defer body.Close()
	h := sha256.New()
	if _, err := io.Copy(h, body); err != nil {
		return err
	}
	if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
		return fmt.Errorf("the downloaded image differs: sha256 %x, uploaded %x", got, want)
	}
	fmt.Fprintf(d.w, "   downloaded it again: same sha256 %x…\n", want[:8])
	return nil
}

// noiseImage encodes a w×h PNG of random pixels: it does not compress, so
// the upload is big enough for its progress to show.
func noiseImage(w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	noise := make([]byte, 3*w*h)
	_, _ = rand.Read(noise)
	for i := 0; i < w*h; i++ {
		img.Set(i%w, i/w, color.NRGBA{noise[3*i], noise[3*i+1], noise[3*i+2], 255})
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

func statusOrError(ev sdk.RetryEvent) string {
	if ev.StatusCode != 0 {
		return strconv.Itoa(ev.StatusCode) + " " + http.StatusText(ev.StatusCode)
	}
	return ev.Err.Error()
}

// offline queues writes while the server is stopped, and syncs them once
// it is back, resolving a conflict with another user's change.
func (d *walkthrough) offline(ctx context.Context, c *products.Client) error {
	w := d.w
	// The queue: a file of its own, conflicts merged (stock counts as a
	// difference), every step of every write printed.
	var retries atomic.Int32
	q, err := outbox.Open(filepath.Join(d.dir, "outbox.db"),
		outbox.WithConflictPolicy(outbox.MergeChanges), outbox.WithMerge(mergeProduct),
		outbox.WithBackoff(200*time.Millisecond, time.Second),
		outbox.WithOnEvent(func(ev outbox.Event) {
			if ev.Kind == outbox.EventRetrying {
				retries.Add(1)
				return
			}
			printEvent(w, ev)
		}))
	if err != nil {
		return err
	}
	defer q.Close()
	url := d.srv.URL()
	app, err := products.NewClient(url, q.Watch(),
		products.WithOAuth2(clientCredentials(url, "demo", d.secret)),
		sdk.WithUserAgent(userAgent), sdk.WithMaxRetries(1))
	if err != nil {
		return err
	}
	defer app.Close()
	if err := q.Start(app.SDK()); err != nil {
		return err
	}

	// What the app shows of a product before the network goes: its body
	// and ETag, which a queued change is made against.
	var resp *http.Response
	shown, err := app.Products.GetProduct(ctx, d.ids[1], sdk.WithResponse(&resp))
	if err != nil {
		return err
	}
	shownJSON, _ := json.Marshal(shown)
	fmt.Fprintf(w, "   the app shows %s: stock %d, ETag %s\n", shown.Name, shown.Stock, resp.Header.Get("ETag"))

	if err := d.srv.Close(); err != nil {
		return err
	}
	fmt.Fprintf(w, "   the server stops\n")

	// Three writes, queued: each returns once it is on disk.
	id := products.NewProductID()
	stock := int32(5)
	if _, err := q.Enqueue(ctx, func(ctx context.Context, opts ...sdk.Option) error {
		_, err := app.Products.PutProduct(ctx, id, nil, products.ProductCreate{Sku: "SHADE-01", Name: "Lamp shade", Category: "lighting", Price: 1599, Stock: &stock}, opts...)
		return err
	}, outbox.Label("create the lamp shade "+id)); err != nil {
		return err
	}
	price := int64(1499)
	if _, err := q.Enqueue(ctx, func(ctx context.Context, opts ...sdk.Option) error {
		_, err := app.Products.UpdateProduct(ctx, id, nil, products.ProductUpdate{Price: &price}, opts...)
		return err
	}, outbox.Label("reprice the lamp shade (not yet on the server)")); err != nil {
		return err
	}
	sold := shown.Stock - 3
	h, err := q.Enqueue(ctx, func(ctx context.Context, opts ...sdk.Option) error {
		_, err := app.Products.UpdateProduct(ctx, shown.ID, nil, products.ProductUpdate{Stock: &sold}, opts...)
		return err
	}, outbox.BasedOn(resp.Header.Get("ETag"), shownJSON), outbox.Label(fmt.Sprintf("sell 3 of the %s: stock %d → %d", shown.Name, shown.Stock, sold)))
	if err != nil {
		return err
	}
	err = q.Flush(ctx)
	var fe *outbox.FlushError
	if !errors.As(err, &fe) {
		return fmt.Errorf("a sync while the server is down: want a FlushError, got %v", err)
	}
	fmt.Fprintf(w, "   a sync now finds no server: %d writes stay queued in %s\n", fe.Pending, filepath.Base(q.Path()))

	// The server comes back, on the same address and database; meanwhile
	// another user sells 2 of the product the app changed.
	srv, err := server.New(d.serverOpts)
	if err != nil {
		return err
	}
	if err := srv.Start(ctx, strings.TrimPrefix(url, "http://")); err != nil {
		srv.Close()
		return err
	}
	d.srv = srv
	fmt.Fprintf(w, "   the server is back\n")
	otherStock := shown.Stock - 2
	if _, err := c.Products.UpdateProduct(ctx, shown.ID, nil, products.ProductUpdate{Stock: &otherStock}); err != nil {
		return err
	}
	fmt.Fprintf(w, "   another user sells 2 of the %s: stock %d → %d\n", shown.Name, shown.Stock, otherStock)

	// The app's next successful call tells the queue the network is back.
	if _, err := app.Products.GetProduct(ctx, d.ids[0]); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := h.Wait(wctx); err != nil {
		return err
	}
	if err := q.Flush(wctx); err != nil {
		return err
	}
	now, err := c.Products.GetProduct(ctx, shown.ID)
	if err != nil {
		return err
	}
	shade, err := c.Products.GetProduct(ctx, id)
	if err != nil {
		return err
	}
	d.changes += 4 // the other user's change, and the three writes
	n := retries.Load()
	fmt.Fprintf(w, "   synced (%d failed %s while the server was down): %s has stock %d = %d - 2 - 3, no sale lost; %s costs %s\n",
		n, plural(int(n), "attempt", "attempts"), now.Name, now.Stock, shown.Stock, shade.Name, cents(shade.Price))
	if now.Stock != shown.Stock-5 || shade.Price != price {
		return fmt.Errorf("after the sync: stock %d, price %d", now.Stock, shade.Price)
	}
	return nil
}
