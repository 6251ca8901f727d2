package datasets

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// cifarRecords returns n records whose labels are (first+i)%10 and whose image bytes are
// cifarByte(first+i, j).
func cifarRecords(first, n int) []byte {
	var b []byte
	for i := first; i < first+n; i++ {
		b = append(b, byte(i%10))
		for j := range CIFARImageBytes {
			b = append(b, cifarByte(i, j))
		}
	}
	return b
}

func cifarByte(i, j int) byte { return byte(i*13 + j*5 + j/1024) }

// cifarFiles returns a small CIFAR-10 directory: five train batches of 3 records (15 in all, numbered
// 0..14) and a test batch of 4 records (numbered 100..103).
func cifarFiles() map[string][]byte {
	f := map[string][]byte{"test_batch.bin": cifarRecords(100, 4)}
	for k, name := range cifarTrainFiles {
		f[name] = cifarRecords(3*k, 3)
	}
	return f
}

func writeFiles(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCIFAR10FromWrittenFiles(t *testing.T) {
	meta := "plane\ncar\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n"
	tests := []struct {
		name      string
		meta      string // "" for no batches.meta.txt
		subdir    bool   // files in dir/cifar-10-batches-bin
		wantNames []string
	}{
		{"default names", "", false, CIFAR10ClassNames},
		{"meta file", meta, false, []string{"plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}},
		{"extracted subdir", "", true, CIFAR10ClassNames},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			fdir := dir
			if tc.subdir {
				fdir = filepath.Join(dir, "cifar-10-batches-bin")
				if err := os.Mkdir(fdir, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			files := cifarFiles()
			if tc.meta != "" {
				files["batches.meta.txt"] = []byte(tc.meta)
			}
			writeFiles(t, fdir, files)
			ds, err := CIFAR10(dir)
			if err != nil {
				t.Fatal(err)
			}
			if ds.Name != "cifar10" || !slices.Equal(ds.ClassNames, tc.wantNames) || !slices.Equal(ds.ImageShape, []int{32, 32, 3}) {
				t.Fatalf("name %q classes %v image shape %v", ds.Name, ds.ClassNames, ds.ImageShape)
			}
			for _, sc := range []struct {
				s      *Split
				n, off int
			}{{ds.Train, 15, 0}, {ds.Test, 4, 100}} {
				if sc.s.N != sc.n || len(sc.s.X) != sc.n*3072 || !slices.Equal(sc.s.Shape, []int{32, 32, 3}) {
					t.Fatalf("split N %d len(X) %d Shape %v, want N %d", sc.s.N, len(sc.s.X), sc.s.Shape, sc.n)
				}
				for i := range sc.n {
					rec := sc.off + i
					if sc.s.Labels[i] != int32(rec%10) {
						t.Fatalf("label %d = %d, want %d", i, sc.s.Labels[i], rec%10)
					}
					ex := sc.s.Example(i)
					// HWC: value (y, x, c) comes from plane c at y*32+x.
					for _, p := range [][3]int{{0, 0, 0}, {0, 0, 2}, {5, 7, 1}, {31, 31, 2}, {16, 3, 0}} {
						y, x, c := p[0], p[1], p[2]
						got := ex[(y*32+x)*3+c]
						want := float32(cifarByte(rec, c*1024+y*32+x)) / 255
						if got != want {
							t.Fatalf("image %d (y %d, x %d, c %d) = %v, want %v", i, y, x, c, got, want)
						}
					}
				}
			}
		})
	}
}

func TestCIFAR10Corrupt(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(map[string][]byte)
		want   []string
	}{
		{"partial record", func(f map[string][]byte) { f["data_batch_3.bin"] = f["data_batch_3.bin"][:2*CIFARRecordBytes+100] },
			[]string{"data_batch_3.bin", "truncated: 2 whole records of 3073 bytes then a partial record of 100 bytes"}},
		{"label out of range", func(f map[string][]byte) { f["test_batch.bin"][CIFARRecordBytes] = 10 },
			[]string{"test_batch.bin", "record 1 (byte offset 3073): label 10 out of range [0, 10)"}},
		{"empty batch", func(f map[string][]byte) { f["data_batch_5.bin"] = nil },
			[]string{"data_batch_5.bin", "empty: no records"}},
		{"missing batches", func(f map[string][]byte) { delete(f, "data_batch_2.bin"); delete(f, "test_batch.bin") },
			[]string{"lacks data_batch_2.bin, test_batch.bin", "binary batches"}},
		{"meta with 9 names", func(f map[string][]byte) { f["batches.meta.txt"] = []byte("a\nb\nc\nd\ne\nf\ng\nh\ni\n") },
			[]string{"batches.meta.txt", "want 10 class names (one per line), got 9"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := cifarFiles()
			tc.mutate(files)
			writeFiles(t, dir, files)
			_, err := CIFAR10(dir)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	t.Run("env dir", func(t *testing.T) {
		dir := t.TempDir()
		writeFiles(t, dir, cifarFiles())
		t.Setenv(EnvCIFAR10Dir, dir)
		ds, err := Load("cifar10", "")
		if err != nil || ds.Train.N != 15 {
			t.Fatalf("Load(cifar10, \"\") with $%s: %v", EnvCIFAR10Dir, err)
		}
	})
}

func TestReadCIFARBatch(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		wantN   int
		wantErr string
	}{
		{"one", cifarRecords(0, 1), 1, ""},
		{"three", cifarRecords(7, 3), 3, ""},
		{"empty", nil, 0, "empty: no records"},
		{"one byte", []byte{3}, 0, "0 whole records of 3073 bytes then a partial record of 1 bytes"},
		{"extra byte", append(cifarRecords(0, 2), 1), 0, "2 whole records"},
		{"label 255", append([]byte{255}, make([]byte, CIFARImageBytes)...), 0, "label 255 out of range"},
		{"gzipped", gzipped(cifarRecords(0, 2)), 0, "gzip-compressed data, not a binary batch: extract the CIFAR-10 binary archive first"},
		{"gzipped short", gzipped(cifarRecords(0, 1))[:100], 0, "gzip-compressed data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			images, labels, err := ReadCIFARBatch(bytes.NewReader(tc.in))
			if tc.wantErr != "" {
				var fe *FormatError
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.As(err, &fe) {
					t.Fatalf("err = %v, want a *FormatError containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(labels) != tc.wantN || len(images) != tc.wantN*CIFARImageBytes {
				t.Fatalf("%d labels, %d image bytes", len(labels), len(images))
			}
			for i := range tc.wantN {
				rec := tc.in[i*CIFARRecordBytes : (i+1)*CIFARRecordBytes]
				if labels[i] != rec[0] || !bytes.Equal(images[i*CIFARImageBytes:(i+1)*CIFARImageBytes], rec[1:]) {
					t.Fatalf("record %d differs", i)
				}
			}
		})
	}
}

func FuzzReadCIFARBatch(f *testing.F) {
	f.Add(cifarRecords(0, 1))
	f.Add(cifarRecords(5, 2))
	f.Add(cifarRecords(0, 2)[:5000])
	f.Add([]byte{10})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		images, labels, err := ReadCIFARBatch(bytes.NewReader(in))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FormatError", err)
			}
			return
		}
		if len(labels) == 0 || len(images) != len(labels)*CIFARImageBytes || len(in) != len(labels)*CIFARRecordBytes {
			t.Fatalf("%d labels, %d image bytes from %d input bytes", len(labels), len(images), len(in))
		}
		for i, l := range labels {
			if l >= 10 || l != in[i*CIFARRecordBytes] {
				t.Fatalf("label %d = %d", i, l)
			}
		}
	})
}

// gzipped returns data gzip-compressed.
func gzipped(data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}
