package graphql

import (
	"context"

	"github.com/sdkgen-go/sdkgen/sdk"
)

// Pager returns the [sdk.Pager] of a Relay connection (first/after
// arguments, pageInfo { hasNextPage endCursor }), the same iterator REST
// lists return. Generated methods call it: fetch runs the operation for
// the page after cursor ("" for the first page) with the call options, and
// page returns the items of a response and the cursor of the next page, ""
// after the last (hasNextPage false). opts holds pager options
// ([sdk.WithMaxItems], [sdk.WithStartAt], [sdk.WithPrefetch]) and call
// options, which apply to every page's request.
//
// A page whose response carried GraphQL errors stops the pager with its
// [*ResponseError], even when data came with them.
func Pager[R, T any](ctx context.Context,
	fetch func(ctx context.Context, cursor string, opts []sdk.Option) (*R, error),
	page func(resp *R) (items []T, next string),
	opts ...sdk.Option,
) *sdk.Pager[T] {
	var popts []sdk.PagerOption
	call := make([]sdk.Option, 0, len(opts))
	for _, o := range opts {
		if po, ok := o.(sdk.PagerOption); ok {
			popts = append(popts, po)
		} else {
			call = append(call, o)
		}
	}
	return sdk.NewPager(ctx, func(ctx context.Context, cursor string) (sdk.Page[T], error) {
		r, err := fetch(ctx, cursor, call)
		if err != nil {
			return sdk.Page[T]{}, err
		}
		items, next := page(r)
		return sdk.Page[T]{Items: items, Next: next, Body: r}, nil
	}, popts...)
}

// Cursor returns the value of a nullable cursor argument for a position:
// nil for the first page (""), else a pointer to cursor.
func Cursor(cursor string) *string {
	if cursor == "" {
		return nil
	}
	return &cursor
}
