// Package boltstore keeps the entries of the SDK's HTTP cache
// (package github.com/sdkgen-go/sdkgen/sdk/cache) in a file, with bbolt
// (go.etcd.io/bbolt), so they survive restarts: a program that starts
// without a network answers from what it last saw.
//
// Why bbolt: it is pure Go (no cgo, so cross-compiling stays easy), one
// file, ACID (a crash mid-write leaves the previous state, never a torn
// entry), small (one dependency, golang.org/x/sys), and a key-value store
// is all a cache needs: no SQL, no schema to migrate. SQLite through a
// pure-Go driver would bring a large transpiled library for the same job.
//
// The file holds responses (without cookies) under keys made of hashes,
// the total size, an eviction order, and the secret key the cache hashes
// credential fingerprints with; it never holds a credential. It is
// created with mode 0600. bbolt locks the file: one process at a time may
// open it, the others wait up to the lock timeout and fail with a
// [*OpenError].
package boltstore

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/cache"
)

// Defaults of a [Store].
const (
	// DefaultMaxBytes bounds the keys and values a store holds.
	DefaultMaxBytes = 256 << 20
	// DefaultLockTimeout is how long Open waits for another process to
	// release the file.
	DefaultLockTimeout = 5 * time.Second
)

var (
	bucketEntries = []byte("entries") // key → value
	bucketOrder   = []byte("order")   // sequence (8 bytes, big-endian) → key
	bucketSeqs    = []byte("seqs")    // key → its sequence in order
	bucketMeta    = []byte("meta")
	metaSize      = []byte("size")
	metaKey       = []byte("fingerprint-key")
)

// Store is a [cache.KeyedStore] in a bbolt file. Past its size bound it
// evicts the values written longest ago (a value written again, as a
// revalidated response is, counts as new); reads do not reorder, so a read
// never costs a disk write. It is safe for concurrent use.
type Store struct {
	db  *bolt.DB
	max int64
	key []byte
}

var _ cache.KeyedStore = (*Store)(nil)

// Option configures a [Store]. A value an option cannot take fails [Open]
// with an [*sdk.OptionError] naming the option, before the file is
// touched, as the options of package sdk fail sdk.NewClient.
type Option interface {
	apply(*config) error
}

type config struct {
	maxBytes    int64
	lockTimeout time.Duration
}

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// WithMaxBytes bounds the bytes of keys and values the store holds
// (default [DefaultMaxBytes]); n must be positive. The file itself can be
// larger: bbolt reuses freed pages rather than shrinking the file.
func WithMaxBytes(n int64) Option {
	return optionFunc(func(c *config) error {
		if n <= 0 {
			return &sdk.OptionError{Option: "boltstore.WithMaxBytes", Reason: "must be positive"}
		}
		c.maxBytes = n
		return nil
	})
}

// WithLockTimeout sets how long Open waits for another process holding the
// file (default [DefaultLockTimeout]); d must be positive: a program must
// not wait for ever at start for its cache.
func WithLockTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d <= 0 {
			return &sdk.OptionError{Option: "boltstore.WithLockTimeout", Reason: "must be positive"}
		}
		c.lockTimeout = d
		return nil
	})
}

// OpenError reports a file that could not be opened as a store: locked by
// another process past the timeout, not a bbolt file, damaged, or shorter
// than its meta page says ([ErrTruncated]).
type OpenError struct {
	Path string
	Err  error
}

func (e *OpenError) Error() string { return fmt.Sprintf("boltstore: open %s: %v", e.Path, e.Err) }

// Unwrap returns the cause.
func (e *OpenError) Unwrap() error { return e.Err }

// CorruptError reports damage bbolt found in the file while reading or
// writing (it panics on damaged pages; the store turns that into this
// error). The cache treats it as a miss.
type CorruptError struct {
	Op    string
	Panic any
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("boltstore: %s: damaged file: %v", e.Op, e.Panic)
}

