"""Op table rows: comparisons, isclose / allclose / equal, logical and bitwise ops, and selection
(where, clamp, maximum / minimum, lerp)."""

from __future__ import annotations

from typing import Any

import numpy as np

import rustytorch as rt

from ._base import (
    ALL,
    BINARY_SHAPES,
    FLOATS,
    FLOATS_HALF,
    INTS,
    NUMERIC,
    ErrorSample,
    OpInfo,
    Sample,
    binary_samples,
    make,
)
from .elementwise import broadcast_error

BOOL_INTS = (rt.bool, *INTS)
_F = np.array([1.5, 2.0], np.float32)
_I = np.array([1, 2], np.int64)


def _cmp_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    # small integer-valued ranges so that equal elements occur
    out = binary_samples(-2, 3, scalars=(1, 0.5, True))(dtype, rng)
    if dtype.is_floating_point:
        x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0], dtype.np)
        out.append(Sample((x, x[::-1].copy()), name="nan/inf"))
    return out


def _cmp(name: str, ref: Any) -> OpInfo:
    return OpInfo(name, _cmp_samples, ref=ref, dtypes=ALL, grad=False, errors=lambda: broadcast_error(name))


def _isclose_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    out = []
    for a, b in BINARY_SHAPES:
        x = make(a, dtype, rng)
        y = make(b, dtype, rng)
        out.append(Sample((x, y), name=f"{list(a)}x{list(b)}"))
        if a == b and dtype.is_floating_point:
            near = np.asarray(x + x * 1e-6 * rng.standard_normal(x.shape)).astype(dtype.np)
            out.append(Sample((x, near), name=f"near {list(a)}"))
            out.append(Sample((x, near), {"rtol": 0.0, "atol": 1e-7}, name=f"near {list(a)} atol only"))
    if dtype.is_floating_point:
        x = np.array([np.nan, np.inf, -np.inf, 1.0], dtype.np)
        out += [Sample((x, x.copy()), name="nan/inf"), Sample((x, x.copy()), {"equal_nan": True}, name="equal_nan")]
    return out


def _isclose_errors() -> list[ErrorSample]:
    return [
        ErrorSample(Sample((_F, _F.astype(np.float64))), RuntimeError, r"isclose.*float32.*float64"),
        ErrorSample(Sample((_F, _F), {"rtol": -1.0}), RuntimeError, "rtol must be greater than or equal to zero"),
        ErrorSample(Sample((_F, 1.5)), TypeError, "isclose.*other.*Tensor"),
    ]


def _equal_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    x = make((3, 4), dtype, rng)
    y = x.copy()
    y.flat[5] = not y.flat[5] if dtype == rt.bool else y.flat[5] + 1
    return [
        Sample((x, x.copy()), name="equal"),
        Sample((x, y), name="one element differs"),
        Sample((x, x[:1].copy()), name="shapes differ"),
        Sample((make((), dtype, rng), make((), dtype, rng)), name="0-d"),
        Sample((make((0, 2), dtype, rng), make((0, 2), dtype, rng)), name="empty"),
    ]


def _logical_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    out = binary_samples(-1, 2, scalars=())(dtype, rng)
    out.append(Sample((make((5,), dtype, rng, -1, 2), make((5,), rt.int64, rng, -1, 2)), name="mixed dtypes"))
    return out


def _bitwise_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    return binary_samples(-100, 100, scalars=(3, -1) if dtype != rt.uint8 else (3, 255))(dtype, rng)


def _shift_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    bits = dtype.itemsize * 8
    out = binary_samples(-100, 100, 0, bits, scalars=(1, 3))(dtype, rng)
    return out


def _float_error(name: str, *args: Any) -> list[ErrorSample]:
    return [ErrorSample(Sample(args or (_F, _F)), NotImplementedError, rf"{name}.*'Float'")]


