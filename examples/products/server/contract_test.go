package server

import (
	"bytes"
	"context"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// The spec and the server agree: every test's traffic goes through
// contractTransport, which checks each response against products.yaml
// (status declared, headers and JSON bodies valid), and each request the
// server accepted (2xx) against it too. A server that answered with an
// undeclared status or shape, or accepted what the spec forbids, fails
// the test that made the request.

var spec struct {
	once   sync.Once
	router routers.Router
	err    error
}

// specRouter loads products.yaml, validated (examples included), once.
func specRouter(t testing.TB) routers.Router {
	t.Helper()
	spec.once.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromFile("../products.yaml")
		if err != nil {
			spec.err = err
			return
		}
		if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
			spec.err = err
			return
		}
		doc.Servers = nil // match paths on any host and port
		spec.router, spec.err = legacy.NewRouter(doc)
	})
	if spec.err != nil {
		t.Fatalf("products.yaml: %v", spec.err)
	}
	return spec.router
}

func TestSpecIsValid(t *testing.T) {
	r := specRouter(t)
	// Every operation has an id and a tag, and declares its errors as
	// problem+json (the token endpoint's are RFC 6749 JSON).
	req, _ := http.NewRequest(http.MethodGet, "/products", nil)
	route, _, err := r.FindRoute(req)
	if err != nil {
		t.Fatal(err)
	}
	for path, item := range route.Spec.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" || len(op.Tags) != 1 {
				t.Errorf("%s %s: operationId %q, tags %v", method, path, op.OperationID, op.Tags)
			}
			if op.Security == nil {
				t.Errorf("%s: no security requirement of its own", op.OperationID)
			}
			for code, resp := range op.Responses.Map() {
				if code[0] == '2' {
					continue
				}
				want := "application/problem+json"
				if path == "/oauth/token" {
					want = "application/json"
				}
				if resp.Value.Content.Get(want) == nil || len(resp.Value.Content) != 1 {
					t.Errorf("%s %s: not only %s", op.OperationID, code, want)
				}
				if resp.Value.Headers["X-Request-Id"] == nil {
					t.Errorf("%s %s: no X-Request-Id header", op.OperationID, code)
				}
			}
		}
	}
}

// contractTransport validates traffic against the spec, reporting
// mismatches as test errors.
type contractTransport struct {
	t      testing.TB
	router routers.Router
	base   http.RoundTripper
}

func (c *contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// Keep a copy of small bodies (JSON, forms) to validate the request
	// afterwards; uploads stream through.
	var reqBody []byte
	mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if req.Body != nil && (mt == "application/json" || mt == "application/x-www-form-urlencoded") {
		data, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = data
		req.Body = io.NopCloser(bytes.NewReader(data))
	}
	resp, err := c.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	route, params, ferr := c.router.FindRoute(req)
	if ferr != nil {
		// Undeclared paths and methods: the server must say so.
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			c.t.Errorf("contract: %s %s is not in the spec, yet got %s", req.Method, req.URL.Path, resp.Status)
		}
		return resp, nil
	}
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	}
	if resp.StatusCode/100 == 2 {
		vreq := req.Clone(context.Background())
		if reqBody != nil {
			vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
		} else {
			vreq.Body = http.NoBody
		}
		vin := *in
		vin.Request = vreq
		vin.Options = &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true,
			ExcludeRequestBody: reqBody == nil && req.Body != nil, SkipSettingDefaults: true}
		if err := openapi3filter.ValidateRequest(context.Background(), &vin); err != nil {
			c.t.Errorf("contract: the server accepted (%s) a request the spec rejects: %s %s: %v", resp.Status, req.Method, req.URL, err)
		}
	}
	rmt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	jsonBody := rmt == "application/json" || strings.HasSuffix(rmt, "+json")
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
			ExcludeResponseBody: !jsonBody},
	}
	if jsonBody {
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(data))
		out.SetBodyBytes(data)
	} else if mt := rmt; resp.StatusCode/100 == 2 && route.Operation.Responses.Status(resp.StatusCode) != nil {
		// Binary and event-stream bodies: the content type must be one
		// the spec lists.
		if rmt != "" && route.Operation.Responses.Status(resp.StatusCode).Value.Content.Get(mt) == nil {
			c.t.Errorf("contract: %s %s answered %s, which the spec does not list", req.Method, req.URL.Path, mt)
		}
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		c.t.Errorf("contract: %s %s → %s: %v", req.Method, req.URL, resp.Status, err)
	}
	return resp, nil
}

// The spec's example cursor is one this server issues: the position after
// "Desk lamp" in a list sorted by name.
func TestSpecCursorExample(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "/products", nil)
	route, _, err := specRouter(t).FindRoute(req)
	if err != nil {
		t.Fatal(err)
	}
	p := route.Operation.Parameters.GetByInAndName("query", "cursor")
	if p == nil {
		t.Fatal("no cursor parameter")
	}
	ex, _ := p.Example.(string)
	k, msg := decodeCursor(&listQuery{sort: "name"}, ex)
	if msg != "" || k.id != "prd_01JCF7YQX4W99R5S0TKM2ND8FA" || k.str != "desk lamp" {
		t.Fatalf("example cursor %q: %s %+v", ex, msg, k)
	}
}
