"""Graph nodes: the base ``Node``, saved tensors with version checks, leaf accumulation, hooks.

Every differentiable op is a ``Node`` subclass (see ``rustytorch.ops._registry.Op``); an
instance is created only when the op records history, and it doubles as the ``ctx`` that
forward saves into and backward reads from.

Cost notes (this is the hottest code of the library): a node sets five slots when it is
created; everything rarely used (hooks, anomaly trace, source location, multi-output
metadata) is a class-level default that an instance overrides in its ``__dict__`` only
when needed. Saved tensors are small slot objects built without ``__init__``; the source
line of the op that saved them is a code object + bytecode offset, formatted on demand.
"""

from __future__ import annotations

import contextvars
import itertools
import sys
import traceback
import weakref
from collections.abc import Callable
from typing import Any

from .._location import _PKG_DIR, Location
from .._location import user_location as user_location
from .._storage import UntypedStorage, flat_buffer
from .._tensor import Tensor
from .grad_mode import GRAD_ENABLED

__all__ = ["Node", "SavedTensor", "AccumulateGrad", "RemovableHandle", "user_location", "SAVED_TENSOR_HOOKS"]

_new = object.__new__
_getframe = sys._getframe
#: the global creation counter: a node's inputs' nodes always have smaller numbers
_seq = itertools.count()
next_seq = _seq.__next__

# Anomaly mode (see autograd.anomaly) flips this; read on every recorded op.
ANOMALY = [False, True]  # [enabled, check_nan]

#: stack of (pack, unpack) pairs installed by ``autograd.graph.saved_tensors_hooks``
SAVED_TENSOR_HOOKS: contextvars.ContextVar[tuple[tuple[Callable[..., Any], Callable[..., Any]], ...]] = (
    contextvars.ContextVar("rustytorch_saved_tensor_hooks", default=())
)
_hooks_get = SAVED_TENSOR_HOOKS.get
_grad_enabled = GRAD_ENABLED.get


def where(depth: int = 2) -> Location:
    """The innermost frame outside the package, as a lazily formatted ``Location`` (about 0.2 us)."""
    f: Any = _getframe(depth)
    while f is not None and f.f_code.co_filename.startswith(_PKG_DIR):
        f = f.f_back
    loc = _new(Location)
    if f is None:
        loc.code = None
        loc.lasti = 0
    else:
        loc.code = f.f_code
        loc.lasti = f.f_lasti
    return loc


#: storage -> weak references to the views of it that are in the graph; an in-place write through one
#: of them (or through the base) gives the others a new grad_fn (see ops.inplace_graph)
VIEWS: weakref.WeakKeyDictionary[Any, list[weakref.ref[Any]]] = weakref.WeakKeyDictionary()
_ref = weakref.ref


def register_view(t: Tensor) -> None:
    """Remember ``t``, a view in the graph, under its storage."""
    st = t._storage
    refs = VIEWS.get(st)
    if refs is None:
        VIEWS[st] = [_ref(t)]
        return
    refs.append(_ref(t))
    n = len(refs)
    if n >= 16 and n & (n - 1) == 0:  # at powers of two: drop the views that died
        refs[:] = [r for r in refs if r() is not None]


def live_views(st: Any) -> list[Tensor]:
    """The live views of storage ``st`` that are in the graph."""
    refs = VIEWS.get(st)
    if not refs:
        return []
    out = [v for v in (r() for r in refs) if v is not None]
    refs[:] = [_ref(v) for v in out]
    return out


def anomaly_trace() -> str:
    """The formatted forward stack, user frames only (anomaly mode)."""
    frames = [fs for fs in traceback.extract_stack()[:-2] if not fs.filename.startswith(_PKG_DIR)]
    return "".join(traceback.format_list(frames))


class RemovableHandle:
    """Returned by hook registration; ``remove()`` unregisters the hook.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.ones(2, requires_grad=True)
    >>> h = x.register_hook(lambda g: g * 10); h.remove()
    >>> (x * 3).sum().backward(); x.grad
    tensor([3., 3.])
    """

    __slots__ = ("_hook", "_list_ref")

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._list_ref = hooks
        self._hook = hook

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        hooks = self._list_ref
        for i, h in enumerate(hooks):
            if h is self._hook:
                del hooks[i]
                return

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *args: object) -> None:
        self.remove()


