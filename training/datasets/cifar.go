package datasets

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// CIFAR-10 binary record layout.
const (
	// CIFARImageBytes is the size of one CIFAR-10 image: 3 planes (R, G, B) of 32x32 bytes, row-major.
	CIFARImageBytes = 3 * 32 * 32
	// CIFARRecordBytes is the size of one record of a CIFAR-10 binary batch: 1 label byte + the image.
	CIFARRecordBytes = 1 + CIFARImageBytes
)

// CIFAR10ClassNames are the class names of CIFAR-10, used when batches.meta.txt is absent.
var CIFAR10ClassNames = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

// ReadCIFARBatch parses one CIFAR-10 binary batch (data_batch_N.bin, test_batch.bin): a sequence of
// records of CIFARRecordBytes bytes, each a label byte in [0, 10) followed by the image as three
// 32x32 planes R, G, B. It returns the images as stored, [n, 3, 32, 32] bytes (CHW), and the n
// labels. Errors (*FormatError) report an empty stream, a partial last record (truncated), a
// label out of range and gzip-compressed input.
func ReadCIFARBatch(r io.Reader) (images []byte, labels []uint8, err error) {
	return readCIFARBatch(r, -1)
}

func readCIFARBatch(r io.Reader, sizeHint int64) (images []byte, labels []uint8, err error) {
	capRecords := int64(0) // unknown size: grow as records arrive
	if sizeHint > 0 {
		capRecords = min(sizeHint/CIFARRecordBytes+1, 1<<20)
	}
	images = make([]byte, 0, capRecords*CIFARImageBytes)
	labels = make([]byte, 0, capRecords)
	rec := make([]byte, CIFARRecordBytes)
	for {
		n, err := io.ReadFull(r, rec)
		if err == io.EOF {
			break
		}
		if len(labels) == 0 && n >= 2 && rec[0] == 0x1f && rec[1] == 0x8b {
			return nil, nil, formatErrorf("cifar", "gzip-compressed data, not a binary batch: extract the CIFAR-10 binary archive first (tar xzf cifar-10-binary.tar.gz, or gunzip a single batch) and use the directory holding data_batch_1.bin ... test_batch.bin")
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, nil, formatErrorf("cifar",
				"truncated: %d whole records of %d bytes then a partial record of %d bytes (%d bytes in all)",
				len(labels), CIFARRecordBytes, n, len(labels)*CIFARRecordBytes+n)
		}
		if err != nil {
			return nil, nil, formatErrorf("cifar", "reading record %d: %v", len(labels), err)
		}
		if rec[0] >= 10 {
			return nil, nil, formatErrorf("cifar", "record %d (byte offset %d): label %d out of range [0, 10)",
				len(labels), len(labels)*CIFARRecordBytes, rec[0])
		}
		labels = append(labels, rec[0])
		images = append(images, rec[1:]...)
	}
	if len(labels) == 0 {
		return nil, nil, formatErrorf("cifar", "empty: no records (each record is %d bytes)", CIFARRecordBytes)
	}
	return images, labels, nil
}

// readCIFARFile reads one binary batch file; errors name the path.
func readCIFARFile(path string) ([]byte, []uint8, error) {
	return readBatchFile(path, func(f *os.File) ([]byte, []uint8, error) {
		hint := int64(-1)
		if st, err := f.Stat(); err == nil {
			hint = st.Size()
		}
		return readCIFARBatch(bufio.NewReaderSize(f, 1<<16), hint)
	})
}

// readBatchFile opens path and reads a batch (images, labels) from it with read; errors name the
// path.
func readBatchFile(path string, read func(f *os.File) ([]byte, []uint8, error)) ([]byte, []uint8, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("datasets: %w", err)
	}
	defer f.Close()
	images, labels, err := read(f)
	return images, labels, withPath(path, err)
}

// cifarTrainFiles and cifarTestFile are the standard file names of the binary version of CIFAR-10.
var (
	cifarTrainFiles = []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
	cifarTestFile   = "test_batch.bin"
	cifarMetaFile   = "batches.meta.txt"
)

// CIFAR10 loads CIFAR-10 from dir, a directory holding the binary batches of the "CIFAR-10 binary
// version" (data_batch_1.bin ... data_batch_5.bin for Train, test_batch.bin for Test); dir may also be
// the directory that contains the extracted cifar-10-batches-bin/. The "CIFAR-10 python version"
// (the pickled batches data_batch_1 ... data_batch_5 and test_batch, with batches.meta, in
// cifar-10-batches-py/ or the directory containing it) is read too (ReadCIFARPickle); a downloaded
// .tar.gz must be extracted first, and the error says so. Class names come from
// batches.meta.txt when present (10 non-empty lines), otherwise CIFAR10ClassNames. dir "" means
// $EMBVIZ_CIFAR10_DIR; CIFAR-10 is not packaged, so one of them must be given.
//
// Images have Shape [32, 32, 3] (HWC, converted from the stored R, G, B planes), values in [0, 1].
// With the standard files Train has 50000 and Test 10000 images. Each call reads the files; Load caches.
func CIFAR10(dir string) (*Dataset, error) { return readFiles("cifar10", dir) }

