package rtdb_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/sdkgen-go/sdkgen/internal/rtdbserver"
	"github.com/sdkgen-go/sdkgen/sdk/firebase/rtdb"
)

type Room struct {
	Topic   string            `json:"topic"`
	Members map[string]string `json:"members,omitempty"`
}

// Write a room, then listen to it while it changes: each snapshot holds
// the whole room. (The database here is the package's test server; give
// NewClient your database's URL and rtdb.WithIDTokens.)
func ExampleListen() {
	db := rtdbserver.New(rtdbserver.Options{})
	srv := httptest.NewServer(db)
	defer srv.Close()
	defer db.Close()
	ctx := context.Background()

	c, err := rtdb.NewClient(srv.URL)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	room := c.Ref("rooms/lobby")
	if err := rtdb.Set(ctx, room, Room{Topic: "Go"}); err != nil {
		panic(err)
	}
	for snap, err := range rtdb.Listen[Room](ctx, room) {
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s %s: %+v\n", snap.Event, snap.Changed, snap.Value)
		switch len(snap.Value.Members) {
		case 0:
			rtdb.Update(ctx, room, map[string]any{"members/ada": "Ada", "members/bob": "Bob"})
		case 2:
			rtdb.Set(ctx, room.Child("topic"), "Go 1.25")
		}
		if snap.Value.Topic == "Go 1.25" {
			break
		}
	}
	// Output:
	// put /: {Topic:Go Members:map[]}
	// patch /: {Topic:Go Members:map[ada:Ada bob:Bob]}
	// put /topic: {Topic:Go 1.25 Members:map[ada:Ada bob:Bob]}
}
