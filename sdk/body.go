package sdk

import (
	"errors"
	"io"
	"sync"
)

// drainLimit bounds how much of an unwanted body is read so the connection
// can be reused; past it, closing is cheaper than reading.
const drainLimit = 64 << 10

// drainClose reads a little of the body, so its connection can go back to
// the pool, and closes it.
func drainClose(body io.ReadCloser) {
	if body == nil {
		return
	}
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
	_ = body.Close()
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
