"""Graph nodes: the base ``Node``, saved tensors with version checks, leaf accumulation, hooks.

Every differentiable op is a ``Node`` subclass (see ``rustytorch.ops._registry.Op``); an
instance is created only when the op records history, and it doubles as the ``ctx`` that
forward saves into and backward reads from.
"""

from __future__ import annotations

import itertools
import os
import sys
import traceback
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .grad_mode import GRAD_ENABLED

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = ["Node", "SavedTensor", "AccumulateGrad", "RemovableHandle"]

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_seq = itertools.count()

# Anomaly mode (see autograd.anomaly) flips this; read on every recorded op.
ANOMALY = [False]


def user_location() -> str:
    """``file:line`` of the innermost frame outside the rustytorch package (cheap: no traceback)."""
    f: Any = sys._getframe(1)
    while f is not None and f.f_code.co_filename.startswith(_PKG_DIR):
        f = f.f_back
    if f is None:
        return "<unknown>"
    return f"{f.f_code.co_filename}:{f.f_lineno}"


class RemovableHandle:
    """Returned by hook registration; ``remove()`` unregisters the hook."""

    __slots__ = ("_list_ref", "_hook")

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._list_ref = hooks
        self._hook = hook

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        try:
            self._list_ref.remove(self._hook)
        except ValueError:
            pass

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *args: object) -> None:
        self.remove()


class SavedTensor:
    """A tensor saved for backward, with the version it had when saved.

    An op's own output is kept as its data only (no reference back to the output
    tensor, which would make a cycle) and rebuilt with ``grad_fn`` = the node on unpack.
    """

    __slots__ = ("tensor", "data", "version", "storage", "is_output", "requires_grad", "packed", "unpack_hook")

    def __init__(self, t: Tensor, is_output: bool) -> None:
        from ..autograd.graph import SAVED_TENSOR_HOOKS

        self.version = t._version
        self.is_output = is_output
        self.requires_grad = t._requires_grad
        self.storage = t._get_storage() if t._storage is not None else None
        hooks = SAVED_TENSOR_HOOKS.get()
        if hooks:
            pack, unpack = hooks[-1]
            self.packed = pack(t)
            self.unpack_hook = unpack
            self.tensor = None
            self.data = None
            return
        self.packed = None
        self.unpack_hook = None
        if is_output:
            self.tensor = None
            self.data = t
            self.storage = t._get_storage()
        else:
            self.tensor = t
            self.data = None

    def unpack(self, node: Node) -> Tensor:
        from .._tensor import _make

        if self.unpack_hook is not None:
            return self.unpack_hook(self.packed)  # type: ignore[no-any-return]
        t = self.tensor if self.tensor is not None else self.data
        assert t is not None
        current = t._version
        if current != self.version:
            _raise_modified(node, t, self.version, current)
        if self.is_output:
            out = _make(t._data)
            out._storage = t._storage
            out._base = t._base
            if self.requires_grad:
                out._requires_grad = True
                out._grad_fn = node
                out._output_nr = 0
            return out
        return t


def _raise_modified(node: Node, t: Tensor, saved: int, current: int) -> None:
    s = t._storage
    write = s.last_write if s is not None else None
    what = f"by the in-place op {write[0]} at {write[1]}" if write else "by an in-place operation"
    where = f" (recorded at {node._location})" if node._location else ""
    raise RuntimeError(
        f"one of the variables needed for gradient computation has been modified {what}: "
        f"{node.name()}{where} saved a tensor of shape {list(t.shape)} and dtype {t.dtype!r} at version "
        f"{saved}; it is now at version {current}. Hint: call .clone() on the tensor before the in-place "
        f"op, or use the out-of-place form of the op."
    )


