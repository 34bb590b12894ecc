package fbauth_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sdkgen-go/sdkgen/sdk/firebase/fbauth"
)

// A service account's key signs a JWT assertion (RS256) that the token
// endpoint exchanges for an access token: the endpoint here checks the
// signature with the public key, the grant type, the audience and the
// scopes, as Google's does.
func TestServiceAccount(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		r.ParseForm()
		fail := func(msg string) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant", "error_description": msg})
		}
		if r.Form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
			fail("grant type")
			return
		}
		parts := strings.Split(r.Form.Get("assertion"), ".")
		if len(parts) != 3 {
			fail("assertion")
			return
		}
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], sig) != nil {
			fail("Invalid JWT Signature.")
			return
		}
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var claims struct {
			Iss, Aud, Scope string
		}
		json.Unmarshal(payload, &claims)
		if claims.Iss != "sdk@demo-sdkgen.iam.gserviceaccount.com" || claims.Aud != "http://"+r.Host+"/token" ||
			claims.Scope != fbauth.ScopeDatabase+" "+fbauth.ScopeEmail+" "+fbauth.ScopeDatastore {
			fail("claims")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"ya29.service-token","token_type":"Bearer","expires_in":3599}`))
	}))
	defer srv.Close()

	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	jsonKey, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "demo-sdkgen", "private_key_id": "k1",
		"private_key": string(pemKey), "client_email": "sdk@demo-sdkgen.iam.gserviceaccount.com",
		"client_id": "1", "token_uri": srv.URL + "/token",
	})
	src, err := fbauth.ServiceAccount(jsonKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		tok, err := src.Token(context.Background())
		if err != nil || tok.AccessToken != "ya29.service-token" || tok.Expiry.IsZero() {
			t.Fatalf("token: %v, %v", tok, err)
		}
	}
	if requests.Load() != 1 || src.TokenIdentity() != "service-account:sdk@demo-sdkgen.iam.gserviceaccount.com" {
		t.Fatalf("%d token requests (want 1, then cached), identity %q", requests.Load(), src.TokenIdentity())
	}

	// Another key signs: the endpoint refuses, and the error is typed.
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	badKey, _ := json.Marshal(map[string]string{
		"type": "service_account", "private_key": string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(other)})),
		"client_email": "sdk@demo-sdkgen.iam.gserviceaccount.com", "token_uri": srv.URL + "/token",
	})
	bad, err := fbauth.ServiceAccount(badKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.Token(context.Background())
	var fe *fbauth.Error
	if !errors.As(err, &fe) || fe.Code != "invalid_grant" || fe.StatusCode != 400 || !strings.Contains(err.Error(), "Invalid JWT Signature") {
		t.Fatalf("a key the endpoint does not know: %v", err)
	}
	if _, err := fbauth.ServiceAccount([]byte(`{"type":"service_account"}`), nil); err == nil {
		t.Fatal("a key file without a key: no error")
	}
}
