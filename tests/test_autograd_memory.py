"""Memory and hygiene of the graph: saved tensors and gradients freed as backward goes, no reference
cycles, long chains, cycle detection, gradient buffer reuse, the saved-tensors report, anomaly mode."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import rustytorch as rt
from rustytorch._storage import UntypedStorage
from rustytorch.autograd import node as node_mod


@pytest.fixture
def no_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_saved_tensors_freed_by_backward(no_gc: None) -> None:
    x = rt.ones(1000, requires_grad=True)
    h = x.exp()  # saved by ExpBackward0 (as its output) and by MulBackward0 (as an input)
    y = (h * h).sum()
    ref = weakref.ref(h)
    data_ref = weakref.ref(y.grad_fn.next_functions[0][0].saved_tensors[0]._data.base or h._data)
    del h
    assert ref() is not None  # the graph keeps it
    y.backward()
    assert ref() is None and data_ref() is None  # freed although y (and its graph) is alive
    assert y.grad_fn is not None


def test_retain_graph_keeps_saved_tensors(no_gc: None) -> None:
    x = rt.ones(3, requires_grad=True)
    h = x * 2
    y = (h * h).sum()
    ref = weakref.ref(h)
    del h
    y.backward(retain_graph=True)
    assert ref() is not None
    y.backward()
    assert ref() is None


def test_intermediate_gradients_freed_during_backward(no_gc: None) -> None:
    refs: list[Any] = []
    alive_at_end: list[bool] = []
    x = rt.ones(1000, requires_grad=True)
    a = x * 2
    b = a * 3
    c = b * 4
    b.register_hook(lambda g: refs.append(weakref.ref(g)))
    a.register_hook(lambda g: None)
    x.register_hook(lambda g: alive_at_end.append(refs[0]() is not None))
    c.sum().backward()
    assert alive_at_end == [False]


def _graph_nodes(t: rt.Tensor) -> list[Any]:
    out, stack, seen = [], [t.grad_fn], set()
    while stack:
        n = stack.pop()
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        out.append(weakref.ref(n))
        stack.extend(c for c, _ in n.next_functions)
    return out


@pytest.mark.parametrize("kind", ["plain", "saved_output", "views_inplace", "retain_grad_hooks", "function"])
def test_no_reference_cycles(no_gc: None, kind: str) -> None:
    x = rt.ones(3, 3, requires_grad=True)
    if kind == "plain":
        y = (x * 2).sum()
    elif kind == "saved_output":
        y = (x.exp().tanh() * x).sum()
    elif kind == "views_inplace":
        h = x * 1
        v = h[0]
        h[:, 1].mul_(3)
        v.add_(1)
        y = (h * h).sum() + v.sum()
        del h, v
    elif kind == "retain_grad_hooks":
        h = x.exp()
        h.retain_grad()
        h.register_hook(lambda g: g * 2)
        y = h.sum()
        del h
    else:

        class Sq(rt.autograd.Function):
            @staticmethod
            def forward(ctx: Any, t: rt.Tensor) -> rt.Tensor:
                out = t * t
                ctx.save_for_backward(t, out)
                return out

            @staticmethod
            def backward(ctx: Any, g: rt.Tensor) -> rt.Tensor:
                t, _ = ctx.saved_tensors
                return 2 * t * g

        y = Sq.apply(x).sum()
    nodes = _graph_nodes(y)
    assert len(nodes) >= 2
    out_ref = weakref.ref(y)
    del y
    assert out_ref() is None
    assert [n for n in nodes if n() is not None and n().name() != "AccumulateGrad"] == []


def _chain(n: int) -> tuple[rt.Tensor, rt.Tensor]:
    x = rt.ones(2, requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0
    return x, y


def test_long_chain_backward_is_iterative() -> None:
    x, y = _chain(100_000)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


def test_dropping_a_long_chain_does_not_crash() -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            _, y = _chain(100_000)
            del y
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    old = threading.stack_size(512 * 1024)  # a small C stack: a recursive deallocation would overflow it
    try:
        t = threading.Thread(target=work)
        t.start()
        t.join()
    finally:
        threading.stack_size(old)
    assert not errors


def test_a_cycle_in_the_graph_is_reported() -> None:
    x = rt.ones(2, requires_grad=True)
    y = x * 2
    z = y * 3
    y.grad_fn.next_functions = ((z.grad_fn, 0), (None, 0))  # edited by hand into a loop
    with pytest.raises(RuntimeError, match="cycle"):
        z.sum().backward()
    with pytest.raises(RuntimeError, match="cycle"):
        rt.autograd.grad(z.sum(), x)


def test_gradient_accumulation_reuses_the_buffer() -> None:
    x = rt.ones(1000, requires_grad=True)
    (x * 2).sum().backward()
    (x * 2).sum().backward()
    g = x.grad
    ptr = g.data_ptr()
    for _ in range(3):
        (x * 2).sum().backward()
    assert x.grad is g and x.grad.data_ptr() == ptr
    np.testing.assert_array_equal(x.grad.numpy(), np.full(1000, 10.0))


def test_inline_storage_sets_every_slot() -> None:
    st = node_mod._new_storage(np.zeros(3))
    for name in UntypedStorage.__slots__:
        if name != "__weakref__":
            getattr(st, name)  # AttributeError if UntypedStorage grew a slot _new_storage does not set


def _line(marker: str) -> int:
    import inspect

    src, start = inspect.getsourcelines(test_saved_tensors_report)
    return start + next(i for i, text in enumerate(src) if marker in text)


def test_saved_tensors_report() -> None:
    x = rt.ones(4, requires_grad=True)
    w = rt.ones(4, 3, dtype=rt.float64, requires_grad=True)
    h = x.exp()  # exp line
    y = (h.double() @ w).sum()  # matmul line
    report = rt.autograd.graph.saved_tensors_report(y)
    rows = [(r.node, r.shape, r.dtype, r.nbytes, r.is_output) for r in report]
    assert rows == [
        ("MatmulBackward0", (4,), rt.float64, 32, False),
        ("MatmulBackward0", (4, 3), rt.float64, 96, False),
        ("ExpBackward0", (4,), rt.float32, 16, True),
    ]
    assert report[0].location.endswith(f"test_autograd_memory.py:{_line('# matmul line')}")
    assert report[2].location.endswith(f"test_autograd_memory.py:{_line('# exp line')}")
    assert report.total_bytes == 144
    text = str(report)
    assert "ExpBackward0" in text and "3 saved tensors, 144 bytes" in text
    y.backward()
    assert rt.autograd.graph.saved_tensors_report(y) == []


def test_saved_tensors_report_counts_a_shared_buffer_once() -> None:
    x = rt.ones(4, requires_grad=True)
    h = x.exp()
    y = (h * h).sum()  # MulBackward0 saves h twice; ExpBackward0 saves it as its output
    report = rt.autograd.graph.saved_tensors_report(y)
    assert [r.node for r in report] == ["MulBackward0", "MulBackward0", "ExpBackward0"]
    assert report.total_bytes == 16


def test_anomaly_mode_names_the_node_and_its_forward_line() -> None:
    x = rt.tensor([0.0, 1.0], requires_grad=True)
    with rt.autograd.detect_anomaly():
        y = x.sqrt()  # the line the report must show
        z = (y * 0).sum()
        with pytest.raises(RuntimeError) as info:
            z.backward()
    msg = str(info.value)
    assert "SqrtBackward0" in msg and "nan" in msg
    assert "y = x.sqrt()  # the line the report must show" in msg
    assert not rt.autograd.is_anomaly_enabled()
    z = (x.sqrt() * 0).sum()
    z.backward()  # outside anomaly mode: no check
    assert np.isnan(x.grad.numpy()[0])


def test_anomaly_mode_adds_forward_trace_to_backward_errors() -> None:
    class Boom(rt.autograd.Function):
        @staticmethod
        def forward(ctx: Any, t: rt.Tensor) -> rt.Tensor:
            return t * 1

        @staticmethod
        def backward(ctx: Any, g: rt.Tensor) -> rt.Tensor:
            raise RuntimeError("boom")

    x = rt.ones(2, requires_grad=True)
    with rt.autograd.set_detect_anomaly(True):
        y = Boom.apply(x).sum()  # forward of the failing node
        with pytest.raises(RuntimeError, match="boom") as info:
            y.backward()
    assert "y = Boom.apply(x).sum()  # forward of the failing node" in str(info.value)
    assert not rt.autograd.is_anomaly_enabled()
