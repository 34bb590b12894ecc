package firestore

import (
	"context"
	"fmt"
	"iter"
	"strings"

	"github.com/sdkgen-go/sdkgen/sdk"
	v1 "github.com/sdkgen-go/sdkgen/sdk/firebase/firestore/firestorev1"
)

// Query selects documents of a collection. Its methods return a changed
// copy; run it with [Run].
type Query struct {
	coll     CollectionRef
	filters  []v1.Filter
	orders   []v1.Order
	limit    int
	pageSize int
	err      error
}

// Direction orders query results.
type Direction string

// The directions of [Query.OrderBy].
const (
	Asc  Direction = "ASCENDING"
	Desc Direction = "DESCENDING"
)

// ops maps the operators of [Query.Where] to Firestore's.
var ops = map[string]v1.FieldFilterOp{
	"<": "LESS_THAN", "<=": "LESS_THAN_OR_EQUAL", ">": "GREATER_THAN", ">=": "GREATER_THAN_OR_EQUAL",
	"==": "EQUAL", "!=": "NOT_EQUAL", "array-contains": "ARRAY_CONTAINS", "in": "IN",
	"array-contains-any": "ARRAY_CONTAINS_ANY", "not-in": "NOT_IN",
}

// QueryError reports a query that cannot be sent.
type QueryError struct {
	Reason string
}

// Error describes the failure on one line.
func (e *QueryError) Error() string { return "firestore: invalid query: " + e.Reason }

// Query returns a query of every document of the collection.
func (r CollectionRef) Query() Query { return Query{coll: r, err: r.err} }

// Where returns the collection's documents whose field (a dotted path)
// compares with value by op: <, <=, >, >=, ==, !=, array-contains, in,
// array-contains-any or not-in.
func (r CollectionRef) Where(field, op string, value any) Query {
	return r.Query().Where(field, op, value)
}

// Where adds a filter; every filter must hold.
func (q Query) Where(field, op string, value any) Query {
	q.filters = append(q.filters[:len(q.filters):len(q.filters)], v1.Filter{})
	fop, ok := ops[op]
	if !ok {
		q.err = &QueryError{Reason: fmt.Sprintf("unknown operator %q", op)}
		return q
	}
	val, err := EncodeValue(value)
	if err != nil {
		q.err = err
		return q
	}
	f := field
	q.filters[len(q.filters)-1] = v1.Filter{FieldFilter: &v1.FieldFilter{Field: &v1.FieldReference{FieldPath: &f}, Op: &fop, Value: &val}}
	return q
}

// OrderBy adds a sort key. Results are always ordered by document name
// last, so that pages follow each other without gaps or repeats.
func (q Query) OrderBy(field string, dir Direction) Query {
	if dir != Asc && dir != Desc {
		q.err = &QueryError{Reason: fmt.Sprintf("unknown direction %q", dir)}
		return q
	}
	f, d := field, v1.OrderDirection(dir)
	q.orders = append(q.orders[:len(q.orders):len(q.orders)], v1.Order{Field: &v1.FieldReference{FieldPath: &f}, Direction: &d})
	return q
}

// Limit caps the number of documents (0: no cap).
func (q Query) Limit(n int) Query {
	if n < 0 {
		q.err = &QueryError{Reason: "a negative limit"}
	}
	q.limit = n
	return q
}

// PageSize sets how many documents each request asks for; the default is
// 100.
func (q Query) PageSize(n int) Query {
	if n <= 0 {
		q.err = &QueryError{Reason: "a page size must be positive"}
	}
	q.pageSize = n
	return q
}

// Run ranges over the documents a query selects, a page at a time: each
// page is one runQuery request whose cursor starts after the last document
// of the page before (its sort values and name), so a long result is
// never read in one answer. It is a single-use iterator that stops at the
// first error, as the SDK's pagers do.
func Run[T any](ctx context.Context, q Query, opts ...sdk.Option) iter.Seq2[*Document[T], error] {
	return func(yield func(*Document[T], error) bool) {
		if q.err != nil {
			yield(nil, q.err)
			return
		}
		pageSize := q.pageSize
		if pageSize == 0 {
			pageSize = 100
		}
		parent, coll := q.coll.parent()
		orders := append(q.orders[:len(q.orders):len(q.orders)], nameOrder(q.orders))
		var after *v1.Document
		delivered := 0
		for {
			n := pageSize
			if q.limit > 0 {
				n = min(n, q.limit-delivered)
			}
			sq := q.structured(coll, orders, int32(n), after)
			resps, err := q.coll.c.api.Documents.RunQuery(ctx, parent, &v1.RunQueryRequest{StructuredQuery: sq}, opts...)
			if err != nil {
				yield(nil, err)
				return
			}
			got := 0
			for _, r := range resps {
				if r.Document == nil {
					continue
				}
				got++
				after = r.Document
				doc, err := document[T](q.coll.c, r.Document)
				if !yield(doc, err) || err != nil {
					return
				}
				delivered++
			}
			if got < n || q.limit > 0 && delivered >= q.limit {
				return
			}
		}
	}
}

// nameOrder is the order by document name that ends every query, in the
// direction of the last explicit order (Firestore's rule).
func nameOrder(orders []v1.Order) v1.Order {
	d := v1.OrderDirection(Asc)
	if len(orders) > 0 && orders[len(orders)-1].Direction != nil {
		d = *orders[len(orders)-1].Direction
	}
	name := "__name__"
	return v1.Order{Field: &v1.FieldReference{FieldPath: &name}, Direction: &d}
}

func (q Query) structured(coll string, orders []v1.Order, limit int32, after *v1.Document) *v1.StructuredQuery {
	sq := &v1.StructuredQuery{
		From:    []v1.CollectionSelector{{CollectionID: &coll}},
		OrderBy: orders,
		Limit:   &limit,
	}
	switch len(q.filters) {
	case 0:
	case 1:
		sq.Where = &q.filters[0]
	default:
		and := v1.CompositeFilterOp("AND")
		fs := q.filters
		sq.Where = &v1.Filter{CompositeFilter: &v1.CompositeFilter{Op: &and, Filters: fs}}
	}
	if after != nil {
		vals := make([]v1.Value, 0, len(orders))
		for _, o := range orders {
			vals = append(vals, fieldValue(after, *o.Field.FieldPath))
		}
		before := false
		sq.StartAt = &v1.Cursor{Values: vals, Before: &before}
	}
	return sq
}

// fieldValue is the value at a dotted field path of a document (its name
// for __name__), null when it has none.
func fieldValue(d *v1.Document, path string) v1.Value {
	if path == "__name__" {
		return v1.Value{ReferenceValue: d.Name}
	}
	if d.Fields == nil {
		return v1.Value{NullValue: &nullValue}
	}
	fields := d.Fields
	parts := strings.Split(path, ".")
	for i, p := range parts {
		v, ok := fields[strings.Trim(p, "`")]
		if !ok {
			break
		}
		if i == len(parts)-1 {
			return v
		}
		if v.MapValue == nil || v.MapValue.Fields == nil {
			break
		}
		fields = v.MapValue.Fields
	}
	return v1.Value{NullValue: &nullValue}
}
