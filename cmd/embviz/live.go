package main

import (
	"sync"
	"time"

	"github.com/embviz/embviz/training"
	"github.com/embviz/embviz/vizlib"
)

// startLive makes `embviz train -live FILE.html` follow the run: once training reports its run,
// a reader rewrites FILE.html from the run store (vizlib RunView.Live: training records and the
// PCA animation with the confusion matrix) at every snapshot, and at the end leaves the final
// page. The returned function, called after training returns, waits for that final page.
func startLive(cfg *training.Config, path string) (wait func() error) {
	ids := make(chan string, 1)
	var once sync.Once
	user := cfg.OnProgress
	cfg.OnProgress = func(p training.Progress) {
		once.Do(func() { ids <- p.RunID })
		if user != nil {
			user(p)
		}
	}
	done := make(chan error, 1)
	runsDir := cfg.RunsDir
	go func() {
		id := <-ids
		if id == "" { // training ended before reporting a run
			done <- nil
			return
		}
		done <- vizlib.OpenView(runsDir, id).Live(vizlib.LiveOpts{File: path, Poll: 500 * time.Millisecond}).Err()
	}()
	return func() error {
		once.Do(func() { ids <- "" })
		return <-done
	}
}
