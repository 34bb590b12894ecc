package outbox

import (
	"errors"
	"fmt"
	"strings"
)

// OpenError reports a file that could not be opened as a queue: locked by
// another process past the lock timeout, not a queue's file, or damaged.
type OpenError struct {
	Path string
	Err  error
}

func (e *OpenError) Error() string { return fmt.Sprintf("outbox: open %s: %v", e.Path, e.Err) }

// Unwrap returns the cause.
func (e *OpenError) Unwrap() error { return e.Err }

// CorruptError reports damage found in the queue's file: bbolt panics on
// damaged pages, and a file shorter than its meta pages say would fault;
// the queue turns both into this error.
type CorruptError struct {
	Op  string
	Err error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("outbox: %s: damaged file: %v", e.Op, e.Err)
}

// Unwrap returns the cause.
func (e *CorruptError) Unwrap() error { return e.Err }

// OptionError reports an option given a value it cannot take, or options
// that contradict each other (a retention as long as the server's key
// lifetime, say).
type OptionError struct {
	Option string
	Reason string
}

func (e *OptionError) Error() string { return fmt.Sprintf("outbox: %s: %s", e.Option, e.Reason) }

// EnqueueError reports a call that could not be queued: the call made no
// request, or not a write, or one the queue cannot keep (a body too large,
// a body that could not be read). Err is the cause, when there is one
// (the call's own error when it failed before sending, say).
type EnqueueError struct {
	// Operation is the operationId of the call, when it got that far.
	Operation string
	Reason    string
	Err       error
}

func (e *EnqueueError) Error() string {
	var b strings.Builder
	b.WriteString("outbox: cannot queue")
	if e.Operation != "" {
		b.WriteString(" " + e.Operation)
	}
	b.WriteString(": " + e.Reason)
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *EnqueueError) Unwrap() error { return e.Err }

// CredentialError reports a call whose request carries a credential where
// the queue cannot leave it out without changing the request: a query
// parameter whose name says it is a secret (access_token, api_key, ...)
// that the call itself set. The queue never writes credentials to disk;
// pass them as auth options of the client (sdk.WithAPIKey(sdk.InQuery,
// ...)), which add them again to every attempt.
type CredentialError struct {
	Operation string
	// Where names the place: "query parameter access_token".
	Where string
}

func (e *CredentialError) Error() string {
	return fmt.Sprintf("outbox: cannot queue %s: the request carries a credential in its %s, which the queue would have to write to disk; pass it as an auth option of the client instead", e.Operation, e.Where)
}

// DeadError is the error of a [Handle] whose write the queue gave up on:
// the server rejected it, a conflict was resolved against it, or it
// outlived the retention. Dead holds the write and the reason; the write
// stays in the dead-letter list ([Queue.Dead]) until discarded.
type DeadError struct {
	Dead Dead
}

func (e *DeadError) Error() string {
	d := e.Dead
	s := fmt.Sprintf("outbox: write %d (%s %s) is dead: %s", d.ID, d.Method, d.Operation, d.Reason)
	if d.Status != 0 {
		s += fmt.Sprintf(" (status %d)", d.Status)
	}
	if d.Detail != "" {
		s += ": " + d.Detail
	}
	return s
}

// FlushError reports a [Queue.Flush] that ended with writes still queued,
// because sending failed for a reason that may pass (the server could not
// be reached, answered 503, ...). The queue keeps them and tries again on
// its timer.
type FlushError struct {
	// Pending counts the writes still queued that Flush was waiting for.
	Pending int
	// Err is the last failure.
	Err error
}

func (e *FlushError) Error() string {
	return fmt.Sprintf("outbox: %d %s still queued: %v", e.Pending, plural(e.Pending, "write", "writes"), e.Err)
}

// Unwrap returns the last failure.
func (e *FlushError) Unwrap() error { return e.Err }

// ErrNotStarted is returned by [Queue.Flush] on a queue that has no client
// to send with ([Queue.Start] was not called).
var ErrNotStarted = errors.New("outbox: the queue has not been started with a client")

// ErrClosed is returned by the methods of a closed queue.
var ErrClosed = errClosed

// ErrDiscarded is the error of a [Handle] whose write was discarded
// ([Queue.Discard]) before it was sent.
var ErrDiscarded = errors.New("outbox: write discarded")

// ErrNotFound is returned for an id that names no write of the list asked.
var ErrNotFound = errors.New("outbox: no such write")

// ErrDrop is what a [MergeFunc] returns to drop the write: the server's
// version stands, and the write goes to the dead-letter list with
// [ReasonConflict].
var ErrDrop = errors.New("outbox: write dropped by the merge")

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
