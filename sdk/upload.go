package sdk

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Uploads. Request bodies the generated code takes as an io.Reader, and the
// file parts of multipart/form-data bodies, are streamed: read as the
// request is sent, never held in memory. Whether a failed attempt can be
// retried depends on whether the source can be read again from the start
// (see [File]); when it cannot, the call is not retried and
// its [*RetryError] says why, wrapping [ErrBodyNotReplayable].

// File is a file part of a multipart/form-data upload. Its contents are
// streamed from Reader, or from what Open returns, as the request is sent.
//
// Retries: a part whose contents can be read again from the start can be
// sent again by a retried attempt. That is the case when Open is set
// (called once per attempt; the SDK closes what it returns; see
// [FileFromPath]) or when Reader is an *os.File of a regular file, a
// *bytes.Reader, a *strings.Reader, a *bytes.Buffer or an *io.SectionReader
// (read from its current position with ReadAt, without moving it). Any
// other Reader is read once, and a call carrying it is never retried.
//
// The SDK never closes Reader: close it after the call returns.
type File struct {
	// Name is the file name sent with the part (the filename of its
	// Content-Disposition); empty means the form field's name.
	Name string
	// ContentType is the part's media type; empty means the one the spec
	// gives the field, else application/octet-stream.
	ContentType string
	// Reader supplies the contents; it is read once per attempt, to its
	// end. Ignored when Open is set.
	Reader io.Reader
	// Open, when set, supplies the contents instead of Reader: it is called
	// for each attempt, so the part can be sent again by a retry.
	Open func() (io.ReadCloser, error)
	// Size is the length of the contents in bytes, when known; zero means
	// unknown (the SDK also asks Reader, for the types listed above). When
	// the size of every file of a body is known, the request carries a
	// Content-Length and [WithUploadProgress] a total. A source that gives
	// another number of bytes fails the call with an [*UploadError].
	Size int64
}

// FileFromPath returns a File that streams the regular file at path, named
// after its base name, with its size, and opened again for each attempt
// (so a retry can send it again).
func FileFromPath(path string) (File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return File{}, err
	}
	if !st.Mode().IsRegular() {
		return File{}, fmt.Errorf("sdk: %s is not a regular file", path)
	}
	return File{
		Name: filepath.Base(path),
		Size: st.Size(),
		Open: func() (io.ReadCloser, error) { return os.Open(path) },
	}, nil
}

// SizedReader declares that r holds exactly size bytes, for a body taken as
// an io.Reader whose length the SDK cannot see: the request then carries a
// Content-Length, and [WithUploadProgress] a total. If r gives another
// number of bytes, the call fails with an [*UploadError].
func SizedReader(r io.Reader, size int64) io.Reader { return &sizedReader{r: r, size: size} }

type sizedReader struct {
	r    io.Reader
	size int64
}

func (s *sizedReader) Read(p []byte) (int, error) { return s.r.Read(p) }

// ErrBodyNotReplayable is wrapped by the [*RetryError] of a call that was
// not retried because its request body cannot be read again (its Reason
// says which part and why); errors.Is finds it.
var ErrBodyNotReplayable = errors.New("sdk: the request body cannot be replayed")

// UploadError reports a request body that could not be sent as given: its
// source failed to read or to open, gave another number of bytes than
// declared, or was missing. A call failing with one is never retried: the
// fault is the source's, not the server's. It comes wrapped in the call's
// [*TransportError] when it happened while the body was being sent.
type UploadError struct {
	// Part is the form field of a multipart part, or "" for a whole body.
	Part string
	Err  error
}

func (e *UploadError) Error() string {
	if e.Part == "" {
		return "request body: " + e.Err.Error()
	}
	return fmt.Sprintf("form part %q: %v", e.Part, e.Err)
}

// Unwrap returns the cause.
func (e *UploadError) Unwrap() error { return e.Err }

// errBodyClosed is what reading a body after the transport closed it
// gives, and what a multipart writer sees when its reader is gone.
var errBodyClosed = errors.New("sdk: request body closed")

// content is where the bytes of a body, or of a file part, come from.
type content struct {
	part   string                        // the form field, "" for a whole body
	size   int64                         // -1 when unknown
	reopen func() (io.ReadCloser, error) // a fresh reader from the start; nil when read once
	once   io.Reader                     // the reader read once
	used   atomic.Bool                   // once was handed out
	note   string                        // why it cannot be read again, when it cannot
}

