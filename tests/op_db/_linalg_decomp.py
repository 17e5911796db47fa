"""Op table rows: ``rt.linalg`` factorisations, solve, norms and their top-level aliases.

Matrices are built well conditioned (``X + n I``) or positive-definite (``X X^T + n I``) so that the
gradients are well defined. Singular and eigen vectors are defined up to sign, so the svd / eigh rows
compare gauge-invariant functions of the factors (``U * U``, ``S``, ``Vh * Vh``), as torch's OpInfos do.
Samples with more than 24 elements are forward-only in the generic tests (singular matrices, modes
that are not differentiable).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import rustytorch as rt

try:
    import torch
except ImportError:  # pragma: no cover - torch is installed in CI
    torch = None

from ._base import FLOATS, ErrorSample, OpInfo, Sample, make

F32, F64 = np.float32, np.float64
Maker = Callable[[tuple[int, ...], Any, np.random.Generator], np.ndarray]


def z(*shape: int, dt: Any = F32) -> np.ndarray:
    return np.zeros(shape, dtype=dt)


def err(args: tuple[Any, ...], exc: type[BaseException], match: str, **kw: Any) -> ErrorSample:
    return ErrorSample(Sample(args, kw), exc, match)


def wellcond(shape: tuple[int, ...], dtype: Any, rng: np.random.Generator) -> np.ndarray:
    """A random (batch of) square matrix ``X + n I`` with ``X`` in [-1, 1): far from singular."""
    n = shape[-1]
    return (rng.uniform(-1, 1, shape) + n * np.eye(n)).astype(dtype.np)


def posdef(shape: tuple[int, ...], dtype: Any, rng: np.random.Generator) -> np.ndarray:
    """A random symmetric positive-definite (batch of) matrix ``X X^T + I``."""
    x = rng.uniform(-1, 1, shape)
    return (x @ np.swapaxes(x, -1, -2) + np.eye(shape[-1])).astype(dtype.np)


def rand(shape: tuple[int, ...], dtype: Any, rng: np.random.Generator) -> np.ndarray:
    return make(shape, dtype, rng, -1, 1)


def samples(
    maker: Maker, shapes: Sequence[tuple[int, ...]], kwargs: Sequence[dict[str, Any]] = ({},), extra: Any = None
) -> Callable[[Any, np.random.Generator], list[Sample]]:
    """One sample per shape x kwargs, inputs from ``maker``; ``extra(dtype, rng)`` adds special samples."""

    def f(dtype: Any, rng: np.random.Generator) -> list[Sample]:
        out = [Sample((maker(s, dtype, rng),), dict(kw), name=f"{list(s)} {kw}") for s in shapes for kw in kwargs]
        if extra is not None:
            out.extend(extra(dtype, rng))
        return out

    return f


SQUARE = ((3, 3), (2, 2, 2), (1, 1), (0, 0), (2, 0, 0))


def singular(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    """Forward-only (25 elements): an exactly singular 5x5 matrix (a zero row)."""
    a = rng.uniform(-1, 1, (5, 5)).astype(dtype.np)
    a[2] = 0
    return [Sample((a,), name="singular 5x5")]


def negdet(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    a = wellcond((3, 3), dtype, rng)
    a[0] *= -1
    return [Sample((a,), name="negative determinant")]


def square_errors(op: str, fn_errors: Sequence[ErrorSample] = ()) -> Callable[[], list[ErrorSample]]:
    def f() -> list[ErrorSample]:
        return [
            err((z(2, 3),), RuntimeError, rf"{op}.*square.*2 by 3"),
            err((z(3),), RuntimeError, rf"{op}.*at least 2 dimensions"),
            err((np.zeros((2, 2), np.int64),), RuntimeError, rf"{op}.*floating point.*int64"),
            err((z(2, 2, dt=np.float16),), RuntimeError, rf"{op}.*Low precision.*float16"),
            *fn_errors,
        ]

    return f


def sym(A: Any) -> Any:
    """``(A + A^T) / 2`` for rustytorch and torch tensors (non-square inputs unchanged, for error samples)."""
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        return A
    return (A + A.mT) * 0.5


def lib(x: Any) -> Any:
    return rt if isinstance(x, rt.Tensor) else torch


def svd_gauge(A: Any, **kw: Any) -> tuple[Any, ...]:
    U, S, Vh = lib(A).linalg.svd(A, **kw)
    k = S.shape[-1]
    U, Vh = U[..., :k], Vh[..., :k, :]
    return U * U, S, Vh * Vh


def old_svd_gauge(A: Any, **kw: Any) -> tuple[Any, ...]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        U, S, V = lib(A).svd(A, **kw)
    k = S.shape[-1]
    return U[..., :k] * U[..., :k], S, V[..., :k] * V[..., :k]


def eigh_gauge(A: Any, **kw: Any) -> tuple[Any, Any]:
    L, V = lib(A).linalg.eigh(sym(A), **kw)
    return L, V * V


def quiet(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A deprecated torch function called without its deprecation warning."""

    def f(*args: Any, **kw: Any) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args, **kw)

    return f


