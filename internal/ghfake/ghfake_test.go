package ghfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func get(t *testing.T, url string, header ...string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, body}
}

func names(t *testing.T, body []byte) []string {
	t.Helper()
	var repos []struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(body, &repos); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	out := []string{}
	for _, r := range repos {
		out = append(out, r.Name)
	}
	return out
}

// The Link header reads as GitHub writes it: prev, next, last, first; at
// /user/{id}/repos; the request's parameters kept in their order.
func TestLinkHeaderAsGitHubWritesIt(t *testing.T) {
	srv := New(Config{Users: []User{{Login: "octocat", ID: 583231, Repos: NamedRepos("r", 10)}}})
	defer srv.Close()
	u := srv.URL + "/user/583231/repos?sort=created&per_page=3"

	r := get(t, srv.URL+"/users/octocat/repos?sort=created&per_page=3")
	want := fmt.Sprintf(`<%[1]s&page=2>; rel="next", <%[1]s&page=4>; rel="last"`, u)
	if got := r.header.Get("Link"); got != want {
		t.Errorf("page 1 Link =\n%s\nwant\n%s", got, want)
	}
	r = get(t, srv.URL+"/user/583231/repos?sort=created&page=2&per_page=3")
	u2 := srv.URL + "/user/583231/repos?sort=created&page=%d&per_page=3"
	want = fmt.Sprintf(`<`+u2+`>; rel="prev", <`+u2+`>; rel="next", <`+u2+`>; rel="last", <`+u2+`>; rel="first"`, 1, 3, 4, 1)
	if got := r.header.Get("Link"); got != want {
		t.Errorf("page 2 Link =\n%s\nwant\n%s", got, want)
	}
	if got := names(t, r.body); fmt.Sprint(got) != "[r-07 r-06 r-05]" {
		t.Errorf("page 2 of created desc = %v", got)
	}
	r = get(t, srv.URL+"/user/583231/repos?per_page=3&page=4")
	want = fmt.Sprintf(`<%[1]s/user/583231/repos?per_page=3&page=3>; rel="prev", <%[1]s/user/583231/repos?per_page=3&page=1>; rel="first"`, srv.URL)
	if got := r.header.Get("Link"); got != want {
		t.Errorf("last page Link =\n%s\nwant\n%s", got, want)
	}
	if got := names(t, r.body); fmt.Sprint(got) != "[r-10]" {
		t.Errorf("last page = %v", got)
	}
	r = get(t, srv.URL+"/users/octocat/repos")
	if r.header.Get("Link") != "" || len(names(t, r.body)) != 10 {
		t.Errorf("one page of 30: Link %q, %d repos", r.header.Get("Link"), len(names(t, r.body)))
	}
	r = get(t, srv.URL+"/users/octocat/repos?per_page=3&page=9")
	if got := names(t, r.body); len(got) != 0 || r.status != 200 {
		t.Errorf("past the last page: %d %v", r.status, got)
	}
}

