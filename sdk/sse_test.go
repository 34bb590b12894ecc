package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// sseServer is a streaming httptest server: each request is a connection,
// numbered from 1, served by handle, which writes events with send (each
// write is flushed at once). It records the requests and which
// connections saw the client go away.
type sseServer struct {
	*httptest.Server
	mu    sync.Mutex
	reqs  []*http.Request
	times []time.Time // when each connection arrived
	ends  []time.Time // when each handler returned
	gone  chan int    // connections whose client went away
}

type sseConn struct {
	n int
	w http.ResponseWriter
	r *http.Request
}

// send writes s and flushes it; it reports false once the client is gone.
func (c *sseConn) send(s string) bool {
	if _, err := io.WriteString(c.w, s); err != nil {
		return false
	}
	c.w.(http.Flusher).Flush()
	return c.r.Context().Err() == nil
}

// hold waits until the client goes away (or 10 s, so a broken test ends).
func (c *sseConn) hold() {
	select {
	case <-c.r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

func newSSEServer(t *testing.T, handle func(c *sseConn)) *sseServer {
	t.Helper()
	s := &sseServer{gone: make(chan int, 16)}
	var n atomic.Int32
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := int(n.Add(1))
		s.mu.Lock()
		s.reqs = append(s.reqs, r.Clone(context.Background()))
		s.times = append(s.times, time.Now())
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.ends = append(s.ends, time.Now())
			s.mu.Unlock()
		}()
		w.Header().Set("Content-Type", "text/event-stream")
		c := &sseConn{n: k, w: w, r: r}
		handle(c)
		if r.Context().Err() != nil {
			s.gone <- k
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *sseServer) requests() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Request(nil), s.reqs...)
}

type tick struct {
	N     int    `json:"n"`
	Label string `json:"label"`
}

var streamOp = &Operation{ID: "watchTicks", Method: http.MethodGet, Path: "/ticks", Stream: &EventStream{Terminal: "done"}}

// collect ranges over a stream, stopping after stop events when stop > 0,
// and returns the events and the error it ended with.
func collectEvents[T any](seq func(func(Event[T], error) bool), stop int) ([]Event[T], error) {
	var evs []Event[T]
	for ev, err := range seq {
		if err != nil {
			return evs, err
		}
		evs = append(evs, ev)
		if stop > 0 && len(evs) == stop {
			break
		}
	}
	return evs, nil
}

func asStreamError(t *testing.T, err error) *StreamError {
	t.Helper()
	var se *StreamError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T), want a *StreamError", err, err)
	}
	return se
}

