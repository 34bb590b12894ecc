// Package jsonserver is an SDK generated from products.yaml, which
// describes the API json-server 0.17.4 serves; its tests run it against a
// real json-server.
package jsonserver

//go:generate go tool sdkgen generate --config sdkgen.yaml
