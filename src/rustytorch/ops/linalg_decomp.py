"""``rt.linalg`` inverse, determinants, solve, Cholesky and QR (registered as ``linalg.<name>``), and the
top-level aliases torch has (``inverse``, ``det``, ``logdet``, ``slogdet``, ``cholesky``, ``qr``).

Every op works on batches of matrices (``(*, m, n)``) with NumPy's LAPACK kernels; the gradients are
torch's formulas written with differentiable tensor ops.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .._tensor import Tensor, _make
from ._registry import Op, register
from .linalg import dtype_name, matmul, mT, write_out, write_outs

__all__ = ["inverse", "det", "logdet", "slogdet", "cholesky", "qr"]


class LinAlgError(RuntimeError):
    """Raised when a matrix is singular or not positive-definite, as ``torch.linalg.LinAlgError``
    (a RuntimeError subclass)."""


class linalg_slogdet(NamedTuple):
    sign: Tensor
    logabsdet: Tensor


class linalg_qr(NamedTuple):
    Q: Tensor
    R: Tensor


# ------------------------------------------------------------------ checks
def check_float(op: str, A: Any, name: str = "A") -> np.ndarray:
    """The array of a float32/float64 tensor input; TypeError / RuntimeError as torch otherwise."""
    if not isinstance(A, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(A).__name__}")
    a = A._data
    if a.dtype.kind != "f" and a.dtype.name != "bfloat16":
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got {dtype_name(a)}")
    if a.dtype.itemsize == 2:
        raise RuntimeError(f"{op}: Low precision dtypes not supported. Got {dtype_name(a)}")
    return a


def check_matrix(op: str, A: Any, square: bool = False, name: str = "A") -> np.ndarray:
    """``check_float`` plus at least 2 dims (and square matrices when ``square``)."""
    if isinstance(A, Tensor) and A._data.ndim < 2:
        raise RuntimeError(
            f"{op}: The input tensor {name} must have at least 2 dimensions (got shape {list(A._data.shape)})."
        )
    a = check_float(op, A, name)
    if square and a.shape[-1] != a.shape[-2]:
        raise RuntimeError(
            f"{op}: {name} must be batches of square matrices, but they are {a.shape[-2]} by {a.shape[-1]} matrices"
        )
    return a


def _singular(op: str, a: np.ndarray, what: str) -> LinAlgError:
    """Locate the first singular matrix of a batch for the error message."""
    batch = a.shape[:-2]
    for idx in np.ndindex(*batch):
        if np.linalg.matrix_rank(a[idx]) < a.shape[-1]:
            where = f"(Batch element {int(np.ravel_multi_index(idx, batch))}): " if batch else ""
            return LinAlgError(f"{op}: {where}{what} because the input matrix of shape {list(a.shape)} is singular.")
    return LinAlgError(f"{op}: {what} because the input matrix of shape {list(a.shape)} is singular.")


def unsqueeze2(t: Tensor) -> Tensor:
    """``t[..., None, None]`` (differentiable reshape)."""
    return t.reshape((*t._data.shape, 1, 1))


def saved_outputs(ctx: Any, arrays: tuple[np.ndarray, ...]) -> tuple[Tensor, ...]:
    """The outputs of a multi-output node, rebuilt for its backward with ``grad_fn`` = the node (so double
    backward differentiates through them)."""
    outs = []
    for i, a in enumerate(arrays):
        t = _make(a)
        t._requires_grad = True
        t._grad_fn = ctx
        t._output_nr = i
        outs.append(t)
    return tuple(outs)


# ------------------------------------------------------------------ inv
class Inv(Op):
    _name = "LinalgInvExBackward0"
    save_result = True

    @staticmethod
    def forward(ctx: Any, A: Tensor) -> np.ndarray:
        a = check_matrix("linalg.inv", A, square=True)
        try:
            return np.linalg.inv(a)  # type: ignore[no-any-return]
        except np.linalg.LinAlgError:
            raise _singular("linalg.inv", a, "the inversion could not be completed") from None

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d A^-1 = -A^-1 dA A^-1  =>  gA = -A^-T g A^-T
        ainv_t = mT(ctx.result)
        return -matmul(matmul(ainv_t, grad), ainv_t)


@register(name="linalg.inv", method=False)
def linalg_inv(A: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Inverse of a square matrix (or of each matrix of a batch), as ``torch.linalg.inv``.

    Raises ``rt.linalg.LinAlgError`` (a RuntimeError) when a matrix is singular.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.linalg.inv(rt.tensor([[1.0, 2.0], [0.0, 1.0]]))
    tensor([[ 1., -2.],
            [ 0.,  1.]])
    """
    r = Inv.apply(A)
    return r if out is None else _out(out, r, "linalg.inv")


