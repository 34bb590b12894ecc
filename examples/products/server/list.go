package server

import (
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// A list is a keyset page: products are ordered by (sort key, id), and a
// cursor is the position of the last product of a page — its sort key
// and id — so the next page starts strictly after it. Products inserted or
// deleted meanwhile never make a page repeat or skip the products that
// were there all along; a product whose sort key changes between two pages
// may be seen twice or not at all, as in any keyset pagination.

// listQuery is a list request's filters and order.
type listQuery struct {
	category           string
	minPrice, maxPrice *int64
	q                  string
	sort               string // created_at, -created_at, name, ...
}

// field and desc split the sort order.
func (q *listQuery) field() string { return strings.TrimPrefix(q.sort, "-") }
func (q *listQuery) desc() bool    { return strings.HasPrefix(q.sort, "-") }

// digest identifies the filters and order, so a cursor is used only with
// the query it came from.
func (q *listQuery) digest() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\x00%s\x00%s\x00", q.category, q.q, q.sort)
	for _, p := range []*int64{q.minPrice, q.maxPrice} {
		if p != nil {
			fmt.Fprintf(&b, "%d", *p)
		}
		b.WriteByte(0)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:6])
}

func (q *listQuery) matches(p *product) bool {
	if q.category != "" && p.Category != q.category {
		return false
	}
	if q.minPrice != nil && p.Price < *q.minPrice || q.maxPrice != nil && p.Price > *q.maxPrice {
		return false
	}
	if q.q != "" {
		needle := strings.ToLower(q.q)
		return strings.Contains(strings.ToLower(p.Name), needle) ||
			strings.Contains(strings.ToLower(p.Description), needle) ||
			strings.Contains(strings.ToLower(p.SKU), needle)
	}
	return true
}

// sortKey is a product's position in an order.
type sortKey struct {
	str  string // name (lower-cased) or created_at (RFC 3339, nanoseconds)
	num  int64  // price
	time time.Time
	id   string
}

func keyOf(field string, p *product) sortKey {
	k := sortKey{id: p.ID}
	switch field {
	case "name":
		k.str = strings.ToLower(p.Name)
	case "price":
		k.num = p.Price
	default:
		k.time = p.CreatedAt
	}
	return k
}

