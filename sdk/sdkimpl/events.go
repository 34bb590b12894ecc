package sdkimpl

import (
	"context"
	"encoding/json"
	"iter"

	"github.com/sdkgen-go/sdkgen/sdk"
)

// JSONEvents returns the event stream of an operation whose response is
// text/event-stream with a schema: the data of each event is decoded as
// JSON into a T.
//
//	func (s *TicksService) WatchTicks(ctx context.Context, params *WatchTicksParams, opts ...sdk.Option) iter.Seq2[sdk.Event[Tick], error] {
//		return sdkimpl.JSONEvents[Tick](ctx, s.client, opWatchTicks, func(server string) (*http.Request, error) {
//			return newWatchTicksRequest(server, params)
//		}, opts...)
//	}
//
// Each range over the result opens the stream with one call through c (all
// of its layers: auth, retries of the connection, middleware), and yields
// the events as they arrive. The first error ends the iteration: the
// call's own error when the first connection fails ([*sdk.APIError],
// [*sdk.RetryError], ...), a [*sdk.StreamError] afterwards.
//
// How a stream ends: cleanly (no error) when the terminal event of
// op.Stream arrives, when the server answers a connection with 204 No
// Content (the WHATWG way of saying "do not reconnect"), or when the
// caller breaks out of the loop (the connection is closed at once). With a
// [*sdk.StreamError] in every other case: an error event, malformed input, the
// caller's context ending, and a connection that drops (the server closes
// it, or it stays silent past [sdk.WithIdleTimeout]) when it cannot be
// resumed.
//
// Reconnection sits above the layers: each reconnection is a new call
// through c, with the Last-Event-ID header set to the last id the server
// sent, so auth, the retrying of the connection and middleware apply to
// it as to any call. A dropped stream is reconnected when
//
//   - no event has reached the caller yet, or the server has sent an event
//     id to resume from (otherwise events would be lost or repeated);
//   - the call may be retried at all: retries are enabled, and the method
//     is idempotent or the call carries an Idempotency-Key, which every
//     reconnection repeats (see [sdk.RetryPolicy]);
//   - fewer than RetryPolicy.MaxRetries reconnections in a row delivered
//     no event.
//
// The wait before a reconnection is the server's retry field when it sent
// one (refused past RetryPolicy.MaxRetryAfter, like Retry-After), else the
// policy's backoff; from the second reconnection in a row without an event
// it is the longer of the two; never less than 500 ms, the floor Firefox's
// EventSource keeps. Waits run on the policy's [sdk.Sleeper]
// ([sdk.WithSleeper]), and [sdk.WithOnRetry] hooks see each reconnection.
//
// A line or an event's data longer than [sdk.WithMaxEventSize], or data that
// is not valid JSON for T, ends the stream with a [*sdk.StreamError] wrapping
// an [*sdk.EventFormatError].
//
// Time limits: [sdk.WithAttemptTimeout] covers each connection's wait for
// response headers only; [sdk.WithIdleTimeout] the silence between the
// server's bytes; [sdk.WithTimeout], if given, bounds each connection (which is
// then resumed like a dropped one). Bound the whole stream with the
// context.
func JSONEvents[T any](ctx context.Context, c *sdk.Client, op *sdk.Operation, build RequestBuilder, opts ...sdk.Option) iter.Seq2[sdk.Event[T], error] {
	stream := sdk.Impl.Events(ctx, c, op, build, opts, func(data []byte) (any, error) {
		v := new(T)
		err := json.Unmarshal(data, v)
		return v, err
	})
	return typed(stream, func(ev sdk.Event[any]) T { return *ev.Data.(*T) })
}

// TextEvents is [JSONEvents] for streams whose data is text (a string
// schema, or none): Data is the raw data, and only the size limit applies.
func TextEvents(ctx context.Context, c *sdk.Client, op *sdk.Operation, build RequestBuilder, opts ...sdk.Option) iter.Seq2[sdk.Event[string], error] {
	stream := sdk.Impl.Events(ctx, c, op, build, opts, nil)
	return typed(stream, func(ev sdk.Event[any]) string { return ev.Raw })
}

// typed adapts the runtime's stream, whose Data is what the decode function
// returned, to events of T: data takes the T out of an event.
func typed[T any](stream iter.Seq2[sdk.Event[any], error], data func(sdk.Event[any]) T) iter.Seq2[sdk.Event[T], error] {
	return func(yield func(sdk.Event[T], error) bool) {
		stream(func(ev sdk.Event[any], err error) bool {
			if err != nil {
				return yield(sdk.Event[T]{}, err)
			}
			return yield(sdk.Event[T]{ID: ev.ID, Type: ev.Type, Data: data(ev), Raw: ev.Raw}, nil)
		})
	}
}
