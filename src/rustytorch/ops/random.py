"""Random sampling: ``rand``, ``randn``, ``randint``, ``randperm``, ``normal``, ``bernoulli``, ``multinomial``,
the ``*_like`` forms and the in-place ``Tensor.uniform_`` / ``normal_`` / ``random_`` / ``bernoulli_`` /
``exponential_`` / ``geometric_`` / ``log_normal_`` / ``cauchy_``.

Every function takes ``generator=`` (an ``rt.Generator``; the global generator when None). The
values differ from torch's, the distributions, shapes, dtypes and errors do not. ``normal`` and
``bernoulli`` with tensor parameters are recorded in the graph with zero gradients, as torch's
derivatives.yaml defines them (a sample's derivative is not its reparameterisation).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype
from .._dtype import get_default_dtype, to_dtype
from .._random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    rng,
    seed,
    set_rng_state,
)
from .._tensor import Tensor
from ._pointwise import not_implemented, to_out, zeros_like_grad
from ._registry import Op, register, result_dtype
from .creation import _check_device, _finish, _shape_dtype

__all__ = [
    "Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
    "rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial", "rand_like", "randn_like",
    "randint_like",
]  # fmt: skip

_BF16 = _dtype.bfloat16._np
# mantissa digits (incl. the implicit bit): random_() of a float tensor draws integers in [0, 2**digits]
_DIGITS = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}


def _float_dtype(op: str, dtype: Any) -> _dtype.dtype:
    d = get_default_dtype() if dtype is None else to_dtype(dtype)
    if not d.is_floating_point:
        raise not_implemented(op, d)
    return d


def uniform01(g: np.random.Generator, shape: tuple[int, ...], d: _dtype.dtype) -> np.ndarray:
    """Uniform samples in [0, 1) of dtype ``d`` (never 1, also for float16/bfloat16)."""
    if d is _dtype.float64:
        return g.random(shape)
    if d is _dtype.float32:
        return g.random(shape, dtype=np.float32)
    bits = _DIGITS[d.name]  # k / 2**bits is exact in the dtype
    return (g.integers(0, 1 << bits, shape) * (1.0 / (1 << bits))).astype(d.np)


def _normal01(g: np.random.Generator, shape: tuple[int, ...], d: _dtype.dtype) -> np.ndarray:
    if d is _dtype.float64:
        return g.standard_normal(shape)
    return g.standard_normal(shape, dtype=np.float32).astype(d.np, copy=False)


def _result(a: np.ndarray, out: Any, requires_grad: bool, op: str) -> Tensor:
    t = _finish(a, None, requires_grad)
    return t if out is None else to_out(out, t, op)


@register(method=False)
def rand(
    *size: Any,
    generator: Generator | None = None,
    out: Any = None,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Samples from the uniform distribution on [0, 1), as ``torch.rand`` (default floating dtype).

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.rand(2, 3, generator=rt.Generator().manual_seed(0))
    >>> x.shape, x.dtype, bool(((x >= 0) & (x < 1)).all())
    (rustytorch.Size([2, 3]), rustytorch.float32, True)
    """
    _check_device(device)
    shape, _ = _shape_dtype(size, None, "rand")
    d = _float_dtype("rand", dtype)
    return _result(uniform01(rng(generator), shape, d), out, requires_grad, "rand")


