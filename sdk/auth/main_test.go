package auth_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test of the package must leave no goroutine behind: a Source's
// fetches end with the fetch, never later.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
