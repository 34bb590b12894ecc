package main

import (
	"context"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/sdkgen-go/sdkgen/examples/github"
	"github.com/sdkgen-go/sdkgen/internal/cli"
	"github.com/sdkgen-go/sdkgen/sdk"
)

// Environment variables read when the matching flag is not given.
// GITHUB_API_URL and GITHUB_TOKEN are the names GitHub Actions sets.
const (
	envBaseURL = "GITHUB_API_URL"
	envToken   = "GITHUB_TOKEN"
	envOutput  = "GHREPOS_OUTPUT"
)

// userAgent names the program: GitHub asks for a User-Agent that says who
// is calling.
const userAgent = "ghrepos (github.com/sdkgen-go/sdkgen/examples/github)"

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	return cli.Run(ctx, newRoot(), args, stdout, stderr, getenv)
}

// globals are the flags of every command.
type globals struct {
	baseURL string
	token   string
	output  cli.Output
}

func newRoot() *cobra.Command {
	g := &globals{output: cli.OutputTable}
	root := &cobra.Command{
		Use:   "ghrepos",
		Short: "List a GitHub user's repositories",
		Long: `ghrepos lists a GitHub user's repositories through the SDK that sdkgen
generates from GitHub's OpenAPI description, following GitHub's Link-header
pagination to the last page.

Exit status: 0 on success, 1 when GitHub answered with an error or could not
be reached, 2 for a bad command line.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return cli.Usagef("a command is required")
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.baseURL, "base-url", "", "API root URL (default "+github.DefaultBaseURL+")")
	pf.StringVar(&g.token, "token", "", "GitHub token, sent as \"Authorization: Bearer <token>\"")
	pf.Var(&g.output, "output", "output format: table or json")
	cli.BindEnv(pf, "base-url", envBaseURL)
	cli.BindEnv(pf, "token", envToken)
	cli.BindEnv(pf, "output", envOutput)
	root.AddCommand(newList(g))
	return root
}

// listFlags are the flags of the list command.
type listFlags struct {
	perPage   int
	limit     int
	typ       string
	sort      string
	direction string
}

func newList(g *globals) *cobra.Command {
	f := &listFlags{}
	cmd := &cobra.Command{
		Use:   "list <username>",
		Short: "List the public repositories of a user, across every page",
		Long: `list prints the repositories of a GitHub user (GET /users/{username}/repos),
every page of them: it follows the rel="next" link of GitHub's Link header
until the last page.`,
		Example: `  ghrepos list octocat
  GITHUB_TOKEN=... ghrepos list octocat --sort pushed --limit 10 --output json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return list(cmd.Context(), cmd.OutOrStdout(), g, f, args[0])
		},
	}
	fs := cmd.Flags()
	fs.IntVar(&f.perPage, "per-page", 100, "repositories per request, 1 to 100")
	fs.IntVar(&f.limit, "limit", 0, "stop after this many repositories (0: all)")
	fs.StringVar(&f.typ, "type", "", "owner, all or member (GitHub's default: owner)")
	fs.StringVar(&f.sort, "sort", "", "full_name, created, updated or pushed (GitHub's default: full_name)")
	fs.StringVar(&f.direction, "direction", "", "asc or desc (GitHub's default: asc for full_name, else desc)")
	return cmd
}

// params checks the list flags and turns them into the operation's
// parameters.
func (f *listFlags) params() (*github.ReposListForUserParams, error) {
	if f.perPage < 1 || f.perPage > 100 {
		return nil, cli.Usagef("--per-page must be between 1 and 100, not %d", f.perPage)
	}
	if f.limit < 0 {
		return nil, cli.Usagef("--limit must not be negative")
	}
	p := &github.ReposListForUserParams{PerPage: &f.perPage}
	if f.typ != "" {
		t := github.ReposListForUserType(f.typ)
		if !t.Valid() {
			return nil, cli.Usagef("--type must be owner, all or member, not %q", f.typ)
		}
		p.Type = &t
	}
	if f.sort != "" {
		s := github.ReposListForUserSort(f.sort)
		if !s.Valid() {
			return nil, cli.Usagef("--sort must be full_name, created, updated or pushed, not %q", f.sort)
		}
		p.Sort = &s
	}
	if f.direction != "" {
		d := github.ReposListForUserDirection(f.direction)
		if !d.Valid() {
			return nil, cli.Usagef("--direction must be asc or desc, not %q", f.direction)
		}
		p.Direction = &d
	}
	return p, nil
}

