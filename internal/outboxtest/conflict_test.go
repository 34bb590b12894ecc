package outboxtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/examples/products"
	"github.com/sdkgen-go/sdkgen/examples/products/server"
	"github.com/sdkgen-go/sdkgen/internal/outboxtest"
	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/outbox"
)

// conflictRig is the products server, a client whose writes are queued,
// and another client that changes products meanwhile.
type conflictRig struct {
	api    *server.Server
	q      *outbox.Queue
	c      *products.Client // the queue's
	other  *products.Client // another user, writing directly
	events []outbox.Event
}

func newConflictRig(t *testing.T, opts ...outbox.Option) *conflictRig {
	t.Helper()
	cred := outboxtest.Credentials{ClientID: "app", ClientSecret: "app-secret", APIKey: "k", QueryKey: "qk"}
	api, err := server.New(server.Options{DBPath: filepath.Join(t.TempDir(), "p.db"),
		Clients: []server.Client{{ID: cred.ClientID, Secret: cred.ClientSecret}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := api.Start(t.Context(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	r := &conflictRig{api: api}
	q, err := outbox.Open(filepath.Join(t.TempDir(), "q.db"), append([]outbox.Option{
		outbox.WithOnEvent(func(ev outbox.Event) { r.events = append(r.events, ev) }),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	r.q = q
	if r.c, err = products.NewClient(api.URL(), cred.ClientOptions(api.URL(), q.Watch())...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.c.Close() })
	if r.other, err = products.NewClient(api.URL(), cred.ClientOptions(api.URL())...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.other.Close() })
	return r
}

// shown creates a product (directly) and returns it as the app shows it:
// its JSON and ETag.
func (r *conflictRig) shown(t *testing.T, stock int32) (string, []byte, string) {
	t.Helper()
	id := products.NewProductID()
	p, err := r.c.Products.PutProduct(t.Context(), id, nil, products.ProductCreate{Sku: "SKU-" + id[len(id)-8:], Name: "Lamp", Category: "lighting", Price: 1000, Stock: &stock})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(p)
	return id, body, `"` + strconv.FormatInt(p.Version, 10) + `"`
}

func (r *conflictRig) start(t *testing.T) {
	t.Helper()
	if err := r.q.Start(r.c.SDK()); err != nil {
		t.Fatal(err)
	}
}

func (r *conflictRig) wait(t *testing.T, h *outbox.Handle) (*outbox.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	return h.Wait(ctx)
}

// keysOf returns the applied-key log's entries for a product.
func (r *conflictRig) keysOf(t *testing.T, id string) []server.AppliedKey {
	t.Helper()
	log, err := r.api.AppliedKeys()
	if err != nil {
		t.Fatal(err)
	}
	var out []server.AppliedKey
	for _, a := range log {
		if a.Product == id {
			out = append(out, a)
		}
	}
	return out
}

// An offline change of the stock (10 → 7: three sold) and, meanwhile,
// another user's change of the stock (10 → 8) and of the name.
func stockConflict(t *testing.T, r *conflictRig) (string, *outbox.Handle) {
	t.Helper()
	id, body, etag := r.shown(t, 10)
	stock := int32(7)
	h, err := r.q.Enqueue(t.Context(), func(ctx context.Context, opts ...sdk.Option) error {
		_, err := r.c.Products.UpdateProduct(ctx, id, nil, products.ProductUpdate{Stock: &stock}, opts...)
		return err
	}, outbox.BasedOn(etag, body), outbox.Label("sold 3"))
	if err != nil {
		t.Fatal(err)
	}
	otherStock, name := int32(8), "Desk lamp"
	if _, err := r.other.Products.UpdateProduct(t.Context(), id, nil, products.ProductUpdate{Stock: &otherStock, Name: &name}); err != nil {
		t.Fatal(err)
	}
	r.start(t)
	return id, h
}

func (r *conflictRig) product(t *testing.T, id string) *products.Product {
	t.Helper()
	p, err := r.other.Products.GetProduct(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProductsServerWins(t *testing.T) {
	r := newConflictRig(t) // ServerWins is the default
	id, h := stockConflict(t, r)
	_, err := r.wait(t, h)
	var de *outbox.DeadError
	if !errors.As(err, &de) || de.Dead.Reason != outbox.ReasonConflict || de.Dead.Status != http.StatusPreconditionFailed ||
		de.Dead.Label != "sold 3" {
		t.Fatalf("%v", err)
	}
	if p := r.product(t, id); p.Stock != 8 || p.Name != "Desk lamp" || p.Version != 2 {
		t.Fatalf("product %+v", p)
	}
	if ks := r.keysOf(t, id); len(ks) != 0 { // (the PUT that made it had no key)
		t.Fatalf("applied %+v", ks)
	}
}

func TestProductsClientWins(t *testing.T) {
	r := newConflictRig(t, outbox.WithConflictPolicy(outbox.ClientWins))
	id, h := stockConflict(t, r)
	res, err := r.wait(t, h)
	if err != nil || res.Header.Get("ETag") != `"3"` {
		t.Fatalf("%+v %v", res, err)
	}
	if p := r.product(t, id); p.Stock != 7 || p.Name != "Desk lamp" || p.Version != 3 {
		t.Fatalf("product %+v", p)
	}
	// Applied once, under a key other than the one that got 412.
	ks := r.keysOf(t, id)
	if len(ks) != 1 || ks[0].Method != http.MethodPatch || ks[0].Key == h.Key || ks[0].Version != 3 {
		t.Fatalf("applied %+v (first key %s)", ks, h.Key)
	}
}

func TestProductsMerge(t *testing.T) {
	// Stock is a counter: the offline change is a delta from its base,
	// applied to the server's count.
	merge := func(_ context.Context, c outbox.Conflict) ([]byte, error) {
		var base, remote products.Product
		var local products.ProductUpdate
		if err := errors.Join(json.Unmarshal(c.Base, &base), json.Unmarshal(c.Remote, &remote), json.Unmarshal(c.Local, &local)); err != nil {
			return nil, err
		}
		if local.Stock == nil {
			return c.Local, nil
		}
		merged := remote.Stock + (*local.Stock - base.Stock)
		return json.Marshal(products.ProductUpdate{Stock: &merged})
	}
	r := newConflictRig(t, outbox.WithConflictPolicy(outbox.MergeChanges), outbox.WithMerge(merge))
	id, h := stockConflict(t, r)
	if _, err := r.wait(t, h); err != nil {
		t.Fatal(err)
	}
	if p := r.product(t, id); p.Stock != 5 || p.Name != "Desk lamp" || p.Version != 3 {
		t.Fatalf("product %+v: want the stock 8 - 3 = 5", p)
	}
	kinds := ""
	for _, ev := range r.events {
		if ev.Entry.ID == h.ID {
			kinds += ev.Kind.String() + " "
		}
	}
	if kinds != "queued conflict resolved sent " {
		t.Fatalf("events %s", kinds)
	}
}

// A delete made against an old version: ServerWins keeps the product,
// ClientWins deletes it anyway.
func TestProductsDeleteConflict(t *testing.T) {
	for _, p := range []outbox.Policy{outbox.ServerWins, outbox.ClientWins} {
		t.Run(p.String(), func(t *testing.T) {
			r := newConflictRig(t, outbox.WithConflictPolicy(p))
			id, _, etag := r.shown(t, 1)
			h, err := r.q.Enqueue(t.Context(), func(ctx context.Context, opts ...sdk.Option) error {
				return r.c.Products.DeleteProduct(ctx, id, nil, opts...)
			}, outbox.IfMatch(etag))
			if err != nil {
				t.Fatal(err)
			}
			price := int64(1)
			if _, err := r.other.Products.UpdateProduct(t.Context(), id, nil, products.ProductUpdate{Price: &price}); err != nil {
				t.Fatal(err)
			}
			r.start(t)
			_, err = r.wait(t, h)
			_, getErr := r.other.Products.GetProduct(t.Context(), id)
			var ae *sdk.APIError
			gone := errors.As(getErr, &ae) && ae.StatusCode == http.StatusNotFound
			switch p {
			case outbox.ServerWins:
				if err == nil || gone {
					t.Fatalf("server wins: %v, gone %v", err, gone)
				}
			case outbox.ClientWins:
				if err != nil || !gone {
					t.Fatalf("client wins: %v, gone %v", err, gone)
				}
			}
		})
	}
}
