// Package ghfake is a local stand-in for the part of api.github.com that
// examples/github calls, for tests and examples: it lists a user's
// repositories the way GitHub does, on a loopback httptest server.
//
// What it reproduces, as GitHub documents and sends it:
//
//   - GET /users/{username}/repos with type, sort, direction, per_page
//     (default 30, at most 100) and page (from 1);
//   - a Link header on every page of a list longer than one page, its
//     links in GitHub's order (prev, next, last, first) and pointing at
//     /user/{id}/repos, as GitHub's do, with the request's other query
//     parameters kept; that path is served too;
//   - X-GitHub-Request-Id, X-RateLimit-Limit/-Remaining/-Reset/-Used/
//     -Resource, X-GitHub-Media-Type and X-GitHub-Api-Version-Selected on
//     every response;
//   - tokens as "Authorization: Bearer <token>" or "token <token>"; a wrong
//     one is a 401 "Bad credentials"; without one, the request is served
//     with the unauthenticated rate limit (60), unless Config.RequireAuth;
//   - the Accept header (JSON media types only, else 415) and the
//     X-GitHub-Api-Version header (2022-11-28 only, else 400);
//   - errors as GitHub writes them: {"message", "documentation_url",
//     "status"}, a 404 for an unknown user or path, a 403 when the rate
//     limit is used up;
//   - repository objects with every field of GitHub's minimal-repository
//     schema that the list returns.
//
// Every request is recorded (see [Server.Requests]) so tests can check
// what a client sent.
package ghfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// APIVersion is the one X-GitHub-Api-Version the server accepts.
const APIVersion = "2022-11-28"

// Documentation URLs GitHub puts in its error bodies.
const (
	docsREST      = "https://docs.github.com/rest"
	docsListRepos = "https://docs.github.com/rest/repos/repos#list-repositories-for-a-user"
	docsRateLimit = "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"
	docsMedia     = "https://docs.github.com/rest/overview/media-types"
	docsVersions  = "https://docs.github.com/rest/overview/api-versions"
)

// Epoch is the time the server's repositories are created from: repository
// i of a user is created Epoch + i days and pushed to Epoch + 2i days, so
// sorting by created and by pushed is deterministic.
var Epoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// Repo is a repository the server lists. Only what varies between
// repositories is here; the server fills in the rest of GitHub's fields.
type Repo struct {
	Name        string
	Description *string // nil is JSON null, as GitHub sends it
	Language    *string // nil is JSON null
	Stars       int
	Private     bool
	Fork        bool
	Archived    bool
	Topics      []string
}

// User is an account whose repositories the server lists.
type User struct {
	Login string
	// ID is the account's numeric id, used in the Link URLs
	// (/user/{id}/repos); 0 means one is assigned.
	ID    int64
	Repos []Repo
}

// Config configures a [Server].
type Config struct {
	// Users are the accounts the server knows.
	Users []User
	// Token is the token the server accepts. A request carrying any other
	// token gets a 401.
	Token string
	// RequireAuth refuses requests without a token (401 "Requires
	// authentication") instead of serving them unauthenticated.
	RequireAuth bool
	// RateLimit is the number of requests allowed per token (or without
	// one) before the server answers 403 "API rate limit exceeded".
	// 0 means GitHub's: 5000 with a token, 60 without.
	RateLimit int
}

// Request is what the server recorded of a request it received.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	// ID is the X-GitHub-Request-Id the server answered with.
	ID string
	// Status is the status the server answered with.
	Status int
}

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	// URL is the server's base URL (http://127.0.0.1:port), the
	// equivalent of https://api.github.com.
	URL string

	srv   *httptest.Server
	cfg   Config
	users map[string]*User // by lower-cased login
	ids   map[int64]*User
	reset time.Time

	seq      atomic.Int64
	mu       sync.Mutex
	requests []Request
	used     map[string]int // requests counted against each rate limit
}

