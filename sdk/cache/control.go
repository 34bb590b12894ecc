package cache

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// directives are the Cache-Control directives this cache acts on (RFC 9111
// section 5.2, RFC 5861 section 4). Durations are -1 when absent.
type directives struct {
	maxAge         time.Duration
	maxStale       time.Duration // request: math.MaxInt64 for max-stale without a value
	minFresh       time.Duration // request
	staleIfError   time.Duration
	staleWhileRev  time.Duration // response: stale-while-revalidate (RFC 5861 section 3)
	noCache        bool
	noStore        bool
	onlyIfCached   bool // request
	mustRevalidate bool // response
	public         bool // response
	private        bool // response
}

const absent = time.Duration(-1)

// maxDelta is what RFC 9111 section 1.2.2 says a delta-seconds too large
// to hold stands for: 2^31 seconds.
const maxDelta = time.Duration(1<<31) * time.Second

// parseCacheControl reads the Cache-Control field lines. Unknown
// directives are ignored (section 5.2.3); the first occurrence of a
// directive wins (section 4.2.1); a max-age whose value is not a number
// makes the response stale (max-age=0), other malformed values are
// ignored.
func parseCacheControl(h http.Header, request bool) directives {
	d := directives{maxAge: absent, maxStale: absent, minFresh: absent, staleIfError: absent, staleWhileRev: absent}
	seen := map[string]bool{}
	for _, line := range h.Values("Cache-Control") {
		for _, item := range splitList(line) {
			name, value, hasValue := strings.Cut(item, "=")
			name = strings.ToLower(strings.TrimSpace(name))
			value = strings.Trim(strings.TrimSpace(value), `"`)
			if name == "" || seen[name] {
				continue
			}
			seen[name] = true
			switch name {
			case "max-age":
				if v, ok := deltaSeconds(value); ok {
					d.maxAge = v
				} else if !request {
					d.maxAge = 0
				}
			case "max-stale":
				if !request {
					continue
				}
				if !hasValue {
					d.maxStale = math.MaxInt64
				} else if v, ok := deltaSeconds(value); ok {
					d.maxStale = v
				}
			case "min-fresh":
				if v, ok := deltaSeconds(value); ok && request {
					d.minFresh = v
				}
			case "stale-while-revalidate":
				if v, ok := deltaSeconds(value); ok && !request {
					d.staleWhileRev = v
				}
			case "stale-if-error":
				if v, ok := deltaSeconds(value); ok {
					d.staleIfError = v
				}
			case "no-cache":
				// The qualified form (no-cache="field") is treated as
				// unqualified, which section 5.2.2.4 allows.
				d.noCache = true
			case "no-store":
				d.noStore = true
			case "only-if-cached":
				d.onlyIfCached = request
			case "must-revalidate", "proxy-revalidate":
				// proxy-revalidate binds shared caches only, but this cache
				// takes the stricter reading: servers send both together.
				d.mustRevalidate = !request
			case "public":
				d.public = !request
			case "private":
				d.private = !request
			}
		}
	}
	if request && !seen["no-cache"] && len(h.Values("Cache-Control")) == 0 {
		// Pragma: no-cache stands for Cache-Control: no-cache when there is
		// no Cache-Control (RFC 9111 section 5.4, deprecated but sent).
		for _, p := range h.Values("Pragma") {
			for _, item := range splitList(p) {
				if strings.EqualFold(strings.TrimSpace(item), "no-cache") {
					d.noCache = true
				}
			}
		}
	}
	return d
}

// splitList splits a comma-separated field value, keeping commas inside
// quoted strings.
func splitList(s string) []string {
	var out []string
	inQuote, escaped, start := false, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case escaped:
			escaped = false
		case inQuote && c == '\\':
			escaped = true
		case c == '"':
			inQuote = !inQuote
		case c == ',' && !inQuote:
			if item := strings.TrimSpace(s[start:i]); item != "" {
				out = append(out, item)
			}
			start = i + 1
		}
	}
	if item := strings.TrimSpace(s[start:]); item != "" {
		out = append(out, item)
	}
	return out
}

// deltaSeconds parses a non-negative number of seconds; values past 2^31
// seconds are taken as 2^31 seconds.
func deltaSeconds(s string) (time.Duration, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n >= 1<<31 {
		return maxDelta, true
	}
	return time.Duration(n) * time.Second, true
}

// heuristicStatus lists the statuses RFC 9110 section 15.1 defines as
// heuristically cacheable, minus 206 (range requests are not cached).
func heuristicStatus(code int) bool {
	switch code {
	case 200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501:
		return true
	}
	return false
}

// Heuristic freshness (RFC 9111 section 4.2.2): a tenth of the time since
// Last-Modified, at most a day, for responses that carry no explicit
// expiration.
const (
	heuristicFraction = 10
	heuristicMax      = 24 * time.Hour
)

// dateOf is the Date of a stored response, or when it was received.
func (e *entry) dateOf() time.Time {
	if t, err := http.ParseTime(e.header.Get("Date")); err == nil {
		return t
	}
	return e.responseTime
}

// freshnessLifetime follows RFC 9111 section 4.2.1 for a private cache:
// max-age, else Expires minus Date (an Expires that is not a date means
// already expired), else the heuristic.
func (e *entry) freshnessLifetime(cc directives) time.Duration {
	if cc.maxAge >= 0 {
		return cc.maxAge
	}
	if exp := e.header.Values("Expires"); len(exp) > 0 {
		t, err := http.ParseTime(exp[0])
		if err != nil {
			return 0
		}
		return max(t.Sub(e.dateOf()), 0)
	}
	if !heuristicStatus(e.status) {
		return 0
	}
	lm, err := http.ParseTime(e.header.Get("Last-Modified"))
	if err != nil {
		return 0
	}
	return min(max(e.dateOf().Sub(lm)/heuristicFraction, 0), heuristicMax)
}

// currentAge follows RFC 9111 section 4.2.3.
func (e *entry) currentAge(now time.Time) time.Duration {
	var ageValue time.Duration
	if v, ok := deltaSeconds(strings.TrimSpace(e.header.Get("Age"))); ok {
		ageValue = v
	}
	apparentAge := max(e.responseTime.Sub(e.dateOf()), 0)
	responseDelay := max(e.responseTime.Sub(e.requestTime), 0)
	correctedAgeValue := addAges(ageValue, responseDelay)
	correctedInitialAge := max(apparentAge, correctedAgeValue)
	residentTime := max(now.Sub(e.responseTime), 0)
	return addAges(correctedInitialAge, residentTime)
}

// addAges adds two non-negative durations, saturating: a Date far in the
// past makes the apparent age the largest duration (time.Sub saturates),
// and adding to it must not wrap around to a negative, fresh-looking age.
func addAges(a, b time.Duration) time.Duration {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
