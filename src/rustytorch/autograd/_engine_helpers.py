"""The engine's per-node helpers: hooks, gradient checks and conformance (shape reduction, dtype casts),
anomaly-mode NaN checks. Split from ``engine`` to keep files short; only the slow paths live here."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _make
from .node import Node, _RetainGradHook

__all__: list[str] = []


def _leaf_hooks(node: Node, g: Tensor) -> Tensor:
    hooks = node.variable._hooks  # type: ignore[attr-defined]
    if hooks:
        for h in tuple(hooks):
            r = h(g)
            if r is not None:
                g = _hook_result(node, r, g)
    return g


def _hook_result(node: Node, r: Any, g: Tensor) -> Tensor:
    if not isinstance(r, Tensor):
        raise TypeError(
            f"a hook on the gradient of {node.name()} returned {type(r).__name__}, expected a Tensor or None"
        )
    if r._data.shape != g._data.shape:
        raise RuntimeError(
            f"hook on the gradient of {node.name()} changed its shape from {list(g.shape)} to {list(r.shape)}"
        )
    return r


def _call_pre_hooks(node: Node, g: Any, multi: bool) -> Any:
    """Tensor hooks (per output), then retain_grad, then node pre-hooks, as torch orders them."""
    grads = list(g) if multi else [g]
    hooks = node._pre_hooks
    assert hooks is not None
    for nr, fns in hooks.items():
        if nr < 0 or nr >= len(grads) or grads[nr] is None:
            continue
        retain = []
        for h in tuple(fns):
            if h.__class__ is _RetainGradHook:
                retain.append(h)
                continue
            r = h(grads[nr])
            if r is not None:
                grads[nr] = _hook_result(node, r, grads[nr])
        for h in retain:
            h(grads[nr])
    for h in tuple(hooks.get(-1, ())):
        r = h(tuple(grads))
        if r is not None:
            r = tuple(r) if isinstance(r, tuple | list) else (r,)
            if len(r) != len(grads):
                raise RuntimeError(f"a pre-hook of {node.name()} returned {len(r)} gradients, expected {len(grads)}")
            grads = list(r)
    return grads if multi else grads[0]


def _call_post_hooks(node: Node, res: tuple[Any, ...], g: Any, multi: bool) -> tuple[Any, ...]:
    grad_outputs = tuple(g) if multi else (g,)
    for h in tuple(node._hooks or ()):
        r = h(res, grad_outputs)
        if r is not None:
            r = tuple(r) if isinstance(r, tuple | list) else (r,)
            if len(r) != len(res):
                raise RuntimeError(f"a hook of {node.name()} returned {len(r)} gradients, expected {len(res)}")
            res = r
    return res


def _materialize(node: Node, g: list[Any]) -> list[Any]:
    meta = node._out_meta
    out = list(g)
    for i, gi in enumerate(out):
        if gi is None and meta is not None:
            shape, dt = meta[i]
            out[i] = _make(np.zeros(shape, dtype=dt))
    return out


def _fix_count(node: Node, res: tuple[Any, ...]) -> tuple[Any, ...]:
    meta = node._in_meta
    n = len(meta)
    if len(res) < n and all(m is None for m in meta[len(res) :]):
        return res + (None,) * (n - len(res))  # trailing non-tensor arguments
    if len(res) > n and all(r is None for r in res[n:]):
        return res[:n]
    raise RuntimeError(
        f"function {node.name()} returned an incorrect number of gradients (expected {n}, got {len(res)})"
    )


def _check_type(node: Node, g: Any, i: int) -> None:
    if not isinstance(g, Tensor):
        raise TypeError(f"function {node.name()} returned a gradient of type {type(g).__name__} at index {i}")


def _conform(node: Node, g: Tensor, m: tuple[Any, Any], i: int) -> Tensor:
    """The gradient reduced to the input's shape (broadcasting undone) and cast to its dtype."""
    shape, dt = m
    if g._data.shape != shape:
        g = _sum_to(g, shape, node, i)
    if g._data.dtype != dt:
        from .._dtype import _FROM_NP

        g = g.to(_FROM_NP[dt])
    return g


def _check_nan(node: Node, g: Tensor, i: int) -> None:
    """Anomaly mode: a NaN gradient raises, naming the node and where its forward ran (as torch)."""
    d = g._data
    if d.dtype.kind in "fV" and np.isnan(d.astype(np.float64, copy=False)).any():
        where = (
            f"\n\nThe forward call of {node.name()} that created it was:\n{node._trace}"
            if node._trace
            else f" (recorded at {node._location})"
            if node._location is not None
            else ""
        )
        raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.{where}")


def _sum_to(g: Tensor, shape: tuple[int, ...], node: Node, i: int) -> Tensor:
    """Reduce a broadcast gradient back to ``shape`` (sum over the broadcast dimensions)."""
    gs = g._data.shape
    lead = len(gs) - len(shape)
    if lead < 0 or any(s != 1 and s != gs[lead + k] for k, s in enumerate(shape)):
        raise RuntimeError(
            f"function {node.name()} returned an invalid gradient at index {i} - got {list(gs)} but expected "
            f"shape compatible with {list(shape)}"
        )
    dims = tuple(range(lead)) + tuple(lead + k for k, s in enumerate(shape) if s == 1 and gs[lead + k] != 1)
    if dims:
        g = g.sum(dim=dims, keepdim=True)
    if g._data.shape != shape:
        g = g.reshape(shape)
    return g
