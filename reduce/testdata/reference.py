"""Reference values for the reduce package tests, computed with numpy and scikit-learn.

Usage: /usr/bin/python3 reference.py '{"op": "...", ...}'   prints one JSON object;
       op "batch" with "ops": [...] prints {"results": [...]}.
Arrays are passed as .npy paths. Used by reduce/*_test.go; not part of the library.
"""
import json
import sys

import numpy as np


def load(p):
    return np.load(p)


def center_gram(gram, unbiased=False):
    # Kornblith et al. (2019), google-research/representation_similarity.
    gram = gram.copy()
    if unbiased:
        n = gram.shape[0]
        np.fill_diagonal(gram, 0)
        means = np.sum(gram, 0, dtype=np.float64) / (n - 2)
        means -= np.sum(means) / (2 * (n - 1))
        gram -= means[:, None]
        gram -= means[None, :]
        np.fill_diagonal(gram, 0)
    else:
        means = np.mean(gram, 0, dtype=np.float64)
        means -= np.mean(means) / 2
        gram -= means[:, None]
        gram -= means[None, :]
    return gram


def cka_gram(gx, gy, debiased=False):
    gx = center_gram(gx, unbiased=debiased)
    gy = center_gram(gy, unbiased=debiased)
    return float(gx.ravel().dot(gy.ravel()) / (np.linalg.norm(gx) * np.linalg.norm(gy)))


def gram_rbf(x, threshold):
    dot = x.dot(x.T)
    sq = np.diag(dot)
    d2 = -2 * dot + sq[:, None] + sq[None, :]
    med = np.median(d2)
    return np.exp(-d2 / (2 * threshold ** 2 * med))


def linear_cka_features(x, y):
    x = x - x.mean(0, keepdims=True)
    y = y - y.mean(0, keepdims=True)
    return float(np.linalg.norm(x.T @ y) ** 2 / (np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y)))


def main():
    a = json.loads(sys.argv[1])
    if a["op"] == "batch":
        json.dump({"results": [run(o) for o in a["ops"]]}, sys.stdout)
    else:
        json.dump(run(a), sys.stdout)


def run(a):
    op = a["op"]
    out = {}
    if op == "pca":
        from sklearn.decomposition import PCA
        x = load(a["x"]).astype(np.float64)
        p = PCA(n_components=a["k"], svd_solver="full").fit(x)
        out["eigenvalues"] = p.explained_variance_.tolist()
        out["ratio"] = p.explained_variance_ratio_.tolist()
        out["components"] = p.components_.ravel().tolist()
        out["projection"] = p.transform(x).ravel().tolist()
    elif op == "cka":
        x = load(a["a"]).astype(np.float64)
        y = load(a["b"]).astype(np.float64)
        out["linear"] = linear_cka_features(x, y)
        out["linear_gram"] = cka_gram(x @ x.T, y @ y.T)
        out["debiased"] = cka_gram(x @ x.T, y @ y.T, debiased=True)
        out["rbf"] = cka_gram(gram_rbf(x, a.get("sigma", 1.0)), gram_rbf(y, a.get("sigma", 1.0)))
    elif op == "kmeans":
        from sklearn.cluster import KMeans
        x = load(a["x"]).astype(np.float64)
        km = KMeans(n_clusters=a["k"], n_init=10, random_state=a.get("seed", 0)).fit(x)
        out["inertia"] = float(km.inertia_)
    elif op == "silhouette":
        from sklearn.metrics import silhouette_score
        x = load(a["x"]).astype(np.float64)
        lab = load(a["labels"])
        out["silhouette"] = float(silhouette_score(x, lab, metric=a.get("metric", "euclidean")))
    elif op == "ari":
        from sklearn.metrics import adjusted_rand_score
        out["ari"] = float(adjusted_rand_score(load(a["a"]), load(a["b"])))
    elif op == "trustworthiness":
        from sklearn.manifold import trustworthiness
        x = load(a["high"]).astype(np.float64)
        y = load(a["low"]).astype(np.float64)
        out["t"] = float(trustworthiness(x, y, n_neighbors=a["k"], metric=a.get("metric", "euclidean")))
    else:
        raise SystemExit("unknown op " + op)
    return out


if __name__ == "__main__":
    main()
