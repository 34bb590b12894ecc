package graphql

import (
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

func TestGoNames(t *testing.T) {
	src := `package p

import (
	"encoding/json"

	"github.com/Khan/genqlient/graphql"
)

// GetId returns Node.Id, and is useful for accessing the field via an interface.
type Node struct {
	Id     string ` + "`json:\"id\"`" + `
	ID     string ` + "`json:\"ID\"`" + `
	WebUrl string ` + "`json:\"webUrl\"`" + `
}

func (v *Node) GetId() string { return v.Id }

type Wrapper struct {
	NodeId ` + "`json:\"-\"`" + `
}

type NodeId struct{ Url string }

type __GetNodeInput struct {
	NodeId string ` + "`json:\"nodeId\"`" + `
}

const GetNode_Operation = "query GetNode($nodeId: ID!) { node(id: $nodeId) { id } }"

func GetNode(ctx_ context.Context, client_ graphql.Client, nodeId string) (*Node, error) {
	req_ := &graphql.Request{OpName: "GetNode", Query: GetNode_Operation, Variables: &__GetNodeInput{NodeId: nodeId}}
	w := Wrapper{NodeId: NodeId{Url: "u"}}
	_ = w.NodeId.Url
	_, _ = json.Marshal(req_)
	return nil, nil
}
`
	out, renames, err := goNames([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := string(out)
	if _, err := parser.ParseFile(token.NewFileSet(), "", out, 0); err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, got)
	}
	for _, want := range []string{
		"// GetID returns Node.Id, and", // Id stays: Node.ID is taken, so the field keeps its name
		"WebURL string `json:\"webUrl\"`",
		"func (v *Node) GetID() string { return v.Id }",
		"type Wrapper struct {\n\tNodeID `json:\"-\"`",
		"type NodeID struct{ URL string }",
		"type getNodeInput struct {\n\tNodeID string `json:\"nodeId\"`",
		"const GetNodeOperation = ",
		"func GetNode(ctx_ context.Context, client_ graphql.Client, nodeID string)",
		"&graphql.Request{OpName: \"GetNode\", Query: GetNodeOperation, Variables: &getNodeInput{NodeID: nodeID}}",
		"w := Wrapper{NodeID: NodeID{URL: \"u\"}}",
		"_ = w.NodeID.URL",
		"json.Marshal(req_)",
		"$nodeId: ID!", // the query is text
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if renames["GetNode_Operation"] != "GetNodeOperation" || renames["nodeId"] != "nodeID" {
		t.Errorf("renames = %v", renames)
	}
	if _, ok := renames["ctx_"]; ok {
		t.Errorf("genqlient's local name ctx_ renamed: %v", renames)
	}
	// The same input gives the same output.
	again, _, _ := goNames([]byte(src))
	if string(again) != got {
		t.Error("goNames is not deterministic")
	}
}
