"""Float math functions (exp/log family, roots, trigonometric and hyperbolic functions, erf, atan2):
each op's forward (NumPy) and backward (tensor ops) side by side.

Integer and bool inputs compute in the default float dtype, as torch. Every function has an
in-place form (``x.exp_()``) that writes into a float tensor.
"""

from __future__ import annotations

import math as _math
from typing import Any, ClassVar

import numpy as np

from .._tensor import Tensor
from ._pointwise import BF16, attach_in_place, bcall, check_tensor, float_arg, to_out, ucall
from ._registry import Op, binary_op, broadcast_error, operands, register, unary_op

__all__ = [
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "reciprocal", "sin", "cos", "tan",
    "asin", "acos", "atan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
    "arcsinh", "arccosh", "arctanh", "erf", "atan2", "arctan2",
]  # fmt: skip

_LN2 = _math.log(2.0)
_LN10 = _math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / _math.sqrt(_math.pi)


def _rsqrt(a: np.ndarray) -> np.ndarray:
    if a.ndim == 0:
        return np.reciprocal(np.sqrt(a))  # type: ignore[no-any-return]
    r = np.sqrt(a)
    return np.reciprocal(r, out=r)


def _reciprocal(a: np.ndarray) -> np.ndarray:
    return np.reciprocal(a)


# erf: NumPy has none. erf(x) = x g(|x|) with g = erf(x)/x smooth and even; g is a degree-12 polynomial on
# each of 24 intervals of width 1/4 over [0, 6], fitted at import on Chebyshev nodes of math.erf (relative
# error < 2e-15 everywhere); |x| >= 6 gives +-1 exactly (erfc(6) < 1e-16).
_ERF_W, _ERF_N, _ERF_DEG = 0.25, 24, 12


def _erf_table() -> np.ndarray:
    from numpy.polynomial import chebyshev as cheb

    u = np.cos(np.pi * (np.arange(40) + 0.5) / 40)
    tab = np.empty((_ERF_DEG + 1, _ERF_N))
    for i in range(_ERF_N):
        x = (i + 0.5 + u / 2) * _ERF_W
        g = [_math.erf(v) / v for v in x]
        tab[:, i] = cheb.cheb2poly(cheb.chebfit(u, g, _ERF_DEG))
    return tab


_ERF_T = _erf_table()


def _erf(a: np.ndarray) -> np.ndarray:
    if a.ndim == 0:
        return _erf(a.reshape(1)).reshape(())
    dt = a.dtype
    x = a.astype(np.float64)
    ax = np.abs(x)
    t = ax * (1 / _ERF_W)
    k = t.astype(np.intp)  # NaN/inf give garbage indices, clipped; fixed below
    np.clip(k, 0, _ERF_N - 1, out=k)
    u = t - k
    u *= 2
    u -= 1
    r = _ERF_T[_ERF_DEG].take(k)
    for j in range(_ERF_DEG - 1, -1, -1):
        r *= u
        r += _ERF_T[j].take(k)
    r *= x
    big = ax >= 6
    if big.any():
        r[big] = np.sign(x[big])
    return r.astype(dt, copy=False)


class _Unary(Op):
    """A float function ``ufunc``; subclasses write backward (reading ``ctx.saved_tensors`` = (x,) or
    ``ctx.result`` when ``save_result``)."""

    ufunc: ClassVar[Any]
    #: compute float16/bfloat16 in float32 (composite kernels), as torch's opmath
    upcast: ClassVar[bool] = False

    @classmethod
    def forward(cls, ctx: Any, x: Tensor) -> np.ndarray:  # type: ignore[override]
        a = float_arg(x)
        if ctx is not None and not cls.save_result:
            ctx.save_for_backward(x)
        if cls.upcast and (a.dtype == np.float16 or a.dtype is BF16):
            return ucall(cls.ufunc, a.astype(np.float32)).astype(a.dtype)  # type: ignore[no-any-return]
        return ucall(cls.ufunc, a)  # type: ignore[no-any-return]


class Exp(_Unary):
    ufunc, save_result = np.exp, True

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d e^x = e^x dx
        return grad * ctx.result


class Exp2(_Unary):
    ufunc, save_result = np.exp2, True

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d 2^x = ln2 2^x dx
        return grad * (ctx.result * _LN2)


class Expm1(_Unary):
    ufunc, save_result = np.expm1, True

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d (e^x - 1) = (result + 1) dx
        return grad * (ctx.result + 1)


class Log(_Unary):
    ufunc = np.log

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d log x = dx / x
        return grad / ctx.saved_tensors[0]


