package sdk_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

// queryParamSecret travels as an ordinary query parameter (access_token),
// not through an auth option.
const queryParamSecret = "qparam-secret-666"

// echoError is a declared error body, whose message the server fills with
// what it received.
type echoError struct {
	Body struct {
		Message string `json:"message"`
	}
}

func (e *echoError) Error() string { return sdkimpl.DescribeBody("echoError", e.Body) }

// Error strings and logs hold no secret, whatever fails and whatever the
// server echoes: the credentials of every kind (bearer token, API key in a
// header, the query and a cookie, basic credentials as user information in
// the base URL) and a token in an ordinary query parameter, through a
// refused dial, a TLS failure, a 401 whose body echoes them (as text, as
// problem+json, as a declared error model), a 2xx body that does not
// decode, a timeout, a redirect loop, and retries that run out.
func TestNoSecretInErrorsOrLogs(t *testing.T) {
	echo := func(r *http.Request) string {
		return fmt.Sprintf("you sent Authorization=%q X-Api-Key=%q Cookie=%q URI=%q", r.Header.Get("Authorization"),
			r.Header.Get("X-Api-Key"), r.Header.Get("Cookie"), r.RequestURI)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo", r.Header.Get("Authorization")+" "+r.Header.Get("X-Api-Key"))
		switch r.URL.Path {
		case "/text401":
			http.Error(w, echo(r), http.StatusUnauthorized)
		case "/problem401":
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{"title": "bad credentials", "detail": echo(r)})
		case "/model400":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"message": echo(r)})
		case "/decode":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"echo": "`+strings.ReplaceAll(echo(r), `"`, `'`)+`", "n": tru`)
		case "/busy":
			w.Header().Set("Retry-After", "0")
			http.Error(w, echo(r), http.StatusServiceUnavailable)
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		case "/loop":
			http.Redirect(w, r, r.URL.RequestURI(), http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	tlsSrv := httptest.NewUnstartedServer(http.NotFoundHandler())
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()

	withUser := func(raw string) string {
		u, _ := url.Parse(raw)
		u.User = url.UserPassword(basicUser, basicPass)
		return u.String()
	}
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	creds := []sdk.Option{
		sdk.WithBearerToken(bearerSecret),
		sdk.WithAPIKey(sdk.InHeader, "X-Api-Key", apiKeySecret),
		sdk.WithAPIKey(sdk.InQuery, "api_key", querySecret),
		sdk.WithAPIKey(sdk.InCookie, "session", cookieSecret),
		sdk.WithLogger(logger),
		// Even headers a user allowlisted for logging lose the secrets.
		sdk.WithLogHeaders("Authorization", "X-Api-Key", "Cookie", "Set-Cookie", "X-Echo"),
		sdk.WithRetry(sdk.RetryPolicy{MaxRetries: 2, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}),
	}
	c := newClientT(t, withUser(srv.URL), creds...)
	basic := newClientT(t, withUser(srv.URL), sdk.WithBasicAuth(basicUser, basicPass), sdk.WithLogger(logger),
		sdk.WithLogHeaders("Authorization", "X-Echo"), sdk.WithoutRetries())
	tlsClient := newClientT(t, withUser(tlsSrv.URL), creds...)

	call := func(c *sdk.Client, path string, opts ...sdk.Option) error {
		op := &sdk.Operation{ID: "op" + strings.TrimPrefix(path, "/"), Errors: map[string]sdkimpl.ErrorDecoder{
			"400": sdkimpl.JSONError(func(e *echoError) any { return &e.Body }),
		}}
		resp, err := sdkimpl.Do(context.Background(), c, op, func(server string) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, server+strings.TrimPrefix(path, "/")+"?q=dog&access_token="+queryParamSecret, nil)
		}, opts...)
		if err != nil {
			return err
		}
		_, err = sdkimpl.DecodeJSON[map[string]any](resp)
		return err
	}
	cases := []struct {
		name string
		err  error
	}{
		{"dial refused", call(c, "/x", sdk.WithBaseURL(withUser("http://"+dead)))},
		{"TLS failure", call(tlsClient, "/x")},
		{"401 text echo", call(c, "/text401")},
		{"401 problem echo", call(c, "/problem401")},
		{"400 model echo", call(c, "/model400")},
		{"401 basic echo", call(basic, "/text401")},
		{"decode error", call(c, "/decode")},
		{"retries run out", call(c, "/busy")},
		{"attempt timeout", call(c, "/slow", sdk.WithAttemptTimeout(20*time.Millisecond))},
		{"call timeout", call(c, "/slow", sdk.WithTimeout(20*time.Millisecond))},
		{"redirect loop", call(c, "/loop")},
	}
	secrets := append([]string{queryParamSecret, base64.StdEncoding.EncodeToString([]byte(basicUser + ":" + basicPass))}, allSecrets...)
	for _, tc := range cases {
		if tc.err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		msg := tc.err.Error() + " " + fmt.Sprintf("%v %+v %s", tc.err, tc.err, tc.err)
		for _, s := range secrets {
			if strings.Contains(msg, s) {
				t.Errorf("%s: the error leaks %q: %v", tc.name, s, tc.err)
			}
		}
		t.Logf("%s: %v", tc.name, tc.err)
	}
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	for _, want := range []string{"sdk: attempt", "sdk: retrying", "status=401", "X-Echo"} {
		if !strings.Contains(out, want) {
			t.Errorf("the logs lack %q: the test does not see what it should", want)
		}
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			for _, line := range strings.Split(out, "\n") {
				if strings.Contains(line, s) {
					t.Errorf("the logs leak %q: %s", s, line)
				}
			}
		}
	}
}
