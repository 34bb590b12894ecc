// Package soak drives a generated SDK through a long run of transient
// faults and checks what a caller and a server must be able to rely on:
// every call ends in a result or a typed error, no write is applied twice,
// and nothing is left behind.
//
// [Run] starts the products API (package examples/products/server, with
// its bbolt store) behind an [internal/faultserver] that keeps connections
// alive and gives a seeded share of requests a fault: a connection reset
// before or after the handler ran, a connection closed after the handler
// ran, a 503, a 429 with Retry-After, response headers held longer than the
// client's per-attempt timeout (before or after the handler ran), or a
// body cut short. Many goroutines then call the generated SDK
// (examples/products) through one client: reads (getProduct,
// listProducts) and writes (createProduct with an automatic
// Idempotency-Key, with a key passed as a parameter and without any key,
// updateProduct, which is a PATCH without a key, and deleteProduct).
//
// Every logical call carries an X-Soak-Op header, the same on each of its
// attempts, so the server side can count, per call, the requests that
// arrived, those the products server served, and those that changed the
// catalogue. After the run the catalogue itself is listed and compared
// with those counts. Every broken rule is a line of [Report.Violations].
package soak

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sdkgen-go/sdkgen/examples/products"
	"github.com/sdkgen-go/sdkgen/examples/products/server"
	"github.com/sdkgen-go/sdkgen/internal/faultserver"
	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/auth"
)

// Config configures a run. Zero fields take the defaults in parentheses.
type Config struct {
	// Calls is the number of logical calls (2000), made by Workers
	// goroutines (64).
	Calls   int
	Workers int
	// FaultRate is the share of requests given a fault (0.2); negative
	// means none.
	FaultRate float64
	// Seed seeds the choice of faults and of calls; zero picks one from
	// the clock. [Report.Seed] says which was used. Goroutine scheduling
	// decides which request gets which draw, so a seed reproduces the mix
	// of faults and calls, not their exact interleaving.
	Seed uint64
	// AttemptTimeout is the client's per-attempt timeout (1 s);
	// SlowHeaders is how long slow-header faults hold the response headers
	// back (3 × AttemptTimeout), which must be longer.
	AttemptTimeout time.Duration
	SlowHeaders    time.Duration
	// CallTimeout bounds each call (20 s). No call should come near it:
	// one that reaches it is reported as a hang.
	CallTimeout time.Duration
	// Dir is where the products database goes (in a folder of its own,
	// removed after the run). Empty means /dev/shm when there is one, else
	// the system's temporary folder: the server syncs every write to disk,
	// and on a disk those syncs, not the client, would set the pace.
	Dir string
}

