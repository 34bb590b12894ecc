package sdk_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

// otelServer fails the first two requests with 503 and answers the third,
// recording the traceparent header each one carried.
type otelServer struct {
	*httptest.Server
	n      atomic.Int32
	mu     sync.Mutex
	parent []string
}

func newOTelServer(t testing.TB) *otelServer {
	s := &otelServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.parent = append(s.parent, r.Header.Get("Traceparent"))
		s.mu.Unlock()
		if s.n.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"p-1"}`)
	}))
	if t != nil {
		t.Cleanup(s.Close)
	}
	return s
}

// tracing returns otelhttp's transport as sdk middleware, recording into
// tp, propagating W3C trace context, and naming spans by operationId.
func tracing(tp trace.TracerProvider) sdk.Middleware {
	return func(next http.RoundTripper) http.RoundTripper {
		return otelhttp.NewTransport(next,
			otelhttp.WithTracerProvider(tp),
			otelhttp.WithPropagators(propagation.TraceContext{}),
			otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
				if op := sdk.OperationFrom(r.Context()); op != nil {
					return op.ID
				}
				return r.Method
			}))
	}
}

var getProduct = &sdk.Operation{ID: "getProduct", Method: http.MethodGet, Path: "/products/p-1"}

func getProductRequest(server string) (*http.Request, error) {
	return http.NewRequest(http.MethodGet, server+"products/p-1", nil)
}

type otelProduct struct {
	ID string `json:"id"`
}

// otelhttp composes with the SDK's layers as any RoundTripper middleware
// does. Given to WithMiddleware it sits above retries: one span per call,
// whose status is the call's final one, and whose trace context every
// attempt carries to the server. Given to WithAttemptMiddleware it sits
// below them: one span per attempt (with its own status), each attempt
// carrying its own span's context, all in the caller's trace. sdk itself
// does not import OpenTelemetry (internal/hygiene checks it).
func TestOpenTelemetry(t *testing.T) {
	for _, tc := range []struct {
		name       string
		option     func(sdk.Middleware) sdk.Option
		spans      int
		statuses   []int64
		perAttempt bool
	}{
		{"per call", func(m sdk.Middleware) sdk.Option { return sdk.WithMiddleware(m) }, 1, []int64{200}, false},
		{"per attempt", func(m sdk.Middleware) sdk.Option { return sdk.WithAttemptMiddleware(m) }, 3, []int64{503, 503, 200}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			defer tp.Shutdown(context.Background())
			srv := newOTelServer(t)
			c := newTestClient(t, srv.URL, tc.option(tracing(tp)), sdk.WithMaxRetries(3), sdk.WithSleeper(noWait{}))

			ctx, parent := tp.Tracer("test").Start(context.Background(), "caller")
			resp, err := sdkimpl.Do(ctx, c, getProduct, getProductRequest)
			if err != nil {
				t.Fatal(err)
			}
			p, err := sdkimpl.DecodeJSON[otelProduct](resp)
			parent.End()
			if err != nil || p.ID != "p-1" {
				t.Fatalf("%+v, %v", p, err)
			}

			var spans []sdktrace.ReadOnlySpan
			for _, s := range rec.Ended() {
				if s.Name() == "getProduct" {
					spans = append(spans, s)
				}
			}
			if len(spans) != tc.spans {
				t.Fatalf("%d spans named getProduct, want %d", len(spans), tc.spans)
			}
			srv.mu.Lock()
			sent := append([]string(nil), srv.parent...)
			srv.mu.Unlock()
			if len(sent) != 3 {
				t.Fatalf("the server got %d requests, want 3", len(sent))
			}
			traceID := parent.SpanContext().TraceID()
			for i, s := range spans {
				if s.SpanContext().TraceID() != traceID || s.Parent().SpanID() != parent.SpanContext().SpanID() {
					t.Errorf("span %d is not a child of the caller's span", i)
				}
				if got := statusOf(s.Attributes()); got != tc.statuses[i] {
					t.Errorf("span %d: status %d, want %d", i, got, tc.statuses[i])
				}
				if s.SpanKind() != trace.SpanKindClient {
					t.Errorf("span %d: kind %v", i, s.SpanKind())
				}
			}
			for i, tp := range sent {
				span := spans[0]
				if tc.perAttempt {
					span = spans[i]
				}
				want := fmt.Sprintf("00-%s-%s-01", traceID, span.SpanContext().SpanID())
				if tp != want {
					t.Errorf("attempt %d carried traceparent %q, want %q", i+1, tp, want)
				}
			}
		})
	}
}

func statusOf(attrs []attribute.KeyValue) int64 {
	for _, a := range attrs {
		if a.Key == "http.response.status_code" {
			return a.Value.AsInt64()
		}
	}
	return 0
}

// noWait is a Sleeper that does not sleep.
type noWait struct{}

func (noWait) Sleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }
func (noWait) Now() time.Time                                   { return time.Now() }

// OpenTelemetry's otelhttp is middleware like any other. Given to
// WithMiddleware it traces each call once, however many attempts it takes
// (here a 503, then the answer), and every attempt carries the span's W3C
// trace context; given to WithAttemptMiddleware it would trace each
// attempt.
func ExampleWithMiddleware_openTelemetry() {
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Printf("attempt %d carries a traceparent: %v\n", attempts.Add(1), r.Header.Get("Traceparent") != "")
		if attempts.Load() == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"p-1"}`)
	}))
	defer srv.Close()

	// An in-memory exporter; a program would export to its collector.
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	defer tp.Shutdown(context.Background())

	c, err := sdk.NewClient(srv.URL,
		sdk.WithMiddleware(func(next http.RoundTripper) http.RoundTripper {
			return otelhttp.NewTransport(next,
				otelhttp.WithTracerProvider(tp),
				otelhttp.WithPropagators(propagation.TraceContext{}),
				otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
					return sdk.OperationFrom(r.Context()).ID // the spec's operationId
				}))
		}),
		sdk.WithRetry(sdk.RetryPolicy{MaxRetries: 2, BaseDelay: time.Millisecond}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	resp, err := sdkimpl.Do(context.Background(), c, getProduct, getProductRequest)
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := sdkimpl.DecodeJSON[otelProduct](resp) // the span ends with the body
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("product", p.ID)
	for _, s := range spans.Ended() {
		fmt.Println("span", s.Name(), "status", statusOf(s.Attributes()))
	}
	// Output:
	// attempt 1 carries a traceparent: true
	// attempt 2 carries a traceparent: true
	// product p-1
	// span getProduct status 200
}
