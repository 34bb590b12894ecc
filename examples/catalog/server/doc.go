// Package server is a catalogue server for examples/catalog's schema,
// built on gqlgen: queries and mutations over HTTP, subscriptions over
// WebSocket (graphql-transport-ws). catalogctl's demo runs it embedded.
package server

//go:generate go tool gqlgen generate --config gqlgen.yml