def _where_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    out = []
    for (a, b), c in zip(BINARY_SHAPES, ((), (5,), (3, 4), (4,), (3, 1), (2, 3), (4, 1), (0, 1)), strict=True):
        out.append(
            Sample(
                (make(c, rt.bool, rng), make(a, dtype, rng), make(b, dtype, rng)),
                name=f"{c}/{a}/{b}",
                grad_args=(1, 2) if dtype.is_floating_point else (),
            )
        )
    out.append(Sample((make((3,), rt.bool, rng), make((3,), dtype, rng), 2.5), name="scalar other", grad_args=(1,)))
    out.append(Sample((make((3,), rt.bool, rng), 1, make((3,), dtype, rng)), name="scalar input", grad_args=(2,)))
    out.append(Sample((make((2, 3), rt.bool, rng), 1, 0), name="both scalars", grad_args=()))
    return out


def _where_errors() -> list[ErrorSample]:
    return [
        ErrorSample(Sample((_F, _F, _F)), RuntimeError, "where expected condition to be a boolean tensor.*float32"),
        ErrorSample(
            Sample((np.array([True, False]), _F, np.zeros(3, np.float32))), RuntimeError, r"where.*\[2\].*\[3\]"
        ),
    ]


def _clamp_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    x = lambda *s: make(s, dtype, rng, -3, 3)  # noqa: E731
    lo, hi = (-1, 2) if not dtype.is_floating_point else (-1.5, 0.5)
    return [
        Sample((x(), lo, hi), name="0-d"),
        Sample((x(0, 3), lo, hi), name="empty"),
        Sample((x(3, 4), lo, hi), name="both"),
        Sample((x(3, 4), lo), name="min only"),
        Sample((x(3, 4),), {"max": hi}, name="max only"),
        Sample((x(3, 4), hi, lo), name="min > max"),
        Sample((x(3, 4), 0.5), name="float bound (promotes)"),
        Sample((x(3, 4), x(4), x(3, 1) + 3), name="tensor bounds"),
        Sample(
            (
                x(
                    5,
                ),
            ),
            {"min": x(5)},
            name="tensor min only",
        ),
        Sample((x(2, 3), x(3), x(2, 1) - 1), name="tensor min > max"),
    ]


