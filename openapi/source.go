package openapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// LoadOptions tune [Load]. The zero value is safe for untrusted specs.
type LoadOptions struct {
	// MaxFileSize caps the size of every file or response read, the spec
	// itself included. Zero means 256 MiB.
	MaxFileSize int64
	// MaxTotalSize caps the bytes read over all files of one spec. Zero means
	// 1 GiB.
	MaxTotalSize int64
	// MaxFiles caps how many files one spec may span. Zero means 1000.
	MaxFiles int
	// Timeout bounds each read of a URL (connection, headers and body).
	// Zero means 30 seconds. The context passed to Load bounds the whole load.
	Timeout time.Duration
	// HTTPClient is used for URL specs and their references. Nil means a
	// private client with Timeout; http.DefaultClient is never used.
	HTTPClient *http.Client
	// Stdin is read when the source is "-". Nil means os.Stdin.
	Stdin io.Reader
	// Dir is the folder that relative $refs of a spec read from stdin resolve
	// against, and the only folder they may read from. Empty means the
	// current directory.
	Dir string
	// AllowedHosts lists further hosts ("host" or "host:port") that $refs of
	// a URL spec may read from. A URL spec may always read from its own
	// scheme, host and port; a file spec never reads over the network.
	AllowedHosts []string
}

func (o *LoadOptions) defaults() {
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = 256 << 20
	}
	if o.MaxTotalSize <= 0 {
		o.MaxTotalSize = 1 << 30
	}
	if o.MaxFiles <= 0 {
		o.MaxFiles = 1000
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{
			Timeout: o.Timeout,
			Transport: &http.Transport{
				Proxy:                 http.ProxyFromEnvironment,
				DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
				TLSHandshakeTimeout:   10 * time.Second,
				ResponseHeaderTimeout: o.Timeout,
				MaxIdleConnsPerHost:   4,
			},
		}
	}
	if o.Stdin == nil {
		o.Stdin = os.Stdin
	}
}

// file is one file of a spec.
type file struct {
	key    string // canonical location: an absolute slash path, or a URL
	loc    *url.URL
	name   string // how diagnostics name it
	data   []byte
	isJSON bool
	tree   *node
	// ptr is the pointer to this file from the ref that first reached it, for
	// messages.
}

// readError is a failure to read a location, with the diagnostic code to use.
type readError struct {
	code string
	msg  string
	fix  string
}

func (e *readError) Error() string { return e.msg }

// sourceReader reads the files of one spec under the safety policy: files only
// below the spec's own folder, http(s) only for a spec loaded from a URL (and
// only from its origin or AllowedHosts), a size cap on every read and a
// timeout on every request.
type sourceReader struct {
	ctx     context.Context
	opts    LoadOptions
	root    *os.Root // confinement for file specs (nil for URL specs)
	rootDir string   // absolute folder behind root
	dispDir string   // how that folder is written in diagnostics
	origin  *url.URL // for URL specs
	total   int64
	files   map[string]*file
	order   []*file
}

func (r *sourceReader) close() {
	if r.root != nil {
		_ = r.root.Close()
	}
}

// openRoot reads the spec itself and sets up the policy for its references.
func (r *sourceReader) openRoot(source string) (*file, error) {
	r.files = map[string]*file{}
	switch {
	case source == "":
		return nil, &readError{code: CodeSourceInvalid, msg: "no spec given", fix: "pass a file path, an http(s) URL, or - for stdin"}
	case source == "-":
		dir := r.opts.Dir
		if dir == "" {
			dir = "."
		}
		if err := r.confine(dir, dir); err != nil {
			return nil, err
		}
		data, err := readCapped(r.opts.Stdin, r.opts.MaxFileSize, "<stdin>")
		if err != nil {
			return nil, err
		}
		f := &file{key: path.Join(filepath.ToSlash(r.rootDir), "<stdin>"), name: "<stdin>", data: data}
		f.loc = &url.URL{Path: f.key}
		return r.add(f)
	case isHTTP(source):
		u, err := url.Parse(source)
		if err != nil || u.Host == "" {
			return nil, &readError{code: CodeSourceInvalid, msg: fmt.Sprintf("%q is not a valid URL", source)}
		}
		u.Fragment, u.RawFragment = "", ""
		r.origin = u
		return r.fetch(u, source, true)
	default:
		abs, err := filepath.Abs(source)
		if err != nil {
			return nil, &readError{code: CodeSourceInvalid, msg: err.Error()}
		}
		info, err := os.Stat(abs)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, &readError{code: CodeSourceNotFound, msg: fmt.Sprintf("%s: no such file", source)}
			}
			return nil, &readError{code: CodeSourceUnreadable, msg: fmt.Sprintf("%s: %v", source, unwrapPathError(err))}
		}
		if info.IsDir() {
			return nil, &readError{code: CodeSourceInvalid, msg: fmt.Sprintf("%s is a directory, not a spec file", source)}
		}
		if err := r.confine(filepath.Dir(abs), filepath.Dir(filepath.Clean(source))); err != nil {
			return nil, err
		}
		return r.readFile(abs)
	}
}

