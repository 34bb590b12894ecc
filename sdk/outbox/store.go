package outbox

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The file's buckets. Sequence numbers are 8 bytes, big-endian, so that a
// cursor walks entries in the order they were queued.
var (
	bucketEntries     = []byte("entries")     // seq → record (JSON)
	bucketBodies      = []byte("bodies")      // seq → request body, for pending and dead entries
	bucketBases       = []byte("bases")       // seq → the representation a write was based on
	bucketDead        = []byte("dead")        // seq → deadRecord (JSON)
	bucketCheckpoints = []byte("checkpoints") // name → the application's value
	bucketMeta        = []byte("meta")
	metaFormat        = []byte("format")
)

// formatVersion is the version of the file's layout and records.
const formatVersion = 1

// record is a queued write as the file keeps it. It holds no credential:
// headers that carry credentials are dropped when the write is queued, and
// the client adds fresh ones to every attempt.
type record struct {
	V        int         `json:"v"`
	Key      string      `json:"key"` // the Idempotency-Key sent with the write
	Resource string      `json:"resource"`
	Label    string      `json:"label,omitempty"`
	Op       opRecord    `json:"op"`
	Method   string      `json:"method"`
	URL      string      `json:"url"`
	Header   http.Header `json:"header,omitempty"`
	IfMatch  string      `json:"if_match,omitempty"`
	// AutoIfMatch: the write carries the ETag last seen for its path when
	// it is sent (see IfMatch's documentation).
	AutoIfMatch bool      `json:"auto_if_match,omitempty"`
	Policy      Policy    `json:"policy,omitempty"`
	Enqueued    time.Time `json:"enqueued"`
	// What the queue knows of earlier attempts: Sent is set once an attempt
	// may have reached the server.
	Attempts    int       `json:"attempts,omitempty"`
	Sent        bool      `json:"sent,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
	LastStatus  int       `json:"last_status,omitempty"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	Conflicts   int       `json:"conflicts,omitempty"`
	// Dropped names the headers of the call left out because they carry
	// credentials.
	Dropped []string `json:"dropped,omitempty"`
}

// opRecord is what replaying needs of the operation: its security
// requirements choose the credentials the client adds.
type opRecord struct {
	ID         string     `json:"id"`
	Path       string     `json:"path"`
	Server     string     `json:"server,omitempty"`
	Security   [][]string `json:"security,omitempty"`
	Idempotent bool       `json:"idempotent,omitempty"`
	// NoSecurity records an empty non-nil Security: the operation takes no
	// credentials (JSON cannot tell it from nil).
	NoSecurity bool `json:"no_security,omitempty"`
}

