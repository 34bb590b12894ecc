// Package rtdbserver is a Firebase Realtime Database server for tests: one
// in-memory JSON tree served over the database's REST protocol, with live
// listening over server-sent events. The real emulator needs Java 21 and a
// JAR download that CI cannot make, so the tests of sdk/firebase/rtdb run
// against this server instead.
//
// It follows these documents of Firebase (firebase.google.com/docs):
//
//   - "Firebase Database REST API" (reference/rest/database): GET, PUT,
//     POST, PATCH and DELETE on <path>.json; the auth and access_token
//     query parameters; print=silent (204 No Content); errors as
//     {"error": "..."}; POST answering {"name": "<push id>"};
//   - "Retrieving Data", section "Streaming from the REST API"
//     (database/rest/retrieve-data): a GET with Accept: text/event-stream
//     answers events put and patch, whose data is {"path": ..., "data": ...}
//     with the path relative to the listened location (a put at "/" first,
//     with all the data there), keep-alive (data null), cancel (the rules
//     no longer allow the read) and auth_revoked (the credential expired
//     or was revoked; the connection then closes);
//   - "Saving Data", section "Conditional requests" (database/rest/save-data):
//     X-Firebase-ETag: true asks for the location's ETag; a PUT or DELETE
//     with if-match is applied only when the ETag matches, otherwise 412
//     Precondition Failed with the current ETag and value;
//   - push ids as "The 2^120 Ways to Ensure Unique Identifiers" (Firebase
//     blog, 2015) describes them: 8 characters of time, 12 random,
//     ordered by creation.
//
// And, from the REST reference's note on redirects, a 307 Temporary Redirect
// to another host of the same database: [Redirect] answers every request
// that way (Location with the path and query as sent), so tests can put two
// host names in front of one database.
//
// Hooks for tests: [Server.DropStreams] closes every live stream as a
// network failure would; [Server.Revoke] makes a token invalid, sending
// auth_revoked to the streams that use it; [Server.Cancel] sends cancel to
// the streams under a path; [Server.Requests] lists what was asked, with
// host and query, so tests can check where a credential went.
package rtdbserver

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a [Server].
type Options struct {
	// Verify checks the credential of a request (the auth or access_token
	// query parameter) and returns when it expires (zero: never). Nil
	// means every request is allowed, with or without a credential.
	Verify func(token string) (expiry time.Time, err error)
	// KeepAlive is how often a stream gets a keep-alive event; 0 means 30 s.
	KeepAlive time.Duration
	// Now is the clock Verify's expiries are compared with; nil is time.Now.
	Now func() time.Time
}

// Server is the database. Its zero value is not usable; call [New].
type Server struct {
	o Options

	mu        sync.Mutex
	root      any
	streams   map[*stream]struct{}
	revoked   map[string]bool
	requests  []Request
	lastPush  int64
	pushRand  [12]byte
	closeOnce sync.Once
	closed    chan struct{}
}

// Request is what the server saw of one request.
type Request struct {
	Host, Method, Path, RawQuery string
	Header                       http.Header
	// Stream reports a streaming GET.
	Stream bool
}

// New returns an empty database.
func New(o Options) *Server {
	if o.KeepAlive <= 0 {
		o.KeepAlive = 30 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Server{o: o, streams: map[*stream]struct{}{}, revoked: map[string]bool{}, closed: make(chan struct{})}
}

// Close ends every stream; later streams end at once.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
	s.DropStreams()
}

// Requests returns the requests served so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Value returns the JSON of the value at path.
func (s *Server) Value(path string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.Marshal(get(s.root, split(path)))
	return string(b) // as stored: arrays are objects keyed by index
}

// Redirect returns a handler that answers every request with 307
// Temporary Redirect to the same path and query at target (scheme and
// host, no trailing slash), as the service redirects to another host of a
// database.
func Redirect(target string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		loc := target + r.URL.EscapedPath()
		if r.URL.RawQuery != "" {
			loc += "?" + r.URL.RawQuery
		}
		w.Header().Set("Location", loc)
		w.WriteHeader(http.StatusTemporaryRedirect)
	})
}

