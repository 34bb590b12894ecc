package main

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// result is one line of go test -bench output: a benchmark's name, split
// into its top-level name and its key=value parts, and its measurements by
// unit.
type result struct {
	top    string            // "GetProduct" (without "Benchmark")
	parts  []string          // the parts after top: "transport=memory", "impl=sdk"
	keys   map[string]string // the key=value parts
	values map[string]float64
}

// parseResults reads the benchmark lines of go test -bench output.
func parseResults(r io.Reader) ([]result, error) {
	var out []result
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue // not a result line ("BenchmarkX skipped", say)
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i] // the -GOMAXPROCS suffix
			}
		}
		parts := strings.Split(name, "/")
		res := result{top: parts[0], parts: parts[1:], keys: map[string]string{}, values: map[string]float64{}}
		for _, p := range res.parts {
			if k, v, ok := strings.Cut(p, "="); ok {
				res.keys[k] = v
			}
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark %s: value %q: %v", f[0], f[i], err)
			}
			res.values[f[i+1]] = v
		}
		out = append(out, res)
	}
	return out, sc.Err()
}

// subjects names, for each key that sets implementations side by side, the
// value that is ours: each other value is a peer it is compared with.
var subjects = []struct{ key, value string }{
	{"impl", "sdk"},
	{"tool", "sdkgen"},
	{"via", "outbox"},
}

// comparison is a top-level benchmark whose sub-benchmarks set our
// implementation (subject) beside peers under key.
type comparison struct {
	top     string
	key     string
	subject string
	peers   []string // in order of first appearance
}

// comparisons finds the benchmarks of results that compare
// implementations, and the others, in order of first appearance.
func comparisons(results []result) (cmp []comparison, plain []string) {
	seen := map[string]bool{}
	for _, r := range results {
		if seen[r.top] {
			continue
		}
		seen[r.top] = true
		c, ok := comparisonOf(r.top, results)
		if ok {
			cmp = append(cmp, c)
		} else {
			plain = append(plain, r.top)
		}
	}
	return cmp, plain
}

func comparisonOf(top string, results []result) (comparison, bool) {
	for _, s := range subjects {
		c := comparison{top: top, key: s.key, subject: s.value}
		every, hasSubject := true, false
		for _, r := range results {
			if r.top != top {
				continue
			}
			v, ok := r.keys[s.key]
			switch {
			case !ok:
				every = false
			case v == s.value:
				hasSubject = true
			case !slices.Contains(c.peers, v):
				c.peers = append(c.peers, v)
			}
		}
		if every && hasSubject && len(c.peers) > 0 {
			return c, true
		}
	}
	return comparison{}, false
}

// ratioTable renders, for comparison c, the ratio of medians subject/peer
// for every unit and row (the sub-benchmark without the key), one column
// per peer: "1.04×" means ours takes 4% more of that unit.
func ratioTable(c comparison, results []result) string {
	// row → impl → unit → values
	data := map[string]map[string]map[string][]float64{}
	var rows, units []string
	for _, r := range results {
		if r.top != c.top {
			continue
		}
		impl := r.keys[c.key]
		row := rowName(r, c.key)
		if data[row] == nil {
			data[row] = map[string]map[string][]float64{}
			rows = append(rows, row)
		}
		if data[row][impl] == nil {
			data[row][impl] = map[string][]float64{}
		}
		for u, v := range r.values {
			data[row][impl][u] = append(data[row][impl][u], v)
			if !slices.Contains(units, u) {
				units = append(units, u)
			}
		}
	}
	sortUnits(units)
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s / peer, ratio of medians\n", c.top, c.subject)
	w := 0
	for _, row := range rows {
		for _, u := range units {
			w = max(w, len(row)+len(u)+3)
		}
	}
	fmt.Fprintf(&b, "%-*s", w, "")
	for _, p := range c.peers {
		fmt.Fprintf(&b, "  %14s", "vs "+p)
	}
	b.WriteByte('\n')
	for _, row := range rows {
		for _, u := range units {
			ours := median(data[row][c.subject][u])
			line := fmt.Sprintf("%-*s", w, row+" "+u)
			shown := false
			for _, p := range c.peers {
				theirs := median(data[row][p][u])
				s := "-"
				if ours >= 0 && theirs > 0 {
					s = fmt.Sprintf("%.2f×", ours/theirs)
					shown = true
				} else if ours == 0 && theirs == 0 {
					s = "="
				}
				line += fmt.Sprintf("  %14s", s)
			}
			if shown {
				b.WriteString(line + "\n")
			}
		}
	}
	return b.String()
}

// rowName is the sub-benchmark's name without the comparison key.
func rowName(r result, key string) string {
	parts := []string{r.top}
	for _, p := range r.parts {
		if !strings.HasPrefix(p, key+"=") {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "/")
}

// sortUnits puts time first, then memory and allocations, then the
// benchmarks' own metrics by name.
func sortUnits(units []string) {
	rank := map[string]int{"sec/op": 0, "ns/op": 0, "B/op": 1, "allocs/op": 2}
	sort.SliceStable(units, func(i, j int) bool {
		ri, ok := rank[units[i]]
		if !ok {
			ri = 3
		}
		rj, ok := rank[units[j]]
		if !ok {
			rj = 3
		}
		if ri != rj {
			return ri < rj
		}
		return units[i] < units[j]
	})
}

// median returns the median of vs, or -1 when there are none.
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return -1
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
