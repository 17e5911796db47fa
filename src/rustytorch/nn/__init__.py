"""Neural-network building blocks: ``Module``, ``Parameter``, layers, losses and ``functional``."""

from __future__ import annotations

from .module import Module
from .parameter import Parameter

__all__ = ["Module", "Parameter"]
