package firestore

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk"
	v1 "github.com/sdkgen-go/sdkgen/sdk/firebase/firestore/firestorev1"
)

// Client reads and writes the documents of one Firestore database through
// the generated SDK ([firestorev1]). It is safe for concurrent use.
type Client struct {
	api  *v1.Client
	root string // projects/<p>/databases/<d>/documents
}

// Option configures a [Client].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	database string
	baseURL  string
	sdkOpts  []sdk.Option
}

// WithDatabase names the database; the default is "(default)".
func WithDatabase(id string) Option { return optionFunc(func(c *config) { c.database = id }) }

// WithBaseURL sends requests to baseURL instead of
// https://firestore.googleapis.com: the Firestore emulator
// ("http://127.0.0.1:8080"), or a test server.
func WithBaseURL(baseURL string) Option { return optionFunc(func(c *config) { c.baseURL = baseURL }) }

// WithSDKOptions passes options to the generated client's [sdk.Client]:
// credentials (sdk.WithTokenSource with fbauth's ID token source, or a
// service account's), a logger, retries.
func WithSDKOptions(opts ...sdk.Option) Option {
	return optionFunc(func(c *config) { c.sdkOpts = append(c.sdkOpts, opts...) })
}

// NewClient returns a client of a project's database.
func NewClient(projectID string, opts ...Option) (*Client, error) {
	cfg := config{database: "(default)"}
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	if projectID == "" || strings.ContainsAny(projectID, "/") || cfg.database == "" || strings.Contains(cfg.database, "/") {
		return nil, &PathError{Path: projectID + "/" + cfg.database, Reason: "a project and a database id, without slashes"}
	}
	api, err := v1.NewClient(cfg.baseURL, cfg.sdkOpts...)
	if err != nil {
		return nil, err
	}
	return &Client{api: api, root: "projects/" + projectID + "/databases/" + cfg.database + "/documents"}, nil
}

// Close releases the client's connections.
func (c *Client) Close() error { return c.api.Close() }

// API returns the generated client, for the rest of the API.
func (c *Client) API() *v1.Client { return c.api }

// PathError reports a document or collection path that is not one:
// documents have an even number of segments ("rooms/lobby"), collections
// an odd one ("rooms", "rooms/lobby/messages"); segments are not empty and
// hold no slash.
type PathError struct {
	Path   string
	Reason string
}

// Error describes the failure on one line.
func (e *PathError) Error() string {
	return fmt.Sprintf("firestore: invalid path %q: %s", e.Path, e.Reason)
}

func segments(p string) []string {
	return strings.Split(strings.Trim(p, "/"), "/")
}

func checkPath(p string, document bool) error {
	segs := segments(p)
	for _, s := range segs {
		if s == "" || s == "." || s == ".." || strings.HasPrefix(s, "__") && strings.HasSuffix(s, "__") {
			return &PathError{Path: p, Reason: "an empty, dot or reserved (__x__) segment"}
		}
	}
	if document != (len(segs)%2 == 0) {
		if document {
			return &PathError{Path: p, Reason: "a document path has an even number of segments (collection/id)"}
		}
		return &PathError{Path: p, Reason: "a collection path has an odd number of segments"}
	}
	return nil
}

// DocRef is a document's location.
type DocRef struct {
	c    *Client
	path string
	err  error
}

// Doc returns a reference to the document at path ("rooms/lobby").
func (c *Client) Doc(path string) DocRef {
	return DocRef{c: c, path: strings.Trim(path, "/"), err: checkPath(path, true)}
}

// Path returns the document's path in the database ("rooms/lobby").
func (d DocRef) Path() string { return d.path }

// ID returns the document's id, the path's last segment.
func (d DocRef) ID() string { return d.path[strings.LastIndexByte(d.path, '/')+1:] }

// Name returns the document's full resource name
// (projects/p/databases/d/documents/rooms/lobby).
func (d DocRef) Name() string { return d.c.root + "/" + d.path }

// Reference returns the document as a value that other documents can
// hold.
func (d DocRef) Reference() Reference { return Reference(d.Name()) }

// Collection returns the sub-collection id of the document.
func (d DocRef) Collection(id string) CollectionRef {
	return d.c.Collection(d.path + "/" + id)
}

// CollectionRef is a collection's location.
type CollectionRef struct {
	c    *Client
	path string
	err  error
}

// Collection returns a reference to the collection at path ("rooms",
// "rooms/lobby/messages").
func (c *Client) Collection(path string) CollectionRef {
	return CollectionRef{c: c, path: strings.Trim(path, "/"), err: checkPath(path, false)}
}

// Doc returns the document id of the collection.
func (r CollectionRef) Doc(id string) DocRef { return r.c.Doc(r.path + "/" + id) }

// parent is the resource name of the collection's parent (the database's
// documents root, or a document), and id its last segment.
func (r CollectionRef) parent() (parent, id string) {
	i := strings.LastIndexByte(r.path, '/')
	if i < 0 {
		return r.c.root, r.path
	}
	return r.c.root + "/" + r.path[:i], r.path[i+1:]
}

// Document is a document read from the database, its fields decoded as T.
type Document[T any] struct {
	Ref        DocRef
	Data       T
	CreateTime time.Time
	UpdateTime time.Time
}

