// Package npy reads and writes NumPy .npy files (format versions 1.0-3.0), C order only, so that
// Python users can open embviz runs with numpy.load and embviz can read arrays made by numpy.
//
// Supported element types: float32 ('<f4') and int32 ('<i4') for writing; float32, float64, int32
// and int64 for reading (converted on request with Float32s / Int32s).
package npy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Array is an n-dimensional array read from or written to a .npy file.
// Exactly one of F32, F64, I32, I64 holds the data, in C (row-major) order.
type Array struct {
	Shape []int     // dimensions, e.g. [n, d]; empty for a scalar
	F32   []float32 // dtype '<f4'
	F64   []float64 // dtype '<f8'
	I32   []int32   // dtype '<i4'
	I64   []int64   // dtype '<i8'
}

// Size returns the number of elements implied by Shape.
func (a *Array) Size() int {
	n := 1
	for _, d := range a.Shape {
		n *= d
	}
	return n
}

// data returns the slice that holds a's values and its length (nil, 0 when a holds none).
func (a *Array) data() (any, int) {
	switch {
	case a.F32 != nil:
		return a.F32, len(a.F32)
	case a.F64 != nil:
		return a.F64, len(a.F64)
	case a.I32 != nil:
		return a.I32, len(a.I32)
	case a.I64 != nil:
		return a.I64, len(a.I64)
	}
	return nil, 0
}

// DType returns the numpy dtype descriptor of the array ('<f4', '<f8', '<i4' or '<i8').
func (a *Array) DType() string {
	switch {
	case a.F32 != nil:
		return "<f4"
	case a.F64 != nil:
		return "<f8"
	case a.I32 != nil:
		return "<i4"
	case a.I64 != nil:
		return "<i8"
	}
	return ""
}

