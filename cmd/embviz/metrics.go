package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training/npy"
)

func init() {
	register("metrics", "compare embeddings: CKA, drift, PCA eigenvalues of .npy matrices (JSON)", runMetrics)
}

// runMetrics implements
//
//	embviz metrics -method cka|drift -in A.npy -b B.npy [-kind linear|debiased|rbf] [-sigma F]
//	embviz metrics -method eigen -in A.npy -k K
//
// printing {"cka": x}, {"drift": x} or {"eigenvalues": [...]} (largest first) on stdout.
func runMetrics(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("metrics", stderr)
	method := fs.String("method", "", "cka | drift | eigen")
	in := fs.String("in", "", "first matrix A, [n, d] float32 or float64 .npy")
	bPath := fs.String("b", "", "second matrix B, [n, d2] .npy (cka, drift; drift needs d2 = d)")
	k := fs.Int("k", 0, "number of eigenvalues (eigen); 0 means min(10, n, d)")
	kind := fs.String("kind", "linear", "CKA variant: linear | debiased | rbf (cka)")
	sigma := fs.Float64("sigma", 1, "RBF bandwidth as a fraction of the median distance (cka -kind rbf)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: embviz metrics -method cka|drift -in A.npy -b B.npy\n       embviz metrics -method eigen -in A.npy -k K\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *in == "" {
		return fmt.Errorf("%w: -in is required", errUsage)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	applies := map[string][]string{"cka": {"b", "kind", "sigma"}, "drift": {"b"}, "eigen": {"k"}}
	for _, name := range []string{"b", "k", "kind", "sigma"} {
		if allowed, known := applies[*method]; known && set[name] && !slices.Contains(allowed, name) {
			return fmt.Errorf("%w: -%s does not apply to -method %s", errUsage, name, *method)
		}
	}
	if *k < 0 {
		return fmt.Errorf("%w: -k must be >= 0 (0: min(10, n, d)), got %d", errUsage, *k)
	}
	a, err := metricsLoadMatrix(*in)
	if err != nil {
		return err
	}
	var out any
	switch *method {
	case "cka", "drift":
		if *bPath == "" {
			return fmt.Errorf("%w: -method %s needs -b B.npy", errUsage, *method)
		}
		b, err := metricsLoadMatrix(*bPath)
		if err != nil {
			return err
		}
		if *method == "drift" {
			v, err := reduce.MeanDistance(a, b)
			if err != nil {
				return fmt.Errorf("%s vs %s: %w", *in, *bPath, err)
			}
			out = map[string]float64{"drift": v}
			break
		}
		v, err := reduce.CKA(a, b, &reduce.CKAOptions{Kind: reduce.CKAKind(*kind), SigmaFrac: *sigma})
		if err != nil {
			return fmt.Errorf("%s vs %s: %w", *in, *bPath, err)
		}
		out = map[string]float64{"cka": v}
	case "eigen":
		if *k == 0 {
			*k = min(10, a.Rows, a.Cols)
		}
		v, err := reduce.PCAEigenvalues(a, *k)
		if err != nil {
			return fmt.Errorf("%s: %w", *in, err)
		}
		out = map[string][]float64{"eigenvalues": v}
	case "":
		return fmt.Errorf("%w: -method is required (cka, drift or eigen)", errUsage)
	default:
		return fmt.Errorf("%w: unknown -method %q (want cka, drift or eigen)", errUsage, *method)
	}
	return json.NewEncoder(stdout).Encode(out)
}

// metricsLoadMatrix reads a rank-2 float32 or float64 .npy file as a validated reduce.Matrix.
func metricsLoadMatrix(path string) (*reduce.Matrix, error) {
	arr, err := npy.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(arr.Shape) != 2 {
		return nil, fmt.Errorf("%s: array has shape %v (rank %d), want a rank-2 [n, d] matrix", path, arr.Shape, len(arr.Shape))
	}
	data, err := arr.Float32s()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if arr.F64 != nil {
		for i, v := range arr.F64 {
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32 {
				return nil, fmt.Errorf("%s: non-finite (or beyond float32) value %v at row %d, column %d", path, v, i/arr.Shape[1], i%arr.Shape[1])
			}
		}
	}
	m := &reduce.Matrix{Rows: arr.Shape[0], Cols: arr.Shape[1], Data: data}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// metricsLoadLabels reads a rank-1 integer .npy file (or float with integral values) of n labels.
func metricsLoadLabels(path string, n int) ([]int32, error) {
	arr, err := npy.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(arr.Shape) != 1 {
		return nil, fmt.Errorf("%s: labels have shape %v (rank %d), want rank 1 [n]", path, arr.Shape, len(arr.Shape))
	}
	var lab []int32
	if arr.F32 != nil || arr.F64 != nil {
		f, _ := arr.Float32s()
		if arr.F64 != nil {
			f = nil
		}
		lab = make([]int32, arr.Shape[0])
		for i := range lab {
			var v float64
			if f != nil {
				v = float64(f[i])
			} else {
				v = arr.F64[i]
			}
			if v != math.Trunc(v) || math.Abs(v) > math.MaxInt32 {
				return nil, fmt.Errorf("%s: label %v at index %d is not an integer", path, v, i)
			}
			lab[i] = int32(v)
		}
	} else if lab, err = arr.Int32s(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(lab) != n {
		return nil, fmt.Errorf("%s: %d labels for %d rows", path, len(lab), n)
	}
	return lab, nil
}
