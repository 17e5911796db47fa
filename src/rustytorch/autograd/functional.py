"""Higher-level derivatives of Python functions: ``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``vhp``,
``hvp``, as ``torch.autograd.functional``.

All are built on reverse mode: ``jvp`` and ``hvp`` use the double-vjp trick (the vjp
``u -> J^T u`` is linear in ``u``, so differentiating it with respect to ``u`` along ``v``
gives ``J v``). ``vectorize`` is accepted and ignored (rows are computed one by one).
Unless ``create_graph=True``, the results are detached from the graph; gradients of inputs
the function does not use are zeros, or raise with ``strict=True``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._tensor import Tensor, _make
from .engine import grad as _grad
from .grad_mode import enable_grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


def _as_tuple(x: Any, arg: str, fn: str) -> tuple[bool, tuple[Tensor, ...]]:
    is_tuple = isinstance(x, tuple | list)
    xs = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(xs):
        if not isinstance(t, Tensor):
            if is_tuple:
                raise TypeError(
                    f"The {arg} given to {fn} must be either a Tensor or a tuple of Tensors but the value at index "
                    f"{i} has type {type(t).__name__}."
                )
            raise TypeError(
                f"The {arg} given to {fn} must be either a Tensor or a tuple of Tensors but the given {arg} has type "
                f"{type(t).__name__}."
            )
    return is_tuple, xs


def _prepare(inputs: tuple[Tensor, ...], create_graph: bool) -> tuple[Tensor, ...]:
    """Inputs that require grad: views keeping their history with create_graph, detached copies otherwise."""
    out = []
    for t in inputs:
        if create_graph and t._requires_grad:
            out.append(t.view_as(t))
        else:
            out.append(t.detach().requires_grad_(True))
    return tuple(out)


def _post(xs: tuple[Any, ...], create_graph: bool) -> tuple[Any, ...]:
    if create_graph:
        return xs
    return tuple(x.detach() if isinstance(x, Tensor) else x for x in xs)


def _unpack(is_tuple: bool, xs: tuple[Any, ...]) -> Any:
    return xs if is_tuple else xs[0]


def _zeros_like(t: Tensor) -> Tensor:
    return _make(np.zeros(t._data.shape, dtype=t._data.dtype))


def _fill(grads: tuple[Tensor | None, ...], refs: tuple[Tensor, ...], strict: bool, what: str) -> tuple[Tensor, ...]:
    out = []
    for i, (g, r) in enumerate(zip(grads, refs, strict=True)):
        if g is None:
            if strict:
                raise RuntimeError(
                    f"The {what} of the user-provided function is independent of input {i}. This is not allowed "
                    f"in strict mode."
                )
            g = _zeros_like(r)
        out.append(g)
    return tuple(out)


def _check_v(v: Any, refs: tuple[Tensor, ...], fn: str, of: str) -> tuple[Tensor, ...]:
    if v is None:
        if len(refs) != 1 or refs[0]._data.size != 1:
            raise RuntimeError(
                f"The vector v can only be None if the {of} of the user-provided function is a single Tensor with a "
                f"single element."
            )
        return (_make(np.ones(refs[0]._data.shape, dtype=refs[0]._data.dtype)),)
    _, vs = _as_tuple(v, "v", fn)
    if len(vs) != len(refs):
        raise RuntimeError(f"v is a tuple of invalid length: should be {len(refs)} but got {len(vs)}.")
    for i, (a, b) in enumerate(zip(vs, refs, strict=True)):
        if a._data.shape != b._data.shape:
            raise RuntimeError(f"Entry {i} in v has invalid size: should be {list(b.shape)} but got {list(a.shape)}.")
    return vs


def _outputs(func: Callable[..., Any], inputs: tuple[Tensor, ...], fn: str) -> tuple[bool, tuple[Tensor, ...]]:
    with enable_grad():
        out = func(*inputs)
    return _as_tuple(out, "outputs of the user-provided function", fn)


def vjp(
    func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(inputs), v^T J)``: the vector-Jacobian product of ``func`` at ``inputs``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([1.0, 2.0])
    >>> rt.autograd.functional.vjp(lambda t: t ** 2, x, rt.tensor([1.0, 1.0]))
    (tensor([1., 4.]), tensor([2., 4.]))
    """
    in_tuple, ins = _as_tuple(inputs, "inputs", "vjp")
    ins = _prepare(ins, create_graph)
    out_tuple, outs = _outputs(func, ins, "vjp")
    vs = _check_v(v, outs, "vjp", "output")
    diff = [(o, g) for o, g in zip(outs, vs, strict=True) if o._requires_grad]
    if diff:
        with enable_grad():
            grads = _grad([o for o, _ in diff], ins, [g for _, g in diff], create_graph=create_graph, allow_unused=True)
    else:
        grads = (None,) * len(ins)
    res = _fill(tuple(grads), ins, strict, "output")
    return _unpack(out_tuple, _post(outs, create_graph)), _unpack(in_tuple, _post(res, create_graph))


