package rtdb_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sdkgen-go/sdkgen/internal/rtdbserver"
	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/auth"
	"github.com/sdkgen-go/sdkgen/sdk/firebase/rtdb"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// issuer mints tokens the test server accepts: each fetch a new one, valid
// for life.
type issuer struct {
	mu      sync.Mutex
	expiry  map[string]time.Time
	fetches atomic.Int64
	life    time.Duration
}

func newIssuer(life time.Duration) *issuer {
	return &issuer{expiry: map[string]time.Time{}, life: life}
}

func (is *issuer) verify(tok string) (time.Time, error) {
	is.mu.Lock()
	defer is.mu.Unlock()
	exp, ok := is.expiry[tok]
	if !ok {
		return time.Time{}, errors.New("unknown token")
	}
	return exp, nil
}

// source returns a refreshing token source over the issuer, as
// fbauth's is over Secure Token.
func (is *issuer) source() *auth.Source {
	return auth.NewSource(func(ctx context.Context, _ *sdk.Token) (*sdk.Token, error) {
		is.fetches.Add(1)
		b := make([]byte, 12)
		rand.Read(b)
		tok := "idtok-" + hex.EncodeToString(b)
		exp := time.Now().Add(is.life)
		is.mu.Lock()
		is.expiry[tok] = exp
		is.mu.Unlock()
		return &sdk.Token{AccessToken: tok, Expiry: exp}, nil
	}, auth.WithRefreshMargin(0, 0))
}

