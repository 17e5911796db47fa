"""Comparisons (eq ne lt le gt ge and their aliases/operators), isclose, allclose, equal.

Comparisons promote their operands as torch does and give bool tensors outside the graph
(no ``grad_fn``, as in torch), so they are plain functions, not ``Op`` s.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._dtype import get_default_dtype
from .._tensor import Tensor
from ._pointwise import BF16, attach_in_place, check_tensor, is_operand
from ._registry import (
    PARALLEL_MIN,
    _fits,
    _fp_run,
    _par_binary,
    _wrap,
    broadcast_error,
    fp,
    operands,
    register,
)

__all__ = [
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal", "less_equal", "not_equal",
    "isclose", "allclose", "equal",
]  # fmt: skip


def compare(op: str, ufunc: Any, a: Any, b: Any) -> Tensor:
    """``ufunc(a, b)`` on promoted operands as a bool tensor; a lean path for one dtype or a Python scalar."""
    if a.__class__ is Tensor:
        x = a._data
        bc = b.__class__
        k = x.dtype.kind
        if bc is Tensor and b._data.dtype is x.dtype:
            y = b._data
        elif (bc is float and k == "f") or (bc is int and (k == "f" or _fits(b, x.dtype))):
            y = b
        else:
            x, y, _ = operands(op, a, b)
    else:
        x, y, _ = operands(op, a, b)
    try:
        if (
            (x.__class__ is np.ndarray and x.size >= PARALLEL_MIN)
            or (y.__class__ is np.ndarray and y.size >= PARALLEL_MIN)
        ) and isinstance(ufunc, np.ufunc):
            r = fp(_par_binary, ufunc, x, y)
        else:
            try:
                r = _fp_run(ufunc, x, y)
            except RuntimeError:
                r = fp(ufunc, x, y)
    except ValueError:
        raise broadcast_error(op, a, b) from None
    return _wrap(r)


def _make_compare(name: str, ufunc: Any, symbol: str) -> Any:
    def fn(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
        r = compare(name, ufunc, input, other)
        if out is not None:
            from ._pointwise import to_out

            return to_out(out, r, name)
        return r

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"""``input {symbol} other`` elementwise as a bool tensor, as ``torch.{name}``.

    The operands are broadcast and promoted to a common dtype first; ``other`` may be a scalar.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.{name}(rt.tensor([1.0, 2.0, 3.0]), 2)
    tensor({_EXAMPLES[name]})
    """
    return fn


_EXAMPLES = {
    "eq": "[False,  True, False]",
    "ne": "[ True, False,  True]",
    "lt": "[ True, False, False]",
    "le": "[ True,  True, False]",
    "gt": "[False, False,  True]",
    "ge": "[False,  True,  True]",
}

eq = register(_make_compare("eq", np.equal, "=="))
ne = register(_make_compare("ne", np.not_equal, "!="))
lt = register(_make_compare("lt", np.less, "<"))
le = register(_make_compare("le", np.less_equal, "<="))
gt = register(_make_compare("gt", np.greater, ">"))
ge = register(_make_compare("ge", np.greater_equal, ">="))
greater = register(gt, name="greater")
less = register(lt, name="less")
greater_equal = register(ge, name="greater_equal")
less_equal = register(le, name="less_equal")
not_equal = register(ne, name="not_equal")

attach_in_place(
    ("eq_", eq), ("ne_", ne), ("lt_", lt), ("le_", le), ("gt_", gt), ("ge_", ge), ("greater_", gt), ("less_", lt),
    ("greater_equal_", ge), ("less_equal_", le), ("not_equal_", ne),
)  # fmt: skip


def _compare_dunder(name: str, ufunc: Any) -> Any:
    def op(self: Tensor, other: Any) -> Any:
        if not is_operand(other):
            return NotImplemented
        return compare(name, ufunc, self, other)

    op.__name__ = f"__{name}__"
    return op


Tensor.__eq__ = _compare_dunder("eq", np.equal)  # type: ignore[method-assign,assignment]
Tensor.__ne__ = _compare_dunder("ne", np.not_equal)  # type: ignore[method-assign,assignment]
Tensor.__lt__ = _compare_dunder("lt", np.less)  # type: ignore[attr-defined]
Tensor.__le__ = _compare_dunder("le", np.less_equal)  # type: ignore[attr-defined]
Tensor.__gt__ = _compare_dunder("gt", np.greater)  # type: ignore[attr-defined]
Tensor.__ge__ = _compare_dunder("ge", np.greater_equal)  # type: ignore[attr-defined]


# ------------------------------------------------------------ isclose & co
def _isclose_arrays(x: np.ndarray, y: np.ndarray, rtol: float, atol: float, equal_nan: bool) -> np.ndarray:
    close = x == y
    if x.dtype.kind == "b":
        return close  # type: ignore[no-any-return]
    if x.dtype.kind in "iu":  # torch computes the error of integers in the default float dtype
        fd = get_default_dtype().np
        x, y = x.astype(fd), y.astype(fd)
    elif x.dtype is BF16:
        x, y = x.astype(np.float32), y.astype(np.float32)
    actual = np.abs(x - y)
    allowed = np.abs(y * rtol) + atol
    close |= np.isfinite(actual) & (actual <= allowed)
    if equal_nan:
        close |= np.isnan(x) & np.isnan(y)
    return close  # type: ignore[no-any-return]


@register
def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """``|input - other| <= atol + rtol * |other|`` elementwise (or exactly equal), as ``torch.isclose``.

    Both tensors must have the same dtype, as torch; NaNs are close only with ``equal_nan=True``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.isclose(rt.tensor([1.0, 2.0, float("nan")]), rt.tensor([1.0 + 1e-9, 2.1, float("nan")]))
    tensor([ True, False, False])
    """
    check_tensor("isclose", input)
    check_tensor("isclose", other, "other")
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"isclose: {input.dtype!r} did not match {other.dtype!r}")
    if rtol < 0:
        raise RuntimeError(f"isclose: rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"isclose: atol must be greater than or equal to zero, but got {atol}")
    try:
        return _wrap(fp(_isclose_arrays, input._data, other._data, rtol, atol, equal_nan))
    except ValueError:
        raise broadcast_error("isclose", input, other) from None


@register
def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """Whether every element of ``input`` is close to ``other`` (see ``isclose``), as ``torch.allclose``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.allclose(rt.tensor([1.0, 2.0]), rt.tensor([1.0, 2.0 + 1e-7]))
    True
    """
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


@register
def equal(input: Tensor, other: Tensor) -> bool:
    """Whether both tensors have the same shape and the same values, as ``torch.equal`` (NaN != NaN).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.equal(rt.tensor([1, 2]), rt.tensor([1.0, 2.0])), rt.equal(rt.tensor([1]), rt.tensor([1, 1]))
    (True, False)
    """
    check_tensor("equal", input)
    check_tensor("equal", other, "other")
    if input._data.shape != other._data.shape:
        return False
    return bool(eq(input, other)._data.all())
