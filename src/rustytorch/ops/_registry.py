"""How an op is defined: ``Op`` (forward on arrays + backward on tensors, side by side),
``register`` (public function + Tensor method), operand promotion and the in-place recipe.

An op is a subclass of ``Op``::

    class Exp(Op):
        save_result = True

        @staticmethod
        def forward(ctx, x):  # arrays in, array out
            return np.exp(x._data)

        @staticmethod
        def backward(ctx, grad):  # d/dx exp(x) = exp(x)
            return grad * ctx.result

``Op.apply(*inputs, **params)`` runs forward and, when grad mode is on and an input
requires grad, records the node. ``ctx`` is None when nothing is recorded, so forward
saves only under ``if ctx is not None``. The engine reduces broadcast gradients to each
input's shape, casts them to its dtype and checks them; backward returns one gradient
(or None) per positional input.
"""

from __future__ import annotations

import contextvars
import sys
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import numpy as np

from .. import _dtype, _parallel
from .._dtype import _FROM_NP, _PROMOTE, combine_categories, scalar_dtype
from .._location import _PKG_DIR, Location
from .._tensor import Tensor, _make, _make_view
from ..autograd.grad_mode import GRAD_ENABLED
from ..autograd.node import ANOMALY as _ANOMALY
from ..autograd.node import Node, anomaly_trace, register_view, save_output
from ..autograd.node import next_seq as _next_seq

__all__ = [
    "Op",
    "ViewOp",
    "binary",
    "unary",
    "binary_op",
    "unary_op",
    "fp",
    "register",
    "OPS",
    "operands",
    "result_dtype",
    "inplace",
    "as_array_operand",
]

_new = object.__new__
_getframe = sys._getframe
_F = TypeVar("_F", bound=Callable[..., Any])

# name -> public function; the op-table test checks every entry has a table row.
OPS: dict[str, Callable[..., Any]] = {}


def register(fn: _F | None = None, *, name: str | None = None, method: bool | str = True, public: bool = True) -> Any:
    """Register a public op: listed in ``OPS`` and attached as a ``Tensor`` method.

    ``method=False`` for functions that are not methods (``rt.cat``); a string for a
    method of another name.
    """

    def deco(f: _F) -> _F:
        n = name or f.__name__
        if public:
            OPS[n] = f
        if method:
            setattr(Tensor, method if isinstance(method, str) else n, f)
        return f

    return deco(fn) if fn is not None else deco


