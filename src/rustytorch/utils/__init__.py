"""Utilities: ``rustytorch.utils.data`` (datasets and data loading)."""

from __future__ import annotations

from . import data

__all__ = ["data"]
