package vizlib_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/embviz/embviz/vizlib"
)

func TestTable(t *testing.T) {
	tb := &vizlib.Table{Title: "scores <1>", Headers: []string{"layer", "ARI"},
		Rows: [][]string{{"fc1", "0.912"}, {"<pixels>", "-0.5", "extra"}, {"short"}}, Note: "a & b"}
	h := tb.HTML()
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
	if h := (&vizlib.Table{}).HTML(); !strings.Contains(h, "<table") || strings.Contains(h, "<thead>") {
		t.Errorf("empty table: %s", h)
	}
}

// A summary table; in a notebook, vizlib.Display(t) shows it.
func ExampleTable() {
	t := &vizlib.Table{Headers: []string{"layer", "ARI"}, Rows: [][]string{{"pixels", "0.39"}, {"fc1", "0.54"}}}
	h := t.HTML()
	fmt.Println(strings.Count(h, "<tr>"), strings.Contains(h, `text-align:right">0.54</td>`))
	// Output: 2 true
}
