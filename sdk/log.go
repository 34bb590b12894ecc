package sdk

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk/internal/safetext"
)

// defaultLogHeaders may appear in logs: they describe requests and
// responses without carrying credentials.
var defaultLogHeaders = canonicalHeaders(
	"Accept", "Content-Type", "Content-Length", "Content-Encoding", "User-Agent",
	"Idempotency-Key", "Retry-After", "Retry-After-Ms", "Ratelimit-Limit", "Ratelimit-Remaining",
	"Ratelimit-Reset", "X-Request-Id", "Request-Id", "Traceparent", "Location", "Etag", "Cache-Control",
)

// logAttempt logs one attempt at debug level.
func (c *Client) logAttempt(req *http.Request, resp *http.Response, err error, st *callState, elapsed time.Duration) {
	l := st.s.logger
	ctx := req.Context()
	if !l.Enabled(ctx, slog.LevelDebug) {
		return
	}
	red := st.redactor(req)
	attrs := make([]slog.Attr, 0, 10)
	attrs = append(attrs,
		slog.String("operation", st.op.ID),
		slog.String("method", req.Method),
		slog.String("url", redactURL(req.URL)),
		slog.Int("attempt", st.retry.attempt),
		slog.Duration("elapsed", elapsed),
	)
	if h := c.loggableHeaders(req.Header, st.s, red); len(h) > 0 {
		attrs = append(attrs, slog.Group("request_headers", h...))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", sanitize(red.apply(unwrapURLError(err).Error()), 300)))
	}
	if resp != nil {
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
		if h := c.loggableHeaders(resp.Header, st.s, red); len(h) > 0 {
			attrs = append(attrs, slog.Group("response_headers", h...))
		}
	}
	l.LogAttrs(ctx, slog.LevelDebug, "sdk: attempt", attrs...)
}

// logRetry logs a retry about to happen, at info level.
func (c *Client) logRetry(st *callState, ev RetryEvent) {
	attrs := []slog.Attr{
		slog.String("operation", ev.Operation),
		slog.Int("attempt", ev.Attempt),
		slog.Duration("delay", ev.Delay),
	}
	if ev.StatusCode != 0 {
		attrs = append(attrs, slog.Int("status", ev.StatusCode))
	}
	if ev.Err != nil {
		attrs = append(attrs, slog.String("error", sanitize(st.redactor(st.retry.req).apply(unwrapURLError(ev.Err).Error()), 300)))
	}
	st.s.logger.LogAttrs(context.Background(), slog.LevelInfo, "sdk: retrying", attrs...)
}

// loggableHeaders returns the headers on the allowlist, minus those that
// carry credentials whatever the allowlist says. Values lose the call's
// secrets, and URLs (Location) their query and user information, where
// servers put signatures and tokens the client never had.
func (c *Client) loggableHeaders(h http.Header, s *settings, red *redactor) []any {
	var keys []string
	for k := range h {
		if (defaultLogHeaders[k] || s.logHeaders[k]) && !s.credentialHeader(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := make([]any, 0, len(keys))
	for _, k := range keys {
		v := make([]string, len(h[k]))
		for i, x := range h[k] {
			if k == "Location" || k == "Content-Location" {
				x = safetext.RedactRawURL(x)
			}
			v[i] = sanitize(red.apply(x), 200)
		}
		if len(v) == 1 {
			out = append(out, slog.String(k, v[0]))
		} else {
			out = append(out, slog.Any(k, v))
		}
	}
	return out
}