func (r *sourceReader) confine(dir, display string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return &readError{code: CodeSourceInvalid, msg: err.Error()}
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return &readError{code: CodeSourceUnreadable, msg: fmt.Sprintf("cannot open folder %s: %v", display, unwrapPathError(err))}
	}
	r.root, r.rootDir, r.dispDir = root, abs, filepath.Clean(display)
	return nil
}

func isHTTP(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// resolve turns a $ref's document part into a location, relative to the
// file it appears in, and applies the access policy.
func (r *sourceReader) resolve(from *file, uri string) (*url.URL, error) {
	if strings.ContainsRune(uri, '\\') {
		// Not a URI character; on Windows a path separator (..\x,
		// \\server\share): never guessed at.
		return nil, &readError{code: CodeRefForbidden, msg: fmt.Sprintf("$ref %q: a reference may not hold a backslash", uri),
			fix: "separate path elements with /"}
	}
	ref, err := url.Parse(uri)
	if err != nil {
		return nil, &readError{code: CodeRefInvalid, msg: fmt.Sprintf("%q is not a valid URI reference: %v", uri, errors.Unwrap(err))}
	}
	if r.origin != nil {
		// URL spec: everything resolves as URLs.
		u := from.loc.ResolveReference(ref)
		u.Fragment, u.RawFragment = "", ""
		if u.Scheme != "http" && u.Scheme != "https" {
			return nil, &readError{code: CodeRefForbidden, msg: fmt.Sprintf("$ref %q: a spec loaded from a URL may only refer to http(s) URLs", uri)}
		}
		if !r.hostAllowed(u) {
			return nil, &readError{code: CodeRefForbidden,
				msg: fmt.Sprintf("$ref %q: %s is not the spec's origin (%s://%s)", uri, u.Host, r.origin.Scheme, r.origin.Host),
				fix: "add the host to LoadOptions.AllowedHosts if it is trusted"}
		}
		return u, nil
	}
	if ref.Scheme != "" || ref.Host != "" {
		if ref.Scheme == "http" || ref.Scheme == "https" {
			return nil, &readError{code: CodeRefForbidden, msg: fmt.Sprintf("$ref %q: a spec read from a file may not refer to URLs", uri),
				fix: "download the referenced document next to the spec and refer to it by relative path"}
		}
		return nil, &readError{code: CodeRefForbidden, msg: fmt.Sprintf("$ref %q: only relative file references are allowed", uri)}
	}
	p := ref.Path
	if path.IsAbs(p) {
		return nil, &readError{code: CodeRefForbidden, msg: fmt.Sprintf("$ref %q: absolute paths are not allowed; refer to files relative to the spec", uri)}
	}
	joined := path.Join(path.Dir(from.loc.Path), p)
	rel, err := filepath.Rel(r.rootDir, filepath.FromSlash(joined))
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, &readError{code: CodeRefForbidden,
			msg: fmt.Sprintf("$ref %q points outside the spec's folder %s", uri, r.dispDir),
			fix: "keep every referenced file in the spec's folder or below it"}
	}
	return &url.URL{Path: joined}, nil
}

func (r *sourceReader) hostAllowed(u *url.URL) bool {
	if strings.EqualFold(u.Scheme, r.origin.Scheme) && strings.EqualFold(u.Host, r.origin.Host) {
		return true
	}
	for _, h := range r.opts.AllowedHosts {
		if strings.EqualFold(h, u.Host) || strings.EqualFold(h, u.Hostname()) {
			return true
		}
	}
	return false
}

// get returns the file at loc, reading it on first use.
func (r *sourceReader) get(loc *url.URL, display string) (*file, error) {
	key := locKey(loc)
	if f, ok := r.files[key]; ok {
		return f, nil
	}
	if len(r.files) >= r.opts.MaxFiles {
		return nil, &readError{code: CodeRefTooManyFiles, msg: fmt.Sprintf("the spec spans more than %d files", r.opts.MaxFiles)}
	}
	if loc.Scheme == "http" || loc.Scheme == "https" {
		return r.fetch(loc, display, false)
	}
	return r.readFile(filepath.FromSlash(loc.Path))
}

func locKey(u *url.URL) string {
	if u.Scheme == "" {
		return path.Clean(u.Path)
	}
	c := *u
	c.Fragment, c.RawFragment = "", ""
	return c.String()
}

