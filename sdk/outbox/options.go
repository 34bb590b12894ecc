package outbox

import (
	"context"
	"fmt"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk"
)

// Defaults of a [Queue].
const (
	// DefaultRetention is how long a write may wait to be delivered before
	// the queue gives up on it. It must stay below the server's key
	// lifetime (the time it remembers an Idempotency-Key, 24 hours for the
	// products example and for Stripe): past that, a write whose response
	// was lost could be applied a second time. Half of the usual day
	// leaves room for clocks and for servers that keep keys shorter.
	DefaultRetention = 12 * time.Hour
	// DefaultWorkers is how many writes to independent resources are sent
	// at once.
	DefaultWorkers = 4
	// DefaultMaxBody bounds the body of a queued write.
	DefaultMaxBody = 16 << 20
	// DefaultMaxDead bounds the dead-letter list: past it, the oldest dead
	// writes are dropped.
	DefaultMaxDead = 1000
	// DefaultBaseDelay and DefaultMaxDelay bound the waits between
	// attempts of a write (and, while the server cannot be reached, between
	// attempts of the whole queue): exponential from the base, capped.
	DefaultBaseDelay = time.Second
	DefaultMaxDelay  = 5 * time.Minute
	// DefaultSendTimeout bounds one sending of a write, the client's own
	// retries included.
	DefaultSendTimeout = 2 * time.Minute
	// DefaultLockTimeout is how long Open waits for another process that
	// holds the file.
	DefaultLockTimeout = 5 * time.Second
	// DefaultMaxConflicts bounds how often one write is re-applied after a
	// conflict (ClientWins or Merge) before it is given up.
	DefaultMaxConflicts = 3
)

// Sync says when the queue's changes reach the disk.
type Sync uint8

const (
	// SyncGrouped (the default) commits every change waiting when the
	// previous commit ends in one transaction, with one fsync: Enqueue
	// still returns only once its write is on disk, but concurrent callers
	// share the cost.
	SyncGrouped Sync = iota
	// SyncEach commits every change in a transaction of its own, one fsync
	// each.
	SyncEach
)

// Option configures a [Queue] when it is opened.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	retention    time.Duration
	keyLifetime  time.Duration
	workers      int
	policy       Policy
	merge        MergeFunc
	onEvent      func(Event)
	maxBody      int64
	maxDead      int
	baseDelay    time.Duration
	maxDelay     time.Duration
	sendTimeout  time.Duration
	lockTimeout  time.Duration
	maxConflicts int
	sync         Sync
	now          func() time.Time
	errs         []error
}

func defaultConfig() config {
	return config{
		retention:    DefaultRetention,
		workers:      DefaultWorkers,
		policy:       ServerWins,
		maxBody:      DefaultMaxBody,
		maxDead:      DefaultMaxDead,
		baseDelay:    DefaultBaseDelay,
		maxDelay:     DefaultMaxDelay,
		sendTimeout:  DefaultSendTimeout,
		lockTimeout:  DefaultLockTimeout,
		maxConflicts: DefaultMaxConflicts,
		now:          time.Now,
	}
}

func (c *config) fail(option, format string, args ...any) {
	c.errs = append(c.errs, &OptionError{Option: option, Reason: fmt.Sprintf(format, args...)})
}

// check reports options that contradict each other.
func (c *config) check() {
	if c.keyLifetime > 0 && c.retention >= c.keyLifetime {
		c.fail("WithRetention", "a retention of %s is not below the server's key lifetime of %s: a write whose response was lost could be applied twice", c.retention, c.keyLifetime)
	}
	if c.policy == MergeChanges && c.merge == nil {
		c.fail("WithConflictPolicy", "MergeChanges needs a merge function (WithMerge)")
	}
}

// WithRetention sets how long a write may wait to be delivered, counted
// from when it was queued (default [DefaultRetention]). A write older than
// that is not sent again: it goes to the dead-letter list with
// [ReasonExpired], and whether it reached the server is unknown when its
// Dead.Sent is set. Keep it below the server's key lifetime
// ([WithKeyLifetime] checks).
func WithRetention(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d <= 0 {
			c.fail("WithRetention", "must be positive")
			return
		}
		c.retention = d
	})
}