class Log2(_Unary):
    ufunc = np.log2

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d log2 x = dx / (x ln2)
        return grad / (ctx.saved_tensors[0] * _LN2)


class Log10(_Unary):
    ufunc = np.log10

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d log10 x = dx / (x ln10)
        return grad / (ctx.saved_tensors[0] * _LN10)


class Log1p(_Unary):
    ufunc = np.log1p

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d log(1 + x) = dx / (1 + x)
        return grad / (ctx.saved_tensors[0] + 1)


class Sqrt(_Unary):
    ufunc, save_result = np.sqrt, True

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d sqrt x = dx / (2 sqrt x)
        return grad / (2 * ctx.result)


class Rsqrt(_Unary):
    ufunc, save_result, upcast = _rsqrt, True, True

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d x^(-1/2) = -1/2 x^(-3/2) dx
        r = ctx.result
        return grad * (r * r * r * -0.5)


class Reciprocal(_Unary):
    ufunc, save_result = _reciprocal, True

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d 1/x = -1/x^2 dx
        r = ctx.result
        return grad * -(r * r)


class Sin(_Unary):
    ufunc = np.sin

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d sin x = cos x dx
        return grad * ctx.saved_tensors[0].cos()


class Cos(_Unary):
    ufunc = np.cos

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d cos x = -sin x dx
        return grad * -ctx.saved_tensors[0].sin()


class Tan(_Unary):
    ufunc, save_result = np.tan, True

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d tan x = (1 + tan^2 x) dx
        r = ctx.result
        return grad * (r * r + 1)


class Asin(_Unary):
    ufunc = np.arcsin

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d asin x = dx / sqrt(1 - x^2)
        x = ctx.saved_tensors[0]
        return grad * (1 - x * x).rsqrt()


class Acos(_Unary):
    ufunc = np.arccos

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d acos x = -dx / sqrt(1 - x^2)
        x = ctx.saved_tensors[0]
        return grad * -(1 - x * x).rsqrt()


class Atan(_Unary):
    ufunc = np.arctan

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d atan x = dx / (1 + x^2)
        x = ctx.saved_tensors[0]
        return grad / (x * x + 1)


class Sinh(_Unary):
    ufunc = np.sinh

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d sinh x = cosh x dx
        return grad * ctx.saved_tensors[0].cosh()


class Cosh(_Unary):
    ufunc = np.cosh

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d cosh x = sinh x dx
        return grad * ctx.saved_tensors[0].sinh()


class Tanh(_Unary):
    ufunc, save_result = np.tanh, True

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d tanh x = (1 - tanh^2 x) dx
        r = ctx.result
        return grad * (1 - r * r)


class Asinh(_Unary):
    ufunc = np.arcsinh

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d asinh x = dx / sqrt(x^2 + 1)
        x = ctx.saved_tensors[0]
        return grad * (x * x + 1).rsqrt()


class Acosh(_Unary):
    ufunc = np.arccosh

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d acosh x = dx / sqrt(x^2 - 1)
        x = ctx.saved_tensors[0]
        return grad * (x * x - 1).rsqrt()


class Atanh(_Unary):
    ufunc = np.arctanh

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d atanh x = dx / (1 - x^2)
        x = ctx.saved_tensors[0]
        return grad / (1 - x * x)


class Erf(_Unary):
    ufunc = _erf

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d erf x = 2/sqrt(pi) e^(-x^2) dx
        x = ctx.saved_tensors[0]
        return grad * ((x * x).neg().exp() * _TWO_OVER_SQRT_PI)


def _public(name: str, cls: type[_Unary], what: str, example: str, result: str) -> Any:
    fast = unary_op(cls, cls.ufunc)

    def fn(input: Tensor, *, out: Tensor | None = None) -> Tensor:
        if out is None:
            return fast(input)
        check_tensor(name, input)
        return to_out(out, cls.apply(input), name)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"""{what} elementwise, as ``torch.{name}``; integer and bool inputs give the default float dtype.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.{name}(rt.tensor({example}))
    tensor({result})
    """
    register(fn)
    fast.__doc__ = fn.__doc__
    setattr(Tensor, name, fast)  # the method form x.exp() (no out=): one call less
    return fn


