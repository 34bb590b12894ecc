package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sdkgen-go/sdkgen/internal/cli/clitest"
	"github.com/sdkgen-go/sdkgen/internal/ghfake"
)

// binary is the ghrepos command, built once for all tests: they run it as
// a user would, against a local server that speaks GitHub's protocol.
var binary clitest.Binary

func TestMain(m *testing.M) { clitest.Main(m, "ghrepos", &binary) }

const token = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"

// ghrepos runs the binary with args and an environment holding only env
// (and what the Go runtime needs), so the developer's GITHUB_TOKEN never
// leaks into a test.
func ghrepos(t *testing.T, env []string, args ...string) clitest.Result {
	t.Helper()
	return binary.Run(t, env, args...)
}

// newServer starts a fake GitHub with octocat (7 repositories) and an
// empty account, that requires the test token.
func newServer(t *testing.T) *ghfake.Server {
	t.Helper()
	srv := ghfake.New(ghfake.Config{
		Users: []ghfake.User{
			{Login: "octocat", Repos: ghfake.NamedRepos("hello", 7)},
			{Login: "nobody"},
		},
		Token:       token,
		RequireAuth: true,
	})
	t.Cleanup(srv.Close)
	return srv
}

// tableNames reads the NAME column of a table, checking the header.
func tableNames(t *testing.T, out string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "NAME ") {
		t.Fatalf("table has no header: %q", lines[0])
	}
	var names []string
	for _, l := range lines[1:] {
		names = append(names, strings.Fields(l)[0])
	}
	return names
}

func wantNames(prefix string, from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("octocat/%s-%02d", prefix, i))
	}
	return out
}

// Seven repositories, three per page: three requests, the later two at the
// URLs of the Link header's rel="next" (on /user/{id}/repos, as GitHub
// gives them), each with the token and GitHub's headers; every repository
// printed once, in order.
func TestListFollowsLinkHeaderAcrossPages(t *testing.T) {
	srv := newServer(t)
	r := ghrepos(t, nil, "list", "octocat", "--per-page", "3", "--base-url", srv.URL, "--token", token)
	if r.Code != 0 {
		t.Fatalf("exit %d, stderr %q", r.Code, r.Stderr)
	}
	if r.Stderr != "" {
		t.Errorf("stderr = %q, want nothing", r.Stderr)
	}
	if got, want := tableNames(t, r.Stdout), wantNames("hello", 1, 7); !slices.Equal(got, want) {
		t.Errorf("names = %v, want %v", got, want)
	}
	reqs := srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3: %+v", len(reqs), reqs)
	}
	for i, req := range reqs {
		wantPath, wantPage := "/users/octocat/repos", ""
		if i > 0 {
			wantPath, wantPage = "/user/583231/repos", fmt.Sprint(i+1)
		}
		if req.Path != wantPath || req.Query.Get("page") != wantPage || req.Query.Get("per_page") != "3" {
			t.Errorf("request %d: %s?%s, want %s with page=%q and per_page=3", i, req.Path, req.Query.Encode(), wantPath, wantPage)
		}
		for name, want := range map[string]string{
			"Authorization":        "Bearer " + token,
			"Accept":               "application/vnd.github+json",
			"X-Github-Api-Version": "2022-11-28",
			"User-Agent":           userAgent,
		} {
			if got := req.Header.Get(name); got != want {
				t.Errorf("request %d: %s = %q, want %q", i, name, got, want)
			}
		}
	}
	// The table shows the fields the generated model decoded.
	first := strings.Split(r.Stdout, "\n")[1]
	for _, want := range []string{"octocat/hello-01", "public", "Go", "2020-01-01", "Repository number 1 of the hello series"} {
		if !strings.Contains(first, want) {
			t.Errorf("first row %q lacks %q", first, want)
		}
	}
}

