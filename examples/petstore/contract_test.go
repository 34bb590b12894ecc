package petstore_test

import (
	"testing"

	"github.com/sdkgen-go/sdkgen/examples/petstore"
	"github.com/sdkgen-go/sdkgen/internal/contract"
	"github.com/sdkgen-go/sdkgen/internal/testenv"
	"github.com/sdkgen-go/sdkgen/sdk"
)

// Every operation of the petstore SDK, called against Prism serving
// petstore.yaml with --errors: a request that breaks the spec (a missing
// credential, a wrong parameter, a body that does not validate) would be
// refused, so each 2xx proves the generated request is one the spec allows,
// and each decoded answer that the generated model reads what the spec
// says.
func TestPrismContract(t *testing.T) {
	base := contract.StartPrism(t, "petstore.yaml")
	rec := contract.NewRecorder()
	c, err := petstore.NewClient(base,
		petstore.WithAPIKey("contract-key"),
		petstore.WithPetstoreAuth(sdk.StaticToken("contract-token")),
		sdk.WithMaxRetries(0),
		rec.Option())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := testenv.Context(t, 60e9)

	var details petstore.PetDetails
	if err := details.FromDog(petstore.Dog{Kind: "dog", Breed: ptr("beagle")}); err != nil {
		t.Fatal(err)
	}
	created, err := c.Pets.CreatePet(ctx, petstore.NewPet{Name: "Rex", Status: ptr(petstore.PetStatusAvailable), Tag: ptr("good"), Details: &details})
	if err != nil {
		t.Fatalf("CreatePet: %v", err)
	}
	if _, err := c.Pets.GetPet(ctx, created.ID); err != nil {
		t.Errorf("GetPet: %v", err)
	}
	if _, err := c.Pets.ListPets(ctx, &petstore.ListPetsParams{Limit: ptr[int32](10), Status: ptr(petstore.PetStatusAvailable), XRequestID: ptr("req-1")}); err != nil {
		t.Errorf("ListPets: %v", err)
	}
	if _, err := c.Pets.ListPets(ctx, &petstore.ListPetsParams{}); err != nil {
		t.Errorf("ListPets without parameters: %v", err)
	}
	if _, err := c.Pets.UpdatePet(ctx, created.ID, petstore.NewPet{Name: "Rex", Status: ptr(petstore.PetStatusSold)}); err != nil {
		t.Errorf("UpdatePet: %v", err)
	}
	if err := c.Pets.DeletePet(ctx, created.ID); err != nil {
		t.Errorf("DeletePet: %v", err)
	}
	if _, err := c.Store.GetInventory(ctx); err != nil {
		t.Errorf("GetInventory: %v", err)
	}
	rec.Check(t, "petstore.yaml")
}
