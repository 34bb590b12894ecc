package sdk

import "net/http"

// DecodeJSONInto is [DecodeJSON] into a value the caller made: v is a
// non-nil pointer, already holding what decoding should fill (a GraphQL
// response whose data field points to the generated result type, say).
// The limits and errors are [DecodeJSON]'s, and the body is always
// closed.
func DecodeJSONInto(resp *http.Response, v any) error { return decodeJSONInto(resp, v) }
