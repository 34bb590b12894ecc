// Package faultserver is an HTTP server for tests that injects faults and
// records what it receives, so a test can prove what a client sent — how
// many times, with which headers and which body — and not merely what it
// got back.
//
// A Server answers each request with the next [Step] of its script (see
// [Server.Script]), then with its default step. A step either responds
// (a status, headers, a body, after an optional delay) or injects a fault
// after reading the whole request: a connection reset (RST), a connection
// closed before any response byte (the client sees EOF), response headers
// held back, or a body cut short of its Content-Length. Faults below HTTP
// are injected at the listener: [Server.Down] closes it so that dials are
// refused until [Server.Up], and [Server.StallConnections] holds accepted
// connections without a byte of answer (with TLS, a stalled handshake).
//
// A step may also inject its fault after Config.Handler served the request
// (Step.AfterHandler): the handler's effects happen, and then its response
// is lost, held back or cut short, as when a server commits a write and the
// connection fails on the way back. [Config.Pick] chooses steps per
// request, for randomized fault mixes in soak tests.
//
// Every request is recorded before any byte of its response is written (or
// its fault injected): method, path, headers, Idempotency-Key, and the size
// and SHA-256 of its body, hashed as it streams in and never buffered. So
// when a client call returns, the server's records already hold every
// request the call made.
//
// By default the server closes every connection after one response
// ("Connection: close"). net/http's Transport silently resends idempotent
// requests, and any request with an Idempotency-Key, when a reused
// connection fails; with fresh connections every attempt the server sees is
// one the client made on purpose, and counts are exact. Config.KeepAlives
// turns reuse back on, for load and soak tests.
//
// A Server is safe for concurrent use; its methods may be called while
// requests are in flight.
package faultserver

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"hash"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Fault is what a [Step] does with a request.
type Fault int

const (
	// Respond answers with the step's Status, Header and Body (or hands
	// the request to Config.Handler, when the step is the zero Step).
	Respond Fault = iota
	// Reset reads the request, then closes the connection with SO_LINGER 0,
	// so the client gets a TCP RST ("connection reset by peer") instead of
	// a response.
	Reset
	// CloseBeforeResponse reads the request, then closes the connection
	// cleanly before any response byte: the client sees EOF.
	CloseBeforeResponse
	// SlowHeaders reads the request, then holds the response headers back
	// for the step's Delay before responding as Respond; with Delay zero it
	// holds them until the client goes away (or the server closes) and
	// never responds.
	SlowHeaders
	// TruncateBody sends the step's Status and Header with a
	// Content-Length of len(Body), then only the first TruncateAt bytes of
	// Body (half of it when TruncateAt is zero), and closes the
	// connection: the client's read of the body fails with
	// io.ErrUnexpectedEOF.
	TruncateBody
)

var faultNames = [...]string{"Respond", "Reset", "CloseBeforeResponse", "SlowHeaders", "TruncateBody"}

// String returns the fault's name.
func (f Fault) String() string {
	if f >= 0 && int(f) < len(faultNames) {
		return faultNames[f]
	}
	return "Fault(" + strconv.Itoa(int(f)) + ")"
}

// Step is what the server does with one request.
type Step struct {
	Fault Fault
	// Status of the response; zero means 200.
	Status int
	// Header holds response headers (Retry-After, Content-Type, ...).
	// Content-Type defaults to application/json when Body is not empty.
	Header http.Header
	// Body of the response, sent as is.
	Body []byte
	// Delay before the response headers: for Respond and TruncateBody it
	// is waited before answering; for SlowHeaders see there. A wait ends
	// early when the client goes away or the server closes.
	Delay time.Duration
	// TruncateAt is how many bytes of Body TruncateBody sends; zero means
	// half.
	TruncateAt int
	// AfterHandler first has Config.Handler serve the request, its
	// response buffered, and then injects the step's fault into that
	// response, which replaces Status, Header and Body: Reset and
	// CloseBeforeResponse lose it, SlowHeaders holds it back for Delay (or
	// forever), TruncateBody cuts it short, Respond sends it after Delay.
	// The handler's effects happen whatever the client sees. Streaming
	// handlers do not suit it: the response is sent only once the handler
	// returns. Without Config.Handler it is ignored.
	AfterHandler bool
}

