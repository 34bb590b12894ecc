package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk"
)

// TokenStore keeps a token between runs of a program. [WithTokenStore]
// loads from it once and saves every new token to it. Implementations must
// be safe for concurrent use.
type TokenStore interface {
	// Load returns the saved token, or nil and no error when there is none.
	Load() (*sdk.Token, error)
	// Save replaces the saved token.
	Save(*sdk.Token) error
}

// FileStore keeps a token in a JSON file readable only by its owner (mode
// 0600, in a folder it creates with mode 0700), for command-line programs.
// Saves are atomic: the file is written aside and renamed over the old
// one, so a crash never leaves half a token. Load refuses a file that
// others may read, as ssh does with keys.
type FileStore struct {
	path string
	mu   sync.Mutex
}

// NewFileStore returns a store in the file at path.
func NewFileStore(path string) *FileStore { return &FileStore{path: path} }

var _ TokenStore = (*FileStore)(nil)

// fileToken is the file's format.
type fileToken struct {
	AccessToken  string     `json:"access_token,omitempty"`
	TokenType    string     `json:"token_type,omitempty"`
	RefreshToken string     `json:"refresh_token,omitempty"`
	Expiry       *time.Time `json:"expiry,omitempty"`
}

// Load reads the token; a missing file is no token.
func (f *FileStore) Load() (*sdk.Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	info, err := os.Stat(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("token file %s may be read by others (mode %04o): make it 0600", f.path, info.Mode().Perm())
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		return nil, err
	}
	var ft fileToken
	if err := json.Unmarshal(data, &ft); err != nil {
		// The JSON error never quotes the file's content.
		return nil, fmt.Errorf("token file %s is not valid: %v", f.path, err)
	}
	t := &sdk.Token{AccessToken: ft.AccessToken, TokenType: ft.TokenType, RefreshToken: ft.RefreshToken}
	if ft.Expiry != nil {
		t.Expiry = *ft.Expiry
	}
	return t, nil
}

// Save writes t atomically with mode 0600.
func (f *FileStore) Save(t *sdk.Token) error {
	if t == nil {
		return errors.New("nil token")
	}
	ft := fileToken{AccessToken: t.AccessToken, TokenType: t.TokenType, RefreshToken: t.RefreshToken}
	if !t.Expiry.IsZero() {
		e := t.Expiry.UTC()
		ft.Expiry = &e
	}
	data, err := json.MarshalIndent(ft, "", "  ")
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	dir := filepath.Dir(f.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(f.path)+".*.tmp") // mode 0600
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		return err
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		return err
	}
	done = true
	return nil
}
