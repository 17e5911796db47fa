"""The backward engine: an iterative, deterministic walk of the recorded graph.

A node is created after the nodes of its inputs, so its creation number (``_seq``) is larger
than theirs; running the reachable nodes in decreasing creation order runs each node after
every node that feeds it a gradient, and picks, among the ready nodes, the most recently
created one first, as PyTorch's engine does. An edge that breaks this order (which only a
graph edited by hand can have) makes the engine fall back to a dependency-counting walk that
reports cycles.

The engine does the work shared by all ops: it reduces broadcast gradients to each input's
shape, casts them to its dtype, checks them, sums the gradients flowing into a node, runs the
hooks, and frees saved tensors and intermediate gradients as it goes unless ``retain_graph``.
"""

from __future__ import annotations

import heapq
from operator import attrgetter
from typing import Any

import numpy as np

from .._tensor import Tensor, _make
from ._engine_helpers import (
    _call_post_hooks,
    _call_pre_hooks,
    _check_nan,
    _check_type,
    _conform,
    _fix_count,
    _leaf_hooks,
    _materialize,
)
from .grad_mode import GRAD_ENABLED
from .node import ANOMALY, AccumulateGrad, Node

__all__ = ["backward", "grad"]

_seq_key = attrgetter("_seq")


def _as_tuple(x: Any) -> tuple[Any, ...]:
    if x is None:
        return ()
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _root_grads(outputs: tuple[Any, ...], grads: tuple[Any, ...], fn: str) -> list[Tensor]:
    if len(grads) == 0:
        grads = (None,) * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(f"{fn}: got {len(grads)} gradients for {len(outputs)} outputs")
    result = []
    for i, (out, g) in enumerate(zip(outputs, grads, strict=True)):
        if not isinstance(out, Tensor):
            raise TypeError(f"{fn}: outputs must be Tensors, got {type(out).__name__}")
        if not out._requires_grad:
            raise RuntimeError(f"{fn}: element {i} of tensors does not require grad and does not have a grad_fn")
        d = out._data
        if g is None:
            if d.size != 1:
                raise RuntimeError(
                    f"{fn}: grad can be implicitly created only for scalar outputs, got output {i} of shape "
                    f"{list(d.shape)}; pass a gradient of that shape"
                )
            g = _make(np.ones(d.shape, dtype=d.dtype))
        elif not isinstance(g, Tensor):
            if not isinstance(g, int | float | bool | np.number):
                raise TypeError(f"{fn}: gradients must be Tensors or None, got {type(g).__name__}")
            g = _make(np.full(d.shape, g, dtype=d.dtype))
        else:
            if g._data.shape != d.shape:
                raise RuntimeError(
                    f"{fn}: Mismatch in shape: grad_output[{i}] has a shape of {list(g.shape)} and output[{i}] has a "
                    f"shape of {list(out.shape)}."
                )
            if g._data.dtype != d.dtype:
                g = g.to(out.dtype)
        result.append(g)
    return result


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    grad_variables: Any = None,
    inputs: Any = None,
) -> None:
    """Accumulate gradients of ``tensors`` into the ``.grad`` of graph leaves, as ``torch.autograd.backward``.

    ``inputs`` restricts accumulation to those tensors (leaves or not).

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([1.0, 2.0], requires_grad=True)
    >>> rt.autograd.backward([(x * x).sum()]); x.grad
    tensor([2., 4.])
    """
    if grad_variables is not None:
        grad_tensors = grad_variables
    outs = _as_tuple(tensors)
    roots = _root_grads(outs, _as_tuple(grad_tensors), "backward")
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is None:
        _run(outs, roots, retain_graph, create_graph, None, False)
        return
    ins = _as_tuple(inputs)
    if not ins:
        raise RuntimeError("backward: 'inputs' argument to backward() cannot be empty.")
    targets = [_target_of(t, "backward") for t in ins]
    captured = _run(outs, roots, retain_graph, create_graph, targets, False)
    for t, key in zip(ins, targets, strict=True):
        g = captured.pop(key, None)  # a tensor listed twice gets its gradient once
        if t._grad_fn is not None and g is not None:
            if t._grad is None:
                t._grad = g if create_graph else g.detach()
            else:
                t._grad = t._grad + g


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
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
    if materialize_grads and allow_unused is False:
        raise ValueError("grad: Expected allow_unused to be True or not passed when materialize_grads=True")
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
    captured = _run(outs, roots, retain_graph, create_graph, targets, True)
    result: list[Tensor | None] = []
    for i, (t, key) in enumerate(zip(ins, targets, strict=True)):
        g = captured.get(key)
        if g is None:
            if materialize_grads:
                g = _make(np.zeros(t._data.shape, dtype=t._data.dtype))
            elif not allow_unused:
                raise RuntimeError(
                    f"grad: One of the differentiated Tensors (input {i}, shape {list(t.shape)}) appears to not "
                    f"have been used in the graph. Set allow_unused=True if this is the desired behavior."
                )
        elif not create_graph and g._requires_grad:
            g = g.detach()
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


