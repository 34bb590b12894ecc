package gonames

import (
	"go/token"
	"slices"
	"testing"
)

func TestWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"repos/list-for-user", []string{"repos", "list", "for", "user"}},
		{"listForUser", []string{"list", "For", "User"}},
		{"HTTPServer", []string{"HTTP", "Server"}},
		{"userIDs", []string{"user", "IDs"}},
		{"URLs", []string{"URLs"}},
		{"getHTTPSUrl", []string{"get", "HTTPS", "Url"}},
		{"base64Url", []string{"base64", "Url"}},
		{"oauth2.0", []string{"oauth2", "0"}},
		{"x-axis", []string{"x", "axis"}},
		{"_page", []string{"page"}},
		{"STATUS_CODE", []string{"STATUS", "CODE"}},
		{"Pet_v2", []string{"Pet", "v2"}},
		{"microsoft.graph.user", []string{"microsoft", "graph", "user"}},
		{"获取 用户", []string{"获取", "用户"}},
		{"$", nil},
		{"", nil},
	} {
		if got := Words(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("Words(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestExported(t *testing.T) {
	n := New()
	for _, tc := range []struct{ in, want string }{
		{"repos/list-for-user", "ReposListForUser"},
		{"user_id", "UserID"},
		{"id", "ID"},
		{"Id", "ID"},
		{"userId", "UserID"},
		{"userIDs", "UserIDs"},
		{"ids", "IDs"},
		{"api_key", "APIKey"},
		{"ApiKey", "APIKey"},
		{"apiKeys", "APIKeys"},
		{"html_url", "HTMLURL"},
		{"getHTTPSUrl", "GetHTTPSURL"},
		{"oauth2.0", "OAuth20"},
		{"petstore_auth", "PetstoreAuth"},
		{"ACTIVE", "Active"},
		{"in_progress", "InProgress"},
		{"SKU", "SKU"},
		{"sku", "Sku"},
		{"2fa", "N2fa"},
		{"404", "N404"},
		{"x-axis", "XAxis"},
		{"获取", "X获取"},
		{"$", ""},
		{"audit-log.API", "AuditLogAPI"},
		{"iPhone", "IPhone"},
		{"has_more", "HasMore"},
		{"oauth2token", "OAuth2Token"},
		{"v2beta", "V2Beta"},
		{"2xx", "N2xx"},
	} {
		if got := n.Exported(tc.in); got != tc.want {
			t.Errorf("Exported(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := n.Exported(tc.in); got != "" && !token.IsIdentifier(got) {
			t.Errorf("Exported(%q) = %q: not an identifier", tc.in, got)
		}
	}
}

// TestExportedIdempotent: a name normalized again keeps its form, so a
// name oapi-codegen passes through its normalizer a second time (an
// x-go-name, an operationId) is not changed.
func TestExportedIdempotent(t *testing.T) {
	n := New()
	for _, in := range []string{
		"repos/list-for-user", "user_id", "userIDs", "html_url", "getHTTPSUrl", "oauth2.0",
		"ACTIVE", "SKU", "x-axis", "microsoft.graph.user", "UUIDv4", "Base64Encoded", "gid",
		"HTTPURLs", "api/v1/users", "DBTS", "IPAddress", "TLSConfig",
	} {
		once := n.Exported(in)
		if twice := n.Exported(once); twice != once {
			t.Errorf("Exported(%q) = %q, but Exported(%q) = %q", in, once, once, twice)
		}
	}
}

func TestExtraInitialisms(t *testing.T) {
	n := New("SKU", "GraphQL")
	if got := n.Exported("sku_list"); got != "SKUList" {
		t.Errorf("got %q", got)
	}
	if got := n.Exported("graphql_endpoint"); got != "GraphQLEndpoint" {
		t.Errorf("got %q", got)
	}
}

func TestUnexported(t *testing.T) {
	n := New()
	for _, tc := range []struct{ in, want string }{
		{"PetID", "petID"},
		{"id", "id"},
		{"URL", "url"},
		{"HTTPClient", "httpClient"},
		{"user-name", "userName"},
		{"2fa", "n2fa"},
	} {
		if got := n.Unexported(tc.in); got != tc.want {
			t.Errorf("Unexported(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFileStem(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"AuditLogAPI", "audit_log_api"},
		{"Pets", "pets"},
		{"GrünstromIndex", "gru00fcnstrom_index"},
	} {
		if got := FileStem(tc.in); got != tc.want {
			t.Errorf("FileStem(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestJoinAndTrim(t *testing.T) {
	if got := JoinWords("AuditLogAPI", "API"); got != "AuditLogAPI" {
		t.Errorf("JoinWords = %q", got)
	}
	if got := JoinWords("Pets", "Service"); got != "PetsService" {
		t.Errorf("JoinWords = %q", got)
	}
}

func TestTrimCommonWords(t *testing.T) {
	for _, tc := range []struct{ name, prefix, want string }{
		{"DrivesItemsListChildren", "DrivesDriveItem", "ItemsListChildren"},
		{"UsersUserListUser", "UsersUser", "ListUser"},
		{"ReposListForUser", "Repos", "ListForUser"},
		{"PetsGet", "Store", "PetsGet"},
		{"Repos", "Repos", "Repos"},
		{"Repos2Get", "Repos", "Repos2Get"},
	} {
		if got := TrimCommonWords(tc.name, tc.prefix); got != tc.want {
			t.Errorf("TrimCommonWords(%q, %q) = %q, want %q", tc.name, tc.prefix, got, tc.want)
		}
	}
}
