"""Op table rows: dtype conversion and copies (to, type_as, clone, contiguous)."""

from __future__ import annotations

from typing import Any

import numpy as np

import rustytorch as rt

from ._base import ALL, FLOATS, ErrorSample, OpInfo, Sample, make, unary_samples


def _to_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    out = []
    # float64 inputs (the gradcheck dtype) are not narrowed to float32: finite differences would measure rounding
    narrow = rt.int64 if dtype == rt.float64 else rt.float32
    for target in (rt.float64, narrow, rt.int32, rt.bool, dtype):
        for shape in ((), (0,), (3,), (2, 3)):
            out.append(Sample((make(shape, dtype, rng), target), name=f"{list(shape)}->{target.name}"))
    return out


def _to_ref(x: np.ndarray, target: Any) -> np.ndarray:
    return x.astype(target.np)


def _type_as_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    return [
        Sample((make(s, dtype, rng), make((1,), other, rng)), name=f"{list(s)} as {other.name}", grad_args=(0,))
        for s in ((), (4,), (2, 3))
        for other in (rt.float64, rt.int64, rt.float32 if dtype != rt.float64 else rt.int16)
    ]


def _to_errors() -> list[ErrorSample]:
    return [ErrorSample(Sample((np.zeros(2, np.float32), "cuda")), RuntimeError, "only the 'cpu' device")]


OPS: list[OpInfo] = [
    OpInfo(
        "to",
        _to_samples,
        ref=_to_ref,
        torch_op=lambda x, d: x.to(d),
        dtypes=(*FLOATS, rt.int64, rt.bool),
        errors=_to_errors,
        noncontig=True,
    ),
    OpInfo(
        "type_as",
        _type_as_samples,
        ref=lambda x, o: x.astype(o.dtype),
        torch_op=lambda x, o: x.type_as(o),
        dtypes=(*FLOATS, rt.int64),
    ),
    OpInfo("clone", unary_samples(), ref=np.copy, torch_op="default", dtypes=ALL),
    OpInfo(
        "contiguous",
        unary_samples(),
        ref=lambda x: np.array(x, order="C"),
        torch_op=lambda x: x.contiguous(),
        dtypes=ALL,
    ),
]
