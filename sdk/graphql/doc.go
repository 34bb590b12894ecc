// Package graphql runs GraphQL operations through the sdk runtime: the
// HTTP transport of queries and mutations, subscriptions over a WebSocket,
// and Relay connections as pagers. Clients that sdkgen generates from a
// GraphQL schema and operation documents (through genqlient, whose small
// graphql package the generated types use) call it; it also runs code
// genqlient generated on its own, as a genqlient graphql.Client.
//
//	c, err := catalog.NewClient("https://api.example.com/graphql", sdk.WithTokenSource(ts))
//	p, err := c.GetProduct(ctx, "p1")                      // a query: retried like a GET
//	for item, err := range c.ListProductsPager(ctx, 20).All() { ... } // a Relay connection
//	for ev, err := range c.ProductChanged(ctx, "p1") { ... }          // a subscription
//
// # Requests
//
// Every request goes through the [sdk.Client]'s layers: middleware, the
// HTTP cache, retries, auth (a 401 makes a refreshable token source
// refresh once and the request be sent again), logging and TLS settings.
// Queries are retried as GETs are; mutations only with an Idempotency-Key
// (an operation marked idempotent, or [sdk.WithIdempotencyKey]). A 200
// response whose GraphQL errors say the request was unauthenticated or
// rate limited counts as the 401 or 429 it stands for ([WithErrorStatus]).
// Queries may go as GET requests ([WithGET]), with automatic persisted
// queries ([WithPersistedQueries]), so HTTP caches and CDNs can serve them.
//
// # Errors
//
// A response with GraphQL errors is a [*ResponseError] holding each
// [*Error] (message, path, locations, extensions); the call's result holds
// the data that came with them, since GraphQL returns partial data. Errors
// of the HTTP exchange are the sdk's ([*sdk.APIError], [*sdk.RetryError],
// [*sdk.TransportError]), also reachable with errors.As through a
// ResponseError when the body carried GraphQL errors.
//
// # Subscriptions
//
// See [Subscribe]: one WebSocket per client speaking graphql-transport-ws
// on package [github.com/sdkgen-go/sdkgen/sdk/ws], credentials in
// connection_init, reconnects with the retry policy's backoff, every active
// subscription sent again exactly once per connection, and a [*GapError]
// for what a reconnect may have missed.
package graphql
