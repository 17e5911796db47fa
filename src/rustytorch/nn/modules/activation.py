"""Activation layers: thin modules over the functional forms."""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..module import Module

__all__ = ["ReLU", "GELU", "SiLU", "LeakyReLU", "Tanh", "Sigmoid", "Softmax", "LogSoftmax"]


class ReLU(Module):
    """``max(x, 0)``, as ``torch.nn.ReLU``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.ReLU()(rt.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Any) -> Any:
        return F.relu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class GELU(Module):
    """GELU, as ``torch.nn.GELU``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.GELU()
    GELU(approximate='none')
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Any) -> Any:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """``x·sigmoid(x)``, as ``torch.nn.SiLU``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.SiLU()(rt.tensor([0.0]))
    tensor([0.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Any) -> Any:
        return F.silu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """Leaky ReLU, as ``torch.nn.LeakyReLU``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.LeakyReLU(0.5)(rt.tensor([-2.0]))
    tensor([-1.])
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Any) -> Any:
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Tanh(Module):
    """``tanh(x)``, as ``torch.nn.Tanh``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.Tanh()(rt.tensor([0.0]))
    tensor([0.])
    """

    def forward(self, input: Any) -> Any:
        return F.tanh(input)


class Sigmoid(Module):
    """``1 / (1 + exp(-x))``, as ``torch.nn.Sigmoid``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.Sigmoid()(rt.tensor([0.0]))
    tensor([0.5000])
    """

    def forward(self, input: Any) -> Any:
        return F.sigmoid(input)


class Softmax(Module):
    """Softmax over ``dim``, as ``torch.nn.Softmax``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.Softmax(dim=0)(rt.tensor([0.0, 0.0]))
    tensor([0.5000, 0.5000])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Any) -> Any:
        return F.softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """Log-softmax over ``dim``, as ``torch.nn.LogSoftmax``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.LogSoftmax(dim=0)(rt.tensor([0.0, 0.0]))
    tensor([-0.6931, -0.6931])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Any) -> Any:
        return F.log_softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
