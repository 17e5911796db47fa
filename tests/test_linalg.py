"""Linear algebra beyond the op table: decompositions reconstruct their input and agree with torch,
einsum equations against NumPy and torch's gradients, gauge-invariant gradients of svd / eigh,
the matmul protocol, and error types."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import rustytorch as rt

from .compare import assert_close

torch = pytest.importorskip("torch")

RNG_SEED = 1234


def rng() -> np.random.Generator:
    return np.random.default_rng(RNG_SEED)


def rnd(*shape: int, dtype: Any = np.float64, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(dtype)


def eye_like(p: np.ndarray) -> np.ndarray:
    """Identity matrices of the shape of ``p``, a (batch of) square matrix."""
    return np.broadcast_to(np.eye(p.shape[-1], dtype=p.dtype), p.shape)


def mt(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


# ------------------------------------------------------------------ decompositions: reconstruction
@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 5, 3), (3, 3), (2, 1, 3, 2)])
@pytest.mark.parametrize("full", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_svd_reconstructs_and_matches_torch(shape: tuple[int, ...], full: bool, dtype: Any) -> None:
    a = rnd(*shape, dtype=dtype)
    U, S, Vh = rt.linalg.svd(rt.tensor(a), full_matrices=full)
    m, n = shape[-2:]
    k = min(m, n)
    assert U.shape == shape[:-2] + ((m, m) if full else (m, k))
    assert Vh.shape == shape[:-2] + ((n, n) if full else (k, n))
    assert U.dtype == S.dtype == Vh.dtype == rt.tensor(a).dtype
    u, s, vh = U.numpy(), S.numpy(), Vh.numpy()
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose((u[..., :k] * s[..., None, :]) @ vh[..., :k, :], a, atol=tol * 10)
    utu, vvh = mt(u) @ u, vh @ mt(vh)
    np.testing.assert_allclose(utu, eye_like(utu), atol=tol * 10)
    np.testing.assert_allclose(vvh, eye_like(vvh), atol=tol * 10)
    assert np.all(np.diff(s, axis=-1) <= 0), "singular values must be descending"
    np.testing.assert_allclose(s, torch.linalg.svdvals(torch.from_numpy(a)).numpy(), atol=tol * 10)
    np.testing.assert_allclose(rt.linalg.svdvals(rt.tensor(a)).numpy(), s, atol=tol * 10)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 1)])
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_reconstructs_and_matches_torch(shape: tuple[int, ...], uplo: str) -> None:
    x = rnd(*shape)
    a = x + mt(x)
    L, V = rt.linalg.eigh(rt.tensor(a), UPLO=uplo)
    lam, v = L.numpy(), V.numpy()
    np.testing.assert_allclose((v * lam[..., None, :]) @ mt(v), a, atol=1e-12)
    vtv = mt(v) @ v
    np.testing.assert_allclose(vtv, eye_like(vtv), atol=1e-12)
    np.testing.assert_allclose(lam, torch.linalg.eigvalsh(torch.from_numpy(a), UPLO=uplo).numpy(), atol=1e-12)
    np.testing.assert_allclose(rt.linalg.eigvalsh(rt.tensor(a)).numpy(), lam, atol=1e-12)


def test_eigh_reads_only_one_triangle() -> None:
    x = rnd(3, 3)
    a = np.tril(x + x.T)
    low = rt.linalg.eigvalsh(rt.tensor(a), UPLO="L").numpy()
    up = rt.linalg.eigvalsh(rt.tensor(a.T.copy()), UPLO="U").numpy()
    np.testing.assert_allclose(low, np.linalg.eigvalsh(x + x.T), atol=1e-12)
    np.testing.assert_allclose(up, low, atol=1e-12)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (2, 5, 2)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr_reconstructs_and_matches_torch(shape: tuple[int, ...], mode: str) -> None:
    a = rnd(*shape)
    Q, R = rt.linalg.qr(rt.tensor(a), mode=mode)
    tq, tr = torch.linalg.qr(torch.from_numpy(a), mode=mode)
    assert Q.shape == tuple(tq.shape) and R.shape == tuple(tr.shape)
    r = R.numpy()
    np.testing.assert_allclose(np.triu(r), r, atol=0)
    np.testing.assert_allclose(np.abs(r), np.abs(tr.numpy()), atol=1e-12)
    if mode != "r":
        q = Q.numpy()
        np.testing.assert_allclose(q @ r, a, atol=1e-12)
        qtq = mt(q) @ q
        np.testing.assert_allclose(qtq, eye_like(qtq), atol=1e-12)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_reconstructs(upper: bool) -> None:
    x = rnd(2, 3, 3)
    a = x @ mt(x) + np.eye(3)
    f = rt.linalg.cholesky(rt.tensor(a), upper=upper).numpy()
    if upper:
        np.testing.assert_allclose(np.triu(f), f, atol=0)
        np.testing.assert_allclose(mt(f) @ f, a, atol=1e-12)
    else:
        np.testing.assert_allclose(np.tril(f), f, atol=0)
        np.testing.assert_allclose(f @ mt(f), a, atol=1e-12)


def test_inv_det_solve_against_numpy_and_identity() -> None:
    a = rnd(3, 4, 4) + 4 * np.eye(4)
    inv = rt.linalg.inv(rt.tensor(a)).numpy()
    np.testing.assert_allclose(a @ inv, eye_like(a), atol=1e-12)
    np.testing.assert_allclose(rt.linalg.det(rt.tensor(a)).numpy(), np.linalg.det(a), rtol=1e-12)
    sign, logabs = rt.linalg.slogdet(rt.tensor(a))
    np.testing.assert_allclose(sign.numpy() * np.exp(logabs.numpy()), np.linalg.det(a), rtol=1e-12)
    b = rnd(3, 4, 2, seed=1)
    x = rt.linalg.solve(rt.tensor(a), rt.tensor(b)).numpy()
    np.testing.assert_allclose(a @ x, b, atol=1e-12)
    xl = rt.linalg.solve(rt.tensor(a), rt.tensor(mt(b).copy()), left=False).numpy()
    np.testing.assert_allclose(xl @ a, mt(b), atol=1e-12)


def test_pinv_and_matrix_rank_of_rank_deficient_matrix() -> None:
    x = rnd(5, 2)
    a = x @ x.T  # rank 2
    p = rt.linalg.pinv(rt.tensor(a)).numpy()
    np.testing.assert_allclose(a @ p @ a, a, atol=1e-12)
    np.testing.assert_allclose(p, torch.linalg.pinv(torch.from_numpy(a)).numpy(), atol=1e-10)
    np.testing.assert_allclose(rt.linalg.pinv(rt.tensor(a), hermitian=True).numpy(), p, atol=1e-10)
    assert rt.linalg.matrix_rank(rt.tensor(a)).item() == 2
    assert rt.linalg.matrix_rank(rt.tensor(a)).dtype == rt.int64


def test_return_types_have_torch_field_names() -> None:
    a = rt.tensor(rnd(3, 3) + 3 * np.eye(3))
    assert rt.linalg.slogdet(a)._fields == ("sign", "logabsdet")
    assert rt.linalg.qr(a)._fields == ("Q", "R")
    assert rt.linalg.svd(a)._fields == ("U", "S", "Vh")
    assert rt.linalg.eigh(a)._fields == ("eigenvalues", "eigenvectors")
    assert rt.svd(a)._fields == ("U", "S", "V")
    q, r = rt.linalg.qr(a, mode="r")
    assert q.shape == (0,) and r.shape == (3, 3)


def test_old_svd_returns_v_and_zero_factors_without_uv() -> None:
    a = rnd(4, 3)
    U, S, V = rt.svd(rt.tensor(a))
    np.testing.assert_allclose((U.numpy() * S.numpy()) @ V.numpy().T, a, atol=1e-12)
    U0, S0, V0 = rt.svd(rt.tensor(a), compute_uv=False)
    tu, ts, tv = torch.svd(torch.from_numpy(a), compute_uv=False)
    assert_close((U0, S0, V0), (tu, ts, tv), 1e-12, 1e-12)
    Uf, _, Vf = rt.svd(rt.tensor(a), some=False)
    assert Uf.shape == (4, 4) and Vf.shape == (3, 3)


# ------------------------------------------------------------------ errors
def test_linalg_error_is_a_runtime_error_and_names_the_batch_element() -> None:
    assert issubclass(rt.linalg.LinAlgError, RuntimeError)
    a = np.stack([np.eye(2), np.zeros((2, 2)), np.eye(2)])
    with pytest.raises(rt.linalg.LinAlgError, match=r"linalg.inv: \(Batch element 1\)"):
        rt.linalg.inv(rt.tensor(a))
    with pytest.raises(rt.linalg.LinAlgError, match=r"linalg.cholesky.*order 1"):
        rt.linalg.cholesky(rt.tensor(-np.eye(2)))
    with pytest.raises(RuntimeError, match=r"linalg.det.*square.*2 by 3"):
        rt.linalg.det(rt.zeros(2, 3))


def test_matmul_protocol() -> None:
    a, b = rt.tensor(rnd(2, 3)), rt.tensor(rnd(3, 2))
    np.testing.assert_allclose((a @ b).numpy(), a.numpy() @ b.numpy())
    np.testing.assert_allclose(a.matmul(b).numpy(), a.numpy() @ b.numpy())
    with pytest.raises(TypeError):
        _ = np.zeros((2, 2)) @ rt.zeros(2, 2)  # torch: unsupported operand types
    with pytest.raises(TypeError):
        _ = rt.zeros(2, 2) @ 2
    out = rt.empty(0, dtype=rt.float64)
    r = rt.matmul(a, b, out=out)
    assert r is out and out.shape == (2, 2)
    np.testing.assert_allclose(out.numpy(), a.numpy() @ b.numpy())


def test_matmul_float16_accumulates_like_torch() -> None:
    a = rnd(8, 64, dtype=np.float16)
    b = rnd(64, 8, dtype=np.float16, seed=1)
    r = rt.matmul(rt.tensor(a), rt.tensor(b))
    t = torch.from_numpy(a) @ torch.from_numpy(b)
    assert r.dtype == rt.float16
    np.testing.assert_allclose(r.numpy().astype(np.float64), t.numpy().astype(np.float64), atol=2e-2, rtol=1e-2)


def test_matmul_gradient_with_broadcast_batches_matches_torch() -> None:
    a, b = rnd(4, 1, 2, 3), rnd(5, 3, 2, seed=1)
    ra, rb = rt.tensor(a, requires_grad=True), rt.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    g = rnd(4, 5, 2, 2, seed=2)
    (ra @ rb).backward(rt.tensor(g))
    (ta @ tb).backward(torch.from_numpy(g))
    assert_close((ra.grad, rb.grad), (ta.grad, tb.grad), 1e-12, 1e-12)


# ------------------------------------------------------------------ einsum
EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(4, 4)]),
    ("iij->j", [(2, 2, 3)]),
    ("iji->j", [(2, 3, 2)]),
    ("i,i->i", [(3,), (3,)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)]),
    ("...i,...i", [(2, 3), (3,)]),
    ("i...->i", [(3, 2, 2)]),
    ("ij,kl->ijkl", [(2, 2), (2, 3)]),
    ("ij,ij,ij->i", [(2, 3), (1, 3), (2, 1)]),
    ("ij->j", [(3, 4)]),
    ("ijk,ikl,ilm->ijm", [(2, 2, 3), (2, 3, 2), (2, 2, 2)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
]


@pytest.mark.parametrize(("eq", "shapes"), EINSUM_CASES, ids=[c[0] for c in EINSUM_CASES])
def test_einsum_forward_and_gradients_match_numpy_and_torch(eq: str, shapes: list[tuple[int, ...]]) -> None:
    arrays = [rnd(*s, seed=i) for i, s in enumerate(shapes)]
    r_in = [rt.tensor(a, requires_grad=True) for a in arrays]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    r_out = rt.einsum(eq, *r_in)
    t_out = torch.einsum(eq, *t_in)
    assert_close(r_out, t_out, 1e-12, 1e-12, what=eq)
    if all(1 not in s for s in shapes) and "..." not in eq:
        np.testing.assert_allclose(r_out.detach().numpy(), np.einsum(eq, *arrays), atol=1e-12)
    g = rnd(*t_out.shape, seed=9)
    r_grads = rt.autograd.grad(r_out, r_in, rt.tensor(g), create_graph=True)
    t_grads = torch.autograd.grad(t_out, t_in, torch.from_numpy(g), create_graph=True)
    assert_close(list(r_grads), list(t_grads), 1e-12, 1e-12, what=f"{eq} grads")
    # second order: d/d inputs of sum(grad * w)
    w = [rnd(*s, seed=20 + i) for i, s in enumerate(shapes)]
    r_ss = sum(
        ((gr * rt.tensor(wi)).sum() for gr, wi in zip(r_grads, w, strict=True)), rt.tensor(0.0, dtype=rt.float64)
    )
    t_ss = sum((gt * torch.from_numpy(wi)).sum() for gt, wi in zip(t_grads, w, strict=True))
    if not t_ss.requires_grad:  # a linear einsum of one operand: its gradient does not depend on the input
        assert not r_ss.requires_grad
        return
    r_gg = rt.autograd.grad(r_ss, r_in, allow_unused=True)
    t_gg = torch.autograd.grad(t_ss, t_in, allow_unused=True)
    for rg, tg in zip(r_gg, t_gg, strict=True):
        if tg is None:
            assert rg is None or not np.any(rg.numpy())
        else:
            assert_close(rg, tg, 1e-12, 1e-12, what=f"{eq} second order")


def test_einsum_gradcheck_repeated_and_broadcast_indices() -> None:
    for eq, shapes in [("iij->ji", [(2, 2, 3)]), ("ij,ij->i", [(3, 2), (1, 2)]), ("...ii->...i", [(2, 3, 3)])]:
        xs = tuple(rt.tensor(rnd(*s, seed=i), requires_grad=True) for i, s in enumerate(shapes))
        assert rt.autograd.gradcheck(lambda *t, eq=eq: rt.einsum(eq, *t), xs)
        assert rt.autograd.gradgradcheck(lambda *t, eq=eq: rt.einsum(eq, *t), xs)


def test_einsum_sublist_format_and_operand_list() -> None:
    a, b = rnd(2, 3), rnd(3, 4, seed=1)
    r = rt.einsum(rt.tensor(a), [0, 1], rt.tensor(b), [1, 2], [0, 2])
    t = torch.einsum(torch.from_numpy(a), [0, 1], torch.from_numpy(b), [1, 2], [0, 2])
    assert_close(r, t, 1e-12, 1e-12)
    c = rnd(3, 2, seed=2)
    r2 = rt.einsum(rt.tensor(a), [Ellipsis, 1], rt.tensor(c), [1, Ellipsis])
    t2 = torch.einsum(torch.from_numpy(a), [Ellipsis, 1], torch.from_numpy(c), [1, Ellipsis])
    assert_close(r2, t2, 1e-12, 1e-12)
    assert_close(rt.einsum("ij,jk", [rt.tensor(a), rt.tensor(b)]), torch.from_numpy(a @ b), 1e-12, 1e-12)


def test_einsum_output_never_aliases_its_input() -> None:
    x = rt.tensor(rnd(3, 3))
    for eq in ("ij->ji", "ii->i", "ij->ij", "ij"):
        out = rt.einsum(eq, x)
        assert not np.shares_memory(out.numpy(), x.numpy()), eq


# ------------------------------------------------------------------ gauge-invariant decomposition gradients
def _sym(t: Any) -> Any:
    return t + t.mT


@pytest.mark.parametrize("shape", [(3, 2), (2, 3), (3, 3), (2, 3, 2)])
@pytest.mark.parametrize("full", [False, True])
def test_svd_gauge_invariant_gradients(shape: tuple[int, ...], full: bool) -> None:
    x = rt.tensor(rnd(*shape), requires_grad=True)

    def f(a: Any) -> Any:
        U, S, Vh = rt.linalg.svd(a, full_matrices=full)
        k = S.shape[-1]
        return S.sum(-1), (U[..., :k] * S.unsqueeze(-2)) @ Vh[..., :k, :], U[..., :k] * U[..., :k]

    assert rt.autograd.gradcheck(f, (x,))
    assert rt.autograd.gradgradcheck(lambda a: f(a)[0], (x,))


def test_eigh_gauge_invariant_gradients_and_torch() -> None:
    a = rnd(3, 3)
    x = rt.tensor(a, requires_grad=True)

    def f(t: Any) -> Any:
        L, V = rt.linalg.eigh(_sym(t))
        return L, (V * L.unsqueeze(-2)) @ V.mT, V * V

    assert rt.autograd.gradcheck(f, (x,))
    assert rt.autograd.gradgradcheck(lambda t: f(t)[2], (x,))
    tx = torch.tensor(a, requires_grad=True)
    tl, tv = torch.linalg.eigh(_sym(tx))
    rl, rv = rt.linalg.eigh(_sym(x))
    g1, g2 = rnd(3, seed=3), rnd(3, 3, seed=4)
    (gt,) = torch.autograd.grad([tl, tv * tv], tx, [torch.from_numpy(g1), torch.from_numpy(g2)])
    (gr,) = rt.autograd.grad([rl, rv * rv], x, [rt.tensor(g1), rt.tensor(g2)])
    assert_close(gr, gt, 1e-10, 1e-10)


def test_det_gradient_at_a_singular_matrix_is_the_cofactor_matrix() -> None:
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])  # rank 2
    x = rt.tensor(a, requires_grad=True)
    rt.linalg.det(x).backward()
    cof = np.array(
        [[np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) * (-1) ** (i + j) for j in range(3)] for i in range(3)]
    )
    np.testing.assert_allclose(x.grad.numpy(), cof, atol=1e-10)


def test_decomposition_gradients_that_torch_does_not_define_raise() -> None:
    x = rt.tensor(rnd(4, 3), requires_grad=True)
    q, r = rt.linalg.qr(x, mode="complete")
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete' and nrows > ncols"):
        q.sum().backward()
    _, r = rt.linalg.qr(x, mode="r")
    with pytest.raises(RuntimeError, match="mode='r'"):
        r.sum().backward()


def test_multi_dot_and_matrix_power_gradients_match_torch() -> None:
    arrays = [rnd(3, seed=0), rnd(3, 4, seed=1), rnd(4, 2, seed=2), rnd(2, seed=3)]
    r_in = [rt.tensor(a, requires_grad=True) for a in arrays]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    rg = rt.autograd.grad(rt.linalg.multi_dot(r_in), r_in)
    tg = torch.autograd.grad(torch.linalg.multi_dot(t_in), t_in)
    assert_close(list(rg), list(tg), 1e-12, 1e-12)
    a = rnd(3, 3) + 3 * np.eye(3)
    for n in (0, 1, 4, -3):
        x, tx = rt.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        g = rnd(3, 3, seed=5)
        (rgn,) = rt.autograd.grad(rt.linalg.matrix_power(x, n), x, rt.tensor(g))
        (tgn,) = torch.autograd.grad(torch.linalg.matrix_power(tx, n), tx, torch.from_numpy(g))
        assert_close(rgn, tgn, 1e-10, 1e-10, what=f"n={n}")


def test_nuclear_norm_through_torch_norm() -> None:
    a = rnd(3, 4)
    assert_close(rt.norm(rt.tensor(a), p="nuc"), torch.norm(torch.from_numpy(a), p="nuc"), 1e-12, 1e-12)


def test_in_place_addmm_family_matches_torch() -> None:
    x, m1, m2 = rnd(2, 4), rnd(2, 3, seed=1), rnd(3, 4, seed=2)
    r = rt.tensor(x)
    out = r.addmm_(rt.tensor(m1), rt.tensor(m2), beta=0.5, alpha=2)
    assert out is r
    t = torch.from_numpy(x.copy()).addmm_(torch.from_numpy(m1), torch.from_numpy(m2), beta=0.5, alpha=2)
    assert_close(r, t, 1e-12, 1e-12)
    v = rt.tensor(rnd(2))
    v.addmv_(rt.tensor(m1), rt.tensor(rnd(3, seed=3)))
    assert_close(
        v, torch.from_numpy(rnd(2)).addmv_(torch.from_numpy(m1), torch.from_numpy(rnd(3, seed=3))), 1e-12, 1e-12
    )
    b = rt.tensor(rnd(2, 2, 2))
    b.baddbmm_(rt.tensor(rnd(2, 2, 3, seed=4)), rt.tensor(rnd(2, 3, 2, seed=5)))
    tb = torch.from_numpy(rnd(2, 2, 2)).baddbmm_(
        torch.from_numpy(rnd(2, 2, 3, seed=4)), torch.from_numpy(rnd(2, 3, 2, seed=5))
    )
    assert_close(b, tb, 1e-12, 1e-12)


def test_out_arguments_are_written() -> None:
    a = rt.tensor(rnd(3, 2))
    outs = (rt.empty(0, dtype=rt.float64), rt.empty(0, dtype=rt.float64), rt.empty(0, dtype=rt.float64))
    res = rt.linalg.svd(a, full_matrices=False, out=outs)
    assert all(r is o for r, o in zip(res, outs, strict=True))
    np.testing.assert_allclose((outs[0].numpy() * outs[1].numpy()) @ outs[2].numpy(), a.numpy(), atol=1e-12)
    o = rt.empty(0, dtype=rt.float64)
    assert rt.linalg.matrix_norm(a, "nuc", out=o) is o
    np.testing.assert_allclose(o.item(), np.linalg.norm(a.numpy(), "nuc"))
    with pytest.raises(TypeError, match=r"linalg.qr.*tuple of 2"):
        rt.linalg.qr(a, out=rt.empty(0))
