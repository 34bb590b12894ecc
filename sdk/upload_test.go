package sdk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"
)

// gotPart is a part of a multipart body as a server received it.
type gotPart struct {
	Name, FileName, ContentType string
	Len                         int64
	Sum                         [sha256.Size]byte
	Value                       string // the first KiB
}

// gotRequest is a request as a server received it.
type gotRequest struct {
	ContentLength    int64
	TransferEncoding []string
	ContentType      string
	Parts            []gotPart // multipart bodies
	Len              int64     // other bodies
	Sum              [sha256.Size]byte
	Err              error
}

// uploadServer reads every request body to its end (a multipart body part
// by part, streamed) and answers with the next status of its script, 200
// once the script is used up.
type uploadServer struct {
	*httptest.Server
	mu     sync.Mutex
	got    []gotRequest
	script []int
}

func newUploadServer(t *testing.T, script ...int) *uploadServer {
	s := &uploadServer{script: script}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g := readUpload(r)
		s.mu.Lock()
		s.got = append(s.got, g)
		status := 200
		if len(s.script) > 0 {
			status, s.script = s.script[0], s.script[1:]
		}
		s.mu.Unlock()
		w.Header().Set("Connection", "close") // the Transport must not retry on its own
		w.WriteHeader(status)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *uploadServer) requests() []gotRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]gotRequest(nil), s.got...)
}

func readUpload(r *http.Request) gotRequest {
	g := gotRequest{ContentLength: r.ContentLength, TransferEncoding: r.TransferEncoding, ContentType: r.Header.Get("Content-Type")}
	mt, _, _ := mime.ParseMediaType(g.ContentType)
	if mt != "multipart/form-data" {
		h := sha256.New()
		g.Len, g.Err = io.Copy(h, r.Body)
		copy(g.Sum[:], h.Sum(nil))
		return g
	}
	mr, err := r.MultipartReader()
	if err != nil {
		g.Err = err
		return g
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return g
		}
		if err != nil {
			g.Err = err
			return g
		}
		gp := gotPart{Name: p.FormName(), FileName: p.FileName(), ContentType: p.Header.Get("Content-Type")}
		h := sha256.New()
		var head bytes.Buffer
		gp.Len, err = io.Copy(io.MultiWriter(h, &limitedBuffer{&head, 1 << 10}), p)
		copy(gp.Sum[:], h.Sum(nil))
		gp.Value = head.String()
		g.Parts = append(g.Parts, gp)
		if err != nil {
			g.Err = err
			return g
		}
	}
}

