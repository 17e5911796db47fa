"""Op table rows: activations (relu, sigmoid, softmax, log_softmax)."""

from __future__ import annotations

from typing import Any

import numpy as np

import rustytorch as rt

from ._base import FLOATS_HALF, NUMERIC, ErrorSample, OpInfo, Sample, make, unary_samples


def _softmax_ref(a: np.ndarray, dim: int, dtype: Any = None, log: bool = False) -> np.ndarray:
    with np.errstate(all="ignore"):
        return _softmax_np(a.astype(np.float64), dim, log)


def _softmax_np(x: np.ndarray, dim: int, log: bool) -> np.ndarray:
    if x.ndim == 0:
        return np.asarray(0.0 if log else 1.0)
    z = x - x.max(axis=dim, keepdims=True) if x.size else x
    lse = np.log(np.exp(z).sum(axis=dim, keepdims=True))
    return z - lse if log else np.exp(z - lse)


def _softmax_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    m = lambda *s: make(s, dtype, rng, -4, 4)  # noqa: E731
    out = [
        Sample((m(), 0), name="0-d"),
        Sample((m(0, 3), 1), name="empty rows"),
        Sample((m(3, 0), 1), name="empty dim"),
        Sample((m(5), 0), name="1-D"),
        Sample((m(3, 4), 1), name="rows"),
        Sample((m(3, 4), 0), name="columns"),
        Sample((m(2, 3, 4), -2), name="3-D middle"),
        Sample((np.array([1000.0, 0.0, -1000.0], dtype.np), 0), name="large values (stable)"),
    ]
    if dtype != rt.float64:
        out.append(Sample((m(3, 4), 1), {"dtype": rt.float64}, name="dtype=float64"))
    return out


def _softmax_errors(name: str) -> list[ErrorSample]:
    return [
        ErrorSample(Sample((np.zeros((2, 3), np.float32), 2)), IndexError, r"dimension out of range.*\[-2, 1\].*2"),
        ErrorSample(Sample((np.array([1, 2]), 0)), NotImplementedError, rf"{name}.*Long"),
    ]


def _relu_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    out = unary_samples()(dtype, rng)
    out.append(Sample((make((70,), dtype, rng),), name="1-D (zero-buffer path)"))
    if dtype.is_floating_point:
        out.append(Sample((np.array([np.nan, -np.inf, np.inf, -0.0], dtype.np),), name="nan/inf", grad_args=()))
    return out


OPS: list[OpInfo] = [
    OpInfo(
        "relu",
        _relu_samples,
        ref=lambda a: np.maximum(a, 0),
        dtypes=NUMERIC,
        errors=lambda: [ErrorSample(Sample((np.array([True]),)), RuntimeError, "relu.*Boolean")],
    ),
    OpInfo(
        "sigmoid",
        unary_samples(-8, 8),
        ref=lambda a: 1 / (1 + np.exp(-a.astype(np.float64))),
        dtypes=(*FLOATS_HALF, rt.int64, rt.bool),
    ),
    OpInfo(
        "softmax", _softmax_samples, ref=_softmax_ref, dtypes=FLOATS_HALF, errors=lambda: _softmax_errors("softmax")
    ),
    OpInfo(
        "log_softmax",
        _softmax_samples,
        ref=lambda a, d, dtype=None: _softmax_ref(a, d, log=True),
        dtypes=FLOATS_HALF,
        errors=lambda: _softmax_errors("log_softmax"),
    ),
]
