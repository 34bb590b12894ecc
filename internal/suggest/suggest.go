// Package suggest finds the likely intended word among known ones, for
// "did you mean" hints in diagnostics.
package suggest

import "strings"

// Closest returns the candidate nearest to s by edit distance (ignoring
// case), if near enough to be a likely typo, or "".
func Closest(s string, candidates []string) string {
	if len(candidates) > 20000 || len(s) > 200 {
		return ""
	}
	best, bestD := "", len(s)/3+2
	ls := strings.ToLower(s)
	for _, c := range candidates {
		if diff := len(c) - len(s); diff >= bestD || -diff >= bestD || len(c) > 200 {
			continue
		}
		if d := Distance(ls, strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// Distance is the Levenshtein distance between a and b, in runes.
func Distance(a, b string) int {
	ar, br := []rune(a), []rune(b)
	prev := make([]int, len(br)+1)
	cur := make([]int, len(br)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ar); i++ {
		cur[0] = i
		for j := 1; j <= len(br); j++ {
			cost := 1
			if ar[i-1] == br[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(br)]
}
