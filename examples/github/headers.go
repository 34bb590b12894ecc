package github

import "github.com/sdkgen-go/sdkgen/sdk"

// APIVersion is the version of GitHub's REST API that the spec this
// package is generated from describes. GitHub serves it when asked with
// the X-GitHub-Api-Version header.
const APIVersion = "2022-11-28"

// MediaType is GitHub's JSON media type, which GitHub asks clients to
// accept.
const MediaType = "application/vnd.github+json"

// RecommendedHeaders returns the options that send the headers GitHub asks
// every client for: Accept: application/vnd.github+json and
// X-GitHub-Api-Version: 2022-11-28. Pass them to NewClient:
//
//	c, err := github.NewClient("", append(github.RecommendedHeaders(), sdk.WithBearerToken(token))...)
func RecommendedHeaders() []sdk.Option {
	return []sdk.Option{
		sdk.WithHeader("Accept", MediaType),
		sdk.WithHeader("X-GitHub-Api-Version", APIVersion),
	}
}
