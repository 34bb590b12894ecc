package auth_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/auth"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

const concurrentCalls = 1000

// 1,000 concurrent calls made while the token is expired cause exactly one
// token request, and all of them succeed. The token endpoint holds its
// answer until every call is waiting for the token, so the calls really
// overlap.
func TestConcurrentCallsWithExpiredTokenMakeOneTokenRequest(t *testing.T) {
	clk := newClock()
	tokens := newTokenServer(t, 3600)
	api := newAPIServer(t, func(tok string) bool { return tok == "access-1" })
	src := &countingSource{Source: auth.ClientCredentials(tokens.config(),
		auth.WithToken(&sdk.Token{AccessToken: "expired", Expiry: clk.Now().Add(-time.Minute)}),
		auth.WithClock(clk.Now))}
	tokens.setHold(func(*http.Request) {
		waitFor(t, 30*time.Second, "every call to ask for the token", func() bool { return src.tokens.Load() >= concurrentCalls })
	})
	c := newClient(t, api.URL, sdk.WithTokenSource(src))

	var wg sync.WaitGroup
	var failed atomic.Int32
	errs := make(chan error, concurrentCalls)
	for range concurrentCalls {
		wg.Go(func() {
			if err := call(context.Background(), c); err != nil {
				failed.Add(1)
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("call failed: %v", err)
		break
	}
	if n := tokens.requests.Load(); n != 1 {
		t.Errorf("%d token requests, want exactly 1", n)
	}
	if failed.Load() != 0 {
		t.Errorf("%d of %d calls failed", failed.Load(), concurrentCalls)
	}
	if n := api.count("access-1"); n != concurrentCalls {
		t.Errorf("the API saw the new token %d times, want %d", n, concurrentCalls)
	}
	if n := api.count("expired"); n != 0 {
		t.Errorf("the expired token was sent %d times", n)
	}
}

// 1,000 concurrent calls whose token the server refuses (revoked before it
// expired) cause exactly one refresh: each call gets its 401, reports the
// token that failed, and replays with the one new token. The API server
// holds its 401s until every call has sent the refused token, and the
// token endpoint holds its answer until every call has reported the 401,
// so the calls really overlap.
func TestConcurrent401sMakeOneRefresh(t *testing.T) {
	tokens := newTokenServer(t, 3600)
	api := newAPIServer(t, func(tok string) bool { return tok == "access-1" })
	api.hold401 = func() {
		waitFor(t, 30*time.Second, "every call to send the refused token", func() bool { return api.count("revoked") >= concurrentCalls })
	}
	src := &countingSource{Source: auth.ClientCredentials(tokens.config(),
		auth.WithToken(&sdk.Token{AccessToken: "revoked", Expiry: time.Now().Add(time.Hour)}))}
	tokens.setHold(func(*http.Request) {
		waitFor(t, 30*time.Second, "every call to report its 401", func() bool { return src.refreshes.Load() >= concurrentCalls })
	})
	// One connection per call, so that every call can be waiting for its
	// 401 at once.
	tr := &http.Transport{MaxIdleConnsPerHost: concurrentCalls}
	defer tr.CloseIdleConnections()
	c := newClient(t, api.URL, sdk.WithTokenSource(src), sdk.WithHTTPClient(&http.Client{Transport: tr}))

	var wg sync.WaitGroup
	var failed atomic.Int32
	for range concurrentCalls {
		wg.Go(func() {
			if err := call(context.Background(), c); err != nil {
				if failed.Add(1) == 1 {
					t.Errorf("call failed: %v", err)
				}
			}
		})
	}
	wg.Wait()
	if n := tokens.requests.Load(); n != 1 {
		t.Errorf("%d token requests, want exactly 1", n)
	}
	if failed.Load() != 0 {
		t.Errorf("%d of %d calls failed", failed.Load(), concurrentCalls)
	}
	if got := api.count("revoked"); got != concurrentCalls {
		t.Errorf("the refused token was sent %d times, want once per call (%d)", got, concurrentCalls)
	}
	if got := api.count("access-1"); got != concurrentCalls {
		t.Errorf("the new token was sent %d times, want %d (one replay per call)", got, concurrentCalls)
	}
}

// A caller that gives up while waiting for a token returns at once with
// its context's error; the fetch goes on and serves the others.
func TestWaitingCallerGivesUpWithoutCancellingTheFetch(t *testing.T) {
	tokens := newTokenServer(t, 3600)
	arrived := make(chan struct{})
	release := make(chan struct{})
	var fetchCtxErr atomic.Value
	tokens.setHold(func(r *http.Request) {
		close(arrived)
		<-release
		fetchCtxErr.Store(r.Context().Err() == nil)
	})
	src := auth.ClientCredentials(tokens.config())

	// The first caller starts the fetch and waits with a context that
	// never ends.
	first := make(chan error, 1)
	go func() {
		tok, err := src.Token(context.Background())
		if err == nil && tok.AccessToken != "access-1" {
			err = errors.New("got " + tok.AccessToken)
		}
		first <- err
	}()
	<-arrived

	// The second caller joins the fetch, then gives up.
	ctx, cancel := context.WithCancel(context.Background())
	second := make(chan error, 1)
	go func() {
		_, err := src.Token(ctx)
		second <- err
	}()
	cancel()
	if err := <-second; !errors.Is(err, context.Canceled) {
		t.Fatalf("the caller that gave up got %v, want context.Canceled", err)
	}
	// Its giving up did not cancel the token request, still held.
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("the caller that waited: %v", err)
	}
	if ok, _ := fetchCtxErr.Load().(bool); !ok {
		t.Error("the token request's context was cancelled")
	}
	tok, err := src.Token(context.Background())
	if err != nil || tok.AccessToken != "access-1" {
		t.Fatalf("later caller got %v, %v; want the fetched token", tok, err)
	}
	if n := tokens.requests.Load(); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
}

// A 401 reported for a token that is no longer the current one returns the
// current token without another request.
func TestStale401DoesNotRefreshAgain(t *testing.T) {
	tokens := newTokenServer(t, 3600)
	src := auth.ClientCredentials(tokens.config())
	ctx := context.Background()
	t1, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t2, err := src.Refresh(ctx, t1)
	if err != nil {
		t.Fatal(err)
	}
	if t2.AccessToken == t1.AccessToken {
		t.Fatalf("Refresh of the current token returned it again")
	}
	// A late 401 for t1 (a request sent before the refresh) must not
	// refresh again.
	t3, err := src.Refresh(ctx, t1)
	if err != nil {
		t.Fatal(err)
	}
	if t3.AccessToken != t2.AccessToken {
		t.Errorf("stale Refresh returned %s, want the current %s", t3.AccessToken, t2.AccessToken)
	}
	if n := tokens.requests.Load(); n != 2 {
		t.Errorf("%d token requests, want 2 (first token, one refresh)", n)
	}

	// Through the SDK: a call that got a 401 for a token that another call
	// already replaced replays with the new one and makes no request.
	api := newAPIServer(t, func(tok string) bool { return tok == t2.AccessToken })
	stale := &fixedFirst{src: src, first: t1}
	c := newClient(t, api.URL, sdk.WithTokenSource(stale))
	if err := call(ctx, c); err != nil {
		t.Fatal(err)
	}
	if n := tokens.requests.Load(); n != 2 {
		t.Errorf("%d token requests after a stale 401, want still 2", n)
	}
}

// fixedFirst returns first on its first Token call, then delegates: a
// request that went out with a token that was replaced meanwhile.
type fixedFirst struct {
	src   *auth.Source
	first *sdk.Token
	used  atomic.Bool
}

func (f *fixedFirst) Token(ctx context.Context) (*sdk.Token, error) {
	if f.used.CompareAndSwap(false, true) {
		return f.first, nil
	}
	return f.src.Token(ctx)
}

func (f *fixedFirst) Refresh(ctx context.Context, failed *sdk.Token) (*sdk.Token, error) {
	return f.src.Refresh(ctx, failed)
}

// A refresh that fails is a typed error keeping the endpoint's error code
// and description, reachable through the SDK's AuthError; no secret shows
// in its string, even when the server echoes one.
func TestRefreshFailureIsTypedError(t *testing.T) {
	tokens := newTokenServer(t, 3600)
	tokens.rotate = true
	api := newAPIServer(t, func(string) bool { return false })
	src := auth.RefreshToken(tokens.config(), auth.WithToken(&sdk.Token{AccessToken: "old-access", RefreshToken: "refresh-stored-xyz", Expiry: time.Now().Add(time.Hour)}))
	// The stored refresh token is unknown to the server: it answers
	// invalid_grant, echoing the refresh token in its description.
	var logs bytes.Buffer
	c := newClient(t, api.URL, sdk.WithTokenSource(src), sdk.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	err := call(context.Background(), c)
	var te *auth.TokenError
	if !errors.As(err, &te) {
		t.Fatalf("got %T %v, want a *auth.TokenError", err, err)
	}
	var ae *sdk.AuthError
	if !errors.As(err, &ae) {
		t.Errorf("got %T, want it wrapped in *sdk.AuthError", err)
	}
	if te.Code != "invalid_grant" || !strings.Contains(te.Description, "is not current") || te.StatusCode != http.StatusBadRequest || te.Grant != "refresh_token" {
		t.Errorf("TokenError = %+v", te)
	}
	for _, secret := range []string{"refresh-stored-xyz", clientSecret, "old-access"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error string leaks %q: %s", secret, err)
		}
		if strings.Contains(logs.String(), secret) {
			t.Errorf("logs leak %q", secret)
		}
	}
	if !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("error string %q lacks the error code", err)
	}
	if n := tokens.requests.Load(); n != 1 {
		t.Errorf("%d token requests, want 1 (the failed request is not repeated)", n)
	}

	// A client credentials failure with a non-JSON body keeps the status.
	tokens.setFail(func(int) (int, string) { return http.StatusBadGateway, "<html>bad gateway</html>" })
	_, err = auth.ClientCredentials(tokens.config()).Token(context.Background())
	if !errors.As(err, &te) || te.StatusCode != http.StatusBadGateway || te.Code != "" {
		t.Fatalf("got %v, want a TokenError with status 502", err)
	}
}

// When the server refuses the new token too, the call ends with the 401:
// one refresh, one replay, no loop.
func TestNoRefreshLoop(t *testing.T) {
	tokens := newTokenServer(t, 3600)
	api := newAPIServer(t, func(string) bool { return false })
	src := auth.ClientCredentials(tokens.config())
	c := newClient(t, api.URL, sdk.WithTokenSource(src), sdk.WithMaxRetries(3))
	err := call(context.Background(), c)
	var apiErr *sdk.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("got %v, want the 401", err)
	}
	if n := tokens.requests.Load(); n != 2 {
		t.Errorf("%d token requests, want 2 (first token, one refresh)", n)
	}
	if n := api.total(); n != 2 {
		t.Errorf("%d API requests, want 2 (the call and one replay)", n)
	}
}

