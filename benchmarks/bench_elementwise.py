"""Per-op Python overhead of elementwise ops on small tensors, rustytorch vs torch (interleaved timeit).

Run: PYTHONPATH=src python benchmarks/bench_elementwise.py [n_elements]
"""

from __future__ import annotations

import sys
import timeit

import numpy as np
import torch

import rustytorch as rt


def main(n: int = 1000) -> None:
    rng = np.random.default_rng(0)
    a_np, b_np = rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32)
    ta, tb = torch.from_numpy(a_np), torch.from_numpy(b_np)
    ra, rb = rt.tensor(a_np), rt.tensor(b_np)
    cases = {
        "a + b": (lambda: ta + tb, lambda: ra + rb),
        "a * 2.0": (lambda: ta * 2.0, lambda: ra * 2.0),
        "a.exp()": (lambda: ta.exp(), lambda: ra.exp()),
        "a.relu()": (lambda: ta.relu(), lambda: ra.relu()),
        "a.sigmoid()": (lambda: ta.sigmoid(), lambda: ra.sigmoid()),
        "a < b": (lambda: ta < tb, lambda: ra < rb),
        "softmax(a.view(10, -1), 1)": (lambda: ta.view(10, -1).softmax(1), lambda: ra.view(10, -1).softmax(1)),
    }
    print(f"{n} float32 elements; best of interleaved rounds (us per call)")
    for name, (t_fn, r_fn) in cases.items():
        t_best = r_best = float("inf")
        for _ in range(15):  # interleave so that machine load hits both sides alike
            t_best = min(t_best, min(timeit.repeat(t_fn, number=2000, repeat=3)) / 2000)
            r_best = min(r_best, min(timeit.repeat(r_fn, number=2000, repeat=3)) / 2000)
        print(f"{name:28s} torch {t_best * 1e6:6.2f}  rustytorch {r_best * 1e6:6.2f}  ratio {r_best / t_best:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
