package calls

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/sdkgen-go/sdkgen/examples/products"
	"github.com/sdkgen-go/sdkgen/sdk/auth"
)

// The token benchmark's parameters.
const (
	// concurrentCalls is how many calls one iteration runs at once.
	concurrentCalls = 1000
	// tokenLife is how long the server honours a token: expires_in is 1,
	// the shortest lifetime OAuth2 can express, so a run of a second or
	// two crosses several expiries.
	tokenLife = time.Second
	// refreshEarly is how long before expiry both clients fetch the next
	// token: the SDK's margin (capped at a quarter of the lifetime) and
	// x/oauth2's early expiry are set alike.
	refreshEarly = tokenLife / 4
	// tokenLatency is how long the token endpoint takes to answer, as an
	// identity provider does; calls that need a new token wait for it.
	tokenLatency = 5 * time.Millisecond
	// maxConns bounds each client's connections to the server, the same
	// for both, so 1,000 concurrent calls queue for connections instead of
	// opening (and leaving in TIME_WAIT) a thousand sockets per iteration.
	maxConns = 64
)

// tokenServer is an OAuth2 token endpoint (client credentials, tokens
// valid for tokenLife) and the products API, which refuses with 401 any
// token it did not issue or whose life is over. It counts token requests
// and refusals.
type tokenServer struct {
	*httptest.Server
	fetches atomic.Int64
	refused atomic.Int64

	mu     sync.Mutex
	expiry map[string]time.Time
	next   int
}

const (
	benchClientID     = "bench-client"
	benchClientSecret = "bench-secret"
)

func newTokenServer() *tokenServer {
	s := &tokenServer{expiry: map[string]time.Time{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", s.token)
	mux.HandleFunc("GET /products/{id}", func(w http.ResponseWriter, r *http.Request) {
		if !s.valid(r.Header.Get("Authorization")) {
			s.refused.Add(1)
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			http.Error(w, "invalid token", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(productJSON)
	})
	s.Server = httptest.NewServer(mux)
	return s
}

func (s *tokenServer) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || id != benchClientID || secret != benchClientSecret || r.PostFormValue("grant_type") != "client_credentials" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
		return
	}
	s.fetches.Add(1)
	time.Sleep(tokenLatency)
	s.mu.Lock()
	s.next++
	tok := "tok-" + strconv.Itoa(s.next)
	s.expiry[tok] = time.Now().Add(tokenLife)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token": tok, "token_type": "Bearer", "expires_in": int(tokenLife / time.Second),
	})
}

func (s *tokenServer) valid(authz string) bool {
	tok, ok := cutPrefix(authz, "Bearer ")
	if !ok {
		return false
	}
	s.mu.Lock()
	exp, known := s.expiry[tok]
	s.mu.Unlock()
	return known && time.Now().Before(exp)
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || s[:len(prefix)] != prefix {
		return "", false
	}
	return s[len(prefix):], true
}

// tokenImpl is one client of the token benchmark: get makes one call.
type tokenImpl struct {
	name string
	get  func(ctx context.Context) error
}

// tokenImpls returns the two clients that fetch their own tokens: the SDK
// with package auth's client credentials source, and net/http with
// x/oauth2's client credentials source behind ReuseTokenSourceWithExpiry
// and oauth2.Transport (what x/oauth2 offers for the same job). Both share
// nothing but the server; both send token requests through a transport of
// their own.
func tokenImpls(tb testing.TB, s *tokenServer) []tokenImpl {
	tb.Helper()
	newRT := func() *http.Transport {
		t := newTransport()
		t.MaxConnsPerHost, t.MaxIdleConnsPerHost = maxConns, maxConns
		tb.Cleanup(t.CloseIdleConnections)
		return t
	}
	const id = "prd_01JCF7YQX4W99R5S0TK0000042"

	cc := &clientcredentials.Config{
		ClientID: benchClientID, ClientSecret: benchClientSecret,
		TokenURL: s.URL + "/oauth/token", Scopes: []string{"products:read"},
		AuthStyle: oauth2.AuthStyleInHeader,
	}
	tokenCtx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: newRT()})
	ts := oauth2.ReuseTokenSourceWithExpiry(nil, cc.TokenSource(tokenCtx), refreshEarly)
	hand := &handClient{hc: &http.Client{Transport: &oauth2.Transport{Source: ts, Base: newRT()}}, base: s.URL}

	src := auth.ClientCredentials(auth.Config{
		ClientID: benchClientID, ClientSecret: benchClientSecret,
		TokenURL: s.URL + "/oauth/token", Scopes: []string{"products:read"},
	}, auth.WithHTTPClient(&http.Client{Transport: newRT()}), auth.WithRefreshMargin(refreshEarly, 0))
	sdkc := sdkClient(tb, s.URL, &http.Client{Transport: newRT()}, products.WithOAuth2(src))

	return []tokenImpl{
		{"oauth2", func(ctx context.Context) error {
			_, err := hand.getProduct(ctx, id)
			return err
		}},
		{"sdk", func(ctx context.Context) error {
			_, err := sdkc.Products.GetProduct(ctx, id)
			return err
		}},
	}
}

// runConcurrent makes n calls at once and returns how many failed and
// the first error.
func runConcurrent(ctx context.Context, n int, get func(context.Context) error) (int64, error) {
	var wg sync.WaitGroup
	var failed atomic.Int64
	var first atomic.Value
	for range n {
		wg.Go(func() {
			if err := get(ctx); err != nil {
				failed.Add(1)
				first.CompareAndSwap(nil, err)
			}
		})
	}
	wg.Wait()
	err, _ := first.Load().(error)
	return failed.Load(), err
}

// BenchmarkTokenRefresh measures the throughput of 1,000 concurrent calls
// (one iteration) through a token that expires every second, fetched by
// the client itself from an OAuth2 token endpoint that takes 5 ms to
// answer. Besides the time per 1,000 calls it reports calls/s, the token
// requests per second of run (token-fetches/s: about one per refresh
// interval when fetches are shared, thousands when they are not), and the
// calls the API refused (refused/op: calls sent with an expired token)
// and that failed (failed/op).
func BenchmarkTokenRefresh(b *testing.B) {
	s := newTokenServer()
	defer s.Close()
	for _, im := range tokenImpls(b, s) {
		b.Run("impl="+im.name, func(b *testing.B) {
			ctx := context.Background()
			f0, r0 := s.fetches.Load(), s.refused.Load()
			var failed int64
			cpu := startCPU()
			for b.Loop() {
				n, _ := runConcurrent(ctx, concurrentCalls, im.get)
				failed += n
			}
			cpu.report(b)
			secs := b.Elapsed().Seconds()
			b.ReportMetric(float64(concurrentCalls*b.N)/secs, "calls/s")
			b.ReportMetric(float64(s.fetches.Load()-f0)/secs, "token-fetches/s")
			b.ReportMetric(float64(s.refused.Load()-r0)/float64(b.N), "refused/op")
			b.ReportMetric(float64(failed)/float64(b.N), "failed/op")
		})
	}
}
