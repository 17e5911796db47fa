"""Op table rows: creation."""

from __future__ import annotations

from ._base import OpInfo

OPS: list[OpInfo] = []
