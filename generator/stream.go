package generator

import (
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"

	"github.com/sdkgen-go/sdkgen/generator/ir"
	"github.com/sdkgen-go/sdkgen/openapi"
)

// Event streams. An operation whose success response is text/event-stream
// (and offers no JSON) gets a method returning iter.Seq2[sdk.Event[T],
// error], built on sdkimpl.JSONEvents[T] or sdkimpl.TextEvents. T is the Go type
// of the response's schema (the data of each event is JSON), or string for
// a string schema or none. How the stream ends cleanly comes from
// sdkgen.yaml (operations.<id>.stream) or the x-sdkgen-stream extension:
// {terminal: <event type>} and/or {terminal-data: <data value>}.

// CodeStream reports how an event stream is read, or a stream setting that
// could not be used.
const CodeStream = "generate.stream"

// eventType returns the Go type the events of an operation's
// text/event-stream response decode into: string for a string schema or
// none, else the schema's Go type (an anonymous struct for an inline
// object, named later). degraded says why events decode into
// json.RawMessage instead, when they do: an inline schema that would need
// types or methods of its own (unions, additional properties, which
// oapi-codegen declares only for components and JSON bodies; as a plain
// struct their data would be lost), or one oapi-codegen cannot read. A
// $ref to such a component is fine.
func eventType(od *codegen.OperationDefinition, status, contentType, stem string) (typ, degraded string) {
	if od.Spec.Responses == nil {
		return "string", ""
	}
	resp := od.Spec.Responses.Value(status)
	if resp == nil || resp.Value == nil {
		return "string", ""
	}
	mt := resp.Value.Content[contentType]
	if mt == nil || mt.Schema == nil {
		return "string", ""
	}
	if v := mt.Schema.Value; v == nil || v.Type != nil && v.Type.Is("string") {
		return "string", ""
	}
	gs, err := codegen.GenerateGoSchema(mt.Schema, []string{stem + "Event"})
	switch {
	case err != nil:
		return "json.RawMessage", "the event schema cannot be generated: " + err.Error()
	case len(gs.AdditionalTypes) > 0 || len(gs.UnionElements) > 0 || gs.HasAdditionalProperties:
		return "json.RawMessage", "the event schema needs types of its own that an event stream does not get"
	}
	return gs.TypeDecl(), ""
}

// streamEnd reads how op's event stream ends, from sdkgen.yaml or the
// spec, into op.Result.Stream. A stream setting on an operation that does
// not stream is a warning; a stream without a terminal event an info.
func streamEnd(op *ir.Operation, spec *openapi3.Operation, cfg Config) openapi.Diagnostics {
	var sc *StreamConfig
	source := ""
	if oc, ok := cfg.Operations[op.ID]; ok && oc.Stream != nil {
		sc, source = oc.Stream, "sdkgen.yaml"
	} else if raw, ok := spec.Extensions["x-sdkgen-stream"]; ok {
		var v StreamConfig
		if err := remarshal(raw, &v); err != nil || v.Terminal == "" && v.TerminalData == "" {
			return openapi.Diagnostics{{Code: CodeStream, Severity: openapi.SeverityWarning, Pointer: opPointer(op) + "/x-sdkgen-stream",
				Message: fmt.Sprintf("%s: x-sdkgen-stream must be an object with terminal and/or terminal-data strings; ignored", op.ID)}}
		}
		sc, source = &v, "x-sdkgen-stream"
	}
	if op.Result.Kind != ir.ResultEvents {
		if sc == nil {
			return nil
		}
		return openapi.Diagnostics{{Code: CodeStream, Severity: openapi.SeverityWarning, Pointer: opPointer(op),
			Message: fmt.Sprintf("%s: a stream setting (from %s) on an operation whose response is not an event stream (text/event-stream); ignored", op.ID, source)}}
	}
	if sc == nil {
		return openapi.Diagnostics{{Code: CodeStream, Severity: openapi.SeverityInfo, Pointer: opPointer(op),
			Message: fmt.Sprintf("%s streams events with no terminal event declared: a closed connection that cannot be resumed ends it with an error", op.ID),
			Fix:     "declare how it ends: x-sdkgen-stream: {terminal: <event type>} or {terminal-data: <data>}, or stream: under operations in sdkgen.yaml"}}
	}
	op.Result.Stream = &ir.Stream{Terminal: sc.Terminal, TerminalData: sc.TerminalData, Source: source}
	return nil
}

// streamDoc says, for the method's doc, what the stream yields and how it
// ends.
func streamDoc(op *ir.Operation) []string {
	r := &op.Result
	data := "its raw data as a string"
	if r.Type != "string" {
		data = "its data decoded from JSON into a " + r.Type
	}
	text := "It returns the event stream: each range over it opens the stream (the first iteration yields " +
		"the connection's error, if any) and yields every event, with " + data + ". A dropped connection is " +
		"resumed with Last-Event-ID when it can be (see sdkimpl.JSONEvents). "
	st := r.Stream
	switch {
	case st == nil:
		text += "The spec declares no terminal event: the stream ends cleanly only when the server answers " +
			"a reconnection with 204 or the loop stops; a closed connection that cannot be resumed ends it " +
			"with a *sdk.StreamError."
		return wrapWords(text, 76)
	case st.Terminal != "" && st.TerminalData != "":
		text += fmt.Sprintf("It ends cleanly at an event of type %q, or whose data is %q (from %s)", oneLine(st.Terminal), oneLine(st.TerminalData), st.Source)
	case st.Terminal != "":
		text += fmt.Sprintf("It ends cleanly at an event of type %q (from %s)", oneLine(st.Terminal), st.Source)
	default:
		text += fmt.Sprintf("It ends cleanly at an event whose data is %q (from %s)", oneLine(st.TerminalData), st.Source)
	}
	return wrapWords(text+"; ending any other way is a *sdk.StreamError.", 76)
}

// wrapWords breaks text into lines of at most width bytes where it can.
func wrapWords(text string, width int) []string {
	var lines []string
	var cur strings.Builder
	for _, w := range strings.Fields(text) {
		if cur.Len() > 0 && cur.Len()+1+len(w) > width {
			lines = append(lines, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(w)
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}