// newContent describes the source r (or open, which wins), of declared
// size (0 = unknown).
func newContent(part string, r io.Reader, open func() (io.ReadCloser, error), size int64) *content {
	c := &content{part: part, size: -1}
	if size > 0 {
		c.size = size
	}
	if open != nil {
		c.reopen = open
		return c
	}
	if sr, ok := r.(*sizedReader); ok {
		r, c.size = sr.r, sr.size
	}
	if r == nil {
		c.size = 0
		c.reopen = func() (io.ReadCloser, error) { return http.NoBody, nil }
		return c
	}
	readAt := func(at io.ReaderAt, off, n int64) {
		c.size = max(n, 0)
		c.reopen = func() (io.ReadCloser, error) { return io.NopCloser(io.NewSectionReader(at, off, c.size)), nil }
	}
	switch v := r.(type) {
	case *bytes.Reader:
		readAt(v, v.Size()-int64(v.Len()), int64(v.Len()))
	case *strings.Reader:
		readAt(v, v.Size()-int64(v.Len()), int64(v.Len()))
	case *bytes.Buffer:
		b := v.Bytes()
		readAt(bytes.NewReader(b), 0, int64(len(b)))
	case *io.SectionReader:
		if off, err := v.Seek(0, io.SeekCurrent); err == nil {
			readAt(v, off, v.Size()-off)
		}
	case *os.File:
		if st, err := v.Stat(); err == nil && st.Mode().IsRegular() {
			if off, err := v.Seek(0, io.SeekCurrent); err == nil {
				readAt(v, off, st.Size()-off)
			}
		}
	}
	if c.reopen != nil {
		return c
	}
	c.once = r
	if l, ok := r.(interface{ Len() int }); ok && c.size < 0 {
		c.size = int64(l.Len())
	}
	if part == "" {
		c.note = fmt.Sprintf("the request body is read from a %T, which can be read only once (an *os.File, *bytes.Reader or *strings.Reader can be read again)", r)
	} else {
		c.note = fmt.Sprintf("file part %q is read from a %T, which can be read only once (a File with Open, see sdk.FileFromPath, or an *os.File, *bytes.Reader or *strings.Reader can be read again)", part, r)
	}
	return c
}

// open returns a reader of the contents from the start, for one attempt.
func (c *content) open() (io.ReadCloser, error) {
	var rc io.ReadCloser
	if c.reopen != nil {
		var err error
		if rc, err = c.reopen(); err != nil {
			return nil, &UploadError{Part: c.part, Err: fmt.Errorf("opening: %w", err)}
		}
		if rc == nil {
			return nil, &UploadError{Part: c.part, Err: errors.New("the File's Open returned a nil reader")}
		}
	} else {
		if c.used.Swap(true) {
			return nil, &UploadError{Part: c.part, Err: errors.New("the reader was already read by an earlier attempt")}
		}
		rc = io.NopCloser(c.once)
	}
	return &checkedReader{rc: rc, c: c}, nil
}

// checkedReader types the errors of a source and holds it to its declared
// size.
type checkedReader struct {
	rc io.ReadCloser
	c  *content
	n  int64
}

func (r *checkedReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	before := r.n
	r.n += int64(n)
	size := r.c.size
	overlong := size >= 0 && r.n > size
	if size >= 0 && r.n == size && err == nil {
		// All the declared bytes: make sure there are no more now, so an
		// overlong source fails the body before it is complete, instead of
		// being cut at the Content-Length without a word.
		var one [1]byte
		m, perr := r.rc.Read(one[:])
		switch {
		case m > 0:
			overlong = true
		case perr != nil:
			err = perr
		}
	}
	if overlong {
		// Hold back the last declared byte: a body that reached its
		// Content-Length could be answered by the server before the
		// transport reports this error, and the call would succeed.
		keep := max(size-1-before, 0)
		r.n = before + keep
		return int(keep), &UploadError{Part: r.c.part, Err: fmt.Errorf("the source gave more than the %d bytes declared", size)}
	}
	switch {
	case err == io.EOF && size >= 0 && r.n < size:
		return n, &UploadError{Part: r.c.part, Err: fmt.Errorf("the source ended after %d of the %d bytes declared", r.n, size)}
	case err != nil && err != io.EOF:
		var ue *UploadError
		if !errors.As(err, &ue) {
			err = &UploadError{Part: r.c.part, Err: err}
		}
	}
	return n, err
}

