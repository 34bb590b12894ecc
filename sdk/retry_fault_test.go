package sdk

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/internal/faultserver"
)

// matrixMethod is a kind of request of the fault matrix.
type matrixMethod struct {
	name       string
	verb       string
	body       bool
	idempotent bool // the operation is marked x-sdkgen-idempotent: the SDK adds a key
	retried    bool // what the policy says
}

var matrixMethods = []matrixMethod{
	{name: "GET", verb: http.MethodGet, retried: true},
	{name: "PUT", verb: http.MethodPut, body: true, retried: true},
	{name: "POST-without-key", verb: http.MethodPost, body: true},
	{name: "POST-with-key", verb: http.MethodPost, body: true, idempotent: true, retried: true},
}

// matrixFault is a fault of the matrix, injected on the first attempt
// ("once") or on every attempt ("always").
type matrixFault struct {
	name      string
	transient bool // what the policy says
	// reaches says whether a faulty attempt reaches the server as a
	// request (a refused dial or a stalled TLS handshake does not).
	reaches bool
	step    faultserver.Step // the request-level fault
	refuse  bool             // the listener is down
	stall   bool             // TLS handshakes stall
	slow    bool             // needs the per-attempt timeout
	status  int              // the status an *APIError must carry; 0 for transport faults
	cause   func(error) bool // the transport fault's cause, found in the error
	decode  bool             // a 2xx whose body fails to decode
}

const matrixAttemptTimeout = 300 * time.Millisecond

var matrixPayload = []byte(`{"name":"` + strings.Repeat("x", 16<<10) + `"}`)

func matrixFaults() []matrixFault {
	timeout := func(err error) bool {
		var ne interface{ Timeout() bool }
		return errors.As(err, &ne) && ne.Timeout()
	}
	fs := []matrixFault{
		{name: "refused", transient: true, refuse: true, cause: func(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }},
		{name: "reset", transient: true, reaches: true, step: faultserver.Step{Fault: faultserver.Reset}, cause: func(err error) bool { return errors.Is(err, syscall.ECONNRESET) }},
		{name: "EOF-before-response", transient: true, reaches: true, step: faultserver.Step{Fault: faultserver.CloseBeforeResponse}, cause: func(err error) bool { return errors.Is(err, io.EOF) }},
		{name: "TLS-handshake-stall", transient: true, stall: true, cause: func(err error) bool {
			return timeout(err) && strings.Contains(err.Error(), "TLS handshake timeout")
		}},
		{name: "slow-headers", transient: true, reaches: true, slow: true, step: faultserver.Step{Fault: faultserver.SlowHeaders}, cause: func(err error) bool {
			var ate *AttemptTimeoutError
			return errors.As(err, &ate) && ate.After == matrixAttemptTimeout && !ate.Overall
		}},
		{name: "truncated-2xx-body", reaches: true, decode: true, step: faultserver.Step{Fault: faultserver.TruncateBody, Status: 200, Body: []byte(`{"ok":true,"pad":"` + strings.Repeat("p", 100) + `"}`)}},
		{name: "truncated-503-body", transient: true, reaches: true, status: 503, step: faultserver.Step{Fault: faultserver.TruncateBody, Status: 503, Body: []byte(`{"message":"unavailable, try again"}`)}},
	}
	for _, code := range []int{408, 429, 500, 502, 503, 504} {
		fs = append(fs, matrixFault{name: fmt.Sprint(code), transient: true, reaches: true, status: code, step: faultserver.Status(code, `{"message":"transient"}`)})
	}
	for _, code := range []int{400, 403, 404, 409, 422, 501} {
		fs = append(fs, matrixFault{name: fmt.Sprint(code), reaches: true, status: code, step: faultserver.Status(code, `{"message":"final"}`)})
	}
	return fs
}

// TestFaultMatrix runs every fault of the policy against every kind of
// request, on real servers that count what they receive, and checks the
// outcome against the policy: which calls are retried, how many requests
// reach the server, the waits asked for, the error returned; that a POST
// without a key reaches the server at most once, and a POST with a key
// carries one identical key on every attempt, with an identical body.
func TestFaultMatrix(t *testing.T) {
	for _, f := range matrixFaults() {
		for _, m := range matrixMethods {
			for _, always := range []bool{false, true} {
				mode := "once"
				if always {
					mode = "always"
				}
				t.Run(f.name+"/"+m.name+"/"+mode, func(t *testing.T) {
					t.Parallel()
					runFaultCase(t, f, m, always)
				})
			}
		}
	}
}

