package fbauth

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/internal/safetext"
)

// Error is the error of a Firebase Auth call. When the service refused
// it, Code is its reason ("INVALID_PASSWORD") and Message the detail that
// sometimes follows it ("Password should be at least 6 characters");
// otherwise Err says what failed (the SDK's [*sdk.APIError],
// [*sdk.TransportError], ...). Compare with the Err… values:
//
//	if errors.Is(err, fbauth.ErrInvalidPassword) { ... }
//
// Its text holds no token, password or API key.
type Error struct {
	// Op is the call: "sign in", "sign up", "refresh", ...
	Op string
	// StatusCode of the answer, 0 without one.
	StatusCode int
	Code       string
	Message    string
	Err        error
}

// Error describes the failure on one line.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("firebase auth: " + e.Op)
	switch {
	case e.Code != "":
		b.WriteString(": " + e.Code)
		if e.Message != "" {
			b.WriteString(" (" + e.Message + ")")
		}
	case e.Message != "":
		b.WriteString(": " + e.Message)
	case e.Err != nil:
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with only a Code (one of the
// Err… values) equal to e's.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code != "" && t.Op == "" && t.Code == e.Code
}

// The service's reasons that callers act on. Compare with errors.Is.
var (
	// Sign-in and sign-up.
	ErrEmailExists             = &Error{Code: "EMAIL_EXISTS"}
	ErrEmailNotFound           = &Error{Code: "EMAIL_NOT_FOUND"}
	ErrInvalidPassword         = &Error{Code: "INVALID_PASSWORD"}
	ErrInvalidLoginCredentials = &Error{Code: "INVALID_LOGIN_CREDENTIALS"}
	ErrInvalidEmail            = &Error{Code: "INVALID_EMAIL"}
	ErrWeakPassword            = &Error{Code: "WEAK_PASSWORD"}
	ErrMissingPassword         = &Error{Code: "MISSING_PASSWORD"}
	ErrUserDisabled            = &Error{Code: "USER_DISABLED"}
	ErrUserNotFound            = &Error{Code: "USER_NOT_FOUND"}
	ErrOperationNotAllowed     = &Error{Code: "OPERATION_NOT_ALLOWED"}
	ErrTooManyAttempts         = &Error{Code: "TOO_MANY_ATTEMPTS_TRY_LATER"}
	ErrInvalidCustomToken      = &Error{Code: "INVALID_CUSTOM_TOKEN"}
	ErrCredentialMismatch      = &Error{Code: "CREDENTIAL_MISMATCH"}
	ErrInvalidIDToken          = &Error{Code: "INVALID_ID_TOKEN"}
	ErrInvalidAPIKey           = &Error{Code: "API_KEY_INVALID"}
	// Refresh (Secure Token): the refresh token no longer works, and the
	// user must sign in again. TOKEN_EXPIRED follows a revocation (a
	// password change, Admin SDK's RevokeRefreshTokens); USER_DISABLED
	// and USER_NOT_FOUND a disabled or deleted account.
	ErrTokenExpired        = &Error{Code: "TOKEN_EXPIRED"}
	ErrInvalidRefreshToken = &Error{Code: "INVALID_REFRESH_TOKEN"}
	ErrInvalidGrantType    = &Error{Code: "INVALID_GRANT_TYPE"}
	ErrMissingRefreshToken = &Error{Code: "MISSING_REFRESH_TOKEN"}
)

// SignInAgain reports whether err means the user's refresh token no longer
// works (revoked, expired, the account disabled or deleted): the program
// must ask the user to sign in again.
func SignInAgain(err error) bool {
	for _, e := range []error{ErrTokenExpired, ErrInvalidRefreshToken, ErrUserDisabled, ErrUserNotFound, ErrMissingRefreshToken} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// googleError is the body of Google APIs' errors:
// {"error": {"code": 400, "message": "INVALID_PASSWORD", ...}}, whose
// message may carry a detail after " : ".
type googleError struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// parseError fills e's Code and Message from a Google error body; it
// reports whether the body was one.
func (e *Error) parse(body []byte) bool {
	var g googleError
	if json.Unmarshal(body, &g) != nil || g.Error.Message == "" {
		return false
	}
	code, detail, _ := strings.Cut(g.Error.Message, " : ")
	e.Code = oneLine(strings.TrimSpace(code), 100)
	e.Message = oneLine(strings.TrimSpace(detail), 300)
	return true
}

// apiError turns an SDK error into an *Error.
func apiError(op string, err error) error {
	e := &Error{Op: op, Err: err}
	var apiErr *sdk.APIError
	if errors.As(err, &apiErr) {
		e.StatusCode = apiErr.StatusCode
		e.parse(apiErr.Body)
	}
	return e
}

// oneLine makes server text fit an error line.
func oneLine(s string, max int) string { return strings.TrimSpace(safetext.OneLine(s, max, true)) }
