package cache

import (
	"bytes"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func sampleEntry() *entry {
	return &entry{
		requestTime:  time.Unix(1700000000, 5),
		responseTime: time.Unix(1700000001, 7),
		status:       200,
		statusText:   "200 OK",
		header:       http.Header{"Etag": {`"x"`}, "Cache-Control": {"max-age=60", "private"}, "Content-Type": {"application/json"}},
		body:         []byte(`{"name":"Rex"}`),
	}
}

func TestEntryRoundTrip(t *testing.T) {
	e := sampleEntry()
	got, err := decodeEntry("k", e.encode())
	if err != nil {
		t.Fatal(err)
	}
	if !got.requestTime.Equal(e.requestTime) || !got.responseTime.Equal(e.responseTime) || got.status != e.status ||
		got.statusText != e.statusText || !reflect.DeepEqual(got.header, e.header) || !bytes.Equal(got.body, e.body) {
		t.Fatalf("round trip: %+v, want %+v", got, e)
	}
	names, err := decodeVary("v", encodeVary([]string{"Accept", "Accept-Language"}))
	if err != nil || !reflect.DeepEqual(names, []string{"Accept", "Accept-Language"}) {
		t.Fatalf("vary round trip: %v %v", names, err)
	}
}

// Every way of damaging a stored value is a CorruptEntryError.
func TestDamagedEntries(t *testing.T) {
	good := sampleEntry().encode()
	cases := map[string][]byte{
		"empty":       nil,
		"short":       good[:5],
		"magic":       append([]byte("xxxx"), good[4:]...),
		"version":     append(append([]byte(entryMagic), 9), good[5:]...),
		"truncated":   good[:len(good)-3],
		"flipped bit": append(append([]byte(nil), good[:20]...), append([]byte{good[20] ^ 1}, good[21:]...)...),
		"vary record": encodeVary([]string{"Accept"}),
	}
	// A value whose checksum is right but whose content lies about its
	// lengths.
	lying := []byte{0, 0, 0xc8, 0x01, 0x02, 'O', 'K', 0xff, 0xff, 0xff, 0xff, 0x0f}
	cases["lying lengths"] = seal(entryMagic, lying)
	for name, v := range cases {
		_, err := decodeEntry("k", v)
		var ce *CorruptEntryError
		if !errors.As(err, &ce) {
			t.Errorf("%s: %v, want a CorruptEntryError", name, err)
		}
	}
}

// FuzzDecodeEntry: no stored value panics the decoder or makes it
// allocate past the value's size; a value is either a CorruptEntryError or
// an entry, with a status in range, that encodes to bytes no longer than
// the value (so nothing was invented) and decodes from them to the same
// entry (so nothing was dropped). The bytes may differ: the decoder
// accepts varints written longer than they need be (0x80 0x00 for 0), and
// header fields come out of a map in any order.
func FuzzDecodeEntry(f *testing.F) {
	f.Add(sampleEntry().encode())
	f.Add(encodeVary([]string{"A"}))
	f.Add([]byte(entryMagic + "\x01\x00\x00\x00\x00"))
	f.Add([]byte{0, 0, 0xc8, 0x01, 0x02, 'O', 'K', 0xff, 0xff, 0xff, 0xff, 0x0f})
	one := &entry{status: 204, header: http.Header{"A": {""}}}
	f.Add(one.encode())
	f.Fuzz(func(t *testing.T, data []byte) {
		// Sealed, the data reaches the decoder past the checksum.
		for _, v := range [][]byte{data, seal(varyMagic, data)} {
			names, err := decodeVary("k", v)
			var ce *CorruptEntryError
			if err != nil {
				if !errors.As(err, &ce) || ce.Key != "k" {
					t.Fatalf("error %v", err)
				}
				continue
			}
			again := encodeVary(names)
			if len(again) > len(v) {
				t.Fatalf("vary record %q re-encoded longer", names)
			}
			if back, err := decodeVary("k", again); err != nil || !reflect.DeepEqual(back, names) {
				t.Fatalf("vary record %q re-encoded as %q: %v", names, back, err)
			}
		}
		for _, v := range [][]byte{data, seal(entryMagic, data)} {
			e, err := decodeEntry("k", v)
			var ce *CorruptEntryError
			if err != nil {
				if !errors.As(err, &ce) || ce.Key != "k" || e != nil {
					t.Fatalf("error %v, entry %v", err, e)
				}
				continue
			}
			if e.status < 100 || e.status > 999 || e.header == nil {
				t.Fatalf("entry %+v", e)
			}
			enc := e.encode()
			if len(enc) > len(v) {
				t.Fatalf("entry %+v re-encoded longer", e)
			}
			again, err := decodeEntry("k", enc)
			if err != nil || !again.requestTime.Equal(e.requestTime) || !again.responseTime.Equal(e.responseTime) ||
				again.status != e.status || again.statusText != e.statusText || !reflect.DeepEqual(again.header, e.header) || !bytes.Equal(again.body, e.body) {
				t.Fatalf("re-encoding changed the entry: %v", err)
			}
		}
	})
}

// FuzzCacheControl: directives are absent (-1) or durations within what
// RFC 9111 allows (delta-seconds capped at 2^31 s; max-stale without a
// value is unbounded); a directive repeated changes nothing (the first
// wins); and field lines read as one comma-separated line.
func FuzzCacheControl(f *testing.F) {
	for _, s := range []string{
		"max-age=60, must-revalidate", `private="Set-Cookie", max-age="30"`, "max-age=abc", "MAX-AGE=99999999999999999999",
		`no-cache="a, b", stale-if-error=86400`, "max-stale", "max-stale=5, min-fresh=3, only-if-cached, no-store",
		"public, s-maxage=10, proxy-revalidate", `x="\"", max-age=1`, "max-age=-1, max-age=5", ",,=,", "min-fresh=00007",
	} {
		f.Add(s, "max-age=0", true)
		f.Add(s, "", false)
	}
	f.Fuzz(func(t *testing.T, a, b string, request bool) {
		d := parseCacheControl(http.Header{"Cache-Control": {a}}, request)
		for name, v := range map[string]time.Duration{"max-age": d.maxAge, "min-fresh": d.minFresh, "stale-if-error": d.staleIfError, "max-stale": d.maxStale, "stale-while-revalidate": d.staleWhileRev} {
			if v != absent && (v < 0 || v > maxDelta) && !(name == "max-stale" && v == math.MaxInt64) {
				t.Fatalf("%s = %v from %q", name, v, a)
			}
		}
		if !request && (d.maxStale != absent || d.minFresh != absent || d.onlyIfCached) {
			t.Fatalf("request directives on a response: %+v", d)
		}
		if request && (d.mustRevalidate || d.public || d.private || d.staleWhileRev != absent) {
			t.Fatalf("response directives on a request: %+v", d)
		}
		if again := parseCacheControl(http.Header{"Cache-Control": {a, a}}, request); again != d {
			t.Fatalf("%q twice: %+v, once: %+v", a, again, d)
		}
		if !strings.Contains(a, `"`) {
			lines := parseCacheControl(http.Header{"Cache-Control": {a, b}}, request)
			joined := parseCacheControl(http.Header{"Cache-Control": {a + "," + b}}, request)
			if lines != joined {
				t.Fatalf("%q and %q: %+v as two lines, %+v as one", a, b, lines, joined)
			}
		}
	})
}

// FuzzFreshness: whatever Date, Age, Expires, Last-Modified and
// Cache-Control a server sent, a stored response's age and freshness
// lifetime are never negative, its age only grows with time, and it is
// served from the cache (fresh, or stale when allowed) only as RFC 9111
// permits, with an Age header that is a non-negative number.
func FuzzFreshness(f *testing.F) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	date := now.Format(http.TimeFormat)
	for _, s := range [][5]string{
		{date, "", "", "", "max-age=60"},
		{date, "30", "", "", "max-age=60"},
		{date, "", now.Add(time.Hour).Format(http.TimeFormat), "", ""},
		{date, "", "0", "", ""},
		{date, "", "", now.Add(-240 * time.Hour).Format(http.TimeFormat), ""},
		{"Mon, 01 Jan 0001 00:00:00 GMT", "", "", "", "max-age=60"},
		{"Fri, 31 Dec 9999 23:59:59 GMT", "", "", "", "max-age=60"},
		{date, "99999999999999999999", "", "", "max-age=99999999999"},
		{"", "", "Thu, 01 Jan 1970 00:00:00 GMT", "", "stale-if-error=60"},
		{"garbage", "-5", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "no-cache, must-revalidate"},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4], "", uint16(200), int64(0), int64(1e9), uint32(10))
		f.Add(s[0], s[1], s[2], s[3], s[4], "max-stale, min-fresh=5", uint16(404), int64(-1e9), int64(0), uint32(0))
	}
	f.Fuzz(func(t *testing.T, dateH, ageH, expiresH, lastModH, ccH, reqCC string, status uint16, reqOff, respOff int64, resident uint32) {
		h := http.Header{}
		for k, v := range map[string]string{"Date": dateH, "Age": ageH, "Expires": expiresH, "Last-Modified": lastModH, "Cache-Control": ccH} {
			if v != "" {
				h.Set(k, v)
			}
		}
		e := &entry{
			requestTime:  now.Add(time.Duration(reqOff)),
			responseTime: now.Add(time.Duration(respOff)),
			status:       int(status),
			statusText:   "200 OK",
			header:       h,
			body:         []byte("{}"),
		}
		scc := parseCacheControl(h, false)
		lifetime := e.freshnessLifetime(scc)
		if lifetime < 0 {
			t.Fatalf("lifetime %v", lifetime)
		}
		later := e.responseTime.Add(time.Duration(resident) * time.Second)
		age, ageLater := e.currentAge(e.responseTime), e.currentAge(later)
		if age < 0 || ageLater < age {
			t.Fatalf("age %v at reception, %v %ds later (headers %q)", age, ageLater, resident, h)
		}
		req := httptest.NewRequest(http.MethodGet, "https://api.example.test/x", nil)
		if reqCC != "" {
			req.Header.Set("Cache-Control", reqCC)
		}
		x := &exchange{c: &Cache{staleIfError: time.Minute}, req: req, cc: parseCacheControl(req.Header, true), stored: e, scc: scc}
		o, ok := x.servable(ageLater, lifetime)
		if ok {
			if scc.noCache || x.cc.noCache || x.cc.maxAge >= 0 && ageLater > x.cc.maxAge {
				t.Fatalf("served (%s) against no-cache or the request's max-age", o)
			}
			switch o {
			case Hit:
				if ageLater >= lifetime || x.cc.minFresh >= 0 && lifetime-ageLater < x.cc.minFresh {
					t.Fatalf("fresh hit at age %v of %v", ageLater, lifetime)
				}
			case Stale:
				if ageLater < lifetime || scc.mustRevalidate || x.cc.maxStale < 0 {
					t.Fatalf("stale served at age %v of %v, directives %+v / %+v", ageLater, lifetime, scc, x.cc)
				}
			default:
				t.Fatalf("outcome %q", o)
			}
			resp := x.serve(o, ageLater)
			if n, err := strconv.ParseInt(resp.Header.Get("Age"), 10, 64); err != nil || n < 0 {
				t.Fatalf("Age %q", resp.Header.Get("Age"))
			}
		}
		if x.staleOnError(ageLater, lifetime) && x.cc.staleIfError < 0 && scc.staleIfError < 0 && (scc.mustRevalidate || scc.noCache || x.cc.noCache) {
			t.Fatalf("served stale on error against %+v / %+v", scc, x.cc)
		}
	})
}

