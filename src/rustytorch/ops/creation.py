"""Creation functions: ``tensor``, ``as_tensor``, ``from_numpy``, ``zeros`` / ``ones`` / ``empty`` / ``full``
(+ ``_like`` and ``Tensor.new_*``) and torch's dtype inference. ``arange``, ``linspace``, ``logspace``,
``eye``, ``diag``, ``diag_embed`` and ``meshgrid`` are in ``ops.creation_ranges`` (exported from here).

Keyword arguments follow torch (``dtype=``, ``device=`` - only the CPU -, ``requires_grad=``,
``out=``, ``layout=``/``pin_memory=``/``memory_format=`` accepted and ignored).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype
from .._dtype import get_default_dtype, to_dtype
from .._tensor import Size, Tensor, _make, device
from ._registry import register
from .movement_layout import parse_shape

__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like",
    "full_like", "arange", "linspace", "logspace", "eye", "diag", "diag_embed", "meshgrid",
]  # fmt: skip

_py_bool, _py_int, _py_float = bool, int, float


def _cast(a: np.ndarray, dt: np.dtype[Any]) -> np.ndarray:
    """``a.astype(dt)`` with C casting semantics and no NumPy warnings (1e300 -> inf in float32, as torch)."""
    if a.dtype == dt:
        return a
    with np.errstate(all="ignore"):
        return a.astype(dt)


# ------------------------------------------------------------------ dtype inference of torch.tensor(data)
def _scan(data: Any, found: list[Any]) -> None:
    """Collect the leaf element types (or dtypes of tensors/arrays) of nested sequences."""
    types = set(map(type, data))
    for t in types:
        if t is list or t is tuple:
            for v in data:
                if type(v) is t:
                    _scan(v, found)
        elif issubclass(t, Tensor):
            found.extend({v.dtype for v in data if type(v) is t})
        elif t is np.ndarray:
            found.extend({_dtype.from_numpy_dtype(v.dtype) for v in data if type(v) is t})  # type: ignore[attr-defined]
        else:
            found.append(t)


def _leaf_dtype(t: Any) -> _dtype.dtype:
    if isinstance(t, _dtype.dtype):
        return t
    if t is _py_float:
        return get_default_dtype()
    if t is _py_bool:
        return _dtype.bool
    if t is _py_int:
        return _dtype.int64
    if isinstance(t, type) and issubclass(t, np.generic):
        return _dtype.from_numpy_dtype(t)
    if t is str or t is bytes:
        raise ValueError(f"tensor(): too many dimensions '{t.__name__}' (strings are not numbers)")
    if t is complex:
        raise TypeError("tensor(): complex numbers are not supported by rustytorch")
    raise RuntimeError(f"tensor(): Could not infer dtype of {getattr(t, '__name__', t)}")


def infer_dtype(data: Any) -> _dtype.dtype:
    """torch's dtype of ``tensor(data)``: Python floats -> default dtype, ints -> int64, bools -> bool, NumPy
    scalars/arrays and tensors -> theirs; a sequence promotes its elements' dtypes (``promote_types``)."""
    if isinstance(data, list | tuple):
        if not data:
            return get_default_dtype()
        found: list[Any] = []
        _scan(data, found)
        if not found:  # only empty sublists
            return get_default_dtype()
        d = _leaf_dtype(found[0])
        for t in found[1:]:
            d = _dtype._PROMOTE[d, _leaf_dtype(t)]
        return d
    if isinstance(data, Tensor):
        return data.dtype
    if isinstance(data, np.ndarray):
        return _dtype.from_numpy_dtype(data.dtype)
    return _leaf_dtype(type(data))


def _ragged_error(data: Any) -> Exception:
    """torch's error for nested sequences that are not rectangular (sizes come from the first elements)."""
    sizes = []
    x = data
    while isinstance(x, list | tuple) or (isinstance(x, np.ndarray) and x.ndim):
        sizes.append(len(x))
        if not len(x):
            break
        x = x[0]

    def walk(x: Any, dim: int) -> Exception | None:
        if dim == len(sizes):
            if isinstance(x, list | tuple):
                return TypeError(f"tensor(): expected a number at dim {dim}, got a {type(x).__name__}")
            return None
        if not isinstance(x, list | tuple | np.ndarray):
            return TypeError(f"tensor(): expected a sequence at dim {dim}, got {type(x).__name__} ({x!r})")
        if len(x) != sizes[dim]:
            return ValueError(f"tensor(): expected sequence of length {sizes[dim]} at dim {dim} (got {len(x)})")
        for v in x:
            e = walk(v, dim + 1)
            if e is not None:
                return e
        return None

    return walk(data, 0) or ValueError("tensor(): an integer does not fit in int64 (Overflow when unpacking long long)")


