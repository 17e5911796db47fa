"""Op table rows: elementwise arithmetic (add sub mul div neg abs positive, floor_divide remainder fmod pow
square)."""

from __future__ import annotations

from collections.abc import Callable
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
    unary_samples,
)

SIGNED_NUMERIC = (rt.int8, rt.int16, rt.int32, rt.int64, *FLOATS_HALF)


def broadcast_error(name: str, dtype: Any = np.float32) -> list[ErrorSample]:
    """Incompatible shapes: RuntimeError naming the op and both shapes."""
    a, b = np.zeros((2, 3), dtype), np.zeros((4,), dtype)
    return [ErrorSample(Sample((a, b)), RuntimeError, rf"{name}.*\[2, 3\].*\[4\]")]


def nonzero(a: np.ndarray) -> np.ndarray:
    """``a`` with zeros replaced by ones (divisors)."""
    a = np.array(a, copy=True)
    a[a == 0] = 1
    return a


def with_kwargs(
    base: Callable[..., list[Sample]], *kws: dict[str, Any], shapes: int = 3
) -> Callable[..., list[Sample]]:
    """``base``'s samples plus the first ``shapes`` array samples again with each of ``kws``."""

    def f(dtype: Any, rng: np.random.Generator) -> list[Sample]:
        out = base(dtype, rng)
        arrays = [s for s in out if all(isinstance(a, np.ndarray) for a in s.args)][:shapes]
        for kw in kws:
            out += [Sample(s.args, {**s.kwargs, **kw}, name=f"{s.name} {kw}") for s in arrays]
        return out

    return f


def _alpha_kw(dtype: Any) -> dict[str, Any]:
    return {"alpha": 0.5} if dtype.is_floating_point else {"alpha": 2} if dtype != rt.bool else {"alpha": True}


def _add_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    out = binary_samples(scalars=(2, 0.5, True))(dtype, rng)
    kw = _alpha_kw(dtype)
    out += [Sample(s.args, kw, name=f"{s.name} {kw}") for s in out[:4]]
    return out


def _sub_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    out = binary_samples(scalars=(2, 0.5))(dtype, rng)
    kw = _alpha_kw(dtype)
    return out + [Sample(s.args, kw, name=f"{s.name} {kw}") for s in out[:4]]


def _div_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    """Divisors away from 0 (both signs) and dividends of both signs, with each rounding mode."""
    out = []
    for a, b in BINARY_SHAPES:
        d = make(b, dtype, rng, 0.5, 3) * (
            np.where(make(b, rt.bool, rng), 1, -1).astype(dtype.np) if dtype != rt.uint8 else 1
        )
        out.append(Sample((make(a, dtype, rng, -5, 5), nonzero(d).astype(dtype.np)), name=f"{list(a)}x{list(b)}"))
    out.append(Sample((make((4,), dtype, rng, -5, 5), 2), name="scalar 2", grad_args=(0,)))
    out.append(Sample((make((4,), dtype, rng, -5, 5), -1.5), name="scalar -1.5", grad_args=(0,)))
    base = out[:5]
    for mode in ("trunc", "floor"):
        out += [Sample(s.args, {"rounding_mode": mode}, name=f"{s.name} {mode}", grad_args=s.grad_args) for s in base]
    return out


def _divisor_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    return [s for s in _div_samples(dtype, rng) if not s.kwargs]


def _pow_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    if dtype.is_floating_point:
        out = binary_samples(0.5, 2.5, -2, 2, scalars=(2, 0.5, -1, 3, 0))(dtype, rng)
        out.append(Sample((2.0, make((4,), dtype, rng, -2, 2)), name="scalar base", grad_args=(1,)))
        out.append(Sample((make((4,), dtype, rng, -2, 2), 2), name="negative base ** int", grad_args=(0,)))
        return out
    out = binary_samples(-3, 4, 0, 4, scalars=(2, 3, 0))(dtype, rng)
    out.append(Sample((2, make((4,), dtype, rng, 0, 5)), name="scalar base"))
    if dtype.is_signed:
        out.append(
            Sample(
                (np.array([0, 1, -1, 2, -2, 3], dtype.np), np.array([-1, -1, -1, -1, -3, -2], dtype.np)),
                name="negative exponents",
            )
        )
    return out


def _int_error(
    name: str,
    args: tuple[Any, ...],
    match: str,
    kwargs: dict[str, Any] | None = None,
    exc: type[BaseException] = RuntimeError,
) -> ErrorSample:
    return ErrorSample(Sample(args, kwargs or {}), exc, match)


def _scaled(b: Any, alpha: Any) -> Any:
    return b if alpha is True or alpha == 1 else np.multiply(b, alpha)


def _result_type_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    others = [make((3,), d, rng) for d in (rt.bool, rt.uint8, rt.int32, rt.float16, rt.float64)]
    zero_d = [make((), d, rng) for d in (rt.bool, rt.int8, rt.int64, rt.float64)]
    args = [(make((3,), dtype, rng), o) for o in [*others, *zero_d, True, 2, 2.5]]
    args += [(make((), dtype, rng), o) for o in [*zero_d, True, 2, 2.5]]
    return [Sample(a, name=f"{i}") for i, a in enumerate(args)]


