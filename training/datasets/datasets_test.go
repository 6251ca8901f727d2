package datasets

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// smallSplit returns a vector split with Dim 2 whose example i is (i, -i) and label labels[i].
func smallSplit(labels []int32) *Split {
	s := &Split{N: len(labels), Shape: []int{2}, Labels: labels}
	for i := range labels {
		s.X = append(s.X, float32(i), float32(-i))
	}
	return s
}

func TestSplitAccessors(t *testing.T) {
	s := smallSplit([]int32{0, 1, 2, 0, 1})
	if s.Dim() != 2 {
		t.Fatalf("Dim() = %d, want 2", s.Dim())
	}
	if got := s.Example(3); !slices.Equal(got, []float32{3, -3}) {
		t.Errorf("Example(3) = %v, want [3 -3]", got)
	}
	s.Example(1)[0] = 42 // aliases X
	if s.X[2] != 42 {
		t.Errorf("Example does not alias X")
	}
	tests := []struct {
		name    string
		indices []int32
		dst     []float32
		want    []float32
	}{
		{"nil dst", []int32{4, 0}, nil, []float32{4, -4, 0, 0}},
		{"short dst", []int32{2}, make([]float32, 1), []float32{2, -2}},
		{"reuse dst", []int32{3, 3, 2}, make([]float32, 10), []float32{3, -3, 3, -3, 2, -2}},
		{"empty", nil, nil, []float32{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := s.Gather(tc.indices, tc.dst)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Gather(%v) = %v, want %v", tc.indices, got, tc.want)
			}
			if cap(tc.dst) >= len(tc.want) && len(tc.want) > 0 && &got[0] != &tc.dst[0] {
				t.Errorf("Gather did not reuse dst")
			}
		})
	}
	if got := s.GatherLabels([]int32{4, 2}, nil); !slices.Equal(got, []int32{1, 2}) {
		t.Errorf("GatherLabels = %v, want [1 2]", got)
	}
	if got := s.ClassCounts(); !slices.Equal(got, []int{2, 2, 1}) {
		t.Errorf("ClassCounts = %v, want [2 2 1]", got)
	}
	for name, f := range map[string]func(){
		"Example(-1)":      func() { s.Example(-1) },
		"Example(N)":       func() { s.Example(5) },
		"Gather(5)":        func() { s.Gather([]int32{0, 5}, nil) },
		"GatherLabels(-1)": func() { s.GatherLabels([]int32{-1}, nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			f()
		}()
	}
}

func TestEvalSubset(t *testing.T) {
	// 3 classes with 10, 6 and 4 examples; class 3 absent, class 4 with 5.
	var labels []int32
	for c, n := range []int{10, 6, 4, 0, 5} {
		for range n {
			labels = append(labels, int32(c))
		}
	}
	// Interleave so that index order is not class order.
	perm := newRNG(99, 0)
	for i := len(labels) - 1; i > 0; i-- {
		j := perm.intn(i + 1)
		labels[i], labels[j] = labels[j], labels[i]
	}
	s := smallSplit(labels)
	tests := []struct {
		size    int
		want    map[int32]int // per-class counts
		wantErr string
	}{
		{4, map[int32]int{0: 1, 1: 1, 2: 1, 4: 1}, ""},
		{8, map[int32]int{0: 2, 1: 2, 2: 2, 4: 2}, ""},
		{11, map[int32]int{0: 3, 1: 3, 2: 3, 4: 2}, ""},
		{16, map[int32]int{0: 4, 1: 4, 2: 4, 4: 4}, ""},
		{20, nil, "needs 5 examples of class 2, the split has only 4"},
		{3, nil, "smaller than the number of classes 4"},
		{0, nil, "smaller than the number of classes"},
	}
	for _, tc := range tests {
		got, err := s.EvalSubset(tc.size, 7)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("EvalSubset(%d): err = %v, want one containing %q", tc.size, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("EvalSubset(%d): %v", tc.size, err)
		}
		if len(got) != tc.size {
			t.Fatalf("EvalSubset(%d) returned %d indices", tc.size, len(got))
		}
		if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Errorf("EvalSubset(%d) = %v: not sorted and distinct", tc.size, got)
		}
		counts := map[int32]int{}
		for _, i := range got {
			counts[labels[i]]++
		}
		for c, n := range tc.want {
			if counts[c] != n {
				t.Errorf("EvalSubset(%d): class %d has %d examples, want %d (all: %v)", tc.size, c, counts[c], n, counts)
			}
		}
		again, _ := s.EvalSubset(tc.size, 7)
		if !slices.Equal(got, again) {
			t.Errorf("EvalSubset(%d, 7) not deterministic: %v then %v", tc.size, got, again)
		}
	}
	a, _ := s.EvalSubset(8, 1)
	b, _ := s.EvalSubset(8, 2)
	if slices.Equal(a, b) {
		t.Errorf("EvalSubset(8, seed 1) and (8, seed 2) are both %v", a)
	}
	if _, err := (&Split{Shape: []int{2}}).EvalSubset(1, 0); err == nil {
		t.Error("EvalSubset of an empty split: no error")
	}
}

