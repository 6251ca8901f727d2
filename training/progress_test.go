package training

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestProgressFormatting(t *testing.T) {
	p := Progress{Step: 50, Steps: 200, StartStep: 0, Epoch: 0.5, LR: 1e-3, TrainLoss: 0.5, TrainAcc: 0.8,
		EvalLoss: math.NaN(), EvalAcc: math.NaN(), Snapshots: 3, TotalSnapshots: 10, Phase: "warm", Elapsed: 10 * time.Second}
	s := p.String()
	for _, want := range []string{" 50/200", "25%", "loss 0.5000", "acc 0.800", "snap 3/10", "warm", "5.0 it/s", "ETA 30s"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q lacks %q", s, want)
		}
	}
	if strings.Contains(s, "eval") {
		t.Errorf("%q shows eval values before any snapshot", s)
	}
	var b strings.Builder
	on, done := TextProgress(&b)
	on(p)
	p.Step = 200
	on(p)
	done()
	out := b.String()
	if strings.Count(out, "\r") != 2 || !strings.HasSuffix(out, "\n") || !strings.Contains(out, "200/200") {
		t.Errorf("text progress output %q", out)
	}
	var html string
	HTMLProgress(func(h string) { html = h })(p)
	if !strings.Contains(html, `<progress max="200" value="200"`) {
		t.Errorf("HTML progress %q", html)
	}
}
