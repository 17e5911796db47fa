"""Interop and the Python protocol: DLPack exchange with NumPy and torch (memory shared both ways), numpy() /
__array__, item / tolist, len / iter / bool / float / int / index / format, copy, deepcopy and pickling."""

from __future__ import annotations

import copy
import operator
import pickle
from typing import Any

import numpy as np
import pytest

import rustytorch as rt

torch = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


# ------------------------------------------------------------------ DLPack
@pytest.mark.parametrize("name", DTYPES)
def test_numpy_from_dlpack_shares_memory(name: str) -> None:
    t = rt.zeros(2, 3, dtype=getattr(rt, name))
    a = np.from_dlpack(t)
    assert a.dtype == getattr(rt, name).np and a.shape == (2, 3)
    a[1, 2] = 1
    assert t[1, 2].item() == 1
    t[0, 0] = 1
    assert a[0, 0] == 1


def test_rt_from_dlpack_of_numpy_shares_memory() -> None:
    a = np.arange(6.0).reshape(2, 3)
    t = rt.from_dlpack(a)
    assert t.dtype is rt.float64 and t.shape == (2, 3)
    t[0, 1] = 50
    assert a[0, 1] == 50
    a[1, 0] = -1
    assert t[1, 0].item() == -1
    v = rt.from_dlpack(a.T)  # a strided view keeps its strides
    assert v.stride() == (1, 3) and v.tolist() == a.T.tolist()


@pytest.mark.parametrize("name", DTYPES)
def test_torch_exchange_shares_memory(name: str) -> None:
    t = rt.zeros(4, dtype=getattr(rt, name))
    tt = torch.from_dlpack(t)
    assert str(tt.dtype) == f"torch.{name}" and tt.shape == (4,)
    tt[1] = 1
    assert t[1].item() == 1
    src = torch.zeros(3, 2, dtype=getattr(torch, name))
    r = rt.from_dlpack(src)
    assert r.dtype is getattr(rt, name) and r.shape == (3, 2)
    r[2, 1] = 1
    assert src[2, 1].item() == 1
    src[0, 0] = 1
    assert r[0, 0].item() == 1


def test_torch_exchange_of_views_bfloat16_and_capsules() -> None:
    x = rt.arange(12.0).reshape(3, 4)
    tt = torch.from_dlpack(x.T)
    assert tt.stride() == (1, 4) and tt.tolist() == x.T.tolist()
    src = torch.arange(12.0).reshape(3, 4)[:, 1::2]
    r = rt.from_dlpack(src)
    assert r.stride() == src.stride() and r.tolist() == src.tolist()
    b = torch.tensor([1.5, -2.0]).to(torch.bfloat16)
    rb = rt.from_dlpack(b)
    assert rb.dtype is rt.bfloat16 and rb.tolist() == [1.5, -2.0]
    rb[0] = 3.0
    assert b[0].item() == 3.0
    c = rt.from_dlpack(torch.arange(3).__dlpack__())  # a legacy capsule
    assert c.tolist() == [0, 1, 2] and c.dtype is rt.int64
    z = rt.from_dlpack(torch.tensor(2.5))
    assert z.shape == () and z.item() == 2.5
    assert rt.from_dlpack(np.zeros((0, 3))).shape == (0, 3)


def test_dlpack_protocol_details() -> None:
    t = rt.ones(3)
    assert t.__dlpack_device__() == (1, 0) == torch.ones(1).__dlpack_device__()
    a = np.from_dlpack(t, copy=True)
    a[0] = 9
    assert t[0].item() == 1
    assert np.from_dlpack(t, device="cpu").shape == (3,)
    with pytest.raises(BufferError, match="require gradient"):
        rt.ones(2, requires_grad=True).__dlpack__()
    with pytest.raises(BufferError, match="require gradient"):
        torch.from_dlpack(rt.ones(2, requires_grad=True))
    assert np.from_dlpack(rt.ones(2, requires_grad=True).detach()).shape == (2,)
    same = rt.from_dlpack(t)
    same[2] = 4
    assert t[2].item() == 4
    with pytest.raises(TypeError, match="__dlpack__"):
        rt.from_dlpack([1, 2])
    with pytest.raises(BufferError, match="bfloat16"):
        rt.ones(2, dtype=rt.bfloat16).__dlpack__()


