"""Dtypes, PyTorch's type-promotion rules and the default dtype.

The promotion rules follow ``torch.result_type``: operands fall in three tiers
(dimensioned tensors, zero-dim tensors, Python scalars) and a lower tier only
changes the result when its *category* (bool < integer < floating) is higher.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

__all__ = [
    "dtype",
    "bool",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "half",
    "float",
    "double",
    "short",
    "int",
    "long",
    "get_default_dtype",
    "set_default_dtype",
    "promote_types",
    "can_cast",
    "finfo",
    "iinfo",
]


_py_bool = builtins.bool
_py_int = builtins.int
_py_float = builtins.float

try:  # bfloat16 comes from the optional ml_dtypes package
    import ml_dtypes as _ml_dtypes

    _BF16_NP: np.dtype[Any] | None = np.dtype(_ml_dtypes.bfloat16)
except ImportError:  # pragma: no cover - depends on the environment
    _BF16_NP = None

# category: 0 bool, 1 integer, 2 floating
_BOOL, _INT, _FLOAT = 0, 1, 2


class dtype:
    """A tensor element type, as ``torch.dtype``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.float32.is_floating_point, rt.float32.itemsize
    (True, 4)
    """

    __slots__ = ("_cat", "_np", "_rank", "is_floating_point", "is_signed", "itemsize", "name")

    def __init__(
        self,
        name: str,
        np_dtype: np.dtype[Any] | None,
        itemsize: builtins.int,
        cat: builtins.int,
        rank: builtins.int,
        signed: builtins.bool,
    ) -> None:
        self.name = name
        self._np = np_dtype
        self.itemsize = itemsize
        self.is_floating_point = cat == _FLOAT
        self.is_signed = signed
        self._cat = cat
        self._rank = rank

    def __repr__(self) -> str:
        return f"rustytorch.{self.name}"

    def __reduce__(self) -> str:
        return self.name

    @property
    def np(self) -> np.dtype[Any]:
        """The NumPy dtype that stores this dtype's elements."""
        if self._np is None:
            raise RuntimeError(f"{self!r} needs the optional 'ml_dtypes' package: pip install ml_dtypes")
        return self._np

    def to_real(self) -> dtype:
        """The real dtype of this dtype (itself: complex dtypes are not supported)."""
        return self

    @property
    def is_complex(self) -> builtins.bool:
        """Always False: complex dtypes are not supported."""
        return False


# dtype objects are compared by identity; ``rank`` orders dtypes within a category.
bool = dtype("bool", np.dtype(np.bool_), 1, _BOOL, 0, False)
uint8 = dtype("uint8", np.dtype(np.uint8), 1, _INT, 1, False)
int8 = dtype("int8", np.dtype(np.int8), 1, _INT, 1, True)
int16 = dtype("int16", np.dtype(np.int16), 2, _INT, 2, True)
int32 = dtype("int32", np.dtype(np.int32), 4, _INT, 3, True)
int64 = dtype("int64", np.dtype(np.int64), 8, _INT, 4, True)
float16 = dtype("float16", np.dtype(np.float16), 2, _FLOAT, 1, True)
bfloat16 = dtype("bfloat16", _BF16_NP, 2, _FLOAT, 1, True)
float32 = dtype("float32", np.dtype(np.float32), 4, _FLOAT, 2, True)
float64 = dtype("float64", np.dtype(np.float64), 8, _FLOAT, 3, True)
half, float, double = float16, float32, float64
short, int, long = int16, int32, int64

ALL_DTYPES: tuple[dtype, ...] = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64)
_BY_NAME = {d.name: d for d in ALL_DTYPES}

_FROM_NP: dict[Any, dtype] = {d._np: d for d in ALL_DTYPES if d._np is not None}
for _d in ALL_DTYPES:
    if _d._np is not None:
        _FROM_NP[_d._np.type] = _d


def from_numpy_dtype(np_dtype: Any) -> dtype:
    """The rustytorch dtype for a NumPy dtype; TypeError for unsupported ones."""
    try:
        return _FROM_NP[np_dtype]
    except (KeyError, TypeError):
        pass
    try:
        return _FROM_NP[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert NumPy dtype {np_dtype!r}: supported dtypes are {', '.join(d.name for d in ALL_DTYPES)}"
        ) from None


def to_dtype(obj: Any) -> dtype:
    """Accept a rustytorch dtype, a NumPy dtype/type or a Python type (``float``, ``int``, ``bool``)."""
    if obj.__class__ is dtype:
        return obj  # type: ignore[no-any-return]
    if obj is _py_float:
        return get_default_dtype()
    if obj is _py_int:
        return int64
    if obj is _py_bool:
        return bool
    if isinstance(obj, str) and obj in _BY_NAME:
        return _BY_NAME[obj]
    return from_numpy_dtype(obj)


_default_dtype = float32


def get_default_dtype() -> dtype:
    """The floating dtype that Python floats and ``rt.tensor([1.5])`` become (float32 at start).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.get_default_dtype()
    rustytorch.float32
    """
    return _default_dtype


def set_default_dtype(d: dtype) -> None:
    """Set the default floating dtype (float16, bfloat16, float32 or float64), as torch.set_default_dtype.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.set_default_dtype(rt.float64); rt.tensor([1.5]).dtype
    rustytorch.float64
    >>> rt.set_default_dtype(rt.float32)
    """
    global _default_dtype
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the default type, got {d!r}")
    _default_dtype = d


