package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Every test must leave no goroutine behind: servers, streams and uploads
// all end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Microsecond) // distinct timestamps, as a real clock gives
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// The test clients: "demo" may read and write, "reader" only read.
const (
	demoID, demoSecret     = "demo", "demo-secret"
	readerID, readerSecret = "reader", "reader-secret"
)

// harness is a server listening on loopback and an HTTP client for it.
type harness struct {
	t   *testing.T
	srv *Server
	url string
	hc  *http.Client
	tok string // a read-write token of the demo client
}

// start runs a server with opts (the test clients if none) until the test
// ends.
func start(t *testing.T, opts Options) *harness {
	t.Helper()
	if opts.Clients == nil {
		opts.Clients = []Client{
			{ID: demoID, Secret: demoSecret},
			{ID: readerID, Secret: readerSecret, Scopes: []string{ScopeRead}},
		}
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	// All traffic is checked against the spec (contract_test.go).
	hc := &http.Client{Transport: &contractTransport{t: t, router: specRouter(t), base: tr}}
	h := &harness{t: t, srv: srv, url: srv.URL(), hc: hc}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
		tr.CloseIdleConnections()
	})
	h.tok = h.token(demoID, demoSecret)
	return h
}

// token gets an access token, failing the test if it cannot.
func (h *harness) token(id, secret string, scopes ...string) string {
	h.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(scopes) > 0 {
		form.Set("scope", strings.Join(scopes, " "))
	}
	req, _ := http.NewRequest(http.MethodPost, h.url+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	res := h.send(req)
	if res.status != http.StatusOK {
		h.t.Fatalf("token: %d %s", res.status, res.body)
	}
	var tr tokenResponse
	res.decode(&tr)
	return tr.AccessToken
}

// response is a response read whole.
type response struct {
	t      *testing.T
	status int
	header http.Header
	body   []byte
}

func (r *response) decode(v any) {
	r.t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		r.t.Fatalf("decode %s: %v", r.body, err)
	}
}

// problem decodes a problem+json body, checking the parts every problem
// has.
func (r *response) problem(wantStatus int) problem {
	r.t.Helper()
	if r.status != wantStatus {
		r.t.Fatalf("status %d, want %d: %s", r.status, wantStatus, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		r.t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	var p problem
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		r.t.Fatalf("problem %s: %v", r.body, err)
	}
	if p.Status != wantStatus || !strings.HasPrefix(p.Type, ProblemTypeBase) || p.Title == "" || p.Detail == "" || p.Instance == "" {
		r.t.Fatalf("incomplete problem: %+v", p)
	}
	if p.RequestID == "" || p.RequestID != r.header.Get("X-Request-Id") {
		r.t.Fatalf("problem request_id %q, header %q", p.RequestID, r.header.Get("X-Request-Id"))
	}
	return p
}

func (h *harness) send(req *http.Request) *response {
	h.t.Helper()
	resp, err := h.hc.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	if resp.Header.Get("X-Request-Id") == "" {
		h.t.Fatalf("%s %s: no X-Request-Id", req.Method, req.URL.Path)
	}
	return &response{t: h.t, status: resp.StatusCode, header: resp.Header, body: body}
}

// do sends a request with the demo token; body, if not nil, is sent as
// JSON (a string or []byte as is); headers are name, value pairs.
func (h *harness) do(method, path string, body any, headers ...string) *response {
	h.t.Helper()
	return h.doAs(h.tok, method, path, body, headers...)
}

func (h *harness) doAs(token, method, path string, body any, headers ...string) *response {
	h.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, h.url+path, r)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return h.send(req)
}

// post creates a product, for goroutines other than the test's.
func (h *harness) post(body any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, h.url+"/products", bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+h.tok)
	resp, err := h.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("%s: %s", resp.Status, msg)
	}
	return nil
}

// create adds a product, failing the test if it cannot.
func (h *harness) create(p map[string]any) *product {
	h.t.Helper()
	res := h.do(http.MethodPost, "/products", p)
	if res.status != http.StatusCreated {
		h.t.Fatalf("create: %d %s", res.status, res.body)
	}
	var out product
	res.decode(&out)
	return &out
}

