"""``Parameter``: a tensor that a ``Module`` registers as one of its parameters."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _make

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A leaf tensor that is a module parameter (``requires_grad=True`` by default), as ``torch.nn.Parameter``.

    Assigning a ``Parameter`` as a module attribute registers it in ``parameters()``. The
    parameter shares memory with ``data`` but is a new leaf of the graph; ``data=None`` gives an
    empty tensor of the default dtype. Results of ops on a parameter are plain tensors, and
    ``copy.deepcopy``/pickling copy the data and ``requires_grad`` but not ``.grad``, as torch.

    Parameters
    ----------
    data : Tensor, optional
        The initial value.
    requires_grad : bool, default True
        Whether the parameter requires gradients (only floating-point ones can).

    Examples
    --------
    >>> import rustytorch as rt
    >>> p = rt.nn.Parameter(rt.zeros(2))
    >>> p.requires_grad, isinstance(p, rt.Tensor), type(p * 2).__name__
    (True, True, 'Tensor')
    """

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        if data is None:
            from .. import _dtype

            arr = np.empty((0,), dtype=_dtype.get_default_dtype().np)
            p = _make(arr, cls=cls)
        else:
            if not isinstance(data, Tensor):
                raise TypeError(f"Parameter: expected a Tensor, got {type(data).__name__}")
            p = _make(data._data, cls=cls)
            p._storage = data._get_storage()  # shares memory with data, but is not a view (as torch)
        if requires_grad:
            p.requires_grad_(True)
        return p  # type: ignore[return-value]

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return (_rebuild_parameter, (self._data.copy(), self._requires_grad))

    def __deepcopy__(self, memo: dict[int, Any]) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]  # type: ignore[no-any-return]
        p = type(self)(_make(self._data.copy()), self._requires_grad)  # torch does not copy .grad
        memo[id(self)] = p
        return p


def _rebuild_parameter(data: np.ndarray, requires_grad: bool) -> Parameter:
    return Parameter(_make(data), requires_grad)