class SavedTensor:
    """A tensor saved for backward, with the version its storage had when it was saved.

    An op's own output is kept as its data + storage only (a reference to the output
    tensor would make a cycle output -> node -> output) and rebuilt on unpack with
    ``grad_fn`` = the node. Under ``saved_tensors_hooks`` the pack hook's result is kept.
    """

    __slots__ = ("base", "data", "packed", "requires_grad", "storage", "tensor", "unpack_hook", "version")

    tensor: Any
    data: Any
    storage: Any
    base: Any
    version: int
    requires_grad: bool
    packed: Any
    unpack_hook: Any

    def unpack(self, node: Node) -> Tensor:
        """The saved tensor; RuntimeError if it was modified in place since it was saved."""
        if self.unpack_hook is not None:
            return _unpack_hooked(self, node)
        t = self.tensor
        if t is not None:
            st = t._storage
            if (0 if st is None else st.version) != self.version:
                _raise_modified(node, self, st)
            if t._requires_grad and not _grad_enabled():
                return _alias(t)  # backward without create_graph: no history needed, and ops take their fast path
            return t  # type: ignore[no-any-return]
        st = self.storage
        if st.version != self.version:
            _raise_modified(node, self, st)
        return _output_tensor(self, node)


def save_input(t: Tensor) -> SavedTensor:
    """A SavedTensor for ``t`` (an input or an intermediate), applying saved-tensor hooks when installed."""
    hooks = _hooks_get()
    s = _new(SavedTensor)
    if hooks:
        return _pack(s, t, hooks[-1], False)
    s.tensor = t
    st = t._storage
    s.version = 0 if st is None else st.version
    s.unpack_hook = None
    return s


def save_output(t: Tensor) -> SavedTensor:
    """A SavedTensor for a node's own output ``t``: its data and storage, no reference to ``t``."""
    hooks = _hooks_get()
    s = _new(SavedTensor)
    if hooks:
        return _pack(s, t, hooks[-1], True)
    s.tensor = None
    d = s.data = t._data
    st = t._storage
    if st is None:  # a fresh output: give it its storage now, so that its version counter can be watched
        st = t._storage = _new_storage(d if d.base is None and d.ndim == 1 else flat_buffer(d))
    s.storage = st
    s.base = t._base
    s.version = st.version
    s.requires_grad = t._requires_grad
    s.unpack_hook = None
    return s


def _new_storage(buf: Any) -> UntypedStorage:
    """``UntypedStorage(buf)`` without the Python-level ``__init__`` (this runs once per saved output);
    tests/test_autograd_memory.py checks it sets every slot the class has."""
    st = _new(UntypedStorage)
    st._buf = buf
    st.version = 0
    st.last_write = None
    return st


def _pack(
    s: SavedTensor, t: Tensor, hooks: tuple[Callable[..., Any], Callable[..., Any]], is_output: bool
) -> SavedTensor:
    pack, unpack = hooks
    s.tensor = None
    s.data = None
    s.requires_grad = is_output and t._requires_grad
    s.packed = pack(t)
    s.unpack_hook = unpack
    return s


def _unpack_hooked(s: SavedTensor, node: Node) -> Tensor:
    r = s.unpack_hook(s.packed)
    if not isinstance(r, Tensor):
        raise TypeError(
            f"{node.name()}: the unpack hook of saved_tensors_hooks must return a Tensor, got {type(r).__name__}"
        )
    if s.requires_grad and r._grad_fn is None:  # a saved output: give it back its history
        d: Any = r.detach()
        d._requires_grad = True
        d._grad_fn = node
        return d  # type: ignore[no-any-return]
    return r


def _alias(t: Tensor) -> Tensor:
    """A tensor sharing ``t``'s data and storage, outside the graph (cheaper than ``detach``)."""
    a: Any = _new(t.__class__)
    a._data = t._data
    a._storage = t._storage
    a._base = t._base
    a._requires_grad = False
    a._grad_fn = None
    a._output_nr = 0
    return a


def _output_tensor(s: SavedTensor, node: Node) -> Tensor:
    """The saved output rebuilt: with ``grad_fn`` = its node when the graph is recorded (double backward)."""
    out: Any = _new(Tensor)
    out._data = s.data
    out._storage = s.storage
    out._base = s.base
    if s.requires_grad and _grad_enabled():
        out._requires_grad = True
        out._grad_fn = node
    else:
        out._requires_grad = False
        out._grad_fn = None
    out._output_nr = 0
    return out


def _raise_modified(node: Node, s: SavedTensor, st: Any) -> None:
    from .._dtype import _FROM_NP

    data = s.tensor._data if s.tensor is not None else s.data
    write = st.last_write if st is not None else None
    what = f"the in-place op {write[0]}() at {write[1]}" if write else "an in-place operation"
    saved_at = f" at {node._location}" if node._location is not None else ""
    current = 0 if st is None else st.version
    kind = "its output" if s.tensor is None else "a tensor"
    raise RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"{node.name()} (recorded{saved_at}) saved {kind} of shape {list(data.shape)} and dtype "
        f"{_FROM_NP[data.dtype]!r} at version {s.version}, and it was then modified by {what}; it is now at "
        f"version {current}. Hint: call .clone() on the tensor before modifying it in place (or use the "
        f"out-of-place form of the op)."
    )


