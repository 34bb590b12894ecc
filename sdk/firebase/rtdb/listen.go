package rtdb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strconv"
	"strings"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

// Snapshot is the value of a listened location after a change.
type Snapshot[T any] struct {
	// Path is the listened location.
	Path string
	// Event is what changed it: "put" (a value replaced, the whole
	// location on every (re)connection) or "patch" (children updated).
	Event string
	// Changed is where the change happened, relative to Path ("/" for the
	// whole location, "/scores/ada" for a child).
	Changed string
	// Exists reports whether the location has data; Value is T's zero
	// value when it has none.
	Exists bool
	// Value is the location's whole value after the change.
	Value T
}

// Listen streams the value at r: the first snapshot is the current value,
// then one snapshot per change, each holding the location's whole value,
// folded from the server's put and patch events into a local copy. It is a
// single-use iterator; break out of the loop to stop listening. Each
// snapshot comes after the previous one's changes, in the order the
// database applied them.
//
// A dropped connection (the server closes it, or it is silent past
// sdk.WithIdleTimeout; the database sends a keep-alive every 30 s) is
// reconnected after the backoff of [WithReconnect], and the database sends
// the whole value again, so changes made in the meantime arrive in the
// next snapshot. auth_revoked (the ID token expired or was revoked) makes
// the token source refresh, and the stream resumes with the new token;
// drops and revocations count against MaxRetries until an event arrives.
// cancel (the security rules no longer allow the read) ends the iteration
// with a [*CancelError]. Other failures end it with an [*Error]: the first
// connection refused (401 Permission denied, say), or MaxRetries
// reconnections in a row that delivered nothing.
func Listen[T any](ctx context.Context, r Ref, opts ...sdk.Option) iter.Seq2[Snapshot[T], error] {
	return func(yield func(Snapshot[T], error) bool) {
		if r.c == nil {
			yield(Snapshot[T]{}, &Error{Op: "listen", Err: errors.New("zero Ref: use Client.Ref")})
			return
		}
		if r.err != nil {
			yield(Snapshot[T]{}, r.err)
			return
		}
		if ctx == nil {
			ctx = context.Background()
		}
		l := &listener[T]{r: r, yield: yield}
		l.run(ctx, opts)
	}
}

type listener[T any] struct {
	r     Ref
	yield func(Snapshot[T], error) bool
	tree  any // the location's value, as decoded JSON (objects are map[string]any)

	connections int
	failures    int // reconnections in a row that delivered no event
}

// end is how one connection ended.
type end uint8

const (
	endDropped end = iota // reconnect
	endRevoked            // refresh, then reconnect
	endStop               // the iteration is over
)

func (l *listener[T]) run(ctx context.Context, opts []sdk.Option) {
	c := l.r.c
	for {
		e, cause := l.connect(ctx, opts)
		switch e {
		case endStop:
			return
		case endRevoked:
			// Refresh and reconnect at once; a source whose new tokens are
			// revoked again and again counts as failing reconnections.
			if l.failures++; l.failures > c.reconnect.MaxRetries {
				l.yield(Snapshot[T]{}, &Error{Op: "listen", Path: l.r.Path(),
					Err: fmt.Errorf("the credential was revoked %d times in a row without an event", l.failures)})
				return
			}
			if c.tokens != nil {
				if err := c.tokens.revoked(ctx); err != nil {
					l.yield(Snapshot[T]{}, c.wrap("listen", l.r.Path(), err))
					return
				}
			}
			continue
		}
		l.failures++
		if ctx.Err() != nil {
			l.yield(Snapshot[T]{}, &Error{Op: "listen", Path: l.r.Path(), Err: ctx.Err()})
			return
		}
		if l.failures > c.reconnect.MaxRetries {
			l.yield(Snapshot[T]{}, &Error{Op: "listen", Path: l.r.Path(),
				Err: fmt.Errorf("gave up after %d reconnections without an event: %w", l.failures-1, cause)})
			return
		}
		if err := c.sleep(ctx, c.reconnect.Backoff(l.failures)); err != nil {
			l.yield(Snapshot[T]{}, &Error{Op: "listen", Path: l.r.Path(), Err: err})
			return
		}
	}
}

// connect runs one connection: it yields the snapshots of its events and
// says how it ended, with the cause of a drop.
func (l *listener[T]) connect(ctx context.Context, opts []sdk.Option) (end, error) {
	l.connections++
	build := l.r.request(http.MethodGet, nil, nil, http.Header{"Accept": {"text/event-stream"}})
	for ev, err := range sdkimpl.TextEvents(ctx, l.r.c.sdk, opListen, build, opts...) {
		if err != nil {
			if l.droppable(ctx, err) {
				return endDropped, err
			}
			l.yield(Snapshot[T]{}, l.r.c.wrap("listen", l.r.Path(), err))
			return endStop, nil
		}
		switch ev.Type {
		case "put", "patch":
			snap, err := l.fold(ev.Type, ev.Raw)
			if err != nil {
				l.yield(Snapshot[T]{}, err)
				return endStop, nil
			}
			l.failures = 0
			if !l.yield(snap, nil) {
				return endStop, nil
			}
		case "keep-alive":
		case "cancel":
			var reason string
			_ = json.Unmarshal([]byte(ev.Raw), &reason)
			l.yield(Snapshot[T]{}, &CancelError{Path: l.r.Path(), Reason: oneLine(l.r.c.tokens.scrub(reason), 300)})
			return endStop, nil
		case "auth_revoked":
			return endRevoked, nil
		}
	}
	// The server ended the stream cleanly (204 No Content): nothing more
	// will come.
	return endStop, nil
}

