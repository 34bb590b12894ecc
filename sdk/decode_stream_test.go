package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
)

// jsonResponse is a 200 response with body, as a transport returns it.
func jsonResponse(body io.Reader) *http.Response {
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(body),
	}
}

// sameAsEncodingJSON decodes body into a T with DecodeJSONValue, twice:
// as it is (small bodies are decoded from the buffer) and followed by
// enough whitespace to be decoded as a stream. Each must give what
// json.Decoder gives for it: the same value, or an error with the same
// text.
func sameAsEncodingJSON[T any](t *testing.T, body string) {
	t.Helper()
	for _, b := range []string{body, body + strings.Repeat(" ", 2*bodyBufSize)} {
		var want T
		wantErr := json.NewDecoder(strings.NewReader(b)).Decode(&want)
		got, err := decodeJSONValue[T](jsonResponse(strings.NewReader(b)))
		size := len(b)
		switch {
		case wantErr != nil && err == nil:
			t.Errorf("%d bytes: no error, want %v", size, wantErr)
		case wantErr == nil && err != nil:
			t.Errorf("%d bytes: %v", size, err)
		case err != nil:
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Errorf("%d bytes: %v is not a *DecodeError", size, err)
			} else if wantText := wantErr.Error(); de.Err.Error() != wantText && !(errors.Is(wantErr, io.EOF) && de.Err.Error() == "empty body") {
				t.Errorf("%d bytes: error %q, want %q", size, de.Err, wantText)
			}
		case !reflect.DeepEqual(got, want):
			t.Errorf("%d bytes: got %#v, want %#v", size, got, want)
		}
	}
}

type streamItem struct {
	ID   int64    `json:"id"`
	Name string   `json:"name"`
	Tags []string `json:"tags"`
}

type streamPage struct {
	Data  []streamItem `json:"data"`
	Next  *string      `json:"next_cursor"`
	Count int          `json:"count,omitempty"`
	Skip  []int        `json:"-"`
}

type upperList []int

func (u *upperList) UnmarshalJSON(b []byte) error {
	var v []int
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	for _, x := range v {
		*u = append(*u, x*10)
	}
	return nil
}

type embedded struct{ Data []int }

type withEmbedded struct {
	embedded
	Other []int `json:"other"`
}

// Two fields named Data: encoding/json takes the tagged one.
type twoNames struct {
	A    []int `json:"Data"`
	Data []int
}

type custom struct {
	Data upperList `json:"data"`
	Raw  []byte    `json:"raw"`
	Num  []int     `json:"num,string"` //lint:ignore SA5008 encoding/json ignores the option here; the test checks that we do too
}

func items(n int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"item %d","tags":["a","b"]}`, i, i)
	}
	b.WriteByte(']')
	return b.String()
}

func TestDecodeLikeEncodingJSON(t *testing.T) {
	many := items(2000) // about 80 KB: the array itself streams
	for _, body := range []string{
		many, `[]`, `null`, ` [ {"id": 1} , {"id": 2} ] `, `[{"id":1},{"id":"x"},{"id":3}]`,
		`[{"id":1},{"id":2}`, `[{"id":1},{"id":2]`, `{"id":1}`, `[1]`, ``, `  `,
	} {
		sameAsEncodingJSON[[]streamItem](t, body)
	}
	for _, body := range []string{
		`{"data":` + many + `,"next_cursor":"c2","count":3}`,
		`{"next_cursor":null,"data":` + many + `}`,
		`{"data":[],"count":1}`, `{"data":null}`, `{"data":{"id":1}}`, `{"data":"x","count":2}`,
		`{"data":[{"id":1}],"data":[{"name":"again"}]}`, `{"DATA":[{"id":1}]}`, `{"Data":[{"id":1}],"data":[{"id":2}]}`,
		`{"data":[{"id":1},{"id":"two"},{"id":3,"tags":[1]}],"count":"many"}`,
		`{"count":"many","data":[{"id":"two"}]}`, `{"data":[1,2]}`,
		`{"data":[{"id":1}],"next_cursor":5}`, `{"data":[{"id":1}] "count":1}`, `{"data":[{"id":1}],`,
		`{"Skip":[1],"-":[2]}`, `[1,2]`, `{"data":[{"id":1}]}{"more":true}`,
	} {
		sameAsEncodingJSON[streamPage](t, body)
	}
	sameAsEncodingJSON[custom](t, `{"data":[1,2],"raw":"aGk=","num":["1"]}`)
	sameAsEncodingJSON[custom](t, `{"data":[1,"x"]}`)
	sameAsEncodingJSON[withEmbedded](t, `{"Data":[1,2],"other":[3]}`)
	sameAsEncodingJSON[twoNames](t, `{"Data":[1,2]}`)
	sameAsEncodingJSON[map[string][]int](t, `{"a":[1],"b":[2]}`)
	sameAsEncodingJSON[*streamPage](t, `{"data":[{"id":1}]}`)
}

// firstSeen records how much of the body had been read when the first
// element was decoded.
type firstSeen struct{ ID int64 }

var (
	readSoFar atomic.Int64
	seenAt    atomic.Int64
)

func (f *firstSeen) UnmarshalJSON(b []byte) error {
	seenAt.CompareAndSwap(0, readSoFar.Load())
	var v struct{ ID int64 }
	err := json.Unmarshal(b, &v)
	f.ID = v.ID
	return err
}

type countingReader struct{ r io.Reader }

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	readSoFar.Add(int64(n))
	return n, err
}

// A large list is decoded as it arrives: its first item before most of
// the body has been read, for a top-level array and a page's items alike.
func TestDecodeStreamsLargeLists(t *testing.T) {
	body := items(50_000) // about 2 MB
	check := func(name string, decode func(r io.Reader) (int, error)) {
		readSoFar.Store(0)
		seenAt.Store(0)
		n, err := decode(countingReader{strings.NewReader(body)})
		if err != nil || n != 50_000 {
			t.Fatalf("%s: %d items, %v", name, n, err)
		}
		if at := seenAt.Load(); at == 0 || at > int64(len(body)/10) {
			t.Errorf("%s: first item decoded after reading %d of %d bytes", name, at, len(body))
		}
	}
	check("array", func(r io.Reader) (int, error) {
		v, err := decodeJSONValue[[]firstSeen](jsonResponse(r))
		return len(v), err
	})
	check("page", func(r io.Reader) (int, error) {
		v, err := decodeJSON[struct {
			Data []firstSeen `json:"data"`
		}](jsonResponse(io.MultiReader(strings.NewReader(`{"data":`), r, strings.NewReader(`}`))))
		if err != nil {
			return 0, err
		}
		return len(v.Data), nil
	})
}