// The replay after a 401 sends the request body again.
func TestReplayAfter401SendsTheBody(t *testing.T) {
	tokens := newTokenServer(t, 3600)
	api := newAPIServer(t, func(tok string) bool { return tok == "access-1" })
	src := auth.ClientCredentials(tokens.config(), auth.WithToken(&sdk.Token{AccessToken: "revoked"}))
	c := newClient(t, api.URL, sdk.WithTokenSource(src))
	op := &sdk.Operation{ID: "createThing", Method: http.MethodPost, Path: "/things"}
	const payload = `{"name":"Rex"}`
	resp, err := sdkimpl.Do(context.Background(), c, op, func(server string) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodPost, strings.TrimSuffix(server, "/")+"/things", strings.NewReader(payload))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	api.mu.Lock()
	defer api.mu.Unlock()
	if len(api.bodies) != 2 || api.bodies[0] != payload || api.bodies[1] != payload {
		t.Errorf("bodies sent: %q, want the payload twice", api.bodies)
	}
}

// A body that cannot be replayed (no GetBody) leaves the 401 standing.
func TestNoReplayWithoutGetBody(t *testing.T) {
	tokens := newTokenServer(t, 3600)
	api := newAPIServer(t, func(tok string) bool { return tok == "access-1" })
	src := auth.ClientCredentials(tokens.config(), auth.WithToken(&sdk.Token{AccessToken: "revoked"}))
	c := newClient(t, api.URL, sdk.WithTokenSource(src))
	op := &sdk.Operation{ID: "upload", Method: http.MethodPost, Path: "/things"}
	_, err := sdkimpl.Do(context.Background(), c, op, func(server string) (*http.Request, error) {
		return http.NewRequest(http.MethodPost, strings.TrimSuffix(server, "/")+"/things", io.NopCloser(strings.NewReader("stream")))
	})
	var apiErr *sdk.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("got %v, want the 401", err)
	}
	if n := tokens.requests.Load(); n != 0 {
		t.Errorf("%d token requests for a call that cannot be replayed", n)
	}
}