// stream is one live listener.
type stream struct {
	path   []string
	token  string
	events chan string // formatted events; closed never, abandoned on end
	done   chan struct{}
	once   sync.Once
	final  string // an event to send before closing, if any
}

func (st *stream) end(final string) {
	st.once.Do(func() {
		st.final = final
		close(st.done)
	})
}

// DropStreams closes every live stream without an event, as a network
// failure would.
func (s *Server) DropStreams() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for st := range s.streams {
		st.end("")
		delete(s.streams, st)
	}
}

// Revoke makes token invalid from now on: requests carrying it get 401,
// and the streams that use it get auth_revoked and close.
func (s *Server) Revoke(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked[token] = true
	for st := range s.streams {
		if st.token == token {
			st.end(event("auth_revoked", `"credential is no longer valid"`))
			delete(s.streams, st)
		}
	}
}

// Cancel sends cancel, with reason, to the streams at or under path, and
// closes them, as the service does when security rules stop allowing a
// read.
func (s *Server) Cancel(path, reason string) {
	p := split(path)
	s.mu.Lock()
	defer s.mu.Unlock()
	for st := range s.streams {
		if under(st.path, p) {
			b, _ := json.Marshal(reason)
			st.end(event("cancel", string(b)))
			delete(s.streams, st)
		}
	}
}

// Streams returns how many streams are live.
func (s *Server) Streams() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.streams)
}

// ServeHTTP serves the REST protocol.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	streaming := r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/event-stream")
	s.mu.Lock()
	s.requests = append(s.requests, Request{Host: r.Host, Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Stream: streaming})
	s.mu.Unlock()

	rawPath, ok := strings.CutSuffix(r.URL.Path, ".json")
	if !ok {
		fail(w, http.StatusNotFound, "Paths must end in .json")
		return
	}
	path := split(rawPath)
	for _, seg := range path {
		if strings.ContainsAny(seg, ".$#[]") {
			fail(w, http.StatusBadRequest, "Invalid path: "+seg)
			return
		}
	}
	q := r.URL.Query()
	token := q.Get("auth")
	if token == "" {
		token = q.Get("access_token")
	}
	expiry, refused := s.verify(token)
	if refused != "" {
		fail(w, http.StatusUnauthorized, refused)
		return
	}
	if streaming {
		s.listen(w, r, path, token, expiry)
		return
	}
	var body any
	if r.Method == http.MethodPut || r.Method == http.MethodPost || r.Method == http.MethodPatch {
		dec := json.NewDecoder(io.LimitReader(r.Body, 16<<20))
		dec.UseNumber()
		if err := dec.Decode(&body); err != nil {
			fail(w, http.StatusBadRequest, "Invalid data; couldn't parse JSON object, array, or value.")
			return
		}
		if _, isMap := body.(map[string]any); r.Method == http.MethodPatch && !isMap {
			fail(w, http.StatusBadRequest, "Invalid data; couldn't parse JSON object. Are you sending a JSON object with valid key names?")
			return
		}
	}
	s.mu.Lock()
	status, out, etag := s.apply(r.Method, path, body, r.Header.Get("if-match"))
	s.mu.Unlock()
	if etag != "" && (r.Header.Get("X-Firebase-ETag") == "true" || status == http.StatusPreconditionFailed) {
		w.Header().Set("ETag", etag)
	}
	if status == http.StatusOK && q.Get("print") == "silent" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	b, _ := json.Marshal(render(out))
	w.Write(b)
}

// verify checks a request's credential: it returns the credential's
// expiry, or the service's message when it refuses it.
func (s *Server) verify(token string) (time.Time, string) {
	if s.o.Verify == nil {
		return time.Time{}, ""
	}
	s.mu.Lock()
	revoked := s.revoked[token]
	s.mu.Unlock()
	if token == "" || revoked {
		return time.Time{}, "Permission denied"
	}
	exp, err := s.o.Verify(token)
	if err != nil {
		return time.Time{}, "Could not parse auth token."
	}
	if !exp.IsZero() && !s.o.Now().Before(exp) {
		return time.Time{}, "Auth token is expired"
	}
	return exp, ""
}

