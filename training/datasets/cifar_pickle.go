package datasets

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// cifarPickleTrainFiles, cifarPickleTestFile and cifarPickleMetaFile are the file names of the
// "CIFAR-10 python version" (cifar-10-python.tar.gz extracts to cifar-10-batches-py/).
var (
	cifarPickleTrainFiles = []string{"data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5"}
	cifarPickleTestFile   = "test_batch"
	cifarPickleMetaFile   = "batches.meta"
)

// ReadCIFARPickle parses one batch of the CIFAR-10 python version (data_batch_N, test_batch in
// cifar-10-batches-py/): a Python pickle (protocol 2 as distributed, written by Python 2's cPickle;
// any protocol 0-5 of plain data is read) of a dict whose "data" is a numpy uint8 array
// [n, 3072] (each row the R, G, B planes of a 32x32 image) and whose "labels" is a list of n ints
// in [0, 10). It returns the images as stored, [n, 3, 32, 32] bytes (CHW), and the labels, as
// ReadCIFARBatch. Nothing in the pickle is executed. Errors (*FormatError) report gzip-compressed
// input, a pickle that is not such a dict, and sizes or labels that disagree.
func ReadCIFARPickle(r io.Reader) (images []byte, labels []uint8, err error) {
	br := bufio.NewReaderSize(r, 1<<16)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		return nil, nil, formatErrorf("cifar-pickle", "gzip-compressed data, not a pickled batch: decompress it first (tar xzf cifar-10-python.tar.gz gives cifar-10-batches-py/; use that directory)")
	}
	v, err := readPickle(br)
	if err != nil {
		return nil, nil, formatErrorf("cifar-pickle", "%v", err)
	}
	d, ok := v.(*pyDict)
	if !ok {
		return nil, nil, formatErrorf("cifar-pickle", "the pickle holds a %s, want a dict with \"data\" and \"labels\"", pyTypeName(v))
	}
	dv, ok := d.get("data")
	if !ok {
		return nil, nil, formatErrorf("cifar-pickle", "the dict has no \"data\" key")
	}
	shape, data, err := pickleUint8Array(dv)
	if err != nil {
		return nil, nil, formatErrorf("cifar-pickle", "\"data\": %v", err)
	}
	if len(shape) != 2 || shape[1] != CIFARImageBytes {
		return nil, nil, formatErrorf("cifar-pickle", "\"data\" has shape %v, want [n, %d]", shape, CIFARImageBytes)
	}
	lv, ok := d.get("labels")
	if !ok {
		return nil, nil, formatErrorf("cifar-pickle", "the dict has no \"labels\" key")
	}
	list, ok := lv.(*pyList)
	if !ok {
		return nil, nil, formatErrorf("cifar-pickle", "\"labels\" is a %s, want a list of ints", pyTypeName(lv))
	}
	if len(list.items) != shape[0] {
		return nil, nil, formatErrorf("cifar-pickle", "%d labels for %d images", len(list.items), shape[0])
	}
	if shape[0] == 0 {
		return nil, nil, formatErrorf("cifar-pickle", "empty: no images")
	}
	labels = make([]uint8, len(list.items))
	for i, x := range list.items {
		l, ok := x.(int64)
		if !ok || l < 0 || l >= 10 {
			return nil, nil, formatErrorf("cifar-pickle", "label %d is %v, want an int in [0, 10)", i, x)
		}
		labels[i] = uint8(l)
	}
	return data, labels, nil
}

// readCIFARPickleFile reads one pickled batch; errors name the path.
func readCIFARPickleFile(path string) ([]byte, []uint8, error) {
	return readBatchFile(path, func(f *os.File) ([]byte, []uint8, error) { return ReadCIFARPickle(f) })
}

// readCIFARPickleMeta reads batches.meta: a dict whose "label_names" lists the 10 class names.
func readCIFARPickleMeta(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("datasets: %w", err)
	}
	defer f.Close()
	v, err := readPickle(f)
	if err != nil {
		return nil, withPath(path, formatErrorf("cifar-pickle", "%v", err))
	}
	d, ok := v.(*pyDict)
	var names []string
	if ok {
		if lv, ok := d.get("label_names"); ok {
			if l, ok := lv.(*pyList); ok {
				for _, x := range l.items {
					switch s := x.(type) {
					case string:
						names = append(names, s)
					case []byte:
						names = append(names, string(s))
					}
				}
			}
		}
	}
	if len(names) != 10 {
		return nil, withPath(path, formatErrorf("cifar-pickle", "want a dict with \"label_names\", a list of 10 names; got %d names", len(names)))
	}
	return names, nil
}

// cifarPickleDir returns the directory of the python version's batches when dir (or its
// cifar-10-batches-py/) holds them and dir holds no binary test batch.
func cifarPickleDir(dir string) (string, bool) {
	if _, err := os.Stat(filepath.Join(dir, cifarTestFile)); err == nil {
		return "", false
	}
	for _, d := range []string{dir, filepath.Join(dir, "cifar-10-batches-py")} {
		if st, err := os.Stat(filepath.Join(d, cifarPickleTestFile)); err == nil && st.Mode().IsRegular() {
			return d, true
		}
	}
	return "", false
}

// cifarArchiveHint says to extract a CIFAR-10 archive found in dir ("" if none).
func cifarArchiveHint(dir string) string {
	for _, a := range []string{"cifar-10-python.tar.gz", "cifar-10-binary.tar.gz"} {
		if _, err := os.Stat(filepath.Join(dir, a)); err == nil {
			return fmt.Sprintf("; %s is compressed: decompress it first (tar xzf %s -C %s)", a, filepath.Join(dir, a), dir)
		}
	}
	return ""
}

// loadCIFAR10Pickle loads the python version from dir (see CIFAR10).
func loadCIFAR10Pickle(dir string) (*Dataset, []string, error) {
	names := append(append([]string(nil), cifarPickleTrainFiles...), cifarPickleTestFile)
	paths := make([]string, len(names))
	var missing []string
	for i, n := range names {
		paths[i] = filepath.Join(dir, n)
		if st, err := os.Stat(paths[i]); err != nil || !st.Mode().IsRegular() {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("datasets: cifar10 python batches directory %s lacks %s", dir, strings.Join(missing, ", "))
	}
	classNames := CIFAR10ClassNames
	metaPath := filepath.Join(dir, cifarPickleMetaFile)
	if _, err := os.Stat(metaPath); err == nil {
		got, err := readCIFARPickleMeta(metaPath)
		if err != nil {
			return nil, nil, err
		}
		classNames = got
		paths = append(paths, metaPath)
	}
	ds, err := cifarDataset(paths[:len(names)], len(cifarPickleTrainFiles), classNames, readCIFARPickleFile)
	return ds, paths, err
}
