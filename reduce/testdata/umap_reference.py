"""Reference for reduce's UMAP tests: umap-learn 0.5.3 on the same data, trustworthiness of both.

Usage: umap_reference.py DATA.f32 N D OURS.f32 [OURS2.f32 ...]
DATA.f32 is the raw little-endian float32 [N, D] input; each OURS*.f32 a raw float32 [N, 2]
embedding computed by the Go code. Prints one JSON object: umap-learn's embedding time (s),
trustworthiness@10 of umap-learn's embedding and of each given embedding (sklearn's), and
umap-learn's (a, b) for min_dist 0.1 and 0.001.
"""
import json
import sys
import time

import numpy as np
from sklearn.manifold import trustworthiness
import umap
from umap.umap_ import find_ab_params

path, n, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
x = np.fromfile(path, dtype="<f4").reshape(n, d)
out = {}
# JIT warm-up on a small problem so the timing below is umap-learn's warm speed.
umap.UMAP(n_neighbors=15, random_state=1).fit_transform(x[: min(n, 500)])
t0 = time.time()
ref = umap.UMAP(n_neighbors=15, min_dist=0.1, random_state=42).fit_transform(x)
out["umap_learn_seconds"] = time.time() - t0
out["umap_learn_trust"] = float(trustworthiness(x, ref, n_neighbors=10))
out["ours_trust"] = []
for p in sys.argv[4:]:
    y = np.fromfile(p, dtype="<f4").reshape(n, -1)
    out["ours_trust"].append(float(trustworthiness(x, y, n_neighbors=10)))
out["ab_0.1"] = [float(v) for v in find_ab_params(1.0, 0.1)]
out["ab_0.001"] = [float(v) for v in find_ab_params(1.0, 0.001)]
print(json.dumps(out))
