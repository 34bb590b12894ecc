package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk/nullable"
)

// Types of the filter's tests: every kind of Go type it plans for.
type (
	fItem struct {
		ID   int64    `json:"id"`
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}
	fMeta struct {
		Count int               `json:"count"`
		Attrs map[string]string `json:"attrs"`
		When  time.Time         `json:"when"`
	}
	fPage struct {
		Data   []fItem         `json:"data"`
		Meta   *fMeta          `json:"meta"`
		Extra  any             `json:"extra"`
		Raw    json.RawMessage `json:"raw"`
		Num    int             `json:"num,string"`
		Nested [][]fItem       `json:"nested"`
		ByKey  map[string]fItem
		Arr    [2]int `json:"arr"`
		Hidden string `json:"-"`
		Dash   string `json:"-,"`   //lint:ignore SA5008 a field named "-": the filter must match it as encoding/json does
		Bad    int    `json:"a\"b"` //lint:ignore SA5008 an invalid tag name: encoding/json uses the field's name
		Under  int    `json:"snake_case"`
		Ptr    **fItem
		Iface  error
		Bytes  []byte
		Number json.Number
		Upper  upperList                `json:"upper"`
		Maybe  nullable.Nullable[fMeta] `json:"maybe"`
		Opt    Opt[[]fItem]             `json:"opt"`
	}
	fTwins struct {
		A int `json:"x"`
		B int `json:"X"`
	}
	fEmbed struct {
		fItem
		More int `json:"more"`
	}
)

// sameAsDecoder decodes body into a T through the streamed path (the body
// followed by enough whitespace), and checks it against json.Decoder.
func sameAsDecoder[T any](t *testing.T, body string) {
	t.Helper()
	sameAsEncodingJSON[T](t, body)
}

func TestFilterLikeEncodingJSON(t *testing.T) {
	big := items(1500)
	for _, body := range []string{
		`{"data":` + big + `,"unknown":{"deep":[1,2,{"x":"y"}],"s":"\u0041\n"},"meta":{"count":3,"attrs":{"a":"b"},"when":"2025-01-02T03:04:05Z","zzz":[true,false,null]}}`,
		`{"DATA":[{"ID":7,"NAME":"x","extra":1}],"Meta":{"COUNT":2},"sNaKe_CaSe":5,"Under":6}`,
		`{"\u0064ata":[{"id":1}],"d\u0061ta":[{"id":2}]}`,
		`{"extra":{"a":[1,{"b":null}],"c":"d"},"raw":{ "kept" :  [ 1 , 2 ] }}`,
		`{"num":"12","arr":[1,2,3],"Bytes":"aGk=","Number":12.5e3,"upper":[1,2]}`,
		`{"num":[1,2]}`, `{"num":{"a":1}}`, `{"num":12}`,
		`{"data":"not a list","meta":[1,2],"arr":{"a":1},"Number":{"x":1}}`, `{"upper":{"a":[1]}}`,
		`{"data":[{"id":{"deep":[1,2,3]},"name":[{"a":1}],"tags":{"x":1}}]}`,
		`{"nested":[[{"id":1}],[{"id":"two"}],{"id":3}]}`,
		`{"ByKey":{"a":{"id":1,"zz":1},"b":{"id":"x"},"c":[1]}}`,
		`{"Ptr":{"id":5,"name":"p"},"Iface":{"a":1},"Hidden":"h","-":"dash","a\"b":1,"Bad":2}`,
		`{"meta":null,"data":null,"extra":null,"raw":null}`,
		`{"unknown":"\ud83d\ude00 \\ \" \/ \b\f\n\r\t","data":[]}`,
		`{"unknown":-0.5e+10,"unknown2":[-1,0,1.25,1E9,-0E-1],"data":[{"id":-0}]}`,
		// Syntax errors, in kept and in dropped parts, at every kind of place.
		`{"unknown":{"a":1 "b":2},"data":[]}`,
		`{"unknown":[1,2,],"data":[]}`,
		`{"unknown":"a` + "\x01" + `b","data":[]}`,
		`{"unknown":"\x","data":[]}`,
		`{"unknown":"\u12G4","data":[]}`,
		`{"unknown":tru,"data":[]}`, `{"unknown":nul}`, `{"unknown":falsy}`,
		`{"unknown":-,"data":[]}`, `{"unknown":1.,"data":[]}`, `{"unknown":1e,"data":[]}`, `{"unknown":1e+}`,
		`{"unknown":01}`, `{"unknown" 1}`, `{"unknown":1,}`, `{,}`, `{"a":1]`, `[1}`, `{"data":[1 2]}`,
		`{"meta":{"count":1,"zz":{]}}`, `{"data":[{"id":1}],"x":` + strings.Repeat("[", 10001) + `]}`,
		`{"x":` + strings.Repeat(`{"a":`, 10001) + `1}`,
		`{"data":[{"id":1}],"unknown":[1,2`, `{"unknown":"abc`, `{"unknown":{"a":`, `{"num":"1`,
		`{"data":[{"id":1}]} trailing`, `{"data":[{"id":1}]}]`, `   `, ``,
		// A method's error (the time), then the body ends inside the value:
		// the end comes first.
		`{"meta":{"when":""}`, `{"meta":{"when":"x"},"data":[{"id":1}]`, `{"data":[{"id":1}],"meta":{"when":"x"},"extra":[`,
		// Nullable and Opt decode as what they hold.
		`{"maybe":{"count":1,"zz":[1,{"a":2}],"attrs":{"a":"b"}},"opt":[{"id":1,"zz":2}, {"tags":{"x":1}}]}`,
		`{"maybe":null,"opt":null}`, `{"maybe":[1,2],"opt":{"a":[1]}}`, `{"maybe":{"when":"x"},"opt":"y"}`, `{"maybe":{"count":"x"}}`,
		"{\"unknown\":\xff,\"data\":[]}", "{\"unknown\":\"\xff\xfe\",\"data\":[]}", "{\"na\xffme\":1}",
	} {
		sameAsDecoder[fPage](t, body)
		sameAsDecoder[*fPage](t, body)
		sameAsDecoder[any](t, body)
		sameAsDecoder[map[string]json.RawMessage](t, body)
	}
	for _, body := range []string{`{"x":1,"X":2}`, `{"X":2}`, `{"x":{"a":1}}`} {
		sameAsDecoder[fTwins](t, body)
	}
	for _, body := range []string{`{"id":1,"name":"n","more":2,"zz":3}`, `{"id":"x"}`} {
		sameAsDecoder[fEmbed](t, body)
	}
	for _, body := range []string{`[` + big + `,` + big + `]`, `[[{"id":1,"q":[1]}],{"id":2}]`} {
		sameAsDecoder[[][]fItem](t, body)
	}
	for _, body := range []string{`[{"when":""}`, `[{"when":"x"},{"count":1}`, `[{"when":"x"}] `, `[{"when":"x"},{"count":"y"}]`} {
		sameAsDecoder[[]fMeta](t, body)
	}
	sameAsDecoder[[]any](t, `[1,"a",{"b":[true]},null]`)
	sameAsDecoder[string](t, `"`+strings.Repeat("s", 40000)+`"`)
	sameAsDecoder[float64](t, `-12.5e-3`)
	sameAsDecoder[bool](t, `true`)
	sameAsDecoder[json.RawMessage](t, `{ "a" : [ 1 , 2 ] }`)
}

