"""Thread pool for large elementwise ops and reductions (the role Rayon plays in a Rust tensor library).

NumPy releases the GIL inside its ufunc loops, so the chunks of one large op run at the same time
on several cores. The calling thread takes part: it queues one job per helper thread, works through
the chunks itself, and waits only for chunks that a helper has already started. Each helper runs
in a copy of the caller's ``contextvars`` context, so NumPy's ``errstate`` (and rustytorch's grad
mode) are the caller's.

Elementwise results are bit-identical to the single-threaded call: every output element is computed
by the same NumPy loop from the same inputs, and the output has the layout NumPy would give it.
Reductions are deterministic: the partition of a reduced axis depends on the array's shape only
(never on the thread count or on timing) and the partial results are combined in a fixed order.

The thresholds (``MIN_ELEMENTS``, ``MIN_ELEMENTS_COSTLY``, ``MIN_REDUCE_ROWS``, ``MIN_REDUCE``) are where
threading started to pay on a 2-core virtual machine, measured with ``benchmarks/threshold.py`` (on an
idle machine: float32 add/exp 1.2x faster threaded at 2^18 elements, 1.3-1.5x at 2^19 - 10^6; when
another process keeps a core busy, threading pays at no size).
"""

from __future__ import annotations

import contextvars
import itertools
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from queue import SimpleQueue
from typing import Any

import numpy as np

__all__ = [
    "set_num_threads", "get_num_threads", "unary", "binary", "reduce", "run_chunks", "split_rows",
    "MIN_ELEMENTS", "MIN_ELEMENTS_COSTLY", "MIN_REDUCE_ROWS", "MIN_REDUCE",
]  # fmt: skip

#: elementwise ops with an output of at least this many elements are split over threads
MIN_ELEMENTS = 1 << 19
#: the same for ufuncs that cost much more per element than a load and a store (exp, tanh, ...)
MIN_ELEMENTS_COSTLY = 1 << 18
#: reductions that keep the outermost dimension split its rows over threads from this many elements
MIN_REDUCE_ROWS = 1 << 19
#: reductions over the outermost dimension are partitioned from this many elements (whatever the thread count)
MIN_REDUCE = 1 << 22
#: a reduced axis is cut in at most this many blocks (fixed: the partition never depends on threads)
REDUCE_BLOCKS = 8
# One chunk per thread: every chunk boundary is a moment where a thread may have to wait for the
# GIL, and a blocked GIL wait costs a thread wake-up (tens of microseconds on a VM). Measured on
# 2 cores at 2^18 - 2^20 elements: 1 chunk per thread 1.2-1.5x faster than serial, 4 per thread slower.
_CHUNKS_PER_THREAD = 1
_MIN_CHUNK = 1 << 14  # elements: smaller chunks cost more in calls than they save
_ALIGN = 64  # chunk boundaries of flat arrays fall on multiples of this many elements
_SPIN_S = 0.002  # seconds the caller polls for the helpers' last chunks before it blocks
_clock = time.perf_counter
_yield: Callable[[], None] = getattr(os, "sched_yield", lambda: time.sleep(0))

_ndarray = np.ndarray
_ufunc = np.ufunc
_SCALARS = (int, float, bool, complex, np.generic)
_ELEMENTWISE_KW = frozenset(("dtype", "casting", "signature"))
_COSTLY = frozenset(
    (np.exp, np.exp2, np.expm1, np.log, np.log2, np.log10, np.log1p, np.sin, np.cos, np.tan, np.arcsin, np.arccos,
     np.arctan, np.arctan2, np.sinh, np.cosh, np.tanh, np.arcsinh, np.arccosh, np.arctanh, np.power, np.float_power,
     np.cbrt, np.hypot, np.logaddexp, np.logaddexp2)
)  # fmt: skip


def _default_threads() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


_num_threads = _default_threads()


def set_num_threads(n: int) -> None:
    """Set the number of threads large ops use, as ``torch.set_num_threads``.

    The calling thread counts as one of them: with ``n`` threads, up to ``n - 1`` helper threads
    work alongside it. ``1`` runs everything on the calling thread. Reductions give identical
    results for every thread count.

    Parameters
    ----------
    n : int
        A positive number of threads.

    Raises
    ------
    RuntimeError
        If ``n`` is not an int (bools included) or is not positive, as torch.

    Examples
    --------
    >>> import rustytorch as rt
    >>> before = rt.get_num_threads()
    >>> rt.set_num_threads(1); rt.get_num_threads()
    1
    >>> rt.set_num_threads(before)
    """
    global _num_threads
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n}")
    _num_threads = int(n)