class Op(Node):
    """Base class of every differentiable primitive (see the module docstring)."""

    __slots__ = ()
    #: the output is a view of ``inputs[0]`` sharing its storage
    is_view: ClassVar[bool] = False
    #: backward reads ``ctx.result``
    save_result: ClassVar[bool] = False

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if "_name" not in cls.__dict__:
            cls._name = cls.__name__ + "Backward0"

    @staticmethod
    def forward(ctx: Any, *inputs: Any, **params: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Any:
        """Run forward; when grad mode is on and an input requires grad, record the node: a fresh node is
        forward's ``ctx`` and becomes the outputs' ``grad_fn`` (the hottest code of the library: inlined)."""
        record = False
        if GRAD_ENABLED.get():
            for x in inputs:
                if isinstance(x, Tensor) and x._requires_grad:
                    record = True
                    break
        if not record:
            out = cls.forward(None, *inputs, **params)
            c = out.__class__
            if c is _ndarray:
                return _make(out)
            if c is tuple:
                return tuple(_make(_arr(o)) for o in out)
            return _make(_arr(out))
        ctx: Any = _new(cls)
        n = len(inputs)
        if n == 1:  # the common unary case: the input requires grad (checked by the caller)
            x = inputs[0]
            fn = x._grad_fn
            ctx.next_functions = ((fn, x._output_nr) if fn is not None else _leaf_edge(x),)
            a = x._data
            ctx._in_meta = ((a.shape, a.dtype),)
            ctx.needs_input_grad = _TRUE1
        elif n == 2:  # binary ops: no lists
            a, b = inputs
            if (a.__class__ is Tensor or isinstance(a, Tensor)) and a._requires_grad:
                fn = a._grad_fn
                ea = (fn, a._output_nr) if fn is not None else _leaf_edge(a)
                d = a._data
                ma = (d.shape, d.dtype)
            else:
                ea = _NO_EDGE
                ma = None
            if (b.__class__ is Tensor or isinstance(b, Tensor)) and b._requires_grad:
                fn = b._grad_fn
                eb = (fn, b._output_nr) if fn is not None else _leaf_edge(b)
                d = b._data
                mb = (d.shape, d.dtype)
            else:
                eb = _NO_EDGE
                mb = None
            ctx.next_functions = (ea, eb)
            ctx._in_meta = (ma, mb)
            ctx.needs_input_grad = (_TT if mb is not None else _TF) if ma is not None else _FT
        else:
            edges: list[Any] = []
            meta: list[Any] = []
            needs: list[bool] = []
            for x in inputs:
                if isinstance(x, Tensor) and x._requires_grad:
                    fn = x._grad_fn
                    edges.append((fn, x._output_nr) if fn is not None else _leaf_edge(x))
                    d = x._data
                    meta.append((d.shape, d.dtype))
                    needs.append(True)
                else:
                    edges.append(_NO_EDGE)
                    meta.append(None)
                    needs.append(False)
            ctx.next_functions = tuple(edges)
            ctx._in_meta = tuple(meta)
            ctx.needs_input_grad = tuple(needs)
        ctx._seq = _next_seq()
        ctx._saved = ()  # type: ignore[assignment]
        ctx._saved_result = None
        ctx._location = None
        if _ANOMALY[0]:
            ctx._trace = anomaly_trace()
        out = cls.forward(ctx, *inputs, **params) if params else cls.forward(ctx, *inputs)
        c = out.__class__
        if c is tuple:
            return _record_outputs(ctx, out)
        if c is not _ndarray:
            out = np.asarray(out)
        t: Any
        if cls.is_view:
            t = _make_view(inputs[0], out)
        else:
            t = _new(Tensor)
            t._data = out
            t._storage = None  # type: ignore[assignment]
            t._base = None
        t._output_nr = 0
        dt = out.dtype
        if dt.kind == "f" or dt is _BF16:
            t._requires_grad = True
            t._grad_fn = ctx
            if cls.save_result:
                ctx._saved_result = save_output(t)
                f: Any = _getframe(1)  # the caller of apply; where() inlined: the user's line, without a traceback
                while f is not None and f.f_code.co_filename.startswith(_PKG_DIR):
                    f = f.f_back
                if f is not None:
                    loc = ctx._location = _new(Location)
                    loc.code = f.f_code
                    loc.lasti = f.f_lasti
            if cls.is_view:
                register_view(t)
        else:
            t._requires_grad = False
            t._grad_fn = None
        return t


# NumPy warns on inf/nan results (overflow, 0/0, log(0), ...); torch never does. Ufuncs run inside a
# context where NumPy's floating-point errors are ignored: ``Context.run`` costs ~30 ns, ``np.errstate`` ~1 us.
_FP_CTX = contextvars.copy_context()
_FP_CTX.run(np.seterr, all="ignore")
_fp_run = _FP_CTX.run
#: operands at least this large go to the thread pool (``_parallel``)
PARALLEL_MIN = 1 << 16


def fp(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` (a NumPy computation) with NumPy's floating-point warnings off, as torch never warns."""
    try:
        return _fp_run(fn, *args)
    except RuntimeError as e:
        if not str(e).startswith("cannot enter context"):
            raise
    with np.errstate(all="ignore"):  # the context is in use by another thread
        return fn(*args)


def _par_binary(ufunc: Any, x: Any, y: Any) -> Any:
    return _parallel.binary(ufunc, x, y)


def _par_unary(ufunc: Any, x: Any) -> Any:
    return _parallel.unary(ufunc, x)


def _wrap(r: Any) -> Tensor:
    t = _new(Tensor)
    t._data = r if r.__class__ is _ndarray else np.asarray(r)
    t._storage = None  # type: ignore[assignment]
    t._base = None
    t._requires_grad = False
    t._grad_fn = None
    t._output_nr = 0
    return t


def binary(cls: type[Op], ufunc: Any, op: str, a: Any, b: Any, kinds: str = "biuf") -> Tensor:
    """Hot path of a binary elementwise op, for operands outside the graph whose dtype kind is in ``kinds``.

    Two tensors of one dtype, or a tensor and a Python float (float tensors) or int (int tensors, in
    range; float tensors) go straight to NumPy, whose weak Python scalars then give torch's result
    dtype. Everything else (promotion, autograd, bfloat16, ...) goes through ``cls.apply``.
    """
    if a.__class__ is Tensor:
        if a._requires_grad:
            return cls.apply(a, b)  # type: ignore[no-any-return]
        x = a._data
        dt = x.dtype
        k = dt.kind
        if k not in kinds:
            return cls.apply(a, b)  # type: ignore[no-any-return]
        bc = b.__class__
        if bc is Tensor:
            y = b._data
            if b._requires_grad or y.dtype is not dt:
                return cls.apply(a, b)  # type: ignore[no-any-return]
            big = x.size >= PARALLEL_MIN or y.size >= PARALLEL_MIN
        elif bc is float:
            if k != "f":
                return cls.apply(a, b)  # type: ignore[no-any-return]
            y = b
            big = x.size >= PARALLEL_MIN
        elif bc is int:
            if k != "f":
                lo, hi = _INT_BOUNDS.get(dt, _NO_BOUNDS)
                if not lo <= b <= hi:
                    return cls.apply(a, b)  # type: ignore[no-any-return]
            y = b
            big = x.size >= PARALLEL_MIN
        else:
            return cls.apply(a, b)  # type: ignore[no-any-return]
    elif b.__class__ is Tensor:  # a Python scalar on the left (reflected operators)
        if b._requires_grad:
            return cls.apply(a, b)  # type: ignore[no-any-return]
        y = b._data
        dt = y.dtype
        k = dt.kind
        ac = a.__class__
        if k not in kinds or not ((ac is float and k == "f") or (ac is int and (k == "f" or _fits(a, dt)))):
            return cls.apply(a, b)  # type: ignore[no-any-return]
        x = a
        big = y.size >= PARALLEL_MIN
    else:
        return cls.apply(a, b)  # type: ignore[no-any-return]
    try:
        r = _fp_run(ufunc, x, y) if not big else fp(_par_binary, ufunc, x, y)
    except ValueError:
        raise broadcast_error(op, a, b) from None
    except RuntimeError:
        r = fp(ufunc, x, y)
    return _wrap(r)


def binary_op(
    cls: type[Op], ufunc: Any, op: str, kinds: str = "biuf", dunder: bool = False, reflected: bool = False
) -> Callable[[Any, Any], Any]:
    """``binary`` specialised to one op as a closure, for the hottest entry points (operators, ``add``...).

    ``dunder=True`` makes an operator method: operands of unknown types give ``NotImplemented``.
    ``reflected=True`` makes ``__rsub__``-style methods: ``f(self, other)`` computes ``other - self``.
    """
    apply = cls.apply
    new = _new
    ndarray = _ndarray
    bounds = _INT_BOUNDS.get
    any_kind = kinds == "biuf"  # same-dtype tensors of every dtype (bfloat16 too: ml_dtypes has the loops)

    def fast(a: Any, b: Any) -> Any:
        if a.__class__ is Tensor and not a._requires_grad:
            x = a._data
            bc = b.__class__
            y: Any = None
            if bc is Tensor:
                if not b._requires_grad:
                    dt = x.dtype
                    if b._data.dtype is dt and (any_kind or dt.kind in kinds):
                        y = b._data
                        small = x.size < PARALLEL_MIN and y.size < PARALLEL_MIN
            elif bc is float or bc is int:
                dt = x.dtype
                k = dt.kind
                if k == "f":
                    y = b
                elif bc is int and k in kinds:
                    lo, hi = bounds(dt, _NO_BOUNDS)
                    if lo <= b <= hi:
                        y = b
                small = x.size < PARALLEL_MIN
            if y is not None:
                if reflected:
                    x, y = y, x
                try:
                    r = _fp_run(ufunc, x, y) if small else fp(_par_binary, ufunc, x, y)
                except ValueError:
                    raise (broadcast_error(op, b, a) if reflected else broadcast_error(op, a, b)) from None
                except RuntimeError:
                    r = fp(ufunc, x, y)
                t = new(Tensor)
                t._data = r if r.__class__ is ndarray else np.asarray(r)
                t._storage = None  # type: ignore[assignment]
                t._base = None
                t._requires_grad = False
                t._grad_fn = None
                t._output_nr = 0
                return t
        if dunder and not isinstance(b, _OPERAND_TYPES):
            return NotImplemented
        return apply(b, a) if reflected else apply(a, b)

    fast.__name__ = fast.__qualname__ = op
    return fast


_OPERAND_TYPES = (Tensor, np.ndarray, bool, int, float, np.number, np.bool_)


def unary_op(cls: type[Op], ufunc: Any, kinds: str = "f") -> Callable[[Any], Tensor]:
    """``unary`` specialised to one op as a closure (``Tensor.__neg__``, ``exp``, ...).

    Only NumPy ufuncs go to the thread pool for large inputs; Python composites run serially.
    """
    apply = cls.apply
    new = _new
    ndarray = _ndarray
    par_min = PARALLEL_MIN if isinstance(ufunc, np.ufunc) else 1 << 62

    def fast(x: Any) -> Tensor:
        if x.__class__ is Tensor and not x._requires_grad:
            a = x._data
            if a.dtype.kind in kinds:
                try:
                    r = _fp_run(ufunc, a) if a.size < par_min else fp(_par_unary, ufunc, a)
                except RuntimeError:
                    r = fp(ufunc, a)
                t = new(Tensor)
                t._data = r if r.__class__ is ndarray else np.asarray(r)
                t._storage = None  # type: ignore[assignment]
                t._base = None
                t._requires_grad = False
                t._grad_fn = None
                t._output_nr = 0
                return t
        return apply(x)  # type: ignore[no-any-return]

    return fast


def unary(cls: type[Op], ufunc: Any, x: Any, kinds: str = "f") -> Tensor:
    """Hot path of a one-input elementwise op: a tensor outside the graph whose dtype kind is in ``kinds``."""
    if x.__class__ is Tensor and not x._requires_grad:
        a = x._data
        if a.dtype.kind in kinds:
            try:
                r = _fp_run(ufunc, a) if a.size < PARALLEL_MIN else fp(_par_unary, ufunc, a)
            except RuntimeError:
                r = fp(ufunc, a)
            return _wrap(r)
    return cls.apply(x)  # type: ignore[no-any-return]


class ViewOp(Op):
    """An op whose output is a view of its first input, sharing its storage."""

    __slots__ = ()
    is_view = True

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Any:
        if GRAD_ENABLED.get() and inputs[0]._requires_grad:
            return _record(cls, inputs, params)
        return _make_view(inputs[0], cls.forward(None, *inputs, **params))


_ndarray = np.ndarray
_op_apply = Op.apply.__func__  # type: ignore[attr-defined]


def _arr(o: Any) -> np.ndarray:
    """NumPy gives a scalar, not a 0-d array, for ops on 0-d arrays: make it an array."""
    return o if o.__class__ is _ndarray else np.asarray(o)


def _record(cls: type[Op], inputs: tuple[Any, ...], params: dict[str, Any]) -> Any:
    """Record ``cls`` applied to ``inputs``, for ``apply`` overrides that checked grad mode themselves."""
    return _op_apply(cls, *inputs, **params)


def _record_outputs(ctx: Op, out: tuple[Any, ...]) -> tuple[Tensor, ...]:
    """Multi-output forward: every floating output gets ``ctx`` as grad_fn (with its output number)."""
    arrs = tuple(_arr(o) for o in out)
    outs: tuple[Any, ...] = tuple(_make(o) for o in arrs)
    ctx._n_out = len(outs)
    ctx._out_meta = tuple((o.shape, o.dtype) for o in arrs)
    ctx._special = True
    for i, t in enumerate(outs):
        dt = t._data.dtype
        if dt.kind == "f" or dt is _BF16:
            t._requires_grad = True
            t._grad_fn = ctx
            t._output_nr = i
    return outs


def _leaf_edge(x: Tensor) -> tuple[Any, int]:
    """The edge to a leaf's AccumulateGrad node (kept alive by the graph, found through a weak reference)."""
    ref = x._acc_ref
    acc = ref() if ref is not None else None
    if acc is None:
        acc = x._grad_accumulator()
    return (acc, 0)


_TRUE1 = (True,)
_TT, _TF, _FT = (True, True), (True, False), (False, True)
_NO_EDGE = (None, 0)
_BF16 = _dtype.bfloat16._np


# ------------------------------------------------------------------ promotion
def _tier_dtype(x: Any) -> tuple[int, _dtype.dtype]:
    if isinstance(x, Tensor):
        return (0 if x._data.ndim else 1), _FROM_NP[x._data.dtype]
    if isinstance(x, np.ndarray):  # a NumPy array operand counts as a dimensioned tensor, as in torch
        return 0, _dtype.from_numpy_dtype(x.dtype)
    return 2, scalar_dtype(x)


def result_dtype(*args: Any) -> _dtype.dtype:
    """torch.result_type over tensors and Python scalars (dimensioned > 0-d > scalars tiers)."""
    tiers: list[_dtype.dtype | None] = [None, None, None]
    for a in args:
        tier, d = _tier_dtype(a)
        cur = tiers[tier]
        tiers[tier] = d if cur is None else _PROMOTE[cur, d]
    r = combine_categories(tiers[0], combine_categories(tiers[1], tiers[2]))
    assert r is not None
    return r


def as_array_operand(x: Any, dt: np.dtype[Any]) -> Any:
    """``x`` (Tensor or scalar) as a NumPy operand that computes in dtype ``dt``."""
    if isinstance(x, Tensor | np.ndarray):
        a = x._data if isinstance(x, Tensor) else x
        return a if a.dtype == dt else a.astype(dt)
    if isinstance(x, bool | int | float | np.number | np.bool_):
        return np.asarray(x).astype(dt) if not isinstance(x, float) or dt.kind == "f" else np.asarray(x, dtype=dt)
    raise TypeError(f"expected a Tensor or a Python number, got {type(x).__name__}")


def operands(op: str, a: Any, b: Any) -> tuple[Any, Any, np.dtype[Any]]:
    """Promote two operands as torch does; returns NumPy operands and the result dtype.

    The fast path (two tensors of one dtype, or a tensor and a scalar of a lower or equal
    category) hands the operands to NumPy as they are: NumPy's weak scalars then give
    torch's result dtype.
    """
    if isinstance(a, Tensor):
        xa = a._data
        if isinstance(b, Tensor):
            xb = b._data
            if xa.dtype == xb.dtype:
                return xa, xb, xa.dtype
        elif b.__class__ is float:
            if xa.dtype.kind == "f":  # not bfloat16: ml_dtypes does not treat Python floats as weak
                return xa, b, xa.dtype
        elif b.__class__ is int and xa.dtype.kind in "fiu" and xa.dtype.name != "bfloat16":
            if xa.dtype.kind != "f" and not _fits(b, xa.dtype):
                return xa, np.array(b).astype(xa.dtype), xa.dtype
            return xa, b, xa.dtype
    elif not isinstance(b, Tensor):
        raise TypeError(f"{op}: expected at least one Tensor operand, got {type(a).__name__} and {type(b).__name__}")
    try:
        rd = result_dtype(a, b).np
    except TypeError as e:
        raise TypeError(f"{op}: {e}") from None
    return as_array_operand(a, rd), as_array_operand(b, rd), rd


_INT_BOUNDS: dict[Any, tuple[int, int]] = {
    np.dtype(t): (int(np.iinfo(t).min), int(np.iinfo(t).max)) for t in (np.uint8, np.int8, np.int16, np.int32, np.int64)
}
_NO_BOUNDS = (1, 0)  # nothing fits (bool tensors: an int scalar promotes)


def _fits(v: int, dt: np.dtype[Any]) -> bool:
    lo, hi = _INT_BOUNDS.get(dt, _NO_BOUNDS)
    return bool(lo <= v <= hi)


def broadcast_error(op: str, a: Any, b: Any) -> RuntimeError:
    """The RuntimeError for operands whose shapes do not broadcast."""
    sa = list(np.shape(a._data if isinstance(a, Tensor) else a))
    sb = list(np.shape(b._data if isinstance(b, Tensor) else b))
    return RuntimeError(f"{op}: the shapes {sa} and {sb} are not broadcastable")


# ------------------------------------------------------------------- in place
def inplace(target: Tensor, op_name: str, compute: Callable[..., Tensor], *args: Any, **kwargs: Any) -> Tensor:
    """Run ``compute(target, *args, **kwargs)`` out of place and write the result into ``target``.

    This is the one recipe of every ``_`` op: it checks the result's shape and dtype fit
    the destination, writes through views into the shared storage, bumps the version
    counter and, when the graph is recorded, makes ``target`` (and, for a view, its base)
    take the new history (``ops.inplace_graph``). In-place ops on a leaf that requires grad
    raise, as in torch, unless grad mode is off.
    """
    if GRAD_ENABLED.get():
        if target._requires_grad:
            if target._grad_fn is None:
                raise RuntimeError(
                    f"{op_name}: a leaf Variable that requires grad is being used in an in-place operation."
                )
            return _record_inplace(target, op_name, compute, args, kwargs)
        for a in args:
            if isinstance(a, Tensor) and a._requires_grad:
                return _record_inplace(target, op_name, compute, args, kwargs)
        for a in kwargs.values():
            if isinstance(a, Tensor) and a._requires_grad:
                return _record_inplace(target, op_name, compute, args, kwargs)
    # nothing to record: either grad mode is off or no operand requires grad
    _write_into(target, compute(target, *args, **kwargs), op_name)
    return target


def _record_inplace(
    target: Tensor, op_name: str, compute: Callable[..., Tensor], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Tensor:
    from .inplace_graph import record_inplace

    return record_inplace(target, op_name, compute, args, kwargs)


def _write_into(target: Tensor, res: Tensor, op_name: str) -> None:
    dst = target._data
    src = res._data
    if src.shape != dst.shape and np.broadcast_shapes(src.shape, dst.shape) != dst.shape:
        raise RuntimeError(
            f"{op_name}: output with shape {list(dst.shape)} doesn't match the broadcast shape "
            f"{list(np.broadcast_shapes(src.shape, dst.shape))}"
        )
    if src.dtype != dst.dtype and _FROM_NP[src.dtype]._cat > _FROM_NP[dst.dtype]._cat:
        raise RuntimeError(
            f"{op_name}: result type {_FROM_NP[src.dtype]!r} can't be cast to the desired output type "
            f"{_FROM_NP[dst.dtype]!r}"
        )
    if not dst.flags.writeable:
        raise RuntimeError(f"{op_name}: the tensor is not writeable (an expanded view or read-only memory)")
    _check_no_internal_overlap(dst, op_name)
    np.copyto(dst, src, casting="unsafe")
    target._bump_version(op_name)


def _check_no_internal_overlap(dst: np.ndarray, op_name: str) -> None:
    if dst.size == 0:  # an empty tensor has no elements to overlap (NumPy gives it zero strides)
        return
    for n, s in zip(dst.shape, dst.strides, strict=True):
        if s == 0 and n > 1:
            raise RuntimeError(
                f"{op_name}: unsupported operation: more than one element of the written-to tensor refers to a "
                f"single memory location. Please clone() the tensor before performing the operation."
            )
