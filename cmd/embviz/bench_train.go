package main

import (
	"fmt"
	"io"
	"slices"
	"sort"

	"github.com/embviz/embviz/backend"
	"github.com/embviz/embviz/models"
)

func init() {
	register("bench train", "time training steps of the benchmark CNN on random data (images_per_second=...)", runBenchTrain)
}

// runBenchTrain implements
//
//	embviz bench train [-steps N] [-batch B] [-warmup W] [-torch] [-rounds R] [-python PATH]
//
// It trains the benchmark network (models.BenchTrain: the 28x28 CNN with Adam) on random data and
// prints one line per round with ms_per_step, cpu_ms_per_step and images_per_second=<float>.
// With -torch each round also runs the PyTorch reference (same network, 2 threads) right after,
// and a final "summary" line gives, over the rounds, the median images per second of both and
// their ratio, the best round of each and their ratio (on a shared machine, the rounds least
// slowed by other load), and the median CPU time per step of both with PyTorch's over ours
// (cpu_ratio: work per step, insensitive to how many cores were free), so that the numbers
// always come from the same run and machine load.
func runBenchTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench train", stderr)
	steps := fs.Int("steps", 50, "timed training steps per round")
	batch := fs.Int("batch", 64, "batch size")
	warmup := fs.Int("warmup", 3, "untimed steps before timing (the first compiles the graph)")
	torch := fs.Bool("torch", false, "also run the PyTorch reference (python3-torch) in each round")
	rounds := fs.Int("rounds", 1, "rounds, alternating embviz and PyTorch; the summary gives medians")
	python := fs.String("python", "/usr/bin/python3", "Python interpreter with torch, for -torch")
	threads := fs.Int("threads", 2, "PyTorch threads, for -torch")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *steps < 1 || *batch < 1 || *warmup < 0 || *rounds < 1 || *threads < 1 {
		return fmt.Errorf("%w: -steps (%d), -batch (%d), -rounds (%d), -threads (%d) must be >= 1, -warmup (%d) >= 0",
			errUsage, *steps, *batch, *rounds, *threads, *warmup)
	}
	b, err := backend.New()
	if err != nil {
		return err
	}
	if w := backend.SpeedWarning(); w != "" {
		fmt.Fprintln(stderr, w)
	}
	var ours, theirs, oursCPU, theirsCPU []float64
	for r := range *rounds {
		res, err := models.BenchTrain(b, *steps, *batch, *warmup)
		if err != nil {
			return err
		}
		ours = append(ours, res.ImagesPerSecond())
		oursCPU = append(oursCPU, res.CPUMsPerStep())
		fmt.Fprintf(stdout, "bench train: round=%d model=CNN backend=%s steps=%d batch=%d warmup_s=%.2f ms_per_step=%.2f cpu_ms_per_step=%.2f final_loss=%.4f images_per_second=%.1f\n",
			r+1, backend.Config(), res.Steps, res.Batch, res.Warmup.Seconds(), res.MsPerStep(), res.CPUMsPerStep(),
			res.FinalLoss, res.ImagesPerSecond())
		if *torch {
			tr, err := models.RunTorchBench(*python, *steps, *batch, *warmup, *threads)
			if err != nil {
				return err
			}
			theirs = append(theirs, tr.ImagesPerSecond)
			theirsCPU = append(theirsCPU, tr.CPUMsPerStep)
			fmt.Fprintf(stdout, "bench train: round=%d %s\n", r+1, tr.Line)
		}
	}
	if *torch {
		o, t := median(ours), median(theirs)
		ob, tb := slices.Max(ours), slices.Max(theirs)
		oc, tc := median(oursCPU), median(theirsCPU)
		fmt.Fprintf(stdout, "bench train: summary rounds=%d median images_per_second=%.1f torch_images_per_second=%.1f ratio=%.2f"+
			" best images_per_second=%.1f torch_images_per_second=%.1f best_ratio=%.2f cpu_ms_per_step=%.1f torch_cpu_ms_per_step=%.1f cpu_ratio=%.2f\n",
			*rounds, o, t, o/t, ob, tb, ob/tb, oc, tc, tc/oc)
	}
	return nil
}

// median returns the median of v (mean of the middle two for even lengths); v is not modified.
func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
