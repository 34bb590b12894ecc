// Package auth obtains OAuth2 and OpenID Connect tokens for SDKs generated
// by sdkgen: the grants (client credentials, refresh token, authorization
// code), a single-flight token cache with proactive refresh, a file-backed
// token store, and adapters to and from golang.org/x/oauth2.
//
// The grants go through golang.org/x/oauth2; the caching does not, because
// x/oauth2's reusing source takes no context, holds a lock across the
// network fetch, refreshes at a fixed 10 s before expiry and cannot be told
// that the server refused a token. A [Source] instead:
//
//   - fetches at most one token at a time, however many callers need one
//     (1,000 concurrent calls with an expired token make one token request);
//   - refreshes ahead of expiry, at a random point of a window (see
//     [WithRefreshMargin]), so that many processes started together do not
//     refresh together;
//   - after a 401, refreshes only if the token that failed is still the
//     current one ([Source.Refresh], which package sdk calls);
//   - runs each fetch under its own timeout, detached from the callers'
//     contexts: a caller that gives up returns at once, and the fetch goes
//     on for the others;
//   - sends token requests through a plain *http.Client of its own, never
//     through the SDK's middleware, retries or logging, and never follows a
//     redirect from the token endpoint;
//   - refuses to send client secrets or refresh tokens over plain http to a
//     host other than loopback (see [WithInsecureHTTP]), or over TLS older
//     than 1.2, even through a caller's client; a client from
//     sdk.NewHTTPClient adds a custom CA, client certificates and pinned
//     keys (see [WithHTTPClient]);
//   - reports failures as [*TokenError], which keeps the token endpoint's
//     error code and description, and never puts a secret in an error
//     string;
//   - tells [WithOnTokenChange] hooks and a [TokenStore] about every new
//     token, rotated refresh tokens included, before any caller uses it.
//
// Typical use, with the options a generated SDK provides:
//
//	ts := auth.ClientCredentials(petstore.PetstoreAuthClientCredentials(id, secret, "read:pets"))
//	c, err := petstore.NewClient("", petstore.WithPetstoreAuth(ts))
//
// Only programs that import this package link golang.org/x/oauth2; package
// sdk itself does not.
package auth
