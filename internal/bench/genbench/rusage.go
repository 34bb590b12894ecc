//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package genbench

import (
	"os"
	"runtime"
	"syscall"
)

// peakRSS reads ru_maxrss from a finished process's rusage, in bytes.
func peakRSS(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss) // bytes on macOS
	}
	return int64(ru.Maxrss) * 1024 // KiB elsewhere
}
