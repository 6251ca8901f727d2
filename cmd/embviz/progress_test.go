package main

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestProgressBarNotTerminal: one line per stage start and end, and at most one line per interval
// in between, however often the computation reports.
func TestProgressBarNotTerminal(t *testing.T) {
	var out bytes.Buffer
	now := time.Unix(0, 0)
	p := &progressBar{w: &out, now: func() time.Time { return now }}
	for i := 1; i <= 50; i++ { // 50 frames, 1 s each, each reporting 3 sub-steps
		for _, s := range []string{"tsne knn", "tsne frames"} {
			now = now.Add(500 * time.Millisecond)
			p.update(i, 50, s)
		}
	}
	p.finish()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	t.Logf("%d lines:\n%s", len(lines), out.String())
	if len(lines) > 50/5+4 || len(lines) < 4 {
		t.Errorf("%d lines for 50 s of progress, want about one per 5 s plus stage starts and ends", len(lines))
	}
	if strings.Contains(out.String(), "\r") {
		t.Error("carriage returns written to a non-terminal")
	}
	last := lines[len(lines)-1]
	if !strings.Contains(last, "100%") || !strings.Contains(last, "done") {
		t.Errorf("last line %q, want the finished stage", last)
	}
	if !strings.Contains(out.String(), "ETA 0:") {
		t.Errorf("no ETA in %q", out.String())
	}
}

// TestProgressBarTerminal: redrawn in place, with stage, bar, percentage and ETA.
func TestProgressBarTerminal(t *testing.T) {
	var out bytes.Buffer
	now := time.Unix(0, 0)
	p := &progressBar{w: &out, tty: true, now: func() time.Time { return now }}
	p.update(0, 10, "umap frames")
	for i := 1; i <= 10; i++ {
		now = now.Add(2 * time.Second)
		p.update(i, 10, "umap frames")
		if i == 4 {
			s := out.String()
			cur := s[strings.LastIndex(s, "\r")+1:]
			if !strings.Contains(cur, "umap frames") || !strings.Contains(cur, "[########............]  40%") || !strings.Contains(cur, "ETA 0:12") || !strings.Contains(cur, "(0:08)") {
				t.Errorf("line %q, want stage, a 40%% bar and ETA 0:12", cur)
			}
		}
	}
	p.finish()
	s := out.String()
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") || strings.Count(s, "\r") != 12 || !strings.Contains(s[strings.LastIndex(s, "\r"):], "done      (0:20)") {
		t.Errorf("want 11 in-place redraws, a final one saying done, and one newline, got %q", s)
	}
}

func TestClockDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0:00", 61 * time.Second: "1:01", 3725 * time.Second: "1:02:05"} {
		if got := clockDuration(d); got != want {
			t.Errorf("clockDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestProgressBarSections: vizlib's report nests section progress as "name: detail d/t".
func TestProgressBarSections(t *testing.T) {
	st := parseStage(7, 8, "tsne: tsne frames 10/50")
	if st.key != "tsne" || st.frac != 0.2 || st.overall != (6+0.2)/8 || st.label != "7/8 tsne frames 10/50" {
		t.Errorf("parsed %+v", st)
	}
	for _, c := range []struct {
		done, total int
		stage, key  string
		overall     float64
		label       string
	}{
		{3, 10, "knn", "knn", 0.3, "3/10 knn"},
		{2, 8, "drift: skips 1/5", "drift", (1 + 0.2) / 8, "2/8 drift: skips 1/5"}, // a detail not named after its section keeps both
		{8, 8, "umap: umap frames 39/50", "umap", (7 + 0.78) / 8, "8/8 umap frames 39/50"},
	} {
		if st := parseStage(c.done, c.total, c.stage); st.key != c.key || math.Abs(st.overall-c.overall) > 1e-12 || st.label != c.label {
			t.Errorf("parseStage(%d, %d, %q) = %+v, want key %q, overall %v, label %q", c.done, c.total, c.stage, st, c.key, c.overall, c.label)
		}
	}
	var out bytes.Buffer
	now := time.Unix(0, 0)
	p := &progressBar{w: &out, now: func() time.Time { return now }}
	p.update(7, 8, "tsne")
	for i := 1; i <= 50; i++ {
		now = now.Add(time.Second)
		p.update(7, 8, "tsne: tsne frames "+strconv.Itoa(i)+"/50")
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	t.Logf("%s", out.String())
	if len(lines) > 13 || !strings.Contains(out.String(), "ETA 0:40") {
		t.Errorf("%d lines, want <= 13 and a section ETA of 0:40 after 10 of 50 frames in 10 s", len(lines))
	}
}

// TestProgressBarETAAfterSlowFirstUnit: a section whose first unit is slow (t-SNE frame 0, a full
// embedding, then cheap warm frames) gets the ETA of the later units' rate.
func TestProgressBarETAAfterSlowFirstUnit(t *testing.T) {
	var out bytes.Buffer
	now := time.Unix(0, 0)
	p := &progressBar{w: &out, interval: time.Nanosecond, sections: true, now: func() time.Time { return now }}
	p.update(7, 8, "tsne")
	now = now.Add(40 * time.Second) // frame 0
	p.update(7, 8, "tsne: tsne frames 1/50")
	for i := 2; i <= 11; i++ { // then 1 s a frame
		now = now.Add(time.Second)
		p.update(7, 8, "tsne: tsne frames "+strconv.Itoa(i)+"/50")
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := lines[len(lines)-1]
	t.Logf("%s", out.String())
	if !strings.Contains(last, "tsne frames 11/50") || !strings.Contains(last, "ETA 0:39") {
		t.Errorf("last line %q, want frame 11 of 50 with ETA 0:39 (39 frames at 1 s)", last)
	}
}
