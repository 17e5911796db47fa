"""The benchmark cases: one definition per case, written once against the torch API and run with
``lib`` = ``torch`` or ``rustytorch`` (plus a NumPy equivalent where one exists).

A case's ``make(lib_name, quick)`` returns a zero-argument callable (one timed call) or None when
that library has no equivalent; an exception while making or first calling it marks the case "n/a"
for that library (an op not implemented yet), never a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from training import CASES as TRAINING_CASES
from training import sgd_like_step

Fn = Callable[[], Any]
LIBS = ("rustytorch", "torch", "numpy")


@dataclass
class Case:
    group: str
    name: str
    make: Callable[[str], Fn | None]
    target: float | None = None  # rustytorch/torch time ratio to reach (None: reported only)
    slow: bool = False  # a single call takes long: fewer repetitions


def lib_module(lib: str) -> Any:
    if lib == "torch":
        import torch

        return torch
    if lib == "rustytorch":
        import rustytorch

        return rustytorch
    return np


def as_tensor(lib: str, a: np.ndarray) -> Any:
    """A tensor (or, for NumPy, an array) holding a copy of ``a``."""
    a = np.array(a, copy=True)
    if lib == "numpy":
        return a
    return lib_module(lib).from_numpy(a)


def _rng() -> np.random.Generator:
    return np.random.default_rng(0)


# ------------------------------------------------------------------ small tensors (no grad)
def _small(op: str) -> Callable[[str], Fn | None]:
    def make(lib: str) -> Fn | None:
        rng = _rng()
        xa = rng.standard_normal((32, 32)).astype(np.float32)
        ya = rng.standard_normal((32, 32)).astype(np.float32)
        idxa = rng.integers(0, 32, size=16)
        x, y, idx = as_tensor(lib, xa), as_tensor(lib, ya), as_tensor(lib, idxa)
        m = lib_module(lib)
        if lib == "numpy":
            table: dict[str, Fn] = {
                "add": lambda: x + y,
                "mul": lambda: x * y,
                "exp": lambda: np.exp(x),
                "sum": lambda: x.sum(),
                "relu": lambda: np.maximum(x, 0),
                "reshape": lambda: x.reshape(16, 64),
                "transpose": lambda: x.swapaxes(0, 1),
                "slice": lambda: x[2:30:2, 1:],
                "index": lambda: x[idx],
                "matmul": lambda: x @ y,
            }
        else:
            table = {
                "add": lambda: x + y,
                "mul": lambda: x * y,
                "exp": lambda: m.exp(x),
                "sum": lambda: x.sum(),
                "relu": lambda: m.relu(x),
                "reshape": lambda: x.reshape(16, 64),
                "transpose": lambda: x.transpose(0, 1),
                "slice": lambda: x[2:30:2, 1:],
                "index": lambda: x[idx],
                "matmul": lambda: x @ y,
            }
        return table[op]

    return make


_SMALL_LABELS = {
    "add": "add 32x32",
    "mul": "mul 32x32",
    "exp": "exp 32x32",
    "sum": "sum 32x32",
    "relu": "relu 32x32",
    "reshape": "reshape 32x32 -> 16x64",
    "transpose": "transpose 32x32",
    "slice": "slice x[2:30:2, 1:]",
    "index": "x[int64 tensor of 16]",
    "matmul": "matmul 32x32",
}


# ------------------------------------------------------------------ large elementwise
def _large(op: str, n: int) -> Callable[[str], Fn | None]:
    def make(lib: str) -> Fn | None:
        rng = _rng()
        x = as_tensor(lib, rng.standard_normal(n).astype(np.float32))
        y = as_tensor(lib, rng.standard_normal(n).astype(np.float32))
        m = lib_module(lib)
        table: dict[str, Fn] = {
            "add": lambda: x + y,
            "mul": lambda: x * y,
            "exp": lambda: m.exp(x),
            "tanh": lambda: m.tanh(x),
        }
        return table[op]

    return make


# ------------------------------------------------------------------ reductions over the last dim
def _reduction(op: str) -> Callable[[str], Fn | None]:
    def make(lib: str) -> Fn | None:
        x = as_tensor(lib, _rng().standard_normal((1000, 1000)).astype(np.float32))
        if lib == "numpy":

            def softmax() -> Any:
                e = np.exp(x - x.max(-1, keepdims=True))
                return e / e.sum(-1, keepdims=True)

            table: dict[str, Fn] = {
                "sum": lambda: x.sum(-1),
                "mean": lambda: x.mean(-1),
                "max": lambda: (x.max(-1), x.argmax(-1)),
                "softmax": softmax,
            }
        else:
            m = lib_module(lib)
            table = {
                "sum": lambda: x.sum(-1),
                "mean": lambda: x.mean(-1),
                "max": lambda: x.max(-1),
                "softmax": lambda: m.softmax(x, -1),
            }
        return table[op]

    return make


# ------------------------------------------------------------------ matmul
def _matmul(n: int, dtype: Any) -> Callable[[str], Fn | None]:
    def make(lib: str) -> Fn | None:
        rng = _rng()
        a = as_tensor(lib, rng.standard_normal((n, n)).astype(dtype))
        b = as_tensor(lib, rng.standard_normal((n, n)).astype(dtype))
        return lambda: a @ b

    return make


# ------------------------------------------------------------------ autograd
def _chain(lib: str) -> Fn | None:
    """Forward + backward of 150 elementwise ops on a (10,) tensor: the per-op autograd overhead."""
    if lib == "numpy":
        return None
    m = lib_module(lib)
    x = m.tensor(_rng().standard_normal(10).astype(np.float32), requires_grad=True)
    steps: list[Callable[[Any], Any]] = [lambda y: y * 0.9, lambda y: y + 0.1, m.tanh, m.sin, lambda y: y - 0.05]

    def run() -> None:
        y = x
        for i in range(150):
            y = steps[i % 5](y)
        y.sum().backward()
        x.grad = None

    return run


def _mlp_step(lib: str) -> Fn | None:
    """One SGD training step of a 784-128-10 MLP (relu, cross-entropy) on a batch of 64."""
    if lib == "numpy":
        return None
    m = lib_module(lib)
    rng = _rng()
    xb = as_tensor(lib, rng.standard_normal((64, 784)).astype(np.float32))
    yb = as_tensor(lib, rng.integers(0, 10, size=64))
    if hasattr(m, "nn") and hasattr(m.nn, "Linear") and hasattr(m, "optim"):
        model = m.nn.Sequential(m.nn.Linear(784, 128), m.nn.ReLU(), m.nn.Linear(128, 10))
        return sgd_like_step(model, m.optim.SGD(model.parameters(), lr=0.01), m.nn.functional.cross_entropy, xb, yb)
    # raw tensor ops: x @ W1 + b1, relu, @ W2 + b2, log_softmax, gather (nll)
    params = [
        as_tensor(lib, rng.standard_normal((784, 128)).astype(np.float32) * 0.03),
        as_tensor(lib, np.zeros(128, np.float32)),
        as_tensor(lib, rng.standard_normal((128, 10)).astype(np.float32) * 0.09),
        as_tensor(lib, np.zeros(10, np.float32)),
    ]
    for p in params:
        p.requires_grad_(True)
    w1, b1, w2, b2 = params

    def raw_step() -> None:
        logits = m.relu(xb @ w1 + b1) @ w2 + b2
        loss = -m.log_softmax(logits, -1).gather(1, yb.unsqueeze(1)).mean()
        loss.backward()
        with m.no_grad():
            for p in params:
                p -= 0.01 * p.grad
                p.grad = None

    return raw_step


def all_cases(quick: bool) -> list[Case]:
    """Every case, in table order (``quick`` drops nothing: it only shortens the timing)."""
    cases = [Case("small", _SMALL_LABELS[op], _small(op)) for op in _SMALL_LABELS]
    for n, label in ((10**6, "1e6"), (10**7, "1e7")):
        cases += [Case("large", f"{op} float32 {label}", _large(op, n), 0.8) for op in ("add", "mul", "exp", "tanh")]
    for op in ("sum", "mean", "max", "softmax"):
        cases.append(Case("reduction", f"{op} 1000x1000 dim=-1", _reduction(op), 1.0))
    for dt in (np.float32, np.float64):
        for n in (512, 1024, 2048):
            cases.append(Case("matmul", f"matmul {n} {np.dtype(dt).name}", _matmul(n, dt), 1.0, slow=n >= 1024))
    cases.append(Case("autograd", "150-op chain fwd+bwd (10,)", _chain, 0.8))
    cases.append(Case("autograd", "MLP 784-128-10 train step b64", _mlp_step, 0.8))
    cases += [Case("training", name, make, 1.0) for name, make in TRAINING_CASES]
    return cases
