package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/sdkgen-go/sdkgen/sdk/internal/safetext"
)

// APIError is the error of every response whose status is not 2xx.
//
// When the spec declares a body for the status, Model holds it decoded (as
// the generated error type, e.g. *petstore.NotFoundError) and Unwrap
// returns it, so both of these work:
//
//	var apiErr *sdk.APIError
//	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusTooManyRequests { ... }
//
//	var nf *petstore.NotFoundError
//	if errors.As(err, &nf) { fmt.Println(nf.Body.Message) }
type APIError struct {
	// Operation is the operationId of the call.
	Operation string
	// Method and URL of the request. The URL has no query and no user
	// information, so it never carries credentials.
	Method string
	URL    string
	// StatusCode and Status ("404 Not Found") of the response.
	StatusCode int
	Status     string
	// RequestID is the server's id for the request, from the first of the
	// usual headers (X-Request-Id, Request-Id, X-Amzn-RequestId, ...).
	RequestID string
	// Header holds the response headers.
	Header http.Header
	// Body is the raw response body, at most the size set by
	// WithMaxErrorBody; Truncated says whether there was more.
	Body      []byte
	Truncated bool
	// Problem is the decoded body when the server sent
	// application/problem+json (RFC 9457).
	Problem *Problem
	// Model is the decoded error body the spec declares for this status,
	// or nil. DecodeErr says why it is nil when a body was declared.
	Model     error
	DecodeErr error

	// redact keeps the call's secrets out of Error, when the server echoed
	// them.
	redact *redactor
}

