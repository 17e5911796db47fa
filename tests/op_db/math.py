"""Op table rows: float math functions (exp/log family, roots, trigonometry, erf, atan2), rounding and
classification (floor ... sign, isnan isinf isfinite, nan_to_num)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import rustytorch as rt

from ._base import (
    ALL,
    FLOATS,
    FLOATS_HALF,
    INTS,
    UNARY_SHAPES,
    ErrorSample,
    OpInfo,
    Sample,
    binary_samples,
    make,
    unary_samples,
)

# float functions take floats (incl. half) and give the default float dtype for ints and bools
FLOAT_FN = (*FLOATS_HALF, rt.int64, rt.int32, rt.uint8, rt.bool)


def _away_from_zero(low: float, high: float) -> Any:
    """Samples with |x| in [low, high) and random signs."""

    def f(dtype: Any, rng: np.random.Generator) -> list[Sample]:
        out = []
        for s in UNARY_SHAPES:
            mag = make(s, dtype, rng, low, high)
            sign = np.where(rng.random(s) < 0.5, -1, 1).astype(mag.dtype) if dtype.is_signed else 1
            out.append(Sample((np.asarray(mag * sign, dtype=mag.dtype),), name=f"shape{list(s)}"))
        return out

    return f


def _float_ref(ref: Any) -> Any:
    """A NumPy reference computing integer and bool inputs in float64 (NumPy would pick float16 for uint8)."""

    def f(a: np.ndarray) -> Any:
        with np.errstate(all="ignore"):
            return ref(a if a.dtype.kind == "f" else a.astype(np.float64))

    return f


def _fn(name: str, ref: Any, low: float = -3, high: float = 3, samples: Any = None, **kw: Any) -> OpInfo:
    return OpInfo(
        name, samples or unary_samples(low, high), ref=_float_ref(ref), dtypes=kw.pop("dtypes", FLOAT_FN), **kw
    )


_erf_ref = np.vectorize(math.erf, otypes=[np.float64])


def _special_values(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    out = unary_samples()(dtype, rng)
    if dtype.is_floating_point:
        special = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 2.5, -1.5], dtype=dtype.np)
        out.append(Sample((special,), name="nan/inf/-0", grad_args=()))
    return out


def _round_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    out = unary_samples(-30, 30)(dtype, rng)
    if dtype.is_floating_point:
        halves = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 0.125, 1234.5678], dtype=dtype.np)
        out.append(Sample((halves,), name="halves", grad_args=()))  # on the jumps: no gradcheck
        out += [Sample((halves,), {"decimals": d}, name=f"decimals={d}", grad_args=()) for d in (2, -2, 1)]
        out += [Sample((s.args[0],), {"decimals": 2}, name=f"{s.name} decimals=2") for s in out[:5]]
    return out


def _nan_to_num_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    out = unary_samples()(dtype, rng)
    if dtype.is_floating_point:
        special = np.array([np.nan, np.inf, -np.inf, 1.5, -2.0], dtype=dtype.np)
        out += [
            Sample((special,), name="defaults", grad_args=()),
            Sample((special, 1.0, 2.0, -3.0), name="positional", grad_args=()),
            Sample((special,), {"posinf": 9.0}, name="posinf only", grad_args=()),
        ]
    return out


def _atan2_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    # both operands tensors (torch.atan2 takes no scalars); avoid (0, 0) where the derivative is undefined
    return binary_samples(0.2, 3, -3, 3, scalars=())(dtype, rng)


OPS: list[OpInfo] = [
    _fn("exp", np.exp),
    _fn("exp2", np.exp2),
    _fn("expm1", np.expm1),
    _fn("log", np.log, 0.1, 4),
    _fn("log2", np.log2, 0.1, 4),
    _fn("log10", np.log10, 0.1, 4),
    _fn("log1p", np.log1p, -0.9, 4),
    _fn("sqrt", np.sqrt, 0.1, 4),
    _fn("rsqrt", lambda a: 1 / np.sqrt(a), 0.1, 4),
    _fn("reciprocal", lambda a: 1 / a.astype(np.float64), samples=_away_from_zero(0.5, 3)),
    _fn("sin", np.sin),
    _fn("cos", np.cos),
    _fn("tan", np.tan, -1.2, 1.2),
    _fn("asin", np.arcsin, -0.95, 0.95),
    _fn("acos", np.arccos, -0.95, 0.95),
    _fn("atan", np.arctan),
    _fn("arcsin", np.arcsin, -0.95, 0.95, dtypes=FLOATS),
    _fn("arccos", np.arccos, -0.95, 0.95, dtypes=FLOATS),
    _fn("arctan", np.arctan, dtypes=FLOATS),
    _fn("sinh", np.sinh),
    _fn("cosh", np.cosh),
    _fn("tanh", np.tanh),
    _fn("asinh", np.arcsinh),
    _fn("acosh", np.arccosh, 1.1, 4),
    _fn("atanh", np.arctanh, -0.95, 0.95),
    _fn("arcsinh", np.arcsinh, dtypes=FLOATS),
    _fn("arccosh", np.arccosh, 1.1, 4, dtypes=FLOATS),
    _fn("arctanh", np.arctanh, -0.95, 0.95, dtypes=FLOATS),
    _fn("erf", _erf_ref, -4, 4, tol={rt.float64: (1e-14, 1e-14)}),
    OpInfo("atan2", _atan2_samples, ref=np.arctan2, dtypes=(*FLOATS_HALF, rt.int64)),
    OpInfo("arctan2", _atan2_samples, ref=np.arctan2, dtypes=FLOATS),
    # rounding: integers come back unchanged; bools raise; zero gradients (as torch)
    OpInfo(
        "floor",
        unary_samples(-30, 30),
        ref=np.floor,
        dtypes=(*INTS, *FLOATS_HALF),
        gradgrad=False,
        errors=lambda: [ErrorSample(Sample((np.array([True]),)), NotImplementedError, "floor.*Bool")],
    ),
    OpInfo("ceil", unary_samples(-30, 30), ref=np.ceil, dtypes=(*INTS, *FLOATS_HALF), gradgrad=False),
    OpInfo("trunc", unary_samples(-30, 30), ref=np.trunc, dtypes=(*INTS, *FLOATS_HALF), gradgrad=False),
    OpInfo("fix", unary_samples(-30, 30), ref=np.trunc, dtypes=FLOATS, gradgrad=False),
    OpInfo(
        "round",
        _round_samples,
        dtypes=(*INTS, *FLOATS_HALF),
        gradgrad=False,
        errors=lambda: [
            ErrorSample(Sample((np.array([1, 2]),), {"decimals": 1}), NotImplementedError, "round.*Long"),
            ErrorSample(Sample((np.array([True]),)), NotImplementedError, "round.*Bool"),
        ],
    ),
    OpInfo(
        "frac",
        unary_samples(-30, 30),
        ref=lambda a: a - np.trunc(a),
        dtypes=FLOATS_HALF,
        errors=lambda: [ErrorSample(Sample((np.array([1, 2]),)), NotImplementedError, "frac.*Long")],
    ),
    OpInfo("sign", _special_values, dtypes=ALL, gradgrad=False),
    # torch.sgn's gradient is a ZeroTensor that cannot be read: compare with torch.sign (the same for reals)
    OpInfo("sgn", _special_values, torch_op=lambda x: x.sign(), dtypes=FLOATS, gradgrad=False),
    OpInfo("isnan", _special_values, ref=np.isnan, dtypes=ALL, grad=False),
    OpInfo("isinf", _special_values, ref=np.isinf, dtypes=ALL, grad=False),
    OpInfo("isfinite", _special_values, ref=np.isfinite, dtypes=ALL, grad=False),
    OpInfo("nan_to_num", _nan_to_num_samples, dtypes=(*INTS, *FLOATS_HALF)),
]
