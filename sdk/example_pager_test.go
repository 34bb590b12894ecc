package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"

	"github.com/sdkgen-go/sdkgen/sdk"
)

// fakeUsers is a fake of a paginated "list users" endpoint, the kind a test
// builds so code that ranges over a generated method's Pager can run
// without a server. Its cursors are page indexes.
var fakeUsers = [][]string{{"ada", "alan"}, {"barbara"}, {"edsger", "grace"}}

func fetchUsers(ctx context.Context, cursor string) (sdk.Page[string], error) {
	k := 0
	if cursor != "" {
		var err error
		if k, err = strconv.Atoi(cursor); err != nil {
			return sdk.Page[string]{}, fmt.Errorf("bad cursor %q", cursor)
		}
	}
	page := sdk.Page[string]{Items: fakeUsers[k]}
	if k+1 < len(fakeUsers) {
		page.Next = strconv.Itoa(k + 1)
	}
	return page, nil
}

// A Pager over a fake fetch function: All yields every item, fetching
// pages as the loop needs them.
func ExampleNewPager() {
	users := sdk.NewPager(context.Background(), fetchUsers)
	for name, err := range users.All() {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(name)
	}
	fmt.Println("done:", users.Done())
	// Output:
	// ada
	// alan
	// barbara
	// edsger
	// grace
	// done: true
}

// A capped read that saves its position, and a later one that resumes
// there.
func ExampleWithStartAt() {
	first := sdk.NewPager(context.Background(), fetchUsers, sdk.WithMaxItems(3))
	for name, err := range first.All() {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("run 1:", name)
	}
	saved := first.Position() // store it anywhere: it is a string

	rest := sdk.NewPager(context.Background(), fetchUsers, sdk.WithStartAt(saved))
	for name, err := range rest.All() {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("run 2:", name)
	}
	// Output:
	// run 1: ada
	// run 1: alan
	// run 1: barbara
	// run 2: edsger
	// run 2: grace
}

// Driving a pager by hand, one page at a time.
func ExamplePager_NextPage() {
	ctx := context.Background()
	users := sdk.NewPager(ctx, fetchUsers)
	for !users.Done() {
		page, err := users.NextPage(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%v next=%q\n", page.Items, page.Next)
	}
	_, err := users.NextPage(ctx)
	fmt.Println(errors.Is(err, sdk.ErrNoMorePages))
	// Output:
	// [ada alan] next="1"
	// [barbara] next="2"
	// [edsger grace] next=""
	// true
}

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
		return sdk.CursorPager(ctx, c, opListPets, func(server, cursor string) (*http.Request, error) {
			p := sdk.CopyParams(params)
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
