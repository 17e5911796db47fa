"""Op table rows: creation (tensor, zeros/ones/full/empty and *_like, Tensor.new_*, arange, linspace, logspace,
eye, diag, diag_embed, meshgrid). Samples pass shapes and values; dtype= comes from the row's dtype."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import rustytorch as rt

from ._base import ALL, FLOATS, NUMERIC, ErrorSample, OpInfo, Sample, make

SampleFn = Callable[[Any, np.random.Generator], list[Sample]]


def _fixed(*cases: tuple[tuple[Any, ...], dict[str, Any]], dtype_kw: bool = True) -> SampleFn:
    """Samples from (args, kwargs) cases; each also with ``dtype=`` the row's dtype when ``dtype_kw``."""

    def f(dtype: Any, rng: np.random.Generator) -> list[Sample]:
        out = []
        for args, kw in cases:
            out.append(Sample(args, dict(kw), name=f"{args} {kw}"))
            if dtype_kw:
                out.append(Sample(args, {**kw, "dtype": dtype}, name=f"{args} {kw} {dtype}"))
        return out

    return f


def _arrays(*cases: tuple[tuple[int, ...], dict[str, Any]], low: float = -3, high: float = 3) -> SampleFn:
    def f(dtype: Any, rng: np.random.Generator) -> list[Sample]:
        return [
            Sample((np.asarray(make(s, dtype, rng, low, high)),), dict(kw), name=f"{list(s)} {kw}") for s, kw in cases
        ]

    return f


def _err(args: tuple[Any, ...], kw: dict[str, Any], exc: type[BaseException], match: str) -> ErrorSample:
    return ErrorSample(Sample(args, kw), exc, match)


def _errs(*cases: ErrorSample) -> Callable[[], list[ErrorSample]]:
    return lambda: list(cases)


_SHAPES = (((2, 3),), {}), (((0, 4),), {}), ((3,), {}), (((),), {}), ((2, 1, 3), {})
_NEG_SHAPE = _err(((2, -1),), {}, RuntimeError, r"negative dimension -1: \[2, -1\]")
_LIKE = ((2, 3), {}), ((), {}), ((0,), {}), ((4,), {"dtype": rt.float64})


def _like_ref(fn: Any) -> Any:
    return lambda a, dtype=None: fn(a.shape, dtype=a.dtype if dtype is None else dtype.np)


def _tensor_samples(dtype: Any, rng: np.random.Generator, from_tensor: bool = False) -> list[Sample]:
    data = [
        [[1, 2], [3, 4]], [1, 2.5], [True, 1], [True, 1.5], [[True], [False]], 3, 2.5, True, [], [[], []], (1, 2),
        [np.float32(1), 2.0], [np.int32(1), np.int32(2)], [np.float64(1), 1], np.float16(2.5), [[1.0], [2]],
    ]  # fmt: skip
    out = [Sample((d,), {}, name=f"infer {d!r}") for d in data]
    out += [Sample((d,), {"dtype": dtype}, name=f"{d!r} {dtype}") for d in ([[1, 0], [2, 3]], [1.75, 2.5], 1)]
    if from_tensor:  # torch.tensor(tensor) warns, torch.as_tensor(tensor) does not
        out.append(Sample((np.asarray(make((2, 3), dtype, rng)),), {}, name="from a tensor"))
    return out


def _as_tensor_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    return _tensor_samples(dtype, rng, from_tensor=True)


def _rt_from_numpy(x: Any) -> Any:
    # np.array copies: the row checks values and dtypes, test_interop checks the memory sharing
    return rt.from_numpy(x.numpy().copy() if isinstance(x, rt.Tensor) else x)


def _torch_from_numpy(x: Any) -> Any:
    import torch

    return torch.from_numpy(x.numpy().copy())