// New starts a server. Close it when done.
func New(cfg Config) *Server {
	s := &Server{cfg: cfg, users: map[string]*User{}, ids: map[int64]*User{}, used: map[string]int{},
		reset: time.Now().Add(time.Hour).Truncate(time.Second)}
	for i := range cfg.Users {
		u := cfg.Users[i]
		if u.ID == 0 {
			u.ID = int64(583231 + i)
		}
		s.users[strings.ToLower(u.Login)] = &u
		s.ids[u.ID] = &u
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.URL = "http://" + s.srv.Listener.Addr().String() // before the server starts, which reads it
	s.srv.Start()
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Requests returns the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// NamedRepos returns n repositories named prefix-01, prefix-02, ... with
// varied descriptions, languages and star counts.
func NamedRepos(prefix string, n int) []Repo {
	langs := []string{"Go", "", "Python", "TypeScript", "Rust"}
	repos := make([]Repo, n)
	for i := range repos {
		r := Repo{Name: fmt.Sprintf("%s-%02d", prefix, i+1), Stars: (i * 37) % 101, Fork: i%4 == 3}
		if i%3 != 2 {
			d := fmt.Sprintf("Repository number %d of the %s series", i+1, prefix)
			r.Description = &d
		}
		if l := langs[i%len(langs)]; l != "" {
			r.Language = &l
		}
		if i%2 == 0 {
			r.Topics = []string{prefix, "example"}
		}
		repos[i] = r
	}
	return repos
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	n := int(s.seq.Add(1))
	// GitHub's request ids are five hex groups.
	id := fmt.Sprintf("%04X:%04X:%06X:%06X:%08X", 0xC0DE, n*7919%0xFFFF, n*104729, n*15485863%0xFFFFFF, 0x65F0A1B2+n)
	rw := &recorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(),
			Header: r.Header.Clone(), ID: id, Status: rw.status})
		s.mu.Unlock()
	}()
	h := w.Header()
	h.Set("Server", "github.com")
	h.Set("X-GitHub-Request-Id", id)
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	h.Set("X-GitHub-Api-Version-Selected", APIVersion)
	h.Set("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")

	if v := r.Header.Get("X-GitHub-Api-Version"); v != "" && v != APIVersion {
		writeError(rw, http.StatusBadRequest, fmt.Sprintf("API version '%s' is not supported.", v), docsVersions)
		return
	}
	if !acceptsJSON(r.Header.Values("Accept")) {
		writeError(rw, http.StatusUnsupportedMediaType,
			fmt.Sprintf("Unsupported 'Accept' header: %q. Must accept 'application/json'.", r.Header.Values("Accept")), docsMedia)
		return
	}
	token, hasToken, ok := bearer(r.Header.Get("Authorization"))
	switch {
	case !ok || hasToken && token != s.cfg.Token:
		writeError(rw, http.StatusUnauthorized, "Bad credentials", docsREST)
		return
	case !hasToken && s.cfg.RequireAuth:
		writeError(rw, http.StatusUnauthorized, "Requires authentication", docsREST)
		return
	}
	if !s.countRequest(rw, r, hasToken) {
		return
	}

	user := s.route(r)
	if user == nil {
		doc := docsListRepos
		if r.Method != http.MethodGet {
			doc = docsREST
		}
		writeError(rw, http.StatusNotFound, "Not Found", doc)
		return
	}
	s.list(rw, r, user)
}

// countRequest applies the rate limit and sets its headers; it answers the
// request with a 403 and returns false when the limit is used up.
func (s *Server) countRequest(w http.ResponseWriter, r *http.Request, hasToken bool) bool {
	limit, key := 60, "anonymous"
	if hasToken {
		limit, key = 5000, "token"
	}
	if s.cfg.RateLimit > 0 {
		limit = s.cfg.RateLimit
	}
	s.mu.Lock()
	s.used[key]++
	n := s.used[key]
	s.mu.Unlock()
	used := min(n, limit)
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(limit-used))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(s.reset.Unix(), 10))
	h.Set("X-RateLimit-Used", strconv.Itoa(used))
	h.Set("X-RateLimit-Resource", "core")
	if n > limit {
		msg := "API rate limit exceeded for user ID 1."
		if !hasToken {
			host, _, _ := strings.Cut(r.RemoteAddr, ":")
			msg = "API rate limit exceeded for " + host + ". (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)"
		}
		writeError(w, http.StatusForbidden, msg, docsRateLimit)
		return false
	}
	return true
}

// route finds the user of /users/{username}/repos or /user/{id}/repos.
func (s *Server) route(r *http.Request) *User {
	if r.Method != http.MethodGet {
		return nil
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) != 3 || parts[2] != "repos" {
		return nil
	}
	switch parts[0] {
	case "users":
		return s.users[strings.ToLower(parts[1])]
	case "user":
		id, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil {
			return nil
		}
		return s.ids[id]
	}
	return nil
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, u *User) {
	q := r.URL.Query()
	perPage := 30
	if v, err := strconv.Atoi(q.Get("per_page")); err == nil && v > 0 {
		perPage = min(v, 100)
	}
	page := 1
	if v, err := strconv.Atoi(q.Get("page")); err == nil && v > 0 {
		page = v
	}
	repos := make([]int, 0, len(u.Repos)) // indexes into u.Repos
	switch q.Get("type") {
	case "", "owner", "all":
		for i := range u.Repos {
			repos = append(repos, i)
		}
	case "member":
	default:
		writeValidation(w, "type")
		return
	}
	sortBy, dir := q.Get("sort"), q.Get("direction")
	if sortBy == "" {
		sortBy = "full_name"
	}
	if dir == "" {
		dir = "desc"
		if sortBy == "full_name" {
			dir = "asc"
		}
	}
	var key func(i int) string
	switch sortBy {
	case "full_name":
		key = func(i int) string { return strings.ToLower(u.Repos[i].Name) }
	case "created", "updated", "pushed":
		// The configured order is the order of creation.
		key = func(i int) string { return fmt.Sprintf("%08d", i) }
	default:
		writeValidation(w, "sort")
		return
	}
	if dir != "asc" && dir != "desc" {
		writeValidation(w, "direction")
		return
	}
	slices.SortStableFunc(repos, func(a, b int) int {
		c := strings.Compare(key(a), key(b))
		if dir == "desc" {
			c = -c
		}
		return c
	})

	last := max((len(repos)+perPage-1)/perPage, 1)
	if l := s.links(r, u, page, last); l != "" {
		w.Header().Set("Link", l)
	}
	lo, hi := min((page-1)*perPage, len(repos)), min(page*perPage, len(repos))
	out := make([]map[string]any, 0, hi-lo)
	for _, i := range repos[lo:hi] {
		out = append(out, s.repoJSON(u, i))
	}
	writeJSON(w, http.StatusOK, out)
}

