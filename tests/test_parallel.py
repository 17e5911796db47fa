"""The thread pool (``rustytorch._parallel``): threaded elementwise ops equal the serial NumPy call bit for bit
(values, dtype, layout), reductions are deterministic across runs and thread counts, and set/get_num_threads
behave as torch's."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import rustytorch as rt
from rustytorch import _parallel

RNG_SEED = 1234


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Thread even small arrays (so that the tests stay fast) and record each threaded call's chunk count."""
    for name in ("MIN_ELEMENTS", "MIN_ELEMENTS_COSTLY", "MIN_REDUCE_ROWS", "MIN_REDUCE"):
        monkeypatch.setattr(_parallel, name, 64)
    monkeypatch.setattr(_parallel, "_MIN_CHUNK", 8)
    monkeypatch.setattr(_parallel, "_ALIGN", 4)
    calls: list[int] = []
    run = _parallel.run_chunks

    def spy(fn: Any, n: int, threads: int | None = None) -> None:
        calls.append(n)
        run(fn, n, threads)

    monkeypatch.setattr(_parallel, "run_chunks", spy)
    before = _parallel.get_num_threads()
    yield calls
    _parallel.set_num_threads(before)


def _rand(shape: tuple[int, ...], dtype: Any, rng: np.random.Generator) -> np.ndarray:
    if np.dtype(dtype).kind == "b":
        return rng.random(shape) < 0.5
    if np.dtype(dtype).kind in "iu":
        return rng.integers(0, 100, size=shape).astype(dtype)
    return (rng.standard_normal(shape) * 3).astype(dtype)


def _assert_identical(got: np.ndarray, want: np.ndarray) -> None:
    """Same values (bit for bit, NaN included), dtype, shape and memory layout."""
    assert got.dtype == want.dtype
    assert got.shape == want.shape
    assert got.tobytes() == want.tobytes()
    assert [s for s, n in zip(got.strides, got.shape) if n > 1] == [
        s for s, n in zip(want.strides, want.shape) if n > 1
    ]


# ------------------------------------------------------------------ set/get_num_threads
def test_default_thread_count_is_the_core_count() -> None:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert _parallel._default_threads() == cores


@pytest.mark.usefixtures("threads")
@pytest.mark.parametrize("n", [1, 2, 3, 7, np.int64(2)])
def test_set_num_threads_roundtrips(n: int) -> None:
    rt.set_num_threads(n)
    assert rt.get_num_threads() == int(n)
    assert type(rt.get_num_threads()) is int


@pytest.mark.usefixtures("threads")
@pytest.mark.parametrize(("n", "match"), [(0, "positive"), (-2, "positive"), (1.5, "int"), (True, "int"), ("2", "int")])
def test_set_num_threads_rejects_what_torch_rejects(n: Any, match: str) -> None:
    before = rt.get_num_threads()
    with pytest.raises(RuntimeError, match=match):
        rt.set_num_threads(n)
    assert rt.get_num_threads() == before


# ------------------------------------------------------------------ elementwise
_BINARY_SHAPES = [
    ((40, 30), (40, 30)),  # same shape
    ((40, 30), (30,)),  # row broadcast
    ((40, 30), (40, 1)),  # column broadcast
    ((1, 2000), (2000,)),  # outer dimension too small to cut
    ((3, 1, 50), (1, 7, 50)),  # both broadcast
    ((5, 2, 3, 40), (40,)),
    ((2000,), ()),  # 0-d array operand
]


@pytest.mark.parametrize("threads", [2, 3])
@pytest.mark.parametrize(("sa", "sb"), _BINARY_SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int32, np.uint8, np.bool_])
def test_binary_equals_serial(small_chunks: list[int], threads: int, sa: Any, sb: Any, dtype: Any) -> None:
    _parallel.set_num_threads(threads)
    rng = np.random.default_rng(RNG_SEED)
    a, b = _rand(sa, dtype, rng), _rand(sb, dtype, rng)
    ufuncs = [np.logical_xor, np.maximum] if dtype is np.bool_ else [np.add, np.multiply, np.maximum]
    if np.dtype(dtype).kind == "f":
        ufuncs += [np.arctan2, np.true_divide, np.power]
    for u in ufuncs:
        with np.errstate(all="ignore"):
            _assert_identical(_parallel.binary(u, a, b), u(a, b))
            _assert_identical(_parallel.binary(u, b, a), u(b, a))
    assert small_chunks and all(n >= 2 for n in small_chunks)


