package sdk

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/internal/faultserver"
)

// fakeClock is a Sleeper that never sleeps: it records the waits asked of
// it and moves its clock forward by them. With block set, a wait lasts
// until the context ends, like a wait longer than any deadline.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	delays  []time.Duration
	block   bool
	onSleep func(n int, d time.Duration) // n counts waits from 1
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.delays = append(c.delays, d)
	n, hook, block := len(c.delays), c.onSleep, c.block
	c.mu.Unlock()
	if hook != nil {
		hook(n, d)
	}
	if block {
		<-ctx.Done()
		return ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return nil
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Delays() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.delays...)
}

// retryClient returns a client on base, closed at cleanup.
func retryClient(t testing.TB, base string, opts ...Option) *Client {
	t.Helper()
	c, err := NewClient(base, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// thing returns the operation and request builder of method on /thing,
// with body (when not nil) replayable from GetBody.
func thing(method string, body []byte, idempotent bool) (*Operation, requestBuilder) {
	op := &Operation{ID: strings.ToLower(method) + "Thing", Method: method, Path: "/thing", Idempotent: idempotent}
	return op, func(server string) (*http.Request, error) {
		var r io.Reader
		if body != nil {
			r = bytes.NewReader(body)
		}
		req, err := http.NewRequest(method, strings.TrimSuffix(server, "/")+"/thing", r)
		if err == nil && body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	}
}

// countAttempts returns an option counting the attempts the SDK makes.
func countAttempts(n *atomic.Int32) Option {
	return WithAttemptMiddleware(func(next http.RoundTripper) http.RoundTripper {
		return RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			n.Add(1)
			return next.RoundTrip(r)
		})
	})
}

var okStep = faultserver.Status(200, `{"ok":true}`)

func newFaultServer(t testing.TB, cfg faultserver.Config) *faultserver.Server {
	t.Helper()
	srv := faultserver.New(cfg)
	t.Cleanup(srv.Close)
	return srv
}

func TestBackoffIsFullJitterWithACap(t *testing.T) {
	p := RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	for n, bound := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 60: time.Second, math.MaxInt32: time.Second} {
		lo, hi := time.Duration(math.MaxInt64), time.Duration(0)
		for range 2000 {
			d := backoff(&p, n)
			if d < 0 || d >= bound {
				t.Fatalf("retry %d: wait %v outside [0, %v)", n, d, bound)
			}
			lo, hi = min(lo, d), max(hi, d)
		}
		// Full jitter: the waits cover the whole range, from near zero to
		// near the bound (not "equal jitter", which never goes below half).
		if lo > bound/10 || hi < bound*9/10 {
			t.Errorf("retry %d: waits span [%v, %v] of [0, %v)", n, lo, hi, bound)
		}
	}
	huge := RetryPolicy{BaseDelay: time.Duration(math.MaxInt64 / 3), MaxDelay: time.Duration(math.MaxInt64)}
	if d := backoff(&huge, 10); d < 0 {
		t.Errorf("overflow: %v", d)
	}
}

func TestRetryPolicyDefaultsAndValidation(t *testing.T) {
	def := DefaultRetryPolicy()
	if def.MaxRetries != 3 || def.BaseDelay != 500*time.Millisecond || def.MaxDelay != 8*time.Second || def.MaxRetryAfter != 30*time.Second || def.MaxElapsed != 0 {
		t.Errorf("defaults changed without their reasons: %+v", def)
	}
	if got := (RetryPolicy{MaxRetries: 5}).normalized(); got != (RetryPolicy{MaxRetries: 5, BaseDelay: def.BaseDelay, MaxDelay: def.MaxDelay, MaxRetryAfter: def.MaxRetryAfter}) {
		t.Errorf("zero fields: %+v", got)
	}
	if got := (RetryPolicy{BaseDelay: 20 * time.Second, MaxDelay: time.Second}).normalized(); got.MaxDelay != 20*time.Second {
		t.Errorf("MaxDelay below BaseDelay: %+v", got)
	}
	var oe *OptionError
	for _, o := range []Option{WithRetry(RetryPolicy{MaxRetries: -1}), WithRetry(RetryPolicy{MaxElapsed: -1}), WithMaxRetries(-2), WithSleeper(nil)} {
		if _, err := NewClient("http://127.0.0.1:1", o); !errors.As(err, &oe) {
			t.Errorf("invalid option accepted: %v", err)
		}
	}
}