def jvp(
    func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(inputs), J v)``: the Jacobian-vector product, by the double-vjp trick.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([1.0, 2.0])
    >>> rt.autograd.functional.jvp(lambda t: t ** 3, x, rt.tensor([1.0, 0.5]))
    (tensor([1., 8.]), tensor([3., 6.]))
    """
    _, ins = _as_tuple(inputs, "inputs", "jvp")
    ins = _prepare(ins, create_graph)
    vs = _check_v(v, ins, "jvp", "input")
    out_tuple, outs = _outputs(func, ins, "jvp")
    us = tuple(_zeros_like(o).requires_grad_(True) for o in outs)  # J^T u is linear in u
    diff = [(o, u) for o, u in zip(outs, us, strict=True) if o._requires_grad]
    with enable_grad():
        if diff:
            gs = _grad([o for o, _ in diff], ins, [u for _, u in diff], create_graph=True, allow_unused=True)
        else:
            gs = (None,) * len(ins)
        pairs = [(g, w) for g, w in zip(gs, vs, strict=True) if g is not None]
        if strict and len(pairs) != len(ins):
            raise RuntimeError(
                "The output of the user-provided function is independent of input "
                f"{next(i for i, g in enumerate(gs) if g is None)}. This is not allowed in strict mode."
            )
        if pairs and any(g._requires_grad for g, _ in pairs):
            pairs = [(g, w) for g, w in pairs if g._requires_grad]
            res = _grad([g for g, _ in pairs], us, [w for _, w in pairs], create_graph=create_graph, allow_unused=True)
        else:
            res = (None,) * len(us)
    out = _fill(tuple(res), outs, False, "output")
    return _unpack(out_tuple, _post(outs, create_graph)), _unpack(out_tuple, _post(out, create_graph))


def _jacobian_rows(
    outs: tuple[Tensor, ...], ins: tuple[Tensor, ...], create_graph: bool, strict: bool
) -> list[list[Tensor]]:
    """J[i][j] of shape outs[i].shape + ins[j].shape, one backward per output element."""
    jac: list[list[Tensor]] = []
    for i, o in enumerate(outs):
        rows: list[list[Tensor]] = [[] for _ in ins]
        n = o._data.size
        for k in range(n):
            if o._requires_grad:
                onehot = np.zeros(o._data.size, dtype=o._data.dtype)
                onehot[k] = 1
                with enable_grad():
                    gs = _grad(o, ins, _make(onehot.reshape(o._data.shape)), retain_graph=True,
                               create_graph=create_graph, allow_unused=True)  # fmt: skip
            else:
                gs = (None,) * len(ins)
            for j, g in enumerate(gs):
                if g is None:
                    if strict:
                        raise RuntimeError(
                            f"Output {i} of the user-provided function is independent of input {j}. This is not "
                            f"allowed in strict mode."
                        )
                    g = _zeros_like(ins[j])
                rows[j].append(g)
        row = []
        for j, x in enumerate(ins):
            shape = tuple(o._data.shape) + tuple(x._data.shape)
            if n:
                from ..ops import stack

                row.append(stack(rows[j]).reshape(shape))
            else:
                row.append(_make(np.zeros(shape, dtype=x._data.dtype)))
        jac.append(row)
    return jac


def jacobian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """The Jacobian of ``func`` at ``inputs``: for output ``i`` and input ``j`` a tensor of shape
    ``out_i.shape + in_j.shape`` (tuples of tuples when ``func`` takes or returns tuples).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.autograd.functional.jacobian(lambda t: t ** 2, rt.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    in_tuple, ins = _as_tuple(inputs, "inputs", "jacobian")
    ins = _prepare(ins, create_graph)
    out_tuple, outs = _outputs(func, ins, "jacobian")
    jac = _jacobian_rows(outs, ins, create_graph, strict)
    rows = tuple(_unpack(in_tuple, _post(tuple(r), create_graph)) for r in jac)
    return _unpack(out_tuple, rows)


def hessian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of a scalar function ``func`` at ``inputs`` (the Jacobian of its gradient).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.autograd.functional.hessian(lambda t: (t ** 3).sum(), rt.tensor([1.0, 2.0]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    in_tuple, _ = _as_tuple(inputs, "inputs", "hessian")

    def scalar(*xs: Tensor) -> Tensor:
        out = func(*xs)
        is_t, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        if is_t or len(outs) != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if outs[0]._data.size != 1:
            raise RuntimeError(
                f"The Tensor returned by the function given to hessian should contain a single element, got shape "
                f"{list(outs[0].shape)}"
            )
        return outs[0].reshape(())

    def jac_func(*xs: Tensor) -> Any:
        return jacobian(scalar, xs if in_tuple else xs[0], create_graph=True, strict=strict)

    return jacobian(jac_func, inputs, create_graph=create_graph, strict=strict)


def _scalar_output(func: Callable[..., Any], ins: tuple[Tensor, ...], fn: str) -> Tensor:
    is_t, outs = _outputs(func, ins, fn)
    if is_t or len(outs) != 1:
        raise RuntimeError(f"The function given to {fn} should return a single Tensor")
    if outs[0]._data.size != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {fn} should contain a single element, got shape "
            f"{list(outs[0].shape)}"
        )
    return outs[0]


def _strict_second(strict: bool, jac: Any, res: Any) -> None:
    if not strict:
        return
    for i, (g, h) in enumerate(zip(jac, res, strict=True)):
        if g is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}. This is not allowed in "
                f"strict mode."
            )
        if h is None:
            raise RuntimeError(
                f"The hessian of the user-provided function with respect to input {i} is independent of the input. "
                f"This is not allowed in strict mode."
            )