def get_num_threads() -> int:
    """The number of threads large ops use, as ``torch.get_num_threads``.

    The default is the number of cores this process may run on.

    Returns
    -------
    int
        The current thread count (at least 1).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.get_num_threads() >= 1
    True
    """
    return _num_threads


# ------------------------------------------------------------------ the pool
class _Job:
    """One op's chunks, claimed one at a time by the caller and by helper threads.

    The chunks are dealt in contiguous shares, one per participant (the caller's is the first);
    each participant works through its own share first, then helps with the others'. With a
    balanced load every thread so touches the same part of the data on every call, and finds it
    in its own core's cache (as with OpenMP's static schedule); a late or slow helper only costs
    the chunks the others take over.
    """

    __slots__ = ("done", "error", "fn", "left", "lock", "shares", "slots")

    def __init__(self, fn: Callable[[int], Any], n: int, parts: int) -> None:
        self.fn = fn
        # next() on a range iterator (or a count) is atomic under the GIL: no lock to claim a chunk
        self.shares = [iter(range(n * i // parts, n * (i + 1) // parts)) for i in range(parts)]
        self.slots = itertools.count(1)  # the caller is participant 0, helpers number themselves
        self.left = n
        self.lock = threading.Lock()
        self.done = threading.Lock()
        self.done.acquire()  # released by whoever finishes the last chunk
        self.error: BaseException | None = None

    def help(self) -> None:
        self.work(next(self.slots))

    def work(self, slot: int) -> None:
        fn = self.fn
        shares = self.shares
        p = len(shares)
        for k in range(p):
            for i in shares[(slot + k) % p]:
                try:
                    fn(i)
                except BaseException as e:  # re-raised in the calling thread
                    if self.error is None:
                        self.error = e
                with self.lock:
                    self.left -= 1
                    last = self.left == 0
                if last:
                    self.done.release()


_tasks: SimpleQueue[tuple[contextvars.Context, _Job]] = SimpleQueue()
_workers: list[threading.Thread] = []
_start_lock = threading.Lock()


def _worker(tasks: SimpleQueue[tuple[contextvars.Context, _Job]]) -> None:
    get = tasks.get
    while True:
        ctx, job = get()
        ctx.run(job.help)


def _ensure_workers(n: int) -> None:
    with _start_lock:
        while len(_workers) < n:
            t = threading.Thread(target=_worker, args=(_tasks,), name=f"rustytorch-{len(_workers)}", daemon=True)
            t.start()
            _workers.append(t)


def _after_fork() -> None:  # pragma: no cover - runs in a forked child
    global _tasks, _start_lock
    _tasks = SimpleQueue()
    _workers.clear()
    _start_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def run_chunks(fn: Callable[[int], Any], n: int, threads: int | None = None) -> None:
    """Call ``fn(0) .. fn(n - 1)`` on up to ``threads`` threads (the caller included); return when all are done.

    The first exception raised by a chunk is re-raised here, after every started chunk finished.
    """
    helpers = min(n, _num_threads if threads is None else threads) - 1
    if helpers <= 0:
        for i in range(n):
            fn(i)
        return
    if len(_workers) < helpers:
        _ensure_workers(helpers)
    job = _Job(fn, n, helpers + 1)
    put = _tasks.put
    for _ in range(helpers):
        put((contextvars.copy_context(), job))
    job.work(0)
    done = job.done
    if not done.acquire(False):
        # Wait for the helpers' last chunks without sleeping: a thread woken from a blocking wait is
        # often moved to the core of the thread that woke it, after which the caller and its helper
        # share one core (measured: threaded ops slower than serial ones). Yielding keeps this thread
        # on its core and hands the core over when something else needs it; a long wait blocks.
        deadline = _clock() + _SPIN_S
        while not done.acquire(False):
            if _clock() > deadline:
                done.acquire()
                break
            _yield()
    if job.error is not None:
        raise job.error


def split_rows(fn: Callable[[int, int], Any], rows: int, row_size: int, min_elements: int) -> None:
    """Call ``fn(start, stop)`` on blocks of rows that cover ``range(rows)``, on the pool when the work is large.

    For ops whose result for a row does not depend on the other rows in its block (a row max, a
    row sum by ``einsum``, elementwise ops): the result is then identical for every partition,
    so the blocks may (and do) depend on the thread count. With one thread, or fewer than
    ``min_elements`` elements (``rows * row_size``), this is the single call ``fn(0, rows)``.

    Parameters
    ----------
    fn : callable
        ``fn(start, stop)`` processes rows ``start`` to ``stop - 1``; its return value is ignored.
    rows, row_size : int
        The number of rows and the elements per row.
    min_elements : int
        Split only from this many elements.

    Examples
    --------
    >>> import numpy as np
    >>> from rustytorch import _parallel
    >>> a = np.arange(12.0).reshape(4, 3)
    >>> out = np.empty(4)
    >>> _parallel.split_rows(lambda i, j: np.add.reduce(a[i:j], axis=1, out=out[i:j]), 4, 3, 0)
    >>> out.tolist()
    [3.0, 12.0, 21.0, 30.0]
    """
    size = rows * row_size
    threads = _num_threads
    n = 1
    if threads > 1 and size >= min_elements:
        n = min(threads * _CHUNKS_PER_THREAD, rows, size // _MIN_CHUNK)
    if n < 2:
        fn(0, rows)
        return
    bounds = [rows * i // n for i in range(n + 1)]
    run_chunks(lambda i: fn(bounds[i], bounds[i + 1]), n)


# ------------------------------------------------------------------ elementwise
def unary(ufunc: Any, a: np.ndarray, **kw: Any) -> np.ndarray:
    """``ufunc(a, **kw)``, split over threads when ``a`` is large; bit-identical to the serial call.

    Parameters
    ----------
    ufunc : numpy.ufunc
        A one-input NumPy ufunc (anything else runs serially).
    a : numpy.ndarray
        The input, of any layout.
    **kw
        ``out``, ``dtype``, ``casting`` or ``signature``, as NumPy; other keywords run serially.

    Returns
    -------
    numpy.ndarray
        What ``ufunc(a, **kw)`` returns, with the same values, dtype and layout.

    Examples
    --------
    >>> import numpy as np
    >>> from rustytorch import _parallel
    >>> a = np.linspace(-1, 1, 1 << 18, dtype=np.float32)
    >>> np.array_equal(_parallel.unary(np.exp, a), np.exp(a))
    True
    """
    if _num_threads > 1 and ufunc.__class__ is _ufunc and ufunc.nout == 1:
        r = _split(ufunc, (a,), kw)
        if r is not None:
            return r
    return ufunc(a, **kw)  # type: ignore[no-any-return]


def binary(ufunc: Any, a: Any, b: Any, **kw: Any) -> np.ndarray:
    """``ufunc(a, b, **kw)``, split over threads when the output is large; bit-identical to the serial call.

    The operands broadcast as in NumPy; either may be a Python or NumPy scalar, and arrays may have
    any strides. The output is cut along its outermost (in memory) dimension of sufficient size.

    Parameters
    ----------
    ufunc : numpy.ufunc
        A two-input NumPy ufunc with one output (anything else runs serially).
    a, b : numpy.ndarray or scalar
        The operands.
    **kw
        ``out``, ``dtype``, ``casting`` or ``signature``, as NumPy; other keywords run serially.
        An ``out`` that overlaps an input other than element for element runs serially.

    Returns
    -------
    numpy.ndarray
        What ``ufunc(a, b, **kw)`` returns, with the same values, dtype and layout.

    Examples
    --------
    >>> import numpy as np
    >>> from rustytorch import _parallel
    >>> a = np.arange(1 << 18, dtype=np.float32).reshape(512, 512)
    >>> np.array_equal(_parallel.binary(np.add, a, a[0]), a + a[0])
    True
    >>> out = np.empty_like(a)
    >>> _parallel.binary(np.multiply, a, 0.5, out=out) is out
    True
    """
    if _num_threads > 1 and ufunc.__class__ is _ufunc and ufunc.nout == 1:
        r = _split(ufunc, (a, b), kw)
        if r is not None:
            return r
    return ufunc(a, b, **kw)  # type: ignore[no-any-return]


def _split(ufunc: Any, ops: tuple[Any, ...], kw: dict[str, Any]) -> np.ndarray | None:
    """The threaded ufunc call, or None when it does not apply (small, unusual arguments, overlap)."""
    out = None
    if kw:
        if "out" in kw:
            out = kw["out"]
            kw = {k: v for k, v in kw.items() if k != "out"}
        if not _ELEMENTWISE_KW.issuperset(kw):
            return None
    if out is not None:
        if out.__class__ is tuple:
            if len(out) != 1:
                return None
            out = out[0]
        if out.__class__ is not _ndarray:
            return None
    arrays = []
    for x in ops:
        if x.__class__ is _ndarray:
            if x.dtype.hasobject:
                return None  # object loops hold the GIL: nothing to gain
            arrays.append(x)
        elif not isinstance(x, _SCALARS):
            return None
    if not arrays:
        return None
    shape = arrays[0].shape
    if len(arrays) > 1 and arrays[1].shape != shape:
        try:
            shape = np.broadcast_shapes(*(x.shape for x in arrays))
        except ValueError:
            return None  # the serial call raises NumPy's error
    size = math.prod(shape)
    if size < (MIN_ELEMENTS_COSTLY if ufunc in _COSTLY else MIN_ELEMENTS):
        return None
    if out is not None:
        if out.shape != shape or not out.flags.writeable:
            return None
        for x in arrays:
            if x is not out and np.may_share_memory(x, out) and not _same_elements(x, out):
                return None  # NumPy buffers overlapping operands; chunks would read what others wrote
    nchunks = min(_num_threads * _CHUNKS_PER_THREAD, size // _MIN_CHUNK)
    if nchunks < 2:
        return None
    flat = out is None or out.flags.c_contiguous
    for x in arrays:
        if not flat:
            break
        flat = x.shape == shape and x.flags.c_contiguous
    if flat:
        # every operand is C-contiguous and of the output's shape: cut the flat buffers
        if out is None:
            probe = ufunc(*(x.reshape(-1)[:0] if x.__class__ is _ndarray else x for x in ops), **kw)
            out = np.empty(shape, probe.dtype)
        flat_ops = [x.reshape(-1) if x.__class__ is _ndarray else x for x in ops]
        flat_out = out.reshape(-1)
        step = -(-size // nchunks // _ALIGN) * _ALIGN
        if len(flat_ops) == 1:
            x0 = flat_ops[0]

            def chunk1(i: int) -> None:
                s = slice(i * step, (i + 1) * step)
                ufunc(x0[s], out=flat_out[s], **kw)

            run_chunks(chunk1, -(-size // step))
        else:
            x0, x1 = flat_ops
            a0, a1 = x0.__class__ is _ndarray, x1.__class__ is _ndarray

            def chunk2(i: int) -> None:
                s = slice(i * step, (i + 1) * step)
                ufunc(x0[s] if a0 else x0, x1[s] if a1 else x1, out=flat_out[s], **kw)

            run_chunks(chunk2, -(-size // step))
        return out
    return _split_nd(ufunc, ops, kw, shape, out, nchunks)


def _same_elements(x: np.ndarray, out: np.ndarray) -> bool:
    """``x`` reads exactly the memory ``out`` writes, element for element (``a += b``)."""
    return (
        x.shape == out.shape
        and x.strides == out.strides
        and x.dtype == out.dtype
        and x.__array_interface__["data"][0] == out.__array_interface__["data"][0]
    )


def _split_nd(
    ufunc: Any, ops: tuple[Any, ...], kw: dict[str, Any], shape: tuple[int, ...], out: Any, nchunks: int
) -> np.ndarray:
    """Broadcasting or strided operands: cut the output along one dimension, with NumPy's output layout."""
    nd = len(shape)
    if out is None:
        # NumPy lays the output out from the operands' stride order: read it from a 2-per-dimension probe
        with np.errstate(all="ignore"):  # the chunks warn (or raise) as the serial call would
            probe = ufunc(*(x[(slice(0, 2),) * x.ndim] if x.__class__ is _ndarray else x for x in ops), **kw)
        if probe.flags.c_contiguous:
            out = np.empty(shape, probe.dtype)
        else:
            order = sorted(range(nd), key=lambda d: -abs(probe.strides[d]))
            out = np.empty([shape[d] for d in order], probe.dtype).transpose(np.argsort(order))
    order = sorted(range(nd), key=lambda d: -abs(out.strides[d])) if not out.flags.c_contiguous else list(range(nd))
    axis = max(order, key=lambda d: shape[d])
    for d in order:
        if shape[d] >= nchunks:
            axis = d
            break
    n = min(nchunks, shape[axis])
    bounds = [shape[axis] * i // n for i in range(n + 1)]

    def cut(x: Any, s: slice) -> Any:
        if x.__class__ is not _ndarray:
            return x
        d = axis - (nd - x.ndim)
        if d < 0 or x.shape[d] == 1:
            return x  # broadcast along the cut dimension: every chunk reads all of it
        return x[(slice(None),) * d + (s,)]

    def chunk(i: int) -> None:
        s = slice(bounds[i], bounds[i + 1])
        ufunc(*(cut(x, s) for x in ops), out=cut(out, s), **kw)

    run_chunks(chunk, n)
    return out  # type: ignore[no-any-return]


# ------------------------------------------------------------------ reductions
def reduce(ufunc: Any, a: Any, axis: Any = None, keepdims: bool = False, dtype: Any = None) -> Any:
    """``ufunc.reduce(a, axis, dtype, keepdims=keepdims)``, partitioned when ``a`` is large.

    When the outermost (in memory) dimension of ``a`` is kept, each thread reduces whole rows and
    the result is bit-identical to the serial call. When it is reduced, it is cut in at most
    ``REDUCE_BLOCKS`` blocks fixed by the shape alone; the blocks' partial results are then reduced
    in block order. Float sums may then differ from the serial ones in the last bits, but never from
    run to run or between thread counts.

    Parameters
    ----------
    ufunc : numpy.ufunc
        A two-input NumPy ufunc (``np.add``, ``np.maximum``, ``np.logical_or``, ...).
    a : numpy.ndarray
        The input.
    axis : int, tuple of int or None
        The dimensions to reduce (None: all).
    keepdims : bool
        Keep the reduced dimensions with size 1.
    dtype : numpy.dtype, optional
        The accumulation and result dtype, as NumPy.

    Returns
    -------
    numpy.ndarray or numpy scalar
        What ``ufunc.reduce`` returns (a NumPy scalar for a full reduction without ``keepdims``).

    Examples
    --------
    >>> import numpy as np
    >>> from rustytorch import _parallel
    >>> a = np.arange(1 << 18, dtype=np.int64).reshape(1024, 256)
    >>> int(_parallel.reduce(np.add, a)) == int(a.sum())
    True
    >>> np.array_equal(_parallel.reduce(np.maximum, a, axis=1), a.max(axis=1))
    True
    """
    if (
        a.__class__ is not _ndarray
        or ufunc.__class__ is not _ufunc
        or a.size < min(MIN_REDUCE_ROWS, MIN_REDUCE)
        or a.dtype.hasobject
    ):
        return ufunc.reduce(a, axis=axis, keepdims=keepdims, dtype=dtype)
    nd = a.ndim
    try:
        axes = _normalize_axes(axis, nd)
    except (TypeError, IndexError):
        axes = None
    if not axes:
        return ufunc.reduce(a, axis=axis, keepdims=keepdims, dtype=dtype)  # NumPy raises or copies
    shape = a.shape
    order = range(nd) if a.flags.c_contiguous else sorted(range(nd), key=lambda d: -abs(a.strides[d]))
    split = next((d for d in order if shape[d] >= 2), 0)
    kept_shape = tuple(1 if d in axes else s for d, s in enumerate(shape))
    final_shape = kept_shape if keepdims else tuple(s for d, s in enumerate(shape) if d not in axes)

    def part(s: slice) -> tuple[slice, ...]:
        return (slice(None),) * split + (s,)

    if split not in axes:
        # the cut dimension is kept: each chunk reduces its own rows into its part of the output, as the serial call
        n = min(_num_threads * _CHUNKS_PER_THREAD, shape[split])
        if n < 2 or a.size < MIN_REDUCE_ROWS:
            return ufunc.reduce(a, axis=axis, keepdims=keepdims, dtype=dtype)
        bounds = [shape[split] * i // n for i in range(n + 1)]
        probe = ufunc.reduce(a[part(slice(0, 1))], axis=axes, dtype=dtype, keepdims=True)
        out = np.empty(kept_shape, probe.dtype)

        def rows(i: int) -> None:
            s = part(slice(bounds[i], bounds[i + 1]))
            ufunc.reduce(a[s], axis=axes, dtype=dtype, keepdims=True, out=out[s])

        run_chunks(rows, n)
        return out.reshape(final_shape)
    # the cut dimension is reduced: partial results of fixed blocks, combined in block order
    if a.size < MIN_REDUCE:
        return ufunc.reduce(a, axis=axis, keepdims=keepdims, dtype=dtype)
    n = min(REDUCE_BLOCKS, shape[split])
    bounds = [shape[split] * i // n for i in range(n + 1)]
    partials: list[Any] = [None] * n

    def block(i: int) -> None:
        partials[i] = ufunc.reduce(a[part(slice(bounds[i], bounds[i + 1]))], axis=axes, dtype=dtype, keepdims=True)

    run_chunks(block, n)
    r = ufunc.reduce(np.concatenate(partials, axis=split), axis=split, keepdims=True).reshape(final_shape)
    return r[()] if r.ndim == 0 else r


def _normalize_axes(axis: Any, nd: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(nd))
    seq: Sequence[Any] = axis if isinstance(axis, tuple) else (axis,)
    axes = []
    for d in seq:
        d = int(d) if isinstance(d, (int, np.integer)) and not isinstance(d, bool) else None
        if d is None or not -nd <= d < nd:
            raise IndexError(d)
        axes.append(d % nd)
    if len(set(axes)) != len(axes):
        raise IndexError(axis)
    return tuple(axes)
