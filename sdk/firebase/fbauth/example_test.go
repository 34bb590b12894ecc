package fbauth_test

import (
	"errors"
	"fmt"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/firebase/fbauth"
)

// A refresh that failed because the user must sign in again, as the SDK
// reports it when a call needed the token.
func ExampleSignInAgain() {
	err := error(&sdk.AuthError{Err: &fbauth.Error{Op: "refresh", StatusCode: 400, Code: "TOKEN_EXPIRED"}})
	fmt.Println(err)
	fmt.Println(errors.Is(err, fbauth.ErrTokenExpired), fbauth.SignInAgain(err))
	var fe *fbauth.Error
	if errors.As(err, &fe) {
		fmt.Println(fe.Code)
	}
	// Output:
	// auth: firebase auth: refresh: TOKEN_EXPIRED
	// true true
	// TOKEN_EXPIRED
}

func ExampleSession_Token() {
	s := fbauth.Session{UserID: "u1", IDToken: "eyJ...", RefreshToken: "AMf-..."}
	fmt.Println(s.Token().AccessToken == s.IDToken, s.Token().RefreshToken == s.RefreshToken)
	// Output: true true
}
