"""Autograd graph API and the engine, compared with PyTorch: grad_fn / next_functions / leaves,
accumulation, retain_graph, backward(inputs=), autograd.grad, higher-order derivatives, dtypes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import rustytorch as rt


def _pair(a: np.ndarray, requires_grad: bool = True) -> tuple[rt.Tensor, torch.Tensor]:
    return rt.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


def _np(t: Any) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# ----------------------------------------------------------------------------- graph structure
def test_grad_fn_names_and_next_functions_match_torch() -> None:
    a = _rng().standard_normal(3)
    x, tx = _pair(a)
    y, ty = (x * 2).exp().sum(), (tx * 2).exp().sum()
    chain, tchain = [], []
    n, tn = y.grad_fn, ty.grad_fn
    while n is not None:
        chain.append(n.name())
        tchain.append(tn.name())
        if not n.next_functions:
            assert not tn.next_functions
            break
        n, tn = n.next_functions[0][0], tn.next_functions[0][0]
    assert chain == ["SumBackward0", "ExpBackward0", "MulBackward0", "AccumulateGrad"]
    assert tchain[:-1] == chain[:-1]
    mul = y.grad_fn.next_functions[0][0].next_functions[0][0]
    assert len(mul.next_functions) == 2 and mul.next_functions[1] == (None, 0)
    assert mul.next_functions[0][0].variable is x


def test_one_accumulate_grad_node_per_leaf() -> None:
    x = rt.ones(2, requires_grad=True)
    s = (x * x).sum()
    e1, e2 = s.grad_fn.next_functions[0][0].next_functions
    assert e1[0] is e2[0] and e1[0].name() == "AccumulateGrad"


def test_requires_grad_propagation_and_leaves() -> None:
    x = rt.ones(2, requires_grad=True)
    c = rt.ones(2)
    y = x * c
    assert y.requires_grad and not y.is_leaf and x.is_leaf and c.is_leaf
    assert not (c * 2).requires_grad and (c * 2).grad_fn is None
    assert (x > 0).requires_grad is False  # comparisons are not differentiable
    with rt.no_grad():
        z = x * 2
    assert not z.requires_grad and z.is_leaf


def test_requires_grad_on_integer_tensor_raises() -> None:
    with pytest.raises(RuntimeError, match="floating point"):
        rt.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        rt.tensor([1, 2]).requires_grad_()


def test_requires_grad_setter_on_non_leaf() -> None:
    x = rt.ones(2, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="leaf variables"):
        y.requires_grad = False
    y.requires_grad_(True)  # allowed: no change
    assert y.requires_grad


def test_detach_shares_memory_and_leaves_graph() -> None:
    x = rt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    d[0] = 10.0
    assert y[0].item() == 10.0
    y.detach_()
    assert y.grad_fn is None and not y.requires_grad


def test_grad_setter_and_deleter() -> None:
    x = rt.ones(2, requires_grad=True)
    (x * 3).sum().backward()
    x.grad = None
    assert x.grad is None
    x.grad = rt.zeros(2)
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    with pytest.raises(RuntimeError, match="different size"):
        x.grad = rt.zeros(3)
    del x.grad
    assert x.grad is None


# ----------------------------------------------------------------------------- backward
def test_accumulation_over_two_backward_calls() -> None:
    a = _rng().standard_normal(4)
    x, tx = _pair(a)
    for lib_x in (x, tx):
        for _ in range(3):
            (lib_x.exp() * lib_x).sum().backward()
    np.testing.assert_allclose(_np(x.grad), _np(tx.grad), rtol=1e-12)
    np.testing.assert_allclose(_np(x.grad), 3 * (np.exp(a) * (1 + a)), rtol=1e-12)


def test_accumulation_never_writes_a_shared_gradient_buffer() -> None:
    x = rt.ones(3, requires_grad=True)
    y = rt.ones(3, requires_grad=True)
    g = rt.tensor([1.0, 2.0, 3.0])
    (x + y).backward(g)  # AddBackward passes the same gradient to both leaves
    (x + y).backward(g)
    (x + y).backward(g)
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 6.0, 9.0])
    np.testing.assert_array_equal(y.grad.numpy(), [3.0, 6.0, 9.0])
    np.testing.assert_array_equal(g.numpy(), [1.0, 2.0, 3.0])


def test_grad_kept_by_user_is_not_modified_by_next_backward() -> None:
    x = rt.ones(2, requires_grad=True)
    (x * 2).sum().backward()
    first = x.grad
    kept = first.clone()
    (x * 2).sum().backward()
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])
    np.testing.assert_array_equal(kept.numpy(), [2.0, 2.0])


def test_second_backward_without_retain_graph_raises() -> None:
    x = rt.ones(2, requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_second_backward() -> None:
    a = _rng().standard_normal(3)
    x, tx = _pair(a)
    y, ty = (x.exp() * x).sum(), (tx.exp() * tx).sum()
    y.backward(retain_graph=True)
    y.backward()
    ty.backward(retain_graph=True)
    ty.backward()
    np.testing.assert_allclose(_np(x.grad), _np(tx.grad), rtol=1e-12)


def test_backward_of_non_scalar_needs_gradient() -> None:
    x = rt.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="implicitly created only for scalar"):
        (x * 2).backward()
    (x * 2).backward(rt.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(rt.ones(2))


def test_backward_on_tensor_without_grad_raises() -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        rt.ones(2).sum().backward()


def test_backward_inputs_restricts_accumulation() -> None:
    a, b = _rng().standard_normal(3), _rng(1).standard_normal(3)
    x, tx = _pair(a)
    w, tw = _pair(b)
    h, th = x * w, tx * tw
    (h * h).sum().backward(inputs=[w, h])
    (th * th).sum().backward(inputs=[tw, th])
    assert x.grad is None and tx.grad is None
    np.testing.assert_allclose(_np(w.grad), _np(tw.grad), rtol=1e-12)
    np.testing.assert_allclose(_np(h.grad), _np(th.grad), rtol=1e-12)
    with pytest.raises(RuntimeError, match="cannot be empty"):
        (x * 2).sum().backward(inputs=[])


def test_autograd_backward_function() -> None:
    x = rt.tensor([1.0, 2.0], requires_grad=True)
    rt.autograd.backward([(x * x).sum(), (x * 3).sum()])
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 7.0])
    rt.autograd.backward(x * 2, grad_tensors=rt.tensor([1.0, -1.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [7.0, 5.0])


# ----------------------------------------------------------------------------- autograd.grad
def test_grad_does_not_touch_dot_grad_and_matches_torch() -> None:
    a, b = _rng().standard_normal((2, 3)), _rng(1).standard_normal(3)
    x, tx = _pair(a)
    w, tw = _pair(b)
    gx, gw = rt.autograd.grad(((x @ w).tanh() ** 2).sum(), (x, w))
    tgx, tgw = torch.autograd.grad(((tx @ tw).tanh() ** 2).sum(), (tx, tw))
    assert x.grad is None and w.grad is None
    np.testing.assert_allclose(_np(gx), _np(tgx), rtol=1e-10)
    np.testing.assert_allclose(_np(gw), _np(tgw), rtol=1e-10)
    assert not gx.requires_grad


def test_grad_of_intermediate_tensor() -> None:
    x = rt.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    (gh,) = rt.autograd.grad((h * h).sum(), h)
    np.testing.assert_array_equal(gh.numpy(), [6.0, 12.0])


def test_allow_unused_and_materialize_grads() -> None:
    x = rt.ones(2, requires_grad=True)
    u = rt.ones(3, requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        rt.autograd.grad(y, (x, u), retain_graph=True)
    gx, gu = rt.autograd.grad(y, (x, u), allow_unused=True, retain_graph=True)
    assert gu is None
    np.testing.assert_array_equal(gx.numpy(), [2.0, 2.0])
    gx, gu = rt.autograd.grad(y, (x, u), materialize_grads=True)
    np.testing.assert_array_equal(gu.numpy(), [0.0, 0.0, 0.0])
    assert gu.shape == (3,)


def test_grad_with_several_outputs_and_grad_outputs() -> None:
    a = _rng().standard_normal(3)
    x, tx = _pair(a)
    go = _rng(2).standard_normal(3)
    g = rt.autograd.grad([x.sin(), (x * x).sum()], x, [rt.tensor(go), rt.tensor(1.0, dtype=rt.float64)])
    tg = torch.autograd.grad(
        [tx.sin(), (tx * tx).sum()], tx, [torch.tensor(go), torch.tensor(1.0, dtype=torch.float64)]
    )
    np.testing.assert_allclose(_np(g[0]), _np(tg[0]), rtol=1e-12)


def test_grad_prunes_unrelated_branches() -> None:
    calls = []
    x = rt.ones(2, requires_grad=True)
    w = rt.ones(2, requires_grad=True)
    side = w * 5
    side.register_hook(lambda g: calls.append("side"))
    y = (x * 2 + side).sum()
    rt.autograd.grad(y, x)
    assert calls == [] and w.grad is None


@pytest.mark.parametrize("order", [2, 3])
def test_higher_order_derivatives_match_torch(order: int) -> None:
    a = _rng(3).standard_normal(4)
    x, tx = _pair(a)

    def f(lib: Any, t: Any) -> Any:
        return (t.sin() * t.exp() + t**3 / (1 + t * t)).sum()

    g, tg = f(rt, x), f(torch, tx)
    for _ in range(order - 1):
        (g,) = rt.autograd.grad(g, x, create_graph=True)
        (tg,) = torch.autograd.grad(tg, tx, create_graph=True)
        g, tg = g.sum(), tg.sum()
    (g,) = rt.autograd.grad(g, x)
    (tg,) = torch.autograd.grad(tg, tx)
    np.testing.assert_allclose(_np(g), _np(tg), rtol=1e-9, atol=1e-12)


def test_create_graph_backward_accumulates_differentiable_grad() -> None:
    a = _rng(4).standard_normal(3)
    x, tx = _pair(a)
    (x**3).sum().backward(create_graph=True)
    (tx**3).sum().backward(create_graph=True)
    assert x.grad.requires_grad and tx.grad.requires_grad
    (gg,) = rt.autograd.grad(x.grad.sum(), x)
    (tgg,) = torch.autograd.grad(tx.grad.sum(), tx)
    np.testing.assert_allclose(_np(gg), _np(tgg), rtol=1e-12)


def test_double_backward_through_saved_output() -> None:
    a = _rng(5).standard_normal(3)
    x, tx = _pair(a)
    (g,) = rt.autograd.grad(x.exp().sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad(tx.exp().sum(), tx, create_graph=True)
    (gg,) = rt.autograd.grad((g * g).sum(), x)
    (tgg,) = torch.autograd.grad((tg * tg).sum(), tx)
    np.testing.assert_allclose(_np(gg), _np(tgg), rtol=1e-12)


# ----------------------------------------------------------------------------- engine details
def test_broadcast_gradients_are_reduced_and_cast() -> None:
    x = rt.ones(3, 1, dtype=rt.float32, requires_grad=True)
    w = rt.ones(4, dtype=rt.float64, requires_grad=True)
    y = (x * w).sum()  # float64 result
    y.backward()
    assert x.grad.dtype == rt.float32 and x.grad.shape == (3, 1)
    assert w.grad.dtype == rt.float64 and w.grad.shape == (4,)
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 1), 4.0))
    np.testing.assert_array_equal(w.grad.numpy(), np.full(4, 3.0))


def test_multi_output_node_with_one_output_used() -> None:
    a = _rng(6).standard_normal((3, 4))
    x, tx = _pair(a)
    parts, tparts = x.split(2, dim=1), tx.split(2, dim=1)
    (parts[1] ** 2).sum().backward()
    (tparts[1] ** 2).sum().backward()
    np.testing.assert_allclose(_np(x.grad), _np(tx.grad), rtol=1e-12)


def test_gradient_of_node_used_twice_is_summed() -> None:
    x = rt.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    (h * h + h).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 3 * (2 * 3 * np.array([1.0, 2.0]) + 1))


def test_backward_is_deterministic() -> None:
    a = _rng(7).standard_normal(5)
    results = []
    for _ in range(3):
        x = rt.tensor(a, requires_grad=True)
        ys = [x * float(i) for i in range(1, 8)]
        s = ys[0]
        for y in ys[1:]:
            s = s + y.sin()
        s.sum().backward()
        results.append(x.grad.numpy().tobytes())
    assert len(set(results)) == 1


def test_node_order_is_reverse_creation_order() -> None:
    order = []
    x = rt.ones(2, requires_grad=True)
    a = x * 2
    b = x * 3
    a.grad_fn.register_prehook(lambda g: order.append("a"))
    b.grad_fn.register_prehook(lambda g: order.append("b"))
    (a + b).sum().backward()
    assert order == ["b", "a"]


def test_backward_returning_wrong_shape_raises_naming_node() -> None:
    class Bad(rt.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: rt.Tensor) -> rt.Tensor:
            return x * 2

        @staticmethod
        def backward(ctx: Any, g: rt.Tensor) -> rt.Tensor:
            return rt.ones(5)

    x = rt.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"BadBackward returned an invalid gradient at index 0 - got \[5\]"):
        Bad.apply(x).sum().backward()
