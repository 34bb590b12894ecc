package outbox

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/sdkgen-go/sdkgen/sdk"
)

// errCaptured ends a call whose request the queue recorded instead of
// sending.
var errCaptured = errors.New("outbox: request recorded for the queue, not sent")

// Enqueue records the write that call makes, instead of sending it, and
// returns once it is on disk. call is given options that stop the request
// inside the client's layers, after the client has built it (path,
// parameters, body, headers, the operation's Idempotency-Key) and before
// the cache, retries, auth and transport: nothing is sent, and no
// credential has been added. The queue keeps the method, URL, headers
// (those carrying credentials left out: see [sdk.IsCredentialHeader]),
// body, the operation's security requirements, one Idempotency-Key (the
// call's own, else a new one) and an If-Match (see [IfMatch]). Middleware
// given to the client's NewClient sees the call end with an error.
//
// The write is sent later by [Queue.Start]'s background work, after every
// earlier write to the same resource. The returned [Handle] follows it.
func (q *Queue) Enqueue(ctx context.Context, call Call, opts ...WriteOption) (*Handle, error) {
	if call == nil {
		return nil, &EnqueueError{Reason: "nil call"}
	}
	var wc writeConfig
	for _, o := range opts {
		if o != nil {
			o.applyWrite(&wc)
		}
	}
	if len(wc.errs) > 0 {
		return nil, errors.Join(wc.errs...)
	}
	q.mu.Lock()
	closed := q.closed
	q.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if ctx == nil {
		ctx = context.Background()
	}
	c := &capture{maxBody: q.cfg.maxBody}
	err := call(ctx, sdk.WithMiddleware(c.middleware))
	switch {
	case !c.done && err != nil:
		return nil, &EnqueueError{Reason: "the call failed before it made a request", Err: err}
	case !c.done:
		return nil, &EnqueueError{Reason: "the call made no request with the options it was given"}
	case c.err != nil:
		return nil, c.err
	}
	rec := c.rec
	rec.V = formatVersion
	rec.Resource = wc.resource
	if rec.Resource == "" {
		rec.Resource = c.path
	}
	rec.Label = wc.label
	rec.Policy = wc.policy
	rec.Enqueued = q.cfg.now()
	rec.Key = c.key
	if rec.Key == "" {
		rec.Key = newKey()
	}
	switch {
	case wc.ifMatch != nil:
		rec.IfMatch = *wc.ifMatch
	case c.ifMatch != "":
		rec.IfMatch = c.ifMatch
	case rec.Method == http.MethodPut || rec.Method == http.MethodPatch || rec.Method == http.MethodDelete:
		rec.AutoIfMatch = true
	}
	var e *entry
	err = q.com.run(func(tx *bolt.Tx) error {
		entries := tx.Bucket(bucketEntries)
		seq, err := entries.NextSequence()
		if err != nil {
			return err
		}
		k := seqKey(seq)
		if err := putJSON(entries, k, rec); err != nil {
			return err
		}
		if err := tx.Bucket(bucketBodies).Put(k, c.body); err != nil {
			return err
		}
		if wc.base != nil {
			if err := tx.Bucket(bucketBases).Put(k, wc.base); err != nil {
				return err
			}
		}
		for name, v := range wc.checkpoints {
			if err := tx.Bucket(bucketCheckpoints).Put([]byte(name), v); err != nil {
				return err
			}
		}
		e = &entry{id: seq, rec: rec, bodyLen: len(c.body)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	if q.closed {
		// On disk, and sent when the file is opened again.
		q.mu.Unlock()
		w := &waiter{done: make(chan struct{}), err: ErrClosed}
		close(w.done)
		return &Handle{ID: e.id, Key: rec.Key, w: w}, nil
	}
	h := q.enlist(e)
	q.mu.Unlock()
	q.emit(Event{Kind: EventQueued, Entry: rec.entry(e.id, e.bodyLen)})
	q.wake()
	return h, nil
}

// newKey returns a new Idempotency-Key: 26 characters of base32 from
// 130 random bits.
func newKey() string { return rand.Text() }

// capture is the middleware that records a call's request.
type capture struct {
	maxBody int64
	done    bool
	err     error
	rec     record
	body    []byte
	path    string
	key     string
	ifMatch string
}

func (c *capture) middleware(http.RoundTripper) http.RoundTripper {
	return sdk.RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
		if req.Body != nil {
			defer req.Body.Close()
		}
		if c.done {
			c.err = &EnqueueError{Reason: "the call made more than one request"}
			return nil, errCaptured
		}
		c.done = true
		c.err = c.record(req)
		return nil, errCaptured
	})
}

// hopHeaders are request headers that belong to one connection or that the
// client sets on every attempt: never kept.
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length", "User-Agent"}

// record reads what the queue keeps of req.
func (c *capture) record(req *http.Request) error {
	ctx := req.Context()
	op := sdk.OperationFrom(ctx)
	if op == nil {
		return &EnqueueError{Reason: "the request is not a call of an sdk client"}
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodConnect:
		return &EnqueueError{Operation: op.ID, Reason: req.Method + " is not a write: only writes are queued"}
	}
	u := *req.URL
	if u.User != nil {
		u.User = nil
		c.rec.Dropped = append(c.rec.Dropped, "URL user information")
	}
	for name := range u.Query() {
		if sdk.IsSecretParam(name) {
			return &CredentialError{Operation: op.ID, Where: "query parameter " + name}
		}
	}
	if req.Body != nil && req.Body != http.NoBody {
		body, err := io.ReadAll(io.LimitReader(req.Body, c.maxBody+1))
		if err != nil {
			return &EnqueueError{Operation: op.ID, Reason: "the body could not be read", Err: err}
		}
		if int64(len(body)) > c.maxBody {
			return &EnqueueError{Operation: op.ID, Reason: fmt.Sprintf("the body is larger than %d bytes (WithMaxBody)", c.maxBody)}
		}
		c.body = body
	}
	header := http.Header{}
	for name, values := range req.Header {
		switch {
		case slices.Contains(hopHeaders, name):
		case name == "Idempotency-Key":
			c.key = req.Header.Get(name)
		case name == "If-Match":
			c.ifMatch = req.Header.Get(name)
		case sdk.IsCredentialHeader(ctx, name):
			c.rec.Dropped = append(c.rec.Dropped, name)
		default:
			header[name] = slices.Clone(values)
		}
	}
	slices.Sort(c.rec.Dropped)
	sec := op.Security
	c.rec.Op = opRecord{ID: op.ID, Path: op.Path, Server: op.Server, Security: sec, Idempotent: op.Idempotent,
		NoSecurity: sec != nil && len(sec) == 0}
	c.rec.Method = req.Method
	c.rec.URL = u.String()
	if len(header) > 0 {
		c.rec.Header = header
	}
	c.path = u.Path
	return nil
}

// operation rebuilds the operation of a recorded write, for the client:
// its security requirements choose the credentials it gets. Declared error
// bodies are not kept; the queue reads problem+json itself.
func (o *opRecord) operation(method string) *sdk.Operation {
	op := &sdk.Operation{ID: o.ID, Method: method, Path: o.Path, Server: o.Server, Security: o.Security, Idempotent: o.Idempotent}
	if o.NoSecurity {
		op.Security = [][]string{}
	}
	return op
}
