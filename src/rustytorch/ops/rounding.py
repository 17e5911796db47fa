"""Rounding and classification: floor ceil trunc round frac sign, isnan isinf isfinite, nan_to_num.

floor / ceil / trunc / round / sign are piecewise constant: their gradient is zero, as torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._pointwise import (
    BF16,
    attach_in_place,
    check_tensor,
    const,
    is_float,
    not_implemented,
    to_out,
    ucall,
    zeros_like_grad,
)
from ._registry import Op, fp, register, unary_op

__all__ = ["floor", "ceil", "trunc", "fix", "round", "frac", "sign", "sgn", "isnan", "isinf", "isfinite", "nan_to_num"]


class _Rounding(Op):
    """floor / ceil / trunc: integers are returned as they are (a copy), bools raise, as torch."""

    opname = ""

    @classmethod
    def forward(cls, ctx: Any, x: Tensor) -> np.ndarray:  # type: ignore[override]
        a = x._data
        k = a.dtype.kind
        if k in "iu":
            return a.copy()
        if k == "b":
            raise not_implemented(cls.opname, a.dtype)
        return ucall(cls.ufunc, a)  # type: ignore[attr-defined,no-any-return]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # piecewise constant: zero gradient (as torch)
        return zeros_like_grad(grad)


class Floor(_Rounding):
    opname, ufunc = "floor", np.floor


class Ceil(_Rounding):
    opname, ufunc = "ceil", np.ceil


class Trunc(_Rounding):
    opname, ufunc = "trunc", np.trunc


class Round(_Rounding):
    opname, ufunc = "round", np.rint  # half to even, as torch


def _round_decimals(a: np.ndarray, decimals: int) -> np.ndarray:
    """torch's formula: ``rint(x * 10^d) / 10^d`` (``rint(x / 10^-d) * 10^-d`` for d < 0), in ``a``'s dtype."""
    x = a if a.dtype.itemsize >= 4 else a.astype(np.float32)  # half precisions compute in float32, as torch
    ten = np.asarray(10.0 ** abs(decimals), dtype=x.dtype)
    r = np.rint(x * ten) / ten if decimals > 0 else np.rint(x / ten) * ten
    return r.astype(a.dtype, copy=False)


class RoundDecimals(Op):
    _name = "RoundBackward1"

    @staticmethod
    def forward(ctx: Any, x: Tensor, decimals: int) -> np.ndarray:
        a = x._data
        if not is_float(a):
            raise not_implemented("round", a.dtype)
        return fp(_round_decimals, a, decimals)  # type: ignore[no-any-return]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # piecewise constant: zero gradient (as torch)
        return zeros_like_grad(grad)


class Frac(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor) -> np.ndarray:
        a = x._data
        if not is_float(a):
            raise not_implemented("frac", a.dtype)
        return fp(lambda v: v - np.trunc(v), a)  # type: ignore[no-any-return]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d (x - trunc x) = dx
        return grad


def _sign(a: np.ndarray) -> np.ndarray:
    if a.dtype.kind == "b":
        return a.copy()
    if a.dtype.kind == "u":
        return (a > 0).astype(a.dtype)
    # (0 < x) - (x < 0): sign(nan) = 0 and sign(-0.0) = 0, as torch
    return (a > 0).astype(a.dtype) - (a < 0).astype(a.dtype)  # type: ignore[no-any-return]


class Sign(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor) -> np.ndarray:
        return fp(_sign, x._data)  # type: ignore[no-any-return]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # piecewise constant: zero gradient (as torch)
        return zeros_like_grad(grad)


def _rounding_public(name: str, cls: type[_Rounding], what: str, result: str) -> Any:
    fast = unary_op(cls, cls.ufunc)  # type: ignore[attr-defined]

    def fn(input: Tensor, *, out: Tensor | None = None) -> Tensor:
        if out is None:
            return fast(input)
        check_tensor(name, input)
        return to_out(out, cls.apply(input), name)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"""Round {what} elementwise, as ``torch.{name}``; integer tensors are returned unchanged (a copy).

    The gradient is zero, as torch.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.{name}(rt.tensor([-1.5, -0.5, 0.5, 2.7]))
    tensor({result})
    """
    return register(fn)


floor = _rounding_public("floor", Floor, "toward -inf", "[-2., -1.,  0.,  2.]")
ceil = _rounding_public("ceil", Ceil, "toward +inf", "[-1., -0.,  1.,  3.]")
trunc = _rounding_public("trunc", Trunc, "toward zero", "[-1., -0.,  0.,  2.]")
fix = register(trunc, name="fix")
_round0 = unary_op(Round, np.rint)


@register
def round(input: Tensor, *, decimals: int = 0, out: Tensor | None = None) -> Tensor:
    """Round to the nearest integer (halves to even), or to ``decimals`` decimal places, as ``torch.round``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.round(rt.tensor([0.5, 1.5, 2.5, -0.5]))
    tensor([0., 2., 2., -0.])
    >>> rt.round(rt.tensor([1.23456, 2.5]), decimals=2), rt.round(rt.tensor([1234.5]), decimals=-2)
    (tensor([1.2300, 2.5000]), tensor([1200.]))
    """
    check_tensor("round", input)
    if not isinstance(decimals, int):
        raise TypeError(f"round(): argument 'decimals' must be int, not {type(decimals).__name__}")
    if decimals == 0:
        r = _round0(input) if out is None else Round.apply(input)
    else:
        r = RoundDecimals.apply(input, decimals)
    return r if out is None else to_out(out, r, "round")


@register
def frac(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The fractional part ``input - trunc(input)`` (sign of ``input``), as ``torch.frac``; floats only.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.frac(rt.tensor([-1.5, 2.25]))
    tensor([-0.5000,  0.2500])
    """
    check_tensor("frac", input)
    r = Frac.apply(input)
    return r if out is None else to_out(out, r, "frac")


