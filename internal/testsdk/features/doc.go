// Package features is an SDK generated from features.yaml, a spec that
// exercises every shape the generated facade handles; its tests run it
// against httptest servers.
package features

//go:generate go tool sdkgen generate --config sdkgen.yaml
