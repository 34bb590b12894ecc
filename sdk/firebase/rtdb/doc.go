// Package rtdb is a client of the Firebase Realtime Database's REST API on
// the sdk runtime: typed reads and writes, conditional writes, and live
// listening over server-sent events folded into typed snapshots.
//
//	fa, err := fbauth.NewClient(apiKey)
//	ts := fa.TokenSource(session.Token()) // refreshes through Secure Token
//	db, err := rtdb.NewClient("https://my-db.firebaseio.com", rtdb.WithIDTokens(ts))
//	err = rtdb.Set(ctx, db.Ref("rooms/lobby/topic"), "Go")
//	msg, err := rtdb.Push(ctx, db.Ref("rooms/lobby/messages"), Message{Text: "hi"})
//	for snap, err := range rtdb.Listen[Room](ctx, db.Ref("rooms/lobby")) {
//		if err != nil {
//			return err // *rtdb.CancelError when the rules stop allowing the read
//		}
//		fmt.Println(snap.Value.Topic)
//	}
//
// Every request goes through an [sdk.Client]: retries (PUT, DELETE and
// PATCH; never a push), logging, TLS settings and timeouts are the SDK's,
// set with [WithSDKOptions].
//
// # The credential
//
// The database takes an ID token in the auth query parameter (and an OAuth2
// access token in access_token). The SDK adds it per attempt, asking the
// token source each time, and treats it as a secret: it is redacted from
// log lines and error strings, even when a server echoes it. The service
// may answer 307 Temporary Redirect to another host of the same database;
// the credential follows only to the database's own origin and to
// [DefaultTrustedOrigins] (https://*.firebaseio.com and
// https://*.firebasedatabase.app) or those given with [WithTrustedOrigins].
// A redirect anywhere else is followed without it (the parameter is removed
// from the Location's URL), carries no Referer path or query, and a write
// is not followed there at all.
//
// # Listening
//
// [Listen] opens GET <path>.json with Accept: text/event-stream. The
// database sends put and patch events with the path they change; the
// client keeps the location's value, applies each event to it, and yields
// a [Snapshot] with the whole value decoded as T. Drops are reconnected
// (the database then sends the whole value again), auth_revoked refreshes
// the token and resumes, cancel ends with a [*CancelError].
//
// # Conditional writes
//
// [GetWithETag] returns a value and its ETag (X-Firebase-ETag: true);
// [SetIf] and [DeleteIf] send it as if-match, and a value changed in the
// meantime fails with a [*ConflictError] holding the current value and
// ETag.
package rtdb