// Typed events decode from a real streaming server, ids and types are
// kept, and the terminal event ends the stream cleanly. The request asks
// for an event stream.
func TestEventsDecode(t *testing.T) {
	srv := newSSEServer(t, func(c *sseConn) {
		c.send(": hello\n\n")
		c.send("id: 1\ndata: {\"n\":1,\n")
		time.Sleep(10 * time.Millisecond) // an event split across writes
		c.send("data: \"label\":\"one\"}\n\n")
		c.send("event: tick\nid: 2\ndata: {\"n\":2,\"label\":\"two\"}\n\n")
		c.send("event: done\ndata: {\"n\":3}\n\n")
		c.send("data: {\"n\":4}\n\n") // after the terminal event: never read
		c.hold()
	})
	c := newTestClient(t, srv.URL)
	evs, err := collectEvents(jsonEvents[tick](context.Background(), c, streamOp, get("/ticks")), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []Event[tick]{
		{ID: "1", Type: "message", Data: tick{1, "one"}, Raw: "{\"n\":1,\n\"label\":\"one\"}"},
		{ID: "2", Type: "tick", Data: tick{2, "two"}, Raw: `{"n":2,"label":"two"}`},
		{ID: "2", Type: "done", Data: tick{N: 3}, Raw: `{"n":3}`},
	}
	if fmt.Sprint(evs) != fmt.Sprint(want) {
		t.Errorf("events\n%+v\nwant\n%+v", evs, want)
	}
	r := srv.requests()[0]
	if r.Header.Get("Accept") != "text/event-stream" || r.Header.Get("Cache-Control") != "no-cache" || r.Header.Get("Last-Event-ID") != "" {
		t.Errorf("request headers %v", r.Header)
	}
	select {
	case <-srv.gone:
	case <-time.After(5 * time.Second):
		t.Error("the connection stayed open after the terminal event")
	}
}

// A dropped stream reconnects with Last-Event-ID and waits the server's
// retry field (on the injected sleeper); every reconnection is a new call
// through the layers: middleware and auth see each one.
func TestEventsReconnectWithLastEventID(t *testing.T) {
	srv := newSSEServer(t, func(c *sseConn) {
		switch c.n {
		case 1:
			c.send("retry: 1500\nid: a1\ndata: one\n\nid: a2\ndata: two\n\n")
			// Then the server goes away.
		case 2:
			c.send("data: three\n\n") // inherits id a2
			c.send(": no id, but the stream can still resume from a2\n\n")
			// Dropped again.
		case 3:
			c.send("id: a4\ndata: four\n\nevent: done\n\n")
			c.hold()
		}
	})
	clock := newFakeClock()
	var calls atomic.Int32
	var retries []RetryEvent
	c := newTestClient(t, srv.URL, WithSleeper(clock), WithBearerToken("tok"),
		WithMiddleware(func(next http.RoundTripper) http.RoundTripper {
			return RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
				calls.Add(1)
				return next.RoundTrip(r)
			})
		}),
		WithOnRetry(func(ev RetryEvent) { retries = append(retries, ev) }))
	evs, err := collectEvents(textEvents(context.Background(), c, streamOp, get("/ticks")), 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		got = append(got, ev.ID+"="+ev.Data)
	}
	if want := "[a1=one a2=two a2=three a4=four]"; fmt.Sprint(got) != want {
		t.Errorf("events %v, want %s", got, want)
	}
	reqs := srv.requests()
	if len(reqs) != 3 || calls.Load() != 3 {
		t.Fatalf("%d connections, %d calls through the middleware; want 3", len(reqs), calls.Load())
	}
	for i, want := range []string{"", "a2", "a2"} {
		if got := reqs[i].Header.Get("Last-Event-ID"); got != want {
			t.Errorf("connection %d: Last-Event-ID %q, want %q", i+1, got, want)
		}
		if reqs[i].Header.Get("Authorization") != "Bearer tok" {
			t.Errorf("connection %d carried no credentials", i+1)
		}
	}
	if d := clock.Delays(); fmt.Sprint(d) != "[1.5s 1.5s]" {
		t.Errorf("waits %v, want the server's retry of 1.5s before each reconnection", d)
	}
	if len(retries) != 2 || retries[0].Attempt != 1 || retries[1].Attempt != 2 || !errors.Is(retries[0].Err, ErrStreamEnded) {
		t.Errorf("retry hooks saw %+v", retries)
	}
}

// With the real sleeper, the reconnection really waits the server's retry
// (here under the floor, which wins).
func TestEventsReconnectWaitsRetry(t *testing.T) {
	srv := newSSEServer(t, func(c *sseConn) {
		if c.n == 1 {
			c.send("retry: 150\nid: 1\ndata: one\n\n")
			return
		}
		c.send("event: done\n\n")
		c.hold()
	})
	c := newTestClient(t, srv.URL)
	if _, err := collectEvents(textEvents(context.Background(), c, streamOp, get("/ticks")), 0); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	gap := srv.times[1].Sub(srv.ends[0])
	srv.mu.Unlock()
	if gap < minReconnectDelay || gap > 3*time.Second {
		t.Errorf("reconnected %v after the drop, want the server's 150ms raised to the floor of %v", gap, minReconnectDelay)
	} else {
		t.Logf("reconnected %v after the drop (retry: 150, floor %v)", gap, minReconnectDelay)
	}
}

// A silent server trips the idle timeout: with nothing to resume from, the
// stream fails with a typed error soon after the timeout.
func TestEventsIdleTimeout(t *testing.T) {
	srv := newSSEServer(t, func(c *sseConn) {
		c.send("data: one\n\n")
		c.hold() // silent from now on
	})
	c := newTestClient(t, srv.URL, WithIdleTimeout(150*time.Millisecond))
	start := time.Now()
	evs, err := collectEvents(textEvents(context.Background(), c, streamOp, get("/ticks")), 0)
	elapsed := time.Since(start)
	se := asStreamError(t, err)
	var ite *IdleTimeoutError
	if !errors.As(err, &ite) || ite.After != 150*time.Millisecond {
		t.Fatalf("error %v, want an IdleTimeoutError", err)
	}
	if len(evs) != 1 || se.Delivered != 1 || se.Reason != "the server sent no event id to resume from" {
		t.Errorf("%d events; error %+v", len(evs), se)
	}
	if elapsed < 150*time.Millisecond || elapsed > 3*time.Second {
		t.Errorf("failed after %v, want about 150ms", elapsed)
	}
	t.Logf("idle timeout reported after %v: %v", elapsed, err)
	select {
	case <-srv.gone:
	case <-time.After(5 * time.Second):
		t.Error("the server never saw the idle connection closed")
	}
}