// The filter hands json.Decoder what the result keeps: a body padded
// with whitespace, with members no field takes, or with arrays where the
// type takes a string, costs next to nothing to decode, however large;
// before, json.Decoder held all of it (in a buffer grown by doubling).
// Measured as bytes allocated, which the padding would multiply.
func TestDecodeHoldsOnlyWhatTheResultKeeps(t *testing.T) {
	const pad = 32 << 20
	type product struct {
		ID   string   `json:"id"`
		Tags []string `json:"tags"`
	}
	repeat := func(s string, n int) io.Reader {
		return io.LimitReader(&repeater{s: s}, int64(n))
	}
	cases := []struct {
		name string
		body io.Reader
		want product
	}{
		{"whitespace after a member", io.MultiReader(strings.NewReader(`{"id":"a"`), repeat(" ", pad), strings.NewReader(`}`)), product{ID: "a"}},
		{"whitespace inside a list", io.MultiReader(strings.NewReader(`{"tags":["x",`), repeat("\n\t ", pad), strings.NewReader(`"y"],"id":"b"}`)), product{ID: "b", Tags: []string{"x", "y"}}},
		{"a member no field takes", io.MultiReader(strings.NewReader(`{"id":"c","pad":[`), repeat(`{"k":"vvvvvvv"},`, pad), strings.NewReader(`0]}`)), product{ID: "c"}},
		{"a long string no field takes", io.MultiReader(strings.NewReader(`{"pad":"`), repeat("x", pad), strings.NewReader(`","id":"d"}`)), product{ID: "d"}},
		{"an array where a string goes", io.MultiReader(strings.NewReader(`{"tags":["t"],"id":[`), repeat(`1,`, pad), strings.NewReader(`1]}`)), product{Tags: []string{"t"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			got, err := decodeJSON[product](jsonResponse(tc.body))
			runtime.ReadMemStats(&after)
			allocated := after.TotalAlloc - before.TotalAlloc
			if tc.name == "an array where a string goes" {
				var ute *json.UnmarshalTypeError
				if !errors.As(err, &ute) {
					t.Fatalf("got %v, want a type error", err)
				}
			} else if err != nil || !reflect.DeepEqual(*got, tc.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
			t.Logf("%d MiB of body, %.2f MiB allocated", pad>>20, float64(allocated)/(1<<20))
			if allocated > 4<<20 {
				t.Errorf("decoding allocated %.1f MiB for a body of %d MiB whose result holds a few bytes", float64(allocated)/(1<<20), pad>>20)
			}
		})
	}
}

// repeater repeats s for ever.
type repeater struct {
	s   string
	off int
}

func (r *repeater) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.s[r.off:])
		n += c
		r.off = (r.off + c) % len(r.s)
	}
	return n, nil
}

