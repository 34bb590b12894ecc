package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"log"
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
