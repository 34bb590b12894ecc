// Package firestore reads, writes and queries Cloud Firestore documents
// from Go, with Go structs as documents, over the SDK that sdkgen generates
// from Google's description of Firestore v1 (package firestorev1).
//
//	fa, err := fbauth.NewClient(apiKey)
//	ts := fa.TokenSource(session.Token()) // the user's ID tokens, refreshed
//	db, err := firestore.NewClient("my-project", firestore.WithSDKOptions(sdk.WithTokenSource(ts)))
//	_, err = firestore.Set(ctx, db.Doc("rooms/lobby"), Room{Topic: "Go"})
//	room, err := firestore.Get[Room](ctx, db.Doc("rooms/lobby"))
//	q := db.Collection("rooms/lobby/messages").Where("author", "==", "ada").OrderBy("at", firestore.Desc)
//	for msg, err := range firestore.Run[Message](ctx, q.Limit(50)) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(msg.Data.Text)
//	}
//
// [Encode] and [Decode] turn Go values into Firestore's value format
// (mapValue, stringValue, integerValue as a decimal string, timestampValue,
// geoPointValue, referenceValue, bytesValue, arrayValue, nullValue, ...)
// and back; struct fields are named by their firestore tag. [Run] pages a
// query with cursors (startAt after the last document's sort values and
// name), [List] a collection with the generated pager: both are
// iter.Seq2[*Document[T], error], the shape of every list of the SDK.
//
// Requests go through the generated client, and so through the sdk
// runtime: retries, auth (a Firebase ID token or a service account's access
// token as a bearer token), logging, typed errors ([*sdk.APIError] for a
// status that is not 2xx; [IsNotFound] for 404).
package firestore
