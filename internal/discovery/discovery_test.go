package discovery_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/sdkgen-go/sdkgen/internal/discovery"
)

const firestore = "../../sdk/firebase/firestore/firestorev1/firestore-v1.discovery.json"

type spec struct {
	Servers []struct{ URL string }
	Paths   map[string]map[string]struct {
		OperationID string `json:"operationId"`
		Parameters  []struct {
			Name, In      string
			AllowReserved bool `json:"allowReserved"`
			Required      bool
			Schema        map[string]any
		}
		Responses map[string]struct {
			Content map[string]struct{ Schema map[string]any }
		}
	}
	Components struct {
		Schemas map[string]map[string]any
	}
}

func convert(t *testing.T, o discovery.Options) spec {
	t.Helper()
	src, err := os.ReadFile(firestore)
	if err != nil {
		t.Fatal(err)
	}
	out, err := discovery.Convert(src, o)
	if err != nil {
		t.Fatal(err)
	}
	var s spec
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// Google's reserved expansions become path parameters that allow reserved
// characters; streamed answers become arrays; schemas are those reached.
func TestFirestoreDocuments(t *testing.T) {
	s := convert(t, discovery.Options{Resource: "projects.databases.documents",
		ArrayResponses: []string{"firestore.projects.databases.documents.runQuery"}})
	if len(s.Servers) != 1 || s.Servers[0].URL != "https://firestore.googleapis.com" {
		t.Errorf("servers %+v", s.Servers)
	}
	get := s.Paths["/v1/{name}"]["get"]
	if get.OperationID != "firestore.projects.databases.documents.get" {
		t.Fatalf("GET /v1/{name} is %q", get.OperationID)
	}
	for _, p := range get.Parameters {
		if p.Name == "name" && (!p.AllowReserved || !p.Required || p.In != "path") {
			t.Errorf("name: %+v, want a required path parameter allowing reserved characters", p)
		}
		if p.Name == "mask.fieldPaths" && (p.In != "query" || p.Schema["type"] != "array") {
			t.Errorf("mask.fieldPaths: %+v, want a repeated query parameter", p)
		}
	}
	// list and listDocuments share GET /v1/{parent}/{collectionId}: the
	// first by id stays.
	if id := s.Paths["/v1/{parent}/{collectionId}"]["get"].OperationID; id != "firestore.projects.databases.documents.list" {
		t.Errorf("the alias kept is %q", id)
	}
	rq := s.Paths["/v1/{parent}:runQuery"]["post"].Responses["200"].Content["application/json"].Schema
	if rq["type"] != "array" {
		t.Errorf("runQuery answers %v, want an array", rq)
	}
	value := s.Components.Schemas["Value"]["properties"].(map[string]any)
	if ts := value["timestampValue"].(map[string]any); ts["format"] != "date-time" {
		t.Errorf("timestampValue %v", ts)
	}
	if iv := value["integerValue"].(map[string]any); iv["type"] != "string" || iv["format"] != "int64" {
		t.Errorf("integerValue %v: int64 travels as a string", iv)
	}
	if _, ok := s.Components.Schemas["GoogleFirestoreAdminV1Index"]; ok {
		t.Error("a schema of another resource was converted")
	}
}

// Segments spell a reserved parameter out for servers that match one
// segment per parameter.
func TestSegments(t *testing.T) {
	s := convert(t, discovery.Options{Resource: "projects.databases.documents",
		Methods:  []string{"firestore.projects.databases.documents.get"},
		Segments: map[string]string{"name": "projects/{project}/databases/{database}/documents/{collection}/{document}"}})
	if len(s.Paths) != 1 {
		t.Fatalf("%d paths, want 1", len(s.Paths))
	}
	op, ok := s.Paths["/v1/projects/{project}/databases/{database}/documents/{collection}/{document}"]["get"]
	if !ok {
		t.Fatalf("paths %v", s.Paths)
	}
	var names []string
	for _, p := range op.Parameters {
		if p.In == "path" {
			names = append(names, p.Name)
		}
	}
	if strings.Join(names, ",") != "project,database,collection,document" {
		t.Errorf("path parameters %v", names)
	}
}

func TestErrors(t *testing.T) {
	if _, err := discovery.Convert([]byte("{"), discovery.Options{}); err == nil {
		t.Error("broken JSON converted")
	}
	src, _ := os.ReadFile(firestore)
	if _, err := discovery.Convert(src, discovery.Options{Resource: "projects.nothing"}); err == nil {
		t.Error("a missing resource converted")
	}
}
