package datasets

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// maxIDXBytes bounds the data size an IDX header may declare (4 GiB), far above any real data set;
// a larger claim is reported as a corrupt header instead of being allocated.
const maxIDXBytes = 1 << 32

// ReadIDX parses one IDX stream of unsigned bytes, the format of the MNIST and Fashion-MNIST files:
// a big-endian magic 0x000008NN (0x08 = unsigned byte, NN = number of dimensions), NN big-endian
// uint32 dimension sizes, then prod(dims) bytes in row-major order. It returns the dimensions
// (e.g. [60000, 28, 28] for images, [60000] for labels) and the data, len(data) == prod(dims).
//
// Errors (*FormatError) report a wrong magic, an unsupported element type, no dimensions, a data
// size that is implausibly large, fewer data bytes than the header declares (short read) and bytes
// after the data (trailing data).
func ReadIDX(r io.Reader) (dims []int, data []byte, err error) {
	return readIDX(r, -1)
}

// readIDX is ReadIDX with a hint of the stream size in bytes (-1 if unknown): up to the hint, the
// data is allocated in one piece; beyond it, it grows only as bytes actually arrive.
func readIDX(r io.Reader, sizeHint int64) (dims []int, data []byte, err error) {
	var magic [4]byte
	if n, err := io.ReadFull(r, magic[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, nil, formatErrorf("idx", "short read: file has %d bytes, an IDX header needs at least 4", n)
		}
		return nil, nil, formatErrorf("idx", "reading the header: %v", err)
	}
	m := binary.BigEndian.Uint32(magic[:])
	if magic[0] != 0 || magic[1] != 0 {
		return nil, nil, formatErrorf("idx", "wrong magic 0x%08x: not an IDX file (want 0x000008NN)", m)
	}
	if magic[2] != 0x08 {
		return nil, nil, formatErrorf("idx",
			"wrong magic 0x%08x: element type 0x%02x is not supported (want 0x08, unsigned byte)", m, magic[2])
	}
	nd := int(magic[3])
	if nd == 0 {
		return nil, nil, formatErrorf("idx", "wrong magic 0x%08x: zero dimensions", m)
	}
	hdr := make([]byte, 4*nd)
	if n, err := io.ReadFull(r, hdr); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, nil, formatErrorf("idx", "short read: header declares %d dimensions (%d bytes of sizes), only %d bytes follow",
				nd, 4*nd, n)
		}
		return nil, nil, formatErrorf("idx", "reading the header: %v", err)
	}
	dims = make([]int, nd)
	total := uint64(1)
	for i := range dims {
		d := binary.BigEndian.Uint32(hdr[4*i:])
		dims[i] = int(d)
		if total != 0 && d != 0 && total > maxIDXBytes/uint64(d) {
			return nil, nil, formatErrorf("idx", "dimensions %v declare more than %d bytes of data", dimsSoFar(hdr, nd), uint64(maxIDXBytes))
		}
		total *= uint64(d)
	}
	data, err = readExactly(r, int64(total), sizeHint)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, nil, formatErrorf("idx", "short read: dimensions %v declare %d data bytes, only %d present",
				dims, total, len(data))
		}
		return nil, nil, formatErrorf("idx", "reading the data: %v", err)
	}
	var one [1]byte
	n, err := io.ReadFull(r, one[:])
	if n > 0 {
		extra, _ := io.Copy(io.Discard, r)
		return nil, nil, formatErrorf("idx", "trailing data: dimensions %v declare %d data bytes, %d more bytes follow",
			dims, total, extra+1)
	}
	if err != nil && err != io.EOF {
		// E.g. a gzip checksum mismatch or a gzip trailer cut off after the data.
		return nil, nil, formatErrorf("idx", "after the %d data bytes: %v", total, err)
	}
	return dims, data, nil
}

func dimsSoFar(hdr []byte, nd int) []int {
	out := make([]int, nd)
	for i := range out {
		out[i] = int(binary.BigEndian.Uint32(hdr[4*i:]))
	}
	return out
}

