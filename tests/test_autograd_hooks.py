"""Hooks (tensor, node, post-accumulate, saved-tensor), retain_grad and grad modes (nesting, decorators,
threads, inference_mode), compared with PyTorch where it defines the behaviour."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest
import torch

import rustytorch as rt


def _hook_order(lib: Any) -> tuple[list[str], Any, Any]:
    order: list[str] = []
    x = lib.ones(2, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: order.append("t1"))
    y.grad_fn.register_prehook(lambda g: order.append("pre"))
    y.retain_grad()
    y.register_hook(lambda g: order.append("t2") or g * 2)
    y.grad_fn.register_hook(lambda gi, go: order.append("post"))
    x.register_post_accumulate_grad_hook(lambda t: order.append("postacc"))
    x.register_hook(lambda g: order.append("leaf"))
    (y * 3).sum().backward()
    return order, y.grad, x.grad


def test_hook_order_matches_torch() -> None:
    order, yg, xg = _hook_order(rt)
    torder, tyg, txg = _hook_order(torch)
    assert order == torder == ["t1", "t2", "pre", "post", "leaf", "postacc"]
    np.testing.assert_array_equal(yg.numpy(), tyg.numpy())  # retain_grad sees the hooks' result
    np.testing.assert_array_equal(xg.numpy(), txg.numpy())


def test_tensor_hook_replaces_gradient_on_leaf_and_non_leaf() -> None:
    x = rt.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * 10)
    h = x * x
    h.register_hook(lambda g: g + 1)
    h.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 10 * 2 * np.array([1.0, 2.0]) * 2)


def test_hooks_apply_to_captured_gradients() -> None:
    x = rt.ones(2, requires_grad=True)
    x.register_hook(lambda g: g * 10)
    y = x * 2
    y.register_hook(lambda g: g * 100)
    (gx,) = rt.autograd.grad((x * 3).sum(), x)
    (gy,) = rt.autograd.grad((y * 3).sum(), y)
    np.testing.assert_array_equal(gx.numpy(), [30.0, 30.0])
    np.testing.assert_array_equal(gy.numpy(), [300.0, 300.0])


def test_handle_remove() -> None:
    x = rt.ones(2, requires_grad=True)
    h1 = x.register_hook(lambda g: g * 10)
    h2 = x.register_hook(lambda g: g * 10)
    h1.remove()
    h1.remove()  # a second remove does nothing
    (x * 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [10.0, 10.0])
    h2.remove()
    x.grad = None
    (x * 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    seen = []
    with x.register_post_accumulate_grad_hook(lambda t: seen.append(1)):
        (x * 1).sum().backward()
    (x * 1).sum().backward()
    assert seen == [1]


def test_node_hooks_can_replace_gradients() -> None:
    x = rt.ones(2, requires_grad=True)
    y = x * 2
    y.grad_fn.register_prehook(lambda go: (go[0] * 3,))
    y.grad_fn.register_hook(lambda gi, go: (gi[0] + 1, gi[1]))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [7.0, 7.0])


def test_hook_errors() -> None:
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        rt.ones(2).register_hook(lambda g: g)
    x = rt.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="non-leaf"):
        (x * 2).register_post_accumulate_grad_hook(lambda t: None)
    x.register_hook(lambda g: rt.ones(3))
    with pytest.raises(RuntimeError, match="changed its shape"):
        (x * 2).sum().backward()


def test_retain_grad_accumulates_and_respects_no_grad_leaf() -> None:
    x = rt.ones(2, requires_grad=True)
    y = x * 2
    y.retain_grad()
    assert y.retains_grad
    (y * 3).sum().backward(retain_graph=True)
    (y * 3).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [6.0, 6.0])
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        rt.ones(2).retain_grad()


def test_saved_tensors_hooks_pack_and_unpack() -> None:
    packed: list[Any] = []
    unpacked: list[Any] = []

    def pack(t: rt.Tensor) -> Any:
        packed.append(t.shape)
        return t.detach().numpy().copy(), t

    def unpack(p: Any) -> rt.Tensor:
        unpacked.append(1)
        return p[1]

    x = rt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with rt.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = (x * x).sum()
    z = (x * x).sum()  # outside: no hooks
    assert len(packed) == 2
    y.backward()
    z.backward()
    assert len(unpacked) == 2
    np.testing.assert_array_equal(x.grad.numpy(), 4 * np.array([1.0, 2.0, 3.0]))


def test_saved_tensors_hooks_on_saved_outputs_keep_double_backward() -> None:
    x = rt.tensor([0.5, 1.5], requires_grad=True)
    with rt.autograd.graph.saved_tensors_hooks(lambda t: t.detach().clone(), lambda t: t):
        y = x.exp()
    (g,) = rt.autograd.grad(y.sum(), x, create_graph=True)
    (gg,) = rt.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), np.exp([0.5, 1.5]), rtol=1e-6)


def test_disable_saved_tensors_hooks() -> None:
    hooks = rt.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t)
    with rt.autograd.graph.disable_saved_tensors_hooks("hooks are off"), pytest.raises(RuntimeError, match="off"):
        hooks.__enter__()


# ----------------------------------------------------------------------------- grad modes
def test_no_grad_enable_grad_nesting() -> None:
    x = rt.ones(2, requires_grad=True)
    with rt.no_grad():
        assert not (x * 2).requires_grad
        with rt.enable_grad():
            assert (x * 2).requires_grad
            with rt.no_grad():
                assert not rt.is_grad_enabled()
            assert rt.is_grad_enabled()
        assert not rt.is_grad_enabled()
    assert rt.is_grad_enabled()


def test_reentrant_context_object() -> None:
    c = rt.no_grad()
    with c:
        with c:
            pass
        assert not rt.is_grad_enabled()
    assert rt.is_grad_enabled()


def test_grad_mode_decorators_with_and_without_parentheses() -> None:
    x = rt.ones(2, requires_grad=True)

    @rt.no_grad
    def f1(t: rt.Tensor) -> rt.Tensor:
        return t * 2

    @rt.no_grad()
    def f2(t: rt.Tensor) -> rt.Tensor:
        return t * 2

    @rt.enable_grad
    def f3(t: rt.Tensor) -> rt.Tensor:
        return t * 2

    @rt.set_grad_enabled(False)
    def f4(t: rt.Tensor) -> rt.Tensor:
        return t * 2

    @rt.inference_mode
    def f5(t: rt.Tensor) -> rt.Tensor:
        return t * 2

    assert rt.is_grad_enabled()  # decorating does not switch the mode
    assert not f1(x).requires_grad and not f2(x).requires_grad and not f4(x).requires_grad
    assert not f5(x).requires_grad
    with rt.no_grad():
        assert f3(x).requires_grad
    assert f1.__name__ == "f1"


def test_set_grad_enabled_as_a_plain_call() -> None:
    try:
        rt.set_grad_enabled(False)
        assert not rt.is_grad_enabled()
        rt.set_grad_enabled(True)
        assert rt.is_grad_enabled()
    finally:
        rt.set_grad_enabled(True)
    with rt.set_grad_enabled(False):
        assert not rt.is_grad_enabled()
    assert rt.is_grad_enabled()


def test_inference_mode_matches_torch() -> None:
    for lib in (rt, torch):
        with lib.inference_mode():
            assert not lib.is_grad_enabled() and lib.is_inference_mode_enabled()
            with lib.inference_mode(False):
                assert lib.is_grad_enabled() and not lib.is_inference_mode_enabled()
            with lib.enable_grad():
                assert lib.is_grad_enabled()
        assert lib.is_grad_enabled() and not lib.is_inference_mode_enabled()
        with lib.no_grad(), lib.inference_mode(False):
            assert lib.is_grad_enabled()


def test_grad_mode_is_thread_local() -> None:
    seen: dict[str, bool] = {}
    barrier = threading.Barrier(2)

    def worker_no_grad() -> None:
        with rt.no_grad():
            barrier.wait()
            seen["a_inside"] = rt.is_grad_enabled()
            barrier.wait()

    def worker_default() -> None:
        barrier.wait()
        seen["b"] = rt.is_grad_enabled()
        x = rt.ones(2, requires_grad=True)
        seen["b_records"] = (x * 2).requires_grad
        barrier.wait()

    with rt.no_grad():  # the main thread's mode does not leak into new threads either
        ts = [threading.Thread(target=worker_no_grad), threading.Thread(target=worker_default)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    assert seen == {"a_inside": False, "b": True, "b_records": True}


def test_backward_in_threads() -> None:
    results: list[np.ndarray] = []

    def work(seed: int) -> None:
        a = np.random.default_rng(seed).standard_normal(5)
        x = rt.tensor(a, requires_grad=True)
        for _ in range(20):
            x.grad = None
            (x.sin() * x).sum().backward()
        results.append(np.abs(x.grad.numpy() - (np.cos(a) * a + np.sin(a))).max())

    ts = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert len(results) == 4 and max(results) < 1e-12
