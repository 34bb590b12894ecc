package sdk

import (
	"errors"
	"io"
	"math"
	"math/big"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"
)

type parsed struct {
	ID, Type, Data string
	HasData        bool
}

// parseAll runs the parser over one connection's body and returns the
// events dispatched (and typed blocks without data), the error that ended
// it, and the parser for its lasting state.
func parseAll(t *testing.T, body io.Reader, max int) ([]parsed, *eventParser, error) {
	t.Helper()
	p := &eventParser{max: max}
	p.reset(body)
	var out []parsed
	for {
		ev, err := p.next()
		if err != nil {
			return out, p, err
		}
		out = append(out, parsed{ev.ID, ev.Type, string(ev.Data), ev.HasData})
	}
}

// The event-stream format as the WHATWG standard (§9.2.6) describes it,
// its own examples first.
func TestEventStreamFormat(t *testing.T) {
	msg := func(id, data string) parsed { return parsed{id, "message", data, true} }
	for _, tc := range []struct {
		name  string
		in    string
		want  []parsed
		id    string // last event id after the stream
		retry time.Duration
	}{
		{"multi-line data", "data: YHOO\ndata: +2\ndata: 10\n\n",
			[]parsed{msg("", "YHOO\n+2\n10")}, "", 0},
		{"comments and ids", ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n",
			[]parsed{msg("1", "first event"), msg("", "second event")}, "", 0},
		{"empty data and an unfinished event", "data\n\ndata\ndata\n\ndata:",
			[]parsed{msg("", ""), msg("", "\n")}, "", 0},
		{"one space stripped", "data:test\n\ndata: test\n\ndata:  test\n\n",
			[]parsed{msg("", "test"), msg("", "test"), msg("", " test")}, "", 0},
		{"event types", "event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\n",
			[]parsed{{"", "add", "73857293", true}, {"", "remove", "2153", true}, {"", "add", "113411", true}}, "", 0},
		{"CRLF line ends", "id: 7\r\ndata: a\r\ndata: b\r\n\r\n", []parsed{msg("7", "a\nb")}, "7", 0},
		{"CR line ends", "id: 7\rdata: a\rdata: b\r\r", []parsed{msg("7", "a\nb")}, "7", 0},
		{"mixed line ends", "data: a\r\ndata: b\rdata: c\n\r\n", []parsed{msg("", "a\nb\nc")}, "", 0},
		{"BOM", "\xEF\xBB\xBFdata: x\n\n", []parsed{msg("", "x")}, "", 0},
		{"only the first BOM", "\xEF\xBB\xBFdata: x\n\n\xEF\xBB\xBFdata: y\n\n", []parsed{msg("", "x")}, "", 0},
		{"id persists", "id: 1\ndata: a\n\ndata: b\n\n", []parsed{msg("1", "a"), msg("1", "b")}, "1", 0},
		{"id alone", "id: 9\n\n", nil, "9", 0},
		{"id with NUL ignored", "id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n", []parsed{msg("1", "a"), msg("1", "b")}, "1", 0},
		{"empty id resets", "id: 1\ndata: a\n\nid:\ndata: b\n\n", []parsed{msg("1", "a"), msg("", "b")}, "", 0},
		{"retry", "retry: 1500\n\n", nil, "", 1500 * time.Millisecond},
		{"retry digits only", "retry: 1500\nretry: 1.5\nretry: -3\nretry:  20\nretry: 2e3\nretry:\n\n", nil, "", 1500 * time.Millisecond},
		{"retry overflow", "retry: 99999999999999999999999\n\n", nil, "", time.Duration(1<<63-1) / time.Millisecond * time.Millisecond},
		{"unknown fields and no colon", "foo: bar\nevent\ndata\n\n", []parsed{msg("", "")}, "", 0},
		{"type without data", "event: done\n\n", []parsed{{"", "done", "", false}}, "", 0},
		{"invalid UTF-8 replaced in fields", "id: \xff1\ndata: \xfe\n\n", []parsed{msg("\uFFFD1", "\xfe")}, "\uFFFD1", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Whole, and one byte at a time (a CR at the end of a read
			// must not wait for the next byte, nor lose a LF after it).
			for _, r := range []io.Reader{strings.NewReader(tc.in), iotest.OneByteReader(strings.NewReader(tc.in))} {
				got, p, err := parseAll(t, r, 1<<10)
				if !errors.Is(err, io.EOF) {
					t.Fatalf("ended with %v", err)
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("events %#v, want %#v", got, tc.want)
				}
				if p.lastID != tc.id || p.retry != tc.retry {
					t.Errorf("last id %q, retry %v; want %q, %v", p.lastID, p.retry, tc.id, tc.retry)
				}
			}
		})
	}
}