// The recorder never holds more than its cap, passes every byte through,
// and hands over the body only when it ended within the cap.
func TestRecorderIsBounded(t *testing.T) {
	const limit = 1000
	for _, size := range []int{0, 1, 999, 1000, 1001, 50_000} {
		src := strings.Repeat("z", size)
		var stored []byte
		calls := 0
		r := &recorder{rc: io.NopCloser(iotest.HalfReader(strings.NewReader(src))), max: limit, done: func(b []byte) { stored = b; calls++ }}
		var out bytes.Buffer
		buf := make([]byte, 300)
		peak := 0
		for {
			n, err := r.Read(buf)
			out.Write(buf[:n])
			r.mu.Lock()
			peak = max(peak, len(r.buf))
			r.mu.Unlock()
			if err != nil {
				break
			}
		}
		r.Close()
		if out.String() != src {
			t.Fatalf("size %d: passed %d bytes", size, out.Len())
		}
		if peak > limit {
			t.Fatalf("size %d: held %d bytes, cap %d", size, peak, limit)
		}
		if fits := size <= limit; fits != (calls == 1) || (fits && string(stored) != src) {
			t.Fatalf("size %d: done called %d times with %d bytes", size, calls, len(stored))
		}
	}
	// Closed before the end: nothing stored.
	calls := 0
	r := &recorder{rc: io.NopCloser(strings.NewReader("abcdef")), max: limit, done: func([]byte) { calls++ }}
	_, _ = r.Read(make([]byte, 3))
	r.Close()
	if calls != 0 {
		t.Fatal("a body closed before its end was stored")
	}
	// A read error: nothing stored.
	r = &recorder{rc: io.NopCloser(iotest.ErrReader(io.ErrUnexpectedEOF)), max: limit, done: func([]byte) { calls++ }}
	_, _ = r.Read(make([]byte, 3))
	if calls != 0 {
		t.Fatal("a body that failed was stored")
	}
}

