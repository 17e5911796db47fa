"""The op table's vocabulary: ``OpInfo`` (one row per public op), ``Sample`` and input makers.

A row says how to call the op, what to compare it with (a NumPy reference and/or
PyTorch), which dtypes it takes, which inputs to try (0-d, empty, size-1, broadcast,
non-contiguous), whether it is differentiable, and which bad inputs must raise what.
``tests/test_ops.py`` runs the generic tests over every row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import rustytorch as rt

FLOATS = (rt.float32, rt.float64)
FLOATS_HALF = (rt.float16, rt.float32, rt.float64)
INTS = (rt.uint8, rt.int8, rt.int16, rt.int32, rt.int64)
SIGNED_INTS = (rt.int8, rt.int16, rt.int32, rt.int64)
ALL = (rt.bool, *INTS, *FLOATS_HALF)
NUMERIC = (*INTS, *FLOATS_HALF)


@dataclasses.dataclass
class Sample:
    """One call of an op: positional ``args`` (NumPy arrays become tensors) and ``kwargs``.

    ``grad_args`` lists the positions of array args that gradients are checked for
    (default: every floating array argument).
    """

    args: tuple[Any, ...]
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    name: str = ""
    grad_args: tuple[int, ...] | None = None

    def __repr__(self) -> str:
        parts = [f"{a.dtype}{list(a.shape)}" if isinstance(a, np.ndarray) else repr(a) for a in self.args]
        return f"Sample({self.name}: {', '.join(parts)}, {self.kwargs})"


@dataclasses.dataclass
class ErrorSample:
    """A call that must raise ``exc`` with a message matching ``match``."""

    sample: Sample
    exc: type[BaseException]
    match: str


@dataclasses.dataclass
class OpInfo:
    """One row of the op table.

    name:       the op's name in ``rustytorch.ops._registry.OPS`` (the public function).
    op:         rustytorch callable taking the sample's args; default ``getattr(rt, name)``.
    ref:        NumPy reference on ndarrays (None: no NumPy reference).
    torch_op:   PyTorch callable, "default" for ``getattr(torch, name)`` or None.
    samples:    ``samples(dtype, rng) -> list[Sample]``.
    dtypes:     dtypes the op supports (samples are made in each).
    grad:       differentiable (gradcheck + comparison with torch's gradients).
    gradgrad:   second derivative checked too.
    errors:     ``errors() -> list[ErrorSample]``.
    method:     also call ``tensor.<name>(*rest)`` and compare with the function form.
    noncontig:  run the non-contiguous variant (inputs as transposed/sliced views).
    atol/rtol:  tolerances for float32 (float64 uses 1e-7/1e-7 unless set in ``tol``).
    check_dtype: compare the result dtype with torch's.
    """

    name: str
    samples: Callable[[Any, np.random.Generator], list[Sample]]
    op: Callable[..., Any] | None = None
    ref: Callable[..., Any] | None = None
    torch_op: Any = "default"
    dtypes: Sequence[Any] = FLOATS
    grad: bool = True
    gradgrad: bool = True
    errors: Callable[[], list[ErrorSample]] | None = None
    method: bool = True
    noncontig: bool = True
    atol: float = 1e-5
    rtol: float = 1.3e-6
    tol: dict[Any, tuple[float, float]] = dataclasses.field(default_factory=dict)
    check_dtype: bool = True
    nondeterministic: bool = False  # random ops: no value comparison
    grad_dtypes: Sequence[Any] = (rt.float64,)

    def rt_op(self) -> Callable[..., Any]:
        return self.op if self.op is not None else getattr(rt, self.name)

    def torch_fn(self) -> Callable[..., Any] | None:
        if self.torch_op is None:
            return None
        try:
            import torch
        except ImportError:  # pragma: no cover - torch is installed in CI
            return None
        if self.torch_op == "default":
            return getattr(torch, self.name)  # type: ignore[no-any-return]
        return self.torch_op  # type: ignore[no-any-return]

    def tolerance(self, dtype: Any) -> tuple[float, float]:
        if dtype in self.tol:
            return self.tol[dtype]
        if dtype == rt.float64:
            return (1e-7, 1e-7)
        if dtype in (rt.float16, rt.bfloat16):
            return (1e-2, 1e-2)
        return (self.atol, self.rtol)


# ------------------------------------------------------------------ input makers
def make(shape: Sequence[int], dtype: Any, rng: np.random.Generator, low: float = -3, high: float = 3) -> np.ndarray:
    """A random array of ``shape`` and rustytorch ``dtype`` with values in ``[low, high)``."""
    shape = tuple(shape)
    if dtype == rt.bool:
        return np.asarray(rng.random(shape) < 0.5)  # a 0-d array, not a NumPy bool scalar, for shape ()
    npdt = dtype.np
    if npdt.kind in "iu":
        lo = max(int(np.ceil(low)), int(np.iinfo(npdt).min))
        hi = min(int(np.floor(high)), int(np.iinfo(npdt).max))
        if npdt.kind == "u":
            lo = max(lo, 0)
        return rng.integers(lo, max(hi, lo + 1), size=shape, endpoint=False).astype(npdt)
    return rng.uniform(low, high, size=shape).astype(npdt)


UNARY_SHAPES: tuple[tuple[int, ...], ...] = ((), (0,), (1,), (5,), (3, 4), (2, 3, 2))
BINARY_SHAPES: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] = (
    ((), ()),
    ((5,), (5,)),
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((3, 1), (1, 4)),
    ((), (2, 3)),
    ((2, 1, 3), (4, 1)),
    ((0, 3), (3,)),
)


def unary_samples(
    low: float = -3, high: float = 3, shapes: Sequence[tuple[int, ...]] = UNARY_SHAPES, **kw: Any
) -> Callable[..., list[Sample]]:
    """Samples for a one-input op: one per shape in ``shapes`` (0-d, empty, size-1, 1-D, 2-D, 3-D)."""

    def f(dtype: Any, rng: np.random.Generator) -> list[Sample]:
        return [Sample((make(s, dtype, rng, low, high),), dict(kw), name=f"shape{list(s)}") for s in shapes]

    return f


def binary_samples(
    low: float = -3,
    high: float = 3,
    rhs_low: float | None = None,
    rhs_high: float | None = None,
    scalars: Sequence[Any] = (2, 0.5),
    shapes: Sequence[tuple[tuple[int, ...], tuple[int, ...]]] = BINARY_SHAPES,
    **kw: Any,
) -> Callable[..., list[Sample]]:
    """Samples for a two-input op: same-shape, broadcast, 0-d, empty pairs, and tensor-with-scalar."""
    rl = low if rhs_low is None else rhs_low
    rh = high if rhs_high is None else rhs_high

    def f(dtype: Any, rng: np.random.Generator) -> list[Sample]:
        out = [
            Sample((make(a, dtype, rng, low, high), make(b, dtype, rng, rl, rh)), dict(kw), name=f"{list(a)}x{list(b)}")
            for a, b in shapes
        ]
        for s in scalars:
            out.append(Sample((make((3,), dtype, rng, low, high), s), dict(kw), name=f"scalar {s!r}", grad_args=(0,)))
        return out

    return f


def to_rt(x: Any, requires_grad: bool = False) -> Any:
    """Sample arg -> rustytorch (arrays become tensors; lists/tuples of arrays recursively)."""
    if isinstance(x, np.ndarray):
        t = rt.tensor(x)
        if requires_grad:
            t.requires_grad_()
        return t
    if isinstance(x, list | tuple) and x and all(isinstance(v, np.ndarray) for v in x):
        return type(x)(to_rt(v, requires_grad) for v in x)
    return x


def to_torch(x: Any, requires_grad: bool = False) -> Any:
    """Sample arg -> PyTorch (arrays become tensors; rustytorch dtypes become torch dtypes)."""
    import torch

    if isinstance(x, np.ndarray):
        t = torch.from_numpy(x.copy())
        if requires_grad:
            t.requires_grad_()
        return t
    if isinstance(x, rt.dtype):
        return getattr(torch, x.name)
    if isinstance(x, list | tuple) and x and all(isinstance(v, np.ndarray) for v in x):
        return type(x)(to_torch(v, requires_grad) for v in x)
    if isinstance(x, dict):
        return {k: to_torch(v) for k, v in x.items()}
    return x


def noncontig(a: np.ndarray) -> np.ndarray:
    """The same values as ``a`` in a non-contiguous layout (every other element of a bigger buffer)."""
    if a.ndim == 0 or a.size == 0:
        return a
    big = np.zeros((*a.shape[:-1], a.shape[-1] * 2), dtype=a.dtype)
    v = big[..., ::2]
    v[...] = a
    return v
