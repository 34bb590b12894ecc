package sdkimpl

import (
	"io"
	"net/http"

	"github.com/sdkgen-go/sdkgen/sdk"
)

// StreamBody builds a request whose body streams from r: build is the
// request builder, given the body to send. The request gets a
// Content-Length when the length of r is known (see [sdk.SizedReader] and
// the types [sdk.File] lists), and a GetBody when r can be read again, so
// retries can replay it; otherwise the call is never retried. r is never
// closed by the SDK, and never read into memory.
func StreamBody(r io.Reader, build func(body io.Reader) (*http.Request, error)) (*http.Request, error) {
	return sdk.Impl.StreamBody(r, build)
}

// Multipart builds a multipart/form-data request body: add the fields and
// files, then call Request. File contents are streamed through an
// [io.Pipe] and a [mime/multipart.Writer] as the request is sent, never
// held in memory; field values are small and kept. Parts are sent in the
// order they were added.
type Multipart struct {
	f interface {
		Field(name string, value any)
		File(name, contentType string, f *sdk.File)
		Request(build func(contentType string, body io.Reader) (*http.Request, error)) (*http.Request, error)
	}
}

// NewMultipart returns an empty form.
func NewMultipart() *Multipart { return &Multipart{f: sdk.Impl.NewForm()} }

// Field adds the form field name with value: strings, numbers and booleans
// as text; types with a MarshalText method (times, dates, UUIDs) as their
// text; []byte as base64; a slice or array as one part per element; objects
// and maps as JSON (with Content-Type application/json). A nil pointer,
// slice or interface adds nothing.
func (m *Multipart) Field(name string, value any) *Multipart {
	m.f.Field(name, value)
	return m
}

// File adds the file f as the part name; contentType is the part's media
// type when f has none ("" means application/octet-stream). A nil f adds
// nothing; a File with neither Reader nor Open fails the call.
func (m *Multipart) File(name, contentType string, f *sdk.File) *Multipart {
	m.f.File(name, contentType, f)
	return m
}

// Files adds each of files as a part named name, in order.
func (m *Multipart) Files(name, contentType string, files []sdk.File) *Multipart {
	for i := range files {
		m.f.File(name, contentType, &files[i])
	}
	return m
}

// Request builds the request: build is the request builder, given the
// content type (with the form's boundary) and the body. The body carries a
// Content-Length when the size of every file is known, and a GetBody when
// every file can be read again (see [sdk.File]); otherwise the call is
// never retried. It fails with an [*sdk.UploadError] when a field could not
// be encoded or a file has no contents.
func (m *Multipart) Request(build func(contentType string, body io.Reader) (*http.Request, error)) (*http.Request, error) {
	return m.f.Request(build)
}
