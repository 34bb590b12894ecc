//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package genbench

import "os"

// peakRSS is not available here: Usage.PeakRSS stays 0.
func peakRSS(*os.ProcessState) int64 { return 0 }