func TestServerDelay(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		status int
		header []string
		want   time.Duration
		from   string
	}{
		{"seconds", 503, []string{"Retry-After", "7"}, 7 * time.Second, "Retry-After"},
		{"zero", 503, []string{"Retry-After", "0"}, 0, "Retry-After"},
		{"date", 429, []string{"Retry-After", now.Add(90 * time.Second).Format(http.TimeFormat)}, 90 * time.Second, "Retry-After"},
		{"date in the past", 429, []string{"Retry-After", now.Add(-time.Hour).Format(http.TimeFormat)}, 0, "Retry-After"},
		{"milliseconds", 503, []string{"Retry-After-Ms", "1500"}, 1500 * time.Millisecond, "Retry-After-Ms"},
		{"fractional milliseconds", 503, []string{"Retry-After-Ms", "2.5"}, 2500 * time.Microsecond, "Retry-After-Ms"},
		{"milliseconds win", 503, []string{"Retry-After-Ms", "200", "Retry-After", "1"}, 200 * time.Millisecond, "Retry-After-Ms"},
		{"huge", 503, []string{"Retry-After", "99999999999999999"}, time.Duration(math.MaxInt64), "Retry-After"},
		{"past int64", 503, []string{"Retry-After", "99999999999999999999"}, time.Duration(math.MaxInt64), "Retry-After"},
		{"huge milliseconds", 503, []string{"Retry-After-Ms", "10000000000000"}, time.Duration(math.MaxInt64), "Retry-After-Ms"},
		{"milliseconds past float64", 503, []string{"Retry-After-Ms", "1e400"}, time.Duration(math.MaxInt64), "Retry-After-Ms"},
		{"RateLimit-Reset past int64", 429, []string{"RateLimit-Reset", "99999999999999999999"}, time.Duration(math.MaxInt64), "RateLimit-Reset"},
		{"RateLimit-Reset on 429", 429, []string{"RateLimit-Reset", "12"}, 12 * time.Second, "RateLimit-Reset"},
		{"RateLimit-Reset when none remain", 503, []string{"RateLimit-Reset", "3", "RateLimit-Remaining", "0"}, 3 * time.Second, "RateLimit-Reset"},
		{"RateLimit-Reset as a Unix time", 429, []string{"RateLimit-Reset", fmt.Sprint(now.Add(time.Minute).Unix())}, time.Minute, "RateLimit-Reset"},
		{"Retry-After wins over RateLimit-Reset", 429, []string{"RateLimit-Reset", "60", "Retry-After", "2"}, 2 * time.Second, "Retry-After"},
	} {
		resp := &http.Response{StatusCode: tc.status, Header: http.Header{}}
		for i := 0; i < len(tc.header); i += 2 {
			resp.Header.Set(tc.header[i], tc.header[i+1])
		}
		got, from, ok := serverDelay(resp, now)
		if !ok || got != tc.want || from != tc.from {
			t.Errorf("%s: %v from %q (%v), want %v from %q", tc.name, got, from, ok, tc.want, tc.from)
		}
	}
	for _, tc := range []struct {
		name   string
		status int
		header []string
	}{
		{"none", 503, nil},
		{"negative", 503, []string{"Retry-After", "-3"}},
		{"garbage", 503, []string{"Retry-After", "soon"}},
		{"negative milliseconds", 503, []string{"Retry-After-Ms", "-1"}},
		// RateLimit-Reset comes with every response; on a 500 with quota
		// left it says when the window resets, not when to come back.
		{"RateLimit-Reset with quota left", 500, []string{"RateLimit-Reset", "3600", "RateLimit-Remaining", "42"}},
	} {
		resp := &http.Response{StatusCode: tc.status, Header: http.Header{}}
		for i := 0; i < len(tc.header); i += 2 {
			resp.Header.Set(tc.header[i], tc.header[i+1])
		}
		if got, from, ok := serverDelay(resp, now); ok {
			t.Errorf("%s: read %v from %q", tc.name, got, from)
		}
	}
}

// tlsHandshakeTimeout mimics net/http's unexported error of that name.
type tlsHandshakeTimeout struct{}

func (tlsHandshakeTimeout) Error() string   { return "net/http: TLS handshake timeout" }
func (tlsHandshakeTimeout) Timeout() bool   { return true }
func (tlsHandshakeTimeout) Temporary() bool { return true }

