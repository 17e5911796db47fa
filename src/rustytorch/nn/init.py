"""Parameter initialisation, as ``torch.nn.init`` (fills tensors in place, outside the graph)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import no_grad

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "ones_",
    "zeros_",
    "eye_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
]


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity, as ``torch.nn.init.calculate_gain``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.init.calculate_gain("relu")
    1.4142135623730951
    """
    linear = (
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
        "sigmoid",
    )
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if not isinstance(slope, int | float) or isinstance(slope, bool):
            raise ValueError(f"negative_slope {slope} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _fans(t: Tensor) -> tuple[int, int]:
    if t.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive = int(np.prod(t.shape[2:])) if t.dim() > 2 else 1
    return t.shape[1] * receptive, t.shape[0] * receptive


def _fill(t: Tensor, values: np.ndarray, op: str) -> Tensor:
    with no_grad():
        t._data[...] = values.astype(t._data.dtype, copy=False)
        t._bump_version(op)
    return t


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with values drawn from U(a, b).

    Examples
    --------
    >>> import rustytorch as rt
    >>> w = rt.nn.init.uniform_(rt.empty(100), -1, 1); bool((w.abs() <= 1).all())
    True
    """
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)  # type: ignore[no-any-return]


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with values drawn from N(mean, std²).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.init.normal_(rt.empty(2, 3)).shape
    rustytorch.Size([2, 3])
    """
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)  # type: ignore[no-any-return]


def trunc_normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0, generator: Any = None
) -> Tensor:
    """Fill with N(mean, std²) values truncated to [a, b] (values outside are redrawn until all fit).

    Examples
    --------
    >>> import rustytorch as rt
    >>> w = rt.nn.init.trunc_normal_(rt.empty(1000), std=1.0, a=-0.5, b=0.5); bool((w.abs() <= 0.5).all())
    True
    """
    if not a < b:
        raise ValueError(f"trunc_normal_: expected a < b, got a={a}, b={b}")
    out = np.empty(tensor.shape, dtype=np.float64).reshape(-1)
    todo = np.arange(out.size)
    from ..ops.creation import empty

    while todo.size:
        scratch = empty(todo.size, dtype=tensor.dtype if tensor.is_floating_point() else None)
        with no_grad():
            scratch.normal_(mean, std, generator=generator)
        v = scratch._data.astype(np.float64)
        ok = (v >= a) & (v <= b)
        out[todo[ok]] = v[ok]
        todo = todo[~ok]
    return _fill(tensor, out.reshape(tensor.shape), "trunc_normal_")


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.init.constant_(rt.empty(2), 0.5)
    tensor([0.5000, 0.5000])
    """
    return _fill(tensor, np.full(tensor.shape, val), "constant_")


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.init.ones_(rt.empty(2))
    tensor([1., 1.])
    """
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.init.zeros_(rt.empty(2))
    tensor([0., 0.])
    """
    return constant_(tensor, 0.0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.init.eye_(rt.empty(2, 2))
    tensor([[1., 0.],
            [0., 1.]])
    """
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, np.eye(*tensor.shape), "eye_")


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Glorot uniform: U(-a, a) with a = gain·sqrt(6 / (fan_in + fan_out)).

    Examples
    --------
    >>> import rustytorch as rt
    >>> w = rt.nn.init.xavier_uniform_(rt.empty(3, 5)); bool((w.abs() <= (6 / 8) ** 0.5).all())
    True
    """
    fan_in, fan_out = _fans(tensor)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Glorot normal: N(0, std²) with std = gain·sqrt(2 / (fan_in + fan_out)).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.init.xavier_normal_(rt.empty(3, 5)).shape
    rustytorch.Size([3, 5])
    """
    fan_in, fan_out = _fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _fans(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator: Any = None
) -> Tensor:
    """He uniform: U(-b, b) with b = gain·sqrt(3 / fan).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.init.kaiming_uniform_(rt.empty(4, 3), a=5 ** 0.5).shape
    rustytorch.Size([4, 3])
    """
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator: Any = None
) -> Tensor:
    """He normal: N(0, std²) with std = gain / sqrt(fan).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.init.kaiming_normal_(rt.empty(4, 3)).shape
    rustytorch.Size([4, 3])
    """
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix (QR of a Gaussian matrix, signs fixed as torch).

    Examples
    --------
    >>> import rustytorch as rt
    >>> w = rt.nn.init.orthogonal_(rt.empty(3, 3)); bool(((w @ w.T) - rt.eye(3)).abs().max() < 1e-5)
    True
    """
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    from ..ops.creation import empty

    g = empty(rows, cols, dtype=tensor.dtype)
    with no_grad():
        g.normal_(0.0, 1.0, generator=generator)
    flat = g._data.astype(np.float64)
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape), "orthogonal_")
