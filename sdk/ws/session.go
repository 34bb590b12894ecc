package ws

import (
	"context"
	"errors"
	"io"

	"github.com/coder/websocket"
)

// ErrSessionEnded is returned by [Session.Write] and [Session.Read] once
// their underlying connection has dropped or was closed.
var ErrSessionEnded = errors.New("ws: the session's connection has ended")

// Session is one underlying connection of a [Conn], as [WithOnConnect]
// gives it: a protocol that must talk to each new connection before it is
// used (send an init message and wait for its acknowledgement, renew
// subscriptions) does so through it. Its methods are safe for concurrent
// use.
type Session struct {
	s     *session
	limit int64
}

// Write sends data as a text message on this connection, and on no other:
// once the connection has dropped it fails with [ErrSessionEnded] rather
// than wait for the next one, so a message meant for one connection is
// never sent on another. It may be called after the [WithOnConnect]
// callback returned, for as long as the connection lives. A failed write
// drops the connection, which then reconnects.
func (s *Session) Write(ctx context.Context, data []byte) error {
	if s.s.ctx.Err() != nil {
		return ErrSessionEnded
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.s.ctx, cancel)
	defer stop()
	if err := s.s.ws.Write(ctx, websocket.MessageText, data); err != nil {
		if s.s.ctx.Err() != nil {
			return ErrSessionEnded
		}
		s.s.drop(err)
		return err
	}
	return nil
}

// Read returns the next message of this connection. It may be called only
// inside the [WithOnConnect] callback: afterwards the connection's reader
// owns the connection. A message over the read limit is a
// [*MessageTooLargeError]; a close frame from the server a
// [*ServerCloseError].
func (s *Session) Read(ctx context.Context) ([]byte, error) {
	if s.s.ctx.Err() != nil {
		return nil, ErrSessionEnded
	}
	_, r, err := s.s.ws.Reader(ctx)
	if err != nil {
		return nil, dropCause(err)
	}
	data, err := io.ReadAll(io.LimitReader(r, s.limit+1))
	if err != nil {
		return nil, dropCause(err)
	}
	if int64(len(data)) > s.limit {
		n, _ := io.Copy(io.Discard, r)
		return nil, &MessageTooLargeError{Limit: s.limit, Size: int64(len(data)) + n}
	}
	return data, nil
}

// Subprotocol returns the subprotocol the server chose ("" for none).
func (s *Session) Subprotocol() string { return s.s.ws.Subprotocol() }

// Done returns a channel closed when this connection has dropped or was
// closed.
func (s *Session) Done() <-chan struct{} { return s.s.ctx.Done() }
