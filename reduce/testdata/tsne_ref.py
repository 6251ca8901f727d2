#!/usr/bin/python3
"""Reference for the Go t-SNE tests: scikit-learn's TSNE on the same data, and the trustworthiness
(sklearn.manifold.trustworthiness, k neighbours) of both embeddings.

usage: tsne_ref.py X.npy OURS.npy METHOD PERPLEXITY SEED [K]
  X.npy     [n, d] input
  OURS.npy  [n, 2] the Go embedding (its trustworthiness is computed here too, by the same code)
  METHOD    barnes_hut | exact
prints one JSON object: {"sklearn_trust", "ours_trust", "sklearn_seconds", "sklearn_kl"}
"""
import json
import sys
import time

import numpy as np
from sklearn.manifold import TSNE, trustworthiness


def main():
    x = np.load(sys.argv[1]).astype(np.float32)
    ours = np.load(sys.argv[2]).astype(np.float32)
    method, perplexity, seed = sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
    k = int(sys.argv[6]) if len(sys.argv) > 6 else 10
    t0 = time.perf_counter()
    tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", learning_rate="auto",
                method=method, random_state=seed)
    y = tsne.fit_transform(x)
    secs = time.perf_counter() - t0
    out = {
        "sklearn_trust": float(trustworthiness(x, y, n_neighbors=k)),
        "ours_trust": float(trustworthiness(x, ours, n_neighbors=k)),
        "sklearn_seconds": secs,
        "sklearn_kl": float(tsne.kl_divergence_),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
