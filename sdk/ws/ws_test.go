package ws_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/ws"
)

// Typed messages go both ways, in order, with concurrent senders, through
// Receive and through the Messages iterator.
func TestTypedRoundTrips(t *testing.T) {
	leakCheck(t)
	srv := newServer(t)
	conn := dial(t, newClient(t, srv.URL), "echo")
	for i := range 20 {
		ev := roundTrip(t, conn, Command{Op: "ping", N: i})
		if ev.Conn != 1 {
			t.Fatalf("answer from connection %d", ev.Conn)
		}
	}

	const senders, each = 4, 50
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for g := range senders {
		wg.Go(func() {
			for i := range each {
				if err := conn.Send(ctx, Command{Op: "many", N: g*1000 + i}); err != nil {
					t.Errorf("send: %v", err)
					return
				}
			}
		})
	}
	got := map[int]bool{}
	last := map[int]int{}
	for ev, err := range conn.Messages(ctx) {
		if err != nil {
			t.Fatalf("messages: %v", err)
		}
		g, i := ev.N/1000, ev.N%1000
		if prev, ok := last[g]; ok && i <= prev {
			t.Errorf("sender %d: message %d after %d", g, i, prev)
		}
		last[g] = i
		got[ev.N] = true
		if len(got) == senders*each {
			break
		}
	}
	wg.Wait()
	if len(got) != senders*each {
		t.Errorf("got %d distinct messages, want %d", len(got), senders*each)
	}
	if n := srv.accepted.Load(); n != 1 {
		t.Errorf("%d connections", n)
	}
}

// A message that is not JSON of the right shape is a *DecodeError, and
// one over the read limit a *MessageTooLargeError; the connection stays
// open and the next message arrives.
func TestBadMessagesAreTypedErrors(t *testing.T) {
	leakCheck(t)
	srv := newServer(t, func(s *server) {
		s.serve = func(ctx context.Context, n int, c *websocket.Conn) error {
			for _, m := range []string{`not json`, `{"kind": 5}`, `{"kind":"` + strings.Repeat("x", 5000) + `"}`, `{"kind":"ok","n":1}`} {
				if err := c.Write(ctx, websocket.MessageText, []byte(m)); err != nil {
					return err
				}
			}
			_, _, err := c.Read(ctx)
			return err
		}
	})
	conn := dial(t, newClient(t, srv.URL), "x", ws.WithReadLimit(1024))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	_, err := conn.Receive(ctx)
	de, ok := as[*ws.DecodeError](err)
	var syn *json.SyntaxError
	if !ok || !errors.As(err, &syn) || string(de.Data) != "not json" || de.Size != 8 || de.Type != "ws_test.Event" {
		t.Fatalf("first message: %v", err)
	}
	_, err = conn.Receive(ctx)
	var ute *json.UnmarshalTypeError
	if _, ok := as[*ws.DecodeError](err); !ok || !errors.As(err, &ute) {
		t.Fatalf("second message: %v", err)
	}
	_, err = conn.Receive(ctx)
	tl, ok := as[*ws.MessageTooLargeError](err)
	if !ok || tl.Limit != 1024 || tl.Size != 5011 {
		t.Fatalf("third message: %v", err)
	}
	ev, err := conn.Receive(ctx)
	if err != nil || ev.Kind != "ok" {
		t.Fatalf("fourth message: %+v, %v", ev, err)
	}
	if n := srv.accepted.Load(); n != 1 {
		t.Errorf("%d connections; the bad messages should not have dropped it", n)
	}
	t.Logf("%v", de)
}

