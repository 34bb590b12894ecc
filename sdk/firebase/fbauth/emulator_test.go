package fbauth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sdkgen-go/sdkgen/internal/testenv"
	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/auth"
	"github.com/sdkgen-go/sdkgen/sdk/firebase/fbauth"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const apiKey = "fake-api-key-for-the-emulator"

// countingTransport counts the token requests that reach Secure Token.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.Contains(r.URL.Path, "securetoken") {
		c.n.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// clock is a settable clock.
type clock struct{ at atomic.Int64 }

func newClock() *clock { c := &clock{}; c.set(time.Now()); return c }

func (c *clock) now() time.Time  { return time.Unix(0, c.at.Load()) }
func (c *clock) set(t time.Time) { c.at.Store(t.UnixNano()) }

// bearerServer answers 200 to bearer tokens that ok accepts and 401 to the
// others, and counts what it saw.
func bearerServer(t *testing.T, ok func(tok string) bool) (*httptest.Server, *sync.Map) {
	var seen sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		n, _ := seen.LoadOrStore(tok, new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
		if !ok(tok) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func get(ctx context.Context, c *sdk.Client) error {
	resp, err := sdkimpl.Do(ctx, c, &sdk.Operation{ID: "get", Method: http.MethodGet}, func(server string) (*http.Request, error) {
		return http.NewRequest(http.MethodGet, server+"x", nil)
	})
	if err == nil {
		resp.Body.Close()
	}
	return err
}

// unsignedCustomToken is a custom token as the Admin SDK makes them, but
// unsigned (alg none), which the emulator accepts.
func unsignedCustomToken(uid string) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	now := time.Now().Unix()
	return enc(map[string]any{"alg": "none", "typ": "JWT"}) + "." + enc(map[string]any{
		"aud": "https://identitytoolkit.googleapis.com/google.identity.identitytoolkit.v1.IdentityToolkit",
		"iat": now, "exp": now + 3600, "iss": "sa@demo-sdkgen.iam.gserviceaccount.com",
		"sub": "sa@demo-sdkgen.iam.gserviceaccount.com", "uid": uid,
	}) + "."
}

// Against the Firebase Auth emulator (npm firebase-tools): sign-up,
// sign-in, anonymous and custom-token sign-in, typed errors, refresh
// through Secure Token persisted in a token store, a single refresh for
// 1,000 concurrent calls whose token reached its expiry, a refresh on 401,
// and a revoked refresh token as a typed error.
func TestAuthEmulator(t *testing.T) {
	emu := testenv.StartAuthEmulator(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	clk := newClock()
	c, err := fbauth.NewClient(apiKey, fbauth.WithEmulator(emu.Host), fbauth.WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	sess, err := c.SignUp(ctx, "ada@example.com", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if sess.UserID == "" || sess.IDToken == "" || sess.RefreshToken == "" || !sess.NewUser ||
		sess.Expiry.Sub(clk.now()) < 59*time.Minute {
		t.Fatalf("sign-up session %v", sess)
	}
	if strings.Contains(fmt.Sprintf("%v %+v %#v", *sess, *sess, *sess), sess.IDToken) {
		t.Error("printing a session shows its ID token")
	}

	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			call func() error
			want *fbauth.Error
		}{
			{"wrong password", func() error {
				_, err := c.SignInWithPassword(ctx, "ada@example.com", "wrong horse")
				return err
			}, fbauth.ErrInvalidPassword},
			{"unknown email", func() error {
				_, err := c.SignInWithPassword(ctx, "nobody@example.com", "x123456")
				return err
			}, fbauth.ErrEmailNotFound},
			{"email taken", func() error {
				_, err := c.SignUp(ctx, "ada@example.com", "another one")
				return err
			}, fbauth.ErrEmailExists},
			{"weak password", func() error {
				_, err := c.SignUp(ctx, "bob@example.com", "123")
				return err
			}, fbauth.ErrWeakPassword},
			{"bad custom token", func() error {
				_, err := c.SignInWithCustomToken(ctx, "not-a-jwt")
				return err
			}, fbauth.ErrInvalidCustomToken},
		} {
			err := tc.call()
			var fe *fbauth.Error
			if !errors.Is(err, tc.want) || !errors.As(err, &fe) || fe.StatusCode != 400 {
				t.Errorf("%s: %v, want %s", tc.name, err, tc.want.Code)
			}
			if err != nil && (strings.Contains(err.Error(), apiKey) || strings.Contains(err.Error(), "horse")) {
				t.Errorf("%s: the error shows a secret: %v", tc.name, err)
			}
		}
	})

	t.Run("sign-in", func(t *testing.T) {
		s, err := c.SignInWithPassword(ctx, "ada@example.com", "correct horse")
		if err != nil || s.UserID != sess.UserID || s.Email != "ada@example.com" {
			t.Fatalf("sign-in: %v, %v", s, err)
		}
		anon, err := c.SignInAnonymously(ctx)
		if err != nil || anon.UserID == "" || anon.UserID == sess.UserID || anon.RefreshToken == "" {
			t.Fatalf("anonymous: %v, %v", anon, err)
		}
		custom, err := c.SignInWithCustomToken(ctx, unsignedCustomToken("custom-uid-1"))
		if err != nil || custom.UserID != "custom-uid-1" {
			t.Fatalf("custom token: %v, %v", custom, err)
		}
		u, err := c.LookUp(ctx, custom.IDToken)
		if err != nil || u.UserID != "custom-uid-1" {
			t.Fatalf("look up: %+v, %v", u, err)
		}
	})

	t.Run("refresh persisted", func(t *testing.T) {
		store := auth.NewFileStore(filepath.Join(t.TempDir(), "token.json"))
		var ct countingTransport
		src := c.TokenSource(sess.Token(), auth.WithTokenStore(store), auth.WithHTTPClient(&http.Client{Transport: &ct}))
		first, err := src.Token(ctx)
		if err != nil || first.AccessToken != sess.IDToken || ct.n.Load() != 0 {
			t.Fatalf("a fresh session's token: %v, %v (%d refreshes)", first, err, ct.n.Load())
		}
		time.Sleep(1100 * time.Millisecond) // the emulator's iat is in seconds
		next, err := src.Refresh(ctx, first)
		if err != nil || ct.n.Load() != 1 {
			t.Fatalf("refresh: %v, %v (%d requests)", next, err, ct.n.Load())
		}
		saved, err := store.Load()
		if err != nil || saved.AccessToken != next.AccessToken || saved.RefreshToken == "" {
			t.Fatalf("the store holds %v, %v; want the refreshed token", saved, err)
		}
		// A new program run starts from the store.
		again := c.TokenSource(nil, auth.WithTokenStore(store))
		if tok, err := again.Token(ctx); err != nil || tok.AccessToken != next.AccessToken {
			t.Fatalf("from the store: %v, %v", tok, err)
		}
		if u, err := c.LookUp(ctx, next.AccessToken); err != nil || u.UserID != sess.UserID {
			t.Fatalf("the refreshed ID token at the emulator: %+v, %v", u, err)
		}
	})

	t.Run("1000 calls at expiry", func(t *testing.T) {
		s, err := c.SignInWithPassword(ctx, "ada@example.com", "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		var ct countingTransport
		var changes atomic.Int64
		src := c.TokenSource(s.Token(), auth.WithHTTPClient(&http.Client{Transport: &ct}),
			auth.WithOnTokenChange(func(*sdk.Token) error { changes.Add(1); return nil }))
		srv, seen := bearerServer(t, func(tok string) bool { return tok != "" })
		api, err := sdk.NewClient(srv.URL, sdk.WithTokenSource(src))
		if err != nil {
			t.Fatal(err)
		}
		defer api.Close()
		// The emulator's tokens are a function of their claims, whose iat is
		// in seconds: let a second pass so that the refreshed token differs.
		time.Sleep(1100 * time.Millisecond)
		clk.set(s.Expiry.Add(time.Second)) // the token's known expiry has passed
		const n = 1000
		var wg sync.WaitGroup
		errs := make(chan error, n)
		start := make(chan struct{})
		for range n {
			wg.Go(func() {
				<-start
				if err := get(ctx, api); err != nil {
					errs <- err
				}
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if ct.n.Load() != 1 || changes.Load() != 1 {
			t.Fatalf("%d Secure Token requests and %d new tokens for %d concurrent calls, want 1", ct.n.Load(), changes.Load(), n)
		}
		tokens := 0
		seen.Range(func(k, v any) bool {
			tokens++
			if k.(string) == s.IDToken {
				t.Errorf("%d calls sent the expired token", v.(*atomic.Int64).Load())
			}
			return true
		})
		if tokens != 1 {
			t.Errorf("the calls carried %d tokens, want 1", tokens)
		}
		t.Logf("%d concurrent calls at expiry: %d refresh, %d token", n, ct.n.Load(), tokens)
	})

	t.Run("401 refreshes once", func(t *testing.T) {
		s, err := c.SignInWithPassword(ctx, "ada@example.com", "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(1100 * time.Millisecond) // a new iat, so a new token
		var ct countingTransport
		src := c.TokenSource(s.Token(), auth.WithHTTPClient(&http.Client{Transport: &ct}))
		srv, _ := bearerServer(t, func(tok string) bool { return tok != s.IDToken }) // the server refuses the first token
		api, err := sdk.NewClient(srv.URL, sdk.WithTokenSource(src))
		if err != nil {
			t.Fatal(err)
		}
		defer api.Close()
		if err := get(ctx, api); err != nil || ct.n.Load() != 1 {
			t.Fatalf("call: %v, with %d refreshes; want success after one", err, ct.n.Load())
		}
	})

	t.Run("revoked refresh token", func(t *testing.T) {
		victim, err := c.SignUp(ctx, "eve@example.com", "to be disabled")
		if err != nil {
			t.Fatal(err)
		}
		src := c.TokenSource(victim.Token())
		emu.Admin(t, "accounts:update", map[string]any{"localId": victim.UserID, "disableUser": true})
		_, err = src.Refresh(ctx, victim.Token())
		var fe *fbauth.Error
		if !errors.Is(err, fbauth.ErrUserDisabled) || !fbauth.SignInAgain(err) || !errors.As(err, &fe) || fe.Op != "refresh" {
			t.Fatalf("refresh of a disabled user's token: %v, want USER_DISABLED", err)
		}
		// Through a call: the SDK's *AuthError wraps the same error.
		srv, _ := bearerServer(t, func(string) bool { return false })
		api, err := sdk.NewClient(srv.URL, sdk.WithTokenSource(c.TokenSource(&sdk.Token{AccessToken: "x", RefreshToken: victim.RefreshToken})))
		if err != nil {
			t.Fatal(err)
		}
		defer api.Close()
		err = get(ctx, api)
		var ae *sdk.AuthError
		if !errors.As(err, &ae) || !errors.Is(err, fbauth.ErrUserDisabled) {
			t.Fatalf("call with a revoked refresh token: %v", err)
		}
		emu.Admin(t, "accounts:delete", map[string]any{"localId": victim.UserID})
		_, err = c.TokenSource(victim.Token()).Refresh(ctx, victim.Token())
		if !errors.Is(err, fbauth.ErrInvalidRefreshToken) || !fbauth.SignInAgain(err) {
			t.Fatalf("refresh of a deleted user's token: %v", err)
		}
		_, err = c.TokenSource(&sdk.Token{RefreshToken: "garbage"}).Token(ctx)
		if !errors.Is(err, fbauth.ErrInvalidRefreshToken) {
			t.Fatalf("garbage refresh token: %v", err)
		}
		for _, s := range []string{victim.RefreshToken, apiKey} {
			if strings.Contains(err.Error(), s) {
				t.Errorf("the error shows a secret: %v", err)
			}
		}
	})
}
