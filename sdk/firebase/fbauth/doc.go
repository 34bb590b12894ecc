// Package fbauth signs users in to Firebase Authentication from Go — a
// command-line tool, a device, a desktop program acting as a user, where
// the Admin SDK (which acts as the project) does not fit — and keeps their
// ID tokens fresh for the other Firebase services.
//
//	c, err := fbauth.NewClient(apiKey) // the project's Web API key
//	sess, err := c.SignInWithPassword(ctx, email, password)
//	if errors.Is(err, fbauth.ErrInvalidPassword) { ... }
//	store := auth.NewFileStore(filepath.Join(dir, "firebase-token.json"))
//	store.Save(sess.Token())
//	ts := c.TokenSource(nil, auth.WithTokenStore(store)) // later runs start here
//	db, err := rtdb.NewClient(dbURL, rtdb.WithIDTokens(ts))
//
// Sign-up, sign-in with email and password, anonymous sign-in and the
// custom-token exchange are Identity Toolkit calls (v1 accounts:signUp,
// accounts:signInWithPassword, accounts:signInWithCustomToken) made through
// an [sdk.Client], which sends the API key as the key query parameter and
// keeps it out of logs and errors. [Client.TokenSource] refreshes ID tokens
// through Secure Token (v1 token, grant_type=refresh_token; its answer is in
// snake_case) inside an sdk/auth single-flight cache: ahead of expiry, and
// once when a server refused a token, with every new token saved to the
// source's token store before it is used.
//
// [ServiceAccount] gives servers and tools the project's own credentials:
// Google OAuth2 access tokens from a service account's JSON key, through
// golang.org/x/oauth2/google, behind the same cache.
//
// Errors are [*Error] values whose Code is the service's reason; compare
// them with errors.Is and the Err… values, and use [SignInAgain] to tell
// a refresh token that no longer works.
//
// [WithEmulator] points the client at the Firebase Auth emulator
// (firebase emulators:start --only auth), which the package's tests run
// against.
package fbauth
