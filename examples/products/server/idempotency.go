package server

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Every write (POST, PUT, PATCH and DELETE of products, and image uploads)
// honours an Idempotency-Key header the same way, after
// draft-ietf-httpapi-idempotency-key-header:
//
//   - a key is 1 to 255 visible ASCII characters, else 400;
//   - keys belong to a client: two clients' equal keys are two keys;
//   - while a request with the key runs, another one gets 409;
//   - a write that succeeded (2xx) is stored with its key, in the
//     transaction that applied it: the same key and request again (method,
//     path and body, fingerprinted with SHA-256) replays the stored
//     response, marked Idempotent-Replayed: true, and changes nothing; the
//     same key with another request gets 422;
//   - a write that failed is not stored, so its key can be used again;
//   - the stored response is checked before the request's own conditions
//     (If-Match), so a write whose response was lost replays its success
//     even after the product changed since;
//   - records last Options.IdempotencyTTL (24 hours by default), after
//     which the key is free again and a repeated request is a new write.
//
// Each write applied with a key is also appended to a log ([AppliedKey],
// [Server.AppliedKeys]) kept as long as the records, so that a test can
// observe that a write was applied exactly once and in which order.

var bucketApplied = []byte("applied") // sequence (8 bytes, big-endian) → AppliedKey JSON

