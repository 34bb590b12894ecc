package products

import (
	"crypto/rand"
	"time"
)

// NewProductID returns a new product id: "prd_" and a ULID (48 bits of
// milliseconds since the Unix epoch, then 80 random bits, in Crockford's
// base32). PutProduct creates a product under an id its client chose, so a
// program that works offline can create a product and change it before
// the server has seen either write (see package sdk/outbox).
func NewProductID() string {
	var entropy [10]byte
	_, _ = rand.Read(entropy[:])
	return ProductIDFrom(time.Now(), entropy)
}

// ProductIDFrom returns the product id of the ULID made of t's milliseconds
// and entropy, for programs that need ids they can make again (tests).
func ProductIDFrom(t time.Time, entropy [10]byte) string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	var bits [16]byte
	ms := uint64(t.UnixMilli())
	for i := range 6 {
		bits[i] = byte(ms >> (40 - 8*i))
	}
	copy(bits[6:], entropy[:])
	// 128 bits in 26 digits of 5 bits, the first digit holding 3: read
	// them from the most significant end, with 2 bits of padding.
	out := make([]byte, 0, 4+26)
	out = append(out, "prd_"...)
	for d := range 26 {
		v := 0
		for b := range 5 {
			pos := d*5 + b - 2 // -2: the padding in front
			if pos >= 0 && bits[pos/8]&(0x80>>(pos%8)) != 0 {
				v |= 0x10 >> b
			}
		}
		out = append(out, alphabet[v])
	}
	return string(out)
}
