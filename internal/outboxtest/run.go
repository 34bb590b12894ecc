package outboxtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sdkgen-go/sdkgen/examples/products"
	"github.com/sdkgen-go/sdkgen/examples/products/server"
	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/auth"
	"github.com/sdkgen-go/sdkgen/sdk/outbox"
)

// Credentials are what the clients of a run authenticate with: OAuth2
// client credentials, plus an API key in a header and one in the query
// (which the products server ignores), so that a queue file can be
// searched for every kind.
type Credentials struct {
	ClientID, ClientSecret string
	APIKey, QueryKey       string
}

// ClientOptions are the options of a run's client for the API at base:
// its credentials, quick retries, and opts.
func (cr Credentials) ClientOptions(base string, opts ...sdk.Option) []sdk.Option {
	cc := products.OAuth2ClientCredentials(cr.ClientID, cr.ClientSecret, server.ScopeRead, server.ScopeWrite)
	cc.TokenURL = strings.TrimSuffix(base, "/") + "/oauth/token"
	return append([]sdk.Option{
		products.WithOAuth2(auth.ClientCredentials(cc)),
		sdk.WithAPIKey(sdk.InHeader, "X-Api-Key", cr.APIKey),
		sdk.WithAPIKey(sdk.InQuery, "api_key", cr.QueryKey),
		sdk.WithRetry(sdk.RetryPolicy{MaxRetries: 2, BaseDelay: 5 * time.Millisecond, MaxDelay: 50 * time.Millisecond, MaxRetryAfter: 2 * time.Second}),
	}, opts...)
}

// ChildConfig is what a child process of the crash test runs.
type ChildConfig struct {
	Base      string // the API's URL
	Queue     string // the queue's file
	Seed      uint64
	Writes    int
	Enqueuers int
	Cred      Credentials
}

// RunChild queues the plan's writes and syncs them, resuming from the
// queue's file: each enqueuer continues after the last write whose
// checkpoint is on disk, the queue sends what it holds. It returns nil
// once every write has been queued and the queue is empty, and an error
// when a write died (the guarantees say none may) or the run could not be
// set up. Killed at any moment, it is run again.
func RunChild(ctx context.Context, cfg ChildConfig) error {
	q, err := outbox.Open(cfg.Queue,
		outbox.WithRetention(time.Hour), outbox.WithKeyLifetime(server.DefaultIdempotencyTTL),
		outbox.WithBackoff(5*time.Millisecond, 200*time.Millisecond),
		outbox.WithWorkers(8), outbox.WithLockTimeout(30*time.Second))
	if err != nil {
		return err
	}
	defer q.Close()
	c, err := products.NewClient(cfg.Base, cfg.Cred.ClientOptions(cfg.Base, q.Watch())...)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := q.Start(c.SDK()); err != nil {
		return err
	}
	plan := NewPlan(cfg.Seed, cfg.Writes, cfg.Enqueuers)
	errs := make([]error, len(plan.Enqueuers))
	var wg sync.WaitGroup
	for g, ops := range plan.Enqueuers {
		wg.Go(func() {
			name := "enqueuer-" + strconv.Itoa(g)
			v, err := q.Checkpoint(name)
			if err != nil {
				errs[g] = err
				return
			}
			next := 0
			if v != nil {
				if next, err = strconv.Atoi(string(v)); err != nil {
					errs[g] = fmt.Errorf("checkpoint %s = %q", name, v)
					return
				}
			}
			for i := next; i < len(ops); i++ {
				if _, err := plan.Enqueue(ctx, q, c, plan.Ops[ops[i]], name, i+1); err != nil {
					errs[g] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for {
		err := q.Flush(ctx)
		if err == nil && q.Len() == 0 {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(20 * time.Millisecond)
	}
	dead, err := q.Dead()
	if err != nil {
		return err
	}
	if len(dead) > 0 {
		var b strings.Builder
		for _, d := range dead {
			fmt.Fprintf(&b, "\n  %d %s %s: %s (%d) %s", d.ID, d.Method, d.Label, d.Reason, d.Status, d.Detail)
		}
		return fmt.Errorf("%d dead writes:%s", len(dead), b.String())
	}
	return nil
}

// Recorder stands in front of the products server and notes, for every
// request of a plan's write, the Idempotency-Key it carried, and every
// bearer token any request carried.
type Recorder struct {
	Next http.Handler

	mu     sync.Mutex
	keyOp  map[string]int
	bad    []string
	tokens map[string]bool
}

// ServeHTTP records r and hands it to Next.
func (rec *Recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	if rec.keyOp == nil {
		rec.keyOp, rec.tokens = map[string]int{}, map[string]bool{}
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		rec.tokens[tok] = true
	}
	if v := r.Header.Get(PlanHeader); v != "" {
		n, err := strconv.Atoi(v)
		key := r.Header.Get("Idempotency-Key")
		switch prev, seen := rec.keyOp[key]; {
		case err != nil || key == "":
			rec.bad = append(rec.bad, fmt.Sprintf("a request of write %q carried the key %q", v, key))
		case seen && prev != n:
			rec.bad = append(rec.bad, fmt.Sprintf("the key %s was sent for writes %d and %d", key, prev, n))
		default:
			rec.keyOp[key] = n
		}
	}
	rec.mu.Unlock()
	rec.Next.ServeHTTP(w, r)
}

// Keys returns which write each key was sent for, and the problems seen.
func (rec *Recorder) Keys() (map[string]int, []string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	m := make(map[string]int, len(rec.keyOp))
	for k, v := range rec.keyOp {
		m[k] = v
	}
	return m, append([]string(nil), rec.bad...)
}

// Tokens returns the bearer tokens requests carried.
func (rec *Recorder) Tokens() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []string
	for t := range rec.tokens {
		out = append(out, t)
	}
	return out
}

// Finals reads every product of the plan through c.
func Finals(ctx context.Context, c *products.Client, p *Plan) (map[string]*Final, error) {
	out := map[string]*Final{}
	for _, id := range p.Products {
		prod, err := c.Products.GetProduct(ctx, id)
		var ae *sdk.APIError
		switch {
		case errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound:
			out[id] = nil
		case err != nil:
			return nil, err
		default:
			out[id] = &Final{Price: prod.Price, Version: prod.Version}
		}
	}
	return out, nil
}

// Audit reads what a run left — the server's applied-key log, the keys
// the recorder saw, the catalogue (read through c) — and returns the
// recorder's problems and [Verify]'s violations, with the log's length.
func Audit(ctx context.Context, api *server.Server, rec *Recorder, c *products.Client, p *Plan) (bad []string, applied int, err error) {
	log, err := api.AppliedKeys()
	if err != nil {
		return nil, 0, err
	}
	finals, err := Finals(ctx, c, p)
	if err != nil {
		return nil, 0, err
	}
	keyOp, recBad := rec.Keys()
	return append(recBad, Verify(p, log, keyOp, finals)...), len(log), nil
}
