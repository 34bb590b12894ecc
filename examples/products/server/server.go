// Package server implements the products API that
// examples/products/products.yaml describes: a product catalogue with CRUD,
// cursor pagination, filtering and sorting, OAuth2 client credentials,
// problem+json errors, a server-sent event stream of changes and product
// images.
//
// It is a real server, meant to be embedded: [New] opens (or creates) a
// bbolt database, the [Server] is an [http.Handler], and [Server.Start]
// serves it on a loopback port for demos and tests:
//
//	srv, err := server.New(server.Options{
//		Clients: []server.Client{{ID: "demo", Secret: "s3cret"}},
//	})
//	if err != nil { ... }
//	defer srv.Close()
//	if err := srv.Start(ctx, "127.0.0.1:0"); err != nil { ... }
//	fmt.Println(srv.URL())
//
// Every write honours an Idempotency-Key header (see [AppliedKey]).
//
// Products, SKU index and idempotency records persist in the database;
// images are files in a folder beside it; access tokens and the event log
// live in memory, so a restarted server rejects old tokens (clients fetch
// new ones) and answers a Last-Event-ID from before the restart with a
// reset event. Event ids persist, so they keep growing across restarts.
//
// Lists are computed by scanning the whole catalogue in one read
// transaction, which suits a demo's thousands of products, not millions.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The scopes a token can carry: reading needs ScopeRead, every change
// (create, update, delete, upload) ScopeWrite.
const (
	ScopeRead  = "products:read"
	ScopeWrite = "products:write"
)

// Defaults of [Options] fields left zero.
const (
	DefaultTokenLifetime  = time.Hour
	DefaultMaxImageBytes  = 5 << 20
	DefaultEventLogSize   = 1000
	DefaultKeepAlive      = 15 * time.Second
	DefaultEventRetry     = 2 * time.Second
	DefaultIdempotencyTTL = 24 * time.Hour
)

// maxJSONBytes caps JSON request bodies.
const maxJSONBytes = 1 << 20

// Options configure a [Server]. Only Clients is required.
type Options struct {
	// DBPath is the bbolt database file, created if absent. Empty means a
	// temporary file (and image folder), removed by Close.
	DBPath string
	// ImageDir is the folder of product images; empty means DBPath with
	// ".images" appended.
	ImageDir string
	// Clients are the OAuth2 clients allowed to get tokens; at least one.
	Clients []Client
	// TokenLifetime is how long an access token is valid
	// (DefaultTokenLifetime if zero); a demo can use a few seconds to show
	// tokens being refreshed.
	TokenLifetime time.Duration
	// MaxImageBytes caps an uploaded image (DefaultMaxImageBytes if zero);
	// larger uploads get 413.
	MaxImageBytes int64
	// EventLogSize is how many recent events the server keeps for clients
	// resuming with Last-Event-ID (DefaultEventLogSize if zero).
	EventLogSize int
	// KeepAlive is the interval of the comments that keep idle event
	// streams open (DefaultKeepAlive if zero).
	KeepAlive time.Duration
	// EventRetry is the reconnection delay the event stream advises
	// clients, in its retry: field (DefaultEventRetry if zero).
	EventRetry time.Duration
	// IdempotencyTTL is how long an Idempotency-Key is remembered
	// (DefaultIdempotencyTTL if zero), on every write: a request repeated
	// with its key within this time replays the first response, after it
	// is a new write. Clients that queue writes (sdk/outbox) must give up
	// on a write before this time has passed since they first sent it.
	// The applied-key log ([Server.AppliedKeys]) is kept as long.
	IdempotencyTTL time.Duration
	// RateLimit is how many API requests per second a client may make, on
	// average; zero means no limit. RateBurst is how many it may make at
	// once (1 if zero). Requests over the limit get 429 with Retry-After.
	RateLimit float64
	RateBurst int
	// FaultRetryAfter is the Retry-After that failures injected by
	// [Server.FailNext] carry, rounded up to whole seconds (zero sends
	// "Retry-After: 0").
	FaultRetryAfter time.Duration
	// Logger receives one record per request (level Info) and the server's
	// errors; nil means none.
	Logger *slog.Logger
	// Now is the clock (time.Now if nil), for token expiry, rate limits,
	// idempotency records and timestamps; tests make time pass with it.
	Now func() time.Time
}

// Client is an OAuth2 client of the server.
type Client struct {
	// ID and Secret are the client's credentials at /oauth/token.
	ID     string
	Secret string
	// Scopes the client may ask for; nil means ScopeRead and ScopeWrite.
	Scopes []string
}

// ErrClosed is returned by [Server.Start] after [Server.Close].
var ErrClosed = errors.New("server: closed")

