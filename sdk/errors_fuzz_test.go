package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sdkgen-go/sdkgen/sdk/internal/safetext"
)

var problemSeeds = []string{
	`{"type":"https://example.com/probs/out-of-credit","title":"You do not have enough credit.","detail":"Your current balance is 30, but that costs 50.","instance":"/account/12345/msgs/abc","balance":30,"accounts":["/account/12345","/account/67890"]}`,
	`{"title":"Not Found","status":404}`,
	`{"status":"404","title":["x"],"detail":null,"type":7}`,
	`{"status":404.0}`,
	`{"status":1e99}`,
	`{"TITLE":"upper","Title":"mixed","title":"lower"}`,
	`{"title":"a","title":"b"}`,
	`{"x":"<&>","y":{"z":[1,2,{"w":null}]}}`,
	`{"detail":"line\nbreak\u2028and \u202ebidi\u0007bell"}`,
	"{\"detail\":\"bad \xff utf8\",\"k\xfe\":1}",
	`null`, `[]`, `"text"`, `{}`, `{`,
}

// FuzzProblem: any JSON object decodes as a problem (RFC 9457 section 3.1:
// a member of the wrong type is ignored, not fatal), unknown members land
// in Extensions and only there, and a Problem survives a JSON round trip.
func FuzzProblem(f *testing.F) {
	for _, s := range problemSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Problem
		err := json.Unmarshal(data, &p)
		var members map[string]json.RawMessage
		isObject := json.Unmarshal(data, &members) == nil && bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{"))
		if isObject && err != nil {
			t.Fatalf("a JSON object was refused: %v", err)
		}
		if err != nil {
			return
		}
		for _, k := range []string{"type", "title", "status", "detail", "instance"} {
			if _, ok := p.Extensions[k]; ok {
				t.Fatalf("standard member %q in Extensions", k)
			}
		}
		// Each standard string member is the member of that exact name
		// when it is a string.
		for k, got := range map[string]string{"type": p.Type, "title": p.Title, "detail": p.Detail, "instance": p.Instance} {
			var want string
			if raw, ok := members[k]; !ok || json.Unmarshal(raw, &want) != nil {
				want = ""
			}
			if got != want {
				t.Fatalf("%s = %q, want %q", k, got, want)
			}
		}
		for k, raw := range members {
			if _, std := map[string]bool{"type": true, "title": true, "status": true, "detail": true, "instance": true}[k]; std {
				continue
			}
			if !jsonEqual(t, p.Extensions[k], raw) {
				t.Fatalf("extension %q = %s, want %s", k, p.Extensions[k], raw)
			}
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var back Problem
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("unmarshal of %s: %v", out, err)
		}
		if back.Type != p.Type || back.Title != p.Title || back.Status != p.Status || back.Detail != p.Detail || back.Instance != p.Instance ||
			len(back.Extensions) != len(p.Extensions) {
			t.Fatalf("round trip\n got %+v\nwant %+v\n via %s", back, p, out)
		}
		for k, v := range p.Extensions {
			if !jsonEqual(t, back.Extensions[k], v) {
				t.Fatalf("extension %q: %s after the round trip, was %s", k, back.Extensions[k], v)
			}
		}
	})
}

// jsonEqual compares two JSON values by meaning.
func jsonEqual(t *testing.T, a, b json.RawMessage) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

// fuzzModel is a declared error body, as generated code declares them.
type fuzzModel struct {
	Body struct {
		Message string `json:"message"`
		Code    int    `json:"code"`
	}
}

func (e *fuzzModel) Error() string {
	return fmt.Sprintf("FuzzModel: %s (%d)", e.Body.Message, e.Body.Code)
}

