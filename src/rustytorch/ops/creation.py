"""Creation functions: ``tensor``, ``zeros``, ``ones``, ``full``, ``empty``, ``arange``, NumPy interop."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype
from .._dtype import get_default_dtype, to_dtype
from .._tensor import Tensor, _make, device
from ._registry import register
from .movement import parse_shape

__all__ = [
    "tensor",
    "as_tensor",
    "from_numpy",
    "zeros",
    "ones",
    "empty",
    "full",
    "zeros_like",
    "ones_like",
    "empty_like",
    "full_like",
    "arange",
]


def _infer_array(data: Any) -> np.ndarray:
    """torch.tensor's dtype inference: Python floats -> default dtype, ints -> int64, bools -> bool."""
    if isinstance(data, Tensor):
        return data._data.copy()
    if isinstance(data, np.ndarray):
        _dtype.from_numpy_dtype(data.dtype)
        return data.copy()
    if isinstance(data, np.generic):
        return np.array(data)
    if isinstance(data, list | tuple) and _has_tensor(data):
        data = _tensors_to_lists(data)
    try:
        a = np.array(data)
    except ValueError as e:
        raise ValueError(f"tensor: expected a sequence of equal-length sequences of numbers ({e})") from None
    k = a.dtype.kind
    if k == "f":
        return a.astype(get_default_dtype().np) if _from_py_floats(data) else a
    if k in "iub":
        return a if k != "u" or a.dtype != np.uint64 else a.astype(np.int64)
    if k == "O" or k == "U" or k == "S":
        raise TypeError(f"tensor: can't build a tensor from {type(data).__name__} of {a.dtype} elements; expected numbers")
    if k == "c":
        raise TypeError("tensor: complex numbers are not supported by rustytorch")
    return a


def _has_tensor(x: Any) -> bool:
    if isinstance(x, Tensor):
        return True
    if isinstance(x, list | tuple):
        return any(_has_tensor(v) for v in x)
    return False


def _tensors_to_lists(x: Any) -> Any:
    if isinstance(x, Tensor):
        return x._data.astype(np.float64).tolist() if x._data.dtype.kind == "f" else x.tolist()
    if isinstance(x, list | tuple):
        return [_tensors_to_lists(v) for v in x]
    return x


def _from_py_floats(data: Any) -> bool:
    """Whether the float elements came from Python floats (not NumPy float64 scalars)."""
    while isinstance(data, list | tuple) and data:
        data = data[0]
    return not isinstance(data, np.floating) or isinstance(data, float)


def _finish(a: np.ndarray, dtype: Any, requires_grad: bool) -> Tensor:
    if dtype is not None:
        dt = to_dtype(dtype).np
        if a.dtype != dt:
            a = a.astype(dt)
    t = _make(a)
    if requires_grad:
        t.requires_grad_(True)
    return t


@register(method=False)
def tensor(data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A new tensor with a copy of ``data`` (nested lists, scalars, NumPy arrays or tensors), as ``torch.tensor``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.tensor([[1, 2], [3, 4]]).dtype, rt.tensor([1.5]).dtype, rt.tensor(True).dtype
    (rustytorch.int64, rustytorch.float32, rustytorch.bool)
    """
    _check_device(device)
    return _finish(_infer_array(data), dtype, requires_grad)


def _tensor_ctor(cls: type, *args: Any, **kwargs: Any) -> Tensor:
    """``rt.Tensor(data)`` (default float dtype) or ``rt.Tensor(2, 3)`` (uninitialised)."""
    if len(args) == 1 and isinstance(args[0], list | tuple | np.ndarray | Tensor):
        a = _infer_array(args[0]).astype(get_default_dtype().np)
    else:
        a = np.empty(parse_shape(args), dtype=get_default_dtype().np)
    return _make(a, cls=cls)


@register(method=False)
def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing memory with a tensor or NumPy array when no conversion is needed.

    Examples
    --------
    >>> import numpy as np, rustytorch as rt
    >>> a = np.zeros(2); t = rt.as_tensor(a); a[0] = 3; t.tolist()
    [3.0, 0.0]
    """
    _check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray):
        t = from_numpy(data)
        return t if dtype is None else t.to(dtype)
    return tensor(data, dtype=dtype)