exp = _public("exp", Exp, "``e ** input``", "[0.0, 1.0]", "[1.0000, 2.7183]")
exp2 = _public("exp2", Exp2, "``2 ** input``", "[0, 3]", "[1., 8.]")
expm1 = _public("expm1", Expm1, "``e ** input - 1`` (accurate near 0)", "[0.0, 1e-10]", "[0.0000e+00, 1.0000e-10]")
log = _public("log", Log, "The natural logarithm", "[1.0, 2.0]", "[0.0000, 0.6931]")
log2 = _public("log2", Log2, "The base-2 logarithm", "[1.0, 8.0]", "[0., 3.]")
log10 = _public("log10", Log10, "The base-10 logarithm", "[1.0, 10.0]", "[0., 1.]")
log1p = _public("log1p", Log1p, "``log(1 + input)`` (accurate near 0)", "[0.0, 1e-10]", "[0.0000e+00, 1.0000e-10]")
sqrt = _public("sqrt", Sqrt, "The square root", "[4.0, 2.0]", "[2.0000, 1.4142]")
rsqrt = _public("rsqrt", Rsqrt, "``1 / sqrt(input)``", "[4.0, 0.25]", "[0.5000, 2.0000]")
reciprocal = _public("reciprocal", Reciprocal, "``1 / input``", "[2, 4]", "[0.5000, 0.2500]")
sin = _public("sin", Sin, "The sine", "[0.0, 1.5708]", "[0., 1.]")
cos = _public("cos", Cos, "The cosine", "[0.0, 3.1416]", "[ 1., -1.]")
tan = _public("tan", Tan, "The tangent", "[0.0, 0.7854]", "[0.0000, 1.0000]")
asin = _public("asin", Asin, "The arcsine", "[0.0, 1.0]", "[0.0000, 1.5708]")
acos = _public("acos", Acos, "The arccosine", "[1.0, -1.0]", "[0.0000, 3.1416]")
atan = _public("atan", Atan, "The arctangent", "[0.0, 1.0]", "[0.0000, 0.7854]")
sinh = _public("sinh", Sinh, "The hyperbolic sine", "[0.0, 1.0]", "[0.0000, 1.1752]")
cosh = _public("cosh", Cosh, "The hyperbolic cosine", "[0.0, 1.0]", "[1.0000, 1.5431]")
tanh = _public("tanh", Tanh, "The hyperbolic tangent", "[0.0, 1.0]", "[0.0000, 0.7616]")
asinh = _public("asinh", Asinh, "The inverse hyperbolic sine", "[0.0, 1.0]", "[0.0000, 0.8814]")
acosh = _public("acosh", Acosh, "The inverse hyperbolic cosine", "[1.0, 2.0]", "[0.0000, 1.3170]")
atanh = _public("atanh", Atanh, "The inverse hyperbolic tangent", "[0.0, 0.5]", "[0.0000, 0.5493]")
erf = _public("erf", Erf, "The error function", "[0.0, 1.0]", "[0.0000, 0.8427]")
arcsin = register(asin, name="arcsin")
arccos = register(acos, name="arccos")
arctan = register(atan, name="arctan")
arcsinh = register(asinh, name="arcsinh")
arccosh = register(acosh, name="arccosh")
arctanh = register(atanh, name="arctanh")


class Atan2(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor, b: Tensor) -> np.ndarray:
        x, y, rd = operands("atan2", a, b)
        if rd.kind != "f" and rd is not BF16:
            x, y = float_arg(a), float_arg(b)  # integers and bools give the default float dtype
        if ctx is not None:
            ctx.save_for_backward(a, b)
        try:
            return bcall(np.arctan2, x, y)  # type: ignore[no-any-return]
        except ValueError:
            raise broadcast_error("atan2", a, b) from None

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:  # d atan2(a, b) = (b da - a db) / (a^2 + b^2)
        a, b = ctx.saved_tensors
        g = grad / (a * a + b * b)
        return (g * b if ctx.needs_input_grad[0] else None), (g * -a if ctx.needs_input_grad[1] else None)


@register
def atan2(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The angle of the point ``(other, input)``: ``atan(input / other)`` in the right quadrant, as ``torch.atan2``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.atan2(rt.tensor([1.0, 1.0, -1.0]), rt.tensor([1.0, -1.0, 0.0]))
    tensor([ 0.7854,  2.3562, -1.5708])
    """
    check_tensor("atan2", input)
    check_tensor("atan2", other, "other")
    if out is None:
        return _atan2(input, other)
    return to_out(out, Atan2.apply(input, other), "atan2")


arctan2 = register(atan2, name="arctan2")
_atan2 = binary_op(Atan2, np.arctan2, "atan2", "f")

attach_in_place(*((n + "_", globals()[n]) for n in __all__))
