package sdk

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// The helpers below finish a call for generated code: they read a 2xx
// response the way the spec describes it, straight from the stream, and
// always close the body.

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

// DecodeJSON decodes the JSON body of a 2xx response into a new T. A body
// that is not JSON, does not fit T, or is larger than the limit of
// [WithMaxResponseSize] gives a [*DecodeError] with the status and the start
// of the body.
func DecodeJSON[T any](resp *http.Response) (*T, error) {
	v := new(T)
	if err := decodeJSONInto(resp, v); err != nil {
		return nil, err
	}
	return v, nil
}

// DecodeJSONValue is [DecodeJSON] for results returned by value (slices,
// maps, scalars).
func DecodeJSONValue[T any](resp *http.Response) (T, error) {
	var v T
	err := decodeJSONInto(resp, &v)
	return v, err
}

func decodeJSONInto(resp *http.Response, v any) error {
	defer drainClose(resp.Body)
	st, opID := callOf(resp)
	limit := int64(DefaultMaxResponseSize)
	if st != nil {
		limit = st.s.maxResponseSize
	}
	ct := resp.Header.Get("Content-Type")
	rec := &prefixRecorder{r: &limitedReader{r: resp.Body, n: limit}, max: prefixSize}
	fail := func(err error) error {
		return &DecodeError{Operation: opID, StatusCode: resp.StatusCode, ContentType: ct, Prefix: rec.prefix, Err: err, redact: st.redactor(resp.Request)}
	}
	if !isJSONish(ct) {
		_, _ = io.CopyN(io.Discard, rec, prefixSize)
		return fail(errors.New("the response is not JSON"))
	}
	dec := json.NewDecoder(rec)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("empty body")
		}
		return fail(err)
	}
	return nil
}

// DecodeText returns the body of a 2xx text response as a string, bounded
// like JSON bodies.
func DecodeText(resp *http.Response) (string, error) {
	defer drainClose(resp.Body)
	st, opID := callOf(resp)
	limit := int64(DefaultMaxResponseSize)
	if st != nil {
		limit = st.s.maxResponseSize
	}
	var b strings.Builder
	if _, err := io.Copy(&b, &limitedReader{r: resp.Body, n: limit}); err != nil {
		s := b.String()
		return "", &DecodeError{Operation: opID, StatusCode: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Prefix: []byte(s[:min(len(s), prefixSize)]), Err: err, redact: st.redactor(resp.Request)}
	}
	return b.String(), nil
}

// Stream returns the body of a 2xx response for the caller to read and
// close: downloads and other binary results. It is not size-limited.
func Stream(resp *http.Response) io.ReadCloser { return resp.Body }

// NoContent finishes a call whose response has no body worth reading.
func NoContent(resp *http.Response) error {
	drainClose(resp.Body)
	return nil
}
