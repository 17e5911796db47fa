"""The examples run end to end (``--quick``), and their models train identically in rustytorch and torch."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import rustytorch as rt

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def _load(name: str) -> ModuleType:
    sys.path.insert(0, EXAMPLES)
    try:
        spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, f"{name}.py"))
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path.remove(EXAMPLES)


@pytest.mark.parametrize("name", ["fit_sin", "mlp_digits", "cnn_digits", "char_transformer"])
def test_example_runs_quick(name: str) -> None:
    if name != "fit_sin":
        pytest.importorskip("sklearn") if "digits" in name else None
    proc = subprocess.run(
        [sys.executable, os.path.join(EXAMPLES, f"{name}.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip(), "the example printed nothing"


def test_fit_sin_reduces_the_loss() -> None:
    mod = _load("fit_sin")
    _, loss_short = mod.fit(50)
    _, loss_long = mod.fit(600)
    assert loss_long < loss_short


# ---------------------------------------------------------------------------------------- parity
torch = pytest.importorskip("torch")


def _copy(t_model: Any, r_model: Any) -> None:
    r_model.load_state_dict({k: rt.tensor(v.detach().numpy().copy()) for k, v in t_model.state_dict().items()})


def _run_parity(
    make: Any, batches: list[tuple[np.ndarray, np.ndarray]], opt_name: str, lr: float, loss_of: Any
) -> None:
    torch.manual_seed(0)
    t_model = make(torch).double()
    r_model = make(rt).double()
    _copy(t_model, r_model)
    t_opt = getattr(torch.optim, opt_name)(t_model.parameters(), lr=lr)
    r_opt = getattr(rt.optim, opt_name)(r_model.parameters(), lr=lr)
    for step, (x, y) in enumerate(batches):
        losses = []
        for lib, model, opt in ((torch, t_model, t_opt), (rt, r_model, r_opt)):
            opt.zero_grad()
            loss = loss_of(lib, model, lib.tensor(x), lib.tensor(y))
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert abs(losses[0] - losses[1]) <= 1e-9 * max(1.0, abs(losses[0])), f"step {step}: loss {losses}"
    t_params = dict(t_model.named_parameters())
    for name, p in r_model.named_parameters():
        np.testing.assert_allclose(
            p.detach().numpy(), t_params[name].detach().numpy(), rtol=1e-8, atol=1e-10, err_msg=name
        )


def _ce(lib: Any, model: Any, x: Any, y: Any) -> Any:
    return lib.nn.functional.cross_entropy(model(x), y)


def test_mlp_trains_identically_to_torch() -> None:
    mod = _load("mlp_digits")
    rng = np.random.default_rng(0)
    batches = [(rng.random((16, 8, 8)), rng.integers(0, 10, 16)) for _ in range(20)]
    _run_parity(lambda lib: mod.make_model(lib.nn), batches, "Adam", 1e-2, _ce)


def test_cnn_trains_identically_to_torch() -> None:
    mod = _load("cnn_digits")
    rng = np.random.default_rng(1)
    batches = [(rng.random((8, 1, 8, 8)), rng.integers(0, 10, 8)) for _ in range(20)]
    _run_parity(lambda lib: mod.make_model(lib.nn), batches, "AdamW", 1e-2, _ce)


def test_transformer_trains_identically_to_torch() -> None:
    mod = _load("char_transformer")
    ids, vocab = mod.load_text()
    rng = np.random.default_rng(2)
    batches = [mod.batches(ids, 16, 4, rng) for _ in range(20)]
    v = len(vocab)

    def loss_of(lib: Any, model: Any, x: Any, y: Any) -> Any:
        return lib.nn.functional.cross_entropy(model(x).reshape(-1, v), y.reshape(-1))

    _run_parity(
        lambda lib: mod.make_model(lib, v, block_size=16, n_embd=16, n_head=2, n_layer=2),
        batches,
        "AdamW",
        3e-3,
        loss_of,
    )
