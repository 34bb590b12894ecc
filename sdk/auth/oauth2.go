package auth

import (
	"context"
	"strconv"
	"time"

	"golang.org/x/oauth2"

	"github.com/sdkgen-go/sdkgen/sdk"
)

// FromOAuth2 adapts a golang.org/x/oauth2 token source (google's, say) to
// [sdk.TokenSource]. x/oauth2 sources take no context: ctx is checked
// before the call but cannot interrupt it, and such a source cannot be
// refreshed after a 401. For that, wrap its fetch in a [Source]:
//
//	auth.NewSource(func(context.Context, *sdk.Token) (*sdk.Token, error) {
//		t, err := ts.Token()
//		return auth.TokenFromOAuth2(t), err
//	})
func FromOAuth2(ts oauth2.TokenSource) sdk.TokenSource { return fromOAuth2Source{ts} }

type fromOAuth2Source struct{ ts oauth2.TokenSource }

func (s fromOAuth2Source) Token(ctx context.Context) (*sdk.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t, err := s.ts.Token()
	if err != nil {
		return nil, err
	}
	return TokenFromOAuth2(t), nil
}

// ToOAuth2 adapts an [sdk.TokenSource] (a [Source], say) to
// golang.org/x/oauth2's TokenSource, for libraries that take one
// (oauth2.NewClient, gRPC credentials). Its Token calls ts with
// context.Background(): a [Source] bounds its requests with its own
// timeout.
func ToOAuth2(ts sdk.TokenSource) oauth2.TokenSource { return toOAuth2Source{ts} }

type toOAuth2Source struct{ ts sdk.TokenSource }

func (s toOAuth2Source) Token() (*oauth2.Token, error) {
	t, err := s.ts.Token(context.Background())
	if err != nil {
		return nil, err
	}
	return TokenToOAuth2(t), nil
}

// TokenFromOAuth2 converts a golang.org/x/oauth2 token; nil gives nil.
func TokenFromOAuth2(t *oauth2.Token) *sdk.Token {
	if t == nil {
		return nil
	}
	return &sdk.Token{AccessToken: t.AccessToken, TokenType: t.TokenType, RefreshToken: t.RefreshToken, Expiry: t.Expiry}
}

// TokenToOAuth2 converts a token to golang.org/x/oauth2's; nil gives nil.
func TokenToOAuth2(t *sdk.Token) *oauth2.Token {
	if t == nil {
		return nil
	}
	return &oauth2.Token{AccessToken: t.AccessToken, TokenType: t.TokenType, RefreshToken: t.RefreshToken, Expiry: t.Expiry}
}

// fromOAuth2 converts a token a grant just obtained, computing its expiry
// from expires_in on the source's clock. An expires_in that is not a
// positive number of seconds (-100, 0) says nothing of the token's life:
// the token has no expiry, as when the endpoint leaves expires_in out
// (RFC 6749 section 5.1 makes it optional), and is used until a server
// refuses it. golang.org/x/oauth2 would date a negative one in the past,
// and a cache would fetch a new token for every call.
func fromOAuth2(t *oauth2.Token, now func() time.Time) *sdk.Token {
	out := TokenFromOAuth2(t)
	out.Expiry = time.Time{}
	if secs := expiresIn(t); secs > 0 {
		out.Expiry = now().Add(time.Duration(secs) * time.Second)
	}
	return out
}

// expiresIn reads expires_in: the token's field, or the raw response
// (golang.org/x/oauth2/clientcredentials fills only the latter).
func expiresIn(t *oauth2.Token) int64 {
	if t.ExpiresIn > 0 {
		return t.ExpiresIn
	}
	switch v := t.Extra("expires_in").(type) {
	case float64:
		if v > 0 && v < 1<<31 {
			return int64(v)
		}
	case string:
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 && n < 1<<31 {
			return n
		}
	}
	return 0
}
