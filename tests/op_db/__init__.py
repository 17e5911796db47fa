"""The op table: every public op's row, gathered from one module per family."""

from __future__ import annotations

from . import (
    activation,
    compare,
    conversion,
    creation,
    elementwise,
    indexing,
    join,
    linalg,
    math,
    movement,
    nn,
    random,
    reduction,
    sorting,
)
from ._base import OpInfo

OP_DB: list[OpInfo] = [
    *elementwise.OPS,
    *math.OPS,
    *compare.OPS,
    *activation.OPS,
    *reduction.OPS,
    *sorting.OPS,
    *movement.OPS,
    *join.OPS,
    *indexing.OPS,
    *linalg.OPS,
    *creation.OPS,
    *random.OPS,
    *conversion.OPS,
    *nn.OPS,
]
