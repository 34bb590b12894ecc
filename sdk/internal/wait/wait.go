// Package wait reads how long a server asks a client to wait before it
// tries again, for sdk's retries and sdk/ws's reconnects alike: a wait too
// long for a time.Duration is the longest one, never a wrapped-around or
// ignored value.
package wait

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryAfter reads a Retry-After value (RFC 9110): seconds, or an HTTP date
// (a date in the past is no wait). Surrounding spaces are ignored.
func RetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if secs, ok := Number(v); ok {
		return Seconds(secs), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// Number parses a non-negative integer (an optional "+" and decimal
// digits: seconds, or milliseconds for Retry-After-Ms); a number too large
// for an int64 is the largest int64.
func Number(v string) (int64, bool) {
	n, err := strconv.ParseInt(v, 10, 64)
	switch {
	case err == nil:
		return n, n >= 0
	case errors.Is(err, strconv.ErrRange) && n > 0:
		return n, true // math.MaxInt64
	}
	return 0, false
}

// Seconds converts a non-negative number of seconds, saturating.
func Seconds(secs int64) time.Duration {
	if secs > math.MaxInt64/int64(time.Second) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(secs) * time.Second
}