// Status returns a step responding with code, the headers given as
// name/value pairs, and body.
func Status(code int, body string, headerPairs ...string) Step {
	s := Step{Status: code, Body: []byte(body)}
	if len(headerPairs) > 0 {
		s.Header = make(http.Header)
		for i := 0; i+1 < len(headerPairs); i += 2 {
			s.Header.Add(headerPairs[i], headerPairs[i+1])
		}
	}
	return s
}

func (s Step) isZero() bool {
	return s.Fault == Respond && s.Status == 0 && s.Header == nil && s.Body == nil && s.Delay == 0 && s.TruncateAt == 0 && !s.AfterHandler
}

// Request is the record of one request the server received.
type Request struct {
	// N is the request's rank of arrival, from 1.
	N      int
	Method string
	// Path and RawQuery of the request URL.
	Path     string
	RawQuery string
	Proto    string
	Header   http.Header
	// IdempotencyKey is the Idempotency-Key header, or "".
	IdempotencyKey string
	// BodyLen and BodySHA256 describe the body as received; BodyErr is the
	// error that cut its reading short (the client went away), if any.
	BodyLen    int64
	BodySHA256 [sha256.Size]byte
	BodyErr    error
	// Fault is what the server did with the request, and Status the status
	// it sent (0 when it sent none).
	Fault  Fault
	Status int
	// Handled reports whether Config.Handler served the request (its
	// effects happened), and HandlerStatus is the status it answered,
	// which an AfterHandler fault may have kept from the client.
	Handled       bool
	HandlerStatus int
}

// Config configures a [Server]. The zero value serves plain HTTP, closes
// every connection after one response, and answers 200 with an empty body
// once the script is used up.
type Config struct {
	// TLS serves HTTPS (HTTP/1.1) with httptest's certificate; clients
	// trust it through [Server.ClientTLSConfig] or [Server.Client].
	TLS bool
	// KeepAlives lets clients reuse connections. Off by default: see the
	// package documentation.
	KeepAlives bool
	// Default is the step for requests once the script is used up.
	Default Step
	// MaxRecords bounds the records kept (the latest are), for long soak
	// runs; zero keeps them all. Count counts every request regardless.
	MaxRecords int
	// Handler, when set, serves requests whose step is the zero Step
	// (Respond with nothing set), so a fault server can stand in front of
	// a real API. It reads the request body through the server's hashing
	// reader; the request is recorded when it first writes.
	Handler http.Handler
	// Pick, when set, chooses the step of each request once the script is
	// used up, in place of Default, before the request body is read. It is
	// called once per request, with the server's lock held: calls are
	// serialized (a seeded math/rand source needs no lock of its own), and
	// Pick must not call the Server's methods.
	Pick func(r *http.Request) Step
}

// Server is a fault-injecting HTTP server on a loopback address.
type Server struct {
	// URL is the server's base URL (http://127.0.0.1:port or https://...),
	// the same across Down and Up.
	URL string

	cfg  Config
	hs   *httptest.Server
	ln   *listener
	done chan struct{}

	mu       sync.Mutex
	script   []Step
	def      Step
	count    int
	requests []Request
	closed   bool
}

// New starts a server. Close it when done (t.Cleanup(srv.Close)).
func New(cfg Config) *Server {
	s := &Server{cfg: cfg, def: cfg.Default, done: make(chan struct{})}
	hs := httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.ln = newListener(hs.Listener)
	hs.Listener = s.ln
	hs.Config.SetKeepAlivesEnabled(cfg.KeepAlives)
	hs.Config.ErrorLog = discardLogger()
	if cfg.TLS {
		hs.StartTLS()
	} else {
		hs.Start()
	}
	s.hs = hs
	s.URL = hs.URL
	return s
}

