"""Matrix products: ``matmul`` (and ``@``), ``mm``, ``bmm``, ``mv``, ``dot``, ``vdot``, ``outer``/``ger``,
``inner``, ``addmm``/``addmv``/``baddbmm``, ``kron`` and ``trace``.

Einsum and tensordot live in ``linalg_einsum``; the ``rt.linalg`` factorisations in ``linalg_decomp``,
``linalg_spectral`` and ``linalg_norm`` (imported at the bottom of this module).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._blas import matmul as _blas_matmul
from .._dtype import _FROM_NP
from .._tensor import Tensor, _make
from ._registry import Op, ViewOp, inplace, register

__all__ = [
    "matmul",
    "mm",
    "bmm",
    "mv",
    "dot",
    "vdot",
    "outer",
    "ger",
    "inner",
    "addmm",
    "addmv",
    "baddbmm",
    "kron",
    "trace",
]

_new = object.__new__
# dtypes NumPy multiplies natively (the float ones through BLAS); float16/bfloat16 compute in float32
_FAST = frozenset(np.dtype(t) for t in (np.float32, np.float64, np.int64, np.int32, np.int16, np.int8, np.uint8))


# ------------------------------------------------------------------ helpers
class _MT(ViewOp):
    """Private: the last two dimensions swapped (``x.mT``), a view."""

    _name = "TransposeBackward0"

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> np.ndarray:
        return np.swapaxes(x._data, -1, -2)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d x.mT = (dx).mT
        return _MT.apply(grad)  # type: ignore[no-any-return]


def mT(x: Tensor) -> Tensor:
    """Private helper: ``x.mT`` (the last two dimensions swapped) as a differentiable view."""
    return _MT.apply(x)  # type: ignore[no-any-return]


def _shape_str(s: tuple[int, ...]) -> str:
    return "x".join(str(n) for n in s)


def dtype_name(a: np.ndarray) -> str:
    """The rustytorch name of an array's dtype, for error messages."""
    return _FROM_NP[a.dtype].name


def _matmul_error(op: str, xa: np.ndarray, xb: np.ndarray) -> RuntimeError:
    """The RuntimeError for operands whose shapes cannot be multiplied (names both shapes)."""
    sa, sb = xa.shape, xb.shape
    if not sa or not sb:
        return RuntimeError(
            f"{op}: both arguments to matmul need to be at least 1D, but they are {len(sa)}D and {len(sb)}D"
        )
    k_a = sa[-1]
    k_b = sb[-2] if len(sb) > 1 else sb[0]
    if k_a != k_b:
        if len(sa) == 1 and len(sb) == 1:
            return RuntimeError(
                f"{op}: inconsistent tensor size, expected tensor [{sa[0]}] and src [{sb[0]}] to have the same "
                f"number of elements, but got {sa[0]} and {sb[0]} elements respectively"
            )
        return RuntimeError(f"{op}: mat1 and mat2 shapes cannot be multiplied ({_shape_str(sa)} and {_shape_str(sb)})")
    return RuntimeError(
        f"{op}: the batch dimensions of shapes {list(sa)} and {list(sb)} are not broadcastable "
        f"({list(sa[:-2])} and {list(sb[:-2])})"
    )


