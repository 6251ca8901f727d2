package datasets

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteCIFARPickle writes one CIFAR-10 python batch as the distributed files are: a protocol-2
// pickle (Python 2 cPickle layout) of a dict {"batch_label": ..., "labels": [n ints],
// "data": numpy uint8 array [n, 3072], "filenames": [n names]}. images is [n, 3, 32, 32] bytes
// (CHW, as ReadCIFARBatch and ReadCIFARPickle return), labels [n]. It is the inverse of
// ReadCIFARPickle, for tests and for converting small subsets.
func WriteCIFARPickle(w io.Writer, batchLabel string, images []byte, labels []uint8) error {
	n := len(labels)
	if len(images) != n*CIFARImageBytes {
		return fmt.Errorf("datasets: WriteCIFARPickle: %d image bytes for %d labels, want %d", len(images), n, n*CIFARImageBytes)
	}
	bw := bufio.NewWriter(w)
	str := func(s []byte) { // SHORT_BINSTRING / BINSTRING (a Python 2 str)
		if len(s) < 256 {
			bw.Write([]byte{'U', byte(len(s))})
		} else {
			var b [5]byte
			b[0] = 'T'
			binary.LittleEndian.PutUint32(b[1:], uint32(len(s)))
			bw.Write(b[:])
		}
		bw.Write(s)
	}
	integer := func(v int) {
		if v >= 0 && v < 256 {
			bw.Write([]byte{'K', byte(v)})
			return
		}
		var b [5]byte
		b[0] = 'J'
		binary.LittleEndian.PutUint32(b[1:], uint32(int32(v)))
		bw.Write(b[:])
	}
	bw.Write([]byte{0x80, 2, '}', '('}) // PROTO 2, EMPTY_DICT, MARK
	str([]byte("batch_label"))
	str([]byte(batchLabel))
	str([]byte("labels"))
	bw.Write([]byte{']', '('}) // EMPTY_LIST, MARK
	for _, l := range labels {
		integer(int(l))
	}
	bw.WriteByte('e') // APPENDS
	str([]byte("data"))
	// numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), 'b') then BUILD
	// (1, (n, 3072), numpy.dtype('u1', 0, 1) BUILD (3, '|', None, None, None, -1, -1, 0), False, data).
	bw.WriteString("cnumpy.core.multiarray\n_reconstruct\n")
	bw.WriteString("cnumpy\nndarray\n")
	integer(0)
	bw.WriteByte(0x85) // TUPLE1
	str([]byte("b"))
	bw.Write([]byte{0x87, 'R', '('}) // TUPLE3, REDUCE, MARK
	integer(1)
	integer(n)
	integer(CIFARImageBytes)
	bw.WriteByte(0x86) // TUPLE2
	bw.WriteString("cnumpy\ndtype\n")
	str([]byte("u1"))
	integer(0)
	integer(1)
	bw.Write([]byte{0x87, 'R', '('}) // TUPLE3, REDUCE, MARK
	integer(3)
	str([]byte("|"))
	bw.Write([]byte{'N', 'N', 'N'})
	bw.Write([]byte{'J', 0xff, 0xff, 0xff, 0xff, 'J', 0xff, 0xff, 0xff, 0xff})
	integer(0)
	bw.Write([]byte{'t', 'b'}) // TUPLE, BUILD (the dtype)
	bw.WriteByte(0x89)         // NEWFALSE
	str(images)
	bw.Write([]byte{'t', 'b'}) // TUPLE, BUILD (the array)
	str([]byte("filenames"))
	bw.Write([]byte{']', '('})
	for i := range labels {
		str([]byte(fmt.Sprintf("image_%05d.png", i)))
	}
	bw.WriteByte('e')
	bw.Write([]byte{'u', '.'}) // SETITEMS, STOP
	return bw.Flush()
}

// WriteCIFARPickleDir writes a cifar-10-batches-py directory into dir: data_batch_1 ...
// data_batch_5 (train split into five parts, each at least one image), test_batch and
// batches.meta with classNames (nil: CIFAR10ClassNames). Images are [n, 3, 32, 32] bytes (CHW).
func WriteCIFARPickleDir(dir string, trainImages []byte, trainLabels []uint8, testImages []byte, testLabels []uint8, classNames []string) error {
	if classNames == nil {
		classNames = CIFAR10ClassNames
	}
	if len(trainLabels) < len(cifarPickleTrainFiles) {
		return fmt.Errorf("datasets: WriteCIFARPickleDir: %d train images, need at least %d", len(trainLabels), len(cifarPickleTrainFiles))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("datasets: %w", err)
	}
	write := func(name string, f func(w io.Writer) error) error {
		out, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("datasets: %w", err)
		}
		if err := f(out); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	}
	nb := len(cifarPickleTrainFiles)
	n := len(trainLabels)
	for b, name := range cifarPickleTrainFiles {
		lo, hi := b*n/nb, (b+1)*n/nb
		err := write(name, func(w io.Writer) error {
			return WriteCIFARPickle(w, fmt.Sprintf("training batch %d of %d", b+1, nb),
				trainImages[lo*CIFARImageBytes:hi*CIFARImageBytes], trainLabels[lo:hi])
		})
		if err != nil {
			return err
		}
	}
	if err := write(cifarPickleTestFile, func(w io.Writer) error {
		return WriteCIFARPickle(w, "testing batch 1 of 1", testImages, testLabels)
	}); err != nil {
		return err
	}
	return write(cifarPickleMetaFile, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		bw.Write([]byte{0x80, 2, '}', '(', 'U', 11})
		bw.WriteString("label_names")
		bw.Write([]byte{']', '('})
		for _, c := range classNames {
			bw.Write([]byte{'U', byte(len(c))})
			bw.WriteString(c)
		}
		bw.Write([]byte{'e', 'u', '.'})
		return bw.Flush()
	})
}