_ARANGE = (
    (5,), (1, 4), (0, 1, 0.1), (1, 2.5, 0.5), (-1, -10, -3), (3, 3), (0.5, 3.7, 1.2), (-3.5, 3), (0, 10, 3), (2.0,),
    (0, 1, 0.3), (10, 0, -2.5),
)  # fmt: skip


def _arange_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    out = [Sample(a, {}, name=f"{a}") for a in _ARANGE]
    for a in _ARANGE:  # torch truncates the arguments of an int64 arange: a fractional step may become 0
        if dtype is not rt.int64 or all(float(v).is_integer() or abs(v) >= 1 for v in a[2:]):
            out.append(Sample(a, {"dtype": dtype}, name=f"{a} {dtype}"))
    return out


_LINSPACE = (((0, 1, 5), {}), ((-2, 3.5, 7), {}), ((1, 1, 3), {}), ((0, 1, 1), {}), ((0, 1, 0), {}), ((3, -2, 11), {}))
_LOGSPACE = (((0, 2, 3), {}), ((-1, 1, 5), {"base": 2.0}), ((0, 1, 1), {}), ((1, 0, 4), {"base": 3}))
_DIAG = ((5,), {}), ((3,), {"diagonal": 1}), ((3,), {"diagonal": -2}), ((3, 4), {}), ((4, 3), {"diagonal": 1}), (
    (3, 4), {"diagonal": -2}), ((2, 3), {"diagonal": 5}), ((0,), {}), ((1,), {})  # fmt: skip
_DIAG_EMBED = ((3,), {}), ((2, 3), {"offset": 1}), ((2, 3), {"offset": -1, "dim1": 0, "dim2": 2}), (
    (2, 3), {"dim1": -1, "dim2": 0}), ((2, 2, 2), {"offset": 2}), ((0,), {})  # fmt: skip


def _mesh_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    out = []
    for shapes, kw in (
        (((2,), (3,)), {"indexing": "ij"}), (((2,), (3,)), {"indexing": "xy"}), (((2,), (), (4,)), {"indexing": "xy"}),
        (((3,),), {"indexing": "ij"}), (((2,), (0,)), {"indexing": "ij"}), (((2,), (3,), (1,)), {"indexing": "ij"}),
    ):  # fmt: skip
        out.append(Sample(tuple(np.asarray(make(s, dtype, rng)) for s in shapes), kw, name=f"{shapes} {kw}"))
    return out


