package sdk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/sdkgen-go/sdkgen/sdk/internal/running"
)

// The Pager over fetch functions: single use, positions, caps, cycles.
// The pagers generated code builds over a Client's calls, one per
// pagination style, are tested in package sdkimpl.

// Pager options are refused by calls that do not paginate and by
// NewClient.
func TestPagerOptionsElsewhere(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, WithoutRetries())
	_, err := c.do(t.Context(), &Operation{ID: "listItems", Method: http.MethodGet, Path: "/items"}, func(server string) (*http.Request, error) {
		return http.NewRequest(http.MethodGet, server, nil)
	}, WithPrefetch())
	var oe *OptionError
	if !errors.As(err, &oe) || oe.Option != "WithPrefetch" {
		t.Errorf("call with WithPrefetch: %v", err)
	}
	if _, err := NewClient(srv.URL, WithMaxItems(3)); !errors.As(err, &oe) || oe.Option != "WithMaxItems" {
		t.Errorf("NewClient with WithMaxItems: %v", err)
	}
}

// fakePages is a fetch function over pages held in memory: cursors are
// page indexes.
func fakePages(pages ...[]int) (func(context.Context, string) (Page[int], error), *atomic.Int32) {
	var calls atomic.Int32
	return func(ctx context.Context, cursor string) (Page[int], error) {
		calls.Add(1)
		k := 0
		if cursor != "" {
			var err error
			if k, err = strconv.Atoi(cursor); err != nil || k >= len(pages) {
				return Page[int]{}, fmt.Errorf("bad cursor %q", cursor)
			}
		}
		next := ""
		if k+1 < len(pages) {
			next = strconv.Itoa(k + 1)
		}
		return Page[int]{Items: pages[k], Next: next}, nil
	}, &calls
}

func TestPagerAllIsSingleUse(t *testing.T) {
	fetch, calls := fakePages([]int{1, 2}, []int{3})
	p := NewPager(t.Context(), fetch)
	var got []int
	for v, err := range p.All() {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if !slices.Equal(got, []int{1, 2, 3}) || !p.Done() {
		t.Fatalf("got %v, Done %v", got, p.Done())
	}
	for _, again := range []func(){
		func() {
			var errs []error
			for _, err := range p.All() {
				errs = append(errs, err)
			}
			if len(errs) != 1 || !errors.Is(errs[0], ErrPagerUsed) {
				t.Errorf("second All: %v", errs)
			}
		},
		func() {
			var errs []error
			for _, err := range p.Pages() {
				errs = append(errs, err)
			}
			if len(errs) != 1 || !errors.Is(errs[0], ErrPagerUsed) {
				t.Errorf("Pages after All: %v", errs)
			}
		},
		func() {
			if _, err := p.NextPage(t.Context()); !errors.Is(err, ErrPagerUsed) {
				t.Errorf("NextPage after All: %v", err)
			}
		},
	} {
		again()
	}
	if calls.Load() != 2 {
		t.Errorf("%d fetches", calls.Load())
	}
}

// An iterator yields an error once and ends, even when the loop goes on.
func TestPagerYieldsErrorOnce(t *testing.T) {
	boom := errors.New("boom")
	var calls int
	p := NewPager(t.Context(), func(ctx context.Context, pos string) (Page[string], error) {
		calls++
		if pos == "" {
			return Page[string]{Items: []string{"a"}, Next: "2"}, nil
		}
		return Page[string]{}, boom
	})
	var got []string
	for v, err := range p.All() {
		if err != nil {
			got = append(got, "error:"+err.Error())
			continue
		}
		got = append(got, v)
	}
	if !slices.Equal(got, []string{"a", "error:boom"}) || calls != 2 {
		t.Errorf("got %q after %d fetches", got, calls)
	}
	if p.Position() != "2" || p.Done() {
		t.Errorf("Position %q, Done %v", p.Position(), p.Done())
	}
}

func TestPagerNextPage(t *testing.T) {
	fetch, calls := fakePages([]int{1, 2}, []int{}, []int{3})
	p := NewPager(t.Context(), fetch, WithMaxItems(1)) // not applied to NextPage
	var got []int
	var nexts []string
	for !p.Done() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page.Items...)
		nexts = append(nexts, page.Next)
		if page.Next != p.Position() {
			t.Errorf("Next %q, Position %q", page.Next, p.Position())
		}
	}
	if !slices.Equal(got, []int{1, 2, 3}) || !slices.Equal(nexts, []string{"1", "2", ""}) {
		t.Errorf("items %v, nexts %q", got, nexts)
	}
	if _, err := p.NextPage(t.Context()); !errors.Is(err, ErrNoMorePages) {
		t.Errorf("after the last page: %v", err)
	}
	if calls.Load() != 3 {
		t.Errorf("%d fetches", calls.Load())
	}
	// NextPage, then All for the rest.
	fetch, _ = fakePages([]int{1}, []int{2}, []int{3})
	p = NewPager(t.Context(), fetch)
	if _, err := p.NextPage(t.Context()); err != nil {
		t.Fatal(err)
	}
	got = nil
	for v, err := range p.All() {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if !slices.Equal(got, []int{2, 3}) {
		t.Errorf("All after NextPage: %v", got)
	}
}

