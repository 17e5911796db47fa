"""In-place sampling methods: ``Tensor.uniform_``, ``normal_``, ``random_``, ``bernoulli_``, ``exponential_``,
``geometric_``, ``log_normal_`` and ``cauchy_`` (all with ``generator=``), written through the in-place recipe
(version counter, leaf checks). Imported by ``ops.random``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype
from .._random import Generator, rng
from .._tensor import Tensor, _make
from ._pointwise import not_implemented
from ._registry import inplace
from .random import _DIGITS, _as_int, _check_p, _draw_ints, _int_bounds, _normal01, uniform01

__all__: list[str] = []

_DOCS = {
    "uniform_": ("Fill with samples of U[from, to) (``uniform_(from=0, to=1)``).",
                 "rt.empty(3).uniform_(2, 3, generator=g)", "bool(((x >= 2) & (x < 3)).all())"),
    "normal_": ("Fill with samples of N(mean, std²) (``normal_(mean=0, std=1)``).",
                "rt.empty(3).normal_(0.0, 1.0, generator=g)", "x.shape == (3,)"),
    "bernoulli_": ("Fill with 0/1 draws that are 1 with probability ``p`` (a number or a tensor of them).",
                   "rt.empty(3).bernoulli_(1.0, generator=g)", "x.tolist() == [1.0, 1.0, 1.0]"),
    "exponential_": ("Fill with samples of the exponential distribution of rate ``lambd``.",
                     "rt.empty(3).exponential_(2.0, generator=g)", "bool((x >= 0).all())"),
    "geometric_": ("Fill with the number of Bernoulli(``p``) trials up to the first success (>= 1).",
                   "rt.empty(3).geometric_(0.5, generator=g)", "bool((x >= 1).all())"),
    "log_normal_": ("Fill with exp of N(mean, std²) samples (``log_normal_(mean=1, std=2)``).",
                    "rt.empty(3).log_normal_(generator=g)", "bool((x > 0).all())"),
    "cauchy_": ("Fill with samples of the Cauchy distribution (``cauchy_(median=0, sigma=1)``).",
                "rt.empty(3).cauchy_(generator=g)", "x.dtype == rt.float32"),
}  # fmt: skip


# ------------------------------------------------------------------------------ in-place
def _fill_(name: str, draw: Any, float_only: bool = True) -> Any:
    """The method ``name`` that fills a tensor with ``draw(numpy_generator, shape, dtype, *args)``."""

    def compute(target: Tensor, *args: Any, generator: Generator | None = None) -> Tensor:
        d = target.dtype
        if float_only and not d.is_floating_point:
            raise not_implemented(name, d)
        return _make(np.asarray(draw(rng(generator), target._data.shape, d, *args)).astype(d.np, copy=False))

    def method(self: Tensor, *args: Any, generator: Generator | None = None) -> Tensor:
        return inplace(self, name, compute, *args, generator=generator)

    method.__name__ = name
    method.__qualname__ = f"Tensor.{name}"
    if name in _DOCS:
        summary, make, check = _DOCS[name]
        method.__doc__ = f"""{summary} As ``torch.Tensor.{name}``; returns ``self``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> g = rt.Generator().manual_seed(0)
    >>> x = {make}; {check}
    True
    """
    return method


def _uniform(g: np.random.Generator, shape: tuple[int, ...], d: _dtype.dtype, lo: float = 0.0, hi: float = 1.0) -> Any:
    if lo > hi:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={lo} > to={hi}")
    v = lo + (hi - lo) * uniform01(g, shape, _dtype.float64)
    r = v.astype(d.np)
    if lo < hi:  # rounding to the dtype must not reach `to`
        r = np.minimum(r, _below(hi, d))
    return r


def _below(x: float, d: _dtype.dtype) -> np.ndarray:
    """The largest value of dtype ``d`` that is smaller than ``x``."""
    v = np.asarray(x).astype(d.np)
    if d is not _dtype.bfloat16:
        return v if v < x else np.nextafter(v, np.asarray(-np.inf, dtype=d.np))
    if float(v) < x:
        return v
    bits = v.view(np.uint16)
    if float(v) > 0:
        bits = bits - np.uint16(1)
    elif float(v) < 0:
        bits = bits + np.uint16(1)
    else:
        bits = np.asarray(0x8001, dtype=np.uint16)  # the negative subnormal closest to 0
    return bits.astype(np.uint16).view(d.np)


def _normal_(
    g: np.random.Generator, shape: tuple[int, ...], d: _dtype.dtype, mean: float = 0.0, std: float = 1.0
) -> Any:
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    return mean + std * _normal01(g, shape, _dtype.float64)


def _random_(g: np.random.Generator, shape: tuple[int, ...], d: _dtype.dtype, frm: Any = 0, to: Any = None) -> Any:
    lo = _as_int("random_", "from", frm)
    if to is None:
        hi = (
            (1 << _DIGITS[d.name]) + 1
            if d.is_floating_point
            else (2 if d is _dtype.bool else int(np.iinfo(d.np).max) + 1)
        )
    else:
        hi = _as_int("random_", "to", to)
    _int_bounds("random_", lo, hi, d)
    return _draw_ints(g, lo, hi, shape, d)


def _random_method(self: Tensor, *args: Any, generator: Generator | None = None, **kw: Any) -> Tensor:
    """Fill with integers from [from, to): ``random_(to)``, ``random_(from, to)``, or ``random_()`` over the dtype's
    range ([0, 2**mantissa] for floats), as ``torch.Tensor.random_``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.empty(5, dtype=rt.int64).random_(3, 6); bool(((x >= 3) & (x < 6)).all())
    True
    """
    frm, to = kw.get("from", 0), kw.get("to")
    if len(args) == 1 and "from" not in kw and to is None:
        frm, to = 0, args[0]
    elif args:
        frm, to = args[0], args[1] if len(args) > 1 else to
    return _random_impl(self, frm, to, generator=generator)


_random_impl = _fill_("random_", _random_, float_only=False)


def _bernoulli_(g: np.random.Generator, shape: tuple[int, ...], d: _dtype.dtype, p: Any = 0.5) -> Any:
    if isinstance(p, Tensor):
        probs = p._data.astype(np.float64)
        if probs.size and not (np.all(probs >= 0) and np.all(probs <= 1)):
            raise RuntimeError("bernoulli_: expected all probabilities in [0, 1]")
        try:
            probs = np.broadcast_to(probs, shape)
        except ValueError:
            raise RuntimeError(f"bernoulli_: p of shape {list(probs.shape)} can't broadcast to {list(shape)}") from None
    else:
        _check_p("bernoulli_", p)
        probs = p
    return g.random(shape) < probs


def _exponential_(g: np.random.Generator, shape: tuple[int, ...], d: _dtype.dtype, lambd: float = 1.0) -> Any:
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return g.standard_exponential(shape) / lambd


def _geometric_(g: np.random.Generator, shape: tuple[int, ...], d: _dtype.dtype, p: float) -> Any:
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    return g.geometric(p, shape)


def _log_normal_(
    g: np.random.Generator, shape: tuple[int, ...], d: _dtype.dtype, mean: float = 1.0, std: float = 2.0
) -> Any:
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    return np.exp(mean + std * g.standard_normal(shape))


def _cauchy_(
    g: np.random.Generator, shape: tuple[int, ...], d: _dtype.dtype, median: float = 0.0, sigma: float = 1.0
) -> Any:
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    return median + sigma * g.standard_cauchy(shape)


Tensor.uniform_ = _fill_("uniform_", _uniform)  # type: ignore[attr-defined]
Tensor.normal_ = _fill_("normal_", _normal_)  # type: ignore[attr-defined]
Tensor.random_ = _random_method  # type: ignore[attr-defined,assignment]
Tensor.bernoulli_ = _fill_("bernoulli_", _bernoulli_, float_only=False)  # type: ignore[attr-defined]
Tensor.exponential_ = _fill_("exponential_", _exponential_)  # type: ignore[attr-defined]
Tensor.geometric_ = _fill_("geometric_", _geometric_, float_only=False)  # type: ignore[attr-defined]
Tensor.log_normal_ = _fill_("log_normal_", _log_normal_)  # type: ignore[attr-defined]
Tensor.cauchy_ = _fill_("cauchy_", _cauchy_)  # type: ignore[attr-defined]
