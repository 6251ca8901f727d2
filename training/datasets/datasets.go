// Package datasets loads the data sets embviz trains on and visualizes: image sets read from their
// standard files (Fashion-MNIST, MNIST, CIFAR-10) and generated vector sets (colors, blobs).
//
// Every data set is a [Dataset] with a train and a test [Split]. A split holds its examples as one
// row-major float32 matrix X of shape [N, prod(Shape)]: images are scaled to [0, 1] in HWC layout
// (Shape [28, 28, 1] for the MNIST family, [32, 32, 3] for CIFAR-10), vectors have Shape [d].
// Labels are int32 class indices into Dataset.ClassNames.
//
// [Load] is the registry used by the command line and the notebooks. It caches what it loads, so a
// notebook calling it in many cells reads the files once; datasets returned by Load are shared and
// must be treated as read-only.
//
// Files that are missing, corrupt, truncated or that disagree with each other give an error that
// names the file and what is wrong; parse errors are [*FormatError] values.
package datasets

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Split is one part (train or test) of a data set.
type Split struct {
	// N is the number of examples.
	N int
	// Shape is the shape of one example: [H, W, C] for images (HWC), [d] for vectors.
	Shape []int
	// X holds the examples, row-major [N, prod(Shape)]; image pixels are scaled to [0, 1].
	X []float32
	// Labels are the class indices of the examples, [N], each in [0, number of classes).
	Labels []int32
}

// Dim returns the number of values of one example, prod(Shape).
func (s *Split) Dim() int {
	d := 1
	for _, v := range s.Shape {
		d *= v
	}
	return d
}

// Example returns example i as a slice of Dim() values aliasing X (modifying it modifies the split).
// It panics if i is not in [0, N).
func (s *Split) Example(i int) []float32 {
	if i < 0 || i >= s.N {
		panic(fmt.Sprintf("datasets: example index %d out of range [0, %d)", i, s.N))
	}
	d := s.Dim()
	return s.X[i*d : (i+1)*d : (i+1)*d]
}

// Gather copies the examples at indices into dst as a row-major batch [len(indices), Dim()] and
// returns it. dst is reused when it has capacity for len(indices)*Dim() values, otherwise a new slice
// is allocated. It panics if an index is not in [0, N) (a programming error, not a data error).
func (s *Split) Gather(indices []int32, dst []float32) []float32 {
	d := s.Dim()
	n := len(indices) * d
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	dst = dst[:n]
	for j, i := range indices {
		if i < 0 || int(i) >= s.N {
			panic(fmt.Sprintf("datasets: Gather index %d (position %d) out of range [0, %d)", i, j, s.N))
		}
		copy(dst[j*d:(j+1)*d], s.X[int(i)*d:(int(i)+1)*d])
	}
	return dst
}

// GatherLabels returns the labels at indices, [len(indices)], reusing dst when it has the capacity.
// It panics if an index is not in [0, N).
func (s *Split) GatherLabels(indices []int32, dst []int32) []int32 {
	if cap(dst) < len(indices) {
		dst = make([]int32, len(indices))
	}
	dst = dst[:len(indices)]
	for j, i := range indices {
		if i < 0 || int(i) >= s.N {
			panic(fmt.Sprintf("datasets: GatherLabels index %d (position %d) out of range [0, %d)", i, j, s.N))
		}
		dst[j] = s.Labels[i]
	}
	return dst
}

// ClassCounts returns how many examples of each class the split holds, indexed by label, with
// length max(label)+1 (0 for an empty split).
func (s *Split) ClassCounts() []int {
	var counts []int
	for _, l := range s.Labels {
		for int(l) >= len(counts) {
			counts = append(counts, 0)
		}
		counts[l]++
	}
	return counts
}

