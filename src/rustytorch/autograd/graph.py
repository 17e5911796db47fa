"""Graph utilities: saved-tensor hooks (and, later, the saved-tensors report)."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

SAVED_TENSOR_HOOKS: contextvars.ContextVar[tuple[tuple[Callable[..., Any], Callable[..., Any]], ...]] = (
    contextvars.ContextVar("rustytorch_saved_tensor_hooks", default=())
)