// A CR that ends a read is a line end at once: the event it completes is
// dispatched without waiting for more bytes.
func TestEventDispatchedAtCRWithoutWaiting(t *testing.T) {
	pr, pw := io.Pipe()
	defer pr.Close()
	go func() {
		_, _ = io.WriteString(pw, "data: x\r\r")
		// Then nothing until the reader is closed.
	}()
	p := &eventParser{max: 1 << 10}
	p.reset(pr)
	ev, err := p.next()
	if err != nil || string(ev.Data) != "x" {
		t.Fatalf("%q, %v", ev.Data, err)
	}
}

// Lines and event data past the size limit are typed errors that say
// which field and event, never a silent cut.
func TestEventSizeLimit(t *testing.T) {
	long := strings.Repeat("x", 200)
	for _, tc := range []struct {
		name, in, field string
	}{
		{"long line", "id: 5\ndata: ok\n\ndata: " + long + "\n\n", "data"},
		{"long line without end", "id: 5\ndata: ok\n\nevent: " + long, "event"},
		{"long event", "id: 5\ndata: ok\n\n" + strings.Repeat("data: "+long[:50]+"\n", 5) + "\n", "data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := parseAll(t, iotest.HalfReader(strings.NewReader(tc.in)), 100)
			if len(got) != 1 || got[0].Data != "ok" {
				t.Errorf("events before the long one: %+v", got)
			}
			var fe *EventFormatError
			if !errors.As(err, &fe) || !errors.Is(err, ErrEventTooLarge) {
				t.Fatalf("error %v, want an EventFormatError of ErrEventTooLarge", err)
			}
			if fe.Field != tc.field || fe.EventID != "5" || len(fe.Data) == 0 {
				t.Errorf("field %q, id %q, data %q", fe.Field, fe.EventID, fe.Data)
			}
		})
	}
}