def vhp(
    func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(inputs), v^T H)`` for a scalar function ``func``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.autograd.functional.vhp(lambda t: (t ** 3).sum(), rt.tensor([1.0, 2.0]), rt.tensor([1.0, 1.0]))
    (tensor(9.), tensor([ 6., 12.]))
    """
    in_tuple, ins = _as_tuple(inputs, "inputs", "vhp")
    ins = _prepare(ins, create_graph)
    vs = _check_v(v, ins, "vhp", "input")
    out = _scalar_output(func, ins, "vhp")
    with enable_grad():
        jac = _grad(out, ins, create_graph=True, allow_unused=True) if out._requires_grad else (None,) * len(ins)
        pairs = [(g, w) for g, w in zip(jac, vs, strict=True) if g is not None and g._requires_grad]
        res = _grad([g for g, _ in pairs], ins, [w for _, w in pairs], create_graph=create_graph,
                    allow_unused=True) if pairs else (None,) * len(ins)  # fmt: skip
    _strict_second(strict, jac, res)
    r = _fill(tuple(res), ins, False, "Hessian")
    return _post((out,), create_graph)[0], _unpack(in_tuple, _post(r, create_graph))


def hvp(
    func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(inputs), H v)`` for a scalar function ``func``, by the double-vjp trick.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.autograd.functional.hvp(lambda t: (t ** 3).sum(), rt.tensor([1.0, 2.0]), rt.tensor([1.0, 0.0]))
    (tensor(9.), tensor([6., 0.]))
    """
    in_tuple, ins = _as_tuple(inputs, "inputs", "hvp")
    ins = _prepare(ins, create_graph)
    vs = _check_v(v, ins, "hvp", "input")
    out = _scalar_output(func, ins, "hvp")
    with enable_grad():
        jac = _grad(out, ins, create_graph=True, allow_unused=True) if out._requires_grad else (None,) * len(ins)
        _strict_second(strict, jac, (0,) * len(jac))
        us = tuple(_zeros_like(x).requires_grad_(True) for x in ins)
        pairs = [(g, u) for g, u in zip(jac, us, strict=True) if g is not None and g._requires_grad]
        if pairs:
            dbl = _grad([g for g, _ in pairs], ins, [u for _, u in pairs], create_graph=True, allow_unused=True)
            used = [(d, w) for d, w in zip(dbl, vs, strict=True) if d is not None and d._requires_grad]
            res = _grad([d for d, _ in used], us, [w for _, w in used], create_graph=create_graph,
                        allow_unused=True) if used else (None,) * len(us)  # fmt: skip
        else:
            res = (None,) * len(us)
    _strict_second(strict, jac, res)
    r = _fill(tuple(res), ins, False, "Hessian")
    return _post((out,), create_graph)[0], _unpack(in_tuple, _post(r, create_graph))
