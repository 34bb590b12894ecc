package server

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// ProblemTypeBase prefixes the type URI of every problem the server
// reports ("https://products.example.com/problems/not-found").
const ProblemTypeBase = "https://products.example.com/problems/"

// problemKind is a kind of problem: the last segment of its type URI, and
// its title.
type problemKind struct{ slug, title string }

var (
	probInvalidParam  = problemKind{"invalid-parameter", "Invalid parameter"}
	probMalformed     = problemKind{"malformed-body", "Malformed body"}
	probUnauthorized  = problemKind{"unauthorized", "Unauthorized"}
	probScope         = problemKind{"insufficient-scope", "Insufficient scope"}
	probNotFound      = problemKind{"not-found", "Not found"}
	probMethod        = problemKind{"method-not-allowed", "Method not allowed"}
	probNotAcceptable = problemKind{"not-acceptable", "Not acceptable"}
	probSKUTaken      = problemKind{"sku-taken", "SKU already in use"}
	probInFlight      = problemKind{"idempotency-key-in-use", "Idempotency key in use"}
	probPrecondition  = problemKind{"precondition-failed", "Precondition failed"}
	probTooLarge      = problemKind{"too-large", "Payload too large"}
	probMediaType     = problemKind{"unsupported-media-type", "Unsupported media type"}
	probValidation    = problemKind{"validation", "Validation failed"}
	probKeyReused     = problemKind{"idempotency-key-reused", "Idempotency key reused"}
	probRateLimited   = problemKind{"rate-limited", "Too many requests"}
	probInternal      = problemKind{"internal", "Internal server error"}
	probUnavailable   = problemKind{"unavailable", "Service unavailable"}
	probNotAnImage    = problemKind{"not-an-image", "Not a PNG or JPEG image"}
)

// problem is the body of an error response: RFC 9457 problem details, with
// the request id and, for invalid requests, the problem of each field.
type problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Instance  string       `json:"instance,omitempty"`
	RequestID string       `json:"request_id"`
	Errors    []fieldError `json:"errors,omitempty"`
}

// fieldError is what is wrong with one field or parameter.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// problem writes an application/problem+json response.
func (s *Server) problem(w http.ResponseWriter, r *http.Request, c *call, status int, kind problemKind, detail string, fields ...fieldError) {
	body, err := json.Marshal(problem{
		Type:      ProblemTypeBase + kind.slug,
		Title:     kind.title,
		Status:    status,
		Detail:    detail,
		Instance:  r.URL.Path,
		RequestID: c.requestID,
		Errors:    fields,
	})
	if err != nil { // cannot happen: every field is a string or an int
		panic(err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// internalError reports a failure of the server itself: logged with the
// request id, answered with a 500 that does not leak it.
func (s *Server) internalError(w http.ResponseWriter, r *http.Request, c *call, err error) {
	s.log.Error("internal error", "request_id", c.requestID, "method", r.Method, "path", r.URL.Path, "err", err)
	s.problem(w, r, c, http.StatusInternalServerError, probInternal, "the server failed; the request id identifies the failure in its logs")
}

// writeJSON writes a JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	writeRaw(w, status, "application/json", body)
	return nil
}

func writeRaw(w http.ResponseWriter, status int, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
