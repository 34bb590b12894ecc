package github_test

import (
	"testing"

	"go.uber.org/goleak"
)

// The example leaves no goroutine behind: its client and server are closed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