// document turns a generated Document into a typed one.
func document[T any](c *Client, d *v1.Document) (*Document[T], error) {
	if d == nil || d.Name == nil {
		return nil, errors.New("firestore: the answer holds no document")
	}
	path := strings.TrimPrefix(*d.Name, c.root+"/")
	out := &Document[T]{Ref: c.Doc(path)}
	if d.CreateTime != nil {
		out.CreateTime = *d.CreateTime
	}
	if d.UpdateTime != nil {
		out.UpdateTime = *d.UpdateTime
	}
	var fields map[string]v1.Value
	if d.Fields != nil {
		fields = d.Fields
	}
	if err := Decode(fields, &out.Data); err != nil {
		return nil, err
	}
	return out, nil
}

// Get reads a document; a missing one is an [*sdk.APIError] with status
// 404 ([IsNotFound]).
func Get[T any](ctx context.Context, d DocRef, opts ...sdk.Option) (*Document[T], error) {
	if d.err != nil {
		return nil, d.err
	}
	doc, err := d.c.api.Documents.Get(ctx, d.Name(), nil, opts...)
	if err != nil {
		return nil, err
	}
	return document[T](d.c, doc)
}

// Set writes v as the whole document (fields not in v are removed),
// creating it if needed, and returns the document as stored.
func Set[T any](ctx context.Context, d DocRef, v T, opts ...sdk.Option) (*Document[T], error) {
	if d.err != nil {
		return nil, d.err
	}
	fields, err := Encode(v)
	if err != nil {
		return nil, err
	}
	doc, err := d.c.api.Documents.Patch(ctx, d.Name(), nil, &v1.Document{Fields: fields}, opts...)
	if err != nil {
		return nil, err
	}
	return document[T](d.c, doc)
}

// Create adds v to the collection as a new document: with id, or with an
// id the server picks when id is "". It fails with status 409 when the
// document exists.
func Create[T any](ctx context.Context, r CollectionRef, id string, v T, opts ...sdk.Option) (*Document[T], error) {
	if r.err != nil {
		return nil, r.err
	}
	if strings.Contains(id, "/") {
		return nil, &PathError{Path: r.path + "/" + id, Reason: "a document id holds no slash"}
	}
	fields, err := Encode(v)
	if err != nil {
		return nil, err
	}
	parent, coll := r.parent()
	var params *v1.FirestoreProjectsDatabasesDocumentsCreateDocumentParams
	if id != "" {
		params = &v1.FirestoreProjectsDatabasesDocumentsCreateDocumentParams{DocumentID: &id}
	}
	doc, err := r.c.api.Documents.CreateDocument(ctx, parent, coll, params, &v1.Document{Fields: fields}, opts...)
	if err != nil {
		return nil, err
	}
	return document[T](r.c, doc)
}

// Update sets the fields that values names (top-level names, or dotted
// paths into maps: "scores.ada"), leaving the others as they are. The
// document must exist.
func Update(ctx context.Context, d DocRef, values map[string]any, opts ...sdk.Option) error {
	if d.err != nil {
		return d.err
	}
	fields := map[string]v1.Value{}
	var mask []string
	for path, v := range values {
		val, err := EncodeValue(v)
		if err != nil {
			return err
		}
		setPath(fields, strings.Split(path, "."), val)
		mask = append(mask, path)
	}
	exists := true
	_, err := d.c.api.Documents.Patch(ctx, d.Name(), &v1.FirestoreProjectsDatabasesDocumentsPatchParams{
		UpdateMaskFieldPaths: &mask, CurrentDocumentExists: &exists,
	}, &v1.Document{Fields: fields}, opts...)
	return err
}

// setPath sets a dotted field path in fields.
func setPath(fields map[string]v1.Value, path []string, val v1.Value) {
	if len(path) == 1 {
		fields[path[0]] = val
		return
	}
	child, ok := fields[path[0]]
	if !ok || child.MapValue == nil {
		m := map[string]v1.Value{}
		child = v1.Value{MapValue: &v1.MapValue{Fields: m}}
	}
	if child.MapValue.Fields == nil {
		m := map[string]v1.Value{}
		child.MapValue.Fields = m
	}
	setPath(child.MapValue.Fields, path[1:], val)
	fields[path[0]] = child
}

// Delete removes a document (a missing one is not an error).
func Delete(ctx context.Context, d DocRef, opts ...sdk.Option) error {
	if d.err != nil {
		return d.err
	}
	_, err := d.c.api.Documents.Delete(ctx, d.Name(), nil, opts...)
	return err
}

// IsNotFound reports whether err is the database's 404: no such document.
func IsNotFound(err error) bool {
	var apiErr *sdk.APIError
	return errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound
}

// List ranges over the documents of a collection, pageSize at a time
// (0: the server's default), through the generated SDK's pager
// (ListDocuments' pageToken and nextPageToken). It is a single-use
// iterator that stops at the first error.
func List[T any](ctx context.Context, r CollectionRef, pageSize int, opts ...sdk.Option) iter.Seq2[*Document[T], error] {
	return func(yield func(*Document[T], error) bool) {
		if r.err != nil {
			yield(nil, r.err)
			return
		}
		parent, coll := r.parent()
		var params v1.FirestoreProjectsDatabasesDocumentsListParams
		if pageSize > 0 {
			n := int32(min(pageSize, 1<<30))
			params.PageSize = &n
		}
		for d, err := range r.c.api.Documents.List(ctx, parent, coll, &params, opts...).All() {
			if err != nil {
				yield(nil, err)
				return
			}
			doc, err := document[T](r.c, &d)
			if !yield(doc, err) || err != nil {
				return
			}
		}
	}
}
