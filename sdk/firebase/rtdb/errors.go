package rtdb

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/internal/safetext"
)

// Error is the error of a call that failed: the database refused it
// (StatusCode and Message say why), or no answer came (Err says why). Err
// holds the SDK's error ([*sdk.APIError], [*sdk.RetryError],
// [*sdk.AuthError], ...), reachable with errors.As. Its text never holds
// the credential, even when a server echoes it.
type Error struct {
	// Op is what was asked: "get", "set", "update", "push", "delete",
	// "listen".
	Op string
	// Path is the location.
	Path string
	// StatusCode of the answer, 0 without one.
	StatusCode int
	// Message is the database's reason ({"error": "..."}), such as
	// "Permission denied".
	Message string
	Err     error
}

// Error describes the failure on one line.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("rtdb: " + e.Op)
	if e.Path != "" {
		b.WriteString(" " + e.Path)
	}
	switch {
	case e.StatusCode != 0 && e.Message != "":
		fmt.Fprintf(&b, ": %d %s", e.StatusCode, e.Message)
	case e.Err != nil:
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ConflictError reports a conditional write ([SetIf], [DeleteIf]) whose
// ETag no longer matched: another write came first. It holds what is there
// now, to merge and try again with the new ETag.
type ConflictError struct {
	Path string
	// ETag of the current value.
	ETag string
	// Current is the current value, as JSON.
	Current json.RawMessage
	Err     error
}

// Error describes the failure on one line.
func (e *ConflictError) Error() string {
	return "rtdb: conditional write to " + e.Path + ": the value changed since its ETag was read (412 Precondition Failed)"
}

// Unwrap returns the SDK's error.
func (e *ConflictError) Unwrap() error { return e.Err }

// PathError reports a path the database does not take: a key holding
// . $ # [ ] or a control character, longer than 768 bytes, or a path
// deeper than 32 levels.
type PathError struct {
	Path   string
	Reason string
}

// Error describes the failure on one line.
func (e *PathError) Error() string { return fmt.Sprintf("rtdb: invalid path %q: %s", e.Path, e.Reason) }

// CancelError ends a [Listen] when the database cancels the stream: its
// security rules no longer let the listener read the location.
type CancelError struct {
	Path string
	// Reason is the server's, when it gave one.
	Reason string
}

// Error describes the failure on one line.
func (e *CancelError) Error() string {
	s := "rtdb: listening to " + e.Path + " was cancelled by the server"
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// wrap turns an error of the SDK into an *Error (or a *ConflictError),
// with the database's message and without any credential.
func (c *Client) wrap(op, path string, err error) error {
	var apiErr *sdk.APIError
	if !errors.As(err, &apiErr) {
		return &Error{Op: op, Path: path, Err: err}
	}
	if apiErr.StatusCode == http.StatusPreconditionFailed {
		return &ConflictError{Path: path, ETag: apiErr.Header.Get("ETag"), Current: json.RawMessage(apiErr.Body), Err: err}
	}
	var body struct {
		Error string `json:"error"`
	}
	msg := apiErr.Status
	if json.Unmarshal(apiErr.Body, &body) == nil && body.Error != "" {
		msg = body.Error
	}
	return &Error{Op: op, Path: path, StatusCode: apiErr.StatusCode, Message: oneLine(c.tokens.scrub(msg), 300), Err: err}
}

// oneLine makes server text fit an error line.
func oneLine(s string, max int) string { return strings.TrimSpace(safetext.OneLine(s, max, true)) }
