"""rustytorch.autograd.functional against torch.autograd.functional."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.autograd.functional as TF

import rustytorch as rt
import rustytorch.autograd.functional as RF

_RNG = np.random.default_rng(0)
A = _RNG.standard_normal(3)
W = _RNG.standard_normal((2, 3))
V3 = _RNG.standard_normal(3)
V2 = _RNG.standard_normal(2)


def f1(x: Any) -> Any:
    return (x.exp() * x).sin()


def f2(x: Any, w: Any) -> Any:
    return (w @ x).tanh()


def fs(x: Any, w: Any) -> Any:
    return ((w @ x) ** 2).sum() + (x**3).sum()


def two_out(x: Any) -> Any:
    return x * 2, (x**2).sum()


def _close(r: Any, t: Any) -> None:
    if isinstance(r, tuple):
        assert isinstance(t, tuple) and len(r) == len(t)
        for a, b in zip(r, t, strict=True):
            _close(a, b)
        return
    assert isinstance(r, rt.Tensor) and isinstance(t, torch.Tensor)
    assert tuple(r.shape) == tuple(t.shape)
    np.testing.assert_allclose(r.detach().numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12)


def _args(lib: Any, *arrs: np.ndarray) -> Any:
    ts = tuple(lib.tensor(a) for a in arrs)
    return ts if len(ts) > 1 else ts[0]


@pytest.mark.parametrize(
    ("name", "func", "ins", "v"),
    [
        ("vjp", f1, (A,), (V3,)),
        ("vjp", f2, (A, W), (V2,)),
        ("vjp", two_out, (A,), (V3, np.array(1.5))),
        ("jvp", f1, (A,), (V3,)),
        ("jvp", f2, (A, W), (V3, W)),
        ("jvp", two_out, (A,), (V3,)),
        ("vhp", fs, (A, W), (V3, W)),
        ("hvp", fs, (A, W), (V3, W)),
    ],
)
def test_products_match_torch(name: str, func: Any, ins: tuple[np.ndarray, ...], v: tuple[np.ndarray, ...]) -> None:
    r = getattr(RF, name)(func, _args(rt, *ins), _args(rt, *v))
    t = getattr(TF, name)(func, _args(torch, *ins), _args(torch, *v))
    _close(r, t)


@pytest.mark.parametrize(("func", "ins"), [(f1, (A,)), (f2, (A, W)), (two_out, (A,))])
def test_jacobian_matches_torch(func: Any, ins: tuple[np.ndarray, ...]) -> None:
    _close(RF.jacobian(func, _args(rt, *ins)), TF.jacobian(func, _args(torch, *ins)))


@pytest.mark.parametrize("ins", [(A,), (A, W)])
def test_hessian_matches_torch(ins: tuple[np.ndarray, ...]) -> None:
    func = fs if len(ins) == 2 else (lambda x: fs(x, rt.tensor(W) if isinstance(x, rt.Tensor) else torch.tensor(W)))
    _close(RF.hessian(func, _args(rt, *ins)), TF.hessian(func, _args(torch, *ins)))


def test_create_graph_results_are_differentiable() -> None:
    x, tx = rt.tensor(A, requires_grad=True), torch.tensor(A, requires_grad=True)
    j = RF.jacobian(lambda t: t**3, x, create_graph=True)
    tj = TF.jacobian(lambda t: t**3, tx, create_graph=True)
    assert j.requires_grad
    _close(rt.autograd.grad(j.sum(), x)[0], torch.autograd.grad(tj.sum(), tx)[0])
    _, h = RF.hvp(lambda t: (t**4).sum(), x, rt.tensor(V3), create_graph=True)
    _, th = TF.hvp(lambda t: (t**4).sum(), tx, torch.tensor(V3), create_graph=True)
    _close(rt.autograd.grad(h.sum(), x)[0], torch.autograd.grad(th.sum(), tx)[0])


def test_results_are_detached_without_create_graph() -> None:
    x = rt.tensor(A, requires_grad=True)
    out, g = RF.vjp(lambda t: t * 2, x, rt.tensor(V3))
    assert not out.requires_grad and not g.requires_grad


def test_unused_inputs_give_zeros_or_raise_in_strict_mode() -> None:
    def f(x: Any, y: Any) -> Any:
        return x * 2

    r = RF.vjp(f, (rt.tensor(A), rt.tensor(A)), rt.tensor(V3))
    t = TF.vjp(f, (torch.tensor(A), torch.tensor(A)), torch.tensor(V3))
    _close(r, t)
    with pytest.raises(RuntimeError, match="independent of input 1"):
        RF.vjp(f, (rt.tensor(A), rt.tensor(A)), rt.tensor(V3), strict=True)
    _close(RF.jacobian(f, (rt.tensor(A), rt.tensor(A))), TF.jacobian(f, (torch.tensor(A), torch.tensor(A))))
    with pytest.raises(RuntimeError, match="independent of input 1"):
        RF.jacobian(f, (rt.tensor(A), rt.tensor(A)), strict=True)


def test_argument_errors() -> None:
    with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
        RF.vjp(f1, [1.0, 2.0])
    with pytest.raises(RuntimeError, match="v can only be None"):
        RF.vjp(f1, rt.tensor(A))
    with pytest.raises(RuntimeError, match="invalid size"):
        RF.vjp(f1, rt.tensor(A), rt.ones(2, dtype=rt.float64))
    with pytest.raises(RuntimeError, match="single element"):
        RF.hessian(f1, rt.tensor(A))
    _, g = RF.vjp(lambda t: (t * t).sum(), rt.tensor(A))  # a scalar output: v may be omitted
    np.testing.assert_allclose(g.numpy(), 2 * A)
