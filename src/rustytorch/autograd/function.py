"""Custom autograd Functions: ``forward``/``backward`` written by the user, as ``torch.autograd.Function``.

``MyFn.apply(*args)`` creates the node (an instance of ``MyFnBackward``, a subclass of
``BackwardCFunction`` made for each Function subclass) before forward runs, so its edges
point at the inputs' histories as they were; the node is the ``ctx`` that forward saves
into and backward reads from. Forward runs under ``no_grad``; its tensor outputs get the
node as ``grad_fn``. Tensors saved with ``ctx.save_for_backward`` that are outputs are kept
without a reference to the output tensor (no cycle), as the built-in ops do.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from .._tensor import Tensor, _make
from .grad_mode import GRAD_ENABLED
from .node import Node, SavedTensor, save_output, where

__all__ = ["Function", "FunctionCtx", "BackwardCFunction", "once_differentiable", "InplaceFunction"]

_F = TypeVar("_F", bound=Callable[..., Any])
_new = object.__new__


class FunctionCtx:
    """The methods of ``ctx`` in a custom Function (mixed into its node class)."""

    __slots__ = ()

    def mark_dirty(self, *args: Tensor) -> None:
        """Declare the input tensors that forward modified in place (they must be returned as outputs)."""
        self._dirty = args  # type: ignore[attr-defined,misc]

    def mark_non_differentiable(self, *args: Tensor) -> None:
        """Declare outputs that are not differentiable: they do not require grad and their gradient is zero."""
        self._non_diff = args  # type: ignore[attr-defined,misc]

    def set_materialize_grads(self, value: bool) -> None:
        """Whether backward gets zero tensors (True, the default) or None for outputs without a gradient."""
        self.materialize_grads = bool(value)  # type: ignore[attr-defined,misc]

    def save_for_forward(self, *tensors: Tensor | None) -> None:
        """Forward-mode AD is not supported; kept for API compatibility (the tensors are ignored)."""

    @property
    def saved_variables(self) -> tuple[Any, ...]:
        """Deprecated alias of ``saved_tensors``."""
        return self.saved_tensors  # type: ignore[attr-defined,no-any-return]


class BackwardCFunction(FunctionCtx, Node):
    """The node of a custom Function call: runs the Function's ``backward``."""

    __slots__ = ()
    _forward_cls: Any = None
    _dirty: tuple[Tensor, ...] = ()
    _non_diff: tuple[Tensor, ...] = ()
    _tensor_args: tuple[bool, ...] = ()

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:  # the user's backward, checked for its count of gradients
        fn = ctx._forward_cls
        impl = fn.backward if fn.backward is not Function.backward or fn.vjp is Function.vjp else fn.vjp
        res = impl(ctx, *grads)
        if not isinstance(res, tuple):
            res = (res,)
        tensor_args = ctx._tensor_args
        n = len(tensor_args)
        if len(res) != n:
            if len(res) < n or any(r is not None for r in res[n:]):
                raise RuntimeError(
                    f"function {ctx.name()} returned an incorrect number of gradients (expected {n}, got {len(res)})"
                )
            res = res[:n]
        out = []
        for i, r in enumerate(res):
            if tensor_args[i]:
                if r is not None and not isinstance(r, Tensor):
                    raise TypeError(
                        f"function {ctx.name()} returned a gradient of type {type(r).__name__} at index {i}"
                    )
                out.append(r)
            elif r is not None:
                raise RuntimeError(
                    f"function {ctx.name()} returned a gradient different than None at position {i + 1}, but the "
                    f"corresponding forward input was not a Variable"
                )
        return tuple(out)


