"""Op table rows: compare."""

from __future__ import annotations

from ._base import OpInfo

OPS: list[OpInfo] = []
