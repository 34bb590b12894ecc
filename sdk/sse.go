package sdk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Server-sent events (text/event-stream), read as the WHATWG HTML
// standard's event-stream format describes them (§9.2 Server-sent events),
// with the reconnection rules of EventSource, made strict: a stream never
// ends quietly unless it ended cleanly.

// Defaults of event streams, with their reasons.
const (
	// DefaultIdleTimeout is how long a stream may stay silent (not a byte,
	// not even a comment) before the SDK takes the connection for dead.
	// Servers that hold streams open send a keep-alive comment every 15 to
	// 30 s because proxies cut connections idle for 60 s; two minutes is
	// four missed keep-alives, long enough never to cut a healthy stream
	// and short enough to notice a half-open connection (which TCP alone
	// can take hours to report).
	DefaultIdleTimeout = 2 * time.Minute
	// DefaultMaxEventSize bounds a line of the stream and the data of one
	// event. Real events are small; the largest we know of (base64 image
	// deltas of image-generation APIs) reach a few MiB. Past the limit the
	// stream fails with [ErrEventTooLarge] instead of buffering without
	// end.
	DefaultMaxEventSize = 8 << 20
	// minReconnectDelay is the shortest wait before a stream is
	// reconnected, whatever the server's retry field or the backoff says:
	// Firefox's EventSource floors the retry field at 500 ms
	// (MIN_RECONNECTION_TIME_VALUE). A server that sends retry: 0 and
	// closes every connection after one event would otherwise get
	// thousands of connections a second, since each event resets the count
	// of reconnections without one.
	minReconnectDelay = 500 * time.Millisecond
)

// Event is one event of a server-sent event stream. Data is the event's
// data decoded as the spec says (JSON into the schema's type, or the raw
// text when T is string); Raw keeps the data as sent.
type Event[T any] struct {
	// ID is the stream's last event id when the event arrived: the value
	// of the latest id field, which the event may have inherited from an
	// earlier one. Save it to resume a stream later with
	// WithHeader("Last-Event-ID", id).
	ID string
	// Type is the event's type (its event field), "message" when it has
	// none.
	Type string
	// Data is the decoded data.
	Data T
	// Raw is the data as sent: the event's data lines joined with "\n".
	Raw string
}

// EventStream says how the event stream of an operation ends cleanly.
// Generated code sets it (as Operation.Stream) from the spec's
// x-sdkgen-stream extension or the operation's stream block in
// sdkgen.yaml.
type EventStream struct {
	// Terminal is the type of the event that ends the stream ("done",
	// "message_stop"). The terminal event is yielded like any other when
	// it carries data (and its data must then decode), then the stream
	// ends without error; without data it just ends the stream.
	Terminal string
	// TerminalData is a data value that ends the stream ("[DONE]"). An
	// event carrying it ends the stream and is not yielded.
	TerminalData string
}

// ErrorEventType is the event type with which a server reports a failure
// in the middle of a stream: such an event ends the stream with a
// [*StreamError] wrapping an [*ErrorEvent].
const ErrorEventType = "error"

// StreamError is the error that ends an event stream which did not end
// cleanly: the server reported an error event, the connection dropped and
// could not be resumed, the data did not decode, the caller's context
// ended. It says how far the stream got; errors.As reaches the cause
// through it ([*ErrorEvent], [*IdleTimeoutError], [*EventFormatError],
// [ErrStreamEnded], the [*APIError] or [*RetryError] of a failed reconnect,
// context.Canceled).
type StreamError struct {
	// Operation is the operationId of the call.
	Operation string
	// LastEventID is the stream's last event id ("" when the server sent
	// none): the point a new call can resume from, with
	// WithHeader("Last-Event-ID", id).
	LastEventID string
	// Delivered is how many events reached the caller.
	Delivered int
	// Reconnects is how many times the stream was reconnected.
	Reconnects int
	// Reason says in words why the stream was not reconnected, when it was
	// not ("the server sent no event id to resume from", ...).
	Reason string
	// Err is the cause.
	Err error
}