func (c *Config) defaults() error {
	setDefault(&c.Calls, 2000)
	setDefault(&c.Workers, 64)
	setDefault(&c.FaultRate, 0.2)
	setDefault(&c.AttemptTimeout, time.Second)
	setDefault(&c.SlowHeaders, 3*c.AttemptTimeout)
	setDefault(&c.CallTimeout, 20*time.Second)
	if c.Seed == 0 {
		c.Seed = uint64(time.Now().UnixNano())
	}
	if c.Calls < 0 || c.Workers < 0 || c.FaultRate > 1 || c.AttemptTimeout < 0 || c.CallTimeout < 0 {
		return errors.New("soak: negative count or duration, or a fault rate above 1")
	}
	if c.SlowHeaders <= c.AttemptTimeout {
		return fmt.Errorf("soak: SlowHeaders (%s) must be longer than AttemptTimeout (%s)", c.SlowHeaders, c.AttemptTimeout)
	}
	return nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// The retry policy of the run's client: quick backoff, so that a run is
// bounded by the faults' own delays (Retry-After, slow headers), and a
// Retry-After of a second obeyed.
var retryPolicy = sdk.RetryPolicy{MaxRetries: 4, BaseDelay: 10 * time.Millisecond, MaxDelay: 100 * time.Millisecond, MaxRetryAfter: 2 * time.Second}

// retryAfter is the Retry-After of injected 429s, in seconds.
const retryAfter = 1

// stableProducts are created before the run and never changed, for reads.
const stableProducts = 32

// Report holds the figures of a run and what went wrong in it.
type Report struct {
	Seed    uint64
	Calls   int
	Workers int
	// Wall is the time the calls took, setup and audit excluded.
	Wall time.Duration
	// Requests is how many requests of the calls reached the server,
	// Connections how many connections it accepted during the run.
	Requests    int
	Connections int
	// Attempts and Retries are what the SDK made: attempts sent through
	// its transport, and retries it decided. Requests exceeds Attempts by
	// the requests net/http's Transport resent by itself on reused
	// connections.
	Attempts int
	Retries  int
	// Faults counts the faults injected, by kind.
	Faults map[string]int
	// Outcomes counts the calls by operation (and key mode) and by how
	// they ended: "ok", or the chain of error types that errors.As finds
	// with the detail that matters ("RetryError(4 retries used) >
	// APIError 503").
	Outcomes map[string]map[string]int
	// Applied counts the writes that changed the catalogue, by operation;
	// Duplicates the logical writes applied more than once (must be 0),
	// and SKUConflicts the creates refused because their SKU was taken,
	// which only a second execution of the same logical create can cause
	// (must be 0).
	Applied      map[string]int
	Duplicates   int
	SKUConflicts int
	// UnseenWrites counts the writes applied whose caller got an error
	// (the response was lost after the server committed).
	UnseenWrites int
	// Products is the size of the catalogue after the run.
	Products int
	// Latency of the calls: median, 99th percentile and slowest, faults,
	// retries and waits included.
	P50, P99, Slowest time.Duration
	// UnfaultedTimeouts counts the calls that ended in an attempt timeout
	// although no slow-header fault was injected into them: responses that
	// were slow on their own (a loaded machine, the race detector).
	UnfaultedTimeouts int
	// Goroutines and heap (live bytes after two GCs): before the calls
	// (after setup and a warm-up, client and servers up), at the peak of
	// the run (goroutines, sampled), and after it (every call returned,
	// client and servers still up; heap measured after the audit, with the
	// run's ledgers dropped).
	GoroutinesBefore, GoroutinesPeak, GoroutinesAfter int
	HeapBefore, HeapAfter                             uint64
	// Violations lists every broken rule; a good run has none.
	Violations []string
}

// String renders the figures, one per line.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d: %d calls from %d goroutines in %s\n", r.Seed, r.Calls, r.Workers, r.Wall.Round(time.Millisecond))
	fmt.Fprintf(&b, "call latency p50 %s, p99 %s, slowest %s; attempt timeouts without a slow-header fault %d\n",
		r.P50.Round(time.Millisecond), r.P99.Round(time.Millisecond), r.Slowest.Round(time.Millisecond), r.UnfaultedTimeouts)
	fmt.Fprintf(&b, "requests at the server %d over %d connections; SDK attempts %d, retries %d\n", r.Requests, r.Connections, r.Attempts, r.Retries)
	total := 0
	for _, n := range r.Faults {
		total += n
	}
	fmt.Fprintf(&b, "faults injected %d (%.1f%% of requests):", total, 100*float64(total)/float64(max(r.Requests, 1)))
	for _, k := range sortedKeys(r.Faults) {
		fmt.Fprintf(&b, " %s %d,", k, r.Faults[k])
	}
	b.WriteString("\noutcomes:\n")
	for _, op := range sortedKeys(r.Outcomes) {
		m := r.Outcomes[op]
		n := 0
		for _, c := range m {
			n += c
		}
		fmt.Fprintf(&b, "  %s: %d calls\n", op, n)
		keys := sortedKeys(m)
		slices.SortStableFunc(keys, func(a, b string) int { return m[b] - m[a] })
		for _, k := range keys {
			fmt.Fprintf(&b, "    %6d  %s\n", m[k], k)
		}
	}
	fmt.Fprintf(&b, "writes applied:")
	for _, k := range sortedKeys(r.Applied) {
		fmt.Fprintf(&b, " %s %d,", k, r.Applied[k])
	}
	fmt.Fprintf(&b, " of which the caller got an error for %d\n", r.UnseenWrites)
	fmt.Fprintf(&b, "duplicated writes %d, SKU conflicts %d, products in the catalogue %d\n", r.Duplicates, r.SKUConflicts, r.Products)
	fmt.Fprintf(&b, "goroutines before %d, peak %d, after %d\n", r.GoroutinesBefore, r.GoroutinesPeak, r.GoroutinesAfter)
	fmt.Fprintf(&b, "heap before %s, after %s (%+d bytes)\n", mib(r.HeapBefore), mib(r.HeapAfter), int64(r.HeapAfter)-int64(r.HeapBefore))
	fmt.Fprintf(&b, "violations %d\n", len(r.Violations))
	return b.String()
}

