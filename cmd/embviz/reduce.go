package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training/npy"
)

func init() {
	register("reduce", "reduce an .npy matrix to 2-D: pca, tsne, umap, mphate", runReduce)
}

// runReduce implements
//
//	embviz reduce -method pca|tsne|umap -in X.npy -out Y.npy [-seed N] [-perplexity F]
//	              [-neighbors N] [-min-dist F] [-metric euclidean|cosine]
//	embviz reduce -method mphate -in X.npy -out Y.npy [-seed N]
//
// X is [n, d] float32 or float64 and Y is [n, 2] float32; for mphate X is a snapshot sequence
// [T, n, d] and Y is [T, n, 2]. -perplexity applies to tsne; -neighbors and -min-dist to umap;
// -metric to tsne and umap.
func runReduce(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("reduce", stderr)
	method := fs.String("method", "", "pca | tsne | umap | mphate")
	in := fs.String("in", "", "input .npy: [n, d] float32/float64 ([T, n, d] for mphate)")
	out := fs.String("out", "", "output .npy: [n, 2] float32 ([T, n, 2] for mphate)")
	seed := fs.Int64("seed", 0, "random seed (tsne, umap, mphate)")
	perplexity := fs.Float64("perplexity", 30, "t-SNE perplexity; needs n-1 >= 3*perplexity (tsne)")
	neighbors := fs.Int("neighbors", 15, "UMAP n_neighbors (umap)")
	minDist := fs.Float64("min-dist", 0.1, "UMAP min_dist (umap)")
	metric := fs.String("metric", "euclidean", "input distance: euclidean | cosine (tsne, umap)")
	knn := fs.Int("knn", 5, "M-PHATE intraslice k: bandwidth from the distance to the k-th nearest point of the same snapshot; at most n-1 (mphate)")
	quiet := fs.Bool("q", false, "do not print the summary line on stderr")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: embviz reduce -method pca|tsne|umap -in X.npy -out Y.npy [flags]\n       embviz reduce -method mphate -in SEQ.npy -out FRAMES.npy [flags]\n\nX is [n, d] (float32 or float64), Y is [n, 2] float32; mphate maps [T, n, d] to [T, n, 2].\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *in == "" || *out == "" {
		return fmt.Errorf("%w: -in and -out are required", errUsage)
	}
	if err := npy.CheckWritable(*out); err != nil {
		return fmt.Errorf("%w: -out: %v", errUsage, err)
	}
	var m reduce.Metric
	switch *metric {
	case "euclidean":
		m = reduce.Euclidean
	case "cosine":
		m = reduce.Cosine
	default:
		return fmt.Errorf("%w: unknown -metric %q (want euclidean or cosine)", errUsage, *metric)
	}
	applies := map[string][]string{
		"pca": nil, "tsne": {"perplexity", "metric", "seed"}, "umap": {"neighbors", "min-dist", "metric", "seed"},
		"mphate": {"seed", "knn"},
	}
	allowed, ok := applies[*method]
	if !ok {
		if *method == "" {
			return fmt.Errorf("%w: -method is required (pca, tsne, umap or mphate)", errUsage)
		}
		return fmt.Errorf("%w: unknown -method %q (want pca, tsne, umap or mphate)", errUsage, *method)
	}
	for _, name := range []string{"perplexity", "neighbors", "min-dist", "metric", "seed", "knn"} {
		if set[name] && !slices.Contains(allowed, name) {
			return fmt.Errorf("%w: -%s does not apply to -method %s", errUsage, name, *method)
		}
	}
	arr, err := npy.ReadFile(*in)
	if err != nil {
		return err
	}
	data, err := arr.Float32s()
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	start := time.Now()
	if *method == "mphate" {
		if len(arr.Shape) != 3 {
			return fmt.Errorf("%s: -method mphate needs a [T, n, d] snapshot sequence, got shape %v", *in, arr.Shape)
		}
		T, n, d := arr.Shape[0], arr.Shape[1], arr.Shape[2]
		if T < 1 || n < 1 || d < 1 {
			return fmt.Errorf("%s: empty snapshot sequence, shape %v", *in, arr.Shape)
		}
		if *knn < 1 || *knn > n-1 {
			return fmt.Errorf("%w: -knn %d must be in [1, n-1 = %d] for %s's %d points per snapshot", errUsage, *knn, n-1, *in, n)
		}
		seq := make([]*reduce.Matrix, T)
		for t := range seq {
			seq[t] = reduce.MatrixFrom(n, d, data[t*n*d:(t+1)*n*d])
		}
		frames, err := reduce.MPHATE(seq, &reduce.MPHATEOptions{Seed: *seed, KNN: *knn})
		if err != nil {
			return fmt.Errorf("%s: %w", *in, err)
		}
		flat := make([]float32, 0, T*n*2)
		for t, f := range frames {
			if f.Rows != n || f.Cols != 2 {
				return fmt.Errorf("mphate frame %d is [%d, %d], want [%d, 2]", t, f.Rows, f.Cols, n)
			}
			flat = append(flat, f.Data...)
		}
		if err := npy.WriteFile(*out, npy.Float32(flat, T, n, 2)); err != nil {
			return err
		}
		if !*quiet {
			fmt.Fprintf(stderr, "mphate: [%d, %d, %d] -> [%d, %d, 2] in %v, wrote %s\n", T, n, d, T, n, time.Since(start).Round(time.Millisecond), *out)
		}
		return nil
	}
	if len(arr.Shape) != 2 {
		return fmt.Errorf("%s: -method %s needs an [n, d] matrix, got shape %v (use -method mphate for [T, n, d] sequences)", *in, *method, arr.Shape)
	}
	x := reduce.MatrixFrom(arr.Shape[0], arr.Shape[1], data)
	if err := x.Validate(); err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	var y *reduce.Matrix
	switch *method {
	case "pca":
		if x.Cols < 2 {
			return fmt.Errorf("%s: pca to 2 dimensions needs at least 2 columns, got %d", *in, x.Cols)
		}
		y, err = reduce.PCAProject(x, 2)
	case "tsne":
		y, err = reduce.TSNE(x, &reduce.TSNEOptions{Perplexity: *perplexity, Metric: m, Seed: uint64(*seed),
			Warn: func(msg string) { fmt.Fprintln(stderr, "warning:", msg) }})
	case "umap":
		md := *minDist
		y, err = reduce.UMAP(x, &reduce.UMAPOptions{NNeighbors: *neighbors, MinDist: &md, Metric: m, Seed: *seed})
	}
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	if y.Rows != x.Rows || y.Cols != 2 {
		return fmt.Errorf("%s returned [%d, %d], want [%d, 2]", *method, y.Rows, y.Cols, x.Rows)
	}
	if err := npy.WriteFile(*out, npy.Float32(y.Data, y.Rows, 2)); err != nil {
		return err
	}
	if !*quiet {
		fmt.Fprintf(stderr, "%s: [%d, %d] -> [%d, 2] in %v, wrote %s\n", *method, x.Rows, x.Cols, x.Rows, time.Since(start).Round(time.Millisecond), *out)
	}
	return nil
}