def _promote_pair(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    if a._cat != b._cat:
        return a if a._cat > b._cat else b
    if a._cat == _BOOL:
        return a
    if a._cat == _INT:
        return from_numpy_dtype(np.promote_types(a._np, b._np))  # type: ignore[arg-type]
    # floats: float16 with bfloat16 goes to float32, else the wider one
    if a._rank == b._rank:
        return float32
    return a if a._rank > b._rank else b


_PROMOTE: dict[tuple[dtype, dtype], dtype] = {(a, b): _promote_pair(a, b) for a in ALL_DTYPES for b in ALL_DTYPES}


def promote_types(type1: dtype, type2: dtype) -> dtype:
    """The smallest dtype to which both dtypes can be cast, as ``torch.promote_types``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.promote_types(rt.uint8, rt.int8)
    rustytorch.int16
    >>> rt.promote_types(rt.int64, rt.float16)
    rustytorch.float16
    """
    return _PROMOTE[_want_dtype("promote_types", "type1", 1, type1), _want_dtype("promote_types", "type2", 2, type2)]


def can_cast(from_: dtype, to: dtype) -> builtins.bool:
    """Whether an in-place/``out=`` cast from ``from_`` to ``to`` is allowed (no category demotion), as torch.can_cast.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.can_cast(rt.float64, rt.int32), rt.can_cast(rt.int32, rt.float16)
    (False, True)
    """
    return _want_dtype("can_cast", "from_", 1, from_)._cat <= _want_dtype("can_cast", "to", 2, to)._cat


def combine_categories(higher: dtype | None, lower: dtype | None) -> dtype | None:
    """torch's rule for merging the result of a higher tier with a lower tier."""
    if higher is None:
        return lower
    if lower is None or higher is lower:
        return higher
    if higher._cat == _FLOAT:
        return higher
    if higher._cat == _BOOL or lower._cat == _FLOAT:
        return _PROMOTE[higher, lower]
    return higher


def scalar_dtype(value: Any) -> dtype:
    """The dtype a Python scalar takes in promotion (a "wrapped number" in torch)."""
    cls = value.__class__
    if cls is _py_float:
        return _default_dtype
    if cls is _py_int:
        return int64
    if cls is _py_bool:
        return bool
    if isinstance(value, _py_bool | np.bool_):
        return bool
    if isinstance(value, _py_int | np.integer):
        return int64
    if isinstance(value, _py_float | np.floating):
        return _default_dtype
    if isinstance(value, complex):
        raise TypeError("complex numbers are not supported by rustytorch")
    raise TypeError(f"expected a Tensor or a Python number, got {cls.__name__}")


def _want_dtype(fn: str, arg: str, pos: builtins.int, x: Any) -> dtype:
    """``x`` when it is a dtype; otherwise torch's TypeError for a wrongly typed dtype argument."""
    if x.__class__ is not dtype:
        raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be rustytorch.dtype, not {type(x).__name__}")
    return x  # type: ignore[no-any-return]


def _np_finfo(d: dtype) -> Any:
    if d is bfloat16:
        import ml_dtypes

        return ml_dtypes.finfo(d.np)
    return np.finfo(d.np)


class finfo:
    """Machine limits of a floating dtype (the default dtype when omitted), as ``torch.finfo``.

    Attributes are Python floats: ``bits``, ``eps``, ``max``, ``min``, ``tiny`` (=
    ``smallest_normal``), ``resolution`` (``10**-precision``) and ``dtype`` (its name).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.finfo(rt.float32).eps
    1.1920928955078125e-07
    >>> rt.finfo(rt.float16).resolution, rt.finfo(rt.float16).max, rt.finfo(rt.bfloat16).eps
    (0.001, 65504.0, 0.0078125)
    """

    def __init__(self, type: dtype | None = None) -> None:
        d = get_default_dtype() if type is None else _want_dtype("finfo", "type", 1, type)
        if not d.is_floating_point:
            raise TypeError(
                f"rustytorch.finfo() requires a floating point input type. Use rustytorch.iinfo to handle {d!r}"
            )
        f = _np_finfo(d)
        self.dtype = d.name
        self.bits = d.itemsize * 8
        self.eps = _py_float(f.eps)
        self.max = _py_float(f.max)
        self.min = _py_float(f.min)
        self.tiny = self.smallest_normal = _py_float(f.smallest_normal)
        # torch: 10 ** -(decimal digits of precision) = 10 ** -floor(-log10(eps))
        self.resolution = _py_float(f"1e-{_py_int(np.floor(-np.log10(self.eps)))}")

    def __eq__(self, other: object) -> builtins.bool:
        return isinstance(other, finfo) and other.dtype == self.dtype

    __hash__ = None  # type: ignore[assignment]  # unhashable, as torch.finfo

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
            f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})"
        )


class iinfo:
    """Machine limits of an integer dtype, as ``torch.iinfo`` (``bits``, ``min``, ``max``, ``dtype``).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.iinfo(rt.int8).max
    127
    >>> rt.iinfo(rt.uint8)
    iinfo(min=0, max=255, dtype=uint8)
    """

    def __init__(self, type: dtype) -> None:
        d = _want_dtype("iinfo", "type", 1, type)
        if d._cat == _FLOAT:
            raise TypeError(f"rustytorch.iinfo() requires an integer input type. Use rustytorch.finfo to handle {d!r}")
        if d is bool:
            raise TypeError("rustytorch.bool is not supported by rustytorch.iinfo")
        i = np.iinfo(d.np)
        self.dtype = d.name
        self.bits = d.itemsize * 8
        self.max = _py_int(i.max)
        self.min = _py_int(i.min)

    def __eq__(self, other: object) -> builtins.bool:
        return isinstance(other, iinfo) and other.dtype == self.dtype

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
