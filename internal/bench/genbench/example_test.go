package genbench_test

import (
	"fmt"
	"os/exec"

	"github.com/sdkgen-go/sdkgen/internal/bench/genbench"
)

// Measure a child process: its wall time and the peak resident memory the
// kernel recorded for it.
func ExampleMeasure() {
	u, err := genbench.Measure(exec.Command("go", "version"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u.Wall > 0, u.PeakMiB() > 1)
	// Output: true true
}
