// Package parallel runs independent pieces of one job on every processor:
// the generator's formatting and splitting, and the decoding of a
// document's path items and components.
package parallel

import (
	"runtime"
	"sync"
)

// Each calls fn(0) to fn(n-1) on as many goroutines as there are
// processors, and returns when all have returned.
func Each(n int, fn func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