func (e *StreamError) Error() string {
	var b strings.Builder
	if e.Operation != "" {
		b.WriteString(e.Operation)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "event stream failed after %d %s", e.Delivered, plural(e.Delivered, "event", "events"))
	if e.LastEventID != "" {
		fmt.Fprintf(&b, " (last event id %q)", sanitize(e.LastEventID, 100))
	}
	if e.Reconnects > 0 {
		fmt.Fprintf(&b, " and %d %s", e.Reconnects, plural(e.Reconnects, "reconnect", "reconnects"))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Reason != "" {
		b.WriteString(" (")
		b.WriteString(e.Reason)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *StreamError) Unwrap() error { return e.Err }

// ErrStreamEnded is the cause of a [*StreamError] when the server closed
// the stream before its terminal event (or, for an operation that declares
// none, at all) and it could not be resumed.
var ErrStreamEnded = errors.New("the stream ended before its terminal event")

// ErrEventTooLarge is the cause of an [*EventFormatError] for a line, or
// an event's data, longer than the limit of [WithMaxEventSize].
var ErrEventTooLarge = errors.New("event larger than the limit")

// ErrorEvent is an event of type "error" ([ErrorEventType]) that the
// server sent to report a failure mid-stream.
type ErrorEvent struct {
	// ID is the stream's last event id at the error event.
	ID string
	// Data is the event's data, as sent.
	Data string
}

func (e *ErrorEvent) Error() string {
	if e.Data == "" {
		return "the server sent an error event"
	}
	return "the server sent an error event: " + sanitize(e.Data, 300)
}

// IdleTimeoutError reports a stream that stayed silent longer than the
// idle timeout ([WithIdleTimeout]).
type IdleTimeoutError struct {
	After time.Duration
}

func (e *IdleTimeoutError) Error() string {
	return "no data from the server for " + e.After.String() + " (the idle timeout)"
}

// Timeout reports true, as net.Error timeouts do.
func (e *IdleTimeoutError) Timeout() bool { return true }

// EventFormatError reports malformed input in an event stream: a line or
// an event over the size limit, or data that does not decode into the
// stream's type.
type EventFormatError struct {
	// EventID is the stream's last event id where the problem was found.
	EventID string
	// Type is the event's type, when known.
	Type string
	// Field is the field at fault ("data", or the name a too-long line
	// starts with).
	Field string
	// Data holds the start of the offending value (at most 1 KiB).
	Data []byte
	// Err is the cause: [ErrEventTooLarge], a *json.SyntaxError, a
	// *json.UnmarshalTypeError...
	Err error
}

func (e *EventFormatError) Error() string {
	var b strings.Builder
	b.WriteString("malformed event")
	if e.Type != "" {
		fmt.Fprintf(&b, " of type %q", sanitize(e.Type, 100))
	}
	if e.EventID != "" {
		fmt.Fprintf(&b, " (last event id %q)", sanitize(e.EventID, 100))
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ", field %q", sanitize(e.Field, 100))
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	if len(e.Data) > 0 {
		fmt.Fprintf(&b, "; it starts %q", sanitize(string(e.Data), 120))
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *EventFormatError) Unwrap() error { return e.Err }

// events returns the event stream of op, for generated code (through Impl,
// as sdkimpl.JSONEvents and sdkimpl.TextEvents, whose documentation says
// how a stream runs, ends and reconnects). decode turns an event's data
// into its Data; a nil decode leaves Data nil (the data is in Raw).
func events(ctx context.Context, c *Client, op *Operation, build requestBuilder, opts []Option, decode func([]byte) (any, error)) iter.Seq2[Event[any], error] {
	return func(yield func(Event[any], error) bool) {
		if c == nil {
			yield(Event[any]{}, errors.New("sdk: event stream: nil Client"))
			return
		}
		if op == nil {
			op = &Operation{}
		}
		if ctx == nil {
			ctx = context.Background()
		}
		s, err := c.settings.forCall(opts)
		if err != nil {
			yield(Event[any]{}, err)
			return
		}
		r := &streamRun{c: c, op: op, s: s, build: build, opts: opts, decode: decode}
		if op.Stream != nil {
			r.spec = *op.Stream
		}
		r.p.max = s.maxEventSize
		r.p.lastID = s.header.Get("Last-Event-ID")
		r.run(ctx, yield)
	}
}

// streamRun is the state of one range over a stream.
type streamRun struct {
	c      *Client
	op     *Operation
	s      *settings
	spec   EventStream
	build  requestBuilder
	opts   []Option
	decode func([]byte) (any, error)
	p      eventParser

	connections int
	delivered   int
	reconnects  int
	failures    int    // reconnections since the last delivered event
	key         string // the Idempotency-Key of the first connection
	noReconnect string // why the stream may never be reconnected, if so
}

// outcome is how one connection ended.
type outcome uint8

const (
	dropped  outcome = iota // reconnect if possible
	finished                // cleanly: terminal event, or the caller stopped
	failed                  // with an error already yielded
)

func (r *streamRun) run(ctx context.Context, yield func(Event[any], error) bool) {
	for {
		connCtx, cancel := context.WithCancel(ctx)
		resp, err := r.c.do(connCtx, r.op, r.request, r.callOptions()...)
		if err != nil {
			cancel()
			if r.connections == 0 {
				yield(Event[any]{}, err)
			} else {
				yield(Event[any]{}, r.fail(err, "the reconnection failed"))
			}
			return
		}
		r.connections++
		if resp.StatusCode == http.StatusNoContent {
			// The server has nothing (more) to send: a clean end.
			cancel()
			drainClose(resp.Body)
			return
		}
		if ct := resp.Header.Get("Content-Type"); !isEventStream(ct) {
			cancel()
			_ = resp.Body.Close()
			err := &DecodeError{Operation: r.op.ID, StatusCode: resp.StatusCode, ContentType: ct, Err: errors.New("the response is not an event stream (text/event-stream)")}
			if r.connections == 1 {
				yield(Event[any]{}, err)
			} else {
				yield(Event[any]{}, r.fail(err, ""))
			}
			return
		}
		if r.connections == 1 {
			r.firstConnection(resp)
		}
		out, cause := r.read(ctx, connCtx, cancel, resp, yield)
		switch out {
		case finished, failed:
			return
		}
		if err := r.beforeReconnect(ctx, cause); err != nil {
			yield(Event[any]{}, err)
			return
		}
	}
}

// request builds the request of a connection: the operation's, asking for
// an event stream.
func (r *streamRun) request(server string) (*http.Request, error) {
	req, err := r.build(server)
	if err != nil {
		return nil, err
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "text/event-stream")
	}
	req.Header.Set("Cache-Control", "no-cache")
	return req, nil
}

// callOptions are the options of the next connection: the caller's, then
// the stream's own (Last-Event-ID, the Idempotency-Key of the first
// connection), which win.
func (r *streamRun) callOptions() []Option {
	if r.connections == 0 {
		return r.opts
	}
	opts := append(r.opts[:len(r.opts):len(r.opts)], optionFunc(func(s *settings) {
		if r.p.lastID == "" {
			s.ownHeader().Del("Last-Event-ID")
		} else {
			s.ownHeader().Set("Last-Event-ID", r.p.lastID)
		}
	}))
	if r.key != "" {
		opts = append(opts, WithIdempotencyKey(r.key))
	}
	return opts
}

// firstConnection records what reconnections need from the first
// response: its Idempotency-Key, and whether the call may be repeated.
func (r *streamRun) firstConnection(resp *http.Response) {
	method := r.op.Method
	if resp.Request != nil {
		r.key = resp.Request.Header.Get("Idempotency-Key")
		method = resp.Request.Method
	}
	switch {
	case r.s.retry.MaxRetries == 0:
		r.noReconnect = "retries are disabled"
	case r.s.idempotent != nil && !*r.s.idempotent:
		r.noReconnect = "the call is marked not idempotent"
	case !idempotentMethod(method) && r.key == "":
		r.noReconnect = "a " + method + " without an Idempotency-Key is never reconnected"
	}
}

// read reads the events of one connection and yields them. It returns how
// the connection ended and, when it dropped, why. The connection is closed
// when it returns.
func (r *streamRun) read(ctx, connCtx context.Context, cancel context.CancelFunc, resp *http.Response, yield func(Event[any], error) bool) (outcome, error) {
	body := &idleReader{r: resp.Body, d: r.s.idleTimeout, abort: cancel}
	defer func() {
		body.stop()
		cancel() // first, so that closing never waits for the server
		_ = resp.Body.Close()
	}()
	r.p.reset(body)
	for {
		ev, err := r.p.next()
		if err != nil {
			var fe *EventFormatError
			switch {
			case errors.As(err, &fe):
				yield(Event[any]{}, r.fail(fe, ""))
				return failed, nil
			case ctx.Err() != nil:
				yield(Event[any]{}, r.fail(ctx.Err(), "the context ended"))
				return failed, nil
			case body.fired.Load() && connCtx.Err() != nil:
				return dropped, &IdleTimeoutError{After: body.d}
			case errors.Is(err, io.EOF):
				return dropped, ErrStreamEnded
			}
			return dropped, err
		}
		terminal := r.spec.Terminal != "" && ev.Type == r.spec.Terminal
		if ev.Type == ErrorEventType {
			yield(Event[any]{}, r.fail(&ErrorEvent{ID: ev.ID, Data: text(ev.Data)}, ""))
			return failed, nil
		}
		if !ev.HasData {
			// Not dispatched (WHATWG), unless it ends the stream.
			if terminal {
				return finished, nil
			}
			continue
		}
		if r.spec.TerminalData != "" && string(ev.Data) == r.spec.TerminalData {
			return finished, nil
		}
		out := Event[any]{ID: ev.ID, Type: ev.Type, Raw: text(ev.Data)}
		if r.decode != nil {
			out.Data, err = r.decode(ev.Data)
		}
		if err != nil {
			yield(Event[any]{}, r.fail(&EventFormatError{EventID: ev.ID, Type: ev.Type, Field: "data",
				Data: ev.Data[:min(len(ev.Data), prefixSize)], Err: err}, ""))
			return failed, nil
		}
		r.delivered++
		r.failures = 0
		if !yield(out, nil) {
			return finished, nil
		}
		if terminal {
			return finished, nil
		}
	}
}

// beforeReconnect decides whether a dropped stream is reconnected, and
// waits before it; it returns the error that ends the stream otherwise.
func (r *streamRun) beforeReconnect(ctx context.Context, cause error) error {
	if ctx.Err() != nil {
		return r.fail(ctx.Err(), "the context ended")
	}
	switch {
	case r.noReconnect != "":
		return r.fail(cause, r.noReconnect)
	case r.delivered > 0 && r.p.lastID == "":
		return r.fail(cause, "the server sent no event id to resume from")
	case r.failures >= r.s.retry.MaxRetries:
		return r.fail(cause, fmt.Sprintf("%d %s in a row without an event", r.failures, plural(r.failures, "reconnect", "reconnects")))
	}
	r.failures++
	p := &r.s.retry
	delay := backoff(p, r.failures)
	if r.p.retrySet {
		if r.p.retry > p.MaxRetryAfter {
			return r.fail(&RetryAfterTooLongError{Header: "retry field", Requested: r.p.retry, Max: p.MaxRetryAfter},
				"the server asked for too long a wait before reconnecting")
		}
		if r.failures == 1 {
			delay = r.p.retry
		} else {
			delay = max(delay, r.p.retry)
		}
	}
	delay = max(delay, minReconnectDelay)
	ev := RetryEvent{Operation: r.op.ID, Attempt: r.connections, Delay: delay, Err: cause}
	for _, f := range r.s.onRetry {
		f(ev)
	}
	if r.s.logger != nil {
		r.s.logger.InfoContext(ctx, "sdk: reconnecting event stream", "operation", r.op.ID, "connection", r.connections,
			"delay", delay, "last_event_id", sanitize(r.p.lastID, 100), "error", sanitize(cause.Error(), 300))
	}
	if err := r.s.sleeper.Sleep(ctx, delay); err != nil {
		return r.fail(err, "the context ended while waiting "+delay.Round(time.Millisecond).String()+" before reconnecting")
	}
	r.reconnects++
	return nil
}

func (r *streamRun) fail(err error, reason string) *StreamError {
	return &StreamError{Operation: r.op.ID, LastEventID: r.p.lastID, Delivered: r.delivered,
		Reconnects: r.reconnects, Reason: reason, Err: err}
}

func isEventStream(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "text/event-stream"
}

// eventParser reads events from a stream, one connection after another,
// keeping what outlives a connection (the last event id, the server's
// reconnection time).
type eventParser struct {
	lines lineReader
	max   int
	// The buffers of the event being read.
	data    []byte
	hasData bool
	evType  string
	// What outlives an event, and a connection.
	lastID   string
	retry    time.Duration
	retrySet bool
	// bomDone is set once the first line of the connection was read.
	bomDone bool
}

// rawEvent is a dispatched event. Data is valid until the next call of
// next.
type rawEvent struct {
	ID, Type string
	Data     []byte
	// HasData is false for a block that set a type but no data, which
	// WHATWG does not dispatch; it is returned so a terminal or error
	// type can still end the stream.
	HasData bool
}

// reset starts a new connection: the pending event is discarded.
func (p *eventParser) reset(body io.Reader) {
	if p.lines.buf == nil {
		p.lines.buf = make([]byte, 4<<10)
	}
	p.lines.r, p.lines.start, p.lines.end, p.lines.scanned = body, 0, 0, 0
	p.lines.err, p.lines.skipLF, p.lines.max = nil, false, p.max
	p.data, p.hasData, p.evType, p.bomDone = p.data[:0], false, "", false
}

var bom = []byte("\xEF\xBB\xBF")

// next returns the next event, or the error that ended the stream (io.EOF
// when the server closed it; an incomplete event is then discarded, as
// WHATWG says).
func (p *eventParser) next() (rawEvent, error) {
	for {
		line, err := p.lines.readLine()
		if err != nil {
			if errors.Is(err, ErrEventTooLarge) {
				return rawEvent{}, &EventFormatError{EventID: p.lastID, Type: p.evType, Field: fieldOf(line),
					Data: line[:min(len(line), prefixSize)], Err: err}
			}
			return rawEvent{}, err
		}
		if !p.bomDone {
			p.bomDone = true
			line = bytes.TrimPrefix(line, bom)
		}
		if len(line) == 0 {
			if !p.hasData && p.evType == "" {
				continue
			}
			ev := rawEvent{ID: p.lastID, Type: p.evType, HasData: p.hasData, Data: p.data}
			if n := len(ev.Data); n > 0 && ev.Data[n-1] == '\n' {
				ev.Data = ev.Data[:n-1]
			}
			if ev.Type == "" {
				ev.Type = "message"
			}
			p.data, p.hasData, p.evType = p.data[:0], false, ""
			return ev, nil
		}
		if line[0] == ':' {
			continue // a comment
		}
		name, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			name, value = line[:i], line[i+1:]
			value = bytes.TrimPrefix(value, []byte{' '})
		}
		switch string(name) {
		case "event":
			p.evType = text(value)
		case "data":
			if len(p.data)+len(value)+1 > p.max {
				return rawEvent{}, &EventFormatError{EventID: p.lastID, Type: p.evType, Field: "data",
					Data: p.data[:min(len(p.data), prefixSize)], Err: ErrEventTooLarge}
			}
			p.data = append(p.data, value...)
			p.data = append(p.data, '\n')
			p.hasData = true
		case "id":
			if bytes.IndexByte(value, 0) < 0 {
				p.lastID = text(value)
			}
		case "retry":
			if ms, ok := digits(value); ok {
				p.retry, p.retrySet = ms, true
			}
		}
	}
}

// text decodes a field value as UTF-8, replacing invalid bytes.
func text(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// digits parses a retry value: ASCII digits only, in milliseconds; a
// value too large for a time.Duration is the largest one.
func digits(b []byte) (time.Duration, bool) {
	if len(b) == 0 {
		return 0, false
	}
	const most = math.MaxInt64 / int64(time.Millisecond)
	var ms int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if d := int64(c - '0'); ms > (most-d)/10 {
			ms = most
		} else {
			ms = ms*10 + d
		}
	}
	return time.Duration(ms) * time.Millisecond, true
}

// fieldOf returns the field name a (possibly partial) line starts with.
func fieldOf(line []byte) string {
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		line = line[:i]
	}
	return text(line[:min(len(line), 64)])
}

