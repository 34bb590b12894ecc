package cache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"net/http"
	"time"
)

// entry is a stored response: its status, headers (without hop-by-hop
// fields and cookies), body, and when it was requested and received, for
// the age calculation of RFC 9111 section 4.2.3.
type entry struct {
	requestTime  time.Time
	responseTime time.Time
	status       int
	statusText   string // "200 OK"
	header       http.Header
	body         []byte
}

// Stored values start with a magic string and a version, then a CRC-32C
// of the rest: a value that was cut short or altered is a
// [*CorruptEntryError], never a panic and never a wrong response.
const (
	entryMagic = "sdkE"
	varyMagic  = "sdkV"
	version    = 1
	headerLen  = len(entryMagic) + 1 + 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CorruptEntryError reports a stored value that could not be decoded. The
// cache drops the value, answers as if it had none, and reports this error
// to the WithOnError hook.
type CorruptEntryError struct {
	Key    string
	Reason string
}

func (e *CorruptEntryError) Error() string {
	return fmt.Sprintf("cache: corrupt entry %s: %s", e.Key, e.Reason)
}

func seal(magic string, payload []byte) []byte {
	out := make([]byte, 0, headerLen+len(payload))
	out = append(out, magic...)
	out = append(out, version)
	out = binary.BigEndian.AppendUint32(out, crc32.Checksum(payload, castagnoli))
	return append(out, payload...)
}

func unseal(magic string, value []byte) ([]byte, error) {
	if len(value) < headerLen {
		return nil, errors.New("shorter than its header")
	}
	if string(value[:len(magic)]) != magic {
		return nil, errors.New("unknown format")
	}
	if v := value[len(magic)]; v != version {
		return nil, fmt.Errorf("unknown version %d", v)
	}
	payload := value[headerLen:]
	if crc32.Checksum(payload, castagnoli) != binary.BigEndian.Uint32(value[len(magic)+1:]) {
		return nil, errors.New("checksum mismatch")
	}
	return payload, nil
}

func (e *entry) encode() []byte {
	var b []byte
	b = binary.AppendVarint(b, e.requestTime.UnixNano())
	b = binary.AppendVarint(b, e.responseTime.UnixNano())
	b = binary.AppendUvarint(b, uint64(e.status))
	b = appendString(b, e.statusText)
	b = binary.AppendUvarint(b, uint64(len(e.header)))
	for name, values := range e.header {
		b = appendString(b, name)
		b = binary.AppendUvarint(b, uint64(len(values)))
		for _, v := range values {
			b = appendString(b, v)
		}
	}
	b = appendString(b, string(e.body))
	return seal(entryMagic, b)
}

func decodeEntry(key string, value []byte) (*entry, error) {
	payload, err := unseal(entryMagic, value)
	if err != nil {
		return nil, &CorruptEntryError{Key: key, Reason: err.Error()}
	}
	d := decoder{b: payload}
	e := &entry{
		requestTime:  time.Unix(0, d.varint()),
		responseTime: time.Unix(0, d.varint()),
		status:       int(d.uvarint()),
		statusText:   d.string(),
	}
	n := d.count()
	e.header = make(http.Header, n)
	for range n {
		name := d.string()
		vn := d.count()
		values := make([]string, 0, vn)
		for range vn {
			values = append(values, d.string())
		}
		e.header[name] = values
	}
	e.body = d.bytes()
	if d.err == nil && len(d.b) != 0 {
		d.err = errors.New("trailing bytes")
	}
	if d.err == nil && (e.status < 100 || e.status > 999) {
		d.err = fmt.Errorf("status %d", e.status)
	}
	if d.err != nil {
		return nil, &CorruptEntryError{Key: key, Reason: d.err.Error()}
	}
	return e, nil
}

// The vary record of a primary key lists the request headers its stored
// responses vary on (the Vary of the latest one).
func encodeVary(names []string) []byte {
	b := binary.AppendUvarint(nil, uint64(len(names)))
	for _, n := range names {
		b = appendString(b, n)
	}
	return seal(varyMagic, b)
}

func decodeVary(key string, value []byte) ([]string, error) {
	payload, err := unseal(varyMagic, value)
	if err != nil {
		return nil, &CorruptEntryError{Key: key, Reason: err.Error()}
	}
	d := decoder{b: payload}
	n := d.count()
	names := make([]string, 0, n)
	for range n {
		names = append(names, d.string())
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = errors.New("trailing bytes")
	}
	if d.err != nil {
		return nil, &CorruptEntryError{Key: key, Reason: d.err.Error()}
	}
	return names, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decoder reads what encode wrote, checking every length against what is
// left; after the first error every read returns zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = errors.New("truncated " + what)
	}
	d.b = nil
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a number of items, each of which takes at least one byte.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("list")
		return 0
	}
	return int(n)
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail("string")
		return nil
	}
	s := d.b[:n:n]
	d.b = d.b[n:]
	return s
}

func (d *decoder) string() string { return string(d.bytes()) }
