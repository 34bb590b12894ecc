package generator

import (
	"slices"
	"strings"
	"testing"

	"github.com/sdkgen-go/sdkgen/internal/gentest"
)

const streamSpec = `openapi: 3.0.3
info: {title: S, version: "1"}
servers: [{url: "https://s.example.com"}]
paths:
  /both:
    get:
      operationId: getBoth
      responses:
        "200":
          description: JSON or events; JSON wins
          content:
            application/json: {schema: {$ref: "#/components/schemas/Thing"}}
            text/event-stream: {schema: {$ref: "#/components/schemas/Thing"}}
  /union:
    get:
      operationId: watchUnion
      responses:
        "200":
          description: a union needs types of its own
          content:
            text/event-stream:
              schema:
                oneOf: [{$ref: "#/components/schemas/Thing"}, {$ref: "#/components/schemas/Other"}]
  /shapes:
    get:
      operationId: getShapes
      responses:
        "200":
          description: events
          content:
            text/event-stream: {schema: {$ref: "#/components/schemas/Thing"}}
        "202":
          description: a thing
          content:
            application/json: {schema: {$ref: "#/components/schemas/Thing"}}
  /notstream:
    get:
      operationId: getThing
      x-sdkgen-stream: {terminal: done}
      responses:
        "200":
          description: a thing
          content:
            application/json: {schema: {$ref: "#/components/schemas/Thing"}}
  /counts:
    get:
      operationId: watchCounts
      x-sdkgen-stream: done
      responses:
        "200":
          description: numbers
          content:
            text/event-stream; charset=utf-8: {schema: {type: integer}}
  /both-ends:
    post:
      operationId: watchBothEnds
      responses:
        "200":
          description: events
          content:
            text/event-stream: {schema: {$ref: "#/components/schemas/Thing"}}
components:
  schemas:
    Thing: {type: object, properties: {id: {type: string}}}
    Other: {type: object, properties: {n: {type: integer}}}
`

// The edges of event-stream operations: JSON beside an event stream wins;
// a schema that needs types of its own degrades to json.RawMessage with a
// warning; an event stream beside another shape is a plain body; stream
// settings on an operation that does not stream, or malformed, are
// warnings; a stream with no terminal event is reported; both ends render.
// The output compiles and vets.
func TestEventStreamOperations(t *testing.T) {
	spec := writeSpec(t, streamSpec)
	files, diags := generate(t, spec, Config{Package: "s", Operations: map[string]OperationConfig{
		"watchBothEnds": {Stream: &StreamConfig{Terminal: "done", TerminalData: "[DONE]"}},
	}})
	if diags.HasErrors() {
		t.Fatal(diagText(diags))
	}
	src := ""
	for _, f := range files {
		if strings.HasPrefix(f.Name, "service_") {
			src += string(f.Content)
		}
	}
	for _, want := range []string{
		"GetBoth(ctx context.Context, opts ...sdk.Option) (*Thing, error)",
		"WatchUnion(ctx context.Context, opts ...sdk.Option) iter.Seq2[sdk.Event[json.RawMessage], error]",
		"sdkimpl.JSONEvents[json.RawMessage](ctx, s.client, opWatchUnion",
		"GetShapes(ctx context.Context, opts ...sdk.Option) (*GetShapesResponse, error)",
		"out.Body200 = sdkimpl.Stream(resp)",
		"WatchCounts(ctx context.Context, opts ...sdk.Option) iter.Seq2[sdk.Event[int], error]",
		`Stream: &sdk.EventStream{Terminal: "done", TerminalData: "[DONE]"}`,
	} {
		if !strings.Contains(src, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if doc := strings.ReplaceAll(src, "\n// ", " "); !strings.Contains(doc, `It ends cleanly at an event of type "done", or whose data is "[DONE]" (from sdkgen.yaml)`) {
		t.Errorf("the doc does not say how the stream ends")
	}
	if strings.Count(src, "Stream: &sdk.EventStream") != 1 {
		t.Errorf("a stream setting was applied where it does not belong")
	}
	var got []string
	for _, d := range diags {
		if d.Code == CodeStream {
			op, _, _ := strings.Cut(d.Message, " ")
			got = append(got, strings.TrimSuffix(op, ":")+":"+d.Severity.String())
		}
	}
	slices.Sort(got)
	// getThing: a setting on an operation that does not stream;
	// watchCounts: a malformed x-sdkgen-stream; watchUnion: degraded, and
	// no terminal event.
	if want := []string{"getThing:warning", "watchCounts:warning", "watchUnion:info", "watchUnion:warning"}; !slices.Equal(got, want) {
		t.Errorf("diagnostics %q, want %q\n%s", got, want, diagText(diags))
	}

	mod := gentest.NewModule(t)
	pkg := map[string][]byte{}
	for _, f := range files {
		if strings.HasSuffix(f.Name, ".go") {
			pkg[f.Name] = f.Content
		}
	}
	mod.Add("s", pkg)
	mod.BuildAndVet()
}

// The stream block of sdkgen.yaml is validated like the rest of the file.
func TestStreamConfig(t *testing.T) {
	cfg, diags := ParseConfig("sdkgen.yaml", []byte("package: p\noperations:\n  chat:\n    stream: {terminal-data: \"[DONE]\"}\n"))
	if diags.HasErrors() || cfg.Operations["chat"].Stream == nil || cfg.Operations["chat"].Stream.TerminalData != "[DONE]" {
		t.Fatalf("%+v\n%s", cfg, diagText(diags))
	}
	for _, tc := range []struct{ in, code, fix string }{
		{"package: p\noperations:\n  chat:\n    stream: {termnal: done}\n", CodeConfigUnknownKey, `did you mean "terminal"?`},
		{"package: p\noperations:\n  chat:\n    stream: {}\n", CodeConfigInvalid, ""},
		{"package: p\noperations:\n  chat:\n    stream: {terminal: 3}\n", CodeConfigInvalid, ""},
	} {
		_, diags := ParseConfig("sdkgen.yaml", []byte(tc.in))
		if len(diags) != 1 || diags[0].Code != tc.code || diags[0].Fix != tc.fix || diags[0].Pos.Line != 4 {
			t.Errorf("%q:\n%s", tc.in, diagText(diags))
		}
	}
}