class _FunctionMeta(type):
    """Gives every Function subclass its node class ``<Name>Backward``."""

    def __init__(cls, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> None:
        cls._backward_cls = type(
            name + "Backward", (BackwardCFunction,), {"_forward_cls": cls, "_name": name + "Backward", "__slots__": ()}
        )
        super().__init__(name, bases, attrs)


class Function(metaclass=_FunctionMeta):
    """Base class of custom differentiable operations, as ``torch.autograd.Function``.

    Subclasses define ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` as static
    methods (or ``forward(*args)`` plus ``setup_context(ctx, inputs, output)``) and are called
    through ``apply``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> class Cube(rt.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (x,) = ctx.saved_tensors
    ...         return 3 * x ** 2 * g
    >>> x = rt.tensor([1.0, 2.0], requires_grad=True)
    >>> y = Cube.apply(x); y.grad_fn.name()
    'CubeBackward'
    >>> y.sum().backward(); x.grad
    tensor([ 3., 12.])
    """

    _backward_cls: type[BackwardCFunction]
    generate_vmap_rule = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        import warnings

        warnings.warn(
            f"{type(self).__name__} should not be instantiated. Methods on autograd functions are all static, so "
            f"you should invoke them on the class itself.",
            DeprecationWarning,
            stacklevel=2,
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use new-style autograd "
            "function with static forward method. (Example: https://pytorch.org/docs/stable/autograd.html"
            "#torch.autograd.Function)"
        )

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        """Compute the outputs (runs under no_grad); override in subclasses."""
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> Any:
        """Save what backward needs, when ``forward`` does not take ``ctx``; override in subclasses."""
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        """Gradients of the inputs from gradients of the outputs; override in subclasses."""
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom autograd.Function to use it "
            "with backward mode AD."
        )

    vjp = backward

    @staticmethod
    def jvp(ctx: Any, *grad_inputs: Any) -> Any:
        """Forward-mode AD is not supported."""
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with forward mode AD."
        )

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run forward and, when an input requires grad in grad mode, record the node."""
        record = False
        if GRAD_ENABLED.get():
            for a in args:
                if isinstance(a, Tensor) and a._requires_grad:
                    record = True
                    break
        ctx: Any = _new(cls._backward_cls)
        edges: list[Any] = []  # one per tensor argument, as torch
        meta: list[Any] = []
        needs: list[bool] = []
        for a in args:
            if isinstance(a, Tensor):
                if record and a._requires_grad:
                    fn = a._grad_fn
                    edges.append((fn, a._output_nr) if fn is not None else (a._grad_accumulator(), 0))
                    d = a._data
                    meta.append((d.shape, d.dtype))
                    needs.append(True)
                else:
                    edges.append((None, 0))
                    meta.append(None)
                    needs.append(False)
            else:
                needs.append(False)
        ctx._init_node(tuple(edges), tuple(meta), tuple(needs))
        ctx._tensor_args = tuple(isinstance(a, Tensor) for a in args)
        ctx._location = where(1)
        custom_setup = cls.setup_context is not Function.setup_context
        token = GRAD_ENABLED.set(False)
        try:
            if custom_setup:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        finally:
            GRAD_ENABLED.reset(token)
        return _wrap_outputs(ctx, args, out, record)


class InplaceFunction(Function):
    """A Function whose forward may work in place (``inplace=``), as ``torch.autograd.function.InplaceFunction``."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace


