"""The backward engine: an iterative, deterministic walk of the recorded graph.

Nodes run in dependency order (a node runs once every gradient flowing into it has
arrived); among ready nodes the most recently created runs first, as in PyTorch. The
engine does the work shared by all ops: it reduces broadcast gradients to the input's
shape, casts them to the input's dtype, checks them, accumulates them and frees saved
tensors as it goes unless ``retain_graph``.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._tensor import Tensor, _make
from .grad_mode import GRAD_ENABLED
from .node import AccumulateGrad, Node, _RetainGradHook

__all__ = ["backward", "grad"]


def _as_tuple(x: Any) -> tuple[Any, ...]:
    if x is None:
        return ()
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _root_grads(outputs: tuple[Tensor, ...], grads: tuple[Any, ...], fn: str) -> list[Tensor]:
    if len(grads) == 0:
        grads = (None,) * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(f"{fn}: got {len(grads)} gradients for {len(outputs)} outputs")
    result = []
    for out, g in zip(outputs, grads, strict=True):
        if not isinstance(out, Tensor):
            raise TypeError(f"{fn}: outputs must be Tensors, got {type(out).__name__}")
        if not out._requires_grad:
            raise RuntimeError(
                f"{fn}: element 0 of tensors does not require grad and does not have a grad_fn"
                if out._grad_fn is None
                else f"{fn}: output does not require grad"
            )
        if g is None:
            if out._data.size != 1:
                raise RuntimeError(
                    f"{fn}: grad can be implicitly created only for scalar outputs, got an output of shape "
                    f"{list(out.shape)}; pass gradient= with that shape"
                )
            g = _make(np.ones(out._data.shape, dtype=out._data.dtype))
        elif not isinstance(g, Tensor):
            g = _make(np.full(out._data.shape, g, dtype=out._data.dtype))
        elif g._data.shape != out._data.shape:
            raise RuntimeError(
                f"{fn}: Mismatch in shape: grad_output has a shape of {list(g.shape)} and output has a shape "
                f"of {list(out.shape)}"
            )
        result.append(g)
    return result


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
) -> None:
    """Accumulate gradients of ``tensors`` into the ``.grad`` of graph leaves, as ``torch.autograd.backward``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([1.0, 2.0], requires_grad=True)
    >>> rt.autograd.backward([(x * x).sum()]); x.grad
    tensor([2., 4.])
    """
    outs = _as_tuple(tensors)
    roots = _root_grads(outs, _as_tuple(grad_tensors), "backward")
    if retain_graph is None:
        retain_graph = create_graph
    targets = None
    if inputs is not None:
        ins = _as_tuple(inputs)
        if not ins:
            raise RuntimeError("backward: 'inputs' argument to backward() cannot be empty")
        targets = [_target_of(t, "backward") for t in ins]
    captured = _run(outs, roots, retain_graph, create_graph, targets, capture=False)
    if inputs is not None:
        for t, key in zip(_as_tuple(inputs), targets or (), strict=True):
            g = captured.get(key)
            if t._grad_fn is not None and g is not None:
                t._grad = g if t._grad is None else t._grad + g


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``, as ``torch.autograd.grad``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([1.0, 2.0], requires_grad=True)
    >>> rt.autograd.grad((x ** 3).sum(), x)
    (tensor([ 3., 12.]),)
    """
    if is_grads_batched:
        raise NotImplementedError("grad: is_grads_batched=True is not supported")
    outs = _as_tuple(outputs)
    ins = _as_tuple(inputs)
    if not ins:
        raise RuntimeError("grad requires non-empty inputs.")
    if allow_unused is None:
        allow_unused = materialize_grads
    roots = _root_grads(outs, _as_tuple(grad_outputs), "grad")
    if retain_graph is None:
        retain_graph = create_graph
    targets = [_target_of(t, "grad") for t in ins]
    captured = _run(outs, roots, retain_graph, create_graph, targets, capture=True)
    result: list[Tensor | None] = []
    for i, (t, key) in enumerate(zip(ins, targets, strict=True)):
        g = captured.get(key)
        if g is None:
            if materialize_grads:
                g = _make(np.zeros(t._data.shape, dtype=t._data.dtype))
            elif not allow_unused:
                raise RuntimeError(
                    f"grad: one of the differentiated Tensors (input {i}, shape {list(t.shape)}) appears to not "
                    f"have been used in the graph. Set allow_unused=True if this is the desired behavior."
                )
        result.append(g)
    return tuple(result)


