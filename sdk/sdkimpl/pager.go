package sdkimpl

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/sdkgen-go/sdkgen/sdk"
)

// The helpers below build the Pager of a paginated operation for generated
// code, one per pagination style. Each takes:
//
//   - the call's context, the [sdk.Client] and the [sdk.Operation];
//   - a request builder that receives the page's position, typed for the
//     style (a cursor string, an offset or page number int; none for the
//     URL styles, whose later pages are fetched at the URL the server
//     gives). Generated code sets the position parameter on a copy of the
//     caller's parameters (see [CopyParams]), so filters and sorting stay
//     typed and the caller's value is never changed;
//   - a reader of the decoded page body P (the spec's list response, such
//     as petstore.PetList, or a bare []T) that returns its items of type T
//     and what the style needs to find the next page;
//   - the method's options: pager options ([sdk.WithPrefetch],
//     [sdk.WithMaxItems], [sdk.WithStartAt]) configure the pager, all
//     others apply to every page's call.
//
// P and T are inferred from the reader, so call sites name no types.
// Errors of a page's call ([*sdk.APIError], [*sdk.TransportError],
// [*sdk.DecodeError], ...) are yielded as they are.

// CursorPager returns the Pager of an operation paginated by an opaque
// cursor: build receives the cursor ("" for the first page, when the
// caller's own cursor parameter, if any, applies), and page returns the
// items and the next cursor, "" on the last page. The next cursor may come
// from a field of the body, or from the last item's id (see
// [LastItemCursor]); a has-more flag is honoured by returning "". The
// generated shape, for x-sdkgen-pagination {style: cursor, items: data,
// cursor: {param: cursor, next: next_cursor}}:
//
//	func (s *PetsService) ListPets(ctx context.Context, params *ListPetsParams, opts ...sdk.Option) *sdk.Pager[Pet] {
//		return sdkimpl.CursorPager(ctx, s.client, opListPets, func(server, cursor string) (*http.Request, error) {
//			p := sdkimpl.CopyParams(params)
//			if cursor != "" {
//				p.Cursor = &cursor
//			}
//			return newListPetsRequest(server, p)
//		}, func(page *PetList) ([]Pet, string) {
//			return page.Data, sdk.Deref(page.NextCursor)
//		}, opts...)
//	}
//
// and for {cursor: {param: starting_after, from: last-item.id}, has-more:
// has_more} the reader is
//
//	func(page *CustomerList) ([]Customer, string) {
//		return page.Data, sdkimpl.LastItemCursor(page.Data, page.HasMore, func(c Customer) string { return c.Id })
//	}
func CursorPager[P, T any](ctx context.Context, c *sdk.Client, op *sdk.Operation,
	build func(server, cursor string) (*http.Request, error),
	page func(body *P) (items []T, next string),
	opts ...sdk.Option,
) *sdk.Pager[T] {
	return httpPager(ctx, c, op, opts, func(ctx context.Context, pos string, call []sdk.Option) (sdk.Page[T], error) {
		body, _, err := fetchBody[P](ctx, c, op, func(server string) (*http.Request, error) {
			return build(server, pos)
		}, call)
		if err != nil {
			return sdk.Page[T]{}, err
		}
		items, next := page(body)
		return sdk.Page[T]{Items: items, Next: next, Body: body}, nil
	})
}

// HeaderCursorPager is [CursorPager] for an API that sends the next cursor
// in a response header: page returns the items of the body and the cursor
// from the header ("" on the last page). Generated, for
// {cursor: {param: cursor, header: X-Next-Cursor}}:
//
//	}, func(page *EventList, h http.Header) ([]Event, string) {
//		return page.Data, h.Get("X-Next-Cursor")
//	}, opts...)
func HeaderCursorPager[P, T any](ctx context.Context, c *sdk.Client, op *sdk.Operation,
	build func(server, cursor string) (*http.Request, error),
	page func(body *P, header http.Header) (items []T, next string),
	opts ...sdk.Option,
) *sdk.Pager[T] {
	return httpPager(ctx, c, op, opts, func(ctx context.Context, pos string, call []sdk.Option) (sdk.Page[T], error) {
		body, resp, err := fetchBody[P](ctx, c, op, func(server string) (*http.Request, error) {
			return build(server, pos)
		}, call)
		if err != nil {
			return sdk.Page[T]{}, err
		}
		items, next := page(body, resp.Header)
		return sdk.Page[T]{Items: items, Next: next, Body: body}, nil
	})
}

