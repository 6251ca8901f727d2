package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/embviz/embviz/backend"
	"github.com/embviz/embviz/models"
)

func init() {
	register("bench train", "time training steps (and with -infer, snapshot inference) of the benchmark CNN or ViT on random data (images_per_second=...)", runBenchTrain)
}

// runBenchTrain implements
//
//	embviz bench train [-model cnn|vit] [-steps N] [-batch B] [-warmup W] [-torch] [-rounds R]
//	                   [-infer] [-infer-batch B] [-infer-steps N] [-layers L1,L2] [-python PATH]
//
// It trains the benchmark network (models.BenchTrainModel: the 28x28 CNN, or with -model vit the
// 32x32x3 ViT, with Adam) on random data and prints one line per round with ms_per_step,
// cpu_ms_per_step and images_per_second=<float>. With -infer each round then also times inference
// the way a training run evaluates its snapshots (models.BenchInfer: inference graph, embedding
// and logits of -infer-batch images per step, plus the -layers taps), on a "bench infer" line.
// With -torch each measurement is followed by the PyTorch reference's (same network, 2 threads;
// inference in eval mode under torch.no_grad(), embedding and logits), and a final "summary" line
// gives, over the rounds, the median images per second of both and their ratio, the best round of
// each and their ratio (on a shared machine, the rounds least slowed by other load), and the
// median CPU time per step of both with PyTorch's over ours (cpu_ratio: work per step,
// insensitive to how many cores were free), so that the numbers always come from the same run
// and machine load; with -infer a second summary line ("summary infer") gives the same for
// inference.
func runBenchTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench train", stderr)
	modelName := fs.String("model", "cnn", "benchmark network: "+strings.Join(models.BenchModels, "|"))
	steps := fs.Int("steps", 50, "timed training steps per round")
	batch := fs.Int("batch", 64, "batch size")
	warmup := fs.Int("warmup", 3, "untimed steps before timing (the first compiles the graph)")
	torch := fs.Bool("torch", false, "also run the PyTorch reference (python3-torch) in each round")
	rounds := fs.Int("rounds", 1, "rounds, alternating embviz and PyTorch; the summary gives medians")
	infer := fs.Bool("infer", false, "also time snapshot inference (embedding and logits, inference mode) in each round")
	inferBatch := fs.Int("infer-batch", 500, "images per inference step, for -infer")
	inferSteps := fs.Int("infer-steps", 10, "timed inference steps per round, for -infer")
	layers := fs.String("layers", "", "comma-separated layer taps that inference also returns, as a training run records them (e.g. conv1,conv2), for -infer")
	python := fs.String("python", "/usr/bin/python3", "Python interpreter with torch, for -torch")
	threads := fs.Int("threads", 2, "PyTorch threads, for -torch")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *steps < 1 || *batch < 1 || *warmup < 0 || *rounds < 1 || *threads < 1 || *inferBatch < 1 || *inferSteps < 1 {
		return fmt.Errorf("%w: -steps (%d), -batch (%d), -rounds (%d), -threads (%d), -infer-batch (%d), -infer-steps (%d) must be >= 1, -warmup (%d) >= 0",
			errUsage, *steps, *batch, *rounds, *threads, *inferBatch, *inferSteps, *warmup)
	}
	if !slices.Contains(models.BenchModels, *modelName) {
		return fmt.Errorf("%w: -model %q: want one of %s", errUsage, *modelName, strings.Join(models.BenchModels, ", "))
	}
	var taps []string
	for _, l := range strings.Split(*layers, ",") {
		if l = strings.TrimSpace(l); l != "" {
			taps = append(taps, l)
		}
	}
	if len(taps) > 0 && !*infer {
		return fmt.Errorf("%w: -layers applies to inference: add -infer", errUsage)
	}
	for _, f := range []string{"infer-batch", "infer-steps"} {
		if flagSet(fs, f) && !*infer {
			return fmt.Errorf("%w: -%s applies to inference: add -infer", errUsage, f)
		}
	}
	b, err := backend.New()
	if err != nil {
		return err
	}
	if w := backend.SpeedWarning(); w != "" {
		fmt.Fprintln(stderr, w)
	}
	var trainRes, inferRes benchSeries
	for r := range *rounds {
		res, err := models.BenchTrainModel(b, *modelName, *steps, *batch, *warmup)
		if err != nil {
			return err
		}
		trainRes.add(res.ImagesPerSecond(), res.CPUMsPerStep())
		fmt.Fprintf(stdout, "bench train: round=%d model=%s backend=%s steps=%d batch=%d warmup_s=%.2f ms_per_step=%.2f cpu_ms_per_step=%.2f final_loss=%.4f images_per_second=%.1f\n",
			r+1, *modelName, backend.Config(), res.Steps, res.Batch, res.Warmup.Seconds(), res.MsPerStep(), res.CPUMsPerStep(),
			res.FinalLoss, res.ImagesPerSecond())
		if *torch {
			tr, err := models.RunTorch(*python, *modelName, "train", *steps, *batch, *warmup, *threads)
			if err != nil {
				return err
			}
			trainRes.addTorch(tr.ImagesPerSecond, tr.CPUMsPerStep)
			fmt.Fprintf(stdout, "bench train: round=%d %s\n", r+1, tr.Line)
		}
		if !*infer {
			continue
		}
		ir, err := models.BenchInfer(b, *modelName, taps, *inferSteps, *inferBatch, 1)
		if err != nil {
			return err
		}
		inferRes.add(ir.ImagesPerSecond(), ir.CPUMsPerStep())
		fmt.Fprintf(stdout, "bench infer: round=%d model=%s backend=%s layers=%s steps=%d batch=%d warmup_s=%.2f ms_per_step=%.2f cpu_ms_per_step=%.2f final_loss=%.4f images_per_second=%.1f\n",
			r+1, *modelName, backend.Config(), strings.Join(append([]string{"embedding", "logits"}, taps...), ","), ir.Steps, ir.Batch,
			ir.Warmup.Seconds(), ir.MsPerStep(), ir.CPUMsPerStep(), ir.FinalLoss, ir.ImagesPerSecond())
		if *torch {
			tr, err := models.RunTorch(*python, *modelName, "infer", *inferSteps, *inferBatch, 1, *threads)
			if err != nil {
				return err
			}
			inferRes.addTorch(tr.ImagesPerSecond, tr.CPUMsPerStep)
			fmt.Fprintf(stdout, "bench infer: round=%d %s\n", r+1, tr.Line)
		}
	}
	if *torch {
		fmt.Fprintf(stdout, "bench train: summary rounds=%d model=%s %s\n", *rounds, *modelName, trainRes.summary())
		if *infer {
			fmt.Fprintf(stdout, "bench train: summary infer rounds=%d model=%s batch=%d %s\n", *rounds, *modelName, *inferBatch, inferRes.summary())
		}
	}
	return nil
}

