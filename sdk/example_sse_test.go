package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/sdkgen-go/sdkgen/sdk"
)

// A generated method of a text/event-stream operation is a call of
// JSONEvents (or TextEvents): ranging over it opens the stream, yields each
// event as it arrives, reconnects with Last-Event-ID when the connection
// drops, and ends cleanly at the terminal event.
func ExampleJSONEvents() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for _, ev := range []string{
			"id: 1\ndata: {\"symbol\":\"ACME\",\"price\":41.5}\n\n",
			": keep-alive\n\n",
			"id: 2\ndata: {\"symbol\":\"ACME\",\"price\":42}\n\n",
			"event: done\n\n",
		} {
			_, _ = io.WriteString(w, ev)
			w.(http.Flusher).Flush()
		}
		<-r.Context().Done() // the client closes the stream after "done"
	}))
	defer srv.Close()

	type quote struct {
		Symbol string  `json:"symbol"`
		Price  float64 `json:"price"`
	}
	// What the generated code declares for the operation.
	op := &sdk.Operation{ID: "watchQuotes", Method: http.MethodGet, Path: "/quotes",
		Stream: &sdk.EventStream{Terminal: "done"}}
	build := func(server string) (*http.Request, error) {
		return http.NewRequest(http.MethodGet, server+"quotes", nil)
	}

	c, err := sdk.NewClient(srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for ev, err := range sdk.JSONEvents[quote](context.Background(), c, op, build) {
		if err != nil {
			var se *sdk.StreamError
			if errors.As(err, &se) {
				log.Printf("stream broke after event %q: %v", se.LastEventID, err)
			}
			log.Fatal(err)
		}
		fmt.Printf("%s %s %.2f\n", ev.ID, ev.Data.Symbol, ev.Data.Price)
	}
	fmt.Println("done")
	// Output:
	// 1 ACME 41.50
	// 2 ACME 42.00
	// done
}
