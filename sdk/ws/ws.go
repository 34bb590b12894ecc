// Package ws opens WebSocket connections with the credentials of an SDK
// client and exchanges typed JSON messages over them, reconnecting after
// drops. It is built on github.com/coder/websocket; only programs that
// import it link that module.
//
//	conn, err := ws.Dial[Event, Command](ctx, client, "events")
//	if err != nil { ... }
//	defer conn.Close()
//	err = conn.Send(ctx, Command{Subscribe: "prices"})
//	for ev, err := range conn.Messages(ctx) { ... }
//
// # Credentials
//
// The handshake carries the client's auth, exactly as its calls do (a
// bearer token, a token source, API keys in a header, query parameter or
// cookie), and only to the client's origin: a URL on another scheme, host
// or port gets no credentials, nor does a redirect elsewhere. Token sources
// are asked on every dial, so each reconnect carries a current token, and a
// 401 makes a refreshable source refresh once and the handshake be sent
// again. The handshake goes through the transport of the client's
// *http.Client (its TLS settings and proxy) but not through the client's
// middleware, retries or attempt timeout, which may wrap response bodies
// (see [sdk.Client.UpgradeClient]).
//
// # Drops and reconnects
//
// A connection is pinged ([WithPingInterval]); a missing pong, a server's
// close frame or a failed read or write counts as a drop. After a drop the
// connection reconnects with the backoff of an [sdk.RetryPolicy]
// ([WithReconnect]), telling [WithOnReconnect] about each attempt. Messages
// received before a drop are all delivered, in order, before those of the
// next connection. A Send made while reconnecting waits for the new
// connection (or its context, or the end); a Send whose write failed
// returns a [*SendError] and is not sent again, so a message is never
// written twice and never dropped without an error. As with any
// WebSocket, a successful Send means the message was written, not that the
// server processed it: a connection that dies just after can lose it, so
// use acknowledgements of the application's protocol where that matters.
//
// # Ending
//
// Close (or the client's Close) sends a close frame, waits briefly for the
// server's, and returns once every goroutine of the connection has
// stopped. When reconnecting gives up, Send and Receive return a
// [*ConnectionLostError].
package ws

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"net/http"
	"net/url"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/internal/wait"
)

// closeGrace is how long Close waits for the server's close frame before it
// closes the connection without it.
const closeGrace = time.Second

// Conn is a WebSocket connection that receives messages of type In and
// sends messages of type Out, as JSON, and reconnects after drops. Its
// methods are safe for concurrent use.
type Conn[In, Out any] struct {
	client *sdk.Client
	target string
	cfg    config

	// ctx ends when Close is called; it bounds reconnect waits and dials.
	ctx    context.Context
	cancel context.CancelFunc

	// inbox holds at most one received message; space holds a token while
	// inbox has room. A reader takes the token before it reads a message
	// from the network, so a message it has read always has a place, and
	// messages survive the connection they came on.
	inbox chan delivery[In]
	space chan struct{}

	mu      sync.Mutex
	sess    *session      // nil while reconnecting
	changed chan struct{} // closed and replaced whenever sess changes
	stop    func() bool   // unregisters from the client's Close

	ended  chan struct{} // closed when the connection has ended for good
	endErr error         // ErrClosed or *ConnectionLostError; set before ended closes

	closeOnce sync.Once
	wg        sync.WaitGroup
}

type delivery[In any] struct {
	msg In
	err error
}

// session is one underlying connection and its goroutines' shared state.
type session struct {
	ws   *websocket.Conn
	raw  io.Closer // the upgraded stream, to close the connection at once
	ctx  context.Context
	drop context.CancelCauseFunc // ends the session; the first cause wins
	// parked is set while the reader waits for the caller to take a
	// message; parks counts those waits. A pong cannot be read then, so
	// keepalive does not count a missing one.
	parked atomic.Bool
	parks  atomic.Uint64
}

// Dial opens a WebSocket connection to path with the client's credentials
// and starts its keepalive. path is resolved against the client's base URL
// the way operation paths are ("events" or "/events"), or is an absolute
// ws, wss, http or https URL; credentials go only to the client's origin.
//
// Dial makes one attempt, bounded by ctx and [WithDialTimeout]; its failure
// is a [*DialError] (with the status when the server refused the
// handshake). Later drops reconnect by themselves (see [WithReconnect]).
// ctx does not bound the connection once it is open. Call Close when done.
func Dial[In, Out any](ctx context.Context, client *sdk.Client, path string, opts ...Option) (*Conn[In, Out], error) {
	if client == nil {
		return nil, &sdk.OptionError{Option: "ws.Dial", Reason: "nil client"}
	}
	cfg := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	if len(cfg.errs) > 0 {
		return nil, errors.Join(cfg.errs...)
	}
	c := &Conn[In, Out]{
		client:  client,
		target:  path,
		cfg:     cfg,
		inbox:   make(chan delivery[In], 1),
		space:   make(chan struct{}, 1),
		changed: make(chan struct{}),
		ended:   make(chan struct{}),
	}
	c.space <- struct{}{}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if ctx == nil {
		ctx = context.Background()
	}
	s, err := c.dial(ctx)
	if err != nil {
		c.cancel()
		return nil, err
	}
	c.wg.Add(1)
	go c.run(s)
	stop := client.OnClose(func() { c.Close() })
	c.mu.Lock()
	c.stop = stop
	c.mu.Unlock()
	return c, nil
}