// When the server drops the connection (a killed TCP connection, or a
// close frame), the connection reconnects, tells the caller with the
// attempt number and the cause, and later messages flow on the new one.
func TestReconnectAfterServerDrop(t *testing.T) {
	leakCheck(t)
	for _, tc := range []struct {
		op    string
		check func(error) bool
	}{
		{"kill", func(err error) bool { return err != nil }},
		{"close", func(err error) bool {
			ce, ok := as[*ws.ServerCloseError](err)
			return ok && ce.Code == 1001 && ce.Reason == "restarting"
		}},
	} {
		t.Run(tc.op, func(t *testing.T) {
			srv := newServer(t)
			evs := newEvents()
			conn := dial(t, newClient(t, srv.URL), "x", fast, evs.option())
			roundTrip(t, conn, Command{Op: "a", N: 1})
			start := time.Now()
			if err := conn.Send(context.Background(), Command{Op: tc.op}); err != nil {
				t.Fatal(err)
			}
			ev := evs.next(t)
			if ev.Attempt != 1 || ev.Err != nil || !tc.check(ev.Cause) {
				t.Fatalf("event %+v (cause %v)", ev, ev.Cause)
			}
			t.Logf("reconnected %s after the drop; cause: %v", time.Since(start).Round(time.Millisecond), ev.Cause)
			for i := range 3 {
				if got := roundTrip(t, conn, Command{Op: "b", N: i}); got.Conn != 2 {
					t.Fatalf("answer from connection %d, want 2", got.Conn)
				}
			}
			if n := srv.accepted.Load(); n != 2 {
				t.Errorf("%d connections, want 2", n)
			}
		})
	}
}

// A Send made while the connection is down waits for the reconnect and is
// delivered once, on the new connection.
func TestSendDuringReconnectWaitsAndIsSentOnce(t *testing.T) {
	leakCheck(t)
	srv := newServer(t, func(s *server) {
		s.refuse = func(k int, _ *http.Request) int {
			if k == 2 || k == 3 {
				return http.StatusServiceUnavailable
			}
			return 0
		}
	})
	evs := newEvents()
	conn := dial(t, newClient(t, srv.URL), "x", evs.option(),
		ws.WithReconnect(sdk.RetryPolicy{MaxRetries: 5, BaseDelay: 60 * time.Millisecond, MaxDelay: 60 * time.Millisecond}))
	roundTrip(t, conn, Command{Op: "a"})
	if err := conn.Send(context.Background(), Command{Op: "kill"}); err != nil {
		t.Fatal(err)
	}
	first := evs.next(t)
	if de, ok := as[*ws.DialError](first.Err); !ok || de.StatusCode != http.StatusServiceUnavailable || first.Attempt != 1 {
		t.Fatalf("first attempt: %+v", first)
	}
	// The connection is down now, until the third attempt.
	sent := make(chan time.Time, 1)
	go func() {
		if err := conn.Send(context.Background(), Command{Op: "during", N: 7}); err != nil {
			t.Errorf("send during reconnect: %v", err)
		}
		sent <- time.Now()
	}()
	if ev := evs.next(t); ev.Attempt != 2 || ev.Err == nil {
		t.Fatalf("second attempt: %+v", ev)
	}
	third := evs.next(t)
	connected := time.Now()
	if third.Attempt != 3 || third.Err != nil {
		t.Fatalf("third attempt: %+v", third)
	}
	at := <-sent
	if at.Before(connected.Add(-50 * time.Millisecond)) {
		t.Errorf("Send returned %s before the reconnect", connected.Sub(at))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ev, err := conn.Receive(ctx)
	if err != nil || ev.N != 7 || ev.Conn != 2 {
		t.Fatalf("answer %+v, %v", ev, err)
	}
	count := 0
	for _, c := range srv.commands() {
		if c.Op == "during" {
			count++
		}
	}
	if count != 1 {
		t.Errorf("the server received the message %d times", count)
	}
}

// Reconnecting gives up on a status no retry can fix, when the attempts
// run out, or at once when it is off; Receive and Send then fail with a
// *ConnectionLostError that says why, and a Send waiting on its context
// while reconnecting fails with a *SendError saying nothing was sent.
func TestReconnectGivesUp(t *testing.T) {
	leakCheck(t)
	cases := []struct {
		name     string
		status   int
		opts     []ws.Option
		attempts int
	}{
		{"forbidden", http.StatusForbidden, []ws.Option{fast}, 1},
		{"attempts run out", http.StatusServiceUnavailable, []ws.Option{ws.WithReconnect(sdk.RetryPolicy{MaxRetries: 3, BaseDelay: 5 * time.Millisecond})}, 3},
		{"off", 0, []ws.Option{ws.WithoutReconnect()}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, func(s *server) {
				s.refuse = func(k int, _ *http.Request) int {
					if k > 1 {
						return tc.status
					}
					return 0
				}
			})
			conn := dial(t, newClient(t, srv.URL), "x", tc.opts...)
			if err := conn.Send(context.Background(), Command{Op: "kill"}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := conn.Receive(ctx)
			lost, ok := as[*ws.ConnectionLostError](err)
			if !ok || lost.Cause == nil || lost.Attempts != tc.attempts {
				t.Fatalf("got %v; want a ConnectionLostError after %d attempts", err, tc.attempts)
			}
			if tc.status != 0 {
				de, ok := as[*ws.DialError](lost.Err)
				ae, ok2 := as[*sdk.APIError](err)
				if !ok || !ok2 || de.StatusCode != tc.status || ae.StatusCode != tc.status {
					t.Errorf("last attempt: %v", lost.Err)
				}
			}
			err = conn.Send(ctx, Command{Op: "late"})
			se, ok := as[*ws.SendError](err)
			if _, lostToo := as[*ws.ConnectionLostError](err); !ok || se.MaybeSent || !lostToo {
				t.Errorf("send after giving up: %v", err)
			}
			t.Logf("%v", lost)
		})
	}

	// A Send whose context ends while reconnecting reports that nothing
	// was sent.
	srv := newServer(t, func(s *server) {
		s.refuse = func(k int, _ *http.Request) int {
			if k > 1 {
				return http.StatusServiceUnavailable
			}
			return 0
		}
	})
	evs := newEvents()
	conn := dial(t, newClient(t, srv.URL), "x", evs.option(), ws.WithReconnect(sdk.RetryPolicy{MaxRetries: 100, BaseDelay: 20 * time.Millisecond, MaxDelay: 20 * time.Millisecond}))
	if err := conn.Send(context.Background(), Command{Op: "kill"}); err != nil {
		t.Fatal(err)
	}
	evs.next(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := conn.Send(ctx, Command{Op: "never"})
	if se, ok := as[*ws.SendError](err); !ok || se.MaybeSent || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("send while down: %v", err)
	}
}

