package nullable_test

import (
	"encoding/json"
	"fmt"

	"github.com/sdkgen-go/sdkgen/sdk/nullable"
)

// A nullable field of a response prints as its value, as null, or as
// <absent>; Value reads it.
func Example() {
	var repo struct {
		Name     string                    `json:"name"`
		Homepage nullable.Nullable[string] `json:"homepage,omitempty"`
		License  nullable.Nullable[string] `json:"license,omitempty"`
		Topics   nullable.Nullable[int]    `json:"topics,omitempty"`
	}
	_ = json.Unmarshal([]byte(`{"name":"sdkgen","homepage":"https://example.com","license":null}`), &repo)
	fmt.Println(repo.Homepage, repo.License, repo.Topics)
	fmt.Printf("%+v\n", repo)
	if h, ok := repo.Homepage.Value(); ok {
		fmt.Println("homepage:", h)
	}
	// Output:
	// https://example.com null <absent>
	// {Name:sdkgen Homepage:https://example.com License:null Topics:<absent>}
	// homepage: https://example.com
}
