package contract_test

import (
	"fmt"
	"testing"

	"github.com/sdkgen-go/sdkgen/examples/petstore"
	"github.com/sdkgen-go/sdkgen/internal/contract"
	"github.com/sdkgen-go/sdkgen/internal/testenv"
	"github.com/sdkgen-go/sdkgen/sdk"
)

// failures is a testing.TB that collects errors instead of failing.
type failures struct {
	testing.TB
	errs []string
}

func (f *failures) Errorf(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}
func (f *failures) Helper() {}

// The recorder fails a run in which Prism refused a call (here: no
// credentials) or an operation was never called.
func TestRecorderCatchesRefusalsAndGaps(t *testing.T) {
	const spec = "../../examples/petstore/petstore.yaml"
	base := contract.StartPrism(t, spec)
	rec := contract.NewRecorder()
	c, err := petstore.NewClient(base, sdk.WithMaxRetries(0), rec.Option())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := testenv.Context(t, 60e9)
	if _, err := c.Store.GetInventory(ctx); err == nil {
		t.Fatal("GetInventory without an API key succeeded against Prism --errors")
	}
	if _, err := c.Pets.ListPets(ctx, &petstore.ListPetsParams{}); err != nil {
		t.Fatalf("ListPets: %v", err)
	}
	f := &failures{TB: t}
	rec.Check(f, spec)
	if len(f.errs) != 2 {
		t.Fatalf("Check reported %d problems, want 2 (operations never called, the refused call):\n%q", len(f.errs), f.errs)
	}
	t.Logf("reported: %q", f.errs)
}