@pytest.mark.parametrize(
    "view",
    [
        lambda a: a.T,
        lambda a: a[:, ::2],
        lambda a: a[::-1],
        lambda a: a[::2, ::-3],
        lambda a: a.reshape(6, 10, 20).transpose(2, 0, 1),
        lambda a: np.broadcast_to(a[:1], a.shape),
    ],
    ids=["transposed", "column-step", "reversed", "mixed-steps", "permuted-3d", "expanded"],
)
def test_noncontiguous_operands_equal_serial(small_chunks: list[int], view: Any) -> None:
    _parallel.set_num_threads(2)
    rng = np.random.default_rng(RNG_SEED)
    a, b = _rand((60, 20), np.float32, rng), _rand((60, 20), np.float32, rng)
    va, vb = view(a), view(b)
    for u in (np.exp, np.tanh, np.negative, np.sqrt):
        with np.errstate(all="ignore"):
            _assert_identical(_parallel.unary(u, va), u(va))
    _assert_identical(_parallel.binary(np.add, va, vb), va + vb)
    row = _rand(va.shape[-1:], np.float32, rng)
    _assert_identical(_parallel.binary(np.subtract, va, row), va - row)
    _assert_identical(_parallel.binary(np.multiply, row, va), row * va)
    c = _rand(va.shape, np.float32, rng)  # one C-contiguous and one strided operand
    _assert_identical(_parallel.binary(np.multiply, va, c), va * c)
    _assert_identical(_parallel.binary(np.maximum, c, va), np.maximum(c, va))


@pytest.mark.parametrize("scalar", [2, -3, 2.5, True, np.float64(0.25), np.int8(3)])
@pytest.mark.parametrize("dtype", [np.float32, np.int16, np.uint8, np.float16])
def test_scalar_operands_follow_numpy_promotion(small_chunks: list[int], scalar: Any, dtype: Any) -> None:
    _parallel.set_num_threads(2)
    a = _rand((50, 40), dtype, np.random.default_rng(RNG_SEED))
    for u in (np.add, np.multiply):
        try:
            want = u(a, scalar)
        except OverflowError:  # NumPy 2: a Python int out of the array dtype's range
            with pytest.raises(OverflowError):
                _parallel.binary(u, a, scalar)
            continue
        _assert_identical(_parallel.binary(u, a, scalar), want)
        _assert_identical(_parallel.binary(u, scalar, a), u(scalar, a))


def test_large_arrays_with_default_thresholds_equal_serial() -> None:
    rng = np.random.default_rng(RNG_SEED)
    a = rng.standard_normal(_parallel.MIN_ELEMENTS * 2 + 17).astype(np.float32)
    b = rng.standard_normal(a.shape).astype(np.float32)
    for u in (np.exp, np.tanh, np.log1p, np.sin):
        with np.errstate(all="ignore"):
            _assert_identical(_parallel.unary(u, a), u(a))
    for u in (np.add, np.multiply, np.maximum, np.true_divide):
        _assert_identical(_parallel.binary(u, a, b), u(a, b))
    m = a[: 1 << 18].reshape(512, 512)
    _assert_identical(_parallel.binary(np.add, m.T, m[0]), m.T + m[0])


def test_rustytorch_ops_match_across_thread_counts(threads: None) -> None:
    a = np.random.default_rng(RNG_SEED).standard_normal((1024, 1040)).astype(np.float32)  # above MIN_ELEMENTS
    x = rt.tensor(a)
    results = []
    for n in (1, 2):
        rt.set_num_threads(n)
        results.append([(x + x).numpy(), (x * 0.5).numpy(), x.exp().numpy(), x.tanh().numpy(), x.T.relu().numpy()])
    for got, want in zip(results[1], results[0]):
        _assert_identical(got, want)
    _assert_identical(results[1][2], np.exp(a))


