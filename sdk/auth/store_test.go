package auth_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/auth"
)

// The file store writes tokens readable only by their owner, in a folder
// it creates private, and reads back what it wrote.
func TestFileStoreRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cfg", "tokens.json")
	st := auth.NewFileStore(path)
	if tok, err := st.Load(); tok != nil || err != nil {
		t.Fatalf("empty store: %v, %v", tok, err)
	}
	want := &sdk.Token{AccessToken: "a-1", TokenType: "Bearer", RefreshToken: "r-1", Expiry: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	if err := st.Save(want); err != nil {
		t.Fatal(err)
	}
	got, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	if *got != *want {
		t.Errorf("loaded %+v, want %+v", *got, *want)
	}
	if runtime.GOOS != "windows" {
		info, _ := os.Stat(path)
		if info.Mode().Perm() != 0o600 {
			t.Errorf("token file mode %04o, want 0600", info.Mode().Perm())
		}
		dir, _ := os.Stat(filepath.Dir(path))
		if dir.Mode().Perm() != 0o700 {
			t.Errorf("folder mode %04o, want 0700", dir.Mode().Perm())
		}
	}
	// Saving again replaces the file, leaving no temporary file behind.
	if err := st.Save(&sdk.Token{AccessToken: "a-2", RefreshToken: "r-2"}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("folder holds %d files, want 1", len(entries))
	}
	if got, _ := st.Load(); got.RefreshToken != "r-2" || !got.Expiry.IsZero() {
		t.Errorf("after the second save: %+v", *got)
	}
}

// A token file others may read is refused, as ssh refuses such keys; a
// corrupt one is an error that does not quote the file.
func TestFileStoreRefusesOpenFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	path := filepath.Join(t.TempDir(), "tokens.json")
	if err := os.WriteFile(path, []byte(`{"refresh_token":"r-secret"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.NewFileStore(path).Load(); err == nil || !strings.Contains(err.Error(), "0600") {
		t.Fatalf("got %v, want a refusal of mode 0644", err)
	}
	if err := os.WriteFile(path, []byte(`{"refresh_token":"r-secret`), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o600)
	_, err := auth.NewFileStore(path).Load()
	if err == nil || strings.Contains(err.Error(), "r-secret") {
		t.Fatalf("corrupt file: %v", err)
	}
	// Through a source, the error is a StoreError.
	src := auth.RefreshToken(auth.Config{TokenURL: "https://auth.invalid/token"}, auth.WithTokenStore(auth.NewFileStore(path)))
	_, err = src.Token(context.Background())
	var se *auth.StoreError
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want a *auth.StoreError", err)
	}
}

// A source with a store starts from the stored token and saves every new
// one, rotated refresh token included, before callers get it.
func TestSourceWithFileStore(t *testing.T) {
	tokens := newTokenServer(t, 3600)
	tokens.rotate = true
	tokens.live["stored-refresh"] = true
	path := filepath.Join(t.TempDir(), "tokens.json")
	st := auth.NewFileStore(path)
	if err := st.Save(&sdk.Token{AccessToken: "stale", RefreshToken: "stored-refresh", Expiry: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	src := auth.RefreshToken(tokens.config(), auth.WithTokenStore(st))
	tok, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := tokens.form(0).Get("refresh_token"); got != "stored-refresh" {
		t.Errorf("sent refresh token %q, want the stored one", got)
	}
	saved, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	if saved.AccessToken != tok.AccessToken || saved.RefreshToken != "refresh-1" {
		t.Errorf("saved %+v; want the new token with the rotated refresh token", *saved)
	}
}
