package ws_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/sdkgen-go/sdkgen/sdk/ws"
)

// idleKiller is a server that drops a connection on which nothing, not
// even a ping, arrived for 300 ms, as load balancers drop idle
// connections.
func idleKiller(s *server) {
	s.serve = func(ctx context.Context, n int, c *websocket.Conn) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- s.echo(ctx, n, c) }()
		lastPings := -1
		tick := time.NewTicker(300 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case err := <-done:
				return err
			case <-tick.C:
			}
			s.mu.Lock()
			p := s.pings[n]
			s.mu.Unlock()
			if p == lastPings {
				c.CloseNow()
				return <-done
			}
			lastPings = p
		}
	}
}

// Pings keep a quiet connection open through a server that drops idle
// ones; without them the same server drops it and the connection
// reconnects.
func TestPingsKeepConnectionAlive(t *testing.T) {
	leakCheck(t)
	srv := newServer(t, idleKiller)
	evs := newEvents()
	conn := dial(t, newClient(t, srv.URL), "x", fast, evs.option(),
		ws.WithPingInterval(30*time.Millisecond), ws.WithPongTimeout(200*time.Millisecond))
	evs.none(t, 900*time.Millisecond)
	if got := roundTrip(t, conn, Command{Op: "still"}); got.Conn != 1 {
		t.Errorf("answer from connection %d", got.Conn)
	}
	srv.mu.Lock()
	pings := srv.pings[1]
	srv.mu.Unlock()
	if pings < 10 {
		t.Errorf("the server saw %d pings in 900ms at a 30ms interval", pings)
	}
	t.Logf("%d pings in 900ms kept the connection", pings)

	quiet := newServer(t, idleKiller)
	evs2 := newEvents()
	dial(t, newClient(t, quiet.URL), "x", fast, evs2.option(), ws.WithPingInterval(0))
	if ev := evs2.next(t); ev.Err != nil || ev.Cause == nil {
		t.Errorf("without pings: %+v", ev)
	}
}

// A server that stops answering pings is taken for a dropped connection:
// the connection reconnects with a *PongTimeoutError as the cause, and
// messages flow on the new connection.
func TestMissedPongReconnects(t *testing.T) {
	leakCheck(t)
	srv := newServer(t, func(s *server) {
		s.noPong = func(n int) bool { return n == 1 }
	})
	evs := newEvents()
	start := time.Now()
	conn := dial(t, newClient(t, srv.URL), "x", fast, evs.option(),
		ws.WithPingInterval(30*time.Millisecond), ws.WithPongTimeout(100*time.Millisecond))
	roundTrip(t, conn, Command{Op: "a"})
	ev := evs.next(t)
	var pt *ws.PongTimeoutError
	if !errors.As(ev.Cause, &pt) || pt.After != 100*time.Millisecond || ev.Err != nil {
		t.Fatalf("event %+v (cause %v)", ev, ev.Cause)
	}
	took := time.Since(start)
	if took < 100*time.Millisecond {
		t.Errorf("dropped after %s, before the pong timeout", took)
	}
	t.Logf("missed pong noticed and replaced %s after the dial", took.Round(time.Millisecond))
	if got := roundTrip(t, conn, Command{Op: "b"}); got.Conn != 2 {
		t.Errorf("answer from connection %d", got.Conn)
	}
	evs.none(t, 300*time.Millisecond) // the second connection answers pings
}

// A message waiting for Receive holds up reading, so pongs cannot be read
// behind it: a caller that is slow to receive is not taken for a dead
// connection, and the message is not lost.
func TestSlowReceiverIsNotADrop(t *testing.T) {
	leakCheck(t)
	srv := newServer(t, func(s *server) {
		s.serve = func(ctx context.Context, n int, c *websocket.Conn) error {
			if err := wsjson.Write(ctx, c, Event{Kind: "first", Conn: n}); err != nil {
				return err
			}
			return s.echo(ctx, n, c)
		}
	})
	evs := newEvents()
	conn := dial(t, newClient(t, srv.URL), "x", fast, evs.option(),
		ws.WithPingInterval(20*time.Millisecond), ws.WithPongTimeout(50*time.Millisecond))
	evs.none(t, 500*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ev, err := conn.Receive(ctx)
	if err != nil || ev.Kind != "first" || ev.Conn != 1 {
		t.Fatalf("first message: %+v, %v", ev, err)
	}
	if got := roundTrip(t, conn, Command{Op: "then"}); got.Conn != 1 {
		t.Errorf("answer from connection %d", got.Conn)
	}
	evs.none(t, 200*time.Millisecond)
}