def solve_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    cases: list[tuple[tuple[int, ...], tuple[int, ...], dict[str, Any]]] = [
        ((3, 3), (3,), {}),
        ((3, 3), (3, 2), {}),
        ((2, 3, 3), (2, 3), {}),  # B.shape == A.shape[:-1]: a batch of vectors
        ((2, 3, 3), (3, 2), {}),  # B broadcast over the batch
        ((3, 3), (2, 3, 1), {}),  # A broadcast over B's batch
        ((2, 1, 2, 2), (3, 2, 1), {}),
        ((2, 3, 3), (3,), {}),
        ((3, 3), (2, 3), {"left": False}),
        ((0, 0), (0,), {}),
        ((3, 3), (3, 0), {}),
    ]
    return [Sample((wellcond(a, dtype, rng), rand(b, dtype, rng)), kw, name=f"{a} {b} {kw}") for a, b, kw in cases]


def qr_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    cases: list[tuple[tuple[int, ...], dict[str, Any]]] = [
        ((3, 2), {}),
        ((2, 3), {}),
        ((3, 3), {}),
        ((2, 3, 2), {}),
        ((2, 4), {"mode": "complete"}),
        ((3, 3), {"mode": "complete"}),
        ((6, 5), {"mode": "complete"}),  # forward only: not differentiable (nrows > ncols)
        ((6, 5), {"mode": "r"}),  # forward only: no Q
        ((0, 2), {}),
    ]
    return [
        Sample((wellcond(s, dtype, rng) if s[-1] == s[-2] else rand(s, dtype, rng),), kw, name=f"{s} {kw}")
        for s, kw in cases
    ]


def norm_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    out = []
    for o in ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf):
        out.append(Sample((rand((3, 2), dtype, rng),), {"ord": o}, name=f"ord={o}"))
        out.append(Sample((rand((2, 2, 3), dtype, rng),), {"ord": o, "keepdim": True}, name=f"ord={o} keepdim"))
        out.append(Sample((rand((2, 3, 2), dtype, rng),), {"ord": o, "dim": (2, 0)}, name=f"ord={o} dim=(2, 0)"))
    out.append(Sample((rand((3, 3), dtype, rng),), {"dtype": rt.float64}, name="dtype float64"))
    out.append(Sample((rand((0, 3), dtype, rng),), {"ord": "fro"}, name="empty"))
    return out


def linalg_norm_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    kws: list[dict[str, Any]] = [
        {},
        {"ord": 2},
        {"ord": "fro"},
        {"ord": "nuc"},
        {"ord": math.inf},
        {"dim": 1},
        {"ord": 1, "dim": 0},
        {"dim": (0, 1), "ord": -2},
        {"keepdim": True},
        {"ord": 3, "dim": -1},
    ]
    out = [Sample((rand((3, 2), dtype, rng),), kw, name=str(kw)) for kw in kws]
    out.append(Sample((rand((2, 2, 3), dtype, rng),), {}, name="3-D flattened"))
    out.append(Sample((rand((4,), dtype, rng),), {"ord": 1}, name="1-D ord 1"))
    return out


