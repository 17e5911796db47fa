"""Op table rows: random sampling (nondeterministic: shapes, dtypes, ranges and statistics are checked in
tests/test_random.py; the rows run the error inputs and the memory-ownership check)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import rustytorch as rt

from ._base import ErrorSample, OpInfo, Sample

FLOAT_DTYPES = (rt.float16, rt.bfloat16, rt.float32, rt.float64)


def _fixed(*cases: tuple[tuple[Any, ...], dict[str, Any]], dtype_kw: bool = True) -> Callable[..., list[Sample]]:
    def f(dtype: Any, rng: np.random.Generator) -> list[Sample]:
        return [Sample(a, {**kw, "dtype": dtype} if dtype_kw else dict(kw), name=f"{a} {kw}") for a, kw in cases]

    return f


def _probs(*cases: tuple[tuple[int, ...], dict[str, Any]]) -> Callable[..., list[Sample]]:
    def f(dtype: Any, rng: np.random.Generator) -> list[Sample]:
        return [Sample((rng.random(s).astype(dtype.np),), dict(kw), name=f"{list(s)} {kw}") for s, kw in cases]

    return f


def _err(args: tuple[Any, ...], kw: dict[str, Any], exc: type[BaseException], match: str) -> ErrorSample:
    return ErrorSample(Sample(args, kw), exc, match)


def _errs(*cases: ErrorSample) -> Callable[[], list[ErrorSample]]:
    return lambda: list(cases)


_SHAPES = (((2, 3),), {}), ((4,), {}), (((0,),), {}), (((),), {})
_NOT_FLOAT = "not implemented for 'Long'"

OPS: list[OpInfo] = [
    OpInfo("rand", _fixed(*_SHAPES), dtypes=FLOAT_DTYPES, grad=False, method=False, nondeterministic=True,
           errors=_errs(_err((2,), {"dtype": rt.int64}, NotImplementedError, _NOT_FLOAT),
                        _err((2, -1), {}, RuntimeError, "negative dimension"),
                        _err((2,), {"generator": 3}, TypeError, "Generator"))),
    OpInfo("randn", _fixed(*_SHAPES), dtypes=FLOAT_DTYPES, grad=False, method=False, nondeterministic=True,
           errors=_errs(_err((2,), {"dtype": rt.int64}, NotImplementedError, _NOT_FLOAT))),
    OpInfo("randint", _fixed(((3, 10, (2, 3)), {}), ((5, (4,)), {}), ((-2, 2, (0,)), {})),
           dtypes=(rt.int64, rt.int32, rt.int8, rt.float32), grad=False, method=False, nondeterministic=True,
           errors=_errs(_err((5, 5, (2,)), {}, RuntimeError, "expects 'from' to be less than 'to'.*from=5 >= to=5"),
                        _err((0, 300, (2,)), {"dtype": rt.uint8}, RuntimeError, "to - 1 = 299 is out of bounds"),
                        _err((-1, 3, (2,)), {"dtype": rt.uint8}, RuntimeError, "from=-1 is out of bounds"),
                        _err((5,), {}, TypeError, "size"))),
    OpInfo("randperm", _fixed(((5,), {}), ((0,), {}), ((1,), {})), dtypes=(rt.int64, rt.int32, rt.float32),
           grad=False, method=False, nondeterministic=True,
           errors=_errs(_err((-1,), {}, RuntimeError, "negative dimension -1"))),
    OpInfo("normal", _fixed(((0.0, 1.0, (2, 3)), {}), ((2.0, 0.5, (0,)), {})), dtypes=FLOAT_DTYPES, grad=False,
           method=False, nondeterministic=True,
           errors=_errs(_err((np.zeros(3, np.float32), -1.0), {}, RuntimeError, "normal expects std >= 0.0"),
                        _err((0.0, -1.0, (2,)), {}, RuntimeError, "normal expects std >= 0.0"),
                        _err((np.zeros((3, 2)), np.ones(3)), {}, RuntimeError, r"normal.*\[3, 2\].*\[3\]"),
                        _err((0.0, 1.0), {}, TypeError, "size"),
                        _err((np.zeros(3, np.int64), 1.0), {}, NotImplementedError, _NOT_FLOAT))),
    OpInfo("bernoulli", _probs(((5,), {}), ((2, 3), {}), ((), {}), ((4,), {"p": 0.3})), dtypes=FLOAT_DTYPES[1:],
           grad=False, nondeterministic=True,
           errors=_errs(_err((np.array([0.2, 1.5]),), {}, RuntimeError, r"bernoulli.*\[0, 1\]"),
                        _err((np.zeros(3),), {"p": 1.3}, RuntimeError, r"bernoulli_ expects p to be in \[0, 1\]"),
                        _err((np.array([1, 0]),), {}, NotImplementedError, _NOT_FLOAT))),
    OpInfo("multinomial", _probs(((5,), {"num_samples": 3}), ((2, 4), {"num_samples": 6, "replacement": True}),
                                 ((3,), {"num_samples": 3})),
           dtypes=(rt.float32, rt.float64), grad=False, nondeterministic=True,
           errors=_errs(_err((np.array([0.2, 0.8]), 3), {}, RuntimeError, "cannot sample n_sample > prob_dist"),
                        _err((np.array([-0.1, 0.8]), 1), {}, RuntimeError, "element < 0"),
                        _err((np.array([0.0, 0.0]), 1), {}, RuntimeError, "sum of probabilities <= 0"),
                        _err((np.array(1.0), 1), {}, RuntimeError, "prob_dist must be 1 or 2 dim"),
                        _err((np.array([1, 2]), 1), {}, RuntimeError, "only supports floating-point dtypes"),
                        _err((np.array([0.2, 0.8]), 0), {}, RuntimeError, "n_sample <= 0"))),
    OpInfo("rand_like", _probs(((2, 3), {}), ((), {}), ((0,), {"dtype": rt.float64})), dtypes=FLOAT_DTYPES[1:],
           grad=False, method=False, nondeterministic=True,
           errors=_errs(_err((np.zeros(2, np.int64),), {}, NotImplementedError, _NOT_FLOAT))),
    OpInfo("randn_like", _probs(((2, 3), {}), ((), {}), ((0,), {"dtype": rt.float64})), dtypes=FLOAT_DTYPES[1:],
           grad=False, method=False, nondeterministic=True,
           errors=_errs(_err((np.zeros(2, np.int64),), {}, NotImplementedError, _NOT_FLOAT))),
    OpInfo("randint_like", _probs(((2, 3), {"low": 5}), ((4,), {"low": 2, "high": 9}),
                                  ((3,), {"low": 4, "dtype": rt.int8})),
           dtypes=(rt.float32, rt.float64), grad=False, method=False, nondeterministic=True,
           errors=_errs(_err((np.zeros(2),), {"low": 3, "high": 3}, RuntimeError, "from=3 >= to=3"))),
]  # fmt: skip