// Send encodes msg as JSON and sends it as a text message. While the
// connection is reconnecting, Send waits for the new connection, until ctx
// ends or the connection ends for good. A write that fails is not
// retried: Send returns a [*SendError] (MaybeSent set) and the connection,
// which a failed write leaves unusable, reconnects. Every failure is a
// *SendError wrapping its cause ([ErrClosed], a [*ConnectionLostError],
// ctx's error, the encoding error).
func (c *Conn[In, Out]) Send(ctx context.Context, msg Out) error {
	data, err := json.Marshal(msg)
	if err != nil {
		return &SendError{Err: err}
	}
	for {
		c.mu.Lock()
		s, changed := c.sess, c.changed
		c.mu.Unlock()
		if s == nil || s.ctx.Err() != nil {
			select {
			case <-changed:
				continue
			case <-ctx.Done():
				return &SendError{Err: ctx.Err()}
			case <-c.ended:
				return &SendError{Err: c.endErr}
			}
		}
		err := s.ws.Write(ctx, websocket.MessageText, data)
		if err == nil {
			return nil
		}
		if ctx.Err() == nil {
			// The connection failed under the write; a write cut short by
			// the caller's context is closed by the library itself.
			s.drop(err)
			return &SendError{MaybeSent: true, Err: err}
		}
		return &SendError{MaybeSent: true, Err: ctx.Err()}
	}
}

// Receive returns the next message. A message that is not valid JSON for
// In is a [*DecodeError], and one over the read limit a
// [*MessageTooLargeError]; either way the connection stays open and the
// next call gets the next message. Receive waits across reconnects; it
// returns ctx's error when ctx ends, [ErrClosed] after Close, and a
// [*ConnectionLostError] when reconnecting gave up.
//
// Receive promptly: while a received message waits here, nothing more is
// read from the connection (so memory stays bounded), and pings pause.
func (c *Conn[In, Out]) Receive(ctx context.Context) (In, error) {
	var zero In
	if c.ctx.Err() != nil {
		return zero, ErrClosed
	}
	select {
	case d := <-c.inbox:
		c.space <- struct{}{}
		return d.msg, d.err
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-c.ended:
		if c.endErr == ErrClosed {
			return zero, ErrClosed
		}
		// The connection was lost: deliver what arrived before the end.
		select {
		case d := <-c.inbox:
			c.space <- struct{}{}
			return d.msg, d.err
		default:
		}
		return zero, c.endErr
	}
}

// Messages returns a single-use iterator over received messages. A
// message that cannot be decoded or is too large is yielded with its
// error and the iteration goes on; it stops after yielding any other error
// (ctx's, a [*ConnectionLostError]), when the loop breaks, and without an
// error after Close.
func (c *Conn[In, Out]) Messages(ctx context.Context) iter.Seq2[In, error] {
	return func(yield func(In, error) bool) {
		for {
			msg, err := c.Receive(ctx)
			if errors.Is(err, ErrClosed) {
				return
			}
			if !yield(msg, err) {
				return
			}
			var de *DecodeError
			var tl *MessageTooLargeError
			if err != nil && !errors.As(err, &de) && !errors.As(err, &tl) {
				return
			}
		}
	}
}

// Close closes the connection: it sends a close frame (status 1000), waits
// up to a second for the server's, and returns when every goroutine of the
// connection has stopped. Messages not yet received are discarded. Later
// calls to Send and Receive fail with [ErrClosed]. Close is idempotent and
// always returns nil. It must not be called from a [WithOnReconnect]
// callback.
func (c *Conn[In, Out]) Close() error {
	c.closeOnce.Do(c.cancel)
	c.wg.Wait()
	c.mu.Lock()
	stop := c.stop
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
	return nil
}

// run serves sessions one after another until the connection ends.
func (c *Conn[In, Out]) run(s *session) {
	defer c.wg.Done()
	for {
		cause := c.serve(s)
		if c.ctx.Err() != nil {
			c.end(ErrClosed)
			return
		}
		next, err := c.reconnect(cause)
		if err != nil {
			c.end(err)
			return
		}
		s = next
	}
}