def _target_of(t: Any, fn: str) -> tuple[Node, int]:
    if not isinstance(t, Tensor):
        raise TypeError(f"{fn}: inputs must be Tensors, got {type(t).__name__}")
    if not t._requires_grad:
        raise RuntimeError(f"{fn}: One of the differentiated Tensors does not require grad")
    if t._grad_fn is None:
        return (t._grad_accumulator(), 0)
    return (t._grad_fn, t._output_nr)


def _collect(roots: list[Node]) -> tuple[dict[Node, int], list[Node]]:
    """Dependency counts (edges into each node) and nodes in DFS post-order, iteratively."""
    deps: dict[Node, int] = {}
    order: list[Node] = []
    seen = set()
    on_stack = set()
    stack: list[tuple[Node, int]] = []
    for r in roots:
        if r in seen:
            continue
        seen.add(r)
        on_stack.add(r)
        stack.append((r, 0))
        while stack:
            node, i = stack[-1]
            nf = node.next_functions
            if i < len(nf):
                stack[-1] = (node, i + 1)
                child = nf[i][0]
                if child is None:
                    continue
                deps[child] = deps.get(child, 0) + 1
                if child in on_stack:
                    raise RuntimeError(
                        f"autograd graph has a cycle through {child.name()}: a node is its own ancestor "
                        f"(e.g. a custom Function that returned an input it marked dirty)"
                    )
                if child not in seen:
                    seen.add(child)
                    on_stack.add(child)
                    stack.append((child, 0))
            else:
                stack.pop()
                on_stack.discard(node)
                order.append(node)
    return deps, order


def _run(
    outs: tuple[Tensor, ...],
    root_grads: list[Tensor],
    retain_graph: bool,
    create_graph: bool,
    targets: list[tuple[Node, int]] | None,
    capture: bool,
) -> dict[tuple[Node, int], Tensor]:
    token = GRAD_ENABLED.set(create_graph)
    try:
        return _execute(outs, root_grads, retain_graph, create_graph, targets, capture)
    finally:
        GRAD_ENABLED.reset(token)


def _execute(
    outs: tuple[Tensor, ...],
    root_grads: list[Tensor],
    retain_graph: bool,
    create_graph: bool,
    targets: list[tuple[Node, int]] | None,
    capture: bool,
) -> dict[tuple[Node, int], Tensor]:
    buffers: dict[Node, list[Any]] = {}
    root_nodes: list[Node] = []
    for out, g in zip(outs, root_grads, strict=True):
        node = out._grad_fn if out._grad_fn is not None else out._grad_accumulator()
        nr = out._output_nr if out._grad_fn is not None else 0
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node._n_out
            root_nodes.append(node)
        buf[nr] = g if buf[nr] is None else buf[nr] + g
    deps, order = _collect(root_nodes)

    needed: set[Node] | None = None
    target_keys: dict[Node, list[int]] = {}
    if targets is not None:
        for node, nr in targets:
            target_keys.setdefault(node, []).append(nr)
        needed = set()
        for node in order:  # post-order: children first
            if node in target_keys or any(c is not None and c in needed for c, _ in node.next_functions):
                needed.add(node)
    captured: dict[tuple[Node, int], Tensor] = {}

    ready: list[tuple[int, int, Node]] = []
    for node in root_nodes:
        if deps.get(node, 0) == 0:
            heapq.heappush(ready, (-node._seq, id(node), node))
    while ready:
        _, _, node = heapq.heappop(ready)
        grads = buffers.pop(node)
        if needed is not None and node not in needed:
            _release_edges(node, deps, buffers, ready, needed)
            continue
        grads = _call_pre_hooks(node, grads)
        if node in target_keys:
            for nr in target_keys[node]:
                g = grads[nr] if nr < len(grads) else None
                if g is not None:
                    key = (node, nr)
                    captured[key] = g if key not in captured else captured[key] + g
            if capture and (
                isinstance(node, AccumulateGrad)
                or not any(c is not None and c in needed for c, _ in node.next_functions)  # type: ignore[operator]
            ):
                _release_edges(node, deps, buffers, ready, needed)
                if not retain_graph and not isinstance(node, AccumulateGrad):
                    node._release()
                continue
        if isinstance(node, AccumulateGrad):
            g = grads[0]
            if g is not None:
                node.accumulate(g, create_graph)
            continue
        in_grads = _call_node(node, grads)
        if not retain_graph:
            node._release()
        for (child, nr), g in zip(node.next_functions, in_grads, strict=True):
            if child is None:
                continue
            if g is not None:
                buf = buffers.get(child)
                if buf is None:
                    buf = buffers[child] = [None] * child._n_out
                buf[nr] = g if buf[nr] is None else buf[nr] + g
            d = deps[child] - 1
            deps[child] = d
            if d == 0:
                if child in buffers and any(b is not None for b in buffers[child]):
                    heapq.heappush(ready, (-child._seq, id(child), child))
                else:
                    buffers.pop(child, None)
                    _release_edges(child, deps, buffers, ready, needed)
    return captured