// serve starts h on addr (127.0.0.1:0 when empty).
func serve(t *testing.T, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func newDB(t *testing.T, o rtdbserver.Options) (*rtdbserver.Server, string) {
	t.Helper()
	db := rtdbserver.New(o)
	t.Cleanup(db.Close)
	srv := serve(t, "", db)
	return db, srv.URL
}

func newClient(t *testing.T, url string, opts ...rtdb.Option) *rtdb.Client {
	t.Helper()
	c, err := rtdb.NewClient(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

type Player struct {
	Name   string         `json:"name"`
	Score  int            `json:"score"`
	Tags   []string       `json:"tags,omitempty"`
	Scores map[string]int `json:"scores,omitempty"`
}

func TestReadsAndWrites(t *testing.T) {
	ctx := context.Background()
	is := newIssuer(time.Hour)
	db, url := newDB(t, rtdbserver.Options{Verify: is.verify})
	c := newClient(t, url, rtdb.WithIDTokens(is.source()))

	ada := c.Ref("players/ada")
	if err := rtdb.Set(ctx, ada, Player{Name: "Ada", Score: 3, Tags: []string{"a", "b"}}); err != nil {
		t.Fatal(err)
	}
	got, err := rtdb.Get[Player](ctx, ada)
	if err != nil || got.Name != "Ada" || got.Score != 3 || len(got.Tags) != 2 {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if err := rtdb.Update(ctx, c.Ref("players"), map[string]any{"ada/score": 7, "bob/name": "Bob"}); err != nil {
		t.Fatal(err)
	}
	if v := db.Value("players"); v != `{"ada":{"name":"Ada","score":7,"tags":{"0":"a","1":"b"}},"bob":{"name":"Bob"}}` {
		t.Fatalf("after update: %s", v)
	}
	msg, err := rtdb.Push(ctx, c.Ref("log"), "first")
	if err != nil || len(msg.Key()) != 20 || msg.Path() != "/log/"+msg.Key() {
		t.Fatalf("Push = %q, %v", msg.Path(), err)
	}
	second, _ := rtdb.Push(ctx, c.Ref("log"), "second")
	if second.Key() <= msg.Key() {
		t.Errorf("push ids out of order: %s then %s", msg.Key(), second.Key())
	}
	if err := rtdb.Delete(ctx, c.Ref("players/bob")); err != nil {
		t.Fatal(err)
	}
	missing, err := rtdb.Get[*Player](ctx, c.Ref("players/bob"))
	if err != nil || missing != nil {
		t.Fatalf("deleted value: %+v, %v", missing, err)
	}
}

func TestConditionalWrites(t *testing.T) {
	ctx := context.Background()
	_, url := newDB(t, rtdbserver.Options{})
	c := newClient(t, url)
	r := c.Ref("counter")
	if err := rtdb.Set(ctx, r, 1); err != nil {
		t.Fatal(err)
	}
	v, etag, err := rtdb.GetWithETag[int](ctx, r)
	if err != nil || v != 1 || etag == "" {
		t.Fatalf("GetWithETag = %d, %q, %v", v, etag, err)
	}
	next, err := rtdb.SetIf(ctx, r, 2, etag)
	if err != nil || next == "" || next == etag {
		t.Fatalf("SetIf = %q, %v", next, err)
	}
	// A writer holding the old ETag loses, and learns the current value.
	_, err = rtdb.SetIf(ctx, r, 10, etag)
	var ce *rtdb.ConflictError
	if !errors.As(err, &ce) || ce.ETag != next || string(ce.Current) != "2" {
		t.Fatalf("stale SetIf: %v (%+v), want a *ConflictError with 2 and the new ETag", err, ce)
	}
	if err := rtdb.DeleteIf(ctx, r, etag); !errors.As(err, &ce) {
		t.Fatalf("stale DeleteIf: %v", err)
	}
	if err := rtdb.DeleteIf(ctx, r, next); err != nil {
		t.Fatal(err)
	}
}

func TestBadPaths(t *testing.T) {
	c := newClient(t, "https://example.firebaseio.com")
	for _, p := range []string{"a.b", "x/$y", "#", "a/[0]", "ctl\x01", strings.Repeat("k", 769), strings.Repeat("a/", 33)} {
		_, err := rtdb.Get[any](context.Background(), c.Ref(p))
		var pe *rtdb.PathError
		if !errors.As(err, &pe) {
			t.Errorf("Get(%q): %v, want a *PathError", p, err)
		}
	}
	err := rtdb.Update(context.Background(), c.Ref("a"), map[string]any{"b.c": 1})
	var pe *rtdb.PathError
	if !errors.As(err, &pe) || pe.Path != "/a/b.c" {
		t.Errorf("Update with a bad key: %v", err)
	}
	if _, err := rtdb.NewClient("https://x.firebaseio.com?auth=secret"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("a credential in the URL: %v", err)
	}
}

type Log map[string]string

// The listener sees every write, in order, across a dropped connection and
// an auth_revoked: each snapshot holds writes 0..k-1 for a k that never
// decreases, and the last holds them all. Writes made while the listener
// is reconnecting arrive in the put that starts the new connection.
func TestListenAcrossDropAndRevoke(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	listenerTokens := newIssuer(time.Hour)
	writerTokens := newIssuer(time.Hour)
	verify := func(tok string) (time.Time, error) {
		if exp, err := listenerTokens.verify(tok); err == nil {
			return exp, nil
		}
		return writerTokens.verify(tok)
	}
	db, url := newDB(t, rtdbserver.Options{Verify: verify, KeepAlive: 200 * time.Millisecond})
	var logs bytes.Buffer
	src := listenerTokens.source()
	listener := newClient(t, url, rtdb.WithIDTokens(src),
		rtdb.WithSDKOptions(sdk.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))),
		rtdb.WithReconnect(sdk.RetryPolicy{MaxRetries: 5, BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond}))
	writer := newClient(t, url, rtdb.WithIDTokens(writerTokens.source()))

	const n = 150
	key := func(i int) string { return fmt.Sprintf("w%04d", i) }
	errc := make(chan error, 1)
	seen := make(chan int, 1)
	go func() {
		defer close(errc)
		for i := range n {
			if err := rtdb.Set(ctx, writer.Ref("log/"+key(i)), fmt.Sprint(i)); err != nil {
				errc <- err
				return
			}
			switch i {
			case 50:
				db.DropStreams() // a network failure
			case 100:
				tok, err := src.Token(ctx)
				if err != nil {
					errc <- err
					return
				}
				db.Revoke(tok.AccessToken) // auth_revoked, then 401 for that token
			}
			if i%10 == 0 { // let the listener catch up now and then
				select {
				case <-seen:
				case <-time.After(2 * time.Second):
				}
			}
		}
	}()

	var snapshots, last, resyncs, single int
	var events []string
	for snap, err := range rtdb.Listen[Log](ctx, listener.Ref("log")) {
		if err != nil {
			t.Fatalf("after %d snapshots: %v", snapshots, err)
		}
		snapshots++
		events = append(events, snap.Event)
		k := len(snap.Value)
		for i := range k {
			if snap.Value[key(i)] != fmt.Sprint(i) {
				t.Fatalf("snapshot %d holds %d writes but not write %d: out of order", snapshots, k, i)
			}
		}
		if k < last {
			t.Fatalf("snapshot %d holds %d writes, the one before %d", snapshots, k, last)
		}
		if snap.Changed == "/" {
			resyncs++ // a connection's first put: the whole log, writes made meanwhile included
		} else if k != last+1 || snap.Changed != "/"+key(k-1) {
			// On a live connection every write is its own event.
			t.Fatalf("snapshot %d changed %s and holds %d writes after %d: a write was skipped", snapshots, snap.Changed, k, last)
		} else {
			single++
		}
		last = k
		select {
		case seen <- k:
		default:
		}
		if k == n {
			break
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if last != n {
		t.Fatalf("the last snapshot holds %d writes, want %d", last, n)
	}
	streams := 0
	for _, r := range db.Requests() {
		if r.Stream {
			streams++
		}
	}
	if streams < 3 || listenerTokens.fetches.Load() < 2 {
		t.Errorf("%d stream connections and %d token fetches: want a reconnection after the drop and one after auth_revoked with a new token",
			streams, listenerTokens.fetches.Load())
	}
	t.Logf("%d writes seen in %d snapshots over %d connections (%d one event per write, %d in the puts that open a connection), %d tokens",
		n, snapshots, streams, single, n-single, listenerTokens.fetches.Load())
	if resyncs != streams {
		t.Errorf("%d connections but %d opening puts", streams, resyncs)
	}
	listenerTokens.mu.Lock()
	defer listenerTokens.mu.Unlock()
	for tok := range listenerTokens.expiry {
		if strings.Contains(logs.String(), tok) {
			t.Errorf("a token is in the logs")
		}
	}
}

func TestListenCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	db, url := newDB(t, rtdbserver.Options{})
	c := newClient(t, url)
	if err := rtdb.Set(ctx, c.Ref("room/topic"), "go"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for snap, err := range rtdb.Listen[map[string]string](ctx, c.Ref("room")) {
		if err != nil {
			var ce *rtdb.CancelError
			if !errors.As(err, &ce) || ce.Path != "/room" || ce.Reason != "Permission denied" {
				t.Fatalf("end: %v, want a *CancelError", err)
			}
			break
		}
		got = append(got, snap.Value["topic"])
		if len(got) == 1 {
			rtdb.Set(ctx, c.Ref("room/topic"), "rust")
		} else {
			db.Cancel("room", "Permission denied")
		}
	}
	if strings.Join(got, ",") != "go,rust" {
		t.Fatalf("snapshots %v", got)
	}
}

// The credential goes to the database and to the trusted host it redirects
// to, and nowhere else: not to a host an untrusted redirect leads to (in
// the query, a header or the Referer), and never into an error or a log.
func TestCredentialStaysWithTrustedHosts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	is := newIssuer(time.Hour)
	db := rtdbserver.New(rtdbserver.Options{Verify: is.verify})
	t.Cleanup(db.Close)
	real := serve(t, "", db)
	realByName := strings.Replace(real.URL, "127.0.0.1", "localhost", 1)
	front := serve(t, "", rtdbserver.Redirect(realByName)) // 307 to another host of the database

	// Another database on 127.0.0.2 that echoes what it was sent: a host
	// no one trusts.
	stranger := rtdbserver.New(rtdbserver.Options{Verify: is.verify})
	t.Cleanup(stranger.Close)
	strangerSrv := serve(t, "127.0.0.2:0", stranger)
	echo := serve(t, "", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":"bad credential `+r.URL.Query().Get("auth")+`"}`)
	}))
	hostile := serve(t, "", rtdbserver.Redirect(strangerSrv.URL))

	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	src := is.source()
	opts := []rtdb.Option{rtdb.WithIDTokens(src), rtdb.WithSDKOptions(sdk.WithLogger(logger), sdk.WithoutRetries()),
		rtdb.WithOnlyTrustedOrigins("http://localhost:" + real.URL[strings.LastIndexByte(real.URL, ':')+1:])}
	c := newClient(t, front.URL, opts...)

	// Through the trusted redirect: every kind of call works.
	r := c.Ref("scores/ada")
	if err := rtdb.Set(ctx, r, 1); err != nil {
		t.Fatal(err)
	}
	if err := rtdb.Update(ctx, c.Ref("scores"), map[string]any{"bob": 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := rtdb.Push(ctx, c.Ref("log"), "x"); err != nil {
		t.Fatal(err)
	}
	if v, err := rtdb.Get[map[string]int](ctx, c.Ref("scores")); err != nil || v["ada"] != 1 || v["bob"] != 2 {
		t.Fatalf("Get = %v, %v", v, err)
	}
	for snap, err := range rtdb.Listen[map[string]int](ctx, c.Ref("scores")) {
		if err != nil || snap.Value["bob"] != 2 {
			t.Fatalf("Listen: %+v, %v", snap, err)
		}
		break
	}
	for _, req := range db.Requests() {
		if !strings.Contains(req.RawQuery, "auth=idtok-") {
			t.Errorf("the database got %s %s without the credential", req.Method, req.Path)
		}
	}

	// Through the untrusted redirect: reads arrive without the credential
	// and are refused; writes are not followed at all.
	bad := newClient(t, hostile.URL, opts...)
	var errs []error
	_, err := rtdb.Get[int](ctx, bad.Ref("scores/ada"))
	errs = append(errs, err)
	errs = append(errs, rtdb.Set(ctx, bad.Ref("scores/ada"), 5))
	for _, err := range rtdb.Listen[int](ctx, bad.Ref("scores")) {
		errs = append(errs, err)
		break
	}
	// A server that echoes the credential in its error.
	echoing := newClient(t, echo.URL, opts...)
	_, err = rtdb.Get[int](ctx, echoing.Ref("x"))
	errs = append(errs, err)
	var re *rtdb.Error
	if !errors.As(err, &re) || re.StatusCode != 401 || !strings.Contains(re.Message, "[redacted]") {
		t.Errorf("echoing server: %v, want a 401 *rtdb.Error with the echo redacted", err)
	}
	for _, e := range errs {
		if e == nil {
			t.Fatal("a call through the untrusted redirect succeeded")
		}
	}
	if n := len(stranger.Requests()); n != 2 {
		t.Errorf("the stranger saw %d requests, want 2 (the read and the listen; the write is not followed)", n)
	}

	is.mu.Lock()
	defer is.mu.Unlock()
	if len(is.expiry) == 0 {
		t.Fatal("no token was issued")
	}
	for tok := range is.expiry {
		for _, req := range stranger.Requests() {
			if strings.Contains(req.RawQuery, tok) || strings.Contains(fmt.Sprint(req.Header), tok) {
				t.Errorf("the untrusted host got the credential: %s %s?%s %v", req.Method, req.Path, req.RawQuery, req.Header)
			}
			if ref := req.Header.Get("Referer"); strings.Contains(ref, "?") || strings.Contains(ref, ".json") {
				t.Errorf("the untrusted host got a Referer with path or query: %s", ref)
			}
		}
		for _, e := range errs {
			if strings.Contains(e.Error(), tok) {
				t.Errorf("an error holds the credential: %v", e)
			}
		}
		if strings.Contains(logs.String(), tok) {
			t.Errorf("the logs hold the credential")
		}
	}
}

// A server that revokes every credential at once does not keep a listener
// reconnecting for ever: revocations without an event count against
// WithReconnect's retries.
func TestListenGivesUpOnEndlessRevocation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var connections atomic.Int64
	srv := serve(t, "", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		connections.Add(1)
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "event: auth_revoked\ndata: \"credential is no longer valid\"\n\n")
	}))
	is := newIssuer(time.Hour)
	c := newClient(t, srv.URL, rtdb.WithIDTokens(is.source()),
		rtdb.WithReconnect(sdk.RetryPolicy{MaxRetries: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}))
	for _, err := range rtdb.Listen[any](ctx, c.Ref("x")) {
		var re *rtdb.Error
		if !errors.As(err, &re) || !strings.Contains(err.Error(), "revoked 4 times") {
			t.Fatalf("end: %v", err)
		}
	}
	if n := connections.Load(); n != 4 || is.fetches.Load() != 4 {
		t.Fatalf("%d connections, %d tokens; want 4 and 4", n, is.fetches.Load())
	}
}