class Node:
    """A recorded operation in the autograd graph (``tensor.grad_fn``).

    Subclasses implement ``backward(ctx, *grads)``; ``ctx`` is the node itself.
    """

    __slots__ = (
        "next_functions",  # tuple[(Node | None, output_nr)], one per input
        "_in_meta",  # tuple[(shape, np.dtype) | None], one per input: what its gradient must be
        "_n_out",
        "_out_meta",  # tuple[(shape, np.dtype)] for multi-output nodes (to materialise missing grads)
        "_saved",  # list[SavedTensor] | None (None once released)
        "_saved_result",  # SavedTensor | None
        "_released",
        "_seq",
        "_pre_hooks",  # dict[output_nr, list[hook]] | None
        "_hooks",  # list of node post-hooks
        "_location",  # "file:line" of the forward call, when recorded
        "_trace",  # anomaly mode: formatted forward traceback
        "needs_input_grad",
        "materialize_grads",
        "__dict__",
        "__weakref__",
    )

    _name = "Node"

    def _init_node(self, next_functions: tuple[Any, ...], in_meta: tuple[Any, ...], needs: tuple[bool, ...]) -> None:
        self.next_functions = next_functions
        self._in_meta = in_meta
        self.needs_input_grad = needs
        self._n_out = 1
        self._out_meta = None
        self._saved = []
        self._saved_result = None
        self._released = False
        self._seq = next(_seq)
        self._pre_hooks = None
        self._hooks = None
        self._location = None
        self.materialize_grads = True
        if ANOMALY[0]:
            self._trace = "".join(traceback.format_stack()[:-3])
        else:
            self._trace = None

    def name(self) -> str:
        """The node's name, e.g. ``MulBackward0``."""
        return self._name

    def __repr__(self) -> str:
        return f"<{self._name} object at 0x{id(self):x}>"

    # --------------------------------------------------------- saving tensors
    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Save input tensors for backward (with their versions)."""
        if self._location is None:
            self._location = user_location()
        self._saved = [None if t is None else SavedTensor(t, False) for t in tensors]  # type: ignore[misc]

    def _save_output(self, out: Tensor) -> None:
        """Save this node's own output (kept without a reference cycle)."""
        if self._location is None:
            self._location = user_location()
        self._saved_result = SavedTensor(out, True)

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """The tensors saved by ``save_for_backward``, checked against in-place changes."""
        if self._released:
            _raise_released(self)
        saved = self._saved
        return tuple(None if s is None else s.unpack(self) for s in saved)  # type: ignore[union-attr]

    @property
    def result(self) -> Tensor:
        """The output saved because the op sets ``save_result``."""
        if self._released:
            _raise_released(self)
        s = self._saved_result
        if s is None:
            raise RuntimeError(f"{self._name}: the op's backward reads its result, but forward did not save it")
        return s.unpack(self)

    def _release(self) -> None:
        self._saved = None
        self._saved_result = None
        self._released = True

    # ------------------------------------------------------------------ hooks
    def register_hook(self, fn: Callable[..., Any]) -> RemovableHandle:
        """Register ``fn(grad_inputs, grad_outputs)`` to run after this node's backward."""
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return RemovableHandle(self._hooks, fn)

    def register_prehook(self, fn: Callable[..., Any]) -> RemovableHandle:
        """Register ``fn(grad_outputs)`` to run before this node's backward; may return replacements."""
        return self._add_pre_hook(-1, fn)

    def _add_pre_hook(self, output_nr: int, fn: Callable[..., Any]) -> RemovableHandle:
        if self._pre_hooks is None:
            self._pre_hooks = {}
        hooks = self._pre_hooks.setdefault(output_nr, [])
        hooks.append(fn)
        return RemovableHandle(hooks, fn)

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        raise RuntimeError(f"the derivative for '{ctx._name}' is not implemented")


def _raise_released(node: Node) -> None:
    raise RuntimeError(
        f"Trying to backward through the graph a second time (or directly access saved tensors after they "
        f"have already been freed) in {node.name()}. Saved intermediate values of the graph are freed when "
        f"you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through "
        f"the graph a second time or if you need to access saved tensors after calling backward."
    )


class AccumulateGrad(Node):
    """The sink node of a leaf tensor: adds the incoming gradient into ``leaf.grad``."""

    __slots__ = ("variable",)
    _name = "AccumulateGrad"

    def __init__(self, variable: Tensor) -> None:
        self._init_node((), (), ())
        self.variable = variable

    def accumulate(self, grad: Tensor, create_graph: bool) -> None:
        var = self.variable
        old = var._grad
        if old is None:
            var._grad = grad if create_graph else grad.detach()
            var._grad_owned = False
        elif create_graph or GRAD_ENABLED.get():
            var._grad = old + grad
            var._grad_owned = True
        elif var._grad_owned and old._data.flags.writeable and not old._requires_grad:
            old._data += grad._data  # safe: this buffer was made by the engine
            old._bump_version("add_")
        else:
            with _no_grad():
                var._grad = old + grad
            var._grad_owned = True
        hooks = var._post_acc_hooks
        if hooks:
            for h in list(hooks):
                h(var)


def _no_grad() -> Any:
    from .grad_mode import no_grad

    return no_grad()


def register_tensor_hook(t: Tensor, hook: Callable[[Any], Any]) -> RemovableHandle:
    """``t.register_hook``: on a leaf the hook runs before accumulation; else before grad_fn runs."""
    if not t._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    fn = t._grad_fn
    if fn is None:
        if t._hooks is None:
            t._hooks = []
        t._hooks.append(hook)
        return RemovableHandle(t._hooks, hook)
    return fn._add_pre_hook(t._output_nr, hook)


def register_post_accumulate_hook(t: Tensor, hook: Callable[[Any], None]) -> RemovableHandle:
    """``t.register_post_accumulate_grad_hook``: leaves only."""
    if t._grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    if not t._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if t._post_acc_hooks is None:
        t._post_acc_hooks = []
    t._post_acc_hooks.append(hook)
    return RemovableHandle(t._post_acc_hooks, hook)


class _RetainGradHook:
    """Stores the gradient flowing into a non-leaf in its ``.grad`` (weakly referenced: no cycle)."""

    __slots__ = ("ref",)

    def __init__(self, t: Tensor) -> None:
        self.ref = weakref.ref(t)

    def __call__(self, grad: Tensor) -> None:
        t = self.ref()
        if t is None:
            return
        if t._grad is None:
            t._grad = grad.detach().clone() if not GRAD_ENABLED.get() else grad.clone()
        else:
            t._grad = t._grad + grad


def retain_grad(t: Tensor) -> None:
    """``t.retain_grad()``."""
    if not t._requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if t._grad_fn is None or t._retains_grad:
        return
    t._retains_grad = True
    t._grad_fn._add_pre_hook(t._output_nr, _RetainGradHook(t))
