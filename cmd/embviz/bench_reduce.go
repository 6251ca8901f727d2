package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training/npy"
)

func init() {
	register("bench reduce", "time t-SNE and UMAP on Fashion-MNIST next to scikit-learn and umap-learn", runBenchReduce)
}

// runBenchReduce implements
//
//	embviz bench reduce [-n N] [-frames F] [-data DIR] [-python PATH] [-script PATH] [-no-ref] [-k K]
//
// It reads the first N Fashion-MNIST test images (the Debian dataset-fashion-mnist files in DIR),
// projects them on their first 50 principal components, and times on that matrix: our t-SNE
// (defaults: Barnes-Hut, perplexity 30, 750 iterations), our UMAP (defaults), then in the same run
// scikit-learn's Barnes-Hut t-SNE (its defaults, 1000 iterations) and umap-learn warm (its numba
// JIT compiled by a small untimed fit first), with trustworthiness@K of all four embeddings
// computed by sklearn.manifold.trustworthiness. With -frames F > 0 it also times a F-frame t-SNE
// animation (reduce.TSNEFrames) of a synthetic training-like sequence: snapshot t blends a fixed
// random matrix into the data, X_t = (1-a_t) R + a_t X, a_t from 0.3 to 1, with the defaults and
// with the settings before 2026-12 in the same run (last-frame trustworthiness and mean
// frame-to-frame displacement of both, times in units of the static t-SNE above).
// The table gives wall seconds, CPU seconds (ours) and speedups.
func runBenchReduce(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench reduce", stderr)
	n := fs.Int("n", 5000, "number of Fashion-MNIST test images (at most 10000)")
	frames := fs.Int("frames", 50, "frames of the t-SNE animation benchmark (0 skips it)")
	dataDir := fs.String("data", "/usr/share/datasets/fashion-mnist", "directory with t10k-images-idx3-ubyte.gz")
	python := fs.String("python", "/usr/bin/python3", "Python with scikit-learn and umap-learn")
	script := fs.String("script", "", "path of reduce/testdata/bench_reduce.py (default: found from the working directory or the source tree)")
	noRef := fs.Bool("no-ref", false, "skip the Python references (trustworthiness then computed in Go)")
	k := fs.Int("k", 10, "trustworthiness neighbours")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *n < 100 || *n > 10000 {
		return fmt.Errorf("%w: -n %d must be in [100, 10000]", errUsage, *n)
	}
	if *frames < 0 || *k < 1 {
		return fmt.Errorf("%w: -frames (%d) must be >= 0 and -k (%d) >= 1", errUsage, *frames, *k)
	}
	x, err := benchFashion(*dataDir, *n)
	if err != nil {
		return err
	}
	x50, err := reduce.PCAProject(x, 50)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "bench reduce: Fashion-MNIST test images n=%d, PCA to 50, GOMAXPROCS=%d\n", *n, runtime.GOMAXPROCS(0))

	tsneW, tsneC, yT, err := benchTime(func() (*reduce.Matrix, error) { return reduce.TSNE(x50, nil) })
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ours t-SNE: %.2f s wall, %.2f s CPU\n", tsneW.Seconds(), tsneC.Seconds())
	umapW, umapC, yU, err := benchTime(func() (*reduce.Matrix, error) { return reduce.UMAP(x50, nil) })
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ours UMAP: %.2f s wall, %.2f s CPU\n", umapW.Seconds(), umapC.Seconds())
	dir, err := os.MkdirTemp("", "embviz-bench-reduce-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	paths := map[string]*reduce.Matrix{"x.npy": x50, "tsne.npy": yT, "umap.npy": yU}
	for name, m := range paths {
		if err := npy.WriteFile(filepath.Join(dir, name), npy.Float32(m.Data, m.Rows, m.Cols)); err != nil {
			return err
		}
	}
	ref := map[string]float64{}
	if !*noRef {
		sp := *script
		if sp == "" {
			sp = findBenchScript()
		}
		cmd := exec.Command(*python, sp, filepath.Join(dir, "x.npy"), filepath.Join(dir, "tsne.npy"), filepath.Join(dir, "umap.npy"), "--k", strconv.Itoa(*k))
		cmd.Env = append(os.Environ(), "OMP_NUM_THREADS="+strconv.Itoa(runtime.GOMAXPROCS(0)), "NUMBA_NUM_THREADS="+strconv.Itoa(runtime.GOMAXPROCS(0)),
			// Idle OpenMP threads sleep instead of spinning: on a shared, oversubscribed machine
			// spinning makes scikit-learn several times slower; passive waiting favours the reference.
			"OMP_WAIT_POLICY=PASSIVE")
		var errb bytes.Buffer
		cmd.Stderr = &errb
		outb, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("reference %s %s: %v\n%s", *python, sp, err, errb.String())
		}
		if err := json.Unmarshal(outb, &ref); err != nil {
			return fmt.Errorf("reference output %q: %v", outb, err)
		}
	} else {
		for name, y := range map[string]*reduce.Matrix{"ours_tsne_trust": yT, "ours_umap_trust": yU} {
			v, err := reduce.Trustworthiness(x50, y, *k, nil)
			if err != nil {
				return err
			}
			ref[name] = v
		}
	}
	na := math.NaN()
	get := func(key string) float64 {
		if v, ok := ref[key]; ok {
			return v
		}
		return na
	}
	fmt.Fprintf(stdout, "%-6s %8s %8s %8s %8s %9s %9s %10s %10s\n", "method", "ours_s", "ref_s", "speedup", "ours_cpu", "ref_cpu", "cpu_ratio", "trust_ours", "trust_ref")
	row := func(name string, w, c time.Duration, refW, refC, trO, trR float64, note string) {
		fmt.Fprintf(stdout, "%-6s %8.2f %8.2f %8.2f %8.2f %9.2f %9.2f %10.4f %10.4f   %s\n", name,
			w.Seconds(), refW, refW/w.Seconds(), c.Seconds(), refC, refC/c.Seconds(), trO, trR, note)
	}
	row("t-SNE", tsneW, tsneC, get("sklearn_tsne_s"), get("sklearn_tsne_cpu_s"), get("ours_tsne_trust"), get("sklearn_tsne_trust"),
		"reference: scikit-learn TSNE, Barnes-Hut, 1000 iterations")
	row("UMAP", umapW, umapC, get("umap_s"), get("umap_cpu_s"), get("ours_umap_trust"), get("umap_trust"),
		fmt.Sprintf("reference: umap-learn, warm (JIT warm-up %.1f s untimed)", get("umap_warmup_s")))
	if *frames > 0 {
		if err := benchFrames(stdout, x50, *frames, *k, tsneW, tsneC); err != nil {
			return err
		}
	}
	return nil
}

