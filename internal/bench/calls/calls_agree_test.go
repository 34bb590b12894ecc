package calls

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

// The benchmarks compare like with like: every implementation of a call
// returns the same decoded value, in memory and over loopback.
func TestImplsAgree(t *testing.T) {
	cases := []struct {
		name  string
		body  []byte
		impls func(tb testing.TB, base string, newRT func() http.RoundTripper) []impl
		check func(t *testing.T, got any)
	}{
		{"GetProduct", productJSON, getProductImpls, nil},
		{"LargeList", listJSON(largeItems), listImpls, func(t *testing.T, got any) {
			if n := reflect.ValueOf(got).Len(); n != largeItems {
				t.Fatalf("%d items, want %d", n, largeItems)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			loop := httptest.NewServer(cannedHandler(tc.body))
			defer loop.Close()
			tr := newTransport()
			defer tr.CloseIdleConnections()
			for _, tr := range []struct {
				base string
				rt   func() http.RoundTripper
			}{
				{memoryBase, func() http.RoundTripper { return cannedTransport{tc.body} }},
				{loop.URL, func() http.RoundTripper { return tr }},
			} {
				var first any
				for _, im := range tc.impls(t, tr.base, tr.rt) {
					got, err := im.run(context.Background())
					if err != nil {
						t.Fatalf("%s via %s: %v", im.name, tr.base, err)
					}
					if tc.check != nil {
						tc.check(t, got)
					}
					if first == nil {
						first = got
						continue
					}
					sameJSON(t, im.name+" and the first implementation", first, got)
				}
			}
		})
	}
}