func mib(n uint64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// opKind is what a logical call does.
type opKind uint8

const (
	opGet opKind = iota
	opList
	opCreateAutoKey
	opCreateParamKey
	opCreateNoKey
	opUpdate
	opDelete
)

var opNames = [...]string{
	opGet:            "getProduct",
	opList:           "listProducts",
	opCreateAutoKey:  "createProduct (automatic Idempotency-Key)",
	opCreateParamKey: "createProduct (Idempotency-Key parameter)",
	opCreateNoKey:    "createProduct (no key, WithIdempotent(false))",
	opUpdate:         "updateProduct (PATCH, no key)",
	opDelete:         "deleteProduct",
}

func (k opKind) String() string { return opNames[k] }

func (k opKind) isCreate() bool {
	return k == opCreateAutoKey || k == opCreateParamKey || k == opCreateNoKey
}

// retried reports whether the SDK may retry calls of the kind.
func (k opKind) retried() bool { return k != opCreateNoKey && k != opUpdate }

// The mix of calls, in percent.
var mix = []struct {
	kind opKind
	pct  int
}{
	{opGet, 25}, {opList, 10}, {opCreateAutoKey, 12}, {opCreateParamKey, 8}, {opCreateNoKey, 10}, {opUpdate, 15}, {opDelete, 20},
}

// maxOwned bounds the products a worker keeps: past it, a create becomes a
// delete. The server computes every list by scanning the whole catalogue,
// so a catalogue that grew with the run would make lists, not faults, set
// the pace of long runs.
const maxOwned = 8

// fault is a kind of fault the server injects.
type fault struct {
	name string
	step faultserver.Step
	// bodyOnly: only for responses with a body (not DELETE's 204).
	bodyOnly bool
}

func faults(cfg *Config) []fault {
	problem := func(status int, title string) string {
		return fmt.Sprintf(`{"type":"about:blank","title":%q,"status":%d,"detail":"injected by the soak test"}`, title, status)
	}
	return []fault{
		{name: "reset", step: faultserver.Step{Fault: faultserver.Reset}},
		{name: "reset after handler", step: faultserver.Step{Fault: faultserver.Reset, AfterHandler: true}},
		{name: "closed after handler", step: faultserver.Step{Fault: faultserver.CloseBeforeResponse, AfterHandler: true}},
		{name: "503", step: faultserver.Status(http.StatusServiceUnavailable, problem(503, "Service Unavailable"), "Content-Type", "application/problem+json")},
		{name: "429 Retry-After: 1", step: faultserver.Status(http.StatusTooManyRequests, problem(429, "Too Many Requests"),
			"Content-Type", "application/problem+json", "Retry-After", strconv.Itoa(retryAfter))},
		{name: "slow headers", step: faultserver.Step{Fault: faultserver.SlowHeaders, Delay: cfg.SlowHeaders}},
		{name: "slow headers after handler", step: faultserver.Step{Fault: faultserver.SlowHeaders, Delay: cfg.SlowHeaders, AfterHandler: true}},
		{name: "truncated body", step: faultserver.Step{Fault: faultserver.TruncateBody, AfterHandler: true}, bodyOnly: true},
	}
}

// serverOp is what the server saw of one logical call.
type serverOp struct {
	arrivals int      // requests that reached the fault server
	handled  int      // requests the products server served
	applied  int      // of those, the ones that changed the catalogue
	skuTaken int      // creates refused with 409 sku-taken
	faults   []string // faults injected into its requests
	keys     []string // distinct Idempotency-Keys its requests carried ("" for none)
	product  string   // the product its create made
	replays  []string // products its replayed creates returned
}

// call is what the client saw of one logical call.
type call struct {
	kind     opKind
	target   string // the product read, changed or deleted
	key      string // the Idempotency-Key passed as a parameter
	err      error
	nilNil   bool   // nil error with a nil result
	got      string // the product id returned
	retries  int
	shortRA  bool // a retry after a 429 waited less than Retry-After
	duration time.Duration
}

// harness holds a run's servers, client and ledgers.
type harness struct {
	cfg      Config
	faults   []fault
	faultsOn atomic.Bool

	// Used by pick only, which the fault server serializes.
	rng *rand.Rand

	api *server.Server

	mu       sync.Mutex // guards ops and injected
	ops      []serverOp // by op id; 0 is for requests of no call
	injected map[string]int

	calls []call // by op id; each worker writes its own, Run reads them after

	next     atomic.Int64
	attempts atomic.Int64
	retries  atomic.Int64
}

const opHeader = "X-Soak-Op"

// opOf returns the op id of a request, 0 if it carries none. h.mu is
// held.
func (h *harness) opOf(r *http.Request) int {
	n, err := strconv.Atoi(r.Header.Get(opHeader))
	if err != nil || n <= 0 || n >= len(h.ops) {
		return 0
	}
	return n
}

// pick chooses the step of each request the fault server receives, and
// counts the request for its call. The fault server calls it under its
// lock, one request at a time.
func (h *harness) pick(r *http.Request) faultserver.Step {
	h.mu.Lock()
	defer h.mu.Unlock()
	op := h.opOf(r)
	if op != 0 {
		o := &h.ops[op]
		o.arrivals++
		if k := r.Header.Get("Idempotency-Key"); !slices.Contains(o.keys, k) {
			o.keys = append(o.keys, k)
		}
	}
	if !h.faultsOn.Load() || r.URL.Path == "/oauth/token" || h.rng.Float64() >= h.cfg.FaultRate {
		return faultserver.Step{}
	}
	var f fault
	for {
		f = h.faults[h.rng.IntN(len(h.faults))]
		if !f.bodyOnly || r.Method != http.MethodDelete {
			break
		}
	}
	h.injected[f.name]++
	if op != 0 {
		h.ops[op].faults = append(h.ops[op].faults, f.name)
	}
	return f.step
}

// ServeHTTP serves the products API and counts, per call, the requests
// served and the writes applied.
func (h *harness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	op := h.opOf(r)
	h.mu.Unlock()
	if op == 0 {
		h.api.ServeHTTP(w, r)
		return
	}
	create := r.Method == http.MethodPost && r.URL.Path == "/products"
	sw := &statusWriter{ResponseWriter: w, keep: create}
	h.api.ServeHTTP(sw, r)
	h.mu.Lock()
	defer h.mu.Unlock()
	o := &h.ops[op]
	o.handled++
	switch {
	case create && sw.status == http.StatusCreated:
		var p struct{ ID string }
		_ = json.Unmarshal(sw.body, &p)
		if sw.Header().Get("Idempotent-Replayed") == "true" {
			o.replays = append(o.replays, p.ID)
			break
		}
		o.applied++
		o.product = p.ID
	case create && sw.status == http.StatusConflict && strings.Contains(string(sw.body), "sku-taken"):
		o.skuTaken++
	case r.Method == http.MethodPatch && sw.status == http.StatusOK,
		r.Method == http.MethodDelete && sw.status == http.StatusNoContent:
		o.applied++
	}
}

// statusWriter remembers the status of a response, and its body when keep
// is set.
type statusWriter struct {
	http.ResponseWriter
	status int
	keep   bool
	body   []byte
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.keep {
		w.body = append(w.body, p...)
	}
	return w.ResponseWriter.Write(p)
}

// Run runs a soak: it starts the servers, creates the stable products,
// warms up, makes the calls, audits the catalogue and closes everything
// (so that no goroutine of the run is left when it returns). The error is
// for a run that could not be set up or audited; what went wrong during
// the run is in Report.Violations.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	h := &harness{
		cfg:      cfg,
		faults:   faults(&cfg),
		rng:      rand.New(rand.NewPCG(cfg.Seed, 0x50a4)),
		injected: map[string]int{},
	}
	dir, err := os.MkdirTemp(dbParent(cfg.Dir), "sdkgen-soak-*")
	if err != nil {
		return nil, fmt.Errorf("soak: database folder: %w", err)
	}
	defer os.RemoveAll(dir)
	const clientID, secret = "soak", "soak-secret"
	api, err := server.New(server.Options{
		DBPath:       filepath.Join(dir, "products.db"),
		Clients:      []server.Client{{ID: clientID, Secret: secret}},
		EventLogSize: 16, // a small ring, full before the run starts
	})
	if err != nil {
		return nil, err
	}
	defer api.Close()
	h.api = api
	// The ledgers count requests; the fault server keeps a single record.
	fs := faultserver.New(faultserver.Config{KeepAlives: true, MaxRecords: 1, Handler: h, Pick: h.pick})
	defer fs.Close()

	cc := products.OAuth2ClientCredentials(clientID, secret, server.ScopeRead, server.ScopeWrite)
	cc.TokenURL = fs.URL + "/oauth/token"
	c, err := products.NewClient(fs.URL,
		products.WithOAuth2(auth.ClientCredentials(cc)),
		sdk.WithRetry(retryPolicy),
		sdk.WithAttemptTimeout(cfg.AttemptTimeout),
		sdk.WithAttemptMiddleware(func(next http.RoundTripper) http.RoundTripper {
			return sdk.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
				h.attempts.Add(1)
				return next.RoundTrip(r)
			})
		}),
		sdk.WithOnRetry(func(sdk.RetryEvent) { h.retries.Add(1) }),
	)
	if err != nil {
		return nil, err
	}
	defer c.Close()

	stable, err := setup(ctx, c, cfg.Workers)
	if err != nil {
		return nil, err
	}
	rep := &Report{Seed: cfg.Seed, Calls: cfg.Calls, Workers: cfg.Workers}
	h.attempts.Store(0)
	h.retries.Store(0)
	requests0 := fs.Count()
	conns0, _ := fs.Connections()
	// The heap is measured without the run's ledgers: they are made after
	// the first measure and dropped before the second.
	rep.HeapBefore, rep.GoroutinesBefore = heapLive(), runtime.NumGoroutine()
	h.calls = make([]call, cfg.Calls+1)
	h.mu.Lock()
	h.ops = make([]serverOp, cfg.Calls+1)
	h.mu.Unlock()

	peak := sampleGoroutines()
	h.faultsOn.Store(true)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range cfg.Workers {
		wg.Go(func() { h.worker(ctx, c, stable, uint64(w)) })
	}
	wg.Wait()
	rep.Wall = time.Since(start)
	h.faultsOn.Store(false)
	rep.GoroutinesPeak = peak()
	rep.GoroutinesAfter = runtime.NumGoroutine()
	rep.Requests = fs.Count() - requests0
	conns, _ := fs.Connections()
	rep.Connections = conns - conns0
	rep.Attempts, rep.Retries = int(h.attempts.Load()), int(h.retries.Load())

	h.check(rep)
	if err := h.audit(ctx, c, rep); err != nil {
		return rep, err
	}
	h.calls = nil
	h.mu.Lock()
	h.ops = nil
	h.mu.Unlock()
	rep.HeapAfter = heapLive()
	return rep, nil
}

