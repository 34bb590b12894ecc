// Package outbox holds the benchmarks of sdk/outbox: how fast writes are
// queued (each on disk before Enqueue returns: an fsync per write, or
// grouped fsyncs shared by concurrent writers), and how fast a queue
// replays its writes against the products server compared with the same
// writes made as direct calls, in the same run:
//
//	go test -run '^$' -bench . -count 6 ./internal/bench/outbox
//
// go run ./internal/bench/cmd/bench runs them with the other benchmarks
// (the via=outbox / via=direct pairs get a ratio); docs/BENCHMARKS.md has
// the figures.
package outbox
