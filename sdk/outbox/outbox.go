package outbox

import (
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sdkgen-go/sdkgen/sdk"
)

// Queue is a durable queue of writes. Open one per file; it is safe for
// concurrent use.
type Queue struct {
	cfg  config
	path string
	db   *bolt.DB
	com  *committer

	etags etagCache

	ctx    context.Context // ends when the queue closes; sends run under it
	cancel context.CancelFunc
	kick   chan struct{}
	wg     sync.WaitGroup // the dispatcher and the workers

	mu      sync.Mutex
	client  *sdk.Client
	closed  bool
	entries map[uint64]*entry
	lanes   map[string]*lane
	ready   laneHeap // idle lanes with writes, by when their first may go
	busy    int      // workers sending
	waiters map[uint64]*waiter
	flushes []*flushWaiter
	dead    int // writes in the dead-letter list
	// While the server cannot be reached the whole queue waits: pauseUntil
	// is when it may try again, after offline failures in a row.
	pauseUntil  time.Time
	offline     int
	lastTrigger time.Time
}

// entry is a queued write in memory. Its record is changed only by the
// worker sending it (or under mu, when the lane is idle), and written to
// disk before it is used.
type entry struct {
	id      uint64
	rec     record
	bodyLen int
	lane    *lane
	// next is when the write may be sent; guarded by mu.
	next time.Time
	// maybeSent: an attempt may have reached the server (always true for
	// writes found on disk at Open: the process before may have sent
	// them).
	maybeSent bool
	// keyInUse counts the 409s the write got after it may have been sent
	// (an earlier attempt still running on the server).
	keyInUse int
}

// lane holds the writes of one resource, in order; only its first is ever
// being sent.
type lane struct {
	name    string
	entries []*entry
	busy    bool
	idx     int // in Queue.ready, or -1
}

// flushWaiter is a Flush waiting for the writes queued before it.
type flushWaiter struct {
	target    uint64
	remaining int
	err       error
	done      chan struct{}
}

// Open opens the queue in the file at path, creating it if needed, and
// loads the writes it holds. It sends nothing until [Queue.Start] gives it
// a client. bbolt locks the file: one process at a time.
func Open(path string, opts ...Option) (*Queue, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	cfg.check()
	if len(cfg.errs) > 0 {
		return nil, errors.Join(cfg.errs...)
	}
	db, err := openDB(path, cfg.lockTimeout)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	q := &Queue{
		cfg: cfg, path: path, db: db,
		ctx: ctx, cancel: cancel,
		kick:    make(chan struct{}, 1),
		entries: map[uint64]*entry{},
		lanes:   map[string]*lane{},
		waiters: map[uint64]*waiter{},
	}
	if err := q.load(); err != nil {
		cancel()
		db.Close()
		return nil, &OpenError{Path: path, Err: err}
	}
	q.com = newCommitter(db, cfg.sync == SyncGrouped)
	return q, nil
}

// load reads the writes of the file into lanes. A record that cannot be
// read goes to the dead-letter list.
func (q *Queue) load() error {
	var bad []uint64
	err := guarded("load", func() error {
		return q.db.View(func(tx *bolt.Tx) error {
			bodies := tx.Bucket(bucketBodies)
			q.dead = tx.Bucket(bucketDead).Stats().KeyN
			return tx.Bucket(bucketEntries).ForEach(func(k, v []byte) error {
				id := keySeq(k)
				var rec record
				if err := json.Unmarshal(v, &rec); err != nil || rec.V != formatVersion || id == 0 {
					bad = append(bad, id)
					return nil
				}
				e := &entry{id: id, rec: rec, bodyLen: len(bodies.Get(k)), maybeSent: true, next: rec.NextAttempt}
				q.add(e)
				return nil
			})
		})
	})
	if err != nil || len(bad) == 0 {
		return err
	}
	now := q.cfg.now()
	return q.com0(func(tx *bolt.Tx) error {
		for _, id := range bad {
			raw := tx.Bucket(bucketEntries).Get(seqKey(id))
			d := deadRecord{Reason: ReasonInvalid, Detail: fmt.Sprintf("the record cannot be read (%d bytes)", len(raw)), At: now}
			if err := putJSON(tx.Bucket(bucketDead), seqKey(id), d); err != nil {
				return err
			}
			if err := tx.Bucket(bucketEntries).Delete(seqKey(id)); err != nil {
				return err
			}
			q.dead++
		}
		return nil
	})
}