func TestRetryableErrors(t *testing.T) {
	op := func(o string, err error) error { return &net.OpError{Op: o, Net: "tcp", Err: err} }
	urlErr := func(err error) error { return &url.Error{Op: "Get", URL: "http://x/?key=1", Err: err} }
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"refused", urlErr(op("dial", &net.OpError{Err: syscall.ECONNREFUSED})), true},
		{"reset", urlErr(op("read", syscall.ECONNRESET)), true},
		{"broken pipe", urlErr(op("write", syscall.EPIPE)), true},
		{"EOF before a response", urlErr(io.EOF), true},
		{"unexpected EOF", urlErr(fmt.Errorf("reading: %w", io.ErrUnexpectedEOF)), true},
		{"TLS handshake timeout", urlErr(tlsHandshakeTimeout{}), true},
		{"attempt timeout", urlErr(&AttemptTimeoutError{After: time.Second}), true},
		{"MaxElapsed", urlErr(&AttemptTimeoutError{After: time.Second, Overall: true}), false},
		{"dial timeout", urlErr(op("dial", timeoutErr{})), true},
		{"server closed idle connection", urlErr(errors.New("http: server closed idle connection")), true},
		{"GOAWAY", urlErr(errors.New("http2: server sent GOAWAY and closed the connection")), true},
		{"DNS timeout", urlErr(op("dial", &net.DNSError{Err: "timeout", IsTimeout: true})), true},
		{"unknown host", urlErr(op("dial", &net.DNSError{Err: "no such host", IsNotFound: true})), false},
		{"canceled", urlErr(context.Canceled), false},
		{"a lower layer's deadline", urlErr(fmt.Errorf("dial: %w", context.DeadlineExceeded)), true},
		{"certificate", urlErr(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), false},
		{"not TLS", urlErr(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), false},
		{"bad request", urlErr(errors.New("net/http: invalid header field name")), false},
		{"auth", &AuthError{Err: errors.New("invalid_grant")}, false},
	} {
		if got := retryableError(tc.err); got != tc.want {
			t.Errorf("%s: retryable = %v, want %v", tc.name, got, tc.want)
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string { return "i/o timeout" }
func (timeoutErr) Timeout() bool { return true }

func TestRetryableStatuses(t *testing.T) {
	for code := 100; code < 600; code++ {
		want := code == 408 || code == 429 || code == 500 || code == 502 || code == 503 || code == 504
		if retryableStatus(code) != want {
			t.Errorf("status %d: retryable = %v", code, !want)
		}
	}
}

// A server asking for a wait within MaxRetryAfter is obeyed exactly (the
// backoff is shorter); one asking for longer fails the call at once with a
// typed error saying how long it asked for, and no wait.
func TestRetryAfterIsHonouredAndCapped(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header []string
		want   time.Duration // the wait asked of the sleeper; 0 = fail fast
		from   string
	}{
		{"seconds", []string{"Retry-After", "2"}, 2 * time.Second, ""},
		{"milliseconds", []string{"Retry-After-Ms", "1500"}, 1500 * time.Millisecond, ""},
		{"RateLimit-Reset", []string{"RateLimit-Reset", "4"}, 4 * time.Second, ""},
		{"seconds over the cap", []string{"Retry-After", "120"}, 0, "Retry-After"},
		{"milliseconds over the cap", []string{"Retry-After-Ms", "30001"}, 0, "Retry-After-Ms"},
		{"RateLimit-Reset over the cap", []string{"RateLimit-Reset", "3600"}, 0, "RateLimit-Reset"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFaultServer(t, faultserver.Config{Default: okStep})
			srv.Script(faultserver.Status(429, `{"message":"slow down"}`, tc.header...))
			clock := newFakeClock()
			c := retryClient(t, srv.URL, WithSleeper(clock))
			op, build := thing(http.MethodGet, nil, false)
			resp, err := c.do(context.Background(), op, build)
			if tc.want > 0 {
				if err != nil {
					t.Fatal(err)
				}
				noContent(resp)
				if d := clock.Delays(); len(d) != 1 || d[0] != tc.want {
					t.Errorf("waits %v, want [%v]", d, tc.want)
				}
				return
			}
			var re *RetryError
			var tl *RetryAfterTooLongError
			var ae *APIError
			if !errors.As(err, &re) || !errors.As(err, &tl) || !errors.As(err, &ae) {
				t.Fatalf("err = %v", err)
			}
			asked, _, _ := serverDelay(&http.Response{StatusCode: 429, Header: ae.Header}, time.Now())
			if tl.Requested != asked || tl.Max != 30*time.Second || tl.Header != tc.from || ae.StatusCode != 429 {
				t.Errorf("too long: %+v, status %d", tl, ae.StatusCode)
			}
			if re.Attempts != 1 || re.TotalWait != 0 || re.LastStatus != 429 || string(re.LastBody) != `{"message":"slow down"}` || !strings.Contains(re.Reason, tl.Requested.String()) {
				t.Errorf("retry error: %+v", re)
			}
			if len(clock.Delays()) != 0 || srv.Count() != 1 {
				t.Errorf("waited %v, %d requests; want no wait and 1 request", clock.Delays(), srv.Count())
			}
			if !strings.Contains(err.Error(), "not retried") || !strings.Contains(err.Error(), "429") {
				t.Errorf("message: %v", err)
			}
		})
	}
	// A Retry-After date is read against the injected clock.
	t.Run("date", func(t *testing.T) {
		clock := newFakeClock()
		clock.now = time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
		srv := newFaultServer(t, faultserver.Config{Default: okStep})
		srv.Script(faultserver.Status(503, "", "Retry-After", clock.now.Add(25*time.Second).Format(http.TimeFormat)))
		c := retryClient(t, srv.URL, WithSleeper(clock))
		op, build := thing(http.MethodGet, nil, false)
		resp, err := c.do(context.Background(), op, build)
		if err != nil {
			t.Fatal(err)
		}
		noContent(resp)
		if d := clock.Delays(); len(d) != 1 || d[0] != 25*time.Second {
			t.Errorf("waits %v, want [25s]", d)
		}
	})
	// The cap is per call too.
	t.Run("per call", func(t *testing.T) {
		srv := newFaultServer(t, faultserver.Config{Default: okStep})
		srv.Script(faultserver.Status(503, "", "Retry-After", "120"))
		clock := newFakeClock()
		c := retryClient(t, srv.URL, WithSleeper(clock))
		op, build := thing(http.MethodGet, nil, false)
		p := DefaultRetryPolicy()
		p.MaxRetryAfter = 5 * time.Minute
		resp, err := c.do(context.Background(), op, build, WithRetry(p))
		if err != nil {
			t.Fatal(err)
		}
		noContent(resp)
		if d := clock.Delays(); len(d) != 1 || d[0] != 2*time.Minute {
			t.Errorf("waits %v, want [2m0s]", d)
		}
	})
}

