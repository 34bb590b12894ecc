package calls

import (
	"context"
	"testing"
	"time"
)

// Both clients of BenchmarkTokenRefresh keep working across token
// expiries, each fetching a token about once per refresh interval for all
// of its concurrent calls, never once per call.
func TestTokenRefreshClients(t *testing.T) {
	s := newTokenServer()
	defer s.Close()
	for _, im := range tokenImpls(t, s) {
		t.Run(im.name, func(t *testing.T) {
			f0 := s.fetches.Load()
			start := time.Now()
			rounds := 0
			// Long enough to cross at least one refresh (at 3/4 of the life).
			for time.Since(start) < tokenLife+tokenLife/4 {
				failed, err := runConcurrent(context.Background(), 200, im.get)
				if failed > 0 {
					t.Fatalf("round %d: %d calls failed: %v", rounds, failed, err)
				}
				rounds++
			}
			fetches := s.fetches.Load() - f0
			// The first token, then one per refresh interval (3/4 of the life).
			max := int64(time.Since(start)/(tokenLife-refreshEarly)) + 2
			if fetches < 2 || fetches > max {
				t.Fatalf("%d token requests over %s and %d rounds of 200 calls, want 2 to %d", fetches, time.Since(start).Round(time.Millisecond), rounds, max)
			}
			t.Logf("%d rounds of 200 calls, %d token requests, %d refused", rounds, fetches, s.refused.Load())
		})
	}
}
