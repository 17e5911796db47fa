"""Broadcasting and type promotion of elementwise ops, property-based: shapes vs NumPy, result dtypes vs
torch over random dtype pairs and the three operand tiers (dimensioned tensor, 0-d tensor, Python scalar),
and ``promote_types`` vs torch for every pair."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rustytorch as rt

from .compare import assert_close

torch = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(("a", "b"), list(itertools.product(DTYPES, DTYPES)))
def test_promote_types_matches_torch(a: str, b: str) -> None:
    assert rt.promote_types(getattr(rt, a), getattr(rt, b)).name == str(
        torch.promote_types(getattr(torch, a), getattr(torch, b))
    ).removeprefix("torch.")


# ------------------------------------------------------------ broadcasting
_BINARY = {
    "add": (lambda m, a, b: m.add(a, b), np.add),
    "mul": (lambda m, a, b: m.mul(a, b), np.multiply),
    "sub": (lambda m, a, b: a - b, np.subtract),
    "div": (lambda m, a, b: a / b, np.true_divide),
    "maximum": (lambda m, a, b: m.maximum(a, b), np.maximum),
    "atan2": (lambda m, a, b: m.atan2(a, b), np.arctan2),
    "lt": (lambda m, a, b: a < b, np.less),
    "eq": (lambda m, a, b: m.eq(a, b), np.equal),
}


@_SETTINGS
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=0, max_side=4),
    op=st.sampled_from(sorted(_BINARY)),
    seed=st.integers(0, 2**32 - 1),
)
def test_binary_broadcasting_matches_numpy(shapes: Any, op: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    sa, sb = shapes.input_shapes
    a = rng.uniform(0.5, 3, sa)
    b = rng.uniform(0.5, 3, sb)
    f, ref = _BINARY[op]
    r = f(rt, rt.tensor(a), rt.tensor(b))
    assert tuple(r.shape) == shapes.result_shape
    assert_close(r, ref(a, b), 1e-12, 1e-12, what=f"{op} {sa} {sb}")


@_SETTINGS
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, min_side=0, max_side=3),
    seed=st.integers(0, 2**32 - 1),
)
def test_ternary_broadcasting_matches_numpy(shapes: Any, seed: int) -> None:
    rng = np.random.default_rng(seed)
    sc, sa, sb = shapes.input_shapes
    c, a, b = rng.random(sc) < 0.5, rng.standard_normal(sa), rng.standard_normal(sb)
    r = rt.where(rt.tensor(c), rt.tensor(a), rt.tensor(b))
    assert_close(r, np.where(c, a, b), 0, 0)
    lo = np.minimum(a, 0) if a.ndim else min(float(a), 0.0)
    r = rt.clamp(rt.tensor(b), rt.tensor(np.asarray(lo)), rt.tensor(np.asarray(lo) + 1))
    assert_close(r, np.minimum(np.maximum(b, lo), np.asarray(lo) + 1), 0, 0)
    r = rt.lerp(rt.tensor(a), rt.tensor(b), rt.tensor(rng.random(sc)))
    assert tuple(r.shape) == shapes.result_shape


@pytest.mark.parametrize("op", ["add", "maximum", "eq", "where"])
def test_incompatible_shapes_name_both(op: str) -> None:
    a, b = rt.zeros(2, 3), rt.zeros(4)
    fn = {
        "add": lambda: a + b,
        "maximum": lambda: rt.maximum(a, b),
        "eq": lambda: a == b,
        "where": lambda: rt.where(a > 0, a, b),
    }[op]
    with pytest.raises(RuntimeError, match=r"\[2, 3\].*\[4\]"):
        fn()


# --------------------------------------------------------------- promotion
def _value(dtype: str, tier: str, rng: np.random.Generator, lib: Any) -> Any:
    """An operand of ``dtype`` in ``tier``: small positive values valid in every dtype (and as exponents)."""
    if tier == "scalar":
        return {"bool": True, "float16": 1.5, "bfloat16": 1.5, "float32": 1.5, "float64": 1.5}.get(dtype, 2)
    vals = rng.integers(1, 4, size=(3,) if tier == "tensor" else ()).tolist()
    if dtype == "bool":
        vals = [bool(v % 2) for v in vals] if tier == "tensor" else True
    return lib.tensor(vals, dtype=getattr(lib, dtype))


_OPS = {
    "add": lambda m, a, b: m.add(a, b) if hasattr(a, "shape") or hasattr(b, "shape") else None,
    "mul": lambda m, a, b: a * b,
    "div": lambda m, a, b: a / b,
    "pow": lambda m, a, b: m.pow(a, b),
    "where": lambda m, a, b: m.where(m.tensor([True, False, True]), a, b),
    "clamp": lambda m, a, b: m.clamp(a, b) if hasattr(a, "shape") else None,
    "remainder": lambda m, a, b: m.remainder(a, b),
    "maximum": lambda m, a, b: m.maximum(a, b) if hasattr(a, "shape") and hasattr(b, "shape") else None,
    "atan2": lambda m, a, b: m.atan2(a, b) if hasattr(a, "shape") and hasattr(b, "shape") else None,
    "bitwise_or": lambda m, a, b: m.bitwise_or(a, b),
}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    da=st.sampled_from(DTYPES),
    db=st.sampled_from(DTYPES),
    ta=st.sampled_from(["tensor", "0-d", "scalar"]),
    tb=st.sampled_from(["tensor", "0-d", "scalar"]),
    op=st.sampled_from(sorted(_OPS)),
)
def test_result_dtype_matches_torch(da: str, db: str, ta: str, tb: str, op: str) -> None:
    if ta == "scalar" and tb == "scalar":
        return
    rng = np.random.default_rng(0)
    a_t, b_t = _value(da, ta, rng, torch), _value(db, tb, rng, torch)
    rng = np.random.default_rng(0)
    a_r, b_r = _value(da, ta, rng, rt), _value(db, tb, rng, rt)
    if not isinstance(a_r, rt.Tensor) and not isinstance(b_r, rt.Tensor):
        return
    if isinstance(a_r, rt.Tensor) or isinstance(b_r, rt.Tensor):
        first, second = (a_t, b_t) if isinstance(a_t, torch.Tensor) else (b_t, a_t)
        want_rt = str(torch.result_type(first, second)).removeprefix("torch.")
        got = rt.result_type(a_r, b_r) if isinstance(a_r, rt.Tensor) else rt.result_type(b_r, a_r)
        assert got.name == want_rt
    fn = _OPS[op]
    try:
        expected = fn(torch, a_t, b_t)
    except (RuntimeError, TypeError) as e:  # not supported by torch for these dtypes: rustytorch must raise too
        with pytest.raises((RuntimeError, TypeError)):
            fn(rt, a_r, b_r)
        del e
        return
    if expected is None:
        return
    got = fn(rt, a_r, b_r)
    assert got.dtype.name == str(expected.dtype).removeprefix("torch."), f"{op}({da} {ta}, {db} {tb})"
    tol = 1e-2 if got.dtype.name in ("float16", "bfloat16") else 1e-6
    r_vals = got.to(rt.float64) if got.dtype.name == "bfloat16" else got
    t_vals = expected.to(torch.float64) if expected.dtype == torch.bfloat16 else expected
    assert_close(r_vals, t_vals, tol, tol, check_dtype=False, what=f"{op}({da} {ta}, {db} {tb})")
