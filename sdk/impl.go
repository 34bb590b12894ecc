package sdk

import (
	"context"
	"io"
	"iter"
	"net/http"
	"net/url"
)

// Impl is the door through which package
// github.com/sdkgen-go/sdkgen/sdk/sdkimpl, the helpers that generated code
// calls, reaches the runtime's core. Programs do not use it: its type is
// unexported, so its methods appear in no documentation, and they change
// with the generated-code version (sdkimpl.GenVersion) without notice.
//
// Why a door: generated code needs typed helpers (decode the body into a T,
// page through a list of T), and Go has no generic methods, so such helpers
// cannot sit behind an interface or a value: they must be exported, as
// generic functions, by some package. They live in sdkimpl, as thin generic
// code over Impl's non-generic methods, and package sdk exports only what
// programs call. Impl's methods are plain method calls on a value without
// state: the compiler inlines them and sees through them, so a call costs
// what calling the core directly would.
var Impl impl

// impl is Impl's type. Its methods are the sdkimpl helpers' core; each says
// which helper it serves.
type impl struct{}

// Do runs one logical call of op through c (sdkimpl.Do).
func (impl) Do(ctx context.Context, c *Client, op *Operation, build func(server string) (*http.Request, error), opts ...Option) (*http.Response, error) {
	return c.do(ctx, op, build, opts...)
}

// DecodeJSON decodes a 2xx JSON body into v, a non-nil pointer, and closes
// the body (sdkimpl.DecodeJSON, DecodeJSONValue, DecodeJSONInto).
func (impl) DecodeJSON(resp *http.Response, v any) error { return decodeJSONInto(resp, v) }

// DecodeText returns a 2xx text body, bounded like JSON bodies, and closes
// it (sdkimpl.DecodeText).
func (impl) DecodeText(resp *http.Response) (string, error) { return decodeText(resp) }

// NoContent drains and closes a body nobody reads, so its connection can
// be reused (sdkimpl.NoContent).
func (impl) NoContent(resp *http.Response) { drainClose(resp.Body) }

// StreamBody builds a request whose body streams from r
// (sdkimpl.StreamBody).
func (impl) StreamBody(r io.Reader, build func(body io.Reader) (*http.Request, error)) (*http.Request, error) {
	return streamRequest(r, build)
}

// NewForm returns an empty multipart/form-data body (sdkimpl.Multipart).
func (impl) NewForm() *form { return &form{} }

// ResponseCheck returns the option that has f look at the response of
// every attempt that got one, innermost, as the last attempt middleware
// would, and answer in its place (sdkimpl.ResponseCheck). Unlike attempt
// middleware, it never sees the request, so it neither stops auth from
// setting credentials on the call's own request nor counts, for the
// cache, as a layer that could add credentials.
func (impl) ResponseCheck(f func(*http.Response) *http.Response) Option {
	return optionFunc(func(s *settings) {
		if f != nil {
			s.checks = append(s.checks, f)
		}
	})
}

// PagerOptions splits the options of a paginated method into the pager's
// and those of every page's call, and adds the pager option that ties the
// pager to c and op (sdkimpl's pagers).
func (impl) PagerOptions(c *Client, op *Operation, opts []Option) (call []Option, pager []PagerOption) {
	return splitPagerOptions(c, op, opts)
}

// PagePosition reads the position of an offset or page-number pager
// (sdkimpl.OffsetPager, PageNumberPager); an invalid one is a
// *PaginationError, which the pager completes.
func (impl) PagePosition(pos string) (int, error) {
	n, err := numberPosition(pos)
	if err != nil {
		return 0, err
	}
	return n, nil
}

// URLPosition checks the position of a URL pager against the URL of the
// list's first request (sdkimpl.LinkPager, NextURLPager); an invalid one is
// a *PaginationError, which the pager completes.
func (impl) URLPosition(pos string, first *url.URL) (*url.URL, error) {
	u, err := urlPosition(pos, first)
	if err != nil {
		return nil, err
	}
	return u, nil
}

// NextURL resolves a next-page reference against the URL of the response
// that gave it (sdkimpl.LinkPager, NextURLPager), and moves a URL on
// another origin onto the response's when the client or the call asks for
// it ([WithNextPagesOnOwnOrigin]).
func (impl) NextURL(c *Client, call []Option, base *url.URL, next string) string {
	next = resolveNext(base, next)
	own := c != nil && c.settings.pagesOnOwnOrigin
	for _, o := range call {
		if _, ok := o.(ownOriginOption); ok {
			own = true
		}
	}
	if !own {
		return next
	}
	return onOrigin(base, next)
}

// Events returns the event stream of op, whose events' Data decode makes
// (nil: Data stays nil, the data is in Raw) (sdkimpl.JSONEvents,
// TextEvents).
func (impl) Events(ctx context.Context, c *Client, op *Operation, build func(server string) (*http.Request, error), opts []Option, decode func(data []byte) (any, error)) iter.Seq2[Event[any], error] {
	return events(ctx, c, op, build, opts, decode)
}