// EvalSubset returns a fixed, class-balanced subset of the split: size indices into the split,
// sorted increasingly, with size/k examples of each of the k classes present in the split and the
// remainder size%k spread one each over the first classes (by label). Which examples of a class are
// taken is decided by seed alone (a pseudo-random generator of this package, stable across Go
// versions and platforms), so the same (split, size, seed) always gives the same indices.
//
// Classes with no example in the split are not counted in k. It returns an error if size < k, or if
// some class has fewer examples than its share.
func (s *Split) EvalSubset(size int, seed int64) ([]int32, error) {
	counts := s.ClassCounts()
	var classes []int
	for c, n := range counts {
		if n > 0 {
			classes = append(classes, c)
		}
	}
	k := len(classes)
	if k == 0 {
		return nil, errors.New("datasets: EvalSubset of an empty split")
	}
	if size < k {
		return nil, fmt.Errorf("datasets: EvalSubset size %d is smaller than the number of classes %d", size, k)
	}
	byClass := make([][]int32, len(counts))
	for c, n := range counts {
		byClass[c] = make([]int32, 0, n)
	}
	for i, l := range s.Labels {
		byClass[l] = append(byClass[l], int32(i))
	}
	out := make([]int32, 0, size)
	for j, c := range classes {
		want := size / k
		if j < size%k {
			want++
		}
		idx := byClass[c]
		if len(idx) < want {
			return nil, fmt.Errorf("datasets: EvalSubset size %d needs %d examples of class %d, the split has only %d",
				size, want, c, len(idx))
		}
		// Partial Fisher-Yates: the first want positions become a uniform sample of the class.
		r := newRNG(seed, uint64(c)+1)
		for i := 0; i < want; i++ {
			jj := i + r.intn(len(idx)-i)
			idx[i], idx[jj] = idx[jj], idx[i]
		}
		out = append(out, idx[:want]...)
	}
	slices.Sort(out)
	return out, nil
}

// Dataset is a data set with its train and test splits.
type Dataset struct {
	// Name is the registry name ("fashion-mnist", "mnist", "cifar10", "colors", "blobs").
	Name string
	// ClassNames are the names of the classes, indexed by label.
	ClassNames []string
	// Train and Test are the two splits; they share Shape.
	Train, Test *Split
	// ImageShape is [H, W, C] for image data sets and nil for vector data sets.
	ImageShape []int
}

// NumClasses returns the number of classes, len(ClassNames).
func (d *Dataset) NumClasses() int { return len(d.ClassNames) }

// Split returns the split named "train" or "test".
func (d *Dataset) Split(name string) (*Split, error) {
	switch name {
	case "train":
		return d.Train, nil
	case "test":
		return d.Test, nil
	}
	return nil, fmt.Errorf("datasets: unknown split %q (want \"train\" or \"test\")", name)
}

// FormatError reports a file (or stream) whose contents are not what its format requires.
type FormatError struct {
	// Path is the file, or "" when parsing a stream given as an io.Reader.
	Path string
	// Format is "idx", "cifar" or another format name.
	Format string
	// Msg says what is wrong, with the numbers that disagree.
	Msg string
}

// Error returns "datasets: <path>: <msg>", or "datasets: <format>: <msg>" when Path is "".
func (e *FormatError) Error() string {
	if e.Path == "" {
		return "datasets: " + e.Format + ": " + e.Msg
	}
	return "datasets: " + e.Path + ": " + e.Msg
}

func formatErrorf(format, f string, args ...any) *FormatError {
	return &FormatError{Format: format, Msg: fmt.Sprintf(f, args...)}
}

// withPath sets the path of a *FormatError, or wraps any other error with the path.
func withPath(path string, err error) error {
	if err == nil {
		return nil
	}
	var fe *FormatError
	if errors.As(err, &fe) && fe.Path == "" {
		fe.Path = path
		return fe
	}
	return fmt.Errorf("datasets: %s: %w", path, err)
}

// Default directories and the environment variables that override them.
const (
	// DefaultFashionMNISTDir is where the Debian package dataset-fashion-mnist installs its files.
	DefaultFashionMNISTDir = "/usr/share/datasets/fashion-mnist"
	// EnvFashionMNISTDir overrides DefaultFashionMNISTDir when set.
	EnvFashionMNISTDir = "EMBVIZ_FASHION_MNIST_DIR"
	// EnvMNISTDir gives the MNIST directory when Load("mnist", "") or MNIST("") is called.
	EnvMNISTDir = "EMBVIZ_MNIST_DIR"
	// EnvCIFAR10Dir gives the CIFAR-10 directory when Load("cifar10", "") or CIFAR10("") is called.
	EnvCIFAR10Dir = "EMBVIZ_CIFAR10_DIR"
)

// fileSet is a data set read from files.
type fileSet struct {
	env, def string // the directory when none is given: $env, or def when that is unset
	// load reads the data set from dir and returns the paths of the files it read.
	load func(dir string) (*Dataset, []string, error)
}

