package vizlib

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/embviz/embviz/training"
	"github.com/janpfeifer/gonb/gonbui"
)

// LiveOpts are the options of RunView.Live and TrainLive. The zero value reads the run store
// every second, shows the output only in the notebook and watches until the run ends.
type LiveOpts struct {
	// File, if not "", is rewritten (atomically) with the standalone page at every refresh, so a
	// browser tab reloading it follows the run; at the end it holds the final page.
	File string
	// Poll is how often the run store is read; 0 means 1s.
	Poll time.Duration
	// Context stops the watching (the output shows what had landed); nil means never.
	Context context.Context
	// Grid are the options of the animation's player (Confusion is implied for classifiers).
	Grid GridOpts
}

// Live shows the run's training records and its PCA animation (with the confusion matrix) and
// refreshes them as snapshots land in the run store, while the run is trained in this cell (see
// TrainLive) or in another process (`embviz train`): in a notebook the output is updated in
// place (GoNB UpdateHTML), and LiveOpts.File is rewritten. It returns when the run is no longer
// running (finished, failed or interrupted) or the context is done, with the final output: the
// same page as Live of the finished run, to Show and share.
func (v *RunView) Live(opts ...LiveOpts) *Figure {
	o, err := one("Live", opts)
	if err == nil {
		err = v.err
	}
	if err != nil {
		return figure(nil, err)
	}
	return v.live(o, nil)
}

// TrainLive trains cfg (training.Train) in the background and shows the run live (RunView.Live,
// with the view's default options) until training ends; it returns the final output, whose Err
// is the training error, if any. A notebook cell that trains and watches is one call:
//
//	vizlib.TrainLive(training.Config{RunsDir: "runs", Model: "mlp", Dataset: "blobs", Steps: 300}).Show()
func TrainLive(cfg training.Config, opts ...LiveOpts) *Figure {
	o, err := one("TrainLive", opts)
	if err != nil {
		return figure(nil, err)
	}
	ctx := o.Context
	if ctx == nil {
		ctx = context.Background()
	}
	ids := make(chan string, 1)
	user := cfg.OnProgress
	var once sync.Once
	cfg.OnProgress = func(p training.Progress) {
		once.Do(func() { ids <- p.RunID })
		if user != nil {
			user(p)
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := training.Train(ctx, cfg)
		done <- err
	}()
	var id string
	select {
	case id = <-ids:
	case err := <-done:
		if err == nil {
			err = errors.New("vizlib: TrainLive: training ended before reporting its run")
		}
		return figure(nil, err)
	}
	v := OpenView(cfg.RunsDir, id)
	if v.err != nil { // the run is created before the first report; retry once it is readable
		for i := 0; i < 50 && v.err != nil; i++ {
			time.Sleep(100 * time.Millisecond)
			v = OpenView(cfg.RunsDir, id)
		}
	}
	f := v.live(o, done)
	return f
}

// live polls the run until it is no longer running (or trainErr delivers, or the context ends)
// and returns the final figure.
func (v *RunView) live(o LiveOpts, trainErr <-chan error) *Figure {
	ctx := o.Context
	if ctx == nil {
		ctx = context.Background()
	}
	poll := o.Poll
	if poll <= 0 {
		poll = time.Second
	}
	id := ""
	if gonbui.IsNotebook {
		id = "evz-live-" + gonbui.UniqueID()
	}
	last, lastStatus := -1, ""
	var fig *Figure
	var terr error
	trained := false // TrainLive's training returned
	for {
		_ = v.run.Reload()
		info := v.run.Info()
		running := info.Status == training.StatusRunning && !trained
		if len(info.Snapshots) != last || info.Status != lastStatus || !running {
			fig = liveFigure(v, o, running)
			last, lastStatus = len(info.Snapshots), info.Status
			if o.File != "" {
				if err := liveWrite(fig, o.File); err != nil {
					return figure(nil, err)
				}
			}
			if id != "" && running {
				gonbui.UpdateHTML(id, fig.HTML())
			}
		}
		if !running {
			break
		}
		select {
		case <-ctx.Done():
			terr = ctx.Err()
		case err := <-trainErr:
			trained, terr, trainErr = true, err, nil
			continue // one last read: the run has ended
		case <-time.After(poll):
			continue
		}
		break
	}
	if id != "" {
		gonbui.UpdateHTML(id, "") // the transient live output makes way for the final one
	}
	if terr != nil {
		fig.err = errors.Join(fig.err, terr)
	}
	return fig
}

// liveWrite writes fig's page to path, or the error box of a figure that failed (no snapshots yet).
func liveWrite(fig *Figure, path string) error {
	if fig.content != nil {
		return fig.WriteFile(path)
	}
	return writeFileAtomic(path, []byte("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"2\"><title>embviz live</title></head><body>"+fig.HTML()+"</body></html>\n"))
}

// liveFigure renders the run as it is now: a fresh view (nothing cached from earlier refreshes)
// of the same options. While the run is running the page reloads itself every few seconds.
func liveFigure(v *RunView, o LiveOpts, running bool) *Figure {
	w := ViewOf(v.run, v.opts)
	w.opts.Quiet = true
	info := v.run.Info()
	if len(info.Snapshots) == 0 {
		return figure(nil, fmt.Errorf("vizlib: run %s: waiting for its first snapshot (status %s)", info.ID, info.Status))
	}
	p := &htmlPage{Title: "embviz live · " + info.ID}
	p.Subtitle = fmt.Sprintf("dataset %s · model %s · %d snapshots · status %s", info.Dataset, info.Model, len(info.Snapshots), info.Status)
	if running { // the file follows the run: reload every 3 s unless the reader is selecting
		p.Sections = append(p.Sections, pageSection{Content: rawHTML(`<script>setTimeout(function(){if(!document.querySelector('.evz[data-selected]:not([data-selected="0"])'))location.reload()},3000)</script>`)})
	}
	var errs []error
	g, err := w.trainingRecords(ChartOpts{})
	if err != nil {
		errs = append(errs, err)
		p.Sections = append(p.Sections, pageSection{Heading: "Training records", Content: errBox{err}})
	} else {
		p.Sections = append(p.Sections, pageSection{Heading: "Training records", Content: g})
	}
	a := w.PCA()
	gopts := o.Grid
	d, derr := w.load(false)
	gopts.Confusion = derr == nil && d.preds != nil
	pl, perrs := newPlayer([]*Animation{a}, gopts)
	if len(perrs) > 0 {
		errs = append(errs, perrs...)
		p.Sections = append(p.Sections, pageSection{Heading: "Embedding", Content: errBox{errors.Join(perrs...)}})
	}
	if pl != nil {
		pl.Name, pl.StartAtEnd = info.ID, running
		p.Sections = append(p.Sections, pageSection{Heading: "Embedding", Content: pl})
	}
	return &Figure{content: p, err: errors.Join(errs...)}
}
