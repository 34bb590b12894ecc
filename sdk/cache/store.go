package cache

import (
	"container/list"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Store keeps the cache's values: opaque bytes under string keys. Keys are
// made of hashes (the hex of a URI's SHA-256, of a credential
// fingerprint, of Vary values) and never hold a secret; values hold
// responses, without cookies. A Store must be safe for concurrent use.
//
// [MemoryStore] keeps values in memory; package
// github.com/sdkgen-go/sdkgen/sdk/cache/boltstore keeps them in a file.
type Store interface {
	// Get returns the value stored under key, or an error wrapping
	// [ErrNotFound]. The caller does not modify the value.
	Get(key string) ([]byte, error)
	// Put stores value under key, replacing any, and may evict other
	// values to make room. The store may keep value without copying it;
	// the caller does not modify it afterwards.
	Put(key string, value []byte) error
	// Delete removes the value under key; a missing key is not an error.
	Delete(key string) error
	// DeletePrefix removes every value whose key starts with prefix.
	DeletePrefix(prefix string) error
}

// KeyedStore is a [Store] that keeps the secret key credential
// fingerprints are hashed with, so that a process opening the store again
// finds the entries it stored before (see [WithFingerprintKey]).
type KeyedStore interface {
	Store
	// FingerprintKey returns the store's key, at least 16 bytes, the same
	// every time.
	FingerprintKey() ([]byte, error)
}

// ErrNotFound is wrapped by the error of [Store.Get] for a key without a
// value.
var ErrNotFound = errors.New("cache: not found")

// ErrTooLarge is wrapped by the error of [Store.Put] for a value larger
// than the store may hold.
var ErrTooLarge = errors.New("cache: value larger than the store's limit")

// StoreError reports a store operation that failed. The call it happened
// in goes on (a failed read is a miss, a failed write is not stored); the
// error goes to the WithOnError hook.
type StoreError struct {
	Op  string // "get", "put", "delete", "invalidate"
	Key string
	Err error
}

func (e *StoreError) Error() string { return fmt.Sprintf("cache: store %s %s: %v", e.Op, e.Key, e.Err) }

// Unwrap returns the store's error.
func (e *StoreError) Unwrap() error { return e.Err }

// DefaultMemoryBytes is the size of a [MemoryStore] made with a size of
// zero.
const DefaultMemoryBytes = 64 << 20

// MemoryStore is a [Store] in memory, bounded by the bytes of its keys and
// values: past the bound it evicts the least recently used values. It is a
// [KeyedStore] whose key is drawn at random when it is made, since its
// entries live no longer than the process.
type MemoryStore struct {
	mu    sync.Mutex
	max   int64
	size  int64
	lru   *list.List // of *memItem, most recently used first
	items map[string]*list.Element
	key   []byte
}

type memItem struct {
	key   string
	value []byte
}

var _ KeyedStore = (*MemoryStore)(nil)

// NewMemoryStore returns an empty store that holds at most maxBytes of keys
// and values ([DefaultMemoryBytes] when maxBytes <= 0).
func NewMemoryStore(maxBytes int64) *MemoryStore {
	if maxBytes <= 0 {
		maxBytes = DefaultMemoryBytes
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key) // never fails (crypto/rand documents it)
	return &MemoryStore{max: maxBytes, lru: list.New(), items: map[string]*list.Element{}, key: key}
}

// Get returns the value under key and marks it recently used.
func (m *MemoryStore) Get(key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.items[key]
	if !ok {
		return nil, ErrNotFound
	}
	m.lru.MoveToFront(el)
	return el.Value.(*memItem).value, nil
}

// Put stores value under key, evicting the least recently used values
// until the store is within its bound. A value that alone exceeds the
// bound is refused with [ErrTooLarge].
func (m *MemoryStore) Put(key string, value []byte) error {
	n := int64(len(key) + len(value))
	if n > m.max {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, n, m.max)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.removeLocked(key)
	m.items[key] = m.lru.PushFront(&memItem{key: key, value: value})
	m.size += n
	for m.size > m.max {
		m.removeLocked(m.lru.Back().Value.(*memItem).key)
	}
	return nil
}

// Delete removes the value under key.
func (m *MemoryStore) Delete(key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.removeLocked(key)
	return nil
}

// DeletePrefix removes the values whose keys start with prefix.
func (m *MemoryStore) DeletePrefix(prefix string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.items {
		if strings.HasPrefix(k, prefix) {
			m.removeLocked(k)
		}
	}
	return nil
}

func (m *MemoryStore) removeLocked(key string) {
	el, ok := m.items[key]
	if !ok {
		return
	}
	it := m.lru.Remove(el).(*memItem)
	delete(m.items, key)
	m.size -= int64(len(it.key) + len(it.value))
}

// FingerprintKey returns the key drawn when the store was made.
func (m *MemoryStore) FingerprintKey() ([]byte, error) { return m.key, nil }

// Len returns the number of values held.
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}

// Size returns the bytes of keys and values held.
func (m *MemoryStore) Size() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.size
}