def _out(out: Tensor, r: Tensor, op: str) -> Tensor:
    return write_out(out, r, op)


@register
def inverse(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Alias of ``rt.linalg.inv``, as ``torch.inverse``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.tensor([[0.0, 1.0], [1.0, 0.0]]).inverse()
    tensor([[0., 1.],
            [1., 0.]])
    """
    return linalg_inv(input, out=out)


# ------------------------------------------------------------------ det, slogdet
class Det(Op):
    _name = "LinalgDetBackward0"
    save_result = True

    @staticmethod
    def forward(ctx: Any, A: Tensor) -> np.ndarray:
        a = check_matrix("linalg.det", A, square=True)
        if ctx is not None:
            ctx.save_for_backward(A)
        return np.asarray(np.linalg.det(a))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d det(A) = det(A) tr(A^-1 dA)  =>  gA = g det(A) A^-T
        (A,) = ctx.saved_tensors
        d = ctx.result
        try:
            ainv = linalg_inv(A)
        except LinAlgError:
            return _det_grad_singular(A, grad)
        return unsqueeze2(grad * d) * mT(ainv)


def _det_grad_singular(A: Tensor, grad: Tensor) -> Tensor:
    """Gradient of det at a singular matrix: the cofactor matrix ``det(U) det(Vh) U diag(prod_{j!=i} s_j) Vh``."""
    from .linalg_spectral import linalg_svd_fn

    U, S, Vh = linalg_svd_fn(A, full_matrices=False)
    n = A._data.shape[-1]
    dt = A._data.dtype
    signs = np.linalg.det(U._data) * np.linalg.det(Vh._data)  # +-1, locally constant
    prod = _make(np.ones(S._data.shape, dtype=dt))
    for j in range(n):
        e = np.zeros(n, dtype=dt)
        e[j] = 1
        sj = matmul(S, _make(e)).reshape((*S._data.shape[:-1], 1))  # s_j as (..., 1)
        mask = _make(1 - e)
        prod = prod * (sj * mask + _make(e))  # multiplies every entry but the j-th by s_j
    cof = matmul(U * prod.reshape((*prod._data.shape[:-1], 1, n)), Vh)
    return unsqueeze2(grad * _make(np.asarray(signs, dtype=dt))) * cof


@register(name="linalg.det", method=False)
def linalg_det(A: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Determinant of a square matrix or batch of matrices, as ``torch.linalg.det``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.linalg.det(rt.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor(-2.)
    """
    r = Det.apply(A)
    return r if out is None else _out(out, r, "linalg.det")


@register
def det(input: Tensor) -> Tensor:
    """Alias of ``rt.linalg.det``, as ``torch.det``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.tensor([[2.0, 0.0], [0.0, 3.0]]).det()
    tensor(6.)
    """
    return linalg_det(input)


class Slogdet(Op):
    _name = "LinalgSlogdetBackward0"

    @staticmethod
    def forward(ctx: Any, A: Tensor) -> tuple[np.ndarray, np.ndarray]:
        a = check_matrix("linalg.slogdet", A, square=True)
        sign, logabs = np.linalg.slogdet(a)
        if ctx is not None:
            ctx.save_for_backward(A)
        return np.asarray(sign), np.asarray(logabs)

    @staticmethod
    def backward(ctx: Any, g_sign: Tensor, g_logabs: Tensor) -> Tensor:  # d log|det A| = tr(A^-1 dA); sign is constant
        (A,) = ctx.saved_tensors
        return unsqueeze2(g_logabs) * mT(linalg_inv(A))


@register(name="linalg.slogdet", method=False)
def linalg_slogdet_fn(A: Tensor) -> linalg_slogdet:
    """Sign and natural log of the absolute value of the determinant, as ``torch.linalg.slogdet``.

    A singular matrix gives ``(0, -inf)``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> sign, logabsdet = rt.linalg.slogdet(rt.tensor([[0.0, 1.0], [1.0, 0.0]]))
    >>> sign, logabsdet
    (tensor(-1.), tensor(0.))
    """
    sign, logabs = Slogdet.apply(A)
    return linalg_slogdet(sign, logabs)


@register
def slogdet(input: Tensor) -> linalg_slogdet:
    """Alias of ``rt.linalg.slogdet``, as ``torch.slogdet``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.tensor([[-3.0]]).slogdet().sign
    tensor(-1.)
    """
    return linalg_slogdet_fn(input)


@register
def logdet(input: Tensor) -> Tensor:
    """``log(det(input))``: NaN for a negative determinant, -inf for a singular matrix, as ``torch.logdet``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.logdet(rt.tensor([[1.0, 0.0], [0.0, 1.0]])), rt.logdet(rt.tensor([[-1.0]]))
    (tensor(0.), tensor(nan))
    """
    sign, logabs = Slogdet.apply(input)
    s = sign._data
    if (s < 0).any():  # log of a negative number: add NaN where the sign is negative
        logabs = logabs + _make(np.where(s < 0, np.nan, 0).astype(s.dtype))
    return logabs  # type: ignore[no-any-return]


# ------------------------------------------------------------------ cholesky
def _tril_half(n: int, dt: np.dtype[Any]) -> Tensor:
    m = np.tril(np.ones((n, n), dtype=dt))
    np.fill_diagonal(m, 0.5)
    return _make(m)


class Cholesky(Op):
    _name = "LinalgCholeskyExBackward0"
    save_result = True

    @staticmethod
    def forward(ctx: Any, A: Tensor, upper: bool) -> np.ndarray:
        a = check_matrix("linalg.cholesky", A, square=True)
        try:
            r = np.linalg.cholesky(a, upper=upper)
        except np.linalg.LinAlgError:
            raise _not_pd(a) from None
        if ctx is not None:
            ctx.upper = upper
        return r  # type: ignore[no-any-return]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        # A = L L^T: gA = sym(L^-T Phi(L^T gL) L^-1), Phi = lower triangle with the diagonal halved (torch's formula)
        L = ctx.result
        gL = grad
        if ctx.upper:
            L, gL = mT(L), mT(gL)
        n = L._data.shape[-1]
        phi = matmul(mT(L), gL) * _tril_half(n, L._data.dtype)
        linv = linalg_inv(L)
        ga = matmul(matmul(mT(linv), phi), linv)
        return (ga + mT(ga)) * 0.5


def _not_pd(a: np.ndarray) -> LinAlgError:
    batch = a.shape[:-2]
    for idx in np.ndindex(*batch):
        m = a[idx]
        for k in range(1, m.shape[-1] + 1):
            try:
                np.linalg.cholesky(m[:k, :k])
            except np.linalg.LinAlgError:
                where = f"(Batch element {int(np.ravel_multi_index(idx, batch))}): " if batch else ""
                return LinAlgError(
                    f"linalg.cholesky: {where}The factorization could not be completed because the input is not "
                    f"positive-definite (the leading minor of order {k} is not positive-definite)."
                )
    return LinAlgError(
        "linalg.cholesky: The factorization could not be completed because the input is not positive-definite."
    )


@register(name="linalg.cholesky", method=False)
def linalg_cholesky(A: Tensor, *, upper: bool = False, out: Tensor | None = None) -> Tensor:
    """Cholesky factor ``L`` (``A = L L^T``; ``U`` with ``A = U^T U`` when ``upper``), as ``torch.linalg.cholesky``.

    Raises ``rt.linalg.LinAlgError`` when a matrix is not positive-definite.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.linalg.cholesky(rt.tensor([[4.0, 2.0], [2.0, 5.0]]))
    tensor([[2., 0.],
            [1., 2.]])
    """
    r = Cholesky.apply(A, bool(upper))
    return r if out is None else _out(out, r, "linalg.cholesky")


@register
def cholesky(input: Tensor, upper: bool = False, *, out: Tensor | None = None) -> Tensor:
    """Cholesky factor, as the (deprecated) ``torch.cholesky``; prefer ``rt.linalg.cholesky``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.tensor([[4.0, 2.0], [2.0, 5.0]]).cholesky(upper=True)
    tensor([[2., 1.],
            [0., 2.]])
    """
    return linalg_cholesky(input, upper=upper, out=out)


# ------------------------------------------------------------------ qr
class Qr(Op):
    _name = "LinalgQrBackward0"

    @staticmethod
    def forward(ctx: Any, A: Tensor, mode: str) -> tuple[np.ndarray, np.ndarray]:
        a = check_matrix("linalg.qr", A)
        if mode == "r":
            q, r = np.empty((0,), dtype=a.dtype), np.linalg.qr(a, mode="r")
        else:
            q, r = np.linalg.qr(a, mode=mode)  # type: ignore[call-overload]
        if ctx is not None:
            ctx.mode = mode
            ctx.arrays = (q, r)
        return q, r  # type: ignore[return-value]

    @staticmethod
    def backward(ctx: Any, gQ: Tensor, gR: Tensor) -> Tensor:
        if ctx.mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use "
                "linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr."
            )
        Q, R = saved_outputs(ctx, ctx.arrays)
        m, n = Q._data.shape[-2], R._data.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        if m >= n:
            return _qr_backward_tall(gQ, gR, Q, R)
        # wide: A = [X | Y] with X = Q U (square QR) and Y = Q V; R = [U | V]
        dt = R._data.dtype
        eye = np.eye(n, dtype=dt)
        p1, p2 = _make(eye[:, :m]), _make(eye[:, m:])
        gU, gV = matmul(gR, p1), matmul(gR, p2)
        U, V = matmul(R, p1), matmul(R, p2)
        gY = matmul(Q, gV)
        gX = _qr_backward_tall(gQ + matmul(matmul(Q, V), mT(gV)), gU, Q, U)
        return matmul(gX, mT(p1)) + matmul(gY, mT(p2))


