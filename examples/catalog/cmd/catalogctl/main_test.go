package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/examples/catalog/server"
)

func TestDemo(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"demo"}, &out, &errOut, func(string) string { return "" }); code != 0 {
		t.Fatalf("demo exited %d: %s\n%s", code, errOut.String(), out.String())
	}
	for _, want := range []string{"GetProduct(p3): SKU-003", "code CONFLICT", "page 3:", "event "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestCommands(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := server.New()
	url, err := srv.Start(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	env := func(k string) string {
		if k == "CATALOG_BASE_URL" {
			return url
		}
		return ""
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"get", "p2"}, 0, "SKU-002"},
		{[]string{"list", "--page-size", "3", "--max", "4", "--output", "json"}, 0, `"sku": "SKU-004"`},
		{[]string{"create", "--sku", "SKU-9", "--name", "N", "--price", "5", "--category", "books"}, 0, "SKU-9"},
		{[]string{"create", "--sku", "SKU-9", "--name", "N", "--price", "5", "--category", "books"}, 1, "exists"},
		{[]string{"get", "nope"}, 1, "no product"},
		{[]string{"list", "--page-size", "0"}, 2, "page-size"},
	} {
		var out, errOut bytes.Buffer
		code := run(ctx, tc.args, &out, &errOut, env)
		if code != tc.code || !strings.Contains(out.String()+errOut.String(), tc.want) {
			t.Errorf("%v: exit %d, output %q %q; want %d and %q", tc.args, code, out.String(), errOut.String(), tc.code, tc.want)
		}
	}
}