// WithKeyLifetime tells the queue how long the server remembers an
// Idempotency-Key; Open then fails with an [*OptionError] unless the
// retention is shorter.
func WithKeyLifetime(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d <= 0 {
			c.fail("WithKeyLifetime", "must be positive")
			return
		}
		c.keyLifetime = d
	})
}

// WithWorkers sets how many writes, each to a different resource, are sent
// at once (default [DefaultWorkers]). Writes to one resource always go one
// at a time, in the order they were queued.
func WithWorkers(n int) Option {
	return optionFunc(func(c *config) {
		if n < 1 {
			c.fail("WithWorkers", "must be at least 1")
			return
		}
		c.workers = n
	})
}

// WithConflictPolicy sets what happens to a write the server refuses with
// 412 Precondition Failed because the resource changed since the ETag the
// write carried in If-Match (default [ServerWins]). A write may choose its
// own with [WithPolicy].
func WithConflictPolicy(p Policy) Option {
	return optionFunc(func(c *config) {
		if p == 0 || p > MergeChanges {
			c.fail("WithConflictPolicy", "unknown policy %d", p)
			return
		}
		c.policy = p
	})
}

// WithMerge sets the function that resolves conflicts of writes whose
// policy is [MergeChanges].
func WithMerge(f MergeFunc) Option {
	return optionFunc(func(c *config) { c.merge = f })
}

// WithOnEvent calls f with every event of the queue's writes (queued,
// sent, retrying, conflict, resolved, dead), for a UI to show. f runs on
// the goroutine that made the change, after it is on disk: it must be
// quick, must not block, and must not call the queue's methods that wait
// (Flush, Enqueue, Close).
func WithOnEvent(f func(Event)) Option {
	return optionFunc(func(c *config) { c.onEvent = f })
}

// WithMaxBody bounds the body of a queued write (default
// [DefaultMaxBody]); a call with a larger body is not queued.
func WithMaxBody(n int64) Option {
	return optionFunc(func(c *config) {
		if n <= 0 {
			c.fail("WithMaxBody", "must be positive")
			return
		}
		c.maxBody = n
	})
}

// WithMaxDead bounds the dead-letter list (default [DefaultMaxDead]).
func WithMaxDead(n int) Option {
	return optionFunc(func(c *config) {
		if n < 1 {
			c.fail("WithMaxDead", "must be at least 1")
			return
		}
		c.maxDead = n
	})
}

// WithBackoff sets the waits after failed attempts: the n-th failure in a
// row waits between half and all of base·2ⁿ⁻¹, capped at max (defaults
// [DefaultBaseDelay], [DefaultMaxDelay]). A server's Retry-After, when
// longer, is obeyed up to max.
func WithBackoff(base, max time.Duration) Option {
	return optionFunc(func(c *config) {
		if base <= 0 || max < base {
			c.fail("WithBackoff", "want 0 < base <= max, got base %s, max %s", base, max)
			return
		}
		c.baseDelay, c.maxDelay = base, max
	})
}

// WithSendTimeout bounds one sending of a write, with the client's own
// retries (default [DefaultSendTimeout]).
func WithSendTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d <= 0 {
			c.fail("WithSendTimeout", "must be positive")
			return
		}
		c.sendTimeout = d
	})
}

// WithLockTimeout sets how long Open waits for another process holding the
// file (default [DefaultLockTimeout]).
func WithLockTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d <= 0 {
			c.fail("WithLockTimeout", "must be positive")
			return
		}
		c.lockTimeout = d
	})
}

// WithMaxConflicts bounds how often a write is re-applied after conflicts
// before it is given up with [ReasonConflict] (default
// [DefaultMaxConflicts]).
func WithMaxConflicts(n int) Option {
	return optionFunc(func(c *config) {
		if n < 1 {
			c.fail("WithMaxConflicts", "must be at least 1")
			return
		}
		c.maxConflicts = n
	})
}