// AppliedKey records a write the server applied with an Idempotency-Key.
type AppliedKey struct {
	// Seq is the write's rank among the keyed writes applied, from 1: the
	// order in which they took effect.
	Seq    uint64    `json:"seq"`
	Client string    `json:"client"`
	Key    string    `json:"key"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Status int       `json:"status"`
	At     time.Time `json:"at"`
	// Product is the id of the product the write created, changed or
	// deleted, and Version that product's version after it (0 after a
	// delete).
	Product string `json:"product"`
	Version int64  `json:"version"`
}

// KeyStats counts what the server did with Idempotency-Keys since it
// started.
type KeyStats struct {
	// Applied writes stored under their key; Replayed requests answered
	// with a stored response; Reused requests refused with 422 (a key used
	// with another request); InFlight requests refused with 409 (the key's
	// first request was still running).
	Applied, Replayed, Reused, InFlight int64
}

// keyCounters are the live counts behind KeyStats.
type keyCounters struct {
	applied, replayed, reused, inFlight atomic.Int64
}

// KeyStats returns the counts of keyed requests since the server started.
func (s *Server) KeyStats() KeyStats {
	return KeyStats{
		Applied:  s.keyStats.applied.Load(),
		Replayed: s.keyStats.replayed.Load(),
		Reused:   s.keyStats.reused.Load(),
		InFlight: s.keyStats.inFlight.Load(),
	}
}

// AppliedKeys returns the log of writes applied with an Idempotency-Key
// within the key lifetime, in the order they took effect.
func (s *Server) AppliedKeys() ([]AppliedKey, error) {
	var out []AppliedKey
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketApplied).ForEach(func(_, v []byte) error {
			var a AppliedKey
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("applied-key log: %w", err)
			}
			out = append(out, a)
			return nil
		})
	})
	return out, err
}

// keyedWrite is a write made with an Idempotency-Key whose request is
// being served for the first time: the body is hashed as the handler reads
// it, and commit stores the response with the key.
type keyedWrite struct {
	s      *Server
	client string
	key    string
	method string
	path   string
	body   *hashingBody
}

// hashingBody hashes a request body as it is read.
type hashingBody struct {
	io.ReadCloser
	h hash.Hash
}

func (b *hashingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.h.Write(p[:n])
	return n, err
}

// newFingerprint starts the hash of a request: method, path, then the body.
func newFingerprint(method, path string) hash.Hash {
	h := sha256.New()
	h.Write([]byte(method + " " + path + "\n"))
	return h
}

// beginKeyed handles the Idempotency-Key of a write before its handler
// runs. maxBody bounds the body read to compare a repeated request with
// the stored one. It returns ok false when it has answered the request (a
// bad key, a key in use, a replay, a key reused with another request);
// otherwise the handler goes on, and when kw is not nil (the request has a
// key) the handler must call kw.release when done and kw.commit in the
// transaction that applies the write.
func (s *Server) beginKeyed(w http.ResponseWriter, r *http.Request, c *call, maxBody int64) (kw *keyedWrite, ok bool) {
	key := r.Header.Get("Idempotency-Key")
	if _, sent := r.Header["Idempotency-Key"]; !sent {
		return nil, true
	}
	if !validIdempotencyKey(key) {
		s.problem(w, r, c, http.StatusBadRequest, probInvalidParam, "the Idempotency-Key header must be 1 to 255 visible ASCII characters",
			fieldError{Field: "Idempotency-Key", Message: "must be 1 to 255 visible ASCII characters"})
		return nil, false
	}
	lock := string(idempotencyKey(c.client, key))
	if !s.idem.acquire(lock) {
		s.keyStats.inFlight.Add(1)
		s.problem(w, r, c, http.StatusConflict, probInFlight, "a request with this Idempotency-Key is still being processed; retry later")
		return nil, false
	}
	var rec *idempotencyRecord
	err := s.view(func(tx *bolt.Tx) (err error) {
		rec, err = getIdempotency(tx, c.client, key, s.now(), s.opts.IdempotencyTTL)
		return err
	})
	if err != nil {
		s.idem.release(lock)
		s.internalError(w, r, c, err)
		return nil, false
	}
	if rec != nil {
		defer s.idem.release(lock)
		h := newFingerprint(r.Method, r.URL.Path)
		if _, err := io.Copy(h, http.MaxBytesReader(w, r.Body, maxBody)); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				s.problem(w, r, c, http.StatusRequestEntityTooLarge, probTooLarge, fmt.Sprintf("the body is larger than %d bytes", maxBody))
			} else {
				s.problem(w, r, c, http.StatusBadRequest, probMalformed, "the body could not be read: "+err.Error())
			}
			return nil, false
		}
		if hex.EncodeToString(h.Sum(nil)) != rec.Fingerprint {
			s.keyStats.reused.Add(1)
			s.problem(w, r, c, http.StatusUnprocessableEntity, probKeyReused,
				"this Idempotency-Key was used with a different request; use a new key for a new request",
				fieldError{Field: "Idempotency-Key", Message: "was used with a different request"})
			return nil, false
		}
		s.keyStats.replayed.Add(1)
		rec.replay(w)
		return nil, false
	}
	kw = &keyedWrite{s: s, client: c.client, key: key, method: r.Method, path: r.URL.Path,
		body: &hashingBody{ReadCloser: r.Body, h: newFingerprint(r.Method, r.URL.Path)}}
	r.Body = kw.body
	return kw, true
}

// release frees the key for other requests. It is safe on a nil kw.
func (kw *keyedWrite) release() {
	if kw != nil {
		kw.s.idem.release(string(idempotencyKey(kw.client, kw.key)))
	}
}

// commit stores rec (the response of the write) under the key and appends
// the write to the applied log, in tx, the transaction that applies the
// write. The handler must have read the whole body (through its size
// limit): the fingerprint covers what was read. A nil kw does nothing.
func (kw *keyedWrite) commit(tx *bolt.Tx, rec *idempotencyRecord, product string, version int64) error {
	if kw == nil {
		return nil
	}
	now := kw.s.now()
	rec.Fingerprint = hex.EncodeToString(kw.body.h.Sum(nil))
	rec.Created = now
	if err := putIdempotency(tx, kw.client, kw.key, rec); err != nil {
		return err
	}
	b := tx.Bucket(bucketApplied)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	data, err := json.Marshal(AppliedKey{Seq: seq, Client: kw.client, Key: kw.key, Method: kw.method, Path: kw.path,
		Status: rec.Status, At: now.UTC(), Product: product, Version: version})
	if err != nil {
		return err
	}
	return b.Put(binary.BigEndian.AppendUint64(nil, seq), data)
}

// committed counts a write whose transaction committed. A nil kw does
// nothing.
func (kw *keyedWrite) committed() {
	if kw != nil {
		kw.s.keyStats.applied.Add(1)
	}
}

// replay writes a stored response again.
func (rec *idempotencyRecord) replay(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Idempotent-Replayed", "true")
	if rec.Location != "" {
		h.Set("Location", rec.Location)
	}
	if rec.ETag != "" {
		h.Set("ETag", rec.ETag)
	}
	if len(rec.Body) == 0 && rec.ContentType == "" {
		w.WriteHeader(rec.Status)
		return
	}
	ct := rec.ContentType
	if ct == "" {
		ct = "application/json" // records written before content types were kept
	}
	writeRaw(w, rec.Status, ct, rec.Body)
}

// purgeApplied deletes the applied-log records older than ttl.
func purgeApplied(tx *bolt.Tx, now time.Time, ttl time.Duration) error {
	return purge(tx.Bucket(bucketApplied), func(v []byte) bool {
		var a AppliedKey
		return json.Unmarshal(v, &a) != nil || now.Sub(a.At) >= ttl
	})
}
