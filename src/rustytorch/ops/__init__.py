"""All ops. Each module defines its ops with ``_registry.Op`` and registers the public functions."""

from __future__ import annotations

from .activation import *  # noqa: F403
from .bitwise import *  # noqa: F403
from .compare import *  # noqa: F403
from .conversion import *  # noqa: F403
from .creation import *  # noqa: F403
from .elementwise import *  # noqa: F403
from .fill import *  # noqa: F403
from .indexing import *  # noqa: F403
from .indexing_scatter import *  # noqa: F403
from .indexing_select import *  # noqa: F403
from .join import *  # noqa: F403
from .linalg import *  # noqa: F403
from .math import *  # noqa: F403
from .movement import *  # noqa: F403
from .movement_copy import *  # noqa: F403
from .movement_dims import *  # noqa: F403
from .movement_strided import *  # noqa: F403
from .powdiv import *  # noqa: F403
from .random import *  # noqa: F403
from .reduction import *  # noqa: F403
from .reduction_minmax import *  # noqa: F403
from .reduction_quantile import *  # noqa: F403
from .reduction_scan import *  # noqa: F403
from .reduction_select import *  # noqa: F403
from .reduction_stats import *  # noqa: F403
from .rounding import *  # noqa: F403
from .sorting import *  # noqa: F403
from .ternary import *  # noqa: F403

# The public names are those the op modules export; the submodules themselves are not (rt.math is not a module).
import types as _types  # noqa: E402

__all__ = sorted(
    {
        name
        for _mod in list(globals().values())
        if isinstance(_mod, _types.ModuleType) and _mod.__name__.startswith(__name__ + ".")
        and not _mod.__name__.rpartition(".")[2].startswith("_")
        for name in getattr(_mod, "__all__", ())
        if name in globals()
    }
)