# ------------------------------------------------------------------ numpy() / __array__
def test_numpy_and_array_protocol() -> None:
    t = rt.zeros(3)
    a = t.numpy()
    a[0] = 5
    assert t[0].item() == 5
    assert np.asarray(t) is a or np.shares_memory(np.asarray(t), a)
    assert not np.shares_memory(np.array(t), a)  # np.array copies
    d = np.asarray(t, dtype=np.float64)
    assert d.dtype == np.float64 and not np.shares_memory(d, a)
    assert t.__array__(copy=True) is not a and not np.shares_memory(t.__array__(copy=True), a)
    with pytest.raises(ValueError, match="Unable to avoid copy"):
        t.__array__(np.float64, copy=False)
    g = rt.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        g.numpy()
    with pytest.raises(RuntimeError, match="requires grad"):
        np.asarray(g)
    assert g.numpy(force=True).tolist() == [1.0, 1.0]
    assert np.add(np.ones(2), rt.ones(2).numpy()).tolist() == [2.0, 2.0]


# ------------------------------------------------------------------ scalars and containers
@pytest.mark.parametrize(("value", "name"), [(3, "int64"), (2.5, "float32"), (True, "bool"), (7, "uint8"),
                                              (1.5, "float16"), (-2.0, "bfloat16"), (0.1, "float64")])  # fmt: skip
def test_item_and_tolist_give_python_numbers(value: Any, name: str) -> None:
    r = rt.tensor([value], dtype=getattr(rt, name))
    t = torch.tensor([value], dtype=getattr(torch, name))
    assert type(r.item()) is type(t.item()) and r.item() == t.item()
    assert r.tolist() == t.tolist() and type(r.tolist()[0]) is type(t.tolist()[0])
    assert rt.tensor([[value]], dtype=getattr(rt, name)).reshape(()).item() == t.item()
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        rt.zeros(2).item()


def test_len_iter_bool() -> None:
    m = rt.arange(6).reshape(3, 2)
    assert len(m) == 3 and [r.tolist() for r in m] == [[0, 1], [2, 3], [4, 5]]
    rows = list(m)
    rows[0][0] = 100  # iteration yields views, as torch
    assert m[0, 0].item() == 100
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(rt.tensor(1))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(rt.tensor(1))
    assert bool(rt.tensor([2.0])) and not bool(rt.tensor(0)) and bool(rt.tensor([[True]]))
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(rt.zeros(2))
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with no values is ambiguous"):
        bool(rt.zeros(0))


def test_float_int_index_complex() -> None:
    assert float(rt.tensor([2.5])) == 2.5 and int(rt.tensor(-1.7)) == int(torch.tensor(-1.7)) == -1
    assert complex(rt.tensor(1.5)) == 1.5 + 0j
    with pytest.raises(ValueError, match="only one element tensors can be converted to Python scalars"):
        float(rt.zeros(2))
    with pytest.raises(ValueError, match="only one element tensors"):
        int(rt.zeros(2))
    with pytest.warns(UserWarning, match="Converting a tensor with requires_grad=True to a scalar"):
        float(rt.ones(1, requires_grad=True))
    assert [10, 20, 30][rt.tensor(1)] == 20 and [10, 20, 30][rt.tensor([[2]])] == 30
    assert [10, 20][rt.tensor(True)] == 20 and operator.index(rt.tensor(4, dtype=rt.uint8)) == 4
    assert list(range(rt.tensor(3))) == [0, 1, 2] and hex(rt.tensor(255)) == "0xff"
    for bad in (rt.tensor(1.0), rt.tensor([1, 2])):
        with pytest.raises(TypeError, match="only integer tensors of a single element can be converted to an index"):
            [1, 2, 3][bad]


