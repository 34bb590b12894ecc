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
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sdkgen-go/sdkgen/examples/petstore"
	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/auth"
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
	fmt.Println("created", rex.ID, rex.Name)

	if _, err := c.Pets.CreatePet(ctx, petstore.NewPet{Name: "Tom", Status: ptr(petstore.PetStatusSold)}); err != nil {
		log.Fatal(err)
	}

	got, err := c.Pets.GetPet(ctx, rex.ID)
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

	if err := c.Pets.DeletePet(ctx, rex.ID); err != nil {
		log.Fatal(err)
	}

	_, err = c.Pets.GetPet(ctx, rex.ID)
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

// Example_credentials uses both of the spec's security schemes: the API
// key (WithApiKey) and OAuth2 client credentials (WithPetstoreAuth, with a
// token source built from the generated PetstoreAuthClientCredentials).
// Each operation gets the credentials its security requirements name: none
// for listPets (security: []), the API key for getPet (the first of its
// alternatives the client has), a token for createPet, and both for
// deletePet. One token serves every call.
func Example_credentials() {
	tokens := newTokenEndpoint()
	defer tokens.Close()
	srv := httptest.NewServer(requireCredentials(newPetServer()))
	defer srv.Close()

	ctx := context.Background()
	cfg := petstore.PetstoreAuthClientCredentials("back-office", "its-secret", "write:pets")
	cfg.TokenURL = tokens.URL + "/oauth/token" // the spec's is https://petstore.example.com/oauth/token
	c, err := petstore.NewClient(srv.URL,
		petstore.WithAPIKey("key-123"),
		petstore.WithPetstoreAuth(auth.ClientCredentials(cfg)))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	rex, err := c.Pets.CreatePet(ctx, petstore.NewPet{Name: "Rex"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created", rex.Name)
	if _, err := c.Pets.GetPet(ctx, rex.ID); err != nil {
		log.Fatal(err)
	}
	if _, err := c.Pets.ListPets(ctx, nil); err != nil {
		log.Fatal(err)
	}
	if err := c.Pets.DeletePet(ctx, rex.ID); err != nil {
		log.Fatal(err)
	}
	fmt.Println("token requests:", tokens.requests.Load())
	// Output:
	// POST /pets: token
	// created Rex
	// GET /pets/1: api key
	// GET /pets: no credentials
	// DELETE /pets/1: api key, token
	// token requests: 1
}

// tokenEndpoint is an OAuth2 token endpoint for the example.
type tokenEndpoint struct {
	*httptest.Server
	requests atomic.Int32
}

func newTokenEndpoint() *tokenEndpoint {
	te := &tokenEndpoint{}
	te.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, _ := r.BasicAuth()
		if r.URL.Path != "/oauth/token" || id != "back-office" || secret != "its-secret" || r.FormValue("grant_type") != "client_credentials" {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		te.requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "token-for-" + r.FormValue("scope"), "token_type": "Bearer", "expires_in": 3600})
	}))
	return te
}

// requireCredentials checks the credentials of each request against what
// petstore.yaml requires, and prints what came.
func requireCredentials(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("X-API-Key") == "key-123"
		token := r.Header.Get("Authorization") == "Bearer token-for-write:pets"
		var got []string
		if key {
			got = append(got, "api key")
		}
		if token {
			got = append(got, "token")
		}
		if len(got) == 0 {
			got = append(got, "no credentials")
		}
		fmt.Printf("%s %s: %s\n", r.Method, r.URL.Path, strings.Join(got, ", "))
		ok := true
		switch {
		case r.Method == http.MethodPost || r.Method == http.MethodPut:
			ok = token
		case r.Method == http.MethodDelete:
			ok = key && token
		case r.Method == http.MethodGet && r.URL.Path != "/pets":
			ok = key || token
		}
		if !ok {
			http.Error(w, `{"code":401,"message":"credentials required"}`, http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
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
		p := petstore.Pet{ID: next, Name: in.Name, Status: in.Status, Tag: in.Tag}
		pets[p.ID] = p
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
			reply(w, http.StatusNotFound, petstore.NotFound{Message: fmt.Sprintf("no pet %d", id), ID: id})
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
