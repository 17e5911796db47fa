"""Op table rows: indexing (gather/scatter, index_*, masked_*, take, nonzero, index_put).

NumPy references are written independently of the implementation (explicit loops over
the index entries); PyTorch is compared too. Samples cover 0-d, empty, broadcast and
duplicate indices (duplicates only where the result is defined: accumulating ops).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import rustytorch as rt

from ._base import ALL, ErrorSample, OpInfo, Sample, make

_I64 = np.int64
_SOME = (rt.bool, rt.uint8, rt.int32, rt.int64, rt.float16, rt.float32, rt.float64)
_NUM = (rt.int32, rt.int64, rt.float32, rt.float64)


def _mk(shape: tuple[int, ...], dtype: Any, rng: np.random.Generator) -> np.ndarray:
    return np.asarray(make(shape, dtype, rng))


def _ix(*v: Any) -> np.ndarray:
    """An int64 index array: ``_ix(1, 2)`` is 1-D, ``_ix([1], [2])`` and ``_ix([[1], [2]])`` are 2-D."""
    return np.array(v[0] if len(v) == 1 and isinstance(v[0], list) else v, dtype=_I64)


def _f32(*shape: int) -> np.ndarray:
    return np.zeros(shape, dtype=np.float32)


def _errs(*cases: tuple[tuple[Any, ...], dict[str, Any], type[BaseException], str]) -> Any:
    return lambda: [ErrorSample(Sample(args, kw), exc, match) for args, kw, exc, match in cases]


def _sel(d: int, i: Any, nd: int) -> tuple[Any, ...]:
    d %= nd
    return (slice(None),) * d + (i,) + (slice(None),) * (nd - d - 1)


def _d1(a: np.ndarray) -> np.ndarray:
    return a.reshape(1) if a.ndim == 0 else a


# ------------------------------------------------------------------------------ references
def _gather_ref(x: np.ndarray, dim: int, idx: np.ndarray) -> np.ndarray:
    xa, ia = _d1(x), _d1(idx)
    out = np.empty(ia.shape, dtype=x.dtype)
    for pos in np.ndindex(*ia.shape):
        src = list(pos)
        src[dim] = ia[pos]
        out[pos] = xa[tuple(src)]
    return out.reshape(idx.shape)


def _scatter_ref(x: np.ndarray, dim: int, idx: np.ndarray, src: Any, reduce: str | None = None) -> np.ndarray:
    out = x.copy()
    oa, ia = _d1(out), _d1(idx)
    sa = _d1(src) if isinstance(src, np.ndarray) else None
    for pos in np.ndindex(*ia.shape):
        dst = list(pos)
        dst[dim] = ia[pos]
        v = sa[pos] if sa is not None else src
        if reduce == "add":
            oa[tuple(dst)] += v
        elif reduce == "multiply":
            oa[tuple(dst)] *= v
        else:
            oa[tuple(dst)] = v
    return out


def _index_add_ref(x: np.ndarray, dim: int, idx: np.ndarray, src: np.ndarray, alpha: Any = 1) -> np.ndarray:
    out = x.copy()
    oa, sa = _d1(out), _d1(src)
    for j, i in enumerate(idx.reshape(-1)):
        oa[_sel(dim, i, oa.ndim)] += alpha * sa[_sel(dim, j, sa.ndim)]
    return out


def _index_copy_ref(x: np.ndarray, dim: int, idx: np.ndarray, src: np.ndarray) -> np.ndarray:
    out = x.copy()
    oa, sa = _d1(out), _d1(src)
    for j, i in enumerate(idx.reshape(-1)):
        oa[_sel(dim, i, oa.ndim)] = sa[_sel(dim, j, sa.ndim)]
    return out


def _index_fill_ref(x: np.ndarray, dim: int, idx: np.ndarray, value: Any) -> np.ndarray:
    out = x.copy()
    oa = _d1(out)
    for i in idx.reshape(-1):
        oa[_sel(dim, i, oa.ndim)] = value
    return out


def _masked_fill_ref(x: np.ndarray, m: np.ndarray, value: Any) -> np.ndarray:
    return np.where(m, np.asarray(value).astype(x.dtype), x)


def _masked_select_ref(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    xb, mb = np.broadcast_arrays(x, m)
    return np.array([xb[p] for p in np.ndindex(*xb.shape) if mb[p]], dtype=x.dtype)


def _masked_scatter_ref(x: np.ndarray, m: np.ndarray, src: np.ndarray) -> np.ndarray:
    xb, mb = np.broadcast_arrays(x, m)
    out = xb.copy()
    flat = src.reshape(-1)
    k = 0
    for p in np.ndindex(*out.shape):
        if mb[p]:
            out[p] = flat[k]
            k += 1
    return out


def _take_ref(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    flat = x.reshape(-1)
    return np.array([flat[i] for i in idx.reshape(-1)], dtype=x.dtype).reshape(idx.shape)


def _take_along_ref(x: np.ndarray, idx: np.ndarray, dim: int | None = None) -> np.ndarray:
    if dim is None:
        return _take_ref(x, idx).reshape(-1)
    return np.take_along_axis(x, idx, axis=dim)


def _index_put_ref(x: np.ndarray, indices: tuple[np.ndarray, ...], values: np.ndarray, accumulate: bool = False):
    out = x.copy()
    if accumulate:
        np.add.at(out, tuple(indices), values)
    else:
        out[tuple(indices)] = values
    return out


# ------------------------------------------------------------------------------ samples
def _gather_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    return [
        Sample((_mk((3, 4), dtype, rng), 0, _ix([0, 2, 2, 1], [1, 1, 0, 0])), name="dim0 dup"),
        Sample((_mk((3, 4), dtype, rng), 1, _ix([3, 3], [0, 1], [2, 0])), name="dim1 smaller"),
        Sample((_mk((3, 4), dtype, rng), -1, _ix([[0], [1]])), name="neg dim, smaller both"),
        Sample((_mk((2, 3, 2), dtype, rng), 1, rng.integers(0, 3, (2, 4, 2))), name="3d, larger along dim"),
        Sample((_mk((), dtype, rng), 0, np.array(0, dtype=_I64)), name="0-d"),
        Sample((_mk((3,), dtype, rng), 0, np.zeros((0,), dtype=_I64)), name="empty index"),
        Sample((_mk((0, 3), dtype, rng), 1, np.zeros((0, 2), dtype=_I64)), name="empty input"),
    ]


def _scatter_samples(value: bool = False, dup: bool = False, **kw: Any) -> Any:
    def f(dtype: Any, rng: np.random.Generator) -> list[Sample]:
        def src(shape: tuple[int, ...]) -> Any:
            return 2 if value else _mk(shape, dtype, rng)

        i0 = _ix([0, 2, 2, 1], [1, 1, 0, 0]) if dup else _ix([0, 2, 1, 1], [1, 0, 0, 2])
        i1 = _ix([3, 0], [1, 3]) if not dup else _ix([3, 3], [1, 1])
        out = [
            Sample((_mk((3, 4), dtype, rng), 0, i0, src((2, 4))), dict(kw), name="dim0"),
            Sample((_mk((3, 4), dtype, rng), 1, i1, src((2, 2))), dict(kw), name="dim1 smaller"),
            Sample((_mk((2, 3, 2), dtype, rng), -2, _ix([[[0, 2]], [[1, 0]]]), src((2, 1, 2))), dict(kw), name="3d"),
            Sample((_mk((), dtype, rng), 0, np.array(0, dtype=_I64), src(())), dict(kw), name="0-d"),
            Sample((_mk((3,), dtype, rng), 0, np.zeros((0,), dtype=_I64), src((0,))), dict(kw), name="empty"),
        ]
        if not value:
            out.append(Sample((_mk((3, 2), dtype, rng), 0, _ix([[2, 0]]), src((1, 2))), dict(kw), name="src = index"))
        return out

    return f


def _index_select_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    return [
        Sample((_mk((3, 4), dtype, rng), 0, _ix(2, 0, 2)), name="dup"),
        Sample((_mk((3, 4), dtype, rng), -1, _ix(3, 1).astype(np.int32)), name="int32 neg dim"),
        Sample((_mk((2, 3, 2), dtype, rng), 1, _ix(1)), name="3d"),
        Sample((_mk((3, 4), dtype, rng), 1, np.array(2, dtype=_I64)), name="0-d index"),
        Sample((_mk((), dtype, rng), 0, _ix(0)), name="0-d input"),
        Sample((_mk((3, 2), dtype, rng), 0, np.zeros((0,), dtype=_I64)), name="empty"),
    ]


def _index_add_samples(copy: bool = False, **kw: Any) -> Any:
    def f(dtype: Any, rng: np.random.Generator) -> list[Sample]:
        dup = _ix(1, 1) if copy else _ix(0, 2, 0)
        return [
            Sample(
                (_mk((3, 4), dtype, rng), 0, _ix(0, 2) if copy else dup, _mk((2 if copy else 3, 4), dtype, rng)),
                dict(kw),
                name="dim0",
            ),
            Sample((_mk((3, 4), dtype, rng), 1, _ix(3, 1), _mk((3, 2), dtype, rng)), dict(kw), name="dim1"),
            Sample((_mk((2, 3, 2), dtype, rng), -1, _ix(1), _mk((2, 3, 1), dtype, rng)), dict(kw), name="3d"),
            Sample((_mk((), dtype, rng), 0, _ix(0), _mk((), dtype, rng)), dict(kw), name="0-d"),
            Sample(
                (_mk((3, 2), dtype, rng), 0, np.zeros((0,), dtype=_I64), _mk((0, 2), dtype, rng)),
                dict(kw),
                name="empty",
            ),
        ]

    return f


def _index_fill_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    v = np.asarray(make((), dtype, rng))
    return [
        Sample((_mk((3, 4), dtype, rng), 0, _ix(0, 2, 0), 2), name="dup scalar"),
        Sample((_mk((3, 4), dtype, rng), 1, _ix(3, 1), v), name="0-d tensor value"),
        Sample((_mk((2, 3, 2), dtype, rng), -1, np.array(1, dtype=_I64), v), name="0-d index"),
        Sample((_mk((), dtype, rng), 0, _ix(0), 1), name="0-d input"),
        Sample((_mk((3, 2), dtype, rng), 0, np.zeros((0,), dtype=_I64), 1), name="empty"),
    ]


def _mask(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    return np.asarray(rng.random(shape) < 0.5)


def _masked_fill_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    v = np.asarray(make((), dtype, rng))
    return [
        Sample((_mk((3, 4), dtype, rng), _mask((3, 4), rng), 1), name="same shape"),
        Sample((_mk((3, 4), dtype, rng), _mask((4,), rng), v), name="broadcast mask, tensor value"),
        Sample((_mk((4,), dtype, rng), _mask((2, 4), rng), 0), name="mask broadcasts input"),
        Sample((_mk((), dtype, rng), np.asarray(True), v), name="0-d"),
        Sample((_mk((0, 3), dtype, rng), _mask((0, 3), rng), 1), name="empty"),
    ]


def _masked_select_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    return [
        Sample((_mk((3, 4), dtype, rng), _mask((3, 4), rng)), name="same shape"),
        Sample((_mk((3, 4), dtype, rng), _mask((3, 1), rng)), name="broadcast mask"),
        Sample((_mk((4,), dtype, rng), _mask((2, 4), rng)), name="broadcast input"),
        Sample((_mk((), dtype, rng), np.asarray(True)), name="0-d"),
        Sample((_mk((0, 3), dtype, rng), _mask((0, 3), rng)), name="empty"),
    ]


def _masked_scatter_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    return [
        Sample((_mk((3, 4), dtype, rng), _mask((3, 4), rng), _mk((12,), dtype, rng)), name="same shape"),
        Sample((_mk((3, 4), dtype, rng), _mask((4,), rng), _mk((4, 4), dtype, rng)), name="broadcast mask, big src"),
        Sample((_mk((4,), dtype, rng), _mask((2, 4), rng), _mk((8,), dtype, rng)), name="mask broadcasts input"),
        Sample((_mk((), dtype, rng), np.asarray(True), _mk((2,), dtype, rng)), name="0-d"),
        Sample((_mk((0, 3), dtype, rng), _mask((0, 3), rng), _mk((0,), dtype, rng)), name="empty"),
    ]


def _take_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    return [
        Sample((_mk((3, 4), dtype, rng), _ix([0, -1], [5, 5])), name="2-d index, negative, dup"),
        Sample((_mk((2, 3, 2), dtype, rng), _ix(11, 0, 3)), name="3d"),
        Sample((_mk((), dtype, rng), np.array(0, dtype=_I64)), name="0-d"),
        Sample((_mk((3,), dtype, rng), np.zeros((0, 2), dtype=_I64)), name="empty index"),
    ]


def _take_along_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    return [
        Sample((_mk((3, 4), dtype, rng), _ix([[0], [3], [3]]), 1), name="dim1"),
        Sample((_mk((3, 4), dtype, rng), _ix([[2, 0, 0, 1]]), 0), name="dim0"),
        Sample((_mk((3, 1), dtype, rng), _ix([[0, 0, 0]]), 1), name="broadcast both"),
        Sample((_mk((2, 3, 2), dtype, rng), rng.integers(0, 3, (2, 4, 1)), -2), name="3d broadcast"),
        Sample((_mk((3, 4), dtype, rng), _ix([[1, 11], [0, 0]])), name="dim None"),
        Sample((_mk((3, 4), dtype, rng), np.zeros((3, 0), dtype=_I64), 1), name="empty"),
    ]


def _nonzero_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    return [
        Sample((_mk((3, 4), dtype, rng),), name="2d"),
        Sample((_mk((2, 3, 2), dtype, rng),), {"as_tuple": True}, name="as_tuple"),
        Sample((_mk((), dtype, rng),), name="0-d"),
        Sample((np.ones((), dtype=dtype.np),), {"as_tuple": True}, name="0-d as_tuple"),
        Sample((_mk((0, 3), dtype, rng),), name="empty"),
        Sample((np.zeros((4,), dtype=dtype.np),), name="all zero"),
    ]


def _index_put_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    return [
        Sample((_mk((3, 4), dtype, rng), (_ix(0, 2),), _mk((4,), dtype, rng)), name="rows, broadcast values"),
        Sample((_mk((3, 4), dtype, rng), (_ix(0, 2, 0), _ix(1, 1, 3)), _mk((3,), dtype, rng)), name="two indices"),
        Sample(
            (_mk((3, 4), dtype, rng), (_ix(0, 2, 0), _ix(1, 1, 1)), _mk((3,), dtype, rng)),
            {"accumulate": True},
            name="accumulate duplicates",
        ),
        Sample((_mk((3, 4), dtype, rng), (_mask((3, 4), rng),), _mk((), dtype, rng)), name="mask, 0-d value"),
        Sample(
            (_mk((3, 4), dtype, rng), (_ix([0], [2]), _ix(1, 3)), _mk((2, 2), dtype, rng)),
            {"accumulate": True},
            name="broadcast indices",
        ),
        Sample((_mk((3,), dtype, rng), (np.zeros((0,), dtype=_I64),), _mk((0,), dtype, rng)), name="empty"),
    ]


# ------------------------------------------------------------------------------ the rows
_GATHER_ERRS = _errs(
    ((_f32(3, 3), 0, np.zeros((2, 2), np.float32)), {}, RuntimeError, r"gather.*Expected dtype int64 for index"),
    ((_f32(3, 3), 0, _ix([5])), {}, RuntimeError, r"Index tensor must have the same number of dimensions"),
    ((_f32(3, 3), 0, _ix([[5]])), {}, RuntimeError, r"index 5 is out of bounds for dimension 0 with size 3"),
    ((_f32(3, 3), 0, _ix([[-1]])), {}, RuntimeError, r"index -1 is out of bounds for dimension 0 with size 3"),
    ((_f32(3, 3), 0, _ix([[0, 1, 2, 0]])), {}, RuntimeError, r"gather.*\[1, 4\].*\[3, 3\]"),
    ((_f32(3, 3), 2, _ix([[0]])), {}, IndexError, r"gather.*range"),
)
_SCATTER_ERRS = _errs(
    ((_f32(3, 3), 0, _ix([[0, 1], [2, 0]]), _f32(1, 1)), {}, RuntimeError, r"scatter.*\[2, 2\].*\[1, 1\]"),
    ((_f32(3, 3), 0, _ix([[0]]), np.zeros((1, 1))), {}, RuntimeError, r"scatter.*dtype"),
    ((_f32(3, 3), 0, _ix([[3]]), _f32(1, 1)), {}, RuntimeError, r"index 3 is out of bounds for dimension 0"),
    ((_f32(3, 3), 0, np.zeros((1, 1), np.float32), _f32(1, 1)), {}, RuntimeError, r"scatter.*int64 for index"),
    ((_f32(3, 3), 0, _ix([[0]]), 1.0), {"reduce": "max"}, RuntimeError, r"scatter.*add or multiply"),
)

OPS: list[OpInfo] = [
    OpInfo("gather", _gather_samples, ref=_gather_ref, dtypes=ALL, errors=_GATHER_ERRS),
    OpInfo("scatter", _scatter_samples(), ref=_scatter_ref, dtypes=_SOME, errors=_SCATTER_ERRS),
    OpInfo("scatter", _scatter_samples(value=True), ref=_scatter_ref, dtypes=_NUM),
    OpInfo(
        "scatter",
        _scatter_samples(dup=True, reduce="add"),
        ref=lambda *a, **k: _scatter_ref(*a, **k),
        dtypes=_NUM,
        grad=False,
        torch_op=None,  # torch warns (deprecated reduce=) and has no gradient with reduce
    ),
    OpInfo(
        "scatter",
        _scatter_samples(value=True, reduce="multiply"),
        ref=lambda *a, **k: _scatter_ref(*a, **k),
        dtypes=_NUM,
        grad=False,
    ),
    OpInfo(
        "scatter_add",
        _scatter_samples(dup=True),
        ref=lambda x, d, i, s: _scatter_ref(x, d, i, s, "add"),
        dtypes=(rt.uint8, *_NUM),
        errors=_errs(((_f32(3, 3), 0, _ix([[0]]), np.zeros((1, 1))), {}, RuntimeError, r"scatter_add.*dtype")),
    ),
    OpInfo(
        "index_select",
        _index_select_samples,
        ref=lambda x, d, i: np.take(x, i.reshape(-1), axis=d) if x.ndim else x.copy(),
        dtypes=ALL,
        errors=_errs(
            ((_f32(3, 3), 0, _ix(0, 5)), {}, IndexError, r"index_select.*out of range"),
            ((_f32(3, 3), 0, _ix(-1)), {}, IndexError, r"index_select.*out of range"),
            ((_f32(3, 3), 0, _ix([[0]])), {}, IndexError, r"index_select.*vector"),
            ((_f32(3, 3), 0, np.zeros(1, np.float32)), {}, RuntimeError, r"index_select.*int64 for index"),
            ((_f32(), 0, _ix(0, 0)), {}, RuntimeError, r"index_select.*only 1 value"),
        ),
    ),
    OpInfo(
        "index_add",
        _index_add_samples(),
        ref=_index_add_ref,
        dtypes=(rt.uint8, *_NUM),
        errors=_errs(
            ((_f32(3, 3), 0, _ix(0, 5), _f32(2, 3)), {}, RuntimeError, r"index 5 is out of bounds for dimension 0"),
            ((_f32(3, 3), 0, _ix(0, -1), _f32(2, 3)), {}, IndexError, r"index_add.*out of range"),
            ((_f32(3, 3), 0, _ix(0, 1), _f32(2, 4)), {}, RuntimeError, r"index_add.*\[3, 3\].*\[2, 4\]"),
            ((_f32(3, 3), 0, _ix(0, 1), _f32(3, 3)), {}, RuntimeError, r"index_add.*Number of indices \(2\)"),
            ((_f32(3, 3), 0, _ix(0, 1), np.zeros((2, 3))), {}, RuntimeError, r"index_add.*same scalar type"),
        ),
    ),
    OpInfo("index_add", _index_add_samples(alpha=2), ref=lambda *a, **k: _index_add_ref(*a, **k), dtypes=_NUM),
    OpInfo(
        "index_copy",
        _index_add_samples(copy=True),
        ref=_index_copy_ref,
        dtypes=_SOME,
        errors=_errs(
            ((_f32(3, 3), 0, _ix(0, 5), _f32(2, 3)), {}, IndexError, r"index_copy.*index 5 is out of bounds"),
            ((_f32(3, 3), 0, _ix(0, 1).astype(np.int32), _f32(2, 3)), {}, RuntimeError, r"index_copy.*int64"),
            ((_f32(3, 3), 0, _ix(0, 1), _f32(2, 4)), {}, RuntimeError, r"index_copy.*\[3, 3\].*\[2, 4\]"),
        ),
    ),
    OpInfo(
        "index_fill",
        _index_fill_samples,
        ref=_index_fill_ref,
        dtypes=_SOME,
        errors=_errs(
            ((_f32(3, 3), 0, _ix(0, 5), 1.0), {}, IndexError, r"index 5 is out of bounds for dimension 0 with size 3"),
            ((_f32(3, 3), 0, _ix(0).astype(np.int32), 1.0), {}, IndexError, r"index_fill.*int64"),
            ((_f32(3, 3), 0, _ix([[0]]), 1.0), {}, RuntimeError, r"index_fill.*vector"),
            ((_f32(3, 3), 0, _ix(0), _f32(1)), {}, RuntimeError, r"index_fill.*0-dimensional value"),
            ((np.zeros(3, np.int8), 0, _ix(0), 300), {}, RuntimeError, r"cannot be converted to type int8"),
        ),
    ),
    # torch's own index_fill backward fails for negative indices: a forward-only row
    OpInfo(
        "index_fill",
        lambda dt, rng: [Sample((_mk((3, 4), dt, rng), 1, _ix(-1, 1, -4), 2), name="negative")],
        ref=_index_fill_ref,
        dtypes=_NUM,
        grad=False,
    ),
    OpInfo(
        "masked_fill",
        _masked_fill_samples,
        ref=_masked_fill_ref,
        dtypes=ALL,
        errors=_errs(
            ((_f32(3, 3), _f32(3), 1.0), {}, RuntimeError, r"masked_fill.*boolean masks.*float32"),
            ((_f32(3, 3), np.ones(2, bool), 1.0), {}, RuntimeError, r"masked_fill.*size of tensor a \(3\).*b \(2\)"),
            ((_f32(3, 3), np.ones(3, bool), _f32(2)), {}, RuntimeError, r"masked_fill.*0-dimensional value"),
        ),
    ),
    OpInfo(
        "masked_select",
        _masked_select_samples,
        ref=_masked_select_ref,
        dtypes=ALL,
        errors=_errs(
            ((_f32(3, 3), np.ones(2, bool)), {}, RuntimeError, r"masked_select.*size of tensor a \(3\).*b \(2\)"),
            ((_f32(3, 3), _ix(1, 0, 1)), {}, RuntimeError, r"masked_select.*BoolTensor"),
        ),
    ),
    OpInfo(
        "masked_scatter",
        _masked_scatter_samples,
        ref=_masked_scatter_ref,
        dtypes=_SOME,
        errors=_errs(
            ((_f32(3, 3), np.ones((3, 3), bool), _f32(4)), {}, RuntimeError, r"masked_scatter.*source \(4\).*\(9\)"),
            ((_f32(3), np.ones(3, bool), np.zeros(3)), {}, RuntimeError, r"masked_scatter.*same dtypes"),
            ((_f32(3), _f32(3), _f32(3)), {}, RuntimeError, r"masked_scatter.*boolean masks"),
        ),
    ),
    OpInfo(
        "take",
        _take_samples,
        ref=_take_ref,
        dtypes=ALL,
        errors=_errs(
            ((_f32(3, 3), _ix(10)), {}, IndexError, r"take.*index 10 on a tensor of 9 elements"),
            ((_f32(3, 3), _ix(-10)), {}, IndexError, r"take.*index -10 on a tensor of 9 elements"),
            ((_f32(3, 3), _ix(1).astype(np.int32)), {}, RuntimeError, r"take.*int64"),
        ),
    ),
    OpInfo(
        "take_along_dim",
        _take_along_samples,
        ref=_take_along_ref,
        dtypes=ALL,
        errors=_errs(
            ((_f32(3, 3), _ix([[1]]).astype(np.int32), 0), {}, RuntimeError, r"take_along_dim.*Long"),
            ((_f32(3, 3), _ix([[0, 1]]), 0), {}, RuntimeError, r"take_along_dim.*\(3\).*\(2\).*dimension 1"),
            ((_f32(3, 3), _ix(0, 1), 0), {}, RuntimeError, r"take_along_dim.*same number of dimensions"),
            ((_f32(3, 3), _ix([[5]]), 0), {}, RuntimeError, r"take_along_dim.*index 5 is out of bounds"),
        ),
    ),
    OpInfo(
        "nonzero",
        _nonzero_samples,
        ref=lambda x, as_tuple=False: np.nonzero(_d1(x)) if as_tuple else np.argwhere(x),
        dtypes=ALL,
        grad=False,
    ),
    OpInfo(
        "argwhere",
        lambda dt, rng: [s for s in _nonzero_samples(dt, rng) if not s.kwargs],
        ref=np.argwhere,
        dtypes=ALL,
        grad=False,
    ),
    OpInfo(
        "index_put",
        _index_put_samples,
        ref=_index_put_ref,
        dtypes=_NUM,
        errors=_errs(
            ((_f32(3), (_ix(5),), _f32(1)), {}, IndexError, r"index 5 is out of bounds for dimension 0 with size 3"),
            ((_f32(3), (_ix(0),), np.zeros(1)), {}, RuntimeError, r"index_put.*dtypes match.*float32.*float64"),
            ((_f32(3), (_ix(0, 1),), _f32(3)), {}, RuntimeError, r"shape mismatch.*\[3\].*\[2\]"),
            ((_f32(3), (_ix(0), _ix(0)), _f32(1)), {}, IndexError, r"index_put.*too many indices"),
            ((_f32(3), (np.zeros(1, np.float32),), _f32(1)), {}, IndexError, r"long, int, byte or bool"),
        ),
    ),
]