@register(method=False)
def randn(
    *size: Any,
    generator: Generator | None = None,
    out: Any = None,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Samples from the standard normal distribution, as ``torch.randn`` (default floating dtype).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.randn(4, dtype=rt.float64, generator=rt.Generator()).dtype
    rustytorch.float64
    """
    _check_device(device)
    shape, _ = _shape_dtype(size, None, "randn")
    d = _float_dtype("randn", dtype)
    return _result(_normal01(rng(generator), shape, d), out, requires_grad, "randn")


def _int_bounds(op: str, low: int, high: int, d: _dtype.dtype) -> None:
    """torch's checks of a [low, high) integer range against the destination dtype."""
    if low >= high:
        raise RuntimeError(f"{op} expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if d._cat == 1 or d is _dtype.bool:
        info = (0, 1) if d is _dtype.bool else (int(np.iinfo(d.np).min), int(np.iinfo(d.np).max))
        if not info[0] <= low <= info[1]:
            raise RuntimeError(f"{op}: from={low} is out of bounds for {d!r}")
        if not info[0] <= high - 1 <= info[1]:
            raise RuntimeError(f"{op}: to - 1 = {high - 1} is out of bounds for {d!r}")


def _draw_ints(g: np.random.Generator, low: int, high: int, shape: tuple[int, ...], d: _dtype.dtype) -> np.ndarray:
    if high - 1 > np.iinfo(np.int64).max or low < np.iinfo(np.int64).min:
        raise RuntimeError(f"random: range [{low}, {high}) does not fit in int64")
    return g.integers(low, high, shape, dtype=np.int64).astype(d.np)


def _as_int(op: str, name: str, v: Any) -> int:
    if isinstance(v, Tensor):
        v = v.item()
    if isinstance(v, float | np.floating):
        if not math.isfinite(v):
            raise RuntimeError(f"{op}: {name} must be finite, got {v}")
        return int(v)
    if isinstance(v, bool | np.bool_) or not hasattr(v, "__index__"):
        raise TypeError(f"{op}(): argument '{name}' must be int, not {type(v).__name__}")
    return int(v.__index__())


@register(method=False)
def randint(
    low: Any = 0,
    high: Any = None,
    size: Any = None,
    *,
    generator: Generator | None = None,
    out: Any = None,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Integers drawn uniformly from [low, high), as ``torch.randint(low=0, high, size)`` (int64 by default).

    Examples
    --------
    >>> import rustytorch as rt
    >>> g = rt.Generator().manual_seed(0)
    >>> x = rt.randint(3, 10, (2, 4), generator=g); y = rt.randint(5, (3,), generator=g)
    >>> x.dtype, x.shape, bool(((x >= 3) & (x < 10)).all()), bool(((y >= 0) & (y < 5)).all())
    (rustytorch.int64, rustytorch.Size([2, 4]), True, True)
    """
    _check_device(device)
    if size is None and isinstance(high, list | tuple):  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=...)
        low, high = 0, low
    if size is None:
        raise TypeError("randint(): missing the required argument 'size' (a tuple of ints)")
    shape, _ = _shape_dtype((size,) if isinstance(size, int) else tuple(size), None, "randint")
    d = _dtype.int64 if dtype is None else to_dtype(dtype)
    lo, hi = _as_int("randint", "low", low), _as_int("randint", "high", high)
    _int_bounds("random_", lo, hi, d)
    return _result(_draw_ints(rng(generator), lo, hi, shape, d), out, requires_grad, "randint")


@register(method=False)
def randperm(
    n: int,
    *,
    generator: Generator | None = None,
    out: Any = None,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A random permutation of ``0, ..., n - 1``, as ``torch.randperm`` (int64 by default).

    Examples
    --------
    >>> import rustytorch as rt
    >>> sorted(rt.randperm(5, generator=rt.Generator()).tolist())
    [0, 1, 2, 3, 4]
    """
    _check_device(device)
    n = _as_int("randperm", "n", n)
    if n < 0:
        raise RuntimeError(f"randperm: Trying to create tensor with negative dimension {n}: [{n}]")
    d = _dtype.int64 if dtype is None else to_dtype(dtype)
    if d._cat == 1 and n > 0 and n - 1 > np.iinfo(d.np).max:
        raise RuntimeError(f"randperm: n={n} is too large for result dtype {d!r}")
    return _result(rng(generator).permutation(n).astype(d.np), out, requires_grad, "randperm")


# ----------------------------------------------------------------- normal / bernoulli (graph ops)
def _param(x: Any, d: _dtype.dtype) -> Any:
    return x._data.astype(d.np, copy=False) if isinstance(x, Tensor) else x


class _Normal(Op):
    _name = "NormalBackward3"

    @staticmethod
    def forward(ctx: Any, mean: Any, std: Any, generator: Any = None) -> np.ndarray:
        tensors = [x for x in (mean, std) if isinstance(x, Tensor)]
        d = result_dtype(*tensors)
        if not d.is_floating_point:
            raise not_implemented("normal", d)
        if ctx is not None:
            ctx._name = (
                "NormalBackward3"
                if len(tensors) == 2
                else ("NormalBackward1" if tensors[0] is mean else "NormalBackward2")
            )
        m, s = _param(mean, d), _param(std, d)
        if np.any(np.asarray(s) < 0):
            raise RuntimeError(f"normal expects std >= 0.0, but found std {np.asarray(s).min()}")
        try:
            shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        except ValueError:
            raise RuntimeError(
                f"normal: the shapes of mean {list(np.shape(m))} and std {list(np.shape(s))} don't broadcast"
            ) from None
        z = _normal01(rng(generator), shape, d)
        return np.asarray(m + s * z, dtype=d.np)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:  # torch: d sample/d mean = d sample/d std := 0
        z = zeros_like_grad(grad)
        return z, z


@register(method=False)
def normal(
    mean: Any = 0.0,
    std: Any = 1.0,
    size: Any = None,
    *,
    generator: Generator | None = None,
    out: Any = None,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Samples from N(mean, std²), as ``torch.normal`` (all its overloads).

    ``mean`` and ``std`` are tensors (broadcast together; result of their promoted dtype) or
    numbers; with two numbers ``size`` gives the shape (and ``dtype`` the dtype).

    Examples
    --------
    >>> import rustytorch as rt
    >>> g = rt.Generator().manual_seed(0)
    >>> rt.normal(2.0, 3.0, (2, 3), generator=g).shape, rt.normal(rt.zeros(3, 1), rt.ones(2), generator=g).shape
    (rustytorch.Size([2, 3]), rustytorch.Size([3, 2]))
    """
    _check_device(device)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        if size is not None:
            raise TypeError("normal(): size= is only accepted when mean and std are numbers")
        r = _Normal.apply(mean, std, generator=generator)
        return r if out is None else to_out(out, r, "normal")  # type: ignore[no-any-return]
    if size is None:
        raise TypeError("normal(): with a float mean and std, the argument 'size' (a tuple of ints) is required")
    shape, _ = _shape_dtype((size,) if isinstance(size, int) else tuple(size), None, "normal")
    d = _float_dtype("normal", dtype)
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    a = (mean + std * _normal01(rng(generator), shape, _dtype.float64)).astype(d.np)
    return _result(a, out, requires_grad, "normal")


def _check_p(op: str, p: Any) -> None:
    if not 0 <= p <= 1:
        raise RuntimeError(f"{op} expects p to be in [0, 1], but got p={p}")


class _Bernoulli(Op):
    _name = "BernoulliBackward0"

    @staticmethod
    def forward(ctx: Any, input: Tensor, p: Any = None, generator: Any = None) -> np.ndarray:
        a = input._data
        d = input.dtype
        if not d.is_floating_point:
            raise not_implemented("bernoulli", d)
        if p is None:
            probs = a.astype(np.float64)
            if probs.size and not (np.all(probs >= 0) and np.all(probs <= 1)):
                raise RuntimeError(
                    f"bernoulli: expected all probabilities in [0, 1], got values in "
                    f"[{np.nanmin(probs)}, {np.nanmax(probs)}]"
                )
        else:
            _check_p("bernoulli_", p)
            probs = p
        return (rng(generator).random(a.shape) < probs).astype(a.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:  # torch: d sample/d p := 0
        return zeros_like_grad(grad)


@register
def bernoulli(input: Tensor, p: float | None = None, *, generator: Generator | None = None, out: Any = None) -> Tensor:
    """0/1 samples: element i is 1 with probability ``input[i]`` (or ``p`` for all), as ``torch.bernoulli``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.bernoulli(rt.tensor([0.0, 1.0, 1.0]))
    tensor([0., 1., 1.])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli(): argument 'input' must be Tensor, not {type(input).__name__}")
    r = _Bernoulli.apply(input, p, generator=generator)
    return r if out is None else to_out(out, r, "bernoulli")  # type: ignore[no-any-return]


@register
def multinomial(
    input: Tensor, num_samples: int, replacement: bool = False, *, generator: Generator | None = None, out: Any = None
) -> Tensor:
    """Category indices drawn from the (unnormalised) probabilities in each row, as ``torch.multinomial``.

    Without replacement a row gives each category at most once (categories of probability 0
    only once the others are exhausted), so ``num_samples`` can't exceed the number of categories.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.multinomial(rt.tensor([0.0, 3.0, 0.0]), 2, replacement=True)
    tensor([1, 1])
    >>> sorted(rt.multinomial(rt.tensor([[1.0, 1.0, 1.0]]), 3)[0].tolist())
    [0, 1, 2]
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial(): argument 'input' must be Tensor, not {type(input).__name__}")
    a = input._data
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {input.dtype!r}")
    if a.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {list(a.shape)}")
    n = _as_int("multinomial", "num_samples", num_samples)
    if n <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples (got {n})")
    k = a.shape[-1]
    if not replacement and n > k:
        raise RuntimeError(
            f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement "
            f"(n_sample={n}, categories={k})"
        )
    p = a.astype(np.float64).reshape(-1, k)
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or element < 0")
    total = p.sum(axis=1)
    if np.any(total <= 0):
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
    g = rng(generator)
    if replacement:  # inverse CDF: the first category whose cumulative probability exceeds u ~ U[0, 1)
        cdf = np.cumsum(p, axis=1)
        cdf /= cdf[:, -1:]
        u = g.random((p.shape[0], n))
        idx = np.stack([np.searchsorted(c, r, side="right") for c, r in zip(cdf, u, strict=True)])
    else:  # exponential race: the n smallest E_i / p_i (E_i ~ Exp(1)) are a weighted sample without replacement
        with np.errstate(divide="ignore"):
            keys = g.standard_exponential(p.shape) / p
        idx = np.argsort(keys, axis=1, kind="stable")[:, :n]
    res = idx.astype(np.int64).reshape(*a.shape[:-1], n)
    return _result(res, out, False, "multinomial")


# ------------------------------------------------------------------------------ *_like
def _like_dtype(input: Tensor, dtype: Any) -> _dtype.dtype:
    if not isinstance(input, Tensor):
        raise TypeError(f"expected a Tensor as input, got {type(input).__name__}")
    return input.dtype if dtype is None else to_dtype(dtype)


@register(method=False)
def rand_like(
    input: Tensor,
    *,
    generator: Generator | None = None,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: Any = None,
) -> Tensor:
    """``rand`` with ``input``'s shape (and dtype unless given), as ``torch.rand_like``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.rand_like(rt.zeros(2, 3, dtype=rt.float64)).dtype
    rustytorch.float64
    """
    _check_device(device)
    d = _like_dtype(input, dtype)
    return rand(input._data.shape, generator=generator, dtype=_float_dtype("rand_like", d), requires_grad=requires_grad)


@register(method=False)
def randn_like(
    input: Tensor,
    *,
    generator: Generator | None = None,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: Any = None,
) -> Tensor:
    """``randn`` with ``input``'s shape (and dtype unless given), as ``torch.randn_like``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.randn_like(rt.zeros(2, 3)).shape
    rustytorch.Size([2, 3])
    """
    _check_device(device)
    d = _like_dtype(input, dtype)
    return randn(
        input._data.shape, generator=generator, dtype=_float_dtype("randn_like", d), requires_grad=requires_grad
    )


@register(method=False)
def randint_like(
    input: Tensor,
    low: Any = 0,
    high: Any = None,
    *,
    generator: Generator | None = None,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: Any = None,
) -> Tensor:
    """``randint`` with ``input``'s shape and dtype: ``randint_like(x, high)`` or ``randint_like(x, low, high)``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.randint_like(rt.zeros(4), 3, 5); x.dtype, bool(((x >= 3) & (x < 5)).all())
    (rustytorch.float32, True)
    """
    _check_device(device)
    d = _like_dtype(input, dtype)
    if high is None:
        low, high = 0, low
    return randint(low, high, input._data.shape, generator=generator, dtype=d, requires_grad=requires_grad)


from . import random_inplace  # noqa: E402, F401  (attaches Tensor.uniform_, normal_, ...)