// --output json prints one JSON array of every repository, with the
// fields decoded from GitHub's JSON, nulls kept as nulls.
func TestListJSON(t *testing.T) {
	srv := newServer(t)
	r := ghrepos(t, nil, "list", "octocat", "--per-page", "2", "--output", "json", "--base-url", srv.URL, "--token", token)
	if r.Code != 0 {
		t.Fatalf("exit %d, stderr %q", r.Code, r.Stderr)
	}
	var repos []struct {
		FullName    string    `json:"full_name"`
		Owner       string    `json:"owner"`
		Visibility  string    `json:"visibility"`
		Description *string   `json:"description"`
		Language    *string   `json:"language"`
		Stars       int       `json:"stargazers_count"`
		Fork        bool      `json:"fork"`
		Topics      []string  `json:"topics"`
		HTMLURL     string    `json:"html_url"`
		PushedAt    time.Time `json:"pushed_at"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &repos); err != nil {
		t.Fatalf("stdout is not a JSON array: %v\n%s", err, r.Stdout)
	}
	var names []string
	for _, repo := range repos {
		names = append(names, repo.FullName)
	}
	if want := wantNames("hello", 1, 7); !slices.Equal(names, want) {
		t.Fatalf("names = %v, want %v", names, want)
	}
	if n := len(srv.Requests()); n != 4 {
		t.Errorf("%d requests for 7 repositories 2 by 2, want 4", n)
	}
	r1, r3, r4 := repos[0], repos[2], repos[3]
	if r1.Owner != "octocat" || r1.Visibility != "public" || *r1.Language != "Go" || r1.Description == nil ||
		r1.HTMLURL != "https://github.com/octocat/hello-01" || !r1.PushedAt.Equal(ghfake.Epoch) || !slices.Equal(r1.Topics, []string{"hello", "example"}) {
		t.Errorf("first repository = %+v", r1)
	}
	if r3.Description != nil {
		t.Errorf("third repository's description = %q, want null", *r3.Description)
	}
	if r4.Stars != 3*37%101 || !r4.Fork || !r4.PushedAt.Equal(ghfake.Epoch.AddDate(0, 0, 6)) {
		t.Errorf("fourth repository = %+v", r4)
	}
}

// A wrong token: GitHub's 401 becomes one readable line with the status,
// GitHub's message, the request and GitHub's request id; exit status 1;
// nothing on stdout.
func TestBadTokenPrintsOneLineAndExits1(t *testing.T) {
	srv := newServer(t)
	r := ghrepos(t, nil, "list", "octocat", "--base-url", srv.URL, "--token", "ghp_wrong")
	if r.Code != 1 {
		t.Fatalf("exit %d, want 1; stderr %q", r.Code, r.Stderr)
	}
	if r.Stdout != "" {
		t.Errorf("stdout = %q, want nothing", r.Stdout)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || reqs[0].Status != 401 {
		t.Fatalf("requests = %+v, want one answered 401 (a 401 is not retried)", reqs)
	}
	want := fmt.Sprintf("ghrepos: 401 Unauthorized: Bad credentials (GET /users/octocat/repos, request id %s; see https://docs.github.com/rest)\n", reqs[0].ID)
	if r.Stderr != want {
		t.Errorf("stderr =\n%q, want\n%q", r.Stderr, want)
	}
	if strings.Contains(r.Stderr, "ghp_wrong") {
		t.Error("the token was printed")
	}
}

// Errors of other kinds are one line with exit status 1 too: an unknown
// user (404), a token that is needed and missing, the rate limit used up
// (403) on a later page, and a server that cannot be reached.
func TestOtherFailuresExit1(t *testing.T) {
	srv := newServer(t)
	limited := ghfake.New(ghfake.Config{Users: []ghfake.User{{Login: "octocat", Repos: ghfake.NamedRepos("hello", 7)}}, RateLimit: 2})
	defer limited.Close()
	closed := ghfake.New(ghfake.Config{})
	closed.Close()
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"unknown user", []string{"list", "ghost", "--base-url", srv.URL, "--token", token},
			[]string{"404 Not Found: Not Found (GET /users/ghost/repos, request id ", "see https://docs.github.com/rest/repos/repos#list-repositories-for-a-user)"}},
		{"no token", []string{"list", "octocat", "--base-url", srv.URL},
			[]string{"401 Unauthorized: Requires authentication (GET /users/octocat/repos"}},
		{"rate limit on page 3", []string{"list", "octocat", "--per-page", "3", "--base-url", limited.URL},
			[]string{"403 Forbidden: API rate limit exceeded for 127.0.0.1.", "(GET /user/583231/repos, request id "}},
		{"unreachable", []string{"list", "octocat", "--base-url", closed.URL, "--token", token},
			[]string{"gave up after 4 attempts", "connection refused"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ghrepos(t, nil, tc.args...)
			if r.Code != 1 {
				t.Fatalf("exit %d, want 1; stderr %q", r.Code, r.Stderr)
			}
			if r.Stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.Stdout)
			}
			if strings.Count(r.Stderr, "\n") != 1 || !strings.HasPrefix(r.Stderr, "ghrepos: ") {
				t.Errorf("stderr is not one line: %q", r.Stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr %q lacks %q", r.Stderr, w)
				}
			}
		})
	}
}

// A bad command line exits with status 2, says what is wrong and where to
// find help, and sends no request.
func TestUsageErrorsExit2(t *testing.T) {
	srv := newServer(t)
	base := []string{"--base-url", srv.URL, "--token", token}
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"no command", nil, nil, "a command is required"},
		{"unknown command", nil, []string{"lst"}, `unknown command "lst"`},
		{"no username", nil, []string{"list"}, "accepts 1 arg(s), received 0"},
		{"two usernames", nil, []string{"list", "a", "b"}, "accepts 1 arg(s), received 2"},
		{"unknown flag", nil, []string{"list", "octocat", "--pages", "2"}, "unknown flag: --pages"},
		{"bad output", nil, []string{"list", "octocat", "--output", "yaml"}, `"yaml" is not an output format (table or json)`},
		{"bad output from env", []string{"GHREPOS_OUTPUT=yaml"}, []string{"list", "octocat"}, "invalid value of GHREPOS_OUTPUT"},
		{"per-page too big", nil, []string{"list", "octocat", "--per-page", "101"}, "--per-page must be between 1 and 100, not 101"},
		{"per-page not a number", nil, []string{"list", "octocat", "--per-page", "ten"}, `invalid argument "ten" for "--per-page"`},
		{"negative limit", nil, []string{"list", "octocat", "--limit", "-1"}, "--limit must not be negative"},
		{"bad sort", nil, []string{"list", "octocat", "--sort", "stars"}, `--sort must be full_name, created, updated or pushed, not "stars"`},
		{"bad type", nil, []string{"list", "octocat", "--type", "forks"}, `--type must be owner, all or member, not "forks"`},
		{"bad direction", nil, []string{"list", "octocat", "--direction", "up"}, `--direction must be asc or desc, not "up"`},
		{"bad base URL", nil, []string{"list", "octocat", "--base-url", "ftp://example.com"}, "--base-url: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if len(args) > 0 && !slices.Contains(args, "--base-url") {
				args = append(slices.Clone(args), base...)
			}
			r := ghrepos(t, tc.env, args...)
			if r.Code != 2 {
				t.Fatalf("exit %d, want 2; stderr %q", r.Code, r.Stderr)
			}
			if !strings.Contains(r.Stderr, tc.want) || !strings.Contains(r.Stderr, "--help' for usage.") {
				t.Errorf("stderr %q lacks %q and a pointer to --help", r.Stderr, tc.want)
			}
			if r.Stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.Stdout)
			}
		})
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent by bad command lines", n)
	}
}

// --help prints usage on stdout, names the environment variables, and
// exits 0.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"list", "--help"}, {"help", "list"}} {
		r := ghrepos(t, nil, args...)
		if r.Code != 0 || r.Stderr != "" {
			t.Errorf("%v: exit %d, stderr %q", args, r.Code, r.Stderr)
		}
		for _, want := range []string{"--base-url", "(env GITHUB_API_URL)", "--token", "(env GITHUB_TOKEN)", "--output table|json", "(env GHREPOS_OUTPUT)"} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("%v: help lacks %q:\n%s", args, want, r.Stdout)
			}
		}
	}
}

// GITHUB_API_URL, GITHUB_TOKEN and GHREPOS_OUTPUT stand in for the flags,
// and a flag on the command line wins over its variable.
func TestEnvironmentFallbacks(t *testing.T) {
	srv := newServer(t)
	other := ghfake.New(ghfake.Config{Users: []ghfake.User{{Login: "octocat", Repos: ghfake.NamedRepos("other", 2)}}, Token: token})
	defer other.Close()
	env := []string{"GITHUB_API_URL=" + srv.URL, "GITHUB_TOKEN=" + token, "GHREPOS_OUTPUT=json"}

	r := ghrepos(t, env, "list", "octocat")
	if r.Code != 0 {
		t.Fatalf("env only: exit %d, stderr %q", r.Code, r.Stderr)
	}
	var repos []struct {
		FullName string `json:"full_name"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &repos); err != nil || len(repos) != 7 {
		t.Fatalf("env only: %d repositories (%v), want 7 as JSON:\n%s", len(repos), err, r.Stdout)
	}
	if got := srv.Requests()[0].Header.Get("Authorization"); got != "Bearer "+token {
		t.Errorf("Authorization from GITHUB_TOKEN = %q", got)
	}

	r = ghrepos(t, env, "list", "octocat", "--base-url", other.URL, "--output", "table")
	if r.Code != 0 {
		t.Fatalf("flags over env: exit %d, stderr %q", r.Code, r.Stderr)
	}
	if got, want := tableNames(t, r.Stdout), []string{"octocat/other-01", "octocat/other-02"}; !slices.Equal(got, want) {
		t.Errorf("flags over env: names = %v, want %v (from --base-url, as a table)", got, want)
	}

	r = ghrepos(t, env, "list", "octocat", "--token", "ghp_wrong")
	if r.Code != 1 || !strings.Contains(r.Stderr, "Bad credentials") {
		t.Errorf("--token over GITHUB_TOKEN: exit %d, stderr %q; want the flag's wrong token refused", r.Code, r.Stderr)
	}
}

