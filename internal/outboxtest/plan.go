// Package outboxtest proves the guarantees of sdk/outbox against the
// products API (examples/products/server), whose writes all honour
// Idempotency-Key and which logs every write it applied with its key
// (server.AppliedKeys): a [Plan] of creates (PUT with a client-chosen id),
// updates (PATCH), image uploads and deletes over many products is queued
// and synced, and [Verify] compares the server's log with the plan: every
// write applied exactly once, none missing, and the writes of each
// product applied in the order they were queued.
//
// The tests run the plan in a child process that is killed with SIGKILL
// at random moments and restarted ([RunChild], TestCrash), and through
// internal/faultserver's resets, 503s, 429s and slow headers
// (TestFaults); the conflict tests run each policy against the server's
// ETag/If-Match.
package outboxtest

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/sdkgen-go/sdkgen/examples/products"
	"github.com/sdkgen-go/sdkgen/examples/products/server"
	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/outbox"
)

// OpKind is what a write of the plan does.
type OpKind uint8

// The kinds of writes.
const (
	Create OpKind = iota // PUT /products/{id}, a new product
	Update               // PATCH /products/{id}, a new price
	Upload               // POST /products/{id}/image
	Delete               // DELETE /products/{id}
)

func (k OpKind) String() string {
	return [...]string{"create", "update", "upload", "delete"}[k]
}

func (k OpKind) method() string {
	return [...]string{http.MethodPut, http.MethodPatch, http.MethodPost, http.MethodDelete}[k]
}

// Op is one write of a plan.
type Op struct {
	// N is the write's rank in the plan, from 0; its prices are N, so
	// each write is told apart by what it did.
	N       int
	Product string
	Kind    OpKind
}

// Plan is a set of writes over products: each product is created, changed
// (updates, some uploads) and, for some, deleted, and the products' writes
// are interleaved at random. Enqueuers[g] lists, in order, the writes the
// g-th enqueuer queues: the writes of the products it owns.
type Plan struct {
	Seed      uint64
	Ops       []Op
	Products  []string
	Enqueuers [][]int
}

// PlanHeader carries a write's rank in the plan on its requests, so that
// the server side can tell which write an Idempotency-Key belongs to.
const PlanHeader = "X-Plan-Op"

// NewPlan makes the plan of writes writes (a multiple of 10) over
// writes/10 products, shared among enqueuers, from seed.
func NewPlan(seed uint64, writes, enqueuers int) *Plan {
	rng := rand.New(rand.NewPCG(seed, 0x0b0c))
	const perProduct = 10
	n := max(writes/perProduct, 1)
	p := &Plan{Seed: seed, Enqueuers: make([][]int, enqueuers)}
	lists := make([][]OpKind, n)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		var entropy [10]byte
		for j := range entropy {
			entropy[j] = byte(rng.Uint32())
		}
		p.Products = append(p.Products, products.ProductIDFrom(t0.Add(time.Duration(i)*time.Millisecond), entropy))
		kinds := []OpKind{Create}
		for len(kinds) < perProduct-1 {
			if rng.IntN(10) == 0 {
				kinds = append(kinds, Upload)
			} else {
				kinds = append(kinds, Update)
			}
		}
		if rng.IntN(10) < 3 {
			kinds = append(kinds, Delete)
		} else {
			kinds = append(kinds, Update)
		}
		lists[i] = kinds
	}
	// Interleave: the next write is the next of a product drawn at random
	// among those with writes left.
	left := make([]int, n)
	for i := range left {
		left[i] = i
	}
	next := make([]int, n)
	for len(left) > 0 {
		k := rng.IntN(len(left))
		prod := left[k]
		op := Op{N: len(p.Ops), Product: p.Products[prod], Kind: lists[prod][next[prod]]}
		p.Ops = append(p.Ops, op)
		g := prod % enqueuers
		p.Enqueuers[g] = append(p.Enqueuers[g], op.N)
		if next[prod]++; next[prod] == len(lists[prod]) {
			left = slices.Delete(left, k, k+1)
		}
	}
	return p
}

// tinyPNG is the image every upload sends.
var tinyPNG = func() []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		panic(err)
	}
	return b.Bytes()
}()

