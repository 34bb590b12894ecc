package paging_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/sdkgen-go/sdkgen/internal/testsdk/paging"
	"github.com/sdkgen-go/sdkgen/sdk"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// total items, served perPage at a time by every endpoint.
const total, perPage = 23, 5

func items() []map[string]any {
	out := make([]map[string]any, total)
	for i := range out {
		out[i] = map[string]any{"id": fmt.Sprintf("i%02d", i+1), "name": fmt.Sprintf("item %d", i+1)}
	}
	return out
}

func wantIDs() []string {
	var out []string
	for _, it := range items() {
		out = append(out, it["id"].(string))
	}
	return out
}

// server pages the same items the way each API of paging.yaml does, and
// counts the requests.
type server struct {
	*httptest.Server
	requests atomic.Int32
}

func newServer(t *testing.T) *server {
	s := &server{}
	all := items()
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		q := r.URL.Query()
		num := func(name string, def int) int {
			if v := q.Get(name); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil {
					http.Error(w, "bad "+name, http.StatusBadRequest)
					panic(http.ErrAbortHandler)
				}
				return n
			}
			return def
		}
		slice := func(start int) ([]map[string]any, int) {
			start = min(start, len(all))
			end := min(len(all), start+perPage)
			return all[start:end], end
		}
		// An opaque cursor: the next index, encoded.
		cursorOf := func(end int) string {
			if end >= len(all) {
				return ""
			}
			return "c" + strconv.Itoa(end)
		}
		fromCursor := func(name string) int {
			c := q.Get(name)
			if c == "" {
				return 0
			}
			n, err := strconv.Atoi(c[1:])
			if c[0] != 'c' || err != nil {
				http.Error(w, "bad cursor", http.StatusBadRequest)
				panic(http.ErrAbortHandler)
			}
			return n
		}
		var body any
		switch r.URL.Path {
		case "/conversations", "/invites":
			page, end := slice(fromCursor("cursor"))
			key := map[string]string{"/conversations": "channels", "/invites": "invites"}[r.URL.Path]
			body = map[string]any{"ok": true, key: page, "response_metadata": map[string]any{"next_cursor": cursorOf(end)}}
		case "/folders":
			page, end := slice(fromCursor("marker"))
			var next any
			if c := cursorOf(end); c != "" {
				next = c
			}
			body = map[string]any{"entries": page, "next_marker": next, "limit": perPage,
				"order": []any{map[string]any{"by": "name", "direction": "ASC"}}}
		case "/collaborations":
			off := num("offset", 0)
			page, _ := slice(off)
			body = map[string]any{"entries": page, "total_count": len(all), "offset": off, "limit": perPage}
		case "/browse/new-releases":
			off := num("offset", 0)
			page, end := slice(off)
			var next any
			if end < len(all) {
				next = fmt.Sprintf("%s/browse/new-releases?offset=%d&limit=%d", s.URL, end, perPage)
			}
			body = map[string]any{"albums": map[string]any{"items": page, "next": next, "offset": off, "limit": perPage, "total": len(all)}}
		case "/me/following":
			if q.Get("type") != "artist" {
				http.Error(w, "type is required", http.StatusBadRequest)
				return
			}
			page, end := slice(fromCursor("after"))
			var after any
			if c := cursorOf(end); c != "" {
				after = c
			}
			body = map[string]any{"artists": map[string]any{"items": page, "cursors": map[string]any{"after": after}, "total": len(all)}}
		case "/me/player/recently-played":
			// after is a time in milliseconds: here, 1000 × the index.
			page, end := slice(num("after", 0) / 1000)
			cursors := map[string]any{}
			if end < len(all) {
				cursors["after"] = strconv.Itoa(end * 1000)
			}
			body = map[string]any{"items": page, "cursors": cursors, "limit": perPage}
		case "/team.accessLogs":
			n := num("page", 1)
			page, _ := slice((n - 1) * perPage)
			body = map[string]any{"ok": true, "logins": page, "paging": map[string]any{"count": perPage, "page": n, "pages": (len(all) + perPage - 1) / perPage, "total": len(all)}}
		case "/linode/volumes":
			n := num("page", 1)
			page, _ := slice((n - 1) * perPage)
			body = map[string]any{"data": page, "page": n, "pages": (len(all) + perPage - 1) / perPage, "results": len(all)}
		case "/Accounts.json":
			// Twilio: the next page is a relative URI with a page token.
			start := 0
			if tok := q.Get("PageToken"); tok != "" {
				start, _ = strconv.Atoi(tok[2:])
			}
			page, end := slice(start)
			var next any
			if end < len(all) {
				next = fmt.Sprintf("/Accounts.json?PageSize=%d&Page=%d&PageToken=PA%d", perPage, end/perPage, end)
			}
			body = map[string]any{"accounts": page, "next_page_uri": next, "page": start / perPage, "page_size": perPage}
		case "/tasks":
			page, end := slice(num("offset", 0))
			body = map[string]any{"results": page, "has_more": end < len(all)}
		case "/repos/issues":
			n := num("page", 1)
			page, end := slice((n - 1) * perPage)
			if end < len(all) {
				next := *r.URL
				next.Scheme, next.Host = "http", r.Host
				nq := next.Query()
				nq.Set("page", strconv.Itoa(n+1))
				next.RawQuery = nq.Encode()
				w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next"`, next.String()))
			}
			body = page
		case "/search":
			page, _ := slice((num("page", 1) - 1) * perPage)
			body = map[string]any{"hits": page}
		case "/logs":
			page, _ := slice(num("offset", 0))
			body = page
		case "/audit":
			page, end := slice(fromCursor("cursor"))
			if c := cursorOf(end); c != "" {
				w.Header().Set("X-Next-Cursor", c)
			}
			body = map[string]any{"events": page}
		case "/me/shows", "/v1/me/shows":
			off := 0
			if v := q.Get("offset"); v != "" {
				off, _ = strconv.Atoi(v)
			}
			page, end := slice(off)
			var next any
			if end < len(all) {
				// The API's own origin, as recorded responses and mocks say.
				next = fmt.Sprintf("https://api.example.com/v1/me/shows?offset=%d&limit=%d", end, perPage)
			}
			body = map[string]any{"items": page, "next": next}
		case "/deployments":
			// Vercel: newest first, a page of those created before until;
			// next is the last one's creation, 13 digits of milliseconds
			// (a float32 would put it minutes off, skipping some).
			until := num("until", math.MaxInt)
			var page []map[string]any
			var next any
			for i, it := range all {
				if created := deployedAt(i); created < until {
					if len(page) == perPage {
						next = page[len(page)-1]["created"]
						break
					}
					page = append(page, map[string]any{"uid": it["id"], "created": created})
				}
			}
			body = map[string]any{"deployments": page, "pagination": map[string]any{"count": len(page), "next": next, "prev": nil}}
		case "/projects":
			page, end := slice(fromCursor("offset"))
			var next any
			if c := cursorOf(end); c != "" {
				next = map[string]any{"offset": c, "path": "/projects?offset=" + url.QueryEscape(c)}
			}
			body = map[string]any{"data": page, "next_page": next}
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(s.Close)
	return s
}