def _run(
    outs: tuple[Tensor, ...],
    root_grads: list[Tensor],
    retain_graph: bool,
    create_graph: bool,
    targets: list[tuple[Node, int]] | None,
    capture: bool,
) -> dict[tuple[Node, int], Tensor]:
    token = GRAD_ENABLED.set(bool(create_graph))
    try:
        return _execute(outs, root_grads, retain_graph, create_graph, targets, capture)
    finally:
        GRAD_ENABLED.reset(token)


def _graph(roots: list[Node]) -> list[Node]:
    """The nodes reachable from ``roots`` (iterative); RuntimeError if an edge breaks creation order."""
    seen = set(roots)
    stack = list(roots)
    nodes = []
    ordered = True
    add = seen.add
    push = stack.append
    while stack:
        n = stack.pop()
        nodes.append(n)
        s = n._seq
        for c, _ in n.next_functions:
            if c is not None:
                if c._seq >= s:
                    ordered = False
                if c not in seen:
                    add(c)
                    push(c)
    if not ordered:
        _disorder(nodes)
    return nodes


def _disorder(nodes: list[Node]) -> None:
    """A graph with an edge from a node to one created no earlier: report a cycle (Kahn's algorithm finds
    the nodes on it), or a graph whose edges were edited by hand."""
    deps: dict[Node, int] = dict.fromkeys(nodes, 0)
    for n in nodes:
        for c, _ in n.next_functions:
            if c is not None:
                deps[c] = deps.get(c, 0) + 1
    ready = [n for n, d in deps.items() if d == 0]
    done = 0
    while ready:
        n = ready.pop()
        done += 1
        for c, _ in n.next_functions:
            if c is not None:
                deps[c] -= 1
                if deps[c] == 0:
                    ready.append(c)
    if done != len(deps):
        stuck = sorted({n.name() for n, d in deps.items() if d > 0})
        raise RuntimeError(
            f"autograd graph has a cycle: a node is its own ancestor (nodes involved: {', '.join(stuck)}), so "
            f"backward would never end. A graph edited by hand (next_functions), or a custom Function whose output's "
            f"history leads back to itself, can do this."
        )
    raise RuntimeError(
        "autograd graph has an edge from a node to a node created after it (next_functions edited by hand?): "
        "the engine runs nodes in reverse creation order and cannot run this graph"
    )


def _execute(
    outs: tuple[Tensor, ...],
    root_grads: list[Tensor],
    retain_graph: bool,
    create_graph: bool,
    targets: list[tuple[Node, int]] | None,
    capture: bool,
) -> dict[tuple[Node, int], Tensor]:
    buffers: dict[Node, Any] = {}
    roots: list[Node] = []
    for out, g in zip(outs, root_grads, strict=True):
        node = out._grad_fn
        nr = out._output_nr
        if node is None:
            node = out._grad_accumulator()
            nr = 0
        if node not in buffers:
            roots.append(node)
        _add_grad(buffers, node, nr, g)

    needed: set[Node] | None = None
    target_nrs: dict[Node, list[int]] = {}
    captured: dict[tuple[Node, int], Tensor] = {}
    if targets is not None:
        for node, nr in targets:
            target_nrs.setdefault(node, []).append(nr)
        needed = set()
        nodes = _graph(roots)
        nodes.sort(key=_seq_key)
        for node in nodes:  # inputs' nodes first
            if node in target_nrs or any(c in needed for c, _ in node.next_functions if c is not None):
                needed.add(node)

    # Pending nodes (those a gradient reached) run most recently created first: a max-heap on the creation
    # number, plus ``nxt``, the newest node made pending by the node that just ran (a chain never
    # touches the heap).
    # ``nxt``'s gradient is kept in ``nxt_g``, out of ``buffers``, until another node displaces it.
    heap = [(-n._seq, n) for n in roots]
    heapq.heapify(heap)
    heappush = heapq.heappush
    heappop = heapq.heappop
    nxt: Any = None
    nxt_g: Any = None
    anomaly = ANOMALY[0] and ANOMALY[1]
    prune = needed is not None
    pop = buffers.pop
    get = buffers.get
    while True:
        if nxt is not None:
            node = nxt
            g = nxt_g
            nxt = None
            if heap and -heap[0][0] > node._seq:
                heappush(heap, (-node._seq, node))
                buffers[node] = g
                node = heappop(heap)[1]
                g = pop(node)
        elif heap:
            node = heappop(heap)[1]
            g = pop(node)
        else:
            break
        if node._special or prune:
            res = _run_special(node, g, target_nrs, captured, capture, create_graph, needed)
            if res is None:
                continue
        else:
            try:
                res = node.backward(node, g)
            except RuntimeError as e:
                _reraise(node, e)
            if res.__class__ is not tuple:
                res = tuple(res) if res.__class__ is list else (res,)
        if not retain_graph:  # free the saved tensors (a later access raises "backward a second time")
            node._saved = None  # type: ignore[assignment]
            node._saved_result = None
        nf = node.next_functions
        if len(res) != len(nf):
            res = _fix_count(node, res)
        seq = node._seq
        meta = node._in_meta
        i = 0
        # for each input: check the gradient, reduce/cast it to the input's shape/dtype, add it to the
        # input node's buffer; a node that receives its first gradient becomes pending
        for child, nr in nf:
            if child is not None:
                gi = res[i]
                if gi is not None:
                    m = meta[i]
                    if gi.__class__ is not Tensor:
                        _check_type(node, gi, i)
                    d = gi._data
                    if d.shape != m[0] or d.dtype is not m[1]:
                        gi = _conform(node, gi, m, i)
                    if anomaly:
                        _check_nan(node, gi, i)
                    if child is nxt:
                        nxt_g = nxt_g + gi
                        i += 1
                        continue
                    cs = child._seq
                    if cs >= seq:
                        buffers.clear()
                        _graph(roots)  # raises: a cycle, or edges out of creation order
                        raise RuntimeError(f"autograd graph: edge from {node.name()} to {child.name()} out of order")
                    if child._n_out == 1:
                        old = get(child)
                        if old is not None:
                            buffers[child] = old + gi
                        elif nxt is None:  # newly pending
                            nxt = child
                            nxt_g = gi
                        elif cs > nxt._seq:
                            heappush(heap, (-nxt._seq, nxt))
                            buffers[nxt] = nxt_g
                            nxt = child
                            nxt_g = gi
                        else:
                            heappush(heap, (-cs, child))
                            buffers[child] = gi
                    elif child in buffers:
                        _add_grad(buffers, child, nr, gi)
                    else:  # a multi-output node newly pending: its gradients live in buffers
                        _add_grad(buffers, child, nr, gi)
                        heappush(heap, (-cs, child))
            i += 1
    return captured