func (r *checkedReader) Close() error { return r.rc.Close() }

// replayNoter is implemented by the bodies of this file: the reason their
// source cannot be read again, or "".
type replayNoter interface{ replayNote() string }

// streamBody is one attempt's body over a content, opened on first read.
type streamBody struct {
	c      *content
	mu     sync.Mutex
	rc     io.ReadCloser
	err    error
	closed bool
}

func (b *streamBody) reader() (io.ReadCloser, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, errBodyClosed
	}
	if b.rc == nil && b.err == nil {
		b.rc, b.err = b.c.open()
	}
	return b.rc, b.err
}

func (b *streamBody) Read(p []byte) (int, error) {
	rc, err := b.reader()
	if err != nil {
		return 0, err
	}
	return rc.Read(p)
}

func (b *streamBody) Close() error {
	b.mu.Lock()
	b.closed = true
	rc := b.rc
	b.mu.Unlock()
	if rc != nil {
		return rc.Close()
	}
	return nil
}

func (b *streamBody) replayNote() string { return b.c.note }

// streamRequest builds a request whose body streams from r, for generated
// code (through Impl, as sdkimpl.StreamBody): build is the request builder,
// given the body to send. The request gets a Content-Length when the length
// of r is known (see [SizedReader] and the types [File] lists), and a
// GetBody when r can be read again, so retries can replay it; otherwise the
// call is never retried. r is never closed by the SDK, and never read into
// memory.
func streamRequest(r io.Reader, build func(body io.Reader) (*http.Request, error)) (*http.Request, error) {
	c := newContent("", r, nil, 0)
	if c.size == 0 {
		return build(http.NoBody)
	}
	body := &streamBody{c: c}
	req, err := build(body)
	if err != nil {
		return nil, err
	}
	var fresh func() io.ReadCloser
	if c.reopen != nil {
		fresh = func() io.ReadCloser { return &streamBody{c: c} }
	}
	attachBody(req, body, c.size, fresh)
	return req, nil
}

// attachBody sets the length and the replay function of a request built
// with body.
func attachBody(req *http.Request, body io.ReadCloser, size int64, fresh func() io.ReadCloser) {
	if req.Body != body {
		return // the builder sent something else
	}
	if size > 0 {
		req.ContentLength = size
	}
	if fresh != nil {
		req.GetBody = func() (io.ReadCloser, error) { return fresh(), nil }
	}
}

// form builds a multipart/form-data request body, for generated code
// (through Impl, as sdkimpl.Multipart): add the fields and files, then call
// Request. File contents are streamed through an [io.Pipe] and a
// [mime/multipart.Writer] as the request is sent, never held in memory;
// field values are small and kept. Parts are sent in the order they were
// added.
type form struct {
	parts []formPart
	err   error
}

type formPart struct {
	name        string
	contentType string // "" for a plain field
	value       string
	file        *content
	fileName    string
}

var textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()

// Field adds the form field name with value: strings, numbers and booleans
// as text; types with a MarshalText method (times, dates, UUIDs) as their
// text; []byte as base64; a slice or array as one part per element; objects
// and maps as JSON (with Content-Type application/json). A nil pointer,
// slice or interface adds nothing.
func (m *form) Field(name string, value any) {
	m.addValue(name, reflect.ValueOf(value), true)
}

