package streams_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sdkgen-go/sdkgen/internal/testsdk/streams"
	"github.com/sdkgen-go/sdkgen/sdk"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// server is a streaming httptest server. Each request is a connection,
// numbered from 1; handle writes to it with send, which flushes every
// write. It records the requests and reports connections whose client
// went away.
type server struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []request
	gone   chan int
	handle func(c *conn)
}

type request struct {
	Method, Path, Query string
	Header              http.Header
	Body                string
}

type conn struct {
	n int
	w http.ResponseWriter
	r *http.Request
}

func (c *conn) send(s string) bool {
	if _, err := io.WriteString(c.w, s); err != nil {
		return false
	}
	c.w.(http.Flusher).Flush()
	return c.r.Context().Err() == nil
}

// hold keeps the stream open until the client leaves (10 s at most, so a
// failing test still ends).
func (c *conn) hold() {
	select {
	case <-c.r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

func newServer(t *testing.T, handle func(c *conn)) *server {
	t.Helper()
	s := &server{gone: make(chan int, 16), handle: handle}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, request{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(body)})
		n := len(s.reqs)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		s.handle(&conn{n: n, w: w, r: r})
		if r.Context().Err() != nil {
			s.gone <- n
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) requests() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]request(nil), s.reqs...)
}

func newClient(t *testing.T, url string, opts ...sdk.Option) *streams.Client {
	t.Helper()
	c, err := streams.NewClient(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// sleeper records the waits asked of it and returns at once.
type sleeper struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (s *sleeper) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.delays = append(s.delays, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeper) Now() time.Time { return time.Now() }

// Typed events (a component schema) decode through the generated method;
// the query parameter is sent, the terminal event "done" from
// x-sdkgen-stream ends the stream cleanly.
func TestWatchTicks(t *testing.T) {
	srv := newServer(t, func(c *conn) {
		c.send("retry: 1000\n\n")
		for i := 1; i <= 3; i++ {
			c.send(fmt.Sprintf("id: %d\nevent: tick\ndata: {\"symbol\":\"ACME\",\"price\":%d.25,\"seq\":%d}\n\n", i, 40+i, i))
			time.Sleep(5 * time.Millisecond)
		}
		c.send("event: done\n\n")
		c.hold()
	})
	c := newClient(t, srv.URL)
	var got []string
	for ev, err := range c.Ticks.WatchTicks(context.Background(), &streams.WatchTicksParams{Symbol: "ACME"}) {
		if err != nil {
			t.Fatal(err)
		}
		var tick streams.Tick = ev.Data
		got = append(got, fmt.Sprintf("%s/%s/%s/%.2f/%d", ev.ID, ev.Type, tick.Symbol, tick.Price, tick.Seq))
	}
	if want := "[1/tick/ACME/41.25/1 2/tick/ACME/42.25/2 3/tick/ACME/43.25/3]"; fmt.Sprint(got) != want {
		t.Errorf("events %v, want %s", got, want)
	}
	r := srv.requests()[0]
	if r.Path != "/ticks" || r.Query != "symbol=ACME" || r.Header.Get("Accept") != "text/event-stream" {
		t.Errorf("request %+v", r)
	}
}

// An array schema decodes each event into a slice.
func TestWatchTickBatches(t *testing.T) {
	srv := newServer(t, func(c *conn) {
		c.send(`data: [{"symbol":"A","price":1,"seq":1},{"symbol":"B","price":2,"seq":2}]` + "\n\n")
		c.send("data: []\n\nevent: done\ndata: []\n\n")
		c.hold()
	})
	c := newClient(t, srv.URL)
	var sizes []int
	for ev, err := range c.Ticks.WatchTickBatches(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		var batch []streams.Tick = ev.Data
		sizes = append(sizes, len(batch))
	}
	if fmt.Sprint(sizes) != "[2 0 0]" {
		t.Errorf("batch sizes %v (the terminal event carries data and is yielded)", sizes)
	}
}

// A string schema gives the raw data, multi-line data included; the
// terminal event type comes from sdkgen.yaml.
func TestFollowJobLogs(t *testing.T) {
	srv := newServer(t, func(c *conn) {
		c.send("data: building\r\n\r\ndata: step 1\r\ndata: step 2\r\n\r\ndata: {not json}\n\nevent: eof\n\n")
		c.hold()
	})
	c := newClient(t, srv.URL)
	var got []string
	for ev, err := range c.Jobs.FollowJobLogs(context.Background(), "job 7") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.Data)
	}
	if want := []string{"building", "step 1\nstep 2", "{not json}"}; fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Errorf("lines %q, want %q", got, want)
	}
	if p := srv.requests()[0].Path; p != "/jobs/job%207/logs" && p != "/jobs/job 7/logs" {
		t.Errorf("path %q", p)
	}
}