// deadRecord is a write that will not be sent again.
type deadRecord struct {
	Record  record    `json:"record"`
	Reason  Reason    `json:"reason"`
	Status  int       `json:"status,omitempty"`
	Detail  string    `json:"detail,omitempty"`
	Problem []byte    `json:"problem,omitempty"` // the server's problem+json, bounded
	At      time.Time `json:"at"`
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func keySeq(k []byte) uint64 {
	if len(k) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(k)
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// checkFile refuses a file that is shorter than its own meta pages say:
// bbolt maps the file and would fault (SIGBUS, which no recover catches)
// reading past its end, as with a truncated copy. A file that is not a
// bbolt file at all is left for bolt.Open to refuse.
func checkFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	var page [80]byte
	if _, err := f.ReadAt(page[:], 0); err != nil {
		if size < int64(len(page)) {
			return nil // too short to be a bbolt file: bolt.Open says so
		}
		return err
	}
	pageSize, ok := metaPages(page[:])
	if !ok {
		return nil
	}
	for _, off := range []int64{0, int64(pageSize)} {
		if _, err := f.ReadAt(page[:], off); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		ps, pages, ok := metaOf(page[:])
		if !ok {
			continue
		}
		if need := int64(ps) * int64(pages); need > size {
			return fmt.Errorf("the file has %d bytes and its meta page says %d: a truncated copy", size, need)
		}
	}
	return nil
}

// metaPages reads the page size of a meta page.
func metaPages(page []byte) (uint32, bool) {
	ps, _, ok := metaOf(page)
	return ps, ok
}

// metaOf reads a bbolt meta page: its page size and high-water mark
// (pages in use), when its magic and checksum are right. The layout is
// bbolt's (internal/common/meta.go), in the machine's byte order: a 16-byte
// page header, then magic, version, page size, flags (4 bytes each), root
// bucket (16), freelist page, high-water mark, transaction id (8 each),
// and an FNV-64a checksum of the fields before it.
func metaOf(page []byte) (pageSize uint32, pages uint64, ok bool) {
	const hdr = 16
	if len(page) < hdr+64 {
		return 0, 0, false
	}
	m := page[hdr:]
	ne := binary.NativeEndian
	if ne.Uint32(m[0:]) != 0xED0CDAED {
		return 0, 0, false
	}
	h := fnv.New64a()
	h.Write(m[:56])
	if h.Sum64() != ne.Uint64(m[56:]) {
		return 0, 0, false
	}
	return ne.Uint32(m[8:]), ne.Uint64(m[40:]), true
}

// openDB opens (or creates) the queue's file.
func openDB(path string, lockTimeout time.Duration) (db *bolt.DB, err error) {
	if err := checkFile(path); err != nil {
		return nil, &OpenError{Path: path, Err: &CorruptError{Op: "open", Err: err}}
	}
	defer func() {
		if p := recover(); p != nil {
			db, err = nil, &OpenError{Path: path, Err: &CorruptError{Op: "open", Err: fmt.Errorf("%v", p)}}
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		return nil, &OpenError{Path: path, Err: err}
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketEntries, bucketBodies, bucketBases, bucketDead, bucketCheckpoints, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch v := meta.Get(metaFormat); {
		case v == nil:
			return meta.Put(metaFormat, []byte{formatVersion})
		case len(v) != 1 || v[0] != formatVersion:
			return fmt.Errorf("unknown format %v (this package writes %d)", v, formatVersion)
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, &OpenError{Path: path, Err: err}
	}
	return db, nil
}

// committer writes transactions. In grouped mode one goroutine commits
// every change waiting when the previous commit ends in a single
// transaction, so concurrent writers share an fsync; a lone writer waits
// for no one. In per-write mode each change is a transaction of its own.
// Changes are committed in the order they were submitted.
type committer struct {
	db      *bolt.DB
	grouped bool

	mu     sync.Mutex
	queue  []*commit
	closed bool
	wake   chan struct{}
	wg     sync.WaitGroup
}

type commit struct {
	fn  func(tx *bolt.Tx) error
	err chan error // buffered: the committer never waits for a reader
}

// maxGroup bounds the changes of one grouped transaction.
const maxGroup = 512

func newCommitter(db *bolt.DB, grouped bool) *committer {
	c := &committer{db: db, grouped: grouped, wake: make(chan struct{}, 1)}
	if grouped {
		c.wg.Add(1)
		go c.loop()
	}
	return c
}

// errClosed is the error of changes made after the queue was closed.
var errClosed = errors.New("outbox: queue closed")

// run commits fn, and returns once it is durable (or failed). A panic of
// bbolt (a damaged page) becomes a *CorruptError.
func (c *committer) run(fn func(tx *bolt.Tx) error) error {
	return <-c.submit(fn)
}

// submit hands fn to the committer and returns at once; the channel gets
// its outcome. In per-write mode it commits fn first.
func (c *committer) submit(fn func(tx *bolt.Tx) error) <-chan error {
	done := make(chan error, 1)
	if !c.grouped {
		c.mu.Lock()
		closed := c.closed
		c.mu.Unlock()
		if closed {
			done <- errClosed
		} else {
			done <- guarded("write", func() error { return c.db.Update(fn) })
		}
		return done
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		done <- errClosed
		return done
	}
	c.queue = append(c.queue, &commit{fn: fn, err: done})
	c.signal()
	c.mu.Unlock()
	return done
}

// signal wakes the loop; c.mu is held, so that close cannot close the
// channel meanwhile.
func (c *committer) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *committer) loop() {
	defer c.wg.Done()
	for range c.wake {
		for {
			c.mu.Lock()
			n := min(len(c.queue), maxGroup)
			group := c.queue[:n:n]
			c.queue = c.queue[n:]
			closed := c.closed
			c.mu.Unlock()
			if n == 0 {
				if closed {
					return
				}
				break
			}
			c.commit(group)
		}
	}
}

// commit writes a group of changes in one transaction. When one of them
// fails, the others go alone, as bbolt's Batch does.
func (c *committer) commit(group []*commit) {
	err := guarded("write", func() error {
		return c.db.Update(func(tx *bolt.Tx) error {
			for _, r := range group {
				if err := r.fn(tx); err != nil {
					return &groupError{err: err}
				}
			}
			return nil
		})
	})
	var ge *groupError
	if errors.As(err, &ge) {
		for _, r := range group {
			r.err <- guarded("write", func() error { return c.db.Update(r.fn) })
		}
		return
	}
	for _, r := range group {
		r.err <- err
	}
}

type groupError struct{ err error }

func (e *groupError) Error() string { return e.err.Error() }

// close stops the committer once the changes submitted are written.
func (c *committer) close() {
	c.mu.Lock()
	c.closed = true
	if c.grouped {
		c.signal()
		close(c.wake)
	}
	c.mu.Unlock()
	c.wg.Wait()
}

// guarded runs fn, turning a panic of bbolt into a *CorruptError.
func guarded(op string, fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &CorruptError{Op: op, Err: fmt.Errorf("%v", p)}
		}
	}()
	return fn()
}

// view runs a read transaction, guarded.
func view(db *bolt.DB, fn func(tx *bolt.Tx) error) error {
	return guarded("read", func() error { return db.View(fn) })
}
