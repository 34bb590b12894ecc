package panel

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sdkgen-go/sdkgen/internal/gentest"
)

// Anonymous structs are counted in type declarations only, and not where
// a struct literal is a declared type's own definition (an alias's
// included).
func TestAnonymousStructs(t *testing.T) {
	dir := gentest.WriteFiles(t, map[string]string{"m/models.go": `package m

type Named struct {
	A struct{ X int }    // 1
	B []struct{ Y int }  // 2
	C map[string]struct{} // 3
	D *struct {           // 4
		E struct{ Z int } // 5
	}
	F Other
}

type Other struct{}

type Alias = struct{ Q int }

type List []struct{ R int } // 6

type (
	G struct{ H *struct{} } // 7
)

var notAModel = struct{ S int }{}

func f() {
	var local struct{ T int }
	_ = local
}
`})
	code, err := ScanCode(dir)
	if err != nil {
		t.Fatal(err)
	}
	if code.AnonymousStructs != 7 {
		t.Errorf("AnonymousStructs = %d, want 7; at %v", code.AnonymousStructs, code.AnonymousStructAt)
	}
	if len(code.AnonymousStructAt) == 0 || !strings.HasPrefix(code.AnonymousStructAt[0], "m/models.go:4 (in Named)") {
		t.Errorf("AnonymousStructAt = %v, want first m/models.go:4 (in Named)", code.AnonymousStructAt)
	}
	if code.Packages != 1 || code.Files != 1 || code.Lines != 28 {
		t.Errorf("packages, files, lines = %d, %d, %d; want 1, 1, 28", code.Packages, code.Files, code.Lines)
	}
}