// dbParent returns the folder to put the database folder in.
func dbParent(dir string) string {
	if dir != "" {
		return dir
	}
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if f, err := os.CreateTemp("/dev/shm", "sdkgen-soak-probe-*"); err == nil {
			f.Close()
			os.Remove(f.Name())
			return "/dev/shm"
		}
	}
	return os.TempDir()
}

func copyCounts(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// setup creates the stable products, and warms up with reads from every
// worker so that the connection pool and the runtime's caches reach the
// size the run keeps them at before the heap is measured.
func setup(ctx context.Context, c *products.Client, workers int) ([]string, error) {
	ids := make([]string, stableProducts)
	for i := range ids {
		p, err := c.Products.CreateProduct(ctx, nil, products.ProductCreate{
			Sku: fmt.Sprintf("STABLE-%03d", i), Name: fmt.Sprintf("stable %d", i), Category: "soak", Price: int64(100 + i),
		})
		if err != nil {
			return nil, fmt.Errorf("soak: creating stable product %d: %w", i, err)
		}
		ids[i] = p.ID
	}
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range 4 {
				if _, err := c.Products.GetProduct(ctx, ids[(w+i)%len(ids)]); err != nil {
					errs[w] = fmt.Errorf("soak: warm-up read: %w", err)
					return
				}
			}
		})
	}
	wg.Wait()
	return ids, errors.Join(errs...)
}

