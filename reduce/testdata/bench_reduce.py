#!/usr/bin/python3
"""Reference side of `embviz bench reduce`: scikit-learn's Barnes-Hut t-SNE and umap-learn (warm:
its numba JIT is compiled by an untimed fit of the same data first) on the same PCA-50 matrix the Go side
used, and trustworthiness@K (sklearn.manifold.trustworthiness) of every embedding, ours included,
so that all quality numbers come from one implementation.

With --opentsne it also times openTSNE (FFT-interpolated t-SNE, n_jobs = OMP_NUM_THREADS, otherwise its
defaults: 250 early-exaggeration + 500 iterations, as ours). --no-trust skips every trustworthiness
(at large n the caller computes them: sklearn's needs n^2 floats), --save DIR writes each reference
embedding to DIR/<name>.npy, --trust NAME=PATH adds trustworthiness of another embedding, and
--umap-warmup N warms umap-learn up on the first N rows only (default all). `embviz bench reduce`
runs one reference per process so that each one's peak memory (the child's ru_maxrss) is its own.

usage: bench_reduce.py X.npy OURS_TSNE.npy OURS_UMAP.npy [--k K] [--seed S] [--no-tsne] [--no-umap]
       [--opentsne] [--no-trust] [--save DIR] [--trust NAME=PATH]... [--umap-warmup N]
(OURS_*.npy may be "-" for none) prints one JSON object on stdout.
"""
import argparse
import json
import os
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
    ap.add_argument("--opentsne", action="store_true")
    ap.add_argument("--no-trust", action="store_true")
    ap.add_argument("--save", default="")
    ap.add_argument("--trust", action="append", default=[])
    ap.add_argument("--umap-warmup", type=int, default=0)
    a = ap.parse_args()
    x = np.load(a.x).astype(np.float32)
    out = {"n": int(x.shape[0]), "d": int(x.shape[1])}
    trust = [(name, path) for name, path in (("ours_tsne", a.ours_tsne), ("ours_umap", a.ours_umap)) if path != "-"]
    trust += [tuple(t.split("=", 1)) for t in a.trust]
    for name, path in trust:
        out[name + "_trust"] = float(trustworthiness(x, np.load(path), n_neighbors=a.k))

    def done(name, y):
        if a.save:
            np.save(os.path.join(a.save, name + ".npy"), np.asarray(y, dtype=np.float32))
        if not a.no_trust:
            out[name + "_trust"] = float(trustworthiness(x, y, n_neighbors=a.k))
    if not a.no_tsne:
        t0, c0 = time.perf_counter(), time.process_time()
        y = TSNE(n_components=2, perplexity=30.0, init="pca", learning_rate="auto",
                 method="barnes_hut", random_state=a.seed).fit_transform(x)
        out["sklearn_tsne_s"] = time.perf_counter() - t0
        out["sklearn_tsne_cpu_s"] = time.process_time() - c0
        done("sklearn_tsne", y)
    if a.opentsne:
        import openTSNE  # noqa: E402  (built from source: see PLATFORM.md)
        threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
        t0, c0 = time.perf_counter(), time.process_time()
        y = openTSNE.TSNE(n_components=2, perplexity=30.0, negative_gradient_method="fft", n_jobs=threads,
                          random_state=a.seed).fit(x)
        out["opentsne_s"] = time.perf_counter() - t0
        out["opentsne_cpu_s"] = time.process_time() - c0
        out["opentsne_version"] = openTSNE.__version__
        done("opentsne", y)
    if not a.no_umap:
        import umap  # noqa: E402  (slow import, only when needed)
        t0 = time.perf_counter()
        # Warm up on the same data: a smaller fit takes umap-learn's exact-kNN path (n < 4096) and
        # leaves pynndescent's JIT compilation inside the timed fit.
        umap.UMAP(n_neighbors=15, min_dist=0.1).fit_transform(x[:a.umap_warmup] if a.umap_warmup > 0 else x)
        out["umap_warmup_s"] = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), time.process_time()
        y = umap.UMAP(n_neighbors=15, min_dist=0.1).fit_transform(x)
        out["umap_s"] = time.perf_counter() - t0
        out["umap_cpu_s"] = time.process_time() - c0
        done("umap", y)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
