"""A multilayer perceptron on scikit-learn's bundled 8x8 digits (>= 95% test accuracy).

Run: python examples/mlp_digits.py [--quick]
"""

from __future__ import annotations

from typing import Any

from _common import load_digits, parse_args, progress

import rustytorch as rt


def make_model(nn: Any) -> Any:
    """The same architecture in rustytorch or torch (pass ``rt.nn`` or ``torch.nn``)."""
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def accuracy(model: Any, x: rt.Tensor, y: rt.Tensor) -> float:
    """Fraction of correctly classified samples."""
    with rt.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def train(epochs: int, seed: int = 0, batch_size: int = 64, lr: float = 1e-3) -> float:
    """Train with Adam and cross-entropy; returns the test accuracy."""
    rt.manual_seed(seed)
    xtr, ytr, xte, yte = load_digits(seed)
    train_ds = rt.utils.data.TensorDataset(rt.tensor(xtr), rt.tensor(ytr))
    loader = rt.utils.data.DataLoader(
        train_ds, batch_size=batch_size, shuffle=True, generator=rt.Generator().manual_seed(seed)
    )
    model = make_model(rt.nn)
    opt = rt.optim.Adam(model.parameters(), lr=lr)
    loss_fn = rt.nn.CrossEntropyLoss()
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for xb, yb in progress(loader, total=len(loader), desc=f"epoch {epoch + 1}"):
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        model.eval()
        acc = accuracy(model, rt.tensor(xte), rt.tensor(yte))
        print(f"epoch {epoch + 1:2d}  train loss {total / len(train_ds):.4f}  test accuracy {acc:.3f}")
    return accuracy(model, rt.tensor(xte), rt.tensor(yte))


def main() -> None:
    args = parse_args(__doc__ or "", epochs=30)
    acc = train(2 if args.quick else args.epochs, seed=args.seed)
    print(f"test accuracy {acc:.3f}")
    if not args.quick and acc < 0.95:
        raise SystemExit(f"accuracy {acc:.3f} is below the 0.95 target")


if __name__ == "__main__":
    main()
