"""Op table rows: views and movement (reshape, transposes, squeezes, slicing views, as_strided, unfold)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._base import ALL, ErrorSample, OpInfo, Sample, make

_swap = lambda a, x, y: np.swapaxes(a, x, y) if a.ndim else a  # noqa: E731
Spec = tuple[tuple[int, ...], tuple[Any, ...], dict[str, Any]]


def _mk(shape: tuple[int, ...], dtype: Any, rng: np.random.Generator) -> np.ndarray:
    return np.asarray(make(shape, dtype, rng))  # make() gives a NumPy scalar for bool 0-d


def _samples(specs: Sequence[Spec]) -> Callable[[Any, np.random.Generator], list[Sample]]:
    """Samples from (shape, extra positional args, kwargs) triples."""

    def f(dtype: Any, rng: np.random.Generator) -> list[Sample]:
        return [Sample((_mk(s, dtype, rng), *args), dict(kw), name=f"{list(s)} {args} {kw}") for s, args, kw in specs]

    return f


def _err(shape: tuple[int, ...], args: tuple[Any, ...], exc: type[BaseException], match: str, **kw: Any) -> ErrorSample:
    return ErrorSample(Sample((np.zeros(shape, dtype=np.float32), *args), kw), exc, match)


def _row(name: str, specs: Sequence[Spec], errors: Sequence[ErrorSample] = (), **kw: Any) -> OpInfo:
    errs = list(errors)
    return OpInfo(name, _samples(specs), dtypes=kw.pop("dtypes", ALL), errors=(lambda: errs) if errs else None, **kw)


_S3 = (2, 3, 4)

OPS: list[OpInfo] = [
    _row(
        "reshape",
        [
            ((), ((1,),), {}),
            ((0,), ((0, 3),), {}),
            ((6,), ((2, -1),), {}),
            ((2, 3), ((3, 2),), {}),
            (_S3, ((-1,),), {}),
            (_S3, ((4, 1, 6),), {}),
            ((1,), ((),), {}),
            ((0, 2), ((-1, 4),), {}),
        ],
        [
            _err((2, 3), ((4, 2),), RuntimeError, r"reshape.*\[4, 2\].*invalid for input of size 6"),
            _err((2, 3), ((-1, -1),), RuntimeError, "only one dimension can be inferred"),
            _err((0, 3), ((-1, 0),), RuntimeError, r"reshape.*\[-1, 0\]"),
        ],
        ref=lambda a, s: np.reshape(a, s),
    ),
    _row(
        "view",
        [
            ((), ((1,),), {}),
            ((0,), ((0, 3),), {}),
            ((6,), ((2, -1),), {}),
            ((2, 3), ((3, 2),), {}),
            (_S3, ((-1,),), {}),
            (_S3, ((4, 1, 6),), {}),
        ],
        [_err((2, 3), ((4, 2),), RuntimeError, r"view.*\[4, 2\].*invalid for input of size 6")],
        torch_op=lambda a, s: a.view(s),
        ref=lambda a, s: np.reshape(a, s),
        noncontig=False,  # a non-contiguous input cannot be viewed with another shape (checked in test_views)
    ),
    _row(
        "expand",
        [
            ((), ((3,),), {}),
            ((1,), ((4,),), {}),
            ((3, 1), ((3, 4),), {}),
            ((3, 1), ((2, -1, 5),), {}),
            ((1, 0), ((2, 0),), {}),
            ((2, 3), ((2, 3),), {}),
        ],
        [
            _err((3,), ((2,),), RuntimeError, r"expand.*size of the tensor \(2\) must match the existing size \(3\)"),
            _err((3, 1), ((4,),), RuntimeError, r"expand.*number of sizes provided \(1\)"),
            _err((3,), ((-1, 3),), RuntimeError, r"expand.*-1 is not allowed"),
        ],
        torch_op=lambda a, s: a.expand(s),
        ref=lambda a, s: np.broadcast_to(
            a, tuple(n if n != -1 else a.shape[i - (len(s) - a.ndim)] for i, n in enumerate(s))
        ),
    ),
    _row(
        "broadcast_to",
        [((), ((3,),), {}), ((3, 1), ((2, 3, 4),), {}), ((0,), ((2, 0),), {})],
        [_err((3,), ((2,),), RuntimeError, r"expand.*size of the tensor \(2\)")],
        ref=np.broadcast_to,
    ),
    OpInfo(
        "expand_as",
        lambda dt, rng: [
            Sample((_mk((3, 1), dt, rng), _mk((2, 3, 4), dt, rng)), grad_args=(0,)),
            Sample((_mk((), dt, rng), _mk((0,), dt, rng)), grad_args=(0,)),
        ],
        dtypes=ALL,
        torch_op=lambda a, b: a.expand_as(b),
        ref=lambda a, b: np.broadcast_to(a, b.shape),
    ),
    OpInfo(
        "view_as",
        lambda dt, rng: [Sample((_mk((6,), dt, rng), _mk((2, 3), dt, rng)), grad_args=(0,))],
        dtypes=ALL,
        torch_op=lambda a, b: a.view_as(b),
        noncontig=False,
    ),
    OpInfo(
        "reshape_as",
        lambda dt, rng: [
            Sample((_mk((2, 3), dt, rng), _mk((3, 2), dt, rng)), grad_args=(0,)),
            Sample((_mk((0, 2), dt, rng), _mk((2, 0), dt, rng)), grad_args=(0,)),
        ],
        dtypes=ALL,
        torch_op=lambda a, b: a.reshape_as(b),
        ref=lambda a, b: np.reshape(a, b.shape),
    ),
    _row(
        "transpose",
        [
            ((), (0, -1), {}),
            ((0,), (0, 0), {}),
            ((1, 3), (0, 1), {}),
            ((3, 4), (-1, 0), {}),
            (_S3, (0, 2), {}),
            (_S3, (1, -1), {}),
        ],
        [
            _err((2, 3), (2, 0), IndexError, r"transpose.*range of \[-2, 1\], but got 2"),
            _err((), (1, 0), IndexError, r"transpose.*range of \[-1, 0\], but got 1"),
            _err((2, 3), (0.5, 0), TypeError, "transpose.*must be int"),
        ],
    ),
    _row(
        "swapaxes",
        [((), (0, 0), {}), ((3, 4), (0, 1), {}), (_S3, (-1, 0), {})],
        [_err((2, 3), (0, -3), IndexError, r"range of \[-2, 1\], but got -3")],
        ref=_swap,
    ),
    _row(
        "swapdims",
        [((), (0, 0), {}), ((3, 4), (0, 1), {}), (_S3, (-1, 0), {})],
        [_err((2, 3), (0, 5), IndexError, r"range of \[-2, 1\], but got 5")],
        ref=_swap,
    ),
    _row(
        "t",
        [((), (), {}), ((0,), (), {}), ((5,), (), {}), ((1, 4), (), {}), ((3, 4), (), {}), ((0, 2), (), {})],
        [_err(_S3, (), RuntimeError, r"t\(\) expects a tensor with <= 2 dimensions, but self is 3D")],
        ref=lambda a: a.T,
    ),
    _row(
        "permute",
        [
            ((), ((),), {}),
            ((5,), ((0,),), {}),
            ((3, 4), ((1, 0),), {}),
            (_S3, ((2, 0, 1),), {}),
            (_S3, ((-1, 0, -2),), {}),
            ((2, 0, 3), ((1, 2, 0),), {}),
        ],
        [
            _err((2, 3), ((0,),), RuntimeError, r"permute.*input.dim\(\) = 2 is not equal to len\(dims\) = 1"),
            _err((2, 3), ((0, 0),), RuntimeError, "permute.*dim 0 appears multiple times"),
            _err((2, 3), ((0, 2),), IndexError, r"permute.*range of \[-2, 1\], but got 2"),
        ],
        ref=lambda a, d: np.transpose(a, d),
    ),
    _row(
        "movedim",
        [
            ((), (0, 0), {}),
            ((3, 4), (0, 1), {}),
            (_S3, (0, -1), {}),
            (_S3, ((0, 1), (2, 0)), {}),
            (_S3, ((), ()), {}),
            ((2, 0, 3), (2, 0), {}),
        ],
        [
            _err(_S3, ((0, 1), (2,)), RuntimeError, r"movedim.*source \(\[0, 1\] dims\).*destination \(\[2\] dims\)"),
            _err(_S3, ((0, 0), (1, 2)), RuntimeError, "movedim.*dim 0 appears multiple times"),
            _err(_S3, (3, 0), IndexError, r"movedim.*range of \[-3, 2\], but got 3"),
        ],
        ref=lambda a, x, y: np.moveaxis(a, x, y) if a.ndim else a,
    ),
    _row(
        "moveaxis",
        [((3, 4), (0, 1), {}), (_S3, ((0, 1), (-1, 0)), {})],
        [_err(_S3, (0, -4), IndexError, r"range of \[-3, 2\], but got -4")],
        ref=np.moveaxis,
    ),
    _row(
        "adjoint",
        [((3, 4), (), {}), ((2, 3, 4), (), {}), ((0, 2), (), {})],
        [_err((3,), (), RuntimeError, r"adjoint.*Got 1-D tensor")],
        ref=lambda a: np.swapaxes(a, -1, -2),
    ),
    _row(
        "unsqueeze",
        [
            ((), (0,), {}),
            ((), (-1,), {}),
            ((0,), (1,), {}),
            ((3,), (0,), {}),
            ((3, 4), (2,), {}),
            ((3, 4), (-2,), {}),
            (_S3, (1,), {}),
        ],
        [
            _err((2, 3), (3,), IndexError, r"unsqueeze.*range of \[-3, 2\], but got 3"),
            _err((), (-2,), IndexError, r"unsqueeze.*range of \[-1, 0\], but got -2"),
        ],
        ref=lambda a, d: np.expand_dims(a, d),
    ),
    _row(
        "squeeze",
        [
            ((), (), {}),
            ((), (0,), {}),
            ((1,), (), {}),
            ((0, 1), (), {}),
            ((2, 1, 3, 1), (), {}),
            ((2, 1, 3, 1), (1,), {}),
            ((2, 1, 3, 1), (0,), {}),
            ((2, 1, 3, 1), ((1, -1),), {}),
            ((2, 1, 3, 1), ((0, 1),), {}),
            ((1, 1), (), {"dim": -1}),
        ],
        [
            _err((2, 3), (2,), IndexError, r"squeeze.*range of \[-2, 1\], but got 2"),
            _err((2, 1), ((1, 1),), RuntimeError, "squeeze.*dim 1 appears multiple times"),
        ],
    ),
    _row(
        "flatten",
        [
            ((), (), {}),
            ((0,), (), {}),
            ((5,), (), {}),
            (_S3, (), {}),
            (_S3, (1,), {}),
            (_S3, (0, 1), {}),
            (_S3, (1, 1), {}),
            ((2, 0, 3), (), {"start_dim": -2}),
        ],
        [
            _err(_S3, (2, 1), RuntimeError, "flatten.*start_dim cannot come after end_dim"),
            _err(_S3, (0, 3), IndexError, r"flatten.*range of \[-3, 2\], but got 3"),
        ],
    ),
]

_M = (3, 4)

# slicing views (movement_dims) and strided views (movement_strided)
OPS += [
    _row(
        "narrow",
        [
            ((5,), (0, 1, 3), {}),
            ((5,), (0, -2, 2), {}),
            (_M, (1, 4, 0), {}),
            (_S3, (-1, 0, 1), {}),
            ((0, 2), (1, 1, 1), {}),
        ],
        [
            _err(_M, (1, 2, 5), RuntimeError, r"narrow.*start \(2\) \+ length \(5\) exceeds dimension size \(4\)"),
            _err(_M, (1, -5, 1), IndexError, r"narrow.*start out of range.*\[-4, 4\], but got -5"),
            _err(_M, (1, 0, -1), RuntimeError, "narrow.*length must be non-negative"),
            _err(_M, (2, 0, 1), IndexError, r"narrow.*range of \[-2, 1\], but got 2"),
            _err((), (0, 0, 1), RuntimeError, "narrow.*0-dim"),
        ],
        ref=lambda a, d, s, n: np.take(a, range(s % a.shape[d], s % a.shape[d] + n), axis=d),
    ),
    _row(
        "select",
        [((5,), (0, 1), {}), ((5,), (0, -1), {}), (_M, (1, 3), {}), (_S3, (-2, 0), {}), ((1,), (0, 0), {})],
        [
            _err(_M, (1, 4), IndexError, r"select.*index 4 out of range for tensor of size \[3, 4\] at dimension 1"),
            _err(_M, (0, -4), IndexError, r"select.*index -4 out of range"),
            _err((), (0, 0), IndexError, "select.*0-dim"),
        ],
        ref=lambda a, d, i: np.take(a, i, axis=d),
    ),
    _row(
        "unbind",
        [((5,), (), {}), (_M, (1,), {}), (_S3, (-1,), {}), ((0, 3), (1,), {}), ((2, 0), (), {"dim": 1})],
        [_err((), (), IndexError, "unbind.*no dimensions"), _err(_M, (2,), IndexError, r"unbind.*\[-2, 1\]")],
        ref=lambda a, dim=0: tuple(np.moveaxis(a, dim, 0)),
    ),
    _row(
        "split",
        [
            ((5,), (2,), {}),
            ((5,), ([1, 4],), {}),
            (_M, (2, 1), {}),
            (_M, ([1, 0, 3], -1), {}),
            ((0, 3), (2,), {}),
            ((0, 3), (0,), {}),
            (_S3, (5,), {"dim": 2}),
        ],
        [
            _err(_M, ([1, 2], 1), RuntimeError, r"split_with_sizes expects split_sizes to sum exactly to 4"),
            _err(_M, ([5, -1], 1), RuntimeError, "split_with_sizes expects split_sizes have only non-negative"),
            _err(_M, (0,), RuntimeError, "split_size can only be 0 if dimension size is 0"),
            _err(_M, (-1,), RuntimeError, "split expects split_size be non-negative"),
            _err((), (1,), RuntimeError, "split expects at least a 1-dimensional tensor"),
        ],
    ),
    _row(
        "chunk",
        [
            ((5,), (3,), {}),
            ((6,), (4,), {}),
            (_M, (2, 1), {}),
            (_M, (10, -1), {}),
            ((0,), (3,), {}),
            ((1, 2), (1,), {}),
        ],
        [
            _err(_M, (0,), RuntimeError, r"chunk expects `chunks` to be greater than 0, got: 0"),
            _err((), (1,), RuntimeError, "chunk expects at least a 1-dimensional tensor"),
        ],
    ),
    _row(
        "tensor_split",
        [((7,), (3,), {}), ((7,), ([1, 5],), {}), ((7,), ([5, 1, -1],), {}), (_M, (3, 1), {}), ((0, 2), (2,), {})],
        [_err((7,), (0,), RuntimeError, "number of sections must be larger than 0, got 0")],
    ),
    _row(
        "unflatten",
        [((6,), (0, (2, 3)), {}), (_M, (1, (2, -1)), {}), (_S3, (-1, (1, 4, 1)), {}), ((0, 2), (0, (0, 5)), {})],
        [
            _err(_M, (1, (3, -1)), RuntimeError, r"unflatten: Provided sizes \[3, -1\] don't multiply up to the size"),
            _err(_M, (1, ()), RuntimeError, "unflatten: sizes must be non-empty"),
            _err(_M, (1, (-1, -1)), RuntimeError, "unflatten: only one dimension can be inferred"),
            _err(_M, (2, (2, 2)), IndexError, r"unflatten.*\[-2, 1\], but got 2"),
        ],
    ),
    _row(
        "diagonal",
        [
            ((3, 3), (), {}),
            (_M, (1,), {}),
            (_M, (-2,), {}),
            (_M, (5,), {}),
            (_S3, (0, 2, 0), {}),
            (_S3, (1, -1, 1), {}),
        ],
        [
            _err(_M, (0, 0, 0), RuntimeError, "diagonal dimensions cannot be identical 0, 0"),
            _err(_M, (0, 0, 2), IndexError, r"diagonal.*\[-2, 1\], but got 2"),
        ],
        ref=lambda a, offset=0, dim1=0, dim2=1: np.diagonal(a, offset, dim1, dim2),
    ),
    _row(
        "as_strided",
        [
            ((6,), ((2, 2), (1, 2)), {}),
            ((6,), ((3, 3), (1, 1)), {}),
            (_M, ((2, 3), (4, 1), 1), {}),
            ((5,), ((0,), (1,)), {}),
            ((4,), ((2, 2), (0, 1)), {}),
        ],
        [
            _err(
                _M,
                ((4, 4), (4, 1)),
                RuntimeError,
                r"as_strided.*storage size of 64 are out of bounds for storage of size 48",
            ),
            _err(_M, ((2,), (-1,)), RuntimeError, "as_strided: Negative strides are not supported"),
            _err(_M, ((2, 2), (1,)), RuntimeError, "as_strided: mismatch in length of strides and shape"),
        ],
        noncontig=False,  # the result depends on the storage layout by definition
    ),
    _row(
        "unfold",
        [
            ((), (0, 1, 1), {}),
            ((5,), (0, 2, 1), {}),
            ((5,), (0, 2, 2), {}),
            (_M, (1, 3, 1), {}),
            (_M, (0, 0, 1), {}),
            (_S3, (-1, 4, 3), {}),
        ],
        [
            _err(_M, (1, 5, 1), RuntimeError, "unfold.*maximum size for tensor at dimension 1 is 4 but size is 5"),
            _err(_M, (1, 2, 0), RuntimeError, "unfold.*step is 0 but must be > 0"),
            _err(_M, (2, 1, 1), IndexError, r"unfold.*\[-2, 1\], but got 2"),
        ],
        op=lambda x, *a: x.unfold(*a),
        torch_op=lambda x, *a: x.unfold(*a),
    ),
]

# movement ops that copy (movement_copy)
OPS += [
    _row(
        "flip",
        [((), ((),), {}), ((5,), (0,), {}), (_M, ((0, 1),), {}), (_S3, ((-1,),), {}), ((0, 2), ((0,),), {})],
        [
            _err(_M, ((0, 0),), RuntimeError, "flip.*dim 0 appears multiple times"),
            _err(_M, ((2,),), IndexError, r"flip.*\[-2, 1\], but got 2"),
        ],
        ref=lambda a, d: np.flip(a, d) if a.ndim else a,
        torch_op=lambda a, d: a.flip(d),
    ),
    _row(
        "fliplr",
        [(_M, (), {}), (_S3, (), {})],
        [_err((3,), (), RuntimeError, r"fliplr: Input must be >= 2-d")],
        ref=np.fliplr,
    ),
    _row(
        "flipud",
        [((4,), (), {}), (_M, (), {})],
        [_err((), (), RuntimeError, r"flipud: Input must be >= 1-d")],
        ref=np.flipud,
    ),
    _row(
        "roll",
        [
            ((), (1,), {}),
            ((5,), (2,), {}),
            (_M, (1,), {}),
            (_M, (-5, 1), {}),
            (_S3, ((1, -2), (0, 2)), {}),
            ((0, 2), (1, 1), {}),
        ],
        [
            _err(_M, ((1, 2), (0,)), RuntimeError, "roll: shifts and dimensions must align. shifts: 2, dims:1"),
            _err(_M, ((1, 2),), RuntimeError, "roll: shifts and dimensions must align"),
            _err(_M, (1, 2), IndexError, r"roll.*\[-2, 1\], but got 2"),
        ],
        ref=lambda a, s, d=None: np.roll(a, s, d),
    ),
    _row(
        "repeat",
        [
            ((), ((),), {}),
            ((), (2, 3), {}),
            ((2,), (3,), {}),
            (_M, (2, 1, 2), {}),
            (_M, (0, 1), {}),
            ((0, 2), (2, 2), {}),
        ],
        [
            _err(_M, (2,), RuntimeError, "repeat: Number of dimensions of repeat dims"),
            _err(_M, (-1, 1), RuntimeError, r"repeat: Trying to create tensor with negative dimension -1"),
        ],
        op=lambda x, *s: x.repeat(*s),
        torch_op=lambda x, *s: x.repeat(*s),
        ref=lambda a, *s: np.tile(a, s[0] if len(s) == 1 and isinstance(s[0], tuple) else s),
    ),
    _row(
        "tile",
        [((), ((),), {}), ((2,), ((3,),), {}), (_M, ((2,),), {}), (_M, ((2, 1, 2),), {}), ((0, 2), ((2, 2),), {})],
        [_err(_M, ((-1, 1),), RuntimeError, r"tile: Trying to create tensor with negative dimension -1")],
        ref=np.tile,
    ),
    _row(
        "tril",
        [((3, 3), (), {}), (_M, (1,), {}), (_M, (-2,), {}), (_S3, (5,), {}), ((0, 2), (), {}), ((2, 1, 1), (), {})],
        [_err((3,), (), RuntimeError, "tril: input tensor must have at least 2 dimensions")],
        ref=lambda a, k=0: np.tril(a, k),
    ),
    _row(
        "triu",
        [((3, 3), (), {}), (_M, (1,), {}), (_M, (-2,), {}), (_S3, (-5,), {}), ((0, 2), (), {}), ((2, 1, 1), (), {})],
        [_err((3,), (), RuntimeError, "triu: input tensor must have at least 2 dimensions")],
        ref=lambda a, k=0: np.triu(a, k),
    ),
]
