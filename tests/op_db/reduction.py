"""Op table rows: reductions (sum, mean, prod, max/min, arg*, var/std, norms, logsumexp, all/any) and scans."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import rustytorch as rt
from rustytorch.ops.reduction_stats import vector_norm

from ._base import ALL, FLOATS, FLOATS_HALF, INTS, NUMERIC, ErrorSample, OpInfo, Sample, make

SHAPES: tuple[tuple[int, ...], ...] = ((), (0,), (1,), (5,), (3, 4), (2, 3, 2), (0, 3))
Skip = Callable[[tuple[int, ...], dict[str, Any]], bool]


def dim_cases(ndim: int, tuples: bool = True, whole: bool = True, keepdim: bool = True) -> list[dict[str, Any]]:
    """dim / keepdim kwargs to try on an ``ndim``-d input: all, first, last (+keepdim), several, negative."""
    cases: list[dict[str, Any]] = [{}] if whole else []
    cases.append({"dim": 0})
    cases.append({"dim": -1, "keepdim": True} if keepdim else {"dim": -1})
    if ndim >= 3:
        cases.append({"dim": 1})
    if tuples and ndim >= 2:
        cases.append({"dim": (0, -1)})
        cases.append({"dim": (-1, 0), "keepdim": True} if keepdim else {"dim": (-1, -2)})
    return cases


def reduced(shape: tuple[int, ...], kw: dict[str, Any]) -> list[int]:
    """Sizes of the dims a sample reduces."""
    d = kw.get("dim")
    if d is None or not shape:
        return list(shape) if shape else [1]
    dims = d if isinstance(d, tuple | list) else (d,)
    return [shape[i] for i in dims]


def empty_reduction(shape: tuple[int, ...], kw: dict[str, Any]) -> bool:
    """The sample reduces an empty dim (max-like ops have no identity there)."""
    return 0 in reduced(shape, kw) or (0 in shape and kw.get("dim") is None)


def red_samples(
    *,
    tuples: bool = True,
    whole: bool = True,
    keepdim: bool = True,
    extra: Sequence[dict[str, Any]] = ({},),
    shapes: Sequence[tuple[int, ...]] = SHAPES,
    skip: Skip | None = None,
    low: float = -3,
    high: float = 3,
    special: Callable[[Any, np.random.Generator], list[Sample]] | None = None,
) -> Callable[[Any, np.random.Generator], list[Sample]]:
    """One sample per shape x dim case x ``extra`` kwargs (minus ``skip``), plus ``special(dtype, rng)``."""

    def f(dtype: Any, rng: np.random.Generator) -> list[Sample]:
        out = []
        for s in shapes:
            for dk in dim_cases(len(s), tuples, whole, keepdim):
                for ek in extra:
                    kw = {**dk, **ek}
                    if skip is not None and skip(s, kw):
                        continue
                    out.append(Sample((make(s, dtype, rng, low, high),), kw, name=f"{list(s)} {kw}"))
        if special is not None:
            out.extend(special(dtype, rng))
        return out

    return f


def ties(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    """Forward-only samples with many ties (more elements than gradcheck takes)."""
    a = make((5, 6), dtype, rng, 0, 3)
    return [Sample((a,), {}, name="ties"), Sample((a,), {"dim": 1}, name="ties dim 1")]


def zeros_special(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    """Inputs with one and with two zeros (the zero-safe product gradients)."""
    one = np.array([[1.5, 0.0, 2.0], [0.5, -1.0, 3.0]]).astype(dtype.np)
    two = np.array([[0.0, 2.0, 0.0, -1.5]]).astype(dtype.np)
    return [
        Sample((one,), {}, name="one zero"),
        Sample((one,), {"dim": 1}, name="one zero dim 1"),
        Sample((two,), {"dim": -1}, name="two zeros"),
        Sample((two,), {}, name="two zeros whole"),
    ]


def nan_special(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    """NaNs, including an all-NaN row (5 x 6: more elements than gradcheck takes)."""
    a = make((5, 6), dtype, rng)
    if dtype.is_floating_point:
        a[0, 1] = a[2, 0] = a[2, 3] = np.nan
        a[1, :] = np.nan
    return [Sample((a,), {}, name="nan"), Sample((a,), {"dim": 1}, name="nan dim 1")]


def _axis(a: np.ndarray, dim: Any) -> Any:
    if dim is None or a.ndim == 0:
        return None
    return tuple(dim) if isinstance(dim, tuple | list) else dim


def np_reduce(fn: Callable[..., Any], cast: Any = None) -> Callable[..., Any]:
    """A NumPy reference ``fn(a, axis=, keepdims=)`` taking torch's ``dim`` / ``keepdim``."""

    def ref(a: np.ndarray, dim: Any = None, keepdim: bool = False, **kw: Any) -> Any:
        x = a.astype(cast) if cast is not None else a
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # NumPy warns on empty / all-NaN slices
            r = fn(x, axis=_axis(a, dim), keepdims=keepdim)
        return np.asarray(r)

    return ref


