// Package running counts goroutines that package sdk starts for a caller's
// work, so that tests — sdk's own and those of the packages that build on it,
// such as sdkimpl — can check that none outlives the work it served.
package running

import "sync/atomic"

// Prefetches counts the goroutines of prefetching pagers: the fetcher, and
// the watcher that cancels it when the client is closed.
var Prefetches atomic.Int32