def test_out_argument(small_chunks: list[int]) -> None:
    _parallel.set_num_threads(2)
    rng = np.random.default_rng(RNG_SEED)
    a, b = _rand((64, 32), np.float32, rng), _rand((64, 32), np.float32, rng)
    out = np.empty_like(a)
    assert _parallel.binary(np.add, a, b, out=out) is out
    assert out.tobytes() == (a + b).tobytes()
    out64 = np.empty(a.shape, np.float64)
    assert _parallel.binary(np.multiply, a, b, out=(out64,)) is out64
    assert np.array_equal(out64, np.multiply(a, b).astype(np.float64))  # computed in float32, then cast
    outT = np.empty((32, 64), np.float32).T  # a non-contiguous out
    _parallel.unary(np.exp, a, out=outT)
    assert outT.tobytes() == np.exp(a).tobytes()
    assert _parallel.binary(np.add, a, b, dtype=np.float64).dtype == np.float64


def test_in_place_and_overlapping_out_equal_serial(small_chunks: list[int]) -> None:
    _parallel.set_num_threads(2)
    a = _rand((64, 32), np.float32, np.random.default_rng(RNG_SEED))
    cases = [
        lambda x: (x, x, 2.0, x),  # x *= 2: same memory element for element
        lambda x: (x, x, x[0], x),  # the broadcast row is overwritten by chunk 0
        lambda x: (x[1:], x[:-1], 1.0, x[1:]),  # shifted by one row
        lambda x: (x, x[:32, :32].T, 1.0, x[:32, :32]),  # transposed onto itself
    ]
    for make in cases:
        got, want = a.copy(), a.copy()
        _, x0, x1, out = make(got)
        _parallel.binary(np.add, x0, x1, out=out)
        _, y0, y1, wout = make(want)
        np.add(y0, y1, out=wout)
        assert got.tobytes() == want.tobytes()


def test_errors_propagate_from_chunks(small_chunks: list[int]) -> None:
    _parallel.set_num_threads(2)
    a = _rand((64, 32), np.float32, np.random.default_rng(RNG_SEED))
    with pytest.raises(ValueError, match="broadcast"):
        _parallel.binary(np.add, a, a[:, :3])
    with pytest.raises(OverflowError):
        _parallel.binary(np.add, a.astype(np.uint8), 300)
    with pytest.raises(TypeError):  # float into an int out: a casting error raised by every chunk
        _parallel.binary(np.add, a, a, out=np.empty(a.shape, np.int32))
    big = np.full((64, 32), 1e30, np.float32)
    with np.errstate(over="raise"), pytest.raises(FloatingPointError):
        _parallel.binary(np.multiply, big, big)
    with np.errstate(over="ignore"):  # the helpers run under the caller's errstate: no warning
        assert np.isinf(_parallel.binary(np.multiply, big, big)).all()