// FuzzDecodeFilter: whatever the body, the streamed path decodes what
// json.Decoder decodes, or fails with the error text it fails with.
func FuzzDecodeFilter(f *testing.F) {
	for _, s := range []string{
		`{"data":[{"id":1,"name":"a","tags":["x"]}],"meta":{"count":1,"attrs":{"a":"b"}},"zz":[1,{"a":"b"}]}`,
		`{"DATA":[{"Id":"x"}],"raw":{ "a" : 1 },"extra":[1,"2",null],"num":"3","ByKey":{"k":{"id":2}}}`,
		`{"unknown":"\u00e9\ud83d\ude00","arr":[1,2],"Number":1e3,"upper":[1]}`,
		`{"a":tru}`, `[1,2`, `{"x":"\u12"}`, `{"num":[[[]]]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > 4096 {
			return
		}
		b := string(body)
		sameAsDecoder[fPage](t, b)
		sameAsDecoder[any](t, b)
		sameAsDecoder[[]fItem](t, b)
	})
}

// The filter's output for a body: what json.Decoder is handed.
func TestFilterOutput(t *testing.T) {
	type small struct {
		A int            `json:"a"`
		S []string       `json:"s"`
		M map[string]int `json:"m"`
		N nullable.Nullable[struct {
			A int `json:"a"`
		}] `json:"n"`
		O Opt[struct {
			S []string `json:"s"`
		}] `json:"o"`
	}
	for body, want := range map[string]string{
		` { "a" : 1 , "zz" : [ 1 , 2 ] , "s" : [ "x" , "y" ] } rest`: `{"a":1,"s":["x","y"]}`,
		`{"zz":1,"a":2}`:                                          `{"a":2}`,
		`{"a":[1,2,{"b":3}],"s":{"c":[4]}}`:                       `{"a":[],"s":{}}`,
		`{"m":{ "k" : { "x" : 1 } }}`:                             `{"m":{"k":{}}}`,
		`{"A":1,"\u0061":2}`:                                      `{"A":1,"\u0061":2}`,
		`{"n":{"a":1,"zz":[1]},"o":{ "s" : [ "x" ] , "zz" : 1 }}`: `{"n":{"a":1},"o":{"s":["x"]}}`,
		`{"n":null,"o":null}`:                                     `{"n":null,"o":null}`,
	} {
		f := newJSONFilter(strings.NewReader(body), reflect.TypeFor[small]())
		got, err := io.ReadAll(f)
		if err != nil || string(got) != want {
			t.Errorf("%s: got %s, %v; want %s", body, got, err, want)
		}
	}
	f := newJSONFilter(strings.NewReader(`{"x":{ "y" : [ 1 ] }}`), reflect.TypeFor[map[string]json.RawMessage]())
	if got, _ := io.ReadAll(f); !bytes.Equal(got, []byte(`{"x":{ "y" : [ 1 ] }}`)) {
		t.Errorf("raw values lost their bytes: %s", got)
	}
}

// A body that ends before its Content-Length is a failed read, also when
// the JSON value in it is whole (the server died after writing it, or a
// proxy cut the connection): a *DecodeError wrapping io.ErrUnexpectedEOF,
// as curl and browsers report such bodies, never a success. Small bodies
// and large ones (past the buffer, decoded as a stream) alike.
func TestBodyShorterThanContentLength(t *testing.T) {
	for name, body := range map[string]string{
		"small": `{"id":"a"}`,
		"large": `{"id":"a","tags":[` + strings.TrimSuffix(strings.Repeat(`"t",`, 20000), ",") + `]}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				conn, buf, err := w.(http.Hijacker).Hijack()
				if err != nil {
					t.Error(err)
					return
				}
				defer conn.Close()
				fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body)+100, body)
				buf.Flush()
			}))
			defer srv.Close()
			c := newTestClient(t, srv.URL, WithoutRetries())
			resp, err := c.do(context.Background(), testOp, get("/thing"))
			if err != nil {
				t.Fatal(err)
			}
			type product struct {
				ID   string   `json:"id"`
				Tags []string `json:"tags"`
			}
			got, err := decodeJSON[product](resp)
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("got a result (%v), error %v; want a DecodeError wrapping io.ErrUnexpectedEOF", got != nil, err)
			}
		})
	}
}