// Server is the products API. It is an [http.Handler]; [Server.Start] also
// serves it on a listener of its own. Its methods are safe for concurrent
// use.
type Server struct {
	opts     Options
	now      func() time.Time
	log      *slog.Logger
	clients  map[string]Client
	db       *bolt.DB
	imageDir string
	tempDir  string // removed by Close when the database is temporary

	tokens   tokenStore
	limiter  *rateLimiter
	events   *broker
	faults   faults
	idem     inflight
	keyStats keyCounters
	idgen    ids
	writeMu  sync.Mutex // orders database writes and their events

	closing   chan struct{}
	closeOnce sync.Once
	closeErr  error
	// inFlight is held for reading by every request, and for writing by
	// Close before it closes the database.
	inFlight sync.RWMutex

	mu        sync.Mutex // guards the fields below
	hs        *http.Server
	url       string
	stopWatch func() bool
	serving   sync.WaitGroup
}

// New opens the database and returns a server that is not yet listening:
// serve it with [Server.Start] or as an [http.Handler]. Close releases it.
func New(opts Options) (*Server, error) {
	if len(opts.Clients) == 0 {
		return nil, errors.New("server: Options.Clients is empty: no client could get a token")
	}
	clients := map[string]Client{}
	for _, c := range opts.Clients {
		if c.ID == "" || c.Secret == "" {
			return nil, fmt.Errorf("server: client %q: the id and the secret must not be empty", c.ID)
		}
		if strings.ContainsAny(c.ID, ":") {
			return nil, fmt.Errorf("server: client %q: the id must not contain a colon", c.ID)
		}
		if _, dup := clients[c.ID]; dup {
			return nil, fmt.Errorf("server: client %q is listed twice", c.ID)
		}
		if c.Scopes == nil {
			c.Scopes = []string{ScopeRead, ScopeWrite}
		}
		for _, sc := range c.Scopes {
			if sc != ScopeRead && sc != ScopeWrite {
				return nil, fmt.Errorf("server: client %q: unknown scope %q", c.ID, sc)
			}
		}
		clients[c.ID] = c
	}
	if opts.TokenLifetime < 0 || opts.MaxImageBytes < 0 || opts.EventLogSize < 0 || opts.KeepAlive < 0 ||
		opts.EventRetry < 0 || opts.IdempotencyTTL < 0 || opts.RateLimit < 0 || opts.RateBurst < 0 || opts.FaultRetryAfter < 0 {
		return nil, errors.New("server: negative option")
	}
	setDefault(&opts.TokenLifetime, DefaultTokenLifetime)
	setDefault(&opts.MaxImageBytes, DefaultMaxImageBytes)
	setDefault(&opts.EventLogSize, DefaultEventLogSize)
	setDefault(&opts.KeepAlive, DefaultKeepAlive)
	setDefault(&opts.EventRetry, DefaultEventRetry)
	setDefault(&opts.IdempotencyTTL, DefaultIdempotencyTTL)
	setDefault(&opts.RateBurst, 1)
	s := &Server{
		opts:    opts,
		now:     opts.Now,
		log:     opts.Logger,
		clients: clients,
		closing: make(chan struct{}),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if opts.RateLimit > 0 {
		s.limiter = newRateLimiter(opts.RateLimit, opts.RateBurst)
	}
	s.tokens.entries = map[[32]byte]tokenInfo{}
	s.idem.keys = map[string]bool{}

	dbPath, imageDir := opts.DBPath, opts.ImageDir
	if dbPath == "" {
		dir, err := os.MkdirTemp("", "productsd-*")
		if err != nil {
			return nil, fmt.Errorf("server: temporary database: %w", err)
		}
		s.tempDir = dir
		dbPath = filepath.Join(dir, "products.db")
	}
	if imageDir == "" {
		imageDir = dbPath + ".images"
	}
	s.imageDir = imageDir
	if err := s.open(dbPath); err != nil {
		if s.tempDir != "" {
			_ = os.RemoveAll(s.tempDir)
		}
		return nil, err
	}
	return s, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// open opens the database and the image folder and loads the event
// sequence.
func (s *Server) open(dbPath string) error {
	if err := os.MkdirAll(s.imageDir, 0o700); err != nil {
		return fmt.Errorf("server: image folder: %w", err)
	}
	// The timeout turns a database another process holds into an error
	// instead of a wait forever.
	db, err := bolt.Open(dbPath, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return fmt.Errorf("server: open %s: %w", dbPath, err)
	}
	var seq uint64
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketProducts, bucketSKUs, bucketIdempotency, bucketEvents, bucketApplied} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		seq = tx.Bucket(bucketEvents).Sequence()
		if err := purgeApplied(tx, s.now(), s.opts.IdempotencyTTL); err != nil {
			return err
		}
		return purgeIdempotency(tx, s.now(), s.opts.IdempotencyTTL)
	})
	if err != nil {
		_ = db.Close()
		return fmt.Errorf("server: initialize %s: %w", dbPath, err)
	}
	s.db = db
	s.events = newBroker(s.opts.EventLogSize, seq)
	return nil
}

