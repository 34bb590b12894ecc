package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"
)

// The helpers below finish a call for generated code (through Impl, as
// sdkimpl.DecodeJSON, sdkimpl.DecodeText, ...): they read a 2xx response the
// way the spec describes it, straight from the stream, and always close the
// body.

// prefixSize is how much of a body a DecodeError keeps.
const prefixSize = 1 << 10

func callOf(resp *http.Response) (*callState, string) {
	if resp.Request != nil {
		if st := stateFrom(resp.Request.Context()); st != nil {
			return st, st.op.ID
		}
	}
	return nil, ""
}

// bodyBufSize is the size of the pooled buffers JSON bodies are read into:
// a body that fits is decoded from the buffer in one go (most responses
// do); a larger one is decoded as it streams in (see decodeStream), so the
// SDK never holds a large body in memory.
const bodyBufSize = 32 << 10

var bodyBufs = sync.Pool{New: func() any { b := make([]byte, bodyBufSize); return &b }}

// decodeJSONInto decodes the JSON body of a 2xx response into v, a non-nil
// pointer. A body that is not JSON, does not fit v, or is larger than the
// limit of [WithMaxResponseSize] gives a [*DecodeError] with the status and
// the start of the body.
func decodeJSONInto(resp *http.Response, v any) error {
	ended := false // the body was read to its end: nothing to drain
	defer func() {
		if ended {
			_ = resp.Body.Close()
		} else {
			drainClose(resp.Body)
		}
	}()
	st, opID := callOf(resp)
	limit := maxResponseSize(st)
	ct := resp.Header.Get("Content-Type")
	body := &limitedReader{r: resp.Body, n: limit}
	if !isJSONish(ct) {
		// The answer is known: the start of the body is read for the
		// error, without waiting on a server that stalls.
		prefix, _, _ := readBoundedIdle(resp.Body, prefixSize, idleTimeout(st))
		return decodeError(resp, st, opID, prefix, errors.New("the response is not JSON"))
	}
	bp := bodyBufs.Get().(*[]byte)
	defer bodyBufs.Put(bp)
	data, rerr := readUpTo(body, *bp)
	lenient := lenientReport(resp, st, opID)
	var err error
	switch {
	case rerr == io.EOF:
		ended = true
		// The whole body is in data. Unmarshal checks the syntax before it
		// decodes: on a syntax error v is untouched, and the stream decoder
		// reports it as it always has (a value followed by more data is
		// fine, a cut one is io.ErrUnexpectedEOF, none is io.EOF).
		value := data
		var se *json.SyntaxError
		if err = json.Unmarshal(data, v); errors.As(err, &se) {
			dec := json.NewDecoder(bytes.NewReader(data))
			err = dec.Decode(v)
			value = data[:dec.InputOffset()]
		}
		rv := reflect.ValueOf(v)
		if err != nil && !errors.As(err, &se) && err != io.EOF && err != io.ErrUnexpectedEOF && rv.Kind() == reflect.Pointer && !rv.IsNil() {
			// A value that does not fit: find where, or decode around it.
			if lenient != nil {
				w := newWalker(nil, value, lenient)
				w.descend(value, rv.Elem())
				err = nil
			} else {
				err = locate(value, rv.Elem(), "", err)
			}
		}
	case rerr != nil:
		// Reading failed after data; the decoder fails where it needs more,
		// and a body that failed after a whole value (one shorter than its
		// Content-Length) fails all the same.
		err = decodeStream(io.MultiReader(bytes.NewReader(data), failingReader{rerr}), data, v, lenient, limit)
		if err == nil {
			err = fmt.Errorf("reading the body after its value: %w", rerr)
		}
	default:
		// A large body: the filter hands the decoder only what the result
		// keeps (see jsonFilter), and what follows the value must end well.
		f := newJSONFilter(io.MultiReader(bytes.NewReader(data), body), reflect.TypeOf(v).Elem())
		err = decodeStream(f, data, v, lenient, limit)
		if err == nil {
			if rest := f.Rest(drainLimit); rest != nil {
				err = fmt.Errorf("reading the body after its value: %w", rest)
			}
		}
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("empty body")
		}
		return decodeError(resp, st, opID, data, err)
	}
	return nil
}

// lenientReport returns the function that reports the values lenient
// decoding leaves zero to the hooks of WithLenientDecoding, or nil when
// the call decodes strictly.
func lenientReport(resp *http.Response, st *callState, opID string) func(fieldErr) {
	if st == nil || len(st.s.lenient) == 0 {
		return nil
	}
	hooks := st.s.lenient
	return func(fe fieldErr) {
		e := &DecodeError{Operation: opID, StatusCode: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"),
			Path: fe.path, Type: fe.typ, Err: fe.err, redact: st.redactor(resp.Request)}
		for _, h := range hooks {
			h(e)
		}
	}
}

// idleTimeout is the idle timeout of the call st (nil for a response that
// did not come through the SDK).
func idleTimeout(st *callState) time.Duration {
	if st == nil {
		return DefaultIdleTimeout
	}
	return st.s.idleTimeout
}

// maxResponseSize is how much of a body the call st may decode (st is nil
// for a response that did not come through the SDK).
func maxResponseSize(st *callState) int64 {
	if st == nil {
		return DefaultMaxResponseSize
	}
	return st.s.maxResponseSize
}

// decodeError reports a 2xx body that could not be decoded, with its first
// bytes (a copy of at most prefixSize of them).
func decodeError(resp *http.Response, st *callState, opID string, head []byte, err error) error {
	e := &DecodeError{Operation: opID, StatusCode: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"),
		Prefix: bytes.Clone(head[:min(len(head), prefixSize)]), Err: err, redact: st.redactor(resp.Request)}
	if pe, ok := err.(*pathError); ok {
		e.Path, e.Type, e.Err = pe.path, pe.typ, pe.err
	}
	return e
}

// readUpTo reads r into buf until buf is full (nil error), r ends (io.EOF)
// or fails, and returns what it read.
func readUpTo(r io.Reader, buf []byte) ([]byte, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return buf[:n], err
		}
	}
	return buf[:n], nil
}

// failingReader fails every read with err.
type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }

// decodeText returns the body of a 2xx text response as a string, bounded
// like JSON bodies.
func decodeText(resp *http.Response) (string, error) {
	defer drainClose(resp.Body)
	st, opID := callOf(resp)
	limit := maxResponseSize(st)
	var b strings.Builder
	if _, err := io.Copy(&b, &limitedReader{r: resp.Body, n: limit}); err != nil {
		return "", decodeError(resp, st, opID, []byte(b.String()[:min(b.Len(), prefixSize)]), err)
	}
	return b.String(), nil
}