// com0 commits without the committer (before it starts).
func (q *Queue) com0(fn func(tx *bolt.Tx) error) error {
	return guarded("write", func() error { return q.db.Update(fn) })
}

// add puts e in its lane, in id order (never before a write being sent),
// and the lane in the ready heap when idle. q.mu is held (or q is not yet
// shared).
func (q *Queue) add(e *entry) {
	q.entries[e.id] = e
	l := q.lanes[e.rec.Resource]
	if l == nil {
		l = &lane{name: e.rec.Resource, idx: -1}
		q.lanes[l.name] = l
	}
	e.lane = l
	i := len(l.entries)
	for i > 0 && l.entries[i-1].id > e.id && !(i-1 == 0 && l.busy) {
		i--
	}
	l.entries = slices.Insert(l.entries, i, e)
	q.schedule(l)
}

// schedule puts an idle lane with writes in the ready heap, or fixes its
// place there. q.mu is held.
func (q *Queue) schedule(l *lane) {
	if l.busy || len(l.entries) == 0 || q.closed {
		return
	}
	if l.idx >= 0 {
		heap.Fix(&q.ready, l.idx)
		return
	}
	heap.Push(&q.ready, l)
}

// Start makes the queue send its writes through client, in the
// background, until Close: at once, after every failure on a timer with
// backoff, after every successful call of a client that has the queue's
// [Queue.Watch] option, and on [Queue.Flush]. Each write goes through the
// client's full chain (its middleware, cache, retries, auth with fresh
// credentials, logging), as a call of its own. A queue starts once.
func (q *Queue) Start(client *sdk.Client) error {
	if client == nil {
		return &OptionError{Option: "Start", Reason: "nil client"}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.closed:
		return ErrClosed
	case q.client != nil:
		return errors.New("outbox: the queue is already started")
	}
	q.client = client
	q.wg.Add(1)
	go q.dispatch()
	return nil
}

// Close stops sending, waits for the writes being sent (a send cut short
// stays queued, and goes again when the queue is opened next), and closes
// the file. Handles still waiting get [ErrClosed]. It is safe to call more
// than once.
func (q *Queue) Close() error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	q.mu.Unlock()
	q.cancel()
	q.wg.Wait()
	q.com.close()
	q.mu.Lock()
	for id, w := range q.waiters {
		w.err = ErrClosed
		close(w.done)
		delete(q.waiters, id)
	}
	for _, f := range q.flushes {
		f.err = ErrClosed
		close(f.done)
	}
	q.flushes = nil
	q.mu.Unlock()
	return q.db.Close()
}

// Path returns the queue's file.
func (q *Queue) Path() string { return q.path }

// Len returns the number of writes queued (not dead).
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.entries)
}

// Pending lists the queued writes, in the order they were queued.
func (q *Queue) Pending() ([]Entry, error) {
	var out []Entry
	err := q.read(func(tx *bolt.Tx) error {
		bodies := tx.Bucket(bucketBodies)
		return tx.Bucket(bucketEntries).ForEach(func(k, v []byte) error {
			var rec record
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("write %d: %w", keySeq(k), err)
			}
			out = append(out, rec.entry(keySeq(k), len(bodies.Get(k))))
			return nil
		})
	})
	return out, err
}

// Dead lists the dead-letter list: the writes the queue gave up on, oldest
// first.
func (q *Queue) Dead() ([]Dead, error) {
	var out []Dead
	err := q.read(func(tx *bolt.Tx) error {
		bodies := tx.Bucket(bucketBodies)
		return tx.Bucket(bucketDead).ForEach(func(k, v []byte) error {
			var d deadRecord
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("dead write %d: %w", keySeq(k), err)
			}
			out = append(out, d.dead(keySeq(k), len(bodies.Get(k))))
			return nil
		})
	})
	return out, err
}