func TestParseCacheControl(t *testing.T) {
	const day = 24 * time.Hour
	// d returns the directives with nothing set, changed by f.
	d := func(f func(*directives)) directives {
		out := directives{maxAge: absent, maxStale: absent, minFresh: absent, staleIfError: absent, staleWhileRev: absent}
		if f != nil {
			f(&out)
		}
		return out
	}
	cases := []struct {
		header  string
		request bool
		want    directives
	}{
		{"max-age=60, must-revalidate", false, d(func(d *directives) { d.maxAge, d.mustRevalidate = time.Minute, true })},
		{`private="Set-Cookie", max-age="30"`, false, d(func(d *directives) { d.maxAge, d.private = 30*time.Second, true })},
		{"max-age=abc", false, d(func(d *directives) { d.maxAge = 0 })},
		{"max-age=abc", true, d(nil)},
		{"max-age=10, max-age=20", false, d(func(d *directives) { d.maxAge = 10 * time.Second })},
		{"MAX-AGE=99999999999999999999", false, d(func(d *directives) { d.maxAge = maxDelta })},
		{`no-cache="a, b", stale-if-error=86400`, false, d(func(d *directives) { d.noCache, d.staleIfError = true, day })},
		{"max-stale", true, d(func(d *directives) { d.maxStale = 1<<63 - 1 })},
		{"max-stale=5, min-fresh=3, only-if-cached, no-store", true, d(func(d *directives) {
			d.maxStale, d.minFresh, d.onlyIfCached, d.noStore = 5*time.Second, 3*time.Second, true, true
		})},
		{"only-if-cached, max-stale", false, d(nil)},
		{"unknown-directive=1, public", false, d(func(d *directives) { d.public = true })},
		{"", true, d(nil)},
		{"max-age=1, stale-while-revalidate=59", false, d(func(d *directives) { d.maxAge, d.staleWhileRev = time.Second, 59*time.Second })},
		{"stale-while-revalidate=59", true, d(nil)},
	}
	for _, c := range cases {
		got := parseCacheControl(http.Header{"Cache-Control": {c.header}}, c.request)
		if got != c.want {
			t.Errorf("%q (request %v): %+v, want %+v", c.header, c.request, got, c.want)
		}
	}
	if d := parseCacheControl(http.Header{"Pragma": {"no-cache"}}, true); !d.noCache {
		t.Error("Pragma: no-cache without Cache-Control was ignored")
	}
	if d := parseCacheControl(http.Header{"Pragma": {"no-cache"}, "Cache-Control": {"max-age=5"}}, true); d.noCache {
		t.Error("Pragma: no-cache overrode Cache-Control")
	}
}