type limitedBuffer struct {
	b   *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// onceReader hides the type of a reader, so the SDK can read it only once.
type onceReader struct{ r io.Reader }

func (o *onceReader) Read(p []byte) (int, error) { return o.r.Read(p) }

var uploadOp = &Operation{ID: "upload", Method: http.MethodPut, Path: "/upload"}

// putForm builds a PUT of the form to /upload.
func putForm(m testForm) requestBuilder {
	return func(server string) (*http.Request, error) {
		return m.Request(func(ct string, body io.Reader) (*http.Request, error) {
			req, err := http.NewRequest(http.MethodPut, server+"upload", body)
			if err == nil {
				req.Header.Set("Content-Type", ct)
			}
			return req, err
		})
	}
}

// putStream builds a PUT of r to /upload.
func putStream(r io.Reader) requestBuilder {
	return func(server string) (*http.Request, error) {
		return streamRequest(r, func(body io.Reader) (*http.Request, error) {
			return http.NewRequest(http.MethodPut, server+"upload", body)
		})
	}
}

func sum(b []byte) [sha256.Size]byte { return sha256.Sum256(b) }

type visibility string

// Every kind of field is encoded as the spec's multipart encoding says,
// files stream with their names and media types, parts come in order, and
// the Content-Length the SDK computes in advance is exact.
func TestMultipartEncodesFieldsAndFiles(t *testing.T) {
	srv := newUploadServer(t)
	c := newTestClient(t, srv.URL)
	img := bytes.Repeat([]byte("jpeg"), 100_000)
	attachment := []byte("first attachment")
	taken := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	rating := int32(5)
	var nilString *string
	meta := struct {
		Camera string `json:"camera"`
	}{"X100"}
	m := newMultipart().
		Field("title", "Sunset \"over\" the sea").
		Field("description", nilString).
		Field("rating", &rating).
		Field("ratio", 1.5).
		Field("public", true).
		Field("tags", []string{"sea", "sun"}).
		Field("visibility", visibility("public")).
		Field("taken", &taken).
		Field("day", openapi_types.Date{Time: taken}).
		Field("raw", []byte{0, 1, 2}).
		Field("meta", &meta).
		File("image", "image/jpeg", &File{Name: "sunset.jpg", Reader: bytes.NewReader(img)}).
		File("thumbnail", "image/png", nil).
		Files("attachments", "", []File{
			{Reader: strings.NewReader(string(attachment))},
			{Name: "b.txt", ContentType: "text/plain", Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("second")), nil }, Size: 6},
		})
	if err := noContent(mustDo(t, c, uploadOp, putForm(m))); err != nil {
		t.Fatal(err)
	}
	got := srv.requests()[0]
	if got.Err != nil {
		t.Fatal(got.Err)
	}
	want := []gotPart{
		{Name: "title", Value: `Sunset "over" the sea`},
		{Name: "rating", Value: "5"},
		{Name: "ratio", Value: "1.5"},
		{Name: "public", Value: "true"},
		{Name: "tags", Value: "sea"},
		{Name: "tags", Value: "sun"},
		{Name: "visibility", Value: "public"},
		{Name: "taken", Value: "2024-05-06T07:08:09Z"},
		{Name: "day", Value: "2024-05-06"},
		{Name: "raw", Value: "AAEC"},
		{Name: "meta", ContentType: "application/json", Value: `{"camera":"X100"}`},
		{Name: "image", FileName: "sunset.jpg", ContentType: "image/jpeg", Len: int64(len(img)), Sum: sum(img)},
		{Name: "attachments", FileName: "attachments", ContentType: "application/octet-stream", Len: int64(len(attachment)), Sum: sum(attachment)},
		{Name: "attachments", FileName: "b.txt", ContentType: "text/plain", Len: 6, Sum: sum([]byte("second"))},
	}
	if len(got.Parts) != len(want) {
		t.Fatalf("%d parts, want %d: %+v", len(got.Parts), len(want), got.Parts)
	}
	for i, w := range want {
		g := got.Parts[i]
		if w.FileName == "" {
			w.Len, w.Sum = int64(len(w.Value)), sum([]byte(w.Value))
		} else {
			w.Value = g.Value
		}
		if g != w {
			t.Errorf("part %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
	if got.ContentLength <= int64(len(img)) || len(got.TransferEncoding) != 0 {
		t.Errorf("Content-Length %d, Transfer-Encoding %v: every size is known, so the length is sent", got.ContentLength, got.TransferEncoding)
	}
}

func mustDo(t *testing.T, c *Client, op *Operation, build requestBuilder, opts ...Option) *http.Response {
	t.Helper()
	resp, err := c.do(context.Background(), op, build, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// A file of unknown size makes the body chunked, and its progress total
// unknown.
func TestMultipartOfUnknownSizeIsChunked(t *testing.T) {
	srv := newUploadServer(t)
	c := newTestClient(t, srv.URL)
	data := bytes.Repeat([]byte{7}, 300_000)
	var last, total int64
	m := newMultipart().Field("a", "b").File("f", "", &File{Reader: &onceReader{bytes.NewReader(data)}})
	if err := noContent(mustDo(t, c, uploadOp, putForm(m), WithUploadProgress(func(n, tot int64) { last, total = n, tot }))); err != nil {
		t.Fatal(err)
	}
	got := srv.requests()[0]
	if got.ContentLength != -1 || len(got.TransferEncoding) != 1 || got.Parts[1].Len != int64(len(data)) || got.Parts[1].Sum != sum(data) {
		t.Errorf("Content-Length %d, Transfer-Encoding %v, file %d bytes", got.ContentLength, got.TransferEncoding, got.Parts[1].Len)
	}
	if total != -1 || last <= int64(len(data)) {
		t.Errorf("progress ended at %d of %d", last, total)
	}
}

// A 503 to an upload whose file can be read again (File.Open) is retried
// with the whole body, the same boundary and the same bytes; one whose
// file is read once is not retried, and the error says which part and why.
func TestMultipartRetries(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 64<<10)
	t.Run("replayable", func(t *testing.T) {
		srv := newUploadServer(t, 503, 502)
		c := newTestClient(t, srv.URL, WithSleeper(newFakeClock()))
		var opened int
		f := &File{Name: "d.bin", Size: int64(len(data)), Open: func() (io.ReadCloser, error) {
			opened++
			return io.NopCloser(bytes.NewReader(data)), nil
		}}
		if err := noContent(mustDo(t, c, uploadOp, putForm(newMultipart().Field("k", "v").File("f", "", f)))); err != nil {
			t.Fatal(err)
		}
		reqs := srv.requests()
		if len(reqs) != 3 || opened != 3 {
			t.Fatalf("%d requests, %d opens; want 3 of each", len(reqs), opened)
		}
		for i, r := range reqs {
			if r.Err != nil || len(r.Parts) != 2 || r.Parts[1].Sum != sum(data) || r.ContentType != reqs[0].ContentType || r.ContentLength != reqs[0].ContentLength {
				t.Errorf("attempt %d: %+v", i+1, r)
			}
		}
	})
	t.Run("read once", func(t *testing.T) {
		srv := newUploadServer(t, 503)
		c := newTestClient(t, srv.URL, WithSleeper(newFakeClock()))
		m := newMultipart().File("f", "", &File{Reader: &onceReader{bytes.NewReader(data)}})
		_, err := c.do(context.Background(), uploadOp, putForm(m))
		var re *RetryError
		var ae *APIError
		if !errors.As(err, &re) || !errors.As(err, &ae) || ae.StatusCode != 503 || re.Attempts != 1 || !errors.Is(err, ErrBodyNotReplayable) {
			t.Fatalf("err = %v", err)
		}
		if !strings.Contains(re.Reason, `file part "f" is read from a *sdk.onceReader, which can be read only once`) {
			t.Errorf("reason: %s", re.Reason)
		}
		if n := len(srv.requests()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
}

// An *os.File is streamed from its current offset with ReadAt, replayed by
// a retry, and neither moved nor closed; its size makes the
// Content-Length.
func TestStreamBodyFromAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.bin")
	data := bytes.Repeat([]byte("file data "), 50_000)
	if err := os.WriteFile(path, append([]byte("skip"), data...), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(4, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	srv := newUploadServer(t, 500)
	c := newTestClient(t, srv.URL, WithSleeper(newFakeClock()))
	if err := noContent(mustDo(t, c, uploadOp, putStream(f))); err != nil {
		t.Fatal(err)
	}
	reqs := srv.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	for i, r := range reqs {
		if r.ContentLength != int64(len(data)) || r.Len != int64(len(data)) || r.Sum != sum(data) {
			t.Errorf("attempt %d: Content-Length %d, %d bytes", i+1, r.ContentLength, r.Len)
		}
	}
	if off, err := f.Seek(0, io.SeekCurrent); err != nil || off != 4 {
		t.Errorf("the file's offset moved to %d (%v)", off, err)
	}
}

// A reader that gives another number of bytes than declared fails the call
// with an UploadError, which is never retried.
func TestDeclaredSizeIsEnforced(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build requestBuilder
		part  string
		want  string
	}{
		{"short body", putStream(SizedReader(&onceReader{strings.NewReader("abc")}, 10)), "", "ended after 3 of the 10 bytes"},
		{"long body", putStream(SizedReader(&onceReader{strings.NewReader("abcdef")}, 2)), "", "more than the 2 bytes"},
		{"short file", putForm(newMultipart().File("f", "", &File{Size: 10, Open: func() (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader("abc")), nil
		}})), "f", "ended after 3 of the 10 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newUploadServer(t)
			c := newTestClient(t, srv.URL, WithSleeper(newFakeClock()))
			_, err := c.do(context.Background(), uploadOp, tc.build)
			var ue *UploadError
			var re *RetryError
			if !errors.As(err, &ue) || ue.Part != tc.part || !strings.Contains(err.Error(), tc.want) || errors.As(err, &re) {
				t.Fatalf("err = %v", err)
			}
			if n := len(srv.requests()); n > 1 {
				t.Errorf("%d requests: an upload error was retried", n)
			}
		})
	}
	t.Run("file without contents", func(t *testing.T) {
		c := newTestClient(t, "http://127.0.0.1:1")
		_, err := c.do(context.Background(), uploadOp, putForm(newMultipart().File("f", "", &File{Name: "x"})))
		var re *RequestError
		var ue *UploadError
		if !errors.As(err, &re) || !errors.As(err, &ue) || ue.Part != "f" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("source fails", func(t *testing.T) {
		srv := newUploadServer(t)
		c := newTestClient(t, srv.URL, WithSleeper(newFakeClock()))
		broken := errors.New("disk on fire")
		f := &File{Open: func() (io.ReadCloser, error) {
			return io.NopCloser(io.MultiReader(strings.NewReader("abc"), errReader{broken})), nil
		}}
		_, err := c.do(context.Background(), uploadOp, putForm(newMultipart().File("f", "", f)))
		var ue *UploadError
		if !errors.As(err, &ue) || !errors.Is(err, broken) || ue.Part != "f" {
			t.Fatalf("err = %v", err)
		}
	})
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// Upload progress rises monotonically to the Content-Length, and stays
// monotonic when a retry sends the body again.
func TestUploadProgress(t *testing.T) {
	data := bytes.Repeat([]byte("progress"), 256<<10) // 2 MiB
	srv := newUploadServer(t, 503)
	c := newTestClient(t, srv.URL, WithSleeper(newFakeClock()))
	var reports [][2]int64
	resp := mustDo(t, c, uploadOp, putStream(bytes.NewReader(data)), WithUploadProgress(func(sent, total int64) {
		reports = append(reports, [2]int64{sent, total})
	}))
	noContent(resp)
	if len(srv.requests()) != 2 {
		t.Fatalf("%d requests, want 2", len(srv.requests()))
	}
	checkProgress(t, reports, int64(len(data)), int64(len(data)))
}

func checkProgress(t *testing.T, reports [][2]int64, wantLast, wantTotal int64) {
	t.Helper()
	if len(reports) < 2 {
		t.Fatalf("%d progress reports", len(reports))
	}
	for i, r := range reports {
		if r[1] != wantTotal {
			t.Fatalf("report %d: total %d, want %d", i, r[1], wantTotal)
		}
		if i > 0 && r[0] <= reports[i-1][0] {
			t.Fatalf("report %d: %d after %d", i, r[0], reports[i-1][0])
		}
	}
	if last := reports[len(reports)-1][0]; last != wantLast {
		t.Errorf("last report %d, want %d", last, wantLast)
	}
}

// Download progress rises monotonically to the Content-Length, or to the
// length read when the server sends none.
func TestDownloadProgress(t *testing.T) {
	data := bytes.Repeat([]byte("download"), 128<<10) // 1 MiB
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("length") == "1" {
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		}
		for b := data; len(b) > 0; b = b[min(len(b), 64<<10):] {
			_, _ = w.Write(b[:min(len(b), 64<<10)])
			w.(http.Flusher).Flush()
		}
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL)
	for _, length := range []bool{true, false} {
		t.Run(fmt.Sprintf("length %t", length), func(t *testing.T) {
			var reports [][2]int64
			q := ""
			if length {
				q = "?length=1"
			}
			resp := mustDo(t, c, testOp, get("/file"+q), WithDownloadProgress(func(n, total int64) {
				reports = append(reports, [2]int64{n, total})
			}))
			body := resp.Body
			h := sha256.New()
			_, err := io.Copy(h, body)
			body.Close()
			if err != nil || [sha256.Size]byte(h.Sum(nil)) != sum(data) {
				t.Fatalf("body: %v", err)
			}
			total := int64(-1)
			if length {
				total = int64(len(data))
			}
			checkProgress(t, reports, int64(len(data)), total)
		})
	}
}

// Progress options belong to calls.
func TestProgressOptionsAreCallOnly(t *testing.T) {
	for _, o := range []Option{WithUploadProgress(func(int64, int64) {}), WithDownloadProgress(func(int64, int64) {})} {
		var oe *OptionError
		if _, err := NewClient("http://127.0.0.1:1", o); !errors.As(err, &oe) {
			t.Errorf("NewClient took a call option: %v", err)
		}
	}
}

// A multipart body the transport never reads starts no goroutine, and one
// it stops reading (the server refused early) stops its writer: goleak
// checks, at the end of the package's tests.
func TestMultipartBodyLeavesNoGoroutine(t *testing.T) {
	c := newTestClient(t, "http://127.0.0.1:1", WithoutRetries())
	f := &File{Reader: &onceReader{bytes.NewReader(make([]byte, 1<<20))}}
	if _, err := c.do(context.Background(), uploadOp, putForm(newMultipart().File("f", "", f))); err == nil {
		t.Fatal("a call to a closed port succeeded")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
	}))
	defer srv.Close()
	c2 := newTestClient(t, srv.URL)
	big := &File{Reader: &onceReader{io.LimitReader(zeros{}, 64<<20)}}
	_, err := c2.do(context.Background(), uploadOp, putForm(newMultipart().File("f", "", big)))
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("err = %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// Field names and file names cannot inject headers into a part.
func TestMultipartNamesAreEscaped(t *testing.T) {
	srv := newUploadServer(t)
	c := newTestClient(t, srv.URL)
	m := newMultipart().Field("a\"b\r\nX-Evil: 1", "v").File("f", "", &File{Name: "x\r\nContent-Type: text", Reader: strings.NewReader("data")})
	noContent(mustDo(t, c, uploadOp, putForm(m)))
	got := srv.requests()[0]
	if got.Err != nil || len(got.Parts) != 2 {
		t.Fatalf("%+v", got)
	}
	if got.Parts[0].Name != "a\"b%0D%0AX-Evil: 1" || got.Parts[1].ContentType != "application/octet-stream" || got.Parts[1].FileName != "x%0D%0AContent-Type: text" {
		t.Errorf("parts: %+v", got.Parts)
	}
}

// FileFromPath names the part after the file, declares its size (so the
// body has a Content-Length) and opens the file again for a retry; a
// SizedReader gives a one-shot reader a Content-Length.
func TestFileFromPathAndSizedReader(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.pdf")
	data := bytes.Repeat([]byte("%PDF"), 10_000)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := FileFromPath(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := newUploadServer(t, 503)
	c := newTestClient(t, srv.URL, WithSleeper(newFakeClock()))
	noContent(mustDo(t, c, uploadOp, putForm(newMultipart().File("doc", "application/pdf", &f))))
	reqs := srv.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	for i, r := range reqs {
		p := r.Parts[0]
		if r.ContentLength <= int64(len(data)) || p.FileName != "report.pdf" || p.ContentType != "application/pdf" || p.Sum != sum(data) {
			t.Errorf("attempt %d: Content-Length %d, part %+v", i+1, r.ContentLength, p)
		}
	}
	if _, err := FileFromPath(dir); err == nil {
		t.Error("FileFromPath took a directory")
	}

	srv2 := newUploadServer(t)
	c2 := newTestClient(t, srv2.URL)
	noContent(mustDo(t, c2, uploadOp, putStream(SizedReader(&onceReader{bytes.NewReader(data)}, int64(len(data))))))
	if r := srv2.requests()[0]; r.ContentLength != int64(len(data)) || r.Sum != sum(data) {
		t.Errorf("sized reader: Content-Length %d", r.ContentLength)
	}
}