def test_unsupported_arguments_run_serially(small_chunks: list[int]) -> None:
    _parallel.set_num_threads(2)
    a = _rand((64, 32), np.float64, np.random.default_rng(RNG_SEED))
    mask = a > 0
    out = np.zeros_like(a)
    _parallel.binary(np.add, a, 1.0, out=out, where=mask)
    assert np.array_equal(out, np.where(mask, a + 1.0, 0.0))
    assert np.array_equal(_parallel.binary(np.add, a, [1.0] * 32), a + 1.0)  # a list operand
    q, r = _parallel.binary(np.divmod, a, 2.0)  # two outputs
    assert np.array_equal(q, a // 2.0) and np.array_equal(r, a % 2.0)
    assert np.array_equal(_parallel.unary(lambda x: x * 2, a), a * 2)  # not a ufunc
    obj = a.astype(object)
    assert np.array_equal(_parallel.binary(np.add, obj, 1.0), a + 1.0)  # object loops hold the GIL
    assert _parallel.reduce(np.add, obj, axis=0).dtype == object
    assert small_chunks == []


def test_single_thread_never_uses_the_pool(small_chunks: list[int]) -> None:
    _parallel.set_num_threads(1)
    a = _rand((64, 32), np.float32, np.random.default_rng(RNG_SEED))
    _assert_identical(_parallel.binary(np.add, a, a), a + a)
    assert small_chunks == []


# ------------------------------------------------------------------ reductions
_REDUCE_CASES = [
    ((97, 131), None),
    ((97, 131), 0),
    ((97, 131), 1),
    ((97, 131), -1),
    ((11, 13, 17), (0, 2)),
    ((11, 13, 17), (1,)),
    ((3, 5000), 1),
    ((5000, 3), 0),
]


@pytest.mark.parametrize(("shape", "axis"), _REDUCE_CASES)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.bool_])
def test_reductions_are_deterministic_across_thread_counts(
    small_chunks: list[int], shape: Any, axis: Any, keepdims: bool, dtype: Any
) -> None:
    a = _rand(shape, dtype, np.random.default_rng(RNG_SEED))
    ufuncs = (np.logical_or, np.add, np.maximum) if dtype is np.bool_ else (np.add, np.maximum, np.minimum)
    for u in ufuncs:
        want = u.reduce(a, axis=axis, keepdims=keepdims)
        results = []
        for n in (1, 2, 3, 2, 1):
            _parallel.set_num_threads(n)
            results.append(_parallel.reduce(u, a, axis=axis, keepdims=keepdims))
        for r in results:
            assert type(r) is type(want)
            assert np.shape(r) == np.shape(want) and np.asarray(r).dtype == np.asarray(want).dtype
            assert np.asarray(r).tobytes() == np.asarray(results[0]).tobytes()
        if u is np.add and np.dtype(dtype).kind == "f":
            exact = np.add.reduce(a.astype(np.float64), axis=axis, keepdims=keepdims)
            scale = np.add.reduce(np.abs(a.astype(np.float64)), axis=axis, keepdims=keepdims)
            assert np.all(np.abs(results[0] - exact) <= scale * 1e-6)
        else:  # integer sums and max/min are exact
            assert np.array_equal(results[0], want)
    assert small_chunks


def test_reduction_over_kept_outer_dim_equals_serial(small_chunks: list[int]) -> None:
    _parallel.set_num_threads(2)
    a = _rand((300, 257), np.float32, np.random.default_rng(RNG_SEED))
    for u in (np.add, np.maximum):
        _assert_identical(_parallel.reduce(u, a, axis=1), u.reduce(a, axis=1))
        _assert_identical(_parallel.reduce(u, a.T, axis=0), u.reduce(a.T, axis=0))
    long_rows = _rand((8, 20000), np.float32, np.random.default_rng(RNG_SEED))  # rows longer than NumPy's buffer
    for dtype in (None, np.float64):
        want = np.add.reduce(long_rows, axis=-1, dtype=dtype, keepdims=True)
        _assert_identical(_parallel.reduce(np.add, long_rows, axis=-1, dtype=dtype, keepdims=True), want)


def test_reduction_partition_does_not_depend_on_threads(small_chunks: list[int]) -> None:
    a = _rand((4000,), np.float32, np.random.default_rng(RNG_SEED))
    counts = []
    for n in (1, 2, 5):
        _parallel.set_num_threads(n)
        small_chunks.clear()
        _parallel.reduce(np.add, a)
        counts.append(tuple(small_chunks))
    assert counts[0] == counts[1] == counts[2] == (_parallel.REDUCE_BLOCKS,)


def test_reduction_dtype_and_errors(small_chunks: list[int]) -> None:
    _parallel.set_num_threads(2)
    a = _rand((200, 30), np.float32, np.random.default_rng(RNG_SEED))
    r = _parallel.reduce(np.add, a, axis=0, dtype=np.float64)
    assert r.dtype == np.float64
    assert np.allclose(r, a.astype(np.float64).sum(0), rtol=1e-12, atol=1e-12)
    i = _rand((200, 30), np.int8, np.random.default_rng(RNG_SEED))
    assert _parallel.reduce(np.add, i).dtype == np.add.reduce(i).dtype
    assert int(_parallel.reduce(np.add, i)) == int(i.astype(np.int64).sum())
    with pytest.raises(np.exceptions.AxisError):
        _parallel.reduce(np.add, a, axis=2)
    with pytest.raises(ValueError):
        _parallel.reduce(np.add, a, axis=(0, 0))
    assert np.array_equal(_parallel.reduce(np.add, a, axis=()), np.add.reduce(a, axis=()))
    nan = a.copy()
    nan[150, 3] = np.nan
    assert np.isnan(_parallel.reduce(np.maximum, nan)) and np.isnan(_parallel.reduce(np.maximum, nan, axis=0)[3])