func compareKeys(field string, a, b sortKey) int {
	var c int
	switch field {
	case "name":
		c = strings.Compare(a.str, b.str)
	case "price":
		c = cmp.Compare(a.num, b.num)
	default:
		c = a.time.Compare(b.time)
	}
	if c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

// cursor is what a cursor string encodes (base64url JSON).
type cursor struct {
	Query string `json:"q"`           // listQuery.digest
	ID    string `json:"i"`           // the last product's id
	Str   string `json:"s,omitempty"` // its name, lower-cased
	Num   int64  `json:"n,omitempty"` // its price
	Time  string `json:"t,omitempty"` // its created_at
}

func encodeCursor(q *listQuery, k sortKey) string {
	c := cursor{Query: q.digest(), ID: k.id}
	switch q.field() {
	case "name":
		c.Str = k.str
	case "price":
		c.Num = k.num
	default:
		c.Time = k.time.Format(time.RFC3339Nano)
	}
	data, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(data)
}

// decodeCursor returns the position a cursor names, or a message saying
// what is wrong with it.
func decodeCursor(q *listQuery, s string) (sortKey, string) {
	data, err := base64.RawURLEncoding.DecodeString(s)
	var c cursor
	if err != nil || json.Unmarshal(data, &c) != nil || !validID(c.ID) {
		return sortKey{}, "is not a cursor this server issued"
	}
	if c.Query != q.digest() {
		return sortKey{}, "was issued for other filters or another sort; repeat the first page's"
	}
	k := sortKey{id: c.ID, str: c.Str, num: c.Num}
	if q.field() == "created_at" {
		if k.time, err = time.Parse(time.RFC3339Nano, c.Time); err != nil {
			return sortKey{}, "is not a cursor this server issued"
		}
	}
	return k, ""
}

// productPage is the body of a list response.
type productPage struct {
	Data       []*product `json:"data"`
	NextCursor *string    `json:"next_cursor"`
}

var sorts = []string{"created_at", "-created_at", "name", "-name", "price", "-price"}

func (s *Server) listProducts(w http.ResponseWriter, r *http.Request, c *call) {
	params := r.URL.Query()
	var errs []fieldError
	bad := func(field, msg string) { errs = append(errs, fieldError{Field: field, Message: msg}) }
	for name, vals := range params {
		if len(vals) > 1 {
			bad(name, "must not be repeated")
		}
	}
	q := &listQuery{sort: "created_at", category: params.Get("category"), q: params.Get("q")}
	if params.Has("category") && !categoryPattern.MatchString(q.category) {
		bad("category", "must match "+categoryPattern.String())
	}
	if params.Has("q") {
		if n := utf8.RuneCountInString(q.q); n < 1 || n > 100 {
			bad("q", "must be 1 to 100 characters")
		}
	}
	if params.Has("sort") {
		q.sort = params.Get("sort")
		if !slices.Contains(sorts, q.sort) {
			bad("sort", "must be one of "+strings.Join(sorts, ", "))
		}
	}
	price := func(name string) *int64 {
		if !params.Has(name) {
			return nil
		}
		n, err := strconv.ParseInt(params.Get(name), 10, 64)
		if err != nil || n < 0 {
			bad(name, "must be an integer of at least 0")
			return nil
		}
		return &n
	}
	q.minPrice, q.maxPrice = price("min_price"), price("max_price")
	if q.minPrice != nil && q.maxPrice != nil && *q.minPrice > *q.maxPrice {
		bad("min_price", "must not be greater than max_price")
	}
	limit := 20
	if params.Has("limit") {
		n, err := strconv.Atoi(params.Get("limit"))
		if err != nil || n < 1 || n > 100 {
			bad("limit", "must be an integer from 1 to 100")
		} else {
			limit = n
		}
	}
	var after *sortKey
	if params.Has("cursor") && len(errs) == 0 {
		raw := params.Get("cursor")
		var k sortKey
		msg := "must be at most 1024 characters"
		if len(raw) <= 1024 {
			k, msg = decodeCursor(q, raw)
		}
		if msg != "" {
			bad("cursor", msg)
		} else {
			after = &k
		}
	}
	if len(errs) > 0 {
		detail := fmt.Sprintf("%s %s", errs[0].Field, errs[0].Message)
		if len(errs) > 1 {
			detail = fmt.Sprintf("%d parameters are not valid", len(errs))
		}
		s.problem(w, r, c, http.StatusBadRequest, probInvalidParam, detail, errs...)
		return
	}

	var matched []*product
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketProducts).ForEach(func(_, v []byte) error {
			var p product
			if err := json.Unmarshal(v, &p); err != nil {
				return err
			}
			if q.matches(&p) {
				matched = append(matched, &p)
			}
			return nil
		})
	})
	if err != nil {
		s.internalError(w, r, c, err)
		return
	}
	field, sign := q.field(), 1
	if q.desc() {
		sign = -1
	}
	order := func(a, b *product) int { return sign * compareKeys(field, keyOf(field, a), keyOf(field, b)) }
	slices.SortFunc(matched, order)
	start := 0
	if after != nil {
		// The first product strictly after the cursor's position.
		start, _ = slices.BinarySearchFunc(matched, *after, func(p *product, k sortKey) int {
			if c := sign * compareKeys(field, keyOf(field, p), k); c != 0 {
				return c
			}
			return -1 // equal: the cursor's own product comes before
		})
	}
	page := productPage{Data: matched[start:min(start+limit, len(matched))]}
	if start+limit < len(matched) {
		next := encodeCursor(q, keyOf(field, page.Data[len(page.Data)-1]))
		page.NextCursor = &next
	}
	if page.Data == nil {
		page.Data = []*product{}
	}
	if err := writeJSON(w, http.StatusOK, page); err != nil {
		s.internalError(w, r, c, err)
	}
}