// Open opens the store in the file at path, creating it if needed.
func Open(path string, opts ...Option) (s *Store, err error) {
	cfg := config{maxBytes: DefaultMaxBytes, lockTimeout: DefaultLockTimeout}
	var errs []error
	for _, o := range opts {
		if o != nil {
			if err := o.apply(&cfg); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	defer func() {
		if p := recover(); p != nil {
			s, err = nil, &OpenError{Path: path, Err: &CorruptError{Op: "open", Panic: p}}
		}
	}()
	if err := checkSize(path); err != nil {
		return nil, &OpenError{Path: path, Err: err}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: cfg.lockTimeout})
	if err != nil {
		return nil, &OpenError{Path: path, Err: err}
	}
	s = &Store{db: db, max: cfg.maxBytes}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketEntries, bucketOrder, bucketSeqs, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if k := meta.Get(metaKey); len(k) >= 16 {
			s.key = append([]byte(nil), k...)
			return nil
		}
		key := make([]byte, 32)
		_, _ = rand.Read(key) // never fails (crypto/rand documents it)
		s.key = key
		return meta.Put(metaKey, key)
	})
	if err != nil {
		db.Close()
		return nil, &OpenError{Path: path, Err: err}
	}
	return s, nil
}

// ErrTruncated is the cause of the [*OpenError] of a file shorter than its
// own meta page says it is: a half-copied file, or one whose disk filled
// up. bbolt maps the file, and reading the missing pages would kill the
// process (a SIGBUS, which recover cannot stop), so Open checks first. The
// file is not touched: a program may remove it and open the store anew,
// empty.
var ErrTruncated = errors.New("file truncated")

// checkSize refuses a file shorter than the pages its meta page counts,
// reading the two meta pages as bbolt will (go.etcd.io/bbolt
// internal/common/meta.go): a page header of 16 bytes, then magic,
// version, page size, flags (4 bytes each), the root bucket (16), the
// freelist page, the high-water mark (the number of pages in use), the
// transaction id and an FNV-64a checksum of what precedes it (8 each), in
// the machine's byte order. Of two valid meta pages bbolt uses the one
// with the higher transaction id. A file with no valid meta page is left
// to bbolt, which refuses it without mapping pages it lacks.
func checkSize(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	size := info.Size()
	m0, ok0 := readMeta(f, 0)
	var m1 boltMeta
	var ok1 bool
	if ok0 {
		m1, ok1 = readMeta(f, int64(m0.pageSize))
	} else {
		// bbolt looks for the second meta page at every page size from
		// 1 KiB to 16 MiB.
		for i := 0; i <= 14 && !ok1; i++ {
			m1, ok1 = readMeta(f, 1024<<i)
		}
	}
	m := m0
	switch {
	case ok0 && ok1 && m1.txid > m0.txid, !ok0 && ok1:
		m = m1
	case !ok0:
		return nil
	}
	need := int64(m.pgid) * int64(m.pageSize)
	if m.pgid > 1<<40 || need > size {
		return fmt.Errorf("%w: %d bytes, where its meta page counts %d pages of %d bytes", ErrTruncated, size, m.pgid, m.pageSize)
	}
	return nil
}

// boltMeta is what checkSize reads of a bbolt meta page.
type boltMeta struct {
	pageSize uint32
	pgid     uint64
	txid     uint64
}

// The layout of a meta page, from its start.
const (
	metaOffset    = 16 // the page header: id, flags, count, overflow
	metaMagic     = 0xED0CDAED
	metaVersion   = 2
	metaChecksum  = metaOffset + 56
	metaPageBytes = metaChecksum + 8
)

func readMeta(r io.ReaderAt, off int64) (boltMeta, bool) {
	var b [metaPageBytes]byte
	if _, err := r.ReadAt(b[:], off); err != nil {
		return boltMeta{}, false
	}
	e := binary.NativeEndian
	h := fnv.New64a()
	h.Write(b[metaOffset:metaChecksum])
	if e.Uint32(b[metaOffset:]) != metaMagic || e.Uint32(b[metaOffset+4:]) != metaVersion || e.Uint64(b[metaChecksum:]) != h.Sum64() {
		return boltMeta{}, false
	}
	m := boltMeta{pageSize: e.Uint32(b[metaOffset+8:]), pgid: e.Uint64(b[metaOffset+40:]), txid: e.Uint64(b[metaOffset+48:])}
	return m, m.pageSize >= 512
}

// Close closes the file. Calls after Close fail.
func (s *Store) Close() error { return s.db.Close() }

// FingerprintKey returns the key kept in the file, drawn at random when
// the file was made.
func (s *Store) FingerprintKey() ([]byte, error) { return s.key, nil }

