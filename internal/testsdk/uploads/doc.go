// Package uploads is an SDK generated from uploads.yaml, a spec of
// multipart/form-data and application/octet-stream uploads and a binary
// download; its tests stream a gibibyte through it against httptest
// servers and measure the heap.
package uploads

//go:generate go tool sdkgen generate --config sdkgen.yaml
