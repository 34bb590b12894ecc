package sdk

import (
	"context"
	"net/http"
)

// IsCredentialHeader reports whether a request header carries credentials,
// as the SDK judges it when it keeps credentials out of errors, logs and
// redirects: Authorization, Proxy-Authorization and Cookie; a header an
// auth option of the call sets (an API key's); and any header whose name
// says it holds a secret (X-Session-Token, X-Api-Key, ...). ctx is the
// request's context inside the client's layers, which knows the call's
// auth options; with any other context only the names count. Code that
// keeps requests (an offline queue writing them to disk) drops such
// headers: the client adds credentials again to every attempt.
func IsCredentialHeader(ctx context.Context, name string) bool {
	name = http.CanonicalHeaderKey(name)
	switch name {
	case "Authorization", "Proxy-Authorization", "Cookie":
		return true
	}
	if secretName(name) {
		return true
	}
	if st := stateFrom(ctx); st != nil && st.s.isAuthHeader(name) {
		return true
	}
	return false
}

// IsSecretParam reports whether a query parameter's name says its value is
// a credential (access_token, api_key, signature, ...), as the SDK's
// redaction of URLs in errors and logs judges it.
func IsSecretParam(name string) bool { return secretName(name) }

// Credentials returns the headers the client's auth adds to a request to
// target, for protocols that carry credentials inside their own messages
// rather than in HTTP headers (the connection_init message of GraphQL over
// WebSocket, say). target is a path or an absolute URL, resolved as
// [Client.UpgradeClient] resolves it. Token sources are asked now, so a
// token is the current one; a target outside the client's origin (scheme,
// host and port of its base URL) gets no credentials, as a call there
// would not.
//
// When the server refuses them, [Credentials.Refresh] asks the token
// sources that supplied them for others, as a 401 to a call does. It fails
// with [ErrClientClosed] after Close, an [*AuthError] when a token cannot
// be had, and a [*RequestError] for a target it cannot resolve.
func (c *Client) Credentials(ctx context.Context, target string) (*Credentials, error) {
	select {
	case <-c.closed:
		return nil, ErrClientClosed
	default:
	}
	u, err := c.resolveTarget(target)
	if err != nil {
		return nil, &RequestError{Operation: "credentials", Err: err}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	st := &callState{
		op:     &Operation{ID: "credentials", Method: http.MethodGet},
		s:      &c.settings,
		client: c,
		origin: originOf(c.base),
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &RequestError{Operation: "credentials", Err: err}
	}
	areq, sent, err := c.authenticate(req, st)
	if err != nil {
		return nil, err
	}
	return &Credentials{Header: areq.Header, sent: sent}, nil
}

// Credentials are the headers a client's auth sets for one target, as
// [Client.Credentials] returns them.
type Credentials struct {
	// Header holds the credential headers (Authorization, an API key's
	// header, Cookie); it is empty when the client has no credentials for
	// the target. It belongs to the caller.
	Header http.Header
	sent   []sentToken
}

// Refresh asks each token source that supplied a token in c for another,
// after the server refused it, and reports whether any token changed (the
// caller then asks [Client.Credentials] again). Static credentials cannot
// be refreshed: Refresh then reports false. A source's failure is an
// [*AuthError].
func (c *Credentials) Refresh(ctx context.Context) (bool, error) {
	changed := false
	for _, s := range c.sent {
		nt, err := s.src.Refresh(ctx, s.tok)
		if err != nil {
			return false, &AuthError{Scheme: s.scheme, Err: err}
		}
		if nt != nil && nt.AccessToken != "" && nt.AccessToken != s.tok.AccessToken {
			changed = true
		}
	}
	return changed, nil
}
