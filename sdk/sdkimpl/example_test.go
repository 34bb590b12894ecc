package sdkimpl_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

// What a generated method of a cursor-paginated operation does, over a
// test server: the cursor goes into a copy of the caller's typed
// parameters, and the reader returns a page's items and next cursor.
func ExampleCursorPager() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Query().Get("cursor") {
		case "":
			fmt.Fprint(w, `{"data":[{"name":"Rex"},{"name":"Tom"}],"next_cursor":"c2"}`)
		case "c2":
			fmt.Fprint(w, `{"data":[{"name":"Kitty"}]}`)
		}
	}))
	defer srv.Close()
	c, err := sdk.NewClient(srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	type Pet struct {
		Name string `json:"name"`
	}
	type PetList struct {
		Data       []Pet   `json:"data"`
		NextCursor *string `json:"next_cursor,omitempty"`
	}
	type ListPetsParams struct{ Cursor *string }
	newListPetsRequest := func(server string, p *ListPetsParams) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodGet, server+"pets", nil)
		if err == nil && p.Cursor != nil {
			req.URL.RawQuery = "cursor=" + *p.Cursor
		}
		return req, err
	}
	opListPets := &sdk.Operation{ID: "listPets", Method: http.MethodGet, Path: "/pets"}

	// The generated method's body:
	listPets := func(ctx context.Context, params *ListPetsParams, opts ...sdk.Option) *sdk.Pager[Pet] {
		return sdkimpl.CursorPager(ctx, c, opListPets, func(server, cursor string) (*http.Request, error) {
			p := sdkimpl.CopyParams(params)
			if cursor != "" {
				p.Cursor = &cursor
			}
			return newListPetsRequest(server, p)
		}, func(page *PetList) ([]Pet, string) {
			return page.Data, sdk.Deref(page.NextCursor)
		}, opts...)
	}

	for pet, err := range listPets(context.Background(), nil, sdk.WithPrefetch()).All() {
		if err != nil {
			log.Fatal(err)
		}
		out, _ := json.Marshal(pet)
		fmt.Println(string(out))
	}
	// Output:
	// {"name":"Rex"}
	// {"name":"Tom"}
	// {"name":"Kitty"}
}

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
	for ev, err := range sdkimpl.JSONEvents[quote](context.Background(), c, op, build) {
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