// Time the caller spends on an event is not idle time: only the waits for
// the server count.
func TestEventsIdleTimeoutIgnoresSlowCaller(t *testing.T) {
	srv := newSSEServer(t, func(c *sseConn) {
		c.send("data: one\n\ndata: two\n\n")
		time.Sleep(50 * time.Millisecond)
		c.send("event: done\n\n")
		c.hold()
	})
	c := newTestClient(t, srv.URL, WithIdleTimeout(100*time.Millisecond))
	n := 0
	for _, err := range textEvents(context.Background(), c, streamOp, get("/ticks")) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		time.Sleep(150 * time.Millisecond) // longer than the idle timeout
	}
	if n != 2 || len(srv.requests()) != 1 {
		t.Errorf("%d events over %d connections", n, len(srv.requests()))
	}
}

// An idle stream that can be resumed is reconnected.
func TestEventsIdleTimeoutReconnects(t *testing.T) {
	srv := newSSEServer(t, func(c *sseConn) {
		if c.n == 1 {
			c.send("id: 1\ndata: one\n\n")
			c.hold()
			return
		}
		c.send("id: 2\ndata: two\n\nevent: done\n\n")
		c.hold()
	})
	c := newTestClient(t, srv.URL, WithIdleTimeout(100*time.Millisecond), WithSleeper(newFakeClock()))
	evs, err := collectEvents(textEvents(context.Background(), c, streamOp, get("/ticks")), 0)
	if err != nil || len(evs) != 2 {
		t.Fatalf("%v, %v", evs, err)
	}
	if id := srv.requests()[1].Header.Get("Last-Event-ID"); id != "1" {
		t.Errorf("Last-Event-ID %q", id)
	}
}

// An error event mid-stream is a typed error carrying the event.
func TestEventsErrorEvent(t *testing.T) {
	srv := newSSEServer(t, func(c *sseConn) {
		c.send("id: 7\ndata: {\"n\":1}\n\nevent: error\ndata: {\"message\":\"overloaded\"}\n\n")
		c.hold()
	})
	c := newTestClient(t, srv.URL)
	evs, err := collectEvents(jsonEvents[tick](context.Background(), c, streamOp, get("/ticks")), 0)
	se := asStreamError(t, err)
	var ee *ErrorEvent
	if !errors.As(err, &ee) || ee.Data != `{"message":"overloaded"}` || ee.ID != "7" {
		t.Fatalf("error %v, want an ErrorEvent", err)
	}
	if len(evs) != 1 || se.Delivered != 1 || se.LastEventID != "7" || se.Reconnects != 0 {
		t.Errorf("%d events, %+v", len(evs), se)
	}
	if len(srv.requests()) != 1 {
		t.Errorf("an error event was reconnected")
	}
	t.Log(err)
}

// A stream that ends before its terminal event, and cannot be resumed, is
// a typed error; one that can be resumed but keeps ending without news
// gives up after MaxRetries reconnections.
func TestEventsEOFBeforeTerminal(t *testing.T) {
	t.Run("no id", func(t *testing.T) {
		srv := newSSEServer(t, func(c *sseConn) { c.send("data: one\n\ndata: two\n\ndata: unfinished") })
		c := newTestClient(t, srv.URL, WithSleeper(newFakeClock()))
		evs, err := collectEvents(textEvents(context.Background(), c, streamOp, get("/ticks")), 0)
		se := asStreamError(t, err)
		if !errors.Is(err, ErrStreamEnded) || len(evs) != 2 || se.Delivered != 2 || se.Reconnects != 0 {
			t.Errorf("%d events, %v", len(evs), err)
		}
		if len(srv.requests()) != 1 {
			t.Errorf("%d connections, want 1", len(srv.requests()))
		}
		t.Log(err)
	})
	t.Run("resumable", func(t *testing.T) {
		srv := newSSEServer(t, func(c *sseConn) {
			if c.n == 1 {
				c.send("id: 1\ndata: one\n\n")
			}
		})
		clock := newFakeClock()
		c := newTestClient(t, srv.URL, WithSleeper(clock), WithMaxRetries(2))
		evs, err := collectEvents(textEvents(context.Background(), c, streamOp, get("/ticks")), 0)
		se := asStreamError(t, err)
		if !errors.Is(err, ErrStreamEnded) || len(evs) != 1 || se.Reconnects != 2 || se.LastEventID != "1" ||
			se.Reason != "2 reconnects in a row without an event" {
			t.Errorf("%d events, %+v", len(evs), se)
		}
		if len(srv.requests()) != 3 || len(clock.Delays()) != 2 {
			t.Errorf("%d connections, waits %v", len(srv.requests()), clock.Delays())
		}
	})
	t.Run("no terminal declared", func(t *testing.T) {
		srv := newSSEServer(t, func(c *sseConn) { c.send("data: one\n\n") })
		c := newTestClient(t, srv.URL)
		op := &Operation{ID: "watch", Method: http.MethodGet}
		_, err := collectEvents(textEvents(context.Background(), c, op, get("/ticks")), 0)
		if !errors.Is(err, ErrStreamEnded) {
			t.Errorf("a stream without a terminal event ended with %v", err)
		}
	})
}

