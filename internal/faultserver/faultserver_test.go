package faultserver_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/internal/faultserver"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// client returns a client with a transport of its own, closed at cleanup.
func client(t *testing.T, srv *faultserver.Server, tweak func(*http.Transport)) *http.Client {
	t.Helper()
	tr := &http.Transport{TLSClientConfig: srv.ClientTLSConfig()}
	if tweak != nil {
		tweak(tr)
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func newServer(t *testing.T, cfg faultserver.Config) *faultserver.Server {
	t.Helper()
	srv := faultserver.New(cfg)
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, c *http.Client, url, body, key string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	return c.Do(req)
}

func TestScriptAndRecords(t *testing.T) {
	srv := newServer(t, faultserver.Config{Default: faultserver.Status(200, `{"ok":true}`)})
	srv.Script(faultserver.Status(503, "busy", "Retry-After", "2"), faultserver.Status(201, `{"id":1}`))
	c := client(t, srv, nil)

	want := []struct {
		status int
		body   string
	}{{503, "busy"}, {201, `{"id":1}`}, {200, `{"ok":true}`}, {200, `{"ok":true}`}}
	for i, w := range want {
		resp, err := post(t, c, srv.URL+"/pets?x=1", strings.Repeat("b", i), "key-1")
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != w.status || string(got) != w.body {
			t.Errorf("request %d: got %d %q, want %d %q", i+1, resp.StatusCode, got, w.status, w.body)
		}
		if i == 0 && resp.Header.Get("Retry-After") != "2" {
			t.Errorf("Retry-After = %q", resp.Header.Get("Retry-After"))
		}
		if !resp.Close {
			t.Errorf("request %d: the response does not close its connection", i+1)
		}
	}
	reqs := srv.Requests()
	if len(reqs) != 4 || srv.Count() != 4 {
		t.Fatalf("recorded %d requests, counted %d, want 4", len(reqs), srv.Count())
	}
	for i, r := range reqs {
		body := strings.Repeat("b", i)
		if r.N != i+1 || r.Method != "POST" || r.Path != "/pets" || r.RawQuery != "x=1" || r.IdempotencyKey != "key-1" ||
			r.BodyLen != int64(len(body)) || r.BodySHA256 != sha256.Sum256([]byte(body)) || r.Status != want[i].status || r.Fault != faultserver.Respond {
			t.Errorf("record %d = %+v", i, r)
		}
	}
	if accepted, stalled := srv.Connections(); accepted != 4 || stalled != 0 {
		t.Errorf("connections = %d accepted, %d stalled; want a fresh one per request", accepted, stalled)
	}
	srv.Clear()
	if srv.Count() != 0 || len(srv.Requests()) != 0 {
		t.Error("Clear left records")
	}
}

func TestKeepAlives(t *testing.T) {
	srv := newServer(t, faultserver.Config{KeepAlives: true})
	c := client(t, srv, nil)
	for range 3 {
		resp, err := c.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if accepted, _ := srv.Connections(); accepted != 1 {
		t.Errorf("accepted %d connections, want 1 reused", accepted)
	}
}

func TestConnectionFaults(t *testing.T) {
	for _, tc := range []struct {
		fault faultserver.Fault
		is    error
	}{
		{faultserver.Reset, syscall.ECONNRESET},
		{faultserver.CloseBeforeResponse, io.EOF},
	} {
		t.Run(tc.fault.String(), func(t *testing.T) {
			srv := newServer(t, faultserver.Config{})
			srv.Script(faultserver.Step{Fault: tc.fault})
			c := client(t, srv, nil)
			_, err := post(t, c, srv.URL, "payload", "")
			if !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want %v", err, tc.is)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 || reqs[0].BodyLen != 7 || reqs[0].Fault != tc.fault || reqs[0].Status != 0 {
				t.Fatalf("records = %+v", reqs)
			}
			// The next request is served normally.
			resp, err := c.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		})
	}
}

func TestSlowHeaders(t *testing.T) {
	srv := newServer(t, faultserver.Config{})
	srv.Script(faultserver.Step{Fault: faultserver.SlowHeaders}, faultserver.Step{Fault: faultserver.SlowHeaders, Delay: 20 * time.Millisecond, Status: 202})
	c := client(t, srv, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	if _, err := c.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("held headers: err = %v", err)
	}
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Errorf("delayed response: %d", resp.StatusCode)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[0].Status != 0 || reqs[1].Status != 202 {
		t.Errorf("records = %+v", reqs)
	}
}

func TestCloseEndsHeldResponses(t *testing.T) {
	srv := faultserver.New(faultserver.Config{Default: faultserver.Step{Fault: faultserver.SlowHeaders}})
	c := client(t, srv, nil)
	errc := make(chan error, 1)
	go func() {
		resp, err := c.Get(srv.URL)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	for srv.Count() == 0 {
		time.Sleep(time.Millisecond)
	}
	srv.Close()
	if err := <-errc; err == nil {
		t.Error("a held request got a response when the server closed")
	}
	srv.Close() // twice is fine
}

func TestTruncateBody(t *testing.T) {
	body := []byte(`{"name":"Rex","status":"available"}`)
	srv := newServer(t, faultserver.Config{})
	srv.Script(faultserver.Step{Fault: faultserver.TruncateBody, Body: body}, faultserver.Step{Fault: faultserver.TruncateBody, Body: body, TruncateAt: 3})
	c := client(t, srv, nil)
	for _, n := range []int{len(body) / 2, 3} {
		resp, err := c.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !errors.Is(err, io.ErrUnexpectedEOF) || !bytes.Equal(got, body[:n]) || resp.ContentLength != int64(len(body)) {
			t.Errorf("read %q, %v (Content-Length %d); want %q and io.ErrUnexpectedEOF", got, err, resp.ContentLength, body[:n])
		}
		if resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type = %q", resp.Header.Get("Content-Type"))
		}
	}
}

func TestDownUp(t *testing.T) {
	srv := newServer(t, faultserver.Config{})
	c := client(t, srv, nil)
	srv.Down()
	if _, err := c.Get(srv.URL); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("down: err = %v, want ECONNREFUSED", err)
	}
	if err := srv.Up(); err != nil {
		t.Fatal(err)
	}
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatalf("up again: %v", err)
	}
	resp.Body.Close()
	if srv.Count() != 1 {
		t.Errorf("count = %d, want 1", srv.Count())
	}
}

