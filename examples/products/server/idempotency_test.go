package server

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"testing"
	"time"
)

// keyed sends a request with an Idempotency-Key and the demo token.
func (h *harness) keyed(method, path, key string, body any, headers ...string) *response {
	h.t.Helper()
	return h.do(method, path, body, append([]string{"Idempotency-Key", key}, headers...)...)
}

// sameReplay fails unless res replays first: same status, body and ETag,
// marked Idempotent-Replayed.
func sameReplay(t *testing.T, what string, first, res *response) {
	t.Helper()
	if res.status != first.status || !bytes.Equal(res.body, first.body) || res.header.Get("ETag") != first.header.Get("ETag") ||
		res.header.Get("Location") != first.header.Get("Location") || res.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("%s: replay %d %v %s, first %d %v %s", what, res.status, res.header, res.body, first.status, first.header, first.body)
	}
}

// PUT creates a product with the client's id, then replaces it.
func TestPutProduct(t *testing.T) {
	h := start(t, Options{})
	const id = "prd_01JCF7YQX4W99R5S0TKM2ND8FA"
	body := newProduct("Lamp", "lighting", 3499)
	res := h.do(http.MethodPut, "/products/"+id, body)
	if res.status != http.StatusCreated || res.header.Get("Location") != "/products/"+id || res.header.Get("ETag") != `"1"` {
		t.Fatalf("create: %d %v %s", res.status, res.header, res.body)
	}
	var p product
	res.decode(&p)
	if p.ID != id || p.Version != 1 || p.Name != "Lamp" {
		t.Fatalf("created %+v", p)
	}
	// The same body again changes nothing.
	res = h.do(http.MethodPut, "/products/"+id, body)
	if res.status != http.StatusOK || res.header.Get("ETag") != `"1"` {
		t.Fatalf("same again: %d %v", res.status, res.header)
	}
	// An image survives a replacement; fields absent from the body take
	// their defaults.
	if res := h.upload(id, part{name: "image", data: testPNG(t, 8, 8, 1)}); res.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", res.status, res.body)
	}
	body["description"] = "warm white"
	body["price"] = 2999
	res = h.do(http.MethodPut, "/products/"+id, body, "If-Match", `"2"`)
	res.decode(&p)
	if res.status != http.StatusOK || p.Version != 3 || p.Price != 2999 || p.Image == nil || p.Description != "warm white" {
		t.Fatalf("replace: %d %+v", res.status, p)
	}
	delete(body, "description")
	res = h.do(http.MethodPut, "/products/"+id, body)
	res.decode(&p)
	if p.Version != 4 || p.Description != "" {
		t.Fatalf("replace without description: %+v", p)
	}
	// Preconditions.
	if res := h.do(http.MethodPut, "/products/"+id, body, "If-Match", `"1"`); res.status != http.StatusPreconditionFailed || res.header.Get("ETag") != `"4"` {
		t.Fatalf("stale If-Match: %d %v", res.status, res.header)
	}
	h.do(http.MethodPut, "/products/prd_01JCF7YQX4W99R5S0TKM2ND8FB", newProduct("Chair", "furniture", 100), "If-Match", "*").problem(http.StatusPreconditionFailed)
	// A SKU another product has is refused; a malformed id too.
	other := h.create(newProduct("Desk", "furniture", 100))
	body["sku"] = other.SKU
	h.do(http.MethodPut, "/products/"+id, body).problem(http.StatusConflict)
	h.do(http.MethodPut, "/products/not-an-id", newProduct("X", "y", 1)).problem(http.StatusBadRequest)
}

