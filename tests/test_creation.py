"""Creation functions against torch: tensor()'s dtype inference and errors, memory sharing of as_tensor /
from_numpy, zeros/ones/full/empty (+ _like, new_*), keyword arguments, arange / linspace / logspace lengths and
values, eye / diag / meshgrid behaviour, and the legacy ``rt.Tensor(...)`` constructor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import rustytorch as rt

from .compare import assert_close

torch = pytest.importorskip("torch")


def _same(r: Any, t: Any, atol: float = 0.0, rtol: float = 0.0) -> None:
    assert r.dtype.name == str(t.dtype).removeprefix("torch."), f"dtype {r.dtype} vs {t.dtype}"
    assert tuple(r.shape) == tuple(t.shape), f"shape {tuple(r.shape)} vs {tuple(t.shape)}"
    if r.dtype is rt.bfloat16:  # torch can't give NumPy bfloat16 arrays
        r, t = r.numpy().astype(np.float64), t.double()
    assert_close(r, t, atol, rtol, what="values")


@pytest.fixture(autouse=True)
def _default_dtype() -> Iterator[None]:
    yield
    rt.set_default_dtype(rt.float32)
    torch.set_default_dtype(torch.float32)


# ------------------------------------------------------------------ tensor(): dtype inference
INFER = [
    [1, 2.0], [True, 1], [True, 1.5], [[True], [False]], [np.float64(1.0), np.float64(2)], [np.float32(1.0), 2.0],
    [np.int32(1), 2], [np.int32(1), np.int32(2)], np.float64(1.5), np.float32(1.5), np.int32(3), np.bool_(True),
    [np.float64(1.0), 1], [1, np.float64(1.0)], [], [[], []], (1, 2), [[1], [2.0]], [np.float16(1)], [2**63 - 1],
    [np.int8(1), np.uint8(2)], 7, 2.5, True, [[1, 2], [3, 4]], [-0.0, float("inf"), float("nan")],
    np.array([[1, 2]], dtype=np.int16), [np.array([1, 2], dtype=np.int16), np.array([3, 4], dtype=np.int16)],
]  # fmt: skip


@pytest.mark.filterwarnings("ignore:Creating a tensor from a list of numpy.ndarrays")
@pytest.mark.parametrize("data", INFER, ids=[repr(d)[:40] for d in INFER])
@pytest.mark.parametrize("default", ["float32", "float64"])
def test_tensor_infers_dtypes_as_torch(data: Any, default: str) -> None:
    rt.set_default_dtype(getattr(rt, default))
    torch.set_default_dtype(getattr(torch, default))
    _same(rt.tensor(data), torch.tensor(data))


def test_lists_of_zero_dim_tensors() -> None:
    for vals, dt in (([1.0, 2.0], "float32"), ([1, 2], "int32"), ([1.5, 2.5], "float64")):
        r = rt.tensor([rt.tensor(v, dtype=getattr(rt, dt)) for v in vals])
        t = torch.tensor([torch.tensor(v, dtype=getattr(torch, dt)) for v in vals])
        _same(r, t)
    _same(rt.tensor([rt.tensor(1, dtype=rt.int32), 2.5]), torch.tensor([torch.tensor(1, dtype=torch.int32), 2.5]))
    _same(rt.tensor([[rt.tensor(1.0)], [2]]), torch.tensor([[torch.tensor(1.0)], [2]]))
    x = rt.tensor(3.0, requires_grad=True)
    assert not rt.tensor([x, x]).requires_grad  # a copy of the values, outside the graph


@pytest.mark.parametrize(
    ("data", "dtype"),
    [([1.7, -2.2], "int64"), ([-1, 2], "uint8"), ([1e300], "float32"), ([True, 2.5, 0], "bool"), (3, "float16"),
     ([[1, 2]], "bfloat16"), (np.array([1.5, 2.5]), "int32"), ([0.1, 0.2], "float64")],
)  # fmt: skip
def test_tensor_with_explicit_dtype_converts_as_torch(data: Any, dtype: str) -> None:
    _same(rt.tensor(data, dtype=getattr(rt, dtype)), torch.tensor(data, dtype=getattr(torch, dtype)))


@pytest.mark.parametrize(
    ("data", "exc", "match"),
    [
        ([[1, 2], [3]], ValueError, r"expected sequence of length 2 at dim 1 \(got 1\)"),
        ([[[1], [2]], [[3], [4, 5]]], ValueError, r"expected sequence of length 1 at dim 2 \(got 2\)"),
        ([[1, 2], 3], TypeError, "expected a sequence at dim 1"),
        ([1, [2]], TypeError, "expected a number at dim 1"),
        ([2**64], ValueError, "Overflow"),
        (["a"], ValueError, "too many dimensions 'str'"),
        (None, RuntimeError, "Could not infer dtype of NoneType"),
        ([None], RuntimeError, "Could not infer dtype of NoneType"),
        ("abc", TypeError, "invalid data type 'str'"),
        ([1 + 2j], TypeError, "complex"),
        ([rt.zeros(2), rt.zeros(2)], TypeError, "only 0-d tensors"),
        (np.array([1, 2], dtype=np.uint16), TypeError, "uint16"),
    ],
)
def test_tensor_errors(data: Any, exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        rt.tensor(data)


def test_tensor_errors_use_torch_exception_classes() -> None:
    for data in ([[1, 2], [3]], [2**64], ["a"]):
        with pytest.raises(ValueError):
            torch.tensor(data)
    with pytest.raises(RuntimeError):
        torch.tensor(None)


def test_tensor_copies_and_takes_keywords() -> None:
    a = np.arange(3.0)
    t = rt.tensor(a)
    a[0] = 9
    assert t.tolist() == [0.0, 1.0, 2.0]
    src = rt.ones(2)
    c = rt.tensor(src)
    c[0] = 5
    assert src.tolist() == [1.0, 1.0]
    g = rt.tensor([1.0, 2.0], requires_grad=True, device="cpu")
    assert g.requires_grad and g.is_leaf and g.device == rt.device("cpu")
    assert rt.tensor([1.0], device=rt.device("cpu")).device.type == "cpu"
    with pytest.raises(RuntimeError, match="only the 'cpu' device"):
        rt.tensor([1.0], device="cuda")
    with pytest.raises(RuntimeError, match="floating point"):
        rt.tensor([1, 2], requires_grad=True)
    _same(rt.tensor(torch.tensor([1, 2], dtype=torch.int16)), torch.tensor([1, 2], dtype=torch.int16))


# ------------------------------------------------------------------ as_tensor / from_numpy
def test_as_tensor_and_from_numpy_share_memory() -> None:
    a = np.zeros(3)
    t = rt.as_tensor(a)
    a[1] = 4
    assert t.tolist() == [0.0, 4.0, 0.0] and t.dtype is rt.float64
    assert rt.as_tensor(a, dtype=rt.float64).data_ptr() == a.ctypes.data
    c = rt.as_tensor(a, dtype=rt.float32)
    a[0] = 1
    assert c.tolist() == [0.0, 4.0, 0.0]  # a conversion copies
    x = rt.ones(2)
    assert rt.as_tensor(x) is x
    assert rt.as_tensor([1, 2]).dtype is rt.int64
    f = rt.from_numpy(a)
    f[2] = 7
    assert a[2] == 7
    nc = np.arange(12.0).reshape(3, 4)[:, ::2]
    assert rt.from_numpy(nc).stride() == (4, 2)


def test_from_numpy_errors_as_torch() -> None:
    with pytest.raises(TypeError, match=r"expected np.ndarray \(got list\)"):
        rt.from_numpy([1, 2])
    with pytest.raises(ValueError, match="negative"):
        rt.from_numpy(np.arange(3)[::-1])
    with pytest.raises(ValueError, match="negative"):
        rt.as_tensor(np.arange(3)[::-1])
    with pytest.raises(TypeError, match="uint16"):
        rt.from_numpy(np.zeros(2, dtype=np.uint16))


# ------------------------------------------------------------------ filled tensors
@pytest.mark.parametrize("name", ["zeros", "ones"])
def test_zeros_ones_forms(name: str) -> None:
    r, t = getattr(rt, name), getattr(torch, name)
    for args, kw in [((2, 3), {}), (((2, 3),), {}), (([2, 3],), {}), ((rt.Size([2, 3]),), {}),
                     ((0,), {"dtype": rt.int32}), ((2,), {"dtype": rt.bool})]:  # fmt: skip
        targs = tuple(torch.Size(a) if isinstance(a, rt.Size) else a for a in args)
        _same(r(*args, **kw), t(*targs, **{k: getattr(torch, v.name) for k, v in kw.items()}))
    x = r(2, 2, requires_grad=True)
    assert x.requires_grad and x.is_leaf and x.grad_fn is None
    with pytest.raises(RuntimeError, match="floating point"):
        r(2, dtype=rt.int64, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"negative dimension -2: \[-2\]"):
        r(-2)
    with pytest.raises(TypeError, match=r"argument 'size' must be a tuple of ints, got \(2\.5,\)"):
        r(2.5)
    with pytest.raises(TypeError, match="missing 1 required positional arguments"):
        r()


def test_empty_and_full() -> None:
    e = rt.empty(2, 3, dtype=rt.float64)
    assert e.shape == (2, 3) and e.dtype is rt.float64
    _same(rt.full((2, 2), 7), torch.full((2, 2), 7))
    _same(rt.full((2,), 1.5, dtype=rt.float64), torch.full((2,), 1.5, dtype=torch.float64))
    _same(rt.full([3], False), torch.full([3], False))
    _same(rt.full((2,), rt.tensor(2.5)), torch.full((2,), torch.tensor(2.5)))
    _same(rt.full((2,), 255, dtype=rt.uint8), torch.full((2,), 255, dtype=torch.uint8))
    with pytest.raises(RuntimeError, match="300 cannot be converted to type uint8 without overflow"):
        rt.full((2,), 300, dtype=rt.uint8)
    assert rt.full((1,), 2.0, requires_grad=True).requires_grad


def test_like_functions_follow_input_dtype_and_shape() -> None:
    x, tx = rt.zeros(2, 3, dtype=rt.int16), torch.zeros(2, 3, dtype=torch.int16)
    for name in ("zeros_like", "ones_like"):
        _same(getattr(rt, name)(x), getattr(torch, name)(tx))
        _same(getattr(rt, name)(x, dtype=rt.float64), getattr(torch, name)(tx, dtype=torch.float64))
    _same(rt.full_like(x, 2.7), torch.full_like(tx, 2.7))
    e = rt.empty_like(x.T)
    assert e.shape == (3, 2) and e.dtype is rt.int16
    assert rt.zeros_like(rt.zeros(2), requires_grad=True).requires_grad
    with pytest.raises(TypeError, match=r"ones_like\(\): argument 'input'"):
        rt.ones_like([1, 2])


def test_new_methods() -> None:
    x, tx = rt.zeros(1, dtype=rt.int32), torch.zeros(1, dtype=torch.int32)
    _same(x.new_zeros(2, 3), tx.new_zeros(2, 3))
    _same(x.new_zeros((2, 3)), tx.new_zeros((2, 3)))
    _same(x.new_ones([2]), tx.new_ones([2]))
    _same(x.new_full((2,), 3.7), tx.new_full((2,), 3.7))
    _same(x.new_tensor([[1.5, 2]]), tx.new_tensor([[1.5, 2]]))
    _same(x.new_zeros(2, dtype=rt.float64), tx.new_zeros(2, dtype=torch.float64))
    assert x.new_empty(4).shape == (4,) and x.new_empty(4).dtype is rt.int32
    y = rt.zeros(1).new_ones(2, requires_grad=True)
    assert y.requires_grad and y.is_leaf


def test_out_argument() -> None:
    out = rt.empty(0)
    r = rt.zeros(2, 2, out=out)
    assert r is out and out.shape == (2, 2) and out.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    out = rt.empty(3, dtype=rt.int64)
    rt.arange(3, out=out)
    assert out.tolist() == [0, 1, 2]


# ------------------------------------------------------------------ ranges
ARANGE = [
    (5,), (1, 4), (0, 1, 0.1), (1, 2.5, 0.5), (-1, -10, -3), (3, 3), (0.5, 3.7, 1.2), (-3.5, 3), (0, 10, 3),
    (2.0,), (1, 1.3, 0.1), (0, 0.3, 0.1), (10, 0, -0.7), (1e-3, 1, 1e-3), (0, 1, 1 / 3), (-5, 5, 0.25),
]  # fmt: skip


@pytest.mark.parametrize("args", ARANGE, ids=[str(a) for a in ARANGE])
@pytest.mark.parametrize("dtype", [None, "int64", "int32", "int16", "float16", "float32", "float64", "bfloat16"])
def test_arange_matches_torch(args: tuple[Any, ...], dtype: str | None) -> None:
    kw_r = {} if dtype is None else {"dtype": getattr(rt, dtype)}
    kw_t = {} if dtype is None else {"dtype": getattr(torch, dtype)}
    try:
        t = torch.arange(*args, **kw_t)
    except (RuntimeError, ValueError) as e:
        with pytest.raises(type(e)):
            rt.arange(*args, **kw_r)
        return
    _same(rt.arange(*args, **kw_r), t, atol=1e-6, rtol=1e-6 if dtype not in ("float16", "bfloat16") else 1e-2)


def test_arange_tensor_arguments_and_errors() -> None:
    _same(rt.arange(rt.tensor(4)), torch.arange(torch.tensor(4)))
    _same(rt.arange(rt.tensor(0.5), 3), torch.arange(torch.tensor(0.5), 3))
    _same(rt.arange(np.int32(3)), torch.arange(3))
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        rt.arange(0, 1, 0)
    with pytest.raises(RuntimeError, match="upper bound and lower bound inconsistent with step sign"):
        rt.arange(0, 10, -1)
    with pytest.raises(RuntimeError, match="unsupported range: 0 -> nan"):
        rt.arange(float("nan"))
    assert rt.arange(0, 3, 1.0, requires_grad=True).requires_grad


LINSPACE = [(0, 1, 5), (-2, 3.5, 7), (1, 1, 3), (0, 1, 1), (0, 1, 0), (3, -2, 11), (0, 10, 100), (-1.5, 1e3, 33)]


@pytest.mark.parametrize("args", LINSPACE, ids=[str(a) for a in LINSPACE])
@pytest.mark.parametrize("dtype", [None, "float64", "float16", "int64", "int32", "uint8"])
def test_linspace_and_logspace_match_torch(args: tuple[Any, ...], dtype: str | None) -> None:
    kw_r = {} if dtype is None else {"dtype": getattr(rt, dtype)}
    kw_t = {} if dtype is None else {"dtype": getattr(torch, dtype)}
    if dtype == "uint8" and min(args[:2]) < 0:
        return  # negative values in uint8 are undefined behaviour in torch's kernel
    tol = 1e-2 if dtype == "float16" else 2e-6
    _same(rt.linspace(*args, **kw_r), torch.linspace(*args, **kw_t), atol=tol, rtol=tol)
    s, e, n = args
    if max(abs(s), abs(e)) < 30:
        for base in (10.0, 2.0, 0.5):
            r = rt.logspace(s, e, n, base=base, **kw_r)
            t = torch.logspace(s, e, n, base=base, **kw_t)
            if r.dtype.is_floating_point:
                _same(r, t, atol=1e-6, rtol=tol * 5)
            else:  # truncation of a power that is an integer up to rounding (10**2 = 99.99...) may differ by 1
                assert r.dtype.name == str(t.dtype).removeprefix("torch.") and r.shape == t.shape
                np.testing.assert_allclose(r.numpy(), t.numpy(), atol=1, rtol=0)


def test_linspace_ends_are_exact() -> None:
    x = rt.linspace(-1.3, 7.1, 1001, dtype=rt.float64)
    assert x[0].item() == -1.3 and x[-1].item() == 7.1 and x.shape == (1001,)
    with pytest.raises(RuntimeError, match="number of steps must be non-negative"):
        rt.linspace(0, 1, -1)


# ------------------------------------------------------------------ matrices
def test_eye() -> None:
    _same(rt.eye(3), torch.eye(3))
    _same(rt.eye(2, 4, dtype=rt.int64), torch.eye(2, 4, dtype=torch.int64))
    _same(rt.eye(0), torch.eye(0))
    _same(rt.eye(3, dtype=rt.bool), torch.eye(3, dtype=torch.bool))
    assert rt.eye(2, requires_grad=True).requires_grad


def test_diag_round_trip_and_gradients() -> None:
    v = rt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    tv = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for k in (0, 1, -2):
        m, tm = rt.diag(v, k), torch.diag(tv, k)
        _same(m, tm)
        _same(rt.diag(m, k), torch.diag(tm, k))
        g = rt.arange(m.numel(), dtype=rt.float32).reshape(m.shape)
        m.backward(g)
        tm.backward(torch.arange(tm.numel(), dtype=torch.float32).reshape(tm.shape))
        _same(v.grad, tv.grad)
    a = rt.arange(12.0).reshape(3, 4).requires_grad_()
    ta = torch.arange(12.0).reshape(3, 4).requires_grad_()
    rt.diag(a, 1).sum().backward()
    torch.diag(ta, 1).sum().backward()
    _same(a.grad, ta.grad)
    _same(a.diag(-1), ta.diag(-1))


def test_diag_embed_matches_torch() -> None:
    x = np.arange(6.0).reshape(2, 3)
    for kw in ({}, {"offset": 1}, {"offset": -2, "dim1": 0, "dim2": 2}, {"dim1": 2, "dim2": 0}, {"dim1": -1}):
        kw = {"dim1": -2, "dim2": -1, **kw} if "dim2" not in kw else kw
        if kw["dim1"] == kw["dim2"]:
            kw["dim2"] = 0
        _same(rt.diag_embed(rt.tensor(x), **kw), torch.diag_embed(torch.tensor(x), **kw))


def test_meshgrid_behaviour() -> None:
    a, b = rt.tensor([1, 2]), rt.tensor([3, 4, 5])
    ta, tb = torch.tensor([1, 2]), torch.tensor([3, 4, 5])
    for indexing in ("ij", "xy"):
        for r, t in zip(rt.meshgrid(a, b, indexing=indexing), torch.meshgrid(ta, tb, indexing=indexing), strict=True):
            _same(r, t)
        for r, t in zip(rt.meshgrid([a, b, rt.tensor(7)], indexing=indexing),
                        torch.meshgrid([ta, tb, torch.tensor(7)], indexing=indexing), strict=True):  # fmt: skip
            _same(r, t)
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        x, _ = rt.meshgrid(a, b)
    _same(x, torch.meshgrid(ta, tb, indexing="ij")[0])
    gx, _ = rt.meshgrid(a, b, indexing="ij")
    assert gx._base is a and np.shares_memory(gx.numpy(), a.numpy())
    f = rt.tensor([1.0, 2.0], requires_grad=True)
    gx, _ = rt.meshgrid(f, rt.ones(3), indexing="ij")
    gx.sum().backward()
    assert f.grad.tolist() == [3.0, 3.0]


# ------------------------------------------------------------------ rt.Tensor legacy constructor
def test_legacy_tensor_constructor() -> None:
    _same(rt.Tensor([1, 2]), torch.Tensor([1, 2]))
    _same(rt.Tensor([[True], [False]]), torch.Tensor([[True], [False]]))
    _same(rt.Tensor(np.array([1, 2])), torch.Tensor(np.array([1, 2])))
    _same(rt.Tensor((2, 3)), torch.Tensor((2, 3)))
    assert rt.Tensor(2, 3).shape == (2, 3) and rt.Tensor(2, 3).dtype is rt.float32
    assert rt.Tensor(rt.Size([4, 1])).shape == (4, 1)
    assert rt.Tensor().shape == (0,)
    i = rt.tensor([1, 2])
    alias = rt.Tensor(i)
    assert alias.dtype is rt.int64 and alias.data_ptr() == i.data_ptr()
    with pytest.raises(TypeError, match="data must be a sequence"):
        rt.Tensor(3.5)
    with pytest.raises(RuntimeError, match="negative dimension"):
        rt.Tensor(-1)
    rt.set_default_dtype(rt.float64)
    assert rt.Tensor([1]).dtype is rt.float64
