"""Seed 002's clustering quantities, computed with numpy and scikit-learn exactly as the seed does.

Usage: /usr/bin/python3 seed002.py x.npy labels.npy clusters.npy k seed
  x.npy      [n, d] float32 activations (raw: this script normalizes them as the seed)
  labels.npy [n] int32 true classes
  clusters.npy [n] int32 the k-means clusters embviz found (scored here with sklearn's functions)
Prints one JSON object:
  seed_silhouette, seed_ari   the seed's recipe end to end: KMeans(n_clusters=k, random_state=seed,
                              n_init=10) on x / (||x|| + 1e-8), silhouette_score(x_norm, clusters),
                              adjusted_rand_score(labels, clusters)
  ours_silhouette, ours_ari   silhouette_score(x_norm, ours) and adjusted_rand_score(labels, ours)
  ours_silhouette_cosine      silhouette_score(x_norm, ours, metric="cosine")
  raw_silhouette_classes      silhouette_score(x, labels) (the old quantity: raw rows, true classes)
  partition_ari               adjusted_rand_score(seed clusters, ours): 1 when both found one partition
Used by reduce/scores_test.go and for the closing numbers of latent_clustering_evolution.ipynb.
"""
import json
import sys

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score


def main():
    x = np.load(sys.argv[1])
    labels = np.load(sys.argv[2])
    ours = np.load(sys.argv[3])
    k, seed = int(sys.argv[4]), int(sys.argv[5])
    x_norm = x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-8)
    clusters = KMeans(n_clusters=k, random_state=seed, n_init=10).fit_predict(x_norm)
    out = {
        "seed_silhouette": float(silhouette_score(x_norm, clusters)),
        "seed_ari": float(adjusted_rand_score(labels, clusters)),
        "ours_silhouette": float(silhouette_score(x_norm, ours)),
        "ours_ari": float(adjusted_rand_score(labels, ours)),
        "ours_silhouette_cosine": float(silhouette_score(x_norm, ours, metric="cosine")),
        "raw_silhouette_classes": float(silhouette_score(x, labels)),
        "partition_ari": float(adjusted_rand_score(clusters, ours)),
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
