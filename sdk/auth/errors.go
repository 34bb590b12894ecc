package auth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sdkgen-go/sdkgen/sdk/internal/safetext"

	"golang.org/x/oauth2"
)

// TokenError is the error of a token request that failed: the token
// endpoint answered with an error (Code and Description keep RFC 6749's
// error and error_description), or no answer came (Err says why). Package
// sdk wraps it in an [*sdk.AuthError]; reach it with errors.As:
//
//	var te *auth.TokenError
//	if errors.As(err, &te) && te.Code == "invalid_grant" {
//		// the refresh token expired or was revoked: sign in again
//	}
//
// Its Error string holds no secret: no token, no client secret, no query.
type TokenError struct {
	// Grant is the grant type ("client_credentials", "refresh_token",
	// "authorization_code").
	Grant string
	// URL is the token endpoint, without query or user information.
	URL string
	// StatusCode of the token endpoint's response, 0 without one.
	StatusCode int
	// Code, Description and URI are RFC 6749's error, error_description
	// and error_uri (section 5.2), when the endpoint sent them.
	Code        string
	Description string
	URI         string
	// Err is the cause: an *oauth2.RetrieveError (whose Body holds the raw
	// response), a transport error, or the refusal to use plain http.
	Err error
}

func (e *TokenError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s grant at %s failed", e.Grant, e.URL)
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": status %d", e.StatusCode)
	}
	switch {
	case e.Code != "":
		b.WriteString(": ")
		b.WriteString(sanitize(e.Code, 100))
		if e.Description != "" {
			b.WriteString(": ")
			b.WriteString(sanitize(e.Description, 300))
		}
	case e.StatusCode == 0 && e.Err != nil:
		b.WriteString(": ")
		b.WriteString(sanitize(unwrapURLError(e.Err).Error(), 300))
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *TokenError) Unwrap() error { return e.Err }

// tokenError turns an error of golang.org/x/oauth2 into a *TokenError.
// secrets are what the request sent (client secret, refresh token, code):
// a server that echoes one in its error fields does not get it into the
// error string.
func tokenError(grant, tokenURL string, err error, secrets ...string) error {
	te := &TokenError{Grant: grant, URL: redactURL(tokenURL), Err: err}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		te.Code = scrub(re.ErrorCode, secrets)
		te.Description = scrub(re.ErrorDescription, secrets)
		te.URI = scrub(re.ErrorURI, secrets)
		if re.Response != nil {
			te.StatusCode = re.Response.StatusCode
		}
		return te
	}
	te.Err = unwrapURLError(err)
	return te
}

// scrub replaces the secrets in s.
func scrub(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

// DiscoveryError is the error of an OpenID Connect discovery document that
// could not be read or used.
type DiscoveryError struct {
	// URL of the document, without query or user information.
	URL string
	// StatusCode of the response, 0 without one.
	StatusCode int
	Err        error
}

func (e *DiscoveryError) Error() string {
	if e.StatusCode != 0 && e.StatusCode != http.StatusOK {
		return fmt.Sprintf("OpenID Connect discovery at %s failed: status %d", e.URL, e.StatusCode)
	}
	return fmt.Sprintf("OpenID Connect discovery at %s failed: %s", e.URL, sanitize(e.Err.Error(), 300))
}

// Unwrap returns the cause.
func (e *DiscoveryError) Unwrap() error { return e.Err }

// StoreError reports a [TokenStore] that failed to load the saved token.
type StoreError struct {
	Op  string // "load"
	Err error
}

func (e *StoreError) Error() string { return "auth: token store " + e.Op + ": " + e.Err.Error() }

// Unwrap returns the store's error.
func (e *StoreError) Unwrap() error { return e.Err }

// sanitize makes server-controlled text fit for one line of an error:
// control characters become spaces and the text is cut at max runes.
func sanitize(s string, max int) string {
	return strings.TrimSpace(safetext.OneLine(s, max, true))
}