func TestStalledTLSHandshake(t *testing.T) {
	srv := newServer(t, faultserver.Config{TLS: true})
	srv.StallConnections(1)
	c := client(t, srv, func(tr *http.Transport) { tr.TLSHandshakeTimeout = 50 * time.Millisecond })
	_, err := c.Get(srv.URL)
	var ne interface{ Timeout() bool }
	if !errors.As(err, &ne) || !ne.Timeout() || !strings.Contains(err.Error(), "TLS handshake timeout") {
		t.Fatalf("err = %v, want a TLS handshake timeout", err)
	}
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if accepted, stalled := srv.Connections(); accepted != 2 || stalled != 1 || srv.Count() != 1 {
		t.Errorf("accepted %d, stalled %d, requests %d; want 2, 1, 1", accepted, stalled, srv.Count())
	}
	if !strings.HasPrefix(srv.URL, "https://") {
		t.Errorf("URL = %s", srv.URL)
	}
	// Server.Client trusts the certificate too.
	resp, err = srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func TestHandler(t *testing.T) {
	srv := newServer(t, faultserver.Config{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var first [2]byte
		_, _ = io.ReadFull(r.Body, first[:]) // reads only part of the body
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write(first[:])
	})})
	srv.Script(faultserver.Status(500, "boom"))
	c := client(t, srv, nil)
	for _, want := range []int{500, 202} {
		resp, err := post(t, c, srv.URL, "hello", "")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("status %d (%q), want %d", resp.StatusCode, b, want)
		}
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[1].BodyLen != 5 || reqs[1].BodySHA256 != sha256.Sum256([]byte("hello")) || reqs[1].Status != 202 {
		t.Errorf("records = %+v", reqs)
	}
}

func TestFaultString(t *testing.T) {
	if faultserver.TruncateBody.String() != "TruncateBody" || faultserver.Fault(42).String() != "Fault(42)" {
		t.Error(faultserver.TruncateBody.String(), faultserver.Fault(42).String())
	}
}