func (c *Conn[In, Out]) end(err error) {
	c.endErr = err
	close(c.ended)
	c.mu.Lock()
	stop := c.stop
	c.mu.Unlock()
	if stop != nil && !errors.Is(err, ErrClosed) {
		stop()
	}
}

func (c *Conn[In, Out]) setSession(s *session) {
	c.mu.Lock()
	c.sess = s
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

// serve runs one session's reader and keepalive until the session drops or
// the connection is closed, and returns the drop's cause.
func (c *Conn[In, Out]) serve(s *session) error {
	c.setSession(s)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.read(s)
	}()
	if c.cfg.pingInterval > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.keepalive(s)
		}()
	}
	var cause error
	select {
	case <-s.ctx.Done():
		c.setSession(nil)
		cause = context.Cause(s.ctx)
		s.ws.CloseNow()
	case <-c.ctx.Done():
		c.setSession(nil)
		s.closeGracefully()
		cause = ErrClosed
	}
	s.drop(cause)
	wg.Wait()
	return cause
}

// closeGracefully runs the closing handshake, and closes the connection at
// once if the server does not answer within closeGrace.
func (s *session) closeGracefully() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.ws.Close(websocket.StatusNormalClosure, "")
	}()
	t := time.NewTimer(closeGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		if s.raw != nil {
			s.raw.Close()
		}
		<-done
	}
}

// read moves messages from the connection to the inbox, one at a time, and
// ends the session when reading fails.
func (c *Conn[In, Out]) read(s *session) {
	for {
		s.parks.Add(1)
		s.parked.Store(true)
		select {
		case <-c.space:
		case <-s.ctx.Done():
			return
		}
		s.parked.Store(false)
		d, err := c.readMessage(s)
		if err != nil {
			c.space <- struct{}{}
			s.drop(dropCause(err))
			return
		}
		c.inbox <- d
	}
}

// readMessage reads one message and decodes it, or refuses it when it is
// over the read limit. Only an error of the connection is returned; the
// message's own problems travel in the delivery.
func (c *Conn[In, Out]) readMessage(s *session) (delivery[In], error) {
	var d delivery[In]
	typ, r, err := s.ws.Reader(s.ctx)
	if err != nil {
		return d, err
	}
	limit := c.cfg.readLimit
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return d, err
	}
	if int64(len(data)) > limit {
		n, err := io.Copy(io.Discard, r)
		if err != nil {
			return d, err
		}
		d.err = &MessageTooLargeError{Limit: limit, Size: int64(len(data)) + n}
		return d, nil
	}
	if err := json.Unmarshal(data, &d.msg); err != nil {
		d.err = &DecodeError{
			Type:   reflect.TypeFor[In]().String(),
			Binary: typ == websocket.MessageBinary,
			Size:   len(data),
			Data:   append([]byte(nil), data[:min(len(data), 1024)]...),
			Err:    err,
		}
	}
	return d, nil
}

// dropCause types the error that ended a read.
func dropCause(err error) error {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return &ServerCloseError{Code: int(ce.Code), Reason: ce.Reason}
	}
	return err
}

// keepalive pings the connection and ends the session when a pong does not
// come back in time.
func (c *Conn[In, Out]) keepalive(s *session) {
	t := time.NewTicker(c.cfg.pingInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		if s.parked.Load() {
			continue
		}
		parks := s.parks.Load()
		ctx, cancel := context.WithTimeout(s.ctx, c.cfg.pongTimeout)
		err := s.ws.Ping(ctx)
		timedOut := ctx.Err() != nil
		cancel()
		switch {
		case err == nil:
			continue
		case s.ctx.Err() != nil:
			return
		case s.parked.Load() || s.parks.Load() != parks:
			// The reader stopped reading during the ping, so the pong may
			// be waiting behind a message: not a drop.
			continue
		case timedOut:
			s.drop(&PongTimeoutError{After: c.cfg.pongTimeout})
		default:
			s.drop(err)
		}
		return
	}
}

