"""Elementwise selection: where, clamp / clip, maximum / minimum, lerp; forward (NumPy) and backward
(tensor ops) side by side."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._tensor import Tensor
from ._pointwise import attach_in_place, bcall, check_tensor, not_implemented, to_out
from ._registry import Op, as_array_operand, binary_op, fp, register, result_dtype

__all__ = ["where", "clamp", "clip", "clamp_min", "clamp_max", "maximum", "minimum", "lerp"]


def _shape(x: Any) -> list[int]:
    return list(np.shape(x._data if isinstance(x, Tensor) else x))


def _shapes_error(op: str, *xs: Any) -> RuntimeError:
    shapes = " and ".join(str(_shape(x)) for x in xs if isinstance(x, Tensor | np.ndarray))
    return RuntimeError(f"{op}: the shapes {shapes} are not broadcastable")


def _operands(op: str, *xs: Any) -> tuple[list[Any], np.dtype[Any]]:
    """Promote several operands (tensors or scalars; None skipped) as torch.result_type does."""
    present = [x for x in xs if x is not None]
    try:
        rd = result_dtype(*present).np
    except TypeError as e:
        raise TypeError(f"{op}: {e}") from None
    return [None if x is None else as_array_operand(x, rd) for x in xs], rd


# ------------------------------------------------------------------- where
class Where(Op):
    @staticmethod
    def forward(ctx: Any, cond: Tensor, a: Any, b: Any) -> np.ndarray:
        (x, y), _ = _operands("where", a, b)
        if ctx is not None:
            ctx.save_for_backward(cond)
        try:
            return np.where(cond._data, x, y)
        except ValueError:
            raise _shapes_error("where", cond, a, b) from None

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any, Any]:  # d where(c, a, b) = where(c, da, db)
        (cond,) = ctx.saved_tensors
        ga = where(cond, grad, 0.0) if ctx.needs_input_grad[1] else None
        gb = where(cond, 0.0, grad) if ctx.needs_input_grad[2] else None
        return None, ga, gb


def _condition(condition: Any) -> Tensor:
    check_tensor("where", condition, "condition")
    k = condition._data.dtype.kind
    if k == "b":
        return condition  # type: ignore[no-any-return]
    if condition._data.dtype == np.uint8:
        warnings.warn(
            "where received a uint8 condition tensor. This behavior is deprecated and will be removed in a future "
            "version of PyTorch. Use a boolean condition instead.",
            UserWarning,
            stacklevel=3,
        )
        return condition.to(bool)  # type: ignore[no-any-return]
    raise RuntimeError(
        f"where expected condition to be a boolean tensor, but got a tensor with dtype {condition.dtype!r}"
    )


@register(method=False)
def where(condition: Tensor, input: Any = None, other: Any = None, *, out: Tensor | None = None) -> Any:
    """``input`` where ``condition`` is True, else ``other`` (broadcast together), as ``torch.where``.

    ``input`` and ``other`` may be Python scalars; the result dtype follows torch's promotion.
    ``where(condition)`` alone is ``nonzero(condition, as_tuple=True)``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([1.0, -2.0, 3.0])
    >>> rt.where(x > 0, x, 0.0)
    tensor([1., 0., 3.])
    >>> x.where(x < 0, 10.0)
    tensor([10., -2., 10.])
    """
    if input is None and other is None:
        check_tensor("where", condition, "condition")
        return condition.nonzero(as_tuple=True)
    if input is None or other is None:
        raise TypeError("where() missing required argument: both 'input' and 'other' must be given")
    r = Where.apply(_condition(condition), input, other)
    return r if out is None else to_out(out, r, "where")


def _where_method(self: Tensor, condition: Tensor, y: Any) -> Tensor:
    """``torch.where(condition, self, y)``, as ``torch.Tensor.where``."""
    return where(condition, self, y)  # type: ignore[no-any-return]


Tensor.where = _where_method  # type: ignore[attr-defined]


# ------------------------------------------------------------------- clamp
class Clamp(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, lo: Any, hi: Any) -> np.ndarray:
        (a, lo_, hi_), rd = _operands("clamp", x, lo, hi)
        if rd.kind == "b" and not ((lo is None) != (hi is None) and isinstance(lo if hi is None else hi, Tensor)):
            raise not_implemented("clamp", rd)  # torch has a bool kernel only for one tensor bound
        if ctx is not None:
            ctx.save_for_backward(x, lo if isinstance(lo, Tensor) else None, hi if isinstance(hi, Tensor) else None)
            ctx.bounds = (lo, hi)
        try:
            r = a
            if lo_ is not None:
                r = bcall(np.maximum, r, lo_)
            if hi_ is not None:
                r = bcall(np.minimum, r, hi_)
        except ValueError:
            raise _shapes_error("clamp", x, lo, hi) from None
        return r.copy() if r is x._data else r  # type: ignore[no-any-return]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any, Any]:
        # d clamp(x, lo, hi) = dx where lo <= x <= hi; d lo where x < lo (and lo < hi); d hi where x > hi (or hi < lo)
        x, lo_t, hi_t = ctx.saved_tensors
        lo, hi = ctx.bounds
        lo = lo_t if lo_t is not None else lo
        hi = hi_t if hi_t is not None else hi
        gx = glo = ghi = None
        if ctx.needs_input_grad[0]:
            if lo is not None and hi is not None:
                gx = where((x >= lo).logical_and(x <= hi), grad, 0.0)
            else:
                gx = where(x >= lo, grad, 0.0) if lo is not None else where(x <= hi, grad, 0.0)
        if ctx.needs_input_grad[1]:
            m = x < lo
            glo = where(m.logical_and(lo < hi) if hi is not None else m, grad, 0.0)
        if ctx.needs_input_grad[2]:
            m = x > hi
            ghi = where(m.logical_or(hi < lo) if lo is not None else m, grad, 0.0)
        return gx, glo, ghi


@register
def clamp(input: Tensor, min: Any = None, max: Any = None, *, out: Tensor | None = None) -> Tensor:
    """Clamp every element into ``[min, max]``, as ``torch.clamp``; bounds are scalars or tensors.

    ``min(max(input, min), max)``: when ``min > max`` every element becomes ``max``. The
    gradient passes where ``min <= input <= max``. The result dtype promotes ``input`` with
    the bounds (``clamp(int_tensor, 0.5)`` is float).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.clamp(rt.tensor([-2.0, 0.5, 3.0]), min=-1.0, max=1.0)
    tensor([-1.0000,  0.5000,  1.0000])
    >>> rt.tensor([1, 5, 9]).clamp(max=rt.tensor([2, 6, 4]))
    tensor([1, 5, 4])
    """
    check_tensor("clamp", input)
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    r = Clamp.apply(input, min, max)
    return r if out is None else to_out(out, r, "clamp")


clip = register(clamp, name="clip")


@register
def clamp_min(input: Tensor, min: Any) -> Tensor:
    """``clamp(input, min=min)``, as ``torch.clamp_min``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.clamp_min(rt.tensor([-1.0, 2.0]), 0.0)
    tensor([0., 2.])
    """
    return clamp(input, min, None)


@register
def clamp_max(input: Tensor, max: Any) -> Tensor:
    """``clamp(input, max=max)``, as ``torch.clamp_max``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.clamp_max(rt.tensor([-1.0, 2.0]), 0.0)
    tensor([-1.,  0.])
    """
    return clamp(input, None, max)


# --------------------------------------------------------- maximum / minimum
class Maximum(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor, b: Tensor) -> np.ndarray:
        (x, y), _ = _operands("maximum", a, b)
        if ctx is not None:
            ctx.save_for_backward(a, b)
        try:
            return bcall(np.maximum, x, y)  # type: ignore[no-any-return]
        except ValueError:
            raise _shapes_error("maximum", a, b) from None

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:
        # the larger input gets the gradient; ties split it in halves (as torch)
        a, b = ctx.saved_tensors
        g = where(a == b, grad / 2, grad)
        return (where(a < b, 0.0, g) if ctx.needs_input_grad[0] else None), (
            where(a > b, 0.0, g) if ctx.needs_input_grad[1] else None
        )


class Minimum(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor, b: Tensor) -> np.ndarray:
        (x, y), _ = _operands("minimum", a, b)
        if ctx is not None:
            ctx.save_for_backward(a, b)
        try:
            return bcall(np.minimum, x, y)  # type: ignore[no-any-return]
        except ValueError:
            raise _shapes_error("minimum", a, b) from None

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:
        # the smaller input gets the gradient; ties split it in halves (as torch)
        a, b = ctx.saved_tensors
        g = where(a == b, grad / 2, grad)
        return (where(a > b, 0.0, g) if ctx.needs_input_grad[0] else None), (
            where(a < b, 0.0, g) if ctx.needs_input_grad[1] else None
        )


@register
def maximum(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Elementwise maximum of two tensors (NaN propagates), as ``torch.maximum``.

    Where the inputs tie, each gets half of the gradient, as torch.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.maximum(rt.tensor([1.0, 5.0]), rt.tensor([3.0, 2.0]))
    tensor([3., 5.])
    """
    check_tensor("maximum", input)
    check_tensor("maximum", other, "other")
    if out is None:
        return _max2(input, other)
    return to_out(out, Maximum.apply(input, other), "maximum")


