package outbox

import (
	"context"
	"net/http"
	"time"
)

// Entry describes a queued write, as [Queue.Pending] lists it and events
// carry it. It never holds a credential.
type Entry struct {
	// ID is the write's rank in the queue, from 1, never reused.
	ID uint64
	// Key is the Idempotency-Key the write is sent with, the same on every
	// attempt; a write re-applied after a conflict gets a new one.
	Key      string
	Resource string
	Label    string
	// Operation is the operationId of the call.
	Operation string
	Method    string
	// URL is the request's URL. It carries no credential: the queue keeps
	// none (see [CredentialError]).
	URL string
	// IfMatch is the ETag the write is sent with in If-Match, if any;
	// AutoIfMatch says that it carries the ETag last seen for its path
	// instead (see [IfMatch]).
	IfMatch     string
	AutoIfMatch bool
	Policy      Policy
	Enqueued    time.Time
	// Attempts counts the sendings that failed; LastStatus and LastError
	// say how the last one did.
	Attempts   int
	LastStatus int
	LastError  string
	// NextAttempt is when the write may be sent again after a failure.
	NextAttempt time.Time
	// Sent reports that an attempt may have reached the server.
	Sent bool
	// Conflicts counts the times the write was re-applied after a 412.
	Conflicts int
	// DroppedHeaders names the call's headers the queue left out because
	// they carry credentials; the client adds its own to every attempt.
	DroppedHeaders []string
	BodySize       int
}

// Reason says why a write is dead.
type Reason string

// The reasons of [Dead] writes.
const (
	// ReasonRejected: the server answered with a 4xx status other than the
	// ones that may pass (408, 409 while an earlier attempt runs, 412,
	// 425, 429): the write is wrong, and sending it again cannot help.
	ReasonRejected Reason = "rejected"
	// ReasonConflict: the resource changed since the write's If-Match, and
	// the policy kept the server's version (ServerWins, a merge that
	// returned ErrDrop or failed, the resource gone, or too many conflicts
	// in a row).
	ReasonConflict Reason = "conflict"
	// ReasonExpired: the write waited longer than the retention. When
	// Dead.Sent is set an attempt may have reached the server; the queue
	// does not send it again, since the server may have forgotten its key.
	ReasonExpired Reason = "expired"
	// ReasonInvalid: the write cannot be sent as recorded (a URL of
	// another server than the client's, a request that cannot be built).
	ReasonInvalid Reason = "invalid"
)

// Dead is a write the queue gave up on, kept in the dead-letter list
// ([Queue.Dead]) with why, until [Queue.Discard] or [Queue.Requeue].
type Dead struct {
	Entry
	Reason Reason
	// Status is the server's answer (0 when none).
	Status int
	// Detail says more, on one line: the server's problem detail, the
	// merge function's error, ...
	Detail string
	// Problem is the server's problem+json body, when it sent one
	// (bounded).
	Problem []byte
	At      time.Time
}

// Policy says what happens to a write that the server refuses with 412
// Precondition Failed: the resource changed since the ETag it carried.
type Policy uint8

const (
	// ServerWins drops the write: it goes to the dead-letter list with
	// [ReasonConflict], and the server's version stands.
	ServerWins Policy = iota + 1
	// ClientWins reads the resource again (a GET of the write's path) and
	// sends the write again, as a new request with a new Idempotency-Key,
	// with If-Match set to the ETag just read.
	ClientWins
	// MergeChanges reads the resource again and hands the write's base
	// (see [BasedOn]), its body and the server's version to the queue's
	// [MergeFunc]; the merged body is sent as a new request with a new
	// Idempotency-Key and If-Match set to the ETag just read.
	MergeChanges
)

func (p Policy) String() string {
	switch p {
	case ServerWins:
		return "server-wins"
	case ClientWins:
		return "client-wins"
	case MergeChanges:
		return "merge"
	}
	return "default"
}

// Conflict is what a [MergeFunc] gets: the write, the version it was made
// against (Base, nil when not given with [BasedOn]), its body (Local, nil
// for a DELETE) and the server's current version (Remote, with its ETag).
type Conflict struct {
	Entry      Entry
	Base       []byte
	Local      []byte
	Remote     []byte
	RemoteETag string
}

// MergeFunc resolves a conflict: it returns the body to send instead of
// Local (for a DELETE, any value sends the DELETE again), or [ErrDrop] to
// keep the server's version, or another error, which gives the write up
// with [ReasonConflict]. It runs on a worker of the queue; ctx ends when
// the queue closes.
type MergeFunc func(ctx context.Context, c Conflict) ([]byte, error)

// EventKind is what happened to a write.
type EventKind uint8

// The kinds of [Event].
const (
	// EventQueued: the write is on disk.
	EventQueued EventKind = iota + 1
	// EventSent: the server applied the write (or had applied it: a
	// replayed response); it has left the queue.
	EventSent
	// EventRetrying: an attempt failed for a reason that may pass; the
	// write waits until Event.Next.
	EventRetrying
	// EventConflict: the server answered 412; the policy decides next.
	EventConflict
	// EventResolved: the write was changed after a conflict (ClientWins,
	// or MergeChanges) and will be sent again with a new key.
	EventResolved
	// EventDead: the write is given up (see [Dead]).
	EventDead
)

func (k EventKind) String() string {
	switch k {
	case EventQueued:
		return "queued"
	case EventSent:
		return "sent"
	case EventRetrying:
		return "retrying"
	case EventConflict:
		return "conflict"
	case EventResolved:
		return "resolved"
	case EventDead:
		return "dead"
	}
	return "unknown"
}

// Event tells a UI what happened to a write (see [WithOnEvent]).
type Event struct {
	Kind  EventKind
	Entry Entry
	// Status is the server's status, when the event comes from a response.
	Status int
	// Err is the failure, for Retrying, Conflict and Dead.
	Err error
	// Next is when a Retrying write may go again.
	Next time.Time
	// Reason is why a Dead write is dead.
	Reason Reason
}

// Result is the server's answer to a write that was applied.
type Result struct {
	Status int
	Header http.Header
	// Body is the response's body, up to 1 MiB.
	Body []byte
	// Replayed is set when the server answered with the stored response of
	// an earlier attempt (Idempotent-Replayed: true).
	Replayed bool
}

// maxResultBody bounds Result.Body.
const maxResultBody = 1 << 20

// Handle follows one queued write within the process that queued it.
type Handle struct {
	// ID is the write's id (Entry.ID).
	ID uint64
	// Key is its Idempotency-Key.
	Key string
	w   *waiter
}

// waiter is where a write's outcome is left for its handle.
type waiter struct {
	done   chan struct{}
	result *Result
	err    error
}

// Done is closed when the write has left the queue: sent, or dead.
func (h *Handle) Done() <-chan struct{} { return h.w.done }

// Wait waits until the write has left the queue and returns the server's
// answer, or a [*DeadError] when the queue gave it up, or ctx's error. A
// write still queued when the queue closes keeps waiting on disk; Wait
// then returns [ErrClosed].
func (h *Handle) Wait(ctx context.Context) (*Result, error) {
	select {
	case <-h.w.done:
		return h.w.result, h.w.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
