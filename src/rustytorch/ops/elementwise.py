"""Elementwise arithmetic: each op's forward (NumPy) and backward (tensor ops) side by side."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._dtype import get_default_dtype
from .._tensor import Tensor
from ._registry import Op, binary, broadcast_error, inplace, operands, register

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "neg", "negative", "exp"]


def _binary(op: str, ufunc: Any, a: Any, b: Any) -> np.ndarray:
    x, y, _ = operands(op, a, b)
    try:
        return ufunc(x, y)  # type: ignore[no-any-return]
    except ValueError:
        raise broadcast_error(op, a, b) from None


class Add(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, b: Any, alpha: Any = 1) -> np.ndarray:
        if alpha != 1:
            b = b * alpha
            if ctx is not None:
                ctx.alpha = alpha
        elif ctx is not None:
            ctx.alpha = 1
        return _binary("add", np.add, a, b)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:  # d(a + alpha b) = da + alpha db
        return grad, (grad if ctx.alpha == 1 else grad * ctx.alpha)


class Sub(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, b: Any, alpha: Any = 1) -> np.ndarray:
        if isinstance(a, Tensor) and a._data.dtype.kind == "b" and isinstance(b, Tensor) and b._data.dtype.kind == "b":
            raise RuntimeError("sub: subtraction with two bool tensors is not supported; use the ^ or logical_xor operator")
        if alpha != 1:
            b = b * alpha
        if ctx is not None:
            ctx.alpha = alpha
        return _binary("sub", np.subtract, a, b)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:  # d(a - alpha b) = da - alpha db
        return grad, (-grad if ctx.alpha == 1 else grad * (-ctx.alpha))


class Mul(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> np.ndarray:
        if ctx is not None:
            ctx.save_for_backward(a if isinstance(a, Tensor) and ctx.needs_input_grad[1] else None,
                                  b if isinstance(b, Tensor) and ctx.needs_input_grad[0] else None)
            ctx.scalars = (None if isinstance(a, Tensor) else a, None if isinstance(b, Tensor) else b)
        return _binary("mul", np.multiply, a, b)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:  # d(ab) = b da + a db
        a, b = ctx.saved_tensors
        sa, sb = ctx.scalars
        ga = (grad * (b if b is not None else sb)) if ctx.needs_input_grad[0] else None
        gb = (grad * (a if a is not None else sa)) if ctx.needs_input_grad[1] else None
        return ga, gb


class Div(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, b: Any, rounding_mode: str | None = None) -> np.ndarray:
        x, y, rd = operands("div", a, b)
        if rounding_mode is None:
            if rd.kind != "f" and rd.name != "bfloat16":
                fd = get_default_dtype().np
                x = x.astype(fd) if isinstance(x, np.ndarray) else np.asarray(x, dtype=fd)
                y = y.astype(fd) if isinstance(y, np.ndarray) else np.asarray(y, dtype=fd)
            ufunc = np.true_divide
        elif rounding_mode == "floor":
            ufunc = np.floor_divide
        elif rounding_mode == "trunc":
            ufunc = _trunc_divide
        else:
            raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")
        if ctx is not None:
            ctx.rounding_mode = rounding_mode
            ctx.save_for_backward(a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None)
            ctx.scalars = (None if isinstance(a, Tensor) else a, None if isinstance(b, Tensor) else b)
        try:
            with np.errstate(divide="ignore", invalid="ignore"):
                return ufunc(x, y)  # type: ignore[no-any-return]
        except ValueError:
            raise broadcast_error("div", a, b) from None
        except ZeroDivisionError:  # pragma: no cover - NumPy does not raise
            raise RuntimeError("div: ZeroDivisionError") from None

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:  # d(a/b) = da/b - a db/b^2
        if ctx.rounding_mode is not None:
            return (grad * 0 if ctx.needs_input_grad[0] else None), (grad * 0 if ctx.needs_input_grad[1] else None)
        a, b = ctx.saved_tensors
        sa, sb = ctx.scalars
        b_ = b if b is not None else sb
        ga = grad / b_ if ctx.needs_input_grad[0] else None
        gb = None
        if ctx.needs_input_grad[1]:
            a_ = a if a is not None else sa
            gb = -grad * a_ / (b * b)
        return ga, gb


def _trunc_divide(x: Any, y: Any) -> np.ndarray:
    q = np.true_divide(x, y)
    r = np.trunc(q)
    dt = np.result_type(x, y)
    return r.astype(dt) if dt.kind in "iu" else r  # type: ignore[no-any-return]


class Neg(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor) -> np.ndarray:
        if x._data.dtype.kind == "b":
            raise RuntimeError("neg: negation, the `-` operator, on a bool tensor is not supported; use ~ or logical_not()")
        return np.negative(x._data)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d(-x) = -dx
        return -grad


def _float_arg(x: Tensor) -> np.ndarray:
    """Integer and bool inputs of float functions compute in the default dtype, as torch."""
    a = x._data
    return a if a.dtype.kind == "f" or a.dtype.name == "bfloat16" else a.astype(get_default_dtype().np)


class Exp(Op):
    save_result = True

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> np.ndarray:
        return np.exp(_float_arg(x))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d exp(x) = exp(x) dx
        return grad * ctx.result


@register
def add(input: Any, other: Any, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:
    """``input + alpha * other`` with broadcasting and type promotion, as ``torch.add``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.add(rt.tensor([1, 2]), rt.tensor([10, 20]), alpha=2)
    tensor([21, 42])
    """
    if out is None and alpha == 1:
        return binary(Add, np.add, "add", input, other)
    r = Add.apply(input, other, alpha=alpha)
    return r if out is None else _to_out(out, r, "add")


@register
def sub(input: Any, other: Any, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:
    """``input - alpha * other``, as ``torch.sub``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.sub(rt.tensor([5.0, 7.0]), 1.5)
    tensor([3.5000, 5.5000])
    """
    if out is None and alpha == 1 and not (isinstance(input, Tensor) and input._data.dtype.kind == "b"):
        return binary(Sub, np.subtract, "sub", input, other)
    r = Sub.apply(input, other, alpha=alpha)
    return r if out is None else _to_out(out, r, "sub")


@register
def mul(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """Elementwise product, as ``torch.mul``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.mul(rt.tensor([1.0, 2.0]), rt.tensor([[3.0], [4.0]]))
    tensor([[3., 6.],
            [4., 8.]])
    """
    if out is None:
        return binary(Mul, np.multiply, "mul", input, other)
    return _to_out(out, Mul.apply(input, other), "mul")


@register
def div(input: Any, other: Any, *, rounding_mode: str | None = None, out: Tensor | None = None) -> Tensor:
    """Elementwise division; integers divide to the default float dtype unless ``rounding_mode``, as ``torch.div``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.div(rt.tensor([7, -7]), 2), rt.div(rt.tensor([7, -7]), 2, rounding_mode="floor")
    (tensor([ 3.5000, -3.5000]), tensor([ 3, -4]))
    """
    r = Div.apply(input, other, rounding_mode=rounding_mode) if rounding_mode is not None else Div.apply(input, other)
    return r if out is None else _to_out(out, r, "div")


@register
def neg(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``-input``, as ``torch.neg``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.neg(rt.tensor([1, -2]))
    tensor([-1,  2])
    """
    r = Neg.apply(input)
    return r if out is None else _to_out(out, r, "neg")