// Tokens are refreshed ahead of expiry: not before margin+jitter, always
// by margin. Between the two, when exactly is random.
func TestProactiveRefresh(t *testing.T) {
	clk := newClock()
	tokens := newTokenServer(t, 3600)
	src := auth.ClientCredentials(tokens.config(), auth.WithClock(clk.Now), auth.WithRefreshMargin(time.Minute, 30*time.Second))
	ctx := context.Background()
	t1, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := clk.Now().Add(time.Hour); !t1.Expiry.Equal(want) {
		t.Errorf("expiry %v, want %v (expires_in on the source's clock)", t1.Expiry, want)
	}
	clk.Advance(time.Hour - 91*time.Second)
	if tok, _ := src.Token(ctx); tok.AccessToken != t1.AccessToken || tokens.requests.Load() != 1 {
		t.Fatalf("refreshed before the window")
	}
	clk.Advance(32 * time.Second) // 59 s before expiry
	tok, err := src.Token(ctx)
	if err != nil || tok.AccessToken == t1.AccessToken || tokens.requests.Load() != 2 {
		t.Fatalf("not refreshed 59 s before expiry: %v, %v", tok, err)
	}
}

// Jitter spreads the refreshes of sources that got their tokens together,
// within [margin, margin+jitter] before expiry.
func TestRefreshJitterSpreads(t *testing.T) {
	start := time.Now()
	expiry := start.Add(time.Hour)
	seen := map[time.Duration]bool{}
	for range 50 {
		clk := &clock{now: expiry.Add(-92 * time.Second)}
		fetches := 0
		src := auth.NewSource(func(context.Context, *sdk.Token) (*sdk.Token, error) {
			fetches++
			return &sdk.Token{AccessToken: "new", Expiry: expiry.Add(time.Hour)}, nil
		}, auth.WithClock(clk.Now), auth.WithToken(&sdk.Token{AccessToken: "a", Expiry: expiry}),
			auth.WithRefreshMargin(time.Minute, 30*time.Second))
		// The clock starts past the token's first quarter, so the caps do
		// not apply; step it a second at a time to the refresh.
		for fetches == 0 {
			if _, err := src.Token(context.Background()); err != nil {
				t.Fatal(err)
			}
			if fetches == 0 {
				clk.Advance(time.Second)
			}
		}
		seen[expiry.Sub(clk.Now())] = true
	}
	if len(seen) < 5 {
		t.Errorf("refresh points %v: jitter does not spread them", seen)
	}
	for d := range seen {
		if d < 59*time.Second || d > 91*time.Second {
			t.Errorf("refresh %v before expiry, outside [60s, 90s]", d)
		}
	}
}

