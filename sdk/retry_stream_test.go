package sdk

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/sdkgen-go/sdkgen/internal/faultserver"
)

// genBody is a request body generated as it is read: size pseudo-random
// bytes, never held in memory. Each instance may be read through once; a
// read after Close is recorded as misuse, and so a replay from the same
// instance (instead of a fresh one from GetBody) would show up as a short
// body on the server.
type genBody struct {
	state  uint64
	left   int64
	closed bool
	misuse func()
}

func newGenBody(size int64, misuse func()) *genBody {
	return &genBody{state: 0x9e3779b97f4a7c15, left: size, misuse: misuse}
}

func (g *genBody) Read(p []byte) (int, error) {
	if g.closed {
		g.misuse()
		return 0, errors.New("read after Close")
	}
	if g.left == 0 {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), g.left))
	for i := 0; i < n; {
		// xorshift64*, eight bytes at a time.
		g.state ^= g.state >> 12
		g.state ^= g.state << 25
		g.state ^= g.state >> 27
		v := g.state * 0x2545f4914f6cdd1d
		for k := 0; k < 8 && i < n; k++ {
			p[i] = byte(v >> (8 * k))
			i++
		}
	}
	g.left -= int64(n)
	return n, nil
}

func (g *genBody) Close() error {
	g.closed = true
	return nil
}

// A retried upload is replayed from GetBody on every attempt, streamed:
// the server receives the same bytes each time, each attempt reads a fresh
// body once, and the whole call allocates a small fraction of the body's
// size, so the SDK never held it in memory.
func TestStreamedBodyIsReplayedWithoutBuffering(t *testing.T) {
	const size = 32 << 20
	h := sha256.New()
	if _, err := io.Copy(h, newGenBody(size, func() {})); err != nil {
		t.Fatal(err)
	}
	var want [sha256.Size]byte
	copy(want[:], h.Sum(nil))

	for _, tc := range []struct {
		name   string
		method string
		opts   []Option
	}{
		{"PUT", http.MethodPut, nil},
		{"POST with a key", http.MethodPost, []Option{WithIdempotencyKey("upload-1")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFaultServer(t, faultserver.Config{Default: okStep})
			srv.Script(faultserver.Status(503, ""), faultserver.Step{Fault: faultserver.Reset}, faultserver.Status(502, ""))
			c := retryClient(t, srv.URL, WithSleeper(newFakeClock()))

			var mu sync.Mutex
			var bodies []*genBody
			misuses := 0
			misuse := func() { mu.Lock(); misuses++; mu.Unlock() }
			newBody := func() *genBody {
				b := newGenBody(size, misuse)
				mu.Lock()
				bodies = append(bodies, b)
				mu.Unlock()
				return b
			}
			op := &Operation{ID: "upload", Method: tc.method, Path: "/upload"}
			build := func(server string) (*http.Request, error) {
				req, err := http.NewRequest(tc.method, strings.TrimSuffix(server, "/")+"/upload", newBody())
				if err != nil {
					return nil, err
				}
				req.ContentLength = size
				req.GetBody = func() (io.ReadCloser, error) { return newBody(), nil }
				return req, nil
			}

			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			resp, err := c.do(context.Background(), op, build, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			noContent(resp)
			runtime.ReadMemStats(&after)

			reqs := srv.Requests()
			if len(reqs) != 4 {
				t.Fatalf("%d requests, want 4", len(reqs))
			}
			for _, r := range reqs {
				if r.BodyLen != size || r.BodySHA256 != want {
					t.Errorf("attempt %d: the server got %d bytes, not the body", r.N, r.BodyLen)
				}
				if r.IdempotencyKey != reqs[0].IdempotencyKey {
					t.Errorf("attempt %d: key %q, want %q", r.N, r.IdempotencyKey, reqs[0].IdempotencyKey)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if len(bodies) != 4 || misuses != 0 {
				t.Errorf("%d bodies made for 4 attempts, %d reads after Close", len(bodies), misuses)
			}
			for i, b := range bodies {
				if b.left != 0 {
					t.Errorf("body %d: %d bytes left unread", i, b.left)
				}
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/8 {
				t.Errorf("the call allocated %d MiB for 4 attempts of a %d MiB body: it was buffered", alloc>>20, size>>20)
			} else {
				t.Logf("allocated %d KiB to send %d MiB four times", alloc>>10, size>>20)
			}
		})
	}
}
