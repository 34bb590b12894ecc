package firestore_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk/firebase/firestore"
)

type Room struct {
	Topic   string             `firestore:"topic"`
	Members int                `firestore:"members"`
	Opened  time.Time          `firestore:"opened"`
	Where   firestore.GeoPoint `firestore:"where"`
	Tags    []string           `firestore:"tags,omitempty"`
}

// A struct becomes a document's fields in Firestore's value format, and
// comes back from it.
func ExampleEncode() {
	fields, err := firestore.Encode(Room{Topic: "Go", Members: 3, Opened: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC), Where: firestore.GeoPoint{Lat: 52.52, Lng: 13.4}})
	if err != nil {
		panic(err)
	}
	b, _ := json.MarshalIndent(fields, "", "  ")
	fmt.Println(string(b))
	var back Room
	if err := firestore.Decode(fields, &back); err != nil {
		panic(err)
	}
	fmt.Println(back.Topic, back.Members, back.Opened.Format(time.RFC3339), back.Where)
	// Output:
	// {
	//   "members": {
	//     "integerValue": "3"
	//   },
	//   "opened": {
	//     "timestampValue": "2026-12-06T09:00:00Z"
	//   },
	//   "topic": {
	//     "stringValue": "Go"
	//   },
	//   "where": {
	//     "geoPointValue": {
	//       "latitude": 52.52,
	//       "longitude": 13.4
	//     }
	//   }
	// }
	// Go 3 2026-12-06T09:00:00Z {52.52 13.4}
}
