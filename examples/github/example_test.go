package github_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/sdkgen-go/sdkgen/examples/github"
	"github.com/sdkgen-go/sdkgen/internal/ghfake"
	"github.com/sdkgen-go/sdkgen/sdk"
)

// Example lists every repository of a user, page after page, through the
// SDK generated from GitHub's spec. The server is a local stand-in that
// pages as GitHub does (per_page, and a Link header whose rel="next" the
// pager follows); against GitHub itself, pass "" as the base URL.
func Example() {
	srv := ghfake.New(ghfake.Config{
		Users: []ghfake.User{{Login: "octocat", Repos: ghfake.NamedRepos("hello", 5)}},
		Token: "ghp_example",
	})
	defer srv.Close()

	ctx := context.Background()
	opts := append(github.RecommendedHeaders(), sdk.WithBearerToken("ghp_example"))
	c, err := github.NewClient(srv.URL, opts...)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	perPage := 2 // three pages of two
	repos := c.Repos.ListForUser(ctx, "octocat", &github.ReposListForUserParams{PerPage: &perPage})
	for repo, err := range repos.All() {
		if err != nil {
			log.Fatal(err)
		}
		lang, _ := repo.Language.Value()
		fmt.Printf("%s (%s, %d stars)\n", repo.FullName, lang, repo.StargazersCount)
	}
	fmt.Println(len(srv.Requests()), "requests")

	// GitHub's errors are *sdk.APIError values, with GitHub's request id.
	for _, err := range c.Repos.ListForUser(ctx, "ghost", nil).All() {
		var apiErr *sdk.APIError
		if errors.As(err, &apiErr) {
			fmt.Println(apiErr.StatusCode, apiErr.RequestID != "")
		}
	}
	// Output:
	// octocat/hello-01 (Go, 0 stars)
	// octocat/hello-02 (, 37 stars)
	// octocat/hello-03 (Python, 74 stars)
	// octocat/hello-04 (TypeScript, 10 stars)
	// octocat/hello-05 (Rust, 47 stars)
	// 3 requests
	// 404 true
}