def _clamp_one(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    return [
        Sample((make((3, 4), dtype, rng), 0.5), name="scalar"),
        Sample((make((3, 4), dtype, rng), make((4,), dtype, rng)), name="tensor"),
    ]


def _minmax_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    out = binary_samples(-2, 3, scalars=())(dtype, rng)  # small integer range: ties occur
    if dtype.is_floating_point:  # ties: tests/test_elementwise.py (the derivative jumps there: no gradgradcheck)
        out.append(
            Sample((np.array([np.nan, 1.0], dtype.np), np.array([0.0, np.nan], dtype.np)), name="nan", grad_args=())
        )
    return out


def _lerp_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    m = lambda *s: make(s, dtype, rng)  # noqa: E731
    return [
        Sample((m(), m(), 0.3), name="0-d"),
        Sample((m(0, 2), m(2), 0.3), name="empty"),
        Sample((m(3, 4), m(3, 4), 0.25), name="scalar weight < 0.5"),
        Sample((m(3, 4), m(4), 0.75), name="scalar weight >= 0.5, broadcast"),
        Sample((m(3, 4), m(3, 4), make((3, 4), dtype, rng, 0, 1)), name="tensor weight"),
        Sample((m(2, 1, 3), m(4, 1), make((3,), dtype, rng, -1, 2)), name="broadcast all"),
    ]


def _lerp_errors() -> list[ErrorSample]:
    return [
        ErrorSample(Sample((_F, _F.astype(np.float64), 0.5)), RuntimeError, r"lerp.*float32.*`end`.*float64"),
        ErrorSample(Sample((_I, _I, 0.5)), NotImplementedError, "lerp.*Long"),
        ErrorSample(Sample((_F, np.zeros(3, np.float32), 0.5)), RuntimeError, r"lerp.*\[2\].*\[3\]"),
    ]


OPS: list[OpInfo] = [
    _cmp("eq", np.equal),
    _cmp("ne", np.not_equal),
    _cmp("lt", np.less),
    _cmp("le", np.less_equal),
    _cmp("gt", np.greater),
    _cmp("ge", np.greater_equal),
    OpInfo("greater", binary_samples(), ref=np.greater, grad=False),
    OpInfo("less", binary_samples(), ref=np.less, grad=False),
    OpInfo("greater_equal", binary_samples(), ref=np.greater_equal, grad=False),
    OpInfo("less_equal", binary_samples(), ref=np.less_equal, grad=False),
    OpInfo("not_equal", binary_samples(), ref=np.not_equal, grad=False),
    OpInfo("isclose", _isclose_samples, dtypes=ALL, grad=False, errors=_isclose_errors),
    OpInfo(
        "allclose",
        _isclose_samples,
        dtypes=(*INTS, *FLOATS_HALF),
        grad=False,
        ref=lambda a, b, rtol=1e-5, atol=1e-8, equal_nan=False: bool(np.all(np.isclose(a, b, rtol, atol, equal_nan))),
    ),
    OpInfo("equal", _equal_samples, ref=lambda a, b: bool(np.array_equal(a, b)), dtypes=ALL, grad=False),
    OpInfo("logical_and", _logical_samples, ref=np.logical_and, dtypes=ALL, grad=False),
    OpInfo("logical_or", _logical_samples, ref=np.logical_or, dtypes=ALL, grad=False),
    OpInfo("logical_xor", _logical_samples, ref=np.logical_xor, dtypes=ALL, grad=False),
    OpInfo(
        "logical_not",
        lambda d, r: [Sample((s.args[0],), name=s.name) for s in _logical_samples(d, r)],
        ref=np.logical_not,
        dtypes=ALL,
        grad=False,
    ),
    OpInfo(
        "bitwise_and",
        _bitwise_samples,
        ref=np.bitwise_and,
        dtypes=BOOL_INTS,
        grad=False,
        errors=lambda: [*_float_error("bitwise_and"), *_float_error("bitwise_and", _I, 1.5)],
    ),
    OpInfo(
        "bitwise_or",
        _bitwise_samples,
        ref=np.bitwise_or,
        dtypes=BOOL_INTS,
        grad=False,
        errors=lambda: _float_error("bitwise_or"),
    ),
    OpInfo(
        "bitwise_xor",
        _bitwise_samples,
        ref=np.bitwise_xor,
        dtypes=BOOL_INTS,
        grad=False,
        errors=lambda: _float_error("bitwise_xor"),
    ),
    OpInfo(
        "bitwise_not",
        lambda d, r: [Sample((s.args[0],), name=s.name) for s in _bitwise_samples(d, r)],
        ref=np.invert,
        dtypes=BOOL_INTS,
        grad=False,
        errors=lambda: _float_error("bitwise_not", _F),
    ),
    OpInfo(
        "bitwise_left_shift",
        _shift_samples,
        dtypes=INTS,
        grad=False,
        errors=lambda: [
            *_float_error("bitwise_left_shift"),
            ErrorSample(
                Sample((np.array([True]), np.array([True]))), NotImplementedError, "bitwise_left_shift.*'Bool'"
            ),
        ],
    ),
    OpInfo(
        "bitwise_right_shift",
        _shift_samples,
        ref=np.right_shift,
        dtypes=INTS,
        grad=False,
        errors=lambda: _float_error("bitwise_right_shift"),
    ),
    OpInfo("where", _where_samples, dtypes=ALL, method=False, errors=_where_errors),
    OpInfo(
        "clamp",
        _clamp_samples,
        dtypes=NUMERIC,
        errors=lambda: [
            ErrorSample(Sample((_F,)), RuntimeError, "clamp: At least one of 'min' or 'max'"),
            ErrorSample(Sample((_F, np.zeros(3, np.float32))), RuntimeError, r"clamp.*\[2\].*\[3\]"),
        ],
    ),
    OpInfo("clip", _clamp_samples, dtypes=FLOATS),
    OpInfo("clamp_min", _clamp_one, dtypes=(rt.int64, *FLOATS)),
    OpInfo("clamp_max", _clamp_one, dtypes=(rt.int64, *FLOATS)),
    OpInfo(
        "maximum",
        _minmax_samples,
        ref=np.maximum,
        dtypes=ALL,
        errors=lambda: [
            *broadcast_error("maximum"),
            ErrorSample(Sample((_F, 2.0)), TypeError, "maximum.*other.*Tensor"),
        ],
    ),
    OpInfo("minimum", _minmax_samples, ref=np.minimum, dtypes=ALL, errors=lambda: broadcast_error("minimum")),
    OpInfo("lerp", _lerp_samples, dtypes=FLOATS_HALF, errors=_lerp_errors),
]
