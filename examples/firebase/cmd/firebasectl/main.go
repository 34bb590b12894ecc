// Command firebasectl signs in to Firebase and writes, reads and watches
// paths of a Realtime Database as the signed-in user, on the sdk runtime
// (packages sdk/firebase/fbauth and sdk/firebase/rtdb).
//
// Usage:
//
//	firebasectl signup <email> --password p     create a user and sign in
//	firebasectl signin <email> --password p     sign in with email and password
//	firebasectl signin --anonymous              sign in as a new anonymous user
//	firebasectl whoami                          the signed-in user (refreshing the token if due)
//	firebasectl set <path> <json>               replace the value at path
//	firebasectl push <path> <json>              add a child with a new key; prints its path
//	firebasectl get <path>                      print the value at path as JSON
//	firebasectl watch <path> [--count n]        print the value at path on every change
//	firebasectl signout                         forget the session
//
// Flags of every command, each with an environment variable as fallback
// (the flag wins):
//
//	--api-key key          the project's Web API key (FIREBASE_API_KEY)
//	--auth-emulator host   use the Auth emulator at host:port (FIREBASE_AUTH_EMULATOR_HOST)
//	--database-url url     the Realtime Database (FIREBASE_DATABASE_URL)
//	--token-file path      where the session is kept, mode 0600 (FIREBASECTL_TOKEN_FILE;
//	                       default <user config dir>/firebasectl/token.json)
//
// The session's refresh token is kept in the token file; each command
// starts from it and saves the tokens Secure Token returns, so an ID token
// is refreshed when due and the refresh token survives rotation. A refresh
// token that no longer works (the account was disabled, say) ends the
// command with a message to sign in again.
//
// Exit status: 0 on success, 1 when Firebase refused or could not be
// reached, 2 for a bad command line.
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