# ------------------------------------------------------------------ the pool
def test_run_chunks_runs_every_chunk_once_and_reraises(threads: None) -> None:
    rt.set_num_threads(3)
    seen: list[int] = []
    lock = threading.Lock()

    def record(i: int) -> None:
        with lock:
            seen.append(i)

    _parallel.run_chunks(record, 50)
    assert sorted(seen) == list(range(50))

    def fail(i: int) -> None:
        if i == 7:
            raise KeyError(i)

    with pytest.raises(KeyError):
        _parallel.run_chunks(fail, 20)


def test_nested_and_concurrent_calls_do_not_deadlock(threads: None) -> None:
    rt.set_num_threads(2)
    a = np.arange(1 << 18, dtype=np.float32)
    results: list[bool] = []

    def inner(i: int) -> None:
        results.append(np.array_equal(_parallel.unary(np.sqrt, a), np.sqrt(a)))

    _parallel.run_chunks(inner, 4)
    workers = [threading.Thread(target=inner, args=(0,)) for _ in range(3)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=60)
    assert results == [True] * 7


def test_split_rows_covers_every_row_once(threads: None) -> None:
    for n in (1, 2, 3):
        rt.set_num_threads(n)
        seen: list[tuple[int, int]] = []
        lock = threading.Lock()

        def record(i: int, j: int) -> None:
            with lock:
                seen.append((i, j))

        _parallel.split_rows(record, 1000, 1 << 10, 0)
        rows = sorted(r for i, j in seen for r in range(i, j))
        assert rows == list(range(1000))
        assert len(seen) == (1 if n == 1 else n)  # one block per thread (the caller included)
    _parallel.split_rows(lambda i, j: seen.append((i, j)), 7, 3, 1 << 30)  # below min_elements: one call
    assert seen[-1] == (0, 7)