def np_var(sqrt: bool) -> Callable[..., Any]:
    def ref(a: np.ndarray, dim: Any = None, keepdim: bool = False, correction: float = 1, unbiased: Any = None) -> Any:
        c = (1 if unbiased else 0) if unbiased is not None else correction
        f = np.std if sqrt else np.var
        return np.asarray(f(a.astype(np.float64), axis=_axis(a, dim), keepdims=keepdim, ddof=c))

    return ref


def np_logsumexp(a: np.ndarray, dim: Any, keepdim: bool = False) -> Any:
    ax = _axis(a, dim)
    x = a.astype(np.float64)
    m = np.max(x, axis=ax, keepdims=True) if x.size else 0.0
    with np.errstate(divide="ignore"):
        r = np.log(np.sum(np.exp(x - m), axis=ax, keepdims=True)) + m
    return r if keepdim else (r.reshape(()) if ax is None else np.squeeze(r, axis=ax))


def np_norm(a: np.ndarray, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Any:
    p = 2 if p == "fro" else p
    x = np.abs(a.astype(np.float64))
    ax = _axis(a, dim)
    with np.errstate(all="ignore"):
        if p == np.inf:
            r = np.max(x, axis=ax, keepdims=keepdim)
        elif p == -np.inf:
            r = np.min(x, axis=ax, keepdims=keepdim)
        elif p == 0:
            r = np.sum(x != 0, axis=ax, keepdims=keepdim)
        else:
            r = np.sum(x**p, axis=ax, keepdims=keepdim) ** (1.0 / p)
    return np.asarray(r)


def np_scan(fn: Callable[..., Any]) -> Callable[..., Any]:
    def ref(a: np.ndarray, dim: int, dtype: Any = None) -> Any:
        if a.ndim == 0:
            return a
        x = a.astype(np.float64) if a.dtype.kind == "f" else a.astype(np.int64)
        return fn(x, axis=dim)

    return ref


def dim_errors(name: str, extra: dict[str, Any] | None = None, tuples: bool = True) -> Callable[[], list[ErrorSample]]:
    """dim out of range -> IndexError naming the range; a repeated dim -> RuntimeError; a str dim -> TypeError."""

    def f() -> list[ErrorSample]:
        a = np.zeros((2, 3), np.float32)
        kw = dict(extra or {})
        out = [
            ErrorSample(Sample((a,), {"dim": 2, **kw}), IndexError, r"range of \[-2, 1\].*got 2"),
            ErrorSample(Sample((a,), {"dim": -3, **kw}), IndexError, r"range of \[-2, 1\].*got -3"),
            ErrorSample(Sample((a,), {"dim": "x", **kw}), TypeError, rf"{name}.*dim"),
            ErrorSample(Sample(("not a tensor",), {"dim": 0, **kw}), TypeError, rf"{name}"),
        ]
        if tuples:
            out.append(ErrorSample(Sample((a,), {"dim": (0, -2), **kw}), RuntimeError, r"dim 0 appears multiple times"))
        return out

    return f


def _maxlike_errors(name: str, whole: bool) -> Callable[[], list[ErrorSample]]:
    def f() -> list[ErrorSample]:
        e = np.zeros((0, 3), np.float32)
        out = dim_errors(name, tuples=name in ("amax", "amin"))()
        out.append(
            ErrorSample(Sample((e,), {"dim": 0}), IndexError, rf"{name}\(\): Expected reduction dim 0 to have non-zero")
        )
        if whole:
            out.append(
                ErrorSample(Sample((e,), {}), RuntimeError, rf"{name}\(\): Expected reduction dim to be specified")
            )
        return out

    return f


def _var_skip(s: tuple[int, ...], kw: dict[str, Any]) -> bool:
    n = int(np.prod(reduced(s, kw)))
    c = kw.get("correction", 1 if kw.get("unbiased", True) else 0)
    return n - c <= 0 or 0 in s  # torch warns (degrees of freedom <= 0): checked in test_reduction.py


def _no_empty_norm(p: Any) -> Skip:
    return lambda s, kw: (p == np.inf or p == -np.inf or (not isinstance(p, str) and p < 0)) and empty_reduction(s, kw)


_NORM_PS: tuple[Any, ...] = ("fro", 1, 2, 3, 0.5, np.inf, -np.inf, 0, -1.5)
_NORM_EXTRA = tuple({"p": p} for p in _NORM_PS)
_SUM_ALL = (rt.bool, *INTS, *FLOATS_HALF)


def _torch_vector_norm(*args: Any, **kwargs: Any) -> Any:
    import torch

    return torch.linalg.vector_norm(*args, **kwargs)


def _norm_skip(s: tuple[int, ...], kw: dict[str, Any]) -> bool:
    if isinstance(kw.get("dim"), tuple) and len(kw["dim"]) > 2:
        return True
    return _no_empty_norm(kw.get("p", kw.get("ord")))(s, kw)


def _vnorm_skip(s: tuple[int, ...], kw: dict[str, Any]) -> bool:
    return _no_empty_norm(kw.get("ord", 2))(s, kw)


def _norm_errors() -> list[ErrorSample]:
    i = np.zeros((2, 3), np.int64)
    e = np.zeros((0, 3), np.float32)
    return [
        ErrorSample(Sample((i,), {}), RuntimeError, r"vector_norm: Expected a floating point.*int64"),
        ErrorSample(Sample((e,), {"p": np.inf}), RuntimeError, r"cannot compute the inf norm on an empty tensor"),
        ErrorSample(Sample((e,), {"p": -1, "dim": 0}), RuntimeError, r"cannot compute the -1 norm on the dimension 0"),
        ErrorSample(Sample((np.zeros(3, np.float32),), {"p": "bad"}), RuntimeError, r"norm\(\).*'bad'"),
        ErrorSample(Sample((np.zeros((2, 3), np.float32),), {"dim": 2}), IndexError, r"range of \[-2, 1\]"),
    ]


def _vnorm_errors() -> list[ErrorSample]:
    a = np.zeros((2, 3), np.float32)
    return [
        ErrorSample(Sample((a, "fro")), TypeError, r"vector_norm.*ord.*str"),
        ErrorSample(Sample((a,), {"dtype": rt.int64}), RuntimeError, r"dtype should be floating point"),
        ErrorSample(Sample((a,), {"dtype": rt.float16}), RuntimeError, r"without narrowing.*float16"),
    ]


def _scan_errors(name: str) -> Callable[[], list[ErrorSample]]:
    def f() -> list[ErrorSample]:
        a = np.zeros((2, 3), np.float32)
        return [
            ErrorSample(Sample((a, 2)), IndexError, rf"{name}.*range of \[-2, 1\].*got 2"),
            ErrorSample(Sample((a, (0, 1))), TypeError, rf"{name}.*dim.*tuple"),
        ]

    return f


def scan_samples(extra: Sequence[dict[str, Any]] = ({},), special: Any = None) -> Callable[..., list[Sample]]:
    def f(dtype: Any, rng: np.random.Generator) -> list[Sample]:
        out = []
        for s in SHAPES:
            for d in sorted({0, -1, len(s) // 2} if s else {0, -1}):
                for ek in extra:
                    out.append(Sample((make(s, dtype, rng), d), dict(ek), name=f"{list(s)} dim {d} {ek}"))
        if special is not None:
            out.extend(special(dtype, rng))
        return out

    return f


def _cumprod_zeros(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    a = np.array([[2.0, 0.0, 3.0, -1.5], [0.5, 1.5, 0.0, 0.0], [1.0, 2.0, -0.5, 0.0]]).astype(dtype.np)
    return [Sample((a, 1), name="zeros dim 1"), Sample((a, 0), name="zeros dim 0")]


def _mean_errors() -> list[ErrorSample]:
    return [
        *dim_errors("mean")(),
        ErrorSample(Sample((np.zeros(3, np.int64),)), RuntimeError, r"mean\(\): could not infer output dtype.*int64"),
    ]


def _var_errors() -> list[ErrorSample]:
    return [
        *dim_errors("var")(),
        ErrorSample(Sample((np.zeros(3, np.int64),)), RuntimeError, r"var\(\).*floating point.*int64"),
    ]


OPS: list[OpInfo] = [
    OpInfo(
        "sum",
        red_samples(extra=({}, {"dtype": rt.float64}), special=nan_special),
        ref=np_reduce(np.sum),
        dtypes=_SUM_ALL,
        errors=dim_errors("sum"),
    ),
    OpInfo(
        "mean",
        red_samples(extra=({}, {"dtype": rt.float64})),
        ref=np_reduce(np.mean, np.float64),
        dtypes=FLOATS_HALF,
        errors=_mean_errors,
    ),
    OpInfo(
        "prod",
        red_samples(tuples=False, special=zeros_special, low=-1.5, high=1.5),
        ref=np_reduce(np.prod),
        dtypes=(rt.bool, *NUMERIC),
        errors=dim_errors("prod", tuples=False),
    ),
    OpInfo(
        "nansum", red_samples(special=nan_special), ref=np_reduce(np.nansum), dtypes=(*FLOATS_HALF, rt.int8, rt.int64)
    ),
    OpInfo("nanmean", red_samples(special=nan_special), ref=np_reduce(np.nanmean, np.float64), dtypes=FLOATS_HALF),
    OpInfo(
        "logsumexp",
        red_samples(whole=False),
        ref=np_logsumexp,
        dtypes=(*FLOATS_HALF, rt.int64),
        errors=dim_errors("logsumexp"),
    ),
    OpInfo("all", red_samples(extra=({}, {"dim": ()})), ref=None, dtypes=ALL, grad=False, errors=dim_errors("all")),
    OpInfo("any", red_samples(), ref=np_reduce(np.any), dtypes=ALL, grad=False, errors=dim_errors("any")),
    OpInfo(
        "count_nonzero",
        red_samples(keepdim=False),
        ref=None,
        dtypes=ALL,
        grad=False,
        errors=dim_errors("count_nonzero"),
    ),
    OpInfo(
        "max",
        red_samples(tuples=False, skip=empty_reduction, special=ties),
        dtypes=ALL,
        errors=_maxlike_errors("max", True),
    ),
    OpInfo(
        "min",
        red_samples(tuples=False, skip=empty_reduction, special=ties),
        dtypes=ALL,
        errors=_maxlike_errors("min", True),
    ),
    OpInfo(
        "amax",
        red_samples(skip=empty_reduction, special=ties),
        ref=np_reduce(np.max),
        dtypes=ALL,
        errors=_maxlike_errors("amax", True),
    ),
    OpInfo(
        "amin",
        red_samples(skip=empty_reduction, special=ties),
        ref=np_reduce(np.min),
        dtypes=ALL,
        errors=_maxlike_errors("amin", True),
    ),
    OpInfo(
        "argmax",
        red_samples(tuples=False, skip=empty_reduction),
        dtypes=NUMERIC,
        grad=False,
        errors=_maxlike_errors("argmax", False),
    ),
    OpInfo(
        "argmin",
        red_samples(tuples=False, skip=empty_reduction),
        dtypes=NUMERIC,
        grad=False,
        errors=_maxlike_errors("argmin", False),
    ),
    OpInfo("aminmax", red_samples(tuples=False, skip=empty_reduction), dtypes=(rt.bool, *NUMERIC)),
    OpInfo(
        "var",
        red_samples(extra=({}, {"correction": 0}, {"unbiased": False}, {"correction": 2}), skip=_var_skip),
        ref=np_var(False),
        dtypes=FLOATS_HALF,
        errors=_var_errors,
    ),
    OpInfo(
        "std",
        red_samples(extra=({}, {"correction": 0}, {"correction": 2}), skip=_var_skip),
        ref=np_var(True),
        dtypes=FLOATS_HALF,
        errors=dim_errors("std"),
    ),
    OpInfo("var_mean", red_samples(extra=({}, {"correction": 0}), skip=_var_skip), dtypes=FLOATS, method=False),
    OpInfo("std_mean", red_samples(extra=({}, {"unbiased": False}), skip=_var_skip), dtypes=FLOATS, method=False),
    OpInfo(
        "norm",
        red_samples(extra=_NORM_EXTRA, skip=_norm_skip, low=-2, high=2),
        ref=np_norm,
        dtypes=FLOATS_HALF,
        errors=_norm_errors,
        tol={rt.float16: (2e-2, 2e-2)},
    ),
    OpInfo(
        "linalg.vector_norm",
        red_samples(
            extra=(*({"ord": p} for p in _NORM_PS[1:]), {"dtype": rt.float64}), skip=_vnorm_skip, low=-2, high=2
        ),
        op=vector_norm,
        torch_op=_torch_vector_norm,
        dtypes=FLOATS_HALF,
        method=False,
        errors=_vnorm_errors,
        tol={rt.float16: (2e-2, 2e-2)},
    ),
    OpInfo(
        "cumsum",
        scan_samples(extra=({}, {"dtype": rt.float64})),
        ref=np_scan(np.cumsum),
        dtypes=_SUM_ALL,
        errors=_scan_errors("cumsum"),
    ),
    OpInfo(
        "cumprod",
        scan_samples(special=_cumprod_zeros),
        ref=np_scan(np.cumprod),
        dtypes=(rt.bool, *NUMERIC),
        errors=_scan_errors("cumprod"),
    ),
    OpInfo("cummax", scan_samples(), dtypes=(rt.bool, *NUMERIC), errors=_scan_errors("cummax")),
    OpInfo("cummin", scan_samples(), dtypes=(rt.bool, *NUMERIC), errors=_scan_errors("cummin")),
    OpInfo("logcumsumexp", scan_samples(), dtypes=FLOATS_HALF, errors=_scan_errors("logcumsumexp")),
]
