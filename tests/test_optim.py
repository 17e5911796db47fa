"""Optimizers and schedulers follow torch's parameter trajectory step by step from identical starts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import rustytorch as rt

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
W0 = RNG.standard_normal((5, 3))
C0 = RNG.standard_normal((5, 3))

OPTIMIZERS: list[tuple[str, dict[str, Any]]] = [
    ("SGD", dict(lr=0.01)),
    ("SGD", dict(lr=0.01, momentum=0.9)),
    ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.01, momentum=0.9, dampening=0.1, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.5, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.5)),
]


def _trajectory(
    lib: Any, name: str, kw: dict[str, Any], sched: Callable[..., Any] | None = None, steps: int = 15
) -> list[np.ndarray]:
    w = lib.nn.Parameter(lib.tensor(W0.copy()))
    b = lib.nn.Parameter(lib.tensor(C0[0].copy()))
    c = lib.tensor(C0)
    opt = getattr(lib.optim, name)([{"params": [w]}, {"params": [b], "lr": kw["lr"] * 0.5}], **kw)
    s = sched(lib, opt) if sched else None
    out = []
    for _ in range(steps):
        opt.zero_grad()
        loss = (w * w).sum() + (w * c).sum() + (b * b * b).sum() * 0.1
        loss.backward()
        opt.step()
        if s is not None:
            s.step()
        out.append(np.concatenate([w.detach().numpy().ravel(), b.detach().numpy().ravel()]))
    return out


@pytest.mark.parametrize(("name", "kw"), OPTIMIZERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(OPTIMIZERS)])
def test_optimizer_matches_torch_trajectory(name: str, kw: dict[str, Any]) -> None:
    ours = _trajectory(rt, name, kw)
    theirs = _trajectory(torch, name, kw)
    for step, (a, e) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12, err_msg=f"{name} step {step}")


SCHEDULERS: list[tuple[str, Callable[..., Any]]] = [
    ("StepLR", lambda lib, o: lib.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5)),
    ("MultiStepLR", lambda lib, o: lib.optim.lr_scheduler.MultiStepLR(o, milestones=[2, 5], gamma=0.3)),
    ("ExponentialLR", lambda lib, o: lib.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)),
    ("CosineAnnealingLR", lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingLR(o, T_max=4, eta_min=0.001)),
    ("LambdaLR", lambda lib, o: lib.optim.lr_scheduler.LambdaLR(o, lambda e: 0.9**e)),
    ("OneCycleLR", lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=15)),
    (
        "OneCycleLR-3",
        lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(
            o, max_lr=[0.1, 0.2], total_steps=15, three_phase=True, anneal_strategy="linear"
        ),
    ),
]


@pytest.mark.parametrize(("opt_name", "kw"), [("SGD", dict(lr=0.01, momentum=0.9)), ("Adam", dict(lr=0.01))])
@pytest.mark.parametrize(("name", "sched"), SCHEDULERS, ids=[n for n, _ in SCHEDULERS])
def test_scheduler_matches_torch(opt_name: str, kw: dict[str, Any], name: str, sched: Callable[..., Any]) -> None:
    ours = _trajectory(rt, opt_name, kw, sched)
    theirs = _trajectory(torch, opt_name, kw, sched)
    for step, (a, e) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12, err_msg=f"{name} step {step}")


def test_state_dict_round_trip_continues_identically() -> None:
    def make() -> tuple[Any, Any]:
        w = rt.nn.Parameter(rt.tensor(W0.copy()))
        return w, rt.optim.Adam([w], lr=0.05, amsgrad=True)

    def step(w: Any, opt: Any) -> None:
        opt.zero_grad()
        (w * w * w).sum().backward()
        opt.step()

    w1, o1 = make()
    for _ in range(3):
        step(w1, o1)
    w2, o2 = make()
    w2._data[...] = w1._data  # same starting point as w1 after three steps
    o2.load_state_dict(o1.state_dict())
    for _ in range(3):
        step(w1, o1)
        step(w2, o2)
    np.testing.assert_array_equal(w1.detach().numpy(), w2.detach().numpy())
    assert o1.state_dict()["state"][0]["step"] == 6


def test_param_groups_and_errors() -> None:
    a, b = rt.nn.Parameter(rt.ones(2)), rt.nn.Parameter(rt.ones(2))
    opt = rt.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="empty parameter list"):
        rt.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        rt.optim.SGD(a, lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate"):
        rt.optim.Adam([a], lr=-1)
    with pytest.raises(ValueError, match="Nesterov"):
        rt.optim.SGD([a], lr=0.1, nesterov=True)


def test_zero_grad_set_to_none_and_in_place() -> None:
    w = rt.nn.Parameter(rt.ones(3))
    opt = rt.optim.SGD([w], lr=0.1)
    (w * 2).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert w.grad is not None and w.grad.tolist() == [0.0, 0.0, 0.0]
    opt.zero_grad()
    assert w.grad is None


def test_step_skips_parameters_without_grad_and_bumps_version() -> None:
    a, b = rt.nn.Parameter(rt.ones(2)), rt.nn.Parameter(rt.ones(2))
    opt = rt.optim.SGD([a, b], lr=0.5)
    (a * 3).sum().backward()
    va, vb = a._version, b._version
    opt.step()
    assert a.tolist() == [-0.5, -0.5] and b.tolist() == [1.0, 1.0]
    assert a._version == va + 1 and b._version == vb


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("Adam", dict(lr=0.01)),
        ("Adam", dict(lr=0.01, weight_decay=0.1, maximize=True)),
        ("AdamW", dict(lr=0.05, weight_decay=0.3)),
    ],
)
def test_adam_group_of_many_parameters_matches_torch(name: str, kw: dict[str, Any]) -> None:
    """Several parameters in one group (updated together), one of them without a gradient at one step,
    and the optimizer rebuilt from its state dict half way."""
    rng = np.random.default_rng(3)
    starts = [rng.standard_normal(s) for s in ((4, 3), (3,), (2, 2, 2))]
    grads = [[rng.standard_normal(a.shape) for a in starts] for _ in range(8)]
    results = []
    for lib in (rt, torch):
        ps = [lib.nn.Parameter(lib.tensor(a.copy())) for a in starts]
        opt = getattr(lib.optim, name)(ps, **kw)
        for step, gs in enumerate(grads):
            for i, (p, g) in enumerate(zip(ps, gs, strict=True)):
                p.grad = None if (step == 6 and i == 1) else lib.tensor(g.copy())
            opt.step()
            if step == 3:
                state = opt.state_dict()
                opt = getattr(lib.optim, name)(ps, **kw)
                opt.load_state_dict(state)
        results.append([p.detach().numpy().copy() for p in ps])
    for a, e in zip(*results, strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12)
