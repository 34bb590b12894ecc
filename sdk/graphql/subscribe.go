package graphql

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"sync"
	"time"

	genqlient "github.com/Khan/genqlient/graphql"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/ws"
)

// Subprotocol is the WebSocket subprotocol subscriptions speak: GraphQL
// over WebSocket as graphql-ws defines it
// (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md).
const Subprotocol = "graphql-transport-ws"

// GapError is yielded by a subscription after its connection dropped and
// the client subscribed again on a new one. Events the server published in
// between were not received, and graphql-transport-ws has no way to ask
// for them: a subscription that must not miss one should fetch the state
// it watches again (with a query) when it sees a GapError. The iteration
// goes on after it; break to end the subscription instead. With
// [WithOnGap], gaps go to a function rather than to the loop.
type GapError struct {
	// Operation is the subscription's name.
	Operation string
	// Cause is what ended the previous connection (see
	// [ws.ReconnectEvent]).
	Cause error
	// Since is when the last connection was known to carry the
	// subscription: its drop; Resubscribed is when the new subscription
	// was sent.
	Since, Resubscribed time.Time
}

func (e *GapError) Error() string {
	return fmt.Sprintf("%s: resubscribed after the connection dropped (%v); events of the %s in between may be missing",
		e.Operation, e.Cause, e.Resubscribed.Sub(e.Since).Round(time.Millisecond))
}

// Unwrap returns the cause of the drop.
func (e *GapError) Unwrap() error { return e.Cause }

// SubscribeOption configures one subscription.
type SubscribeOption interface{ applySub(*subConfig) }

type subOption func(*subConfig)

func (f subOption) applySub(c *subConfig) { f(c) }

type subConfig struct {
	onGap func(*GapError)
}

// WithOnGap sends the subscription's [*GapError]s to f instead of the
// loop, which then sees only events and final errors. f runs on the
// connection's goroutine and must return quickly.
func WithOnGap(f func(*GapError)) SubscribeOption {
	return subOption(func(c *subConfig) { c.onGap = f })
}

// Subscribe runs the subscription that start describes (generated code
// passes a function that calls genqlient's generated subscription function
// with the [genqlient.WebSocketClient] it is given, which only records the
// request) and returns its events as a single-use iterator. Generated
// methods call it; R is the operation's response type.
//
// All subscriptions of a client share one WebSocket connection, opened by
// the first and closed after the last ends; it speaks [Subprotocol], sends
// the client's current credentials in connection_init (see
// [WithInitPayload]), answers the server's pings, and is pinged itself
// (see [ws.WithPingInterval]). When it drops, it reconnects with the
// backoff of its [sdk.RetryPolicy] ([ws.WithReconnect]), asking the token
// sources afresh (a connection_init refused with 4401 or 4403 makes a
// refreshable source refresh once), and subscribes again to every active
// subscription, each exactly once per connection; each then yields a
// [*GapError], since events published while it was down are lost.
//
// The iterator yields each event's data with a nil error, or with a
// [*ResponseError] when the event carried GraphQL errors (the data may be
// partial); neither ends the subscription. It ends, after yielding the
// error, when the server refuses the subscription (a [*ResponseError]),
// when the connection is lost for good (a [*ws.ConnectionLostError]), when
// ctx ends (ctx's error) or the client is closed ([sdk.ErrClientClosed]);
// it ends without an error when the server completes the subscription.
// Breaking out of the loop unsubscribes (a complete message) before the
// iterator returns.
func Subscribe[R any](ctx context.Context, c *Client, op *Operation, start func(genqlient.WebSocketClient) error, opts ...SubscribeOption) iter.Seq2[*R, error] {
	return func(yield func(*R, error) bool) {
		var cfg subConfig
		for _, o := range opts {
			if o != nil {
				o.applySub(&cfg)
			}
		}
		rec := &recorder{}
		if err := start(rec); err != nil {
			yield(nil, err)
			return
		}
		if rec.req == nil {
			yield(nil, errors.New("graphql: the subscription function sent no request"))
			return
		}
		payload, err := json.Marshal(rec.req)
		if err != nil {
			yield(nil, &sdk.RequestError{Operation: op.Name(), Err: err})
			return
		}
		if ctx == nil {
			ctx = context.Background()
		}
		m := c.subscriptions()
		s, err := m.add(ctx, op.Name(), payload)
		if err != nil {
			yield(nil, err)
			return
		}
		defer m.remove(s)
		for {
			ev, err := s.next(ctx)
			if err != nil {
				yield(nil, err)
				return
			}
			switch ev.kind {
			case evNext:
				r := new(R)
				env := envelope{Data: dataField{target: r}}
				if err := json.Unmarshal(ev.payload, &env); err != nil {
					if !yield(nil, &ws.DecodeError{Type: fmt.Sprintf("%T", r), Size: len(ev.payload), Data: ev.payload[:min(len(ev.payload), 1024)], Err: err}) {
						return
					}
					continue
				}
				var rerr error
				if len(env.Errors) > 0 {
					rerr = &ResponseError{Operation: op.Name(), Errors: env.Errors, PartialData: env.Data.present, Extensions: env.Extensions}
				}
				if !yield(r, rerr) {
					return
				}
			case evError:
				var errs []*Error
				_ = json.Unmarshal(ev.payload, &errs)
				yield(nil, &ResponseError{Operation: op.Name(), Errors: errs})
				return
			case evComplete:
				return
			case evGap:
				if cfg.onGap != nil {
					cfg.onGap(ev.gap)
					continue
				}
				if !yield(nil, ev.gap) {
					return
				}
			}
		}
	}
}

