package vizlib

import (
	"html"
	"strconv"
	"strings"
)

// Table is a plain, self-contained HTML table: a summary of numbers next to the charts (e.g.
// ClusterSummary). Cells that parse as numbers are right-aligned. Its zero value plus Headers and
// Rows is valid; rows shorter than Headers are padded with empty cells.
type dataTable struct {
	Title   string
	Headers []string
	Rows    [][]string
	// Note is a line of small print under the table (what the numbers mean).
	Note string
}

// HTML returns the table as a fragment (no script: it renders wherever HTML does).
func (t *dataTable) html() string {
	const cell = "padding:2px 10px;border-bottom:1px solid #eee;"
	cols := len(t.Headers)
	for _, r := range t.Rows {
		cols = max(cols, len(r))
	}
	var b strings.Builder
	b.WriteString(`<div class="embviz-table" style="margin:4px 0">`)
	if t.Title != "" {
		b.WriteString(`<div style="font:600 13px sans-serif;margin:4px 0">` + html.EscapeString(t.Title) + `</div>`)
	}
	b.WriteString(`<table style="border-collapse:collapse;font:12px monospace">`)
	if len(t.Headers) > 0 {
		b.WriteString(`<thead><tr style="border-bottom:1px solid #999">`)
		for i := 0; i < cols; i++ {
			h := ""
			if i < len(t.Headers) {
				h = t.Headers[i]
			}
			align := "left"
			if i > 0 {
				align = "right"
			}
			b.WriteString(`<th style="` + cell + `border-bottom:1px solid #999;text-align:` + align + `">` + html.EscapeString(h) + `</th>`)
		}
		b.WriteString(`</tr></thead>`)
	}
	b.WriteString(`<tbody>`)
	for _, r := range t.Rows {
		b.WriteString(`<tr>`)
		for i := 0; i < cols; i++ {
			v := ""
			if i < len(r) {
				v = r[i]
			}
			align := "left"
			if isNumber(v) {
				align = "right"
			}
			b.WriteString(`<td style="` + cell + `text-align:` + align + `">` + html.EscapeString(v) + `</td>`)
		}
		b.WriteString(`</tr>`)
	}
	b.WriteString(`</tbody></table>`)
	if t.Note != "" {
		b.WriteString(`<div style="font:11px sans-serif;color:#666;margin-top:3px">` + html.EscapeString(t.Note) + `</div>`)
	}
	b.WriteString(`</div>`)
	return b.String()
}

// isNumber reports whether s is a number (possibly with a trailing %), for alignment.
func isNumber(s string) bool {
	s = strings.TrimSuffix(strings.TrimSpace(s), "%")
	if s == "" {
		return false
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}
