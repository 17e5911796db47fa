"""The in-place writers ``Tensor.zero_``, ``Tensor.fill_`` and ``Tensor.copy_`` (through ``_registry.inplace``).

Unlike arithmetic in-place ops they cast to the destination's dtype whatever it is (``int_tensor.fill_(1.5)``
writes 1, ``int_tensor.copy_(float_tensor)`` truncates), as torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _make
from ._registry import inplace

__all__: list[str] = []


def _constant(target: Tensor, value: Any) -> Tensor:
    """``value`` cast to ``target``'s dtype, broadcast (a view, no copy) to ``target``'s shape."""
    a = np.asarray(value).astype(target._data.dtype, casting="unsafe")
    return _make(np.broadcast_to(a, target._data.shape))


def _zero(target: Tensor) -> Tensor:
    return _constant(target, 0)


def _fill(target: Tensor, value: Any) -> Tensor:
    if isinstance(value, Tensor):
        return value.to(target.dtype).expand(target.shape)  # type: ignore[no-any-return]
    return _constant(target, value)


def _copy(target: Tensor, src: Any) -> Tensor:
    return src.to(target.dtype).expand(target.shape)  # type: ignore[no-any-return]


def zero_(self: Tensor) -> Tensor:
    """Fill ``self`` with zeros in place, as ``torch.Tensor.zero_``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([1.0, 2.0]); x.zero_()
    tensor([0., 0.])
    """
    return inplace(self, "zero_", _zero)


def fill_(self: Tensor, value: Any) -> Tensor:
    """Fill ``self`` with ``value`` (a number or a 0-d tensor), cast to ``self``'s dtype, as ``torch.Tensor.fill_``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.zeros(3, dtype=rt.int64).fill_(2.7)
    tensor([2, 2, 2])
    """
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with {value._data.ndim} dimensions."
            )
    elif not isinstance(value, bool | int | float | np.number | np.bool_):
        raise TypeError(f"fill_(): argument 'value' must be Number or Tensor, not {type(value).__name__}")
    return inplace(self, "fill_", _fill, value)


def copy_(self: Tensor, src: Tensor, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` into ``self`` in place, broadcasting it and casting to ``self``'s dtype, as ``torch.Tensor.copy_``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.zeros(2, 3, dtype=rt.int32)
    >>> x.copy_(rt.tensor([1.9, -2.5, 3.0]))
    tensor([[ 1, -2,  3],
            [ 1, -2,  3]], dtype=rustytorch.int32)
    """
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
    ss, ds = src._data.shape, self._data.shape
    if ss != ds:
        try:
            ok = np.broadcast_shapes(ss, ds) == ds
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(
                f"copy_: the source of shape {list(ss)} can't be broadcast to the destination shape {list(ds)}"
            )
    return inplace(self, "copy_", _copy, src)


Tensor.zero_ = zero_  # type: ignore[attr-defined]
Tensor.fill_ = fill_  # type: ignore[attr-defined]
Tensor.copy_ = copy_  # type: ignore[attr-defined]
