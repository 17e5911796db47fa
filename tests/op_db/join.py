"""Op table rows: join (cat, stack and friends; nn.functional.pad)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import rustytorch as rt
from rustytorch.ops.join import pad

from ._base import ALL, ErrorSample, OpInfo, Sample, make

Shapes = Sequence[tuple[tuple[tuple[int, ...], ...], dict[str, Any]]]


def _mk(shape: tuple[int, ...], dtype: Any, rng: np.random.Generator) -> np.ndarray:
    return np.asarray(make(shape, dtype, rng))  # make() gives a NumPy scalar for bool 0-d


def _multi(cases: Shapes, mixed: tuple[int, ...] = ()) -> Callable[[Any, np.random.Generator], list[Sample]]:
    """Samples of several tensors passed positionally (the row's op packs them into a list).

    ``mixed`` lists case indices whose second tensor is float64 (promotion across inputs).
    """

    def f(dtype: Any, rng: np.random.Generator) -> list[Sample]:
        out = []
        for i, (shapes, kw) in enumerate(cases):
            arrs = [_mk(s, dtype, rng) for s in shapes]
            if i in mixed and len(arrs) > 1:
                arrs[1] = _mk(shapes[1], rt.float64, rng)
            out.append(Sample(tuple(arrs), dict(kw), name=f"{[list(s) for s in shapes]} {kw}"))
        return out

    return f


def _err(shapes: Sequence[tuple[int, ...]], kw: dict[str, Any], exc: type[BaseException], match: str) -> ErrorSample:
    return ErrorSample(Sample(tuple(np.zeros(s, dtype=np.float32) for s in shapes), kw), exc, match)


def _lst(fn: Any) -> Any:
    return lambda *ts, **kw: fn(list(ts), **kw)


def _torch(name: str) -> Any:
    import torch

    return _lst(getattr(torch, name))


_CAT = [
    (((2, 3), (2, 3)), {}),
    (((2, 3), (2, 4)), {"dim": 1}),
    (((2, 3), (1, 3), (0, 3)), {"dim": -2}),
    (((3,), (0,)), {}),
    (((2, 3), (0,)), {"dim": 1}),
    (((0,), (0,)), {}),
    (((2, 3, 1),), {"dim": 2}),
    (((4,), (2,)), {}),
]
_CAT_ERRORS = [
    _err(
        [(2, 3), (2, 4)], {}, RuntimeError, r"Sizes of tensors must match except in dimension 0.*\[\[2, 3\], \[2, 4\]\]"
    ),
    _err([(2, 3), (2, 3, 1)], {}, RuntimeError, "Tensors must have same number of dimensions: got 2 and 3"),
    _err([(), (2,)], {}, RuntimeError, r"zero-dimensional tensor \(at position 0\) cannot be concatenated"),
    _err([(2, 3)], {"dim": 2}, IndexError, r"cat.*\[-2, 1\], but got 2"),
    _err([], {}, ValueError, "expected a non-empty list of Tensors"),
]
_STACK = [
    (((2, 3), (2, 3)), {}),
    (((2, 3), (2, 3)), {"dim": 2}),
    (((), (), ()), {}),
    (((0, 2), (0, 2)), {"dim": -1}),
    (((4,),), {"dim": 1}),
    (((3,), (3,)), {}),
]
_PAD_SAMPLES = [
    ((), (), {}),
    ((2, 3), (1, 2), {}),
    ((2, 3), (1, 1, 0, 2), {"value": 1}),
    ((2, 3), (-1, 2), {}),
    ((2, 3, 4), (0, -1, 2, 1, 1, 0), {}),
    ((0, 3), (1, 1), {}),
    ((2, 3), (-3, 0), {}),
    ((2, 3, 4), (2, 1), {"mode": "reflect"}),
    ((1, 2, 3, 4), (1, 2, 2, 0), {"mode": "reflect"}),
    ((2, 3), (-1, 2), {"mode": "reflect"}),
    ((2, 3), (2, 3), {"mode": "replicate"}),
    ((1, 2, 2, 3, 3), (1, 0, 2, 1, 0, 1), {"mode": "replicate"}),
    ((2, 3), (3, 1), {"mode": "circular"}),
    ((1, 2, 3, 4), (-1, 2, 1, 1), {"mode": "circular"}),
]


def _pad_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    out = []
    for shape, p, kw in _PAD_SAMPLES:
        if kw.get("mode") in ("reflect", "replicate") and dtype == rt.bool:
            continue  # not implemented for bool, as torch (an error sample checks it)
        out.append(Sample((_mk(shape, dtype, rng), p), dict(kw), name=f"{list(shape)} {p} {kw}"))
    return out


def _pad_err(shape: tuple[int, ...], p: Any, exc: type[BaseException], match: str, **kw: Any) -> ErrorSample:
    return ErrorSample(Sample((np.zeros(shape, dtype=np.float32), p), kw), exc, match)


def _torch_pad(*a: Any, **kw: Any) -> Any:
    import torch

    return torch.nn.functional.pad(*a, **kw)


OPS: list[OpInfo] = [
    OpInfo(
        "cat",
        _multi(_CAT, mixed=(0, 2)),
        op=_lst(rt.cat),
        torch_op=_torch("cat"),
        dtypes=ALL,
        method=False,
        errors=lambda: _CAT_ERRORS,
        ref=lambda *a, dim=0: np.concatenate([x for x in a if x.shape != (0,) or a[0].ndim == 1], dim),
    ),
    OpInfo(
        "concat",
        _multi(_CAT[:3]),
        op=_lst(rt.concat),
        torch_op=_torch("concat"),
        dtypes=ALL,
        method=False,
        errors=lambda: _CAT_ERRORS[:1],
    ),
    OpInfo(
        "concatenate",
        _multi([(((2, 3), (1, 3)), {}), (((2, 3), (2, 1)), {"axis": 1})]),
        op=_lst(rt.concatenate),
        torch_op=_torch("concatenate"),
        dtypes=ALL,
        method=False,
    ),
    OpInfo(
        "stack",
        _multi(_STACK, mixed=(0,)),
        op=_lst(rt.stack),
        torch_op=_torch("stack"),
        dtypes=ALL,
        method=False,
        ref=lambda *a, dim=0: np.stack(a, dim),
        errors=lambda: [
            _err(
                [(2, 3), (2, 4)],
                {},
                RuntimeError,
                r"stack expects each tensor to be equal size, but got \[2, 3\] at "
                r"entry 0 and \[2, 4\] at entry 1",
            ),
            _err([(2, 3)], {"dim": 3}, IndexError, r"stack.*\[-3, 2\], but got 3"),
            _err([], {}, RuntimeError, "stack expects a non-empty TensorList"),
        ],
    ),
    OpInfo(
        "hstack",
        _multi([(((), (2,)), {}), (((3,), (2,)), {}), (((2, 3), (2, 1)), {}), (((0,), (2,)), {})]),
        op=_lst(rt.hstack),
        torch_op=_torch("hstack"),
        dtypes=ALL,
        method=False,
        ref=lambda *a: np.hstack(a),
    ),
    OpInfo(
        "vstack",
        _multi([(((), (1,)), {}), (((3,), (3,)), {}), (((2, 3), (1, 3)), {}), (((1, 2, 2), (3, 2, 2)), {})]),
        op=_lst(rt.vstack),
        torch_op=_torch("vstack"),
        dtypes=ALL,
        method=False,
        ref=lambda *a: np.vstack(a),
    ),
    OpInfo(
        "dstack",
        _multi([(((), ()), {}), (((3,), (3,)), {}), (((2, 3), (2, 3)), {}), (((1, 2, 2), (1, 2, 3)), {})]),
        op=_lst(rt.dstack),
        torch_op=_torch("dstack"),
        dtypes=ALL,
        method=False,
        ref=lambda *a: np.dstack(a),
    ),
    OpInfo(
        "column_stack",
        _multi([(((), ()), {}), (((3,), (3,)), {}), (((3,), (3, 2)), {})]),
        op=_lst(rt.column_stack),
        torch_op=_torch("column_stack"),
        dtypes=ALL,
        method=False,
        ref=lambda *a: np.column_stack(a),
    ),
    OpInfo(
        "nn.functional.pad",
        _pad_samples,
        op=pad,
        torch_op=_torch_pad,
        dtypes=ALL,
        method=False,
        errors=lambda: [
            _pad_err((2, 3), (1,), RuntimeError, "pad: Padding length must be divisible by 2"),
            _pad_err((2, 3), (1,) * 6, RuntimeError, "pad: Padding length should be less than or equal to two times"),
            _pad_err((2, 3), (-2, -2), RuntimeError, "pad: The input size 3, plus negative padding -2 and -2"),
            _pad_err(
                (2, 3),
                (3, 1),
                RuntimeError,
                r"pad: Padding size should be less than the corresponding input "
                r"dimension, but got: padding \(3, 1\) at dimension 1 of input \[2, 3\]",
                mode="reflect",
            ),
            _pad_err(
                (2, 3),
                (4, 1),
                RuntimeError,
                "pad: Padding value causes wrapping around more than once",
                mode="circular",
            ),
            _pad_err(
                (3,),
                (1, 1),
                NotImplementedError,
                "pad: Padding size 2 is not supported for 1D input tensor",
                mode="replicate",
            ),
            _pad_err((2, 3), (1, 1), NotImplementedError, "pad: Unrecognised padding mode foo", mode="foo"),
            _pad_err(
                (2, 3),
                (1, 1),
                RuntimeError,
                'pad: Padding mode "reflect" doesn\'t take in value',
                mode="reflect",
                value=2.0,
            ),
            ErrorSample(
                Sample((np.zeros((2, 3), dtype=bool), (1, 1)), {"mode": "reflect"}),
                NotImplementedError,
                "pad: reflect padding is not implemented for 'Bool'",
            ),
            _pad_err((2, 3), (1, 1.5), TypeError, "pad.*must be tuple of ints"),
        ],
    ),
]
