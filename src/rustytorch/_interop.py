"""Interoperability: the DLPack protocol (``Tensor.__dlpack__``, ``rt.from_dlpack``) for zero-copy exchange
with NumPy, PyTorch and any other DLPack producer/consumer, and the tensor queries ``is_floating_point``,
``is_nonzero`` and ``numel``.

A tensor's elements are a NumPy array, and NumPy implements DLPack: exporting delegates to the
array, importing goes through ``np.from_dlpack``. Both share memory (no copy) unless ``copy=True``
is asked for.
"""

from __future__ import annotations

import enum
from typing import Any

import numpy as np

from ._tensor import Tensor, _make
from .ops._registry import register

__all__ = ["from_dlpack", "is_floating_point", "is_nonzero", "numel"]


class DLDeviceType(enum.IntEnum):
    """DLPack device types (only the CPU is used), as ``torch.utils.dlpack.DLDeviceType``."""

    kDLCPU = 1


def _dlpack(
    self: Tensor, *, stream: Any = None, max_version: tuple[int, int] | None = None, dl_device: Any = None,
    copy: bool | None = None,
) -> Any:  # fmt: skip
    """A DLPack capsule of this tensor's memory (Python array API / DLPack protocol), as ``torch.Tensor.__dlpack__``.

    The consumer (``np.from_dlpack``, ``torch.from_dlpack``, ...) shares the memory unless
    ``copy=True``. A tensor that requires grad is refused, as in torch (export ``t.detach()``).

    Examples
    --------
    >>> import numpy as np, rustytorch as rt
    >>> t = rt.zeros(3); a = np.from_dlpack(t); a[0] = 5; t
    tensor([5., 0., 0.])
    """
    if self._requires_grad:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    if stream is not None and stream != -1:
        raise BufferError(f"__dlpack__: stream must be None for a CPU tensor, got {stream!r}")
    a = self._data
    if a.dtype.name == "bfloat16":
        raise BufferError("__dlpack__: exporting bfloat16 tensors is not supported (NumPy's DLPack has no bfloat16)")
    kw: dict[str, Any] = {}
    if max_version is not None:
        kw["max_version"] = max_version
    if dl_device is not None:
        kw["dl_device"] = dl_device
    if copy is not None:
        kw["copy"] = copy
    return a.__dlpack__(**kw)


def _dlpack_device(self: Tensor) -> tuple[DLDeviceType, int]:
    """The DLPack device of this tensor: always ``(kDLCPU, 0)``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.zeros(1).__dlpack_device__()
    (<DLDeviceType.kDLCPU: 1>, 0)
    """
    return DLDeviceType.kDLCPU, 0


Tensor.__dlpack__ = _dlpack  # type: ignore[attr-defined]
Tensor.__dlpack_device__ = _dlpack_device  # type: ignore[attr-defined]


class _Capsule:
    """Wraps a legacy ``dltensor`` capsule so that ``np.from_dlpack`` (which wants an object) accepts it."""

    def __init__(self, capsule: Any) -> None:
        self._capsule = capsule

    def __dlpack__(self, **_kw: Any) -> Any:
        return self._capsule

    def __dlpack_device__(self) -> tuple[int, int]:
        return 1, 0


def _from_torch_bfloat16(ext: Any) -> np.ndarray | None:
    """torch bfloat16 tensors: DLPack has no bfloat16 in NumPy, so share them as int16 and reinterpret."""
    if type(ext).__module__.startswith("torch") and str(getattr(ext, "dtype", "")) == "torch.bfloat16":
        import torch

        from . import _dtype

        return np.from_dlpack(ext.view(torch.int16)).view(_dtype.bfloat16.np)
    return None


def from_dlpack(ext_tensor: Any) -> Tensor:
    """A tensor sharing memory with ``ext_tensor``: any object with ``__dlpack__`` (a NumPy array, a torch
    tensor, ...) or a legacy DLPack capsule, as ``torch.from_dlpack``.

    Examples
    --------
    >>> import numpy as np, rustytorch as rt
    >>> a = np.arange(3.0); t = rt.from_dlpack(a); t[1] = 7; a
    array([0., 7., 2.])
    """
    if isinstance(ext_tensor, Tensor):
        t = _make(ext_tensor._data)
        t._storage = ext_tensor._get_storage()
        t._base = ext_tensor._base
        return t
    if type(ext_tensor).__name__ == "PyCapsule":
        ext_tensor = _Capsule(ext_tensor)
    if not hasattr(ext_tensor, "__dlpack__"):
        raise TypeError(f"from_dlpack: expected an object with __dlpack__ or a DLPack capsule, got "
                        f"{type(ext_tensor).__name__}")  # fmt: skip
    arr = _from_torch_bfloat16(ext_tensor)
    if arr is None:
        arr = np.from_dlpack(ext_tensor)
    from ._dtype import from_numpy_dtype

    from_numpy_dtype(arr.dtype)  # TypeError for dtypes rustytorch has no counterpart of (uint16, complex...)
    return _make(arr)


def _check(op: str, x: Any) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")


@register(method=False)
def is_floating_point(input: Tensor) -> bool:
    """Whether ``input``'s dtype is a floating type, as ``torch.is_floating_point``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.is_floating_point(rt.zeros(1)), rt.is_floating_point(rt.tensor([1]))
    (True, False)
    """
    _check("is_floating_point", input)
    return input.dtype.is_floating_point


@register
def is_nonzero(input: Tensor) -> bool:
    """Whether a one-element tensor is non-zero, as ``torch.is_nonzero`` (RuntimeError for other sizes).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.is_nonzero(rt.tensor([0.0])), rt.is_nonzero(rt.tensor(3))
    (False, True)
    """
    _check("is_nonzero", input)
    n = input._data.size
    if n == 0:
        raise RuntimeError("is_nonzero: Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("is_nonzero: Boolean value of Tensor with more than one value is ambiguous")
    return bool(input._data.reshape(()) != 0)


@register(method=False)
def numel(input: Tensor) -> int:
    """The number of elements of ``input``, as ``torch.numel``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.numel(rt.zeros(2, 3))
    6
    """
    _check("numel", input)
    return int(input._data.size)