// links writes the Link header of a page, as GitHub does: prev, next,
// last and first, at /user/{id}/repos with the request's other
// parameters in their order and page set.
func (s *Server) links(r *http.Request, u *User, page, last int) string {
	if last <= 1 && page <= 1 {
		return ""
	}
	at := func(p int) string {
		var parts []string
		replaced := false
		for _, kv := range strings.Split(r.URL.RawQuery, "&") {
			if kv == "" {
				continue
			}
			if k, _, _ := strings.Cut(kv, "="); k == "page" {
				if !replaced {
					parts = append(parts, "page="+strconv.Itoa(p))
					replaced = true
				}
				continue
			}
			parts = append(parts, kv)
		}
		if !replaced {
			parts = append(parts, "page="+strconv.Itoa(p))
		}
		return fmt.Sprintf("<%s/user/%d/repos?%s>", s.URL, u.ID, strings.Join(parts, "&"))
	}
	var l []string
	if page > 1 {
		l = append(l, at(min(page-1, last))+`; rel="prev"`)
	}
	if page < last {
		l = append(l, at(page+1)+`; rel="next"`, at(last)+`; rel="last"`)
	}
	if page > 1 {
		l = append(l, at(1)+`; rel="first"`)
	}
	return strings.Join(l, ", ")
}

// repoJSON is repository i of u as GitHub lists it.
func (s *Server) repoJSON(u *User, i int) map[string]any {
	r := u.Repos[i]
	api := s.URL
	full := u.Login + "/" + r.Name
	repoURL := api + "/repos/" + full
	id := u.ID*1000 + int64(i) + 1
	created := Epoch.AddDate(0, 0, i)
	pushed := Epoch.AddDate(0, 0, 2*i)
	visibility := "public"
	if r.Private {
		visibility = "private"
	}
	var desc, lang any
	if r.Description != nil {
		desc = *r.Description
	}
	if r.Language != nil {
		lang = *r.Language
	}
	topics := r.Topics
	if topics == nil {
		topics = []string{}
	}
	m := map[string]any{
		"id":                          id,
		"node_id":                     fmt.Sprintf("R_kgDO%08d", id),
		"name":                        r.Name,
		"full_name":                   full,
		"private":                     r.Private,
		"owner":                       s.ownerJSON(u),
		"html_url":                    "https://github.com/" + full,
		"description":                 desc,
		"fork":                        r.Fork,
		"url":                         repoURL,
		"created_at":                  created.Format(time.RFC3339),
		"updated_at":                  pushed.Add(time.Hour).Format(time.RFC3339),
		"pushed_at":                   pushed.Format(time.RFC3339),
		"git_url":                     "git://github.com/" + full + ".git",
		"ssh_url":                     "git@github.com:" + full + ".git",
		"clone_url":                   "https://github.com/" + full + ".git",
		"svn_url":                     "https://github.com/" + full,
		"homepage":                    nil,
		"size":                        100 + 13*i,
		"stargazers_count":            r.Stars,
		"watchers_count":              r.Stars,
		"watchers":                    r.Stars,
		"language":                    lang,
		"has_issues":                  true,
		"has_projects":                true,
		"has_downloads":               true,
		"has_wiki":                    true,
		"has_pages":                   false,
		"has_discussions":             false,
		"forks_count":                 i % 5,
		"forks":                       i % 5,
		"mirror_url":                  nil,
		"archived":                    r.Archived,
		"disabled":                    false,
		"open_issues_count":           i % 3,
		"open_issues":                 i % 3,
		"license":                     nil,
		"allow_forking":               true,
		"is_template":                 false,
		"topics":                      topics,
		"visibility":                  visibility,
		"default_branch":              "main",
		"web_commit_signoff_required": false,
	}
	if i%2 == 1 {
		m["license"] = map[string]any{"key": "mit", "name": "MIT License", "spdx_id": "MIT",
			"url": api + "/licenses/mit", "node_id": "MDc6TGljZW5zZTEz"}
	}
	for k, v := range map[string]string{
		"archive_url":       "/{archive_format}{/ref}",
		"assignees_url":     "/assignees{/user}",
		"blobs_url":         "/git/blobs{/sha}",
		"branches_url":      "/branches{/branch}",
		"collaborators_url": "/collaborators{/collaborator}",
		"comments_url":      "/comments{/number}",
		"commits_url":       "/commits{/sha}",
		"compare_url":       "/compare/{base}...{head}",
		"contents_url":      "/contents/{+path}",
		"contributors_url":  "/contributors",
		"deployments_url":   "/deployments",
		"downloads_url":     "/downloads",
		"events_url":        "/events",
		"forks_url":         "/forks",
		"git_commits_url":   "/git/commits{/sha}",
		"git_refs_url":      "/git/refs{/sha}",
		"git_tags_url":      "/git/tags{/sha}",
		"hooks_url":         "/hooks",
		"issue_comment_url": "/issues/comments{/number}",
		"issue_events_url":  "/issues/events{/number}",
		"issues_url":        "/issues{/number}",
		"keys_url":          "/keys{/key_id}",
		"labels_url":        "/labels{/name}",
		"languages_url":     "/languages",
		"merges_url":        "/merges",
		"milestones_url":    "/milestones{/number}",
		"notifications_url": "/notifications{?since,all,participating}",
		"pulls_url":         "/pulls{/number}",
		"releases_url":      "/releases{/id}",
		"stargazers_url":    "/stargazers",
		"statuses_url":      "/statuses/{sha}",
		"subscribers_url":   "/subscribers",
		"subscription_url":  "/subscription",
		"tags_url":          "/tags",
		"teams_url":         "/teams",
		"trees_url":         "/git/trees{/sha}",
	} {
		m[k] = repoURL + v
	}
	return m
}