// Short-lived tokens are used for at least half their life: the margin is
// capped at a quarter of it (jitter too).
func TestShortLivedTokensAreNotRefreshedAtOnce(t *testing.T) {
	clk := newClock()
	tokens := newTokenServer(t, 4)
	src := auth.ClientCredentials(tokens.config(), auth.WithClock(clk.Now))
	ctx := context.Background()
	if _, err := src.Token(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Advance(1999 * time.Millisecond)
	if _, err := src.Token(ctx); err != nil || tokens.requests.Load() != 1 {
		t.Fatalf("a 4 s token was refreshed within its first half")
	}
	clk.Advance(2 * time.Second)
	if _, err := src.Token(ctx); err != nil || tokens.requests.Load() != 2 {
		t.Fatalf("an expired token was not refreshed")
	}
}

// When a proactive refresh fails while the token still works, callers keep
// the token, and the endpoint is not asked again on every call.
func TestFailedProactiveRefreshKeepsValidToken(t *testing.T) {
	clk := newClock()
	tokens := newTokenServer(t, 3600)
	src := auth.ClientCredentials(tokens.config(), auth.WithClock(clk.Now), auth.WithRefreshMargin(time.Minute, 0))
	ctx := context.Background()
	t1, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tokens.setFail(func(int) (int, string) { return http.StatusServiceUnavailable, `{"error":"temporarily_unavailable"}` })
	clk.Advance(time.Hour - 30*time.Second)
	for range 10 {
		tok, err := src.Token(ctx)
		if err != nil || tok.AccessToken != t1.AccessToken {
			t.Fatalf("got %v, %v; want the still valid token", tok, err)
		}
	}
	if n := tokens.requests.Load(); n != 2 {
		t.Errorf("%d token requests, want 2 (one failed refresh, then a pause)", n)
	}
	clk.Advance(6 * time.Second)
	tokens.setFail(nil)
	if tok, err := src.Token(ctx); err != nil || tok.AccessToken == t1.AccessToken {
		t.Fatalf("got %v, %v; want a new token after the pause", tok, err)
	}
	// Once the token has expired, a failure is an error.
	tokens.setFail(func(int) (int, string) { return http.StatusServiceUnavailable, `{"error":"temporarily_unavailable"}` })
	clk.Advance(2 * time.Hour)
	if _, err := src.Token(ctx); err == nil {
		t.Fatal("an expired token was returned after a failed refresh")
	}
}

// Auth runs inside the retry layer: a retried attempt asks the source
// again and carries the fresh token.
func TestRetriedAttemptCarriesFreshToken(t *testing.T) {
	clk := newClock()
	tokens := newTokenServer(t, 3600)
	var attempts atomic.Int32
	api := newAPIServer(t, func(string) bool { return true })
	api.handler = func(w http.ResponseWriter, r *http.Request) {
		if attempts.Add(1) == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "{}")
	}
	src := auth.ClientCredentials(tokens.config(), auth.WithClock(clk.Now))
	// The wait between attempts lasts past the token's expiry.
	sleeper := sleeperFunc(func(d time.Duration) { clk.Advance(2 * time.Hour) })
	c, err := sdk.NewClient(api.URL, sdk.WithHTTPClient(&http.Client{Transport: newTransport(t)}), sdk.WithTokenSource(src), sdk.WithSleeper(sleeper), sdk.WithMaxRetries(2))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := call(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if api.count("access-1") != 1 || api.count("access-2") != 1 {
		t.Errorf("tokens sent: %v; want access-1 on the first attempt, access-2 on the retry", api.seen)
	}
}

type sleeperFunc func(time.Duration)

func (f sleeperFunc) Sleep(ctx context.Context, d time.Duration) error {
	f(d)
	return ctx.Err()
}

func (f sleeperFunc) Now() time.Time { return time.Now() }

// OnTokenChange sees every new token in order, rotated refresh tokens
// included, before the callers get it; each refresh sends the latest
// refresh token.
func TestOnTokenChangeAndRotation(t *testing.T) {
	tokens := newTokenServer(t, 3600)
	tokens.rotate = true
	tokens.live["refresh-0"] = true
	var mu sync.Mutex
	var changes []string
	src := auth.RefreshToken(tokens.config(),
		auth.WithToken(&sdk.Token{RefreshToken: "refresh-0"}),
		auth.WithOnTokenChange(func(t *sdk.Token) error {
			mu.Lock()
			changes = append(changes, t.AccessToken+"/"+t.RefreshToken)
			mu.Unlock()
			return nil
		}))
	ctx := context.Background()
	tok, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if tok, err = src.Refresh(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"access-1/refresh-1", "access-2/refresh-2", "access-3/refresh-3"}
	if strings.Join(changes, " ") != strings.Join(want, " ") {
		t.Errorf("changes %v, want %v", changes, want)
	}
	for i, rt := range []string{"refresh-0", "refresh-1", "refresh-2"} {
		if got := tokens.form(i).Get("refresh_token"); got != rt {
			t.Errorf("request %d sent refresh token %q, want %q", i+1, got, rt)
		}
	}

	// A hook that fails: the waiting calls get a PersistError, later ones
	// the token.
	failing := auth.ClientCredentials(tokens.config(), auth.WithOnTokenChange(func(*sdk.Token) error { return errors.New("disk full") }))
	_, err = failing.Token(ctx)
	var pe *auth.PersistError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a *auth.PersistError", err)
	}
	if tok, err := failing.Token(ctx); err != nil || tok == nil {
		t.Fatalf("after a failed persist: %v, %v", tok, err)
	}
}

