package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// The event stream. Every committed change is published, in id order, to
// the streams open at that moment and to a bounded log of recent events.
// A stream that resumes (Last-Event-ID) first gets the logged events after
// its id; when the log no longer reaches back that far, or the id is not
// one this server issued (from before a restart the log does not
// survive, or from elsewhere), it gets a reset event instead, whose id is
// the latest, and continues live from there.
//
// A stream whose client does not keep up (subscriberBuffer events behind)
// is ended rather than let events be dropped: the client reconnects with
// Last-Event-ID and catches up from the log.

const subscriberBuffer = 256

// broker fans events out to the open streams.
type broker struct {
	mu     sync.Mutex
	size   int
	log    []event // the latest events, oldest first, at most size
	last   uint64  // the latest event id (from the database at start)
	subs   map[*subscriber]struct{}
	closed bool
}

// subscriber is an open stream's queue. gone is closed when the broker
// drops it (too slow, or the broker closed).
type subscriber struct {
	ch   chan event
	gone chan struct{}
}

func newBroker(size int, last uint64) *broker {
	return &broker{size: size, last: last, subs: map[*subscriber]struct{}{}}
}

func (b *broker) publish(e event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.last = e.id
	if len(b.log) == b.size {
		copy(b.log, b.log[1:])
		b.log = b.log[:len(b.log)-1]
	}
	b.log = append(b.log, e)
	for sub := range b.subs {
		select {
		case sub.ch <- e:
		default:
			delete(b.subs, sub)
			close(sub.gone)
		}
	}
}

// subscribe opens a queue. With a Last-Event-ID (resume), it also returns
// the events after it, or reset true and the latest id when they are not
// all in the log.
func (b *broker) subscribe(resume bool, lastID uint64) (sub *subscriber, replay []event, reset bool, latest uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	sub = &subscriber{ch: make(chan event, subscriberBuffer), gone: make(chan struct{})}
	if b.closed {
		close(sub.gone)
		return sub, nil, false, b.last
	}
	b.subs[sub] = struct{}{}
	if resume && lastID != b.last {
		switch {
		case lastID > b.last || len(b.log) == 0 || b.log[0].id > lastID+1:
			reset = true
		default:
			for _, e := range b.log {
				if e.id > lastID {
					replay = append(replay, e)
				}
			}
		}
	}
	return sub, replay, reset, b.last
}

func (b *broker) unsubscribe(sub *subscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[sub]; ok {
		delete(b.subs, sub)
		close(sub.gone)
	}
}

// close ends every stream.
func (b *broker) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for sub := range b.subs {
		delete(b.subs, sub)
		close(sub.gone)
	}
}

// writeTimeout bounds each write to a stream, so a client that stopped
// reading cannot hold its handler forever.
const writeTimeout = 30 * time.Second

func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request, c *call) {
	var lastID uint64
	raw, resume := r.Header.Get("Last-Event-ID"), r.Header.Get("Last-Event-ID") != ""
	if resume {
		n, err := strconv.ParseUint(raw, 10, 64)
		if err != nil || len(raw) > 19 {
			s.problem(w, r, c, http.StatusBadRequest, probInvalidParam, fmt.Sprintf("Last-Event-ID %q is not an event id of this stream", raw),
				fieldError{Field: "Last-Event-ID", Message: "must be a decimal event id"})
			return
		}
		lastID = n
	}
	sub, replay, reset, latest := s.events.subscribe(resume, lastID)
	defer s.events.unsubscribe(sub)

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // tell proxies not to buffer
	w.WriteHeader(http.StatusOK)
	send := func(format string, args ...any) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	sendEvent := func(e event) bool {
		return send("id: %d\nevent: %s\ndata: %s\n\n", e.id, e.typ, e.data)
	}
	if !send("retry: %d\n\n", s.opts.EventRetry.Milliseconds()) {
		return
	}
	if reset {
		data, _ := json.Marshal(productEvent{Type: "reset", At: s.now().UTC()})
		if !sendEvent(event{id: latest, typ: "reset", data: data}) {
			return
		}
	}
	for _, e := range replay {
		if !sendEvent(e) {
			return
		}
	}
	keepAlive := time.NewTicker(s.opts.KeepAlive)
	defer keepAlive.Stop()
	for {
		select {
		case e := <-sub.ch:
			if !sendEvent(e) {
				return
			}
		case <-keepAlive.C:
			if !send(": keepalive\n\n") {
				return
			}
		case <-sub.gone:
			// Dropped as too slow, or the server is closing: whatever is
			// queued is sent, then the stream ends.
			for {
				select {
				case e := <-sub.ch:
					if !sendEvent(e) {
						return
					}
				default:
					return
				}
			}
		case <-s.closing:
			return
		case <-r.Context().Done():
			return
		}
	}
}