// Close stops the server: it ends held responses and stalled connections,
// closes the listener and every connection, and waits for its goroutines.
// It is safe to call more than once.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	s.mu.Unlock()
	s.ln.Close()
	s.hs.CloseClientConnections()
	s.hs.Close()
	s.ln.wait()
}

// Script appends steps to the script: the next requests get them in order,
// one step each; once they are used up, requests get the default step.
func (s *Server) Script(steps ...Step) {
	s.mu.Lock()
	s.script = append(s.script, steps...)
	s.mu.Unlock()
}

// SetDefault replaces the step for requests once the script is used up.
func (s *Server) SetDefault(step Step) {
	s.mu.Lock()
	s.def = step
	s.mu.Unlock()
}

// Count returns how many requests the server received.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// Requests returns the records of the requests received (the latest
// Config.MaxRecords of them, when set), in order of arrival.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	recs := s.trimmed()
	out := make([]Request, len(recs))
	copy(out, recs)
	sort.Slice(out, func(i, j int) bool { return out[i].N < out[j].N })
	return out
}

// Clear forgets the requests received and the rest of the script, and
// resets the counters.
func (s *Server) Clear() {
	s.mu.Lock()
	s.script, s.requests, s.count = nil, nil, 0
	s.mu.Unlock()
	s.ln.clear()
}

// Down closes the listening socket: dials to the server are refused
// (ECONNREFUSED) until Up. Connections already accepted go on.
func (s *Server) Down() { s.ln.down() }

// Up opens the listening socket again on the same address, after Down. It
// fails if another process took the port meanwhile.
func (s *Server) Up() error { return s.ln.up() }

// StallConnections makes the server hold the next n connections it
// accepts without reading a request or writing a byte, until the client
// closes them (or the server closes). With TLS, their handshake stalls.
func (s *Server) StallConnections(n int) { s.ln.stallNext(n) }

// Connections returns how many connections the server accepted, and how
// many of them it stalled.
func (s *Server) Connections() (accepted, stalled int) { return s.ln.stats() }

// Client returns an *http.Client for the server (trusting its certificate
// with TLS); Close closes its idle connections.
func (s *Server) Client() *http.Client { return s.hs.Client() }

// ClientTLSConfig returns a TLS configuration that trusts the server's
// certificate, for clients with transports of their own; nil without TLS.
func (s *Server) ClientTLSConfig() *tls.Config {
	if !s.cfg.TLS {
		return nil
	}
	pool := x509.NewCertPool()
	pool.AddCert(s.hs.Certificate())
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// next takes the step for a request and gives the request its rank.
func (s *Server) next(r *http.Request) (Step, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++
	if len(s.script) > 0 {
		st := s.script[0]
		s.script = s.script[1:]
		return st, s.count
	}
	if s.cfg.Pick != nil {
		return s.cfg.Pick(r), s.count
	}
	return s.def, s.count
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r)
	if m := s.cfg.MaxRecords; m > 0 && len(s.requests) >= 2*m {
		// Trim to the latest m now and then, so appends stay cheap.
		s.requests = append(s.requests[:0], s.requests[len(s.requests)-m:]...)
	}
	s.mu.Unlock()
}

// trimmed returns the latest records within MaxRecords. s.mu is held.
func (s *Server) trimmed() []Request {
	if m := s.cfg.MaxRecords; m > 0 && len(s.requests) > m {
		return s.requests[len(s.requests)-m:]
	}
	return s.requests
}

// hashingBody hashes a request body as it is read.
type hashingBody struct {
	r   io.ReadCloser
	h   hash.Hash
	n   int64
	err error
}

func (b *hashingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.h.Write(p[:n])
	b.n += int64(n)
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}

func (b *hashingBody) Close() error { return b.r.Close() }

