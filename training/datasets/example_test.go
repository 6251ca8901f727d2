package datasets_test

import (
	"fmt"

	"github.com/embviz/embviz/training/datasets"
)

// Blobs makes a small labelled vector data set; EvalSubset picks the fixed, balanced evaluation
// subset that a training run records its embeddings on.
func ExampleBlobs() {
	ds, err := datasets.Blobs(datasets.BlobsOptions{Classes: 3, Dim: 4, PerClass: 50, TestPerClass: 20, Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Println(ds.Name, ds.NumClasses(), "classes:", ds.ClassNames)
	fmt.Println("train", ds.Train.N, "x", ds.Train.Dim(), "test", ds.Test.N, "x", ds.Test.Dim())

	idx, err := ds.Test.EvalSubset(10, 42)
	if err != nil {
		panic(err)
	}
	batch := ds.Test.Gather(idx, nil) // [10, 4]
	labels := ds.Test.GatherLabels(idx, nil)
	fmt.Println("eval subset:", len(idx), "indices,", len(batch), "values, labels", labels)
	// Output:
	// blobs 3 classes: [blob 0 blob 1 blob 2]
	// train 150 x 4 test 60 x 4
	// eval subset: 10 indices, 40 values, labels [0 0 0 0 1 1 1 2 2 2]
}

// Colors gives RGB vectors labelled by hue sector, for the color-bottleneck experiment.
func ExampleColors() {
	ds, err := datasets.Colors(datasets.ColorsOptions{Kind: datasets.ColorsPrimaries})
	if err != nil {
		panic(err)
	}
	for i := range ds.Test.N {
		fmt.Println(ds.Test.Example(i), ds.ClassNames[ds.Test.Labels[i]])
	}
	// Output:
	// [1 0 0] red
	// [1 1 0] yellow
	// [0 1 0] green
	// [0 1 1] cyan
	// [0 0 1] blue
	// [1 0 1] magenta
	// [0 0 0] black
	// [1 1 1] white
}

// Load is what notebooks and the command line call; it reads Fashion-MNIST from the Debian package
// dataset-fashion-mnist by default and caches what it read.
func ExampleLoad() {
	ds, err := datasets.Load("fashion-mnist", "")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ds.Train.N, ds.Test.N, ds.ImageShape, ds.ClassNames[9])
}