// OffsetPager returns the Pager of an operation paginated by offset and
// limit: build receives the offset of the page (start for the first: the
// caller's offset parameter, or 0), and page returns the page's items and
// whether more may follow. The next offset is the page's offset plus its
// number of items; the pager stops after a page for which more is false
// or which is empty. The limit is the caller's parameter, left as it is.
// Generated, with a total in the body:
//
//	func (s *ItemsService) ListItems(ctx context.Context, params *ListItemsParams, opts ...sdk.Option) *sdk.Pager[Item] {
//		start := 0
//		if params != nil && params.Offset != nil {
//			start = int(*params.Offset)
//		}
//		return sdkimpl.OffsetPager(ctx, s.client, opListItems, start, func(server string, offset int) (*http.Request, error) {
//			p := sdkimpl.CopyParams(params)
//			o := int32(offset)
//			p.Offset = &o
//			return newListItemsRequest(server, p)
//		}, func(page *ItemList, offset int) ([]Item, bool) {
//			return page.Items, offset+len(page.Items) < page.Total // or true: stop at an empty page
//		}, opts...)
//	}
//
// Positions are offsets in decimal.
func OffsetPager[P, T any](ctx context.Context, c *sdk.Client, op *sdk.Operation, start int,
	build func(server string, offset int) (*http.Request, error),
	page func(body *P, offset int) (items []T, more bool),
	opts ...sdk.Option,
) *sdk.Pager[T] {
	return numberPager(ctx, c, op, start, opts, build, page, func(n int, items []T) int { return n + len(items) })
}

// PageNumberPager returns the Pager of an operation paginated by page
// number: build receives the page number (start for the first: the
// caller's page parameter, or the API's first page, 1 or 0), and page
// returns the page's items and whether more may follow. The pager asks for
// the next number until a page for which more is false, or an empty page.
// Generated, with the number of pages in the body:
//
//	return sdkimpl.PageNumberPager(ctx, s.client, opListOrders, start, func(server string, page int) (*http.Request, error) {
//		p := sdkimpl.CopyParams(params)
//		p.Page = &page
//		return newListOrdersRequest(server, p)
//	}, func(body *OrderList, page int) ([]Order, bool) {
//		return body.Orders, page < body.TotalPages // or true: stop at an empty page
//	}, opts...)
//
// Positions are page numbers in decimal.
func PageNumberPager[P, T any](ctx context.Context, c *sdk.Client, op *sdk.Operation, start int,
	build func(server string, page int) (*http.Request, error),
	page func(body *P, page int) (items []T, more bool),
	opts ...sdk.Option,
) *sdk.Pager[T] {
	return numberPager(ctx, c, op, start, opts, build, page, func(n int, _ []T) int { return n + 1 })
}

func numberPager[P, T any](ctx context.Context, c *sdk.Client, op *sdk.Operation, start int, opts []sdk.Option,
	build func(string, int) (*http.Request, error),
	page func(*P, int) ([]T, bool),
	advance func(int, []T) int,
) *sdk.Pager[T] {
	return httpPager(ctx, c, op, opts, func(ctx context.Context, pos string, call []sdk.Option) (sdk.Page[T], error) {
		n := start
		if pos != "" {
			v, invalid := sdk.Impl.PagePosition(pos)
			if invalid != nil {
				return sdk.Page[T]{}, invalid
			}
			n = v
		}
		body, _, err := fetchBody[P](ctx, c, op, func(server string) (*http.Request, error) {
			return build(server, n)
		}, call)
		if err != nil {
			return sdk.Page[T]{}, err
		}
		items, more := page(body, n)
		next := ""
		if more && len(items) > 0 {
			next = strconv.Itoa(advance(n, items))
		}
		return sdk.Page[T]{Items: items, Next: next, Body: body}, nil
	})
}

// LinkPager returns the Pager of an operation paginated by the RFC 8288
// Link response header (GitHub's style): build makes the first request
// (the caller's page-size, filter and sorting parameters included), items
// returns a page's items, and each next page is the target of the
// rel="next" link, resolved against the URL of the response. The pager
// stops at a page without one. Later pages are requested at that URL with
// the first request's method and headers. A next URL on another origin
// (scheme, host and port) than the first request's is refused with a
// [*sdk.PaginationError]. Generated:
//
//	func (s *ReposService) ListIssues(ctx context.Context, owner, repo string, params *ListIssuesParams, opts ...sdk.Option) *sdk.Pager[Issue] {
//		return sdkimpl.LinkPager(ctx, s.client, opListIssues, func(server string) (*http.Request, error) {
//			return newListIssuesRequest(server, owner, repo, params)
//		}, func(body *[]Issue) []Issue { return *body }, opts...)
//	}
//
// Positions are absolute URLs.
func LinkPager[P, T any](ctx context.Context, c *sdk.Client, op *sdk.Operation, build RequestBuilder,
	items func(body *P) []T,
	opts ...sdk.Option,
) *sdk.Pager[T] {
	return urlPager(ctx, c, op, build, opts, func(body *P, resp *http.Response) ([]T, string) {
		next, _ := nextLink(resp.Header)
		return items(body), next
	})
}