func (m *form) addValue(name string, v reflect.Value, top bool) {
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	if !v.IsValid() || m.err != nil {
		return
	}
	add := func(s string) { m.parts = append(m.parts, formPart{name: name, value: s}) }
	var tm encoding.TextMarshaler
	switch {
	case v.Type().Implements(textMarshalerType):
		tm = v.Interface().(encoding.TextMarshaler)
	case v.CanAddr() && reflect.PointerTo(v.Type()).Implements(textMarshalerType):
		tm = v.Addr().Interface().(encoding.TextMarshaler)
	}
	if tm != nil {
		text, err := tm.MarshalText()
		if err != nil {
			m.err = &UploadError{Part: name, Err: err}
			return
		}
		add(string(text))
		return
	}
	switch v.Kind() {
	case reflect.String:
		add(v.String())
		return
	case reflect.Bool:
		add(strconv.FormatBool(v.Bool()))
		return
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		add(strconv.FormatInt(v.Int(), 10))
		return
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		add(strconv.FormatUint(v.Uint(), 10))
		return
	case reflect.Float32, reflect.Float64:
		add(strconv.FormatFloat(v.Float(), 'g', -1, v.Type().Bits()))
		return
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			add(base64.StdEncoding.EncodeToString(v.Bytes()))
			return
		}
		if v.IsNil() {
			return
		}
	}
	if top && (v.Kind() == reflect.Slice || v.Kind() == reflect.Array) {
		for i := range v.Len() {
			m.addValue(name, v.Index(i), false)
		}
		return
	}
	data, err := json.Marshal(v.Interface())
	if err != nil {
		m.err = &UploadError{Part: name, Err: err}
		return
	}
	m.parts = append(m.parts, formPart{name: name, contentType: "application/json", value: string(data)})
}

