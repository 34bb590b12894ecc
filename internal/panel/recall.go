package panel

import (
	"slices"
	"strings"
)

// expectedStyle maps a label's style to the generated style that pages the
// way it says: a token or marker is an opaque cursor.
var expectedStyle = map[string]string{
	StyleOffset:      GenOffset,
	StylePage:        GenPage,
	StyleCursorBody:  GenCursor,
	StyleToken:       GenCursor,
	StyleNextURLBody: GenNextURLBody,
	StyleLinkHeader:  GenLinkHeader,
}

// Verdicts on a labelled operation.
const (
	// VerdictMatch: a pager of the labelled style.
	VerdictMatch = "match"
	// VerdictAlternative: a pager of another style that the operation's
	// parameters and responses support (SpecOperation.Supports).
	VerdictAlternative = "alternative"
	// VerdictUnsupported: a pager of a style the operation does not
	// support by the panel's rules, or of a style the panel does not know:
	// not counted, to review.
	VerdictUnsupported = "unsupported"
	// VerdictMissing: no pager.
	VerdictMissing = "missing"
)

// LabelResult is the outcome of one labelled operation.
type LabelResult struct {
	Operation string `json:"operation"`
	Method    string `json:"method,omitempty"`
	Path      string `json:"path,omitempty"`
	// LabelStyle is the label's style; Generated the pager constructors
	// the generated code calls for the operation (none when unpaged), and
	// GeneratedStyle the style of the one the verdict rests on.
	LabelStyle     string   `json:"label_style"`
	Generated      []string `json:"generated,omitempty"`
	GeneratedStyle string   `json:"generated_style,omitempty"`
	Verdict        string   `json:"verdict"`
	// Supports are the styles the spec supports for the operation.
	Supports []string `json:"supports,omitempty"`
	// Note says why an operation is missing when it is not simply unpaged:
	// not in the spec, or no generated descriptor.
	Note string `json:"note,omitempty"`
}

// Pager is a paged operation of the generated code.
type Pager struct {
	Operation string   `json:"operation"`
	Method    string   `json:"method"`
	Path      string   `json:"path"`
	Pagers    []string `json:"pagers"`
	Styles    []string `json:"styles"`
	Methods   []string `json:"methods"`
}

// Verdicts counts labelled operations and the verdicts on them.
type Verdicts struct {
	Labelled    int `json:"labelled"`
	Match       int `json:"match"`
	Alternative int `json:"alternative"`
	Unsupported int `json:"unsupported"`
	Missing     int `json:"missing"`
	// Recall is (Match + Alternative) / Labelled.
	Recall float64 `json:"recall"`
}

// add counts a verdict.
func (v *Verdicts) add(verdict string) {
	v.Labelled++
	switch verdict {
	case VerdictMatch:
		v.Match++
	case VerdictAlternative:
		v.Alternative++
	case VerdictUnsupported:
		v.Unsupported++
	default:
		v.Missing++
	}
	v.Recall = float64(v.Match+v.Alternative) / float64(v.Labelled)
}

// sum adds the counts of w.
func (v *Verdicts) sum(w Verdicts) {
	v.Labelled += w.Labelled
	v.Match += w.Match
	v.Alternative += w.Alternative
	v.Unsupported += w.Unsupported
	v.Missing += w.Missing
	if v.Labelled > 0 {
		v.Recall = float64(v.Match+v.Alternative) / float64(v.Labelled)
	}
}

// Pagination is the pagination measure of one API.
type Pagination struct {
	// Verdicts on the labelled operations, one by one in Operations.
	Verdicts
	Operations []LabelResult `json:"operations"`
	// Paged is the number of paged operations in the code; Unlabelled
	// lists those that no label names (for review: the labels of large
	// APIs are a sample).
	Paged      int     `json:"paged"`
	Unlabelled []Pager `json:"unlabelled,omitempty"`
	// UnattachedPagers are paged functions that use no operation
	// descriptor (Code.UnattachedPagers).
	UnattachedPagers []string `json:"unattached_pagers,omitempty"`
}

// Recall matches labels with the generated code's operations. A label
// names its operation by operationId, found in the generated descriptors
// by ID first and else through the spec by method and path (the generator
// may rename an operationId, a duplicate for one); or as "METHOD /path".
func Recall(labels []Label, spec []SpecOperation, code Code) Pagination {
	var pg Pagination
	specByID := map[string]SpecOperation{}
	specByMP := map[string]SpecOperation{}
	for _, o := range spec {
		if o.ID != "" {
			specByID[o.ID] = o
		}
		specByMP[o.Method+" "+o.Path] = o
	}
	genByID := map[string][]int{}
	genByMP := map[string][]int{}
	for i, o := range code.Operations {
		genByID[o.ID] = append(genByID[o.ID], i)
		genByMP[o.Method+" "+o.Path] = append(genByMP[o.Method+" "+o.Path], i)
	}
	labelled := map[int]bool{}
	for _, l := range labels {
		r := LabelResult{Operation: l.Operation, LabelStyle: l.Style, Verdict: VerdictMissing}
		so, inSpec := specByID[l.Operation]
		if m, p, ok := l.MethodPath(); ok {
			so, inSpec = specByMP[m+" "+p]
			if !inSpec {
				so = SpecOperation{Method: m, Path: p}
			}
		}
		r.Method, r.Path, r.Supports = so.Method, so.Path, so.Supports
		gen := genByID[l.Operation]
		if _, _, ok := l.MethodPath(); ok || len(gen) == 0 {
			gen = genByMP[so.Method+" "+so.Path]
		}
		switch {
		case !inSpec:
			r.Note = "not in the spec"
		case len(gen) == 0:
			r.Note = "no operation descriptor in the code"
		}
		var pagers []string
		for _, i := range gen {
			labelled[i] = true
			for _, p := range code.Operations[i].Pagers {
				if !slices.Contains(pagers, p) {
					pagers = append(pagers, p)
				}
			}
		}
		r.Generated = pagers
		r.Verdict, r.GeneratedStyle = verdict(l.Style, pagers, so.Supports)
		pg.add(r.Verdict)
		pg.Operations = append(pg.Operations, r)
	}
	for i, o := range code.Operations {
		if len(o.Pagers) == 0 {
			continue
		}
		pg.Paged++
		if labelled[i] {
			continue
		}
		p := Pager{Operation: o.ID, Method: o.Method, Path: o.Path, Pagers: o.Pagers, Methods: o.Methods}
		for _, c := range o.Pagers {
			p.Styles = append(p.Styles, PagerStyle(c))
		}
		pg.Unlabelled = append(pg.Unlabelled, p)
	}
	pg.UnattachedPagers = code.UnattachedPagers
	return pg
}

// verdict judges the pagers generated for an operation labelled style whose
// spec supports the styles supports, and returns the style it rests on.
func verdict(style string, pagers, supports []string) (string, string) {
	if len(pagers) == 0 {
		return VerdictMissing, ""
	}
	want := expectedStyle[style]
	styles := make([]string, len(pagers))
	for i, p := range pagers {
		styles[i] = PagerStyle(p)
	}
	if slices.Contains(styles, want) {
		return VerdictMatch, want
	}
	for _, s := range styles {
		if s != GenOther && slices.Contains(supports, s) {
			return VerdictAlternative, s
		}
	}
	return VerdictUnsupported, strings.Join(styles, ",")
}