func loadCIFAR10(dir string) (*Dataset, []string, error) {
	hint := "CIFAR-10 needs a directory holding the binary batches " + strings.Join(cifarTrainFiles, ", ") + ", " +
		cifarTestFile + " (optional " + cifarMetaFile + "), or the python version's cifar-10-batches-py/ (" +
		strings.Join(cifarPickleTrainFiles, ", ") + ", " + cifarPickleTestFile + ")"
	if dir == "" {
		return nil, nil, fmt.Errorf("datasets: cifar10 needs a directory (CIFAR-10 is not packaged): pass one or set $%s; %s",
			EnvCIFAR10Dir, hint)
	}
	if err := checkDir(dir, "cifar10", hint); err != nil {
		return nil, nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, cifarTestFile)); err != nil {
		sub := filepath.Join(dir, "cifar-10-batches-bin")
		if st, err := os.Stat(sub); err == nil && st.IsDir() {
			dir = sub
		}
	}
	if pdir, ok := cifarPickleDir(dir); ok {
		return loadCIFAR10Pickle(pdir)
	}
	names := append(append([]string(nil), cifarTrainFiles...), cifarTestFile)
	paths := make([]string, len(names))
	var missing []string
	for i, n := range names {
		paths[i] = filepath.Join(dir, n)
		if st, err := os.Stat(paths[i]); err != nil || !st.Mode().IsRegular() {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("datasets: cifar10 directory %s lacks %s; %s%s", dir, strings.Join(missing, ", "), hint, cifarArchiveHint(dir))
	}

	classNames := CIFAR10ClassNames
	metaPath := filepath.Join(dir, cifarMetaFile)
	if b, err := os.ReadFile(metaPath); err == nil {
		var got []string
		for _, line := range strings.Split(string(b), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				got = append(got, line)
			}
		}
		if len(got) != 10 {
			return nil, nil, withPath(metaPath, formatErrorf("cifar-meta", "want 10 class names (one per line), got %d", len(got)))
		}
		classNames = got
		paths = append(paths, metaPath)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("datasets: %w", err)
	}

	ds, err := cifarDataset(paths[:len(names)], len(cifarTrainFiles), classNames, readCIFARFile)
	return ds, paths, err
}

// cifarDataset reads the batch files (in parallel) with read: the first nTrain are the training
// split, the rest the test split.
func cifarDataset(paths []string, nTrain int, classNames []string, read func(string) ([]byte, []uint8, error)) (*Dataset, error) {
	res := make([]cifarBatch, len(paths))
	var wg sync.WaitGroup
	for i := range paths {
		wg.Go(func() { res[i].images, res[i].labels, res[i].err = read(paths[i]) })
	}
	wg.Wait()
	for _, r := range res {
		if r.err != nil {
			return nil, r.err
		}
	}
	ds := &Dataset{Name: "cifar10", ClassNames: slices.Clone(classNames), ImageShape: []int{32, 32, 3}}
	ds.Train = cifarSplit(res[:nTrain])
	ds.Test = cifarSplit(res[nTrain:])
	return ds, nil
}

// cifarBatch is one batch file as read: CHW image bytes and labels.
type cifarBatch struct {
	images []byte
	labels []uint8
	err    error
}

// cifarSplit converts batches of CHW bytes into one HWC float32 split.
func cifarSplit(batches []cifarBatch) *Split {
	n := 0
	for _, b := range batches {
		n += len(b.labels)
	}
	s := &Split{N: n, Shape: []int{32, 32, 3}, X: make([]float32, n*CIFARImageBytes), Labels: make([]int32, 0, n)}
	var wg sync.WaitGroup
	off := 0
	for _, b := range batches {
		for _, l := range b.labels {
			s.Labels = append(s.Labels, int32(l))
		}
		dst := s.X[off*CIFARImageBytes : (off+len(b.labels))*CIFARImageBytes]
		wg.Go(func() { chwToHWC(dst, b.images) })
		off += len(b.labels)
	}
	wg.Wait()
	return s
}

// chwToHWC converts images stored as [n, 3, 32, 32] bytes into [n, 32, 32, 3] floats in [0, 1].
func chwToHWC(dst []float32, src []byte) {
	const plane = 32 * 32
	for i := 0; i+CIFARImageBytes <= len(src); i += CIFARImageBytes {
		r, g, b := src[i:i+plane], src[i+plane:i+2*plane], src[i+2*plane:i+3*plane]
		d := dst[i : i+CIFARImageBytes]
		for p := range plane {
			d[3*p] = unitTable[r[p]]
			d[3*p+1] = unitTable[g[p]]
			d[3*p+2] = unitTable[b[p]]
		}
	}
}