def _release_edges(
    node: Node,
    deps: dict[Node, int],
    buffers: dict[Node, list[Any]],
    ready: list[tuple[int, int, Node]],
    needed: set[Node] | None,
) -> None:
    """A node that will not run (no gradient reached it): still count down its children."""
    stack = [node]
    while stack:
        n = stack.pop()
        for child, _ in n.next_functions:
            if child is None:
                continue
            d = deps[child] - 1
            deps[child] = d
            if d == 0:
                if child in buffers and any(b is not None for b in buffers[child]):
                    heapq.heappush(ready, (-child._seq, id(child), child))
                else:
                    buffers.pop(child, None)
                    stack.append(child)


def _call_pre_hooks(node: Node, grads: list[Any]) -> list[Any]:
    hooks = node._pre_hooks
    if isinstance(node, AccumulateGrad):
        var_hooks = node.variable._hooks
        if var_hooks and grads[0] is not None:
            for h in list(var_hooks):
                r = h(grads[0])
                if r is not None:
                    grads[0] = r
    if not hooks:
        return grads
    for nr, fns in hooks.items():
        if nr == -1:
            continue
        if grads[nr] is None:
            continue
        retain = [h for h in fns if isinstance(h, _RetainGradHook)]
        for h in list(fns):
            if isinstance(h, _RetainGradHook):
                continue
            r = h(grads[nr])
            if r is not None:
                grads[nr] = r
        for h in retain:
            h(grads[nr])
    for h in list(hooks.get(-1, ())):
        r = h(tuple(grads))
        if r is not None:
            grads = list(r)
    return grads


def _call_node(node: Node, grads: list[Any]) -> Sequence[Any]:
    if node._n_out > 1 or any(g is None for g in grads):
        if node.materialize_grads:
            meta = node._out_meta
            for i, g in enumerate(grads):
                if g is None and meta is not None:
                    shape, dt = meta[i]
                    grads[i] = _make(np.zeros(shape, dtype=dt))
    try:
        result = node.backward(node, *grads)
    except RuntimeError as e:
        if node._trace is not None:
            raise RuntimeError(f"{e}\n\nThe forward call of {node.name()} was:\n{node._trace}") from e
        raise
    if not isinstance(result, tuple):
        result = (result,)
    meta = node._in_meta
    if len(result) != len(meta):
        if len(result) < len(meta) and all(m is None for m in meta[len(result) :]):
            result = tuple(result) + (None,) * (len(meta) - len(result))  # trailing non-tensor arguments
        else:
            raise RuntimeError(
                f"function {node.name()} returned an incorrect number of gradients (expected {len(meta)}, got "
                f"{len(result)})"
            )
    out: list[Any] = []
    for i, (g, m) in enumerate(zip(result, meta, strict=True)):
        if g is None or m is None:
            out.append(None)
            continue
        if not isinstance(g, Tensor):
            raise TypeError(f"function {node.name()} returned a gradient of type {type(g).__name__} at index {i}")
        shape, dt = m
        gd = g._data
        if gd.shape != shape:
            g = _sum_to(g, shape, node, i)
        if g._data.dtype != dt:
            g = g.to(_dtype_of(dt))
        if node._trace is not None and g._data.dtype.kind == "f" and not np.isfinite(g._data).all():
            raise RuntimeError(
                f"Function '{node.name()}' returned nan values in its {i}th output.\n\n"
                f"The forward call of {node.name()} was:\n{node._trace}"
            )
        out.append(g)
    return out


def _dtype_of(dt: np.dtype[Any]) -> Any:
    from .._dtype import _FROM_NP

    return _FROM_NP[dt]


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
    if lead:
        g = g.reshape(shape)
    elif g._data.shape != shape:
        g = g.reshape(shape)
    return g
