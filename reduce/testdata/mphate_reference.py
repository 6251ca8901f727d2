"""M-PHATE layouts from the reference implementation (scottgigante/m-phate with PHATE and graphtools).

Usage: /usr/bin/python3 mphate_reference.py IN.npy OUT.npy SEED [KEY=VALUE ...]
IN is a float32 tensor [T, n, d]; OUT gets the layout [T, n, 2] (the reference's [T*n, 2] in
slice-major order, reshaped). KEY=VALUE pairs are passed to m_phate.M_PHATE as ints or floats
(e.g. n_landmark=1000 t=10). The reference is not installed by this project: put its trees on
PYTHONPATH (see reduce/mphate_reference_test.go). Used by the cross-check test; not part of the library.
"""
import sys
import time

import numpy as np


def main():
    import m_phate

    src, dst, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    kw = {}
    for a in sys.argv[4:]:
        k, v = a.split("=", 1)
        kw[k] = float(v) if "." in v else int(v)
    x = np.load(src).astype(np.float64)
    T, n = x.shape[0], x.shape[1]
    t0 = time.time()
    op = m_phate.M_PHATE(random_state=seed, verbose=0, n_jobs=1, **kw)
    y = op.fit_transform(x)
    print("seconds %.1f t %s" % (time.time() - t0, op.optimal_t), file=sys.stderr)
    np.save(dst, y.reshape(T, n, -1).astype(np.float32))


if __name__ == "__main__":
    main()
