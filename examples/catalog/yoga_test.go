package catalog_test

// These tests run the generated client against graphql-yoga 5.24 and
// graphql-ws 6.4 (npm, pinned in internal/testenv/node): a server nobody
// here wrote, serving schema.graphql.

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sdkgen-go/sdkgen/examples/catalog"
	"github.com/sdkgen-go/sdkgen/internal/testenv"
	"github.com/sdkgen-go/sdkgen/sdk"
	sdkgraphql "github.com/sdkgen-go/sdkgen/sdk/graphql"
	"github.com/sdkgen-go/sdkgen/sdk/ws"
)

// mintSource issues the server's signed tokens, each living ttl; the first
// token is bad when badFirst is set. It counts what it issued.
type mintSource struct {
	srv      *testenv.GraphQLServer
	ttl      time.Duration
	badFirst bool

	mu        sync.Mutex
	cur       *sdk.Token
	n         int
	refreshes atomic.Int32
}

func (m *mintSource) mint() *sdk.Token {
	m.n++
	tok := m.srv.Token(m.ttl, m.n)
	if m.badFirst && m.n == 1 {
		tok = tok[:len(tok)-4] + "0000"
	}
	m.cur = &sdk.Token{AccessToken: tok, Expiry: time.Now().Add(m.ttl)}
	return m.cur
}

func (m *mintSource) Token(context.Context) (*sdk.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cur == nil || time.Until(m.cur.Expiry) < 20*time.Millisecond {
		return m.mint(), nil
	}
	return m.cur, nil
}

func (m *mintSource) Refresh(_ context.Context, failed *sdk.Token) (*sdk.Token, error) {
	m.refreshes.Add(1)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cur == nil || m.cur.AccessToken == failed.AccessToken {
		return m.mint(), nil
	}
	return m.cur, nil
}

// fastRetries makes retries wait almost nothing.
func fastRetries() sdk.Option {
	return sdk.WithRetry(sdk.RetryPolicy{MaxRetries: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond})
}