// NextURLPager returns the Pager of an operation whose pages carry the URL
// of the next page in the body: like [LinkPager], with page returning the
// items and that URL ("" on the last page). Relative URLs are resolved
// against the URL of the response. Generated:
//
//	return sdkimpl.NextURLPager(ctx, s.client, opListEvents, func(server string) (*http.Request, error) {
//		return newListEventsRequest(server, params)
//	}, func(body *EventList) ([]Event, string) {
//		return body.Events, sdk.Deref(body.Next)
//	}, opts...)
func NextURLPager[P, T any](ctx context.Context, c *sdk.Client, op *sdk.Operation, build RequestBuilder,
	page func(body *P) (items []T, next string),
	opts ...sdk.Option,
) *sdk.Pager[T] {
	return urlPager(ctx, c, op, build, opts, func(body *P, _ *http.Response) ([]T, string) {
		return page(body)
	})
}

func urlPager[P, T any](ctx context.Context, c *sdk.Client, op *sdk.Operation, build RequestBuilder, opts []sdk.Option,
	page func(*P, *http.Response) ([]T, string),
) *sdk.Pager[T] {
	return httpPager(ctx, c, op, opts, func(ctx context.Context, pos string, call []sdk.Option) (sdk.Page[T], error) {
		var invalid error
		b := build
		if pos != "" {
			b = func(server string) (*http.Request, error) {
				req, err := build(server)
				if err != nil {
					return nil, err
				}
				u, bad := sdk.Impl.URLPosition(pos, req.URL)
				if bad != nil {
					invalid = bad
					return nil, invalid
				}
				req.URL, req.Host = u, u.Host
				return req, nil
			}
		}
		body, resp, err := fetchBody[P](ctx, c, op, b, call)
		if err != nil {
			if invalid != nil && errors.Is(err, invalid) {
				return sdk.Page[T]{}, invalid
			}
			return sdk.Page[T]{}, err
		}
		items, next := page(body, resp)
		if next != "" && resp.Request != nil && resp.Request.URL != nil {
			next = sdk.Impl.NextURL(c, call, resp.Request.URL, next)
		}
		return sdk.Page[T]{Items: items, Next: next, Body: body}, nil
	})
}

// httpPager builds a Pager whose pages are calls of op through c: pager
// options configure it and the other options apply to every call. It stops
// prefetching when c is closed.
func httpPager[T any](ctx context.Context, c *sdk.Client, op *sdk.Operation, opts []sdk.Option,
	fetch func(ctx context.Context, pos string, call []sdk.Option) (sdk.Page[T], error),
) *sdk.Pager[T] {
	call, popts := sdk.Impl.PagerOptions(c, op, opts)
	return sdk.NewPager(ctx, func(ctx context.Context, pos string) (sdk.Page[T], error) {
		return fetch(ctx, pos, call)
	}, popts...)
}

// fetchBody runs one call and decodes its JSON body into a new P. The
// response is returned for its headers and URL; its body is closed.
func fetchBody[P any](ctx context.Context, c *sdk.Client, op *sdk.Operation, build RequestBuilder, call []sdk.Option) (*P, *http.Response, error) {
	resp, err := Do(ctx, c, op, build, call...)
	if err != nil {
		return nil, nil, err
	}
	body, err := DecodeJSON[P](resp)
	if err != nil {
		return nil, nil, err
	}
	return body, resp, nil
}

// CopyParams returns a new *T holding a shallow copy of *p, or the zero T
// when p is nil. Generated pagers set the position parameter on the copy,
// so the caller's parameters are never changed.
func CopyParams[T any](p *T) *T {
	c := new(T)
	if p != nil {
		*c = *p
	}
	return c
}

// LastItemCursor returns the cursor of the page after items when the
// cursor is the id of a page's last item (Stripe's starting_after): the
// id of the last item, or "" when more is false or there are no items.
// Without a has-more field, pass true: the list then ends at an empty
// page.
func LastItemCursor[T any](items []T, more bool, id func(T) string) string {
	if !more || len(items) == 0 {
		return ""
	}
	return id(items[len(items)-1])
}