// heapLive returns the bytes of live heap objects, after two collections
// (the second frees what finalizers of the first released).
func heapLive() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// sampleGoroutines samples the number of goroutines every 20 ms until the
// returned function is called, which stops it and returns the peak.
func sampleGoroutines() func() int {
	var peak atomic.Int64
	peak.Store(int64(runtime.NumGoroutine()))
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if n := int64(runtime.NumGoroutine()); n > peak.Load() {
					peak.Store(n)
				}
			}
		}
	}()
	return func() int {
		close(stop)
		<-done
		return int(peak.Load())
	}
}

// worker makes calls until the run's count is reached. It keeps the
// products it created: only it updates and deletes them, so that every
// outcome has one explanation.
func (h *harness) worker(ctx context.Context, c *products.Client, stable []string, w uint64) {
	rng := rand.New(rand.NewPCG(h.cfg.Seed, w+1))
	var own []string
	for {
		id := int(h.next.Add(1))
		if id > h.cfg.Calls {
			return
		}
		kind := chooseKind(rng)
		switch {
		case (kind == opUpdate || kind == opDelete) && len(own) == 0:
			kind = opCreateAutoKey
		case kind.isCreate() && len(own) >= maxOwned:
			kind = opDelete
		}
		rec := &h.calls[id]
		rec.kind = kind
		opts := []sdk.Option{
			sdk.WithHeader(opHeader, strconv.Itoa(id)),
			sdk.WithTimeout(h.cfg.CallTimeout),
			sdk.WithOnRetry(func(ev sdk.RetryEvent) {
				rec.retries++
				if ev.StatusCode == http.StatusTooManyRequests && ev.Delay < retryAfter*time.Second {
					rec.shortRA = true
				}
			}),
		}
		start := time.Now()
		switch kind {
		case opGet:
			rec.target = stable[rng.IntN(len(stable))]
			if len(own) > 0 && rng.IntN(2) == 0 {
				rec.target = own[rng.IntN(len(own))]
			}
			p, err := c.Products.GetProduct(ctx, rec.target, opts...)
			rec.result(p, err)
		case opList:
			limit := int32(10)
			page, err := c.Products.ListProducts(ctx, &products.ListProductsParams{Limit: &limit}, opts...).NextPage(ctx)
			rec.err = err
			rec.nilNil = err == nil && page.Body == nil
		case opCreateAutoKey, opCreateParamKey, opCreateNoKey:
			body := products.ProductCreate{
				Sku: fmt.Sprintf("SOAK-%d", id), Name: fmt.Sprintf("soak op %d", id), Category: "soak", Price: int64(id),
			}
			var params *products.CreateProductParams
			switch kind {
			case opCreateParamKey:
				rec.key = fmt.Sprintf("soak-%d-%d", h.cfg.Seed, id)
				params = &products.CreateProductParams{IdempotencyKey: &rec.key}
			case opCreateNoKey:
				opts = append(opts, sdk.WithIdempotent(false))
			}
			p, err := c.Products.CreateProduct(ctx, params, body, opts...)
			rec.result(p, err)
			if err == nil && p != nil {
				own = append(own, p.ID)
			}
		case opUpdate:
			rec.target = own[rng.IntN(len(own))]
			name := fmt.Sprintf("updated by op %d", id)
			p, err := c.Products.UpdateProduct(ctx, rec.target, nil, products.ProductUpdate{Name: &name}, opts...)
			rec.result(p, err)
		case opDelete:
			i := rng.IntN(len(own))
			rec.target = own[i]
			// Whatever the outcome, the product is no longer used: a
			// failed delete may have been applied.
			own = slices.Delete(own, i, i+1)
			rec.err = c.Products.DeleteProduct(ctx, rec.target, nil, opts...)
		}
		rec.duration = time.Since(start)
	}
}