func runFaultCase(t *testing.T, f matrixFault, m matrixMethod, always bool) {
	const maxRetries = 3
	cfg := faultserver.Config{TLS: f.stall, Default: okStep}
	if always && !f.refuse && !f.stall {
		cfg.Default = f.step
	}
	srv := newFaultServer(t, cfg)
	clock := newFakeClock()
	switch {
	case f.refuse:
		srv.Down()
		if !always {
			clock.onSleep = func(n int, _ time.Duration) {
				if n == 1 {
					if err := srv.Up(); err != nil {
						t.Error(err)
					}
				}
			}
		}
	case f.stall && always:
		srv.StallConnections(100)
	case f.stall:
		srv.StallConnections(1)
	case !always:
		srv.Script(f.step)
	}
	var attempts atomic.Int32
	opts := []Option{WithSleeper(clock), WithMaxRetries(maxRetries), countAttempts(&attempts)}
	if f.slow {
		opts = append(opts, WithAttemptTimeout(matrixAttemptTimeout))
	}
	if f.stall {
		tr := &http.Transport{TLSClientConfig: srv.ClientTLSConfig(), TLSHandshakeTimeout: matrixAttemptTimeout}
		t.Cleanup(tr.CloseIdleConnections)
		opts = append(opts, WithHTTPClient(&http.Client{Transport: tr}))
	}
	c := retryClient(t, srv.URL, opts...)

	var body []byte
	if m.body {
		body = matrixPayload
	}
	op, build := thing(m.verb, body, m.idempotent)
	resp, err := c.do(context.Background(), op, build)
	if err == nil {
		_, err = decodeJSON[map[string]any](resp)
	}

	// What the policy says.
	wantAttempts := 1
	switch {
	case !f.transient || !m.retried:
	case always:
		wantAttempts = 1 + maxRetries
	default:
		wantAttempts = 2
	}
	success := f.transient && m.retried && !always
	wantReached := wantAttempts
	if !f.reaches {
		wantReached = 0
		if success {
			wantReached = 1
		}
	}

	// The client's side.
	if got := int(attempts.Load()); got != wantAttempts {
		t.Errorf("%d attempts, want %d", got, wantAttempts)
	}
	delays := clock.Delays()
	if len(delays) != wantAttempts-1 {
		t.Errorf("waits %v, want %d", delays, wantAttempts-1)
	}
	var total time.Duration
	for i, d := range delays {
		if bound := 500 * time.Millisecond << i; d < 0 || d >= bound {
			t.Errorf("wait %d: %v, outside [0, %v)", i+1, d, bound)
		}
		total += d
	}
	var re *RetryError
	var ae *APIError
	var te *TransportError
	var de *DecodeError
	switch {
	case success:
		if err != nil {
			t.Fatalf("err = %v, want success after one retry", err)
		}
	case f.decode:
		if !errors.As(err, &de) || !errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &re) || de.StatusCode != 200 {
			t.Fatalf("err = %v, want a *DecodeError with io.ErrUnexpectedEOF", err)
		}
	case !f.transient:
		if !errors.As(err, &ae) || ae.StatusCode != f.status || errors.As(err, &re) {
			t.Fatalf("err = %v, want a plain *APIError %d", err, f.status)
		}
	default:
		if !errors.As(err, &re) {
			t.Fatalf("err = %v (%T), want a *RetryError", err, err)
		}
		wantReason := "a POST without an Idempotency-Key is never retried"
		if m.retried {
			wantReason = "3 retries used"
		}
		if re.Attempts != wantAttempts || re.Reason != wantReason || re.TotalWait != total || re.Operation != op.ID {
			t.Errorf("retry error: attempts %d, reason %q, waited %v; want %d, %q, %v", re.Attempts, re.Reason, re.TotalWait, wantAttempts, wantReason, total)
		}
		if f.status != 0 {
			if !errors.As(err, &ae) || ae.StatusCode != f.status || re.LastStatus != f.status || len(re.LastBody) == 0 {
				t.Errorf("err = %v, want an *APIError %d inside", err, f.status)
			}
		} else {
			if !errors.As(err, &te) || !f.cause(err) || re.LastStatus != 0 {
				t.Errorf("err = %v, want a *TransportError with the fault's cause", err)
			}
		}
	}

	// The server's side.
	reqs := srv.Requests()
	if len(reqs) != wantReached {
		t.Errorf("the server received %d requests, want %d", len(reqs), wantReached)
	}
	if f.stall {
		if _, stalled := srv.Connections(); stalled != wantAttempts-wantReached {
			t.Errorf("%d stalled handshakes, want %d", stalled, wantAttempts-wantReached)
		}
	}
	if !m.retried && len(reqs) > 1 {
		t.Errorf("a %s without a key reached the server %d times", m.verb, len(reqs))
	}
	keys := map[string]int{}
	for _, r := range reqs {
		keys[r.IdempotencyKey]++
		if r.Method != m.verb {
			t.Errorf("method %s", r.Method)
		}
		if m.body && (r.BodyLen != int64(len(body)) || r.BodySHA256 != sha256.Sum256(body)) {
			t.Errorf("request %d: body of %d bytes differs from the one sent", r.N, r.BodyLen)
		}
	}
	switch {
	case m.idempotent:
		if len(reqs) > 0 && (len(keys) != 1 || keys[""] != 0) {
			t.Errorf("keys across attempts: %v, want one", keys)
		}
	case len(keys) > 0 && (len(keys) != 1 || keys[""] == 0):
		t.Errorf("an Idempotency-Key was sent without being asked for: %v", keys)
	}
}
