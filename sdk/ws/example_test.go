package ws_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/ws"
)

// Dial with the client's credentials, send a typed message, receive a
// typed answer.
func ExampleDial() {
	// A WebSocket server standing in for an API's: it wants the bearer
	// token and answers each message in capitals.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			var in struct{ Text string }
			if err := wsjson.Read(context.Background(), c, &in); err != nil {
				return
			}
			_ = wsjson.Write(context.Background(), c, map[string]string{"shout": strings.ToUpper(in.Text)})
		}
	}))
	defer srv.Close()

	// The options given to the generated NewClient (here sdk.NewClient)
	// also authenticate the WebSocket.
	client, err := sdk.NewClient(srv.URL, sdk.WithBearerToken("s3cret"))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close() // closes the connection too

	type Say struct {
		Text string `json:"text"`
	}
	type Shout struct {
		Shout string `json:"shout"`
	}
	ctx := context.Background()
	conn, err := ws.Dial[Shout, Say](ctx, client, "/shout",
		ws.WithOnReconnect(func(ev ws.ReconnectEvent) {
			log.Printf("reconnect attempt %d after %v: %v", ev.Attempt, ev.Cause, ev.Err)
		}))
	if err != nil {
		log.Fatal(err) // a *ws.DialError; its StatusCode is 401 for a refused token
	}
	defer conn.Close()

	if err := conn.Send(ctx, Say{Text: "hello"}); err != nil {
		log.Fatal(err)
	}
	answer, err := conn.Receive(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(answer.Shout)
	// Output: HELLO
}