// A POST stream (an inline object schema, terminal data "[DONE]" from
// sdkgen.yaml, idempotent): the body is sent, a connection dropped before
// the first event is made again with the same body and Idempotency-Key,
// and [DONE] ends the stream without being yielded.
func TestChat(t *testing.T) {
	srv := newServer(t, func(c *conn) {
		if c.n == 1 {
			c.send(": accepted, then dropped\n\n")
			return
		}
		for i, d := range []string{"Hel", "lo"} {
			c.send(fmt.Sprintf("data: {\"index\":%d,\"delta\":%q}\n\n", i, d))
		}
		c.send("data: [DONE]\n\n")
		c.hold()
	})
	sl := &sleeper{}
	c := newClient(t, srv.URL, sdk.WithSleeper(sl))
	var answer strings.Builder
	for ev, err := range c.Chat.Chat(context.Background(), streams.ChatJSONRequestBody{Prompt: "hi"}) {
		if err != nil {
			t.Fatal(err)
		}
		var delta streams.ChatEvent = ev.Data
		answer.WriteString(delta.Delta)
	}
	if answer.String() != "Hello" {
		t.Errorf("answer %q", answer.String())
	}
	reqs := srv.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d connections, want 2", len(reqs))
	}
	for _, r := range reqs {
		var body map[string]string
		if r.Method != http.MethodPost || json.Unmarshal([]byte(r.Body), &body) != nil || body["prompt"] != "hi" {
			t.Errorf("request %s %q", r.Method, r.Body)
		}
	}
	if k := reqs[0].Header.Get("Idempotency-Key"); k == "" || reqs[1].Header.Get("Idempotency-Key") != k {
		t.Errorf("keys %q and %q", k, reqs[1].Header.Get("Idempotency-Key"))
	}
	if len(sl.delays) != 1 {
		t.Errorf("waits %v", sl.delays)
	}
}

// Reconnection through the generated method: each reconnection is a new
// call carrying the client's credentials and Last-Event-ID, after the
// server's retry.
func TestReconnectResumes(t *testing.T) {
	srv := newServer(t, func(c *conn) {
		switch c.n {
		case 1:
			c.send("retry: 1500\nid: 10\nevent: tick\ndata: {\"symbol\":\"A\",\"price\":1,\"seq\":10}\n\n")
		case 2:
			c.send("id: 11\nevent: tick\ndata: {\"symbol\":\"A\",\"price\":2,\"seq\":11}\n\nevent: done\n\n")
			c.hold()
		}
	})
	sl := &sleeper{}
	c := newClient(t, srv.URL, sdk.WithSleeper(sl), sdk.WithBearerToken("secret"))
	var seqs []int64
	for ev, err := range c.Ticks.WatchTicks(context.Background(), &streams.WatchTicksParams{Symbol: "A"}) {
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, ev.Data.Seq)
	}
	reqs := srv.requests()
	if fmt.Sprint(seqs) != "[10 11]" || len(reqs) != 2 {
		t.Fatalf("seqs %v over %d connections", seqs, len(reqs))
	}
	if reqs[1].Header.Get("Last-Event-ID") != "10" || reqs[1].Query != "symbol=A" || reqs[1].Header.Get("Authorization") != "Bearer secret" {
		t.Errorf("reconnection %+v", reqs[1])
	}
	if fmt.Sprint(sl.delays) != "[1.5s]" {
		t.Errorf("waits %v, want the server's 1.5s", sl.delays)
	}
}

