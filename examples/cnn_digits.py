"""A small convolutional network on scikit-learn's bundled 8x8 digits (about 97% test accuracy).

Run: python examples/cnn_digits.py [--quick]
"""

from __future__ import annotations

from typing import Any

from _common import load_digits, parse_args, progress

import rustytorch as rt


def make_model(nn: Any) -> Any:
    """conv(1->8, 3x3) -> relu -> maxpool 2 -> conv(8->16, 3x3) -> relu -> flatten -> linear(64 -> 10)."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(16 * 2 * 2, 10),
    )


def train(epochs: int, seed: int = 0, batch_size: int = 64, lr: float = 1e-2) -> float:
    """Train with AdamW; returns the test accuracy."""
    rt.manual_seed(seed)
    xtr, ytr, xte, yte = load_digits(seed)
    ds = rt.utils.data.TensorDataset(rt.tensor(xtr[:, None]), rt.tensor(ytr))
    loader = rt.utils.data.DataLoader(
        ds, batch_size=batch_size, shuffle=True, generator=rt.Generator().manual_seed(seed)
    )
    model = make_model(rt.nn)
    opt = rt.optim.AdamW(model.parameters(), lr=lr)
    sched = rt.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, epochs * len(loader)))
    xt, yt = rt.tensor(xte[:, None]), rt.tensor(yte)
    acc = 0.0
    for epoch in range(epochs):
        model.train()
        for xb, yb in progress(loader, total=len(loader), desc=f"epoch {epoch + 1}"):
            opt.zero_grad()
            loss = rt.nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            sched.step()
        model.eval()
        with rt.no_grad():
            acc = (model(xt).argmax(1) == yt).float().mean().item()
        print(f"epoch {epoch + 1:2d}  last batch loss {loss.item():.4f}  test accuracy {acc:.3f}")
    return acc


def main() -> None:
    args = parse_args(__doc__ or "", epochs=20)
    acc = train(1 if args.quick else args.epochs, seed=args.seed)
    print(f"test accuracy {acc:.3f}")


if __name__ == "__main__":
    main()
