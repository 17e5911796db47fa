"""Printing tensors as torch does (placeholder: filled in by the printing work)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ._tensor import Tensor


def tensor_repr(t: Tensor) -> str:
    body = np.array2string(t._data, separator=", ", prefix="tensor(")
    return f"tensor({body})"