def _check_pair(op: str, a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        bad, pos, name = (a, 1, "input") if not isinstance(a, Tensor) else (b, 2, "other")
        raise TypeError(f"{op}(): argument '{name}' (position {pos}) must be Tensor, not {type(bad).__name__}")
    xa, xb = a._data, b._data
    if xa.dtype != xb.dtype:
        raise RuntimeError(
            f"{op}: expected m1 and m2 to have the same dtype, but got: {dtype_name(xa)} != {dtype_name(xb)}"
        )
    return xa, xb


def matmul_arrays(op: str, xa: np.ndarray, xb: np.ndarray) -> np.ndarray:
    """``xa @ xb`` for two same-dtype arrays with torch's errors; half precision computes in float32."""
    dt = xa.dtype
    try:
        if dt in _FAST:
            r = _blas_matmul(xa, xb)
        elif dt.kind == "b":
            raise NotImplementedError(f"\"{op}\" not implemented for 'Bool'")
        else:  # float16 / bfloat16: accumulate in float32 as torch does
            r = _blas_matmul(xa.astype(np.float32), xb.astype(np.float32)).astype(dt)
    except ValueError:
        raise _matmul_error(op, xa, xb) from None
    return r if r.__class__ is np.ndarray else np.asarray(r)


def matmul_grads(
    g: Tensor, a: Tensor | None, b: Tensor | None, nda: int, ndb: int, need_a: bool, need_b: bool
) -> tuple[Any, Any]:
    """Gradients of ``a @ b`` for every matmul case (1-D operands act as a row / column vector).

    ``d(a b) = da b + a db`` so ``ga = g b^T`` and ``gb = a^T g``; broadcast batch dimensions
    are summed by the engine.
    """
    if nda == 1 and ndb == 1:  # dot: g is 0-d
        return (g * b if need_a else None), (g * a if need_b else None)
    ga = gb = None
    if nda == 1:  # (k) @ (..., k, m) -> (..., m)
        g2 = g.reshape((*g.shape[:-1], 1, g.shape[-1]))
        if need_a:
            assert b is not None
            ga = matmul(g2, mT(b))  # (..., 1, k): the engine sums it to (k,)
        if need_b:
            assert a is not None
            gb = matmul(a.reshape(a.shape[0], 1), g2)
        return ga, gb
    if ndb == 1:  # (..., n, k) @ (k) -> (..., n)
        g2 = g.reshape((*g.shape, 1))
        if need_a:
            assert b is not None
            ga = matmul(g2, b.reshape(1, b.shape[0]))
        if need_b:
            assert a is not None
            gb = matmul(mT(a), g2)
            gb = gb.reshape(gb.shape[:-1])
        return ga, gb
    if need_a:
        assert b is not None
        ga = matmul(g, mT(b))  # a matrix shared by a batch: the engine sums over the batch
    if need_b:
        assert a is not None
        if ndb == 2 and nda > 2:  # fold a's batch into its rows: one (k, N n) @ (N n, m) product
            k = a._data.shape[-1]
            gb = matmul(mT(a.reshape(-1, k)), g.reshape(-1, g._data.shape[-1]))
        else:
            gb = matmul(mT(a), g)
    return ga, gb


# ------------------------------------------------------------------ matmul
class Matmul(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor, b: Tensor, op: str = "matmul") -> np.ndarray:
        xa, xb = _check_pair(op, a, b)
        r = matmul_arrays(op, xa, xb)
        if ctx is not None:
            need_a, need_b = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
            ctx.save_for_backward(a if need_b else None, b if need_a else None)
            ctx.nd = (xa.ndim, xb.ndim)
        return r

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:  # ga = g b^T, gb = a^T g (1-D cases reshaped)
        a, b = ctx.saved_tensors
        nda, ndb = ctx.nd
        return matmul_grads(grad, a, b, nda, ndb, ctx.needs_input_grad[0], ctx.needs_input_grad[1])


@register
def matmul(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Matrix product with torch's rules for 1-D and batched operands, as ``torch.matmul``.

    1-D @ 1-D is the dot product (0-d); a 1-D first (second) operand acts as a row (column)
    vector whose added dimension is removed from the result; batch dimensions broadcast.
    Both operands must have the same dtype (no promotion, as torch).

    Examples
    --------
    >>> import rustytorch as rt
    >>> a = rt.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> a @ rt.tensor([1.0, 1.0]), rt.tensor([1.0, 1.0]) @ rt.tensor([2.0, 3.0])
    (tensor([3., 7.]), tensor(5.))
    >>> rt.matmul(rt.ones(5, 2, 3), rt.ones(3, 4)).shape
    rustytorch.Size([5, 2, 4])
    """
    if (
        input.__class__ is Tensor
        and other.__class__ is Tensor
        and out is None
        and not (input._requires_grad or other._requires_grad)
    ):
        xa = input._data
        xb = other._data
        dt = xa.dtype
        if dt is xb.dtype and dt in _FAST:
            try:
                r = _blas_matmul(xa, xb)
            except ValueError:
                raise _matmul_error("matmul", xa, xb) from None
            t = _new(Tensor)
            t._data = r if r.__class__ is np.ndarray else np.asarray(r)
            t._storage = None  # type: ignore[assignment]
            t._base = None
            t._requires_grad = False
            t._grad_fn = None
            t._output_nr = 0
            return t
    r = Matmul.apply(input, other)
    return r if out is None else _to_out(out, r, "matmul")


def _to_out(out: Any, r: Tensor, op: str) -> Tensor:
    """Write a result into an ``out=`` tensor (resized when it is empty and of another shape, as torch)."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{op}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if out._requires_grad and r._requires_grad:
        raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic differentiation")
    if out._data.shape != r._data.shape and out._data.size == 0:
        out._data = np.empty(r._data.shape, dtype=out._data.dtype)
        out._storage = None  # type: ignore[assignment]
    return inplace(out, op, _take, r.detach())


def _take(_target: Tensor, value: Tensor) -> Tensor:
    return value


write_out = _to_out


def write_outs(out: Any, res: Any, op: str) -> Any:
    """``res`` (a named tuple of tensors), written into the tensors of ``out`` when given."""
    if out is None:
        return res
    if not isinstance(out, tuple | list) or len(out) != len(res):
        raise TypeError(f"{op}(): out must be a tuple of {len(res)} tensors, got {type(out).__name__}")
    return type(res)(*(_to_out(o, r, op) for o, r in zip(out, res, strict=True)))


def _rmatmul(self: Tensor, other: Any) -> Tensor:
    return matmul(other, self)


Tensor.__matmul__ = matmul  # type: ignore[method-assign,assignment,attr-defined]
Tensor.__rmatmul__ = _rmatmul  # type: ignore[method-assign,assignment,attr-defined]


def _need_dim(op: str, x: Any, nd: int, what: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{what}' must be Tensor, not {type(x).__name__}")
    if x._data.ndim != nd:
        kind = {1: "a vector", 2: "a matrix", 3: "a 3D tensor"}[nd]
        raise RuntimeError(f"{op}: {what} must be {kind}, but got a {x._data.ndim}D tensor of shape {list(x.shape)}")


@register
def mm(input: Tensor, mat2: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Product of two matrices (2-D only, no broadcasting), as ``torch.mm``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.mm(rt.tensor([[1, 2]]), rt.tensor([[3], [4]]))
    tensor([[11]])
    """
    _need_dim("mm", input, 2, "self")
    _need_dim("mm", mat2, 2, "mat2")
    r = Matmul.apply(input, mat2, op="mm")
    return r if out is None else _to_out(out, r, "mm")


@register
def bmm(input: Tensor, mat2: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Batched product of 3-D tensors with equal batch sizes (no broadcasting), as ``torch.bmm``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.bmm(rt.ones(4, 2, 3), rt.ones(4, 3, 5)).shape
    rustytorch.Size([4, 2, 5])
    """
    _need_dim("bmm", input, 3, "batch1")
    _need_dim("bmm", mat2, 3, "batch2")
    sa, sb = input._data.shape, mat2._data.shape
    if sb[0] != sa[0] or sb[1] != sa[2]:
        raise RuntimeError(
            f"bmm: Expected size for first two dimensions of batch2 tensor to be: [{sa[0]}, {sa[2]}] but got: "
            f"[{sb[0]}, {sb[1]}] (shapes {list(sa)} and {list(sb)})"
        )
    r = Matmul.apply(input, mat2, op="bmm")
    return r if out is None else _to_out(out, r, "bmm")


@register
def mv(input: Tensor, vec: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Matrix-vector product, as ``torch.mv``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.mv(rt.tensor([[1.0, 2.0], [3.0, 4.0]]), rt.tensor([1.0, -1.0]))
    tensor([-1., -1.])
    """
    _need_dim("mv", input, 2, "self")
    _need_dim("mv", vec, 1, "vec")
    if input._data.shape[1] != vec._data.shape[0]:
        raise RuntimeError(
            f"mv: size mismatch, got input ({input._data.shape[0]}), mat ({_shape_str(input._data.shape)}), "
            f"vec ({vec._data.shape[0]})"
        )
    r = Matmul.apply(input, vec, op="mv")
    return r if out is None else _to_out(out, r, "mv")


def _dot_check(op: str, a: Any, b: Any) -> None:
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f"{op}(): arguments must be Tensors, got {type(a).__name__} and {type(b).__name__}")
    xa, xb = a._data, b._data
    if xa.ndim != 1 or xb.ndim != 1:
        raise RuntimeError(f"{op}: 1D tensors expected, but got {xa.ndim}D and {xb.ndim}D tensors")
    if xa.dtype != xb.dtype:
        raise RuntimeError(
            f"{op}: expected both vectors to have same dtype, but found {dtype_name(xa)} and {dtype_name(xb)}"
        )
    if xa.shape[0] != xb.shape[0]:
        raise RuntimeError(
            f"{op}: inconsistent tensor size, expected tensor [{xa.shape[0]}] and src [{xb.shape[0]}] to have the "
            f"same number of elements, but got {xa.shape[0]} and {xb.shape[0]} elements respectively"
        )


@register
def dot(input: Tensor, tensor: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Dot product of two 1-D tensors of the same dtype and size, as ``torch.dot``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.dot(rt.tensor([2, 3]), rt.tensor([2, 1]))
    tensor(7)
    """
    _dot_check("dot", input, tensor)
    r = Matmul.apply(input, tensor, op="dot")
    return r if out is None else _to_out(out, r, "dot")


@register
def vdot(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Dot product conjugating the first argument; the same as ``dot`` for real tensors, as ``torch.vdot``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.vdot(rt.tensor([1.0, 2.0]), rt.tensor([3.0, 4.0]))
    tensor(11.)
    """
    _dot_check("vdot", input, other)
    r = Matmul.apply(input, other, op="vdot")
    return r if out is None else _to_out(out, r, "vdot")


@register
def outer(input: Tensor, vec2: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Outer product of two 1-D tensors (with type promotion), as ``torch.outer``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.outer(rt.tensor([1, 2]), rt.tensor([1.0, 10.0, 100.0]))
    tensor([[  1.,  10., 100.],
            [  2.,  20., 200.]])
    """
    for x, nm in ((input, "self"), (vec2, "vec2")):
        if not isinstance(x, Tensor):
            raise TypeError(f"outer(): argument '{nm}' must be Tensor, not {type(x).__name__}")
        if x._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {nm}, but got {x._data.ndim}-D (shape {list(x.shape)})")
    r = input.reshape(input._data.shape[0], 1) * vec2  # d(a_i b_j) flows through mul and reshape
    return r if out is None else _to_out(out, r, "outer")


ger = register(outer, name="ger")


@register
def inner(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Inner product over the last dimension (``input * other`` when one is 0-d), as ``torch.inner``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.inner(rt.tensor([[1.0, 2.0], [3.0, 4.0]]), rt.tensor([1.0, 1.0]))
    tensor([3., 7.])
    """
    from .linalg_einsum import tensordot

    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"inner(): arguments must be Tensors, got {type(input).__name__} and {type(other).__name__}")
    if input._data.ndim == 0 or other._data.ndim == 0:
        r = input * other
    else:
        sa, sb = input._data.shape, other._data.shape
        if sa[-1] != sb[-1]:
            raise RuntimeError(
                f"inner() the last dimension must match on both input tensors but got shapes {list(sa)} and {list(sb)}"
            )
        r = tensordot(input, other, dims=([-1], [-1]))
    return r if out is None else _to_out(out, r, "inner")


# ------------------------------------------------------------ addmm family
class AddMatmul(Op):
    """``beta * input + alpha * (m1 @ m2)`` in one node (addmm, addmv, baddbmm)."""

    @staticmethod
    def forward(ctx: Any, input: Tensor, m1: Tensor, m2: Tensor, beta: Any, alpha: Any, op: str) -> np.ndarray:
        xi, x1, x2 = input._data, m1._data, m2._data
        if not (xi.dtype == x1.dtype == x2.dtype):
            raise RuntimeError(
                f"{op}: self and mat2 must have the same dtype, but got {dtype_name(xi)}, {dtype_name(x1)} and "
                f"{dtype_name(x2)}"
            )
        p = matmul_arrays(op, x1, x2)
        try:
            shape = np.broadcast_shapes(xi.shape, p.shape)
        except ValueError:
            shape = None
        if shape != p.shape:
            raise RuntimeError(
                f"{op}: the input of shape {list(xi.shape)} cannot be broadcast to the product's shape {list(p.shape)}"
            )
        dt = p.dtype
        if dt.kind in "iu":  # torch casts the coefficients to the integer type (truncation)
            beta, alpha = int(beta), int(alpha)
        if alpha != 1:
            p = (p * alpha).astype(dt, copy=False)
        if beta != 0:
            p = (p + (xi if beta == 1 else xi * beta)).astype(dt, copy=False)
        if ctx is not None:
            ctx.save_for_backward(m1 if ctx.needs_input_grad[2] else None, m2 if ctx.needs_input_grad[1] else None)
            ctx.coef = (beta, alpha)
            ctx.nd = (x1.ndim, x2.ndim)
        return p

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any, Any]:  # d = beta dI + alpha (dm1 m2 + m1 dm2)
        m1, m2 = ctx.saved_tensors
        beta, alpha = ctx.coef
        gi = None
        if ctx.needs_input_grad[0]:
            gi = grad if beta == 1 else grad * beta
        g = grad if alpha == 1 else grad * alpha
        g1, g2 = matmul_grads(g, m1, m2, ctx.nd[0], ctx.nd[1], ctx.needs_input_grad[1], ctx.needs_input_grad[2])
        return gi, g1, g2


def _add_matmul(op: str, input: Any, m1: Any, m2: Any, beta: Any, alpha: Any, nd1: int, nd2: int, out: Any) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    _need_dim(op, m1, nd1, "mat1" if nd1 == 2 else "batch1")
    _need_dim(op, m2, nd2, {1: "vec", 2: "mat2", 3: "batch2"}[nd2])
    if nd1 == 3 and m1._data.shape[0] != m2._data.shape[0]:
        raise RuntimeError(
            f"{op}: batch1 and batch2 must have the same number of batches, got shapes {list(m1.shape)} and "
            f"{list(m2.shape)}"
        )
    r = AddMatmul.apply(input, m1, m2, beta, alpha, op)
    return r if out is None else _to_out(out, r, op)


@register
def addmm(
    input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1, out: Tensor | None = None
) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)`` (``input`` broadcasts to the product), as ``torch.addmm``.

    With ``beta=0`` the input is ignored (NaNs in it do not propagate), as torch.

    Examples
    --------
    >>> import rustytorch as rt
    >>> eye, ones = rt.tensor([[1.0, 0.0], [0.0, 1.0]]), rt.tensor([[1.0, 1.0], [1.0, 1.0]])
    >>> rt.addmm(rt.tensor([1.0, 2.0]), eye, ones, alpha=3)
    tensor([[4., 5.],
            [4., 5.]])
    """
    return _add_matmul("addmm", input, mat1, mat2, beta, alpha, 2, 2, out)


@register
def addmv(
    input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1, out: Tensor | None = None
) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``, as ``torch.addmv``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.addmv(rt.tensor([1.0, 1.0]), rt.tensor([[1.0, 2.0], [3.0, 4.0]]), rt.tensor([1.0, 0.0]), beta=2)
    tensor([3., 5.])
    """
    return _add_matmul("addmv", input, mat, vec, beta, alpha, 2, 1, out)


@register
def baddbmm(
    input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1, out: Tensor | None = None
) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``, as ``torch.baddbmm``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.baddbmm(rt.ones(1), rt.ones(2, 1, 3), rt.ones(2, 3, 1), alpha=2)
    tensor([[[7.]],
    <BLANKLINE>
            [[7.]]])
    """
    return _add_matmul("baddbmm", input, batch1, batch2, beta, alpha, 3, 3, out)


def _in_place(name: str, fn: Any) -> Any:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return inplace(self, name, fn, *args, **kwargs)

    method.__name__ = name
    method.__qualname__ = f"Tensor.{name}"
    method.__doc__ = f"In-place form of :func:`{fn.__name__}`: writes the result into ``self`` and returns it."
    return method


for _name, _fn in (("addmm_", addmm), ("addmv_", addmv), ("baddbmm_", baddbmm)):
    setattr(Tensor, _name, _in_place(_name, _fn))


# ------------------------------------------------------------------ kron, trace
@register
def kron(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Kronecker product (with type promotion; the operands are padded to the same number of dims), as ``torch.kron``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.kron(rt.tensor([[1.0, 0.0], [0.0, 1.0]]), rt.tensor([[1.0, 2.0]]))
    tensor([[1., 2., 0., 0.],
            [0., 0., 1., 2.]])
    """
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"kron(): arguments must be Tensors, got {type(input).__name__} and {type(other).__name__}")
    sa, sb = input._data.shape, other._data.shape
    nd = max(len(sa), len(sb))
    sa = (1,) * (nd - len(sa)) + sa
    sb = (1,) * (nd - len(sb)) + sb
    a = input.reshape(tuple(v for n in sa for v in (n, 1)))
    b = other.reshape(tuple(v for n in sb for v in (1, n)))
    r = (a * b).reshape(tuple(x * y for x, y in zip(sa, sb, strict=True)))  # kron = interleaved outer product
    return r if out is None else _to_out(out, r, "kron")


class Trace(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor) -> np.ndarray:
        a = x._data
        if a.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {a.ndim} (shape {list(a.shape)})")
        if a.dtype.kind == "b":
            raise NotImplementedError("\"trace\" not implemented for 'Bool'")
        dt = np.int64 if a.dtype.kind in "iu" else a.dtype
        return np.asarray(np.trace(a, dtype=dt))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d tr(X) = sum_i dX_ii: grad times the identity
        shape, dt = ctx._in_meta[0]
        return grad * _make(np.eye(shape[0], shape[1], dtype=dt))


@register
def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal of a 2-D tensor (integers sum to int64), as ``torch.trace``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.trace(rt.tensor([[1, 2, 3], [4, 5, 6]]))
    tensor(6)
    """
    return Trace.apply(input)  # type: ignore[no-any-return]


from .linalg_decomp import *  # noqa: E402, F403  # noqa: E402, F403
from .linalg_decomp import __all__ as _decomp_all  # noqa: E402
from .linalg_einsum import *  # noqa: E402, F403
from .linalg_einsum import __all__ as _einsum_all  # noqa: E402
from .linalg_norm import *  # noqa: E402, F403
from .linalg_norm import __all__ as _norm_all  # noqa: E402
from .linalg_spectral import *  # noqa: E402, F403
from .linalg_spectral import __all__ as _spectral_all  # noqa: E402

__all__ += _einsum_all + _decomp_all + _spectral_all + _norm_all