// The declared error of the connection comes out of the first iteration,
// as the declared type; an error event and an early end are
// *sdk.StreamError values.
func TestStreamErrors(t *testing.T) {
	t.Run("declared 404", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"title":"unknown symbol","detail":"ZZZ"}`)
		}))
		defer srv.Close()
		c := newClient(t, srv.URL)
		n := 0
		for _, err := range c.Ticks.WatchTicks(context.Background(), &streams.WatchTicksParams{Symbol: "ZZZ"}) {
			n++
			var pe *streams.ProblemError
			if !errors.As(err, &pe) || pe.Body.Detail != "ZZZ" {
				t.Fatalf("error %v", err)
			}
		}
		if n != 1 {
			t.Errorf("%d iterations, want 1", n)
		}
	})
	t.Run("error event", func(t *testing.T) {
		srv := newServer(t, func(c *conn) {
			c.send("id: 1\ndata: {\"symbol\":\"A\",\"price\":1,\"seq\":1}\n\nevent: error\ndata: market closed\n\n")
			c.hold()
		})
		c := newClient(t, srv.URL)
		var last error
		n := 0
		for _, err := range c.Ticks.WatchTicks(context.Background(), &streams.WatchTicksParams{Symbol: "A"}) {
			if err != nil {
				last = err
				break
			}
			n++
		}
		var se *sdk.StreamError
		var ee *sdk.ErrorEvent
		if n != 1 || !errors.As(last, &se) || !errors.As(last, &ee) || ee.Data != "market closed" || se.LastEventID != "1" {
			t.Fatalf("%d events, then %v", n, last)
		}
	})
	t.Run("end without terminal", func(t *testing.T) {
		srv := newServer(t, func(c *conn) {
			switch c.n {
			case 1:
				c.send("id: 5\ndata: hello\n\n") // then closed: resumable
			default:
				c.w.WriteHeader(http.StatusNoContent) // nothing more: a clean end
			}
		})
		c := newClient(t, srv.URL, sdk.WithSleeper(&sleeper{}))
		var got []string
		for ev, err := range c.Default.ListenNotifications(context.Background()) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ev.Data)
		}
		if fmt.Sprint(got) != "[hello]" || len(srv.requests()) != 2 {
			t.Errorf("%v over %d connections", got, len(srv.requests()))
		}

		// Without an id to resume from, the same close is an error.
		srv2 := newServer(t, func(c *conn) { c.send("data: hello\n\n") })
		c2 := newClient(t, srv2.URL)
		var last error
		for _, err := range c2.Default.ListenNotifications(context.Background()) {
			last = err
		}
		if !errors.Is(last, sdk.ErrStreamEnded) {
			t.Errorf("error %v, want ErrStreamEnded", last)
		}
	})
	t.Run("malformed data", func(t *testing.T) {
		srv := newServer(t, func(c *conn) {
			c.send("id: 3\nevent: tick\ndata: {\"symbol\":\"A\",\"price\":\"high\"}\n\n")
			c.hold()
		})
		c := newClient(t, srv.URL)
		var last error
		for _, err := range c.Ticks.WatchTicks(context.Background(), &streams.WatchTicksParams{Symbol: "A"}) {
			last = err
		}
		var fe *sdk.EventFormatError
		if !errors.As(last, &fe) || fe.EventID != "3" || fe.Field != "data" {
			t.Fatalf("error %v", last)
		}
	})
}

// Breaking out of the loop closes the connection: the server sees it go,
// mid-stream.
func TestBreakClosesConnection(t *testing.T) {
	srv := newServer(t, func(c *conn) {
		start := time.Now()
		for i := 0; time.Since(start) < 10*time.Second; i++ {
			if !c.send(fmt.Sprintf("id: %d\ndata: note %d\n\n", i, i)) {
				return
			}
			select {
			case <-c.r.Context().Done():
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	c := newClient(t, srv.URL)
	n := 0
	for _, err := range c.Default.ListenNotifications(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 2 {
			break
		}
	}
	select {
	case <-srv.gone:
	case <-time.After(5 * time.Second):
		t.Fatal("the server never saw the connection closed")
	}
}

// A stream lasting well past the per-attempt timeout is not cut, and the
// idle timeout fires when the server goes silent.
func TestTimeouts(t *testing.T) {
	t.Run("attempt timeout", func(t *testing.T) {
		srv := newServer(t, func(c *conn) {
			for i := range 6 {
				c.send(fmt.Sprintf("data: line %d\n\n", i))
				time.Sleep(30 * time.Millisecond)
			}
			c.send("event: eof\n\n")
			c.hold()
		})
		c := newClient(t, srv.URL, sdk.WithAttemptTimeout(40*time.Millisecond))
		n := 0
		for _, err := range c.Jobs.FollowJobLogs(context.Background(), "j") {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != 6 || len(srv.requests()) != 1 {
			t.Errorf("%d lines over %d connections", n, len(srv.requests()))
		}
	})
	t.Run("idle timeout", func(t *testing.T) {
		srv := newServer(t, func(c *conn) {
			c.send("data: line 0\n\n")
			c.hold()
		})
		c := newClient(t, srv.URL, sdk.WithIdleTimeout(100*time.Millisecond))
		var last error
		for _, err := range c.Jobs.FollowJobLogs(context.Background(), "j") {
			last = err
		}
		var ite *sdk.IdleTimeoutError
		if !errors.As(last, &ite) {
			t.Fatalf("error %v", last)
		}
	})
}

// The generated interface lets tests fake a stream.
func TestFakeStream(t *testing.T) {
	var api streams.JobsAPI = fakeJobs{}
	var got []string
	for ev, err := range api.FollowJobLogs(context.Background(), "j") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.Data)
	}
	if fmt.Sprint(got) != "[a b]" {
		t.Errorf("%v", got)
	}
}

type fakeJobs struct{}

func (fakeJobs) FollowJobLogs(ctx context.Context, jobId string, opts ...sdk.Option) iter.Seq2[sdk.Event[string], error] {
	return func(yield func(sdk.Event[string], error) bool) {
		for _, l := range []string{"a", "b"} {
			if !yield(sdk.Event[string]{Type: "message", Data: l, Raw: l}, nil) {
				return
			}
		}
	}
}