def _qr_backward_tall(gQ: Tensor, gR: Tensor, Q: Tensor, R: Tensor) -> Tensor:
    """m >= n: ``gA = [gQ + Q copyltu(M)] R^-T`` with ``M = R gR^T - gQ^T Q`` (torch's formula)."""
    M = matmul(R, mT(gR)) - matmul(mT(gQ), Q)
    n = M._data.shape[-1]
    dt = M._data.dtype
    low = _make(np.tril(np.ones((n, n), dtype=dt), -1))
    diag = _make(np.eye(n, dtype=dt))
    ml = M * low
    sym = ml + mT(ml) + M * diag  # copyltu(M): the strict lower triangle mirrored, plus the diagonal
    b = gQ + matmul(Q, sym)
    return mT(linalg_solve(R, mT(b)))  # b R^-T


@register(name="linalg.qr", method=False)
def linalg_qr_fn(A: Tensor, mode: str = "reduced", *, out: Any = None) -> linalg_qr:
    """QR decomposition ``A = Q R`` (``mode`` 'reduced', 'complete' or 'r'), as ``torch.linalg.qr``.

    With ``mode='r'`` Q is an empty tensor, as torch.

    Examples
    --------
    >>> import rustytorch as rt
    >>> Q, R = rt.linalg.qr(rt.tensor([[3.0, 1.0], [4.0, 2.0]]))
    >>> (Q @ R - rt.tensor([[3.0, 1.0], [4.0, 2.0]])).abs().max().item() < 1e-6
    True
    """
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', or 'complete'"
        )
    q, r = Qr.apply(A, mode)
    return write_outs(out, linalg_qr(q, r), "linalg.qr")  # type: ignore[no-any-return]


