package npy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/embviz/embviz/internal/testutil"
)

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		a    *Array
	}{
		{"f32 matrix", Float32([]float32{1, -2.5, 3, 4, 5, 6}, 2, 3)},
		{"i32 vector", Int32([]int32{7, -8, 9}, 3)},
		{"f64 3d", &Array{Shape: []int{2, 1, 2}, F64: []float64{1, 2, 3, 4}}},
		{"i64 scalar", &Array{Shape: []int{}, I64: []int64{42}}},
		{"empty", Float32([]float32{}, 0, 4)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tc.a); err != nil {
				t.Fatal(err)
			}
			got, err := Read(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Shape, tc.a.Shape) || got.DType() != tc.a.DType() || got.Size() != tc.a.Size() {
				t.Fatalf("got shape %v dtype %s, want %v %s", got.Shape, got.DType(), tc.a.Shape, tc.a.DType())
			}
			if tc.a.Size() > 0 && !reflect.DeepEqual(got, tc.a) {
				t.Fatalf("got %+v, want %+v", got, tc.a)
			}
		})
	}
}

func TestHeaderAligned(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, Float32(make([]float32, 6), 2, 3)); err != nil {
		t.Fatal(err)
	}
	if got := buf.Len() - 6*4; got%64 != 0 {
		t.Fatalf("header length %d is not a multiple of 64", got)
	}
}

func TestWriteErrors(t *testing.T) {
	if err := Write(&bytes.Buffer{}, Float32([]float32{1, 2, 3}, 2, 2)); err == nil || !strings.Contains(err.Error(), "needs 4 values") {
		t.Fatalf("want shape mismatch error, got %v", err)
	}
	if err := Write(&bytes.Buffer{}, &Array{Shape: []int{1}}); err == nil {
		t.Fatal("want error for an array without data")
	}
}

func TestReadErrors(t *testing.T) {
	var good bytes.Buffer
	Write(&good, Float32([]float32{1, 2, 3, 4}, 2, 2))
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "too short"},
		{"bad magic", "\x93NUMPX\x01\x00", "bad magic"},
		{"version", "\x93NUMPY\x09\x00", "unsupported format version"},
		{"truncated data", good.String()[:good.Len()-3], "short read"},
		{"fortran", "\x93NUMPY\x01\x00" + "\x3c\x00" + "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }" + "\n    ", "Fortran"},
		{"dtype", "\x93NUMPY\x01\x00" + "\x3c\x00" + "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }" + "\n   ", "unsupported dtype"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want error containing %q, got %v", tc.want, err)
			}
		})
	}
}

func TestConversions(t *testing.T) {
	a := &Array{Shape: []int{2}, F64: []float64{1.5, 2}}
	if f, err := a.Float32s(); err != nil || f[0] != 1.5 {
		t.Fatalf("Float32s: %v %v", f, err)
	}
	if _, err := a.Int32s(); err == nil {
		t.Fatal("Int32s of floats should fail")
	}
	big := &Array{Shape: []int{1}, I64: []int64{1 << 40}}
	if _, err := big.Int32s(); err == nil {
		t.Fatal("Int32s of a too-large int64 should fail")
	}
}

func TestWriteFileAtomicLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.npy")
	if err := WriteFile(p, Int32([]int32{1, 2}, 2)); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("want only x.npy, found %d entries", len(entries))
	}
	a, err := ReadFile(p)
	if err != nil || a.I32[1] != 2 {
		t.Fatalf("ReadFile: %+v %v", a, err)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing.npy")); err == nil {
		t.Fatal("missing file should fail")
	}
}

// TestNumpyInterop checks files written here load in numpy and files numpy writes load here.
func TestNumpyInterop(t *testing.T) {
	py := testutil.Python(t, "numpy")
	dir := t.TempDir()
	ours := filepath.Join(dir, "ours.npy")
	if err := WriteFile(ours, Float32([]float32{1, 2, 3, 4, 5, 6}, 2, 3)); err != nil {
		t.Fatal(err)
	}
	script := `
import numpy as np, sys
a = np.load(sys.argv[1])
assert a.dtype == np.float32 and a.shape == (2, 3) and a[1, 2] == 6, (a.dtype, a.shape)
np.save(sys.argv[2], np.arange(12, dtype=np.float64).reshape(3, 4) / 2)
np.save(sys.argv[3], np.array([3, -1, 7], dtype=np.int64))
`
	theirs, ints := filepath.Join(dir, "theirs.npy"), filepath.Join(dir, "ints.npy")
	if out, err := exec.Command(py, "-c", script, ours, theirs, ints).CombinedOutput(); err != nil {
		t.Fatalf("numpy side failed: %v\n%s", err, out)
	}
	a, err := ReadFile(theirs)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := a.Float32s()
	if !reflect.DeepEqual(a.Shape, []int{3, 4}) || f[11] != 5.5 {
		t.Fatalf("numpy float64 array read as %v %v", a.Shape, f)
	}
	b, err := ReadFile(ints)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := b.Int32s(); err != nil || v[1] != -1 {
		t.Fatalf("numpy int64 array read as %v %v", v, err)
	}
}

func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	Write(&buf, Float32([]float32{1, 2, 3, 4}, 2, 2))
	f.Add(buf.Bytes())
	buf.Reset()
	Write(&buf, Int32([]int32{1}, 1))
	f.Add(buf.Bytes())
	f.Add([]byte("\x93NUMPY\x02\x00\xff\xff\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := Write(&out, a); err != nil && a.DType() != "" {
			t.Fatalf("re-writing a parsed array failed: %v", err)
		}
	})
}