// Call returns the generated-SDK call that makes op.
func (p *Plan) Call(c *products.Client, op Op) outbox.Call {
	return func(ctx context.Context, opts ...sdk.Option) error {
		opts = append(opts, sdk.WithHeader(PlanHeader, strconv.Itoa(op.N)))
		price := int64(op.N)
		var err error
		switch op.Kind {
		case Create:
			_, err = c.Products.PutProduct(ctx, op.Product, nil, products.ProductCreate{
				Sku: fmt.Sprintf("P-%d", op.N), Name: "Product " + op.Product[len(op.Product)-6:], Category: "test", Price: price}, opts...)
		case Update:
			_, err = c.Products.UpdateProduct(ctx, op.Product, nil, products.ProductUpdate{Price: &price}, opts...)
		case Upload:
			caption := "op " + strconv.Itoa(op.N)
			_, err = c.Products.UploadProductImage(ctx, op.Product, products.UploadProductImageForm{Caption: &caption,
				Image: sdk.File{Name: "p.png", ContentType: "image/png", Reader: bytes.NewReader(tinyPNG), Size: int64(len(tinyPNG))}}, opts...)
		case Delete:
			err = c.Products.DeleteProduct(ctx, op.Product, nil, opts...)
		}
		return err
	}
}

// Enqueue queues op, with the checkpoint of its enqueuer (the index of
// the next write it has to queue), atomically.
func (p *Plan) Enqueue(ctx context.Context, q *outbox.Queue, c *products.Client, op Op, checkpoint string, next int) (*outbox.Handle, error) {
	return q.Enqueue(ctx, p.Call(c, op),
		outbox.Resource("/products/"+op.Product),
		outbox.Label(op.Kind.String()+" "+op.Product),
		outbox.Checkpoint(checkpoint, []byte(strconv.Itoa(next))))
}

// Final is a product as the server holds it after a run; nil when it is
// gone.
type Final struct {
	Price   int64
	Version int64
}

// Verify compares what the server applied (its applied-key log), which
// key each write was sent with (keyOp: key → the write's N) and the final
// catalogue (final: product → its state, nil when it answers 404) with
// the plan, and returns every broken rule.
func Verify(p *Plan, log []server.AppliedKey, keyOp map[string]int, final map[string]*Final) []string {
	var bad []string
	fail := func(format string, args ...any) {
		if len(bad) < 100 {
			bad = append(bad, fmt.Sprintf(format, args...))
		}
	}
	applied := make([][]server.AppliedKey, len(p.Ops))
	for _, a := range log {
		n, ok := keyOp[a.Key]
		if !ok {
			fail("applied key %s (%s %s) belongs to no write of the plan", a.Key, a.Method, a.Path)
			continue
		}
		op := p.Ops[n]
		if a.Method != op.Kind.method() || a.Product != op.Product {
			fail("write %d (%s %s) was applied as %s %s", n, op.Kind, op.Product, a.Method, a.Path)
		}
		applied[n] = append(applied[n], a)
	}
	seqOf := make([]uint64, len(p.Ops))
	for n, as := range applied {
		switch len(as) {
		case 1:
			seqOf[n] = as[0].Seq
		case 0:
			fail("write %d (%s %s) was never applied: lost", n, p.Ops[n].Kind, p.Ops[n].Product)
		default:
			fail("write %d (%s %s) was applied %d times", n, p.Ops[n].Kind, p.Ops[n].Product, len(as))
		}
	}
	want := map[string]*Final{}
	last := map[string]uint64{}
	for _, op := range p.Ops {
		if s := seqOf[op.N]; s != 0 {
			if s < last[op.Product] {
				fail("write %d (%s %s) was applied before an earlier write of its product", op.N, op.Kind, op.Product)
			}
			last[op.Product] = s
		}
		switch op.Kind {
		case Create:
			want[op.Product] = &Final{Price: int64(op.N), Version: 1}
		case Update:
			want[op.Product].Price = int64(op.N)
			want[op.Product].Version++
		case Upload:
			want[op.Product].Version++
		case Delete:
			want[op.Product] = nil
		}
	}
	for _, id := range p.Products {
		w, got := want[id], final[id]
		switch {
		case w == nil && got != nil:
			fail("product %s exists (%+v); its last write deleted it", id, *got)
		case w != nil && got == nil:
			fail("product %s is missing; want %+v", id, *w)
		case w != nil && *w != *got:
			fail("product %s is %+v, want %+v", id, *got, *w)
		}
	}
	return bad
}
