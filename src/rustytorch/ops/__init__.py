"""All ops. Each module defines its ops with ``_registry.Op`` and registers the public functions."""

from __future__ import annotations

from .activation import *
from .bitwise import *
from .compare import *
from .conversion import *
from .creation import *
from .elementwise import *
from .fill import *
from .indexing import *
from .indexing_scatter import *
from .indexing_select import *
from .join import *
from .linalg import *
from .math import *
from .movement import *
from .movement_copy import *
from .movement_dims import *
from .movement_strided import *
from .powdiv import *
from .random import *
from .reduction import *
from .reduction_minmax import *
from .reduction_quantile import *
from .reduction_scan import *
from .reduction_select import *
from .reduction_stats import *
from .rounding import *
from .sorting import *
from .ternary import *

# The public names are those the op modules export; the submodules themselves are not (rt.math is not a module).
import types as _types

__all__ = sorted(
    {
        name
        for _mod in list(globals().values())
        if isinstance(_mod, _types.ModuleType)
        and _mod.__name__.startswith(__name__ + ".")
        and not _mod.__name__.rpartition(".")[2].startswith("_")
        for name in getattr(_mod, "__all__", ())
        if name in globals()
    }
)
