"""A two-minute tour: tensors, views, autograd and a tiny fit.

Run: python examples/quickstart.py
"""

from __future__ import annotations

import rustytorch as rt

x = rt.arange(6.0).reshape(2, 3)
print("x =", x)
print("x.T is a view sharing storage:", x.T.untyped_storage().data_ptr() == x.untyped_storage().data_ptr())

w = rt.tensor([0.5, -1.0, 2.0], requires_grad=True)
loss = ((x @ w) ** 2).sum()
loss.backward()
print("loss =", loss.item(), " dloss/dw =", w.grad.tolist())

# fit y = 3x + 1 with SGD
rt.manual_seed(0)
xs = rt.linspace(-1, 1, 64).unsqueeze(1)
ys = 3 * xs + 1
model = rt.nn.Linear(1, 1)
opt = rt.optim.SGD(model.parameters(), lr=0.5)
for _ in range(100):
    opt.zero_grad()
    err = rt.nn.functional.mse_loss(model(xs), ys)
    err.backward()
    opt.step()
print(f"fit: weight {model.weight.item():.3f} (3), bias {model.bias.item():.3f} (1), mse {err.item():.2e}")
