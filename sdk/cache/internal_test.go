package cache

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"reflect"
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

// FuzzDecodeEntry: no input panics, and whatever decodes encodes back to
// the same entry.
func FuzzDecodeEntry(f *testing.F) {
	f.Add(sampleEntry().encode())
	f.Add(encodeVary([]string{"A"}))
	f.Add([]byte(entryMagic + "\x01\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = decodeVary("k", data)
		_, _ = decodeVary("k", seal(varyMagic, data))
		// Sealed, the data reaches the decoder past the checksum.
		for _, v := range [][]byte{data, seal(entryMagic, data)} {
			e, err := decodeEntry("k", v)
			if err != nil {
				continue
			}
			again, err := decodeEntry("k", e.encode())
			if err != nil || !reflect.DeepEqual(again.header, e.header) || !bytes.Equal(again.body, e.body) {
				t.Fatalf("re-encoding changed the entry: %v", err)
			}
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
		out := directives{maxAge: absent, maxStale: absent, minFresh: absent, staleIfError: absent}
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