// File adds the file f as the part name; contentType is the part's media
// type when f has none ("" means application/octet-stream). A nil f adds
// nothing; a File with neither Reader nor Open fails the call.
func (m *form) File(name, contentType string, f *File) {
	if f == nil || m.err != nil {
		return
	}
	if f.Reader == nil && f.Open == nil {
		m.err = &UploadError{Part: name, Err: errors.New("the File has neither a Reader nor an Open function")}
		return
	}
	ct := f.ContentType
	if ct == "" {
		ct = contentType
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	fileName := f.Name
	if fileName == "" {
		fileName = name
	}
	m.parts = append(m.parts, formPart{name: name, contentType: ct, file: newContent(name, f.Reader, f.Open, f.Size), fileName: fileName})
}

// Request builds the request: build is the request builder, given the
// content type (with the form's boundary) and the body. The body carries a
// Content-Length when the size of every file is known, and a GetBody when
// every file can be read again (see [File]); otherwise the call is never
// retried. It fails with an [*UploadError] when a field could not be
// encoded or a file has no contents.
func (m *form) Request(build func(contentType string, body io.Reader) (*http.Request, error)) (*http.Request, error) {
	if m.err != nil {
		return nil, m.err
	}
	mw := multipart.NewWriter(io.Discard)
	boundary, ct := mw.Boundary(), mw.FormDataContentType()
	size := m.size(boundary)
	body := &multipartBody{m: m, boundary: boundary}
	req, err := build(ct, body)
	if err != nil {
		return nil, err
	}
	var fresh func() io.ReadCloser
	if m.replayNote() == "" {
		fresh = func() io.ReadCloser { return &multipartBody{m: m, boundary: boundary} }
	}
	attachBody(req, body, size, fresh)
	return req, nil
}

func (m *form) replayNote() string {
	for _, p := range m.parts {
		if p.file != nil && p.file.note != "" {
			return p.file.note
		}
	}
	return ""
}

// size is the length of the encoded form, or -1 when a file's is unknown:
// the framing, written to a counter with the same boundary, plus the sizes
// of the files.
func (m *form) size(boundary string) int64 {
	var files int64
	for _, p := range m.parts {
		if p.file != nil {
			if p.file.size < 0 {
				return -1
			}
			files += p.file.size
		}
	}
	var cw countingWriter
	if err := m.encode(&cw, boundary, func(io.Writer, *content) error { return nil }); err != nil {
		return -1
	}
	return int64(cw) + files
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

// headerValue escapes a quoted Content-Disposition parameter the way
// mime/multipart does (backslash before \ and "), and percent-encodes line
// breaks, as browsers do, so a name cannot inject headers.
var headerValue = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", "%0D", "\n", "%0A")

// encode writes the form to w; file writes a file part's contents.
func (m *form) encode(w io.Writer, boundary string, file func(io.Writer, *content) error) error {
	mw := multipart.NewWriter(w)
	if err := mw.SetBoundary(boundary); err != nil {
		return err
	}
	for _, p := range m.parts {
		h := make(textproto.MIMEHeader, 2)
		disp := `form-data; name="` + headerValue.Replace(p.name) + `"`
		if p.file != nil {
			disp += `; filename="` + headerValue.Replace(p.fileName) + `"`
		}
		h.Set("Content-Disposition", disp)
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		pw, err := mw.CreatePart(h)
		if err != nil {
			return err
		}
		if p.file != nil {
			err = file(pw, p.file)
		} else {
			_, err = io.WriteString(pw, p.value)
		}
		if err != nil {
			return err
		}
	}
	return mw.Close()
}

// multipartBody is one attempt's multipart body: on first read it starts a
// goroutine that encodes the form into a pipe, streaming each file from its
// source. Closing it (the transport always does) stops the goroutine.
type multipartBody struct {
	m        *form
	boundary string
	mu       sync.Mutex
	pr       *io.PipeReader
	closed   bool
}

func (b *multipartBody) pipe() (*io.PipeReader, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, errBodyClosed
	}
	if b.pr == nil {
		pr, pw := io.Pipe()
		b.pr = pr
		go b.m.write(pw, b.boundary)
	}
	return b.pr, nil
}

func (b *multipartBody) Read(p []byte) (int, error) {
	pr, err := b.pipe()
	if err != nil {
		return 0, err
	}
	return pr.Read(p)
}

func (b *multipartBody) Close() error {
	b.mu.Lock()
	b.closed = true
	pr := b.pr
	b.mu.Unlock()
	if pr != nil {
		pr.CloseWithError(errBodyClosed)
	}
	return nil
}

func (b *multipartBody) replayNote() string { return b.m.replayNote() }

// write encodes the form into pw and closes it, with the error that
// stopped it if any.
func (m *form) write(pw *io.PipeWriter, boundary string) {
	err := m.encode(pw, boundary, func(w io.Writer, c *content) error {
		rc, err := c.open()
		if err != nil {
			return err
		}
		defer rc.Close()
		_, err = io.Copy(w, rc)
		return err
	})
	pw.CloseWithError(err)
}

// progress reports the bytes of a body read so far to a callback, never
// going backwards: when a retry sends a body again, reports resume once it
// passes the furthest point reached before.
type progress struct {
	mu       sync.Mutex
	f        func(n, total int64)
	total    int64
	reported int64
}

func (p *progress) report(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n > p.reported {
		p.reported = n
		p.f(n, p.total)
	}
}

// wrap counts what is read from body.
func (p *progress) wrap(body io.ReadCloser) io.ReadCloser {
	return &progressBody{ReadCloser: body, p: p}
}

type progressBody struct {
	io.ReadCloser
	p *progress
	n int64 // read by this body; only its reader touches it
}

func (b *progressBody) Read(buf []byte) (int, error) {
	n, err := b.ReadCloser.Read(buf)
	if n > 0 {
		b.n += int64(n)
		b.p.report(b.n)
	}
	return n, err
}

// watchUpload notes why the call's body cannot be replayed, if it cannot,
// and counts its bytes for WithUploadProgress.
func (st *callState) watchUpload(req *http.Request) {
	if req.Body == nil || req.Body == http.NoBody {
		return
	}
	if n, ok := req.Body.(replayNoter); ok && req.GetBody == nil {
		st.retry.note = n.replayNote()
	}
	f := st.s.uploadProgress
	if f == nil {
		return
	}
	total := int64(-1)
	if req.ContentLength > 0 {
		total = req.ContentLength
	}
	p := &progress{f: f, total: total}
	req.Body = p.wrap(req.Body)
	if gb := req.GetBody; gb != nil {
		req.GetBody = func() (io.ReadCloser, error) {
			b, err := gb()
			if err != nil {
				return nil, err
			}
			return p.wrap(b), nil
		}
	}
}

// watchDownload counts the bytes of a successful response's body for
// WithDownloadProgress.
func (s *settings) watchDownload(resp *http.Response) {
	f := s.downloadProgress
	if f == nil || resp.Body == nil || resp.Body == http.NoBody {
		return
	}
	total := int64(-1)
	if resp.ContentLength >= 0 {
		total = resp.ContentLength
	}
	p := &progress{f: f, total: total}
	resp.Body = p.wrap(resp.Body)
}
