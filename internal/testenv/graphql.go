package testenv

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// GraphQLServer is graphql-yoga 5 with graphql-ws 6 (npm, pinned in
// node/package.json) serving examples/catalog/schema.graphql, started by
// node/graphql-server.mjs on 127.0.0.1. See that script for its tokens,
// faults and log.
type GraphQLServer struct {
	// URL is the GraphQL endpoint (http://127.0.0.1:port/graphql).
	URL  string
	Port int
	// Secret signs tokens; empty when the server checks none.
	Secret string

	args  []string
	mu    sync.Mutex
	procs []*Process
}

// GraphQLOptions configures StartGraphQL.
type GraphQLOptions struct {
	// Secret makes the server check bearer tokens signed with it (see
	// Token).
	Secret string
	// AuthErrorsAs200 makes the server refuse a bad token with a 200 whose
	// error code is UNAUTHENTICATED, as many GraphQL servers do, instead of
	// a 401.
	AuthErrorsAs200 bool
}

// StartGraphQL starts the server on a free port, or skips (fails in CI)
// when the npm components are not installed.
func StartGraphQL(t testing.TB, o GraphQLOptions) *GraphQLServer {
	t.Helper()
	mod := NodeModule(t, "graphql-yoga")
	NodeModule(t, "graphql-ws")
	_, file, _, _ := runtime.Caller(0)
	schema := filepath.Join(filepath.Dir(file), "..", "..", "examples", "catalog", "schema.graphql")
	script := filepath.Join(filepath.Dir(filepath.Dir(mod)), "graphql-server.mjs")
	port := FreePort(t)
	s := &GraphQLServer{URL: fmt.Sprintf("http://127.0.0.1:%d/graphql", port), Port: port, Secret: o.Secret,
		args: []string{script, "--port", strconv.Itoa(port), "--schema", schema}}
	if o.Secret != "" {
		s.args = append(s.args, "--secret", o.Secret)
	}
	if o.AuthErrorsAs200 {
		s.args = append(s.args, "--auth-errors-as-200")
	}
	s.Restart(t)
	return s
}

// Restart starts the server again on the same port (after Kill).
func (s *GraphQLServer) Restart(t testing.TB) {
	t.Helper()
	p := Start(t, filepath.Dir(s.args[0]), HTTPReady(strings.TrimSuffix(s.URL, "/graphql")+"/_log"), 30*time.Second, "node", s.args...)
	s.mu.Lock()
	s.procs = append(s.procs, p)
	s.mu.Unlock()
}

// Kill kills the running server at once.
func (s *GraphQLServer) Kill() {
	s.mu.Lock()
	p := s.procs[len(s.procs)-1]
	s.mu.Unlock()
	p.Kill()
}

// Fault makes the next count requests of operation answer with status (an
// HTTP status, or "rate-limit-200" for a 200 carrying a RATE_LIMITED
// error).
func (s *GraphQLServer) Fault(t testing.TB, operation string, status any, count int) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"operation": operation, "status": status, "count": count})
	resp, err := http.Post(strings.TrimSuffix(s.URL, "/graphql")+"/_fault", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// GraphQLEvent is an entry of the server's log: a request or a WebSocket
// event.
type GraphQLEvent struct {
	Kind      string `json:"kind"` // http, connection_init, subscribe, complete
	Method    string `json:"method"`
	Operation string `json:"operation"`
	HasQuery  bool   `json:"hasQuery"`
	Key       string `json:"key"`
	Auth      string `json:"auth"`
	Rejected  string `json:"rejected"`
	Server    string `json:"server"`
	ID        string `json:"id"`
}

// Log returns what every run of the server logged, in order.
func (s *GraphQLServer) Log() []GraphQLEvent {
	s.mu.Lock()
	procs := append([]*Process(nil), s.procs...)
	s.mu.Unlock()
	var out []GraphQLEvent
	for _, p := range procs {
		sc := bufio.NewScanner(strings.NewReader(p.Logs()))
		for sc.Scan() {
			var line struct {
				Log *GraphQLEvent `json:"log"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Log != nil {
				out = append(out, *line.Log)
			}
		}
	}
	return out
}

// Token returns a token the server accepts until ttl from now; n makes it
// distinct.
func (s *GraphQLServer) Token(ttl time.Duration, n int) string {
	body := fmt.Sprintf("tok.%d.%d", time.Now().Add(ttl).UnixMilli(), n)
	m := hmac.New(sha256.New, []byte(s.Secret))
	m.Write([]byte(body))
	return body + "." + hex.EncodeToString(m.Sum(nil))
}
