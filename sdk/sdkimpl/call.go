package sdkimpl

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/internal/safetext"
)

// RequestBuilder builds the request of a call against a base URL; the
// generated request builders have this shape. server always ends with a
// slash, so a path is joined as server+"pets". It returns a new request on
// every call, which the call then owns and changes (its context, its
// headers).
type RequestBuilder func(server string) (*http.Request, error)

// Do runs one logical call of op through c: it applies the call's options,
// builds the request, sends it through the client's layers, and checks the
// status. On a 2xx status it returns the response, whose body the caller
// must close (generated code does, through the Decode helpers). On any
// other status it returns an [*sdk.APIError] with the bounded body and the
// declared error model; without a response, an [*sdk.TransportError]. When
// the call was retried, or a transient failure was not retried (see
// [sdk.RetryPolicy]), that error comes wrapped in an [*sdk.RetryError] that
// says why retrying stopped.
func Do(ctx context.Context, c *sdk.Client, op *sdk.Operation, build RequestBuilder, opts ...sdk.Option) (*http.Response, error) {
	return sdk.Impl.Do(ctx, c, op, build, opts...)
}

// ResponseCheck returns the option that has check look at the response of
// every attempt that got one, below auth and retry, and answer in its
// place: a response it returns with another status is treated as that
// status (a 401 refreshes the token, a 429 is retried). It is the
// innermost layer of the attempt, as the last [sdk.WithAttemptMiddleware]
// would be, but never sees the request. The GraphQL client checks 200
// responses for errors that stand for another status with it.
func ResponseCheck(check func(*http.Response) *http.Response) sdk.Option {
	return sdk.Impl.ResponseCheck(check)
}

// ErrorDecoder decodes a declared error body into the generated error type
// (model), or says why it could not (err): the values of
// [sdk.Operation].Errors.
type ErrorDecoder = func(body []byte) (model, err error)

// JSONError returns the decoder of a generated error type E whose body
// field is reached through body:
//
//	sdkimpl.JSONError(func(e *NotFoundError) any { return &e.Body })
func JSONError[E any, P interface {
	*E
	error
}](body func(P) any) ErrorDecoder {
	return func(data []byte) (error, error) {
		e := P(new(E))
		if err := json.Unmarshal(data, body(e)); err != nil {
			return nil, err
		}
		return e, nil
	}
}

// DescribeBody renders a declared error body on one line for its Error
// method: the name, then the body's message-like field ("message",
// "detail", "error_description", "error", "title") or else its JSON, cut
// short.
func DescribeBody(name string, body any) string {
	data, err := json.Marshal(body)
	if err != nil {
		return name
	}
	var fields map[string]any
	if json.Unmarshal(data, &fields) == nil {
		for _, k := range []string{"message", "detail", "error_description", "error", "title", "msg", "description"} {
			if s, ok := fields[k].(string); ok && s != "" {
				return name + ": " + oneLine(s, 200)
			}
		}
	}
	return name + ": " + oneLine(string(data), 200)
}

// oneLine makes server text safe for an error string, as package sdk does
// with its own: one line, at most max runes.
func oneLine(s string, max int) string {
	return strings.TrimSpace(safetext.OneLine(s, max, false))
}