def _wrap_outputs(ctx: BackwardCFunction, args: tuple[Any, ...], out: Any, record: bool) -> Any:
    is_tuple = isinstance(out, tuple)
    outs = out if is_tuple else (out,)
    dirty = {id(t) for t in ctx._dirty}
    non_diff = {id(t) for t in ctx._non_diff}
    inputs = {id(a): a for a in args if isinstance(a, Tensor)}
    for dt in ctx._dirty:
        if id(dt) not in inputs:
            raise RuntimeError(f"{ctx.name()}: mark_dirty() got a tensor that is not an input of forward")
        if not any(o is dt for o in outs):
            raise RuntimeError(f"{ctx.name()}: a tensor marked dirty with mark_dirty() must be returned as an output")
    results: list[Any] = []
    out_meta: list[Any] = []
    rebases = []
    saved = ctx._saved if isinstance(ctx._saved, list) else None
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            results.append(o)
            out_meta.append(None)
            continue
        d = o._data
        out_meta.append((d.shape, d.dtype))
        is_dirty = id(o) in dirty
        t: Any = o
        if record and not is_dirty and id(o) in inputs:
            t = _make(o._data)  # an input returned as is: a new tensor sharing its memory, as torch's view_as
            t._storage = o._get_storage()
            t._base = o._base if o._base is not None else o
        differentiable = record and id(o) not in non_diff and o.is_floating_point()
        if differentiable:
            base = o._base
            if is_dirty and base is not None and (o._requires_grad or not base._requires_grad):
                if base._requires_grad and base._grad_fn is None:
                    raise RuntimeError(
                        f"{ctx.name()}: a view of a leaf Variable that requires grad is being used in an in-place "
                        f"operation (mark_dirty)."
                    )
                rebases.append((o, i))
            else:
                if is_dirty and o._requires_grad and o._grad_fn is None:
                    raise RuntimeError(
                        f"{ctx.name()}: a leaf Variable that requires grad is being used in an in-place operation "
                        f"(mark_dirty)."
                    )
                old_fn = t._grad_fn
                t._grad_fn = ctx
                t._output_nr = i
                t._requires_grad = True
                if is_dirty and old_fn is not None:
                    from ..ops.inplace_graph import _move_retain_hook

                    _move_retain_hook(t, old_fn)
        if saved is not None and t is o and (differentiable or is_dirty):
            for k, sv in enumerate(saved):
                if sv is not None and sv.unpack_hook is None and sv.tensor is o:
                    saved[k] = _as_output_save(t, sv, differentiable)
        results.append(t)
    ctx._n_out = len(outs)
    ctx._out_meta = tuple(out_meta)
    if len(outs) != 1:
        ctx._special = True
    for o, i in rebases:
        _rebase_dirty_view(ctx, o, i)
    if is_tuple:
        return tuple(results)
    return results[0]


def _as_output_save(t: Tensor, s: SavedTensor, differentiable: bool) -> SavedTensor:
    """A saved output re-saved without a reference to it (the output refers to the node: a cycle otherwise)."""
    version = s.version
    n = save_output(t)
    n.version = version  # an in-place change made inside forward after saving still counts
    n.requires_grad = differentiable
    return n


def _rebase_dirty_view(ctx: BackwardCFunction, view: Tensor, i: int) -> None:
    from ..ops.inplace_graph import _rebase_view, region_of

    base = view._base
    assert base is not None
    res: Any = _make(view._data)
    res._requires_grad = True
    res._grad_fn = ctx
    res._output_nr = i
    _rebase_view(view, base, region_of(view, base), res, ctx.name())


def once_differentiable(fn: _F) -> _F:
    """Decorate a Function's ``backward`` that is not itself differentiable: it runs under no_grad, and
    differentiating its results raises, as ``torch.autograd.function.once_differentiable``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> from rustytorch.autograd.function import once_differentiable
    >>> class Double(rt.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         return x * 2
    ...     @staticmethod
    ...     @once_differentiable
    ...     def backward(ctx, g):
    ...         return g * 2
    >>> x = rt.ones(2, requires_grad=True)
    >>> Double.apply(x).sum().backward(); x.grad
    tensor([2., 2.])
    """

    @functools.wraps(fn)
    def wrapper(ctx: Any, *args: Any) -> Any:
        token = GRAD_ENABLED.set(False)
        try:
            outputs = fn(ctx, *args)
        finally:
            GRAD_ENABLED.reset(token)
        if not GRAD_ENABLED.get():
            return outputs
        requires = any(isinstance(a, Tensor) and a._requires_grad for a in args)
        if not requires:
            return outputs
        tup = outputs if isinstance(outputs, tuple) else (outputs,)
        edges = tuple(
            ((a._grad_fn, a._output_nr) if a._grad_fn is not None else (a._grad_accumulator(), 0))
            if isinstance(a, Tensor) and a._requires_grad else (None, 0)
            for a in args
        )  # fmt: skip
        meta = tuple(
            (a._data.shape, a._data.dtype) if e[0] is not None else None for a, e in zip(args, edges, strict=True)
        )
        wrapped = []
        for o in tup:
            if isinstance(o, Tensor) and o.is_floating_point():
                err = _new(_DelayedError)
                err._init_node(edges, meta, tuple(m is not None for m in meta))
                d: Any = o.detach()
                d._requires_grad = True
                d._grad_fn = err
                o = d
            wrapped.append(o)
        return tuple(wrapped) if isinstance(outputs, tuple) else wrapped[0]

    return wrapper  # type: ignore[return-value]


class _DelayedError(Node):
    _name = "DelayedError"

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")
