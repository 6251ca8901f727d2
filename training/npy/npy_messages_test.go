package npy

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadRejects: a structured (record) dtype and bytes after the data are errors that say so.
func TestReadRejects(t *testing.T) {
	var good bytes.Buffer
	if err := Write(&good, Float32([]float32{1, 2, 3, 4}, 2, 2)); err != nil {
		t.Fatal(err)
	}
	header := "{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (3,), }"
	header += strings.Repeat(" ", (64-(10+len(header)+1)%64)%64) + "\n"
	record := "\x93NUMPY\x01\x00" + string([]byte{byte(len(header)), byte(len(header) >> 8)}) + header + strings.Repeat("\x00", 24)
	for _, tc := range []struct{ name, in, want string }{
		{"structured dtype", record, "npy: structured dtype (a record array with named fields) is not supported: save one plain float32, float64, int32 or int64 array per field"},
		{"trailing bytes", good.String() + "junk", "npy: 4 bytes after the data of shape [2 2] dtype <f4: not a single .npy array"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Read(strings.NewReader(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestWriteFileErrorsNamePath: write errors name the path asked for, never a temporary file,
// and say what is wrong.
func TestWriteFileErrorsNamePath(t *testing.T) {
	dir := t.TempDir()
	a := Float32([]float32{1}, 1)
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, []byte("x"), 0o644)
	for _, tc := range []struct{ name, path, want string }{
		{"missing directory", filepath.Join(dir, "nope", "y.npy"), "cannot write " + filepath.Join(dir, "nope", "y.npy") + ": directory " + filepath.Join(dir, "nope") + " does not exist"},
		{"a directory", dir, "cannot write " + dir + ": it is a directory"},
		{"under a file", filepath.Join(notDir, "y.npy"), "cannot write " + filepath.Join(notDir, "y.npy") + ": " + notDir + " is not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := WriteFile(tc.path, a)
			if err == nil || err.Error() != tc.want {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), ".tmp-") {
				t.Errorf("error names a temporary file: %v", err)
			}
		})
	}
}
