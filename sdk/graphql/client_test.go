package graphql

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	genqlient "github.com/Khan/genqlient/graphql"
)

// The POST body is the bytes json.Marshal makes of genqlient's Request,
// whatever the variables, and a changed text is encoded again.
func TestBodyMatchesMarshal(t *testing.T) {
	type vars struct {
		ID   string   `json:"id"`
		Tags []string `json:"tags,omitempty"`
	}
	var typedNil *vars
	op := NewOperation(Query, "Q", false)
	for _, req := range []*genqlient.Request{
		{Query: "query Q($id: ID!) {\n\tproduct(id: $id) { id }\n}\n", OpName: "Q", Variables: &vars{ID: "p<1>&\u2028"}},
		{Query: "query Q { a }", OpName: "Q"},
		{Query: "query Q { a }", OpName: "Q", Variables: typedNil},
		{Query: "query Q { b } # \"quoted\" <html>", OpName: "Q", Variables: map[string]any{"x": 1.5, "y": nil}},
		{Query: "query R { c }", OpName: "R", Variables: json.RawMessage(`{ "id" : "p1" }`)},
		{Query: "query Q { a }", OpName: ""},
	} {
		want, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // encoded, then from the cache
			got, err := op.body(req)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("body(%+v)\n got %s\nwant %s", req, got, want)
			}
		}
	}
	if _, err := op.body(&genqlient.Request{Query: "q", Variables: func() {}}); err == nil {
		t.Error("variables that do not encode: no error")
	}
}

// The POST request is the one http.NewRequest makes.
func TestPostRequestMatchesNewRequest(t *testing.T) {
	for _, tc := range []struct{ base, path, server string }{
		{"http://h:/graphql", "", "http://h:/graphql/"},
		{"https://api.example.com/v1/", "graphql", "https://api.example.com/v1/"},
		{"http://[::1]:8080", "/gql?x=1", "http://[::1]:8080/"},
	} {
		c := &Client{cfg: config{path: tc.path}, baseSlash: tc.base[len(tc.base)-1] == '/'}
		body := []byte(`{"query":"q"}`)
		got, err := c.postRequest(tc.server, body)
		if err != nil {
			t.Fatal(err)
		}
		want, err := http.NewRequest(http.MethodPost, c.endpoint(tc.server), bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if got.URL.String() != want.URL.String() || got.Host != want.Host || got.ContentLength != want.ContentLength ||
			got.Proto != want.Proto || got.ProtoMajor != want.ProtoMajor || got.ProtoMinor != want.ProtoMinor {
			t.Errorf("%s: got %s %s %d %s, want %s %s %d %s", tc.server, got.URL, got.Host, got.ContentLength, got.Proto, want.URL, want.Host, want.ContentLength, want.Proto)
		}
		for range 2 {
			rc, err := got.GetBody()
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := io.ReadAll(rc); !bytes.Equal(b, body) {
				t.Errorf("GetBody = %s", b)
			}
		}
		if b, _ := io.ReadAll(got.Body); !bytes.Equal(b, body) {
			t.Errorf("Body = %s", b)
		}
		// A second request has a URL of its own.
		again, _ := c.postRequest(tc.server, body)
		if again.URL == got.URL {
			t.Error("two requests share a URL")
		}
	}
}

// stalled is a body whose Read waits until it is closed.
type stalled struct{ closed chan struct{} }

func (s *stalled) Read([]byte) (int, error) { <-s.closed; return 0, errors.New("closed") }
func (s *stalled) Close() error             { close(s.closed); return nil }

// A Close interrupts a Read of the rest of a large body that stalls (an
// idle timeout closes the body to end the Read).
func TestPrefixBodyCloseInterruptsRead(t *testing.T) {
	bp := classifyBufs.Get().(*[]byte)
	b := &prefixBody{data: nil, buf: bp, rest: &stalled{closed: make(chan struct{})}}
	done := make(chan error, 1)
	go func() {
		_, err := b.Read(make([]byte, 10))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond) // let the Read block
	closed := make(chan struct{})
	go func() { b.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for the stalled Read")
	}
	if err := <-done; err == nil {
		t.Error("the interrupted Read returned no error")
	}
	if _, err := b.Read(make([]byte, 1)); err == nil {
		t.Error("Read after Close: no error")
	}
}

// A whole body (the buffer, then http.NoBody) reads to its end, and fails
// after Close.
func TestWholeBody(t *testing.T) {
	bp := classifyBufs.Get().(*[]byte)
	n := copy(*bp, `{"data":{}}`)
	b := &prefixBody{data: (*bp)[:n], buf: bp, rest: http.NoBody}
	got, err := io.ReadAll(b)
	if err != nil || string(got) != `{"data":{}}` {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
	b.Close()
	b.Close()
	if _, err := b.Read(make([]byte, 1)); !errors.Is(err, errReadAfterClose) {
		t.Errorf("Read after Close = %v", err)
	}
}

// A request's header values are its own: a middleware that changes one in
// place changes no other request.
func TestHeaderValuesNotShared(t *testing.T) {
	c := &Client{baseSlash: true}
	r1, err := c.postRequest("http://h/", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	r1.Header["Accept"][0] = "text/plain"
	r1.Header["Content-Type"][0] = "text/plain"
	r2, _ := c.postRequest("http://h/", []byte(`{}`))
	if r2.Header.Get("Accept") != acceptValue || r2.Header.Get("Content-Type") != jsonContentType {
		t.Errorf("a second request's headers: %v", r2.Header)
	}
	r1.Header["Accept"] = append(r1.Header["Accept"], "x")
	if r2.Header.Get("Content-Type") != jsonContentType || r1.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("appending to Accept changed Content-Type: %v", r1.Header)
	}
}