// drain reads what is left of the body.
func (b *hashingBody) drain() { _, _ = io.Copy(io.Discard, b) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	step, n := s.next(r)
	rec := Request{
		N: n, Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Proto: r.Proto,
		Header: r.Header.Clone(), IdempotencyKey: r.Header.Get("Idempotency-Key"), Fault: step.Fault,
	}
	body := &hashingBody{r: r.Body, h: sha256.New()}
	finish := func(status int) {
		body.drain()
		rec.BodyLen, rec.BodyErr = body.n, body.err
		copy(rec.BodySHA256[:], body.h.Sum(nil))
		rec.Status = status
		s.record(rec)
	}
	if step.isZero() && s.cfg.Handler != nil {
		r.Body = body
		rw := &recordingWriter{ResponseWriter: w, before: finish}
		s.cfg.Handler.ServeHTTP(rw, r)
		rw.ensure(http.StatusOK)
		return
	}
	if step.AfterHandler && s.cfg.Handler != nil {
		r.Body = body
		bw := &bufferedWriter{header: make(http.Header)}
		s.cfg.Handler.ServeHTTP(bw, r)
		if bw.status == 0 {
			bw.status = http.StatusOK
		}
		rec.Handled, rec.HandlerStatus = true, bw.status
		step = Step{Fault: step.Fault, Status: bw.status, Header: bw.header, Body: bw.body.Bytes(),
			Delay: step.Delay, TruncateAt: step.TruncateAt}
	}
	status := step.Status
	if status == 0 {
		status = http.StatusOK
	}
	switch step.Fault {
	case Reset, CloseBeforeResponse:
		finish(0)
		conn := hijack(w)
		if conn == nil {
			return
		}
		if step.Fault == Reset {
			setLinger0(conn)
		}
		_ = conn.Close()
	case SlowHeaders:
		finish(0)
		if !s.wait(r, step.Delay) {
			abort(w)
			return
		}
		s.mu.Lock()
		s.setStatus(n, status)
		s.mu.Unlock()
		respond(w, status, step)
	case TruncateBody:
		finish(status)
		if step.Delay > 0 && !s.wait(r, step.Delay) {
			abort(w)
			return
		}
		conn := hijack(w)
		if conn == nil {
			return
		}
		cut := step.TruncateAt
		if cut == 0 {
			cut = len(step.Body) / 2
		}
		cut = min(max(cut, 0), len(step.Body))
		h := step.Header.Clone()
		if h == nil {
			h = make(http.Header)
		}
		if h.Get("Content-Type") == "" && len(step.Body) > 0 {
			h.Set("Content-Type", "application/json")
		}
		h.Set("Content-Length", strconv.Itoa(len(step.Body)))
		h.Set("Connection", "close")
		bw := bufio.NewWriter(conn)
		fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
		_ = h.Write(bw)
		_, _ = bw.WriteString("\r\n")
		_, _ = bw.Write(step.Body[:cut])
		_ = bw.Flush()
		_ = conn.Close()
	default:
		finish(status)
		if step.Delay > 0 && !s.wait(r, step.Delay) {
			abort(w)
			return
		}
		respond(w, status, step)
	}
}

// abort closes the connection without a response.
func abort(w http.ResponseWriter) {
	if conn := hijack(w); conn != nil {
		_ = conn.Close()
	}
}

func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }

// setStatus fills in the status of request n once it is sent (SlowHeaders
// records before it knows). s.mu is held.
func (s *Server) setStatus(n, status int) {
	for i := len(s.requests) - 1; i >= 0; i-- {
		if s.requests[i].N == n {
			s.requests[i].Status = status
			return
		}
	}
}

// wait waits d (forever when zero) and reports whether it did, rather than
// seeing the client go away or the server close.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return true
	case <-r.Context().Done():
	case <-s.done:
	}
	return false
}

func respond(w http.ResponseWriter, status int, step Step) {
	for k, v := range step.Header {
		w.Header()[k] = v
	}
	if w.Header().Get("Content-Type") == "" && len(step.Body) > 0 {
		w.Header().Set("Content-Type", "application/json")
	}
	if bodyAllowed(status) {
		w.Header().Set("Content-Length", strconv.Itoa(len(step.Body)))
	}
	w.WriteHeader(status)
	if bodyAllowed(status) {
		_, _ = w.Write(step.Body)
	}
}

