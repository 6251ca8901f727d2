package datasets

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/embviz/embviz/internal/testutil"
)

// pickleTestImages returns n CHW images whose bytes encode (image, position) and labels i%10.
func pickleTestImages(n int) ([]byte, []uint8) {
	img := make([]byte, n*CIFARImageBytes)
	lab := make([]uint8, n)
	for i := 0; i < n; i++ {
		lab[i] = uint8(i % 10)
		for p := 0; p < CIFARImageBytes; p++ {
			img[i*CIFARImageBytes+p] = byte(i*7 + p)
		}
	}
	return img, lab
}

func TestReadCIFARPickleHandBuilt(t *testing.T) {
	img, lab := pickleTestImages(3)
	var buf bytes.Buffer
	if err := WriteCIFARPickle(&buf, "training batch 1 of 5", img, lab); err != nil {
		t.Fatal(err)
	}
	gotImg, gotLab, err := ReadCIFARPickle(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gotImg, img) || !bytes.Equal(gotLab, lab) {
		t.Fatalf("round trip differs: labels %v, want %v", gotLab, lab)
	}
}

// TestReadCIFARPicklePython reads batches written by Python 3's pickle (protocols 2 to 5) with
// numpy, the way cifar-10-batches-py is read back by users, and the meta file.
func TestReadCIFARPicklePython(t *testing.T) {
	py := testutil.Python(t, "numpy")
	if py == "" {
		return
	}
	dir := t.TempDir()
	script := `
import pickle, sys, numpy as np
n = 4
data = np.array([[(i*7 + p) % 256 for p in range(3072)] for i in range(n)], dtype=np.uint8)
for proto in (2, 3, 4, 5):
    d = {b'batch_label': b'testing batch 1 of 1', b'labels': [i % 10 for i in range(n)], b'data': data,
         b'filenames': [b'x_%d.png' % i for i in range(n)]}
    with open(sys.argv[1] + '/batch_%d' % proto, 'wb') as f:
        pickle.dump(d, f, protocol=proto)
d = {'labels': [3, 1, 4, 1], 'data': data}  # text keys
with open(sys.argv[1] + '/batch_text', 'wb') as f:
    pickle.dump(d, f, protocol=2)
`
	if out, err := exec.Command(py, "-c", script, dir).CombinedOutput(); err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	want, wantLab := pickleTestImages(4)
	for _, name := range []string{"batch_2", "batch_3", "batch_4", "batch_5", "batch_text"} {
		img, lab, err := readCIFARPickleFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(img, want) {
			t.Errorf("%s: image bytes differ", name)
		}
		if name == "batch_text" {
			wantLab = []uint8{3, 1, 4, 1}
		}
		if !bytes.Equal(lab, wantLab) {
			t.Errorf("%s: labels %v, want %v", name, lab, wantLab)
		}
	}
}

func TestCIFAR10PickleDirectory(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "cifar-10-batches-py")
	trImg, trLab := pickleTestImages(10)
	teImg, teLab := pickleTestImages(4)
	names := []string{"a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9"}
	if err := WriteCIFARPickleDir(dir, trImg, trLab, teImg, teLab, names); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, root} { // the batches' directory, or the one containing it
		ds, err := CIFAR10(d)
		if err != nil {
			t.Fatal(err)
		}
		if ds.Train.N != 10 || ds.Test.N != 4 {
			t.Fatalf("%s: %d train / %d test, want 10 / 4", d, ds.Train.N, ds.Test.N)
		}
		if strings.Join(ds.ClassNames, ",") != strings.Join(names, ",") {
			t.Errorf("class names %v, want %v", ds.ClassNames, names)
		}
		// Pixel (0, 0) of image 1, green channel: CHW byte 1*3072 + 1024 -> HWC index 1.
		if got, want := ds.Train.X[CIFARImageBytes+1], float32(byte((7+1024)%256))/255; got != want {
			t.Errorf("train image 1 pixel (0,0) G = %v, want %v", got, want)
		}
		if ds.Test.Labels[3] != 3 {
			t.Errorf("test label 3 = %d, want 3", ds.Test.Labels[3])
		}
	}
}

func TestCIFARPickleGzip(t *testing.T) {
	img, lab := pickleTestImages(2)
	var raw, gz bytes.Buffer
	if err := WriteCIFARPickle(&raw, "b", img, lab); err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(&gz)
	zw.Write(raw.Bytes())
	zw.Close()
	_, _, err := ReadCIFARPickle(&gz)
	var fe *FormatError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "decompress it") {
		t.Fatalf("gzipped batch: err = %v, want a FormatError saying to decompress it", err)
	}
	// A directory holding only the downloaded archive says to extract it.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cifar-10-python.tar.gz"), gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := CIFAR10(dir); err == nil || !strings.Contains(err.Error(), "decompress it") {
		t.Fatalf("directory with the archive: err = %v, want one saying to decompress it", err)
	}
}

func TestReadCIFARPickleErrors(t *testing.T) {
	img, lab := pickleTestImages(2)
	var good bytes.Buffer
	WriteCIFARPickle(&good, "b", img, lab)
	cases := map[string][]byte{
		"empty":     {},
		"truncated": good.Bytes()[:good.Len()/2],
		"not dict":  {0x80, 2, ']', '.'},
		"no data":   {0x80, 2, '}', '.'},
		"opcode":    {0x80, 2, 'i', '.'},
		"protocol":  {0x80, 9, '.'},
	}
	bad := bytes.Clone(good.Bytes())
	i := bytes.Index(bad, []byte{'K', 1}) // second label 1 -> 11
	bad[i+1] = 11
	cases["label"] = bad
	for name, b := range cases {
		if _, _, err := ReadCIFARPickle(bytes.NewReader(b)); err == nil {
			t.Errorf("%s: no error", name)
		} else if !strings.HasPrefix(err.Error(), "datasets: cifar-pickle: ") {
			t.Errorf("%s: error %q lacks the prefix", name, err)
		}
	}
}

func FuzzReadCIFARPickle(f *testing.F) {
	img, lab := pickleTestImages(1)
	var good bytes.Buffer
	WriteCIFARPickle(&good, "b", img, lab)
	f.Add(good.Bytes())
	f.Add([]byte{0x80, 2, '}', '.'})
	f.Add([]byte{0x80, 2, '(', ']', 'q', 0, 'h', 0, 'h', 1, 'e', '.'})
	f.Add([]byte{0x80, 4, 0x95, 0, 0, 0, 0, 0, 0, 0, 0, 0x8c, 1, 'a', 0x8c, 1, 'b', 0x93, ')', 'R', '.'})
	f.Fuzz(func(t *testing.T, b []byte) {
		img, lab, err := ReadCIFARPickle(bytes.NewReader(b))
		if err != nil {
			return
		}
		if len(img) != len(lab)*CIFARImageBytes || len(lab) == 0 {
			t.Fatalf("%d image bytes for %d labels", len(img), len(lab))
		}
		for _, l := range lab {
			if l >= 10 {
				t.Fatalf("label %d", l)
			}
		}
	})
}