func TestRNGStable(t *testing.T) {
	// The evaluation subsets stored in runs depend on this sequence: it must never change.
	r := newRNG(1, 0)
	got := []uint64{r.uint64(), r.uint64(), r.uint64()}
	r2 := newRNG(1, 0)
	for i, v := range got {
		if w := r2.uint64(); w != v {
			t.Fatalf("value %d: %x then %x", i, v, w)
		}
	}
	want := []uint64{0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x6c45d188009454f}
	if !slices.Equal(got, want) {
		t.Errorf("newRNG(1, 0) = %#x, want %#x", got, want)
	}
	// intn is uniform enough: 60000 draws in 6 buckets.
	var counts [6]int
	for range 60000 {
		counts[r.intn(6)]++
	}
	for i, c := range counts {
		if c < 9500 || c > 10500 {
			t.Errorf("intn(6): bucket %d has %d of 60000", i, c)
		}
	}
	var sum, sum2 float64
	for range 100000 {
		v := r.norm()
		sum += v
		sum2 += v * v
	}
	if m, v := sum/100000, sum2/100000; m < -0.02 || m > 0.02 || v < 0.97 || v > 1.03 {
		t.Errorf("norm: mean %v variance %v, want about 0 and 1", m, v)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Setenv(EnvMNISTDir, "")
	t.Setenv(EnvCIFAR10Dir, "")
	missing := filepath.Join(t.TempDir(), "nowhere")
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, dir string
		want      []string
	}{
		{"imagenet", "", []string{`unknown data set "imagenet"`, "fashion-mnist, mnist, cifar10, colors, blobs"}},
		{"mnist", "", []string{"mnist needs a directory", EnvMNISTDir, "train-images-idx3-ubyte"}},
		{"cifar10", "", []string{"cifar10 needs a directory", EnvCIFAR10Dir, "data_batch_1.bin"}},
		{"fashion-mnist", missing, []string{missing, "does not exist", "dataset-fashion-mnist", "t10k-labels-idx1-ubyte"}},
		{"mnist", missing, []string{missing, "does not exist", "train-images-idx3-ubyte"}},
		{"cifar10", missing, []string{missing, "does not exist", "test_batch.bin"}},
		{"mnist", file, []string{file, "not a directory"}},
		{"mnist", t.TempDir(), []string{"lacks train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz"}},
		{"cifar10", t.TempDir(), []string{"lacks data_batch_1.bin", "test_batch.bin"}},
		{"colors", "/tmp", []string{"colors is generated and takes no directory"}},
		{"blobs", "/tmp", []string{"blobs is generated"}},
	}
	for _, tc := range tests {
		_, err := Load(tc.name, tc.dir)
		if err == nil {
			t.Errorf("Load(%q, %q): no error", tc.name, tc.dir)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Load(%q, %q) = %q, want it to contain %q", tc.name, tc.dir, err, w)
			}
		}
	}
	if !slices.Equal(Names(), []string{"fashion-mnist", "mnist", "cifar10", "colors", "blobs"}) {
		t.Errorf("Names() = %v", Names())
	}
}

func TestLoadCache(t *testing.T) {
	dir := t.TempDir()
	writeMNISTDir(t, dir, nil)
	a, err := Load("mnist", dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load("mnist", dir+"/") // same directory, spelled differently
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("second Load of the same directory did not come from the cache")
	}
	// Rewriting a file (new modification time) makes Load read the files again.
	p := filepath.Join(dir, "t10k-labels-idx1-ubyte.gz")
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(p, future, future); err != nil {
		t.Fatal(err)
	}
	c, err := Load("mnist", dir)
	if err != nil {
		t.Fatal(err)
	}
	if c == a {
		t.Error("Load returned the cached data set after a file changed")
	}
	ClearCache()
	d, err := Load("mnist", dir)
	if err != nil {
		t.Fatal(err)
	}
	if d == c {
		t.Error("Load returned a cached data set after ClearCache")
	}
	for _, name := range []string{"colors", "blobs"} {
		x, err := Load(name, "")
		if err != nil {
			t.Fatalf("Load(%q): %v", name, err)
		}
		y, _ := Load(name, "")
		if x != y || x.Name != name {
			t.Errorf("Load(%q): name %q, cached %v", name, x.Name, x == y)
		}
	}
}

func TestDatasetSplit(t *testing.T) {
	ds, err := Blobs(BlobsOptions{Classes: 2, Dim: 2, PerClass: 3, TestPerClass: 2})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]*Split{"train": ds.Train, "test": ds.Test} {
		if got, err := ds.Split(name); err != nil || got != want {
			t.Errorf("Split(%q) = %p, %v", name, got, err)
		}
	}
	if _, err := ds.Split("validation"); err == nil {
		t.Error("Split(validation): no error")
	}
}