// Checkpoint returns the value last stored under name with [Checkpoint],
// or nil.
func (q *Queue) Checkpoint(name string) ([]byte, error) {
	var v []byte
	err := q.read(func(tx *bolt.Tx) error {
		v = slices.Clone(tx.Bucket(bucketCheckpoints).Get([]byte(name)))
		return nil
	})
	return v, err
}

// read runs a read transaction of an open queue.
func (q *Queue) read(fn func(tx *bolt.Tx) error) error {
	q.mu.Lock()
	closed := q.closed
	q.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return view(q.db, fn)
}

// Discard removes a write from the dead-letter list, or a queued write
// that is not being sent. It returns [ErrNotFound] for an id that is in
// neither.
func (q *Queue) Discard(id uint64) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	e := q.entries[id]
	if e != nil {
		if e.lane.busy && e.lane.entries[0] == e {
			q.mu.Unlock()
			return fmt.Errorf("outbox: write %d is being sent", id)
		}
		q.remove(e)
	}
	q.mu.Unlock()
	wasDead := false
	err := q.com.run(func(tx *bolt.Tx) error {
		k := seqKey(id)
		wasDead = tx.Bucket(bucketDead).Get(k) != nil
		for _, b := range [][]byte{bucketEntries, bucketDead, bucketBodies, bucketBases} {
			if err := tx.Bucket(b).Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if wasDead {
		q.mu.Lock()
		q.dead--
		q.mu.Unlock()
	}
	if e == nil && !wasDead {
		return ErrNotFound
	}
	if e != nil {
		q.finish(e, nil, ErrDiscarded)
	}
	return nil
}

// Requeue queues a dead write again, at the end of its resource's writes,
// as a new write: a new id, a new Idempotency-Key, its retention counted
// from now. Use it for a write that expired before it was ever sent, or
// once what made the server reject it is fixed.
func (q *Queue) Requeue(id uint64) (*Handle, error) {
	q.mu.Lock()
	closed := q.closed
	q.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	var e *entry
	err := q.com.run(func(tx *bolt.Tx) error {
		k := seqKey(id)
		raw := tx.Bucket(bucketDead).Get(k)
		if raw == nil {
			return ErrNotFound
		}
		var d deadRecord
		if err := json.Unmarshal(raw, &d); err != nil || d.Record.V != formatVersion {
			return fmt.Errorf("outbox: dead write %d cannot be read", id)
		}
		rec := d.Record
		rec.Key = newKey()
		rec.Enqueued = q.cfg.now()
		rec.Attempts, rec.Sent, rec.LastError, rec.LastStatus, rec.NextAttempt, rec.Conflicts = 0, false, "", 0, time.Time{}, 0
		body := slices.Clone(tx.Bucket(bucketBodies).Get(k))
		base := slices.Clone(tx.Bucket(bucketBases).Get(k))
		entries := tx.Bucket(bucketEntries)
		seq, err := entries.NextSequence()
		if err != nil {
			return err
		}
		nk := seqKey(seq)
		if err := putJSON(entries, nk, rec); err != nil {
			return err
		}
		if err := tx.Bucket(bucketBodies).Put(nk, body); err != nil {
			return err
		}
		if base != nil {
			if err := tx.Bucket(bucketBases).Put(nk, base); err != nil {
				return err
			}
		}
		for _, b := range [][]byte{bucketDead, bucketBodies, bucketBases} {
			if err := tx.Bucket(b).Delete(k); err != nil {
				return err
			}
		}
		e = &entry{id: seq, rec: rec, bodyLen: len(body)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	q.dead--
	h := q.enlist(e)
	q.mu.Unlock()
	q.emit(Event{Kind: EventQueued, Entry: e.rec.entry(e.id, e.bodyLen)})
	q.wake()
	return h, nil
}

// enlist adds a new write and its waiter. q.mu is held.
func (q *Queue) enlist(e *entry) *Handle {
	w := &waiter{done: make(chan struct{})}
	q.waiters[e.id] = w
	q.add(e)
	return &Handle{ID: e.id, Key: e.rec.Key, w: w}
}

// remove takes e out of its lane and the queue. q.mu is held.
func (q *Queue) remove(e *entry) {
	l := e.lane
	if i := slices.Index(l.entries, e); i >= 0 {
		l.entries = slices.Delete(l.entries, i, i+1)
	}
	delete(q.entries, e.id)
	if len(l.entries) == 0 {
		if l.idx >= 0 {
			heap.Remove(&q.ready, l.idx)
		}
		if !l.busy {
			delete(q.lanes, l.name)
		}
	} else if l.idx >= 0 {
		heap.Fix(&q.ready, l.idx)
	}
}

// finish tells e's handle and the flushes waiting for it that it has left
// the queue.
func (q *Queue) finish(e *entry, res *Result, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if w := q.waiters[e.id]; w != nil {
		w.result, w.err = res, err
		close(w.done)
		delete(q.waiters, e.id)
	}
	q.flushes = slices.DeleteFunc(q.flushes, func(f *flushWaiter) bool {
		if e.id <= f.target {
			f.remaining--
		}
		if f.remaining <= 0 {
			close(f.done)
			return true
		}
		return false
	})
}

// emit hands an event to the WithOnEvent function.
func (q *Queue) emit(ev Event) {
	if q.cfg.onEvent != nil {
		q.cfg.onEvent(ev)
	}
}

// wake makes the dispatcher look at the lanes again.
func (q *Queue) wake() {
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

// entry is the public view of a record.
func (r *record) entry(id uint64, bodyLen int) Entry {
	return Entry{
		ID: id, Key: r.Key, Resource: r.Resource, Label: r.Label, Operation: r.Op.ID,
		Method: r.Method, URL: r.URL, IfMatch: r.IfMatch, AutoIfMatch: r.AutoIfMatch, Policy: r.Policy, Enqueued: r.Enqueued,
		Attempts: r.Attempts, LastStatus: r.LastStatus, LastError: r.LastError, NextAttempt: r.NextAttempt,
		Sent: r.Sent, Conflicts: r.Conflicts, DroppedHeaders: slices.Clone(r.Dropped), BodySize: bodyLen,
	}
}

func (d *deadRecord) dead(id uint64, bodyLen int) Dead {
	return Dead{Entry: d.Record.entry(id, bodyLen), Reason: d.Reason, Status: d.Status, Detail: d.Detail,
		Problem: slices.Clone(d.Problem), At: d.At}
}

// laneHeap orders idle lanes by when their first write may go, then by
// its id.
type laneHeap []*lane

func (h laneHeap) Len() int { return len(h) }
func (h laneHeap) Less(i, j int) bool {
	a, b := h[i].entries[0], h[j].entries[0]
	if !a.next.Equal(b.next) {
		return a.next.Before(b.next)
	}
	return a.id < b.id
}
func (h laneHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}
func (h *laneHeap) Push(x any) {
	l := x.(*lane)
	l.idx = len(*h)
	*h = append(*h, l)
}
func (h *laneHeap) Pop() any {
	old := *h
	l := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	l.idx = -1
	return l
}

// etagCache remembers the ETag last seen for each path, bounded: a write
// queued without an If-Match of its own is made against it.
type etagCache struct {
	mu    sync.Mutex
	tags  map[string]string
	order []string // insertion order, for eviction
}

const maxETags = 4096

func (c *etagCache) get(path string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tags[path]
}

func (c *etagCache) set(path, etag string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tags == nil {
		c.tags = map[string]string{}
	}
	if _, ok := c.tags[path]; !ok {
		c.order = append(c.order, path)
		if len(c.order) > maxETags {
			delete(c.tags, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.tags[path] = etag
}

func (c *etagCache) forget(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.tags[path]; ok {
		delete(c.tags, path)
		c.order = slices.DeleteFunc(c.order, func(p string) bool { return p == path })
	}
}
