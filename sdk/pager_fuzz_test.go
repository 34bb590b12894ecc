package sdk

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzPagePosition: a next-page reference from a server (Link target or
// body field), resolved and checked as a URL pager does, is either refused
// with a PaginationError of ErrInvalidPosition or followed on the origin of
// the first request, never another; a URL on that origin is never refused;
// the check is stable (what was followed is followed again as it is); and
// the error names the position without its query. Offset and page-number
// positions accept exactly the non-negative decimal integers.
func FuzzPagePosition(f *testing.F) {
	for _, s := range [][2]string{
		{"https://api.example.com/v1/items?limit=10", "https://api.example.com/v1/items?page=2"},
		{"https://api.example.com/v1/items", "/v1/items?cursor=abc"},
		{"https://api.example.com/v1/items", "?page=3"},
		{"https://api.example.com/v1/items", "//evil.example/v1/items"},
		{"https://api.example.com/v1/items", "https://api.example.com:443/x"},
		{"https://api.example.com/v1/items", "HTTPS://API.EXAMPLE.COM/x"},
		{"http://127.0.0.1:8080/x", "http://127.0.0.1:8081/x"},
		{"http://[::1]:80/x", "http://[::1]/y?token=SECRET"},
		{"https://api.example.com/", "https://user:pw@api.example.com/x"},
		{"https://api.example.com/", "https://api.example.com.evil.test/x"},
		{"https://api.example.com/", "javascript:alert(1)"},
		{"https://api.example.com/", "http://api.example.com/x"},
		{"https://api.example.com/", "https://api.example.com%2F@evil.test/"},
		{"https://api.example.com/", "https://%61pi.example.com/"},
		{"https://api.example.com/", "42"},
		{"https://api.example.com/", "-1"},
		{"https://api.example.com/", "+7"},
		{"https://api.example.com/", "99999999999999999999"},
		{"https://api.example.com/", "https://api.example.com\x00/"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, first, ref string) {
		fu, err := url.Parse(first)
		if err != nil || (fu.Scheme != "http" && fu.Scheme != "https") || fu.Host == "" {
			return // the first request's URL is the client's own
		}
		next := resolveNext(fu, ref)
		u, perr := urlPosition(next, fu)
		if (u == nil) == (perr == nil) {
			t.Fatalf("urlPosition(%q) = %v, %v", next, u, perr)
		}
		if perr != nil {
			if !errors.Is(perr, ErrInvalidPosition) {
				t.Fatalf("error %v is not ErrInvalidPosition", perr)
			}
			msg := perr.Error()
			checkOneLine(t, msg)
			if pu, err := url.Parse(next); err == nil && pu.Scheme != "" && pu.Host != "" && pu.RawQuery != "" && strings.Contains(msg, "?"+pu.RawQuery) {
				t.Fatalf("the query of %q is in %q", next, msg)
			}
			// A URL on the first request's origin is never refused.
			if pu, err := url.Parse(next); err == nil && (pu.Scheme == "http" || pu.Scheme == "https") && pu.Host != "" && originOf(pu) == originOf(fu) {
				t.Fatalf("%q, on the origin of %q, refused: %v", next, first, perr)
			}
		} else {
			if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || originOf(u) != originOf(fu) {
				t.Fatalf("followed %q (origin %v) from %q (origin %v)", u, originOf(u), first, originOf(fu))
			}
			// What is requested is what was checked: the URL written out
			// and read again has the same origin, and is followed again.
			again, perr := urlPosition(u.String(), fu)
			if perr != nil || again.String() != u.String() || originOf(again) != originOf(fu) {
				t.Fatalf("%q followed, but written as %q: %v, %v", next, u.String(), again, perr)
			}
		}
		// Number positions: exactly the non-negative integers, which
		// read back as written.
		n, nerr := numberPosition(ref)
		v, err := strconv.Atoi(ref)
		if want := err == nil && v >= 0; want != (nerr == nil) {
			t.Fatalf("numberPosition(%q) = %d, %v", ref, n, nerr)
		}
		if nerr == nil {
			if m, err := numberPosition(strconv.Itoa(n)); err != nil || m != n {
				t.Fatalf("%d written and read back: %d, %v", n, m, err)
			}
		} else {
			checkOneLine(t, nerr.Error())
		}
	})
}

// FuzzPagerPositions walks a pager over pages whose next positions the
// fuzzer picks (opaque cursors from a body, repeats included), breaks at
// some item, and resumes with WithStartAt(Position()). The walk yields
// every item of every page reached once, in order, and stops with
// ErrRepeatedPosition exactly when a position comes back that the pager
// remembers (one of the last 16 fetched, or the one fetched at the last
// power of two of its page count), so that no list of these at most 64
// positions pages for ever; the resumed pager starts at the page of the
// break, or the next one when the break came after a page's last item,
// and goes on as the first walk did: nothing is lost.
func FuzzPagerPositions(f *testing.F) {
	f.Add("a\nb\nc", uint8(1), uint8(2))
	f.Add("a\nb\na", uint8(0), uint8(9))
	f.Add("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n1", uint8(2), uint8(200))
	f.Add("x\nx", uint8(3), uint8(0))
	f.Add("\n", uint8(1), uint8(1))
	f.Add("https://api.example.com/items?page=2\nhttps://api.example.com/items?page=3", uint8(2), uint8(3))
	f.Fuzz(func(t *testing.T, spec string, perPage, stopAt uint8) {
		// Page i sits at position pos[i] ("" for the first) and points to
		// pos[i+1]; an empty position ends the list. A position written
		// twice is one page, the first.
		pos := append([]string{""}, strings.Split(spec, "\n")...)
		if len(pos) > 64 {
			pos = pos[:64]
		}
		size := int(perPage%4) + 1
		pageAt := map[string]int{}
		for i, p := range pos {
			if _, ok := pageAt[p]; !ok {
				pageAt[p] = i
			}
		}
		item := func(page, k int) string { return strconv.Itoa(page) + "." + strconv.Itoa(k) }
		fetch := func(_ context.Context, p string) (Page[string], error) {
			i, ok := pageAt[p]
			if !ok {
				t.Fatalf("fetched %q, which no page gave", p)
			}
			page := Page[string]{}
			if i+1 < len(pos) {
				page.Next = pos[i+1]
			}
			for k := range size {
				page.Items = append(page.Items, item(i, k))
			}
			return page, nil
		}
		// What the pager should do: follow the positions until "", or
		// until one repeats one of the last recentPositions fetched or the
		// mark (the position of page 1, 2, 4, 8, ...: Brent's cycle
		// detection), which must happen within maxPages pages.
		maxPages := 4*len(pos) + recentPositions
		var want []string
		var wantErr error
		var fetched []string
		endless := true
		mark := ""
		for i, n := 0, 1; n <= maxPages; n++ {
			for k := range size {
				want = append(want, item(i, k))
			}
			if n > 1 {
				fetched = append(fetched, pos[i])
			}
			if n&(n-1) == 0 {
				mark = pos[i]
			}
			next := ""
			if i+1 < len(pos) {
				next = pos[i+1]
			}
			if next == "" {
				endless = false
				break
			}
			if next == mark || slices.Contains(fetched[max(0, len(fetched)-recentPositions):], next) {
				wantErr, endless = ErrRepeatedPosition, false
				break
			}
			i = pageAt[next]
		}
		if endless {
			t.Fatalf("positions %q: the model pages for ever", pos)
		}
		// read walks a pager, up to len(want) items when the list is
		// endless, or until it stops after stop items (0: never).
		read := func(p *Pager[string], stop int) ([]string, error) {
			var got []string
			for it, err := range p.All() {
				if err != nil {
					return got, err
				}
				got = append(got, it)
				if len(got) == stop || endless && len(got) == len(want) {
					break
				}
			}
			return got, nil
		}
		got, err := read(NewPager(context.Background(), fetch), 0)
		if !slices.Equal(got, want) || !errors.Is(err, wantErr) || (wantErr == nil) != (err == nil) {
			t.Fatalf("positions %q: items %v, %v; want %v, %v", pos, got, err, want, wantErr)
		}
		var pe *PaginationError
		if err != nil && (!errors.As(err, &pe) || pe.Position == "") {
			t.Fatalf("error %v names no position", err)
		}
		// Break after stop items (at least one), resume from Position().
		stop := 1 + int(stopAt)%len(want)
		p := NewPager(context.Background(), fetch)
		before, _ := read(p, stop)
		if done := stop == len(want) && !endless && wantErr == nil; p.Done() != done || done && p.Position() != "" {
			t.Fatalf("after %d of %d items: done %v, position %q", stop, len(want), p.Done(), p.Position())
		}
		if p.Done() {
			return
		}
		from := (stop - 1) / size * size // the first item of the page of the break
		if stop%size == 0 {
			from = stop // the break came after the page's last item
		}
		if from == len(want) {
			// Broken after the last item before a repeat: the position
			// is the repeated one, with which a new pager starts afresh.
			if wantErr == nil && !endless {
				t.Fatalf("position %q after the last item", p.Position())
			}
			return
		}
		after, _ := read(NewPager(context.Background(), fetch, WithStartAt(p.Position())), 0)
		n := len(want) - from
		if len(after) < n || !slices.Equal(after[:n], want[from:]) {
			t.Fatalf("positions %q, broken after %v at %q: resumed with %v, want %v first", pos, before, p.Position(), after, want[from:])
		}
	})
}
