package sdkimpl

import (
	"io"
	"net/http"

	"github.com/sdkgen-go/sdkgen/sdk"
)

// The helpers below finish a call: they read a 2xx response the way the
// spec describes it, straight from the stream, and always close the body.

// DecodeJSON decodes the JSON body of a 2xx response into a new T. A body
// that is not JSON, does not fit T, or is larger than the limit of
// [sdk.WithMaxResponseSize] gives an [*sdk.DecodeError] with the status and
// the start of the body.
func DecodeJSON[T any](resp *http.Response) (*T, error) {
	v := new(T)
	if err := sdk.Impl.DecodeJSON(resp, v); err != nil {
		return nil, err
	}
	return v, nil
}

// DecodeJSONValue is [DecodeJSON] for results returned by value (slices,
// maps, scalars).
func DecodeJSONValue[T any](resp *http.Response) (T, error) {
	var v T
	err := sdk.Impl.DecodeJSON(resp, &v)
	return v, err
}

// DecodeJSONInto is [DecodeJSON] into a value the caller made: v is a
// non-nil pointer, already holding what decoding should fill (a GraphQL
// response whose data field points to the generated result type, say).
// The limits and errors are DecodeJSON's, and the body is always closed.
func DecodeJSONInto(resp *http.Response, v any) error { return sdk.Impl.DecodeJSON(resp, v) }

// DecodeText returns the body of a 2xx text response as a string, bounded
// like JSON bodies.
func DecodeText(resp *http.Response) (string, error) { return sdk.Impl.DecodeText(resp) }

// Stream returns the body of a 2xx response for the caller to read and
// close: downloads and other binary results. It is not size-limited.
func Stream(resp *http.Response) io.ReadCloser { return resp.Body }

// NoContent finishes a call whose response has no body worth reading.
func NoContent(resp *http.Response) error {
	sdk.Impl.NoContent(resp)
	return nil
}