func (rec *call) result(p *products.Product, err error) {
	rec.err = err
	switch {
	case err == nil && p == nil:
		rec.nilNil = true
	case p != nil:
		rec.got = p.ID
	}
}

func chooseKind(rng *rand.Rand) opKind {
	n := rng.IntN(100)
	for _, m := range mix {
		if n < m.pct {
			return m.kind
		}
		n -= m.pct
	}
	return opGet
}

// classify names how a call ended: the error types errors.As finds in it,
// outermost first, with the detail that matters. typed is false when the
// error is none of the SDK's types.
func classify(err error) (name string, typed bool) {
	if err == nil {
		return "ok", true
	}
	var parts []string
	var re *sdk.RetryError
	if errors.As(err, &re) {
		parts = append(parts, "RetryError("+re.Reason+")")
	}
	var (
		ae *sdk.APIError
		de *sdk.DecodeError
		te *sdk.TransportError
		at *sdk.AttemptTimeoutError
		pe *sdk.PaginationError
		ce *sdk.AuthError
	)
	switch {
	case errors.As(err, &ae):
		parts = append(parts, "APIError "+strconv.Itoa(ae.StatusCode))
	case errors.As(err, &de):
		parts = append(parts, "DecodeError"+cause(de.Err))
	case errors.As(err, &at):
		parts = append(parts, "AttemptTimeoutError")
	case errors.As(err, &te):
		parts = append(parts, "TransportError"+cause(te.Err))
	case errors.As(err, &pe):
		parts = append(parts, "PaginationError")
	case errors.As(err, &ce):
		parts = append(parts, "AuthError")
	}
	if len(parts) == 0 {
		return fmt.Sprintf("untyped %T: %v", err, err), false
	}
	return strings.Join(parts, " > "), true
}

