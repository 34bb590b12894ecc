package ws_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"go.uber.org/goleak"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/ws"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Command is what the tests send; Event is what the servers answer.
type Command struct {
	Op string `json:"op"`
	N  int    `json:"n"`
}

type Event struct {
	Kind string `json:"kind"`
	N    int    `json:"n"`
	// Conn numbers the server's connections from 1.
	Conn int `json:"conn"`
}

// handshake is what a server saw of one opening handshake.
type handshake struct {
	Authorization string
	APIKey        string
	Query         string
	Cookie        string
	Host          string
	Status        int // what the server answered
}

// server is a WebSocket server on loopback (coder/websocket's Accept) that
// records every handshake and runs each connection it accepts.
type server struct {
	*httptest.Server
	t *testing.T

	// refuse, when set, returns a status to answer the k-th handshake with
	// (k counts every handshake from 1) instead of accepting it; 0 accepts.
	refuse func(k int, r *http.Request) int
	// route, when set, may answer a request itself (and return true)
	// before the server records it.
	route func(w http.ResponseWriter, r *http.Request) bool
	// retryAfter goes in the Retry-After header of refusals.
	retryAfter string
	// noPong makes the n-th accepted connection ignore pings.
	noPong func(n int) bool
	// serve runs the n-th accepted connection (from 1); echo by default.
	serve func(ctx context.Context, n int, c *websocket.Conn) error

	mu         sync.Mutex
	handshakes []handshake
	received   []Command   // every command any connection read
	closes     []int       // close statuses of ended connections
	pings      map[int]int // pings received per connection
	conns      []*websocket.Conn
	accepted   atomic.Int32

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type serverOption func(*server)

func newServer(t *testing.T, opts ...serverOption) *server {
	s := &server{t: t, pings: map[int]int{}}
	for _, o := range opts {
		o(s)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.shutdown)
	return s
}

// newServerOn starts the server on a listener of the test's choosing.
func newServerOn(t *testing.T, ln net.Listener, opts ...serverOption) *server {
	s := &server{t: t, pings: map[int]int{}}
	for _, o := range opts {
		o(s)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.Server = &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(s.handle)}}
	s.Start()
	t.Cleanup(s.shutdown)
	return s
}

// shutdown ends every connection: the serve functions return when the
// server's context ends.
func (s *server) shutdown() {
	s.cancel()
	s.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.CloseNow()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *server) handle(w http.ResponseWriter, r *http.Request) {
	s.wg.Add(1)
	defer s.wg.Done()
	if s.route != nil && s.route(w, r) {
		return
	}
	h := handshake{
		Authorization: r.Header.Get("Authorization"),
		APIKey:        r.Header.Get("X-Api-Key"),
		Query:         r.URL.Query().Get("api_key"),
		Cookie:        r.Header.Get("Cookie"),
		Host:          r.Host,
	}
	s.mu.Lock()
	k := len(s.handshakes) + 1
	s.handshakes = append(s.handshakes, h)
	s.mu.Unlock()
	status := 0
	if s.refuse != nil {
		status = s.refuse(k, r)
	}
	s.mu.Lock()
	s.handshakes[k-1].Status = max(status, http.StatusSwitchingProtocols)
	s.mu.Unlock()
	if status != 0 {
		if s.retryAfter != "" {
			w.Header().Set("Retry-After", s.retryAfter)
		}
		http.Error(w, http.StatusText(status), status)
		return
	}
	n := int(s.accepted.Add(1))
	opts := &websocket.AcceptOptions{
		OnPingReceived: func(context.Context, []byte) bool {
			s.mu.Lock()
			s.pings[n]++
			s.mu.Unlock()
			return s.noPong == nil || !s.noPong(n)
		},
	}
	c, err := websocket.Accept(w, r, opts)
	if err != nil {
		s.t.Errorf("accept: %v", err)
		return
	}
	s.mu.Lock()
	s.conns = append(s.conns, c)
	s.mu.Unlock()
	defer c.CloseNow()
	serve := s.serve
	if serve == nil {
		serve = s.echo
	}
	err = serve(s.ctx, n, c)
	if st := websocket.CloseStatus(err); st != -1 {
		s.mu.Lock()
		s.closes = append(s.closes, int(st))
		s.mu.Unlock()
	}
}

// echo answers every command with an event of the same op and number. The
// op "kill" closes the connection without a close frame, "close" with
// status 1001.
func (s *server) echo(ctx context.Context, n int, c *websocket.Conn) error {
	for {
		var cmd Command
		if err := wsjson.Read(ctx, c, &cmd); err != nil {
			return err
		}
		s.mu.Lock()
		s.received = append(s.received, cmd)
		s.mu.Unlock()
		switch cmd.Op {
		case "kill":
			return c.CloseNow()
		case "close":
			return c.Close(websocket.StatusGoingAway, "restarting")
		}
		if err := wsjson.Write(ctx, c, Event{Kind: cmd.Op, N: cmd.N, Conn: n}); err != nil {
			return err
		}
	}
}

func (s *server) seen() []handshake {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]handshake(nil), s.handshakes...)
}

func (s *server) commands() []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Command(nil), s.received...)
}

func (s *server) wsURL() string { return strings.Replace(s.URL, "http:", "ws:", 1) }

// newClient returns an sdk client of the server, closed when the test
// ends.
func newClient(t *testing.T, base string, opts ...sdk.Option) *sdk.Client {
	t.Helper()
	c, err := sdk.NewClient(base, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// dial opens a connection closed when the test ends.
func dial(t *testing.T, c *sdk.Client, path string, opts ...ws.Option) *ws.Conn[Event, Command] {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := ws.Dial[Event, Command](ctx, c, path, opts...)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// roundTrip sends a command and returns the answer.
func roundTrip(t *testing.T, conn *ws.Conn[Event, Command], cmd Command) Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := conn.Send(ctx, cmd); err != nil {
		t.Fatalf("send %+v: %v", cmd, err)
	}
	ev, err := conn.Receive(ctx)
	if err != nil {
		t.Fatalf("receive after %+v: %v", cmd, err)
	}
	if ev.Kind != cmd.Op || ev.N != cmd.N {
		t.Fatalf("sent %+v, got %+v", cmd, ev)
	}
	return ev
}

// events collects reconnect events.
type events struct {
	ch chan ws.ReconnectEvent
}

func newEvents() *events { return &events{ch: make(chan ws.ReconnectEvent, 100)} }

func (e *events) option() ws.Option {
	return ws.WithOnReconnect(func(ev ws.ReconnectEvent) { e.ch <- ev })
}

// next waits for the next event.
func (e *events) next(t *testing.T) ws.ReconnectEvent {
	t.Helper()
	select {
	case ev := <-e.ch:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no reconnect event within 5s")
		return ws.ReconnectEvent{}
	}
}

// none fails if an event arrives within d.
func (e *events) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case ev := <-e.ch:
		t.Fatalf("unexpected reconnect: %+v (cause %v)", ev, ev.Cause)
	case <-time.After(d):
	}
}

// fast reconnects within tens of milliseconds.
var fast = ws.WithReconnect(sdk.RetryPolicy{MaxRetries: 5, BaseDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond})

// leakCheck verifies, after every other cleanup of the test, that no
// goroutine is left.
func leakCheck(t *testing.T) {
	t.Cleanup(func() {
		if err := goleak.Find(); err != nil {
			t.Error(err)
		}
	})
}

// as is errors.As with a fresh target.
func as[E error](err error) (E, bool) {
	var e E
	ok := errors.As(err, &e)
	return e, ok
}