def _raise_released(node: Node) -> None:
    raise RuntimeError(
        f"Trying to backward through the graph a second time (or directly access saved tensors after they "
        f"have already been freed) in {node.name()}. Saved intermediate values of the graph are freed when "
        f"you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through "
        f"the graph a second time or if you need to access saved tensors after calling backward."
    )


class Node:
    """A recorded operation in the autograd graph (``tensor.grad_fn``), as ``torch.autograd.graph.Node``.

    Subclasses implement ``backward(ctx, *grads)``; ``ctx`` is the node itself.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.ones(2, requires_grad=True)
    >>> y = (x * 2).sum()
    >>> y.grad_fn.name(), y.grad_fn.next_functions[0][0].name()
    ('SumBackward0', 'MulBackward0')
    """

    __slots__ = (
        "__dict__",  # per-op attributes saved by forward, and the rare per-node settings below
        "__weakref__",
        "_in_meta",  # tuple[(shape, np.dtype) | None], one per input: what its gradient must be
        "_location",  # Location | None: where forward saved tensors (the user's line)
        "_saved",  # list[SavedTensor | None]; None once released
        "_saved_result",  # SavedTensor | None: the node's own output (``save_result``)
        "_seq",  # creation number: every input's node has a smaller one
        "needs_input_grad",  # tuple[bool], one per input
        "next_functions",  # tuple[(Node | None, output_nr)], one per input
    )

    next_functions: tuple[tuple[Any, int], ...]
    _in_meta: tuple[Any, ...]
    needs_input_grad: tuple[bool, ...]
    _seq: int
    _saved: Any
    _saved_result: Any
    _location: Location | None

    _name = "Node"
    # rarely set: class-level defaults, overridden per instance
    _n_out = 1
    _out_meta: tuple[Any, ...] | None = None  # ((shape, np.dtype), ...) of multi-output nodes
    _pre_hooks: dict[int, list[Any]] | None = None  # output_nr -> tensor hooks; -1 -> node pre-hooks
    _hooks: list[Any] | None = None  # node post-hooks
    _trace: str | None = None  # anomaly mode: the forward stack
    materialize_grads = True
    #: the engine takes its slow path for this node: hooks, several outputs, or a leaf's AccumulateGrad
    _special = False

    def _init_node(self, next_functions: tuple[Any, ...], in_meta: tuple[Any, ...], needs: tuple[bool, ...]) -> None:
        self.next_functions = next_functions
        self._in_meta = in_meta
        self.needs_input_grad = needs
        self._seq = next_seq()
        self._saved = ()  # type: ignore[assignment]
        self._saved_result = None
        self._location = None
        if ANOMALY[0]:
            self._trace = anomaly_trace()

    def name(self) -> str:
        """The node's name, e.g. ``MulBackward0``."""
        return self._name

    def __repr__(self) -> str:
        return f"<{self._name} object at 0x{id(self):x}>"

    @property
    def metadata(self) -> dict[str, Any]:
        """A dict for user data attached to this node, as ``torch.autograd.graph.Node.metadata``."""
        d = self.__dict__
        m = d.get("_metadata")
        if m is None:
            m = d["_metadata"] = {}
        return m  # type: ignore[no-any-return]

    # --------------------------------------------------------- saving tensors
    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Save tensors for backward; each remembers its version so in-place changes are caught."""
        for t in tensors:
            if t is not None:
                break
        else:  # nothing but Nones (e.g. ``x * 2`` saves no tensor): keep the tuple as it is
            self._saved = tensors  # type: ignore[assignment]
            return
        hooks = _hooks_get()
        saved: list[Any] = []
        for t in tensors:  # save_input() inlined
            if t is None:
                saved.append(None)
            elif hooks:
                saved.append(_pack(_new(SavedTensor), t, hooks[-1], False))
            else:
                sv = _new(SavedTensor)
                sv.tensor = t
                st = t._storage
                sv.version = 0 if st is None else st.version
                sv.unpack_hook = None
                saved.append(sv)
        self._saved = saved
        if self._location is None:
            try:  # frames 0-3 are where, this method, the op's forward and Op.apply: start at apply's caller
                self._location = where(4)
            except ValueError:  # a shallower stack: called some other way
                self._location = where(1)

    def _save_output(self, out: Tensor) -> None:
        """Save this node's own output (kept without a reference cycle)."""
        self._saved_result = save_output(out)
        if self._location is None:
            self._location = where()

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """The tensors saved by ``save_for_backward``, checked against in-place changes."""
        saved = self._saved
        if saved is None:
            _raise_released(self)
        if saved.__class__ is tuple:  # only Nones
            return saved  # type: ignore[return-value]
        out: list[Any] = []
        for s in saved:
            out.append(None if s is None else s.unpack(self))
        return tuple(out)

    @property
    def result(self) -> Tensor:
        """The output saved because the op sets ``save_result``."""
        s = self._saved_result
        if s is None:
            if self._saved is None:
                _raise_released(self)
            raise RuntimeError(f"{self._name}: the op's backward reads its result, but forward did not save it")
        if s.unpack_hook is None and s.storage.version == s.version:
            return _output_tensor(s, self)
        return s.unpack(self)

    def _release(self) -> None:
        """Free the saved tensors (after backward ran without retain_graph)."""
        if self._saved or self._saved_result is not None:
            self._saved = None  # type: ignore[assignment]
            self._saved_result = None

    # ------------------------------------------------------------------ hooks
    def register_hook(self, fn: Callable[..., Any]) -> RemovableHandle:
        """Register ``fn(grad_inputs, grad_outputs)`` to run after this node's backward; it may return
        replacement ``grad_inputs``."""
        hooks = self.__dict__.get("_hooks")
        if hooks is None:
            hooks = self._hooks = []
        hooks.append(fn)
        self._special = True
        return RemovableHandle(hooks, fn)

    def register_prehook(self, fn: Callable[..., Any]) -> RemovableHandle:
        """Register ``fn(grad_outputs)`` to run before this node's backward; it may return replacements."""
        return self._add_pre_hook(-1, fn)

    def _add_pre_hook(self, output_nr: int, fn: Callable[..., Any]) -> RemovableHandle:
        pre = self.__dict__.get("_pre_hooks")
        if pre is None:
            pre = self._pre_hooks = {}
            self._special = True
        hooks = pre.setdefault(output_nr, [])
        hooks.append(fn)
        return RemovableHandle(hooks, fn)

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        raise RuntimeError(f"the derivative for '{ctx._name}' is not implemented")


