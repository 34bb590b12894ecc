package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// The constraints of products.yaml's schemas, checked the same way here.
var (
	skuPattern      = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{2,31}$`)
	categoryPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,49}$`)
	tagPattern      = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,29}$`)
)

const (
	maxName        = 200
	maxDescription = 2000
	maxPrice       = 100_000_000
	maxStock       = 1_000_000
	maxTags        = 10
)

// readJSON reads a JSON object body: 415 if it is not JSON, 413 if too
// large, 400 if it does not parse, 422 if it is not an object. It returns
// the raw body too.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, c *call) (map[string]json.RawMessage, []byte, bool) {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		if ct == "" {
			ct = "absent"
		}
		s.problem(w, r, c, http.StatusUnsupportedMediaType, probMediaType, "the body must be application/json, not "+ct)
		return nil, nil, false
	}
	if r.ContentLength > maxJSONBytes {
		s.problem(w, r, c, http.StatusRequestEntityTooLarge, probTooLarge, fmt.Sprintf("the body is larger than %d bytes", maxJSONBytes))
		return nil, nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.problem(w, r, c, http.StatusRequestEntityTooLarge, probTooLarge, fmt.Sprintf("the body is larger than %d bytes", maxJSONBytes))
		} else {
			s.problem(w, r, c, http.StatusBadRequest, probMalformed, "the body could not be read: "+err.Error())
		}
		return nil, nil, false
	}
	if !json.Valid(body) {
		var syn *json.SyntaxError
		detail := "the body is not valid JSON"
		if err := json.Unmarshal(body, new(any)); errors.As(err, &syn) {
			detail = fmt.Sprintf("the body is not valid JSON: %v (at byte %d)", syn, syn.Offset)
		}
		s.problem(w, r, c, http.StatusBadRequest, probMalformed, detail)
		return nil, nil, false
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		s.problem(w, r, c, http.StatusUnprocessableEntity, probValidation, "the body must be a JSON object",
			fieldError{Field: "", Message: "must be a JSON object"})
		return nil, nil, false
	}
	return m, body, true
}

// fields reads and checks the members of a JSON object, collecting what is
// wrong with each.
type fields struct {
	m    map[string]json.RawMessage
	errs []fieldError
}

func (f *fields) fail(field, msg string) {
	f.errs = append(f.errs, fieldError{Field: field, Message: msg})
}

// raw returns a member, or false if it is absent (an error if required) or
// null (always an error: no field is nullable).
func (f *fields) raw(name string, required bool) (json.RawMessage, bool) {
	v, ok := f.m[name]
	switch {
	case !ok:
		if required {
			f.fail(name, "is required")
		}
		return nil, false
	case string(v) == "null":
		f.fail(name, "must not be null")
		return nil, false
	}
	return v, true
}

func (f *fields) str(name string, required bool, check func(string) string) (string, bool) {
	v, ok := f.raw(name, required)
	if !ok {
		return "", false
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		f.fail(name, "must be a string")
		return "", false
	}
	if msg := check(s); msg != "" {
		f.fail(name, msg)
		return "", false
	}
	return s, true
}

func (f *fields) integer(name string, required bool, lo, hi int64) (int64, bool) {
	v, ok := f.raw(name, required)
	if !ok {
		return 0, false
	}
	msg := fmt.Sprintf("must be an integer from %d to %d", lo, hi)
	var num json.Number
	if err := json.Unmarshal(v, &num); err != nil {
		f.fail(name, msg)
		return 0, false
	}
	n, err := strconv.ParseInt(num.String(), 10, 64)
	if err != nil || n < lo || n > hi {
		f.fail(name, msg)
		return 0, false
	}
	return n, true
}

func (f *fields) tags(name string) ([]string, bool) {
	v, ok := f.raw(name, false)
	if !ok {
		return nil, false
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(v, &raw); err != nil {
		f.fail(name, "must be an array of strings")
		return nil, false
	}
	if len(raw) > maxTags {
		f.fail(name, fmt.Sprintf("must have at most %d items", maxTags))
		return nil, false
	}
	out := make([]string, 0, len(raw))
	valid := true
	for i, item := range raw {
		field := fmt.Sprintf("%s.%d", name, i)
		var t string
		switch {
		case json.Unmarshal(item, &t) != nil:
			f.fail(field, "must be a string")
			valid = false
		case !tagPattern.MatchString(t):
			f.fail(field, "must match "+tagPattern.String())
			valid = false
		case slices.Contains(out, t):
			f.fail(field, "repeats an earlier tag")
			valid = false
		}
		out = append(out, t)
	}
	return out, valid
}

// unknown reports the members that are not fields of the schema.
func (f *fields) unknown(schema string, known ...string) {
	var extra []string
	for k := range f.m {
		if !slices.Contains(known, k) {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	for _, k := range extra {
		f.fail(k, "is not a field of "+schema)
	}
}

var productFields = []string{"sku", "name", "description", "category", "price", "stock", "tags"}

func checkSKU(s string) string {
	if !skuPattern.MatchString(s) {
		return "must match " + skuPattern.String()
	}
	return ""
}

func checkName(s string) string {
	if n := utf8.RuneCountInString(s); n < 1 || n > maxName {
		return fmt.Sprintf("must be 1 to %d characters", maxName)
	}
	return ""
}

func checkDescription(s string) string {
	if utf8.RuneCountInString(s) > maxDescription {
		return fmt.Sprintf("must be at most %d characters", maxDescription)
	}
	return ""
}

func checkCategory(s string) string {
	if !categoryPattern.MatchString(s) {
		return "must match " + categoryPattern.String()
	}
	return ""
}

// productChange is a create or update body, checked: nil fields are
// absent.
type productChange struct {
	sku, name, description, category *string
	price, stock                     *int64
	tags                             []string
	hasTags                          bool
}

// parseChange checks a ProductCreate (create) or ProductUpdate body.
func parseChange(m map[string]json.RawMessage, create bool) (*productChange, []fieldError) {
	f := &fields{m: m}
	ch := &productChange{}
	set := func(dst **string) func(string, bool) {
		return func(v string, ok bool) {
			if ok {
				*dst = &v
			}
		}
	}
	setInt := func(dst **int64) func(int64, bool) {
		return func(v int64, ok bool) {
			if ok {
				*dst = &v
			}
		}
	}
	set(&ch.sku)(f.str("sku", create, checkSKU))
	set(&ch.name)(f.str("name", create, checkName))
	set(&ch.description)(f.str("description", false, checkDescription))
	set(&ch.category)(f.str("category", create, checkCategory))
	setInt(&ch.price)(f.integer("price", create, 0, maxPrice))
	setInt(&ch.stock)(f.integer("stock", false, 0, maxStock))
	ch.tags, ch.hasTags = f.tags("tags")
	schema := "ProductUpdate"
	if create {
		schema = "ProductCreate"
	}
	f.unknown(schema, productFields...)
	if !create && len(m) == 0 {
		f.fail("", "must name at least one field to change")
	}
	return ch, f.errs
}

// apply changes p as ch says, and reports whether anything changed.
func (ch *productChange) apply(p *product) bool {
	before, _ := json.Marshal(p)
	assign := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	assign(&p.SKU, ch.sku)
	assign(&p.Name, ch.name)
	assign(&p.Description, ch.description)
	assign(&p.Category, ch.category)
	if ch.price != nil {
		p.Price = *ch.price
	}
	if ch.stock != nil {
		p.Stock = *ch.stock
	}
	if ch.hasTags {
		p.Tags = ch.tags
	}
	after, _ := json.Marshal(p)
	return !bytes.Equal(before, after)
}

// validationProblem writes a 422 listing what is wrong with each field.
func (s *Server) validationProblem(w http.ResponseWriter, r *http.Request, c *call, errs []fieldError) {
	detail := "1 field is not valid"
	if len(errs) != 1 {
		detail = fmt.Sprintf("%d fields are not valid", len(errs))
	}
	s.problem(w, r, c, http.StatusUnprocessableEntity, probValidation, detail, errs...)
}

// storeError writes the response of a store failure.
func (s *Server) storeError(w http.ResponseWriter, r *http.Request, c *call, id string, err error) {
	var taken *skuTakenError
	var pre *preconditionError
	switch {
	case errors.Is(err, errNotFound):
		s.problem(w, r, c, http.StatusNotFound, probNotFound, "no product has the id "+id)
	case errors.As(err, &taken):
		s.problem(w, r, c, http.StatusConflict, probSKUTaken, taken.Error(),
			fieldError{Field: "sku", Message: "is already used by " + taken.owner})
	case errors.As(err, &pre) && pre.current == "":
		s.problem(w, r, c, http.StatusPreconditionFailed, probPrecondition, "no product has the id "+id+", and If-Match needs one")
	case errors.As(err, &pre):
		w.Header().Set("ETag", pre.current)
		s.problem(w, r, c, http.StatusPreconditionFailed, probPrecondition, pre.Error()+", which If-Match does not name")
	default:
		s.internalError(w, r, c, err)
	}
}

// validIdempotencyKey reports whether a key is 1 to 255 visible ASCII
// characters.
func validIdempotencyKey(k string) bool {
	if len(k) == 0 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

func (s *Server) createProduct(w http.ResponseWriter, r *http.Request, c *call) {
	kw, ok := s.beginKeyed(w, r, c, maxJSONBytes)
	if !ok {
		return
	}
	defer kw.release()
	m, _, ok := s.readJSON(w, r, c)
	if !ok {
		return
	}
	ch, errs := parseChange(m, true)
	if len(errs) > 0 {
		s.validationProblem(w, r, c, errs)
		return
	}
	now := s.now().UTC()
	p := &product{
		ID:        s.idgen.next(now),
		Tags:      []string{},
		Version:   1,
		CreatedAt: now,
		UpdatedAt: now,
	}
	ch.apply(p)
	out, err := json.Marshal(p)
	if err != nil {
		s.internalError(w, r, c, err)
		return
	}
	location := "/products/" + p.ID
	err = s.mutate(func(tx *bolt.Tx, newEvent func(string, *product, time.Time) error) error {
		if err := claimSKU(tx, p.SKU, p.ID); err != nil {
			return err
		}
		if err := putProduct(tx, p); err != nil {
			return err
		}
		rec := &idempotencyRecord{Status: http.StatusCreated, Location: location, ETag: p.etag(), ContentType: "application/json", Body: out}
		if err := kw.commit(tx, rec, p.ID, p.Version); err != nil {
			return err
		}
		return newEvent("created", p, now)
	})
	if err != nil {
		s.storeError(w, r, c, p.ID, err)
		return
	}
	kw.committed()
	w.Header().Set("Location", location)
	w.Header().Set("ETag", p.etag())
	writeRaw(w, http.StatusCreated, "application/json", out)
}

// readChange reads a PUT or PATCH: its Idempotency-Key (kw, whose release
// the caller defers; nil without a key), its body as a ProductCreate
// (create) or ProductUpdate, and its If-Match. ok is false when the
// response has been written.
func (s *Server) readChange(w http.ResponseWriter, r *http.Request, c *call, create bool) (kw *keyedWrite, ch *productChange, match []string, ok bool) {
	if kw, ok = s.beginKeyed(w, r, c, maxJSONBytes); !ok {
		return nil, nil, nil, false
	}
	m, _, ok := s.readJSON(w, r, c)
	if !ok {
		kw.release()
		return nil, nil, nil, false
	}
	ch, errs := parseChange(m, create)
	if len(errs) > 0 {
		kw.release()
		s.validationProblem(w, r, c, errs)
		return nil, nil, nil, false
	}
	return kw, ch, ifMatch(r), true
}

// moveSKU indexes p's SKU, and drops the index of its old one.
func moveSKU(tx *bolt.Tx, p *product, oldSKU string) error {
	if oldSKU == p.SKU {
		return nil
	}
	if err := claimSKU(tx, p.SKU, p.ID); err != nil {
		return err
	}
	if oldSKU == "" {
		return nil
	}
	return tx.Bucket(bucketSKUs).Delete([]byte(oldSKU))
}

// putProduct creates the product with the path's id, or replaces every
// field of the one that has it (keeping its image and creation time).
func (s *Server) putProduct(w http.ResponseWriter, r *http.Request, c *call, id string) {
	kw, ch, match, ok := s.readChange(w, r, c, true)
	if !ok {
		return
	}
	defer kw.release()
	var (
		p      *product
		out    []byte
		status int
	)
	err := s.mutate(func(tx *bolt.Tx, newEvent func(string, *product, time.Time) error) error {
		now := s.now().UTC()
		old, err := getProduct(tx, id)
		switch {
		case errors.Is(err, errNotFound):
			if match != nil {
				// RFC 9110 section 13.1.1: If-Match, even "*", fails when
				// there is no current representation.
				return &preconditionError{}
			}
			status = http.StatusCreated
			p = &product{ID: id, Version: 1, CreatedAt: now, UpdatedAt: now}
		case err != nil:
			return err
		default:
			if err := checkIfMatch(match, old); err != nil {
				return err
			}
			status = http.StatusOK
			p = &product{ID: id, Image: old.Image, Version: old.Version, CreatedAt: old.CreatedAt, UpdatedAt: old.UpdatedAt}
		}
		p.Tags = []string{}
		ch.apply(p)
		changed := old == nil
		if old != nil {
			before, _ := json.Marshal(old)
			after, _ := json.Marshal(p)
			changed = string(before) != string(after)
		}
		if changed && old != nil {
			p.Version++
			p.UpdatedAt = now
		}
		if out, err = json.Marshal(p); err != nil {
			return err
		}
		rec := &idempotencyRecord{Status: status, ETag: p.etag(), ContentType: "application/json", Body: out}
		if status == http.StatusCreated {
			rec.Location = "/products/" + id
		}
		if err := kw.commit(tx, rec, p.ID, p.Version); err != nil {
			return err
		}
		if !changed {
			return nil // the same fields again: no new version, no event
		}
		oldSKU := ""
		if old != nil {
			oldSKU = old.SKU
		}
		if err := moveSKU(tx, p, oldSKU); err != nil {
			return err
		}
		if err := putProduct(tx, p); err != nil {
			return err
		}
		typ := "updated"
		if old == nil {
			typ = "created"
		}
		return newEvent(typ, p, now)
	})
	if err != nil {
		s.storeError(w, r, c, id, err)
		return
	}
	kw.committed()
	if status == http.StatusCreated {
		w.Header().Set("Location", "/products/"+id)
	}
	w.Header().Set("ETag", p.etag())
	writeRaw(w, status, "application/json", out)
}

func (s *Server) getProduct(w http.ResponseWriter, r *http.Request, c *call, id string) {
	var p *product
	err := s.view(func(tx *bolt.Tx) (err error) {
		p, err = getProduct(tx, id)
		return err
	})
	if err != nil {
		s.storeError(w, r, c, id, err)
		return
	}
	w.Header().Set("ETag", p.etag())
	if err := writeJSON(w, http.StatusOK, p); err != nil {
		s.internalError(w, r, c, err)
	}
}

// ifMatch returns the If-Match header's entity tags, or nil if absent.
func ifMatch(r *http.Request) []string {
	vals := r.Header.Values("If-Match")
	if len(vals) == 0 {
		return nil
	}
	var tags []string
	for _, v := range vals {
		for t := range strings.SplitSeq(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				tags = append(tags, t)
			}
		}
	}
	if tags == nil {
		tags = []string{} // present but empty: matches nothing
	}
	return tags
}

// checkIfMatch fails with a preconditionError unless the product's ETag is
// one of tags (a strong comparison: W/ tags never match) or tags is "*".
func checkIfMatch(tags []string, p *product) error {
	if tags == nil || slices.Contains(tags, "*") || slices.Contains(tags, p.etag()) {
		return nil
	}
	return &preconditionError{current: p.etag()}
}

func (s *Server) updateProduct(w http.ResponseWriter, r *http.Request, c *call, id string) {
	kw, ch, match, ok := s.readChange(w, r, c, false)
	if !ok {
		return
	}
	defer kw.release()
	var (
		p   *product
		out []byte
	)
	err := s.mutate(func(tx *bolt.Tx, newEvent func(string, *product, time.Time) error) error {
		var err error
		if p, err = getProduct(tx, id); err != nil {
			return err
		}
		if err := checkIfMatch(match, p); err != nil {
			return err
		}
		oldSKU := p.SKU
		changed := ch.apply(p)
		if changed {
			p.Version++
			p.UpdatedAt = s.now().UTC()
		}
		if out, err = json.Marshal(p); err != nil {
			return err
		}
		rec := &idempotencyRecord{Status: http.StatusOK, ETag: p.etag(), ContentType: "application/json", Body: out}
		if err := kw.commit(tx, rec, p.ID, p.Version); err != nil {
			return err
		}
		if !changed {
			return nil // nothing changed: no new version, no event
		}
		if err := moveSKU(tx, p, oldSKU); err != nil {
			return err
		}
		if err := putProduct(tx, p); err != nil {
			return err
		}
		return newEvent("updated", p, p.UpdatedAt)
	})
	if err != nil {
		s.storeError(w, r, c, id, err)
		return
	}
	kw.committed()
	w.Header().Set("ETag", p.etag())
	writeRaw(w, http.StatusOK, "application/json", out)
}

func (s *Server) deleteProduct(w http.ResponseWriter, r *http.Request, c *call, id string) {
	kw, ok := s.beginKeyed(w, r, c, maxJSONBytes)
	if !ok {
		return
	}
	defer kw.release()
	match := ifMatch(r)
	var p *product
	err := s.mutate(func(tx *bolt.Tx, newEvent func(string, *product, time.Time) error) error {
		var err error
		if p, err = getProduct(tx, id); err != nil {
			return err
		}
		if err := checkIfMatch(match, p); err != nil {
			return err
		}
		if err := tx.Bucket(bucketProducts).Delete([]byte(id)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketSKUs).Delete([]byte(p.SKU)); err != nil {
			return err
		}
		if err := kw.commit(tx, &idempotencyRecord{Status: http.StatusNoContent}, p.ID, 0); err != nil {
			return err
		}
		return newEvent("deleted", p, s.now().UTC())
	})
	if err != nil {
		s.storeError(w, r, c, id, err)
		return
	}
	kw.committed()
	if p.Image != nil {
		if err := os.Remove(s.imagePath(p.ID, p.Image.SHA256)); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("remove image", "product", p.ID, "err", err)
		}
	}
	w.WriteHeader(http.StatusNoContent)
}
