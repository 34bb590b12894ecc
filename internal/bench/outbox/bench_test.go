package outbox

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/examples/products"
	"github.com/sdkgen-go/sdkgen/examples/products/server"
	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/auth"
	"github.com/sdkgen-go/sdkgen/sdk/outbox"
)

// update is the call of a PATCH of product id to price, as the products
// SDK makes it.
func update(c *products.Client, id string, price int64) outbox.Call {
	return func(ctx context.Context, opts ...sdk.Option) error {
		_, err := c.Products.UpdateProduct(ctx, id, nil, products.ProductUpdate{Price: &price}, opts...)
		return err
	}
}

// BenchmarkEnqueue queues b.N writes from 1 or 16 goroutines into a queue
// on disk (the test's temporary folder), with an fsync per write
// (sync=each) or with the fsyncs of concurrent writers grouped
// (sync=grouped). Each Enqueue returns once its write is on disk, in both
// modes. writes/s is the throughput.
func BenchmarkEnqueue(b *testing.B) {
	c, err := products.NewClient("http://127.0.0.1:1") // never called: enqueueing sends nothing
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for _, mode := range []struct {
		name string
		sync outbox.Sync
	}{{"each", outbox.SyncEach}, {"grouped", outbox.SyncGrouped}} {
		for _, writers := range []int{1, 16} {
			b.Run(fmt.Sprintf("sync=%s/writers=%d", mode.name, writers), func(b *testing.B) {
				q, err := outbox.Open(filepath.Join(b.TempDir(), "q.db"), outbox.WithSync(mode.sync))
				if err != nil {
					b.Fatal(err)
				}
				defer q.Close()
				ctx := context.Background()
				var next atomic.Int64
				b.ResetTimer()
				start := time.Now()
				var wg sync.WaitGroup
				for w := range writers {
					wg.Go(func() {
						id := products.ProductIDFrom(time.UnixMilli(int64(w)), [10]byte{})
						for next.Add(1) <= int64(b.N) {
							if _, err := q.Enqueue(ctx, update(c, id, 1)); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				b.StopTimer()
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
			})
		}
	}
}

// rig is the products server on loopback (its database in memory when
// /dev/shm exists, so that its own fsyncs do not set the pace) and the
// products the writes change.
type rig struct {
	api      *server.Server
	products []string
}

const (
	replayProducts = 64
	replayWorkers  = 8
)

func newRig(b *testing.B) *rig {
	b.Helper()
	dir := b.TempDir()
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "outbox-bench-"); err == nil {
			dir = d
			b.Cleanup(func() { os.RemoveAll(d) })
		}
	}
	api, err := server.New(server.Options{DBPath: filepath.Join(dir, "p.db"), Clients: []server.Client{{ID: "bench", Secret: "bench-secret"}}, EventLogSize: 16})
	if err != nil {
		b.Fatal(err)
	}
	if err := api.Start(context.Background(), "127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { api.Close() })
	return &rig{api: api}
}

// connect makes the rig's client, with opts, and its products.
func (r *rig) connect(b *testing.B, opts ...sdk.Option) *products.Client {
	b.Helper()
	cc := products.OAuth2ClientCredentials("bench", "bench-secret", server.ScopeRead, server.ScopeWrite)
	cc.TokenURL = r.api.URL() + "/oauth/token"
	c, err := products.NewClient(r.api.URL(), append([]sdk.Option{products.WithOAuth2(auth.ClientCredentials(cc))}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	if r.products == nil {
		for i := range replayProducts {
			id := products.NewProductID()
			if _, err := c.Products.PutProduct(context.Background(), id, nil, products.ProductCreate{Sku: "B-" + strconv.Itoa(i), Name: "Bench", Category: "bench", Price: 1}); err != nil {
				b.Fatal(err)
			}
			r.products = append(r.products, id)
		}
	}
	return c
}

// BenchmarkReplay sends b.N PATCHes, each with its own Idempotency-Key,
// spread over 64 products, to the products server: via=direct as calls of
// the generated SDK from 8 goroutines (each owning 8 products, writing
// them in turn), via=outbox queued first (untimed) and then replayed by a
// queue with 8 workers, on disk, from Start until it is empty. writes/s is
// the throughput; the ratio outbox/direct is the cost of the queue's
// bookkeeping (a grouped delete per write, ordering per product).
func BenchmarkReplay(b *testing.B) {
	b.Run("via=direct", func(b *testing.B) {
		r := newRig(b)
		c := r.connect(b)
		ctx := context.Background()
		var next atomic.Int64
		b.ResetTimer()
		start := time.Now()
		var wg sync.WaitGroup
		for w := range replayWorkers {
			wg.Go(func() {
				for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
					id := r.products[w+replayWorkers*int(i%(replayProducts/replayWorkers))]
					if err := update(c, id, i)(ctx, sdk.WithIdempotencyKey(products.NewProductID())); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		b.StopTimer()
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
	})
	b.Run("via=outbox", func(b *testing.B) {
		r := newRig(b)
		q, err := outbox.Open(filepath.Join(b.TempDir(), "q.db"), outbox.WithWorkers(replayWorkers))
		if err != nil {
			b.Fatal(err)
		}
		defer q.Close()
		c := r.connect(b, q.Watch())
		ctx := context.Background()
		for i := range b.N {
			if _, err := q.Enqueue(ctx, update(c, r.products[i%replayProducts], int64(i))); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		start := time.Now()
		if err := q.Start(c.SDK()); err != nil {
			b.Fatal(err)
		}
		if err := q.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
		if q.Len() != 0 {
			b.Fatalf("%d writes left", q.Len())
		}
	})
}
