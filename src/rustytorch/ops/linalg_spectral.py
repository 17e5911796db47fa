"""``rt.linalg`` SVD and symmetric eigendecomposition (``svd``, ``svdvals``, ``eigh``, ``eigvalsh``, ``pinv``,
``matrix_rank``) and the top-level ``svd`` / ``pinverse`` torch has.

The backward formulas are torch's (``svd_backward``, ``linalg_eig_backward`` for Hermitian input,
``pinv_backward``) written with differentiable tensor ops. Singular vectors and eigenvectors are defined up
to sign, so only gauge-invariant functions of them have meaningful gradients (as in torch).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .._tensor import Tensor, _make
from ..autograd.grad_mode import GRAD_ENABLED
from ._registry import Op, register
from .linalg import matmul, mT, write_out, write_outs
from .linalg_decomp import check_matrix, saved_outputs

__all__ = ["svd", "pinverse"]


class linalg_svd(NamedTuple):
    U: Tensor
    S: Tensor
    Vh: Tensor


class svd_result(NamedTuple):
    U: Tensor
    S: Tensor
    V: Tensor


class linalg_eigh(NamedTuple):
    eigenvalues: Tensor
    eigenvectors: Tensor


def _is_zero(g: Tensor) -> bool:
    """A gradient the engine filled with zeros (no graph behind it, all zero): its terms can be skipped."""
    return not g._requires_grad and not g._data.any()


def _eye(n: int, dt: np.dtype[Any]) -> Tensor:
    return _make(np.eye(n, dtype=dt))


def _row(x: Tensor) -> Tensor:  # (..., k) -> (..., 1, k)
    s = x._data.shape
    return x.reshape((*s[:-1], 1, s[-1]))


def _col(x: Tensor) -> Tensor:  # (..., k) -> (..., k, 1)
    return x.reshape((*x._data.shape, 1))


# ------------------------------------------------------------------ svd
class Svd(Op):
    _name = "LinalgSvdBackward0"

    @staticmethod
    def forward(ctx: Any, A: Tensor, full_matrices: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a = check_matrix("linalg.svd", A)
        try:
            u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        except np.linalg.LinAlgError as e:  # pragma: no cover - LAPACK convergence failure
            raise RuntimeError(
                f"linalg.svd: the algorithm failed to converge ({e}) for input of shape {list(a.shape)}"
            ) from None
        if ctx is not None:
            ctx.arrays = (u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx: Any, gU: Tensor, gS: Tensor, gVh: Tensor) -> Tensor:
        U, S, Vh = saved_outputs(ctx, ctx.arrays)
        return svd_backward(gU, gS, gVh, U, S, Vh)


def svd_backward(gU: Tensor, gS: Tensor, gVh: Tensor, U: Tensor, S: Tensor, Vh: Tensor) -> Tensor:
    """torch's ``svd_backward`` (real case).

    With ``E_ij = s_j^2 - s_i^2``: ``gA = U [(skew(U^T gU) S + S skew(V^T gV)) / E + diag(gS)] V^T``, plus the
    terms for the part of ``gU`` (``gV``) outside the span of ``U`` (``V``) when the matrix is tall (wide).
    """
    m, n = U._data.shape[-2], Vh._data.shape[-1]
    k = S._data.shape[-1]
    dt = S._data.dtype
    if U._data.shape[-1] != k:  # full_matrices with m != n: only the first k vectors are determined
        p = _make(np.eye(m, dtype=dt)[:, :k])
        U, gU = matmul(U, p), matmul(gU, p)
    if Vh._data.shape[-2] != k:
        p = _make(np.eye(n, dtype=dt)[:k, :])
        Vh, gVh = matmul(p, Vh), matmul(p, gVh)
    has_u, has_v = not _is_zero(gU), not _is_zero(gVh)
    eye = _eye(k, dt)
    if not has_u and not has_v:
        return matmul(U * _row(gS), Vh)
    V, gV = mT(Vh), mT(gVh)
    s_row, s_col = _row(S), _col(S)
    s2 = S * S
    E = _row(s2) - _col(s2) + eye  # s_j^2 - s_i^2 off the diagonal, 1 on it
    inner = None
    if has_u:
        uhgu = matmul(mT(U), gU)
        inner = (uhgu - mT(uhgu)) * s_row
    if has_v:
        vhgv = matmul(mT(V), gV)
        t = s_col * (vhgv - mT(vhgv))
        inner = t if inner is None else inner + t
    assert inner is not None
    gA = inner / E + _row(gS) * eye
    if m > n and has_u:
        gA = matmul(U, gA)
        gus = gU / s_row
        gA = gA + gus - matmul(U, matmul(mT(U), gus))
        return matmul(gA, Vh)
    if m < n and has_v:
        gA = matmul(gA, Vh)
        gvs = gV / s_row
        gA = gA + mT(gvs) - matmul(matmul(mT(gvs), V), Vh)
        return matmul(U, gA)
    return matmul(matmul(U, gA), Vh)


@register(name="linalg.svd", method=False)
def linalg_svd_fn(A: Tensor, full_matrices: bool = True, *, driver: Any = None, out: Any = None) -> linalg_svd:
    """Singular value decomposition ``A = U diag(S) Vh`` (singular values descending), as ``torch.linalg.svd``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> U, S, Vh = rt.linalg.svd(rt.tensor([[3.0, 0.0], [0.0, -4.0], [0.0, 0.0]]), full_matrices=False)
    >>> S, U.shape, Vh.shape
    (tensor([4., 3.]), rustytorch.Size([3, 2]), rustytorch.Size([2, 2]))
    """
    u, s, vh = Svd.apply(A, bool(full_matrices))
    return write_outs(out, linalg_svd(u, s, vh), "linalg.svd")  # type: ignore[no-any-return]


@register
def svd(input: Tensor, some: bool = True, compute_uv: bool = True, *, out: Any = None) -> svd_result:
    """SVD returning ``(U, S, V)`` with ``V`` (not ``Vh``), as the older ``torch.svd``; prefer ``rt.linalg.svd``.

    ``some=False`` gives full ``U`` and ``V``; ``compute_uv=False`` gives zero-filled ``U`` and ``V``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.tensor([[2.0, 0.0], [0.0, 1.0]]).svd().S
    tensor([2., 1.])
    """
    if not compute_uv:
        s = linalg_svdvals(input)
        m, n = input._data.shape[-2:]
        batch = input._data.shape[:-2]
        dt = input._data.dtype
        res = svd_result(_make(np.zeros((*batch, m, m), dt)), s, _make(np.zeros((*batch, n, n), dt)))
        return write_outs(out, res, "svd")  # type: ignore[no-any-return]
    u, s, vh = linalg_svd_fn(input, full_matrices=not some)
    return write_outs(out, svd_result(u, s, mT(vh)), "svd")  # type: ignore[no-any-return]


@register(name="linalg.svdvals", method=False)
def linalg_svdvals(A: Tensor, *, driver: Any = None, out: Tensor | None = None) -> Tensor:
    """Singular values in descending order, as ``torch.linalg.svdvals``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.linalg.svdvals(rt.tensor([[0.0, 2.0], [1.0, 0.0]]))
    tensor([2., 1.])
    """
    if GRAD_ENABLED.get() and isinstance(A, Tensor) and A._requires_grad:
        r = linalg_svd_fn(A, full_matrices=False).S  # differentiable through the SVD
    else:
        r = _make(np.linalg.svd(check_matrix("linalg.svdvals", A), compute_uv=False))
    return r if out is None else write_out(out, r, "linalg.svdvals")


# ------------------------------------------------------------------ eigh
class Eigh(Op):
    _name = "LinalgEighBackward0"

    @staticmethod
    def forward(ctx: Any, A: Tensor, uplo: str) -> tuple[np.ndarray, np.ndarray]:
        a = check_matrix("linalg.eigh", A, square=True)
        if uplo not in ("L", "U"):
            raise RuntimeError(f"linalg.eigh: Expected UPLO argument to be 'L' or 'U', but got {uplo}")
        try:
            w, v = np.linalg.eigh(a, UPLO=uplo)  # type: ignore[call-overload]
        except np.linalg.LinAlgError as e:  # pragma: no cover - LAPACK convergence failure
            raise RuntimeError(f"linalg.eigh: the algorithm failed to converge ({e})") from None
        if ctx is not None:
            ctx.arrays = (w, v)
        return w, v

    @staticmethod
    def backward(ctx: Any, gL: Tensor, gV: Tensor) -> Tensor:
        # A = V diag(L) V^T: gA = V [skew(V^T gV)/2 / E + diag(gL)] V^T with E_ij = L_j - L_i (symmetric, as torch)
        L, V = saved_outputs(ctx, ctx.arrays)
        n = L._data.shape[-1]
        eye = _eye(n, L._data.dtype)
        inner = _row(gL) * eye
        if not _is_zero(gV):
            c = matmul(mT(V), gV)
            E = _row(L) - _col(L) + eye
            inner = inner + (c - mT(c)) * 0.5 / E
        return matmul(matmul(V, inner), mT(V))


@register(name="linalg.eigh", method=False)
def linalg_eigh_fn(A: Tensor, UPLO: str = "L", *, out: Any = None) -> linalg_eigh:
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix, as ``torch.linalg.eigh``.

    Only the lower (``UPLO='L'``) or upper triangle is read.

    Examples
    --------
    >>> import rustytorch as rt
    >>> L, V = rt.linalg.eigh(rt.tensor([[2.0, 1.0], [1.0, 2.0]]))
    >>> L
    tensor([1., 3.])
    """
    w, v = Eigh.apply(A, UPLO)
    return write_outs(out, linalg_eigh(w, v), "linalg.eigh")  # type: ignore[no-any-return]