def matrix_rank_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    x = rng.uniform(-1, 1, (4, 2))
    low = (x @ x.T).astype(dtype.np)  # rank 2
    return [
        Sample((wellcond((3, 3), dtype, rng),), name="full rank"),
        Sample((low,), name="rank 2"),
        Sample((low,), {"hermitian": True}, name="hermitian"),
        Sample((low,), {"atol": 1.0, "rtol": 0.0}, name="atol"),
        Sample((rand((2, 3, 4), dtype, rng),), name="batch"),
        Sample((z(0, 3, dt=dtype.np),), name="empty"),
    ]


def pinv_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    x = rng.uniform(-1, 1, (5, 2))
    return [
        Sample((rand((3, 2), dtype, rng),), name="tall"),
        Sample((rand((2, 3), dtype, rng),), name="wide"),
        Sample((wellcond((3, 3), dtype, rng),), name="square"),
        Sample((rand((2, 3, 2), dtype, rng),), name="batch"),
        Sample((posdef((3, 3), dtype, rng),), {"hermitian": True}, name="hermitian"),
        Sample(((x @ x.T).astype(dtype.np),), name="rank-deficient 5x5"),
        Sample((z(0, 3, dt=dtype.np),), name="empty"),
    ]


def power_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    cases = [((3, 3), 3), ((2, 2, 2), 2), ((3, 3), 0), ((3, 3), 1), ((2, 2), -2), ((0, 0), 2)]
    return [
        Sample((wellcond(s, dtype, rng), n), name=f"{s} n={n}") for s, n in cases if n >= 0 or dtype.is_floating_point
    ]


def pinv_op(A: Any, **kw: Any) -> Any:
    return lib(A).linalg.pinv(sym(A) if kw.get("hermitian") else A, **kw)


def cholesky_errors() -> list[ErrorSample]:
    notpd = np.diag(np.array([1.0, -1.0, 1.0], np.float32))
    return [
        err((notpd,), rt.linalg.LinAlgError, r"linalg.cholesky.*not positive-definite.*order 2"),
        err((np.stack([np.eye(2, dtype=F32), -np.eye(2, dtype=F32)]),), RuntimeError, r"cholesky.*Batch element 1"),
        err((z(2, 3),), RuntimeError, r"linalg.cholesky.*square.*2 by 3"),
    ]


INV_ERRORS = [
    err((z(3, 3),), rt.linalg.LinAlgError, r"linalg.inv.*singular"),
    err((np.stack([np.eye(2, dtype=F32), z(2, 2)]),), RuntimeError, r"linalg.inv.*Batch element 1.*singular"),
]
L = rt.linalg


def T(name: str) -> Any:
    """``torch.linalg.<name>`` (looked up at call time, so the table imports without torch)."""
    if torch is None:  # pragma: no cover
        return None

    def f(*args: Any, **kw: Any) -> Any:
        return getattr(torch.linalg, name)(*args, **kw)

    return f


