"""Op table rows: elementwise arithmetic and math functions."""

from __future__ import annotations

import numpy as np

import rustytorch as rt

from ._base import FLOATS, FLOATS_HALF, NUMERIC, ErrorSample, OpInfo, Sample, binary_samples, unary_samples


def _broadcast_error(name: str) -> list[ErrorSample]:
    a, b = np.zeros((2, 3), np.float32), np.zeros((4,), np.float32)
    return [ErrorSample(Sample((a, b)), RuntimeError, rf"{name}.*\[2, 3\].*\[4\]")]


OPS: list[OpInfo] = [
    OpInfo("add", binary_samples(), ref=np.add, dtypes=NUMERIC, errors=lambda: _broadcast_error("add")),
    OpInfo("sub", binary_samples(), ref=np.subtract, dtypes=NUMERIC, errors=lambda: _broadcast_error("sub")),
    OpInfo("subtract", binary_samples(), ref=np.subtract, dtypes=FLOATS),
    OpInfo("mul", binary_samples(), ref=np.multiply, dtypes=NUMERIC, errors=lambda: _broadcast_error("mul")),
    OpInfo("multiply", binary_samples(), ref=np.multiply, dtypes=FLOATS),
    OpInfo("div", binary_samples(rhs_low=0.5, rhs_high=3), ref=None, dtypes=NUMERIC,
           errors=lambda: _broadcast_error("div")),
    OpInfo("divide", binary_samples(rhs_low=0.5, rhs_high=3), ref=np.true_divide, dtypes=FLOATS),
    OpInfo("true_divide", binary_samples(rhs_low=0.5, rhs_high=3), ref=np.true_divide, dtypes=FLOATS),
    OpInfo("neg", unary_samples(), ref=np.negative, dtypes=(*FLOATS_HALF, rt.int64, rt.int8),
           errors=lambda: [ErrorSample(Sample((np.array([True]),)), RuntimeError, "neg.*bool")]),
    OpInfo("negative", unary_samples(), ref=np.negative, dtypes=FLOATS),
    OpInfo("exp", unary_samples(), ref=np.exp, dtypes=(*FLOATS_HALF, rt.int64)),
]