// Error describes the failure on one line: operation, method, path, status,
// and what the server said (the problem's title and detail, the declared
// body, or the start of the raw body). The secrets the call sent are
// replaced with "[redacted]" where the server echoed them; the fields keep
// what the server sent.
func (e *APIError) Error() string {
	var b strings.Builder
	if e.Operation != "" {
		b.WriteString(e.Operation)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%s %s: %s", e.Method, e.URL, e.statusText())
	if msg := e.message(); msg != "" {
		b.WriteString(": ")
		b.WriteString(msg)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", e.clean(e.RequestID, 100))
	}
	return b.String()
}

func (e *APIError) statusText() string {
	if e.Status != "" {
		return e.clean(e.Status, 100)
	}
	return strconv.Itoa(e.StatusCode) + " " + http.StatusText(e.StatusCode)
}

func (e *APIError) message() string {
	if p := e.Problem; p != nil {
		switch {
		case p.Title != "" && p.Detail != "":
			return e.clean(p.Title+": "+p.Detail, 300)
		case p.Detail != "":
			return e.clean(p.Detail, 300)
		case p.Title != "":
			return e.clean(p.Title, 300)
		}
	}
	if e.Model != nil {
		return e.clean(e.Model.Error(), 300)
	}
	if len(e.Body) > 0 {
		return e.clean(string(e.Body), 200)
	}
	return ""
}

// clean is sanitize of server text without the call's secrets (removed
// first, so that cutting the text short cannot leave half of one).
func (e *APIError) clean(s string, max int) string { return sanitize(e.redact.apply(s), max) }

// Unwrap returns the declared error body, if any.
func (e *APIError) Unwrap() error { return e.Model }

// Temporary reports whether the status suggests trying again later
// (408, 429, 500, 502, 503, 504): the statuses the retry layer retries.
func (e *APIError) Temporary() bool { return retryableStatus(e.StatusCode) }

// sanitize makes server-controlled text safe for one log line: control
// characters are escaped and the text is cut at max runes.
func sanitize(s string, max int) string {
	return strings.TrimSpace(safetext.OneLine(s, max, false))
}

// Problem is an RFC 9457 problem details document
// (application/problem+json).
type Problem struct {
	Type     string `json:"type,omitempty"`
	Title    string `json:"title,omitempty"`
	Status   int    `json:"status,omitempty"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Extensions holds the other members of the document.
	Extensions map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a problem, keeping unknown members in Extensions.
// As RFC 9457 section 3.1 says, a standard member whose value has the
// wrong type ("status": "404") is ignored, not an error; member names are
// case-sensitive. Only input that is not a JSON object (or null) fails.
func (p *Problem) UnmarshalJSON(data []byte) error {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return err
	}
	var out Problem
	for k, dst := range map[string]*string{"type": &out.Type, "title": &out.Title, "detail": &out.Detail, "instance": &out.Instance} {
		if raw, ok := all[k]; ok {
			delete(all, k)
			var v string
			if json.Unmarshal(raw, &v) == nil {
				*dst = v
			}
		}
	}
	if raw, ok := all["status"]; ok {
		delete(all, "status")
		// A JSON number: 404 and 404.0 alike; a fraction or a number past
		// any status is ignored.
		var f float64
		if json.Unmarshal(raw, &f) == nil && f == math.Trunc(f) && math.Abs(f) <= math.MaxInt32 {
			out.Status = int(f)
		}
	}
	if len(all) > 0 {
		out.Extensions = all
	}
	*p = out
	return nil
}

// MarshalJSON encodes the problem with its extension members beside the
// standard ones; a standard member set on p wins over an extension of the
// same name.
func (p Problem) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(p.Extensions)+5)
	for k, v := range p.Extensions {
		m[k] = v
	}
	for k, v := range map[string]string{"type": p.Type, "title": p.Title, "detail": p.Detail, "instance": p.Instance} {
		if v != "" {
			m[k] = v
		}
	}
	if p.Status != 0 {
		m["status"] = p.Status
	}
	return json.Marshal(m)
}

// isProblem reports whether a content type is RFC 9457 problem JSON.
func isProblem(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/problem+json"
}

// requestIDHeaders are the headers servers put their request id in, most
// common first.
var requestIDHeaders = []string{
	"X-Request-Id", "Request-Id", "X-Amzn-Requestid", "X-Amz-Request-Id", "X-Correlation-Id",
	"X-Github-Request-Id", "X-Ms-Request-Id", "Cf-Ray", "X-Trace-Id",
}

func requestID(h http.Header) string {
	for _, k := range requestIDHeaders {
		if v := h.Get(k); v != "" {
			return v
		}
	}
	return ""
}

// DecodeError reports a 2xx response whose body could not be decoded as
// the spec says: malformed JSON, an unexpected shape, or a body over the
// size limit. It keeps the status and the start of the body, and, when one
// value of the body is at fault (a date that does not parse, a string
// where a number goes), its JSON path and Go type. Error gives it all on
// one line, without the secrets the call sent:
//
//	listEvents: decoding 200 response: data[3].start_on (types.Date): parsing time "2025-10-15T13:51:00.926Z": extra text: "T13:51:00.926Z"
//
// With [WithLenientDecoding], each value that does not decode is left
// zero and reported as a DecodeError of its own (without Prefix), and the
// call goes on.
type DecodeError struct {
	Operation   string
	StatusCode  int
	ContentType string
	// Path is the JSON path of the value at fault, from the top of the
	// body: members by name (data.start_on, or ["a key"] when the name is
	// not a plain word), elements by index (data[3]; [3] when the body is
	// a list). It is "" when the body as a whole is at fault (it is not
	// JSON, it is cut short, it is too large) or the place is not known.
	Path string
	// Type is the Go type the value at Path decodes into, after pointers
	// (time.Time, types.Date, int, ...; for a nullable.Nullable[T] or an
	// Opt[T], the T); nil when not known.
	Type reflect.Type
	// Prefix holds the first bytes of the body (at most 1 KiB).
	Prefix []byte
	// Err is the cause, as the decoder gave it: [ErrResponseTooLarge], a
	// *json.SyntaxError, a *json.UnmarshalTypeError, the error of a type's
	// UnmarshalJSON method (a *time.ParseError, ...).
	Err error

	redact *redactor
}

// Error describes the failure on one line: the operation, the status, and
// the value at fault with its Go type and the cause, or, when no single
// value is at fault, the cause and the start of the body.
func (e *DecodeError) Error() string {
	op := ""
	if e.Operation != "" {
		op = e.Operation + ": "
	}
	if e.Path == "" {
		return e.redact.apply(fmt.Sprintf("%sdecoding %d response (%s): %v; body starts %q", op, e.StatusCode, e.ContentType, e.Err, sanitize(e.redact.apply(string(e.Prefix)), 120)))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%sdecoding %d response: %s", op, e.StatusCode, e.Path)
	if e.Type != nil {
		fmt.Fprintf(&b, " (%s)", e.Type)
	}
	cause, ok := typeErrorText(e.Err)
	if !ok && e.Err != nil {
		cause = e.Err.Error()
	}
	b.WriteString(": ")
	b.WriteString(cause)
	// The path and the cause may hold what the server sent (keys, values).
	return sanitize(e.redact.apply(b.String()), 600)
}

// Unwrap returns the decoder's error ([ErrResponseTooLarge], a
// *json.SyntaxError, ...).
func (e *DecodeError) Unwrap() error { return e.Err }

// TransportError reports a call that got no response: the connection
// failed, the context ended, or a layer gave up. It wraps the cause.
type TransportError struct {
	Operation string
	Method    string
	// URL has no query and no user information.
	URL string
	Err error
}

func (e *TransportError) Error() string {
	op := ""
	if e.Operation != "" {
		op = e.Operation + ": "
	}
	return fmt.Sprintf("%s%s %s: %v", op, e.Method, e.URL, e.Err)
}

// Unwrap returns the cause.
func (e *TransportError) Unwrap() error { return e.Err }

// Timeout reports whether the cause was a timeout.
func (e *TransportError) Timeout() bool {
	var t interface{ Timeout() bool }
	return errors.As(e.Err, &t) && t.Timeout()
}

// RequestError reports a request that could not be built from the
// arguments (a parameter that cannot be serialized, a bad base URL).
type RequestError struct {
	Operation string
	Err       error
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("%s: building the request: %v", e.Operation, e.Err)
}

// Unwrap returns the cause.
func (e *RequestError) Unwrap() error { return e.Err }

// redactURL returns u without query, fragment and user information: what
// error strings and logs may show.
func redactURL(u *url.URL) string { return safetext.RedactURL(u) }

// unwrapURLError strips net/http's *url.Error, whose message holds the full
// URL (query included, where API keys may travel).
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