// Every write honours Idempotency-Key: the same key and request replay
// the first response and change nothing, even after the product changed
// since (the stored response is checked before If-Match); the same key
// with another request is refused; and the applied-key log records each
// write once, in order.
func TestIdempotencyKeyOnEveryWrite(t *testing.T) {
	h := start(t, Options{})
	const id = "prd_01JCF7YQX4W99R5S0TKM2ND8FC"
	body := newProduct("Lamp", "lighting", 3499)

	put := h.keyed(http.MethodPut, "/products/"+id, "k-put", body)
	if put.status != http.StatusCreated {
		t.Fatalf("put: %d %s", put.status, put.body)
	}
	sameReplay(t, "put", put, h.keyed(http.MethodPut, "/products/"+id, "k-put", body))

	patch := h.keyed(http.MethodPatch, "/products/"+id, "k-patch", map[string]any{"price": 1000}, "If-Match", `"1"`)
	if patch.status != http.StatusOK || patch.header.Get("ETag") != `"2"` {
		t.Fatalf("patch: %d %s", patch.status, patch.body)
	}
	// Another change, then the first PATCH again: replayed, though its
	// If-Match is stale now, and the product stays at version 3.
	if res := h.do(http.MethodPatch, "/products/"+id, map[string]any{"stock": 5}); res.status != http.StatusOK {
		t.Fatalf("second patch: %d", res.status)
	}
	sameReplay(t, "patch", patch, h.keyed(http.MethodPatch, "/products/"+id, "k-patch", map[string]any{"price": 1000}, "If-Match", `"1"`))
	var p product
	h.do(http.MethodGet, "/products/"+id, nil).decode(&p)
	if p.Version != 3 || p.Price != 1000 || p.Stock != 5 {
		t.Fatalf("after the replay: %+v", p)
	}
	// The same key with another body, method or path is another request.
	pr := h.keyed(http.MethodPatch, "/products/"+id, "k-patch", map[string]any{"price": 1001}).problem(http.StatusUnprocessableEntity)
	if pr.Type != ProblemTypeBase+"idempotency-key-reused" {
		t.Fatalf("reuse: %+v", pr)
	}
	h.keyed(http.MethodPut, "/products/"+id, "k-patch", map[string]any{"price": 1000}).problem(http.StatusUnprocessableEntity)

	// An upload, with a body built once so its repetition is the same bytes.
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("image", "lamp.png")
	fw.Write(testPNG(t, 16, 16, 2))
	mw.WriteField("caption", "lit")
	mw.Close()
	uploadReq := func() *response {
		req, _ := http.NewRequest(http.MethodPost, h.url+"/products/"+id+"/image", bytes.NewReader(form.Bytes()))
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+h.tok)
		req.Header.Set("Idempotency-Key", "k-upload")
		return h.send(req)
	}
	up := uploadReq()
	if up.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", up.status, up.body)
	}
	sameReplay(t, "upload", up, uploadReq())

	del := h.keyed(http.MethodDelete, "/products/"+id, "k-delete", nil)
	if del.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", del.status, del.body)
	}
	// A retried delete replays 204 instead of answering 404.
	sameReplay(t, "delete", del, h.keyed(http.MethodDelete, "/products/"+id, "k-delete", nil))
	h.do(http.MethodDelete, "/products/"+id, nil).problem(http.StatusNotFound)

	// A write that failed is not remembered: its key works afterwards.
	h.keyed(http.MethodPatch, "/products/"+id, "k-404", map[string]any{"price": 1}).problem(http.StatusNotFound)

	log, err := h.srv.AppliedKeys()
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		key, method string
		status      int
		version     int64
	}{
		{"k-put", http.MethodPut, 201, 1}, {"k-patch", http.MethodPatch, 200, 2},
		{"k-upload", http.MethodPost, 201, 4}, {"k-delete", http.MethodDelete, 204, 0},
	}
	if len(log) != len(want) {
		t.Fatalf("applied log %+v, want %d entries", log, len(want))
	}
	for i, w := range want {
		a := log[i]
		if a.Seq != uint64(i+1) || a.Key != w.key || a.Method != w.method || a.Status != w.status || a.Version != w.version || a.Product != id || a.Client != demoID {
			t.Errorf("log[%d] = %+v, want %+v", i, a, w)
		}
	}
	if st := h.srv.KeyStats(); st.Applied != 4 || st.Replayed != 4 || st.Reused != 2 {
		t.Errorf("key stats %+v", st)
	}
}

// The applied-key log lives as long as the keys: a restart after the key
// lifetime finds it empty, within it finds it whole.
func TestAppliedKeysExpire(t *testing.T) {
	clk := newClock()
	opts := Options{DBPath: filepath.Join(t.TempDir(), "p.db"), Now: clk.Now, IdempotencyTTL: time.Hour, TokenLifetime: 48 * time.Hour}
	h := start(t, opts)
	h.keyed(http.MethodPost, "/products", "k1", newProduct("Cup", "kitchen", 1))
	if err := h.srv.Close(); err != nil {
		t.Fatal(err)
	}
	clk.Advance(30 * time.Minute)
	h = start(t, opts)
	if log, err := h.srv.AppliedKeys(); err != nil || len(log) != 1 {
		t.Fatalf("within the lifetime: %v %v", log, err)
	}
	if err := h.srv.Close(); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	h = start(t, opts)
	if log, err := h.srv.AppliedKeys(); err != nil || len(log) != 0 {
		t.Fatalf("after the lifetime: %v %v", log, err)
	}
}
