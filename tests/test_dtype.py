"""Dtypes against torch: promote_types / can_cast / result_type for all pairs, finfo / iinfo, the default
dtype and its effects, aliases, pickling, and bfloat16's optional dependency."""

from __future__ import annotations

import copy
import itertools
import pickle
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import rustytorch as rt

torch = pytest.importorskip("torch")

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
PAIRS = list(itertools.product(NAMES, NAMES))


def _name(d: Any) -> str:
    return str(d).split(".")[-1]


@pytest.fixture(autouse=True)
def _default_dtype() -> Iterator[None]:
    yield
    rt.set_default_dtype(rt.float32)
    torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_promote_types_and_can_cast_match_torch(a: str, b: str) -> None:
    ra, rb, ta, tb = getattr(rt, a), getattr(rt, b), getattr(torch, a), getattr(torch, b)
    assert _name(rt.promote_types(ra, rb)) == _name(torch.promote_types(ta, tb))
    assert rt.can_cast(ra, rb) == torch.can_cast(ta, tb)


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_result_type_of_tensors_and_scalars_matches_torch(a: str, b: str) -> None:
    ra, rb, ta, tb = getattr(rt, a), getattr(rt, b), getattr(torch, a), getattr(torch, b)
    x, y = rt.zeros(2, dtype=ra), rt.zeros((), dtype=rb)
    tx, ty = torch.zeros(2, dtype=ta), torch.zeros((), dtype=tb)
    assert _name(rt.result_type(x, y)) == _name(torch.result_type(tx, ty))
    assert _name(rt.result_type(y, x)) == _name(torch.result_type(ty, tx))
    for scalar in (True, 2, 2.5):
        assert _name(rt.result_type(x, scalar)) == _name(torch.result_type(tx, scalar))
        assert _name(rt.result_type(scalar, y)) == _name(torch.result_type(scalar, ty))


def test_dtype_argument_errors_match_torch() -> None:
    with pytest.raises(TypeError, match=r"promote_types\(\): argument 'type2' \(position 2\) must be"):
        rt.promote_types(rt.float32, "a")
    with pytest.raises(TypeError, match=r"can_cast\(\): argument 'to' \(position 2\) must be"):
        rt.can_cast(rt.float32, 3)
    with pytest.raises(TypeError, match=r"finfo\(\): argument 'type'"):
        rt.finfo("float32")
    with pytest.raises(TypeError, match="expected at least one Tensor"):
        rt.result_type(1, 2)


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "float64"])
def test_finfo_matches_torch(name: str) -> None:
    f, g = torch.finfo(getattr(torch, name)), rt.finfo(getattr(rt, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(g, attr) == getattr(f, attr), attr
    assert repr(g) == repr(f)
    assert g == rt.finfo(getattr(rt, name))


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_torch(name: str) -> None:
    f, g = torch.iinfo(getattr(torch, name)), rt.iinfo(getattr(rt, name))
    assert (g.bits, g.min, g.max, g.dtype) == (f.bits, f.min, f.max, f.dtype)
    assert repr(g) == repr(f)


def test_finfo_iinfo_errors_and_default() -> None:
    assert rt.finfo().dtype == "float32"
    rt.set_default_dtype(rt.float64)
    assert rt.finfo().dtype == "float64"
    with pytest.raises(TypeError, match="requires a floating point input type"):
        rt.finfo(rt.int32)
    with pytest.raises(TypeError, match="requires an integer input type"):
        rt.iinfo(rt.float32)
    with pytest.raises(TypeError, match=r"bool is not supported by rustytorch\.iinfo"):
        rt.iinfo(rt.bool)


@pytest.mark.parametrize("name", NAMES)
def test_dtype_attributes_match_torch(name: str) -> None:
    r, t = getattr(rt, name), getattr(torch, name)
    assert (r.is_floating_point, r.is_signed, r.itemsize, r.is_complex) == (
        t.is_floating_point, t.is_signed, t.itemsize, t.is_complex,
    )  # fmt: skip
    assert repr(r) == repr(t).replace("torch.", "rustytorch.")
    assert str(r) == str(t).replace("torch.", "rustytorch.")
    assert isinstance(r, rt.dtype)
    assert pickle.loads(pickle.dumps(r)) is r
    assert copy.deepcopy(r) is r and copy.copy(r) is r


def test_aliases() -> None:
    assert rt.float is rt.float32 and rt.double is rt.float64 and rt.half is rt.float16
    assert rt.int is rt.int32 and rt.long is rt.int64 and rt.short is rt.int16
    assert pickle.loads(pickle.dumps(rt.long)) is rt.int64


@pytest.mark.parametrize("default", ["float64", "float16", "bfloat16", "float32"])
def test_default_dtype_effects_match_torch(default: str) -> None:
    rt.set_default_dtype(getattr(rt, default))
    torch.set_default_dtype(getattr(torch, default))
    assert rt.get_default_dtype() is getattr(rt, default)
    cases = [
        (lambda m: m.tensor([1.5]), "tensor([1.5])"),
        (lambda m: m.tensor(2.5), "tensor(2.5)"),
        (lambda m: m.tensor([1, 2.0]), "mixed list"),
        (lambda m: m.arange(0, 1, 0.25), "arange floats"),
        (lambda m: m.arange(3), "arange ints"),
        (lambda m: m.tensor([3]) / m.tensor([2]), "int / int"),
        (lambda m: m.tensor([3]) * 1.5, "int * float"),
        (lambda m: m.zeros(2), "zeros"),
        (lambda m: m.full((2,), 1.5), "full"),
        (lambda m: m.linspace(0, 1, 3), "linspace"),
        (lambda m: m.tensor([]), "empty list"),
    ]
    for fn, what in cases:
        assert fn(rt).dtype.name == _name(fn(torch).dtype), what


def test_set_default_dtype_rejects_non_floats() -> None:
    with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
        rt.set_default_dtype(rt.int32)
    assert rt.get_default_dtype() is rt.float32


def test_bfloat16_without_ml_dtypes_raises_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rt.bfloat16, "_np", None)
    with pytest.raises(RuntimeError, match="needs the optional 'ml_dtypes' package"):
        rt.zeros(2, dtype=rt.bfloat16)
    with pytest.raises(RuntimeError, match="ml_dtypes"):
        rt.tensor([1.0], dtype=rt.bfloat16)
    assert rt.zeros(2, dtype=rt.float16).dtype is rt.float16  # other dtypes are unaffected


def test_bfloat16_round_trip_with_ml_dtypes() -> None:
    x = rt.tensor([1.0, 2.5, -3.0], dtype=rt.bfloat16)
    assert x.dtype is rt.bfloat16 and x.tolist() == [1.0, 2.5, -3.0]
    assert x.numpy().dtype == rt.bfloat16.np
    assert np.array_equal(x.numpy().astype(np.float32), [1.0, 2.5, -3.0])


def test_tensor_dtype_queries() -> None:
    assert rt.is_floating_point(rt.zeros(1, dtype=rt.bfloat16)) and not rt.is_floating_point(rt.zeros(1, dtype=rt.int8))
    assert rt.numel(rt.zeros(2, 3, 4)) == 24 and rt.numel(rt.tensor(1)) == 1
    assert rt.is_nonzero(rt.tensor([[2]])) and not rt.is_nonzero(rt.tensor(False))
    assert rt.tensor([1]).is_nonzero()
    assert rt.is_tensor(rt.zeros(1)) and not rt.is_tensor(np.zeros(1))