@register(method=False)
def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array, as ``torch.from_numpy``.

    Examples
    --------
    >>> import numpy as np, rustytorch as rt
    >>> a = np.arange(3); t = rt.from_numpy(a); t[0] = 7; a.tolist()
    [7, 1, 2]
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    if any(s < 0 for s in ndarray.strides):
        raise ValueError(
            "At least one stride in the given numpy array is negative, and tensors with negative strides are not "
            "currently supported. (You can probably work around this by making a copy of your array  with array.copy().) "
        )
    return _make(ndarray)


def _check_device(dev: Any) -> None:
    if dev is not None:
        device(dev)


def _shape_dtype(size: tuple[Any, ...], dtype: Any, op: str) -> tuple[tuple[int, ...], np.dtype[Any]]:
    shape = parse_shape(size)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"{op}: Trying to create tensor with negative dimension {min(shape)}: {list(shape)}")
    return shape, (get_default_dtype() if dtype is None else to_dtype(dtype)).np


def _creator(name: str, np_fn: Any, doc: str) -> Any:
    def fn(*size: Any, out: Any = None, dtype: Any = None, layout: Any = None, device: Any = None,
           requires_grad: bool = False, pin_memory: bool = False, memory_format: Any = None) -> Tensor:
        _check_device(device)
        shape, dt = _shape_dtype(size, dtype, name)
        return _finish(np_fn(shape, dtype=dt), None, requires_grad)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return register(fn, method=False)


zeros = _creator("zeros", np.zeros, """A tensor filled with 0, as ``torch.zeros``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.zeros(2, 3).shape, rt.zeros((2,), dtype=rt.int64)
    (rustytorch.Size([2, 3]), tensor([0, 0]))
    """)
ones = _creator("ones", np.ones, """A tensor filled with 1, as ``torch.ones``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.ones(2)
    tensor([1., 1.])
    """)
empty = _creator("empty", np.empty, """An uninitialised tensor, as ``torch.empty``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.empty(2, 3).shape
    rustytorch.Size([2, 3])
    """)


@register(method=False)
def full(size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False, out: Any = None) -> Tensor:
    """A tensor filled with ``fill_value``; the dtype is inferred from it as torch does.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.full((2,), 7), rt.full((2,), 0.5)
    (tensor([7, 7]), tensor([0.5000, 0.5000]))
    """
    _check_device(device)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = _dtype.scalar_dtype(fill_value)
    shape, dt = _shape_dtype((size,) if isinstance(size, int) else tuple(size), dtype, "full")
    return _finish(np.full(shape, fill_value, dtype=dt), None, requires_grad)


def _like(name: str, np_fn: Any) -> Any:
    def fn(input: Tensor, *, dtype: Any = None, layout: Any = None, device: Any = None, requires_grad: bool = False,
           memory_format: Any = None) -> Tensor:
        dt = input._data.dtype if dtype is None else to_dtype(dtype).np
        return _finish(np_fn(input._data.shape, dtype=dt), None, requires_grad)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"""A tensor like ``input`` (same shape and dtype unless given) made by ``{name[:-5]}``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.{name}(rt.tensor([1, 2])).shape
    rustytorch.Size([2])
    """
    return register(fn, method=False)


zeros_like = _like("zeros_like", np.zeros)
ones_like = _like("ones_like", np.ones)
empty_like = _like("empty_like", np.empty)


@register(method=False)
def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
              memory_format: Any = None) -> Tensor:
    """A tensor of ``input``'s shape (and dtype unless given) filled with ``fill_value``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.full_like(rt.zeros(2), 3)
    tensor([3., 3.])
    """
    dt = input._data.dtype if dtype is None else to_dtype(dtype).np
    return _finish(np.full(input._data.shape, fill_value, dtype=dt), None, requires_grad)


@register(method=False)
def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False, out: Any = None) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 unless an argument is a float, as ``torch.arange``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.arange(4), rt.arange(0, 1, 0.25)
    (tensor([0, 1, 2, 3]), tensor([0.0000, 0.2500, 0.5000, 0.7500]))
    """
    _check_device(device)
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if vals[2] == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (vals[1] - vals[0]) * vals[2] < 0:
        raise RuntimeError(f"arange: upper bound and larger bound inconsistent with step sign (start={vals[0]}, end={vals[1]}, step={vals[2]})")
    if dtype is None:
        dtype = get_default_dtype() if any(isinstance(v, float) for v in vals) else _dtype.int64
    dt = to_dtype(dtype).np
    n = max(0, int(np.ceil((vals[1] - vals[0]) / vals[2])))
    a = (vals[0] + np.arange(n, dtype=np.float64 if dt.kind == "f" else np.int64) * vals[2]).astype(dt)
    return _finish(a, None, requires_grad)
