package calls

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sdkgen-go/sdkgen/examples/products"
	"github.com/sdkgen-go/sdkgen/internal/bench/calls/oapiproducts"
	"github.com/sdkgen-go/sdkgen/sdk"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// benchToken is the bearer token of the call-overhead benchmarks; every
// implementation sends it.
const benchToken = "bench-token"

// productAt returns the i-th product of the canned catalogue: every field
// set, an image included, about 600 bytes of JSON.
func productAt(i int) products.Product {
	at := time.Date(2024, 11, 12, 9, 30, 0, 123456789, time.UTC).Add(time.Duration(i) * time.Minute)
	return products.Product{
		ID:          fmt.Sprintf("prd_01JCF7YQX4W99R5S0TK%07d", i),
		Sku:         fmt.Sprintf("LAMP-%06d", i),
		Name:        "Desk lamp " + strconv.Itoa(i),
		Description: "An adjustable LED desk lamp with a warm-white bulb, a weighted base and a two-metre cable.",
		Category:    "lighting",
		Price:       3999 + int64(i%1000),
		Stock:       int32(i % 50),
		Tags:        []products.Tag{"led", "office", "warm-white"},
		Image: &products.ProductImage{
			Caption:     "The lamp on an oak desk.",
			ContentType: "image/png",
			Width:       640,
			Height:      480,
			Size:        48213 + int64(i),
			Sha256:      fmt.Sprintf("%064x", i),
			UploadedAt:  at,
		},
		Version:   int64(3 + i%7),
		CreatedAt: at,
		UpdatedAt: at.Add(50 * time.Hour),
	}
}

// productJSON is the body of a GetProduct response.
var productJSON = mustJSON(productAt(42))

// listJSON returns the body of a ListProducts response holding n
// products and no next page.
func listJSON(n int) []byte {
	page := products.ProductPage{Data: make([]products.Product, n)}
	for i := range page.Data {
		page.Data[i] = productAt(i)
	}
	return mustJSON(page)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// cannedTransport answers every request in memory with body, as a server
// would: status 200, a JSON content type, ETag and X-Request-Id (which the
// spec declares, and which oapi-codegen parses). It isolates the client's
// CPU: no sockets, no server. It refuses requests without the bearer
// token, so an implementation that skipped auth would fail, not win.
type cannedTransport struct{ body []byte }

func (t cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	if req.Header.Get("Authorization") != "Bearer "+benchToken {
		return nil, fmt.Errorf("canned transport: %s %s without the bearer token", req.Method, req.URL)
	}
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK",
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{
			"Content-Type": {"application/json"},
			"Etag":         {`"3"`},
			"X-Request-Id": {"req_01JCF7YQX4W99R5S0TKM2ND8FA"},
		},
		Body:          io.NopCloser(bytes.NewReader(t.body)),
		ContentLength: int64(len(t.body)),
		Request:       req,
	}, nil
}

// cannedHandler serves body the way cannedTransport does, over HTTP.
func cannedHandler(body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+benchToken {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Etag"] = []string{`"3"`}
		h["X-Request-Id"] = []string{"req_01JCF7YQX4W99R5S0TKM2ND8FA"}
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
		_, _ = w.Write(body)
	})
}

// newTransport returns the transport every implementation gets over
// loopback: a fresh copy of net/http's default.
func newTransport() *http.Transport {
	return http.DefaultTransport.(*http.Transport).Clone()
}

// loopbackTransports returns a maker of new transports (newTransport)
// whose idle connections are closed when tb ends.
func loopbackTransports(tb testing.TB) func() http.RoundTripper {
	return func() http.RoundTripper {
		t := newTransport()
		tb.Cleanup(t.CloseIdleConnections)
		return t
	}
}

// The three clients of one benchmark, behind one shape: each gets the
// product (or the page) its way and returns it decoded.

// sdkClient is the generated products SDK with its default layers (retry,
// auth with the bearer token, no user middleware).
func sdkClient(tb testing.TB, base string, hc *http.Client, opts ...sdk.Option) *products.Client {
	tb.Helper()
	opts = append([]sdk.Option{sdk.WithHTTPClient(hc), products.WithOAuth2(sdk.StaticToken(benchToken))}, opts...)
	c, err := products.NewClient(base, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// oapiClient is oapi-codegen's ClientWithResponses, with the token added
// by a request editor (its documented way of adding credentials).
func oapiClient(tb testing.TB, base string, hc *http.Client) *oapiproducts.ClientWithResponses {
	tb.Helper()
	c, err := oapiproducts.NewClientWithResponses(base, oapiproducts.WithHTTPClient(hc),
		oapiproducts.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+benchToken)
			return nil
		}))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// oapiGetProduct gets a product through ClientWithResponses, checking the
// status as its users must.
func oapiGetProduct(ctx context.Context, c *oapiproducts.ClientWithResponses, id string) (*oapiproducts.Product, error) {
	resp, err := c.GetProductWithResponse(ctx, id)
	if err != nil {
		return nil, err
	}
	if resp.JSON200 == nil {
		return nil, fmt.Errorf("get product: status %d", resp.StatusCode())
	}
	return resp.JSON200, nil
}

// handClient is what a careful user writes by hand with net/http and
// encoding/json: build the request, add the token, check the status,
// decode from the stream, drain and close. token, when set, is sent as a
// bearer token; otherwise hc's transport adds credentials.
type handClient struct {
	hc    *http.Client
	base  string
	token string
}

func (h *handClient) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.base+path, nil)
	if err != nil {
		return err
	}
	if h.token != "" {
		req.Header.Set("Authorization", "Bearer "+h.token)
	}
	resp, err := h.hc.Do(req)
	if err != nil {
		return err
	}
	defer func() {
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	return nil
}

func (h *handClient) getProduct(ctx context.Context, id string) (*products.Product, error) {
	var p products.Product
	if err := h.get(ctx, "/products/"+url.PathEscape(id), &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// check fails when err is set; benchmarks call it on every result.
func check(tb testing.TB, err error) {
	if err != nil {
		tb.Helper()
		tb.Fatal(err)
	}
}

// sameJSON fails unless a and b encode to the same JSON: the
// implementations decoded the same thing.
func sameJSON(tb testing.TB, what string, a, b any) {
	tb.Helper()
	ja, jb := mustJSON(a), mustJSON(b)
	if !bytes.Equal(ja, jb) {
		tb.Fatalf("%s differ:\n%s\n%s", what, ja[:min(len(ja), 300)], jb[:min(len(jb), 300)])
	}
}