// recorder is the genqlient WebSocketClient generated subscription
// functions are run with: it keeps the request and starts nothing.
type recorder struct{ req *genqlient.Request }

func (r *recorder) Start(context.Context) (chan error, error) {
	return nil, errors.New("graphql: not started")
}
func (r *recorder) Close() error             { return nil }
func (r *recorder) Unsubscribe(string) error { return nil }
func (r *recorder) Subscribe(req *genqlient.Request, _ any, _ genqlient.ForwardDataFunction) (string, error) {
	r.req = req
	return "", nil
}

// message is a message of graphql-transport-ws.
type message struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

type eventKind uint8

const (
	evNext eventKind = iota + 1
	evError
	evComplete
	evGap
)

type event struct {
	kind    eventKind
	id      string // the wire id the event came with (none for gaps)
	payload json.RawMessage
	gap     *GapError
}

// maxQueued bounds the events waiting for one subscription's loop: past it
// the connection's reader waits, which holds up the connection's other
// subscriptions too.
const maxQueued = 256

// sub is one active subscription.
type sub struct {
	name    string
	payload json.RawMessage
	id      string   // its current wire id; "" before it was first sent
	ids     []string // every wire id it had, oldest first
	gen     int      // the connection generation id was sent on
	resent  bool     // sent again on a new connection, gap not yet noted

	mu     sync.Mutex
	queue  []event
	wake   chan struct{} // signalled when queue grows
	space  chan struct{} // signalled when queue shrinks
	ended  chan struct{} // closed by end
	endErr error         // nil when the server completed it
	once   sync.Once
}

