package testenv

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The pinned components are installed and start on loopback.
func TestComponentsStart(t *testing.T) {
	t.Run("json-server", func(t *testing.T) {
		bin := NodeBin(t, "json-server")
		dir := t.TempDir()
		db := filepath.Join(dir, "db.json")
		if err := os.WriteFile(db, []byte(`{"items": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]}`), 0o644); err != nil {
			t.Fatal(err)
		}
		port := FreePort(t)
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		Start(t, dir, HTTPReady(base+"/items"), 30*time.Second, bin, "--host", "127.0.0.1", "--port", fmt.Sprint(port), db)
		resp, err := http.Get(base + "/items?_page=1&_limit=1")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"name": "a"`) {
			t.Fatalf("json-server answered %s: %s", resp.Status, body)
		}
		if resp.Header.Get("Link") == "" {
			t.Errorf("json-server 0.17.4 should send a Link header for _page requests")
		}
	})
	t.Run("prism", func(t *testing.T) {
		bin := NodeBin(t, "prism")
		dir := t.TempDir()
		spec := filepath.Join(dir, "api.yaml")
		if err := os.WriteFile(spec, []byte("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /ping:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {type: object, properties: {ok: {type: boolean}}, required: [ok]}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		port := FreePort(t)
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		Start(t, dir, HTTPReady(base+"/ping"), 60*time.Second, bin, "mock", "--host", "127.0.0.1", "--port", fmt.Sprint(port), "--errors", spec)
		resp, err := http.Get(base + "/ping")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("prism answered %s", resp.Status)
		}
	})
	t.Run("oauth2-mock-server", func(t *testing.T) {
		NodeModule(t, "oauth2-mock-server")
	})
}