// apply runs a REST request on the tree (under s.mu) and notifies the
// streams it concerns. It returns the status, the body and the ETag of the
// location.
func (s *Server) apply(method string, path []string, body any, ifMatch string) (int, any, string) {
	cur := get(s.root, path)
	etag := etagOf(cur)
	if ifMatch != "" && (method == http.MethodPut || method == http.MethodDelete) && ifMatch != etag {
		return http.StatusPreconditionFailed, cur, etag
	}
	switch method {
	case http.MethodGet:
		return http.StatusOK, cur, etag
	case http.MethodPut:
		s.root = set(s.root, path, body)
		s.notifyPut(path, body)
		v := get(s.root, path)
		return http.StatusOK, v, etagOf(v)
	case http.MethodDelete:
		s.root = set(s.root, path, nil)
		s.notifyPut(path, nil)
		return http.StatusOK, nil, etagOf(nil)
	case http.MethodPost:
		name := s.pushID()
		child := append(append([]string(nil), path...), name)
		s.root = set(s.root, child, body)
		s.notifyPut(child, body)
		return http.StatusOK, map[string]string{"name": name}, ""
	case http.MethodPatch:
		m := body.(map[string]any)
		for k, v := range m {
			s.root = set(s.root, append(append([]string(nil), path...), split(k)...), v)
		}
		s.notifyPatch(path, m)
		v := get(s.root, path)
		return http.StatusOK, m, etagOf(v)
	}
	return http.StatusMethodNotAllowed, map[string]string{"error": "Method not allowed"}, ""
}

// notifyPut tells the streams what a put at path (value v) changed.
func (s *Server) notifyPut(path []string, v any) {
	for st := range s.streams {
		switch {
		case under(path, st.path): // the write is at or under the stream
			s.send(st, event("put", payload(join(path[len(st.path):]), v)))
		case under(st.path, path): // the write replaced the stream's location
			s.send(st, event("put", payload("/", get(s.root, st.path))))
		}
	}
}

func (s *Server) notifyPatch(path []string, m map[string]any) {
	for st := range s.streams {
		switch {
		case under(path, st.path):
			s.send(st, event("patch", payload(join(path[len(st.path):]), m)))
		case under(st.path, path):
			s.send(st, event("put", payload("/", get(s.root, st.path))))
		}
	}
}

// send queues an event; a stream that cannot keep up is closed, as a
// server closes a connection whose buffers are full.
func (s *Server) send(st *stream, ev string) {
	select {
	case st.events <- ev:
	default:
		st.end("")
		delete(s.streams, st)
	}
}

func (s *Server) listen(w http.ResponseWriter, r *http.Request, path []string, token string, expiry time.Time) {
	fl, ok := w.(http.Flusher)
	if !ok {
		fail(w, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	st := &stream{path: path, token: token, events: make(chan string, 4096), done: make(chan struct{})}
	s.mu.Lock()
	first := event("put", payload("/", get(s.root, path)))
	s.streams[st] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.streams, st)
		s.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, first)
	fl.Flush()
	var expired <-chan time.Time
	if !expiry.IsZero() {
		t := time.NewTimer(expiry.Sub(s.o.Now()))
		defer t.Stop()
		expired = t.C
	}
	keep := time.NewTicker(s.o.KeepAlive)
	defer keep.Stop()
	for {
		select {
		case ev := <-st.events:
			io.WriteString(w, ev)
			fl.Flush()
		case <-keep.C:
			io.WriteString(w, event("keep-alive", "null"))
			fl.Flush()
		case <-expired:
			io.WriteString(w, event("auth_revoked", `"credential is no longer valid"`))
			fl.Flush()
			return
		case <-st.done:
			if st.final != "" {
				// Events queued before the end go first, in order.
				for len(st.events) > 0 {
					io.WriteString(w, <-st.events)
				}
				io.WriteString(w, st.final)
				fl.Flush()
			}
			return
		case <-s.closed:
			return
		case <-r.Context().Done():
			return
		}
	}
}

func event(name, data string) string { return "event: " + name + "\ndata: " + data + "\n\n" }

func payload(path string, data any) string {
	b, _ := json.Marshal(map[string]any{"path": path, "data": render(data)})
	return string(b)
}