// WithSync sets when changes reach the disk (default [SyncGrouped]).
func WithSync(s Sync) Option {
	return optionFunc(func(c *config) {
		if s > SyncEach {
			c.fail("WithSync", "unknown mode %d", s)
			return
		}
		c.sync = s
	})
}

// WithClock replaces the clock of retention and backoff, for tests.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c *config) {
		if now != nil {
			c.now = now
		}
	})
}

// WriteOption configures one queued write ([Queue.Enqueue]).
type WriteOption interface {
	applyWrite(*writeConfig)
}

type writeOptionFunc func(*writeConfig)

func (f writeOptionFunc) applyWrite(w *writeConfig) { f(w) }

type writeConfig struct {
	resource    string
	label       string
	ifMatch     *string
	base        []byte
	policy      Policy
	checkpoints map[string][]byte
	errs        []error
}

// Resource names the resource a write belongs to (default: the path of its
// URL). Writes to one resource are sent one at a time, in the order they
// were queued; writes to different resources go in parallel. Give writes
// to several paths that must stay in order the same resource
// ("/products/prd_1" for an image upload to "/products/prd_1/image",
// say).
func Resource(name string) WriteOption {
	return writeOptionFunc(func(w *writeConfig) { w.resource = name })
}

// Label attaches a description for people ("rename the desk lamp") to a
// write, shown by Pending and Dead and in events.
func Label(text string) WriteOption {
	return writeOptionFunc(func(w *writeConfig) { w.label = text })
}

// IfMatch sends the write with If-Match: etag, the ETag of the version of
// the resource the write was made against. When the earlier writes of its
// resource were made against the same ETag, the write is sent against the
// ETag the last of them returned, so that a user's own changes are not
// conflicts.
//
// Without IfMatch (or [BasedOn]), a write carries the If-Match the call
// set itself, else, for a PUT, PATCH or DELETE, the ETag last seen for its
// path when it is its turn to be sent: from the responses of the client's
// calls (see [Queue.Watch]) and of the queue's own writes, which is the
// version the user last saw, their own queued changes included. A write
// to another path of the same resource (an image upload) makes the queue
// forget that ETag, since the resource may have changed; so does a
// restart. A write sent without a known ETag is sent without If-Match.
// IfMatch("") sends none.
func IfMatch(etag string) WriteOption {
	return writeOptionFunc(func(w *writeConfig) { w.ifMatch = &etag })
}

// BasedOn says which version of the resource the write was made against:
// its ETag (sent as If-Match) and its representation (body), which a
// [MergeFunc] gets as the base of a conflict.
func BasedOn(etag string, body []byte) WriteOption {
	return writeOptionFunc(func(w *writeConfig) {
		w.ifMatch = &etag
		w.base = append([]byte(nil), body...)
	})
}

// WithPolicy sets the conflict policy of one write, over the queue's.
func WithPolicy(p Policy) WriteOption {
	return writeOptionFunc(func(w *writeConfig) {
		if p == 0 || p > MergeChanges {
			w.errs = append(w.errs, &OptionError{Option: "WithPolicy", Reason: fmt.Sprintf("unknown policy %d", p)})
			return
		}
		w.policy = p
	})
}

// Checkpoint stores value under name in the queue's file, in the same
// transaction as the write: after a crash, [Queue.Checkpoint] says whether
// the write was queued. An application that turns a log of its own into
// writes records how far it got this way, so that it never queues one of
// them twice (a write queued twice is two writes, with two keys).
func Checkpoint(name string, value []byte) WriteOption {
	return writeOptionFunc(func(w *writeConfig) {
		if w.checkpoints == nil {
			w.checkpoints = map[string][]byte{}
		}
		w.checkpoints[name] = append([]byte(nil), value...)
	})
}

// Call is one call of a generated SDK method that the queue records
// instead of sending: it must make exactly one call, passing opts to the
// method, and return its error.
//
//	q.Enqueue(ctx, func(ctx context.Context, opts ...sdk.Option) error {
//		_, err := c.Products.UpdateProduct(ctx, id, nil, change, opts...)
//		return err
//	})
type Call func(ctx context.Context, opts ...sdk.Option) error