// per_page is capped at 100; every response carries GitHub's headers;
// errors are GitHub's JSON.
func TestHeadersLimitsAndErrors(t *testing.T) {
	srv := New(Config{Users: []User{{Login: "big", Repos: NamedRepos("b", 120)}}, Token: "t0k", RateLimit: 5})
	defer srv.Close()
	r := get(t, srv.URL+"/users/big/repos?per_page=500", "Authorization", "token t0k")
	if n := len(names(t, r.body)); n != 100 {
		t.Errorf("per_page=500 gave %d repos, want 100", n)
	}
	if !regexp.MustCompile(`^[0-9A-F]{4}:[0-9A-F]{4}:[0-9A-F]{6,}:[0-9A-F]{6,}:[0-9A-F]{8}$`).MatchString(r.header.Get("X-GitHub-Request-Id")) {
		t.Errorf("X-GitHub-Request-Id = %q", r.header.Get("X-GitHub-Request-Id"))
	}
	reset, _ := strconv.ParseInt(r.header.Get("X-RateLimit-Reset"), 10, 64)
	if r.header.Get("X-RateLimit-Limit") != "5" || r.header.Get("X-RateLimit-Remaining") != "4" || r.header.Get("X-RateLimit-Used") != "1" ||
		r.header.Get("X-RateLimit-Resource") != "core" || reset == 0 || r.header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("headers = %v", r.header)
	}

	errorBody := func(r reply) (msg, doc, status string) {
		var e struct{ Message, Documentation_URL, Status string }
		if err := json.Unmarshal(r.body, &e); err != nil {
			t.Fatalf("%v: %s", err, r.body)
		}
		return e.Message, e.Documentation_URL, e.Status
	}
	for _, tc := range []struct {
		name, path string
		header     []string
		status     int
		message    string
	}{
		{"bad token", "/users/big/repos", []string{"Authorization", "Bearer nope"}, 401, "Bad credentials"},
		{"bad scheme", "/users/big/repos", []string{"Authorization", "Basic dDBrOg=="}, 401, "Bad credentials"},
		{"unknown user", "/users/ghost/repos", []string{"Authorization", "Bearer t0k"}, 404, "Not Found"},
		{"unknown path", "/repos/big/b-01", nil, 404, "Not Found"},
		{"bad version", "/users/big/repos", []string{"X-GitHub-Api-Version", "2099-01-01"}, 400, "API version '2099-01-01' is not supported."},
		{"bad accept", "/users/big/repos", []string{"Accept", "application/xml"}, 415, `Unsupported 'Accept' header: ["application/xml"]. Must accept 'application/json'.`},
		{"bad sort", "/users/big/repos?sort=stars", nil, 422, "Validation Failed"},
	} {
		r := get(t, srv.URL+tc.path, tc.header...)
		msg, doc, status := errorBody(r)
		if r.status != tc.status || msg != tc.message || doc == "" || status != strconv.Itoa(tc.status) || r.header.Get("X-GitHub-Request-Id") == "" {
			t.Errorf("%s: %d %s", tc.name, r.status, r.body)
		}
	}
	// Two requests counted against the token so far (the first, and the
	// unknown user's); three more use the limit up, and the sixth is over.
	for i := range 3 {
		if r := get(t, srv.URL+"/users/big/repos", "Authorization", "Bearer t0k"); r.status != 200 || r.header.Get("X-RateLimit-Remaining") != strconv.Itoa(2-i) {
			t.Errorf("request %d within the limit: %d, remaining %s", 3+i, r.status, r.header.Get("X-RateLimit-Remaining"))
		}
	}
	r = get(t, srv.URL+"/users/big/repos", "Authorization", "Bearer t0k")
	if msg, _, _ := errorBody(r); r.status != 403 || msg != "API rate limit exceeded for user ID 1." || r.header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("over the limit: %d %s %v", r.status, r.body, r.header)
	}
	if reqs := srv.Requests(); len(reqs) != 12 || reqs[11].Status != 403 || reqs[0].Header.Get("Authorization") != "token t0k" {
		t.Errorf("%d requests recorded", len(reqs))
	}
}

// A repository has every field GitHub's minimal-repository schema
// requires, and nulls where GitHub sends them.
func TestRepositoryShape(t *testing.T) {
	srv := New(Config{Users: []User{{Login: "octocat", Repos: NamedRepos("r", 3)}}})
	defer srv.Close()
	var repos []map[string]any
	if err := json.Unmarshal(get(t, srv.URL+"/users/octocat/repos").body, &repos); err != nil {
		t.Fatal(err)
	}
	required := []string{"archive_url", "assignees_url", "blobs_url", "branches_url", "collaborators_url", "comments_url",
		"commits_url", "compare_url", "contents_url", "contributors_url", "deployments_url", "description", "downloads_url",
		"events_url", "fork", "forks_url", "full_name", "git_commits_url", "git_refs_url", "git_tags_url", "hooks_url",
		"html_url", "id", "node_id", "issue_comment_url", "issue_events_url", "issues_url", "keys_url", "labels_url",
		"languages_url", "merges_url", "milestones_url", "name", "notifications_url", "owner", "private", "pulls_url",
		"releases_url", "stargazers_url", "statuses_url", "subscribers_url", "subscription_url", "tags_url", "teams_url",
		"trees_url", "url"}
	for _, k := range required {
		if _, ok := repos[0][k]; !ok {
			t.Errorf("no %q", k)
		}
	}
	if repos[2]["description"] != nil || repos[1]["language"] != nil {
		t.Errorf("nulls missing: %v, %v", repos[2]["description"], repos[1]["language"])
	}
	owner := repos[0]["owner"].(map[string]any)
	if owner["login"] != "octocat" || owner["type"] != "User" {
		t.Errorf("owner = %v", owner)
	}
}
