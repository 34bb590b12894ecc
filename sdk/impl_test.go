package sdk

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
)

// The tests of this package cannot import package sdkimpl (it imports sdk),
// whose helpers generated code calls. These stand for them, over the same
// core (Impl's methods); sdkimpl's own tests check the real ones.

func decodeJSON[T any](resp *http.Response) (*T, error) {
	var v T
	err := Impl.DecodeJSON(resp, &v)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func decodeJSONValue[T any](resp *http.Response) (T, error) {
	var v T
	return v, Impl.DecodeJSON(resp, &v)
}

func noContent(resp *http.Response) error {
	Impl.NoContent(resp)
	return nil
}

// jsonEvents and textEvents give the events of the core's stream their
// Data: decoded JSON, or the raw text.
func jsonEvents[T any](ctx context.Context, c *Client, op *Operation, build requestBuilder, opts ...Option) iter.Seq2[Event[T], error] {
	unmarshal := func(data []byte) (any, error) {
		var v T
		err := json.Unmarshal(data, &v)
		return v, err
	}
	return withData(events(ctx, c, op, build, opts, unmarshal), func(ev Event[any]) T { return ev.Data.(T) })
}

func textEvents(ctx context.Context, c *Client, op *Operation, build requestBuilder, opts ...Option) iter.Seq2[Event[string], error] {
	return withData(events(ctx, c, op, build, opts, nil), func(ev Event[any]) string { return ev.Raw })
}

func withData[T any](seq iter.Seq2[Event[any], error], data func(Event[any]) T) iter.Seq2[Event[T], error] {
	return func(yield func(Event[T], error) bool) {
		for ev, err := range seq {
			var out Event[T]
			if err == nil {
				out = Event[T]{ID: ev.ID, Type: ev.Type, Data: data(ev), Raw: ev.Raw}
			}
			if !yield(out, err) {
				return
			}
		}
	}
}

// testForm chains like sdkimpl.Multipart.
type testForm struct{ *form }

func newMultipart() testForm { return testForm{Impl.NewForm()} }

func (f testForm) Field(name string, value any) testForm {
	f.form.Field(name, value)
	return f
}

func (f testForm) File(name, contentType string, fl *File) testForm {
	f.form.File(name, contentType, fl)
	return f
}

func (f testForm) Files(name, contentType string, files []File) testForm {
	for i := range files {
		f.form.File(name, contentType, &files[i])
	}
	return f
}
