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