// benchFrames times a frames-frame t-SNE animation (reduce.TSNEFrames) of benchSequence(x) with the
// defaults and, in the same run, with the settings before 2026-12 (the reference), and prints
// both next to one static t-SNE (wall w1, CPU c1): time, last-frame trustworthiness@k (against
// the last snapshot) and the mean frame-to-frame displacement (reduce.Displacements).
func benchFrames(stdout io.Writer, x *reduce.Matrix, frames, k int, w1, c1 time.Duration) error {
	seq := benchSequence(x, frames)
	before := &reduce.TSNEAnimOptions{FrameIters: 200, ExactKNN: true, CommonScale: true,
		FrameLearningRate: max(float64(x.Rows)/4, 50), FrameTheta: 0.5}
	fmt.Fprintf(stdout, "t-SNE animation: %d frames of %d points (snapshot t = (1-a) noise + a x, a from 0.3 to 1); one static t-SNE: %.2f s wall, %.2f s CPU\n",
		frames, x.Rows, w1.Seconds(), c1.Seconds())
	fmt.Fprintf(stdout, "%-16s %8s %8s %9s %11s %10s %11s\n", "frames", "wall_s", "cpu_s", "s/frame", "x_static", "trust_last", "mean_disp")
	var ref struct{ w, c time.Duration }
	for _, c := range []struct {
		name string
		opts *reduce.TSNEAnimOptions
	}{{"defaults", nil}, {"before 2026-12", before}} {
		var fr []*reduce.Matrix
		w, cpu, _, err := benchTime(func() (*reduce.Matrix, error) {
			var err error
			fr, err = reduce.TSNEFrames(seq, c.opts)
			return nil, err
		})
		if err != nil {
			return err
		}
		trust, err := reduce.Trustworthiness(seq[len(seq)-1], fr[len(fr)-1], k, nil)
		if err != nil {
			return err
		}
		ds, err := reduce.Displacements(fr)
		if err != nil {
			return err
		}
		var disp float64
		for _, d := range ds {
			disp += d / float64(len(ds))
		}
		fmt.Fprintf(stdout, "%-16s %8.2f %8.2f %9.3f %11.2f %10.4f %11.4f\n", c.name, w.Seconds(), cpu.Seconds(),
			w.Seconds()/float64(frames), w.Seconds()/w1.Seconds(), trust, disp)
		if c.opts != nil {
			ref.w, ref.c = w, cpu
		} else {
			defer func(w, c time.Duration) {
				fmt.Fprintf(stdout, "defaults vs before 2026-12: %.2fx wall, %.2fx CPU (x_static: wall in units of one static t-SNE)\n",
					ref.w.Seconds()/w.Seconds(), ref.c.Seconds()/c.Seconds())
			}(w, cpu)
		}
	}
	return nil
}