// lineReader splits a stream into lines ended by CRLF, LF or CR, none
// longer than max. It never waits for the byte after a CR: a LF that
// follows is skipped when it arrives.
type lineReader struct {
	r          io.Reader
	buf        []byte
	start, end int // the unread bytes are buf[start:end]
	scanned    int // of which the first scanned hold no line end
	max        int
	skipLF     bool
	err        error
}

// readLine returns the next line, valid until the next call. At the end
// of the stream it returns the reader's error (io.EOF) and drops a last
// line that has no line end. A line longer than max gives
// ErrEventTooLarge, with its start.
func (l *lineReader) readLine() ([]byte, error) {
	for {
		if l.skipLF && l.end > l.start {
			l.skipLF = false
			if l.buf[l.start] == '\n' {
				l.start++
			}
		}
		data := l.buf[l.start:l.end]
		if i := indexLineEnd(data[l.scanned:]); i >= 0 {
			i += l.scanned
			if i > l.max {
				return data[:l.max], ErrEventTooLarge
			}
			l.skipLF = data[i] == '\r'
			l.start += i + 1
			l.scanned = 0
			return data[:i], nil
		}
		l.scanned = len(data)
		if len(data) > l.max {
			return data[:l.max], ErrEventTooLarge
		}
		if l.err != nil {
			return nil, l.err
		}
		if l.start > 0 {
			copy(l.buf, data)
			l.start, l.end = 0, len(data)
		}
		if l.end == len(l.buf) {
			grown := make([]byte, min(2*len(l.buf), l.max+1))
			copy(grown, l.buf[:l.end])
			l.buf = grown
		}
		n, err := l.r.Read(l.buf[l.end:])
		l.end += n
		if err != nil {
			l.err = err
		}
	}
}

// indexLineEnd returns the index of the first CR or LF in b, or -1.
func indexLineEnd(b []byte) int {
	i := bytes.IndexByte(b, '\n')
	before := b
	if i >= 0 {
		before = b[:i]
	}
	if j := bytes.IndexByte(before, '\r'); j >= 0 {
		return j
	}
	return i
}
