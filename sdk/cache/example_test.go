package cache_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/cache"
	"github.com/sdkgen-go/sdkgen/sdk/cache/boltstore"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

// A client whose GET calls are cached in a file, and answered from it
// when the server cannot be reached: the program keeps working offline on
// what it last saw. Generated clients take the same options
// (petstore.NewClient(url, sdk.WithCache(c))).
func Example() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=0") // always ask again
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		_, _ = io.WriteString(w, `[{"name":"Rex"}]`)
	}))
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	store, err := boltstore.Open(filepath.Join(dir, "cache.db")) // or cache.NewMemoryStore(64 << 20)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	c, err := cache.New(store, cache.WithStaleIfError(7*24*time.Hour))
	if err != nil {
		log.Fatal(err)
	}
	// Without retries to keep the example quick: with them, a stale answer
	// comes once the retries have run out.
	client, err := sdk.NewClient(api.URL, sdk.WithCache(c), sdk.WithBearerToken("token"), sdk.WithoutRetries())
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	listPets := func() {
		var resp *http.Response // the response, for its cache outcome
		r, err := sdkimpl.Do(context.Background(), client, &sdk.Operation{ID: "listPets", Method: "GET", Path: "/pets"},
			func(server string) (*http.Request, error) { return http.NewRequest("GET", server+"pets", nil) },
			sdk.WithResponse(&resp))
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		defer r.Body.Close()
		data, _ := io.ReadAll(r.Body)
		fmt.Println(cache.OutcomeOf(resp), string(data))
	}
	listPets() // from the server, stored
	listPets() // the server answered 304 Not Modified: the stored body
	api.Close()
	listPets() // the server is gone: the stored body, within stale-if-error
	// Output:
	// miss [{"name":"Rex"}]
	// revalidated [{"name":"Rex"}]
	// stale [{"name":"Rex"}]
}

// A response past its freshness is shown at once and refreshed behind the
// call: the next call gets the fresh copy.
func ExampleWithStaleWhileRevalidate() {
	var version atomic.Value
	version.Store("v1")
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=0") // stale at once
		_, _ = io.WriteString(w, `{"version":"`+version.Load().(string)+`"}`)
	}))
	defer api.Close()
	refreshed := make(chan cache.Revalidation, 1)
	c, err := cache.New(cache.NewMemoryStore(0), cache.WithStaleWhileRevalidate(time.Hour),
		cache.WithOnRevalidate(func(r cache.Revalidation) { refreshed <- r }))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close() // ends background revalidations
	client, err := sdk.NewClient(api.URL, sdk.WithCache(c))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	get := func() {
		var resp *http.Response
		r, err := sdkimpl.Do(context.Background(), client, &sdk.Operation{ID: "getVersion", Method: "GET", Path: "/version"},
			func(server string) (*http.Request, error) { return http.NewRequest("GET", server+"version", nil) },
			sdk.WithResponse(&resp))
		if err != nil {
			log.Fatal(err)
		}
		defer r.Body.Close()
		data, _ := io.ReadAll(r.Body)
		fmt.Println(cache.OutcomeOf(resp), string(data))
	}
	get() // from the server, stored
	version.Store("v2")
	get() // the stored copy at once; a revalidation starts behind it
	fmt.Println("refreshed:", (<-refreshed).Outcome)
	get() // what the revalidation stored (stale again at once: max-age=0)
	// Output:
	// miss {"version":"v1"}
	// stale-while-revalidate {"version":"v1"}
	// refreshed: miss
	// stale-while-revalidate {"version":"v2"}
}