func (s *Server) ownerJSON(u *User) map[string]any {
	api := s.URL + "/users/" + u.Login
	return map[string]any{
		"login":               u.Login,
		"id":                  u.ID,
		"node_id":             fmt.Sprintf("MDQ6VXNlcj%d", u.ID),
		"avatar_url":          fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", u.ID),
		"gravatar_id":         "",
		"url":                 api,
		"html_url":            "https://github.com/" + u.Login,
		"followers_url":       api + "/followers",
		"following_url":       api + "/following{/other_user}",
		"gists_url":           api + "/gists{/gist_id}",
		"starred_url":         api + "/starred{/owner}{/repo}",
		"subscriptions_url":   api + "/subscriptions",
		"organizations_url":   api + "/orgs",
		"repos_url":           api + "/repos",
		"events_url":          api + "/events{/privacy}",
		"received_events_url": api + "/received_events",
		"type":                "User",
		"site_admin":          false,
	}
}

// bearer reads an Authorization header: GitHub takes "Bearer <token>" and
// "token <token>". ok is false for any other non-empty value.
func bearer(h string) (token string, present, ok bool) {
	if h == "" {
		return "", false, true
	}
	scheme, tok, found := strings.Cut(h, " ")
	if !found || tok == "" || !strings.EqualFold(scheme, "bearer") && !strings.EqualFold(scheme, "token") {
		return "", true, false
	}
	return tok, true, true
}

// acceptsJSON reports whether an Accept header admits GitHub's JSON: no
// header, */*, application/*, application/json or a GitHub JSON media type
// (application/vnd.github+json, application/vnd.github.v3+json, ...).
func acceptsJSON(values []string) bool {
	if len(values) == 0 {
		return true
	}
	for _, v := range values {
		for _, mt := range strings.Split(v, ",") {
			mt, _, _ = strings.Cut(mt, ";")
			mt = strings.ToLower(strings.TrimSpace(mt))
			switch {
			case mt == "*/*", mt == "application/*", mt == "application/json",
				strings.HasPrefix(mt, "application/vnd.github") && strings.HasSuffix(mt, "+json"):
				return true
			}
		}
	}
	return false
}

func writeError(w http.ResponseWriter, status int, message, doc string) {
	writeJSON(w, status, map[string]any{"message": message, "documentation_url": doc, "status": strconv.Itoa(status)})
}

// writeValidation answers an invalid parameter value as GitHub does.
func writeValidation(w http.ResponseWriter, field string) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"message":           "Validation Failed",
		"errors":            []map[string]string{{"resource": "Repository", "field": field, "code": "invalid"}},
		"documentation_url": docsListRepos,
		"status":            "422",
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// recorder remembers the status written.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}
