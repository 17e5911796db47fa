"""Custom autograd Functions compared with torch.autograd.Function: ctx API, outputs, dirty and
non-differentiable tensors, materialize_grads, once_differentiable, setup_context, ctx lifetime."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import numpy as np
import pytest
import torch

import rustytorch as rt
from rustytorch.autograd.function import once_differentiable


def _functions(lib: Any) -> dict[str, Any]:
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any, k: float) -> Any:
            ctx.k = k
            y = x**3 * k
            ctx.save_for_backward(x, y)  # an input and the output
            return y

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            x, y = ctx.saved_tensors
            return 3 * x**2 * g * ctx.k + 0 * y, None

    class Split(lib.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.set_materialize_grads(False)
            mask = x > 0
            ctx.mark_non_differentiable(mask)
            return x * 2, x * 3, mask

        @staticmethod
        def backward(ctx: Any, g1: Any, g2: Any, g3: Any) -> Any:
            assert g3 is None
            r = 0
            if g1 is not None:
                r = r + g1 * 2
            if g2 is not None:
                r = r + g2 * 3
            return r

    class Pair(lib.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            return x * 2, x * 3

        @staticmethod
        def backward(ctx: Any, g1: Any, g2: Any) -> Any:  # materialized: zeros for the unused output
            return g1 * 2 + g2 * 3

    class Ident(lib.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            return x

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            return g * 5

    class MulSetup(lib.autograd.Function):
        @staticmethod
        def forward(x: Any, y: Any) -> Any:
            return x * y

        @staticmethod
        def setup_context(ctx: Any, inputs: Any, output: Any) -> None:
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            x, y = ctx.saved_tensors
            return (g * y if ctx.needs_input_grad[0] else None), (g * x if ctx.needs_input_grad[1] else None)

    return {"Cube": Cube, "Split": Split, "Pair": Pair, "Ident": Ident, "MulSetup": MulSetup}


def _both(fn: Any, seed: int = 0) -> None:
    a = np.random.default_rng(seed).standard_normal(4)
    out = []
    for lib in (rt, torch):
        x = lib.tensor(a, requires_grad=True)
        fn(lib, _functions(lib), x).backward()
        out.append(x.grad.numpy())
    np.testing.assert_allclose(out[0], out[1], rtol=1e-12)


def test_basic_function_and_node() -> None:
    _both(lambda lib, F, x: F["Cube"].apply(x, 2.0).sum())
    x = rt.ones(2, requires_grad=True)
    y = _functions(rt)["Cube"].apply(x, 2.0)
    assert y.grad_fn.name() == "CubeBackward"
    assert len(y.grad_fn.next_functions) == 1  # one edge per tensor argument, as torch
    assert y.grad_fn.needs_input_grad == (True, False)


def test_forward_runs_under_no_grad() -> None:
    seen = []

    class Probe(rt.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: rt.Tensor) -> rt.Tensor:
            seen.append((rt.is_grad_enabled(), x.requires_grad, (x * 2).requires_grad))
            return x * 2

        @staticmethod
        def backward(ctx: Any, g: rt.Tensor) -> rt.Tensor:
            return g * 2

    y = Probe.apply(rt.ones(2, requires_grad=True))
    assert seen == [(False, True, False)] and y.requires_grad


def test_second_order_through_function() -> None:
    for lib in (rt, torch):
        F = _functions(lib)
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(F["Cube"].apply(x, 1.0).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        np.testing.assert_allclose(gg.numpy(), [6.0, 12.0])


def test_multiple_outputs_materialize_and_non_differentiable() -> None:
    _both(lambda lib, F, x: F["Split"].apply(x)[1].sum())
    _both(lambda lib, F, x: F["Pair"].apply(x)[0].sum())
    _both(lambda lib, F, x: sum(o.sum() for o in F["Pair"].apply(x)))
    a, b, mask = _functions(rt)["Split"].apply(rt.ones(2, requires_grad=True))
    assert not mask.requires_grad and a.grad_fn is b.grad_fn and b.requires_grad


def test_input_returned_as_is_is_a_new_tensor() -> None:
    _both(lambda lib, F, x: F["Ident"].apply(x).sum())
    x = rt.ones(2, requires_grad=True)
    y = _functions(rt)["Ident"].apply(x)
    assert y is not x and y.grad_fn.name() == "IdentBackward" and x.is_leaf


def test_setup_context_style() -> None:
    _both(lambda lib, F, x: F["MulSetup"].apply(x, x * 2).sum())


def test_no_input_requires_grad() -> None:
    y = _functions(rt)["Cube"].apply(rt.ones(2), 2.0)
    assert not y.requires_grad and y.grad_fn is None


def test_wrong_number_of_gradients() -> None:
    class Bad(rt.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: rt.Tensor, y: rt.Tensor) -> rt.Tensor:
            return x * y

        @staticmethod
        def backward(ctx: Any, g: rt.Tensor) -> Any:
            return g

    x = rt.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(x, x).sum().backward()


def test_gradient_for_non_tensor_argument_raises() -> None:
    class Bad(rt.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: rt.Tensor, k: float) -> rt.Tensor:
            return x * k

        @staticmethod
        def backward(ctx: Any, g: rt.Tensor) -> Any:
            return g, g

    with pytest.raises(RuntimeError, match="was not a Variable"):
        Bad.apply(rt.ones(2, requires_grad=True), 2.0).sum().backward()


def test_once_differentiable() -> None:
    class Double(rt.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: rt.Tensor) -> rt.Tensor:
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx: Any, g: rt.Tensor) -> rt.Tensor:
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = rt.tensor([1.0, 3.0], requires_grad=True)
    Double.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 6.0])
    (g,) = rt.autograd.grad(Double.apply(x).sum(), x, create_graph=True)
    assert not g.requires_grad  # as torch: no gradient flowing in requires grad
    v = rt.ones(2, requires_grad=True)
    (g,) = rt.autograd.grad(Double.apply(x), x, v, create_graph=True)
    assert g.requires_grad
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()


def test_saved_tensors_after_backward_raise() -> None:
    x = rt.ones(2, requires_grad=True)
    y = _functions(rt)["Cube"].apply(x, 1.0).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_saved_output_modified_in_place_is_caught() -> None:
    x = rt.ones(2, requires_grad=True)
    y = _functions(rt)["Cube"].apply(x, 1.0)
    y.add_(1)
    with pytest.raises(RuntimeError, match="CubeBackward"):
        y.sum().backward()


def test_ctx_does_not_leak() -> None:
    F = _functions(rt)
    x = rt.ones(3, requires_grad=True)
    gc.collect()
    gc.disable()
    try:
        y = F["Cube"].apply(x, 2.0)  # ctx saved its own output: must not make a cycle
        ref = weakref.ref(y.grad_fn)
        out_ref = weakref.ref(y)
        del y
        assert ref() is None and out_ref() is None
        y = F["Cube"].apply(x, 2.0)
        ref = weakref.ref(y.grad_fn)
        y.sum().backward()
        del y
        assert ref() is None
    finally:
        gc.enable()


def test_function_must_not_be_instantiated_or_called() -> None:
    F = _functions(rt)["Ident"]
    with pytest.warns(DeprecationWarning):
        f = F()
    with pytest.raises(RuntimeError, match="static forward"):
        f(rt.ones(1))
