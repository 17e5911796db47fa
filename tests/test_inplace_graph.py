"""In-place ops in the autograd graph: history rebasing through views, stale views, and the
modified-saved-tensor error. Expected gradients come from torch running the same code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import rustytorch as rt

torch = pytest.importorskip("torch")
X = np.random.default_rng(0).standard_normal((3, 4))
W = np.random.default_rng(1).standard_normal(4)


def _col_scale(lib: Any, x: Any, w: Any) -> Any:
    y = x.clone()
    y[:, 0] *= 10
    return (y * y).sum()


def _chain_of_inplace(lib: Any, x: Any, w: Any) -> Any:
    y = x * 2
    y.mul_(w)
    y.add_(1.5).exp_()
    return y.sum()


def _view_of_view(lib: Any, x: Any, w: Any) -> Any:
    y = x * 2
    z = y.transpose(0, 1)
    z[1].add_(w[:3] * 3)
    y.tanh_()
    return y.sum() + (z * z).sum()


def _stale_view_after_base_write(lib: Any, x: Any, w: Any) -> Any:
    y = x.clone()
    v = y[1:]
    y.mul_(w)
    return (v * 3).sum() + y.pow(2).sum()


def _setitem_tensor_value(lib: Any, x: Any, w: Any) -> Any:
    y = x.exp()
    y = y * 1
    y[1] = w * w
    return (y * x).sum()


def _narrow_copy(lib: Any, x: Any, w: Any) -> Any:
    y = lib.zeros(3, 4, dtype=x.dtype)
    y.narrow(1, 1, 2).copy_(x[:, :2] * w[:2])
    return (y.sin()).sum()


def _inplace_on_non_grad_buffer(lib: Any, x: Any, w: Any) -> Any:
    buf = lib.zeros(4, dtype=x.dtype)
    buf.add_(w)
    buf.mul_(x[0])
    return buf.sum()


CASES: list[Callable[..., Any]] = [
    _col_scale,
    _chain_of_inplace,
    _view_of_view,
    _stale_view_after_base_write,
    _setitem_tensor_value,
    _narrow_copy,
    _inplace_on_non_grad_buffer,
]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__.strip("_") for c in CASES])
def test_gradients_match_torch(case: Callable[..., Any]) -> None:
    grads = []
    for lib in (rt, torch):
        x = lib.tensor(X, requires_grad=True)
        w = lib.tensor(W, requires_grad=True)
        loss = case(lib, x, w)
        loss.backward()
        grads.append((loss.item(), x.grad.numpy().copy(), w.grad.numpy().copy() if w.grad is not None else None))
    (l1, gx1, gw1), (l2, gx2, gw2) = grads
    assert l1 == pytest.approx(l2, rel=1e-12)
    np.testing.assert_allclose(gx1, gx2, rtol=1e-10, atol=1e-12)
    if gw2 is None:
        assert gw1 is None or not np.any(gw1)
    else:
        np.testing.assert_allclose(gw1, gw2, rtol=1e-10, atol=1e-12)


def test_modified_saved_tensor_error_names_both_ops_and_lines() -> None:
    x = rt.tensor(X, requires_grad=True)
    y = x.sigmoid()  # SigmoidBackward saves its result y
    z = y * 2
    y.mul_(3)
    with pytest.raises(RuntimeError) as info:
        (z + y).sum().backward()
    msg = str(info.value)
    assert "SigmoidBackward0" in msg and "mul_" in msg and ".clone()" in msg
    assert msg.count("test_inplace_graph.py:") == 2, msg  # the line of the saving op and of the in-place op


def test_inplace_on_leaf_requiring_grad_raises_and_works_under_no_grad() -> None:
    w = rt.tensor(W, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        w[1:].mul_(2)
    with rt.no_grad():
        w.add_(1)
    np.testing.assert_allclose(w.detach().numpy(), W + 1)
    assert w.is_leaf and w.requires_grad


def test_inplace_result_dtype_must_fit_destination() -> None:
    x = rt.tensor(X, requires_grad=True)
    i = rt.zeros(3, 4, dtype=rt.int64)
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.add_(x)


def test_version_counter_is_shared_and_bumped() -> None:
    x = rt.tensor(X, requires_grad=True)
    y = x * 1
    v = y[0]
    before = y._version
    v.add_(1)
    assert y._version == v._version == before + 1