// benchTime runs f and returns its wall and process CPU (user+system) time.
func benchTime(f func() (*reduce.Matrix, error)) (time.Duration, time.Duration, *reduce.Matrix, error) {
	c0 := cpuTime()
	t0 := time.Now()
	y, err := f()
	return time.Since(t0), cpuTime() - c0, y, err
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchSequence returns frames snapshots X_t = (1-a_t) R + a_t X with a_t from 0.3 to 1 and R a
// fixed Gaussian matrix with x's overall scale: structure emerging as during training.
func benchSequence(x *reduce.Matrix, frames int) []*reduce.Matrix {
	var ss float64
	for _, v := range x.Data {
		ss += float64(v) * float64(v)
	}
	scale := math.Sqrt(ss / float64(len(x.Data)))
	r := rand.New(rand.NewPCG(1, 2))
	noise := make([]float32, len(x.Data))
	for i := range noise {
		noise[i] = float32(scale * r.NormFloat64())
	}
	seq := make([]*reduce.Matrix, frames)
	for t := range seq {
		a := 1.0
		if frames > 1 {
			a = 0.3 + 0.7*float64(t)/float64(frames-1)
		}
		m := reduce.NewMatrix(x.Rows, x.Cols)
		for i, v := range x.Data {
			m.Data[i] = float32((1-a)*float64(noise[i]) + a*float64(v))
		}
		seq[t] = m
	}
	return seq
}

// benchFashion reads the first n Fashion-MNIST test images as [n, 784] values in [0, 1].
func benchFashion(dir string, n int) (*reduce.Matrix, error) {
	path := filepath.Join(dir, "t10k-images-idx3-ubyte.gz")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%v (install the Debian package dataset-fashion-mnist or pass -data)", err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	buf := make([]byte, 16+n*784)
	if _, err := io.ReadFull(z, buf); err != nil {
		return nil, fmt.Errorf("%s: reading %d images: %w", path, n, err)
	}
	if buf[2] != 8 || buf[3] != 3 {
		return nil, fmt.Errorf("%s: not an IDX3 ubyte file", path)
	}
	m := reduce.NewMatrix(n, 784)
	for i, b := range buf[16:] {
		m.Data[i] = float32(b) / 255
	}
	return m, nil
}

// findBenchScript looks for reduce/testdata/bench_reduce.py from the working directory upwards,
// then next to this source file's module.
func findBenchScript() string {
	const rel = "reduce/testdata/bench_reduce.py"
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, rel)); err == nil {
				return filepath.Join(d, rel)
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", rel)
}
