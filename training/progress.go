package training

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
	"sync"
	"time"
)

// Progress is the state of a training run, reported after every step and every snapshot.
type Progress struct {
	// RunID is the run's (provisional) id.
	RunID string
	// Step is the number of training steps done, of Steps.
	Step, Steps int
	// StartStep is the step this process started from (non-zero when resuming).
	StartStep int
	// Epoch is Step*Batch / training split size.
	Epoch float64
	// LR is the learning rate of the last step.
	LR float64
	// TrainLoss and TrainAcc are moving averages over recent batches (NaN before the first
	// step; TrainAcc is NaN for autoencoders).
	TrainLoss, TrainAcc float64
	// EvalLoss and EvalAcc are from the latest snapshot (NaN before it; EvalAcc NaN for autoencoders).
	EvalLoss, EvalAcc float64
	// Snapshots recorded so far, of TotalSnapshots.
	Snapshots, TotalSnapshots int
	// Snapshot is true when this report follows a snapshot.
	Snapshot bool
	// Phase is the curriculum phase ("" without a curriculum).
	Phase string
	// Elapsed is the wall time since this process started training.
	Elapsed time.Duration
}

// StepsPerSecond is the training speed of this process so far.
func (p Progress) StepsPerSecond() float64 {
	done := p.Step - p.StartStep
	if done <= 0 || p.Elapsed <= 0 {
		return 0
	}
	return float64(done) / p.Elapsed.Seconds()
}

// ETA estimates the remaining time from the speed so far (0 when unknown).
func (p Progress) ETA() time.Duration {
	sps := p.StepsPerSecond()
	if sps == 0 {
		return 0
	}
	return time.Duration(float64(p.Steps-p.Step) / sps * float64(time.Second))
}

// String formats p as one line: step, bar, epoch, lr, losses, accuracies, speed, ETA.
func (p Progress) String() string {
	var b strings.Builder
	const width = 24
	frac := 0.0
	if p.Steps > 0 {
		frac = float64(p.Step) / float64(p.Steps)
	}
	fill := int(frac * width)
	fmt.Fprintf(&b, "%*d/%d [%s%s] %3.0f%% ep %.2f lr %.2e", len(fmt.Sprint(p.Steps)), p.Step, p.Steps,
		strings.Repeat("=", fill), strings.Repeat(" ", width-fill), 100*frac, p.Epoch, p.LR)
	if !math.IsNaN(p.TrainLoss) {
		fmt.Fprintf(&b, " loss %.4f", p.TrainLoss)
	}
	if !math.IsNaN(p.TrainAcc) {
		fmt.Fprintf(&b, " acc %.3f", p.TrainAcc)
	}
	if !math.IsNaN(p.EvalLoss) {
		fmt.Fprintf(&b, " | eval loss %.4f", p.EvalLoss)
	}
	if !math.IsNaN(p.EvalAcc) {
		fmt.Fprintf(&b, " acc %.3f", p.EvalAcc)
	}
	fmt.Fprintf(&b, " | snap %d/%d", p.Snapshots, p.TotalSnapshots)
	if p.Phase != "" {
		fmt.Fprintf(&b, " | %s", p.Phase)
	}
	if sps := p.StepsPerSecond(); sps > 0 {
		fmt.Fprintf(&b, " | %.1f it/s ETA %s", sps, p.ETA().Round(time.Second))
	}
	return b.String()
}

// textBar rewrites one progress line on a terminal-like writer, at most every 200 ms (and at
// every snapshot).
type textBar struct {
	w       io.Writer
	last    time.Time
	lastLen int
}

func newTextBar(w io.Writer) *textBar { return &textBar{w: w} }

func (t *textBar) update(p Progress) {
	if !p.Snapshot && p.Step != p.Steps && time.Since(t.last) < 200*time.Millisecond {
		return
	}
	t.last = time.Now()
	line := p.String()
	pad := ""
	if n := t.lastLen - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	t.lastLen = len(line)
	fmt.Fprintf(t.w, "\r%s%s", line, pad)
}

func (t *textBar) finish() { fmt.Fprintln(t.w) }

// TextProgress returns an OnProgress callback that writes a one-line progress bar to w,
// rewriting it with '\r' at most every 200 ms; call the returned done function at the end to
// end the line.
func TextProgress(w io.Writer) (onProgress func(Progress), done func()) {
	bar := newTextBar(w)
	var mu sync.Mutex
	return func(p Progress) {
			mu.Lock()
			defer mu.Unlock()
			bar.update(p)
		}, func() {
			mu.Lock()
			defer mu.Unlock()
			bar.finish()
		}
}

// HTMLProgress returns an OnProgress callback for notebooks: it renders the progress as an HTML
// <progress> bar plus the status line and passes it to update at most every 250 ms (and at every
// snapshot and the last step). In GoNB, create a cell output and update it in place:
//
//	id := "progress-" + gonbui.UniqueID()
//	gonbui.DisplayHTML(`<div id="` + id + `"></div>`)
//	cfg.OnProgress = training.HTMLProgress(func(html string) { gonbui.UpdateHTML(id, html) })
func HTMLProgress(update func(html string)) func(Progress) {
	var last time.Time
	var mu sync.Mutex
	return func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		if !p.Snapshot && p.Step != p.Steps && time.Since(last) < 250*time.Millisecond {
			return
		}
		last = time.Now()
		update(ProgressHTML(p))
	}
}

// ProgressHTML renders p as a self-contained HTML fragment: a <progress> bar and the status line.
func ProgressHTML(p Progress) string {
	return fmt.Sprintf(
		`<div style="font-family:monospace"><progress max="%d" value="%d" style="width:24em"></progress> %s</div>`,
		p.Steps, p.Step, html.EscapeString(p.String()))
}