@register
def sign(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """-1, 0 or 1 by the sign of each element (0 for NaN), in the input's dtype, as ``torch.sign``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.sign(rt.tensor([-2.5, 0.0, 3.0, float("nan")])), rt.sign(rt.tensor([-4, 0, 9]))
    (tensor([-1.,  0.,  1.,  0.]), tensor([-1,  0,  1]))
    """
    check_tensor("sign", input)
    r = Sign.apply(input)
    return r if out is None else to_out(out, r, "sign")


sgn = register(sign, name="sgn")


def _classify(name: str, ufunc: Any, int_value: bool, doc_result: str) -> Any:
    def fn(input: Tensor) -> Tensor:
        check_tensor(name, input)
        a = input._data
        if not is_float(a):
            return const(np.full(a.shape, int_value, dtype=np.bool_))
        return const(ucall(ufunc, a))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"""A bool tensor: where each element is {name[2:]}, as ``torch.{name}`` (no gradient).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.{name}(rt.tensor([1.0, float("nan"), float("inf")]))
    tensor({doc_result})
    """
    return register(fn)


isnan = _classify("isnan", np.isnan, False, "[False,  True, False]")
isinf = _classify("isinf", np.isinf, False, "[False, False,  True]")
isfinite = _classify("isfinite", np.isfinite, True, "[ True, False, False]")


def _finfo_max(dt: np.dtype[Any]) -> float:
    if dt is BF16:
        import ml_dtypes

        return float(ml_dtypes.finfo(dt).max)
    return float(np.finfo(dt).max)


class NanToNum(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, nan: float, posinf: float | None, neginf: float | None) -> np.ndarray:
        a = x._data
        if ctx is not None:
            ctx.save_for_backward(x)
        if not is_float(a):
            return a.copy()
        hi = _finfo_max(a.dtype)
        lo = -hi
        return fp(  # type: ignore[no-any-return]
            lambda v: np.nan_to_num(
                v, nan=nan, posinf=hi if posinf is None else posinf, neginf=lo if neginf is None else neginf
            ),
            a,
        )

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # finite elements pass through; replaced ones are constants
        (x,) = ctx.saved_tensors
        return grad * x.isfinite()


@register
def nan_to_num(
    input: Tensor,
    nan: float = 0.0,
    posinf: float | None = None,
    neginf: float | None = None,
    *,
    out: Tensor | None = None,
) -> Tensor:
    """Replace NaN by ``nan``, +inf by ``posinf`` and -inf by ``neginf`` (default: the dtype's largest and
    smallest finite values), as ``torch.nan_to_num``; integer tensors are returned unchanged (a copy).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nan_to_num(rt.tensor([float("nan"), float("inf"), -float("inf"), 1.5]), posinf=9.0)
    tensor([ 0.0000e+00,  9.0000e+00, -3.4028e+38,  1.5000e+00])
    """
    check_tensor("nan_to_num", input)
    r = NanToNum.apply(input, float(nan), posinf, neginf)
    return r if out is None else to_out(out, r, "nan_to_num")


attach_in_place(
    ("floor_", floor), ("ceil_", ceil), ("trunc_", trunc), ("fix_", fix), ("round_", round), ("frac_", frac),
    ("sign_", sign), ("sgn_", sgn), ("nan_to_num_", nan_to_num),
)  # fmt: skip
