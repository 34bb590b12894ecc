package uploads_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sdkgen-go/sdkgen/internal/testsdk/uploads"
	"github.com/sdkgen-go/sdkgen/sdk"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// prng is a deterministic pseudo-random stream of size bytes, generated as
// it is read (the AES-CTR keystream of a key drawn from seed), never held in
// memory. Each instance reads through once.
type prng struct {
	s    cipher.Stream
	left int64
}

func newPRNG(seed string, size int64) *prng {
	key := sha256.Sum256([]byte(seed))
	block, err := aes.NewCipher(key[:16])
	if err != nil {
		panic(err)
	}
	return &prng{s: cipher.NewCTR(block, make([]byte, aes.BlockSize)), left: size}
}

func (p *prng) Read(b []byte) (int, error) {
	if p.left == 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	clear(b)
	p.s.XORKeyStream(b, b)
	p.left -= int64(len(b))
	return len(b), nil
}

// digest is the SHA-256 of the stream of seed and size.
func digest(seed string, size int64) string {
	h := sha256.New()
	if _, err := io.Copy(h, newPRNG(seed, size)); err != nil {
		panic(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// mediaServer implements the spec's operations over streams: it hashes
// what it receives part by part, never buffering a file, and refuses with
// 400 a file whose SHA-256 is not the one the test expects.
type mediaServer struct {
	*httptest.Server
	mu       sync.Mutex
	expect   string      // the SHA-256 the next upload must have, when set
	script   []int       // statuses to answer with first (after reading the body)
	requests int         // requests received
	fields   [][2]string // the last form's non-file parts, in order
	files    [][3]string // the last form's file parts: name, file name, media type
	seed     string      // what GET .../raw streams
	size     int64
}

func newMediaServer(t *testing.T) *mediaServer {
	s := &mediaServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /albums/{album}/images", s.uploadImage)
	mux.HandleFunc("PUT /albums/{album}/images/{id}/raw", s.putRaw)
	mux.HandleFunc("GET /albums/{album}/images/{id}/raw", s.getRaw)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// answer consumes the next scripted status, if any, and says whether it
// answered.
func (s *mediaServer) answer(w http.ResponseWriter) bool {
	s.mu.Lock()
	s.requests++
	status := 0
	if len(s.script) > 0 {
		status, s.script = s.script[0], s.script[1:]
	}
	s.mu.Unlock()
	if status == 0 {
		return false
	}
	w.Header().Set("Connection", "close") // the Transport must not retry on its own
	w.WriteHeader(status)
	return true
}

func (s *mediaServer) check(w http.ResponseWriter, title, sum string, size int64) {
	s.mu.Lock()
	expect := s.expect
	s.mu.Unlock()
	if expect != "" && sum != expect {
		writeJSON(w, http.StatusBadRequest, uploads.Problem{Message: fmt.Sprintf("sha256 %s, want %s", sum, expect)})
		return
	}
	writeJSON(w, http.StatusCreated, uploads.Image{ID: "img-1", Title: title, Size: size, Sha256: sum})
}

func (s *mediaServer) uploadImage(w http.ResponseWriter, r *http.Request) {
	mr, err := r.MultipartReader()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var fields [][2]string
	var files [][3]string
	var title, sum string
	var size int64
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if p.FileName() == "" {
			v, err := io.ReadAll(io.LimitReader(p, 1<<10))
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			if ct := p.Header.Get("Content-Type"); ct != "" {
				v = append([]byte(ct+" "), v...)
			}
			fields = append(fields, [2]string{p.FormName(), string(v)})
			if p.FormName() == "title" {
				title = string(v)
			}
			continue
		}
		files = append(files, [3]string{p.FormName(), p.FileName(), p.Header.Get("Content-Type")})
		h := sha256.New()
		n, err := io.Copy(h, p)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if p.FormName() == "image" {
			sum, size = hex.EncodeToString(h.Sum(nil)), n
		}
	}
	s.mu.Lock()
	s.fields, s.files = fields, files
	s.mu.Unlock()
	if s.answer(w) {
		return
	}
	s.check(w, title, sum, size)
}

func (s *mediaServer) putRaw(w http.ResponseWriter, r *http.Request) {
	h := sha256.New()
	n, err := io.Copy(h, r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if s.answer(w) {
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/octet-stream" {
		http.Error(w, "content type "+ct, http.StatusUnsupportedMediaType)
		return
	}
	s.check(w, r.PathValue("id"), hex.EncodeToString(h.Sum(nil)), n)
}

func (s *mediaServer) getRaw(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	seed, size := s.seed, s.size
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	_, _ = io.Copy(w, newPRNG(seed, size))
}

func (s *mediaServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

func (s *mediaServer) set(f func(s *mediaServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func ptr[T any](v T) *T { return &v }

func newClient(t *testing.T, base string, opts ...sdk.Option) *uploads.Client {
	t.Helper()
	c, err := uploads.NewClient(base, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// heapWatch samples the bytes of live and not yet swept heap objects every
// millisecond, keeping the peak.
type heapWatch struct {
	stop, done chan struct{}
	peak       uint64
}

func watchHeap() *heapWatch {
	runtime.GC()
	h := &heapWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			h.peak = max(h.peak, sample[0].Value.Uint64())
			select {
			case <-h.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return h
}

// Stop ends the sampling and returns the peak.
func (h *heapWatch) Stop() uint64 {
	close(h.stop)
	<-h.done
	return h.peak
}

// progressCheck follows progress reports without keeping them (a gibibyte
// makes hundreds of thousands): it counts them and any that went backwards.
type progressCheck struct {
	mu        sync.Mutex
	reports   int
	backwards int
	last      int64
	total     int64
	totals    map[int64]bool
}

func (p *progressCheck) report(n, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reports++
	if n <= p.last {
		p.backwards++
	}
	p.last, p.total = n, total
	if p.totals == nil {
		p.totals = map[int64]bool{}
	}
	p.totals[total] = true
}

func (p *progressCheck) verify(t *testing.T, wantLast, wantTotal int64) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reports < 2 || p.backwards != 0 || p.last != wantLast || len(p.totals) != 1 || p.total != wantTotal {
		t.Errorf("progress: %d reports, %d backwards, last %d (want %d), totals %v (want %d)", p.reports, p.backwards, p.last, wantLast, p.totals, wantTotal)
	}
	t.Logf("progress: %d monotonic reports, ending at %d of %d", p.reports, p.last, p.total)
}

const (
	gib      = 1 << 30
	heapCap  = 64 << 20
	bigSeed  = "a gibibyte"
	testSeed = "small"
)

var (
	bigDigestOnce sync.Once
	bigDigest     string
)

// A gibibyte generated as it is read goes through the generated SDK to a
// real server, as a multipart file part and as an octet-stream body, while
// the heap of the whole process (client and server) stays under 64 MiB;
// the server verifies the SHA-256 of what it received, and progress rises
// monotonically to exactly the body's size. The calls could be retried
// (an Idempotency-Key on the POST; PUT is idempotent), so the retry layer
// is in play, and must not buffer the body it cannot replay.
func TestUploadGibibyteStreamed(t *testing.T) {
	if testing.Short() {
		t.Skip("streams a gibibyte twice; skipped under -short")
	}
	bigDigestOnce.Do(func() { bigDigest = digest(bigSeed, gib) })
	srv := newMediaServer(t)
	srv.set(func(s *mediaServer) { s.expect = bigDigest })
	c := newClient(t, srv.URL)
	ctx := context.Background()

	t.Run("multipart", func(t *testing.T) {
		var progress progressCheck
		var resp *http.Response
		heap := watchHeap()
		start := time.Now()
		img, err := c.Media.UploadImage(ctx, "holiday", uploads.UploadImageFormData{
			Title: "big",
			Image: sdk.File{Name: "big.bin", Reader: newPRNG(bigSeed, gib), Size: gib},
		}, sdk.WithIdempotencyKey("upload-big"), sdk.WithUploadProgress(progress.report), sdk.WithResponse(&resp))
		elapsed := time.Since(start)
		peak := heap.Stop()
		if err != nil {
			t.Fatal(err)
		}
		if img.Size != gib || img.Sha256 != bigDigest {
			t.Fatalf("the server got %d bytes, sha256 %s", img.Size, img.Sha256)
		}
		// Every size is known: the body has a Content-Length, the total
		// of the reports, which end at it.
		length := resp.Request.ContentLength
		if length <= gib {
			t.Errorf("Content-Length %d", length)
		}
		progress.verify(t, length, length)
		t.Logf("1 GiB multipart in %v, peak heap %.1f MiB", elapsed.Round(time.Millisecond), float64(peak)/(1<<20))
		if peak >= heapCap {
			t.Errorf("peak heap %d MiB, want under %d MiB", peak>>20, heapCap>>20)
		}
	})

	t.Run("octet-stream", func(t *testing.T) {
		var progress progressCheck
		heap := watchHeap()
		start := time.Now()
		img, err := c.Media.PutRaw(ctx, "holiday", "big", newPRNG(bigSeed, gib), sdk.WithUploadProgress(progress.report))
		elapsed := time.Since(start)
		peak := heap.Stop()
		if err != nil {
			t.Fatal(err)
		}
		if img.Size != gib || img.Sha256 != bigDigest {
			t.Fatalf("the server got %d bytes, sha256 %s", img.Size, img.Sha256)
		}
		// A plain reader has no known size: total -1, chunked.
		progress.verify(t, gib, -1)
		t.Logf("1 GiB octet-stream in %v, peak heap %.1f MiB", elapsed.Round(time.Millisecond), float64(peak)/(1<<20))
		if peak >= heapCap {
			t.Errorf("peak heap %d MiB, want under %d MiB", peak>>20, heapCap>>20)
		}
	})
}

// A file that can be opened again (File.Open) is replayed through the
// retry layer (go-retryablehttp) after a 503, streamed each time: the heap
// stays under 64 MiB for 256 MiB sent twice, and progress never goes back.
func TestReplayedUploadIsStreamed(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 512 MiB; skipped under -short")
	}
	const size = 256 << 20
	want := digest(testSeed, size)
	srv := newMediaServer(t)
	srv.set(func(s *mediaServer) { s.expect, s.script = want, []int{503} })
	c := newClient(t, srv.URL, sdk.WithRetry(sdk.RetryPolicy{MaxRetries: 2, BaseDelay: time.Millisecond}))
	var opens atomic.Int32
	var progress progressCheck
	heap := watchHeap()
	img, err := c.Media.UploadImage(context.Background(), "a", uploads.UploadImageFormData{
		Title: "again",
		Image: sdk.File{Name: "a.bin", Size: size, Open: func() (io.ReadCloser, error) {
			opens.Add(1)
			return io.NopCloser(newPRNG(testSeed, size)), nil
		}},
	}, sdk.WithIdempotencyKey("replay-1"), sdk.WithUploadProgress(progress.report))
	peak := heap.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if img.Sha256 != want || opens.Load() != 2 || srv.count() != 2 {
		t.Fatalf("sha256 %s, %d opens, %d requests; want 2 of each", img.Sha256, opens.Load(), srv.count())
	}
	progress.mu.Lock()
	total := progress.total
	progress.mu.Unlock()
	progress.verify(t, total, total)
	t.Logf("256 MiB sent twice, peak heap %.1f MiB", float64(peak)/(1<<20))
	if peak >= heapCap {
		t.Errorf("peak heap %d MiB, want under %d MiB", peak>>20, heapCap>>20)
	}
}

// A download streams as an io.ReadCloser: progress rises monotonically to
// the Content-Length, the bytes are the server's, and the heap stays
// small.
func TestDownloadWithProgress(t *testing.T) {
	size := int64(256 << 20)
	if testing.Short() {
		size = 8 << 20
	}
	want := digest(testSeed, size)
	srv := newMediaServer(t)
	srv.set(func(s *mediaServer) { s.seed, s.size = testSeed, size })
	c := newClient(t, srv.URL)
	var progress progressCheck
	heap := watchHeap()
	body, err := c.Media.GetRaw(context.Background(), "a", "b", sdk.WithDownloadProgress(progress.report))
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n, err := io.Copy(h, body)
	body.Close()
	peak := heap.Stop()
	if err != nil || n != size || hex.EncodeToString(h.Sum(nil)) != want {
		t.Fatalf("read %d bytes (%v), sha256 %x", n, err, h.Sum(nil))
	}
	progress.verify(t, size, size)
	t.Logf("%d MiB downloaded, peak heap %.1f MiB", size>>20, float64(peak)/(1<<20))
	if peak >= heapCap {
		t.Errorf("peak heap %d MiB, want under %d MiB", peak>>20, heapCap>>20)
	}
}

// An upload from a reader that can be read only once is not retried after
// a 503, though the call could be (an Idempotency-Key; PUT): the error is a
// *sdk.RetryError that says which part could not be read again, wraps
// sdk.ErrBodyNotReplayable, and unwraps to the 503.
func TestFailedUploadIsNotRetried(t *testing.T) {
	srv := newMediaServer(t)
	c := newClient(t, srv.URL, sdk.WithRetry(sdk.RetryPolicy{MaxRetries: 3, BaseDelay: time.Millisecond}))
	ctx := context.Background()
	cases := []struct {
		name   string
		call   func() error
		reason string
	}{
		{"multipart", func() error {
			_, err := c.Media.UploadImage(ctx, "a", uploads.UploadImageFormData{
				Title: "once",
				Image: sdk.File{Reader: io.LimitReader(newPRNG(testSeed, 1<<20), 1<<20)},
			}, sdk.WithIdempotencyKey("once-1"))
			return err
		}, `file part "image" is read from a *io.LimitedReader, which can be read only once`},
		{"octet-stream", func() error {
			_, err := c.Media.PutRaw(ctx, "a", "b", newPRNG(testSeed, 1<<20))
			return err
		}, "the request body is read from a *uploads_test.prng, which can be read only once"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv.set(func(s *mediaServer) { s.requests, s.script = 0, []int{503, 503} })
			err := tc.call()
			var re *sdk.RetryError
			var ae *sdk.APIError
			if !errors.As(err, &re) || !errors.As(err, &ae) || ae.StatusCode != 503 || !errors.Is(err, sdk.ErrBodyNotReplayable) {
				t.Fatalf("err = %v", err)
			}
			if re.Attempts != 1 || !strings.Contains(re.Reason, tc.reason) || srv.count() != 1 {
				t.Errorf("%d attempts, %d requests, reason %q", re.Attempts, srv.count(), re.Reason)
			}
			t.Log(err)
		})
	}
}

// The form's fields reach the server as the spec's encoding says: fields
// before files, scalars as text, arrays as repeated parts, objects as
// JSON, files with their names and the media types the spec gives them.
func TestFormFields(t *testing.T) {
	srv := newMediaServer(t)
	c := newClient(t, srv.URL)
	taken := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	form := uploads.UploadImageFormData{
		Title:       "Harbour",
		Description: ptr("at dawn"),
		Rating:      ptr(int32(4)),
		Tags:        []string{"sea", "boats"},
		Visibility:  ptr(uploads.UploadImageBodyVisibilityPublic),
		Taken:       &taken,
		Image:       sdk.File{Name: "harbour.jpg", Reader: strings.NewReader("jpeg bytes")},
		Thumbnail:   &sdk.File{Reader: strings.NewReader("png bytes")},
		Attachments: []sdk.File{{Name: "notes.txt", ContentType: "text/plain", Reader: strings.NewReader("n")}},
	}
	form.Meta = &struct {
		Camera *string `json:"camera,omitempty"`
		Iso    *int    `json:"iso,omitempty"`
	}{Camera: ptr("X100")}
	img, err := c.Media.UploadImage(context.Background(), "a", form)
	if err != nil {
		t.Fatal(err)
	}
	if img.Title != "Harbour" || img.Size != int64(len("jpeg bytes")) {
		t.Errorf("image: %+v", img)
	}
	wantFields := [][2]string{
		{"description", "at dawn"},
		{"meta", `application/json {"camera":"X100"}`},
		{"rating", "4"},
		{"tags", "sea"},
		{"tags", "boats"},
		{"taken", "2025-01-02T03:04:05Z"},
		{"title", "Harbour"},
		{"visibility", "public"},
	}
	wantFiles := [][3]string{
		{"attachments", "notes.txt", "text/plain"},
		{"image", "harbour.jpg", "image/jpeg"},
		{"thumbnail", "thumbnail", "image/png"},
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if fmt.Sprint(srv.fields) != fmt.Sprint(wantFields) || fmt.Sprint(srv.files) != fmt.Sprint(wantFiles) {
		t.Errorf("fields %q\nwant   %q\nfiles  %q\nwant   %q", srv.fields, wantFields, srv.files, wantFiles)
	}
}