OPS: list[OpInfo] = [
    OpInfo(
        "tensor",
        _tensor_samples,
        ref=None,
        dtypes=ALL,
        grad=False,
        method=False,
        noncontig=False,
        errors=_errs(
            _err(([[1, 2], [3]],), {}, ValueError, r"expected sequence of length 2 at dim 1 \(got 1\)"),
            _err(([None],), {}, RuntimeError, "Could not infer dtype of NoneType"),
            _err(([2**64],), {}, ValueError, "Overflow"),
            _err(([1],), {"dtype": "nonsense"}, TypeError, "nonsense"),
        ),
    ),
    OpInfo("as_tensor", _as_tensor_samples, dtypes=(rt.int64, rt.float32), grad=False, method=False, noncontig=False),
    OpInfo(
        "from_numpy",
        _arrays(((2, 3), {}), ((), {}), ((0,), {})),
        op=_rt_from_numpy,
        torch_op=_torch_from_numpy,
        ref=lambda a: a,
        dtypes=ALL,
        grad=False,
        method=False,
        errors=_errs(_err(([1, 2],), {}, TypeError, r"expected np.ndarray \(got list\)")),
    ),
    OpInfo(
        "zeros",
        _fixed(*_SHAPES),
        ref=None,
        dtypes=ALL,
        grad=False,
        method=False,
        errors=_errs(_NEG_SHAPE, _err((2,), {"device": "cuda"}, RuntimeError, "only the 'cpu' device")),
    ),
    OpInfo("ones", _fixed(*_SHAPES), dtypes=ALL, grad=False, method=False, errors=_errs(_NEG_SHAPE)),
    OpInfo(
        "empty", _fixed(*_SHAPES), dtypes=ALL, grad=False, method=False, nondeterministic=True, errors=_errs(_NEG_SHAPE)
    ),
    OpInfo(
        "full",
        _fixed((((2, 3), 7), {}), (((2,), 0.5), {}), (((3,), True), {}), (((0, 2), -1), {}), dtype_kw=False),
        ref=None,
        dtypes=(rt.float32,),
        grad=False,
        method=False,
        errors=_errs(_err(((-1,), 2), {}, RuntimeError, "negative dimension")),
    ),
    OpInfo(
        "zeros_like",
        _arrays(*_LIKE),
        ref=_like_ref(np.zeros),
        dtypes=ALL,
        grad=False,
        method=False,
        errors=_errs(_err(([1, 2],), {}, TypeError, r"zeros_like\(\): argument 'input'")),
    ),
    OpInfo("ones_like", _arrays(*_LIKE), ref=_like_ref(np.ones), dtypes=ALL, grad=False, method=False),
    OpInfo("empty_like", _arrays(*_LIKE), dtypes=ALL, grad=False, method=False, nondeterministic=True),
    OpInfo(
        "full_like",
        _arrays(((2, 3), {"fill_value": 2}), ((), {"fill_value": 1.5}), ((3,), {"fill_value": 2.7, "dtype": rt.int32})),
        ref=None,
        dtypes=ALL,
        grad=False,
        method=False,
    ),
    OpInfo(
        "new_zeros",
        _arrays(((2,), {"size": (2, 3)}), ((1,), {"size": (0,), "dtype": rt.float64})),
        op=lambda x, size, **k: x.new_zeros(size, **k),
        torch_op=lambda x, size, **k: x.new_zeros(size, **k),
        dtypes=ALL,
        grad=False,
        method=False,
    ),
    OpInfo(
        "new_ones",
        _arrays(((2,), {"size": (2, 3)}), ((1,), {"size": (), "dtype": rt.int32})),
        op=lambda x, size, **k: x.new_ones(size, **k),
        torch_op=lambda x, size, **k: x.new_ones(size, **k),
        dtypes=ALL,
        grad=False,
        method=False,
    ),
    OpInfo(
        "new_empty",
        _arrays(((2,), {"size": (2, 3)})),
        op=lambda x, size, **k: x.new_empty(size, **k),
        torch_op=lambda x, size, **k: x.new_empty(size, **k),
        dtypes=ALL,
        grad=False,
        method=False,
        nondeterministic=True,
    ),
    OpInfo(
        "new_full",
        _arrays(((2,), {"size": (2, 3), "fill_value": 3}), ((1,), {"size": (2,), "fill_value": 1.5})),
        op=lambda x, **k: x.new_full(**k),
        torch_op=lambda x, **k: x.new_full(**k),
        dtypes=ALL,
        grad=False,
        method=False,
    ),
    OpInfo(
        "new_tensor",
        _arrays(
            ((2,), {"data": [[1, 2], [3, 4]]}), ((1,), {"data": 2.5}), ((1,), {"data": [1.5], "dtype": rt.float64})
        ),
        op=lambda x, **k: x.new_tensor(**k),
        torch_op=lambda x, **k: x.new_tensor(**k),
        dtypes=ALL,
        grad=False,
        method=False,
    ),
    OpInfo(
        "arange",
        _arange_samples,
        dtypes=(rt.int64, rt.int32, rt.float32, rt.float64, rt.float16),
        grad=False,
        method=False,
        errors=_errs(
            _err((0, 1, 0), {}, RuntimeError, "step must be nonzero"),
            _err((0, -1), {}, RuntimeError, "upper bound and lower bound inconsistent with step sign"),
            _err((0, float("inf")), {}, RuntimeError, "unsupported range: 0 -> inf"),
        ),
    ),
    OpInfo(
        "linspace",
        _fixed(*_LINSPACE),
        dtypes=(rt.float32, rt.float64, rt.int64, rt.int16),
        grad=False,
        method=False,
        atol=1e-6,
        rtol=1e-6,
        errors=_errs(
            _err((0, 1, -1), {}, RuntimeError, "number of steps must be non-negative"),
            _err((0, 1, 2.5), {}, TypeError, "'steps' must be int"),
        ),
    ),
    OpInfo(
        "logspace",
        _fixed(*_LOGSPACE),
        dtypes=(rt.float32, rt.float64, rt.int64),
        grad=False,
        method=False,
        errors=_errs(_err((0, 1, -2), {}, RuntimeError, "number of steps must be non-negative")),
    ),
    OpInfo(
        "eye",
        _fixed(((3,), {}), ((2, 3), {}), ((3, 1), {}), ((0,), {}), ((2, 0), {})),
        dtypes=ALL,
        grad=False,
        method=False,
        errors=_errs(
            _err((-1,), {}, RuntimeError, "n must be greater or equal to 0, got -1"),
            _err((2, -1), {}, RuntimeError, "m must be greater or equal to 0, got -1"),
        ),
    ),
    OpInfo(
        "diag",
        _arrays(*_DIAG),
        ref=lambda a, diagonal=0: np.diag(a, diagonal),
        dtypes=ALL,
        errors=_errs(
            _err((np.zeros((2, 2, 2)),), {}, RuntimeError, r"diag\(\): Supports 1D or 2D tensors. Got 3D"),
            _err((np.float32(1.0),), {}, TypeError, r"diag\(\): argument 'input'"),
        ),
    ),
    OpInfo(
        "diag_embed",
        _arrays(*_DIAG_EMBED),
        dtypes=NUMERIC,
        errors=_errs(
            _err((np.zeros(2),), {"dim1": 0, "dim2": 0}, RuntimeError, "diagonal dimensions cannot be identical 0, 0"),
            _err((np.zeros(2),), {"dim1": 0, "dim2": 2}, IndexError, r"\[-2, 1\], but got 2"),
        ),
    ),
    OpInfo(
        "meshgrid",
        _mesh_samples,
        dtypes=(rt.int64, *FLOATS),
        method=False,
        errors=_errs(
            _err((np.zeros((2, 2)),), {"indexing": "ij"}, RuntimeError, r"0D or 1D tensor.*\[2, 2\]"),
            _err((np.zeros(2), np.zeros(2, dtype=np.float32)), {"indexing": "ij"}, RuntimeError, "same dtype"),
            _err((np.zeros(2),), {"indexing": "yx"}, RuntimeError, 'indexing must be one of "xy" or "ij"'),
            _err((), {"indexing": "ij"}, RuntimeError, "non-empty TensorList"),
        ),
    ),
    OpInfo(
        "is_floating_point",
        _arrays(((2,), {}), ((), {}), ((0, 3), {})),
        dtypes=ALL,
        grad=False,
        errors=_errs(_err(([1.0],), {}, TypeError, r"is_floating_point\(\): argument 'input'")),
    ),
    OpInfo(
        "is_nonzero",
        _arrays(((1,), {}), ((), {}), ((1, 1), {})),
        dtypes=ALL,
        grad=False,
        errors=_errs(
            _err((np.zeros(2),), {}, RuntimeError, "Boolean value of Tensor with more than one value"),
            _err((np.zeros(0),), {}, RuntimeError, "Boolean value of Tensor with no values"),
        ),
    ),
    OpInfo(
        "numel",
        _arrays(((2, 3), {}), ((), {}), ((0, 3), {})),
        dtypes=ALL,
        grad=False,
        errors=_errs(_err(([1.0],), {}, TypeError, r"numel\(\): argument 'input'")),
    ),
]