// The caller's deadline always wins: no wait is started that would end
// past it, a wait in progress ends with the context, and an attempt cut by
// it is not retried.
func TestContextDeadlineWins(t *testing.T) {
	t.Run("a wait past the deadline is not started", func(t *testing.T) {
		srv := newFaultServer(t, faultserver.Config{Default: faultserver.Status(503, "", "Retry-After", "5")})
		clock := newFakeClock()
		c := retryClient(t, srv.URL, WithSleeper(clock))
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		op, build := thing(http.MethodGet, nil, false)
		start := time.Now()
		_, err := c.do(ctx, op, build)
		var re *RetryError
		var ae *APIError
		if !errors.As(err, &re) || !errors.As(err, &ae) || ae.StatusCode != 503 {
			t.Fatalf("err = %v", err)
		}
		if re.Attempts != 1 || !strings.Contains(re.Reason, "deadline") || len(clock.Delays()) != 0 || srv.Count() != 1 {
			t.Errorf("attempts %d, reason %q, waits %v, requests %d", re.Attempts, re.Reason, clock.Delays(), srv.Count())
		}
		if time.Since(start) > time.Second {
			t.Errorf("took %v: it should fail at once", time.Since(start))
		}
	})
	t.Run("a wait ends with the context", func(t *testing.T) {
		srv := newFaultServer(t, faultserver.Config{Default: faultserver.Status(503, "down")})
		clock := newFakeClock()
		clock.block = true
		c := retryClient(t, srv.URL, WithSleeper(clock))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		clock.onSleep = func(int, time.Duration) { cancel() }
		op, build := thing(http.MethodPut, []byte(`{"a":1}`), false)
		_, err := c.do(ctx, op, build)
		var re *RetryError
		var ae *APIError
		if !errors.As(err, &re) || !errors.Is(err, context.Canceled) || !errors.As(err, &ae) || ae.StatusCode != 503 {
			t.Fatalf("err = %v", err)
		}
		if re.Attempts != 1 || re.StoppedBy != context.Canceled || re.LastStatus != 503 || string(re.LastBody) != "down" || srv.Count() != 1 {
			t.Errorf("retry error %+v, requests %d", re, srv.Count())
		}
	})
	t.Run("the real sleeper ends with the context", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		start := time.Now()
		if err := (realSleeper{}).Sleep(ctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 10*time.Second {
			t.Errorf("Sleep: %v after %v", err, time.Since(start))
		}
		if err := (realSleeper{}).Sleep(context.Background(), 0); err != nil {
			t.Error(err)
		}
	})
	t.Run("an attempt cut by the context is not retried", func(t *testing.T) {
		srv := newFaultServer(t, faultserver.Config{Default: faultserver.Step{Fault: faultserver.SlowHeaders}})
		clock := newFakeClock()
		c := retryClient(t, srv.URL, WithSleeper(clock))
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		op, build := thing(http.MethodGet, nil, false)
		_, err := c.do(ctx, op, build)
		var te *TransportError
		var re *RetryError
		if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &te) || errors.As(err, &re) {
			t.Fatalf("err = %v, want a plain *TransportError", err)
		}
		if srv.Count() != 1 || len(clock.Delays()) != 0 {
			t.Errorf("%d requests, waits %v", srv.Count(), clock.Delays())
		}
	})
	t.Run("after retries", func(t *testing.T) {
		srv := newFaultServer(t, faultserver.Config{Default: faultserver.Step{Fault: faultserver.SlowHeaders}})
		srv.Script(faultserver.Status(502, "bad gateway"))
		clock := newFakeClock()
		c := retryClient(t, srv.URL, WithSleeper(clock))
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		op, build := thing(http.MethodGet, nil, false)
		_, err := c.do(ctx, op, build, WithRetry(RetryPolicy{MaxRetries: 3, BaseDelay: time.Millisecond}))
		var re *RetryError
		if !errors.As(err, &re) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
		if re.Attempts != 2 || re.LastStatus != 502 || re.Reason != "the context ended" || srv.Count() != 2 {
			t.Errorf("retry error %+v, %d requests", re, srv.Count())
		}
	})
}

