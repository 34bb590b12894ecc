package graphql

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/internal/safetext"
)

// Error is one GraphQL error of a response, as the server sent it
// (https://spec.graphql.org/October2021/#sec-Errors). Reach it with
// errors.As from the error of a call:
//
//	var gqlErr *graphql.Error
//	if errors.As(err, &gqlErr) && gqlErr.Code() == "NOT_FOUND" { ... }
//
// which finds the first; [ResponseError] holds them all.
type Error struct {
	// Message is the server's description of the error.
	Message string `json:"message"`
	// Path is where in the result the error happened: response keys
	// (strings) and list indexes (ints), from the root. Empty for errors
	// that are not about a field (a request error).
	Path []any `json:"path,omitempty"`
	// Locations are the places in the operation's text the error is
	// about.
	Locations []Location `json:"locations,omitempty"`
	// Extensions is the server's extra information (a "code" by
	// convention), decoded as JSON values.
	Extensions map[string]any `json:"extensions,omitempty"`
	// Type is the nonstandard "type" member some servers (GitHub) send
	// beside the message, in place of an extensions code.
	Type string `json:"type,omitempty"`
}

// Location is a line and column (from 1) in an operation's text.
type Location struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// UnmarshalJSON reads an error leniently: path entries are strings or
// integers (a float is read as an integer), and members of other types are
// ignored rather than failing the whole response.
func (e *Error) UnmarshalJSON(data []byte) error {
	var raw struct {
		Message    json.RawMessage   `json:"message"`
		Path       []json.RawMessage `json:"path"`
		Locations  json.RawMessage   `json:"locations"`
		Extensions json.RawMessage   `json:"extensions"`
		Type       json.RawMessage   `json:"type"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*e = Error{}
	_ = json.Unmarshal(raw.Message, &e.Message)
	_ = json.Unmarshal(raw.Type, &e.Type)
	_ = json.Unmarshal(raw.Locations, &e.Locations)
	_ = json.Unmarshal(raw.Extensions, &e.Extensions)
	for _, p := range raw.Path {
		var s string
		if json.Unmarshal(p, &s) == nil {
			e.Path = append(e.Path, s)
			continue
		}
		var f float64
		if json.Unmarshal(p, &f) == nil {
			e.Path = append(e.Path, int(f))
		}
	}
	return nil
}

// Code returns the error's code: extensions.code when it is a string, else
// the nonstandard Type, else "".
func (e *Error) Code() string {
	if c, ok := e.Extensions["code"].(string); ok {
		return c
	}
	return e.Type
}

// PathString returns the path as dotted text ("products.2.name").
func (e *Error) PathString() string {
	var b strings.Builder
	for i, p := range e.Path {
		if i > 0 {
			b.WriteByte('.')
		}
		switch v := p.(type) {
		case string:
			b.WriteString(v)
		case int:
			b.WriteString(strconv.Itoa(v))
		}
	}
	return b.String()
}

// Error returns the message on one line, with the path and code when there
// are any. Server text is sanitized: control and bidirectional-formatting
// characters are escaped and the text is cut short.
func (e *Error) Error() string {
	var b strings.Builder
	if p := e.PathString(); p != "" {
		b.WriteString(clean(p, 200))
		b.WriteString(": ")
	}
	b.WriteString(clean(e.Message, 500))
	if c := e.Code(); c != "" {
		b.WriteString(" (")
		b.WriteString(clean(c, 100))
		b.WriteByte(')')
	}
	return b.String()
}

// ResponseError is the error of a call whose response carried GraphQL
// errors. The call's result still holds whatever data came with them
// (PartialData says whether any did): GraphQL resolves fields separately,
// and a failed field is null beside fields that succeeded.
//
// When the HTTP status was not 2xx, or a 200 stood for one (see
// [WithErrorStatus]), Err is the [*sdk.APIError] (or the [*sdk.RetryError]
// around it) the call failed with, so errors.As finds those too.
type ResponseError struct {
	// Operation is the operation's name.
	Operation string
	// Errors are the response's errors, in the server's order.
	Errors []*Error
	// PartialData is set when the response carried data (not null) beside
	// the errors.
	PartialData bool
	// Extensions is the response's top-level "extensions" member.
	Extensions map[string]any
	// Err is the HTTP-level error of the call, when there is one.
	Err error
}

func (e *ResponseError) Error() string {
	var b strings.Builder
	if e.Operation != "" {
		b.WriteString(e.Operation)
		b.WriteString(": ")
	}
	switch len(e.Errors) {
	case 0:
		b.WriteString("GraphQL error without details")
	case 1:
		b.WriteString(e.Errors[0].Error())
	default:
		fmt.Fprintf(&b, "%s (and %d more GraphQL errors)", e.Errors[0].Error(), len(e.Errors)-1)
	}
	if e.PartialData {
		b.WriteString(" [partial data returned]")
	}
	var ae *sdk.APIError
	if errors.As(e.Err, &ae) {
		fmt.Fprintf(&b, " [HTTP %s]", clean(ae.Status, 60))
	}
	return b.String()
}

// Unwrap returns each [*Error], then Err when set.
func (e *ResponseError) Unwrap() []error {
	out := make([]error, 0, len(e.Errors)+1)
	for _, x := range e.Errors {
		out = append(out, x)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// Has reports whether any error has the code ([Error.Code]).
func (e *ResponseError) Has(code string) bool {
	for _, x := range e.Errors {
		if x.Code() == code {
			return true
		}
	}
	return false
}

// ErrorStatus decides which HTTP status a 200 response stands for from its
// GraphQL errors (see [WithErrorStatus]); data tells whether the response
// carried data (not null). It returns 0 to leave the response as it is.
type ErrorStatus func(errs []*Error, data bool) int

// DefaultErrorStatus is the [ErrorStatus] clients start with. A response
// without data whose errors all say the same thing stands for:
//
//   - 401 Unauthorized when each error's code ([Error.Code]) is
//     UNAUTHENTICATED (Apollo Server's, and most servers' convention);
//   - 429 Too Many Requests when each says it was rate limited: a code of
//     RATE_LIMITED (GitHub's type), THROTTLED (Shopify's) or
//     TOO_MANY_REQUESTS, or a message containing "rate limit".
//
// A response with data is never reclassified: its errors are about some
// fields, not the request.
func DefaultErrorStatus(errs []*Error, data bool) int {
	if data || len(errs) == 0 {
		return 0
	}
	status := 0
	for _, e := range errs {
		s := 0
		switch code := strings.ToUpper(e.Code()); {
		case code == "UNAUTHENTICATED":
			s = http.StatusUnauthorized
		case code == "RATE_LIMITED" || code == "THROTTLED" || code == "TOO_MANY_REQUESTS",
			strings.Contains(strings.ToLower(e.Message), "rate limit"):
			s = http.StatusTooManyRequests
		}
		if s == 0 || status != 0 && s != status {
			return 0
		}
		status = s
	}
	return status
}

// envelope is a GraphQL response as it is decoded: data into the
// caller's value, errors and extensions beside.
type envelope struct {
	Data       dataField      `json:"data"`
	Errors     []*Error       `json:"errors"`
	Extensions map[string]any `json:"extensions"`
}

// dataField decodes "data" into the value it points to and notes whether
// it was there and not null.
type dataField struct {
	target  any
	present bool
}

func (d *dataField) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	d.present = true
	if d.target == nil {
		return nil
	}
	return json.Unmarshal(b, d.target)
}

// errorsOf reads the errors of a GraphQL response body, for an HTTP error
// whose body may be one: ok is false when it is not.
func errorsOf(body []byte) (errs []*Error, data bool, ok bool) {
	var env envelope
	if len(body) == 0 || json.Unmarshal(body, &env) != nil || len(env.Errors) == 0 {
		return nil, false, false
	}
	return env.Errors, env.Data.present, true
}

// clean makes server text safe for one line of an error.
func clean(s string, max int) string { return strings.TrimSpace(safetext.OneLine(s, max, false)) }
