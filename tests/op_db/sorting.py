"""Op table rows: sorting (sort, argsort, msort, topk, unique) and order statistics (median, kthvalue, mode)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import rustytorch as rt

from ._base import ALL, FLOATS, FLOATS_HALF, NUMERIC, ErrorSample, OpInfo, Sample, make
from .reduction import SHAPES, dim_errors

_NO_BOOL = NUMERIC


def distinct(shape: tuple[int, ...], dtype: Any, rng: np.random.Generator) -> np.ndarray:
    """An array of distinct values (so every index an op returns is unambiguous, as torch's may differ on ties)."""
    n = int(np.prod(shape))
    if dtype == rt.bool:
        return make(shape, dtype, rng)
    vals: np.ndarray
    if dtype.is_floating_point:
        vals = rng.permutation(n) * 0.75 - n / 3 + rng.uniform(0, 0.5, size=n)
    else:
        vals = rng.permutation(n) - (0 if dtype.name == "uint8" else n // 2)
    return vals.astype(dtype.np).reshape(shape)


def dim_samples(
    extra: Sequence[dict[str, Any]] = ({},),
    *,
    positional: Sequence[Any] = (),
    keepdim: bool = False,
    skip_empty_dim: bool = False,
    skip_empty_int: bool = False,
    special: Callable[[Any, np.random.Generator], list[Sample]] | None = None,
) -> Callable[[Any, np.random.Generator], list[Sample]]:
    """Samples over SHAPES with dim absent, 0 and -1 (+ ``extra`` kwargs) on distinct values."""

    def f(dtype: Any, rng: np.random.Generator) -> list[Sample]:
        out = []
        for s in SHAPES:
            dims: list[dict[str, Any]] = [{}, {"dim": 0}, {"dim": -1, "keepdim": True} if keepdim else {"dim": -1}]
            if len(s) >= 3:
                dims.append({"dim": 1})
            for dk in dims:
                d = dk.get("dim", -1)
                if skip_empty_dim and s and s[d] == 0:
                    continue
                if skip_empty_int and 0 in s and not dtype.is_floating_point:
                    continue  # torch's median of an empty integer tensor is uninitialised memory
                for ek in extra:
                    kw = {**dk, **ek}
                    out.append(Sample((distinct(s, dtype, rng), *positional), kw, name=f"{list(s)} {kw}"))
        if special is not None:
            out.extend(special(dtype, rng))
        return out

    return f


def _nan(dtype: Any, rng: np.random.Generator, all_nan_row: bool = True) -> list[Sample]:
    """NaNs, including an all-NaN row (5 x 6: more elements than gradcheck takes)."""
    a = distinct((5, 6), dtype, rng)
    a[0, 1] = a[2, 0] = a[2, 4] = np.nan
    if all_nan_row:
        a[1, :] = np.nan
    return [Sample((a,), {"dim": 1}, name="nan dim 1"), Sample((a,), {}, name="nan")]


def _nan_median(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    return _nan(dtype, rng) if dtype.is_floating_point else []


def _nan_nanmedian(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    # no all-NaN row with dim: torch's index there is whatever its selection algorithm leaves (test_reduction.py)
    return [*_nan(dtype, rng, all_nan_row=False), _nan(dtype, rng)[1]]


def _mode_ties(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    a = make((4, 7), dtype, rng, 0, 3)  # 28 elements: forward only (more than gradcheck takes)
    return [Sample((a,), {"dim": 1}, name="ties dim 1"), Sample((a,), {"dim": 0, "keepdim": True}, name="ties dim 0")]


def _sort_ties(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    a = make((5, 6), dtype, rng, 0, 3)
    return [
        Sample((a,), {"stable": True}, name="ties stable"),
        Sample((a,), {"dim": 0, "descending": True, "stable": True}, name="ties descending stable"),
    ]


def _sort_nan(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    if not dtype.is_floating_point:
        return _sort_ties(dtype, rng)
    out = _sort_ties(dtype, rng)
    a = distinct((3, 9), dtype, rng)  # more elements than gradcheck takes
    a[0, 1] = a[1, 3] = a[1, 4] = np.nan
    out.append(Sample((a,), {"stable": True}, name="nan"))
    out.append(Sample((a,), {"descending": True, "stable": True}, name="nan descending"))
    return out


def _topk_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    out = []
    for s in ((), (1,), (5,), (3, 4), (2, 3, 2), (0, 3)):
        n_last = s[-1] if s else 1
        for k in sorted({0, 1, n_last}):
            for kw in ({}, {"largest": False}, {"dim": 0} if s and s[0] >= k else None):
                if kw is None:
                    continue
                out.append(Sample((distinct(s, dtype, rng), k), kw, name=f"{list(s)} k={k} {kw}"))
    big = distinct((3, 2000), dtype, rng) if dtype.itemsize >= 4 else None  # the partition path (k << n)
    if big is not None:
        out.append(Sample((big, 5), {}, name="partition largest"))
        out.append(Sample((big, 7), {"largest": False}, name="partition smallest"))
    return out


def _kth_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    out = []
    for s in ((), (1,), (5,), (3, 4), (2, 3, 2)):
        n_last = s[-1] if s else 1
        for k in sorted({1, n_last, (n_last + 1) // 2}):
            out.append(Sample((distinct(s, dtype, rng), k), {}, name=f"{list(s)} k={k}"))
        if len(s) >= 2:
            out.append(Sample((distinct(s, dtype, rng), 1), {"dim": 0, "keepdim": True}, name=f"{list(s)} dim 0"))
    return out


def _unique_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    out = []
    for s in ((), (0,), (1,), (7,), (4, 3), (0, 3)):
        a = make(s, dtype, rng, 0, 3)  # values from {0, 1, 2}: many repeats
        for kw in (
            {},
            {"return_inverse": True},
            {"return_counts": True},
            {"return_inverse": True, "return_counts": True},
        ):
            out.append(Sample((a,), kw, name=f"{list(s)} {kw}"))
        if len(s) == 2 and 0 not in s:
            rows = np.concatenate([a, a[:2]], axis=0)
            for kw_d in ({"dim": 0, "return_inverse": True, "return_counts": True}, {"dim": 1, "return_counts": True}):
                out.append(Sample((rows,), dict(kw_d), name=f"{list(rows.shape)} {kw_d}"))
    return out


def _unique_consecutive_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    out = []
    for s in ((), (0,), (1,), (9,), (5, 2)):
        a = make(s, dtype, rng, 0, 2)
        for kw in ({}, {"return_inverse": True, "return_counts": True}):
            out.append(Sample((a,), kw, name=f"{list(s)} {kw}"))
    a = np.repeat(make((3, 2), dtype, rng, 0, 2), 2, axis=0)
    out.append(Sample((a,), {"dim": 0, "return_inverse": True, "return_counts": True}, name="rows dim 0"))
    return out


def _k_errors(name: str, msg: str) -> Callable[[], list[ErrorSample]]:
    def f() -> list[ErrorSample]:
        a = np.zeros((2, 3), np.float32)
        return [
            ErrorSample(Sample((a, 4)), RuntimeError, msg),
            ErrorSample(Sample((a, -1 if name == "topk" else 0)), RuntimeError, msg),
            ErrorSample(Sample((a, 1), {"dim": 2}), IndexError, r"range of \[-2, 1\].*got 2"),
            ErrorSample(Sample((a, 1.5)), TypeError, rf"{name}.*'k' must be int"),
        ]

    return f


def _topk_errors() -> list[ErrorSample]:
    return [
        *_k_errors("topk", "topk.*k out of range")(),
        ErrorSample(Sample((np.zeros(3, bool), 1)), RuntimeError, "topk.*bool"),
    ]


def _sort_errors(name: str) -> Callable[[], list[ErrorSample]]:
    def f() -> list[ErrorSample]:
        a = np.zeros((2, 3), np.float32)
        return [
            ErrorSample(Sample((a,), {"dim": 2}), IndexError, rf"{name}.*range of \[-2, 1\].*got 2"),
            ErrorSample(Sample((a,), {"dim": (0,)}), TypeError, rf"{name}.*dim.*tuple"),
            ErrorSample(Sample(([1, 2],)), TypeError, rf"{name}.*Tensor"),
        ]

    return f


def _median_errors() -> list[ErrorSample]:
    e = np.zeros((0, 3), np.float32)
    return [
        *_sort_errors("median")(),
        ErrorSample(Sample((e,), {"dim": 0}), IndexError, r"median\(\): Expected reduction dim 0 to have non-zero"),
        ErrorSample(Sample((np.zeros(3, bool),)), NotImplementedError, r"median.*Bool"),
    ]


def _unique_errors() -> list[ErrorSample]:
    return [
        ErrorSample(Sample((np.zeros(3, np.int64),), {"dim": 1}), IndexError, r"unique.*range of \[-1, 0\]"),
        ErrorSample(Sample((np.zeros((0, 3), np.int64),), {"dim": 1}), RuntimeError, r"unique.*0 sized dimensions"),
    ]


def _quantile_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    out = []
    for s in ((), (1,), (5,), (3, 4), (2, 3, 2)):
        for q in (0.3, 0.0, 1.0, np.array([0.25, 0.5, 0.9], dtype=dtype.np)):
            for kw in ({}, {"dim": 0}, {"dim": -1, "keepdim": True}, {"keepdim": True}):
                out.append(Sample((distinct(s, dtype, rng), q), kw, name=f"{list(s)} q={q} {kw}", grad_args=(0,)))
    for mode in ("lower", "higher", "midpoint", "nearest"):
        q = np.array([0.1, 0.5, 0.625], dtype=dtype.np)
        out.append(
            Sample((distinct((3, 5), dtype, rng), q), {"dim": 1, "interpolation": mode}, name=mode, grad_args=(0,))
        )
    return out


def _quantile_nan(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    a = distinct((5, 6), dtype, rng)  # more elements than gradcheck takes
    a[0, 1] = a[2, 0] = a[2, 4] = np.nan
    a[1, :] = np.nan
    q = np.array([0.2, 0.5], dtype=dtype.np)
    return [Sample((a, q), {"dim": 1}, name="nan dim 1"), Sample((a, 0.5), {}, name="nan")]


def _with(extra: Callable[..., list[Sample]], base: Callable[..., list[Sample]]) -> Callable[..., list[Sample]]:
    return lambda dt, rng: base(dt, rng) + extra(dt, rng)


def _quantile_errors(name: str) -> Callable[[], list[ErrorSample]]:
    def f() -> list[ErrorSample]:
        a = np.zeros((2, 3), np.float32)
        return [
            ErrorSample(Sample((a, 1.5)), RuntimeError, rf"{name}\(\) q must be in the range \[0, 1\] but got 1.5"),
            ErrorSample(
                Sample((a.astype(np.int64), 0.5)), RuntimeError, rf"{name}\(\) input tensor must be either float"
            ),
            ErrorSample(Sample((a, np.zeros((1, 1), np.float32))), RuntimeError, r"q must be a scalar or 1D tensor"),
            ErrorSample(Sample((a, np.zeros(1, np.float64))), RuntimeError, r"q tensor must be same dtype"),
            ErrorSample(Sample((np.zeros(0, np.float32), 0.5)), RuntimeError, r"input tensor must be non-empty"),
            ErrorSample(Sample((a, 0.5), {"interpolation": "foo"}), RuntimeError, r"interpolation must be one of.*foo"),
            ErrorSample(Sample((a, 0.5), {"dim": 2}), IndexError, r"range of \[-2, 1\]"),
        ]

    return f


def _search_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    seq = np.sort(distinct((6,), dtype, rng))
    vals = make((3, 4), dtype, rng, -8, 8)
    vals.flat[:3] = seq[:3]  # exact hits: left and right differ
    rows = np.sort(distinct((3, 5), dtype, rng), axis=-1)
    out = [
        Sample((seq, vals)), Sample((seq, vals), {"right": True}), Sample((seq, vals), {"side": "right"}),
        Sample((seq, vals), {"out_int32": True}), Sample((rows, make((3, 2), dtype, rng, -8, 8))),
        Sample((seq, np.asarray(make((), dtype, rng, -8, 8)))), Sample((seq[:0], vals)),
        Sample((rng.permutation(seq), vals), name="sorter"),
    ]  # fmt: skip
    out[-1].kwargs["sorter"] = np.argsort(out[-1].args[0], kind="stable")
    return out


def _bucketize_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    b = np.sort(distinct((5,), dtype, rng))
    x = make((2, 7), dtype, rng, -8, 8)
    x.flat[:2] = b[1:3]
    return [Sample((x, b)), Sample((x, b), {"right": True}), Sample((x[0, 0].copy(), b), {"out_int32": True})]


def _search_errors() -> list[ErrorSample]:
    return [
        ErrorSample(
            Sample((np.zeros((1, 2)), np.zeros((2, 1)))), RuntimeError, r"first N-1 dimensions.*\[1, 2\].*\[2, 1\]"
        ),
        ErrorSample(Sample((np.zeros(2), np.zeros(1)), {"side": "left", "right": True}), RuntimeError, r"opposites"),
    ]


_STABLE = ({"stable": True}, {"descending": True, "stable": True})

OPS: list[OpInfo] = [
    OpInfo("sort", dim_samples(_STABLE, special=_sort_nan), ref=None, dtypes=ALL, errors=_sort_errors("sort")),
    OpInfo("argsort", dim_samples(_STABLE, special=_sort_ties), dtypes=ALL, grad=False, errors=_sort_errors("argsort")),
    OpInfo(
        "msort",
        lambda dt, rng: [Sample((distinct(s, dt, rng),)) for s in ((1,), (5,), (3, 4), (2, 3, 2), (0, 3))],
        ref=lambda a: np.sort(a, axis=0),
        dtypes=ALL,
    ),
    OpInfo("topk", _topk_samples, dtypes=(*NUMERIC,), errors=_topk_errors),
    OpInfo("kthvalue", _kth_samples, dtypes=_NO_BOOL, errors=_k_errors("kthvalue", "kthvalue.*k out of range")),
    OpInfo(
        "median",
        dim_samples(keepdim=True, skip_empty_dim=True, skip_empty_int=True, special=_nan_median),
        dtypes=_NO_BOOL,
        errors=_median_errors,
    ),
    OpInfo("nanmedian", dim_samples(skip_empty_dim=True, special=_nan_nanmedian), dtypes=FLOATS_HALF),
    OpInfo(
        "mode",
        dim_samples(keepdim=True, skip_empty_dim=True, special=_mode_ties),
        dtypes=ALL,
        errors=lambda: dim_errors("mode", tuples=False)()[:2],
    ),
    OpInfo("quantile", _with(_quantile_nan, _quantile_samples), dtypes=FLOATS, errors=_quantile_errors("quantile")),
    OpInfo(
        "nanquantile", _with(_quantile_nan, _quantile_samples), dtypes=FLOATS, errors=_quantile_errors("nanquantile")
    ),
    OpInfo(
        "searchsorted",
        _search_samples,
        dtypes=(rt.uint8, rt.int32, rt.int64, *FLOATS),
        grad=False,
        method=False,
        errors=_search_errors,
    ),
    OpInfo(
        "bucketize",
        _bucketize_samples,
        dtypes=(rt.int64, *FLOATS),
        grad=False,
        method=False,
        errors=lambda: [ErrorSample(Sample((np.zeros(2), np.zeros((1, 2)))), RuntimeError, r"must be 1 dimension")],
    ),
    OpInfo("unique", _unique_samples, dtypes=ALL, grad=False, errors=_unique_errors),
    OpInfo("unique_consecutive", _unique_consecutive_samples, dtypes=(rt.bool, rt.int64, *FLOATS), grad=False),
]