// --limit stops reading pages once it has enough; --sort, --direction and
// --type reach GitHub as they are.
func TestLimitAndFilters(t *testing.T) {
	srv := newServer(t)
	r := ghrepos(t, nil, "list", "octocat", "--per-page", "2", "--limit", "3", "--sort", "created", "--direction", "desc", "--type", "owner",
		"--base-url", srv.URL, "--token", token)
	if r.Code != 0 {
		t.Fatalf("exit %d, stderr %q", r.Code, r.Stderr)
	}
	if got, want := tableNames(t, r.Stdout), []string{"octocat/hello-07", "octocat/hello-06", "octocat/hello-05"}; !slices.Equal(got, want) {
		t.Errorf("names = %v, want %v", got, want)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Errorf("%d requests for 3 repositories 2 by 2, want 2", len(reqs))
	}
	for i, req := range reqs {
		if q := req.Query; q.Get("sort") != "created" || q.Get("direction") != "desc" || q.Get("type") != "owner" {
			t.Errorf("request %d: query %s lost the filters", i, q.Encode())
		}
	}

	r = ghrepos(t, nil, "list", "nobody", "--base-url", srv.URL, "--token", token)
	if lines := strings.Split(strings.TrimRight(r.Stdout, "\n"), "\n"); r.Code != 0 || len(lines) != 1 || !strings.HasPrefix(lines[0], "NAME") {
		t.Errorf("a user without repositories: exit %d, stdout %q, stderr %q; want the header alone", r.Code, r.Stdout, r.Stderr)
	}
}

// Text from the server cannot break the table or reach the terminal as
// escape sequences.
func TestTableIsSafeFromServerText(t *testing.T) {
	evil := "line one\nline two\x1b[31m red\tTab"
	srv := ghfake.New(ghfake.Config{Users: []ghfake.User{{Login: "octocat", Repos: []ghfake.Repo{{Name: "evil", Description: &evil}, {Name: "fine"}}}}})
	defer srv.Close()
	r := ghrepos(t, nil, "list", "octocat", "--base-url", srv.URL)
	if r.Code != 0 {
		t.Fatalf("exit %d, stderr %q", r.Code, r.Stderr)
	}
	if strings.Contains(r.Stdout, "\x1b") {
		t.Errorf("an escape character reached the output: %q", r.Stdout)
	}
	if got := tableNames(t, r.Stdout); !slices.Equal(got, []string{"octocat/evil", "octocat/fine"}) {
		t.Errorf("names = %v: the description broke the table\n%s", got, r.Stdout)
	}
	if !strings.Contains(r.Stdout, "line one line two [31m red Tab") {
		t.Errorf("description not flattened to one line:\n%s", r.Stdout)
	}
}