// FuzzEventParser: the parser reads any stream exactly as a plain
// reading of the WHATWG rules does (refEvents below, which sees the whole
// stream at once), however the stream is cut into reads: the same events,
// the same last event id and retry, and ErrEventTooLarge at the same
// place. Events never exceed the limit.
func FuzzEventParser(f *testing.F) {
	for _, s := range []string{
		"data: a\n\n", "id: 1\r\ndata: b\r\rretry: 10\n", "\xEF\xBB\xBF:c\nevent: e\ndata\n\n", "data: \x00\xff\r\n\r\n",
		": keep-alive\n\nevent: message_start\ndata: {\"type\":\"message_start\"}\n\nevent: content_block_delta\ndata: {\"delta\":{\"text\":\"Hi\"}}\n\n",
		"data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\ndata: [DONE]\n\n",
		"id: 7\rdata: a\rdata: b\r\r", "data: " + strings.Repeat("y", 70) + "\n\n", "event: " + strings.Repeat("z", 70),
		"retry: 99999999999999999999\nid: x\x00y\n\n", "\xEF\xBB\xBF\xEF\xBB\xBFdata: 2nd BOM\n\n",
	} {
		f.Add(s, []byte{1, 2, 3}, uint8(63))
	}
	f.Fuzz(func(t *testing.T, in string, cuts []byte, m uint8) {
		max := 1 + int(m)%128
		want, wantID, wantRetry, wantErr := refEvents(in, max)
		p := &eventParser{max: max}
		p.reset(&cutReader{s: in, cuts: cuts})
		var got []parsed
		var err error
		for {
			var ev rawEvent
			ev, err = p.next()
			if err != nil {
				break
			}
			if len(ev.Data) > max || !utf8.ValidString(ev.Type) || !utf8.ValidString(ev.ID) || strings.ContainsAny(ev.Type+ev.ID, "\r\n") || strings.Contains(ev.ID, "\x00") {
				t.Fatalf("event %+v", ev)
			}
			got = append(got, parsed{ev.ID, ev.Type, string(ev.Data), ev.HasData})
		}
		if !slices.Equal(got, want) {
			t.Fatalf("events (max %d, cuts %v)\n got %+v\nwant %+v", max, cuts, got, want)
		}
		if errors.Is(err, ErrEventTooLarge) != wantErr || (!wantErr && !errors.Is(err, io.EOF)) {
			t.Fatalf("ended with %v; too large: %v", err, wantErr)
		}
		if !wantErr && (p.lastID != wantID || p.retry != wantRetry) {
			t.Fatalf("last id %q retry %v, want %q %v", p.lastID, p.retry, wantID, wantRetry)
		}
	})
}

// cutReader returns s in reads of the sizes cuts gives, in turn (a zero
// means one byte).
type cutReader struct {
	s    string
	cuts []byte
	i    int
}

func (r *cutReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	n := len(r.s)
	if len(r.cuts) > 0 {
		n = max(1, int(r.cuts[r.i%len(r.cuts)]))
		r.i++
	}
	n = copy(p, r.s[:min(n, len(r.s))])
	r.s = r.s[n:]
	return n, nil
}

// refEvents reads a whole stream by the WHATWG rules, as plainly as they
// are written, with the parser's size limit: lines (and a last line
// without an end) longer than max, or event data past max, end the stream.
func refEvents(in string, max int) (events []parsed, lastID string, retry time.Duration, tooLarge bool) {
	var data strings.Builder
	hasData, evType, first := false, "", true
	for {
		end := strings.IndexAny(in, "\r\n")
		if end < 0 {
			return events, lastID, retry, len(in) > max
		}
		line := in[:end]
		if len(line) > max {
			return events, lastID, retry, true
		}
		crlf := in[end] == '\r' && end+1 < len(in) && in[end+1] == '\n'
		in = in[end+1:]
		if crlf {
			in = in[1:]
		}
		if first {
			line, first = strings.TrimPrefix(line, "\xEF\xBB\xBF"), false
		}
		name, value, colon := strings.Cut(line, ":")
		switch {
		case line == "":
			if hasData || evType != "" {
				typ := evType
				if typ == "" {
					typ = "message"
				}
				events = append(events, parsed{lastID, typ, strings.TrimSuffix(data.String(), "\n"), hasData})
			}
			data.Reset()
			hasData, evType = false, ""
			continue
		case name == "":
			continue // a comment
		}
		if colon {
			value = strings.TrimPrefix(value, " ")
		}
		switch name {
		case "event":
			evType = strings.ToValidUTF8(value, "\uFFFD")
		case "data":
			if data.Len()+len(value)+1 > max {
				return events, lastID, retry, true
			}
			data.WriteString(value + "\n")
			hasData = true
		case "id":
			if !strings.Contains(value, "\x00") {
				lastID = strings.ToValidUTF8(value, "\uFFFD")
			}
		case "retry":
			if n, ok := new(big.Int).SetString(value, 10); ok && value[0] != '+' && value[0] != '-' {
				// Milliseconds, saturating.
				if most := big.NewInt(math.MaxInt64 / int64(time.Millisecond)); n.Cmp(most) > 0 {
					n = most
				}
				retry = time.Duration(n.Int64()) * time.Millisecond
			}
		}
	}
}