// Float32s returns the data as float32, converting from float64 if needed.
// It returns an error for integer arrays.
func (a *Array) Float32s() ([]float32, error) {
	switch {
	case a.F32 != nil:
		return a.F32, nil
	case a.F64 != nil:
		out := make([]float32, len(a.F64))
		for i, v := range a.F64 {
			out[i] = float32(v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("npy: array has dtype %s, want float32 or float64", a.DType())
}

// Int32s returns the data as int32, converting from int64 if the values fit.
// It returns an error for float arrays.
func (a *Array) Int32s() ([]int32, error) {
	switch {
	case a.I32 != nil:
		return a.I32, nil
	case a.I64 != nil:
		out := make([]int32, len(a.I64))
		for i, v := range a.I64 {
			if v < math.MinInt32 || v > math.MaxInt32 {
				return nil, fmt.Errorf("npy: int64 value %d at index %d does not fit in int32", v, i)
			}
			out[i] = int32(v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("npy: array has dtype %s, want int32 or int64", a.DType())
}

var magic = []byte("\x93NUMPY")

// maxHeader bounds the header length a reader accepts (numpy's own limit is 10000 bytes by default).
const maxHeader = 1 << 16

// maxElements bounds the number of elements a reader accepts (16 GiB of float32), guarding
// against corrupt shapes.
const maxElements = 1 << 32

var (
	reDescr   = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
	reRecord  = regexp.MustCompile(`'descr'\s*:\s*\[`)
	reFortran = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	reShape   = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

// Read parses a .npy stream.
func Read(r io.Reader) (*Array, error) {
	br := bufio.NewReader(r)
	pre := make([]byte, 8)
	if _, err := io.ReadFull(br, pre); err != nil {
		return nil, fmt.Errorf("npy: reading magic: %w", noEOF(err))
	}
	if !bytes.Equal(pre[:6], magic) {
		return nil, fmt.Errorf("npy: bad magic %q, not a .npy file", pre[:6])
	}
	if pre[6] < 1 || pre[6] > 3 {
		return nil, fmt.Errorf("npy: unsupported format version %d.%d", pre[6], pre[7])
	}
	// The header length is a little-endian uint16 in version 1.0, a uint32 in 2.0 and 3.0.
	b := make([]byte, 4)
	lenBytes := b[:2]
	if pre[6] > 1 {
		lenBytes = b
	}
	if _, err := io.ReadFull(br, lenBytes); err != nil {
		return nil, fmt.Errorf("npy: reading header length: %w", noEOF(err))
	}
	hlen := int(binary.LittleEndian.Uint32(b))
	if hlen > maxHeader {
		return nil, fmt.Errorf("npy: header length %d exceeds %d", hlen, maxHeader)
	}
	header := make([]byte, hlen)
	if _, err := io.ReadFull(br, header); err != nil {
		return nil, fmt.Errorf("npy: reading %d-byte header: %w", hlen, noEOF(err))
	}
	h := string(header)
	if reRecord.MatchString(h) {
		return nil, fmt.Errorf("npy: structured dtype (a record array with named fields) is not supported: save one plain float32, float64, int32 or int64 array per field (header %q)", strings.TrimSpace(h))
	}
	m := reDescr.FindStringSubmatch(h)
	if m == nil {
		return nil, fmt.Errorf("npy: header has no 'descr': %q", h)
	}
	descr := m[1]
	if f := reFortran.FindStringSubmatch(h); f == nil {
		return nil, fmt.Errorf("npy: header has no 'fortran_order': %q", h)
	} else if f[1] == "True" {
		return nil, fmt.Errorf("npy: Fortran-order arrays are not supported; save with numpy.ascontiguousarray")
	}
	s := reShape.FindStringSubmatch(h)
	if s == nil {
		return nil, fmt.Errorf("npy: header has no 'shape': %q", h)
	}
	a := &Array{Shape: []int{}}
	size := 1
	for _, part := range strings.Split(s[1], ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		d, err := strconv.Atoi(strings.TrimSuffix(part, "L"))
		if err != nil || d < 0 {
			return nil, fmt.Errorf("npy: bad dimension %q in shape (%s)", part, s[1])
		}
		a.Shape = append(a.Shape, d)
		if d > 0 && size > maxElements/d {
			return nil, fmt.Errorf("npy: shape (%s) has more than %d elements", s[1], maxElements)
		}
		size *= d
	}
	var order binary.ByteOrder = binary.LittleEndian
	if strings.HasPrefix(descr, ">") {
		order = binary.BigEndian
	}
	kind := strings.TrimLeft(descr, "<>=|")
	var width int
	switch kind {
	case "f4", "i4":
		width = 4
	case "f8", "i8":
		width = 8
	default:
		return nil, fmt.Errorf("npy: unsupported dtype %q (want float32, float64, int32 or int64)", descr)
	}
	// Read in bounded chunks so that a corrupt shape cannot make us allocate before data exists.
	raw, err := readN(br, size*width)
	if err != nil {
		return nil, fmt.Errorf("npy: data for shape %v dtype %s: %w", a.Shape, descr, err)
	}
	switch kind {
	case "f4":
		a.F32 = make([]float32, size)
	case "i4":
		a.I32 = make([]int32, size)
	case "f8":
		a.F64 = make([]float64, size)
	case "i8":
		a.I64 = make([]int64, size)
	}
	data, _ := a.data()
	if _, err := binary.Decode(raw, order, data); err != nil {
		return nil, fmt.Errorf("npy: decoding %s data: %w", descr, err)
	}
	if extra, _ := io.CopyN(io.Discard, br, 1<<20); extra > 0 {
		more := ""
		if extra == 1<<20 {
			more = " or more"
		}
		return nil, fmt.Errorf("npy: %d bytes%s after the data of shape %v dtype %s: not a single .npy array (np.savez archives and concatenated arrays are not supported)", extra, more, a.Shape, descr)
	}
	return a, nil
}

// readN reads exactly n bytes, growing the buffer as data arrives.
func readN(r io.Reader, n int) ([]byte, error) {
	var buf bytes.Buffer
	got, err := io.CopyN(&buf, r, int64(n))
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("short read: %d of %d bytes", got, n)
		}
		return nil, err
	}
	return buf.Bytes(), nil
}

func noEOF(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("file too short: %w", io.ErrUnexpectedEOF)
	}
	return err
}

// ReadFile reads a .npy file; errors name the path.
func ReadFile(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// Write writes a as a version 1.0 .npy stream. Shape must match the data length.
func Write(w io.Writer, a *Array) error {
	descr := a.DType()
	if descr == "" {
		return fmt.Errorf("npy: array holds no data")
	}
	data, n := a.data()
	if n != a.Size() {
		return fmt.Errorf("npy: shape %v needs %d values, array has %d", a.Shape, a.Size(), n)
	}
	dims := make([]string, len(a.Shape))
	for i, d := range a.Shape {
		dims[i] = strconv.Itoa(d)
	}
	shape := strings.Join(dims, ", ")
	if len(a.Shape) == 1 {
		shape += ","
	}
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, shape)
	// Pad with spaces so that magic(6)+version(2)+len(2)+header+'\n' is a multiple of 64.
	total := 10 + len(header) + 1
	header += strings.Repeat(" ", (64-total%64)%64) + "\n"
	bw := bufio.NewWriter(w)
	bw.Write(magic)
	bw.Write([]byte{1, 0})
	binary.Write(bw, binary.LittleEndian, uint16(len(header)))
	bw.WriteString(header)
	if err := binary.Write(bw, binary.LittleEndian, data); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteFile writes a to path atomically: the data goes to a temporary file in the same directory,
// which is synced and then renamed over path, so a reader never sees a half-written file.
func WriteFile(path string, a *Array) error {
	var buf bytes.Buffer
	if err := Write(&buf, a); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return WriteFileAtomic(path, buf.Bytes())
}

// WriteFileAtomic writes data to path through a temporary file in the same directory and a rename.
// Errors name path (never the temporary file) and say what is wrong: a missing directory, a path
// that is a directory, no permission, a full disk.
func WriteFileAtomic(path string, data []byte) error {
	if err := CheckWritable(path); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return writeError(path, err)
	}
	name := tmp.Name()
	fail := func(err error) error {
		tmp.Close()
		os.Remove(name)
		return writeError(path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return writeError(path, err)
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return writeError(path, err)
	}
	return nil
}

// CheckWritable returns an error, naming path, when a file cannot be written at path: its
// directory does not exist or is not a directory, or path is a directory. Callers that compute
// for long before writing call it first.
func CheckWritable(path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("cannot write %s: it is a directory", path)
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("cannot write %s: directory %s does not exist", path, dir)
	case err != nil:
		return writeError(path, err)
	case !st.IsDir():
		return fmt.Errorf("cannot write %s: %s is not a directory", path, dir)
	}
	return nil
}

// writeError is err for writing path, with the file names of the underlying error (the
// temporary file's) dropped.
func writeError(path string, err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		err = pe.Err
	case errors.As(err, &le):
		err = le.Err
	}
	return fmt.Errorf("cannot write %s: %w", path, err)
}

// Float32 returns an Array holding data with the given shape (data is not copied).
func Float32(data []float32, shape ...int) *Array { return &Array{Shape: shape, F32: data} }

// Int32 returns an Array holding data with the given shape (data is not copied).
func Int32(data []int32, shape ...int) *Array { return &Array{Shape: shape, I32: data} }