func TestMaxRecords(t *testing.T) {
	srv := newServer(t, faultserver.Config{MaxRecords: 3})
	c := client(t, srv, nil)
	for range 10 {
		resp, err := c.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	reqs := srv.Requests()
	if srv.Count() != 10 || len(reqs) != 3 || reqs[0].N != 8 || reqs[2].N != 10 {
		t.Errorf("count %d, records %+v", srv.Count(), reqs)
	}
}

// An AfterHandler step lets the handler do its work, then loses, holds back
// or cuts short its response: the write happens, the client does not learn
// of it.
func TestAfterHandler(t *testing.T) {
	var served atomic.Int32
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		served.Add(1)
		w.Header().Set("Location", "/things/1")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"1","echo":"` + string(b) + `"}`))
	})
	const full = `{"id":"1","echo":"payload"}`
	for _, tc := range []struct {
		step   faultserver.Step
		check  func(resp *http.Response, body []byte, err error) bool
		status int // recorded as sent
	}{
		{faultserver.Step{Fault: faultserver.Reset, AfterHandler: true}, func(_ *http.Response, _ []byte, err error) bool {
			return errors.Is(err, syscall.ECONNRESET)
		}, 0},
		{faultserver.Step{Fault: faultserver.CloseBeforeResponse, AfterHandler: true}, func(_ *http.Response, _ []byte, err error) bool {
			return errors.Is(err, io.EOF)
		}, 0},
		{faultserver.Step{Fault: faultserver.TruncateBody, AfterHandler: true, TruncateAt: 5}, func(resp *http.Response, body []byte, err error) bool {
			return errors.Is(err, io.ErrUnexpectedEOF) && string(body) == full[:5] && resp.StatusCode == 201 &&
				resp.ContentLength == int64(len(full)) && resp.Header.Get("Location") == "/things/1"
		}, 201},
		{faultserver.Step{Fault: faultserver.SlowHeaders, AfterHandler: true, Delay: 20 * time.Millisecond}, func(resp *http.Response, body []byte, err error) bool {
			return err == nil && resp.StatusCode == 201 && string(body) == full
		}, 201},
		{faultserver.Step{AfterHandler: true}, func(resp *http.Response, body []byte, err error) bool {
			return err == nil && resp.StatusCode == 201 && string(body) == full && resp.Header.Get("Location") == "/things/1"
		}, 201},
	} {
		t.Run(tc.step.Fault.String(), func(t *testing.T) {
			served.Store(0)
			srv := newServer(t, faultserver.Config{Handler: handler})
			srv.Script(tc.step)
			c := client(t, srv, nil)
			resp, err := post(t, c, srv.URL, "payload", "")
			var body []byte
			if err == nil {
				body, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if !tc.check(resp, body, err) {
				t.Errorf("got %v, %q, %v", resp, body, err)
			}
			reqs := srv.Requests()
			if served.Load() != 1 || len(reqs) != 1 || !reqs[0].Handled || reqs[0].HandlerStatus != 201 ||
				reqs[0].Status != tc.status || reqs[0].Fault != tc.step.Fault || reqs[0].BodyLen != 7 {
				t.Errorf("served %d times; records %+v", served.Load(), reqs)
			}
		})
	}
	t.Run("NoHandler", func(t *testing.T) {
		srv := newServer(t, faultserver.Config{})
		srv.Script(faultserver.Step{Status: 202, AfterHandler: true})
		resp, err := client(t, srv, nil).Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 202 || srv.Requests()[0].Handled {
			t.Errorf("status %d, records %+v", resp.StatusCode, srv.Requests())
		}
	})
}

// Pick chooses the step of every request past the script, once per
// request, and sees the request.
func TestPick(t *testing.T) {
	var picks []string
	srv := newServer(t, faultserver.Config{
		Default: faultserver.Status(500, "never"),
		Pick: func(r *http.Request) faultserver.Step {
			picks = append(picks, r.URL.Path)
			if r.URL.Path == "/busy" {
				return faultserver.Status(503, "", "Retry-After", "1")
			}
			return faultserver.Status(http.StatusNoContent, "")
		},
	})
	srv.Script(faultserver.Status(201, "scripted"))
	c := client(t, srv, nil)
	for _, tc := range []struct {
		path   string
		status int
	}{{"/a", 201}, {"/busy", 503}, {"/b", 204}} {
		resp, err := c.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d", tc.path, resp.StatusCode, tc.status)
		}
		if tc.status == 204 && resp.Header.Get("Content-Length") != "" {
			t.Errorf("204 with Content-Length %q", resp.Header.Get("Content-Length"))
		}
	}
	// Count takes the lock Pick ran under, so picks is safe to read.
	if srv.Count() != 3 || strings.Join(picks, ",") != "/busy,/b" {
		t.Errorf("picks = %q", picks)
	}
}
