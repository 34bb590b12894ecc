package calls

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// peakGOGC is the GC target peakHeap runs under: garbage is collected
// once it reaches a tenth of the live heap, so what the heap holds stays
// within 10% of what is live and the peak measures the implementation, not
// the collector's pacing.
const peakGOGC = 10

const heapObjects = "/memory/classes/heap/objects:bytes"

// peakHeap runs f and returns the most heap its objects occupied while it
// ran, above what they occupied before: the high-water mark of
// runtime/metrics' heap objects (live objects and those not yet swept),
// read in a loop by a goroutine on another P. The heap only grows between
// collections, so the loop sees the peak just before one. It runs f under
// GOGC=peakGOGC (restored after), which keeps garbage near a tenth of the
// live heap.
func peakHeap(f func()) uint64 {
	defer debug.SetGCPercent(debug.SetGCPercent(peakGOGC))
	read := func(s []metrics.Sample) uint64 {
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	runtime.GC()
	base := read([]metrics.Sample{{Name: heapObjects}})
	var stop atomic.Bool
	high := make(chan uint64)
	started := make(chan struct{})
	go func() {
		s := []metrics.Sample{{Name: heapObjects}}
		hi := read(s)
		close(started)
		for !stop.Load() {
			hi = max(hi, read(s))
		}
		high <- max(hi, read(s))
	}()
	<-started
	f()
	stop.Store(true)
	hi := <-high
	if hi < base {
		return 0
	}
	return hi - base
}