@register(name="linalg.eigvalsh", method=False)
def linalg_eigvalsh(A: Tensor, UPLO: str = "L", *, out: Tensor | None = None) -> Tensor:
    """Eigenvalues (ascending) of a symmetric matrix, as ``torch.linalg.eigvalsh``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.linalg.eigvalsh(rt.tensor([[2.0, 0.0], [0.0, -1.0]]))
    tensor([-1.,  2.])
    """
    if GRAD_ENABLED.get() and isinstance(A, Tensor) and A._requires_grad:
        r = linalg_eigh_fn(A, UPLO).eigenvalues
    else:
        a = check_matrix("linalg.eigvalsh", A, square=True)
        if UPLO not in ("L", "U"):
            raise RuntimeError(f"linalg.eigvalsh: Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
        r = _make(np.linalg.eigvalsh(a, UPLO=UPLO))  # type: ignore[call-overload]
    return r if out is None else write_out(out, r, "linalg.eigvalsh")


# ------------------------------------------------------------------ pinv, matrix_rank
def _tolerance(op: str, s: np.ndarray, shape: tuple[int, ...], atol: Any, rtol: Any) -> np.ndarray:
    """torch's cut-off ``max(atol, rtol * s_max)``; rtol defaults to ``eps * max(m, n)`` unless atol is given."""

    def val(x: Any) -> Any:
        return x._data[..., None] if isinstance(x, Tensor) else x

    eps = np.finfo(s.dtype).eps
    if rtol is None:
        rtol = 0.0 if atol is not None and not (isinstance(atol, int | float) and atol <= 0) else eps * max(shape[-2:])
    a = 0.0 if atol is None else val(atol)
    smax = s.max(axis=-1, keepdims=True) if s.shape[-1] else np.zeros((*s.shape[:-1], 1), s.dtype)
    return np.maximum(a, val(rtol) * smax)  # type: ignore[no-any-return]


class Pinv(Op):
    _name = "LinalgPinvBackward0"
    save_result = True

    @staticmethod
    def forward(ctx: Any, A: Tensor, atol: Any, rtol: Any, hermitian: bool) -> np.ndarray:
        a = check_matrix("linalg.pinv", A, square=hermitian)
        if hermitian:
            w, v = np.linalg.eigh(a)
            tol = _tolerance("linalg.pinv", np.abs(w), a.shape, atol, rtol)
            keep = np.abs(w) > tol
            winv = np.where(keep, 1 / np.where(keep, w, 1), 0).astype(a.dtype)
            r = (v * winv[..., None, :]) @ np.swapaxes(v, -1, -2)
        else:
            u, s, vh = np.linalg.svd(a, full_matrices=False)
            tol = _tolerance("linalg.pinv", s, a.shape, atol, rtol)
            keep = s > tol
            sinv = np.where(keep, 1 / np.where(keep, s, 1), 0).astype(a.dtype)
            r = (np.swapaxes(vh, -1, -2) * sinv[..., None, :]) @ np.swapaxes(u, -1, -2)
        if ctx is not None:
            ctx.save_for_backward(A)
        return r  # type: ignore[no-any-return]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # torch's pinv_backward
        (A,) = ctx.saved_tensors
        P = ctx.result
        m, n = A._data.shape[-2:]
        Ph, gh = mT(P), mT(grad)
        if m <= n:
            K = matmul(gh, P)
            KPh = matmul(K, Ph)
            return -mT(matmul(P, K)) + KPh - matmul(matmul(A, P), KPh) + matmul(matmul(Ph, P), gh - matmul(K, A))
        K = matmul(P, gh)
        PhK = matmul(Ph, K)
        return -mT(matmul(K, P)) + matmul(matmul(gh - matmul(A, K), P), Ph) + PhK - matmul(matmul(PhK, P), A)


@register(name="linalg.pinv", method=False)
def linalg_pinv(
    A: Tensor, *, atol: Any = None, rtol: Any = None, hermitian: bool = False, out: Tensor | None = None
) -> Tensor:
    """Moore-Penrose pseudo-inverse (singular values at or below ``max(atol, rtol * s_max)`` are dropped), as
    ``torch.linalg.pinv``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.linalg.pinv(rt.tensor([[1.0, 0.0], [0.0, 0.0]]))
    tensor([[1., 0.],
            [0., 0.]])
    """
    r = Pinv.apply(A, atol, rtol, bool(hermitian))
    return r if out is None else write_out(out, r, "linalg.pinv")  # type: ignore[no-any-return]


@register
def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """Pseudo-inverse with relative cut-off ``rcond``, as ``torch.pinverse``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.tensor([[1.0], [0.0]]).pinverse()
    tensor([[1., 0.]])
    """
    return linalg_pinv(input, rtol=rcond)


@register(name="linalg.matrix_rank", method=False)
def linalg_matrix_rank(
    A: Tensor, *, atol: Any = None, rtol: Any = None, hermitian: bool = False, out: Tensor | None = None
) -> Tensor:
    """Number of singular values above ``max(atol, rtol * s_max)`` (int64), as ``torch.linalg.matrix_rank``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.linalg.matrix_rank(rt.tensor([[1.0, 2.0], [2.0, 4.0]]))
    tensor(1)
    """
    a = check_matrix("linalg.matrix_rank", A, square=hermitian)
    s = np.abs(np.linalg.eigvalsh(a)) if hermitian else np.linalg.svd(a, compute_uv=False)
    tol = _tolerance("linalg.matrix_rank", s, a.shape, atol, rtol)
    r = _make(np.asarray(np.sum(s > tol, axis=-1), dtype=np.int64))
    return r if out is None else write_out(out, r, "linalg.matrix_rank")