class AccumulateGrad(Node):
    """The sink node of a leaf tensor: adds the incoming gradient into ``leaf.grad``.

    The first gradient is stored as is (not copied); the next one makes a fresh sum that
    the leaf owns, and later ones are added into that buffer in place (outside grad mode),
    so a buffer shared with anything else is never written.
    """

    __slots__ = ("variable",)
    _name = "AccumulateGrad"
    _special = True

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
            od = old._data
            if od.shape == grad._data.shape:
                od += grad._data  # safe: this buffer was made here and nobody else writes it
                st = old._storage
                if st is None:
                    st = old._get_storage()
                st.version += 1  # as torch: .grad accumulated in place is a new version of it
                st.last_write = _ACC_WRITE
            else:
                var._grad = (old + grad).detach()
        else:
            var._grad = (old + grad).detach()
            var._grad_owned = True


_ACC_WRITE = ("add_", "the gradient accumulation into .grad of a backward call")


def register_tensor_hook(t: Any, hook: Callable[[Any], Any]) -> RemovableHandle:
    """``t.register_hook``: on a leaf the hook runs before accumulation; else before grad_fn runs."""
    if not t._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if not callable(hook):
        raise TypeError(f"register_hook expects a callable, got {type(hook).__name__}")
    fn = t._grad_fn
    if fn is None:
        if t._hooks is None:
            t._hooks = []
        t._hooks.append(hook)
        return RemovableHandle(t._hooks, hook)
    return fn._add_pre_hook(t._output_nr, hook)


def register_post_accumulate_hook(t: Any, hook: Callable[[Any], None]) -> RemovableHandle:
    """``t.register_post_accumulate_grad_hook``: leaves only."""
    if not t._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if t._grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    if t._post_acc_hooks is None:
        t._post_acc_hooks = []
    t._post_acc_hooks.append(hook)
    return RemovableHandle(t._post_acc_hooks, hook)


class _RetainGradHook:
    """Stores the gradient flowing into a non-leaf in its ``.grad`` (weakly referenced: no cycle).

    The engine runs it after the tensor's other hooks, as torch does.
    """

    __slots__ = ("ref",)

    def __init__(self, t: Tensor) -> None:
        self.ref = weakref.ref(t)

    def __call__(self, grad: Tensor) -> None:
        t = self.ref()
        if t is None:
            return
        if t._grad is None:
            t._grad = grad.clone() if GRAD_ENABLED.get() else grad.detach().clone()
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
