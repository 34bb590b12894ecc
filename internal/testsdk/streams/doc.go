// Package streams is an SDK generated from streams.yaml, a spec whose
// operations answer with server-sent events (text/event-stream): typed
// (a component, an array, an inline object) and untyped (a string schema,
// none). Its tests run it against streaming httptest servers.
package streams

//go:generate go tool sdkgen generate --config sdkgen.yaml
