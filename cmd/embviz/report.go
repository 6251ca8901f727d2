package main

import (
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
	"github.com/embviz/embviz/training/npy"
	"github.com/embviz/embviz/vizlib"
)

func init() {
	register("report", "write a standalone HTML report of one run (charts, confusion, drift, CKA, animations)", runReport)
}

// runReport implements `embviz report -runs DIR -run ID -out FILE.html`.
func runReport(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("report", stderr)
	runsDir := fs.String("runs", defaultRunsDir(), "runs directory")
	id := fs.String("run", "", "run id (or a unique prefix such as run-0011); required; A,B,... writes the comparison page of those runs")
	out := fs.String("out", "", "output HTML file (default <run id>.html)")
	maxPoints := fs.Int("max-points", 0, "subsample the evaluation points to at most this many for the animations (0: all)")
	interp := fs.Int("interpolate", 2, "in-between frames drawn between snapshots")
	seed := fs.Int64("seed", 0, "seed of t-SNE, UMAP and subsampling")
	mphate := fs.Bool("mphate", false, "also compute an M-PHATE animation (slow for large runs)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *id == "" {
		return fmt.Errorf("%w: -run is required", errUsage)
	}
	if *maxPoints < 0 {
		return fmt.Errorf("%w: -max-points is %d: use 0 for all points or a positive count", errUsage, *maxPoints)
	}
	if *interp < 0 {
		return fmt.Errorf("%w: -interpolate is %d: use 0 for none or a positive count of in-between frames", errUsage, *interp)
	}
	if *out != "" { // before computing anything
		if err := npy.CheckWritable(*out); err != nil {
			return fmt.Errorf("%w: -out: %v", errUsage, err)
		}
	}
	if ids := splitRuns(*id); len(ids) > 1 { // -run A,B: the comparison page (compare.go)
		return writeComparison(ids, *runsDir, *out, *maxPoints, *interp, *seed, stdout)
	}
	run, err := training.OpenRun(*runsDir, *id)
	if err != nil {
		return err
	}
	path := *out
	if path == "" {
		path = run.ID() + ".html"
		if err := npy.CheckWritable(path); err != nil {
			return fmt.Errorf("%w (pass -out FILE)", err)
		}
	}
	start := time.Now()
	bar := newProgressBar(stderr)
	bar.sections = true // vizlib's Report: (section, sections, name) starts a section
	v := vizlib.ViewOf(run, vizlib.ViewOptions{MaxPoints: *maxPoints, Seed: *seed, Progress: bar.update})
	opts := vizlib.ReportOpts{
		TSNE:        reduce.TSNEAnimOptions{TSNE: reduce.TSNEOptions{Seed: uint64(*seed)}},
		UMAP:        reduce.UMAPAnimOptions{UMAP: reduce.UMAPOptions{Seed: *seed}},
		Interpolate: *interp,
	}
	if *interp == 0 {
		opts.Interpolate = -1 // the flag's 0 means none; ReportOpts' zero means the default 2
	}
	if *mphate {
		opts.MPHATE = &reduce.MPHATEOptions{Seed: *seed}
	}
	page := v.Report(opts)
	bar.finish()
	rerr := page.Err()
	if err := page.WriteFile(path); err != nil {
		return err
	}
	abs, _ := filepath.Abs(path)
	fmt.Fprintf(stdout, "wrote %s (%.1fs)\n", abs, time.Since(start).Seconds())
	if rerr != nil {
		return fmt.Errorf("report written with failed sections: %w", rerr)
	}
	return nil
}

func truncate(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