// cause names the low-level cause of a failure.
func cause(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, io.ErrUnexpectedEOF):
		return " (unexpected EOF)"
	case errors.Is(err, io.EOF):
		return " (EOF)"
	case errors.Is(err, syscall.ECONNRESET):
		return " (connection reset)"
	case errors.Is(err, context.DeadlineExceeded):
		return " (deadline exceeded)"
	case errors.Is(err, context.Canceled):
		return " (canceled)"
	}
	return fmt.Sprintf(" (%T)", err)
}

// check applies the rules to every call and fills in the counts.
func (h *harness) check(rep *Report) {
	h.mu.Lock()
	defer h.mu.Unlock()
	rep.Faults = copyCounts(h.injected)
	durations := make([]time.Duration, 0, h.cfg.Calls)
	for id := 1; id <= h.cfg.Calls; id++ {
		durations = append(durations, h.calls[id].duration)
	}
	slices.Sort(durations)
	if n := len(durations); n > 0 {
		rep.P50, rep.P99, rep.Slowest = durations[n/2], durations[n*99/100], durations[n-1]
	}
	rep.Outcomes = map[string]map[string]int{}
	rep.Applied = map[string]int{}
	fail := func(id int, format string, args ...any) {
		o := &h.ops[id]
		rep.Violations = append(rep.Violations, fmt.Sprintf("op %d (%s, faults %q, %d arrivals, %d served, %d applied): %s",
			id, h.calls[id].kind, o.faults, o.arrivals, o.handled, o.applied, fmt.Sprintf(format, args...)))
	}
	for id := 1; id <= h.cfg.Calls; id++ {
		rec, o := &h.calls[id], &h.ops[id]
		class, typed := classify(rec.err)
		op := rec.kind.String()
		if rep.Outcomes[op] == nil {
			rep.Outcomes[op] = map[string]int{}
		}
		rep.Outcomes[op][class]++
		if o.applied > 0 {
			rep.Applied[strings.Fields(op)[0]] += o.applied
			if rec.err != nil {
				rep.UnseenWrites++
			}
		}
		if !typed {
			fail(id, "untyped error: %s", class)
		}
		var ate *sdk.AttemptTimeoutError
		if errors.As(rec.err, &ate) && !slices.ContainsFunc(o.faults, func(f string) bool { return strings.HasPrefix(f, "slow headers") }) {
			rep.UnfaultedTimeouts++
		}
		if rec.nilNil {
			fail(id, "nil error and nil result")
		}
		if rec.duration >= h.cfg.CallTimeout-time.Second || errors.Is(rec.err, context.DeadlineExceeded) && rec.duration >= h.cfg.CallTimeout/2 {
			fail(id, "the call took %s: a hang", rec.duration)
		}
		if rec.shortRA {
			fail(id, "a retry after a 429 did not wait the Retry-After of %ds", retryAfter)
		}
		if o.applied > 1 {
			rep.Duplicates++
			fail(id, "write applied %d times", o.applied)
		}
		if o.skuTaken > 0 {
			rep.SKUConflicts += o.skuTaken
			fail(id, "%d executions refused as SKU conflicts: the create was executed again", o.skuTaken)
		}
		var apiErr *sdk.APIError
		is404 := errors.As(rec.err, &apiErr) && apiErr.StatusCode == http.StatusNotFound
		switch rec.kind {
		case opGet, opUpdate:
			if rec.err == nil && rec.got != rec.target {
				fail(id, "asked for %s, got %s", rec.target, rec.got)
			}
			if is404 {
				fail(id, "404 for a product that exists")
			}
		case opDelete:
			if is404 && (rec.retries == 0 || o.applied != 1) {
				fail(id, "404 from a delete whose earlier attempt was not applied (%d retries)", rec.retries)
			}
		}
		if rec.kind == opUpdate || rec.kind == opDelete || rec.kind.isCreate() {
			if rec.err == nil && o.applied != 1 {
				fail(id, "the caller saw success, the server applied the write %d times", o.applied)
			}
		}
		if rec.kind.isCreate() {
			if rec.err == nil && rec.got != o.product {
				fail(id, "the caller got product %s, the server created %s", rec.got, o.product)
			}
			for _, p := range o.replays {
				if p != o.product {
					fail(id, "a replay returned product %s, the server created %s", p, o.product)
				}
			}
		}
		// Idempotency-Keys: one per call on every attempt, or none.
		switch rec.kind {
		case opCreateAutoKey, opCreateParamKey:
			if len(o.keys) > 1 || len(o.keys) == 1 && o.keys[0] == "" || rec.key != "" && len(o.keys) == 1 && o.keys[0] != rec.key {
				fail(id, "Idempotency-Keys sent: %q", o.keys)
			}
		default:
			if len(o.keys) > 1 || len(o.keys) == 1 && o.keys[0] != "" {
				fail(id, "Idempotency-Keys sent: %q, want none", o.keys)
			}
		}
		if !rec.kind.retried() {
			h.checkNotRetried(id, rec, o, fail)
		}
	}
}