@register
def qr(input: Tensor, some: bool = True, *, out: Any = None) -> linalg_qr:
    """QR decomposition, as ``torch.qr`` (``some=False`` is ``mode='complete'``); prefer ``rt.linalg.qr``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]).qr().R.shape
    rustytorch.Size([2, 2])
    """
    return linalg_qr_fn(input, "reduced" if some else "complete", out=out)


# ------------------------------------------------------------------ solve
class Solve(Op):
    _name = "LinalgSolveExBackward0"
    save_result = True

    @staticmethod
    def forward(ctx: Any, A: Tensor, B: Tensor) -> np.ndarray:
        a, b = A._data, B._data
        try:
            x = np.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            raise LinAlgError(
                f"linalg.solve: The solver failed because the input matrix of shape {list(a.shape)} is singular."
            ) from None
        if ctx is not None:
            ctx.save_for_backward(A if ctx.needs_input_grad[0] or ctx.needs_input_grad[1] else None)
        return x  # type: ignore[no-any-return]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:  # A X = B: gB = A^-T g, gA = -gB X^T
        (A,) = ctx.saved_tensors
        gb = linalg_solve(mT(A), grad)
        ga = -matmul(gb, mT(ctx.result)) if ctx.needs_input_grad[0] else None
        return ga, (gb if ctx.needs_input_grad[1] else None)


