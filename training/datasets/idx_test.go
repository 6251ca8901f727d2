package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/embviz/embviz/internal/testutil"
)

// idxBytes encodes an IDX stream with element type typ (0x08 for unsigned bytes).
func idxBytes(typ byte, dims []int, data []byte) []byte {
	b := []byte{0, 0, typ, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	return append(b, data...)
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pixel is the value written at byte p of image i of a test file.
func pixel(i, p int) byte { return byte(i*7 + p*3) }

func imagesData(n, h, w int) []byte {
	b := make([]byte, n*h*w)
	for i := range n {
		for p := range h * w {
			b[i*h*w+p] = pixel(i, p)
		}
	}
	return b
}

func labelsData(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 10)
	}
	return b
}

// mnistFiles returns the raw (uncompressed) contents of a small MNIST directory: 30 train and 20
// test images of 28x28.
func mnistFiles() map[string][]byte {
	return map[string][]byte{
		"train-images-idx3-ubyte": idxBytes(8, []int{30, 28, 28}, imagesData(30, 28, 28)),
		"train-labels-idx1-ubyte": idxBytes(8, []int{30}, labelsData(30)),
		"t10k-images-idx3-ubyte":  idxBytes(8, []int{20, 28, 28}, imagesData(20, 28, 28)),
		"t10k-labels-idx1-ubyte":  idxBytes(8, []int{20}, labelsData(20)),
	}
}