// readExactly reads n bytes. It allocates min(n, hint) at once (hint < 0: 4 KiB) and grows only as
// data arrives, so that a header claiming gigabytes costs nothing when the bytes are not there. On a
// short read it returns what it read and io.ErrUnexpectedEOF.
func readExactly(r io.Reader, n, hint int64) ([]byte, error) {
	first := n
	if hint < 0 {
		hint = 4 << 10
	}
	if first > hint+64 {
		first = hint + 64
	}
	buf := make([]byte, 0, first)
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			grow := int64(cap(buf))
			if grow < 1<<16 {
				grow = 1 << 16
			}
			if int64(cap(buf))+grow > n {
				grow = n - int64(cap(buf))
			}
			buf = append(buf[:cap(buf)], make([]byte, grow)...)[:len(buf)]
		}
		k, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if err != nil {
			if int64(len(buf)) == n {
				break
			}
			if errors.Is(err, io.EOF) {
				return buf, io.ErrUnexpectedEOF
			}
			return buf, err
		}
	}
	return buf, nil
}

// ReadIDXFile reads the IDX file at path, gzip-compressed (recognised by its content, whatever its
// name) or raw. See ReadIDX; every error names the path.
func ReadIDXFile(path string) (dims []int, data []byte, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("datasets: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("datasets: %w", err)
	}
	br := bufio.NewReaderSize(f, 1<<16)
	head, _ := br.Peek(2)
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		hint := gzipSizeHint(f, st.Size())
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, withPath(path, formatErrorf("idx", "bad gzip header: %v", err))
		}
		defer zr.Close()
		dims, data, err = readIDX(zr, hint)
		var fe *FormatError
		if errors.As(err, &fe) && strings.HasPrefix(fe.Msg, "short read") {
			fe.Msg += " (gzip stream truncated)"
		}
		return dims, data, withPath(path, err)
	}
	dims, data, err = readIDX(br, st.Size())
	return dims, data, withPath(path, err)
}

// gzipSizeHint returns the uncompressed size stored in a gzip file's trailer (modulo 2^32), or -1.
func gzipSizeHint(f *os.File, size int64) int64 {
	if size < 18 {
		return -1
	}
	var tail [4]byte
	if _, err := f.ReadAt(tail[:], size-4); err != nil {
		return -1
	}
	return int64(binary.LittleEndian.Uint32(tail[:]))
}

// MNIST-family class names.
var (
	// DigitClassNames are the class names of MNIST: "0" ... "9".
	DigitClassNames = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	// FashionClassNames are the class names of Fashion-MNIST, indexed by label.
	FashionClassNames = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
		"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
)

// idxFiles are the four files of an MNIST-family directory, by their standard base names.
var idxFiles = [4]string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}

// findIDX returns the path of the file with standard base name base in dir, trying base.gz, base,
// and the variant with a dot before "idx" (train-images.idx3-ubyte), compressed or not.
func findIDX(dir, base string) (string, bool) {
	dotted := strings.Replace(base, "-idx", ".idx", 1)
	for _, name := range []string{base + ".gz", base, dotted + ".gz", dotted} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, true
		}
	}
	return "", false
}

// FashionMNIST loads Fashion-MNIST from dir, which holds the four IDX files
// (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz,
// t10k-labels-idx1-ubyte.gz; gzip-compressed or not). dir "" means $EMBVIZ_FASHION_MNIST_DIR, or
// DefaultFashionMNISTDir (installed by the Debian package dataset-fashion-mnist) when that is unset.
// Train has 60000 and Test 10000 images of Shape [28, 28, 1], pixels in [0, 1]; labels index
// FashionClassNames. Each call reads the files; Load caches.
func FashionMNIST(dir string) (*Dataset, error) { return readFiles("fashion-mnist", dir) }

func loadFashionMNIST(dir string) (*Dataset, []string, error) {
	hint := "install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist), " +
		"or set $" + EnvFashionMNISTDir + " to a directory holding " + strings.Join(idxFiles[:], "[.gz], ") + "[.gz]"
	return loadIDXDataset("fashion-mnist", dir, FashionClassNames, hint)
}

// MNIST loads MNIST from dir, which holds the four standard IDX files (train-images-idx3-ubyte.gz,
// train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz; gzip-compressed
// or not; names with ".idx" instead of "-idx" are accepted too). dir "" means $EMBVIZ_MNIST_DIR; MNIST
// is not packaged, so one of them must be given. Images have Shape [H, W, 1] as stored ([28, 28, 1]
// for MNIST), pixels in [0, 1]; labels index DigitClassNames. Each call reads the files; Load caches.
func MNIST(dir string) (*Dataset, error) { return readFiles("mnist", dir) }