# ------------------------------------------------------------------ row sums (sum / mean over trailing dims)
def _float64_sum(a: np.ndarray, axis: Any, keepdims: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The exact (float64) sum and the sum of magnitudes, the scale of a float sum's rounding error."""
    a64 = a.astype(np.float64)
    return a64.sum(axis=axis, keepdims=keepdims), np.abs(a64).sum(axis=axis, keepdims=keepdims)


@pytest.mark.parametrize(
    "shape", [(1000, 1000), (300, 128), (64, 4096), (50, 997), (3, 100000), (20000, 3), (1 << 20,)]
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sum_over_last_dim_is_accurate_and_identical_across_thread_counts(
    threads: None, shape: Any, dtype: Any
) -> None:
    a = _rand(shape, dtype, np.random.default_rng(RNG_SEED))
    x = rt.tensor(a)
    results = []
    for n in (1, 2, 3, 1):
        rt.set_num_threads(n)
        results.append((x.sum(-1).numpy(), x.mean(-1).numpy(), x.sum(-1, keepdim=True).numpy(), x.sum().numpy()))
    for got in results[1:]:
        for g, w in zip(got, results[0]):
            _assert_identical(g, w)
    s, m, k, total = results[0]
    exact, scale = _float64_sum(a, -1)
    eps = np.finfo(dtype).eps
    # a blocked (cascade) sum: the error grows with the log of the length, not the length
    assert np.all(np.abs(s - exact) <= 8 * eps * scale + np.finfo(dtype).tiny)
    assert np.all(np.abs(m - exact / shape[-1]) <= 8 * eps * scale / shape[-1] + np.finfo(dtype).tiny)
    assert k.shape == (*shape[:-1], 1) and np.array_equal(k[..., 0], s)
    exact_all, scale_all = _float64_sum(a, None)
    assert abs(float(total) - exact_all) <= 8 * eps * scale_all


def test_sum_over_last_dim_is_at_least_as_accurate_as_torch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(RNG_SEED)
    for a in (rng.standard_normal((1000, 1000)), rng.random((500, 4096)), rng.standard_normal((200, 768))):
        a = a.astype(np.float32)
        exact, scale = _float64_sum(a, -1)

        def rms(r: np.ndarray) -> float:
            return float(np.sqrt(np.mean(((r - exact) / scale) ** 2)))

        ours, theirs = rms(rt.tensor(a).sum(-1).numpy()), rms(torch.from_numpy(a).sum(-1).numpy())
        assert ours <= 1.25 * theirs, (ours, theirs)


def test_sum_is_identical_across_runs_and_memory_alignment() -> None:
    a = _rand((333, 1000), np.float32, np.random.default_rng(RNG_SEED))
    want = rt.tensor(a).sum(-1).numpy()
    for offset in (0, 4, 8, 16, 32):  # the same values at another address (NumPy aligns to 16 bytes or more)
        buf = np.empty(a.nbytes + 128, np.uint8)
        start = (-buf.ctypes.data) % 64 + offset
        b = buf[start : start + a.nbytes].view(np.float32).reshape(a.shape)
        b[...] = a
        for _ in range(3):
            assert rt.tensor(b).sum(-1).numpy().tobytes() == want.tobytes()


@pytest.mark.parametrize(
    "make",
    [
        lambda a: a.T,  # non-contiguous
        lambda a: a[:, ::2],
        lambda a: a.astype(np.float16),
        lambda a: (a * 10).astype(np.int32),
        lambda a: a > 0,
    ],
)
def test_sum_of_other_layouts_and_dtypes_matches_torch(threads: None, make: Any) -> None:
    torch = pytest.importorskip("torch")
    a = make(_rand((600, 700), np.float32, np.random.default_rng(RNG_SEED)))
    t = torch.from_numpy(np.ascontiguousarray(a))
    for n in (1, 2):
        rt.set_num_threads(n)
        x = rt.tensor(a)
        for dim in (-1, 0, (0, 1), None):
            got, want = (
                (x.sum() if dim is None else x.sum(dim)).numpy(),
                (t.sum() if dim is None else t.sum(dim)).numpy(),
            )
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=2e-3 if a.dtype == np.float16 else 1e-5, atol=1e-3)


def test_sum_dtype_argument_keepdim_and_empty_rows() -> None:
    torch = pytest.importorskip("torch")
    a = _rand((400, 300), np.float32, np.random.default_rng(RNG_SEED))
    x, t = rt.tensor(a), torch.from_numpy(a)
    got = x.sum(-1, dtype=rt.float64).numpy()
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, t.sum(-1, dtype=torch.float64).numpy(), rtol=1e-12)
    assert x.sum((0, 1), keepdim=True).shape == (1, 1)
    np.testing.assert_allclose(x.mean(-1, keepdim=True).numpy(), t.mean(-1, keepdim=True).numpy(), rtol=1e-5, atol=1e-6)
    empty = np.zeros((40000, 0), np.float32)
    assert np.array_equal(rt.tensor(empty).sum(-1).numpy(), np.zeros(40000, np.float32))
    assert np.isnan(rt.tensor(empty).mean(-1).numpy()).all()  # 0 / 0, as torch


def test_sum_propagates_nan_and_inf_as_torch() -> None:
    torch = pytest.importorskip("torch")
    a = _rand((256, 512), np.float32, np.random.default_rng(RNG_SEED))
    a[3, 7] = np.nan
    a[5, 0] = np.inf
    a[6, 1], a[6, 2] = np.inf, -np.inf
    a[7, :] = np.finfo(np.float32).max  # overflows to inf
    got, want = rt.tensor(a).sum(-1).numpy(), torch.from_numpy(a).sum(-1).numpy()
    assert np.array_equal(np.isnan(got), np.isnan(want)) and np.array_equal(np.isinf(got), np.isinf(want))
    assert np.array_equal(got[np.isinf(got)], want[np.isinf(want)])
    np.testing.assert_allclose(got[np.isfinite(got)], want[np.isfinite(want)], rtol=1e-5, atol=1e-4)