// reconnect dials again after a drop, with the policy's backoff, until it
// connects, the policy gives up, or the connection is closed.
func (c *Conn[In, Out]) reconnect(cause error) (*session, error) {
	p := c.cfg.reconnect
	lost := &ConnectionLostError{Cause: cause}
	start := time.Now()
	for attempt := 1; attempt <= p.MaxRetries; attempt++ {
		delay := p.Backoff(attempt)
		if ra, ok := retryAfter(lost.Err); ok {
			maxRA := p.MaxRetryAfter
			if maxRA == 0 {
				maxRA = sdk.DefaultRetryPolicy().MaxRetryAfter
			}
			if ra > maxRA {
				break
			}
			delay = max(delay, ra)
		}
		if p.MaxElapsed > 0 && time.Since(start)+delay > p.MaxElapsed {
			break
		}
		t := time.NewTimer(delay)
		select {
		case <-c.ctx.Done():
			t.Stop()
			return nil, ErrClosed
		case <-c.client.Done():
			t.Stop()
			return nil, ErrClosed
		case <-t.C:
		}
		s, err := c.dial(c.ctx)
		if c.ctx.Err() != nil || errors.Is(err, sdk.ErrClientClosed) {
			if s != nil {
				s.ws.CloseNow()
				s.drop(ErrClosed)
			}
			return nil, ErrClosed
		}
		lost.Attempts = attempt
		for _, f := range c.cfg.onReconnect {
			f(ReconnectEvent{Attempt: attempt, Cause: cause, Delay: delay, Err: err})
		}
		if err == nil {
			return s, nil
		}
		lost.Err = err
		if permanent(err) {
			break
		}
	}
	return nil, lost
}

// permanent reports a dial failure that another attempt cannot fix.
func permanent(err error) bool {
	var ae *sdk.APIError
	if errors.As(err, &ae) {
		return !ae.Temporary()
	}
	var (
		au *sdk.AuthError
		re *sdk.RequestError
	)
	return errors.As(err, &au) || errors.As(err, &re) || errors.Is(err, sdk.ErrClientClosed)
}

// retryAfter reads the Retry-After of a refused handshake: seconds (a
// number past int64 is the longest wait, never ignored) or an HTTP date;
// waits are capped at 2^20 s, far beyond any MaxRetryAfter.
func retryAfter(err error) (time.Duration, bool) {
	var ae *sdk.APIError
	if !errors.As(err, &ae) || ae.Header == nil {
		return 0, false
	}
	return parseRetryAfter(ae.Header.Get("Retry-After"), time.Now())
}

func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	const longest = 1 << 20 * time.Second
	d, ok := wait.RetryAfter(v, now)
	return min(d, longest), ok
}

// dial makes one opening handshake.
func (c *Conn[In, Out]) dial(ctx context.Context) (*session, error) {
	if d := c.cfg.dialTimeout; d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	u, hc, err := c.client.UpgradeClient(c.target)
	if err != nil {
		return nil, &DialError{URL: redactURL(c.target), Err: err}
	}
	// Keep the upgraded stream, to close it at once when the server does
	// not answer a close frame.
	var raw io.Closer
	base := hc.Transport
	hc.Transport = sdk.RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := base.RoundTrip(req)
		if err == nil && resp.StatusCode == http.StatusSwitchingProtocols {
			raw = resp.Body
		}
		return resp, err
	})
	conn, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{
		HTTPClient:   hc,
		HTTPHeader:   c.cfg.header,
		Subprotocols: c.cfg.subprotocols,
	})
	if err != nil {
		return nil, dialError(c.client, u, resp, err)
	}
	// The read limit is applied per message by readMessage, which refuses
	// a large message without closing the connection.
	conn.SetReadLimit(-1)
	sctx, drop := context.WithCancelCause(context.Background())
	s := &session{ws: conn, raw: raw, ctx: sctx, drop: drop}
	if f := c.cfg.onConnect; f != nil {
		if err := f(ctx, &Session{s: s, limit: c.cfg.readLimit}); err != nil {
			drop(err)
			conn.CloseNow()
			return nil, &DialError{URL: redactURL(u), StatusCode: http.StatusSwitchingProtocols, Err: err}
		}
	}
	return s, nil
}

// dialError types a failed handshake. The library's own message is not
// kept: it quotes the request URL in full.
func dialError(client *sdk.Client, u string, resp *http.Response, err error) error {
	de := &DialError{URL: redactURL(u)}
	var ae *sdk.AuthError
	switch {
	case errors.As(err, &ae):
		de.Err = ae
	case resp != nil && resp.StatusCode != http.StatusSwitchingProtocols:
		if resp.Body == nil {
			resp.Body = http.NoBody
		}
		de.StatusCode = resp.StatusCode
		ae := client.UpgradeError(resp)
		ae.Operation, ae.URL = "websocket", de.URL
		// The library keeps the first KiB of the body.
		ae.Truncated = ae.Truncated || len(ae.Body) >= 1024
		de.Err = ae
	case resp != nil:
		de.StatusCode = resp.StatusCode
		de.Err = err
	default:
		cause := err
		var ue *url.Error
		if errors.As(err, &ue) {
			cause = ue.Err
		}
		de.Err = &sdk.TransportError{Operation: "websocket", Method: http.MethodGet, URL: de.URL, Err: cause}
	}
	return de
}
