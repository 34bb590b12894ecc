package firestorev1_test

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sdkgen-go/sdkgen/internal/contract"
	"github.com/sdkgen-go/sdkgen/internal/testenv"
	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/firebase/firestore"
	v1 "github.com/sdkgen-go/sdkgen/sdk/firebase/firestore/firestorev1"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const prismSpec = "testdata/firestore-v1.prism.json"

func ptr[T any](v T) *T { return &v }

// Every operation of the Firestore SDK, called against Prism serving
// Google's spec (--errors: a request that breaks the spec is refused).
// Prism matches a path parameter within one segment, so it serves
// testdata/firestore-v1.prism.json, the same API with resource names
// spelled out as segments for documents two levels down: the SDK's
// requests, whose names keep their slashes, match those paths only because
// they do. Bodies are built with package firestore's encoding, so each
// 2xx also proves the encoded values validate against Google's schemas.
func TestPrismContract(t *testing.T) {
	base := contract.StartPrism(t, prismSpec)
	rec := contract.NewRecorder()
	c, err := v1.NewClient(base, v1.WithOAuth2(sdk.StaticToken("contract-token")), sdk.WithMaxRetries(0), rec.Option())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := testenv.Context(t, 60*time.Second)

	const (
		db   = "projects/demo-project/databases/(default)"
		root = db + "/documents"
		doc  = root + "/rooms/lobby"
	)
	fields, err := firestore.Encode(map[string]any{
		"topic": "Go", "members": int64(3), "score": 4.5, "open": true, "at": time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC),
		"logo": []byte{1, 2}, "where": firestore.GeoPoint{Lat: 1, Lng: 2}, "owner": firestore.Reference(root + "/users/ada"),
		"tags": []string{"a"}, "meta": map[string]any{"x": nil},
	})
	if err != nil {
		t.Fatal(err)
	}
	document := &v1.Document{Fields: fields}

	check := func(name string, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err = c.Documents.Get(ctx, doc, &v1.FirestoreProjectsDatabasesDocumentsGetParams{MaskFieldPaths: &[]string{"topic"}})
	check("Get", err)
	_, err = c.Documents.Patch(ctx, doc, &v1.FirestoreProjectsDatabasesDocumentsPatchParams{
		UpdateMaskFieldPaths: &[]string{"topic"}, CurrentDocumentExists: ptr(true)}, document)
	check("Patch", err)
	_, err = c.Documents.Delete(ctx, doc, nil)
	check("Delete", err)
	_, err = c.Documents.CreateDocument(ctx, doc, "messages", &v1.FirestoreProjectsDatabasesDocumentsCreateDocumentParams{DocumentID: ptr("m1")}, document)
	check("CreateDocument", err)
	for _, err := range c.Documents.List(ctx, doc, "messages", &v1.FirestoreProjectsDatabasesDocumentsListParams{PageSize: ptr[int32](2)}).All() {
		check("List", err)
		break
	}
	val, _ := firestore.EncodeValue("hi")
	op := v1.FieldFilterOp("EQUAL")
	query := &v1.StructuredQuery{
		From:  []v1.CollectionSelector{{CollectionID: ptr("messages")}},
		Where: &v1.Filter{FieldFilter: &v1.FieldFilter{Field: &v1.FieldReference{FieldPath: ptr("text")}, Op: &op, Value: &val}},
		Limit: ptr[int32](10),
	}
	_, err = c.Documents.RunQuery(ctx, doc, &v1.RunQueryRequest{StructuredQuery: query})
	check("RunQuery", err)
	_, err = c.Documents.RunAggregationQuery(ctx, doc, &v1.RunAggregationQueryRequest{StructuredAggregationQuery: &v1.StructuredAggregationQuery{
		StructuredQuery: query, Aggregations: []v1.Aggregation{{Alias: ptr("n"), Count: &v1.Count{}}}}})
	check("RunAggregationQuery", err)
	_, err = c.Documents.ListCollectionIDs(ctx, doc, &v1.ListCollectionIDsRequest{PageSize: ptr[int32](10)})
	check("ListCollectionIDs", err)
	_, err = c.Documents.BatchGet(ctx, db, &v1.BatchGetDocumentsRequest{Documents: []string{doc}})
	check("BatchGet", err)
	tx, err := c.Documents.BeginTransaction(ctx, db, &v1.BeginTransactionRequest{})
	check("BeginTransaction", err)
	var txID []byte
	if tx != nil {
		txID = tx.Transaction
	}
	_, err = c.Documents.Commit(ctx, db, &v1.CommitRequest{Writes: []v1.Write{{Update: &v1.Document{Name: ptr(doc), Fields: fields}}}})
	check("Commit", err)
	if txID == nil {
		txID = []byte{1}
	}
	_, err = c.Documents.Rollback(ctx, db, &v1.RollbackRequest{Transaction: &txID})
	check("Rollback", err)
	rec.Check(t, prismSpec)
}