// MaxElapsed bounds the retrying of a call: waits that would end past it
// are not started (on the injected clock), and an attempt still waiting for
// headers when it passes is cancelled.
func TestMaxElapsed(t *testing.T) {
	t.Run("waits", func(t *testing.T) {
		srv := newFaultServer(t, faultserver.Config{Default: faultserver.Status(503, "", "Retry-After-Ms", "400")})
		clock := newFakeClock()
		c := retryClient(t, srv.URL, WithSleeper(clock), WithRetry(RetryPolicy{MaxRetries: 10, BaseDelay: time.Millisecond, MaxElapsed: time.Second}))
		op, build := thing(http.MethodGet, nil, false)
		_, err := c.do(context.Background(), op, build)
		var re *RetryError
		if !errors.As(err, &re) {
			t.Fatalf("err = %v", err)
		}
		if re.Attempts != 3 || re.TotalWait != 800*time.Millisecond || !strings.Contains(re.Reason, "MaxElapsed") || srv.Count() != 3 {
			t.Errorf("retry error %+v, %d requests", re, srv.Count())
		}
	})
	t.Run("attempts", func(t *testing.T) {
		srv := newFaultServer(t, faultserver.Config{Default: faultserver.Step{Fault: faultserver.SlowHeaders}})
		clock := newFakeClock()
		c := retryClient(t, srv.URL, WithSleeper(clock), WithRetry(RetryPolicy{MaxRetries: 3, MaxElapsed: 100 * time.Millisecond}))
		op, build := thing(http.MethodGet, nil, false)
		start := time.Now()
		_, err := c.do(context.Background(), op, build)
		var re *RetryError
		var ate *AttemptTimeoutError
		if !errors.As(err, &re) || !errors.As(err, &ate) || !ate.Overall || ate.After != 100*time.Millisecond {
			t.Fatalf("err = %v", err)
		}
		if re.Attempts != 1 || srv.Count() != 1 || time.Since(start) > 5*time.Second {
			t.Errorf("retry error %+v, %d requests, %v", re, srv.Count(), time.Since(start))
		}
		if !strings.Contains(err.Error(), "MaxElapsed of 100ms") {
			t.Errorf("message: %v", err)
		}
	})
	t.Run("a body outlives it", func(t *testing.T) {
		srv := newFaultServer(t, faultserver.Config{})
		srv.Script(faultserver.Status(503, ""), faultserver.Step{Status: 200, Body: []byte(`{"ok":true}`)})
		clock := newFakeClock()
		c := retryClient(t, srv.URL, WithSleeper(clock), WithRetry(RetryPolicy{MaxRetries: 3, BaseDelay: time.Millisecond, MaxElapsed: 50 * time.Millisecond}))
		op, build := thing(http.MethodGet, nil, false)
		resp, err := c.do(context.Background(), op, build)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond) // past MaxElapsed: the body must still be readable
		if v, err := decodeJSON[map[string]bool](resp); err != nil || !(*v)["ok"] {
			t.Errorf("body after MaxElapsed: %v %v", v, err)
		}
	})
}

// The retry quota, as AWS SDK v2 keeps it: a retry takes 5 tokens (10
// after a timeout) and is made only while there are that many; a call that
// ends with an answer gives back its last retry's cost, or 1 when it needed
// no retry; a call that fails for good gives nothing back; errors that say
// nothing of the service (the caller's cancellation, an invalid option)
// neither take nor give.
func TestRetryBudgetAccounting(t *testing.T) {
	srv := newFaultServer(t, faultserver.Config{Default: okStep})
	budget := NewRetryBudget(20)
	clock := newFakeClock()
	c := retryClient(t, srv.URL, WithSleeper(clock), WithRetryBudget(budget), WithRetry(RetryPolicy{MaxRetries: 10}))
	ctx := context.Background()
	get := func(opts ...Option) error {
		op, build := thing(http.MethodGet, nil, false)
		resp, err := c.do(ctx, op, build, opts...)
		if err == nil {
			noContent(resp)
		}
		return err
	}
	tokens := func(want int) {
		t.Helper()
		if got := budget.Tokens(); got != want {
			t.Fatalf("tokens = %v, want %v", got, want)
		}
	}
	// A transient failure cured by a retry costs nothing.
	srv.Script(faultserver.Status(503, ""))
	if err := get(); err != nil {
		t.Fatal(err)
	}
	tokens(20)
	// An outage: 20 → 15, 10, 5, 0 (four retries), then denied.
	srv.SetDefault(faultserver.Status(503, ""))
	err := get()
	var re *RetryError
	if !errors.As(err, &re) || re.Attempts != 5 || re.Reason != "the retry budget is exhausted" {
		t.Fatalf("err = %v", err)
	}
	tokens(0)
	if a, d := budget.Stats(); a != 5 || d != 1 {
		t.Errorf("stats %d allowed, %d denied", a, d)
	}
	// The next failure gets no retry at all.
	if err := get(); !errors.As(err, &re) || re.Attempts != 1 {
		t.Fatalf("err = %v", err)
	}
	tokens(0)
	// The caller's cancellation says nothing about the service.
	srv.SetDefault(faultserver.Step{Fault: faultserver.SlowHeaders})
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	op, build := thing(http.MethodGet, nil, false)
	_, err = c.do(cctx, op, build)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	tokens(0)
	// Nor does a call whose options fail before any attempt.
	if err := get(WithMaxRetries(-1)); err == nil {
		t.Fatal("invalid option accepted")
	}
	tokens(0)
	// An answer gives a token back, a 404 as a 200.
	srv.SetDefault(faultserver.Status(404, ""))
	if err := get(); err == nil {
		t.Fatal("404 succeeded")
	}
	tokens(1)
	srv.SetDefault(okStep)
	for range 3 {
		if err := get(); err != nil {
			t.Fatal(err)
		}
	}
	tokens(4)
	// Below a retry's cost, still no retry; one more answer and a
	// transient failure is retried again, at no cost once cured.
	srv.Script(faultserver.Status(503, ""))
	if err := get(); !errors.As(err, &re) || re.Attempts != 1 {
		t.Fatalf("err = %v", err)
	}
	tokens(4)
	if err := get(); err != nil {
		t.Fatal(err)
	}
	srv.Script(faultserver.Status(503, ""))
	if err := get(); err != nil {
		t.Fatalf("retry after recovery: %v", err)
	}
	tokens(5)
	// A timeout costs twice as much: 5 tokens are not enough for its
	// retry; 15 are, and it comes back when the retry answers.
	slow := WithAttemptTimeout(20 * time.Millisecond)
	srv.Script(faultserver.Step{Fault: faultserver.SlowHeaders})
	if err := get(slow); !errors.As(err, &re) || re.Attempts != 1 || re.Reason != "the retry budget is exhausted" {
		t.Fatalf("a timeout with 5 tokens: %v", err)
	}
	tokens(5)
	for range 10 {
		if err := get(); err != nil {
			t.Fatal(err)
		}
	}
	tokens(15)
	srv.Script(faultserver.Step{Fault: faultserver.SlowHeaders})
	if err := get(slow); err != nil {
		t.Fatalf("a timeout cured by a retry: %v", err)
	}
	tokens(15)
	if a, d := budget.Stats(); a != 7 || d != 4 {
		t.Errorf("stats %d allowed, %d denied", a, d)
	}
	// Tokens never exceed the capacity.
	for range 30 {
		if err := get(); err != nil {
			t.Fatal(err)
		}
	}
	tokens(20)
	// A call can opt out of the client's budget.
	srv.SetDefault(faultserver.Status(503, ""))
	if err := get(WithRetryBudget(nil), WithMaxRetries(6)); !errors.As(err, &re) || re.Attempts != 7 {
		t.Fatalf("err = %v", err)
	}
	tokens(20)
}

