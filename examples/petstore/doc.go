// Package petstore is the SDK that sdkgen generates from petstore.yaml, a
// small spec that exercises path, query and header parameters, JSON bodies,
// enums, a oneOf and declared error bodies.
//
// Regenerate it with
//
//	go generate ./examples/petstore
package petstore

//go:generate go tool sdkgen generate --config sdkgen.yaml
