package sdk

import (
	"math"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzServerDelay: whatever a server puts in Retry-After-Ms, Retry-After
// and RateLimit-*, the delay read is never negative, names a header that
// is there and whose value it follows (saturating, never wrapping), and
// the headers take their documented precedence.
func FuzzServerDelay(f *testing.F) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, s := range []struct {
		status                    uint16
		ms, after, reset, remains string
	}{
		{503, "", "7", "", ""},
		{503, "1500", "1", "", ""},
		{503, "2.5", "", "", ""},
		{429, "", now.Add(90 * time.Second).Format(http.TimeFormat), "", ""},
		{429, "", "Sunday, 06-Nov-94 08:49:37 GMT", "", ""},
		{429, "", "Sun Nov  6 08:49:37 1994", "", ""},
		{429, "", "", "12", "5"},
		{503, "", "", "3", "0"},
		{429, "", "", strconv.FormatInt(now.Add(time.Minute).Unix(), 10), ""},
		{503, "-1", "-3", "3600", "42"},
		{503, "", "99999999999999999999", "", ""},
		{503, "NaN", "+5", "", ""},
		{429, "Inf", " 9 ", " 07 ", " 0 "},
		{429, "", "", "99999999999999999999", ""},
	} {
		f.Add(s.status, s.ms, s.after, s.reset, s.remains)
	}
	f.Fuzz(func(t *testing.T, status uint16, ms, after, reset, remains string) {
		h := http.Header{}
		for _, kv := range [][2]string{{"Retry-After-Ms", ms}, {"Retry-After", after}, {"RateLimit-Reset", reset}, {"RateLimit-Remaining", remains}} {
			if kv[1] != "" {
				h.Set(kv[0], kv[1])
			}
		}
		resp := &http.Response{StatusCode: int(status), Header: h}
		d, from, ok := serverDelay(resp, now)
		if !ok {
			if d != 0 || from != "" {
				t.Fatalf("no delay read, yet %v from %q", d, from)
			}
		} else {
			if d < 0 {
				t.Fatalf("negative delay %v from %s (headers %q)", d, from, h)
			}
			if strings.TrimSpace(h.Get(from)) == "" {
				t.Fatalf("delay %v attributed to %q, which is absent (headers %q)", d, from, h)
			}
		}
		// Each header alone, then the precedence among them.
		alone := func(name string) (time.Duration, bool) {
			one := &http.Response{StatusCode: int(status), Header: http.Header{}}
			if v := h.Get(name); v != "" {
				one.Header.Set(name, v)
			}
			if name == "Ratelimit-Reset" && h.Get("Ratelimit-Remaining") != "" {
				one.Header.Set("Ratelimit-Remaining", h.Get("Ratelimit-Remaining"))
			}
			d, _, ok := serverDelay(one, now)
			return d, ok
		}
		var want string
		var wantD time.Duration
		for _, name := range []string{"Retry-After-Ms", "Retry-After", "Ratelimit-Reset"} {
			if d, ok := alone(name); ok {
				want, wantD = name, d
				break
			}
		}
		if strings.EqualFold(from, "RateLimit-Reset") {
			from = "Ratelimit-Reset"
		}
		if from != want || d != wantD {
			t.Fatalf("read %v from %q; each header alone says %v from %q (headers %q)", d, from, wantD, want, h)
		}
		// The value is followed: digits are seconds (milliseconds for
		// Retry-After-Ms), saturating at the largest duration.
		if v := strings.TrimSpace(after); from == "Retry-After" && allDigits(v) {
			if w := saturated(v, time.Second); d != w {
				t.Fatalf("Retry-After %q read as %v, want %v", v, d, w)
			}
		}
		if v := strings.TrimSpace(ms); allDigits(v) {
			if from != "Retry-After-Ms" {
				t.Fatalf("Retry-After-Ms %q ignored (read %v from %q)", v, d, from)
			}
			if w := saturated(v, time.Millisecond); d != w {
				t.Fatalf("Retry-After-Ms %q read as %v, want %v", v, d, w)
			}
		}
		if v := strings.TrimSpace(reset); from == "Ratelimit-Reset" && allDigits(v) {
			n, _ := new(big.Int).SetString(v, 10)
			switch {
			case n.Cmp(big.NewInt(1_000_000_000)) <= 0:
				if w := saturated(v, time.Second); d != w {
					t.Fatalf("RateLimit-Reset %q read as %v, want %v", v, d, w)
				}
			case n.Cmp(big.NewInt(now.Unix())) > 0 && d <= 0:
				// A Unix time in the future is a wait, however far.
				t.Fatalf("RateLimit-Reset %q (a future Unix time) read as %v", v, d)
			}
		}
		if v := strings.TrimSpace(after); allDigits(v) && from != "Retry-After-Ms" && from != "Retry-After" {
			t.Fatalf("Retry-After %q ignored (read %v from %q)", v, d, from)
		}
	})
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// saturated is digits × unit, or the largest duration when that does not
// fit.
func saturated(digits string, unit time.Duration) time.Duration {
	n, _ := new(big.Int).SetString(digits, 10)
	n.Mul(n, big.NewInt(int64(unit)))
	if !n.IsInt64() {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(n.Int64())
}