@register(name="linalg.solve", method=False)
def linalg_solve(A: Tensor, B: Tensor, *, left: bool = True, out: Tensor | None = None) -> Tensor:
    """Solution ``X`` of ``A X = B`` (``X A = B`` when ``left=False``) with batch broadcasting, as
    ``torch.linalg.solve``.

    ``B`` is a (batch of) vector(s) when it is 1-D or when its shape is ``A.shape[:-1]``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.linalg.solve(rt.tensor([[2.0, 0.0], [0.0, 4.0]]), rt.tensor([2.0, 8.0]))
    tensor([1., 2.])
    """
    a = check_matrix("linalg.solve", A, square=True)
    b = check_float("linalg.solve", B, "B")
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"linalg.solve: Expected A and B to have the same dtype, but found A of type {dtype_name(a)} and B of "
            f"type {dtype_name(b)} instead"
        )
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    if not left:
        if b.ndim < 2:
            raise RuntimeError(
                f"linalg.solve: Incompatible shapes of A and B for the equation XA = B ({a.shape[-1]}x{a.shape[-1]} "
                f"and {b.shape[-1] if b.ndim else 1}x1)"
            )
        r = mT(linalg_solve(mT(A), mT(B)))
        return r if out is None else _out(out, r, "linalg.solve")
    n = a.shape[-1]
    if b.ndim == 0 or (vector and b.shape[-1] != n) or (not vector and b.shape[-2] != n):
        shape_b = f"{b.shape[-1]}x1" if vector or b.ndim < 2 else f"{b.shape[-2]}x{b.shape[-1]}"
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B ({n}x{n} and {shape_b})"
        )
    Bm = B.reshape((*b.shape, 1)) if vector else B
    try:
        np.broadcast_shapes(a.shape[:-2], Bm._data.shape[:-2])
    except ValueError:
        raise RuntimeError(
            f"linalg.solve: the batch dimensions of A {list(a.shape)} and B {list(b.shape)} are not broadcastable"
        ) from None
    r = Solve.apply(A, Bm)
    if vector:
        r = r.reshape(r._data.shape[:-1])
    return r if out is None else _out(out, r, "linalg.solve")
