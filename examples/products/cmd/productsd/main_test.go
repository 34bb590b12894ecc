package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// productsd serves on the address it is given, prints its URL and the
// secret it generated, issues tokens for that secret, and stops when its
// context ends, leaving the database behind.
func TestRun(t *testing.T) {
	db := filepath.Join(t.TempDir(), "p.db")
	t.Setenv("PRODUCTS_CLIENT_ID", "from-env")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--db", db}, pw, io.Discard)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var secret, base string
	for base == "" && lines.Scan() {
		line := lines.Text()
		if s, ok := strings.CutPrefix(line, "client secret (generated): "); ok {
			secret = s
		}
		if rest, ok := strings.CutPrefix(line, "productsd listening on "); ok {
			base, _, _ = strings.Cut(rest, " ")
			if !strings.Contains(rest, "(client id from-env)") {
				t.Errorf("line %q", line)
			}
		}
	}
	if len(secret) != 32 || !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("secret %q, URL %q", secret, base)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodPost, base+"/oauth/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("from-env", secret)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token: %s", resp.Status)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, pr)
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"--nope"}, {"extra"}, {"--token-lifetime", "soon"}, {"--idempotency-ttl", "a day"}} {
		err := run(context.Background(), args, io.Discard, io.Discard)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
	if err := run(context.Background(), []string{"-h"}, io.Discard, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
	t.Setenv("PRODUCTS_RATE_LIMIT", "fast")
	if err := run(context.Background(), nil, io.Discard, io.Discard); !errors.As(err, new(usageError)) {
		t.Errorf("bad env: %v", err)
	}
}