func loadMNIST(dir string) (*Dataset, []string, error) {
	hint := "MNIST needs a directory holding " + strings.Join(idxFiles[:], "[.gz], ") + "[.gz]"
	if dir == "" {
		return nil, nil, fmt.Errorf("datasets: mnist needs a directory (MNIST is not packaged): pass one or set $%s; %s",
			EnvMNISTDir, hint)
	}
	return loadIDXDataset("mnist", dir, DigitClassNames, hint)
}

// loadIDXDataset reads the four IDX files of dir concurrently and checks that they agree.
func loadIDXDataset(name, dir string, classNames []string, hint string) (*Dataset, []string, error) {
	if err := checkDir(dir, name, hint); err != nil {
		return nil, nil, err
	}
	var paths [4]string
	var missing []string
	for i, base := range idxFiles {
		p, ok := findIDX(dir, base)
		if !ok {
			missing = append(missing, base+".gz")
		}
		paths[i] = p
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("datasets: %s directory %s lacks %s; %s", name, dir, strings.Join(missing, ", "), hint)
	}

	type result struct {
		dims []int
		data []byte
		err  error
	}
	var res [4]result
	var wg sync.WaitGroup
	for i := range paths {
		wg.Go(func() {
			res[i].dims, res[i].data, res[i].err = ReadIDXFile(paths[i])
		})
	}
	wg.Wait()
	for _, r := range res {
		if r.err != nil {
			return nil, nil, r.err
		}
	}
	ds := &Dataset{Name: name, ClassNames: slices.Clone(classNames)}
	var splits [2]*Split
	for s := range 2 {
		imgPath, lblPath := paths[2*s], paths[2*s+1]
		img, lbl := res[2*s], res[2*s+1]
		if len(img.dims) != 3 {
			return nil, nil, withPath(imgPath, formatErrorf("idx", "images must have 3 dimensions [N, H, W], got %v", img.dims))
		}
		if len(lbl.dims) != 1 {
			return nil, nil, withPath(lblPath, formatErrorf("idx", "labels must have 1 dimension [N], got %v", lbl.dims))
		}
		if img.dims[0] != lbl.dims[0] {
			return nil, nil, fmt.Errorf("datasets: counts disagree: %s has %d images, %s has %d labels",
				imgPath, img.dims[0], lblPath, lbl.dims[0])
		}
		if img.dims[0] == 0 || img.dims[1] == 0 || img.dims[2] == 0 {
			return nil, nil, withPath(imgPath, formatErrorf("idx", "empty images %v", img.dims))
		}
		labels, err := checkLabels(lbl.data, len(classNames))
		if err != nil {
			return nil, nil, withPath(lblPath, err)
		}
		splits[s] = &Split{N: img.dims[0], Shape: []int{img.dims[1], img.dims[2], 1}, X: bytesToUnit(img.data), Labels: labels}
	}
	if !slices.Equal(splits[0].Shape, splits[1].Shape) {
		return nil, nil, fmt.Errorf("datasets: image sizes disagree: %s has %v, %s has %v",
			paths[0], splits[0].Shape, paths[2], splits[1].Shape)
	}
	ds.Train, ds.Test = splits[0], splits[1]
	ds.ImageShape = append([]int(nil), splits[0].Shape...)
	return ds, paths[:], nil
}

// checkLabels converts label bytes to int32, checking that each is below numClasses.
func checkLabels(data []byte, numClasses int) ([]int32, error) {
	labels := make([]int32, len(data))
	for i, b := range data {
		if int(b) >= numClasses {
			return nil, formatErrorf("labels", "label %d at index %d out of range [0, %d)", b, i, numClasses)
		}
		labels[i] = int32(b)
	}
	return labels, nil
}

var unitTable = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()

// bytesToUnit converts pixel bytes to float32 in [0, 1] (b/255), in parallel for large inputs.
func bytesToUnit(b []byte) []float32 {
	out := make([]float32, len(b))
	const chunk = 1 << 20
	if len(b) <= chunk {
		convertUnit(out, b)
		return out
	}
	var wg sync.WaitGroup
	for lo := 0; lo < len(b); lo += chunk {
		hi := min(lo+chunk, len(b))
		wg.Go(func() { convertUnit(out[lo:hi], b[lo:hi]) })
	}
	wg.Wait()
	return out
}

func convertUnit(dst []float32, src []byte) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = unitTable[v]
	}
}
