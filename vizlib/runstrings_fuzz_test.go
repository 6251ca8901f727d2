package vizlib

import (
	"errors"
	"strings"
	"testing"

	"github.com/embviz/embviz/training"
)

// FuzzRunStringsHTML: strings from run.json (id, status, dataset, model, class names, an error)
// reach the notebook's HTML fragments escaped: whatever they hold, a fragment has as many '<' and
// as many "</script" (in any case) as the same fragment made from plain strings, so run data can
// neither open a tag nor close the script element that carries the JSON data.
func FuzzRunStringsHTML(f *testing.F) {
	f.Add("run-0001-CNN_mnist_32", "finished", "mnist", "CNN", "seven")
	f.Add("</script><script>alert(1)</script>", "<b>running</b>", "</SCRIPT >", "<!--", "&lt;x&gt;")
	f.Add("\x1b[31m", "interrupted", "<img src=x onerror=alert(1)>", "\u2028\u2029", "\xff\xfe")
	f.Add("<", ">", "&", "'\"", "</scr\x00ipt>")
	f.Fuzz(func(t *testing.T, id, status, dataset, model, class string) {
		fragments := func(id, status, dataset, model, class string) []string {
			runs := []training.RunInfo{{ID: id, Status: status, Dataset: dataset, Model: model, ClassNames: []string{class}}}
			return []string{
				runsTable("runs/"+dataset, runs),
				renderSpec(map[string]any{"title": id, "dataset": dataset, "model": model, "classes": []string{class, status}}, false, ""),
				errorHTML(errors.New("run " + id + " of " + dataset + ": " + class)),
				notesHTML([]string{model, class}),
			}
		}
		got := fragments(id, status, dataset, model, class)
		want := fragments("id", "status", "dataset", "model", "class")
		for i := range got {
			if g, w := strings.Count(got[i], "<"), strings.Count(want[i], "<"); g != w {
				t.Fatalf("fragment %d has %d '<' with run strings, %d without:\n%s", i, g, w, got[i])
			}
			if g, w := strings.Count(strings.ToLower(got[i]), "</script"), strings.Count(strings.ToLower(want[i]), "</script"); g != w {
				t.Fatalf("fragment %d has %d </script with run strings, %d without:\n%s", i, g, w, got[i])
			}
		}
	})
}
