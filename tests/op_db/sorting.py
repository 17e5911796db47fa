"""Op table rows: sorting."""

from __future__ import annotations

from ._base import OpInfo

OPS: list[OpInfo] = []