// newClient makes the SDK client the flags describe.
func (g *globals) newClient() (*github.Client, error) {
	opts := append(github.RecommendedHeaders(), sdk.WithUserAgent(userAgent))
	if g.token != "" {
		opts = append(opts, sdk.WithBearerToken(g.token))
	}
	c, err := github.NewClient(g.baseURL, opts...)
	if err != nil {
		return nil, cli.Usagef("--base-url: %v", err)
	}
	return c, nil
}

func list(ctx context.Context, out io.Writer, g *globals, f *listFlags, username string) error {
	params, err := f.params()
	if err != nil {
		return err
	}
	if username == "" {
		return cli.Usagef("the username is empty")
	}
	c, err := g.newClient()
	if err != nil {
		return err
	}
	defer c.Close()
	var opts []sdk.Option
	if f.limit > 0 {
		opts = append(opts, sdk.WithMaxItems(f.limit))
	}
	var repos []github.MinimalRepository
	for r, err := range c.Repos.ListForUser(ctx, username, params, opts...).All() {
		if err != nil {
			return err
		}
		repos = append(repos, r)
	}
	if g.output == cli.OutputJSON {
		rows := make([]repoJSON, len(repos))
		for i, r := range repos {
			rows[i] = toJSON(r)
		}
		return cli.WriteJSON(out, rows)
	}
	rows := make([][]string, len(repos))
	for i, r := range repos {
		rows[i] = toRow(r)
	}
	return cli.WriteTable(out, []string{"NAME", "VISIBILITY", "STARS", "LANGUAGE", "PUSHED", "DESCRIPTION"}, rows, 60)
}

// repoJSON is a repository in --output json: the fields the table shows,
// and a few more, under GitHub's names.
type repoJSON struct {
	FullName    string     `json:"full_name"`
	Name        string     `json:"name"`
	Owner       string     `json:"owner"`
	Private     bool       `json:"private"`
	Visibility  string     `json:"visibility,omitempty"`
	Description *string    `json:"description"`
	Language    *string    `json:"language"`
	Stars       int        `json:"stargazers_count"`
	Forks       int        `json:"forks_count"`
	Fork        bool       `json:"fork"`
	Archived    bool       `json:"archived"`
	Topics      []string   `json:"topics"`
	HTMLURL     string     `json:"html_url"`
	PushedAt    *time.Time `json:"pushed_at"`
}

func toJSON(r github.MinimalRepository) repoJSON {
	j := repoJSON{
		FullName: r.FullName, Name: r.Name, Owner: r.Owner.Login, Private: r.Private,
		Visibility: r.Visibility, Stars: r.StargazersCount, Forks: r.ForksCount,
		Fork: r.Fork, Archived: r.Archived, Topics: r.Topics, HTMLURL: r.HTMLURL,
	}
	if j.Topics == nil {
		j.Topics = []string{}
	}
	if v, ok := r.Description.Value(); ok {
		j.Description = &v
	}
	if v, ok := r.Language.Value(); ok {
		j.Language = &v
	}
	if v, ok := r.PushedAt.Value(); ok {
		j.PushedAt = &v
	}
	return j
}

func toRow(r github.MinimalRepository) []string {
	visibility := r.Visibility
	if visibility == "" {
		visibility = "public"
		if r.Private {
			visibility = "private"
		}
	}
	if r.Fork {
		visibility += ", fork"
	}
	if r.Archived {
		visibility += ", archived"
	}
	lang, _ := r.Language.Value()
	pushed := ""
	if t, ok := r.PushedAt.Value(); ok {
		pushed = t.UTC().Format(time.DateOnly)
	}
	desc, _ := r.Description.Value()
	return []string{r.FullName, visibility, strconv.Itoa(r.StargazersCount), dash(lang), dash(pushed), dash(desc)}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
