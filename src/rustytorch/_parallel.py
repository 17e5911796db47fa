"""Thread pool for large elementwise ops and reductions (placeholder API: runs serially for now).

NumPy releases the GIL inside its loops, so chunks of one large op run in parallel on a
thread pool. The API the ops call is fixed; the pool behind it is filled in separately.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

__all__ = ["set_num_threads", "get_num_threads", "unary", "binary"]

_num_threads = os.cpu_count() or 1


def set_num_threads(n: int) -> None:
    """Set the number of threads large ops use, as ``torch.set_num_threads``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.set_num_threads(2); rt.get_num_threads()
    2
    """
    global _num_threads
    if int(n) < 1:
        raise ValueError(f"set_num_threads: expected a positive number of threads, got {n}")
    _num_threads = int(n)


def get_num_threads() -> int:
    """The number of threads large ops use (default: the number of cores).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.get_num_threads() >= 1
    True
    """
    return _num_threads


def unary(ufunc: Any, a: np.ndarray, **kw: Any) -> np.ndarray:
    """``ufunc(a)``, split over threads when ``a`` is large."""
    return ufunc(a, **kw)  # type: ignore[no-any-return]


def binary(ufunc: Any, a: Any, b: Any, **kw: Any) -> np.ndarray:
    """``ufunc(a, b)``, split over threads when the operands are large."""
    return ufunc(a, b, **kw)  # type: ignore[no-any-return]


def reduce(ufunc: Any, a: Any, axis: Any = None, keepdims: bool = False, dtype: Any = None) -> Any:
    """``ufunc.reduce(a, ...)`` (serial placeholder until the threaded version lands)."""
    return ufunc.reduce(a, axis=axis, keepdims=keepdims, dtype=dtype)
