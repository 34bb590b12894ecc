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

// idleReader aborts a read that waits longer than d for the server, and
// then fails it with an *IdleTimeoutError: the timer runs only while a
// read waits, so time the caller spends between reads never counts. abort
// is what stops the read: closing the body (a Close aborts a pending Read
// of net/http's bodies), or cancelling its request's context.
type idleReader struct {
	r     io.Reader
	d     time.Duration
	abort func()
	timer *time.Timer
	fired atomic.Bool
}

func (ir *idleReader) Read(p []byte) (int, error) {
	if ir.d <= 0 {
		return ir.r.Read(p)
	}
	if ir.timer == nil {
		ir.timer = time.AfterFunc(ir.d, func() {
			ir.fired.Store(true)
			ir.abort()
		})
	} else {
		ir.timer.Reset(ir.d)
	}
	n, err := ir.r.Read(p)
	ir.timer.Stop()
	if err != nil && ir.fired.Load() {
		err = &IdleTimeoutError{After: ir.d}
	}
	return n, err
}

func (ir *idleReader) stop() {
	if ir.timer != nil {
		ir.timer.Stop()
	}
}

// readBoundedIdle is readBounded of a body the SDK reads once the answer
// is known, each read bounded by idle (the idle timeout).
func readBoundedIdle(body io.ReadCloser, max int64, idle time.Duration) ([]byte, bool, error) {
	ir := &idleReader{r: body, d: idle, abort: func() { _ = body.Close() }}
	defer ir.stop()
	return readBounded(ir, max)
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