// droppable reports whether err ended a connection that may be resumed:
// the stream dropped after it delivered events (the SDK resumes only
// streams with event ids, which the database does not send), or a
// reconnection failed in a way a later one may not.
func (l *listener[T]) droppable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var fe *sdk.EventFormatError
	var ee *sdk.ErrorEvent
	if errors.As(err, &fe) || errors.As(err, &ee) {
		return false
	}
	var se *sdk.StreamError
	if errors.As(err, &se) {
		return true
	}
	if l.connections == 1 {
		return false // the first connection's error is the caller's answer
	}
	var apiErr *sdk.APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode >= 500 || apiErr.StatusCode == http.StatusTooManyRequests
	}
	var te *sdk.TransportError
	var re *sdk.RetryError
	return errors.As(err, &te) || errors.As(err, &re)
}

// fold applies a put or patch event to the local copy and returns the
// snapshot after it.
func (l *listener[T]) fold(event, raw string) (Snapshot[T], error) {
	var ev struct {
		Path string          `json:"path"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(raw), &ev); err != nil || ev.Path == "" {
		return Snapshot[T]{}, &Error{Op: "listen", Path: l.r.Path(), Err: fmt.Errorf("malformed %s event: %v", event, err)}
	}
	data, err := decodeTree(ev.Data)
	if err != nil {
		return Snapshot[T]{}, &Error{Op: "listen", Path: l.r.Path(), Err: fmt.Errorf("malformed %s data: %w", event, err)}
	}
	at := splitPath(ev.Path)
	if event == "put" {
		l.tree = setTree(l.tree, at, data)
	} else {
		m, ok := data.(map[string]any)
		if !ok {
			return Snapshot[T]{}, &Error{Op: "listen", Path: l.r.Path(), Err: errors.New("patch data is not an object")}
		}
		for k, v := range m {
			l.tree = setTree(l.tree, append(append([]string(nil), at...), splitPath(k)...), v)
		}
	}
	snap := Snapshot[T]{Path: l.r.Path(), Event: event, Changed: "/" + strings.Join(at, "/"), Exists: l.tree != nil}
	if l.tree != nil {
		b, err := json.Marshal(arrayify(l.tree))
		if err == nil {
			err = json.Unmarshal(b, &snap.Value)
		}
		if err != nil {
			return Snapshot[T]{}, &Error{Op: "listen", Path: l.r.Path(), Err: fmt.Errorf("decoding the value as %T: %w", snap.Value, err)}
		}
	}
	return snap, nil
}

// decodeTree decodes JSON keeping numbers exact.
func decodeTree(b []byte) (any, error) {
	if len(b) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return normalize(v), nil
}

func splitPath(p string) []string {
	var out []string
	for seg := range strings.SplitSeq(p, "/") {
		if seg != "" {
			out = append(out, seg)
		}
	}
	return out
}

// setTree, normalize and arrayify follow the database's storage rules; the
// test server (internal/rtdbserver) implements them on its own, on
// purpose, so that one bug cannot pass both.

// setTree returns root with the value at path replaced by v: nil deletes,
// and objects left empty disappear, as the database stores data.
func setTree(root any, path []string, v any) any {
	if len(path) == 0 {
		return v
	}
	m, ok := root.(map[string]any)
	if !ok {
		m = map[string]any{}
	}
	child := setTree(m[path[0]], path[1:], v)
	if child == nil {
		delete(m, path[0])
	} else {
		m[path[0]] = child
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// normalize turns arrays into objects keyed by index (the database stores
// them so, and a child of one may change on its own) and drops nulls and
// empty objects; [arrayify] turns them back for decoding.
func normalize(v any) any {
	switch x := v.(type) {
	case []any:
		m := make(map[string]any, len(x))
		for i, e := range x {
			if e = normalize(e); e != nil {
				m[fmt.Sprint(i)] = e
			}
		}
		if len(m) == 0 {
			return nil
		}
		return m
	case map[string]any:
		for k, e := range x {
			if e = normalize(e); e == nil {
				delete(x, k)
			} else {
				x[k] = e
			}
		}
		if len(x) == 0 {
			return nil
		}
		return x
	}
	return v
}

// arrayify returns v as the database renders it: an object whose keys are
// all integers from 0, more than half of the indexes up to the largest
// holding a value, becomes an array (missing indexes null), so that a T
// with slice fields decodes as it would from a GET. It copies what it
// changes.
func arrayify(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	maxIdx, isArray := -1, len(m) > 0
	for k := range m {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || strconv.Itoa(i) != k {
			isArray = false
			break
		}
		maxIdx = max(maxIdx, i)
	}
	if isArray && len(m)*2 > maxIdx+1 {
		out := make([]any, maxIdx+1)
		for k, e := range m {
			i, _ := strconv.Atoi(k)
			out[i] = arrayify(e)
		}
		return out
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		out[k] = arrayify(e)
	}
	return out
}
