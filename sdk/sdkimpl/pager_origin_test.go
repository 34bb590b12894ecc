package sdkimpl_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

// originServer serves 7 items, 3 a page, at /me/shows, with next URLs on
// the origin the API's spec names (https://api.example.com/v1), as a mock
// server or a recorded API answers: a client pointed at it pages through
// only with WithNextPagesOnOwnOrigin. It fails any request that does not
// come at the path it serves.
func originServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/me/shows" {
			http.Error(w, "no such path "+r.URL.Path, http.StatusNotFound)
			return
		}
		off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		var page []item
		for i := off + 1; i <= min(7, off+3); i++ {
			page = append(page, item{ID: i})
		}
		body := map[string]any{"items": page}
		if off+3 < 7 {
			body["next"] = fmt.Sprintf("https://api.example.com/v1/me/shows?offset=%d&limit=3", off+3)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

type showsPage struct {
	Items []item `json:"items"`
	Next  string `json:"next"`
}

func listShows(ctx context.Context, c *sdk.Client, opts ...sdk.Option) *sdk.Pager[item] {
	op := &sdk.Operation{ID: "get-shows", Method: http.MethodGet, Path: "/me/shows"}
	return sdkimpl.NextURLPager(ctx, c, op, func(server string) (*http.Request, error) {
		return http.NewRequest(http.MethodGet, server+"me/shows", nil)
	}, func(p *showsPage) ([]item, string) { return p.Items, p.Next }, opts...)
}

func TestNextPagesOnOwnOrigin(t *testing.T) {
	srv := originServer(t)
	ctx := context.Background()

	// By default a next URL on another origin stops the list.
	c := newPagerClient(t, srv.URL)
	ids, errs := collect(listShows(ctx, c))
	var pe *sdk.PaginationError
	if !slices.Equal(ids, seq(1, 3)) || len(errs) != 1 || !errors.As(errs[0], &pe) || !errors.Is(errs[0], sdk.ErrInvalidPosition) {
		t.Fatalf("default: ids %v, errors %v", ids, errs)
	}

	// Asked for, by the call or by the client, the pager requests the same
	// path, less the server's /v1, on the client's origin.
	if ids, errs := collect(listShows(ctx, c, sdk.WithNextPagesOnOwnOrigin())); !slices.Equal(ids, seq(1, 7)) || errs != nil {
		t.Errorf("call option: ids %v, errors %v", ids, errs)
	}
	own, err := sdk.NewClient(srv.URL, sdk.WithoutRetries(), sdk.WithNextPagesOnOwnOrigin())
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	p := listShows(ctx, own)
	if ids, errs := collect(p); !slices.Equal(ids, seq(1, 7)) || errs != nil {
		t.Errorf("client option: ids %v, errors %v", ids, errs)
	}
}

// The next cursor may come in a response header.
func TestHeaderCursorPager(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
		var page []item
		for i := start + 1; i <= min(10, start+4); i++ {
			page = append(page, item{ID: i})
		}
		if start+4 < 10 {
			w.Header().Set("X-Next-Cursor", strconv.Itoa(start+4))
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"data": page})
	}))
	defer srv.Close()
	c := newPagerClient(t, srv.URL)
	type pageBody struct {
		Data []item `json:"data"`
	}
	requests := 0
	p := sdkimpl.HeaderCursorPager(context.Background(), c, &sdk.Operation{ID: "list", Method: http.MethodGet},
		func(server, cursor string) (*http.Request, error) {
			requests++
			u := server + "items"
			if cursor != "" {
				u += "?cursor=" + cursor
			}
			return http.NewRequest(http.MethodGet, u, nil)
		}, func(b *pageBody, h http.Header) ([]item, string) { return b.Data, h.Get("X-Next-Cursor") })
	if ids, errs := collect(p); !slices.Equal(ids, seq(1, 10)) || errs != nil || requests != 3 {
		t.Errorf("ids %v, errors %v, %d requests", ids, errs, requests)
	}
}