def _unwrap(x: Any) -> Any:
    """Tensors inside nested lists -> their arrays (0-d tensors are scalars, as in torch)."""
    if isinstance(x, Tensor):
        if x._data.ndim:
            raise TypeError(
                f"tensor(): only 0-d tensors can be elements of a list, got one of shape {list(x.shape)} "
                "(use rt.stack to join tensors)"
            )
        return x._data
    if isinstance(x, list | tuple):
        return [_unwrap(v) for v in x]
    return x


def _has_tensor(x: Any) -> bool:
    if isinstance(x, Tensor):
        return True
    if isinstance(x, list | tuple):
        return any(map(_has_tensor, x))
    return False


def _data_array(data: Any, dtype: Any) -> np.ndarray:
    """A fresh array of ``data`` in torch's inferred dtype (or ``dtype``)."""
    if isinstance(data, Tensor):
        a = data._data
        return _cast(a, to_dtype(dtype).np) if dtype is not None else a.copy()
    if isinstance(data, np.ndarray):
        d = _dtype.from_numpy_dtype(data.dtype) if dtype is None else to_dtype(dtype)
        return np.array(data, dtype=d.np) if data.dtype == d.np else _cast(data, d.np)
    if data is None:
        raise RuntimeError("tensor(): Could not infer dtype of NoneType")
    if isinstance(data, str | bytes | dict | set):
        raise TypeError(f"tensor(): invalid data type '{type(data).__name__}'")
    if not isinstance(data, list | tuple | np.generic | _py_bool | _py_int | _py_float) and hasattr(data, "__array__"):
        return _data_array(np.asarray(data), dtype)  # array-likes (torch tensors, ...)
    target = infer_dtype(data)
    d = target if dtype is None else to_dtype(dtype)
    if isinstance(data, list | tuple):
        if _has_tensor(data):
            data = _unwrap(data)
        try:
            a = np.array(data)
        except (ValueError, TypeError):
            raise _ragged_error(data) from None
        if a.dtype == object:
            raise _ragged_error(data)
        if a.dtype.kind == "u" and a.dtype.itemsize == 8:
            raise ValueError("tensor(): an integer does not fit in int64 (Overflow when unpacking long long)")
        return np.array(_cast(a, d.np), copy=False) if a.dtype != d.np else a
    # a scalar
    if d._cat == 1 and isinstance(data, _py_int | np.integer) and not isinstance(data, _py_bool):
        info = np.iinfo(d.np)
        if not info.min <= int(data) <= info.max:
            raise RuntimeError(f"tensor(): value {data} cannot be converted to type {d.name} without overflow")
    return _cast(np.array(data), d.np)


def _finish(a: np.ndarray, dtype: Any, requires_grad: bool) -> Tensor:
    if dtype is not None:
        a = _cast(a, to_dtype(dtype).np)
    t = _make(a)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _check_device(dev: Any) -> None:
    if dev is not None:
        device(dev)


@register(method=False)
def tensor(
    data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False, pin_memory: bool = False
) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested sequences, numbers, NumPy arrays, tensors), as ``torch.tensor``.

    The dtype is torch's: Python floats give the default dtype, ints int64, bools bool, NumPy
    scalars and arrays keep theirs, and mixed elements promote (``[1, 2.5]`` is float32).
    Ragged nested lists raise ValueError.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.tensor([[1, 2], [3, 4]]).dtype, rt.tensor([1, 2.5]).dtype, rt.tensor([True, 1]).dtype
    (rustytorch.int64, rustytorch.float32, rustytorch.int64)
    >>> rt.tensor([1.5, 2], dtype=rt.int32)
    tensor([1, 2], dtype=rustytorch.int32)
    """
    _check_device(device)
    return _finish(_data_array(data, dtype), None, requires_grad)


def _tensor_ctor(cls: type, *args: Any, **kwargs: Any) -> Tensor:
    """The legacy ``rt.Tensor(...)`` constructor: ``Tensor(data)`` (default float dtype), ``Tensor(2, 3)`` or
    ``Tensor(rt.Size([2, 3]))`` (uninitialised), ``Tensor(tensor)`` (an alias of it), as ``torch.Tensor``."""
    if kwargs.keys() - {"device"}:
        raise TypeError(f"Tensor(): unexpected keyword arguments {sorted(kwargs.keys() - {'device'})}")
    _check_device(kwargs.get("device"))
    if len(args) == 1 and isinstance(args[0], Tensor):
        src = args[0]
        t = _make(src._data, cls=cls)
        t._storage = src._get_storage()
        t._base = src._base
        return t
    if len(args) == 1 and not isinstance(args[0], Size) and isinstance(args[0], list | tuple | np.ndarray):
        return _make(_data_array(args[0], get_default_dtype()), cls=cls)
    if len(args) == 1 and isinstance(args[0], float | np.floating):
        raise TypeError(f"Tensor(): data must be a sequence (got {type(args[0]).__name__})")
    shape = _shape(args, "Tensor")
    return _make(np.empty(shape, dtype=get_default_dtype().np), cls=cls)


@register(method=False)
def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing memory with a tensor or NumPy array when no dtype conversion is needed.

    Examples
    --------
    >>> import numpy as np, rustytorch as rt
    >>> a = np.zeros(2); t = rt.as_tensor(a); a[0] = 3; t.tolist()
    [3.0, 0.0]
    >>> rt.as_tensor(a, dtype=rt.float32).dtype
    rustytorch.float32
    """
    _check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None or to_dtype(dtype) is data.dtype else data.to(to_dtype(dtype))  # type: ignore[no-any-return]
    if isinstance(data, np.ndarray):
        t = from_numpy(data)
        return t if dtype is None or to_dtype(dtype) is t.dtype else _make(_cast(data, to_dtype(dtype).np))
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
            "currently supported. (You can probably work around this by making a copy of your array  with "
            "array.copy().) "
        )
    if not ndarray.dtype.isnative:
        raise TypeError(f"from_numpy: can't convert a non-native byte order array (dtype {ndarray.dtype.str})")
    return _make(ndarray)