func (s *sub) end(err error) {
	s.once.Do(func() {
		s.mu.Lock()
		s.endErr = err
		s.mu.Unlock()
		close(s.ended)
	})
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// push queues an event of the connection's reader, waiting while the queue
// is full. An event of an older wire id goes before gaps queued after it.
func (s *sub) push(ev event) {
	for {
		s.mu.Lock()
		if len(s.queue) < maxQueued {
			i := len(s.queue)
			for i > 0 && s.queue[i-1].kind == evGap && s.queue[i-1].id != ev.id {
				i--
			}
			s.queue = slices.Insert(s.queue, i, ev)
			s.mu.Unlock()
			signal(s.wake)
			return
		}
		s.mu.Unlock()
		select {
		case <-s.space:
		case <-s.ended:
			return
		}
	}
}

// note queues a gap before the events of wire id, never waiting.
func (s *sub) note(id string, g *GapError) {
	s.mu.Lock()
	s.queue = append(s.queue, event{kind: evGap, id: id, gap: g})
	s.mu.Unlock()
	signal(s.wake)
}

// next returns the next event, or the error that ended the subscription.
func (s *sub) next(ctx context.Context) (event, error) {
	for {
		s.mu.Lock()
		if len(s.queue) > 0 {
			ev := s.queue[0]
			s.queue = s.queue[1:]
			s.mu.Unlock()
			signal(s.space)
			return ev, nil
		}
		s.mu.Unlock()
		select {
		case <-s.wake:
		case <-ctx.Done():
			return event{}, ctx.Err()
		case <-s.ended:
			s.mu.Lock()
			n, err := len(s.queue), s.endErr
			s.mu.Unlock()
			if n > 0 {
				continue
			}
			if err == nil {
				return event{kind: evComplete}, nil
			}
			return event{}, err
		}
	}
}

// subscriptions runs the connection a client's subscriptions share.
type subscriptions struct {
	c *Client

	mu      sync.Mutex
	conn    *ws.Conn[message, message]
	dialing chan struct{} // closed when the dial in progress ends
	closing chan struct{} // closed when the closing connection is gone
	loop    chan struct{} // closed when the reader of conn returned
	sess    *ws.Session   // the acknowledged session; nil while connecting
	gen     int           // sessions acknowledged so far
	dropped time.Time     // when the last session dropped
	resubAt time.Time     // when the last session's subscriptions were sent
	active  map[*sub]bool
	byID    map[string]*sub
	nextID  uint64
}

func (c *Client) subscriptions() *subscriptions {
	c.subsOnce.Do(func() {
		c.subs = &subscriptions{c: c, active: map[*sub]bool{}, byID: map[string]*sub{}}
	})
	return c.subs
}

// target is where subscriptions connect.
func (m *subscriptions) target() string {
	if m.c.cfg.wsPath != "" {
		return m.c.cfg.wsPath
	}
	return m.c.endpoint(m.c.sdk.BaseURL() + "/")
}

// add registers a subscription and sends it, opening the connection when
// there is none.
func (m *subscriptions) add(ctx context.Context, name string, payload json.RawMessage) (*sub, error) {
	s := &sub{name: name, payload: payload, wake: make(chan struct{}, 1), space: make(chan struct{}, 1), ended: make(chan struct{})}
	for {
		m.mu.Lock()
		switch {
		case m.closing != nil:
			ch := m.closing
			m.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		case m.conn != nil || m.dialing != nil:
			// Connected, connecting or reconnecting: an acknowledged
			// session gets it now; otherwise the next acknowledgement
			// subscribes it.
			m.active[s] = true
			if m.sess != nil {
				m.send(ctx, s)
			}
			m.mu.Unlock()
			return s, nil
		}
		m.active[s] = true
		m.dialing = make(chan struct{})
		m.mu.Unlock()
		err := m.dial(ctx)
		if err != nil {
			s.end(err)
			m.remove(s)
			return nil, err
		}
		return s, nil
	}
}

// dial opens the connection; subscriptions registered meanwhile are sent
// by onConnect.
func (m *subscriptions) dial(ctx context.Context) error {
	opts := append([]ws.Option{ws.WithSubprotocols(Subprotocol), ws.WithOnConnect(m.onConnect),
		ws.WithOnReconnect(m.onReconnect)}, m.c.cfg.wsOpts...)
	conn, err := ws.Dial[message, message](ctx, m.c.sdk, m.target(), opts...)
	var refused *initRefusedError
	if errors.As(err, &refused) && refused.refreshed {
		// The first dial's token was refused and the source has a new one.
		conn, err = ws.Dial[message, message](ctx, m.c.sdk, m.target(), opts...)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	close(m.dialing)
	m.dialing = nil
	if err != nil {
		for s := range m.active {
			if s.gen == 0 {
				s.end(err)
			}
		}
		m.sess = nil
		return err
	}
	m.conn = conn
	m.loop = make(chan struct{})
	go m.read(conn, m.loop)
	return nil
}

// send sends s on the current session with a new wire id. m.mu is held.
// A failed write leaves s for the next session.
func (m *subscriptions) send(ctx context.Context, s *sub) bool {
	m.nextID++
	id := strconv.FormatUint(m.nextID, 10)
	data, err := json.Marshal(message{ID: id, Type: "subscribe", Payload: s.payload})
	if err != nil {
		return false
	}
	if err := m.sess.Write(ctx, data); err != nil {
		return false
	}
	s.id, s.gen = id, m.gen
	s.ids = append(s.ids, id)
	m.byID[id] = s
	return true
}

// remove ends s on the server (unless it ended there) and closes the
// connection when s was the last subscription.
func (m *subscriptions) remove(s *sub) {
	s.end(errors.New("graphql: subscription ended"))
	m.mu.Lock()
	if !m.active[s] {
		m.mu.Unlock()
		return
	}
	delete(m.active, s)
	for _, id := range s.ids {
		delete(m.byID, id)
	}
	if m.sess != nil && s.id != "" && s.gen == m.gen {
		if data, err := json.Marshal(message{ID: s.id, Type: "complete"}); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = m.sess.Write(ctx, data)
			cancel()
		}
	}
	if len(m.active) > 0 || m.conn == nil {
		m.mu.Unlock()
		return
	}
	conn, loop := m.conn, m.loop
	m.conn, m.sess, m.loop = nil, nil, nil
	m.closing = make(chan struct{})
	closing := m.closing
	m.mu.Unlock()
	conn.Close()
	<-loop
	m.mu.Lock()
	m.closing = nil
	m.mu.Unlock()
	close(closing)
}

// initRefusedError is a connection_init the server refused (close codes
// 4401, 4403); refreshed says whether the token source gave another token.
type initRefusedError struct {
	code      int
	refreshed bool
}

func (e *initRefusedError) Error() string {
	return fmt.Sprintf("graphql: the server refused the connection's credentials (close status %d)", e.code)
}

// onConnect runs the init handshake on a new session and subscribes every
// active subscription on it.
func (m *subscriptions) onConnect(ctx context.Context, s *ws.Session) error {
	if p := s.Subprotocol(); p != Subprotocol {
		return &sdk.OptionError{Option: "graphql subscriptions", Reason: fmt.Sprintf("the server does not speak %s (it chose %q)", Subprotocol, p)}
	}
	creds, err := m.c.sdk.Credentials(ctx, m.target())
	if err != nil {
		return err
	}
	payload, err := m.c.cfg.initPayload(ctx, creds.Header)
	if err != nil {
		return err
	}
	init, err := json.Marshal(struct {
		Type    string         `json:"type"`
		Payload map[string]any `json:"payload,omitempty"`
	}{"connection_init", payload})
	if err != nil {
		return err
	}
	if err := s.Write(ctx, init); err != nil {
		return err
	}
	for acked := false; !acked; {
		data, err := s.Read(ctx)
		if err != nil {
			var ce *ws.ServerCloseError
			if errors.As(err, &ce) && (ce.Code == 4401 || ce.Code == 4403) {
				changed, rerr := creds.Refresh(ctx)
				if rerr != nil {
					return rerr
				}
				if !changed {
					return &sdk.AuthError{Err: &initRefusedError{code: ce.Code}}
				}
				return &initRefusedError{code: ce.Code, refreshed: true}
			}
			return err
		}
		var msg message
		if json.Unmarshal(data, &msg) != nil {
			continue
		}
		switch msg.Type {
		case "connection_ack":
			acked = true
		case "ping":
			if err := s.Write(ctx, pong); err != nil {
				return err
			}
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sess = s
	m.gen++
	m.resubAt = time.Now()
	for a := range m.active {
		resent := a.id != ""
		if !m.send(ctx, a) {
			return ws.ErrSessionEnded
		}
		a.resent = a.resent || resent
	}
	// The session's end is noted when it happens, for the next gap.
	go func() {
		<-s.Done()
		m.mu.Lock()
		if m.sess == s {
			m.sess = nil
			m.dropped = time.Now()
		}
		m.mu.Unlock()
	}()
	return nil
}

var pong = []byte(`{"type":"pong"}`)

// onReconnect reports a gap to every subscription the reconnect sent
// again. It runs after onConnect and before the new connection's messages
// are read, so a gap comes after the events of the old connection and
// before those of the new.
func (m *subscriptions) onReconnect(ev ws.ReconnectEvent) {
	if ev.Err != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for a := range m.active {
		if a.resent {
			a.resent = false
			a.note(a.id, &GapError{Operation: a.name, Cause: ev.Cause, Since: m.dropped, Resubscribed: m.resubAt})
		}
	}
}

// read routes the connection's messages to their subscriptions until the
// connection ends, then ends every subscription still active.
func (m *subscriptions) read(conn *ws.Conn[message, message], done chan struct{}) {
	defer close(done)
	defer m.forget(conn)
	for msg, err := range conn.Messages(context.Background()) {
		if err != nil {
			var de *ws.DecodeError
			var tl *ws.MessageTooLargeError
			if errors.As(err, &de) || errors.As(err, &tl) {
				continue
			}
			m.endAll(err)
			return
		}
		switch msg.Type {
		case "next", "error", "complete":
			m.mu.Lock()
			s := m.byID[msg.ID]
			m.mu.Unlock()
			if s == nil {
				continue
			}
			kind := map[string]eventKind{"next": evNext, "error": evError, "complete": evComplete}[msg.Type]
			if kind == evNext {
				s.push(event{kind: kind, id: msg.ID, payload: msg.Payload})
				continue
			}
			m.serverEnded(s, msg.ID, event{kind: kind, id: msg.ID, payload: msg.Payload})
		case "ping":
			m.mu.Lock()
			sess := m.sess
			m.mu.Unlock()
			if sess != nil {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_ = sess.Write(ctx, pong)
				cancel()
			}
		}
	}
	// Closed: by remove (nothing active) or by the client's Close.
	m.endAll(sdk.ErrClientClosed)
}

// forget drops conn once its reader has returned, so the next
// subscription opens a new connection.
func (m *subscriptions) forget(conn *ws.Conn[message, message]) {
	m.mu.Lock()
	if m.conn == conn {
		m.conn, m.sess = nil, nil
	}
	m.mu.Unlock()
}

// serverEnded handles a complete or error of the server: the subscription
// ends, and a copy of it still running under a newer wire id (sent after a
// reconnect) is completed.
func (m *subscriptions) serverEnded(s *sub, id string, ev event) {
	m.mu.Lock()
	if s.id != id && m.sess != nil && s.gen == m.gen {
		if data, err := json.Marshal(message{ID: s.id, Type: "complete"}); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = m.sess.Write(ctx, data)
			cancel()
		}
	}
	for _, x := range s.ids {
		delete(m.byID, x)
	}
	s.id = ""
	m.mu.Unlock()
	if ev.kind == evError {
		s.push(ev)
	}
	s.end(nil)
}

// endAll ends every active subscription with err.
func (m *subscriptions) endAll(err error) {
	m.mu.Lock()
	subs := make([]*sub, 0, len(m.active))
	for s := range m.active {
		subs = append(subs, s)
	}
	m.mu.Unlock()
	for _, s := range subs {
		s.end(err)
	}
}
