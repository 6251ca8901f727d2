#!/usr/bin/python3
"""Reference side of `embviz bench reduce`: scikit-learn's Barnes-Hut t-SNE and umap-learn (warm:
its numba JIT is compiled by an untimed fit of the same data first) on the same PCA-50 matrix the Go side
used, and trustworthiness@K (sklearn.manifold.trustworthiness) of every embedding, ours included,
so that all quality numbers come from one implementation.

usage: bench_reduce.py X.npy OURS_TSNE.npy OURS_UMAP.npy [--k K] [--seed S] [--no-tsne] [--no-umap]
prints one JSON object on stdout.
"""
import argparse
import json
import time

import numpy as np
from sklearn.manifold import TSNE, trustworthiness


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("x")
    ap.add_argument("ours_tsne")
    ap.add_argument("ours_umap")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-tsne", action="store_true")
    ap.add_argument("--no-umap", action="store_true")
    a = ap.parse_args()
    x = np.load(a.x).astype(np.float32)
    out = {"n": int(x.shape[0]), "d": int(x.shape[1])}
    for name, path in (("ours_tsne", a.ours_tsne), ("ours_umap", a.ours_umap)):
        if path != "-":
            out[name + "_trust"] = float(trustworthiness(x, np.load(path), n_neighbors=a.k))
    if not a.no_tsne:
        t0, c0 = time.perf_counter(), time.process_time()
        y = TSNE(n_components=2, perplexity=30.0, init="pca", learning_rate="auto",
                 method="barnes_hut", random_state=a.seed).fit_transform(x)
        out["sklearn_tsne_s"] = time.perf_counter() - t0
        out["sklearn_tsne_cpu_s"] = time.process_time() - c0
        out["sklearn_tsne_trust"] = float(trustworthiness(x, y, n_neighbors=a.k))
    if not a.no_umap:
        import umap  # noqa: E402  (slow import, only when needed)
        t0 = time.perf_counter()
        # Warm up on the same data: a smaller fit takes umap-learn's exact-kNN path (n < 4096) and
        # leaves pynndescent's JIT compilation inside the timed fit.
        umap.UMAP(n_neighbors=15, min_dist=0.1).fit_transform(x)
        out["umap_warmup_s"] = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), time.process_time()
        y = umap.UMAP(n_neighbors=15, min_dist=0.1).fit_transform(x)
        out["umap_s"] = time.perf_counter() - t0
        out["umap_cpu_s"] = time.process_time() - c0
        out["umap_trust"] = float(trustworthiness(x, y, n_neighbors=a.k))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