func newClient(t *testing.T, srv *testenv.GraphQLServer, opts ...sdk.Option) *catalog.Client {
	t.Helper()
	c, err := catalog.NewClient(srv.URL, append([]sdk.Option{fastRetries()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// The server writes its log after it answers, and the log reaches the test
// through the server's output: a request is waited for (up to a second)
// until the count stops growing.
func requests(srv *testenv.GraphQLServer, op string) []testenv.GraphQLEvent {
	read := func() []testenv.GraphQLEvent {
		var out []testenv.GraphQLEvent
		for _, e := range srv.Log() {
			if e.Kind == "http" && e.Operation == op {
				out = append(out, e)
			}
		}
		return out
	}
	out := read()
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		next := read()
		if len(next) == len(out) {
			break
		}
		out = next
	}
	return out
}

func TestYogaTypedQueryAndMutation(t *testing.T) {
	srv := testenv.StartGraphQL(t, testenv.GraphQLOptions{})
	c := newClient(t, srv)
	ctx := testenv.Context(t, 30*time.Second)

	got, err := c.GetProduct(ctx, "p3")
	if err != nil {
		t.Fatal(err)
	}
	if got.Product == nil || got.Product.Sku != "SKU-003" || got.Product.Price != 300 || got.Product.Rating == nil || *got.Product.Rating != 1.5 {
		t.Fatalf("GetProduct(p3) = %+v", got.Product)
	}
	none, err := c.GetProduct(ctx, "nope")
	if err != nil || none.Product != nil {
		t.Fatalf("GetProduct(nope) = %+v, %v; want nil product", none.Product, err)
	}
	created, err := c.CreateProduct(ctx, catalog.NewProduct{Sku: "SKU-500", Name: "Lamp", Price: 4200, Category: "tools"})
	if err != nil {
		t.Fatal(err)
	}
	if created.CreateProduct.Sku != "SKU-500" || created.CreateProduct.ID == "" {
		t.Fatalf("CreateProduct = %+v", created.CreateProduct)
	}
	again, err := c.GetProduct(ctx, created.CreateProduct.ID)
	if err != nil || again.Product == nil || again.Product.Name != "Lamp" {
		t.Fatalf("GetProduct(created) = %+v, %v", again, err)
	}
	// A query is a POST without an Idempotency-Key; the idempotent
	// mutation carries one.
	if r := requests(srv, "GetProduct"); len(r) != 3 || r[0].Method != "POST" || r[0].Key != "" {
		t.Errorf("GetProduct requests = %+v", r)
	}
	if r := requests(srv, "CreateProduct"); len(r) != 1 || r[0].Key == "" {
		t.Errorf("CreateProduct requests = %+v, want one with an Idempotency-Key", r)
	}
}

func TestYoga401RefreshesOnceAndReplays(t *testing.T) {
	for _, as200 := range []bool{false, true} {
		name := "status 401"
		if as200 {
			name = "200 with UNAUTHENTICATED"
		}
		t.Run(name, func(t *testing.T) {
			srv := testenv.StartGraphQL(t, testenv.GraphQLOptions{Secret: "s3cret", AuthErrorsAs200: as200})
			src := &mintSource{srv: srv, ttl: time.Minute, badFirst: true}
			c := newClient(t, srv, sdk.WithTokenSource(src))
			ctx := testenv.Context(t, 30*time.Second)
			got, err := c.GetProduct(ctx, "p1")
			if err != nil {
				t.Fatal(err)
			}
			if got.Product == nil || got.Product.ID != "p1" {
				t.Fatalf("product = %+v", got.Product)
			}
			if n := src.refreshes.Load(); n != 1 {
				t.Errorf("refreshes = %d, want 1", n)
			}
			var log []testenv.GraphQLEvent
			for _, e := range srv.Log() {
				if e.Kind == "http" {
					log = append(log, e)
				}
			}
			if len(log) != 2 || log[0].Rejected == "" || log[1].Rejected != "" || log[0].Auth == log[1].Auth {
				t.Fatalf("requests = %+v, want one refused and one replayed with a new token", log)
			}
			// A token the server keeps refusing: one refresh, then the error.
			srv2 := testenv.StartGraphQL(t, testenv.GraphQLOptions{Secret: "s3cret", AuthErrorsAs200: as200})
			c2 := newClient(t, srv2, sdk.WithBearerToken("tok.1.1."+strings.Repeat("0", 64)))
			_, err = c2.GetProduct(ctx, "p1")
			var ae *sdk.APIError
			var ge *sdkgraphql.Error
			if !errors.As(err, &ae) || ae.StatusCode != http.StatusUnauthorized || !errors.As(err, &ge) || ge.Code() != "UNAUTHENTICATED" {
				t.Fatalf("err = %v, want a 401 APIError and an UNAUTHENTICATED graphql.Error", err)
			}
		})
	}
}

func TestYogaRetries(t *testing.T) {
	srv := testenv.StartGraphQL(t, testenv.GraphQLOptions{})
	c := newClient(t, srv)
	ctx := testenv.Context(t, 30*time.Second)

	// A query is retried on 503 like a GET.
	srv.Fault(t, "GetProduct", 503, 2)
	if _, err := c.GetProduct(ctx, "p1"); err != nil {
		t.Fatalf("query after two 503s: %v", err)
	}
	if n := len(requests(srv, "GetProduct")); n != 3 {
		t.Errorf("GetProduct sent %d times, want 3", n)
	}
	// ... and on a 200 that says it was rate limited.
	srv.Fault(t, "ListProducts", "rate-limit-200", 1)
	if _, err := c.ListProducts(ctx, nil, nil, nil); err != nil {
		t.Fatalf("query after a rate-limited 200: %v", err)
	}
	if n := len(requests(srv, "ListProducts")); n != 2 {
		t.Errorf("ListProducts sent %d times, want 2", n)
	}
	// A mutation without an Idempotency-Key is not.
	srv.Fault(t, "CreateProduct", 503, 1)
	_, err := c.CreateProduct(ctx, catalog.NewProduct{Sku: "SKU-600", Name: "A", Price: 1, Category: "tools"}, sdk.WithIdempotent(false))
	var re *sdk.RetryError
	var ae *sdk.APIError
	if !errors.As(err, &re) || re.Attempts != 1 || !errors.As(err, &ae) || ae.StatusCode != 503 {
		t.Fatalf("keyless mutation after a 503: %v, want a one-attempt RetryError", err)
	}
	if r := requests(srv, "CreateProduct"); len(r) != 1 || r[0].Key != "" {
		t.Fatalf("keyless mutation requests = %+v, want one without a key", r)
	}
	// The idempotent mutation is retried, with one key on every attempt.
	srv.Fault(t, "CreateProduct", 503, 1)
	if _, err := c.CreateProduct(ctx, catalog.NewProduct{Sku: "SKU-601", Name: "B", Price: 1, Category: "tools"}); err != nil {
		t.Fatal(err)
	}
	r := requests(srv, "CreateProduct")[1:]
	if len(r) != 2 || r[0].Key == "" || r[0].Key != r[1].Key {
		t.Fatalf("keyed mutation requests = %+v, want two with one key", r)
	}
}

func TestYogaErrorsAndPartialData(t *testing.T) {
	srv := testenv.StartGraphQL(t, testenv.GraphQLOptions{})
	c := newClient(t, srv)
	ctx := testenv.Context(t, 30*time.Second)

	got, err := c.GetProduct(ctx, "p-boom")
	var ge *sdkgraphql.Error
	if !errors.As(err, &ge) {
		t.Fatalf("err = %v, want a *graphql.Error", err)
	}
	if ge.PathString() != "product" || ge.Code() != "STORE_FAILED" || ge.Extensions["shard"] != float64(7) || len(ge.Locations) == 0 {
		t.Errorf("error = %+v", ge)
	}
	if got == nil || got.Product != nil {
		t.Errorf("result = %+v, want a null product", got)
	}

	got, err = c.GetProduct(ctx, "p-partial")
	var re *sdkgraphql.ResponseError
	if !errors.As(err, &re) || !re.PartialData || len(re.Errors) != 1 || re.Errors[0].PathString() != "product.rating" || re.Errors[0].Code() != "RATINGS_DOWN" {
		t.Fatalf("err = %#v, want partial data with an error at product.rating", err)
	}
	if got.Product == nil || got.Product.Name != "Partial" || got.Product.Rating != nil {
		t.Fatalf("partial data = %+v", got.Product)
	}
}

func TestYogaRelayPager(t *testing.T) {
	srv := testenv.StartGraphQL(t, testenv.GraphQLOptions{})
	c := newClient(t, srv)
	ctx := testenv.Context(t, 30*time.Second)
	first := 3
	var skus []string
	pages := 0
	for page, err := range c.ListProductsPager(ctx, &first, nil).Pages() {
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, p := range page.Items {
			skus = append(skus, p.Sku)
		}
	}
	if pages != 4 || len(skus) != 12 || skus[0] != "SKU-001" || skus[11] != "SKU-901" {
		t.Fatalf("%d pages, items %v; want 4 pages of 12 items", pages, skus)
	}
	if n := len(requests(srv, "ListProducts")); n != 4 {
		t.Errorf("ListProducts sent %d times, want 4", n)
	}
}

func TestYogaPersistedQueries(t *testing.T) {
	srv := testenv.StartGraphQL(t, testenv.GraphQLOptions{})
	var urls []string
	var mu sync.Mutex
	rt, err := sdk.NewClient(srv.URL, sdk.WithAttemptMiddleware(func(next http.RoundTripper) http.RoundTripper {
		return sdk.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			urls = append(urls, r.Method+" "+r.URL.RawQuery)
			mu.Unlock()
			return next.RoundTrip(r)
		})
	}))
	if err != nil {
		t.Fatal(err)
	}
	gql, err := sdkgraphql.New(rt, sdkgraphql.WithPersistedQueries())
	if err != nil {
		t.Fatal(err)
	}
	c := catalog.New(gql)
	defer c.Close()
	ctx := testenv.Context(t, 30*time.Second)
	for range 2 {
		got, err := c.GetProduct(ctx, "p2")
		if err != nil || got.Product == nil || got.Product.ID != "p2" {
			t.Fatalf("GetProduct = %+v, %v", got, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(urls) != 3 || !strings.HasPrefix(urls[0], "GET ") || strings.Contains(urls[0], "query=") ||
		!strings.Contains(urls[1], "query=") || strings.Contains(urls[2], "query=") || !strings.Contains(urls[2], "sha256Hash") {
		t.Fatalf("requests = %q, want hash only, hash and text, hash only", urls)
	}
}

// The server is killed and restarted 20 times while a subscription runs,
// and the token the client used expires while the server is down: every
// restart gets one connection_init with a new, valid token and one
// subscribe, and the subscription goes on.
func TestYogaSubscriptionSurvivesRestarts(t *testing.T) {
	const restarts = 20
	srv := testenv.StartGraphQL(t, testenv.GraphQLOptions{Secret: "kill-test"})
	baseline := goleak.IgnoreCurrent()
	const ttl = 300 * time.Millisecond
	src := &mintSource{srv: srv, ttl: ttl}
	rt, err := sdk.NewClient(srv.URL, sdk.WithTokenSource(src))
	if err != nil {
		t.Fatal(err)
	}
	gql, err := sdkgraphql.New(rt, sdkgraphql.WithWebSocketOptions(
		ws.WithReconnect(sdk.RetryPolicy{MaxRetries: 200, BaseDelay: 20 * time.Millisecond, MaxDelay: 200 * time.Millisecond}),
		ws.WithPingInterval(250*time.Millisecond), ws.WithPongTimeout(time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	c := catalog.New(gql)
	ctx := testenv.Context(t, 5*time.Minute)
	every := 40
	servers := map[string]int{}
	var order []string
	gaps := 0
	start := time.Now()
	for ev, err := range c.ProductEvents(ctx, nil, &every) {
		var gap *sdkgraphql.GapError
		if errors.As(err, &gap) {
			gaps++
			continue
		}
		if err != nil {
			t.Fatalf("after %d restarts: %v", len(order)-1, err)
		}
		e := ev.ProductEvents
		if servers[e.Server] == 0 {
			order = append(order, e.Server)
		}
		servers[e.Server]++
		if servers[e.Server] < 3 {
			continue
		}
		if len(order) == restarts+1 {
			break
		}
		if servers[e.Server] == 3 {
			srv.Kill()
			time.Sleep(ttl + 50*time.Millisecond) // the token in use expires
			srv.Restart(t)
		}
	}
	elapsed := time.Since(start)
	c.Close()
	srv.Kill()
	goleak.VerifyNone(t, baseline)

	if len(order) != restarts+1 {
		t.Fatalf("events came from %d server runs, want %d", len(order), restarts+1)
	}
	if gaps != restarts {
		t.Errorf("%d gaps reported, want %d", gaps, restarts)
	}
	inits := map[string]int{}
	tokens := map[string]bool{}
	subscribes := map[string]int{}
	for _, e := range srv.Log() {
		switch e.Kind {
		case "connection_init":
			if e.Rejected != "" {
				t.Errorf("server %s refused a connection_init: %s", e.Server, e.Rejected)
			}
			inits[e.Server]++
			tokens[e.Auth] = true
		case "subscribe":
			subscribes[e.Server]++
		}
	}
	for _, s := range order {
		if inits[s] != 1 || subscribes[s] != 1 {
			t.Errorf("server run %s: %d connection_init, %d subscribe; want 1 and 1", s, inits[s], subscribes[s])
		}
	}
	if len(tokens) != restarts+1 {
		t.Errorf("%d distinct tokens in connection_init, want %d", len(tokens), restarts+1)
	}
	t.Logf("%d restarts in %s: %d server runs, %d gaps, %d distinct tokens, %d tokens minted", restarts, elapsed.Round(time.Millisecond), len(order), gaps, len(tokens), src.n)
}