func TestRetryBudgetIsSafeForConcurrentUse(t *testing.T) {
	b := NewRetryBudget(0)
	if b.Tokens() != DefaultRetryBudget {
		t.Fatalf("default: %v tokens", b.Tokens())
	}
	var wg sync.WaitGroup
	var decisions atomic.Int64
	for i := range 8 {
		wg.Go(func() {
			for j := range 1000 {
				if (i+j)%2 == 0 {
					b.release(1 + j%10)
				} else {
					b.acquire(5)
					decisions.Add(1)
				}
				if tk := b.Tokens(); tk < 0 || tk > DefaultRetryBudget {
					t.Errorf("tokens %v", tk)
				}
			}
		})
	}
	wg.Wait()
	if a, d := b.Stats(); a+d != decisions.Load() {
		t.Errorf("stats %d + %d, want %d decisions", a, d, decisions.Load())
	}
}

// OnRetry sees every retry, with the wait chosen, before the wait.
func TestOnRetry(t *testing.T) {
	srv := newFaultServer(t, faultserver.Config{Default: okStep})
	srv.Script(faultserver.Status(500, ""), faultserver.Step{Fault: faultserver.Reset}, faultserver.Status(429, "", "Retry-After", "3"))
	clock := newFakeClock()
	var events []RetryEvent
	var callEvents int
	c := retryClient(t, srv.URL, WithSleeper(clock), WithOnRetry(func(e RetryEvent) {
		if len(clock.Delays()) != len(events) {
			t.Errorf("OnRetry ran after the wait")
		}
		events = append(events, e)
	}))
	op, build := thing(http.MethodDelete, nil, false)
	resp, err := c.do(context.Background(), op, build, WithOnRetry(func(RetryEvent) { callEvents++ }))
	if err != nil {
		t.Fatal(err)
	}
	noContent(resp)
	delays := clock.Delays()
	if len(events) != 3 || callEvents != 3 || len(delays) != 3 {
		t.Fatalf("%d events (%d per call), waits %v", len(events), callEvents, delays)
	}
	for i, e := range events {
		if e.Operation != "deleteThing" || e.Attempt != i+1 || e.Delay != delays[i] {
			t.Errorf("event %d: %+v (wait %v)", i, e, delays[i])
		}
	}
	if events[0].StatusCode != 500 || events[0].Err != nil || events[1].StatusCode != 0 || !errors.Is(events[1].Err, syscall.ECONNRESET) ||
		events[2].StatusCode != 429 || events[2].Delay != 3*time.Second {
		t.Errorf("events: %+v", events)
	}
	var ue *url.Error
	if errors.As(events[1].Err, &ue) {
		t.Errorf("the event's error is a *url.Error, which prints the full URL")
	}
}

