package vizlib

import (
	"strings"
	"testing"
)

func TestTable(t *testing.T) {
	tb := &dataTable{Title: "scores <1>", Headers: []string{"layer", "ARI"},
		Rows: [][]string{{"fc1", "0.912"}, {"<pixels>", "-0.5", "extra"}, {"short"}}, Note: "a & b"}
	h := tb.html()
	for _, want := range []string{
		`class="embviz-table"`, "scores &lt;1&gt;", "&lt;pixels&gt;", "a &amp; b",
		`text-align:right">0.912</td>`, `text-align:right">-0.5</td>`, `text-align:left">fc1</td>`, ">extra</td>",
	} {
		if !strings.Contains(h, want) {
			t.Errorf("no %q in\n%s", want, h)
		}
	}
	// Every row has as many cells as the widest row (3).
	if got := strings.Count(h, "<td"); got != 9 {
		t.Errorf("%d cells, want 9", got)
	}
	if got := strings.Count(h, "<th style"); got != 3 {
		t.Errorf("%d header cells, want 3", got)
	}
	if strings.Contains(h, "<script") {
		t.Error("a table needs no script")
	}
	if h := (&dataTable{}).html(); !strings.Contains(h, "<table") || strings.Contains(h, "<thead>") {
		t.Errorf("empty table: %s", h)
	}
}
