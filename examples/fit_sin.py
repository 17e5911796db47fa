"""Fit sin(x) on [-pi, pi] with a cubic polynomial, using raw tensors and autograd (no nn, no optim).

Run: python examples/fit_sin.py [--quick]
"""

from __future__ import annotations

import math

from _common import parse_args

import rustytorch as rt


def fit(steps: int, lr: float = 1e-6, seed: int = 0) -> tuple[list[float], float]:
    """Gradient descent on y = a + b x + c x^2 + d x^3; returns the coefficients and the final loss."""
    rt.manual_seed(seed)
    x = rt.linspace(-math.pi, math.pi, 2000, dtype=rt.float64)
    y = rt.sin(x)
    a, b, c, d = (rt.randn((), dtype=rt.float64, requires_grad=True) for _ in range(4))
    loss = rt.tensor(0.0)
    for t in range(steps):
        y_pred = a + b * x + c * x**2 + d * x**3
        loss = (y_pred - y).pow(2).sum()
        if t % 500 == 99:
            print(f"step {t:5d}  loss {loss.item():.4f}")
        loss.backward()
        with rt.no_grad():
            for p in (a, b, c, d):
                p -= lr * p.grad
                p.grad = None
    return [a.item(), b.item(), c.item(), d.item()], loss.item()


def main() -> None:
    args = parse_args(__doc__ or "")
    coeffs, loss = fit(300 if args.quick else 3000, seed=args.seed)
    a, b, c, d = coeffs
    print(f"final loss {loss:.4f}")
    print(f"y = {a:.4f} + {b:.4f} x + {c:.4f} x^2 + {d:.4f} x^3")


if __name__ == "__main__":
    main()