func fail(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"error": msg})
	w.Write(b)
}

func etagOf(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:20])
}

// pushID makes a push id: 8 characters of milliseconds, 12 of randomness
// that count up when two ids share a millisecond, so ids sort by creation.
func (s *Server) pushID() string {
	const chars = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
	now := time.Now().UnixMilli()
	if now <= s.lastPush {
		now = s.lastPush
		for i := 11; i >= 0; i-- {
			if s.pushRand[i] < 63 {
				s.pushRand[i]++
				break
			}
			s.pushRand[i] = 0
		}
	} else {
		for i := range s.pushRand {
			s.pushRand[i] = byte(rand.N(64))
		}
	}
	s.lastPush = now
	var b [20]byte
	for i := 7; i >= 0; i-- {
		b[i] = chars[now%64]
		now /= 64
	}
	for i, r := range s.pushRand {
		b[8+i] = chars[r]
	}
	return string(b[:])
}

// split cuts a path into its segments ("/a/b/" → [a b]).
func split(p string) []string {
	var out []string
	for _, seg := range strings.Split(p, "/") {
		if seg != "" {
			out = append(out, seg)
		}
	}
	return out
}

func join(p []string) string { return "/" + strings.Join(p, "/") }

// under reports whether p is at or under root.
func under(p, root []string) bool {
	if len(p) < len(root) {
		return false
	}
	for i := range root {
		if p[i] != root[i] {
			return false
		}
	}
	return true
}

// get returns the value at path, or nil.
func get(v any, path []string) any {
	for _, seg := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[seg]
	}
	return v
}

// The client's fold (sdk/firebase/rtdb, listen.go) implements the same
// storage rules (set, normalize, render) on its own, on purpose: the tests
// compare two readings of Firebase's documents, and code shared by the
// server and the client would let one bug pass both.

// set returns root with the value at path replaced by v; nil (or an empty
// object) deletes it, and objects left empty disappear, as in the service.
func set(root any, path []string, v any) any {
	v = normalize(v)
	if len(path) == 0 {
		return v
	}
	m, ok := root.(map[string]any)
	if !ok {
		m = map[string]any{}
	}
	child := set(m[path[0]], path[1:], v)
	if child == nil {
		delete(m, path[0])
	} else {
		m[path[0]] = child
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// normalize turns arrays into objects keyed by index and drops nulls and
// empty objects, as the service stores them.
func normalize(v any) any {
	switch x := v.(type) {
	case []any:
		m := map[string]any{}
		for i, e := range x {
			if e = normalize(e); e != nil {
				m[fmt.Sprint(i)] = e
			}
		}
		if len(m) == 0 {
			return nil
		}
		return m
	case map[string]any:
		m := map[string]any{}
		for k, e := range x {
			if e = normalize(e); e != nil {
				m[k] = e
			}
		}
		if len(m) == 0 {
			return nil
		}
		return m
	}
	return v
}

// VerifyUnsignedJWT is a Verify for the ID tokens of the Firebase Auth
// emulator, which are JWTs with alg "none": it reads the exp claim and
// checks nothing else, as the Realtime Database emulator does with them.
func VerifyUnsignedJWT(token string) (time.Time, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}, fmt.Errorf("not a JWT")
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}, err
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if err := json.Unmarshal(b, &claims); err != nil {
		return time.Time{}, err
	}
	if claims.Exp == 0 {
		return time.Time{}, nil
	}
	return time.Unix(claims.Exp, 0), nil
}

// render returns v as the service sends it: an object whose keys are all
// integers from 0, more than half of the indexes up to the largest holding
// a value, is sent as an array ("Best Practices for Arrays in Firebase",
// Firebase blog, 2014).
func render(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	maxIdx, isArray := -1, len(m) > 0
	for k := range m {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || strconv.Itoa(i) != k {
			isArray = false
			break
		}
		maxIdx = max(maxIdx, i)
	}
	if isArray && len(m)*2 > maxIdx+1 {
		out := make([]any, maxIdx+1)
		for k, e := range m {
			i, _ := strconv.Atoi(k)
			out[i] = render(e)
		}
		return out
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		out[k] = render(e)
	}
	return out
}
