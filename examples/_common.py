"""Helpers shared by the examples: argument parsing, progress display, the digits data."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np


def parse_args(description: str, **defaults: Any) -> argparse.Namespace:
    """``--quick`` (a few steps, used by the test suite), ``--seed`` and example-specific flags."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="a short run (used by the test suite)")
    p.add_argument("--seed", type=int, default=0)
    for name, value in defaults.items():
        p.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    return p.parse_args()


def progress(items: Iterable[Any], total: int | None = None, desc: str = "") -> Iterator[Any]:
    """A tqdm progress bar when tqdm is installed, else the items as they are."""
    try:
        from tqdm import tqdm
    except ImportError:
        yield from items
        return
    yield from tqdm(items, total=total, desc=desc, leave=False)


def load_digits(seed: int = 0, test_fraction: float = 0.25) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 digits (no download): images scaled to [0, 1], a seeded train/test split."""
    try:
        from sklearn.datasets import load_digits as _load
    except ImportError:
        raise SystemExit("this example needs scikit-learn: pip install 'rustytorch[examples]'") from None
    data = _load()
    x = (data.images / 16.0).astype(np.float32)
    y = data.target.astype(np.int64)
    perm = np.random.default_rng(seed).permutation(len(x))
    n_test = int(len(x) * test_fraction)
    test, train = perm[:n_test], perm[n_test:]
    return x[train], y[train], x[test], y[test]
