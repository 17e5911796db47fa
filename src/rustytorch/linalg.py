"""``rustytorch.linalg``: linear algebra functions with ``torch.linalg``'s names and semantics.

The ops are defined in ``rustytorch.ops.linalg*`` (registered as ``linalg.<name>``); vector norms in
``rustytorch.ops.reduction_stats``.

Examples
--------
>>> import rustytorch as rt
>>> A = rt.tensor([[2.0, 1.0], [1.0, 3.0]])
>>> rt.linalg.det(A), rt.linalg.solve(A, rt.tensor([3.0, 4.0]))
(tensor(5.), tensor([1., 1.]))
"""

from __future__ import annotations

from .ops._registry import OPS
from .ops.linalg import matmul
from .ops.linalg_decomp import LinAlgError
from .ops.linalg_decomp import linalg_cholesky as cholesky
from .ops.linalg_decomp import linalg_det as det
from .ops.linalg_decomp import linalg_inv as inv
from .ops.linalg_decomp import linalg_qr_fn as qr
from .ops.linalg_decomp import linalg_slogdet_fn as slogdet
from .ops.linalg_decomp import linalg_solve as solve
from .ops.linalg_norm import linalg_matrix_norm as matrix_norm
from .ops.linalg_norm import linalg_matrix_power as matrix_power
from .ops.linalg_norm import linalg_multi_dot as multi_dot
from .ops.linalg_norm import linalg_norm as norm
from .ops.linalg_norm import linalg_vecdot as vecdot
from .ops.linalg_spectral import linalg_eigh_fn as eigh
from .ops.linalg_spectral import linalg_eigvalsh as eigvalsh
from .ops.linalg_spectral import linalg_matrix_rank as matrix_rank
from .ops.linalg_spectral import linalg_pinv as pinv
from .ops.linalg_spectral import linalg_svd_fn as svd
from .ops.linalg_spectral import linalg_svdvals as svdvals

vector_norm = OPS["linalg.vector_norm"]

__all__ = [
    "LinAlgError",
    "cholesky",
    "det",
    "eigh",
    "eigvalsh",
    "inv",
    "matmul",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "vecdot",
    "vector_norm",
]