// writeMNISTDir writes mnistFiles gzip-compressed as "<name>.gz" into dir, after mutate (if not nil)
// has changed, added or removed files in the map of file name to contents.
func writeMNISTDir(t testing.TB, dir string, mutate func(files map[string][]byte)) {
	t.Helper()
	files := map[string][]byte{}
	for name, b := range mnistFiles() {
		files[name+".gz"] = gz(t, b)
	}
	if mutate != nil {
		mutate(files)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func checkMNISTLike(t *testing.T, ds *Dataset, name string) {
	t.Helper()
	if ds.Name != name || ds.NumClasses() != 10 || !slices.Equal(ds.ImageShape, []int{28, 28, 1}) {
		t.Fatalf("got name %q, %d classes, image shape %v", ds.Name, ds.NumClasses(), ds.ImageShape)
	}
	for _, tc := range []struct {
		s *Split
		n int
	}{{ds.Train, 30}, {ds.Test, 20}} {
		if tc.s.N != tc.n || tc.s.Dim() != 784 || len(tc.s.X) != tc.n*784 || len(tc.s.Labels) != tc.n {
			t.Fatalf("split: N %d Dim %d len(X) %d len(Labels) %d, want N %d", tc.s.N, tc.s.Dim(), len(tc.s.X), len(tc.s.Labels), tc.n)
		}
		for i := range tc.n {
			if tc.s.Labels[i] != int32(i%10) {
				t.Fatalf("label %d = %d, want %d", i, tc.s.Labels[i], i%10)
			}
			for _, p := range []int{0, 1, 28*14 + 3, 783} {
				if got, want := tc.s.Example(i)[p], float32(pixel(i, p))/255; got != want {
					t.Fatalf("image %d pixel %d = %v, want %v", i, p, got, want)
				}
			}
		}
	}
}

func TestMNISTFromWrittenFiles(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(map[string][]byte)
	}{
		{"gzip", nil},
		{"uncompressed", func(f map[string][]byte) {
			for name, b := range mnistFiles() {
				delete(f, name+".gz")
				f[name] = b
			}
		}},
		{"dotted names", func(f map[string][]byte) {
			for name, b := range mnistFiles() {
				delete(f, name+".gz")
				f[strings.Replace(name, "-idx", ".idx", 1)] = b
			}
		}},
		{"mixed", func(f map[string][]byte) {
			delete(f, "t10k-images-idx3-ubyte.gz")
			f["t10k-images-idx3-ubyte"] = mnistFiles()["t10k-images-idx3-ubyte"]
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeMNISTDir(t, dir, tc.mutate)
			ds, err := MNIST(dir)
			if err != nil {
				t.Fatal(err)
			}
			checkMNISTLike(t, ds, "mnist")
			if !slices.Equal(ds.ClassNames, DigitClassNames) {
				t.Errorf("ClassNames = %v", ds.ClassNames)
			}
		})
	}
	t.Run("env dir", func(t *testing.T) {
		dir := t.TempDir()
		writeMNISTDir(t, dir, nil)
		t.Setenv(EnvMNISTDir, dir)
		ds, err := MNIST("")
		if err != nil {
			t.Fatal(err)
		}
		checkMNISTLike(t, ds, "mnist")
	})
	t.Run("fashion from a given dir", func(t *testing.T) {
		dir := t.TempDir()
		writeMNISTDir(t, dir, nil)
		t.Setenv(EnvFashionMNISTDir, dir)
		ds, err := FashionMNIST("")
		if err != nil {
			t.Fatal(err)
		}
		checkMNISTLike(t, ds, "fashion-mnist")
		if ds.ClassNames[9] != "Ankle boot" || ds.ClassNames[0] != "T-shirt/top" {
			t.Errorf("ClassNames = %v", ds.ClassNames)
		}
	})
}

// TestMNISTCorrupt checks that each kind of damage gives an error naming the file and the problem.
func TestMNISTCorrupt(t *testing.T) {
	raw := mnistFiles()
	set := func(name string, b []byte) func(map[string][]byte) {
		return func(f map[string][]byte) { f[name] = b }
	}
	setGz := func(name string, b []byte) func(map[string][]byte) {
		return func(f map[string][]byte) { f[name+".gz"] = gz(t, b) }
	}
	trainImgGz := gz(t, raw["train-images-idx3-ubyte"])
	badCRC := slices.Clone(trainImgGz)
	badCRC[len(badCRC)-8] ^= 0xff
	tests := []struct {
		name   string
		mutate func(map[string][]byte)
		want   []string // substrings of the error
	}{
		{"wrong magic", setGz("train-images-idx3-ubyte", append([]byte{0x00, 0x00, 0x09, 0x03}, raw["train-images-idx3-ubyte"][4:]...)),
			[]string{"train-images-idx3-ubyte.gz", "wrong magic 0x00000903", "element type 0x09"}},
		{"not idx", setGz("train-labels-idx1-ubyte", []byte("<html>not found</html>")),
			[]string{"train-labels-idx1-ubyte.gz", "wrong magic", "not an IDX file"}},
		{"zero dims", setGz("train-labels-idx1-ubyte", []byte{0, 0, 8, 0}),
			[]string{"train-labels-idx1-ubyte.gz", "zero dimensions"}},
		{"counts disagree", setGz("train-labels-idx1-ubyte", idxBytes(8, []int{29}, labelsData(29))),
			[]string{"counts disagree", "train-images-idx3-ubyte.gz has 30 images", "train-labels-idx1-ubyte.gz has 29 labels"}},
		{"short data", setGz("t10k-images-idx3-ubyte", raw["t10k-images-idx3-ubyte"][:len(raw["t10k-images-idx3-ubyte"])-10]),
			[]string{"t10k-images-idx3-ubyte.gz", "short read", "declare 15680 data bytes, only 15670 present"}},
		{"short header", setGz("t10k-labels-idx1-ubyte", []byte{0, 0, 8, 1, 0, 0}),
			[]string{"t10k-labels-idx1-ubyte.gz", "short read", "header declares 1 dimensions"}},
		{"empty file", set("t10k-labels-idx1-ubyte.gz", nil),
			[]string{"t10k-labels-idx1-ubyte.gz", "short read", "has 0 bytes"}},
		{"truncated gzip", set("train-images-idx3-ubyte.gz", trainImgGz[:len(trainImgGz)/2]),
			[]string{"train-images-idx3-ubyte.gz", "gzip stream truncated"}},
		{"gzip trailer cut", set("train-images-idx3-ubyte.gz", trainImgGz[:len(trainImgGz)-5]),
			[]string{"train-images-idx3-ubyte.gz", "after the 23520 data bytes"}},
		{"gzip checksum", set("train-images-idx3-ubyte.gz", badCRC),
			[]string{"train-images-idx3-ubyte.gz", "checksum"}},
		{"trailing data", setGz("train-labels-idx1-ubyte", append(slices.Clone(raw["train-labels-idx1-ubyte"]), 1, 2, 3)),
			[]string{"train-labels-idx1-ubyte.gz", "trailing data", "3 more bytes"}},
		{"label out of range", setGz("t10k-labels-idx1-ubyte", idxBytes(8, []int{20}, append(labelsData(19), 10))),
			[]string{"t10k-labels-idx1-ubyte.gz", "label 10 at index 19 out of range [0, 10)"}},
		{"images 2-d", setGz("train-images-idx3-ubyte", idxBytes(8, []int{30, 784}, imagesData(30, 28, 28))),
			[]string{"train-images-idx3-ubyte.gz", "images must have 3 dimensions", "[30 784]"}},
		{"labels 2-d", setGz("train-labels-idx1-ubyte", idxBytes(8, []int{30, 1}, labelsData(30))),
			[]string{"train-labels-idx1-ubyte.gz", "labels must have 1 dimension"}},
		{"image sizes disagree", func(f map[string][]byte) {
			f["t10k-images-idx3-ubyte.gz"] = gz(t, idxBytes(8, []int{20, 14, 14}, imagesData(20, 14, 14)))
		}, []string{"image sizes disagree", "t10k-images-idx3-ubyte.gz has [14 14 1]", "[28 28 1]"}},
		{"empty split", func(f map[string][]byte) {
			f["t10k-images-idx3-ubyte.gz"] = gz(t, idxBytes(8, []int{0, 28, 28}, nil))
			f["t10k-labels-idx1-ubyte.gz"] = gz(t, idxBytes(8, []int{0}, nil))
		}, []string{"t10k-images-idx3-ubyte.gz", "empty images"}},
		{"huge header", setGz("train-images-idx3-ubyte", idxBytes(8, []int{1 << 20, 1 << 20, 28}, nil)),
			[]string{"train-images-idx3-ubyte.gz", "declare more than 4294967296 bytes"}},
		{"missing file", func(f map[string][]byte) { delete(f, "t10k-labels-idx1-ubyte.gz") },
			[]string{"lacks t10k-labels-idx1-ubyte.gz", "train-images-idx3-ubyte"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeMNISTDir(t, dir, tc.mutate)
			ds, err := MNIST(dir)
			if err == nil {
				t.Fatalf("no error (got %d train examples)", ds.Train.N)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestReadIDX(t *testing.T) {
	tests := []struct {
		name     string
		in       []byte
		wantDims []int
		wantErr  string
	}{
		{"labels", idxBytes(8, []int{5}, []byte{0, 1, 2, 3, 4}), []int{5}, ""},
		{"images", idxBytes(8, []int{2, 2, 3}, imagesData(2, 2, 3)), []int{2, 2, 3}, ""},
		{"empty dim", idxBytes(8, []int{0, 28, 28}, nil), []int{0, 28, 28}, ""},
		{"four dims", idxBytes(8, []int{1, 2, 1, 2}, []byte{9, 8, 7, 6}), []int{1, 2, 1, 2}, ""},
		{"empty", nil, nil, "has 0 bytes"},
		{"3 bytes", []byte{0, 0, 8}, nil, "has 3 bytes"},
		{"bad magic", []byte{1, 2, 3, 4, 5}, nil, "wrong magic 0x01020304"},
		{"float", idxBytes(0x0D, []int{1}, []byte{0, 0, 0, 0}), nil, "element type 0x0d"},
		{"short", idxBytes(8, []int{4}, []byte{1, 2}), nil, "declare 4 data bytes, only 2 present"},
		{"trailing", idxBytes(8, []int{1}, []byte{1, 2}), nil, "trailing data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dims, data, err := ReadIDX(bytes.NewReader(tc.in))
			if tc.wantErr != "" {
				var fe *FormatError
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.As(err, &fe) {
					t.Fatalf("err = %v, want a *FormatError containing %q", err, tc.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "datasets: idx: ") {
					t.Errorf("error %q lacks the prefix", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(dims, tc.wantDims) || !bytes.Equal(data, tc.in[4+4*len(dims):]) {
				t.Errorf("got dims %v data %v", dims, data)
			}
		})
	}
}

func TestReadIDXFile(t *testing.T) {
	dir := t.TempDir()
	want := idxBytes(8, []int{3, 2}, []byte{1, 2, 3, 4, 5, 6})
	// A .gz name with raw content and a raw name with gzip content are both read by content.
	for name, b := range map[string][]byte{"a.gz": want, "b": gz(t, want), "c.gz": gz(t, want)} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		dims, data, err := ReadIDXFile(p)
		if err != nil || !slices.Equal(dims, []int{3, 2}) || !bytes.Equal(data, want[12:]) {
			t.Errorf("%s: dims %v data %v err %v", name, dims, data, err)
		}
	}
	p := filepath.Join(dir, "missing.gz")
	if _, _, err := ReadIDXFile(p); err == nil || !strings.Contains(err.Error(), p) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte{0x1f, 0x8b, 1, 2, 3}, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadIDXFile(bad); err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "gzip") {
		t.Errorf("bad gzip header: err = %v", err)
	}
}

func FuzzReadIDX(f *testing.F) {
	f.Add(idxBytes(8, []int{5}, []byte{0, 1, 2, 3, 4}))
	f.Add(idxBytes(8, []int{2, 2, 3}, imagesData(2, 2, 3)))
	f.Add(idxBytes(8, []int{2, 2, 3}, imagesData(2, 2, 2)))
	f.Add(idxBytes(8, []int{0xffff, 0xffff, 0xffff}, nil))
	f.Add(idxBytes(8, []int{1 << 31, 2}, nil))
	f.Add(idxBytes(9, []int{1}, []byte{1}))
	f.Add([]byte{0, 0, 8, 255, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		dims, data, err := ReadIDX(bytes.NewReader(in))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FormatError", err)
			}
			return
		}
		n := 1
		for _, d := range dims {
			n *= d
		}
		if len(dims) == 0 || len(dims) > 255 || len(data) != n || 4+4*len(dims)+n != len(in) {
			t.Fatalf("dims %v, %d data bytes, %d input bytes", dims, len(data), len(in))
		}
	})
}

// TestFashionMNIST reads the real files of the Debian package dataset-fashion-mnist.
func TestFashionMNIST(t *testing.T) {
	dir := DefaultFashionMNISTDir
	if _, err := os.Stat(filepath.Join(dir, "train-images-idx3-ubyte.gz")); err != nil {
		testutil.Missing(t, "Fashion-MNIST files in %s (apt-get install dataset-fashion-mnist)", dir)
		return
	}
	t.Setenv(EnvFashionMNISTDir, "")
	ds, err := Load("fashion-mnist", "")
	if err != nil {
		t.Fatal(err)
	}
	if again, err := Load("fashion-mnist", dir); err != nil || again != ds {
		t.Errorf("Load with the explicit default directory: cached %v, err %v", again == ds, err)
	}
	if ds.Name != "fashion-mnist" || !slices.Equal(ds.ClassNames, FashionClassNames) || !slices.Equal(ds.ImageShape, []int{28, 28, 1}) {
		t.Fatalf("name %q classes %v shape %v", ds.Name, ds.ClassNames, ds.ImageShape)
	}
	for _, tc := range []struct {
		name     string
		s        *Split
		n        int
		meanLow  float64
		meanHigh float64
	}{{"train", ds.Train, 60000, 0.28, 0.29}, {"test", ds.Test, 10000, 0.28, 0.29}} {
		s := tc.s
		if s.N != tc.n || len(s.X) != tc.n*784 || len(s.Labels) != tc.n || !slices.Equal(s.Shape, []int{28, 28, 1}) {
			t.Fatalf("%s: N %d len(X) %d len(Labels) %d Shape %v", tc.name, s.N, len(s.X), len(s.Labels), s.Shape)
		}
		counts := s.ClassCounts()
		for c, n := range counts {
			if n != tc.n/10 {
				t.Errorf("%s: class %d has %d examples, want %d", tc.name, c, n, tc.n/10)
			}
		}
		if len(counts) != 10 {
			t.Errorf("%s: labels span %d classes", tc.name, len(counts))
		}
		var sum float64
		lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
		for _, v := range s.X {
			sum += float64(v)
			lo, hi = min(lo, v), max(hi, v)
		}
		// Fashion-MNIST's mean pixel is 0.2860 (train) and 0.2868 (test).
		if mean := sum / float64(len(s.X)); lo != 0 || hi != 1 || mean < tc.meanLow || mean > tc.meanHigh {
			t.Errorf("%s: pixels in [%v, %v], mean %v", tc.name, lo, hi, mean)
		}
	}
	// The first training image is an ankle boot, the first test image too.
	if ds.Train.Labels[0] != 9 || ds.Test.Labels[0] != 9 {
		t.Errorf("first labels %d, %d, want 9, 9", ds.Train.Labels[0], ds.Test.Labels[0])
	}

	a, err := ds.Test.EvalSubset(1000, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ds.Test.EvalSubset(1000, 1)
	c, _ := ds.Test.EvalSubset(1000, 2)
	if !slices.Equal(a, b) {
		t.Error("EvalSubset(1000, 1) differs between calls")
	}
	if slices.Equal(a, c) {
		t.Error("EvalSubset seeds 1 and 2 give the same subset")
	}
	per := make([]int, 10)
	for _, i := range a {
		per[ds.Test.Labels[i]]++
	}
	if !slices.Equal(per, []int{100, 100, 100, 100, 100, 100, 100, 100, 100, 100}) {
		t.Errorf("EvalSubset(1000) class counts %v", per)
	}
	odd, err := ds.Train.EvalSubset(1005, 3)
	if err != nil {
		t.Fatal(err)
	}
	per = make([]int, 10)
	for _, i := range odd {
		per[ds.Train.Labels[i]]++
	}
	if !slices.Equal(per, []int{101, 101, 101, 101, 101, 100, 100, 100, 100, 100}) {
		t.Errorf("EvalSubset(1005) class counts %v", per)
	}
	if _, err := ds.Test.EvalSubset(10010, 1); err == nil || !strings.Contains(err.Error(), "only 1000") {
		t.Errorf("EvalSubset larger than the split: err = %v", err)
	}
}

func BenchmarkFashionMNIST(b *testing.B) {
	if _, err := os.Stat(DefaultFashionMNISTDir); err != nil {
		b.Skip("no Fashion-MNIST")
	}
	for b.Loop() {
		if _, err := FashionMNIST(DefaultFashionMNISTDir); err != nil {
			b.Fatal(err)
		}
	}
}
