"""``gradcheck`` / ``gradgradcheck``: analytic gradients against central finite differences.

The slow mode builds the full Jacobian column by column (each input element perturbed
by ``±eps``) and compares it with the rows backward gives for each output element. The
fast mode compares one random projection ``u^T J v`` computed both ways, as PyTorch's
``fast_mode=True``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._tensor import Tensor, _make
from .engine import grad as autograd_grad
from .grad_mode import enable_grad, no_grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytic and numerical gradients disagree."""


def _as_tuple(x: Any) -> tuple[Any, ...]:
    return x if isinstance(x, tuple) else tuple(x) if isinstance(x, list) else (x,)


def _outputs(func: Callable[..., Any], inputs: tuple[Any, ...]) -> tuple[Tensor, ...]:
    out = _as_tuple(func(*inputs))
    return tuple(o for o in out if isinstance(o, Tensor) and (o.dtype.is_floating_point))


def _numerical_jacobian(func: Callable[..., Any], inputs: tuple[Any, ...], i: int, eps: float) -> list[np.ndarray]:
    """d outputs / d inputs[i], one column per element of inputs[i], by central differences."""
    x = inputs[i]
    buf = x._data
    flat_idx = list(np.ndindex(buf.shape))
    with no_grad():
        outs0 = _outputs(func, inputs)
    cols: list[list[np.ndarray]] = [[] for _ in outs0]
    for idx in flat_idx:
        orig = buf[idx].copy()
        with no_grad():
            buf[idx] = orig + eps
            plus = [o._data.astype(np.float64).copy() for o in _outputs(func, inputs)]
            buf[idx] = orig - eps
            minus = [o._data.astype(np.float64).copy() for o in _outputs(func, inputs)]
            buf[idx] = orig
        for k in range(len(outs0)):
            cols[k].append(((plus[k] - minus[k]) / (2 * eps)).reshape(-1))
    return [np.stack(c, axis=1) if c else np.zeros((outs0[k]._data.size, 0)) for k, c in enumerate(cols)]


def _analytic_jacobian(outs: tuple[Tensor, ...], inputs: tuple[Any, ...], i: int) -> list[np.ndarray]:
    x = inputs[i]
    jac = []
    for o in outs:
        rows = []
        for j in range(o._data.size):
            go = np.zeros(o._data.shape, dtype=o._data.dtype)
            go.reshape(-1)[j] = 1
            if not o._requires_grad:
                rows.append(np.zeros(x._data.size))
                continue
            (g,) = autograd_grad(o, x, _make(go), retain_graph=True, allow_unused=True)
            rows.append(np.zeros(x._data.size) if g is None else g._data.astype(np.float64).reshape(-1))
        jac.append(np.stack(rows) if rows else np.zeros((0, x._data.size)))
    return jac


def _check_inputs(inputs: tuple[Any, ...]) -> list[int]:
    idx = [k for k, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for k in idx:
        t = inputs[k]
        if t.dtype.name != "float64":
            import warnings

            warnings.warn(
                f"gradcheck: input {k} is {t.dtype!r}, not float64; finite differences may be inaccurate",
                UserWarning,
                stacklevel=3,
            )
        if t.numel() > 1 and any(s == 0 and n > 1 for n, s in zip(t.shape, t.stride(), strict=True)):
            raise RuntimeError(
                f"gradcheck: input {k} has overlapping memory (an expanded view): perturbing one element would "
                f"change several. Pass .contiguous() inputs."
            )
    return idx


def gradcheck(
    func: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    fast_mode: bool = False,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_batched_grad: bool = False,
    masked: bool | None = None,
) -> bool:
    """Check analytic gradients of ``func`` against finite differences, as ``torch.autograd.gradcheck``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.randn(3, dtype=rt.float64, requires_grad=True)
    >>> rt.autograd.gradcheck(lambda t: (t * t).exp(), (x,))
    True
    """
    inputs = _as_tuple(inputs)
    idx = _check_inputs(inputs)
    outs = _outputs(func, inputs)
    if fast_mode:
        return _fast_check(func, inputs, idx, outs, eps, atol, rtol, raise_exception)
    for i in idx:
        numerical = _numerical_jacobian(func, inputs, i, eps)
        analytic = _analytic_jacobian(outs, inputs, i)
        for k, (n, a) in enumerate(zip(numerical, analytic, strict=True)):
            if not np.allclose(a, n, atol=atol, rtol=rtol):
                if raise_exception:
                    raise GradcheckError(
                        f"Jacobian mismatch for output {k} with respect to input {i},\nnumerical:{n}\nanalytical:{a}\n"
                    )
                return False
    return True


def _fast_check(
    func: Callable[..., Any],
    inputs: tuple[Any, ...],
    idx: Sequence[int],
    outs: tuple[Tensor, ...],
    eps: float,
    atol: float,
    rtol: float,
    raise_exception: bool,
) -> bool:
    rng = np.random.default_rng(0)
    us = [rng.standard_normal(o._data.shape) for o in outs]
    for i in idx:
        x = inputs[i]
        v = rng.standard_normal(x._data.shape)
        # numerical: u . (f(x + eps v) - f(x - eps v)) / 2eps
        buf = x._data
        orig = buf.copy()
        with no_grad():
            buf[...] = orig + eps * v
            plus = [o._data.astype(np.float64).copy() for o in _outputs(func, inputs)]
            buf[...] = orig - eps * v
            minus = [o._data.astype(np.float64).copy() for o in _outputs(func, inputs)]
            buf[...] = orig
        num = sum(float(np.sum(u * (p - m) / (2 * eps))) for u, p, m in zip(us, plus, minus, strict=True))
        diff_outs = [(o, u) for o, u in zip(outs, us, strict=True) if o.requires_grad]
        if diff_outs:
            grads = autograd_grad(
                [o for o, _ in diff_outs],
                x,
                [_make(u.astype(o._data.dtype)) for o, u in diff_outs],
                retain_graph=True,
                allow_unused=True,
            )
            g = grads[0]
            ana = 0.0 if g is None else float(np.sum(g._data.astype(np.float64) * v))
        else:
            ana = 0.0
        if not np.isclose(ana, num, atol=atol, rtol=rtol):
            if raise_exception:
                raise GradcheckError(
                    f"Jacobian mismatch (fast mode) with respect to input {i}: numerical u^T J v = {num}, "
                    f"analytical = {ana}"
                )
            return False
    return True


def gradgradcheck(
    func: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    fast_mode: bool = False,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_batched_grad: bool = False,
    masked: bool = False,
) -> bool:
    """Check second derivatives: gradcheck of the vector-Jacobian product, as ``torch.autograd.gradgradcheck``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.randn(3, dtype=rt.float64, requires_grad=True)
    >>> rt.autograd.gradgradcheck(lambda t: (t * t * t).sum(), (x,))
    True
    """
    inputs = _as_tuple(inputs)
    idx = _check_inputs(inputs)
    outs = _outputs(func, inputs)
    rng = np.random.default_rng(1)
    if grad_outputs is None:
        gos = tuple(
            _make(rng.standard_normal(o._data.shape).astype(o._data.dtype)).requires_grad_()
            for o in outs
            if o.requires_grad
        )
    else:
        gos = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def vjp(*args: Any) -> tuple[Tensor, ...]:
        ins, go = args[:n_in], args[n_in:]
        with enable_grad():
            out = [o for o in _outputs(func, ins) if o.requires_grad]
            diff_inputs = [ins[i] for i in idx]
            grads = autograd_grad(out, diff_inputs, list(go), create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(
        vjp, inputs + tuple(gos), eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception, fast_mode=fast_mode
    )
