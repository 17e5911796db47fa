"""The "training" benchmark group: one training step of each example model (``examples/``).

Each case builds the example's model with the example's own ``make_model`` in torch, and for
rustytorch loads the very same initial weights into the rustytorch model, so that both libraries
train identical float32 networks. One timed call is one step of the example's training loop on a
fixed batch of the example's size: zero_grad, forward, loss, backward, (gradient clipping for the
transformer), optimizer step with the example's optimizer and hyperparameters, and the learning-rate
scheduler step. Data loading is left out (the batch is made once).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

Fn = Callable[[], Any]
EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
_loaded: dict[str, ModuleType] = {}


def load_example(name: str) -> ModuleType:
    """Import ``examples/<name>.py`` (the examples are scripts, not a package)."""
    if name in _loaded:
        return _loaded[name]
    sys.path.insert(0, EXAMPLES)
    try:
        spec = importlib.util.spec_from_file_location(f"_example_{name}", os.path.join(EXAMPLES, f"{name}.py"))
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(EXAMPLES)
    _loaded[name] = mod
    return mod


def twin_model(lib: str, build: Callable[[Any], Any]) -> Any:
    """``build(torch)`` seeded with 0; for rustytorch, ``build(rustytorch)`` holding the same weights."""
    import torch

    torch.manual_seed(0)
    t_model = build(torch)
    if lib == "torch":
        return t_model
    import rustytorch as rt

    r_model = build(rt)
    r_model.load_state_dict({k: rt.tensor(v.detach().numpy().copy()) for k, v in t_model.state_dict().items()})
    return r_model


def _lib(lib: str) -> Any:
    if lib == "torch":
        import torch

        return torch
    import rustytorch

    return rustytorch


def mlp_step(lib: str) -> Fn | None:
    """examples/mlp_digits.py: Flatten-Linear(64,128)-ReLU-Linear(128,10), Adam lr 1e-3, batch 64."""
    if lib == "numpy":
        return None
    mod, m = load_example("mlp_digits"), _lib(lib)
    model = twin_model(lib, lambda lib_: mod.make_model(lib_.nn))
    rng = np.random.default_rng(0)
    xb = m.tensor(rng.random((64, 8, 8)).astype(np.float32))
    yb = m.tensor(rng.integers(0, 10, 64))
    return sgd_like_step(model, m.optim.Adam(model.parameters(), lr=1e-3), m.nn.CrossEntropyLoss(), xb, yb)


def sgd_like_step(model: Any, opt: Any, loss_fn: Callable[[Any, Any], Any], xb: Any, yb: Any) -> Fn:
    """One plain training step (zero_grad, forward, loss, backward, optimizer step) as a closure."""

    def step() -> None:
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()

    return step


def cnn_step(lib: str) -> Fn | None:
    """examples/cnn_digits.py: two 3x3 convs, max pool, linear; AdamW lr 1e-2, cosine schedule, batch 64."""
    if lib == "numpy":
        return None
    mod, m = load_example("cnn_digits"), _lib(lib)
    model = twin_model(lib, lambda lib_: mod.make_model(lib_.nn))
    rng = np.random.default_rng(0)
    xb = m.tensor(rng.random((64, 1, 8, 8)).astype(np.float32))
    yb = m.tensor(rng.integers(0, 10, 64))
    opt = m.optim.AdamW(model.parameters(), lr=1e-2)
    sched = m.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=20 * 21)  # 20 epochs of 21 batches

    def step() -> None:
        opt.zero_grad()
        loss = m.nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        sched.step()

    return step


def transformer_step(lib: str) -> Fn | None:
    """examples/char_transformer.py: 2 blocks, 4 heads, n_embd 32, block 32, batch 16; AdamW lr 3e-3,
    weight decay 0.01, gradient clipping at 1.0, cosine schedule (the one-cycle schedule's second half)."""
    if lib == "numpy":
        return None
    mod, m = load_example("char_transformer"), _lib(lib)
    ids, vocab = mod.load_text()
    v = len(vocab)
    model = twin_model(lib, lambda lib_: mod.make_model(lib_, v, block_size=32))
    xa, ya = mod.batches(ids, 32, 16, np.random.default_rng(0))
    xb, yb = m.tensor(xa), m.tensor(ya).reshape(-1)
    opt = m.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    # OneCycleLR refuses to step past its total_steps, and the benchmark's number of calls is not
    # known in advance: a cosine schedule costs the same per step
    sched = m.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=1500)

    def step() -> None:
        logits = model(xb)
        loss = m.nn.functional.cross_entropy(logits.reshape(-1, v), yb)
        opt.zero_grad()
        loss.backward()
        m.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()

    return step


CASES: list[tuple[str, Callable[[str], Fn | None]]] = [
    ("MLP digits train step b64 (Adam)", mlp_step),
    ("CNN digits train step b64 (AdamW)", cnn_step),
    ("char transformer train step b16x32 (AdamW)", transformer_step),
]
