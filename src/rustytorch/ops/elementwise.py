"""Elementwise arithmetic (+ - * / unary minus, abs): each op's forward (NumPy) and backward (tensor ops)
side by side, the public functions, their in-place forms and the Python operators.

Floor division, remainder, fmod and pow are in ``ops.powdiv``; ``zero_`` / ``fill_`` / ``copy_`` in
``ops.fill``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._dtype import dtype as DType
from .._dtype import get_default_dtype
from .._tensor import Tensor
from ._pointwise import (
    BF16,
    attach_in_place,
    bcall,
    binary_forward,
    check_tensor,
    not_implemented,
    to_out,
    ucall,
    zeros_like_grad,
)
from ._registry import Op, binary_op, broadcast_error, operands, register, result_dtype, unary_op

__all__ = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "neg", "negative", "abs",
    "absolute", "positive", "result_type",
]  # fmt: skip


def _is_bool(x: Any) -> bool:
    if isinstance(x, Tensor):
        return x._data.dtype.kind == "b"
    return isinstance(x, bool | np.bool_) or (isinstance(x, np.ndarray) and x.dtype.kind == "b")


def _is_one(alpha: Any) -> bool:
    return alpha.__class__ is int and alpha == 1  # type: ignore[no-any-return]


def _scaled(op: str, y: Any, rd: np.dtype[Any], alpha: Any) -> Any:
    """``alpha * y`` computed in the result dtype ``rd`` (torch's rules for ``alpha``)."""
    if isinstance(alpha, bool | np.bool_):
        if rd.kind != "b":
            raise RuntimeError(f"{op}: Boolean alpha only supported for Boolean results.")
    elif rd.kind != "f" and rd is not BF16 and isinstance(alpha, float | np.floating):
        raise RuntimeError(f"{op}: For integral input tensors, argument alpha must not be a floating point number.")
    elif not isinstance(alpha, int | float | np.number):
        raise TypeError(f"{op}(): argument 'alpha' must be Number, not {type(alpha).__name__}")
    y = np.asarray(y, dtype=rd)
    return bcall(np.multiply, y, alpha).astype(rd, copy=False)


class Add(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, b: Any, alpha: Any = 1) -> np.ndarray:
        if ctx is not None:
            ctx.alpha = alpha
        if _is_one(alpha):
            return binary_forward("add", np.add, a, b)  # type: ignore[no-any-return]
        x, y, rd = operands("add", a, b)
        try:
            return bcall(np.add, x, _scaled("add", y, rd, alpha))  # type: ignore[no-any-return]
        except ValueError:
            raise broadcast_error("add", a, b) from None

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:  # d(a + alpha b) = da + alpha db
        return grad, (grad if _is_one(ctx.alpha) else grad * ctx.alpha)


def _check_sub(a: Any, b: Any) -> None:
    ba, bb = _is_bool(a), _is_bool(b)
    if ba and bb:
        raise RuntimeError(
            "sub: Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead."
        )
    if ba or bb:
        raise RuntimeError(
            "sub: Subtraction, the `-` operator, with a bool tensor is not supported. "
            "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )


class Sub(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, b: Any, alpha: Any = 1) -> np.ndarray:
        _check_sub(a, b)
        if ctx is not None:
            ctx.alpha = alpha
        if _is_one(alpha):
            return binary_forward("sub", np.subtract, a, b)  # type: ignore[no-any-return]
        x, y, rd = operands("sub", a, b)
        try:
            return bcall(np.subtract, x, _scaled("sub", y, rd, alpha))  # type: ignore[no-any-return]
        except ValueError:
            raise broadcast_error("sub", a, b) from None

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:  # d(a - alpha b) = da - alpha db
        return grad, (-grad if _is_one(ctx.alpha) else grad * (-ctx.alpha))


class Mul(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> np.ndarray:
        if ctx is not None:
            ctx.save_for_backward(
                a if isinstance(a, Tensor) and ctx.needs_input_grad[1] else None,
                b if isinstance(b, Tensor) and ctx.needs_input_grad[0] else None,
            )
            ctx.consts = (None if isinstance(a, Tensor) else a, None if isinstance(b, Tensor) else b)
        return binary_forward("mul", np.multiply, a, b)  # type: ignore[no-any-return]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:  # d(ab) = b da + a db
        a, b = ctx.saved_tensors
        ca, cb = ctx.consts
        ga = grad * (b if b is not None else cb) if ctx.needs_input_grad[0] else None
        gb = grad * (a if a is not None else ca) if ctx.needs_input_grad[1] else None
        return ga, gb


def _true_divide(x: Any, y: Any, rd: np.dtype[Any]) -> Any:
    if rd.kind != "f" and rd is not BF16:  # integers and bools divide to the default float dtype
        fd = get_default_dtype().np
        x = np.asarray(x).astype(fd, copy=False)
        y = np.asarray(y).astype(fd, copy=False)
    return bcall(np.true_divide, x, y)


def _int_zero_check(op: str, y: Any) -> None:
    if np.any(np.asarray(y) == 0):
        raise RuntimeError(f"{op}: ZeroDivisionError (integer division by zero)")


def trunc_divide(op: str, x: Any, y: Any, rd: np.dtype[Any]) -> Any:
    """Division rounded toward zero (exact for integers)."""
    if rd.kind in "iu":
        _int_zero_check(op, y)
        r = bcall(np.fmod, x, y)
        return bcall(np.floor_divide, bcall(np.subtract, x, r), y)  # x - fmod(x, y) is a multiple of y
    if rd.kind == "b":
        raise not_implemented(op, rd)
    return ucall(np.trunc, bcall(np.true_divide, x, y))


def floor_div(op: str, x: Any, y: Any, rd: np.dtype[Any]) -> Any:
    """Division rounded toward -inf (Python's ``//``; NumPy and torch use the same algorithm for floats)."""
    if rd.kind in "iu":
        _int_zero_check(op, y)
    elif rd.kind == "b":
        raise not_implemented(op, rd)
    return bcall(np.floor_divide, x, y)


class Div(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, b: Any, rounding_mode: str | None = None) -> Any:
        x, y, rd = operands("div", a, b)
        if ctx is not None:
            ctx.rounding_mode = rounding_mode
            ctx.save_for_backward(
                a if isinstance(a, Tensor) and ctx.needs_input_grad[1] else None,
                b if isinstance(b, Tensor) else None,
            )
            ctx.consts = (None if isinstance(a, Tensor) else a, None if isinstance(b, Tensor) else b)
        try:
            if rounding_mode is None:
                return _true_divide(x, y, rd)
            if rounding_mode == "trunc":
                return trunc_divide("div", x, y, rd)
            if rounding_mode == "floor":
                return floor_div("div", x, y, rd)
        except ValueError:
            raise broadcast_error("div", a, b) from None
        raise ValueError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'"
        )

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:  # d(a/b) = da/b - a db/b^2; rounded: 0 (as torch)
        a, b = ctx.saved_tensors
        ca, cb = ctx.consts
        if ctx.rounding_mode is not None:
            z = zeros_like_grad(grad)
            return (z if ctx.needs_input_grad[0] else None), (z if ctx.needs_input_grad[1] else None)
        b_ = b if b is not None else cb
        ga = grad / b_ if ctx.needs_input_grad[0] else None
        gb = None
        if ctx.needs_input_grad[1]:
            a_ = a if a is not None else ca
            gb = -grad * a_ / (b_ * b_)
        return ga, gb


class Neg(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor) -> np.ndarray:
        if x._data.dtype.kind == "b":
            raise RuntimeError(
                "neg: Negation, the `-` operator, on a bool tensor is not supported. "
                "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead."
            )
        return ucall(np.negative, x._data)  # type: ignore[no-any-return]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d(-x) = -dx
        return -grad


class Abs(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor) -> np.ndarray:
        if x._data.dtype.kind == "b":
            raise not_implemented("abs", x._data.dtype)
        if ctx is not None:
            ctx.save_for_backward(x)
        return ucall(np.absolute, x._data)  # type: ignore[no-any-return]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d|x| = sign(x) dx (0 at 0, as torch)
        (x,) = ctx.saved_tensors
        return grad * x.sign()


@register
def add(input: Any, other: Any, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:
    """``input + alpha * other`` with broadcasting and type promotion, as ``torch.add``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.add(rt.tensor([1, 2]), rt.tensor([10, 20]), alpha=2)
    tensor([21, 42])
    >>> rt.tensor([1, 2]) + 0.5
    tensor([1.5000, 2.5000])
    """
    if out is None and alpha.__class__ is int and alpha == 1:
        return _add2(input, other)
    r = Add.apply(input, other, alpha=alpha)
    return r if out is None else to_out(out, r, "add")


@register
def sub(input: Any, other: Any, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:
    """``input - alpha * other``, as ``torch.sub``; bool operands raise, as torch.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.sub(rt.tensor([5.0, 7.0]), 1.5)
    tensor([3.5000, 5.5000])
    >>> rt.sub(rt.tensor([5, 7]), rt.tensor([1, 1]), alpha=3)
    tensor([2, 4])
    """
    if out is None and alpha.__class__ is int and alpha == 1:
        return _sub2(input, other)
    r = Sub.apply(input, other, alpha=alpha)
    return r if out is None else to_out(out, r, "sub")


@register
def mul(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """Elementwise product with broadcasting, as ``torch.mul``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.mul(rt.tensor([1.0, 2.0]), rt.tensor([[3.0], [4.0]]))
    tensor([[3., 6.],
            [4., 8.]])
    """
    if out is None:
        return _mul2(input, other)
    return to_out(out, Mul.apply(input, other), "mul")


@register
def div(input: Any, other: Any, *, rounding_mode: str | None = None, out: Tensor | None = None) -> Tensor:
    """Elementwise division, as ``torch.div``.

    Integers divide to the default float dtype unless ``rounding_mode`` is ``"trunc"`` (toward
    zero) or ``"floor"`` (toward -inf, Python's ``//``); integer division by zero with a
    rounding mode raises ``RuntimeError`` (ZeroDivisionError), as torch.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.div(rt.tensor([7, -7]), 2)
    tensor([ 3.5000, -3.5000])
    >>> rt.div(rt.tensor([7, -7]), 2, rounding_mode="floor"), rt.div(rt.tensor([7, -7]), 2, rounding_mode="trunc")
    (tensor([ 3, -4]), tensor([ 3, -3]))
    """
    if out is None and rounding_mode is None:
        return _div2(input, other)
    r = Div.apply(input, other, rounding_mode=rounding_mode)
    return r if out is None else to_out(out, r, "div")


@register
def neg(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``-input``, as ``torch.neg``; bool tensors raise (use ``~``), as torch.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.neg(rt.tensor([1, -2]))
    tensor([-1,  2])
    """
    check_tensor("neg", input)
    if out is None:
        return _neg1(input)
    return to_out(out, Neg.apply(input), "neg")


@register
def abs(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``|input|``, as ``torch.abs``; its gradient is ``sign(input)`` (0 at 0).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.abs(rt.tensor([-1.5, 0.0, 2.0])), rt.tensor([-3, 3]).abs()
    (tensor([1.5000, 0.0000, 2.0000]), tensor([3, 3]))
    """
    check_tensor("abs", input)
    if out is None:
        return _abs1(input)
    return to_out(out, Abs.apply(input), "abs")


@register
def positive(input: Tensor) -> Tensor:
    """``+input``: returns ``input`` itself, as ``torch.positive``; bool tensors raise.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([1.0, -2.0])
    >>> +x, rt.positive(x) is x
    (tensor([ 1., -2.]), True)
    """
    check_tensor("positive", input)
    if input._data.dtype.kind == "b":
        raise RuntimeError("positive: The `+` operator, on a bool tensor is not supported.")
    return input


@register(method=False)
def result_type(tensor: Any, other: Any) -> DType:
    """The dtype an arithmetic op on ``tensor`` and ``other`` gives, as ``torch.result_type``.

    Dimensioned tensors take precedence over 0-d tensors, which take precedence over Python
    scalars, unless a lower tier is of a higher category (bool < integer < floating).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.result_type(rt.tensor([1, 2], dtype=rt.int32), 2.5)
    rustytorch.float32
    >>> rt.result_type(rt.tensor([1], dtype=rt.uint8), rt.tensor(1))
    rustytorch.uint8
    """
    if not isinstance(tensor, Tensor) and not isinstance(other, Tensor):
        raise TypeError(
            f"result_type(): expected at least one Tensor, got {type(tensor).__name__} and {type(other).__name__}"
        )
    return result_dtype(tensor, other)


subtract = register(sub, name="subtract")
multiply = register(mul, name="multiply")
divide = register(div, name="divide")
true_divide = register(div, name="true_divide")
negative = register(neg, name="negative")
absolute = register(abs, name="absolute")

attach_in_place(
    ("add_", add), ("sub_", sub), ("mul_", mul), ("div_", div), ("neg_", neg), ("abs_", abs),
    ("subtract_", sub), ("multiply_", mul), ("divide_", div), ("true_divide_", div), ("negative_", neg),
    ("absolute_", abs),
)  # fmt: skip


_OPS = {
    "add": (Add, np.add, "biuf"),
    "sub": (Sub, np.subtract, "iuf"),
    "mul": (Mul, np.multiply, "biuf"),
    "div": (Div, np.true_divide, "f"),
}
_add2, _sub2, _mul2, _div2 = (binary_op(c, u, n, k) for n, (c, u, k) in _OPS.items())
_neg1 = unary_op(Neg, np.negative, "iuf")
_abs1 = unary_op(Abs, np.absolute, "iuf")
for _n, (_c, _u, _k) in _OPS.items():
    setattr(Tensor, f"__{_n if _n != 'div' else 'truediv'}__", binary_op(_c, _u, _n, _k, dunder=True))
    setattr(Tensor, f"__r{_n if _n != 'div' else 'truediv'}__", binary_op(_c, _u, _n, _k, dunder=True, reflected=True))
Tensor.__neg__ = _neg1  # type: ignore[method-assign,assignment]
Tensor.__pos__ = positive  # type: ignore[method-assign,assignment]
Tensor.__abs__ = _abs1  # type: ignore[method-assign,assignment]
Tensor.__iadd__ = Tensor.add_  # type: ignore[attr-defined]
Tensor.__isub__ = Tensor.sub_  # type: ignore[attr-defined]
Tensor.__imul__ = Tensor.mul_  # type: ignore[attr-defined]
Tensor.__itruediv__ = Tensor.div_  # type: ignore[attr-defined]