// A failed NextPage leaves the pager where it was: calling again retries.
func TestPagerNextPageRetries(t *testing.T) {
	fail := true
	p := NewPager(t.Context(), func(ctx context.Context, pos string) (Page[int], error) {
		if pos == "b" && fail {
			fail = false
			return Page[int]{}, errors.New("flaky")
		}
		if pos == "" {
			return Page[int]{Items: []int{1}, Next: "b"}, nil
		}
		return Page[int]{Items: []int{2}}, nil
	})
	if _, err := p.NextPage(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := p.NextPage(t.Context()); err == nil || p.Position() != "b" {
		t.Fatalf("err %v, Position %q", err, p.Position())
	}
	page, err := p.NextPage(t.Context())
	if err != nil || !slices.Equal(page.Items, []int{2}) || !p.Done() {
		t.Fatalf("retry: %v, %v, Done %v", page, err, p.Done())
	}
}

// Position follows delivery: inside the loop it covers the current item.
func TestPagerPositionFollowsDelivery(t *testing.T) {
	fetch, _ := fakePages([]int{1, 2, 3}, []int{}, []int{4, 5})
	p := NewPager(t.Context(), fetch)
	var positions []string
	for v, err := range p.All() {
		if err != nil {
			t.Fatal(err)
		}
		positions = append(positions, fmt.Sprintf("%d@%q", v, p.Position()))
	}
	want := []string{`1@""`, `2@""`, `3@"1"`, `4@"2"`, `5@""`}
	if !slices.Equal(positions, want) {
		t.Errorf("positions %v, want %v", positions, want)
	}
	if !p.Done() {
		t.Error("not Done")
	}
}

func TestPagerPagesWithCap(t *testing.T) {
	fetch, calls := fakePages([]int{1, 2, 3}, []int{4, 5, 6}, []int{7})
	p := NewPager(t.Context(), fetch, WithMaxItems(5), WithPrefetch())
	var pages [][]int
	for page, err := range p.Pages() {
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, page.Items)
	}
	if len(pages) != 2 || !slices.Equal(pages[1], []int{4, 5}) || calls.Load() != 2 {
		t.Errorf("pages %v after %d fetches", pages, calls.Load())
	}
	if p.Position() != "1" || p.Done() {
		t.Errorf("Position %q, Done %v", p.Position(), p.Done())
	}
}

func TestPagerStartAt(t *testing.T) {
	fetch, _ := fakePages([]int{1}, []int{2}, []int{3})
	p := NewPager(t.Context(), fetch, WithStartAt("1"))
	if p.Position() != "1" {
		t.Errorf("Position before any fetch: %q", p.Position())
	}
	var got []int
	for v, err := range p.All() {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if !slices.Equal(got, []int{2, 3}) {
		t.Errorf("got %v", got)
	}
}

func TestPagerBadConfig(t *testing.T) {
	var oe *OptionError
	p := NewPager(t.Context(), func(context.Context, string) (Page[int], error) {
		t.Error("fetched")
		return Page[int]{}, nil
	}, WithMaxItems(0))
	for _, err := range p.All() {
		if !errors.As(err, &oe) {
			t.Errorf("WithMaxItems(0): %v", err)
		}
	}
	if _, err := p.NextPage(t.Context()); !errors.As(err, &oe) {
		t.Errorf("NextPage with WithMaxItems(0): %v", err)
	}
	var nilFetch func(context.Context, string) (Page[int], error)
	if _, err := NewPager(context.Background(), nilFetch).NextPage(context.Background()); err == nil {
		t.Error("nil fetch accepted")
	}
}

// The repeated-position window catches short cycles, not just a position
// handed out twice in a row.
func TestPagerRepeatedCycle(t *testing.T) {
	next := map[string]string{"": "a", "a": "b", "b": "c", "c": "a"}
	var calls int
	p := NewPager(t.Context(), func(ctx context.Context, pos string) (Page[int], error) {
		calls++
		return Page[int]{Items: []int{calls}, Next: next[pos]}, nil
	}, WithPrefetch())
	var errs []error
	for _, err := range p.All() {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) != 1 || !errors.Is(errs[0], ErrRepeatedPosition) || calls != 4 {
		t.Fatalf("errors %v after %d fetches", errs, calls)
	}
	if n := running.Prefetches.Load(); n != 0 {
		t.Errorf("%d prefetch goroutines left", n)
	}
}

// A server whose cursors cycle through more positions than the pager's
// window of recent ones (16) still does not page for ever: the pager also
// keeps the position it fetched at every power of two (Brent's cycle
// detection, constant memory), and stops with ErrRepeatedPosition within
// two turns of any cycle. Before, a cycle of 17 positions or more paged
// for ever.
func TestLongCursorCycleStops(t *testing.T) {
	for _, cycle := range []int{17, 40, 1000} {
		t.Run(strconv.Itoa(cycle), func(t *testing.T) {
			fetches := 0
			fetch := func(_ context.Context, pos string) (Page[int], error) {
				fetches++
				n := 0
				if pos != "" {
					n, _ = strconv.Atoi(pos)
				}
				return Page[int]{Items: []int{n}, Next: strconv.Itoa((n + 1) % cycle)}, nil
			}
			var err error
			items := 0
			for _, e := range NewPager(context.Background(), fetch).All() {
				if e != nil {
					err = e
					break
				}
				if items++; items > 10*cycle {
					break
				}
			}
			var pe *PaginationError
			if !errors.As(err, &pe) || !errors.Is(err, ErrRepeatedPosition) {
				t.Fatalf("after %d pages: %v; want ErrRepeatedPosition", fetches, err)
			}
			if fetches > 3*cycle {
				t.Errorf("a cycle of %d stopped after %d pages, more than three turns", cycle, fetches)
			}
			t.Logf("a cycle of %d positions stopped after %d pages at %q", cycle, fetches, pe.Position)
		})
	}
}
