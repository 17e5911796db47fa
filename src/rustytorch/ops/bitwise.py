"""Logical ops (any dtype -> bool) and bitwise ops / shifts (bool and integer dtypes), with the operators
``& | ^ ~ << >>``. None is differentiable: results are outside the graph, as in torch."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._pointwise import attach_in_place, check_tensor, const, dunder, not_implemented, to_out, ucall
from ._registry import broadcast_error, fp, operands, register
from .compare import compare

__all__ = [
    "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor",
    "bitwise_not", "bitwise_left_shift", "bitwise_right_shift",
]  # fmt: skip


def _truth(a: np.ndarray) -> np.ndarray:
    return a if a.dtype.kind == "b" else a != 0


def _logical(name: str, ufunc: Any) -> Any:
    def fn(input: Tensor, other: Any, *, out: Tensor | None = None) -> Tensor:
        check_tensor(name, input)
        if isinstance(other, Tensor):
            try:
                r = const(fp(ufunc, _truth(input._data), _truth(other._data)))
            except ValueError:
                raise broadcast_error(name, input, other) from None
        else:
            r = compare(name, lambda x, y: ufunc(_truth(np.asarray(x)), _truth(np.asarray(y))), input, other)
        return r if out is None else to_out(out, r, name)

    fn.__name__ = fn.__qualname__ = name
    word = name.split("_")[1].upper()
    fn.__doc__ = f"""Elementwise logical {word} of truth values (nonzero is True) of any dtypes, as ``torch.{name}``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.{name}(rt.tensor([0.0, 0.0, 2.0, 3.0]), rt.tensor([0, 5, 0, 5]))
    tensor({_LOGICAL_EXAMPLES[name]})
    """
    return fn


_LOGICAL_EXAMPLES = {
    "logical_and": "[False, False, False,  True]",
    "logical_or": "[False,  True,  True,  True]",
    "logical_xor": "[False,  True,  True, False]",
}

logical_and = register(_logical("logical_and", np.logical_and))
logical_or = register(_logical("logical_or", np.logical_or))
logical_xor = register(_logical("logical_xor", np.logical_xor))


@register
def logical_not(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Elementwise logical NOT (True where ``input`` is zero), as ``torch.logical_not``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.logical_not(rt.tensor([0.0, 1.5]))
    tensor([ True, False])
    """
    check_tensor("logical_not", input)
    r = const(ucall(np.logical_not, _truth(input._data)))
    return r if out is None else to_out(out, r, "logical_not")


def _bitwise(name: str, ufunc: Any, allow_bool: bool = True) -> Any:
    def compute(input: Any, other: Any) -> Tensor:
        x, y, rd = operands(name, input, other)
        if rd.kind not in ("biu" if allow_bool else "iu"):
            raise not_implemented(name, rd)
        try:
            return const(fp(ufunc, x, y))
        except ValueError:
            raise broadcast_error(name, input, other) from None

    def fn(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
        r = compute(input, other)
        return r if out is None else to_out(out, r, name)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"""Elementwise ``{_SYMBOLS[name]}`` of bool or integer tensors (or with an int), as ``torch.{name}``.

    Floating operands raise ``NotImplementedError`` (a ``RuntimeError``) naming the dtype, as torch.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.{name}(rt.tensor([12, -8]), 2)
    tensor({_BITWISE_EXAMPLES[name]})
    """
    return fn, compute


_SYMBOLS = {
    "bitwise_and": "&", "bitwise_or": "|", "bitwise_xor": "^", "bitwise_left_shift": "<<",
    "bitwise_right_shift": ">>",
}  # fmt: skip
_BITWISE_EXAMPLES = {
    "bitwise_and": "[0, 0]",
    "bitwise_or": "[14, -6]",
    "bitwise_xor": "[14, -6]",
    "bitwise_left_shift": "[ 48, -32]",
    "bitwise_right_shift": "[ 3, -2]",
}

bitwise_and, _and2 = _bitwise("bitwise_and", np.bitwise_and)
bitwise_or, _or2 = _bitwise("bitwise_or", np.bitwise_or)
bitwise_xor, _xor2 = _bitwise("bitwise_xor", np.bitwise_xor)
# NumPy's shifts give torch's results for counts < 0 or >= the bit width (0, or the sign for >>)
bitwise_left_shift, _lshift2 = _bitwise("bitwise_left_shift", np.left_shift, allow_bool=False)
bitwise_right_shift, _rshift2 = _bitwise("bitwise_right_shift", np.right_shift, allow_bool=False)
for _f in (bitwise_and, bitwise_or, bitwise_xor, bitwise_left_shift, bitwise_right_shift):
    register(_f)


@register
def bitwise_not(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Elementwise bitwise NOT (logical NOT for bool), as ``torch.bitwise_not``; ``~x``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.bitwise_not(rt.tensor([0, 5, -1])), ~rt.tensor([True, False])
    (tensor([-1, -6,  0]), tensor([False,  True]))
    """
    check_tensor("bitwise_not", input)
    a = input._data
    if a.dtype.kind not in "biu":
        raise not_implemented("bitwise_not", a.dtype)
    r = const(ucall(np.invert, a))
    return r if out is None else to_out(out, r, "bitwise_not")


def _invert(self: Tensor) -> Tensor:
    if self._data.dtype.kind not in "biu":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return bitwise_not(self)  # type: ignore[no-any-return]


attach_in_place(
    ("logical_and_", logical_and), ("logical_or_", logical_or), ("logical_xor_", logical_xor),
    ("logical_not_", logical_not), ("bitwise_and_", bitwise_and), ("bitwise_or_", bitwise_or),
    ("bitwise_xor_", bitwise_xor), ("bitwise_not_", bitwise_not), ("bitwise_left_shift_", bitwise_left_shift),
    ("bitwise_right_shift_", bitwise_right_shift),
)  # fmt: skip

Tensor.__and__ = dunder(_and2)  # type: ignore[attr-defined]
Tensor.__rand__ = dunder(_and2, reflected=True)  # type: ignore[attr-defined]
Tensor.__or__ = dunder(_or2)  # type: ignore[attr-defined]
Tensor.__ror__ = dunder(_or2, reflected=True)  # type: ignore[attr-defined]
Tensor.__xor__ = dunder(_xor2)  # type: ignore[attr-defined]
Tensor.__rxor__ = dunder(_xor2, reflected=True)  # type: ignore[attr-defined]
Tensor.__lshift__ = dunder(_lshift2)  # type: ignore[attr-defined]
Tensor.__rlshift__ = dunder(_lshift2, reflected=True)  # type: ignore[attr-defined]
Tensor.__rshift__ = dunder(_rshift2)  # type: ignore[attr-defined]
Tensor.__rrshift__ = dunder(_rshift2, reflected=True)  # type: ignore[attr-defined]
Tensor.__invert__ = _invert  # type: ignore[attr-defined]
Tensor.__iand__ = Tensor.bitwise_and_  # type: ignore[attr-defined]
Tensor.__ior__ = Tensor.bitwise_or_  # type: ignore[attr-defined]
Tensor.__ixor__ = Tensor.bitwise_xor_  # type: ignore[attr-defined]
Tensor.__ilshift__ = Tensor.bitwise_left_shift_  # type: ignore[attr-defined]
Tensor.__irshift__ = Tensor.bitwise_right_shift_  # type: ignore[attr-defined]