_I = np.array([3, -4], np.int64)
_Z = np.array([1, 0], np.int64)
_B = np.array([True, False])

OPS: list[OpInfo] = [
    OpInfo(
        "add",
        _add_samples,
        ref=lambda a, b, alpha=1: np.add(a, _scaled(b, alpha)),
        dtypes=ALL,
        errors=lambda: [*broadcast_error("add"), _int_error("add", (_I, _I), "add.*alpha.*floating", {"alpha": 0.5})],
    ),
    OpInfo(
        "sub",
        _sub_samples,
        ref=lambda a, b, alpha=1: np.subtract(a, _scaled(b, alpha)),
        dtypes=NUMERIC,
        errors=lambda: [
            *broadcast_error("sub"),
            _int_error("sub", (_B, _B), "sub.*two bool tensors"),
            _int_error("sub", (_B, 1), "sub.*bool tensor"),
        ],
    ),
    OpInfo("subtract", binary_samples(), ref=np.subtract, dtypes=FLOATS),
    OpInfo(
        "mul",
        binary_samples(scalars=(2, 0.5, True)),
        ref=np.multiply,
        dtypes=ALL,
        errors=lambda: broadcast_error("mul"),
    ),
    OpInfo("multiply", binary_samples(), ref=np.multiply, dtypes=FLOATS),
    OpInfo(
        "div",
        _div_samples,
        dtypes=NUMERIC,
        errors=lambda: [
            *broadcast_error("div"),
            _int_error("div", (_I, _Z), "div.*ZeroDivisionError", {"rounding_mode": "floor"}),
            _int_error("div", (_I, _Z), "div.*ZeroDivisionError", {"rounding_mode": "trunc"}),
            _int_error("div", (_I, _I), "rounding_mode", {"rounding_mode": "round"}, ValueError),
        ],
    ),
    OpInfo("divide", binary_samples(rhs_low=0.5, rhs_high=3), ref=np.true_divide, dtypes=FLOATS),
    OpInfo("true_divide", binary_samples(rhs_low=0.5, rhs_high=3), ref=np.true_divide, dtypes=FLOATS),
    OpInfo(
        "floor_divide",
        _divisor_samples,
        ref=np.floor_divide,
        dtypes=NUMERIC,
        grad=False,
        errors=lambda: [
            *broadcast_error("floor_divide"),
            _int_error("floor_divide", (_I, _Z), "floor_divide.*ZeroDivisionError"),
        ],
    ),
    OpInfo(
        "remainder",
        _divisor_samples,
        ref=np.remainder,
        dtypes=NUMERIC,
        errors=lambda: [
            *broadcast_error("remainder"),
            _int_error("remainder", (_I, _Z), "remainder.*ZeroDivisionError"),
            _int_error("remainder", (_B, _B), "remainder.*Bool", exc=NotImplementedError),
        ],
    ),
    OpInfo(
        "fmod",
        _divisor_samples,
        ref=np.fmod,
        dtypes=NUMERIC,
        errors=lambda: [*broadcast_error("fmod"), _int_error("fmod", (_I, _Z), "fmod.*ZeroDivisionError")],
    ),
    OpInfo(
        "pow",
        _pow_samples,
        dtypes=NUMERIC,
        errors=lambda: [
            *broadcast_error("pow"),
            _int_error("pow", (_I, -1), "Integers to negative integer powers are not allowed"),
        ],
    ),
    OpInfo("square", unary_samples(), ref=np.square, dtypes=ALL),
    OpInfo(
        "neg",
        unary_samples(),
        ref=np.negative,
        dtypes=SIGNED_NUMERIC,
        errors=lambda: [ErrorSample(Sample((np.array([True]),)), RuntimeError, "neg.*bool")],
    ),
    OpInfo("negative", unary_samples(), ref=np.negative, dtypes=FLOATS),
    OpInfo(
        "abs",
        unary_samples(),
        ref=np.abs,
        dtypes=NUMERIC,
        errors=lambda: [ErrorSample(Sample((np.array([True]),)), NotImplementedError, "abs.*Bool")],
    ),
    OpInfo("absolute", unary_samples(), ref=np.abs, dtypes=FLOATS),
    OpInfo(
        "positive",
        unary_samples(),
        ref=lambda a: a,
        dtypes=(*INTS, *FLOATS_HALF),
        errors=lambda: [ErrorSample(Sample((np.array([True]),)), RuntimeError, "positive.*bool")],
    ),
    OpInfo(
        "result_type",
        _result_type_samples,
        dtypes=ALL,
        grad=False,
        method=False,
        noncontig=False,
        op=lambda a, b: rt.result_type(a, b).name,
        torch_op=lambda a, b: str(_torch().result_type(a, b)).removeprefix("torch."),
        errors=lambda: [ErrorSample(Sample((1, 2.5)), TypeError, "result_type.*at least one Tensor")],
    ),
]


def _torch() -> Any:
    import torch

    return torch
