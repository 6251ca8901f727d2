package vizlib

import (
	"fmt"
	"html"
	"strings"

	"github.com/embviz/embviz/training"
)

// Runs shows a table of the runs in runsDir (display id, status, dataset, model, embedding size,
// snapshots, steps, final eval accuracy), newest last. A run whose training process died is
// shown as interrupted (embviz train -resume continues it). A missing or empty directory is shown as a
// note that says how to train a run, not as an error.
func Runs(runsDir string) *Figure {
	runs, err := training.ListRuns(runsDir)
	var h string
	switch {
	case err != nil:
		h = fmt.Sprintf(`<div class="embviz-note">%s</div>`, html.EscapeString(err.Error()))
	case len(runs) == 0:
		h = fmt.Sprintf(`<div class="embviz-note">No runs in %s yet: train one with <code>embviz train</code> (or run <code>make demo</code>).</div>`, html.EscapeString(runsDir))
	default:
		h = runsTable(runsDir, runs)
	}
	return figure(rawHTML(h), nil)
}

func runsTable(runsDir string, runs []training.RunInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<div class="embviz-runs"><div style="font:600 13px sans-serif;margin:4px 0">Runs in %s</div>`, html.EscapeString(runsDir))
	b.WriteString(`<table style="border-collapse:collapse;font:12px monospace">`)
	b.WriteString(`<tr style="text-align:left;border-bottom:1px solid #999"><th style="padding:2px 8px">id</th><th style="padding:2px 8px">status</th><th style="padding:2px 8px">dataset</th><th style="padding:2px 8px">model</th><th style="padding:2px 8px">embed</th><th style="padding:2px 8px">snapshots</th><th style="padding:2px 8px">steps</th><th style="padding:2px 8px">final acc</th></tr>`)
	for _, r := range runs {
		acc := "-"
		if r.Status == training.StatusFinished {
			acc = fmt.Sprintf("%.4f", r.FinalEvalAcc)
		}
		color := map[string]string{training.StatusFinished: "#2a7", training.StatusRunning: "#c80", training.StatusFailed: "#c33", training.StatusInterrupted: "#a50", "corrupt": "#c33"}[r.Status]
		fmt.Fprintf(&b, `<tr><td style="padding:2px 8px">%s</td><td style="padding:2px 8px;color:%s">%s</td><td style="padding:2px 8px">%s</td><td style="padding:2px 8px">%s</td><td style="padding:2px 8px">%d</td><td style="padding:2px 8px">%d</td><td style="padding:2px 8px">%d</td><td style="padding:2px 8px">%s</td></tr>`,
			html.EscapeString(r.DisplayID()), color, html.EscapeString(r.Status), html.EscapeString(r.Dataset), html.EscapeString(r.Model),
			r.EmbedDim, len(r.Snapshots), r.Steps, acc)
	}
	b.WriteString(`</table></div>`)
	return b.String()
}
