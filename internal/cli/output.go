package cli

import (
	"encoding/json"
	"io"
	"text/tabwriter"
)

// WriteJSON writes v as indented JSON and a newline.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteTable writes rows under header in aligned columns, two spaces
// apart. Every cell is made safe for one terminal line (see [Cell]), so
// text from a server can neither break the table nor send escape
// sequences. A cell wider than max runes is cut with "…" (max <= 0: never).
func WriteTable(w io.Writer, header []string, rows [][]string, max int) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	write := func(cells []string) error {
		for i, c := range cells {
			if i > 0 {
				if _, err := io.WriteString(tw, "\t"); err != nil {
					return err
				}
			}
			if _, err := io.WriteString(tw, Cell(c, max)); err != nil {
				return err
			}
		}
		_, err := io.WriteString(tw, "\n")
		return err
	}
	if err := write(header); err != nil {
		return err
	}
	for _, r := range rows {
		if err := write(r); err != nil {
			return err
		}
	}
	return tw.Flush()
}

// Cell makes s safe for one cell of a terminal table: control characters,
// tabs and line breaks become single spaces, and s is cut at max runes with
// "…" (max <= 0: never).
func Cell(s string, max int) string {
	if max <= 0 {
		max = int(^uint(0) >> 1)
	}
	return oneLine(s, max)
}