// Every setting can be changed for one call, "no retries" included.
func TestRetryPerCallOverrides(t *testing.T) {
	srv := newFaultServer(t, faultserver.Config{Default: faultserver.Status(503, "busy")})
	clock := newFakeClock()
	// Without a retry quota: every call here fails, and each must get its
	// policy's retries (the quota has tests of its own).
	c := retryClient(t, srv.URL, WithSleeper(clock), WithMaxRetries(2), WithRetryBudget(nil))
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		method   string
		opts     []Option
		attempts int
		reason   string
	}{
		{"client policy", http.MethodGet, nil, 3, "2 retries used"},
		{"no retries", http.MethodGet, []Option{WithoutRetries()}, 1, "retries are disabled"},
		{"more retries", http.MethodGet, []Option{WithMaxRetries(4)}, 5, "4 retries used"},
		{"one retry", http.MethodGet, []Option{WithRetry(RetryPolicy{MaxRetries: 1})}, 2, "1 retry used"},
		{"GET marked not idempotent", http.MethodGet, []Option{WithIdempotent(false)}, 1, "the call is marked not idempotent"},
		{"POST", http.MethodPost, nil, 1, "a POST without an Idempotency-Key is never retried"},
		{"PATCH", http.MethodPatch, nil, 1, "a PATCH without an Idempotency-Key is never retried"},
		{"POST with a key", http.MethodPost, []Option{WithIdempotencyKey("k-1")}, 3, "2 retries used"},
		{"POST with a key header", http.MethodPost, []Option{WithHeader("Idempotency-Key", "k-2")}, 3, "2 retries used"},
		{"POST marked idempotent", http.MethodPost, []Option{WithIdempotent(true)}, 3, "2 retries used"},
		{"POST with a key, marked not idempotent", http.MethodPost, []Option{WithIdempotencyKey("k-3"), WithIdempotent(false)}, 1, "the call is marked not idempotent"},
		{"sleeper", http.MethodGet, []Option{WithSleeper(newFakeClock())}, 3, "2 retries used"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.Clear()
			before := len(clock.Delays())
			var body []byte
			if tc.method != http.MethodGet {
				body = []byte(`{"x":1}`)
			}
			op, build := thing(tc.method, body, false)
			_, err := c.do(ctx, op, build, tc.opts...)
			var re *RetryError
			var ae *APIError
			if !errors.As(err, &re) || !errors.As(err, &ae) || ae.StatusCode != 503 {
				t.Fatalf("err = %v", err)
			}
			if re.Attempts != tc.attempts || re.Reason != tc.reason || srv.Count() != tc.attempts || re.LastStatus != 503 || string(re.LastBody) != "busy" {
				t.Errorf("attempts %d (server %d), reason %q; want %d, %q", re.Attempts, srv.Count(), re.Reason, tc.attempts, tc.reason)
			}
			keys := map[string]bool{}
			for _, r := range srv.Requests() {
				keys[r.IdempotencyKey] = true
			}
			if len(keys) != 1 {
				t.Errorf("keys: %v", keys)
			}
			if tc.name == "sleeper" && len(clock.Delays()) != before {
				t.Errorf("the client's sleeper was used")
			}
		})
	}
}

// A body that cannot be replayed is sent once and the error says why; a
// GetBody that fails stops the retries with its error.
func TestBodyReplay(t *testing.T) {
	t.Run("no GetBody", func(t *testing.T) {
		srv := newFaultServer(t, faultserver.Config{Default: faultserver.Status(503, "")})
		c := retryClient(t, srv.URL, WithSleeper(newFakeClock()))
		op := &Operation{ID: "upload", Method: http.MethodPut}
		_, err := c.do(context.Background(), op, func(server string) (*http.Request, error) {
			return http.NewRequest(http.MethodPut, server+"/upload", io.NopCloser(strings.NewReader("data")))
		})
		var re *RetryError
		if !errors.As(err, &re) || re.Attempts != 1 || !strings.Contains(re.Reason, "cannot be replayed") || srv.Count() != 1 {
			t.Fatalf("err = %v (%d requests)", err, srv.Count())
		}
		if !strings.Contains(err.Error(), "the request body cannot be replayed: it has no GetBody") {
			t.Errorf("message: %v", err)
		}
	})
	t.Run("GetBody fails", func(t *testing.T) {
		srv := newFaultServer(t, faultserver.Config{Default: faultserver.Status(503, "")})
		c := retryClient(t, srv.URL, WithSleeper(newFakeClock()))
		op := &Operation{ID: "upload", Method: http.MethodPut}
		gone := errors.New("the file is gone")
		_, err := c.do(context.Background(), op, func(server string) (*http.Request, error) {
			req, err := http.NewRequest(http.MethodPut, server+"/upload", strings.NewReader("data"))
			req.GetBody = func() (io.ReadCloser, error) { return nil, gone }
			return req, err
		})
		var re *RetryError
		var ae *APIError
		if !errors.As(err, &re) || !errors.Is(err, gone) || !errors.As(err, &ae) || re.Attempts != 1 || srv.Count() != 1 {
			t.Fatalf("err = %v (%d requests)", err, srv.Count())
		}
	})
}

// The user's middleware runs once and sees the final response, not an
// error: observability layers (otelhttp) record the real status.
func TestCallMiddlewareSeesTheFinalResponse(t *testing.T) {
	srv := newFaultServer(t, faultserver.Config{Default: faultserver.Status(503, "")})
	var calls atomic.Int32
	var status atomic.Int32
	var attempts atomic.Int32
	c := retryClient(t, srv.URL, WithSleeper(newFakeClock()), countAttempts(&attempts), WithMiddleware(func(next http.RoundTripper) http.RoundTripper {
		return RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			calls.Add(1)
			resp, err := next.RoundTrip(r)
			if resp != nil {
				status.Store(int32(resp.StatusCode))
			}
			return resp, err
		})
	}))
	op, build := thing(http.MethodGet, nil, false)
	_, err := c.do(context.Background(), op, build)
	var re *RetryError
	if !errors.As(err, &re) || re.Attempts != 4 {
		t.Fatalf("err = %v", err)
	}
	if calls.Load() != 1 || status.Load() != 503 || attempts.Load() != 4 {
		t.Errorf("middleware: %d calls, status %d; %d attempts", calls.Load(), status.Load(), attempts.Load())
	}
}

