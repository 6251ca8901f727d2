package models

import (
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/embviz/embviz/backend"
)

// readIDX reads a gzipped IDX file (images: [n, 28, 28] bytes; labels: [n] bytes).
func readIDX(t *testing.T, path string) (data []byte, dims []int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("Fashion-MNIST not available (apt-get install dataset-fashion-mnist): %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var magic uint32
	if err := binary.Read(zr, binary.BigEndian, &magic); err != nil {
		t.Fatal(err)
	}
	dims = make([]int, magic&0xff)
	for i := range dims {
		var d uint32
		if err := binary.Read(zr, binary.BigEndian, &d); err != nil {
			t.Fatal(err)
		}
		dims[i] = int(d)
	}
	data, err = io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return data, dims
}

// TestCNNFashionMNIST is the acceptance run of the default CNN on Fashion-MNIST: 600 steps of
// batch 64 with Adam (learning rate 1e-3), then accuracy on 1000 test images, which must reach
// 0.80. It takes minutes, so it runs only with EMBVIZ_LONG=1:
//
//	GOEXPERIMENT=simd EMBVIZ_LONG=1 go test ./models -run FashionMNIST -v -timeout 30m
func TestCNNFashionMNIST(t *testing.T) {
	if os.Getenv("EMBVIZ_LONG") != "1" {
		t.Skip("set EMBVIZ_LONG=1 to run the Fashion-MNIST acceptance run")
	}
	dir := "/usr/share/datasets/fashion-mnist"
	trainX, _ := readIDX(t, filepath.Join(dir, "train-images-idx3-ubyte.gz"))
	trainY, _ := readIDX(t, filepath.Join(dir, "train-labels-idx1-ubyte.gz"))
	testX, _ := readIDX(t, filepath.Join(dir, "t10k-images-idx3-ubyte.gz"))
	testY, _ := readIDX(t, filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"))
	images := func(src []byte, idx []int) []float32 {
		out := make([]float32, len(idx)*784)
		for i, j := range idx {
			for p := range 784 {
				out[i*784+p] = float32(src[j*784+p]) / 255
			}
		}
		return out
	}
	m, err := NewCNN(CNNConfig{})
	if err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	store.SetParam(optimizer.ParamLearningRate, 1e-3)
	trainer := NewTrainer(backend.Must(), store, m, optimizer.Adam().Done(), nil, nil)
	rng := rand.New(rand.NewPCG(1, 1))
	const steps, batch = 600, 64
	start := time.Now()
	for s := range steps {
		idx := make([]int, batch)
		labels := make([]int32, batch)
		for i := range idx {
			idx[i] = rng.IntN(len(trainY))
			labels[i] = int32(trainY[idx[i]])
		}
		dog := watchdog(t, fmt.Sprintf("step %d", s))
		metrics, err := trainer.TrainStep(train.Batch{
			Inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(images(trainX, idx), batch, 28, 28, 1)},
			Labels: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(labels, batch)},
		})
		dog.Stop()
		if err != nil {
			t.Fatal(err)
		}
		if s%100 == 0 || s == steps-1 {
			t.Logf("step %d loss %.4f (%s)", s, tensors.ToScalar[float32](metrics[0]), time.Since(start).Round(time.Second))
		}
	}
	trainTime := time.Since(start)
	idx := make([]int, 1000)
	for i := range idx {
		idx[i] = i
	}
	logits := model.MustExecOnce(backend.Must(), store, func(scope *model.Scope, x *Node) *Node {
		return ArgMax(m.Build(scope, x, false, nil).Logits, -1)
	}, tensors.FromFlatDataAndDimensions(images(testX, idx), 1000, 28, 28, 1))
	pred := tensors.MustCopyFlatData[int32](int32Tensor(t, logits))
	correct := 0
	for i, p := range pred {
		if int(p) == int(testY[i]) {
			correct++
		}
	}
	acc := float64(correct) / 1000
	t.Logf("Fashion-MNIST: %d steps in %s (%.1f ms/step), eval accuracy on 1000 test images %.4f",
		steps, trainTime.Round(time.Second), float64(trainTime.Milliseconds())/steps, acc)
	if acc < 0.80 {
		t.Errorf("eval accuracy %.4f < 0.80", acc)
	}
}

// int32Tensor returns x (an integer tensor) as int32 values.
func int32Tensor(t *testing.T, x *tensors.Tensor) *tensors.Tensor {
	t.Helper()
	switch v := x.Value().(type) {
	case []int32:
		return x
	case []int64:
		out := make([]int32, len(v))
		for i, a := range v {
			out[i] = int32(a)
		}
		return tensors.FromValue(out)
	}
	t.Fatalf("unexpected argmax dtype %s", x.Shape())
	return nil
}