var skuSeq struct {
	sync.Mutex
	n int
}

// newProduct is a valid create body with a fresh SKU.
func newProduct(name, category string, price int64) map[string]any {
	skuSeq.Lock()
	skuSeq.n++
	n := skuSeq.n
	skuSeq.Unlock()
	return map[string]any{"sku": fmt.Sprintf("SKU-%05d", n), "name": name, "category": category, "price": price}
}

// sseEvent is an event read from a stream.
type sseEvent struct {
	id, event, data string
}

// stream is an open event stream.
type stream struct {
	t          *testing.T
	resp       *http.Response
	rd         *bufio.Reader
	retry      string
	keepalives int
	cancel     context.CancelFunc
}

// openStream opens the event stream, with Last-Event-ID when lastID is not
// empty; the stream closes when the test ends.
func (h *harness) openStream(lastID string) *stream {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.url+"/products/events", nil)
	req.Header.Set("Authorization", "Bearer "+h.tok)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := h.hc.Do(req)
	if err != nil {
		cancel()
		h.t.Fatal(err)
	}
	s := &stream{t: h.t, resp: resp, rd: bufio.NewReader(resp.Body), cancel: cancel}
	h.t.Cleanup(s.close)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		h.t.Fatalf("stream: %s, %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	return s
}

func (s *stream) close() {
	s.cancel()
	_ = s.resp.Body.Close()
}

// next reads the next event, noting retry fields and keepalive comments.
func (s *stream) next() sseEvent {
	s.t.Helper()
	var e sseEvent
	for {
		line, err := s.rd.ReadString('\n')
		if err != nil {
			s.t.Fatalf("stream: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if e.data != "" {
				return e
			}
		case strings.HasPrefix(line, ":"):
			s.keepalives++
		default:
			k, v, _ := strings.Cut(line, ": ")
			switch k {
			case "id":
				e.id = v
			case "event":
				e.event = v
			case "data":
				e.data += v
			case "retry":
				s.retry = v
			default:
				s.t.Fatalf("stream: unexpected line %q", line)
			}
		}
	}
}

// decode reads the event's data.
func (e sseEvent) decode(t *testing.T) productEvent {
	t.Helper()
	var pe productEvent
	if err := json.Unmarshal([]byte(e.data), &pe); err != nil {
		t.Fatalf("event data %q: %v", e.data, err)
	}
	if pe.Type != e.event {
		t.Fatalf("event name %q, data type %q", e.event, pe.Type)
	}
	return pe
}

// testPNG encodes a w×h PNG of noise (so it does not compress much).
func testPNG(t testing.TB, w, h int, seed uint64) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(seed, seed))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(rng.UintN(256)), uint8(rng.UintN(256)), uint8(rng.UintN(256)), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func testJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// part is a field of a multipart upload.
type part struct {
	name, filename, contentType string
	data                        []byte
}

// upload posts a multipart form, streaming it through a pipe as a client
// uploading a large file does (no Content-Length).
func (h *harness) upload(id string, parts ...part) *response {
	h.t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, p := range parts {
			hdr := make(map[string][]string)
			disp := fmt.Sprintf(`form-data; name=%q`, p.name)
			if p.filename != "" {
				disp += fmt.Sprintf(`; filename=%q`, p.filename)
			}
			hdr["Content-Disposition"] = []string{disp}
			if p.contentType != "" {
				hdr["Content-Type"] = []string{p.contentType}
			}
			w, err := mw.CreatePart(hdr)
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			// Write in small pieces, as a stream arrives.
			for chunk := range slices.Chunk(p.data, 32<<10) {
				if _, err := w.Write(chunk); err != nil {
					pw.CloseWithError(err)
					return
				}
			}
		}
		pw.CloseWithError(mw.Close())
	}()
	req, _ := http.NewRequest(http.MethodPost, h.url+"/products/"+id+"/image", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+h.tok)
	res := h.send(req)
	pr.CloseWithError(io.ErrClosedPipe) // the server may have stopped reading early
	<-done
	return res
}
