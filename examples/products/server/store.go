package server

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The database's buckets: products by id, product ids by SKU, idempotency
// records by client and key, and the event sequence (the bucket's own
// sequence number; the bucket holds nothing); and the applied-key log
// (idempotency.go).
var (
	bucketProducts    = []byte("products")
	bucketSKUs        = []byte("skus")
	bucketIdempotency = []byte("idempotency")
	bucketEvents      = []byte("events")
)

// product is a product as stored and as served.
type product struct {
	ID          string        `json:"id"`
	SKU         string        `json:"sku"`
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Category    string        `json:"category"`
	Price       int64         `json:"price"`
	Stock       int64         `json:"stock"`
	Tags        []string      `json:"tags"`
	Image       *productImage `json:"image,omitempty"`
	Version     int64         `json:"version"`
	CreatedAt   time.Time     `json:"created_at"`
	UpdatedAt   time.Time     `json:"updated_at"`
}

// etag is the product's entity tag: its version, quoted.
func (p *product) etag() string { return fmt.Sprintf(`"%d"`, p.Version) }

// productImage describes a product's stored image.
type productImage struct {
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	Caption     string    `json:"caption"`
	UploadedAt  time.Time `json:"uploaded_at"`
}

// errNotFound is returned by the store when no product has the id.
var errNotFound = errors.New("no such product")

// skuTakenError says another product has the SKU.
type skuTakenError struct{ sku, owner string }

func (e *skuTakenError) Error() string {
	return fmt.Sprintf("product %s already has the SKU %s", e.owner, e.sku)
}

// preconditionError says an If-Match did not match.
type preconditionError struct{ current string }

func (e *preconditionError) Error() string {
	return "the product's ETag is " + e.current
}

func getProduct(tx *bolt.Tx, id string) (*product, error) {
	data := tx.Bucket(bucketProducts).Get([]byte(id))
	if data == nil {
		return nil, errNotFound
	}
	var p product
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("product %s: %w", id, err)
	}
	return &p, nil
}

func putProduct(tx *bolt.Tx, p *product) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketProducts).Put([]byte(p.ID), data)
}

// claimSKU indexes sku for id, failing if another product has it.
func claimSKU(tx *bolt.Tx, sku, id string) error {
	b := tx.Bucket(bucketSKUs)
	if owner := b.Get([]byte(sku)); owner != nil && string(owner) != id {
		return &skuTakenError{sku: sku, owner: string(owner)}
	}
	return b.Put([]byte(sku), []byte(id))
}

// event is a change of the catalogue, as the stream sends it.
type event struct {
	id   uint64
	typ  string // created, updated, deleted, reset
	data []byte // the ProductEvent JSON
}

// productEvent is the data of an event.
type productEvent struct {
	Type    string    `json:"type"`
	Product *product  `json:"product,omitempty"`
	At      time.Time `json:"at"`
}

// mutate runs fn in a write transaction and, once it committed, publishes
// the event fn returns (nil: none). Writes are serialized, so event ids
// (the events bucket's sequence, taken in the transaction) reach the
// stream in order and without gaps.
func (s *Server) mutate(fn func(tx *bolt.Tx, newEvent func(typ string, p *product, at time.Time) error) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	var ev *event
	err := s.db.Update(func(tx *bolt.Tx) error {
		ev = nil
		return fn(tx, func(typ string, p *product, at time.Time) error {
			id, err := tx.Bucket(bucketEvents).NextSequence()
			if err != nil {
				return err
			}
			data, err := json.Marshal(productEvent{Type: typ, Product: p, At: at})
			if err != nil {
				return err
			}
			ev = &event{id: id, typ: typ, data: data}
			return nil
		})
	})
	if err == nil && ev != nil {
		s.events.publish(*ev)
	}
	return err
}

// view runs fn in a read transaction.
func (s *Server) view(fn func(tx *bolt.Tx) error) error { return s.db.View(fn) }

// idempotencyRecord is the response of a request made with an
// Idempotency-Key, kept to replay it.
type idempotencyRecord struct {
	Fingerprint string    `json:"fingerprint"` // SHA-256 of method, path and body
	Status      int       `json:"status"`
	Location    string    `json:"location,omitempty"`
	ETag        string    `json:"etag,omitempty"`
	ContentType string    `json:"content_type,omitempty"`
	Body        []byte    `json:"body"`
	Created     time.Time `json:"created"`
}

func idempotencyKey(client, key string) []byte { return []byte(client + "\x00" + key) }

func getIdempotency(tx *bolt.Tx, client, key string, now time.Time, ttl time.Duration) (*idempotencyRecord, error) {
	data := tx.Bucket(bucketIdempotency).Get(idempotencyKey(client, key))
	if data == nil {
		return nil, nil
	}
	var rec idempotencyRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("idempotency record: %w", err)
	}
	if now.Sub(rec.Created) >= ttl {
		return nil, nil // expired: the key is free again
	}
	return &rec, nil
}

func putIdempotency(tx *bolt.Tx, client, key string, rec *idempotencyRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketIdempotency).Put(idempotencyKey(client, key), data)
}

// purgeIdempotency deletes the records that outlived ttl, and any that
// cannot be read.
func purgeIdempotency(tx *bolt.Tx, now time.Time, ttl time.Duration) error {
	return purge(tx.Bucket(bucketIdempotency), func(v []byte) bool {
		var rec idempotencyRecord
		return json.Unmarshal(v, &rec) != nil || now.Sub(rec.Created) >= ttl
	})
}

// purge deletes the values of b that stale says are stale.
func purge(b *bolt.Bucket, stale func(v []byte) bool) error {
	var keys [][]byte
	err := b.ForEach(func(k, v []byte) error {
		if stale(v) {
			keys = append(keys, k)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// inflight tracks the idempotency keys whose first request is running.
type inflight struct {
	mu   sync.Mutex
	keys map[string]bool
}

// acquire marks a key as in use, or reports that it already is.
func (f *inflight) acquire(k string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.keys[k] {
		return false
	}
	f.keys[k] = true
	return true
}

func (f *inflight) release(k string) {
	f.mu.Lock()
	delete(f.keys, k)
	f.mu.Unlock()
}

// ids makes product ids: "prd_" and a ULID (48 bits of milliseconds, 80
// random bits, Crockford base32), monotonic within a millisecond.
type ids struct {
	mu     sync.Mutex
	lastMS uint64
	last   [16]byte
}

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

func (g *ids) next(now time.Time) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	ms := uint64(now.UnixMilli())
	var u [16]byte
	if ms <= g.lastMS {
		// Same (or earlier) millisecond: the previous id plus one keeps
		// ids sorted in creation order.
		u = g.last
		for i := 15; i >= 6; i-- {
			u[i]++
			if u[i] != 0 {
				break
			}
		}
	} else {
		binary.BigEndian.PutUint64(u[:8], ms<<16)
		_, _ = rand.Read(u[6:])
		g.lastMS = ms
	}
	g.last = u
	return "prd_" + encodeULID(u)
}

// encodeULID writes 128 bits as 26 base32 digits, the first holding the
// top 3 bits.
func encodeULID(u [16]byte) string {
	var out [26]byte
	hi := binary.BigEndian.Uint64(u[:8])
	lo := binary.BigEndian.Uint64(u[8:])
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// validID reports whether s looks like a product id.
func validID(s string) bool {
	if len(s) != 30 || s[:4] != "prd_" {
		return false
	}
	for i := 4; i < 30; i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' && c != 'I' && c != 'L' && c != 'O' && c != 'U') {
			return false
		}
	}
	return true
}