// FuzzAPIError: the error of any response is built without panicking,
// keeps at most the configured bytes of the body and says whether it cut
// it, decodes problem+json when the body is a whole JSON object, and its
// message is one bounded line of valid UTF-8 without control or
// bidirectional formatting characters, whatever the server sent.
func FuzzAPIError(f *testing.F) {
	const maxBody = 256
	c, err := NewClient("https://api.example.test/v1", WithMaxErrorBody(maxBody))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = c.Close() })
	op := &Operation{ID: "getThing", Errors: map[string]func([]byte) (error, error){
		"4XX": declared(func() (any, error) { e := new(fuzzModel); return &e.Body, e }),
	}}
	for _, s := range problemSeeds {
		f.Add(uint16(404), "application/problem+json", s, "req-1", "")
	}
	f.Add(uint16(400), "application/json; charset=utf-8", `{"message":"bad \u202e input","code":7}`, "", "400 Bad\r\nInjected: yes")
	f.Add(uint16(400), "application/json", `{"message":"`+strings.Repeat("x", 300)+`"}`, "", "")
	f.Add(uint16(500), "text/html", "<html>\x00\x1b[2J</html>", "id\nX-Evil: 1", "500 \u2028Oops")
	f.Add(uint16(418), "APPLICATION/PROBLEM+JSON ; q=1", `{"title":"teapot"}`, "", "")
	f.Add(uint16(999), "", "", "", "")
	f.Add(uint16(0), "application/problem+json;", "{}", "", "")
	f.Fuzz(func(t *testing.T, status uint16, ct, body, reqID, statusLine string) {
		req, _ := http.NewRequest(http.MethodGet, "https://user:pw@api.example.test/v1/things/1?api_key=SECRET#frag", nil)
		h := http.Header{}
		if ct != "" {
			h.Set("Content-Type", ct)
		}
		if reqID != "" {
			h.Set("X-Request-Id", reqID)
		}
		resp := &http.Response{StatusCode: int(status), Status: statusLine, Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: req}
		e := c.apiError(&callState{op: op, s: &c.settings, client: c}, req, resp)

		if len(e.Body) > maxBody || !strings.HasPrefix(body, string(e.Body)) || e.Truncated != (len(body) > maxBody) {
			t.Fatalf("kept %d of %d bytes, truncated %v", len(e.Body), len(body), e.Truncated)
		}
		if e.Problem != nil && (!isProblem(ct) || e.Truncated) {
			t.Fatalf("problem decoded from %q (truncated %v)", ct, e.Truncated)
		}
		var obj map[string]json.RawMessage
		if isProblem(ct) && !e.Truncated && json.Unmarshal([]byte(body), &obj) == nil && obj != nil && e.Problem == nil {
			t.Fatalf("problem+json object %q not decoded", body)
		}
		if isProblem(ct) && !isJSONish(ct) {
			t.Fatalf("%q is problem+json but not JSON", ct)
		}
		if dec := op.errorDecoder(int(status)); dec != nil {
			if (e.Model == nil) == (e.DecodeErr == nil) {
				t.Fatalf("model %v and decode error %v", e.Model, e.DecodeErr)
			}
		} else if e.Model != nil || e.DecodeErr != nil {
			t.Fatalf("no decoder for %d, yet model %v / %v", status, e.Model, e.DecodeErr)
		}
		var m *fuzzModel
		if errors.As(e, &m) != (e.Model != nil) {
			t.Fatal("errors.As does not reach the model")
		}
		msg := e.Error()
		checkOneLine(t, msg)
		// Operation, method and URL are ours; status, message and request
		// id are cut at 100, 300 and 100 runes, each of which may be
		// escaped in up to 6.
		if n := utf8.RuneCountInString(msg); n > 200+6*(100+300+100)+3 {
			t.Fatalf("%d runes: %q", n, msg)
		}
		if strings.Contains(msg, "SECRET") || strings.Contains(msg, "pw@") || strings.Contains(msg, "frag") {
			t.Fatalf("credentials of the URL in %q", msg)
		}
	})
}

// checkOneLine fails unless s is valid UTF-8 on one line with no control or
// bidirectional formatting character.
func checkOneLine(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("invalid UTF-8: %q", s)
	}
	for _, r := range s {
		if safetext.IsControl(r) || safetext.IsBidi(r) || r == '\u2028' || r == '\u2029' {
			t.Fatalf("%U in %q", r, s)
		}
	}
}

// A problem with a member of the wrong type still decodes (RFC 9457
// section 3.1), and its extensions survive json.Marshal.
func TestProblemLenientAndRoundTrips(t *testing.T) {
	var p Problem
	if err := json.Unmarshal([]byte(`{"status":"404","title":"Gone","detail":7,"Title":"x","balance":30}`), &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != 0 || p.Title != "Gone" || p.Detail != "" || string(p.Extensions["balance"]) != "30" || string(p.Extensions["Title"]) != `"x"` {
		t.Fatalf("%+v", p)
	}
	if err := json.Unmarshal([]byte(`{"status":429.0}`), &p); err != nil || p.Status != 429 || p.Extensions != nil {
		t.Fatalf("%+v, %v", p, err)
	}
	out, err := json.Marshal(Problem{Title: "t", Status: 400, Extensions: map[string]json.RawMessage{"errors": json.RawMessage(`[{"field":"name"}]`), "title": json.RawMessage(`"shadowed"`)}})
	if err != nil || string(out) != `{"errors":[{"field":"name"}],"status":400,"title":"t"}` {
		t.Fatalf("%s, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`[1]`), &p); err == nil {
		t.Fatal("an array decoded as a problem")
	}
}