def test_format() -> None:
    for v in (2.5, 3, True):
        for spec in ("", ".3f", ">8", "e") if not isinstance(v, bool) else ("",):
            assert format(rt.tensor(v), spec) == format(torch.tensor(v), spec)
    assert f"{rt.tensor([1, 2])}" == str(rt.tensor([1, 2]))
    assert f"{rt.tensor(0.5, requires_grad=True):.1f}" == "0.5"
    with pytest.raises(TypeError, match="unsupported format string"):
        format(rt.tensor([1.0]), ".2f")


# ------------------------------------------------------------------ copy / deepcopy / pickle
def test_copy_shares_memory_as_torch() -> None:
    x = rt.tensor([1.0, 2.0], requires_grad=True)
    x.grad = rt.ones(2)
    c = copy.copy(x)
    assert c is not x and c.requires_grad and c.grad is None and c.data_ptr() == x.data_ptr()
    y = x * 2
    cy = copy.copy(y)
    assert cy.is_leaf and cy.requires_grad and cy.tolist() == [2.0, 4.0]


def test_deepcopy_copies_data_grad_and_views() -> None:
    x = rt.tensor([1.0, 2.0], requires_grad=True)
    x.grad = rt.tensor([0.5, 0.5])
    d = copy.deepcopy(x)
    assert d.requires_grad and d.is_leaf and d.data_ptr() != x.data_ptr() and d.tolist() == x.tolist()
    assert d.grad is not None and d.grad.tolist() == [0.5, 0.5] and d.grad.data_ptr() != x.grad.data_ptr()
    base = rt.arange(6.0).reshape(2, 3)
    b2, v2 = copy.deepcopy([base, base.T])
    b2[0, 1] = 42
    assert v2[1, 0].item() == 42 and base[0, 1].item() == 1 and v2.stride() == (1, 3)
    assert copy.deepcopy({"a": base, "b": base})["a"] is not base
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(x * 2)


@pytest.mark.parametrize("name", [*DTYPES, "bfloat16"])
def test_pickle_round_trip_keeps_dtype_shape_values(name: str) -> None:
    x = rt.arange(12).reshape(3, 4).to(getattr(rt, name))
    for t in (x, x.T, x[:, 1::2], x[1], x[0, 0], x[:0], x[0:1].expand(2, 4)):
        y = pickle.loads(pickle.dumps(t))
        assert y.dtype is t.dtype and y.shape == t.shape and y.stride() == t.stride()
        assert y.tolist() == t.tolist()


def test_pickle_keeps_requires_grad_and_storage_sharing() -> None:
    x = rt.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = pickle.loads(pickle.dumps(x))
    assert y.requires_grad and y.is_leaf and y.grad is None
    z = pickle.loads(pickle.dumps(x * 3))  # as torch: the result is a leaf that requires grad
    assert z.is_leaf and z.requires_grad and z.tolist() == [[3.0, 6.0], [9.0, 12.0]]
    base = rt.arange(6.0)
    b, v = pickle.loads(pickle.dumps((base, base[2:5])))
    b[3] = -1
    assert v.tolist() == [2.0, -1.0, 4.0]
    solo = pickle.loads(pickle.dumps(base[2:5]))  # pickled alone a view still round-trips its values
    assert solo.tolist() == [2.0, 3.0, 4.0]
    p = rt.nn.Parameter(rt.ones(2))
    q = pickle.loads(pickle.dumps(p))
    assert isinstance(q, rt.nn.Parameter) and q.requires_grad


def test_user_attributes_on_tensors_as_torch() -> None:
    # torch tensors take arbitrary attributes (they have a __dict__); so do ours, without touching autograd state
    for lib in (rt, torch):
        t = lib.ones(2, requires_grad=True)
        t.tag = "input"
        (t * 3).sum().backward()
        assert t.tag == "input"
        assert t.grad.tolist() == [3.0, 3.0]
    fresh = rt.ones(2)
    assert fresh.grad is None and not hasattr(fresh, "tag")
