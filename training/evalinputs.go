package training

import (
	"fmt"
	"math"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training/datasets"
)

// EvalInputs returns the inputs of run's evaluation subset as a matrix [n_eval, prod(example
// shape)] (for images: the HWC pixels scaled to [0, 1]), row i being the example whose embedding
// is row i of every snapshot. It loads the run's data set by name from dataDir ("" means the data
// set's default directory, see datasets.Load) and gathers the test-split examples listed in the
// run's eval_index.npy. Runs trained on data passed in Config.Data with non-default options (e.g.
// custom colors or blobs) get the default data set of that name, which is not what they saw.
func EvalInputs(run *Run, dataDir string) (*reduce.Matrix, error) {
	if run == nil {
		return nil, fmt.Errorf("training: EvalInputs of a nil run")
	}
	info := run.Info()
	index, err := run.EvalIndex()
	if err != nil {
		return nil, fmt.Errorf("training: run %s: evaluation indices: %w", info.ID, err)
	}
	ds, err := datasets.Load(info.Dataset, dataDir)
	if err != nil {
		return nil, fmt.Errorf("training: run %s: %w", info.ID, err)
	}
	for j, i := range index {
		if i < 0 || int(i) >= ds.Test.N {
			return nil, fmt.Errorf("training: run %s: evaluation index %d (position %d) is outside the %s test split [0, %d)", info.ID, i, j, info.Dataset, ds.Test.N)
		}
	}
	return reduce.MatrixFrom(len(index), ds.Test.Dim(), ds.Test.Gather(index, nil)), nil
}

// EmbeddingDiff summarizes the difference between two matrices of the same shape, e.g. embeddings
// recomputed with a Predictor and the ones a snapshot recorded.
type EmbeddingDiff struct {
	// Rows and Cols are the shape of both matrices.
	Rows, Cols int
	// MaxAbs is max_ij |a_ij - b_ij| and MeanAbs its mean over all entries.
	MaxAbs, MeanAbs float64
	// Relative is ||a - b||_F / ||b||_F (0 when both are zero).
	Relative float64
}

// String formats the difference in one line.
func (d EmbeddingDiff) String() string {
	return fmt.Sprintf("[%d, %d]: max |Δ| %.3g, mean |Δ| %.3g, relative ‖Δ‖/‖b‖ %.3g", d.Rows, d.Cols, d.MaxAbs, d.MeanAbs, d.Relative)
}

// DiffEmbeddings compares a with b (both [n, d]); it returns an error naming both shapes when
// they differ. Computed in float64.
func DiffEmbeddings(a, b *reduce.Matrix) (EmbeddingDiff, error) {
	if a == nil || b == nil {
		return EmbeddingDiff{}, fmt.Errorf("training: DiffEmbeddings of a nil matrix")
	}
	if a.Rows != b.Rows || a.Cols != b.Cols || len(a.Data) != len(b.Data) {
		return EmbeddingDiff{}, fmt.Errorf("training: DiffEmbeddings: shapes differ: [%d, %d] and [%d, %d]", a.Rows, a.Cols, b.Rows, b.Cols)
	}
	d := EmbeddingDiff{Rows: a.Rows, Cols: a.Cols}
	var sum, sq, ref float64
	for i, x := range a.Data {
		y := float64(b.Data[i])
		diff := math.Abs(float64(x) - y)
		d.MaxAbs = max(d.MaxAbs, diff)
		sum += diff
		sq += diff * diff
		ref += y * y
	}
	if len(a.Data) > 0 {
		d.MeanAbs = sum / float64(len(a.Data))
	}
	if ref > 0 {
		d.Relative = math.Sqrt(sq / ref)
	} else if sq > 0 {
		d.Relative = math.Inf(1)
	}
	return d, nil
}

// PredictAll runs the model on every row of x ([n, prod(InputShape)]) in batches of batch rows
// (0 means 200), padding the last batch so that a single graph is compiled, and returns the
// concatenated outputs for the n rows. Use it for evaluation sets too large for one batch.
func (p *Predictor) PredictAll(x *reduce.Matrix, batch int) (*Prediction, error) {
	if x == nil || x.Rows < 1 {
		return nil, fmt.Errorf("training: PredictAll needs at least one example")
	}
	if batch <= 0 {
		batch = 200
	}
	batch = min(batch, x.Rows)
	var out *Prediction
	buf := make([]float32, batch*x.Cols)
	for start := 0; start < x.Rows; start += batch {
		m := min(batch, x.Rows-start)
		clear(buf)
		copy(buf, x.Data[start*x.Cols:(start+m)*x.Cols])
		pr, err := p.Predict(buf, batch)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = &Prediction{Layers: map[string]*reduce.Matrix{}}
		}
		out.Embedding = appendRows(out.Embedding, pr.Embedding, m, x.Rows)
		if pr.Logits != nil {
			out.Logits = appendRows(out.Logits, pr.Logits, m, x.Rows)
		}
		if pr.Reconstruction != nil {
			out.Reconstruction = appendRows(out.Reconstruction, pr.Reconstruction, m, x.Rows)
		}
		for name, l := range pr.Layers {
			out.Layers[name] = appendRows(out.Layers[name], l, m, x.Rows)
		}
	}
	return out, nil
}

// appendRows appends the first m rows of src to dst (allocated with capacity for total rows).
func appendRows(dst, src *reduce.Matrix, m, total int) *reduce.Matrix {
	if dst == nil {
		dst = &reduce.Matrix{Cols: src.Cols, Data: make([]float32, 0, total*src.Cols)}
	}
	dst.Data = append(dst.Data, src.Data[:m*src.Cols]...)
	dst.Rows += m
	return dst
}
