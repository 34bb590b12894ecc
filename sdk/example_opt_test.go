package sdk_test

import (
	"encoding/json"
	"fmt"

	"github.com/sdkgen-go/sdkgen/sdk"
)

// A request body whose optional fields must tell "not given" from zero:
// Stock is sent as 0, Note is left out. Opt values print as their value.
func ExampleOpt() {
	type NewProduct struct {
		Name  string          `json:"name"`
		Stock sdk.Opt[int]    `json:"stock,omitzero"`
		Note  sdk.Opt[string] `json:"note,omitzero"`
	}
	body, _ := json.Marshal(NewProduct{Name: "mug", Stock: sdk.Some(0)})
	fmt.Println(string(body))

	var p NewProduct
	_ = json.Unmarshal([]byte(`{"name":"mug","stock":12}`), &p)
	fmt.Println(p.Stock, p.Note)
	fmt.Printf("%+v\n", p)
	if n, ok := p.Stock.Value(); ok {
		fmt.Println("in stock:", n)
	}
	fmt.Println(p.Note.Or("no note"))
	// Output:
	// {"name":"mug","stock":0}
	// 12 <absent>
	// {Name:mug Stock:12 Note:<absent>}
	// in stock: 12
	// no note
}