// Start listens on addr ("127.0.0.1:0" picks a free port) and serves in the
// background until Close is called or ctx is done, which closes the server
// as Close does. It returns once the server accepts connections; URL then
// gives its address. A server starts at most once.
func (s *Server) Start(ctx context.Context, addr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.closing:
		return ErrClosed
	default:
	}
	if s.hs != nil {
		return errors.New("server: already started")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("server: listen: %w", err)
	}
	s.hs = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.url = "http://" + ln.Addr().String()
	s.serving.Add(1)
	go func() {
		defer s.serving.Done()
		if err := s.hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve", "err", err)
		}
	}()
	s.stopWatch = context.AfterFunc(ctx, func() { _ = s.Close() })
	return nil
}

// URL is the server's base URL ("http://127.0.0.1:41234") once Start
// returned, else "".
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// Close stops the server: new requests get 503, event streams end, requests
// in flight finish (on Start's listener they get five seconds), the
// database is closed, and a temporary database and its images are removed.
// Later calls return the first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.mu.Lock()
		hs, stop := s.hs, s.stopWatch
		s.mu.Unlock()
		if stop != nil {
			stop()
		}
		var errs []error
		if hs != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := hs.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("server: shutdown: %w", err))
				_ = hs.Close()
			}
			cancel()
			s.serving.Wait()
		}
		s.events.close()
		s.inFlight.Lock() // requests served as a plain handler finish first
		defer s.inFlight.Unlock()
		if err := s.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("server: close database: %w", err))
		}
		if s.tempDir != "" {
			if err := os.RemoveAll(s.tempDir); err != nil {
				errs = append(errs, fmt.Errorf("server: remove temporary files: %w", err))
			}
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// FailNext makes the next n API requests (everything but /oauth/token)
// fail with status, which must be 429, 500, 502, 503 or 504, and a
// problem+json body and Retry-After header (see Options.FaultRetryAfter);
// it replaces any failures still pending. n = 0 cancels them. It panics on
// a negative n or another status.
func (s *Server) FailNext(n int, status int) {
	if n < 0 {
		panic("server: FailNext with a negative count")
	}
	if _, ok := faultKinds[status]; !ok {
		panic(fmt.Sprintf("server: FailNext with status %d; want 429, 500, 502, 503 or 504", status))
	}
	s.faults.mu.Lock()
	s.faults.n, s.faults.status = n, status
	s.faults.mu.Unlock()
}

// RevokeTokens invalidates every access token issued so far, as a restart
// does: clients must get new ones.
func (s *Server) RevokeTokens() {
	s.tokens.mu.Lock()
	clear(s.tokens.entries)
	s.tokens.mu.Unlock()
}

// faults holds the failures FailNext asked for.
type faults struct {
	mu     sync.Mutex
	n      int
	status int
}

// take reports whether this request must fail, and with which status.
func (f *faults) take() (int, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		return 0, false
	}
	f.n--
	return f.status, true
}

var faultKinds = map[int]problemKind{
	http.StatusTooManyRequests:     probRateLimited,
	http.StatusInternalServerError: probInternal,
	http.StatusBadGateway:          {"bad-gateway", "Bad gateway"},
	http.StatusServiceUnavailable:  probUnavailable,
	http.StatusGatewayTimeout:      {"gateway-timeout", "Gateway timeout"},
}

// call is what the middleware learned about a request.
type call struct {
	requestID string
	client    string // the token's client, once authenticated
}

// route is an endpoint: its handler per method, and the scope each
// method needs.
type route struct {
	methods map[string]func(http.ResponseWriter, *http.Request, *call)
	allow   string
}

