//go:build race

package generator

// raceEnabled reports a test binary built with -race, where generating
// large specs takes several times longer.
const raceEnabled = true
