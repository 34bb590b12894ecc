package outbox_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/outbox"
)

// A write queued before the queue has a client to send with (offline, say)
// waits on disk; once started, the queue sends it through the client, with
// the client's credentials and the write's own Idempotency-Key.
func Example() {
	api := httptest.NewServer(newItems()) // PUT /items/{id}, with ETags and Idempotency-Keys
	defer api.Close()
	dir, _ := os.MkdirTemp("", "outbox-example-")
	defer os.RemoveAll(dir)

	q, err := outbox.Open(filepath.Join(dir, "outbox.db"), outbox.WithOnEvent(func(ev outbox.Event) {
		fmt.Println(ev.Kind, ev.Entry.Method, ev.Entry.Resource, ev.Entry.Label)
	}))
	if err != nil {
		panic(err)
	}
	defer q.Close()
	c, err := sdk.NewClient(api.URL, sdk.WithBearerToken("token"), q.Watch())
	if err != nil {
		panic(err)
	}
	defer c.Close()

	ctx := context.Background()
	// write is what a generated method does: c.Do with the operation, a
	// request builder, and the options it is given.
	h, err := q.Enqueue(ctx, write(c, opPut, "lamp", map[string]any{"name": "Desk lamp"}), outbox.Label("add the desk lamp"))
	if err != nil {
		panic(err)
	}
	if err := q.Start(c); err != nil {
		panic(err)
	}
	res, err := h.Wait(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Status, res.Header.Get("ETag"), string(res.Body))
	// Output:
	// queued PUT /items/lamp add the desk lamp
	// sent PUT /items/lamp add the desk lamp
	// 201 "1" {"name":"Desk lamp"}
}
