package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/embviz/embviz/reduce"
)

func init() {
	register("cluster", "k-means of a .npy matrix with silhouette and ARI against labels (JSON)", runCluster)
}

// runCluster implements
//
//	embviz cluster -in X.npy [-labels y.npy] -k K [-seed N] [-metric euclidean|cosine] [-restarts R]
//
// printing {"assignments": [...], "inertia": x, "silhouette": x, "ari": x}: k-means (Euclidean,
// k-means++ with R restarts, as scikit-learn's KMeans(n_init=R)), the silhouette of its assignments
// under -metric (null when undefined, k < 2), and the adjusted Rand index of the assignments against
// the labels (omitted without -labels).
func runCluster(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("cluster", stderr)
	in := fs.String("in", "", "matrix X, [n, d] float32 or float64 .npy")
	labelsPath := fs.String("labels", "", "reference labels y, [n] integer .npy (for the ARI)")
	k := fs.Int("k", 0, "number of clusters (required)")
	seed := fs.Uint64("seed", 0, "random seed")
	metric := fs.String("metric", "euclidean", "distance for the silhouette: euclidean | cosine (k-means itself is Euclidean)")
	restarts := fs.Int("restarts", 10, "k-means++ restarts")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *in == "" {
		return fmt.Errorf("%w: -in is required", errUsage)
	}
	if *k < 1 {
		return fmt.Errorf("%w: -k must be at least 1 (got %d)", errUsage, *k)
	}
	if *metric != "euclidean" && *metric != "cosine" {
		return fmt.Errorf("%w: unknown -metric %q (want euclidean or cosine)", errUsage, *metric)
	}
	if *restarts < 1 {
		return fmt.Errorf("%w: -restarts must be at least 1 (got %d)", errUsage, *restarts)
	}
	x, err := metricsLoadMatrix(*in)
	if err != nil {
		return err
	}
	var labels []int32
	if *labelsPath != "" {
		if labels, err = metricsLoadLabels(*labelsPath, x.Rows); err != nil {
			return err
		}
	}
	res, err := reduce.KMeans(x, *k, &reduce.KMeansOptions{Seed: *seed, Restarts: *restarts})
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	out := struct {
		Assignments []int32  `json:"assignments"`
		Inertia     float64  `json:"inertia"`
		Silhouette  *float64 `json:"silhouette"`
		ARI         *float64 `json:"ari,omitempty"`
	}{Assignments: res.Assignments, Inertia: res.Inertia}
	if s, err := reduce.Silhouette(x, res.Assignments, reduce.Metric(*metric)); err == nil {
		out.Silhouette = &s
	}
	if labels != nil {
		ari, err := reduce.AdjustedRandIndex(labels, res.Assignments)
		if err != nil {
			return err
		}
		out.ARI = &ari
	}
	return json.NewEncoder(stdout).Encode(out)
}