// fileSets are the data sets read from files, by name.
var fileSets = map[string]fileSet{
	"fashion-mnist": {EnvFashionMNISTDir, DefaultFashionMNISTDir, loadFashionMNIST},
	"mnist":         {EnvMNISTDir, "", loadMNIST},
	"cifar10":       {EnvCIFAR10Dir, "", loadCIFAR10},
}

// dir returns dir, or when it is "" the directory of $f.env, or f.def.
func (f fileSet) dir(dir string) string {
	if dir != "" {
		return dir
	}
	if d := os.Getenv(f.env); d != "" {
		return d
	}
	return f.def
}

// readFiles reads the file data set called name from dir (see fileSet.dir), without the cache.
func readFiles(name, dir string) (*Dataset, error) {
	f := fileSets[name]
	ds, _, err := f.load(f.dir(dir))
	return ds, err
}

// Names returns the names Load accepts, in a fixed order.
func Names() []string {
	return []string{"fashion-mnist", "mnist", "cifar10", "colors", "blobs"}
}

type cacheEntry struct {
	ds    *Dataset
	files []fileStamp
}

type fileStamp struct {
	path string
	size int64
	mod  time.Time
}

var cache struct {
	sync.Mutex
	m map[string]*cacheEntry
}

// Load returns the data set called name (one of Names()) read from dir:
//   - "fashion-mnist": dir "" means $EMBVIZ_FASHION_MNIST_DIR, or DefaultFashionMNISTDir when unset;
//   - "mnist": the directory of the IDX files (see MNIST); "" means $EMBVIZ_MNIST_DIR;
//   - "cifar10": the directory of the binary batches (see CIFAR10); "" means $EMBVIZ_CIFAR10_DIR;
//   - "colors": the RGB cube of Colors with default options; dir must be "";
//   - "blobs": Blobs with default options; dir must be "".
//
// Results are cached in-process by name and directory: a later Load of the same data set returns the
// same *Dataset without reading the files again, unless one of them changed size or modification
// time. The returned Dataset is shared and must be treated as read-only; call FashionMNIST, MNIST or
// CIFAR10 directly for a private copy. Load is safe for concurrent use.
func Load(name, dir string) (*Dataset, error) {
	var load func(string) (*Dataset, []string, error)
	f, isFiles := fileSets[name]
	switch {
	case isFiles:
		dir, load = f.dir(dir), f.load
	case name == "colors" || name == "blobs":
		if dir != "" {
			return nil, fmt.Errorf("datasets: %s is generated and takes no directory (got %q)", name, dir)
		}
		load = func(string) (*Dataset, []string, error) {
			var ds *Dataset
			var err error
			if name == "colors" {
				ds, err = Colors(ColorsOptions{})
			} else {
				ds, err = Blobs(BlobsOptions{})
			}
			return ds, nil, err
		}
	default:
		return nil, fmt.Errorf("datasets: unknown data set %q; known: %s", name, strings.Join(Names(), ", "))
	}
	if dir != "" {
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
	}
	key := name + "\x00" + dir

	cache.Lock()
	defer cache.Unlock()
	if e, ok := cache.m[key]; ok && stampsCurrent(e.files) {
		return e.ds, nil
	}
	ds, files, err := load(dir)
	if err != nil {
		return nil, err
	}
	stamps := make([]fileStamp, 0, len(files))
	for _, p := range files {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("datasets: %w", err)
		}
		stamps = append(stamps, fileStamp{path: p, size: st.Size(), mod: st.ModTime()})
	}
	if cache.m == nil {
		cache.m = make(map[string]*cacheEntry)
	}
	cache.m[key] = &cacheEntry{ds: ds, files: stamps}
	return ds, nil
}

// ClearCache drops every data set cached by Load, so that their memory can be reclaimed.
func ClearCache() {
	cache.Lock()
	defer cache.Unlock()
	cache.m = nil
}

func stampsCurrent(stamps []fileStamp) bool {
	for _, s := range stamps {
		st, err := os.Stat(s.path)
		if err != nil || st.Size() != s.size || !st.ModTime().Equal(s.mod) {
			return false
		}
	}
	return true
}

// checkDir returns an error naming dir and what is expected in it when dir is not a directory.
func checkDir(dir, what, expected string) error {
	st, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("datasets: %s directory %s does not exist; %s", what, dir, expected)
		}
		return fmt.Errorf("datasets: %s directory: %w", what, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("datasets: %s directory %s is not a directory; %s", what, dir, expected)
	}
	return nil
}
