"""Gradient clipping, as ``torch.nn.utils``."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from .._location import user_location
from .._tensor import Tensor, _make

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]

_BLAS = (np.dtype(np.float32), np.dtype(np.float64))


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in params if p.grad is not None]


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scale gradients in place so their joint norm is at most ``max_norm``; returns the norm before clipping.

    As ``torch.nn.utils.clip_grad_norm_``: the scale is ``max_norm / (norm + 1e-6)`` clamped to 1.

    Examples
    --------
    >>> import rustytorch as rt
    >>> w = rt.nn.Parameter(rt.zeros(2)); w.grad = rt.tensor([3.0, 4.0])
    >>> rt.nn.utils.clip_grad_norm_([w], 1.0), w.grad
    (tensor(5.), tensor([0.6000, 0.8000]))
    """
    grads = _grads(parameters)
    if not grads:
        return _make(np.asarray(0.0, dtype=np.float32))
    norm_type = float(norm_type)
    dtype = grads[0]._data.dtype
    total = None
    if norm_type == float("inf"):
        norms = [np.abs(g._data).max() if g._data.size else 0.0 for g in grads]
        total = np.max(np.asarray(norms, dtype=dtype))
    elif norm_type == 2.0 and all(g._data.dtype in _BLAS for g in grads):
        # the common case: each squared norm as one BLAS dot product (float64 sums across parameters);
        # an overflow of a float32 sum of squares falls back to the float64 path below
        sq = 0.0
        with np.errstate(over="ignore", invalid="ignore"):
            for g in grads:
                v = g._data.reshape(-1)
                sq += float(np.dot(v, v))
        if math.isfinite(sq):
            total = math.sqrt(sq)
    if total is None:
        norms = [np.sum(np.abs(g._data.astype(np.float64)) ** norm_type) ** (1.0 / norm_type) for g in grads]
        total = np.sum(np.asarray(norms) ** norm_type) ** (1.0 / norm_type)
    total = np.asarray(total, dtype=dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            f"clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            f"`error_if_nonfinite=False`"
        )
    coef = min(float(max_norm) / (float(total) + 1e-6), 1.0)
    write = ("clip_grad_norm_", user_location())  # what _bump_version records, found once
    for g in grads:
        if coef != 1.0:  # multiplying by 1 changes nothing (torch multiplies anyway)
            g._data *= np.asarray(coef, dtype=g._data.dtype)
        storage = g._get_storage()
        storage.version += 1
        storage.last_write = write
    return _make(total)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient element to ``[-clip_value, clip_value]`` in place.

    Examples
    --------
    >>> import rustytorch as rt
    >>> w = rt.nn.Parameter(rt.zeros(2)); w.grad = rt.tensor([3.0, -0.5])
    >>> rt.nn.utils.clip_grad_value_([w], 1.0); w.grad
    tensor([ 1.0000, -0.5000])
    """
    for g in _grads(parameters):
        np.clip(g._data, -clip_value, clip_value, out=g._data)
        g._bump_version("clip_grad_value_")


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated (a copy, outside the graph).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.utils.parameters_to_vector([rt.ones(2), rt.zeros(1)])
    tensor([1., 1., 0.])
    """
    return _make(np.concatenate([p._data.reshape(-1) for p in parameters]))


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into ``parameters`` in place, as torch's.

    Examples
    --------
    >>> import rustytorch as rt
    >>> a, b = rt.zeros(2), rt.zeros(1)
    >>> rt.nn.utils.vector_to_parameters(rt.tensor([1.0, 2.0, 3.0]), [a, b]); a, b
    (tensor([1., 2.]), tensor([3.]))
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    from ..autograd.grad_mode import no_grad

    offset = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            p.copy_(vec[offset : offset + n].reshape(p.shape))  # type: ignore[attr-defined]
            offset += n