// checkNotRetried checks the calls the SDK must never retry: a POST without
// an Idempotency-Key (marked not idempotent) and a PATCH without one. The
// server sees each at most once, and a transient failure ends it at once
// with a RetryError saying why.
func (h *harness) checkNotRetried(id int, rec *call, o *serverOp, fail func(int, string, ...any)) {
	if rec.retries > 0 {
		fail(id, "retried %d times", rec.retries)
	}
	if o.arrivals > 1 {
		fail(id, "the server received it %d times", o.arrivals)
	}
	var re *sdk.RetryError
	if !errors.As(rec.err, &re) {
		return
	}
	want := "the call is marked not idempotent"
	if rec.kind == opUpdate {
		want = "a PATCH without an Idempotency-Key is never retried"
	}
	if re.Attempts != 1 || re.Reason != want {
		fail(id, "RetryError after %d attempts with reason %q, want 1 attempt and %q", re.Attempts, re.Reason, want)
	}
}

// audit lists the catalogue without faults and compares it with the
// server-side counts: every product created is there once, unless deleted.
func (h *harness) audit(ctx context.Context, c *products.Client, rep *Report) error {
	h.mu.Lock()
	want := map[string]int{} // product id → op that created it
	deleted := map[string]bool{}
	created := 0
	for id := 1; id <= h.cfg.Calls; id++ {
		rec, o := &h.calls[id], &h.ops[id]
		switch {
		case rec.kind.isCreate() && o.applied == 1:
			want[o.product] = id
			created++
		case rec.kind == opDelete && o.applied == 1:
			deleted[rec.target] = true
		}
	}
	h.mu.Unlock()
	limit := int32(100)
	seen := map[string]bool{}
	soak := 0
	for p, err := range c.Products.ListProducts(ctx, &products.ListProductsParams{Limit: &limit}).All() {
		if err != nil {
			return fmt.Errorf("soak: listing the catalogue: %w", err)
		}
		rep.Products++
		if seen[p.ID] {
			rep.Violations = append(rep.Violations, "audit: product "+p.ID+" listed twice")
		}
		seen[p.ID] = true
		if !strings.HasPrefix(p.Sku, "SOAK-") {
			continue
		}
		soak++
		if _, ok := want[p.ID]; !ok {
			rep.Violations = append(rep.Violations, fmt.Sprintf("audit: product %s (%s) was not created by any counted write", p.ID, p.Sku))
		}
		if deleted[p.ID] {
			rep.Violations = append(rep.Violations, fmt.Sprintf("audit: product %s was deleted, yet is listed", p.ID))
		}
	}
	for p, id := range want {
		if !seen[p] && !deleted[p] {
			rep.Violations = append(rep.Violations, fmt.Sprintf("audit: product %s of op %d is missing", p, id))
		}
	}
	if wantN := created - len(deleted); soak != wantN {
		rep.Violations = append(rep.Violations, fmt.Sprintf("audit: %d products of the run listed, want %d created - %d deleted", soak, created, len(deleted)))
	}
	return nil
}
