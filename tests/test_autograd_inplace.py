"""In-place ops in the graph: history rebasing, writes through views (CopySlices) compared with PyTorch,
saved tensors modified in place (the error names both ops and both source lines), stale views."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
import torch

import rustytorch as rt


def _grads_match(fn: Any, shape: tuple[int, ...] = (3, 3), seed: int = 0) -> None:
    a = np.random.default_rng(seed).standard_normal(shape)
    x, tx = rt.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    out, tout = fn(rt, x), fn(torch, tx)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12)
    out.backward()
    tout.backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_the_issue_example() -> None:
    def f(lib: Any, x: Any) -> Any:
        y = x.clone()
        y[:, 0] *= 10
        return (y * y).sum()

    _grads_match(f)


def test_inplace_on_non_view_takes_new_history() -> None:
    def f(lib: Any, x: Any) -> Any:
        y = x * 2
        y.sin_()
        y.add_(x, alpha=3)
        y.sigmoid_()
        return (y * x).sum()

    _grads_match(f)
    x = rt.ones(2, requires_grad=True)
    y = x * 2
    y.mul_(3)
    assert y.grad_fn.name() == "MulBackward0"
    assert y.grad_fn.next_functions[0][0].name() == "MulBackward0"


def test_write_through_view_rebases_base_like_copyslices() -> None:
    x = rt.randn(3, 3, requires_grad=True)
    y = x.clone()
    v = y[:, 0]
    v.mul_(10)
    assert y.grad_fn.name() == "CopySlices"
    assert v.grad_fn.name() == "AsStridedBackward0"
    assert v.grad_fn.next_functions[0][0] is y.grad_fn
    assert y.grad_fn.next_functions[0][0].name() == "CloneBackward0"


@pytest.mark.parametrize(
    "case",
    ["row", "column", "transpose", "narrow", "nested", "value_needs_grad", "setitem", "two_views"],
)
def test_view_inplace_gradients_match_torch(case: str) -> None:
    def f(lib: Any, x: Any) -> Any:
        y = x * 1
        if case == "row":
            y[1].mul_(x[2])
        elif case == "column":
            y[:, 1].add_(x[2])
        elif case == "transpose":
            t = y.t()
            t[0].mul_(3).exp_()
        elif case == "narrow":
            y.narrow(1, 1, 2).mul_(x[0, :2])
        elif case == "nested":
            y[1:][:, 1:].mul_(2)
        elif case == "value_needs_grad":
            z = lib.zeros(3, 3, dtype=x.dtype)
            z[1] = x[0] * 2
            z[:, 2].copy_(x[1])
            return (z * z).sum() + (y**3).sum()
        elif case == "setitem":
            y[0, 0] = x[1, 1] * 5
        elif case == "two_views":
            a, b = y[0], y[:, 0]
            a.mul_(2)
            b.add_(1)
            return (a * 3).sum() + (b**2).sum() + (y**3).sum()
        return (y**3).sum()

    _grads_match(f)


def test_stale_views_get_a_new_grad_fn() -> None:
    def f(lib: Any, x: Any) -> Any:
        y = x * 1
        w = y[0]  # a view taken before the base is modified
        y[:, 1].mul_(x[2])
        y.mul_(2)  # in place on the base itself
        return (w * 3).sum() + (y**2).sum()

    _grads_match(f)
    x = rt.ones(3, 3, requires_grad=True)
    y = x * 1
    w = y[0]
    old = w.grad_fn
    y.mul_(2)
    assert w.grad_fn is not old and w.grad_fn.name() == "AsStridedBackward0"
    assert w.grad_fn.next_functions[0][0] is y.grad_fn


def test_inplace_on_view_of_non_grad_tensor_makes_base_require_grad() -> None:
    w = rt.tensor([1.0, 2.0], requires_grad=True)
    z = rt.zeros(3)
    z[1:].copy_(w * 3)
    assert z.requires_grad and z.grad_fn.name() == "CopySlices"
    (z * z).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * 9 * np.array([1.0, 2.0]))


def test_overwritten_values_get_zero_gradient() -> None:
    def f(lib: Any, x: Any) -> Any:
        y = x * 2
        y.zero_()
        return (y + x).sum()

    _grads_match(f)
    x = rt.ones(2, requires_grad=True)
    y = x * 2
    y.fill_(3.0)
    assert y.requires_grad and y.grad_fn.name() == "FillBackward0"


def test_leaf_inplace_errors() -> None:
    x = rt.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.mul_(2)
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        x[0:2].mul_(2)
    with rt.no_grad():
        x.mul_(2)  # allowed outside grad mode
        x[0:1].add_(1)
    np.testing.assert_array_equal(x.detach().numpy(), [3.0, 2.0, 2.0])


def test_inplace_on_multi_output_view_raises() -> None:
    x = rt.ones(4, requires_grad=True)
    a = (x * 1).unbind(0)[0]
    with pytest.raises(RuntimeError, match="function that returns multiple views"):
        a.mul_(2)


def test_saved_tensors_stay_valid_when_the_op_itself_writes_them() -> None:
    # torch refuses these (the op saved its input, then overwrote it); rustytorch snapshots the old value
    a = np.random.default_rng(1).standard_normal(4)
    x = rt.tensor(a, requires_grad=True)
    y = x.clone()
    y.exp_()  # ExpBackward0 saves its result, a fresh tensor; y's old value is gone
    y.mul_(y)  # MulBackward0 saves y (both operands), which it then overwrites
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2 * a), rtol=1e-12)
    x2 = rt.tensor(a, requires_grad=True)
    y2 = x2 * 1
    y2.mul_(y2)
    (y2 * 1).sum().backward()
    np.testing.assert_allclose(x2.grad.numpy(), 2 * a, rtol=1e-12)


def _line_of(text: str) -> int:
    import inspect

    src, start = inspect.getsourcelines(test_modified_saved_tensor_error_names_both_ops_and_lines)
    for i, line in enumerate(src):
        if text in line:
            return start + i
    raise AssertionError(text)


def test_modified_saved_tensor_error_names_both_ops_and_lines() -> None:
    x = rt.ones(3, requires_grad=True)
    y = x * 2
    z = y * y  # MulBackward0 saves y
    y.add_(1)  # the in-place change
    with pytest.raises(RuntimeError) as info:
        z.sum().backward()
    msg = str(info.value)
    assert "MulBackward0" in msg and "add_()" in msg and ".clone()" in msg
    assert f"test_autograd_inplace.py:{_line_of('z = y * y')}" in msg
    assert f"test_autograd_inplace.py:{_line_of('y.add_(1)')}" in msg
    assert "version 0" in msg and "version 1" in msg


def test_modified_saved_output_error() -> None:
    x = rt.ones(3, requires_grad=True)
    y = x.exp()
    y.mul_(2)
    with pytest.raises(RuntimeError, match=re.escape("ExpBackward0")) as info:
        y.sum().backward()
    assert "mul_()" in str(info.value) and "its output" in str(info.value)


def test_modification_through_a_detached_alias_is_caught() -> None:
    x = rt.ones(3, requires_grad=True)
    y = x.exp()
    d = y.detach()
    s = y.sum()
    del y
    d.add_(1)
    with pytest.raises(RuntimeError, match="ExpBackward0"):
        s.backward()


def test_retain_grad_follows_inplace() -> None:
    for lib in (rt, torch):
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        y.retain_grad()
        y.mul_(3)
        (y * 5).sum().backward()
        np.testing.assert_array_equal(y.grad.numpy(), [5.0, 5.0])


def test_inplace_dtype_and_shape_checks() -> None:
    x = rt.ones(3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        y.add_(rt.ones(2, 3))
    i = rt.zeros(3, dtype=rt.int64)
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.add_(x)
    y.add_(rt.ones(1, dtype=rt.float64))  # broadcast and a wider dtype: cast to y's dtype
    assert y.dtype == rt.float32
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])


def test_custom_function_mark_dirty_matches_torch() -> None:
    def make(lib: Any) -> Any:
        class AddOne(lib.autograd.Function):
            @staticmethod
            def forward(ctx: Any, t: Any) -> Any:
                t.add_(1)
                ctx.mark_dirty(t)
                return t

            @staticmethod
            def backward(ctx: Any, g: Any) -> Any:
                return g

        return AddOne

    def f(lib: Any, x: Any) -> Any:
        y = x * 1
        out = make(lib).apply(y)
        assert out is y
        v = y[0]
        make(lib).apply(v)  # dirty view: the base is rebased
        return (y**2).sum()

    _grads_match(f)