def _run_special(
    node: Node,
    g: Any,
    target_nrs: dict[Node, list[int]],
    captured: dict[tuple[Node, int], Tensor],
    capture: bool,
    create_graph: bool,
    needed: set[Node] | None,
) -> tuple[Any, ...] | None:
    """The slow path: pruning, hooks, leaf accumulation, captured gradients, zero-filled missing gradients
    of multi-output nodes. Returns the node's input gradients, or None when it does not run."""
    if needed is not None and node not in needed:
        return None
    g = _special_pre(node, g, target_nrs, captured, capture, create_graph, needed)
    if g is None:
        return None
    multi = node._n_out != 1
    try:
        res = node.backward(node, *g) if multi else node.backward(node, g)
    except RuntimeError as e:
        _reraise(node, e)
    if res.__class__ is not tuple:
        res = tuple(res) if res.__class__ is list else (res,)
    if node._hooks is not None:
        if len(res) != len(node.next_functions):
            res = _fix_count(node, res)
        res = _call_post_hooks(node, res, g, multi)
    return res  # type: ignore[no-any-return]


def _special_pre(
    node: Node,
    g: Any,
    target_nrs: dict[Node, list[int]],
    captured: dict[tuple[Node, int], Tensor],
    capture: bool,
    create_graph: bool,
    needed: set[Node] | None,
) -> Any:
    """The slow path before a node runs: hooks, leaf accumulation, captured gradients, zero-filled missing
    gradients of multi-output nodes. Returns the gradients to run the node with, or None to skip it."""
    multi = node._n_out != 1
    if node._pre_hooks is not None:
        g = _call_pre_hooks(node, g, multi)
    if node.__class__ is AccumulateGrad:
        g = _leaf_hooks(node, g)
        if node in target_nrs:
            _capture(captured, node, 0, g)
            if capture:
                return None
        node.accumulate(g, create_graph)
        var = node.variable  # type: ignore[attr-defined]
        post = var._post_acc_hooks
        if post:
            for h in tuple(post):
                h(var)
        return None
    if node in target_nrs:
        for nr in target_nrs[node]:
            gi = g[nr] if multi else g
            if gi is not None:
                _capture(captured, node, nr, gi)
        if not any(c in needed for c, _ in node.next_functions if c is not None):  # type: ignore[operator]
            return None
    if multi and node.materialize_grads and any(x is None for x in g):
        g = _materialize(node, g)
    return g


def _add_grad(buffers: dict[Node, Any], node: Node, nr: int, g: Tensor) -> None:
    if node._n_out == 1:
        old = buffers.get(node)
        buffers[node] = g if old is None else old + g
        return
    buf = buffers.get(node)
    if buf is None:
        buf = buffers[node] = [None] * node._n_out
    old = buf[nr]
    buf[nr] = g if old is None else old + g


def _capture(captured: dict[tuple[Node, int], Tensor], node: Node, nr: int, g: Tensor) -> None:
    key = (node, nr)
    old = captured.get(key)
    captured[key] = g if old is None else old + g


def _reraise(node: Node, e: RuntimeError) -> None:
    if node._trace is not None:
        raise RuntimeError(
            f"{e}\n\nError detected in {node.name()}. The forward call that created it was:\n{node._trace}"
        ) from e
    raise e
