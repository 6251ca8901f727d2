// Package reduce holds the pure numerics of embviz: metrics between embeddings (drift, CKA, PCA
// eigenvalues, Procrustes, clustering scores) and the dimensionality reducers (PCA, t-SNE, UMAP,
// M-PHATE) with their animation variants. Matrices in, matrices and numbers out: it never imports
// training or vizlib.
package reduce

import (
	"fmt"
	"math"
)

// Matrix is a dense, row-major [Rows, Cols] float32 matrix: row i is Data[i*Cols : (i+1)*Cols].
// Rows are observations (samples), columns are features.
type Matrix struct {
	Rows, Cols int
	Data       []float32
}

// NewMatrix returns a zero [rows, cols] matrix.
func NewMatrix(rows, cols int) *Matrix {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("reduce: negative matrix dimensions [%d, %d]", rows, cols))
	}
	return &Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
}

// MatrixFrom wraps data (not copied) as a [rows, cols] matrix; it panics if len(data) != rows*cols.
func MatrixFrom(rows, cols int, data []float32) *Matrix {
	if len(data) != rows*cols {
		panic(fmt.Sprintf("reduce: matrix data has %d values, want rows*cols = %d*%d = %d", len(data), rows, cols, rows*cols))
	}
	return &Matrix{Rows: rows, Cols: cols, Data: data}
}

// Row returns row i as a slice aliasing the matrix data.
func (m *Matrix) Row(i int) []float32 { return m.Data[i*m.Cols : (i+1)*m.Cols] }

// At returns element (i, j).
func (m *Matrix) At(i, j int) float32 { return m.Data[i*m.Cols+j] }

// Set sets element (i, j) to v.
func (m *Matrix) Set(i, j int, v float32) { m.Data[i*m.Cols+j] = v }

// Clone returns a deep copy.
func (m *Matrix) Clone() *Matrix {
	return &Matrix{Rows: m.Rows, Cols: m.Cols, Data: append([]float32(nil), m.Data...)}
}

// Validate returns an error if m is nil, its data length disagrees with its shape, it is empty,
// or it holds a NaN or Inf (naming the first bad element).
func (m *Matrix) Validate() error {
	if m == nil {
		return fmt.Errorf("reduce: nil matrix")
	}
	if m.Rows <= 0 || m.Cols <= 0 {
		return fmt.Errorf("reduce: empty matrix [%d, %d]", m.Rows, m.Cols)
	}
	if len(m.Data) != m.Rows*m.Cols {
		return fmt.Errorf("reduce: matrix [%d, %d] has %d values, want %d", m.Rows, m.Cols, len(m.Data), m.Rows*m.Cols)
	}
	for k, v := range m.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("reduce: matrix [%d, %d] has non-finite value %v at row %d, column %d", m.Rows, m.Cols, v, k/m.Cols, k%m.Cols)
		}
	}
	return nil
}

// ValidateSequence validates each matrix of a snapshot sequence and checks that they all have the
// same number of rows (the same samples in every snapshot). Columns may differ only if sameCols is false.
func ValidateSequence(seq []*Matrix, sameCols bool) error {
	if len(seq) == 0 {
		return fmt.Errorf("reduce: empty snapshot sequence")
	}
	for t, m := range seq {
		if err := m.Validate(); err != nil {
			return fmt.Errorf("snapshot %d: %w", t, err)
		}
		if m.Rows != seq[0].Rows {
			return fmt.Errorf("reduce: snapshot %d has %d rows, snapshot 0 has %d: every snapshot must hold the same samples", t, m.Rows, seq[0].Rows)
		}
		if sameCols && m.Cols != seq[0].Cols {
			return fmt.Errorf("reduce: snapshot %d has %d columns, snapshot 0 has %d", t, m.Cols, seq[0].Cols)
		}
	}
	return nil
}