# ------------------------------------------------------------------ filled tensors
def _shape(size: tuple[Any, ...], op: str) -> tuple[int, ...]:
    try:
        shape = parse_shape(size)
    except TypeError:
        raise TypeError(f"{op}(): argument 'size' must be a tuple of ints, got {size!r}") from None
    if any(s < 0 for s in shape):
        raise RuntimeError(f"{op}: Trying to create tensor with negative dimension {min(shape)}: {list(shape)}")
    return shape


def _shape_dtype(size: tuple[Any, ...], dtype: Any, op: str) -> tuple[tuple[int, ...], np.dtype[Any]]:
    return _shape(size, op), (get_default_dtype() if dtype is None else to_dtype(dtype)).np


def _out(res: Tensor, out: Any, op: str) -> Tensor:
    if out is None:
        return res
    from ._pointwise import to_out

    return to_out(out, res, op)


def _creator(name: str, np_fn: Any, doc: str) -> Any:
    def fn(
        *size: Any,
        out: Any = None,
        dtype: Any = None,
        layout: Any = None,
        device: Any = None,
        requires_grad: bool = False,
        pin_memory: bool = False,
        memory_format: Any = None,
    ) -> Tensor:
        _check_device(device)
        if not size:
            raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
        shape, dt = _shape_dtype(size, dtype, name)
        return _out(_finish(np_fn(shape, dtype=dt), None, requires_grad), out, name)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return register(fn, method=False)


zeros = _creator(
    "zeros",
    np.zeros,
    """A tensor filled with 0 (``zeros(2, 3)`` or ``zeros((2, 3))``), as ``torch.zeros``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.zeros(2, 3).shape, rt.zeros((2,), dtype=rt.int64)
    (rustytorch.Size([2, 3]), tensor([0, 0]))
    """,
)
ones = _creator(
    "ones",
    np.ones,
    """A tensor filled with 1, as ``torch.ones``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.ones(2), rt.ones(1, requires_grad=True)
    (tensor([1., 1.]), tensor([1.], requires_grad=True))
    """,
)
empty = _creator(
    "empty",
    np.empty,
    """An uninitialised tensor, as ``torch.empty``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.empty(2, 3).shape
    rustytorch.Size([2, 3])
    """,
)


def _fill_value(fill_value: Any) -> Any:
    return fill_value.item() if isinstance(fill_value, Tensor) else fill_value


def _full_array(shape: tuple[int, ...], fill_value: Any, dt: np.dtype[Any]) -> np.ndarray:
    if dt.kind in "iu" and isinstance(fill_value, int | np.integer) and not isinstance(fill_value, bool):
        info = np.iinfo(dt)
        if not info.min <= int(fill_value) <= info.max:
            raise RuntimeError(f"full: value {fill_value} cannot be converted to type {dt} without overflow")
    a = np.empty(shape, dtype=dt)
    with np.errstate(all="ignore"):
        a[...] = np.array(fill_value).astype(dt) if not isinstance(fill_value, np.ndarray) else fill_value
    return a