func (r *sourceReader) readFile(abs string) (*file, error) {
	rel, err := filepath.Rel(r.rootDir, abs)
	if err != nil {
		return nil, &readError{code: CodeRefForbidden, msg: fmt.Sprintf("%s is outside the spec's folder", abs)}
	}
	display := filepath.Join(r.dispDir, rel)
	fh, err := r.root.Open(rel)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, &readError{code: CodeSourceNotFound, msg: fmt.Sprintf("%s: no such file", display)}
		case strings.Contains(err.Error(), "escapes from parent"):
			return nil, &readError{code: CodeRefForbidden, msg: fmt.Sprintf("%s leads outside the spec's folder (through a symbolic link)", display)}
		}
		return nil, &readError{code: CodeSourceUnreadable, msg: fmt.Sprintf("%s: %v", display, unwrapPathError(err))}
	}
	defer fh.Close()
	info, err := fh.Stat()
	if err == nil && info.IsDir() {
		return nil, &readError{code: CodeSourceUnreadable, msg: fmt.Sprintf("%s is a directory", display)}
	}
	if err == nil && info.Mode().IsRegular() && info.Size() > r.opts.MaxFileSize {
		// Refused before reading a byte.
		return nil, tooLarge(display, r.opts.MaxFileSize)
	}
	data, err := readCapped(fh, r.opts.MaxFileSize, display)
	if err != nil {
		return nil, err
	}
	return r.add(&file{key: path.Clean(filepath.ToSlash(abs)), loc: &url.URL{Path: path.Clean(filepath.ToSlash(abs))}, name: display, data: data})
}

// redirectRefused is a redirect of a reference's request away from the
// hosts the spec may read from.
type redirectRefused struct{ to *url.URL }

func (e *redirectRefused) Error() string {
	return fmt.Sprintf("redirected to %s, which is not the spec's origin", e.to.Redacted())
}

// fetch reads a URL. The spec's own URL may redirect anywhere (the caller
// chose it); a reference's request may only be redirected to the hosts
// references may name, or a same-origin $ref could lead the loader
// anywhere (a cloud metadata address, say).
func (r *sourceReader) fetch(u *url.URL, display string, root bool) (*file, error) {
	ctx, cancel := context.WithTimeout(r.ctx, r.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &readError{code: CodeSourceInvalid, msg: fmt.Sprintf("%s: %v", display, err)}
	}
	req.Header.Set("Accept", "application/json, application/yaml;q=0.9, */*;q=0.5")
	client := r.opts.HTTPClient
	if !root {
		c := *client
		next := c.CheckRedirect
		c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if (req.URL.Scheme != "http" && req.URL.Scheme != "https") || !r.hostAllowed(req.URL) {
				return &redirectRefused{to: req.URL}
			}
			if next != nil {
				return next(req, via)
			}
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			return nil
		}
		client = &c
	}
	resp, err := client.Do(req)
	if err != nil {
		var refused *redirectRefused
		if errors.As(err, &refused) {
			return nil, &readError{code: CodeRefForbidden, msg: fmt.Sprintf("GET %s: %v", u.Redacted(), refused),
				fix: "add the host to LoadOptions.AllowedHosts if it is trusted"}
		}
		msg := err.Error()
		if errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err) {
			msg = fmt.Sprintf("%s: no answer within %s", u.Redacted(), r.opts.Timeout)
		}
		return nil, &readError{code: CodeSourceUnreadable, msg: msg}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		code := CodeSourceUnreadable
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone {
			code = CodeSourceNotFound
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, &readError{code: code, msg: fmt.Sprintf("GET %s: %s", u.Redacted(), resp.Status)}
	}
	if resp.ContentLength > r.opts.MaxFileSize {
		return nil, tooLarge(u.Redacted(), r.opts.MaxFileSize)
	}
	data, err := readCapped(resp.Body, r.opts.MaxFileSize, u.Redacted())
	if err != nil {
		return nil, err
	}
	return r.add(&file{key: locKey(u), loc: u, name: u.Redacted(), data: data})
}

func (r *sourceReader) add(f *file) (*file, error) {
	r.total += int64(len(f.data))
	if r.total > r.opts.MaxTotalSize {
		return nil, &readError{code: CodeSourceTooLarge, msg: fmt.Sprintf("the spec's files exceed %d bytes in all", r.opts.MaxTotalSize)}
	}
	r.files[f.key] = f
	r.order = append(r.order, f)
	return f, nil
}

// readCapped reads all of rd, failing past max bytes.
func readCapped(rd io.Reader, max int64, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(rd, max+1))
	if err != nil {
		msg := fmt.Sprintf("%s: %v", name, err)
		if errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err) {
			msg = fmt.Sprintf("%s: read timed out", name)
		}
		return nil, &readError{code: CodeSourceUnreadable, msg: msg}
	}
	if int64(len(data)) > max {
		return nil, tooLarge(name, max)
	}
	return data, nil
}

func tooLarge(name string, max int64) error {
	return &readError{code: CodeSourceTooLarge, msg: fmt.Sprintf("%s is larger than the %d-byte limit", name, max),
		fix: "raise LoadOptions.MaxFileSize if the file is trusted"}
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