// bodyAllowed reports whether a response with status may have a body (and
// a Content-Length): not 1xx, 204 or 304 (RFC 9110).
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// bufferedWriter keeps a handler's response for an AfterHandler step.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *bufferedWriter) Header() http.Header { return w.header }

func (w *bufferedWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
}

func (w *bufferedWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(p)
}

func hijack(w http.ResponseWriter) net.Conn {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil
	}
	return conn
}

// setLinger0 makes Close send a RST instead of a FIN.
func setLinger0(c net.Conn) {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
}

// recordingWriter records the request before the handler's first write.
type recordingWriter struct {
	http.ResponseWriter
	before func(status int)
	done   bool
}

func (w *recordingWriter) ensure(status int) {
	if !w.done {
		w.done = true
		w.before(status)
	}
}

func (w *recordingWriter) WriteHeader(code int) {
	if code >= 200 || code == http.StatusSwitchingProtocols {
		w.ensure(code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.ensure(http.StatusOK)
	return w.ResponseWriter.Write(p)
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// listener wraps the server's TCP listener: it can be taken down and
// brought up again on the same address, and can hold connections.
type listener struct {
	mu       sync.Mutex
	addr     net.Addr
	inner    net.Listener // nil while down
	upCh     chan struct{}
	done     chan struct{}
	closed   bool
	stall    int
	held     map[net.Conn]struct{}
	accepted int
	stalled  int
	wg       sync.WaitGroup
}

func newListener(l net.Listener) *listener {
	return &listener{addr: l.Addr(), inner: l, upCh: make(chan struct{}), done: make(chan struct{}), held: map[net.Conn]struct{}{}}
}

func (l *listener) Accept() (net.Conn, error) {
	for {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return nil, net.ErrClosed
		}
		inner, upCh := l.inner, l.upCh
		l.mu.Unlock()
		if inner == nil {
			select {
			case <-upCh:
			case <-l.done:
			}
			continue
		}
		c, err := inner.Accept()
		if err != nil {
			l.mu.Lock()
			replaced := l.closed || l.inner != inner
			l.mu.Unlock()
			if replaced {
				continue // taken down (or closed) on purpose
			}
			return nil, err
		}
		l.mu.Lock()
		l.accepted++
		if l.stall > 0 && !l.closed {
			l.stall--
			l.stalled++
			l.held[c] = struct{}{}
			l.wg.Add(1)
			go l.hold(c)
			l.mu.Unlock()
			continue
		}
		l.mu.Unlock()
		return c, nil
	}
}

// hold keeps c open, answering nothing, until the peer closes it or the
// listener closes.
func (l *listener) hold(c net.Conn) {
	defer l.wg.Done()
	_, _ = io.Copy(io.Discard, c)
	_ = c.Close()
	l.mu.Lock()
	delete(l.held, c)
	l.mu.Unlock()
}

func (l *listener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	close(l.done)
	var err error
	if l.inner != nil {
		err = l.inner.Close()
	}
	for c := range l.held {
		_ = c.Close()
	}
	return err
}

func (l *listener) wait() { l.wg.Wait() }

func (l *listener) Addr() net.Addr { return l.addr }

func (l *listener) down() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inner == nil || l.closed {
		return
	}
	_ = l.inner.Close()
	l.inner = nil
	l.upCh = make(chan struct{})
}

func (l *listener) up() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return net.ErrClosed
	}
	if l.inner != nil {
		return nil
	}
	ln, err := net.Listen(l.addr.Network(), l.addr.String())
	if err != nil {
		return errors.Join(errors.New("faultserver: reopening "+l.addr.String()), err)
	}
	l.inner = ln
	close(l.upCh)
	return nil
}

func (l *listener) stallNext(n int) {
	l.mu.Lock()
	l.stall += n
	l.mu.Unlock()
}

func (l *listener) stats() (int, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.accepted, l.stalled
}

func (l *listener) clear() {
	l.mu.Lock()
	l.accepted, l.stalled, l.stall = 0, 0, 0
	l.mu.Unlock()
}