// Before the first event reaches the caller a dropped connection is
// retried even without an id; a 204 answer to a reconnection ends the
// stream cleanly.
func TestEventsRetryBeforeFirstEventAnd204(t *testing.T) {
	srv := newSSEServer(t, func(c *sseConn) {
		switch c.n {
		case 1:
			c.send(": connected, then dropped\n\n")
		case 2:
			c.send("id: x\ndata: one\n\n")
		case 3:
			c.w.WriteHeader(http.StatusNoContent)
		}
	})
	c := newTestClient(t, srv.URL, WithSleeper(newFakeClock()))
	evs, err := collectEvents(textEvents(context.Background(), c, streamOp, get("/ticks")), 0)
	if err != nil || len(evs) != 1 || len(srv.requests()) != 3 {
		t.Fatalf("%v, %v over %d connections", evs, err, len(srv.requests()))
	}
}

// Breaking out of the loop closes the connection at once: the server sees
// the client go away while it is still streaming.
func TestEventsBreakClosesConnection(t *testing.T) {
	srv := newSSEServer(t, func(c *sseConn) {
		start := time.Now()
		for i := 0; time.Since(start) < 10*time.Second; i++ { // bounded, so a failing test ends
			if !c.send(fmt.Sprintf("id: %d\ndata: %d\n\n", i, i)) {
				return
			}
			select {
			case <-c.r.Context().Done():
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	c := newTestClient(t, srv.URL)
	evs, err := collectEvents(textEvents(context.Background(), c, streamOp, get("/ticks")), 3)
	if err != nil || len(evs) != 3 {
		t.Fatal(evs, err)
	}
	start := time.Now()
	select {
	case n := <-srv.gone:
		t.Logf("the server saw connection %d closed %v after the break", n, time.Since(start))
	case <-time.After(5 * time.Second):
		t.Fatal("the server never saw the connection closed")
	}
}

// Cancelling the context ends the stream with a typed error that wraps
// context.Canceled, and closes the connection.
func TestEventsContextCancel(t *testing.T) {
	srv := newSSEServer(t, func(c *sseConn) {
		c.send("id: 1\ndata: one\n\n")
		c.hold()
	})
	c := newTestClient(t, srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var err error
	n := 0
	for _, e := range textEvents(ctx, c, streamOp, get("/ticks")) {
		if e != nil {
			err = e
			break
		}
		n++
		cancel()
	}
	se := asStreamError(t, err)
	if !errors.Is(err, context.Canceled) || n != 1 || se.Reconnects != 0 {
		t.Errorf("%d events, %v", n, err)
	}
	select {
	case <-srv.gone:
	case <-time.After(5 * time.Second):
		t.Fatal("the server never saw the connection closed")
	}
}

// The per-attempt timeout bounds the wait for headers only: a stream that
// lasts many times longer is not cut, and not reconnected.
func TestEventsOutliveAttemptTimeout(t *testing.T) {
	srv := newSSEServer(t, func(c *sseConn) {
		for i := range 8 {
			c.send(fmt.Sprintf("data: %d\n\n", i))
			time.Sleep(40 * time.Millisecond)
		}
		c.send("event: done\n\n")
		c.hold()
	})
	c := newTestClient(t, srv.URL, WithAttemptTimeout(50*time.Millisecond))
	start := time.Now()
	evs, err := collectEvents(textEvents(context.Background(), c, streamOp, get("/ticks")), 0)
	if err != nil || len(evs) != 8 || len(srv.requests()) != 1 {
		t.Fatalf("%d events, %v, %d connections", len(evs), err, len(srv.requests()))
	}
	t.Logf("a %v stream under a 50ms attempt timeout", time.Since(start).Round(time.Millisecond))
}

// Data that does not decode, and lines over the limit, are typed errors
// with the event's id and the field; they are never retried.
func TestEventsMalformed(t *testing.T) {
	t.Run("json", func(t *testing.T) {
		srv := newSSEServer(t, func(c *sseConn) {
			c.send("id: 1\ndata: {\"n\":1}\n\nid: 2\nevent: tick\ndata: {\"n\":\"two\"}\n\n")
			c.hold()
		})
		c := newTestClient(t, srv.URL)
		evs, err := collectEvents(jsonEvents[tick](context.Background(), c, streamOp, get("/ticks")), 0)
		asStreamError(t, err)
		var fe *EventFormatError
		if !errors.As(err, &fe) || fe.EventID != "2" || fe.Type != "tick" || fe.Field != "data" || string(fe.Data) != `{"n":"two"}` {
			t.Fatalf("error %v", err)
		}
		if len(evs) != 1 || len(srv.requests()) != 1 {
			t.Errorf("%d events, %d connections", len(evs), len(srv.requests()))
		}
		t.Log(err)
	})
	t.Run("long line", func(t *testing.T) {
		srv := newSSEServer(t, func(c *sseConn) {
			c.send("id: 1\ndata: " + strings.Repeat("x", 5000))
			c.hold()
		})
		c := newTestClient(t, srv.URL, WithMaxEventSize(1000))
		_, err := collectEvents(textEvents(context.Background(), c, streamOp, get("/ticks")), 0)
		var fe *EventFormatError
		if !errors.As(err, &fe) || !errors.Is(err, ErrEventTooLarge) || fe.Field != "data" || fe.EventID != "1" {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("not an event stream", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{}`)
		}))
		defer srv.Close()
		c := newTestClient(t, srv.URL)
		_, err := collectEvents(textEvents(context.Background(), c, streamOp, get("/ticks")), 0)
		var de *DecodeError
		if !errors.As(err, &de) || de.ContentType != "application/json" {
			t.Fatalf("error %v", err)
		}
	})
}

// The connection's own failures are the call's errors, as for any method;
// a POST without an Idempotency-Key is never repeated; a server asking
// for a wait past MaxRetryAfter is refused.
func TestEventsConnectAndReconnectRules(t *testing.T) {
	t.Run("connect error", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "nope", http.StatusNotFound)
		}))
		defer srv.Close()
		c := newTestClient(t, srv.URL)
		_, err := collectEvents(textEvents(context.Background(), c, streamOp, get("/ticks")), 0)
		var ae *APIError
		var se *StreamError
		if !errors.As(err, &ae) || ae.StatusCode != 404 || errors.As(err, &se) {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("POST", func(t *testing.T) {
		srv := newSSEServer(t, func(c *sseConn) { c.send(": dropped before any event\n\n") })
		c := newTestClient(t, srv.URL, WithSleeper(newFakeClock()))
		op := &Operation{ID: "chat", Method: http.MethodPost, Stream: &EventStream{Terminal: "done"}}
		post := func(server string) (*http.Request, error) {
			return http.NewRequest(http.MethodPost, server+"chat", nil)
		}
		_, err := collectEvents(textEvents(context.Background(), c, op, post), 0)
		se := asStreamError(t, err)
		if se.Reason != "a POST without an Idempotency-Key is never reconnected" || len(srv.requests()) != 1 {
			t.Fatalf("%v after %d connections", err, len(srv.requests()))
		}
		// With a key, it is, and the key is the same.
		srv2 := newSSEServer(t, func(c *sseConn) {
			if c.n == 1 {
				c.send(": dropped\n\n")
				return
			}
			c.send("event: done\n\n")
			c.hold()
		})
		c2 := newTestClient(t, srv2.URL, WithSleeper(newFakeClock()))
		op.Idempotent = true
		if _, err := collectEvents(textEvents(context.Background(), c2, op, post), 0); err != nil {
			t.Fatal(err)
		}
		reqs := srv2.requests()
		if len(reqs) != 2 || reqs[0].Header.Get("Idempotency-Key") == "" || reqs[0].Header.Get("Idempotency-Key") != reqs[1].Header.Get("Idempotency-Key") {
			t.Errorf("%d connections, keys %q", len(reqs), []string{reqs[0].Header.Get("Idempotency-Key"), reqs[len(reqs)-1].Header.Get("Idempotency-Key")})
		}
	})
	t.Run("retry too long", func(t *testing.T) {
		srv := newSSEServer(t, func(c *sseConn) { c.send("retry: 60000\nid: 1\ndata: one\n\n") })
		c := newTestClient(t, srv.URL, WithSleeper(newFakeClock()))
		_, err := collectEvents(textEvents(context.Background(), c, streamOp, get("/ticks")), 0)
		var tl *RetryAfterTooLongError
		if !errors.As(err, &tl) || tl.Requested != time.Minute {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("retries disabled", func(t *testing.T) {
		srv := newSSEServer(t, func(c *sseConn) { c.send("id: 1\ndata: one\n\n") })
		c := newTestClient(t, srv.URL, WithoutRetries())
		_, err := collectEvents(textEvents(context.Background(), c, streamOp, get("/ticks")), 0)
		if se := asStreamError(t, err); se.Reason != "retries are disabled" || len(srv.requests()) != 1 {
			t.Fatalf("%v", err)
		}
	})
	t.Run("caller's Last-Event-ID", func(t *testing.T) {
		srv := newSSEServer(t, func(c *sseConn) {
			if c.n == 1 {
				c.send("id: 41\ndata: one\n\n")
				return
			}
			c.send("event: done\n\n")
			c.hold()
		})
		c := newTestClient(t, srv.URL, WithSleeper(newFakeClock()))
		if _, err := collectEvents(textEvents(context.Background(), c, streamOp, get("/ticks"), WithHeader("Last-Event-ID", "40")), 0); err != nil {
			t.Fatal(err)
		}
		reqs := srv.requests()
		if reqs[0].Header.Get("Last-Event-ID") != "40" || reqs[1].Header.Get("Last-Event-ID") != "41" {
			t.Errorf("Last-Event-ID %q then %q", reqs[0].Header.Get("Last-Event-ID"), reqs[1].Header.Get("Last-Event-ID"))
		}
	})
	t.Run("bad options", func(t *testing.T) {
		c := newTestClient(t, "http://127.0.0.1:1")
		for _, o := range []Option{WithIdleTimeout(-1), WithMaxEventSize(0)} {
			_, err := collectEvents(textEvents(context.Background(), c, streamOp, get("/ticks"), o), 0)
			var oe *OptionError
			if !errors.As(err, &oe) {
				t.Errorf("error %v", err)
			}
		}
	})
}

// A server that says retry: 0 (or none) and closes each connection after
// one event does not get a reconnection storm: every reconnection waits at
// least 500 ms, the floor Firefox's EventSource puts under the retry field
// (MIN_RECONNECTION_TIME_VALUE). Each event resets the count of
// reconnections without one, so the policy's retries never run out; before,
// retry: 0 reconnected about 10,000 times a second.
func TestEventsReconnectionFloor(t *testing.T) {
	for name, first := range map[string]string{"retry: 0": "retry: 0\n", "no retry field": ""} {
		t.Run(name, func(t *testing.T) {
			srv := newSSEServer(t, func(c *sseConn) {
				prefix := ""
				if c.n == 1 {
					prefix = first
				}
				if c.n == 20 {
					c.send(fmt.Sprintf("id: %d\ndata: last\n\nevent: done\n\n", c.n))
					c.hold()
					return
				}
				c.send(fmt.Sprintf("%sid: %d\ndata: x\n\n", prefix, c.n))
			})
			clock := newFakeClock()
			c := newTestClient(t, srv.URL, WithSleeper(clock))
			evs, err := collectEvents(textEvents(context.Background(), c, streamOp, get("/ticks")), 0)
			if err != nil || len(evs) != 20 {
				t.Fatalf("%d events, %v", len(evs), err)
			}
			delays := clock.Delays()
			if len(delays) != 19 {
				t.Fatalf("%d waits, want 19", len(delays))
			}
			for i, d := range delays {
				if d < 500*time.Millisecond {
					t.Fatalf("reconnection %d waited %v, under the 500ms floor", i+1, d)
				}
			}
		})
	}
}
