"""Where does threading pay? Serial vs threaded NumPy ufuncs through ``rustytorch._parallel``.

For float32 add, mul, exp, tanh and the sum and max reductions on 2^13 .. 2^22 elements, times the
single-threaded call and the threaded one (the thresholds forced to 0) in interleaved rounds, and
prints the speed-up (serial time / threaded time, from the best round of each: the best round is the
one least disturbed by other processes). A threshold is the smallest size from which every op of a
kind (cheap elementwise, costly elementwise, reduction) is faster threaded, at that size and every
larger one; ``_parallel.MIN_ELEMENTS``, ``MIN_ELEMENTS_COSTLY`` and ``MIN_REDUCE`` are set from them.

Run: PYTHONPATH=src python benchmarks/threshold.py [--quick]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from rustytorch import _parallel


def _best(fn: Callable[[], object], reps: int) -> float:
    t = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t) / reps


def measure(sizes: list[int], rounds: int, threads: int) -> dict[str, dict[int, float]]:
    """Speed-up of the threaded call over the serial one, per op and size."""
    rng = np.random.default_rng(0)
    speedups: dict[str, dict[int, float]] = {}
    names = ("MIN_ELEMENTS", "MIN_ELEMENTS_COSTLY", "MIN_REDUCE_ROWS", "MIN_REDUCE")
    saved = [getattr(_parallel, n) for n in names]
    try:
        for name in names:
            setattr(_parallel, name, 0)
        for n in sizes:
            a = rng.standard_normal(n).astype(np.float32)
            b = rng.standard_normal(n).astype(np.float32)
            m = a[: n - n % 256].reshape(-1, 256)
            cases: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
                "add": (lambda: np.add(a, b), lambda: _parallel.binary(np.add, a, b)),
                "mul": (lambda: np.multiply(a, b), lambda: _parallel.binary(np.multiply, a, b)),
                "exp": (lambda: np.exp(a), lambda: _parallel.unary(np.exp, a)),
                "tanh": (lambda: np.tanh(a), lambda: _parallel.unary(np.tanh, a)),
                "sum": (lambda: np.add.reduce(a), lambda: _parallel.reduce(np.add, a)),
                "max": (lambda: np.maximum.reduce(a), lambda: _parallel.reduce(np.maximum, a)),
                "max(-1)": (lambda: np.maximum.reduce(m, axis=-1), lambda: _parallel.reduce(np.maximum, m, axis=-1)),
            }
            reps = max(3, (1 << 21) // n)
            for name, (serial, threaded) in cases.items():
                s_best = t_best = float("inf")
                for _ in range(rounds):
                    _parallel.set_num_threads(1)
                    s_best = min(s_best, _best(serial, reps))
                    _parallel.set_num_threads(threads)
                    t_best = min(t_best, _best(threaded, reps))
                speedups.setdefault(name, {})[n] = s_best / t_best
    finally:
        for name, value in zip(names, saved):
            setattr(_parallel, name, value)
        _parallel.set_num_threads(threads)
    return speedups


def threshold(speedups: dict[str, dict[int, float]], ops: tuple[str, ...]) -> int | None:
    """The smallest size from which every op of ``ops`` is faster threaded (at it and every larger size)."""
    sizes = sorted(next(iter(speedups.values())))
    best = None
    for n in reversed(sizes):
        if all(speedups[op][n] > 1.0 for op in ops):
            best = n
        else:
            break
    return best


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer sizes and rounds")
    p.add_argument("--sizes", type=float, nargs="+", help="element counts to measure (default: powers of 2)")
    args = p.parse_args()
    threads = _parallel.get_num_threads()
    if args.sizes:
        sizes = sorted(int(n) for n in args.sizes)
    else:
        sizes = [1 << k for k in (range(14, 23, 2) if args.quick else range(13, 23))]
    speedups = measure(sizes, 3 if args.quick else 9, threads)
    print(f"threaded ({threads} threads) vs serial speed-up, float32, best of interleaved rounds")
    print("| elements | " + " | ".join(speedups) + " |")
    print("|---:|" + "---:|" * len(speedups))
    for n in sizes:
        print(f"| {_label(n)} | " + " | ".join(f"{s[n]:.2f}" for s in speedups.values()) + " |")
    for ops, current in (
        (("add", "mul"), "MIN_ELEMENTS"),
        (("exp", "tanh"), "MIN_ELEMENTS_COSTLY"),
        (("max(-1)",), "MIN_REDUCE_ROWS"),
        (("sum", "max"), "MIN_REDUCE"),
    ):
        t = threshold(speedups, ops)
        pays = f"{_label(t)} elements" if t else "no measured size"
        now = getattr(_parallel, current)
        print(f"{'/'.join(ops)}: threading pays from {pays} (_parallel.{current} = {_label(now)})")


def _label(n: int) -> str:
    """``2^k`` for a power of two, else the number itself."""
    return f"2^{n.bit_length() - 1}" if n & (n - 1) == 0 else f"{n:,}"


if __name__ == "__main__":
    main()