@register
def exp(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``e ** input``, as ``torch.exp``; integer inputs give the default float dtype.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.exp(rt.tensor([0.0, 1.0]))
    tensor([1.0000, 2.7183])
    """
    r = Exp.apply(input)
    return r if out is None else _to_out(out, r, "exp")


def _to_out(out: Tensor, r: Tensor, op: str) -> Tensor:
    """Write a result into an ``out=`` tensor (resized when empty, as torch)."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{op}: out must be a Tensor, got {type(out).__name__}")
    if out._requires_grad and r._requires_grad:
        raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic differentiation")
    if out._data.shape != r._data.shape and out._data.size == 0:
        out._data = np.empty(r._data.shape, dtype=out._data.dtype)
        out._storage = None
    return inplace(out, op, lambda _t, v: v, r.detach())


subtract = register(sub, name="subtract")
multiply = register(mul, name="multiply")
divide = register(div, name="divide")
true_divide = register(div, name="true_divide")
negative = register(neg, name="negative")


def _in_place(name: str, fn: Any) -> Any:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return inplace(self, name, fn, *args, **kwargs)

    method.__name__ = name
    method.__qualname__ = f"Tensor.{name}"
    method.__doc__ = f"In-place form of :func:`{fn.__name__}`: writes the result into ``self`` and returns it."
    return method


for _name, _fn in (("add_", add), ("sub_", sub), ("mul_", mul), ("div_", div), ("neg_", neg), ("exp_", exp)):
    setattr(Tensor, _name, _in_place(_name, _fn))
for _name, _fn in (("subtract_", sub), ("multiply_", mul), ("divide_", div), ("true_divide_", div), ("negative_", neg)):
    setattr(Tensor, _name, _in_place(_name, _fn))


def _rsub(self: Tensor, other: Any) -> Tensor:
    return Sub.apply(other, self)


def _rtruediv(self: Tensor, other: Any) -> Tensor:
    return Div.apply(other, self)


Tensor.__add__ = Tensor.__radd__ = add  # type: ignore[method-assign,assignment]
Tensor.__sub__ = sub  # type: ignore[method-assign,assignment]
Tensor.__rsub__ = _rsub  # type: ignore[method-assign,assignment]
Tensor.__mul__ = Tensor.__rmul__ = mul  # type: ignore[method-assign,assignment]
Tensor.__truediv__ = div  # type: ignore[method-assign,assignment]
Tensor.__rtruediv__ = _rtruediv  # type: ignore[method-assign,assignment]
Tensor.__neg__ = neg  # type: ignore[method-assign,assignment]
Tensor.__iadd__ = Tensor.add_  # type: ignore[attr-defined]
Tensor.__isub__ = Tensor.sub_  # type: ignore[attr-defined]
Tensor.__imul__ = Tensor.mul_  # type: ignore[attr-defined]
Tensor.__itruediv__ = Tensor.div_  # type: ignore[attr-defined]