func TestRetryErrorMessage(t *testing.T) {
	ae := &APIError{Operation: "getPet", Method: "GET", URL: "https://api.example.com/pets/1", StatusCode: 503}
	for _, tc := range []struct {
		err  *RetryError
		want string
	}{
		{&RetryError{Operation: "getPet", Attempts: 4, TotalWait: 1234567 * time.Microsecond, Reason: "3 retries used", Err: ae},
			"getPet: gave up after 4 attempts and 1.235s of waiting (3 retries used): getPet: GET https://api.example.com/pets/1: 503 Service Unavailable"},
		{&RetryError{Operation: "createPet", Attempts: 1, Reason: "a POST without an Idempotency-Key is never retried", Err: ae},
			"createPet: not retried (a POST without an Idempotency-Key is never retried): getPet: GET https://api.example.com/pets/1: 503 Service Unavailable"},
		{&RetryError{Attempts: 2}, "gave up after 2 attempts"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
	re := &RetryError{Err: ae, StoppedBy: context.Canceled}
	var got *APIError
	if !errors.As(re, &got) || !errors.Is(re, context.Canceled) {
		t.Errorf("Unwrap: %v", re.Unwrap())
	}
	if (&RetryError{}).Unwrap() != nil || len((&RetryError{StoppedBy: io.EOF}).Unwrap()) != 1 {
		t.Error("Unwrap of partial errors")
	}
}

// Non-transient outcomes are returned as they are, retried or not.
func TestNonTransientOutcomes(t *testing.T) {
	srv := newFaultServer(t, faultserver.Config{Default: faultserver.Status(404, `{"message":"no"}`)})
	c := retryClient(t, srv.URL, WithSleeper(newFakeClock()))
	op, build := thing(http.MethodGet, nil, false)
	_, err := c.do(context.Background(), op, build)
	var re *RetryError
	var ae *APIError
	if errors.As(err, &re) || !errors.As(err, &ae) || ae.StatusCode != 404 {
		t.Fatalf("404 on the first attempt: %v", err)
	}
	// After a retry, the final 404 comes in a RetryError that tells of it.
	srv.Script(faultserver.Status(503, "first"))
	_, err = c.do(context.Background(), op, build)
	if !errors.As(err, &re) || !errors.As(err, &ae) || re.Attempts != 2 || re.Reason != "status 404 is not retried" || re.LastStatus != 404 {
		t.Fatalf("503 then 404: %v", err)
	}
}

// Timeouts of lower layers — the Transport's ResponseHeaderTimeout, the
// caller's http.Client.Timeout — end one attempt, not the call: they are
// retried like the SDK's own attempt timeout. (Their errors match
// context.DeadlineExceeded; only the caller's context is final.)
func TestLowerLayerTimeoutsAreRetried(t *testing.T) {
	for _, tc := range []struct {
		name string
		hc   func() *http.Client
	}{
		{"ResponseHeaderTimeout", func() *http.Client {
			return &http.Client{Transport: &http.Transport{ResponseHeaderTimeout: 150 * time.Millisecond}}
		}},
		{"Client.Timeout", func() *http.Client {
			return &http.Client{Transport: &http.Transport{}, Timeout: 150 * time.Millisecond}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFaultServer(t, faultserver.Config{Default: okStep})
			srv.Script(faultserver.Step{Fault: faultserver.SlowHeaders})
			hc := tc.hc()
			t.Cleanup(hc.CloseIdleConnections)
			clock := newFakeClock()
			c := retryClient(t, srv.URL, WithSleeper(clock), WithHTTPClient(hc))
			op, build := thing(http.MethodGet, nil, false)
			resp, err := c.do(context.Background(), op, build)
			if err != nil {
				t.Fatal(err)
			}
			noContent(resp)
			if srv.Count() != 2 || len(clock.Delays()) != 1 {
				t.Errorf("%d requests, waits %v; want 2 and one wait", srv.Count(), clock.Delays())
			}
		})
	}
}

// When the wait after a failed connection is cut short, the error keeps
// that attempt's transport error and the context's.
func TestWaitCutAfterATransportError(t *testing.T) {
	srv := newFaultServer(t, faultserver.Config{Default: faultserver.Step{Fault: faultserver.Reset}})
	clock := newFakeClock()
	clock.block = true
	c := retryClient(t, srv.URL, WithSleeper(clock))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock.onSleep = func(int, time.Duration) { cancel() }
	op, build := thing(http.MethodGet, nil, false)
	_, err := c.do(ctx, op, build)
	var re *RetryError
	var te *TransportError
	if !errors.As(err, &re) || !errors.As(err, &te) || !errors.Is(err, syscall.ECONNRESET) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if re.Attempts != 1 || re.LastStatus != 0 || te.Operation != "getThing" || te.Method != "GET" || !strings.HasSuffix(te.URL, "/thing") {
		t.Errorf("retry error %+v, transport error %+v", re, te)
	}
	if !strings.Contains(re.Reason, "context ended") {
		t.Errorf("reason %q", re.Reason)
	}
}
