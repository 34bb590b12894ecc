package sdkimpl_test

import (
	"errors"
	"testing"

	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

type notFound struct {
	Body struct {
		Message string `json:"message"`
	}
}

func (e *notFound) Error() string { return sdkimpl.DescribeBody("NotFound", e.Body) }

// A declared error body decodes into its generated type, reached through
// errors.As; a body that does not decode gives no model and the reason.
func TestJSONError(t *testing.T) {
	dec := sdkimpl.JSONError(func(e *notFound) any { return &e.Body })
	model, err := dec([]byte(`{"message":"no such pet"}`))
	var nf *notFound
	if err != nil || !errors.As(model, &nf) || nf.Body.Message != "no such pet" || model.Error() != "NotFound: no such pet" {
		t.Errorf("model %v (%T), err %v", model, model, err)
	}
	if model, err := dec([]byte(`not json`)); model != nil || err == nil {
		t.Errorf("undecodable body: model %v, err %v", model, err)
	}
}

// A declared error body reads on one line, by its message when it has one.
func TestDescribeBody(t *testing.T) {
	for _, tc := range []struct {
		body any
		want string
	}{
		{map[string]any{"message": "not found", "code": 4}, "X: not found"},
		{map[string]any{"detail": "bad\x1b[0m input\n"}, `X: bad\x1b[0m input`},
		{map[string]any{"code": 4}, `X: {"code":4}`},
		{[]int{1, 2}, "X: [1,2]"},
	} {
		if got := sdkimpl.DescribeBody("X", tc.body); got != tc.want {
			t.Errorf("DescribeBody(%v) = %q, want %q", tc.body, got, tc.want)
		}
	}
}
