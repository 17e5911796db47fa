"""Matrix products through NumPy's BLAS, with small-to-medium products kept on one BLAS thread.

OpenBLAS (NumPy's BLAS) splits every product above a small size over all its threads. For a product
of up to about a million multiply-adds (some 20 us on one core) the split gains little even on an
idle machine, and when another process keeps a core busy the helper thread waits for a time slice:
such a product then takes milliseconds. So products of fewer than ``MIN_THREADED`` multiply-adds per
matrix run with the BLAS thread count set to 1 for their duration; larger ones, and small ones that
OpenBLAS already runs on one thread, are left alone. (Measured on 2 cores: keeping products of up to
2^24 multiply-adds on one thread made a 64x784 @ 784x128 product 1.7x slower than torch's on an
idle machine; from 2^20 up, two threads pay.) Without OpenBLAS (or outside Linux) this is plain
``np.matmul``.

The thread count is OpenBLAS's process-wide setting: the first of the one-thread products running
at a time lowers it and the last one puts it back, so products from several Python threads run side
by side and never leave it lowered; ``gemv_fixed`` (the row sums of ``sum``/``mean``) waits for them
and runs at the count OpenBLAS had at import.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["matmul", "gemv_fixed", "MIN_THREADED"]

#: products of at least this many multiply-adds per matrix (m * k * n) may use several BLAS threads
MIN_THREADED = 1 << 20
# OpenBLAS runs a product on one thread by itself below these sizes (interface/gemm.c, gemv.c)
_GEMM_SERIAL = 65536 * 4
_GEMV_SERIAL = 2304 * 4

_np_matmul = np.matmul
_get: Callable[[], int] | None = None
_set: Callable[[int], Any] | None = None
#: OpenBLAS's thread count when rustytorch was imported (``OPENBLAS_NUM_THREADS`` or the cores)
_initial_threads = 0
# The products running on one BLAS thread (``matmul``) and the count they lowered: the first sets the
# count to 1, the last puts it back, and those in between run side by side. ``gemv_fixed`` waits until
# none runs and holds the condition meanwhile, so a reduction always sees the import-time count and its
# partition (and its last bits) never depend on timing.
_cond = threading.Condition()
_lowered = 0
_saved_threads = 0
_waiting = 0  # reductions waiting: new one-thread products wait for them (no starvation)


def _openblas() -> tuple[Callable[[], int], Callable[[int], Any]] | None:
    """OpenBLAS's get/set thread count functions, from the library NumPy has loaded."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower() and ".so" in line}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", "_64", ""):
                try:
                    get = getattr(lib, f"{prefix}_get_num_threads{suffix}")
                    put = getattr(lib, f"{prefix}_set_num_threads{suffix}")
                except AttributeError:
                    continue
                get.restype, get.argtypes = ctypes.c_int, []
                put.restype, put.argtypes = None, [ctypes.c_int]
                return get, put
    return None


def _init() -> None:
    global _get, _set, _initial_threads
    found = _openblas()
    if found is not None:
        _get, _set = found
        _initial_threads = _get()


_init()


def matmul(a: np.ndarray, b: np.ndarray) -> Any:
    """``np.matmul(a, b)``, on one BLAS thread when each matrix product is of medium size.

    Parameters
    ----------
    a, b : numpy.ndarray
        Operands with NumPy's ``matmul`` rules (1-D or stacks of matrices).

    Returns
    -------
    numpy.ndarray
        ``np.matmul``'s product (one BLAS thread instead of several may change the last bits of a
        float result, as a different thread count does).

    Examples
    --------
    >>> import numpy as np
    >>> from rustytorch._blas import matmul
    >>> matmul(np.ones((2, 3)), np.ones((3, 4))).shape
    (2, 4)
    """
    if _set is None:
        return _np_matmul(a, b)
    nb = b.ndim
    if nb > 1:
        work = a.size * b.shape[-1]  # m k n, times the batch size for a stack: an upper bound per matrix
        if a.ndim > 1:
            if work < _GEMM_SERIAL:
                return _np_matmul(a, b)
            sa = a.shape
            work = sa[-2] * sa[-1] * b.shape[-1]
            if work < _GEMM_SERIAL:
                return _np_matmul(a, b)
        elif work < _GEMV_SERIAL:  # a vector times a matrix: gemv
            return _np_matmul(a, b)
    elif nb == 1 and a.ndim > 1:  # a matrix times a vector: gemv
        work = a.shape[-2] * a.shape[-1]
        if work < _GEMV_SERIAL:
            return _np_matmul(a, b)
    else:
        return _np_matmul(a, b)
    if work >= MIN_THREADED:
        return _np_matmul(a, b)
    return _one_thread(a, b)


def _one_thread(a: np.ndarray, b: np.ndarray) -> Any:
    global _lowered, _saved_threads
    with _cond:
        while _waiting:
            _cond.wait()
        if not _lowered:
            n = _get()  # type: ignore[misc]
            if n <= 1:  # the user keeps BLAS on one thread: nothing to change
                return _np_matmul(a, b)
            _saved_threads = n
            _set(1)  # type: ignore[misc]
        _lowered += 1
    try:
        return _np_matmul(a, b)
    finally:
        with _cond:
            _lowered -= 1
            if not _lowered:
                _set(_saved_threads)  # type: ignore[misc]
                _cond.notify_all()


def gemv_fixed(m: np.ndarray, v: np.ndarray) -> Any:
    """``m @ v`` (a matrix times a vector) with OpenBLAS's thread count at its value from import time.

    OpenBLAS splits a matrix-vector product over its threads, and the split can change the last bit
    of some results; reductions built on this product (``row_sums``) are deterministic because the
    split is always the same: no other thread's medium product (see ``matmul``) lowers the count
    meanwhile.

    Parameters
    ----------
    m : numpy.ndarray
        A 2-D array.
    v : numpy.ndarray
        A 1-D array of length ``m.shape[1]``.

    Returns
    -------
    numpy.ndarray
        The product, of length ``m.shape[0]``.

    Examples
    --------
    >>> import numpy as np
    >>> from rustytorch._blas import gemv_fixed
    >>> gemv_fixed(np.arange(6.0).reshape(2, 3), np.ones(3)).tolist()
    [3.0, 12.0]
    """
    global _waiting
    if _set is None or m.shape[0] * m.shape[1] < _GEMV_SERIAL:  # no OpenBLAS, or a product it runs serially
        return _np_matmul(m, v)
    with _cond:
        _waiting += 1
        try:
            while _lowered:
                _cond.wait()
            n = _get()  # type: ignore[misc]
            if n == _initial_threads:
                return _np_matmul(m, v)
            _set(_initial_threads)  # changed by the user (or a library) since import: use the import-time split
            try:
                return _np_matmul(m, v)
            finally:
                _set(n)
        finally:
            _waiting -= 1
            if not _waiting:
                _cond.notify_all()
