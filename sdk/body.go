package sdk

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// drainLimit and drainTimeout bound how much of an unwanted body is read,
// and for how long, so that its connection can be reused: past them,
// closing the connection and opening another (one or two round trips)
// costs less than waiting for a server that stalls.
const (
	drainLimit   = 64 << 10
	drainTimeout = 250 * time.Millisecond
)

// drainClose reads what quickly comes of a body whose answer is known, so
// its connection can go back to the pool, and closes it: at most
// drainLimit bytes within drainTimeout.
func drainClose(body io.ReadCloser) {
	if body == nil {
		return
	}
	stop := time.AfterFunc(drainTimeout, func() { _ = body.Close() })
	bp := bodyBufs.Get().(*[]byte)
	buf := *bp
	for n := 0; n < drainLimit; {
		m, err := body.Read(buf[:min(len(buf), drainLimit-n)])
		n += m
		if err != nil {
			break
		}
	}
	bodyBufs.Put(bp)
	stop.Stop()
	_ = body.Close()
}

// idleBody bounds each wait of a read of a body the SDK reads itself by
// the idle timeout ([WithIdleTimeout]): a read that waits longer closes
// the body (a Close aborts a pending Read of net/http's bodies) and fails
// with an *IdleTimeoutError.
type idleBody struct {
	body  io.ReadCloser
	d     time.Duration
	timer *time.Timer
	fired atomic.Bool
}

func newIdleBody(body io.ReadCloser, d time.Duration) *idleBody {
	return &idleBody{body: body, d: d}
}

func (b *idleBody) Read(p []byte) (int, error) {
	if b.d <= 0 {
		return b.body.Read(p)
	}
	if b.timer == nil {
		b.timer = time.AfterFunc(b.d, func() {
			b.fired.Store(true)
			_ = b.body.Close()
		})
	} else {
		b.timer.Reset(b.d)
	}
	n, err := b.body.Read(p)
	b.timer.Stop()
	if err != nil && b.fired.Load() {
		err = &IdleTimeoutError{After: b.d}
	}
	return n, err
}

func (b *idleBody) Close() error {
	if b.timer != nil {
		b.timer.Stop()
	}
	return b.body.Close()
}

// readBoundedIdle is readBounded of a body, each read bounded by idle.
func readBoundedIdle(body io.ReadCloser, max int64, idle time.Duration) ([]byte, bool, error) {
	ib := newIdleBody(body, idle)
	data, truncated, err := readBounded(ib, max)
	if ib.timer != nil {
		ib.timer.Stop()
	}
	return data, truncated, err
}

// cancelOnClose releases a context when the body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel func()
	once   sync.Once
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.cancel)
	return err
}

// ErrResponseTooLarge is returned (wrapped in a [*DecodeError]) when a JSON
// response is larger than the limit set by [WithMaxResponseSize].
var ErrResponseTooLarge = errors.New("response body larger than the limit")

// limitedReader fails with ErrResponseTooLarge past n bytes, where
// io.LimitReader would end quietly and leave a truncated document.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		// Over the limit only if there is more to read.
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			return 0, ErrResponseTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// readBounded reads at most max bytes of r and reports whether more
// remained.
func readBounded(r io.Reader, max int64) ([]byte, bool, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if int64(len(data)) > max {
		return data[:max], true, err
	}
	return data, false, err
}