// A server's Retry-After on a refused handshake is obeyed, up to the
// policy's MaxRetryAfter; past it, reconnecting stops.
func TestReconnectHonoursRetryAfter(t *testing.T) {
	leakCheck(t)
	srv := newServer(t, func(s *server) {
		s.retryAfter = "1"
		s.refuse = func(k int, r *http.Request) int {
			if k == 2 {
				return http.StatusTooManyRequests
			}
			return 0
		}
	})
	evs := newEvents()
	conn := dial(t, newClient(t, srv.URL), "x", evs.option(), fast)
	if err := conn.Send(context.Background(), Command{Op: "kill"}); err != nil {
		t.Fatal(err)
	}
	if ev := evs.next(t); ev.Err == nil {
		t.Fatalf("first attempt: %+v", ev)
	}
	ev := evs.next(t)
	if ev.Err != nil || ev.Delay < time.Second {
		t.Fatalf("second attempt waited %s (%v); want the server's 1s", ev.Delay, ev.Err)
	}

	// Past MaxRetryAfter the connection gives up.
	srv2 := newServer(t, func(s *server) {
		s.retryAfter = "3600"
		s.refuse = func(k int, r *http.Request) int {
			if k > 1 {
				return http.StatusServiceUnavailable
			}
			return 0
		}
	})
	conn2 := dial(t, newClient(t, srv2.URL), "x", ws.WithReconnect(sdk.RetryPolicy{MaxRetries: 5, BaseDelay: 5 * time.Millisecond, MaxRetryAfter: time.Second}))
	if err := conn2.Send(context.Background(), Command{Op: "kill"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := conn2.Receive(ctx)
	if lost, ok := as[*ws.ConnectionLostError](err); !ok || lost.Attempts != 1 {
		t.Fatalf("got %v; want to give up after the first attempt", err)
	}
}

// The connection ends with Close and with the client's Close: blocked
// calls return ErrClosed, the server gets a close frame with status 1000,
// and no goroutine is left.
func TestCloseEndsEverything(t *testing.T) {
	leakCheck(t)
	t.Run("Conn.Close", func(t *testing.T) {
		srv := newServer(t)
		conn := dial(t, newClient(t, srv.URL), "x")
		roundTrip(t, conn, Command{Op: "a"})
		got := make(chan error, 1)
		go func() {
			_, err := conn.Receive(context.Background())
			got <- err
		}()
		conn.Close()
		if err := <-got; !errors.Is(err, ws.ErrClosed) {
			t.Errorf("blocked Receive: %v", err)
		}
		if err := conn.Send(context.Background(), Command{}); !errors.Is(err, ws.ErrClosed) {
			t.Errorf("Send after Close: %v", err)
		}
		conn.Close()
		srv.shutdown()
		if srv.closes == nil || srv.closes[0] != int(websocket.StatusNormalClosure) {
			t.Errorf("the server saw close statuses %v", srv.closes)
		}
		for range conn.Messages(context.Background()) {
			t.Error("Messages yielded after Close")
		}
	})
	t.Run("Client.Close", func(t *testing.T) {
		srv := newServer(t)
		c := newClient(t, srv.URL)
		conn := dial(t, c, "x")
		conn2 := dial(t, c, "y")
		roundTrip(t, conn, Command{Op: "a"})
		roundTrip(t, conn2, Command{Op: "a"})
		c.Close()
		for _, cn := range []*ws.Conn[Event, Command]{conn, conn2} {
			if _, err := cn.Receive(context.Background()); !errors.Is(err, ws.ErrClosed) {
				t.Errorf("Receive after the client's Close: %v", err)
			}
		}
		_, err := ws.Dial[Event, Command](context.Background(), c, "x")
		if de, ok := as[*ws.DialError](err); !ok || !errors.Is(de, sdk.ErrClientClosed) {
			t.Errorf("Dial after the client's Close: %v", err)
		}
	})
	t.Run("while reconnecting", func(t *testing.T) {
		srv := newServer(t, func(s *server) {
			s.refuse = func(k int, _ *http.Request) int {
				if k > 1 {
					return http.StatusServiceUnavailable
				}
				return 0
			}
		})
		evs := newEvents()
		conn := dial(t, newClient(t, srv.URL), "x", evs.option(), ws.WithReconnect(sdk.RetryPolicy{MaxRetries: 10, BaseDelay: 10 * time.Millisecond, MaxDelay: time.Hour}))
		if err := conn.Send(context.Background(), Command{Op: "kill"}); err != nil {
			t.Fatal(err)
		}
		evs.next(t)
		evs.next(t)
		start := time.Now()
		conn.Close()
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("Close took %s during a backoff", d)
		}
	})
	t.Run("unresponsive server", func(t *testing.T) {
		release := make(chan struct{})
		srv := newServer(t, func(s *server) {
			s.serve = func(ctx context.Context, n int, c *websocket.Conn) error {
				// Never reads again, so never answers the close frame.
				select {
				case <-ctx.Done():
				case <-release:
				}
				return nil
			}
		})
		defer close(release)
		conn := dial(t, newClient(t, srv.URL), "x", ws.WithPingInterval(0))
		start := time.Now()
		conn.Close()
		d := time.Since(start)
		if d > 2*time.Second {
			t.Errorf("Close took %s with a server that does not answer", d)
		}
		t.Logf("Close with an unresponsive server took %s", d.Round(time.Millisecond))
	})
}

// Dial options and arguments are checked before anything is sent.
func TestDialRefusesBadOptions(t *testing.T) {
	c := newClient(t, "http://127.0.0.1:1")
	for _, o := range []ws.Option{ws.WithPingInterval(-1), ws.WithPongTimeout(0), ws.WithReadLimit(0), ws.WithDialTimeout(-1), ws.WithReconnect(sdk.RetryPolicy{MaxRetries: -1})} {
		if _, err := ws.Dial[Event, Command](context.Background(), c, "x", o); err == nil {
			t.Errorf("option accepted")
		} else if _, ok := as[*sdk.OptionError](err); !ok {
			t.Errorf("got %v; want an OptionError", err)
		}
	}
	if _, err := ws.Dial[Event, Command](context.Background(), nil, "x"); err == nil {
		t.Error("nil client accepted")
	}
	_, err := ws.Dial[Event, Command](context.Background(), c, "ftp://x/y")
	if _, ok := as[*sdk.RequestError](err); !ok {
		t.Errorf("bad target: %v", err)
	}
	_, err = ws.Dial[Event, Command](context.Background(), c, "x")
	te, ok := as[*sdk.TransportError](err)
	if de, ok2 := as[*ws.DialError](err); !ok || !ok2 || de.StatusCode != 0 {
		t.Errorf("refused connection: %v", err)
	} else {
		t.Logf("%v (%v)", err, te.Err)
	}
	// A value that cannot be encoded fails before anything is sent.
	srv := newServer(t)
	conn, err := ws.Dial[Event, any](context.Background(), newClient(t, srv.URL), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	err = conn.Send(context.Background(), func() {})
	var ute *json.UnsupportedTypeError
	if se, ok := as[*ws.SendError](err); !ok || se.MaybeSent || !errors.As(err, &ute) {
		t.Errorf("unencodable message: %v", err)
	}
}

// Messages that arrived before a drop are all delivered, in order, before
// those of the next connection; when the connection cannot be restored,
// they are delivered before the *ConnectionLostError.
func TestMessagesBeforeADropAreDelivered(t *testing.T) {
	leakCheck(t)
	burst := func(s *server) {
		s.serve = func(ctx context.Context, n int, c *websocket.Conn) error {
			if n > 1 {
				if err := wsjson.Write(ctx, c, Event{Kind: "new", N: 4, Conn: n}); err != nil {
					return err
				}
				return s.echo(ctx, n, c)
			}
			for i := 1; i <= 3; i++ {
				if err := wsjson.Write(ctx, c, Event{Kind: "old", N: i, Conn: n}); err != nil {
					return err
				}
			}
			return c.CloseNow()
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	srv := newServer(t, burst)
	evs := newEvents()
	conn := dial(t, newClient(t, srv.URL), "x", fast, evs.option(), ws.WithPingInterval(0))
	for want := 1; want <= 4; want++ {
		ev, err := conn.Receive(ctx)
		if err != nil || ev.N != want || ev.Conn != (want+2)/3 {
			t.Fatalf("message %d: %+v, %v", want, ev, err)
		}
	}
	if ev := evs.next(t); ev.Err != nil {
		t.Errorf("reconnect: %+v", ev)
	}

	lost := newServer(t, burst)
	conn2 := dial(t, newClient(t, lost.URL), "x", ws.WithoutReconnect(), ws.WithPingInterval(0))
	for want := 1; want <= 3; want++ {
		if ev, err := conn2.Receive(ctx); err != nil || ev.N != want {
			t.Fatalf("message %d: %+v, %v", want, ev, err)
		}
	}
	if _, err := conn2.Receive(ctx); !errors.As(err, new(*ws.ConnectionLostError)) {
		t.Errorf("after the messages: %v", err)
	}
}