@register(method=False)
def full(
    size: Any,
    fill_value: Any,
    *,
    out: Any = None,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A tensor of shape ``size`` filled with ``fill_value``; the dtype is inferred from it as torch does.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.full((2,), 7), rt.full((2,), 0.5), rt.full((1,), True)
    (tensor([7, 7]), tensor([0.5000, 0.5000]), tensor([True]))
    """
    _check_device(device)
    fill_value = _fill_value(fill_value)
    if dtype is None:
        dtype = _dtype.scalar_dtype(fill_value)
    shape, dt = _shape_dtype((size,) if isinstance(size, int) else tuple(size), dtype, "full")
    return _out(_finish(_full_array(shape, fill_value, dt), None, requires_grad), out, "full")


def _like_dtype(op: str, input: Any, dtype: Any) -> np.dtype[Any]:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return input._data.dtype if dtype is None else to_dtype(dtype).np


def _like(name: str, np_fn: Any) -> Any:
    def fn(
        input: Tensor,
        *,
        dtype: Any = None,
        layout: Any = None,
        device: Any = None,
        requires_grad: bool = False,
        memory_format: Any = None,
    ) -> Tensor:
        _check_device(device)
        dt = _like_dtype(name, input, dtype)
        return _finish(np_fn(input._data.shape, dtype=dt), None, requires_grad)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"""A tensor of ``input``'s shape and dtype (unless ``dtype=``) made as ``{name[:-5]}``, as torch.

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
def full_like(
    input: Tensor,
    fill_value: Any,
    *,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: Any = None,
) -> Tensor:
    """A tensor of ``input``'s shape (and dtype unless given) filled with ``fill_value``, as ``torch.full_like``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.full_like(rt.zeros(2), 3), rt.full_like(rt.zeros(2, dtype=rt.int64), 2.7)
    (tensor([3., 3.]), tensor([2, 2]))
    """
    _check_device(device)
    dt = _like_dtype("full_like", input, dtype)
    return _finish(_full_array(input._data.shape, _fill_value(fill_value), dt), None, requires_grad)


# ------------------------------------------------------------------ Tensor.new_*
def _new_dtype(self: Tensor, dtype: Any) -> np.dtype[Any]:
    return self._data.dtype if dtype is None else to_dtype(dtype).np


@register
def new_zeros(
    self: Tensor,
    *size: Any,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Zeros of shape ``size`` with this tensor's dtype (unless given), as ``Tensor.new_zeros``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.tensor([1], dtype=rt.int32).new_zeros(2, 2)
    tensor([[0, 0],
            [0, 0]], dtype=rustytorch.int32)
    """
    _check_device(device)
    return _finish(np.zeros(_shape(size, "new_zeros"), dtype=_new_dtype(self, dtype)), None, requires_grad)


@register
def new_ones(
    self: Tensor,
    *size: Any,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Ones of shape ``size`` with this tensor's dtype (unless given), as ``Tensor.new_ones``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.zeros(1, dtype=rt.float64).new_ones((2,))
    tensor([1., 1.], dtype=rustytorch.float64)
    """
    _check_device(device)
    return _finish(np.ones(_shape(size, "new_ones"), dtype=_new_dtype(self, dtype)), None, requires_grad)


@register
def new_empty(
    self: Tensor,
    *size: Any,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """An uninitialised tensor of shape ``size`` with this tensor's dtype (unless given), as ``Tensor.new_empty``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.zeros(1, dtype=rt.int16).new_empty(3).dtype
    rustytorch.int16
    """
    _check_device(device)
    return _finish(np.empty(_shape(size, "new_empty"), dtype=_new_dtype(self, dtype)), None, requires_grad)


@register
def new_full(
    self: Tensor,
    size: Any,
    fill_value: Any,
    *,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A tensor of shape ``size`` filled with ``fill_value``, with this tensor's dtype (unless given).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.zeros(1, dtype=rt.int64).new_full((2,), 3.7)
    tensor([3, 3])
    """
    _check_device(device)
    shape = _shape((size,) if isinstance(size, int) else tuple(size), "new_full")
    return _finish(_full_array(shape, _fill_value(fill_value), _new_dtype(self, dtype)), None, requires_grad)


@register
def new_tensor(
    self: Tensor,
    data: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A copy of ``data`` as a tensor with this tensor's dtype (unless given), as ``Tensor.new_tensor``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.zeros(1, dtype=rt.float64).new_tensor([1, 2])
    tensor([1., 2.], dtype=rustytorch.float64)
    """
    _check_device(device)
    return _finish(_data_array(data, self.dtype if dtype is None else dtype), None, requires_grad)


from .creation_ranges import arange, diag, diag_embed, eye, linspace, logspace, meshgrid  # noqa: E402