@register
def minimum(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Elementwise minimum of two tensors (NaN propagates), as ``torch.minimum``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.minimum(rt.tensor([1.0, 5.0]), rt.tensor([3.0, 2.0]))
    tensor([1., 2.])
    """
    check_tensor("minimum", input)
    check_tensor("minimum", other, "other")
    if out is None:
        return _min2(input, other)
    return to_out(out, Minimum.apply(input, other), "minimum")


_max2 = binary_op(Maximum, np.maximum, "maximum")
_min2 = binary_op(Minimum, np.minimum, "minimum")


# -------------------------------------------------------------------- lerp
class Lerp(Op):
    @staticmethod
    def forward(ctx: Any, start: Tensor, end: Tensor, weight: Any) -> np.ndarray:
        a, b = start._data, end._data
        w = weight._data if isinstance(weight, Tensor) else np.asarray(weight, dtype=a.dtype)
        if ctx is not None:
            ctx.save_for_backward(start, end, weight if isinstance(weight, Tensor) else None)
            ctx.weight = weight

        def compute(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
            d = b - a  # torch's formula: exact at both ends
            return np.where(np.abs(w) < 0.5, a + w * d, b - d * (1 - w)).astype(a.dtype, copy=False)

        try:
            return fp(compute, a, b, w)  # type: ignore[no-any-return]
        except ValueError:
            raise _shapes_error("lerp", start, end, weight) from None

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any, Any]:  # d lerp = (1-w) ds + w de + (e-s) dw
        start, end, w_t = ctx.saved_tensors
        w = w_t if w_t is not None else ctx.weight
        gs = grad * (1 - w) if ctx.needs_input_grad[0] else None
        ge = grad * w if ctx.needs_input_grad[1] else None
        gw = grad * (end - start) if ctx.needs_input_grad[2] else None
        return gs, ge, gw


@register
def lerp(input: Tensor, end: Tensor, weight: Any, *, out: Tensor | None = None) -> Tensor:
    """Linear interpolation ``input + weight * (end - input)``, as ``torch.lerp``.

    ``weight`` is a scalar or a tensor; ``input``, ``end`` (and a dimensioned ``weight``) must
    share a floating dtype, as torch.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.lerp(rt.tensor([0.0, 10.0]), rt.tensor([10.0, 20.0]), 0.25)
    tensor([ 2.5000, 12.5000])
    """
    check_tensor("lerp", input)
    check_tensor("lerp", end, "end")
    dt = input._data.dtype
    if end._data.dtype != dt:
        raise RuntimeError(f"lerp: expected dtype {input.dtype!r} for `end` but got dtype {end.dtype!r}")
    if isinstance(weight, Tensor) and weight._data.ndim and weight._data.dtype != dt:
        raise RuntimeError(f"lerp: expected dtype {input.dtype!r} for `weight` but got dtype {weight.dtype!r}")
    if not (dt.kind == "f" or input.dtype.is_floating_point):
        raise not_implemented("lerp", dt)
    r = Lerp.apply(input, end, weight)
    return r if out is None else to_out(out, r, "lerp")


attach_in_place(("clamp_", clamp), ("clip_", clip), ("clamp_min_", clamp_min), ("clamp_max_", clamp_max),
                ("lerp_", lerp))  # fmt: skip
