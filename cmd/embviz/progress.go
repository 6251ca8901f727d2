package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progressBar is the one progress display of a long command with named stages (reduce.Progress
// calls: done of total units of a stage). On a terminal it redraws one line in place, at most
// every 100 ms (stage, bar and percentage of the whole, the stage's ETA, time elapsed):
//
//	7/7 tsne and umap frames 41/100  [##################..]  92%  ETA 0:16  (0:13)
//
// Otherwise (a log file, CI) it writes a line when a stage starts and when all is done, and at
// most one line every interval in between. The ETA extrapolates the stage's own rate since its
// first progress report. Safe for concurrent use.
type progressBar struct {
	w        io.Writer
	tty      bool
	interval time.Duration // between lines when not a terminal; zero means 5 s
	// sections: a report without "name: detail d/t" (done, total, name) marks the start of section
	// done of total (vizlib's Report), not done units finished.
	sections bool
	now      func() time.Time // nil means time.Now

	mu    sync.Mutex
	start time.Time            // of the command
	seen  map[string]time.Time // stage -> when it was first reported
	// firstDone: stage -> when and at which fraction it first reported some progress; the ETA
	// extrapolates the rate since then (a first unit that costs more than the others, such as
	// the full t-SNE of frame 0 before warm frames, does not inflate it).
	firstDone map[string]stageMark
	ended     bool // the whole computation was reported done
	lastStage stageProgress
	last      time.Time // last draw
	drawn     bool      // a terminal line is on screen
	lastLine  string
}

// newProgressBar returns a progress display on w, redrawn in place when w is a terminal.
func newProgressBar(w io.Writer) *progressBar {
	return &progressBar{w: w, tty: isTerminal(w)}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (p *progressBar) clock() time.Time {
	if p.now != nil {
		return p.now()
	}
	return time.Now()
}

// update records that done of total units of stage are done (a reduce.Progress). A stage of the
// form "name: detail d/t" (how vizlib's Report nests its sections' progress: done/total count the
// sections) is section name, d of t units into it: the bar then shows the whole computation,
// (done-1 + d/t) / total, and the ETA is the section's.
func (p *progressBar) update(done, total int, stage string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock()
	if p.start.IsZero() {
		p.start = now
	}
	st := parseStage(done, total, stage)
	if p.sections && st.key == stage && total > 0 {
		st.frac, st.overall = 0, max(0, float64(done-1)/float64(total))
	}
	if p.seen == nil {
		p.seen = map[string]time.Time{}
	}
	first, seen := p.seen[st.key]
	if !seen {
		first = now
		p.seen[st.key] = now
	}
	if p.firstDone == nil {
		p.firstDone = map[string]stageMark{}
	}
	mark, ok := p.firstDone[st.key]
	if !ok && st.frac > 0 {
		p.firstDone[st.key] = stageMark{now, st.frac}
	}
	if !ok || st.frac <= mark.frac { // no rate since the first progress yet: from the stage's start
		mark = stageMark{first, 0}
	}
	finished := st.overall >= 1 && !p.ended
	p.ended = p.ended || finished
	p.lastStage = st
	interval := p.interval
	if interval == 0 {
		interval = 5 * time.Second
	}
	if p.tty {
		if seen && !finished && now.Sub(p.last) < 100*time.Millisecond {
			return
		}
	} else if seen && !finished && now.Sub(p.last) < interval {
		return
	}
	line := p.line(st, mark, now)
	if !p.tty && line == p.lastLine {
		return
	}
	p.last, p.lastLine = now, line
	if p.tty {
		fmt.Fprintf(p.w, "\r%-79s", truncate(line, 79))
		p.drawn = true
	} else {
		fmt.Fprintln(p.w, line)
	}
}

// stageMark is a stage's progress frac at time at.
type stageMark struct {
	at   time.Time
	frac float64
}

// stageProgress is one progress report, parsed.
type stageProgress struct {
	label   string  // shown
	key     string  // the stage (section) it belongs to
	frac    float64 // of the stage, in [0, 1]
	overall float64 // of the whole computation, in [0, 1]
}

// parseStage interprets a progress report (see update).
func parseStage(done, total int, stage string) stageProgress {
	frac := func(d, t int) float64 {
		if t <= 0 {
			return 0
		}
		return min(1, max(0, float64(d)/float64(t)))
	}
	st := stageProgress{label: stage, key: stage, frac: frac(done, total), overall: frac(done, total)}
	if total > 0 {
		st.label = fmt.Sprintf("%d/%d %s", done, total, stage)
	}
	name, detail, ok := strings.Cut(stage, ": ")
	if !ok {
		return st
	}
	var d, t int
	if sp := strings.LastIndexByte(detail, ' '); sp >= 0 {
		if _, err := fmt.Sscanf(detail[sp+1:], "%d/%d", &d, &t); err == nil && t > 0 {
			st.key = name
			st.frac = frac(d, t)
			if strings.HasPrefix(detail, name+" ") && total > 0 { // "tsne: tsne frames 3/50" shows as "7/8 tsne frames 3/50"
				st.label = fmt.Sprintf("%d/%d %s", done, total, detail)
			}
			if total > 0 {
				st.overall = min(1, max(0, (float64(done-1)+st.frac)/float64(total)))
			}
		}
	}
	return st
}

// line formats the display of st at now; the ETA extrapolates the rate since from.
func (p *progressBar) line(st stageProgress, from stageMark, now time.Time) string {
	const width = 20
	fill := int(st.overall * width)
	bar := strings.Repeat("#", fill) + strings.Repeat(".", width-fill)
	eta := "ETA  --"
	switch {
	case st.frac >= 1:
		eta = "ETA 0:00"
	case st.frac > from.frac && now.After(from.at):
		eta = "ETA " + clockDuration(time.Duration(float64(now.Sub(from.at))*(1-st.frac)/(st.frac-from.frac)))
	}
	return fmt.Sprintf("%-26s [%s] %3.0f%%  %s  (%s)", truncate(st.label, 26), bar, 100*st.overall, eta, clockDuration(now.Sub(p.start)))
}

// finish ends the display with a last line saying that all is done and how long it took.
func (p *progressBar) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.start.IsZero() {
		return
	}
	st := p.lastStage
	st.frac, st.overall = 1, 1
	line := strings.Replace(p.line(st, stageMark{}, p.clock()), "ETA 0:00", "done    ", 1)
	if p.tty {
		fmt.Fprintf(p.w, "\r%-79s\n", truncate(line, 79))
	} else {
		fmt.Fprintln(p.w, line)
	}
	p.drawn = false
}

// clockDuration formats d as m:ss (h:mm:ss from an hour).
func clockDuration(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