// Pointer fields are sorted by what they point to: scalars by kind (the
// generated code's own scalar types, in any of its packages, are named;
// aliases keep the kind of what they alias), slices apart, the rest not
// counted.
func TestScalarPointers(t *testing.T) {
	dir := gentest.WriteFiles(t, map[string]string{
		"api/models.go": `package api

import (
	"encoding/json"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"
	"github.com/google/uuid"

	"example.com/sdk/api/kinds"
)

type Status string

type Level Status

type Text = string

type Object struct {
	A, B   *string              // string 2
	C      *bool                // bool
	D      *int64               // number
	E      *float32             // number
	F      *time.Time           // time
	G      *openapi_types.Date  // time
	H      *Status              // named
	I      *Level               // named
	J      *Text                // string
	K      *json.Number         // other
	L      *uuid.UUID           // other
	M      *kinds.Kind          // named, from another generated package
	N      *Object              // not a scalar
	O      *[]string            // list
	P      *[]Object            // list
	Q      *map[string]string   // neither
	R      string               // not a pointer
	S      *struct{ T *uint8 }  // uint8: number; the struct itself is neither
	*Embedded
	U      *kinds.Shape         // a struct of another package: neither
}

type Embedded struct{}
`,
		"api/kinds/kinds.go": `package kinds

type Kind int

type Shape struct{ V int }
`,
	})
	code, err := ScanCode(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{KindString: 3, KindBool: 1, KindNumber: 3, KindTime: 2, KindNamed: 3, KindOther: 2}
	if !reflect.DeepEqual(code.ScalarPointers, want) {
		t.Errorf("ScalarPointers = %v, want %v", code.ScalarPointers, want)
	}
	if code.ScalarPointerTotal() != 14 {
		t.Errorf("ScalarPointerTotal = %d, want 14", code.ScalarPointerTotal())
	}
	if code.ListPointers != 2 {
		t.Errorf("ListPointers = %d, want 2", code.ListPointers)
	}
	if code.Packages != 2 {
		t.Errorf("Packages = %d, want 2", code.Packages)
	}
}

// Operation descriptors are found by the composite literal's type name
// and fields, whatever the qualifier, in any package; paged methods by
// their *X.Pager[T] result, and their style by the constructor they call.
func TestOperations(t *testing.T) {
	dir := gentest.WriteFiles(t, map[string]string{
		"client.go": `package api

import (
	"context"
	"net/http"

	"github.com/sdkgen-go/sdkgen/sdk"
)

var opListPets = &sdk.Operation{
	ID:     "listPets",
	Method: http.MethodGet,
	Path:   "/pets",
}

var (
	opGetPet = &sdk.Operation{ID: "getPet", Method: "get", Path: "/pets/{id}"}
	notAnOp  = &sdk.Other{ID: "x", Method: "GET", Path: "/x"}
	partial  = &sdk.Operation{ID: "noPath", Method: "GET"}
)

func (s *PetsService) ListPets(ctx context.Context, opts ...sdk.Option) *sdk.Pager[Pet] {
	return sdk.CursorPager(ctx, s.client, opListPets, nil, nil, opts...)
}

func (s *PetsService) ListPetsPage(ctx context.Context) (*PetList, error) {
	return sdk.Call[PetList](ctx, s.client, opListPets)
}

func (s *PetsService) GetPet(ctx context.Context, id string) (*Pet, error) {
	return sdk.Call[Pet](ctx, s.client, opGetPet)
}

// AllPets wraps another pager: the panel cannot tell its operation.
func (s *PetsService) AllPets(ctx context.Context) *sdk.Pager[Pet] {
	return s.ListPets(ctx)
}
`,
		"orders/orders.go": `package orders

import (
	"context"

	gen "github.com/sdkgen-go/sdkgen/sdk/gen"
	"example.com/api/ops"
)

var listOrders = gen.Operation{ID: "listOrders", Method: gen.MethodGet, Path: "/orders"}

func (s *Service) List(ctx context.Context) *gen.Pager[Order] {
	return gen.TokenPager[OrderList, Order](ctx, s.c, listOrders, nil)
}

func ListInvoices(ctx context.Context) *gen.Pager[Invoice] {
	return gen.OffsetPager(ctx, nil, ops.ListInvoices, 0, nil, nil)
}
`,
		"ops/ops.go": `package ops

import "net/http"

var ListInvoices = &rt.Operation{ID: "listInvoices", Method: http.MethodGet, Path: "/invoices"}
`,
	})
	code, err := ScanCode(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []Operation{
		{ID: "listPets", Method: "GET", Path: "/pets", Package: ".", Var: "opListPets",
			Methods: []string{"PetsService.ListPets", "PetsService.ListPetsPage"}, Pagers: []string{"CursorPager"}},
		{ID: "getPet", Method: "GET", Path: "/pets/{id}", Package: ".", Var: "opGetPet", Methods: []string{"PetsService.GetPet"}},
		{ID: "listInvoices", Method: "GET", Path: "/invoices", Package: "ops", Var: "ListInvoices",
			Methods: []string{"ListInvoices"}, Pagers: []string{"OffsetPager"}},
		{ID: "listOrders", Method: "GET", Path: "/orders", Package: "orders", Var: "listOrders",
			Methods: []string{"Service.List"}, Pagers: []string{"TokenPager"}},
	}
	got := slices.Clone(code.Operations)
	slices.SortFunc(got, func(a, b Operation) int { return strings.Compare(a.Package+a.Var, b.Package+b.Var) })
	slices.SortFunc(want, func(a, b Operation) int { return strings.Compare(a.Package+a.Var, b.Package+b.Var) })
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Operations =\n%+v\nwant\n%+v", got, want)
	}
	if !reflect.DeepEqual(code.UnattachedPagers, []string{"PetsService.AllPets"}) {
		t.Errorf("UnattachedPagers = %v, want [PetsService.AllPets]", code.UnattachedPagers)
	}
	for constructor, style := range map[string]string{"CursorPager": GenCursor, "OffsetPager": GenOffset,
		"PageNumberPager": GenPage, "LinkPager": GenLinkHeader, "NextURLPager": GenNextURLBody, "TokenPager": GenOther, "?": GenOther} {
		if got := PagerStyle(constructor); got != style {
			t.Errorf("PagerStyle(%s) = %s, want %s", constructor, got, style)
		}
	}
}

// Files that do not parse are an error, not a silent zero.
func TestScanCodeSyntaxError(t *testing.T) {
	dir := gentest.WriteFiles(t, map[string]string{"a.go": "package a\n\nfunc {\n"})
	if _, err := ScanCode(dir); err == nil {
		t.Fatal("no error for a file that does not parse")
	}
}