# ------------------------------------------------------------------ softmax over the last dim
@pytest.mark.parametrize("shape", [(1000, 1000), (64, 5000), (3, 7, 300)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_matches_torch_and_is_identical_across_thread_counts(threads: None, shape: Any, dtype: Any) -> None:
    torch = pytest.importorskip("torch")
    a = _rand(shape, dtype, np.random.default_rng(RNG_SEED))
    a.reshape(-1, shape[-1])[0, :] = -np.inf  # a row of -inf only: NaN, as torch
    a.reshape(-1, shape[-1])[1, 3] = np.inf  # +inf: NaN
    a.reshape(-1, shape[-1])[2, 5] = np.nan
    a.reshape(-1, shape[-1])[4, :5] = -np.inf  # some -inf: 0 there
    t = torch.from_numpy(a)
    for fn, tfn in ((rt.softmax, torch.softmax), (rt.log_softmax, torch.log_softmax)):
        results = []
        for n in (1, 2, 3):
            rt.set_num_threads(n)
            results.append(fn(rt.tensor(a), -1).numpy())
        for r in results[1:]:
            _assert_identical(r, results[0])
        want = tfn(t, -1).numpy()
        assert results[0].dtype == want.dtype
        np.testing.assert_allclose(results[0], want, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-7)


def test_softmax_on_the_pool_equals_the_serial_blocks(small_chunks: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    from rustytorch.ops import activation

    monkeypatch.setattr(activation, "_SOFTMAX_BLOCK", 1000)  # blocks of 10 rows
    a = _rand((200, 100), np.float32, np.random.default_rng(RNG_SEED))
    a[37, 5] = np.inf  # that block takes the shifted path, the others exp(x) directly
    x = rt.tensor(a)
    _parallel.set_num_threads(1)
    want = x.softmax(-1).numpy(), x.log_softmax(-1).numpy()
    _parallel.set_num_threads(2)
    got = x.softmax(-1).numpy(), x.log_softmax(-1).numpy()
    assert small_chunks  # the pool ran
    for g, w in zip(got, want):
        _assert_identical(g, w)


@pytest.mark.parametrize("scale", [1.0, 20.0, 40.0])  # values near and beyond exp's range: plain and shifted blocks
def test_softmax_of_wide_ranges_matches_torch(scale: float) -> None:
    torch = pytest.importorskip("torch")
    a = (np.random.default_rng(RNG_SEED).standard_normal((600, 1000)) * scale).astype(np.float32)
    a[:300] -= 60  # a block of rows far below 0
    want = torch.softmax(torch.from_numpy(a), -1).numpy()
    np.testing.assert_allclose(rt.softmax(rt.tensor(a), -1).numpy(), want, rtol=1e-5, atol=1e-30)


def test_softmax_gradients_are_unchanged() -> None:
    torch = pytest.importorskip("torch")
    a = _rand((300, 1200), np.float64, np.random.default_rng(RNG_SEED))
    x, t = rt.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    g = _rand((300, 1200), np.float64, np.random.default_rng(RNG_SEED + 1))
    (gx,) = rt.autograd.grad(rt.softmax(x, -1), x, rt.tensor(g), create_graph=True)
    (gt,) = torch.autograd.grad(torch.softmax(t, -1), t, torch.tensor(g), create_graph=True)
    np.testing.assert_allclose(gx.detach().numpy(), gt.detach().numpy(), rtol=1e-10, atol=1e-12)
    (ggx,) = rt.autograd.grad(gx.sum(), x)  # second order: the backward is made of differentiable ops
    (ggt,) = torch.autograd.grad(gt.sum(), t)
    np.testing.assert_allclose(ggx.numpy(), ggt.numpy(), rtol=1e-8, atol=1e-10)


# ------------------------------------------------------------------ malloc tuning
def test_malloc_tuning_and_its_opt_out() -> None:
    import subprocess
    import sys

    code = "import rustytorch, rustytorch._malloc as m; print(m._tuned)"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "RUSTYTORCH_TUNE"))}
    default, off, user = (
        subprocess.run([sys.executable, "-c", code], env={**env, **extra}, capture_output=True, text=True, check=True)
        for extra in ({}, {"RUSTYTORCH_TUNE_MALLOC": "0"}, {"MALLOC_MMAP_THRESHOLD_": "131072"})
    )
    assert off.stdout.strip() == "False" and user.stdout.strip() == "False"
    if sys.platform.startswith("linux") and "glibc" in " ".join(__import__("platform").libc_ver()):
        assert default.stdout.strip() == "True"