// A source without a refresh token says so.
func TestRefreshTokenWithoutOne(t *testing.T) {
	src := auth.RefreshToken(auth.Config{TokenURL: "https://auth.invalid/token"})
	if _, err := src.Token(context.Background()); !errors.Is(err, auth.ErrNoRefreshToken) {
		t.Fatalf("got %v, want ErrNoRefreshToken", err)
	}
}

// A panicking fetcher fails the waiting calls instead of blocking them.
func TestPanickingFetcher(t *testing.T) {
	src := auth.NewSource(func(context.Context, *sdk.Token) (*sdk.Token, error) { panic("boom") })
	if _, err := src.Token(context.Background()); err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("got %v", err)
	}
}

// Token requests never pass through the SDK's layers: neither call nor
// attempt middleware sees them, nor does the SDK's logger.
func TestTokenRequestsBypassTheSDKChain(t *testing.T) {
	tokens := newTokenServer(t, 3600)
	api := newAPIServer(t, func(tok string) bool { return tok == "access-2" })
	var mu sync.Mutex
	var seen []string
	record := func(next http.RoundTripper) http.RoundTripper {
		return sdk.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			seen = append(seen, r.URL.Host)
			mu.Unlock()
			return next.RoundTrip(r)
		})
	}
	var logs bytes.Buffer
	src := auth.ClientCredentials(tokens.config())
	c := newClient(t, api.URL, sdk.WithTokenSource(src), sdk.WithMiddleware(record), sdk.WithAttemptMiddleware(record),
		sdk.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	// access-1 is refused, so the call also refreshes after a 401.
	if err := call(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if n := tokens.requests.Load(); n != 2 {
		t.Fatalf("%d token requests, want 2", n)
	}
	tokenHost := strings.TrimPrefix(tokens.URL, "http://")
	mu.Lock()
	defer mu.Unlock()
	for _, h := range seen {
		if h == tokenHost {
			t.Errorf("middleware saw a token request")
		}
	}
	if len(seen) != 3 { // the call once, two attempts (the 401 and the replay)
		t.Errorf("middleware saw %d requests, want 3: %v", len(seen), seen)
	}
	if strings.Contains(logs.String(), tokenHost) {
		t.Errorf("the SDK logged a token request:\n%s", logs.String())
	}
}