// benchSeries collects per-round images/s and CPU ms per step of ours and PyTorch's.
type benchSeries struct {
	ours, theirs, oursCPU, theirsCPU []float64
}

func (s *benchSeries) add(ips, cpuMs float64) {
	s.ours, s.oursCPU = append(s.ours, ips), append(s.oursCPU, cpuMs)
}

func (s *benchSeries) addTorch(ips, cpuMs float64) {
	s.theirs, s.theirsCPU = append(s.theirs, ips), append(s.theirsCPU, cpuMs)
}

// summary is the summary line's fields: medians, best rounds and CPU time, each next to PyTorch's.
func (s *benchSeries) summary() string {
	o, t := median(s.ours), median(s.theirs)
	ob, tb := slices.Max(s.ours), slices.Max(s.theirs)
	oc, tc := median(s.oursCPU), median(s.theirsCPU)
	return fmt.Sprintf("median images_per_second=%.1f torch_images_per_second=%.1f ratio=%.2f"+
		" best images_per_second=%.1f torch_images_per_second=%.1f best_ratio=%.2f cpu_ms_per_step=%.1f torch_cpu_ms_per_step=%.1f cpu_ratio=%.2f",
		o, t, o/t, ob, tb, ob/tb, oc, tc, tc/oc)
}

// flagSet reports whether the named flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
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
