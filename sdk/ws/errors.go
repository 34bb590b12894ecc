package ws

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk/internal/safetext"
)

// ErrClosed is returned by Send and Receive once the connection was closed
// by [Conn.Close] or by the client's Close.
var ErrClosed = errors.New("ws: connection closed")

// DialError reports an opening handshake that failed. Err says why:
//   - an [*sdk.APIError] when the server answered with a status other
//     than 101 Switching Protocols (StatusCode repeats it; 401 when the
//     credentials were refused, even after a token refresh);
//   - an [*sdk.AuthError] when credentials could not be obtained or may
//     not be sent;
//   - an [*sdk.TransportError] when no response arrived;
//   - [sdk.ErrClientClosed] or an [*sdk.RequestError] (a target that is not
//     a valid path or URL);
//   - otherwise the handshake's protocol error (StatusCode 101).
type DialError struct {
	// URL is the handshake's URL without its query and user information.
	URL string
	// StatusCode is the status of the server's answer, 0 when none came.
	StatusCode int
	Err        error
}

func (e *DialError) Error() string {
	return fmt.Sprintf("ws: dial %s: %v", e.URL, e.Err)
}

// Unwrap returns the cause.
func (e *DialError) Unwrap() error { return e.Err }

// SendError reports a message that Send did not deliver, or may not have.
// Err is the cause: the encoding error, the context's error, [ErrClosed],
// a [*ConnectionLostError], or the write's error.
type SendError struct {
	// MaybeSent is set when the write had begun: some or all of the message
	// may have reached the server. Send never writes a message twice, so a
	// caller that must not lose it decides whether to send it again.
	MaybeSent bool
	Err       error
}

func (e *SendError) Error() string {
	if e.MaybeSent {
		return fmt.Sprintf("ws: send failed (the server may have received the message): %v", e.Err)
	}
	return fmt.Sprintf("ws: send failed (nothing was sent): %v", e.Err)
}

// Unwrap returns the cause.
func (e *SendError) Unwrap() error { return e.Err }

// DecodeError reports a received message that is not valid JSON for the
// connection's message type. The connection stays open; the next Receive
// gets the next message.
type DecodeError struct {
	// Type is the Go type the message was decoded into.
	Type string
	// Binary tells a binary message from a text one.
	Binary bool
	// Size is the message's length; Data holds its first bytes (at most
	// 1 KiB).
	Size int
	Data []byte
	Err  error
}

func (e *DecodeError) Error() string {
	kind := "text"
	if e.Binary {
		kind = "binary"
	}
	return fmt.Sprintf("ws: decoding a %d-byte %s message as %s: %v; message starts %q",
		e.Size, kind, e.Type, e.Err, e.Data[:min(len(e.Data), 120)])
}

// Unwrap returns the decoder's error (a *json.SyntaxError, a
// *json.UnmarshalTypeError, ...).
func (e *DecodeError) Unwrap() error { return e.Err }

// MessageTooLargeError reports a received message over the read limit
// ([WithReadLimit]). It was read and discarded, not buffered; the
// connection stays open.
type MessageTooLargeError struct {
	Limit int64
	// Size is the message's full length.
	Size int64
}

func (e *MessageTooLargeError) Error() string {
	return fmt.Sprintf("ws: refused a %d-byte message: over the read limit of %d bytes", e.Size, e.Limit)
}

// PongTimeoutError is the cause of a drop when a ping got no pong in time
// ([WithPongTimeout]).
type PongTimeoutError struct {
	// After is the pong timeout that passed.
	After time.Duration
}

func (e *PongTimeoutError) Error() string {
	return fmt.Sprintf("ws: no pong within %s", e.After)
}

// Timeout reports true, as net.Error timeouts do.
func (e *PongTimeoutError) Timeout() bool { return true }

// ServerCloseError is the cause of a drop when the server closed the
// connection with a close frame. Code is the WebSocket close status (1000
// normal closure, 1001 going away, 1011 internal error, 4000-4999 for
// applications).
type ServerCloseError struct {
	Code   int
	Reason string
}

func (e *ServerCloseError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("ws: the server closed the connection with status %d", e.Code)
	}
	return fmt.Sprintf("ws: the server closed the connection with status %d: %s", e.Code, sanitize(e.Reason, 125))
}

// ConnectionLostError reports a connection that dropped and could not be
// restored: reconnecting is off, the attempts of the policy ran out, the
// policy's MaxElapsed or MaxRetryAfter stopped it, or an attempt failed in
// a way a retry cannot fix (a status such as 401, 403 or 404, or an auth
// error). Send and Receive return it from then on.
type ConnectionLostError struct {
	// Cause is what ended the last connection: a [*PongTimeoutError], a
	// [*ServerCloseError], or the error of the read or write that failed.
	Cause error
	// Attempts is how many reconnects were tried (0 when reconnecting is
	// off), and Err the last one's error (a [*DialError]).
	Attempts int
	Err      error
}

func (e *ConnectionLostError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ws: connection lost: %v", e.Cause)
	switch {
	case e.Attempts == 0 && e.Err == nil:
		b.WriteString(" (reconnecting is off)")
	case e.Err != nil:
		fmt.Fprintf(&b, "; %d reconnect attempts failed, the last with: %v", e.Attempts, e.Err)
	default:
		fmt.Fprintf(&b, "; gave up after %d reconnect attempts", e.Attempts)
	}
	return b.String()
}

// Unwrap returns Cause and Err, when set.
func (e *ConnectionLostError) Unwrap() []error {
	var out []error
	for _, err := range []error{e.Cause, e.Err} {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

// ReconnectEvent describes a reconnect attempt, for [WithOnReconnect].
type ReconnectEvent struct {
	// Attempt counts the attempts since the drop, from 1.
	Attempt int
	// Cause is what ended the previous connection: a [*PongTimeoutError],
	// a [*ServerCloseError], or the error of the read or write that failed.
	Cause error
	// Delay is how long the attempt waited before dialing.
	Delay time.Duration
	// Err is nil when the attempt connected, else why it failed (a
	// [*DialError]).
	Err error
}

// redactURL drops the query and user information of a URL, which may
// carry credentials.
func redactURL(raw string) string { return safetext.RedactRawURL(raw) }

// sanitize makes server-controlled text safe for one line of an error:
// control characters are escaped and the text is cut at max runes.
func sanitize(s string, max int) string { return safetext.OneLine(s, max, false) }