DECOMP_OPS: list[OpInfo] = [
    OpInfo(
        "linalg.inv",
        samples(wellcond, SQUARE),
        op=L.inv,
        torch_op=T("inv"),
        ref=np.linalg.inv,
        method=False,
        errors=square_errors("linalg.inv", INV_ERRORS),
    ),
    OpInfo(
        "inverse",
        samples(wellcond, SQUARE[:2]),
        ref=np.linalg.inv,
        errors=lambda: [err((z(3, 3),), RuntimeError, r"linalg.inv.*singular")],
    ),
    OpInfo(
        "linalg.det",
        samples(wellcond, SQUARE, extra=lambda d, r: singular(d, r) + negdet(d, r)),
        op=L.det,
        torch_op=T("det"),
        ref=np.linalg.det,
        method=False,
        errors=square_errors("linalg.det"),
    ),
    OpInfo("det", samples(wellcond, SQUARE[:2], extra=negdet), ref=np.linalg.det),
    OpInfo(
        "linalg.slogdet",
        samples(wellcond, SQUARE, extra=lambda d, r: singular(d, r) + negdet(d, r)),
        op=L.slogdet,
        torch_op=T("slogdet"),
        method=False,
        errors=square_errors("linalg.slogdet"),
    ),
    OpInfo("slogdet", samples(wellcond, SQUARE[:2], extra=negdet)),
    OpInfo(
        "logdet",
        samples(
            posdef,
            SQUARE[:2],
            extra=lambda d, r: [Sample((np.diag(np.arange(-3.0, 2.0)).astype(d.np),), name="negative det 5x5")],
        ),
    ),
    OpInfo(
        "linalg.solve",
        solve_samples,
        op=L.solve,
        torch_op=T("solve"),
        method=False,
        errors=lambda: [
            err((np.eye(3, dtype=F32), z(4)), RuntimeError, r"linalg.solve.*\(3x3 and 4x1\)"),
            err((np.eye(3, dtype=F32), z(4, 3)), RuntimeError, r"linalg.solve.*\(3x3 and 4x3\)"),
            err((np.eye(3, dtype=F32), z(3, dt=F64)), RuntimeError, r"linalg.solve.*same dtype.*float32.*float64"),
            err((z(3, 3), z(3)), rt.linalg.LinAlgError, r"linalg.solve.*singular"),
            err(
                (np.broadcast_to(np.eye(3, dtype=F32), (2, 3, 3)), z(3, 3, 2)),
                RuntimeError,
                r"linalg.solve.*batch dimensions.*\[2, 3, 3\].*\[3, 3, 2\]",
            ),
            err((z(2, 3), z(2)), RuntimeError, r"linalg.solve.*square"),
            err((np.eye(3, dtype=F32), z(3)), RuntimeError, r"linalg.solve.*XA = B \(3x3 and 3x1\)", left=False),
        ],
    ),
    OpInfo(
        "linalg.cholesky",
        samples(posdef, SQUARE, ({}, {"upper": True})),
        op=lambda A, **kw: L.cholesky(sym(A), **kw),
        torch_op=lambda A, **kw: T("cholesky")(sym(A), **kw),
        ref=lambda a, upper=False: np.linalg.cholesky(a, upper=upper),
        method=False,
        errors=cholesky_errors,
    ),
    OpInfo(
        "cholesky",
        samples(posdef, SQUARE[:2], ({}, {"upper": True})),
        op=lambda A, **kw: rt.cholesky(sym(A), **kw),
        torch_op=quiet(lambda A, **kw: torch.cholesky(sym(A), **kw)),
        method=False,
    ),
    OpInfo(
        "linalg.qr",
        qr_samples,
        op=lambda A, **kw: tuple(L.qr(A, **kw)),
        torch_op=lambda A, **kw: tuple(T("qr")(A, **kw)),
        method=False,
        errors=lambda: [
            err((z(2, 3),), RuntimeError, r"qr.*unrecognized mode 'x'", mode="x"),
            err((z(3),), RuntimeError, r"linalg.qr.*at least 2 dimensions"),
        ],
    ),
    OpInfo(
        "qr",
        lambda d, r: [
            Sample((rand((3, 2), d, r),), name="tall"),
            Sample((rand((2, 3), d, r),), {"some": False}),
            Sample((rand((6, 5), d, r),), {"some": False}, name="forward only"),
        ],
        torch_op=quiet(lambda *a, **kw: torch.qr(*a, **kw)),
    ),
    OpInfo(
        "linalg.svd",
        samples(
            rand,
            ((3, 2), (2, 3), (2, 3, 2), (0, 2)),
            ({"full_matrices": False},),
            extra=lambda d, r: [Sample((wellcond((3, 3), d, r),), name="square full")],
        ),
        op=svd_gauge,
        torch_op=svd_gauge,
        method=False,
        gradgrad=True,
        errors=lambda: [err((np.zeros((2, 2), np.int32),), RuntimeError, r"linalg.svd.*floating point.*int32")],
    ),
    OpInfo("svd", samples(rand, ((3, 2), (2, 3), (2, 2, 3))), op=old_svd_gauge, torch_op=old_svd_gauge, method=False),
    OpInfo(
        "linalg.svdvals",
        samples(rand, ((3, 2), (2, 3), (2, 3, 2), (0, 2))),
        op=L.svdvals,
        torch_op=T("svdvals"),
        method=False,
    ),
    OpInfo(
        "linalg.eigh",
        samples(rand, SQUARE, ({}, {"UPLO": "U"})),
        op=eigh_gauge,
        torch_op=eigh_gauge,
        method=False,
        errors=lambda: [
            err((z(2, 3),), RuntimeError, r"linalg.eigh.*square.*2 by 3"),
            err((z(2, 2),), RuntimeError, r"linalg.eigh.*UPLO.*'L' or 'U'.*X", UPLO="X"),
        ],
    ),
    OpInfo(
        "linalg.eigvalsh",
        samples(rand, SQUARE),
        op=lambda A, **kw: L.eigvalsh(sym(A), **kw),
        torch_op=lambda A, **kw: T("eigvalsh")(sym(A), **kw),
        method=False,
    ),
    OpInfo("linalg.pinv", pinv_samples, op=pinv_op, torch_op=pinv_op, method=False),
    OpInfo("pinverse", samples(rand, ((3, 2), (2, 3)))),
    OpInfo(
        "linalg.matrix_rank", matrix_rank_samples, op=L.matrix_rank, torch_op=T("matrix_rank"), method=False, grad=False
    ),
    OpInfo(
        "linalg.matrix_norm",
        norm_samples,
        op=L.matrix_norm,
        torch_op=T("matrix_norm"),
        method=False,
        errors=lambda: [
            err((z(3, 3),), RuntimeError, r"linalg.matrix_norm.*Order 3 not supported", ord=3),
            err((z(3),), RuntimeError, r"linalg.matrix_norm.*at least 2 dimensions"),
            err((z(3, 3),), RuntimeError, r"linalg.matrix_norm.*dims must be different", dim=(1, 1)),
            err((z(3, 3),), RuntimeError, r"linalg.matrix_norm.*2-tuple", dim=(0,)),
            err((z(3, 3, dt=F64),), RuntimeError, r"linalg.matrix_norm.*narrowing", dtype=rt.float32),
        ],
    ),
    OpInfo(
        "linalg.norm",
        linalg_norm_samples,
        op=L.norm,
        torch_op=T("norm"),
        method=False,
        errors=lambda: [
            err((z(3, 3, 3),), RuntimeError, r"linalg.norm.*must be 1D or 2D.*3D", ord="fro"),
            err((z(3, 3, 3),), RuntimeError, r"linalg.norm.*length 1 or 2.*\[0, 1, 2\]", dim=(0, 1, 2)),
        ],
    ),
    OpInfo(
        "linalg.vecdot",
        lambda d, r: [
            Sample((rand((3, 2), d, r), rand((2,), d, r)), name="broadcast"),
            Sample((rand((2, 3), d, r), rand((2, 3), d, r)), {"dim": 0}, name="dim 0"),
        ],
        op=L.vecdot,
        torch_op=T("vecdot"),
        method=False,
        errors=lambda: [err((z(3), z(3, dt=F64)), RuntimeError, r"linalg.vecdot.*same dtype.*float32.*float64")],
    ),
    OpInfo(
        "linalg.multi_dot",
        lambda d, r: [
            Sample(([rand((3,), d, r), rand((3, 2), d, r), rand((2, 2), d, r)],), name="1-D first"),
            Sample(([rand((2, 3), d, r), rand((3,), d, r)],), name="1-D last"),
        ],
        op=L.multi_dot,
        torch_op=T("multi_dot"),
        method=False,
        grad=False,  # a chain of matmul: gradients in test_linalg
        errors=lambda: [
            err(([z(3)],), RuntimeError, r"multi_dot.*at least 2 tensors but got 1"),
            err(([z(2, 3), z(4, 3)],), RuntimeError, r"multi_dot.*\[2, 3\] and \[4, 3\]"),
            err(([z(2, 3, 3), z(3)],), RuntimeError, r"multi_dot.*first tensor must be 1D or 2D.*3D"),
        ],
    ),
    OpInfo(
        "linalg.matrix_power",
        power_samples,
        op=L.matrix_power,
        torch_op=T("matrix_power"),
        method=False,
        dtypes=(*FLOATS, rt.int64),
        errors=lambda: [
            err((z(2, 3), 2), RuntimeError, r"linalg.matrix_power.*square.*\[2, 3\]"),
            err((np.eye(2, dtype=np.int64), -1), RuntimeError, r"linalg.inv.*floating point.*int64"),
        ],
    ),
    OpInfo("matrix_power", power_samples),
]
