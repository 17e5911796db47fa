"""quantile / nanquantile: sorted values gathered at the q-ranks and interpolated, as torch (differentiable)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ._registry import register
from .reduction import _check_tensor
from .reduction_common import TakeAlongDim, const
from .sorting import Sort

__all__ = ["quantile", "nanquantile"]

_I64 = np.dtype(np.int64)
_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def _q_values(op: str, q: Any, x: Tensor) -> tuple[np.ndarray, bool]:
    """q as a 1-D float64 array, and whether it was a scalar."""
    if isinstance(q, Tensor):
        qa = q._data
        if qa.ndim > 1:
            raise RuntimeError(f"{op}() q must be a scalar or 1D tensor, got shape {list(qa.shape)}")
        if qa.dtype != x._data.dtype:
            raise RuntimeError(
                f"{op}() q tensor must be same dtype as the input tensor, got {q.dtype!r} and {x.dtype!r}"
            )
        scalar = qa.ndim == 0
        qv = qa.astype(np.float64).reshape(-1)
    elif isinstance(q, int | float | np.integer | np.floating) and not isinstance(q, bool):
        scalar, qv = True, np.array([float(q)])
    else:
        raise TypeError(f"{op}(): argument 'q' must be a float or a Tensor, not {type(q).__name__}")
    bad = qv[(qv < 0) | (qv > 1) | np.isnan(qv)]
    if bad.size:
        raise RuntimeError(f"{op}() q must be in the range [0, 1] but got {bad[0]:g}")
    return qv, scalar


def _quantile(op: str, ignore_nan: bool, x: Any, q: Any, dim: Any, keepdim: bool, interpolation: str) -> Tensor:
    _check_tensor(op, x)
    a = x._data
    if a.dtype.name not in ("float32", "float64"):
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype, got {x.dtype!r}")
    if interpolation not in _MODES:
        raise RuntimeError(
            f"{op}() interpolation must be one of linear, lower, higher, midpoint or nearest, but got {interpolation}"
        )
    qv, scalar = _q_values(op, q, x)
    if a.size == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    in_shape = a.shape
    if dim is None:
        x, d = x.reshape(-1), 0
    else:
        if not isinstance(dim, int | np.integer) or isinstance(dim, bool):
            raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
        d = _wrap_dim(int(dim), a.ndim, op)
        if a.ndim == 0:
            x = x.reshape(1)
    shape = x._data.shape
    n = shape[d]
    srt, _ = Sort.apply(x, d, False)  # NaNs last
    kept = tuple(1 if i == d else s for i, s in enumerate(shape))
    nans = np.count_nonzero(np.isnan(srt._data), axis=d, keepdims=True)
    qk = qv.reshape((-1,) + (1,) * len(shape))  # (Q, 1, ..., 1)
    if ignore_nan:  # ranks over the non-NaN values; all-NaN slices give the last (NaN) element
        valid = n - nans
        ranks = np.where(valid > 0, qk * np.maximum(valid - 1, 0), n - 1)
    else:  # a slice with a NaN gives NaN (the last sorted element)
        ranks = np.where(nans > 0, n - 1, qk * (n - 1) + np.zeros(kept))
    if interpolation == "nearest":
        ranks = np.round(ranks)  # half to even, as torch.round
    lo = np.floor(ranks).astype(_I64)
    hi = np.ceil(ranks).astype(_I64)
    full = (len(qv), *shape)
    src = srt.reshape((1, *shape)).expand(full)
    if interpolation == "lower":
        out = TakeAlongDim.apply(src, lo, d + 1)
    elif interpolation in ("higher", "nearest"):
        out = TakeAlongDim.apply(src, hi if interpolation == "higher" else lo, d + 1)
    else:
        below = TakeAlongDim.apply(src, lo, d + 1)
        above = TakeAlongDim.apply(src, hi, d + 1)
        w = np.full(ranks.shape, 0.5) if interpolation == "midpoint" else ranks - lo
        out = below + (above - below) * const(w.astype(a.dtype))  # linear interpolation between neighbours
    out_shape: tuple[int, ...]
    if dim is None:
        out_shape = (1,) * len(in_shape) if keepdim else ()
    elif keepdim:
        out_shape = tuple(1 if i == d else s for i, s in enumerate(in_shape))
    else:
        out_shape = in_shape[:d] + in_shape[d + 1 :]
    return out.reshape(out_shape if scalar else (len(qv), *out_shape))  # type: ignore[no-any-return]


@register
def quantile(
    input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *, interpolation: str = "linear"
) -> Tensor:
    """The ``q``-quantiles (a float or 1-D tensor in [0, 1]) over ``dim`` (None: all elements), as ``torch.quantile``.

    ``interpolation`` picks between the two neighbouring sorted values: 'linear', 'lower',
    'higher', 'midpoint' or 'nearest'. A slice with a NaN gives NaN (see :func:`nanquantile`).
    A 1-D ``q`` adds a leading dimension. Differentiable (through the selected values).

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([[1.0, 5.0, 2.0, 8.0], [3.0, 0.0, 4.0, 6.0]])
    >>> rt.quantile(x, 0.4, dim=1)
    tensor([2.6000, 3.2000])
    >>> rt.quantile(x[0], rt.tensor([0.25, 0.5]), interpolation="lower")
    tensor([1., 2.])
    """
    return _quantile("quantile", False, input, q, dim, keepdim, interpolation)


@register
def nanquantile(
    input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *, interpolation: str = "linear"
) -> Tensor:
    """:func:`quantile` ignoring NaNs (NaN only for an all-NaN slice), as ``torch.nanquantile``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nanquantile(rt.tensor([3.0, float("nan"), 0.0, 4.0]), 0.5)
    tensor(3.)
    """
    return _quantile("nanquantile", True, input, q, dim, keepdim, interpolation)
