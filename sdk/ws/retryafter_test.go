package ws

import (
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzRetryAfter: the Retry-After of a refused handshake is never a
// negative wait nor one past the cap, and a number of seconds is followed
// as written (past the cap, or past int64, the cap: a wait the policy
// refuses, never one ignored).
func FuzzRetryAfter(f *testing.F) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, s := range []string{"1", " 7 ", "0", "-3", "+5", "3600", "99999999999999999999", "1048577", "soon", "",
		now.Add(90 * time.Second).Format(http.TimeFormat), "Sun, 06 Nov 1994 08:49:37 GMT", "Fri, 31 Dec 9999 23:59:59 GMT"} {
		f.Add(s)
	}
	const longest = 1 << 20 * time.Second
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := parseRetryAfter(v, now)
		if !ok {
			if d != 0 {
				t.Fatalf("%q: %v without a wait", v, d)
			}
		} else if d < 0 || d > longest {
			t.Fatalf("%q read as %v", v, d)
		}
		digits := strings.TrimPrefix(strings.TrimSpace(v), "+")
		if n, isNum := new(big.Int).SetString(digits, 10); isNum && digits != "" && digits[0] != '-' && digits[0] != '+' {
			want := longest
			if n.Cmp(big.NewInt(int64(longest/time.Second))) < 0 {
				want = time.Duration(n.Int64()) * time.Second
			}
			if !ok || d != want {
				t.Fatalf("%q read as %v, %v; want %v", v, d, ok, want)
			}
		}
	})
}
