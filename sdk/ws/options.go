package ws

import (
	"context"
	"net/http"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk"
)

// Option configures a connection made by [Dial].
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	errs         []error
	header       http.Header
	subprotocols []string
	pingInterval time.Duration
	pongTimeout  time.Duration
	readLimit    int64
	dialTimeout  time.Duration
	reconnect    sdk.RetryPolicy
	onReconnect  []func(ReconnectEvent)
	onConnect    func(context.Context, *Session) error
}

func (c *config) fail(option, reason string) {
	c.errs = append(c.errs, &sdk.OptionError{Option: option, Reason: reason})
}

// Defaults, with their reasons.
const (
	// DefaultPingInterval: load balancers and NATs commonly drop
	// connections idle for 60 s (AWS's ALB and GCP's defaults among them);
	// a ping every 30 s keeps a quiet connection open through them and
	// notices a dead one within a minute.
	DefaultPingInterval = 30 * time.Second
	// DefaultPongTimeout is how long a ping waits for its pong before the
	// connection counts as dropped: long enough for a slow link, short
	// enough that a dead connection is replaced quickly.
	DefaultPongTimeout = 10 * time.Second
	// DefaultReadLimit bounds one incoming message: 1 MiB holds any
	// reasonable JSON event, and keeps a hostile or broken server from
	// making the client buffer without limit.
	DefaultReadLimit = 1 << 20
	// DefaultDialTimeout bounds each reconnect's handshake (the first
	// dial is bounded by the caller's context as well).
	DefaultDialTimeout = 30 * time.Second
)

// DefaultReconnectPolicy returns the policy connections reconnect with:
// up to 10 attempts after each drop, waits drawn with full jitter under a
// bound that starts at 500 ms and doubles up to 15 s. A connection usually
// carries state worth waiting for (subscriptions, a session), so it
// rides out a minute or so of a server's restart or failover (the waits
// average about 45 s in all) where a single call gives up after a few
// seconds; a server's Retry-After of up to a minute is honoured.
func DefaultReconnectPolicy() sdk.RetryPolicy {
	return sdk.RetryPolicy{MaxRetries: 10, BaseDelay: 500 * time.Millisecond, MaxDelay: 15 * time.Second, MaxRetryAfter: time.Minute}
}

func defaultConfig() config {
	return config{
		pingInterval: DefaultPingInterval,
		pongTimeout:  DefaultPongTimeout,
		readLimit:    DefaultReadLimit,
		dialTimeout:  DefaultDialTimeout,
		reconnect:    DefaultReconnectPolicy(),
	}
}

// WithHeader adds a header to the opening handshake, on the first dial and
// every reconnect. It wins over a header of the same name set on the
// client with sdk.WithHeader. Credentials belong in the client's auth
// options, which bind them to the client's origin.
func WithHeader(name, value string) Option {
	return optionFunc(func(c *config) {
		if c.header == nil {
			c.header = http.Header{}
		}
		c.header.Set(name, value)
	})
}

// WithSubprotocols lists the WebSocket subprotocols to offer
// (Sec-WebSocket-Protocol); the server picks one or none.
func WithSubprotocols(protocols ...string) Option {
	return optionFunc(func(c *config) { c.subprotocols = append(c.subprotocols, protocols...) })
}

// WithPingInterval sets how often the connection is pinged (default
// [DefaultPingInterval]); zero turns pings off. A ping whose pong does
// not arrive within the pong timeout (see [WithPongTimeout]) drops the
// connection, which then reconnects. Pings pause while a received message
// waits for Receive, since a pong cannot be read behind it.
func WithPingInterval(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d < 0 {
			c.fail("WithPingInterval", "negative duration")
			return
		}
		c.pingInterval = d
	})
}

// WithPongTimeout sets how long a ping waits for its pong (default
// [DefaultPongTimeout]).
func WithPongTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d <= 0 {
			c.fail("WithPongTimeout", "must be positive")
			return
		}
		c.pongTimeout = d
	})
}

// WithReadLimit sets the size in bytes past which an incoming message is
// refused with a [*MessageTooLargeError] (default [DefaultReadLimit]). The
// connection stays open: the rest of the message is read and discarded,
// never buffered.
func WithReadLimit(n int64) Option {
	return optionFunc(func(c *config) {
		if n <= 0 {
			c.fail("WithReadLimit", "must be positive")
			return
		}
		c.readLimit = n
	})
}

// WithDialTimeout bounds each reconnect's handshake, and the first dial's
// together with the context given to [Dial] (default
// [DefaultDialTimeout]); zero means no bound of its own.
func WithDialTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d < 0 {
			c.fail("WithDialTimeout", "negative duration")
			return
		}
		c.dialTimeout = d
	})
}

// WithReconnect sets how the connection reconnects after a drop, as an
// [sdk.RetryPolicy] (default [DefaultReconnectPolicy]): MaxRetries
// attempts after each drop (the count starts again once connected), waits
// from [sdk.RetryPolicy.Backoff], a server's Retry-After (seconds, on a
// 429 or 503 to the handshake) obeyed up to MaxRetryAfter, and no attempt
// whose wait would end more than MaxElapsed after the drop. Zero durations
// take the sdk's defaults. MaxRetries zero turns reconnecting off, like
// [WithoutReconnect].
func WithReconnect(p sdk.RetryPolicy) Option {
	return optionFunc(func(c *config) {
		if p.MaxRetries < 0 || p.BaseDelay < 0 || p.MaxDelay < 0 || p.MaxRetryAfter < 0 || p.MaxElapsed < 0 {
			c.fail("WithReconnect", "negative value in policy")
			return
		}
		c.reconnect = p
	})
}

// WithoutReconnect makes a drop final: Receive and Send then fail with a
// [*ConnectionLostError] carrying the cause.
func WithoutReconnect() Option {
	return optionFunc(func(c *config) { c.reconnect.MaxRetries = 0 })
}

// WithOnReconnect calls f after each reconnect attempt, successful or not
// (see [ReconnectEvent]). f runs on the connection's own goroutine, one
// event at a time and in order; it must return quickly and must not call
// Close (which waits for that goroutine): to stop reconnecting, bound the
// policy ([WithReconnect]) or call Close from another goroutine.
func WithOnReconnect(f func(ReconnectEvent)) Option {
	return optionFunc(func(c *config) {
		if f != nil {
			c.onReconnect = append(c.onReconnect, f)
		}
	})
}

// WithOnConnect runs f on every new underlying connection, the first and
// each reconnect, before the connection is used: f may exchange messages
// with the server through s (the init handshake of an application protocol,
// subscriptions to renew), and nothing else reads from the connection
// until f returns. ctx is the dial's (bounded by [WithDialTimeout]).
//
// When f returns an error, that connection is closed and the dial counts as
// failed: [Dial] returns a [*DialError] wrapping it, and a reconnect tries
// again with the policy's backoff, unless the error is one a retry cannot
// fix (an [*sdk.AuthError], say), which ends the connection with a
// [*ConnectionLostError]. f runs on the connection's own goroutine, like
// [WithOnReconnect] callbacks, and must not call Close.
func WithOnConnect(f func(ctx context.Context, s *Session) error) Option {
	return optionFunc(func(c *config) { c.onConnect = f })
}