// guard turns a panic of bbolt (a damaged page) into a *CorruptError.
func guard(op string, err *error) {
	if p := recover(); p != nil {
		*err = &CorruptError{Op: op, Panic: p}
	}
}

// Get returns a copy of the value under key.
func (s *Store) Get(key string) (value []byte, err error) {
	defer guard("get", &err)
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketEntries).Get([]byte(key))
		if v == nil {
			return cache.ErrNotFound
		}
		value = append([]byte(nil), v...)
		return nil
	})
	return value, err
}

// Put stores value under key, then evicts the values written longest ago
// until the store is within its bound. A value that alone exceeds the
// bound is refused with an error wrapping [cache.ErrTooLarge].
func (s *Store) Put(key string, value []byte) (err error) {
	n := int64(len(key) + len(value))
	if n > s.max {
		return fmt.Errorf("%w: %d bytes, limit %d", cache.ErrTooLarge, n, s.max)
	}
	defer guard("put", &err)
	return s.db.Update(func(tx *bolt.Tx) error {
		size := readSize(tx)
		size -= remove(tx, []byte(key))
		order := tx.Bucket(bucketOrder)
		seq, err := order.NextSequence()
		if err != nil {
			return err
		}
		sk := binary.BigEndian.AppendUint64(nil, seq)
		if err := tx.Bucket(bucketEntries).Put([]byte(key), value); err != nil {
			return err
		}
		if err := order.Put(sk, []byte(key)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketSeqs).Put([]byte(key), sk); err != nil {
			return err
		}
		size += n
		for size > s.max {
			_, oldest := order.Cursor().First()
			if oldest == nil {
				break
			}
			size -= remove(tx, append([]byte(nil), oldest...))
		}
		return writeSize(tx, size)
	})
}

// Delete removes the value under key.
func (s *Store) Delete(key string) (err error) {
	defer guard("delete", &err)
	return s.db.Update(func(tx *bolt.Tx) error {
		freed := remove(tx, []byte(key))
		if freed == 0 {
			return nil
		}
		return writeSize(tx, readSize(tx)-freed)
	})
}

// DeletePrefix removes the values whose keys start with prefix.
func (s *Store) DeletePrefix(prefix string) (err error) {
	defer guard("delete", &err)
	p := []byte(prefix)
	return s.db.Update(func(tx *bolt.Tx) error {
		var keys [][]byte
		c := tx.Bucket(bucketEntries).Cursor()
		for k, _ := c.Seek(p); k != nil && len(k) >= len(p) && string(k[:len(p)]) == prefix; k, _ = c.Next() {
			keys = append(keys, append([]byte(nil), k...))
		}
		if len(keys) == 0 {
			return nil
		}
		size := readSize(tx)
		for _, k := range keys {
			size -= remove(tx, k)
		}
		return writeSize(tx, size)
	})
}

// Len returns the number of values held.
func (s *Store) Len() (n int, err error) {
	defer guard("len", &err)
	err = s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketEntries).Stats().KeyN
		return nil
	})
	return n, err
}

// Size returns the bytes of keys and values held.
func (s *Store) Size() (n int64, err error) {
	defer guard("size", &err)
	err = s.db.View(func(tx *bolt.Tx) error {
		n = readSize(tx)
		return nil
	})
	return n, err
}

// remove deletes key from the entries and the order, and returns the bytes
// it freed.
func remove(tx *bolt.Tx, key []byte) int64 {
	entries := tx.Bucket(bucketEntries)
	v := entries.Get(key)
	if v == nil {
		return 0
	}
	freed := int64(len(key) + len(v))
	seqs := tx.Bucket(bucketSeqs)
	if sk := seqs.Get(key); sk != nil {
		_ = tx.Bucket(bucketOrder).Delete(append([]byte(nil), sk...))
		_ = seqs.Delete(key)
	}
	_ = entries.Delete(key)
	return freed
}

func readSize(tx *bolt.Tx) int64 {
	v := tx.Bucket(bucketMeta).Get(metaSize)
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

// writeSize records the size; a negative one (the accounting of a damaged
// file) is recorded as zero, so the store goes on.
func writeSize(tx *bolt.Tx, n int64) error {
	n = max(n, 0)
	return tx.Bucket(bucketMeta).Put(metaSize, binary.BigEndian.AppendUint64(nil, uint64(n)))
}