// deployedAt is the creation time of the ith item, in milliseconds,
// newest first and a second apart.
func deployedAt(i int) int { return 1609492210123 - i*1001 }

func collect[T any](t *testing.T, p *sdk.Pager[T], id func(T) string) []string {
	t.Helper()
	var out []string
	for it, err := range p.All() {
		if err != nil {
			t.Fatalf("after %d items: %v", len(out), err)
		}
		out = append(out, id(it))
	}
	return out
}

// Every operation of paging.yaml pages through all the items, one request
// per page: each way of paging is detected and generated right.
func TestDetectedPagers(t *testing.T) {
	srv := newServer(t)
	c, err := paging.NewClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	id := func(it paging.Item) string { return it.ID }
	pages := int32((total + perPage - 1) / perPage)
	for _, tc := range []struct {
		name  string
		ids   func() []string
		extra int32 // requests beyond one per page (an empty last page)
	}{
		{"Slack: cursor in response_metadata", func() []string { return collect(t, c.Default.ConversationsList(ctx, nil), id) }, 0},
		{"Slack: items and cursor only in the example", func() []string {
			return collect(t, c.Default.AdminInvitesList(ctx, nil), func(m map[string]interface{}) string { return m["id"].(string) })
		}, 0},
		{"Box: marker and next_marker", func() []string { return collect(t, c.Default.GetFoldersItems(ctx, nil), id) }, 0},
		{"Box: offset parameters by reference, total_count", func() []string { return collect(t, c.Default.GetCollaborations(ctx, nil), id) }, 0},
		{"Spotify: paging object inside the body", func() []string { return collect(t, c.Default.GetNewReleases(ctx, nil), id) }, 0},
		{"Spotify: cursor three objects down", func() []string {
			return collect(t, c.Default.GetFollowed(ctx, &paging.GetFollowedParams{Type: paging.GetFollowedTypeArtist}), id)
		}, 0},
		{"Spotify: integer cursor parameter", func() []string { return collect(t, c.Default.GetRecentlyPlayed(ctx, nil), id) }, 0},
		{"Slack: page numbers as strings", func() []string { return collect(t, c.Default.TeamAccessLogs(ctx, nil), id) }, 0},
		{"Linode: page and pages", func() []string { return collect(t, c.Default.GetVolumes(ctx, nil), id) }, 0},
		{"Twilio: relative next_page_uri", func() []string { return collect(t, c.Default.ListAccount(ctx, nil), id) }, 0},
		{"offset with has_more", func() []string { return collect(t, c.Default.ListTasks(ctx, nil), id) }, 0},
		{"GitHub: Link header", func() []string { return collect(t, c.Default.IssuesListForRepo(ctx, nil), id) }, 0},
		{"page alone: stops at an empty page", func() []string { return collect(t, c.Default.Search(ctx, nil), id) }, 1},
		{"offset and limit: stops at an empty page", func() []string { return collect(t, c.Default.ListLogs(ctx, nil), id) }, 1},
		{"cursor in a response header", func() []string { return collect(t, c.Default.ListAuditEvents(ctx, nil), id) }, 0},
		{"next URLs on the API's origin, followed on the client's", func() []string {
			return collect(t, c.Default.GetUsersSavedShows(ctx, nil, sdk.WithNextPagesOnOwnOrigin()), id)
		}, 0},
		{"Vercel: until and pagination.next, 13-digit timestamps", func() []string {
			return collect(t, c.Default.GetDeployments(ctx, nil), func(d paging.Deployment) string {
				// The times come out exact to the millisecond.
				if i, _ := strconv.Atoi(d.UID[1:]); float64(d.Created) != float64(deployedAt(i-1)) {
					t.Errorf("%s created %.0f, want %d", d.UID, d.Created, deployedAt(i-1))
				}
				return d.UID
			})
		}, 0},
		{"Asana: sdkgen.yaml rule, next_page.offset declared", func() []string { return collect(t, c.Default.GetProjects(ctx, nil), id) }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := srv.requests.Load()
			if got := tc.ids(); !slices.Equal(got, wantIDs()) {
				t.Errorf("items = %v", got)
			}
			if n := srv.requests.Load() - before; n != pages+tc.extra {
				t.Errorf("%d requests, want %d", n, pages+tc.extra)
			}
		})
	}
}

// Without the opt-in, a next URL on another origin than the client's stops
// the list with a typed error after the first page.
func TestNextURLOnAnotherOrigin(t *testing.T) {
	srv := newServer(t)
	c, err := paging.NewClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var got []string
	var errs []error
	for it, err := range c.Default.GetUsersSavedShows(context.Background(), nil).All() {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got = append(got, it.ID)
	}
	var pe *sdk.PaginationError
	if len(got) != perPage || len(errs) != 1 || !errors.As(errs[0], &pe) {
		t.Errorf("items %v, errors %v", got, errs)
	}
}
