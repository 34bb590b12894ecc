package petstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"

	"github.com/sdkgen-go/sdkgen/examples/petstore"
	"github.com/sdkgen-go/sdkgen/sdk"
)

// Example creates, gets, lists and deletes pets through the generated SDK,
// and tells a declared 404 apart from other errors.
func Example() {
	srv := httptest.NewServer(newPetServer())
	defer srv.Close()

	ctx := context.Background()
	c, err := petstore.NewClient(srv.URL, sdk.WithMaxRetries(2))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	rex, err := c.Pets.CreatePet(ctx, petstore.NewPet{Name: "Rex", Status: ptr(petstore.PetStatusAvailable)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created", rex.Id, rex.Name)

	if _, err := c.Pets.CreatePet(ctx, petstore.NewPet{Name: "Tom", Status: ptr(petstore.PetStatusSold)}); err != nil {
		log.Fatal(err)
	}

	got, err := c.Pets.GetPet(ctx, rex.Id)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("got", got.Name, *got.Status)

	page, err := c.Pets.ListPets(ctx, &petstore.ListPetsParams{Status: ptr(petstore.PetStatusAvailable)})
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range page.Data {
		fmt.Println("available:", p.Name)
	}

	if err := c.Pets.DeletePet(ctx, rex.Id); err != nil {
		log.Fatal(err)
	}

	_, err = c.Pets.GetPet(ctx, rex.Id)
	var notFound *petstore.NotFoundError
	if errors.As(err, &notFound) {
		fmt.Println("gone:", notFound.Body.Message)
	}
	var apiErr *sdk.APIError
	if errors.As(err, &apiErr) {
		fmt.Println("status", apiErr.StatusCode)
	}
	// Output:
	// created 1 Rex
	// got Rex available
	// available: Rex
	// gone: no pet 1
	// status 404
}

func ptr[T any](v T) *T { return &v }

// newPetServer is an in-memory pet store that speaks petstore.yaml.
func newPetServer() http.Handler {
	var mu sync.Mutex
	pets := map[int64]petstore.Pet{}
	var next int64
	reply := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /pets", func(w http.ResponseWriter, r *http.Request) {
		var in petstore.NewPet
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Name == "" {
			reply(w, http.StatusUnprocessableEntity, petstore.ValidationError{Message: "invalid pet", Fields: map[string]string{"name": "required"}})
			return
		}
		mu.Lock()
		next++
		p := petstore.Pet{Id: next, Name: in.Name, Status: in.Status, Tag: in.Tag}
		pets[p.Id] = p
		mu.Unlock()
		reply(w, http.StatusCreated, p)
	})
	mux.HandleFunc("GET /pets", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		list := petstore.PetList{Data: []petstore.Pet{}}
		for id := int64(1); id <= next; id++ {
			p, ok := pets[id]
			if !ok || (r.URL.Query().Has("status") && (p.Status == nil || string(*p.Status) != r.URL.Query().Get("status"))) {
				continue
			}
			list.Data = append(list.Data, p)
		}
		reply(w, http.StatusOK, list)
	})
	mux.HandleFunc("GET /pets/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		mu.Lock()
		p, ok := pets[id]
		mu.Unlock()
		if !ok {
			reply(w, http.StatusNotFound, petstore.NotFound{Message: fmt.Sprintf("no pet %d", id), Id: &id})
			return
		}
		reply(w, http.StatusOK, p)
	})
	mux.HandleFunc("DELETE /pets/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		mu.Lock()
		defer mu.Unlock()
		if _, ok := pets[id]; !ok {
			reply(w, http.StatusNotFound, petstore.NotFound{Message: fmt.Sprintf("no pet %d", id)})
			return
		}
		delete(pets, id)
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}