// ServeHTTP serves the API. Every response carries X-Request-Id; errors are
// problem+json (RFC 9457), except the token endpoint's, which follow
// RFC 6749.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	c := &call{requestID: requestID(r.Header.Get("X-Request-Id"))}
	w.Header().Set("X-Request-Id", c.requestID)
	rec := &recorder{ResponseWriter: w}
	s.serve(rec, r, c)
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.Int("status", rec.status()), slog.Duration("duration", s.now().Sub(start)),
		slog.String("request_id", c.requestID), slog.String("client", c.client))
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, c *call) {
	s.inFlight.RLock()
	defer s.inFlight.RUnlock()
	select {
	case <-s.closing:
		w.Header().Set("Connection", "close")
		s.problem(w, r, c, http.StatusServiceUnavailable, probUnavailable, "the server is shutting down")
		return
	default:
	}
	if r.URL.Path == "/oauth/token" {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			s.problem(w, r, c, http.StatusMethodNotAllowed, probMethod, r.Method+" is not allowed here; use POST")
			return
		}
		s.issueToken(w, r, c)
		return
	}
	rt, id, ok := s.match(r.URL.Path)
	if !ok {
		s.problem(w, r, c, http.StatusNotFound, probNotFound, "no such endpoint: "+r.URL.Path)
		return
	}
	h, ok := rt.methods[r.Method]
	if !ok {
		w.Header().Set("Allow", rt.allow)
		s.problem(w, r, c, http.StatusMethodNotAllowed, probMethod, fmt.Sprintf("%s is not allowed here; use %s", r.Method, rt.allow))
		return
	}
	if status, fail := s.faults.take(); fail {
		w.Header().Set("Retry-After", retryAfter(s.opts.FaultRetryAfter))
		s.problem(w, r, c, status, faultKinds[status], "injected failure (Server.FailNext)")
		return
	}
	scope := ScopeWrite
	if r.Method == http.MethodGet {
		scope = ScopeRead
	}
	if !s.authenticate(w, r, c, scope) {
		return
	}
	if s.limiter != nil {
		if wait, ok := s.limiter.allow(c.client, s.now()); !ok {
			w.Header().Set("Retry-After", retryAfter(wait))
			s.problem(w, r, c, http.StatusTooManyRequests, probRateLimited,
				fmt.Sprintf("the rate limit is %g requests per second", s.opts.RateLimit))
			return
		}
	}
	if id != "" && !validID(id) {
		s.problem(w, r, c, http.StatusBadRequest, probInvalidParam, fmt.Sprintf("%q is not a product id", id),
			fieldError{Field: "id", Message: "must be prd_ and a 26-character ULID"})
		return
	}
	h(w, r, c)
}

// match finds the route of a path, and the product id it names.
func (s *Server) match(path string) (route, string, bool) {
	switch {
	case path == "/products":
		return route{methods: map[string]func(http.ResponseWriter, *http.Request, *call){
			http.MethodGet:  s.listProducts,
			http.MethodPost: s.createProduct,
		}, allow: "GET, POST"}, "", true
	case path == "/products/events":
		return route{methods: map[string]func(http.ResponseWriter, *http.Request, *call){
			http.MethodGet: s.streamEvents,
		}, allow: "GET"}, "", true
	case strings.HasPrefix(path, "/products/"):
		id, sub, nested := strings.Cut(path[len("/products/"):], "/")
		if id == "" {
			return route{}, "", false
		}
		switch {
		case !nested:
			return route{methods: map[string]func(http.ResponseWriter, *http.Request, *call){
				http.MethodGet:    s.withID(id, s.getProduct),
				http.MethodPut:    s.withID(id, s.putProduct),
				http.MethodPatch:  s.withID(id, s.updateProduct),
				http.MethodDelete: s.withID(id, s.deleteProduct),
			}, allow: "GET, PUT, PATCH, DELETE"}, id, true
		case sub == "image":
			return route{methods: map[string]func(http.ResponseWriter, *http.Request, *call){
				http.MethodGet:  s.withID(id, s.getImage),
				http.MethodPost: s.withID(id, s.uploadImage),
			}, allow: "GET, POST"}, id, true
		}
	}
	return route{}, "", false
}

func (s *Server) withID(id string, h func(http.ResponseWriter, *http.Request, *call, string)) func(http.ResponseWriter, *http.Request, *call) {
	return func(w http.ResponseWriter, r *http.Request, c *call) { h(w, r, c, id) }
}

// retryAfter renders a wait as a Retry-After value: whole seconds, rounded
// up.
func retryAfter(d time.Duration) string {
	secs := (d + time.Second - 1) / time.Second
	return fmt.Sprint(int64(secs))
}

// requestID returns the caller's request id if it is 1 to 128 visible
// ASCII characters, else a new one.
func requestID(given string) string {
	if n := len(given); n > 0 && n <= 128 {
		ok := true
		for i := 0; i < n; i++ {
			if given[i] < 0x21 || given[i] > 0x7e {
				ok = false
				break
			}
		}
		if ok {
			return given
		}
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "req_" + hex.EncodeToString(b[:])
}

// recorder remembers the status a handler wrote, for the request log. It
// unwraps for http.ResponseController, so streams can flush.
type recorder struct {
	http.ResponseWriter
	code int
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}
