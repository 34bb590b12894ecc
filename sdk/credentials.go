package sdk

import (
	"context"
	"net/http"
)

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
		method: http.MethodGet,
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
