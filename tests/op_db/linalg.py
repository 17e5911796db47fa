"""Op table rows: matrix products, einsum/tensordot (here) and the rt.linalg factorisations (``_linalg_decomp``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import rustytorch as rt

from ._base import FLOATS, FLOATS_HALF, ErrorSample, OpInfo, Sample, make
from ._linalg_decomp import DECOMP_OPS

PRODUCT_DTYPES = (*FLOATS_HALF, rt.int64, rt.int32)
F32, F64 = np.float32, np.float64


def pairs(
    shapes: Sequence[tuple[tuple[int, ...], ...]], **kw: Any
) -> Callable[[Any, np.random.Generator], list[Sample]]:
    """One sample per tuple of shapes (all operands in the row's dtype)."""

    def f(dtype: Any, rng: np.random.Generator) -> list[Sample]:
        return [
            Sample(tuple(make(s, dtype, rng) for s in ss), dict(kw), name="x".join(str(list(s)) for s in ss))
            for ss in shapes
        ]

    return f


def err(args: tuple[Any, ...], exc: type[BaseException], match: str, **kw: Any) -> ErrorSample:
    return ErrorSample(Sample(args, kw), exc, match)


def z(*shape: int, dt: Any = F32) -> np.ndarray:
    return np.zeros(shape, dtype=dt)


MATMUL_SHAPES = (
    ((3,), (3,)),
    ((2, 3), (3, 4)),
    ((3,), (3, 4)),
    ((2, 3), (3,)),
    ((2, 2, 3), (3, 4)),
    ((3,), (2, 3, 4)),
    ((2, 2, 3), (3,)),
    ((2, 1, 2, 3), (3, 3, 2)),  # batch dims broadcast
    ((2, 3), (2, 3, 4)),  # a matrix shared by a batch
    ((2, 3), (2, 1, 3, 2)),
    ((1, 2, 2), (2, 2, 1)),
    ((0, 3), (3, 2)),
    ((2, 0), (0, 3)),  # empty inner dimension: zeros
    ((1, 1), (1, 1)),
    ((0,), (0,)),
)


def matmul_errors() -> list[ErrorSample]:
    return [
        err((z(2, 3), z(4, 5)), RuntimeError, r"matmul.*2x3 and 4x5"),
        err((z(2, 2, 3), z(2, 4, 5)), RuntimeError, r"matmul.*2x2x3 and 2x4x5"),
        err((z(2, 2, 3), z(3, 3, 5)), RuntimeError, r"matmul.*\[2, 2, 3\] and \[3, 3, 5\]"),
        err((z(3), z(4)), RuntimeError, r"matmul.*\[3\].*\[4\]"),
        err((z(2, 3), z(3, 2, dt=F64)), RuntimeError, r"matmul.*same dtype.*float32 != float64"),
        err((z(), z(3)), RuntimeError, r"matmul.*at least 1D.*0D and 1D"),
        err((z(2, 3), 2), TypeError, r"matmul.*must be Tensor, not int"),
        err((np.zeros((2, 2), bool), np.zeros((2, 2), bool)), NotImplementedError, r"matmul.*Bool"),
    ]


ADDMM_CASES: dict[str, tuple[tuple[int, ...], tuple[int, ...], tuple[tuple[int, ...], ...]]] = {
    # name: (mat1 / batch1 shape, mat2 / vec / batch2 shape, input shapes that broadcast to the product)
    "addmm": ((2, 3), (3, 4), ((2, 4), (4,), (), (2, 1))),
    "addmv": ((2, 3), (3,), ((2,), (), (1,))),
    "baddbmm": ((2, 2, 3), (2, 3, 4), ((2, 2, 4), (4,), (), (2, 1, 4))),
}


def _addmm_samples(name: str) -> Callable[[Any, np.random.Generator], list[Sample]]:
    m1, m2, inputs = ADDMM_CASES[name]

    def f(dtype: Any, rng: np.random.Generator) -> list[Sample]:
        # float coefficients on integer tensors are truncated, as torch
        coefs: list[dict[str, Any]] = [
            {},
            {"beta": 0.5, "alpha": 2},
            {"alpha": 3},
            {"beta": 0},
            {"beta": 2, "alpha": 2.5},
        ]
        return [
            Sample((make(shp, dtype, rng), make(m1, dtype, rng), make(m2, dtype, rng)), coefs[k % 5], name=f"{shp}")
            for k, shp in enumerate((*inputs, inputs[0], inputs[0]))
        ]

    return f


def _einsum_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    cases: list[tuple[str, tuple[tuple[int, ...], ...]]] = [
        ("ij,jk->ik", ((2, 3), (3, 4))),
        ("ij,jk", ((2, 3), (3, 2))),  # implicit output
        ("ii->i", ((3, 3),)),
        ("ii", ((3, 3),)),
        ("iij->ij", ((2, 2, 3),)),
        ("i,i", ((4,), (4,))),
        ("i,j->ij", ((3,), (2,))),
        ("ij->ji", ((2, 3),)),  # a pure relabelling (NumPy returns a view)
        ("ij->", ((2, 3),)),
        ("ij->j", ((2, 3),)),
        ("bij,bjk->bik", ((2, 2, 3), (2, 3, 2))),
        ("...ij,...jk->...ik", ((2, 1, 2, 3), (3, 3, 2))),  # ellipsis broadcasting
        ("...ij,...jk", ((2, 2, 3), (3, 2))),
        ("i...->...", ((3, 2, 2),)),  # i summed, the ellipsis kept
        ("...i->i", ((2, 2, 3),)),  # ellipsis dims summed
        ("ij,ij->i", ((3, 2), (1, 2))),  # size-1 labelled dim broadcasts
        ("i,i->", ((3,), (1,))),
        ("ij,jk,kl->il", ((2, 3), (3, 2), (2, 2))),
        ("ijk->kji", ((2, 3, 2),)),
        (" i j , j k -> i k ", ((2, 2), (2, 3))),
        ("ij,jk->ik", ((0, 3), (3, 2))),
        ("iJ,Jk->ik", ((2, 2), (2, 2))),
    ]
    out = [Sample((eq, *(make(s, dtype, rng) for s in shapes)), name=eq) for eq, shapes in cases]
    out.append(Sample(("ij,jk->ik", [make((2, 3), dtype, rng), make((3, 2), dtype, rng)]), name="operand list"))
    return out


def einsum_errors() -> list[ErrorSample]:
    return [
        err(("ij,jk->ik", z(3, 4), z(5, 5)), RuntimeError, r"einsum.*subscript j has size 5.*size 4"),
        err(("ij,jk->ik", z(3, 4), z(4, 5, dt=F64)), RuntimeError, r"einsum.*same dtype.*float32.*float64"),
        err(("ij,jk->ik", z(3, 4)), RuntimeError, r"einsum.*fewer operands"),
        err(("ij", z(3, 4), z(3, 4)), RuntimeError, r"einsum.*more operands"),
        err(("ij->ik", z(3, 4)), RuntimeError, r"einsum.*output subscript k does not appear"),
        err(("i->ii", z(3)), RuntimeError, r"einsum.*output subscript i appears more than once"),
        err(("ii->i", z(3, 4)), RuntimeError, r"einsum.*subscript i is repeated.*4 != 3"),
        err(("i", z(3, 4)), RuntimeError, r"einsum.*number of subscripts.*\(1\).*\(2\)"),
        err(("i1", z(3, 4)), RuntimeError, r"einsum.*invalid subscript"),
        err(("i..j", z(3, 2)), RuntimeError, r"einsum.*'\.'.*not part of any ellipsis"),
        err(("ij", 3), TypeError, r"einsum.*operand 0 must be a Tensor"),
    ]


def _tensordot_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    cases: list[tuple[tuple[int, ...], tuple[int, ...], Any]] = [
        ((2, 3, 2), (3, 2, 2), 2),
        ((2, 3), (3, 2), 1),
        ((2, 3), (2, 2), 0),
        ((2, 3, 2), (3, 2, 2), ([1, 2], [0, 1])),
        ((2, 3, 2), (2, 2, 3), ([1, 0], [2, 1])),
        ((3, 2), (2, 3), ([-1], [0])),
        ((0, 3), (3, 2), 1),
    ]
    return [
        Sample((make(a, dtype, rng), make(b, dtype, rng)), {"dims": d}, name=f"{a}x{b} dims={d}") for a, b, d in cases
    ]


def tensordot_errors() -> list[ErrorSample]:
    return [
        err((z(3, 4), z(5, 5)), RuntimeError, r"tensordot.*size 4 in dim 1.*size 5 in dim 0", dims=1),
        err((z(3, 4), z(4, 5, dt=F64)), RuntimeError, r"tensordot.*same dtype", dims=1),
        err((z(3, 4), z(4, 5)), RuntimeError, r"tensordot.*dims >= 0.*-1", dims=-1),
        err((z(3, 4), z(4, 5)), RuntimeError, r"tensordot.*dims=3", dims=3),
        err((z(3, 4), z(4, 5)), RuntimeError, r"tensordot.*same length", dims=([0, 1], [0])),
        err((z(3, 4), z(4, 5)), IndexError, r"tensordot.*out of range", dims=([5], [0])),
        err((z(3, 4), z(4, 5)), TypeError, r"tensordot.*pair of lists", dims=(1, 0)),
    ]


def _trace_samples(dtype: Any, rng: np.random.Generator) -> list[Sample]:
    return [Sample((make(s, dtype, rng),), name=str(s)) for s in ((3, 3), (2, 4), (4, 2), (1, 1), (0, 3))]


PRODUCT_OPS: list[OpInfo] = [
    OpInfo(
        "matmul",
        pairs(MATMUL_SHAPES),
        ref=np.matmul,
        dtypes=PRODUCT_DTYPES,
        errors=matmul_errors,
        tol={rt.float16: (2e-2, 2e-2)},
    ),
    OpInfo(
        "mm",
        pairs((((2, 3), (3, 4)), ((1, 1), (1, 3)), ((0, 2), (2, 3)), ((2, 0), (0, 2)))),
        ref=np.matmul,
        dtypes=PRODUCT_DTYPES,
        errors=lambda: [
            err((z(2, 3), z(4, 5)), RuntimeError, r"mm.*2x3 and 4x5"),
            err((z(2, 3), z(3)), RuntimeError, r"mm.*mat2 must be a matrix.*1D"),
            err((z(2, 3), z(3, 3, dt=F64)), RuntimeError, r"mm.*same dtype.*float32 != float64"),
        ],
    ),
    OpInfo(
        "bmm",
        pairs((((2, 2, 3), (2, 3, 4)), ((1, 1, 1), (1, 1, 2)), ((0, 2, 3), (0, 3, 1)))),
        ref=np.matmul,
        dtypes=PRODUCT_DTYPES,
        errors=lambda: [
            err((z(2, 2, 3), z(3, 3, 5)), RuntimeError, r"bmm.*\[2, 3\] but got: \[3, 3\]"),
            err((z(2, 3), z(2, 3, 5)), RuntimeError, r"bmm.*batch1 must be a 3D tensor.*2D"),
        ],
    ),
    OpInfo(
        "mv",
        pairs((((2, 3), (3,)), ((1, 1), (1,)), ((0, 2), (2,)), ((2, 0), (0,)))),
        ref=np.matmul,
        dtypes=PRODUCT_DTYPES,
        errors=lambda: [
            err((z(2, 3), z(4)), RuntimeError, r"mv.*mat \(2x3\), vec \(4\)"),
            err((z(2, 3), z(3, 1)), RuntimeError, r"mv.*vec must be a vector"),
        ],
    ),
    OpInfo(
        "dot",
        pairs((((3,), (3,)), ((1,), (1,)), ((0,), (0,)))),
        ref=np.dot,
        dtypes=PRODUCT_DTYPES,
        errors=lambda: [
            err((z(3), z(4)), RuntimeError, r"dot.*\[3\].*\[4\]"),
            err((z(3, 1), z(3)), RuntimeError, r"dot.*1D tensors expected.*2D and 1D"),
            err((z(3), z(3, dt=F64)), RuntimeError, r"dot.*same dtype.*float32 and float64"),
        ],
    ),
    OpInfo(
        "vdot",
        pairs((((3,), (3,)), ((0,), (0,)))),
        ref=np.vdot,
        dtypes=FLOATS,
        errors=lambda: [err((z(3), z(4)), RuntimeError, r"vdot.*\[3\].*\[4\]")],
    ),
    OpInfo(
        "outer",
        pairs((((3,), (2,)), ((1,), (4,)), ((0,), (2,)))),
        ref=np.outer,
        dtypes=PRODUCT_DTYPES,
        errors=lambda: [err((z(3, 2), z(3)), RuntimeError, r"outer.*1-D.*2-D.*\[3, 2\]")],
    ),
    OpInfo("ger", pairs((((3,), (2,)),)), ref=np.outer, dtypes=FLOATS),
    OpInfo(
        "inner",
        pairs((((2, 3), (4, 3)), ((3,), (3,)), ((), (2, 3)), ((2, 2, 3), (3,)))),
        ref=np.inner,
        dtypes=FLOATS,
        errors=lambda: [
            err((z(2, 3), z(4, 2)), RuntimeError, r"inner.*\[2, 3\] and \[4, 2\]"),
        ],
    ),
    OpInfo(
        "addmm",
        _addmm_samples("addmm"),
        dtypes=(*FLOATS, rt.int64),
        errors=lambda: [
            err((z(2, 2), z(2, 3), z(4, 2)), RuntimeError, r"addmm.*2x3 and 4x2"),
            err((z(3, 2), z(2, 3), z(3, 2)), RuntimeError, r"addmm.*input of shape \[3, 2\].*\[2, 2\]"),
            err((z(2, 2, dt=F64), z(2, 3), z(3, 2)), RuntimeError, r"addmm.*same dtype.*float64"),
        ],
    ),
    OpInfo(
        "addmv",
        _addmm_samples("addmv"),
        dtypes=(*FLOATS, rt.int64),
        errors=lambda: [err((z(2), z(2, 3), z(4)), RuntimeError, r"addmv.*2x3 and 4")],
    ),
    OpInfo(
        "baddbmm",
        _addmm_samples("baddbmm"),
        dtypes=(*FLOATS, rt.int64),
        errors=lambda: [
            err(
                (z(2, 2, 2), z(2, 2, 3), z(3, 3, 2)),
                RuntimeError,
                r"baddbmm.*batch1 and batch2.*\[2, 2, 3\].*\[3, 3, 2\]",
            ),
        ],
    ),
    OpInfo(
        "kron",
        pairs((((2, 3), (2, 2)), ((2,), (3,)), ((2, 2), (3,)), ((), (2,)), ((0, 2), (2, 1)))),
        ref=np.kron,
        dtypes=(*FLOATS, rt.int64),
    ),
    OpInfo(
        "trace",
        _trace_samples,
        ref=np.trace,
        dtypes=(*FLOATS_HALF, rt.int64, rt.int32, rt.uint8),
        errors=lambda: [
            err((z(3),), RuntimeError, r"trace.*expected a matrix.*dim 1"),
            err((np.zeros((2, 2), bool),), NotImplementedError, r"trace.*Bool"),
        ],
    ),
    OpInfo("einsum", _einsum_samples, dtypes=(*FLOATS, rt.int64), method=False, errors=einsum_errors),
    OpInfo("tensordot", _tensordot_samples, dtypes=(*FLOATS, rt.int64), method=False, errors=tensordot_errors),
]

OPS: list[OpInfo] = [*PRODUCT_OPS, *DECOMP_OPS]
