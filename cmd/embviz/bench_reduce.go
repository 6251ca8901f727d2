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
//	embviz bench reduce [-n N] [-frames F] [-data DIR] [-python PATH] [-pythonpath DIRS] [-script PATH]
//	                    [-no-ref] [-k K] [-ref-timeout D]
//
// It reads N Fashion-MNIST images (the Debian dataset-fashion-mnist files in DIR: the 10,000 test
// images first, then the 60,000 training images, so N = 70000 is the whole set), projects them on
// their first 50 principal components, and times on that matrix: our t-SNE (defaults: Barnes-Hut,
// perplexity 30, 750 iterations), our UMAP (defaults), then in the same run scikit-learn's
// Barnes-Hut t-SNE (its defaults, 1000 iterations; only up to 20,000 points: above, it runs for
// hours), openTSNE (FFT-interpolated t-SNE, 750 iterations; when the reference Python can import
// it, e.g. with -pythonpath) and umap-learn warm (its numba JIT compiled by an untimed fit first:
// on the same data, or on its first 5,000 rows above 10,000 points), with trustworthiness@K of
// every embedding (sklearn.manifold.trustworthiness up to 10,000 points; above, its n^2 distance
// matrix does not fit, and reduce.Trustworthiness, the same formula, computes them all).
// Every method runs in a process of its own (ours: this executable with the hidden -one flag), so
// that its peak memory, the child's maximum resident set size (getrusage ru_maxrss), is its own;
// each reference is stopped after -ref-timeout. With -frames F > 0 it also times a F-frame t-SNE
// animation (reduce.TSNEFrames) of a synthetic training-like sequence: snapshot t blends a fixed
// random matrix into the data, X_t = (1-a_t) R + a_t X, a_t from 0.3 to 1, with the defaults and
// with the settings before 2026-12 in the same run (last-frame trustworthiness and mean
// frame-to-frame displacement of both, times in units of the static t-SNE above), then the same
// for a F-frame UMAP animation (reduce.UMAPFrames) of the same snapshots (benchUMAPFrames).
// The table gives wall seconds, CPU seconds, peak memory (MB) and speedups.
func runBenchReduce(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench reduce", stderr)
	n := fs.Int("n", 5000, "number of Fashion-MNIST images: the test images first, then the training images (at most 70000)")
	frames := fs.Int("frames", -1, "frames of the t-SNE animation benchmark (0 skips it; -1: 50 up to 10000 points, else 0)")
	dataDir := fs.String("data", "/usr/share/datasets/fashion-mnist", "directory with t10k-images-idx3-ubyte.gz (and train-images-idx3-ubyte.gz above 10000 points)")
	python := fs.String("python", "/usr/bin/python3", "Python with scikit-learn and umap-learn")
	pythonPath := fs.String("pythonpath", "", "directories prepended to the reference's PYTHONPATH (e.g. an openTSNE source tree built in place)")
	script := fs.String("script", "", "path of reduce/testdata/bench_reduce.py (default: found from the working directory or the source tree)")
	noRef := fs.Bool("no-ref", false, "skip the Python references (trustworthiness then computed in Go)")
	k := fs.Int("k", 10, "trustworthiness neighbours")
	refTimeout := fs.Duration("ref-timeout", 20*time.Minute, "stop a reference that runs longer (its row then says so)")
	one := fs.String("one", "", "internal: run only METHOD (tsne or umap) on the [n, d] matrix in -in, write the layout to -out and its times as JSON on stdout")
	oneIn := fs.String("in", "", "internal: input .npy of -one")
	oneOut := fs.String("out", "", "internal: output .npy of -one")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *one != "" {
		return benchOne(*one, *oneIn, *oneOut, stdout)
	}
	if *oneIn != "" || *oneOut != "" {
		return fmt.Errorf("%w: -in and -out go with -one", errUsage)
	}
	if *n < 100 || *n > benchFashionMax {
		return fmt.Errorf("%w: -n %d must be in [100, %d]", errUsage, *n, benchFashionMax)
	}
	if *frames == -1 {
		*frames = 0
		if *n <= 10000 {
			*frames = 50
		}
	}
	if *frames < 0 || *k < 1 || *refTimeout <= 0 {
		return fmt.Errorf("%w: -frames (%d) must be >= -1, -k (%d) >= 1 and -ref-timeout (%v) positive", errUsage, *frames, *k, *refTimeout)
	}
	if *pythonPath != "" && *noRef {
		return fmt.Errorf("%w: -pythonpath is for the references: drop it or -no-ref", errUsage)
	}
	x, err := benchFashion(*dataDir, *n)
	if err != nil {
		return err
	}
	x50, err := reduce.PCAProject(x, 50)
	if err != nil {
		return err
	}
	x = nil
	fmt.Fprintf(stdout, "bench reduce: Fashion-MNIST n=%d (%s), PCA to 50, GOMAXPROCS=%d\n", *n, benchFashionWhich(*n), runtime.GOMAXPROCS(0))
	dir, err := os.MkdirTemp("", "embviz-bench-reduce-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	xPath := filepath.Join(dir, "x.npy")
	if err := npy.WriteFile(xPath, npy.Float32(x50.Data, x50.Rows, x50.Cols)); err != nil {
		return err
	}
	ours := map[string]benchChild{}
	emb := map[string]*reduce.Matrix{}
	for _, m := range []string{"tsne", "umap"} {
		out := filepath.Join(dir, "ours_"+m+".npy")
		c, err := benchRunOurs(m, xPath, out)
		if err != nil {
			return err
		}
		y, err := readMatrix(out)
		if err != nil {
			return err
		}
		ours[m], emb["ours_"+m] = c, y
		fmt.Fprintf(stdout, "ours %s: %.2f s wall, %.2f s CPU, %.0f MB peak\n", map[string]string{"tsne": "t-SNE", "umap": "UMAP"}[m], c.wall, c.cpu, c.maxrssMB)
	}
	ref := map[string]float64{}
	refs := map[string]benchChild{}
	notes := map[string]string{}
	sp := *script
	if sp == "" {
		sp = findBenchScript()
	}
	var env []string
	if *noRef {
		for _, key := range []string{"sklearn_tsne", "opentsne", "umap"} {
			notes[key] = "no reference (-no-ref)"
		}
	} else {
		env = append(os.Environ(), "OMP_NUM_THREADS="+strconv.Itoa(runtime.GOMAXPROCS(0)), "NUMBA_NUM_THREADS="+strconv.Itoa(runtime.GOMAXPROCS(0)),
			// Idle OpenMP threads sleep instead of spinning: on a shared, oversubscribed machine
			// spinning makes scikit-learn several times slower; passive waiting favours the reference.
			"OMP_WAIT_POLICY=PASSIVE")
		if *pythonPath != "" {
			pp := *pythonPath
			if old := os.Getenv("PYTHONPATH"); old != "" {
				pp += string(os.PathListSeparator) + old
			}
			env = append(env, "PYTHONPATH="+pp)
		}
		py := func(extra ...string) (map[string]float64, benchChild, error) {
			a := append([]string{sp, xPath, "-", "-", "--k", strconv.Itoa(*k)}, extra...)
			return benchPython(*python, env, *refTimeout, a...)
		}
		// One reference per process (its own peak memory), each writing its layout to dir.
		warm := "0"
		if *n > 10000 {
			warm = "5000"
		}
		for _, r := range []struct {
			name, key string
			skip      string
			args      []string
		}{
			{"scikit-learn t-SNE", "sklearn_tsne", map[bool]string{true: "skipped above 20000 points (Barnes-Hut in one thread: hours)"}[*n > 20000], []string{"--no-umap"}},
			{"openTSNE", "opentsne", benchHasModule(*python, env, "openTSNE"), []string{"--no-tsne", "--no-umap", "--opentsne"}},
			{"umap-learn", "umap", "", []string{"--no-tsne", "--umap-warmup", warm}},
		} {
			if r.skip != "" {
				notes[r.key] = r.skip
				continue
			}
			vals, c, err := py(append(append([]string{}, r.args...), "--no-trust", "--save", dir)...)
			if err != nil {
				notes[r.key] = err.Error()
				continue
			}
			for key, v := range vals {
				ref[key] = v
			}
			refs[r.key] = c
			y, err := readMatrix(filepath.Join(dir, r.key+".npy"))
			if err != nil {
				return err
			}
			emb[r.key] = y
		}
	}
	// Trustworthiness of every embedding: scikit-learn's up to 10000 points, else ours (same formula).
	if !*noRef && *n <= 10000 {
		var trustArgs []string
		for name := range emb {
			trustArgs = append(trustArgs, "--trust", name+"="+filepath.Join(dir, name+".npy"))
		}
		vals, _, err := benchPython(*python, env, *refTimeout, append([]string{sp, xPath, "-", "-", "--k", strconv.Itoa(*k), "--no-tsne", "--no-umap"}, trustArgs...)...)
		if err != nil {
			return err
		}
		for key, v := range vals {
			ref[key] = v
		}
	} else {
		if !*noRef {
			fmt.Fprintf(stdout, "trustworthiness@%d by reduce.Trustworthiness (scikit-learn's formula; its own needs an n x n matrix)\n", *k)
		}
		for name, y := range emb {
			v, err := reduce.Trustworthiness(x50, y, *k, nil)
			if err != nil {
				return err
			}
			ref[name+"_trust"] = v
		}
	}
	na := math.NaN()
	get := func(key string) float64 {
		if v, ok := ref[key]; ok {
			return v
		}
		return na
	}
	fmt.Fprintf(stdout, "%-6s %-12s %8s %8s %8s %8s %9s %9s %8s %8s %10s %10s\n", "method", "reference", "ours_s", "ref_s", "speedup", "ours_cpu", "ref_cpu", "cpu_ratio", "ours_MB", "ref_MB", "trust_ours", "trust_ref")
	row := func(method, refName, oursKey, refKey, note string) {
		o, r := ours[oursKey], refs[refKey]
		refW, refC, refMB := get(refKey+"_s"), get(refKey+"_cpu_s"), na
		if _, ok := refs[refKey]; ok {
			refMB = r.maxrssMB
		}
		if msg, ok := notes[refKey]; ok {
			note = msg
		}
		fmt.Fprintf(stdout, "%-6s %-12s %8.2f %8.2f %8.2f %8.2f %9.2f %9.2f %8.0f %8.0f %10.4f %10.4f   %s\n", method, refName,
			o.wall, refW, refW/o.wall, o.cpu, refC, refC/o.cpu, o.maxrssMB, refMB, get("ours_"+oursKey+"_trust"), get(refKey+"_trust"), note)
	}
	row("t-SNE", "scikit-learn", "tsne", "sklearn_tsne", "Barnes-Hut, 1000 iterations")
	row("t-SNE", "openTSNE", "tsne", "opentsne", "FFT-interpolated (FIt-SNE), 750 iterations")
	row("UMAP", "umap-learn", "umap", "umap", fmt.Sprintf("warm (JIT warm-up %.1f s untimed)", get("umap_warmup_s")))
	fmt.Fprintf(stdout, "MB: peak resident memory of the process that ran the method (getrusage ru_maxrss of the child)\n")
	if *frames > 0 {
		w1 := time.Duration(ours["tsne"].wall * float64(time.Second))
		c1 := time.Duration(ours["tsne"].cpu * float64(time.Second))
		if err := benchFrames(stdout, x50, *frames, *k, w1, c1); err != nil {
			return err
		}
		wu := time.Duration(ours["umap"].wall * float64(time.Second))
		cu := time.Duration(ours["umap"].cpu * float64(time.Second))
		if err := benchUMAPFrames(stdout, x50, *frames, *k, wu, cu); err != nil {
			return err
		}
	}
	return nil
}

// benchChild is what one child process of bench reduce measured: wall and CPU seconds of the
// method itself (reported by the child) and the child's peak resident memory.
type benchChild struct {
	wall, cpu, maxrssMB float64
}

// benchSelf returns the command that runs this executable as embviz with args (tests replace it:
// a test binary is not embviz).
var benchSelf = func(args ...string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	return exec.Command(exe, args...)
}

// benchRunOurs runs `embviz bench reduce -one method -in in -out out` in a child process.
func benchRunOurs(method, in, out string) (benchChild, error) {
	cmd := benchSelf("bench", "reduce", "-one", method, "-in", in, "-out", out)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	b, err := cmd.Output()
	if err != nil {
		return benchChild{}, fmt.Errorf("bench reduce -one %s: %v\n%s", method, err, errb.String())
	}
	var v struct{ S, CPUS float64 }
	if err := json.Unmarshal(lastLine(b), &v); err != nil {
		return benchChild{}, fmt.Errorf("bench reduce -one %s: output %q: %v", method, b, err)
	}
	return benchChild{wall: v.S, cpu: v.CPUS, maxrssMB: childMaxRSSMB(cmd)}, nil
}

// benchOne is the child side of benchRunOurs: it runs our t-SNE or UMAP (defaults) on the matrix in
// in, writes the layout to out and prints {"s": wall, "cpus": CPU} seconds of the method alone.
func benchOne(method, in, out string, stdout io.Writer) error {
	if in == "" || out == "" {
		return fmt.Errorf("%w: -one needs -in and -out", errUsage)
	}
	var f func(*reduce.Matrix) (*reduce.Matrix, error)
	switch method {
	case "tsne":
		f = func(x *reduce.Matrix) (*reduce.Matrix, error) { return reduce.TSNE(x, nil) }
	case "umap":
		f = func(x *reduce.Matrix) (*reduce.Matrix, error) { return reduce.UMAP(x, nil) }
	default:
		return fmt.Errorf("%w: -one %q: want tsne or umap", errUsage, method)
	}
	x, err := readMatrix(in)
	if err != nil {
		return err
	}
	w, c, y, err := benchTime(func() (*reduce.Matrix, error) { return f(x) })
	if err != nil {
		return err
	}
	if err := npy.WriteFile(out, npy.Float32(y.Data, y.Rows, y.Cols)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "{\"s\": %g, \"cpus\": %g}\n", w.Seconds(), c.Seconds())
	return nil
}

// benchPython runs the reference script (args after the interpreter) with env, stopping it after
// timeout, and returns its JSON output and what the child used.
func benchPython(python string, env []string, timeout time.Duration, args ...string) (map[string]float64, benchChild, error) {
	cmd := exec.Command(python, args...)
	cmd.Env = env
	var errb bytes.Buffer
	cmd.Stderr = &errb
	var outb bytes.Buffer
	cmd.Stdout = &outb
	if err := cmd.Start(); err != nil {
		return nil, benchChild{}, err
	}
	timer := time.AfterFunc(timeout, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	if !timer.Stop() {
		return nil, benchChild{}, fmt.Errorf("did not finish in %v (-ref-timeout)", timeout)
	}
	if err != nil {
		e := errb.String()
		if len(e) > 2000 {
			e = "..." + e[len(e)-2000:]
		}
		return nil, benchChild{}, fmt.Errorf("reference %s %v: %v\n%s", python, args, err, e)
	}
	raw := map[string]any{}
	if err := json.Unmarshal(lastLine(outb.Bytes()), &raw); err != nil {
		return nil, benchChild{}, fmt.Errorf("reference output %q: %v", outb.String(), err)
	}
	vals := map[string]float64{}
	for key, v := range raw {
		if f, ok := v.(float64); ok {
			vals[key] = f
		}
	}
	return vals, benchChild{maxrssMB: childMaxRSSMB(cmd)}, nil
}

// benchHasModule returns "" when python (with env) imports module, else why not.
func benchHasModule(python string, env []string, module string) string {
	cmd := exec.Command(python, "-c", "import "+module)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
		return fmt.Sprintf("%s not importable by %s (%s; build it and pass -pythonpath)", module, python, lines[len(lines)-1])
	}
	return ""
}

// childMaxRSSMB returns the peak resident memory of a finished child process in MB (Linux reports
// ru_maxrss in KiB).
func childMaxRSSMB(cmd *exec.Cmd) float64 {
	if cmd.ProcessState == nil {
		return math.NaN()
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return math.NaN()
	}
	return float64(ru.Maxrss) * 1024 / 1e6
}

// lastLine returns the last non-empty line of b.
func lastLine(b []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	return lines[len(lines)-1]
}

// readMatrix reads a float32 [n, d] .npy file.
func readMatrix(path string) (*reduce.Matrix, error) {
	a, err := npy.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if a.F32 == nil || len(a.Shape) != 2 {
		return nil, fmt.Errorf("%s: want a float32 matrix, have shape %v", path, a.Shape)
	}
	return reduce.MatrixFrom(a.Shape[0], a.Shape[1], a.F32), nil
}

// benchFrames times a frames-frame t-SNE animation (reduce.TSNEFrames) of benchSequence(x) with the
// defaults and, in the same run, with the settings before 2026-12 (the reference), and prints
// both next to one static t-SNE (wall w1, CPU c1): time, last-frame trustworthiness@k (against
// the last snapshot) and the mean frame-to-frame displacement (reduce.Displacements).
func benchFrames(stdout io.Writer, x *reduce.Matrix, frames, k int, w1, c1 time.Duration) error {
	seq := benchSequence(x, frames)
	before := &reduce.TSNEAnimOptions{FrameIters: 200, ExactKNN: true, CommonScale: true,
		FrameLearningRate: max(float64(x.Rows)/4, 50), FrameTheta: 0.5, FrameBudget: -1, FramePlace: -1}
	fmt.Fprintf(stdout, "t-SNE animation: %d frames of %d points (snapshot t = (1-a) noise + a x, a from 0.3 to 1); one static t-SNE: %.2f s wall, %.2f s CPU\n",
		frames, x.Rows, w1.Seconds(), c1.Seconds())
	fmt.Fprintf(stdout, "%-16s %8s %8s %9s %11s %10s %11s\n", "frames", "wall_s", "cpu_s", "s/frame", "x_static", "trust_last", "mean_disp")
	var res [2]struct{ w, c time.Duration }
	for i, c := range []struct {
		name string
		opts *reduce.TSNEAnimOptions
	}{{"defaults", nil}, {"before 2026-12", before}} {
		var err error
		res[i].w, res[i].c, err = framesRow(stdout, 16, c.name, seq, k, w1, func() ([]*reduce.Matrix, error) { return reduce.TSNEFrames(seq, c.opts) })
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "defaults vs before 2026-12: %.2fx wall, %.2fx CPU (x_static: wall in units of one static t-SNE)\n",
		res[1].w.Seconds()/res[0].w.Seconds(), res[1].c.Seconds()/res[0].c.Seconds())
	return nil
}

// framesRow times animate (the frames of seq) and prints one table row named name (left-aligned
// in width columns): wall and CPU seconds, seconds a frame, wall in units of one static
// embedding's w1, last-frame trustworthiness@k against the last snapshot, and the mean
// frame-to-frame displacement (reduce.Displacements). Returns the wall and CPU time.
func framesRow(stdout io.Writer, width int, name string, seq []*reduce.Matrix, k int, w1 time.Duration, animate func() ([]*reduce.Matrix, error)) (time.Duration, time.Duration, error) {
	var fr []*reduce.Matrix
	w, cpu, _, err := benchTime(func() (*reduce.Matrix, error) {
		var err error
		fr, err = animate()
		return nil, err
	})
	if err != nil {
		return 0, 0, err
	}
	trust, err := reduce.Trustworthiness(seq[len(seq)-1], fr[len(fr)-1], k, nil)
	if err != nil {
		return 0, 0, err
	}
	var disp float64
	if len(fr) > 1 {
		ds, err := reduce.Displacements(fr)
		if err != nil {
			return 0, 0, err
		}
		for _, d := range ds {
			disp += d / float64(len(ds))
		}
	}
	fmt.Fprintf(stdout, "%-*s %8.2f %8.2f %9.3f %11.2f %10.4f %11.4f\n", width, name, w.Seconds(), cpu.Seconds(),
		w.Seconds()/float64(len(fr)), w.Seconds()/w1.Seconds(), trust, disp)
	return w, cpu, nil
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

// benchFashionMax is the number of Fashion-MNIST images (10,000 test + 60,000 training).
const benchFashionMax = 70000

// benchFashionWhich says which images benchFashion(dir, n) reads.
func benchFashionWhich(n int) string {
	if n <= 10000 {
		return fmt.Sprintf("the first %d test images", n)
	}
	return fmt.Sprintf("the 10000 test images and the first %d training images", n-10000)
}

// benchFashion reads n Fashion-MNIST images as [n, 784] values in [0, 1]: the test images first
// (t10k-images-idx3-ubyte.gz), then the training images (train-images-idx3-ubyte.gz).
func benchFashion(dir string, n int) (*reduce.Matrix, error) {
	m := reduce.NewMatrix(n, 784)
	row := 0
	for _, f := range []struct {
		name  string
		count int
	}{{"t10k-images-idx3-ubyte.gz", 10000}, {"train-images-idx3-ubyte.gz", 60000}} {
		take := min(n-row, f.count)
		if take <= 0 {
			break
		}
		if err := readIDXImages(filepath.Join(dir, f.name), take, m.Data[row*784:(row+take)*784]); err != nil {
			return nil, err
		}
		row += take
	}
	return m, nil
}

// readIDXImages reads the first len(dst)/784 images of the gzipped IDX3 file path into dst, as
// values in [0, 1].
func readIDXImages(path string, count int, dst []float32) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%v (install the Debian package dataset-fashion-mnist or pass -data)", err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	buf := make([]byte, 16+count*784)
	if _, err := io.ReadFull(z, buf); err != nil {
		return fmt.Errorf("%s: reading %d images: %w", path, count, err)
	}
	if !bytes.Equal(buf[:4], []byte{0, 0, 8, 3}) || !bytes.Equal(buf[8:16], []byte{0, 0, 0, 28, 0, 0, 0, 28}) {
		return fmt.Errorf("%s: not an IDX3 ubyte file of 28x28 images", path)
	}
	for i, b := range buf[16:] {
		dst[i] = float32(b) / 255
	}
	return nil
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
