package rtdb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

// The operations, as the SDK's logs and errors name them. PUT, DELETE and
// PATCH (which sets the fields it names) may be retried; POST (push) is
// sent once, since a retry could add the child twice.
var (
	opGet    = &sdk.Operation{ID: "rtdb.get", Method: http.MethodGet}
	opSet    = &sdk.Operation{ID: "rtdb.set", Method: http.MethodPut}
	opUpdate = &sdk.Operation{ID: "rtdb.update", Method: http.MethodPatch, Idempotent: true}
	opPush   = &sdk.Operation{ID: "rtdb.push", Method: http.MethodPost}
	opDelete = &sdk.Operation{ID: "rtdb.delete", Method: http.MethodDelete}
	opListen = &sdk.Operation{ID: "rtdb.listen", Method: http.MethodGet}
)

// request returns the builder of a request to r's location.
func (r Ref) request(method string, body []byte, query url.Values, header http.Header) sdkimpl.RequestBuilder {
	return func(server string) (*http.Request, error) {
		var b strings.Builder
		b.WriteString(server)
		for i, seg := range r.path {
			if i > 0 {
				b.WriteByte('/')
			}
			b.WriteString(url.PathEscape(seg))
		}
		b.WriteString(".json")
		q := url.Values{}
		for k, v := range r.c.query {
			q[k] = v
		}
		for k, v := range query {
			q[k] = v
		}
		if len(q) > 0 {
			b.WriteByte('?')
			b.WriteString(q.Encode())
		}
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequest(method, b.String(), rd)
		if err != nil {
			return nil, err
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, v := range header {
			req.Header[k] = v
		}
		return req, nil
	}
}

// call runs one REST request and returns the response of a 2xx.
func (r Ref) call(ctx context.Context, op *sdk.Operation, name string, body []byte, query url.Values, header http.Header, opts []sdk.Option) (*http.Response, error) {
	if r.c == nil {
		return nil, &Error{Op: name, Err: errors.New("zero Ref: use Client.Ref")}
	}
	if r.err != nil {
		return nil, r.err
	}
	resp, err := sdkimpl.Do(ctx, r.c.sdk, op, r.request(op.Method, body, query, header), opts...)
	if err != nil {
		return nil, r.c.wrap(name, r.Path(), err)
	}
	return resp, nil
}

// decode reads a JSON body into v and closes it. The SDK's layers bound
// its size.
func decode(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

func silent() url.Values { return url.Values{"print": {"silent"}} }

func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// Get reads the value at r as a T. A location without data gives T's zero
// value (nil for a pointer, map or slice).
func Get[T any](ctx context.Context, r Ref, opts ...sdk.Option) (T, error) {
	v, _, err := get[T](ctx, r, false, opts)
	return v, err
}

// GetWithETag reads the value at r and its ETag, for [SetIf] and
// [DeleteIf].
func GetWithETag[T any](ctx context.Context, r Ref, opts ...sdk.Option) (T, string, error) {
	return get[T](ctx, r, true, opts)
}

func get[T any](ctx context.Context, r Ref, etag bool, opts []sdk.Option) (T, string, error) {
	var v T
	var h http.Header
	if etag {
		h = http.Header{"X-Firebase-Etag": {"true"}}
	}
	resp, err := r.call(ctx, opGet, "get", nil, nil, h, opts)
	if err != nil {
		return v, "", err
	}
	tag := resp.Header.Get("ETag")
	if err := decode(resp, &v); err != nil {
		return v, "", &Error{Op: "get", Path: r.Path(), Err: fmt.Errorf("decoding the value as %T: %w", v, err)}
	}
	if etag && tag == "" {
		return v, "", &Error{Op: "get", Path: r.Path(), Err: errors.New("the server sent no ETag")}
	}
	return v, tag, nil
}

// Set replaces the value at r with v (a null JSON value deletes it).
func Set[T any](ctx context.Context, r Ref, v T, opts ...sdk.Option) error {
	body, err := marshal("set", r, v)
	if err != nil {
		return err
	}
	resp, err := r.call(ctx, opSet, "set", body, silent(), nil, opts)
	if err != nil {
		return err
	}
	drain(resp)
	return nil
}

// SetIf replaces the value at r with v only if the location's ETag is
// still etag (from [GetWithETag], or a [*ConflictError]), and returns the
// new ETag. When another write came first it fails with a
// [*ConflictError] holding the current value and ETag.
func SetIf[T any](ctx context.Context, r Ref, v T, etag string, opts ...sdk.Option) (string, error) {
	body, err := marshal("set", r, v)
	if err != nil {
		return "", err
	}
	resp, err := r.call(ctx, opSet, "set", body, nil, conditional(etag), opts)
	if err != nil {
		return "", err
	}
	drain(resp)
	return resp.Header.Get("ETag"), nil
}

// Update sets the children of r that values names, leaving the others as
// they are. A key may be a path ("scores/ada"), so one update can change
// several locations at once; a nil value deletes its location.
func Update(ctx context.Context, r Ref, values map[string]any, opts ...sdk.Option) error {
	for k := range values {
		if _, err := parsePath(k); err != nil || strings.Trim(k, "/") == "" {
			return &PathError{Path: strings.TrimSuffix(r.Path(), "/") + "/" + k, Reason: "not a child path"}
		}
	}
	body, err := marshal("update", r, values)
	if err != nil {
		return err
	}
	resp, err := r.call(ctx, opUpdate, "update", body, silent(), nil, opts)
	if err != nil {
		return err
	}
	drain(resp)
	return nil
}

// Push adds v under r with a new, chronologically ordered key, and returns
// the new child. It is sent once: retrying could add the child twice.
func Push[T any](ctx context.Context, r Ref, v T, opts ...sdk.Option) (Ref, error) {
	body, err := marshal("push", r, v)
	if err != nil {
		return Ref{}, err
	}
	resp, err := r.call(ctx, opPush, "push", body, nil, nil, opts)
	if err != nil {
		return Ref{}, err
	}
	var out struct {
		Name string `json:"name"`
	}
	if err := decode(resp, &out); err != nil || out.Name == "" {
		return Ref{}, &Error{Op: "push", Path: r.Path(), Err: fmt.Errorf("the server's answer names no child (%v)", err)}
	}
	return r.Child(out.Name), nil
}

// Delete removes the value at r.
func Delete(ctx context.Context, r Ref, opts ...sdk.Option) error {
	resp, err := r.call(ctx, opDelete, "delete", nil, silent(), nil, opts)
	if err != nil {
		return err
	}
	drain(resp)
	return nil
}

// DeleteIf removes the value at r only if its ETag is still etag;
// otherwise it fails with a [*ConflictError].
func DeleteIf(ctx context.Context, r Ref, etag string, opts ...sdk.Option) error {
	resp, err := r.call(ctx, opDelete, "delete", nil, nil, conditional(etag), opts)
	if err != nil {
		return err
	}
	drain(resp)
	return nil
}

func conditional(etag string) http.Header {
	return http.Header{"If-Match": {etag}, "X-Firebase-Etag": {"true"}}
}

func marshal(op string, r Ref, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, &Error{Op: op, Path: r.Path(), Err: fmt.Errorf("encoding %T: %w", v, err)}
	}
	return b, nil
}
