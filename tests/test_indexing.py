"""Tensor.__getitem__ / __setitem__ and the indexing functions: properties vs NumPy and PyTorch.

Random keys mix ints, slices (positive steps), None, Ellipsis, Python bools, integer
lists/tensors (negative and duplicate entries) and bool masks. PyTorch is the reference
for every key; NumPy too wherever its rules agree with torch's (torch selects ints before
applying advanced indices, NumPy treats ints as advanced indices: they differ only when
that changes whether the advanced indices are adjacent).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rustytorch as rt

torch = pytest.importorskip("torch")

_SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------------------------ random keys
# A key item is (kind, value): ("int", i), ("slice", (start, stop, step)), ("none",), ("ellipsis",),
# ("bool", b), ("array", (values, form)) with form "list" | "int64" | "int32", ("mask", ndarray).
@st.composite
def shape_and_key(draw: Any) -> tuple[tuple[int, ...], list[tuple[Any, ...]], bool]:
    ndim = draw(st.integers(0, 4))
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=ndim, max_size=ndim)))
    kinds = draw(st.lists(st.sampled_from(["int", "slice", "array", "mask", "none", "ellipsis", "bool"]), max_size=5))
    # keep at most one Ellipsis and no more dims than the tensor has
    out_kinds: list[str] = []
    consumed = 0
    mask_dims: list[int] = []
    for k in kinds:
        if k == "ellipsis" and "ellipsis" in out_kinds:
            continue
        need = 0
        if k in ("int", "slice", "array"):
            need = 1
        elif k == "mask":
            need = draw(st.integers(1, 2))
        if consumed + need > ndim:
            continue
        consumed += need
        out_kinds.append(k)
        if k == "mask":
            mask_dims.append(need)
    # the tensor dim each consuming item starts at
    ell = out_kinds.index("ellipsis") if "ellipsis" in out_kinds else len(out_kinds)
    dim = 0
    masks = iter(mask_dims)
    length = draw(st.integers(0, 3))  # a common length for index arrays, so that they broadcast
    items: list[tuple[Any, ...]] = []
    for i, k in enumerate(out_kinds):
        if i == ell:
            dim += ndim - consumed
            items.append(("ellipsis",))
            continue
        if k == "none":
            items.append(("none",))
        elif k == "bool":
            items.append(("bool", draw(st.booleans())))
        elif k == "mask":
            m = next(masks)
            mshape = shape[dim : dim + m]
            bits = draw(st.lists(st.booleans(), min_size=int(np.prod(mshape)), max_size=int(np.prod(mshape))))
            items.append(("mask", np.array(bits, dtype=bool).reshape(mshape)))
            dim += m
        else:
            n = shape[dim]
            if k == "int" and n > 0:
                items.append(("int", draw(st.integers(-n, n - 1))))
            elif k == "array" and (n > 0 or length == 0):
                vals = [draw(st.integers(-n, n - 1)) for _ in range(length)] if n else []
                if draw(st.booleans()) and vals:
                    vals = vals[:1]  # broadcasts against the others
                items.append(("array", (vals, draw(st.sampled_from(["list", "int64", "int32"])))))
            else:
                start = draw(st.none() | st.integers(-6, 6))
                stop = draw(st.none() | st.integers(-6, 6))
                step = draw(st.none() | st.integers(1, 3))
                items.append(("slice", (start, stop, step)))
            dim += 1
    bare = len(items) == 1 and draw(st.booleans())
    return shape, items, bare


def _key(items: list[tuple[Any, ...]], bare: bool, lib: str) -> Any:
    out: list[Any] = []
    for it in items:
        kind = it[0]
        if kind == "int":
            out.append(it[1])
        elif kind == "slice":
            out.append(slice(*it[1]))
        elif kind == "none":
            out.append(None)
        elif kind == "ellipsis":
            out.append(Ellipsis)
        elif kind == "bool":
            out.append(it[1])
        elif kind == "mask":
            m = it[1]
            out.append({"rt": rt.tensor, "torch": torch.tensor, "np": np.asarray}[lib](m))
        else:
            vals, form = it[1]
            if lib == "np":
                out.append(np.array(vals, dtype=np.int64))
            elif form == "list":
                out.append(list(vals))
            else:
                dt = {"int64": (rt.int64, torch.int64), "int32": (rt.int32, torch.int32)}[form]
                out.append(rt.tensor(vals, dtype=dt[0]) if lib == "rt" else torch.tensor(vals, dtype=dt[1]))
    if bare:
        return out[0]
    return tuple(out)


def _numpy_agrees(items: list[tuple[Any, ...]], ndim: int) -> bool:
    """Whether NumPy's placement of advanced dims equals torch's for this key."""
    adv = [i for i, it in enumerate(items) if it[0] in ("array", "mask", "bool")]
    if not adv:
        return True
    with_ints = [i for i, it in enumerate(items) if it[0] in ("array", "mask", "bool", "int")]

    def contiguous(pos: list[int]) -> bool:
        return pos == list(range(pos[0], pos[0] + len(pos)))

    # torch: ints are removed before indexing, so they never separate the advanced indices; nor does an
    # Ellipsis that covers no dimension (NumPy counts it as a separator)
    consumed = sum(1 if it[0] in ("int", "slice", "array") else it[1].ndim if it[0] == "mask" else 0 for it in items)
    gone = ("int", "ellipsis") if consumed == ndim else ("int",)
    squeezed = [p - sum(1 for q in range(p) if items[q][0] in gone) for p in adv]
    return contiguous(with_ints) == contiguous(squeezed)


def _data(shape: tuple[int, ...], dtype: Any = np.float64) -> np.ndarray:
    return (np.arange(int(np.prod(shape))) * 1.5 - 4).astype(dtype).reshape(shape)


def _torch_result(fn: Any) -> tuple[Any, type[BaseException] | None]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(), None
    except (IndexError, RuntimeError, ValueError, TypeError) as e:
        return None, type(e)


def _is_basic(items: list[tuple[Any, ...]]) -> bool:
    return all(it[0] in ("int", "slice", "none", "ellipsis") for it in items)


# ------------------------------------------------------------------------------ __getitem__
@_SETTINGS
@given(shape_and_key())
def test_getitem_matches_torch_and_numpy(case: Any) -> None:
    shape, items, bare = case
    a = _data(shape)
    x = rt.tensor(a)
    expected, exc = _torch_result(lambda: torch.from_numpy(a.copy())[_key(items, bare, "torch")])
    if exc is not None:
        with pytest.raises(exc):
            x[_key(items, bare, "rt")]
        return
    got = x[_key(items, bare, "rt")]
    assert tuple(got.shape) == tuple(expected.shape), (items, got.shape, expected.shape)
    np.testing.assert_array_equal(got.numpy(), expected.numpy())
    if _numpy_agrees(items, len(shape)):
        np.testing.assert_array_equal(got.numpy(), a[_key(items, bare, "np")])
    if _is_basic(items):  # a view: same storage, same layout as torch's
        assert got._base is x
        if got.numel():  # strides of size-1 dims are arbitrary (NumPy and torch pick differently)
            big = [i for i, n in enumerate(got.shape) if n > 1]
            assert [got.stride(i) for i in big] == [expected.stride(i) for i in big]
            assert np.shares_memory(got.numpy(), x.numpy())
            assert got.storage_offset() == expected.storage_offset()
    elif got.numel():
        assert not np.shares_memory(got.numpy(), x.numpy())


@_SETTINGS
@given(shape_and_key())
def test_getitem_gradient_matches_torch(case: Any) -> None:
    shape, items, bare = case
    a = _data(shape)
    tx = torch.from_numpy(a.copy()).requires_grad_()
    ty, exc = _torch_result(lambda: tx[_key(items, bare, "torch")])
    if exc is not None:
        return
    x = rt.tensor(a, requires_grad=True)
    y = x[_key(items, bare, "rt")]
    g = np.random.default_rng(0).standard_normal(tuple(ty.shape))
    ty.backward(torch.from_numpy(g))
    y.backward(rt.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------------------ __setitem__
def _unique_advanced(items: list[tuple[Any, ...]], shape: tuple[int, ...]) -> bool:
    """True when writes cannot collide: one advanced item, a mask or an array with distinct entries."""
    adv = [it for it in items if it[0] in ("array", "mask", "bool")]
    if not adv:
        return True
    if len(adv) != 1:
        return False
    if adv[0][0] == "mask":
        return True
    if adv[0][0] == "bool":
        return False
    vals = adv[0][1][0]
    return len(set(vals)) == len(vals) and len({v % 5 for v in vals}) == len(vals) and all(v >= 0 for v in vals)


@_SETTINGS
@given(shape_and_key(), st.sampled_from(["scalar", "full", "trailing", "int_scalar"]), st.booleans())
def test_setitem_matches_torch_and_numpy(case: Any, vkind: str, view_of_base: bool) -> None:
    shape, items, bare = case
    a = _data(shape)
    res, exc = _torch_result(lambda: torch.from_numpy(a.copy())[_key(items, bare, "torch")])
    if exc is not None:
        x = rt.tensor(a)
        with pytest.raises(exc):
            x[_key(items, bare, "rt")] = 1.0
        return
    rshape = tuple(res.shape)
    if vkind in ("full", "trailing") and not _unique_advanced(items, shape):
        vkind = "scalar"
    if vkind == "scalar":
        value_np: Any = 7.25
    elif vkind == "int_scalar":
        value_np = -3
    else:
        vshape = rshape if vkind == "full" else rshape[len(rshape) // 2 :]
        value_np = np.random.default_rng(1).standard_normal(vshape)
    t = torch.from_numpy(a.copy())
    t[_key(items, bare, "torch")] = torch.from_numpy(value_np) if isinstance(value_np, np.ndarray) else value_np
    # write through a view of a bigger base: the base sees the write
    base = rt.tensor(np.concatenate([a.reshape(-1), np.zeros(3)])) if view_of_base else None
    x = base[: a.size].view(shape) if base is not None else rt.tensor(a)
    v0 = x._version
    x[_key(items, bare, "rt")] = rt.tensor(value_np) if isinstance(value_np, np.ndarray) else value_np
    np.testing.assert_array_equal(x.numpy(), t.numpy())
    assert x._version > v0
    if base is not None:
        np.testing.assert_array_equal(base.numpy()[: a.size].reshape(shape), t.numpy())
        np.testing.assert_array_equal(base.numpy()[a.size :], np.zeros(3))
    if _numpy_agrees(items, len(shape)):
        e = a.copy()
        e[_key(items, bare, "np")] = value_np
        np.testing.assert_array_equal(x.numpy(), e)


def _has_inplace_graph() -> bool:
    from rustytorch.ops import inplace_graph

    return hasattr(inplace_graph, "record_inplace")


@pytest.mark.skipif(not _has_inplace_graph(), reason="ops.inplace_graph.record_inplace not available yet")
@_SETTINGS
@given(shape_and_key())
def test_setitem_gradient_matches_torch(case: Any) -> None:
    shape, items, bare = case
    a = _data(shape)
    res, exc = _torch_result(lambda: torch.from_numpy(a.copy())[_key(items, bare, "torch")])
    if exc is not None or not _unique_advanced(items, shape):
        return
    rng = np.random.default_rng(2)
    vnp = rng.standard_normal(tuple(res.shape))
    wnp = rng.standard_normal(shape)
    tl = torch.from_numpy(a.copy()).requires_grad_()
    tv = torch.from_numpy(vnp.copy()).requires_grad_()
    tb = tl * 2
    tb[_key(items, bare, "torch")] = tv
    (tb * torch.from_numpy(wnp)).sum().backward()
    rl = rt.tensor(a, requires_grad=True)
    rv = rt.tensor(vnp, requires_grad=True)
    rb = rl * 2
    rb[_key(items, bare, "rt")] = rv
    (rb * rt.tensor(wnp)).sum().backward()
    np.testing.assert_allclose(rl.grad.numpy(), tl.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(rv.grad.numpy(), tv.grad.numpy(), rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------------------ specific behaviour
def test_fast_paths_are_views() -> None:
    x = rt.arange(10.0)
    s = x[2:8]
    i = x[3]
    assert s._base is x and i._base is x and i.shape == () and s.stride() == (1,)
    s[0] = 100.0
    assert x[2].item() == 100.0
    v = x[1:][2:5]  # a view of a view keeps the root as its base
    assert v._base is x
    assert x[::3].tolist() == [0.0, 3.0, 6.0, 9.0]


@pytest.mark.parametrize(
    ("key", "exc", "match"),
    [
        (5, IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
        (-4, IndexError, "index -4 is out of bounds for dimension 0 with size 3"),
        ((0, 4), IndexError, "index 4 is out of bounds for dimension 1 with size 4"),
        ((0, 1, 2), IndexError, "too many indices for tensor of dimension 2"),
        (slice(None, None, -1), ValueError, "step must be greater than zero"),
        (slice(None, None, 0), ValueError, "slice step cannot be zero"),
        (([0, 3],), IndexError, "index 3 is out of bounds for dimension 0 with size 3"),
        ((slice(None), [4]), IndexError, "index 4 is out of bounds for dimension 1 with size 4"),
        (1.5, IndexError, "only integers, slices"),
        ("a", TypeError, "str"),
        (np.array([[True, False]]), IndexError, r"mask \[1, 2\] at index 0 does not match.*\[3, 4\]"),
        ((0, np.array([True, False])), IndexError, r"mask \[2\] at index 1 does not match.*\[3, 4\]"),
        (([0, 1], [0, 1, 2]), IndexError, r"shape mismatch.*\[2\], \[3\]"),
    ],
)
def test_getitem_errors(key: Any, exc: type[BaseException], match: str) -> None:
    x = rt.zeros(3, 4)
    with pytest.raises(exc, match=match):
        x[key]
    tx = torch.zeros(3, 4)
    with pytest.raises(exc), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tx[key]


@pytest.mark.parametrize("dtype", ["int64", "int32"])
@pytest.mark.parametrize("index", [[2, 0, -1, 2], [[0, 1], [-3, 2]], [[[1]]]])
def test_integer_tensor_key_matches_torch(dtype: str, index: Any) -> None:
    # x[int tensor] outside the graph takes a fast path: same values, shape and copy semantics as torch
    a = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    x, tx = rt.tensor(a), torch.tensor(a)
    r = x[rt.tensor(index, dtype=getattr(rt, dtype))]
    t = tx[torch.tensor(index, dtype=getattr(torch, dtype))]
    np.testing.assert_array_equal(r.numpy(), t.numpy())
    assert r.dtype == rt.float32 and r._base is None
    r[...] = -1.0  # a copy: the source is unchanged
    assert x.numpy().min() == 0.0


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_integer_tensor_key_of_other_int_dtypes_is_refused(dtype: str) -> None:
    msg = "tensors used as indices must be long, int, byte or bool tensors"
    for x in (rt.zeros(3, 4), rt.zeros(3, 4, requires_grad=True)):
        with pytest.raises(IndexError, match=msg):
            x[rt.tensor([0, 1], dtype=getattr(rt, dtype))]
    with pytest.raises(IndexError, match=msg):
        torch.zeros(3, 4)[torch.tensor([0, 1], dtype=getattr(torch, dtype))]
    assert rt.zeros(3, 4)[np.array([0, 1], dtype=np.int16)].shape == (2, 4)  # NumPy keys are converted, as torch


def test_integer_tensor_key_out_of_range() -> None:
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        rt.zeros(3, 4)[rt.tensor([0, 3])]
    with pytest.raises(IndexError, match="index -4 is out of bounds for dimension 0 with size 3"):
        rt.zeros(3, 4)[rt.tensor([[-4]])]


def test_two_ellipses_raise() -> None:
    # NumPy's rule (torch 2.13 accepts some such keys with inconsistent results, e.g. x[0, ..., ..., 1] fails)
    with pytest.raises(IndexError, match="single ellipsis"):
        rt.zeros(2, 3)[..., 0, ...]


def test_getitem_0d_and_tensor_keys() -> None:
    s = rt.tensor(5.0)
    assert s[()].shape == () and s[...]._base is s and s[None].shape == (1,) and s[True].shape == (1,)
    with pytest.raises(IndexError, match="invalid index of a 0-dim tensor"):
        s[0]
    x = rt.arange(12).reshape(3, 4)
    assert x[rt.tensor(1)]._base is not None  # a 0-d integer tensor acts as an int: a view
    assert x[rt.tensor(1)].tolist() == [4, 5, 6, 7]
    assert x[np.int64(2), 1].item() == 9
    with pytest.raises(IndexError, match="long, int, byte or bool"):
        x[rt.tensor([1.0])]
    assert x[0, :, None].shape == (4, 1)
    # torch (unlike NumPy) selects ints first: x[0, :, [0, 1]] of a (2, 3, 4) tensor is (3, 2)
    y = rt.zeros(2, 3, 4)
    assert y[0, :, [0, 1]].shape == (3, 2)
    assert y[[0, 1], :, 0].shape == (2, 3)


def test_uint8_mask_and_sequence_key_warn_as_torch() -> None:
    x = rt.arange(6).reshape(2, 3)
    with pytest.warns(UserWarning, match="uint8"):
        r = x[rt.tensor([1, 0], dtype=rt.uint8)]
    assert r.tolist() == [[0, 1, 2]]
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        r = x[[[0, 1], [1, 2]]]  # torch 2.13 still reads this as x[[0, 1], [1, 2]]
    assert r.tolist() == [1, 5]


def test_setitem_dtype_cast_and_errors() -> None:
    x = rt.zeros(3, dtype=rt.int8)
    x[0] = 1.7
    x[1] = rt.tensor(300)  # tensors cast (wrapping) as torch's copy_
    assert x.tolist() == [1, torch.tensor(300).to(torch.int8).item(), 0]
    with pytest.raises(RuntimeError, match="cannot be converted to type int8 without overflow"):
        x[0] = 300
    with pytest.raises(RuntimeError, match="cannot be converted"):
        rt.zeros(2, dtype=rt.int64)[0] = float("nan")
    b = rt.zeros(2, dtype=rt.bool)
    b[0] = 2
    assert b.tolist() == [True, False]
    f = rt.zeros(3)
    with pytest.raises(RuntimeError, match=r"shape mismatch: value tensor of shape \[3\].*\[2\]"):
        f[[0, 1]] = rt.ones(3)
    with pytest.raises(RuntimeError, match=r"shape mismatch.*\[3\].*\[2\]"):
        f[0:2] = rt.ones(3)
    with pytest.raises(TypeError, match="can't assign a list"):
        f[0:2] = [1, 2]
    f[0:2] = rt.ones(1, 2)  # leading size-1 dims of the value are dropped, as torch
    assert f.tolist() == [1.0, 1.0, 0.0]


def test_setitem_expanded_and_overlap() -> None:
    e = rt.zeros(3).expand(2, 3)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        e[:] = 1.0
    with pytest.raises(RuntimeError, match="more than one element"):
        e[:, 1] = 1.0
    base = rt.zeros(3)
    e = base.expand(2, 3)
    e[0, 1] = 5.0  # the selected element has no internal overlap: allowed, as torch
    assert base.tolist() == [0.0, 5.0, 0.0]
    x = rt.arange(5.0)
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        x[1:] = x[:-1]
    x[:] = x  # full overlap is fine
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_setitem_version_and_saved_tensor_check() -> None:
    x = rt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    z = y * y  # saves y
    with rt.no_grad():
        y[0] = 10.0
    with pytest.raises(RuntimeError, match=r"modified by (an|the) in-place"):
        z.sum().backward()


def test_getitem_double_backward() -> None:
    x = rt.tensor(np.random.default_rng(3).standard_normal((3, 4)), requires_grad=True)
    for key in [(1,), (slice(None), 2), (Ellipsis, None, slice(1, 3)), ([0, 0, 2],), ([0, 1], [1, 1])]:

        def f(t: Any, k: Any = key) -> Any:
            return t[k] * t[k]

        assert rt.autograd.gradcheck(f, (x,))
        assert rt.autograd.gradgradcheck(f, (x,))


def test_duplicate_advanced_indices_accumulate_gradients() -> None:
    x = rt.zeros(4, requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0, 0.0]


# ------------------------------------------------------------------------------ in-place functions vs torch
_rng = np.random.default_rng(11)
_A = _rng.standard_normal((3, 4))
_I = np.array([[0, 2, 1, 1], [2, 0, 0, 2]])


@pytest.mark.parametrize(
    "call",
    [
        lambda m, x: x.scatter_(0, m.tensor(_I[:1]), m.tensor(_A[:1])),
        lambda m, x: x.scatter_(1, m.tensor([[0], [3], [1]]), 2.5),
        lambda m, x: x.scatter_(0, m.tensor(_I), m.tensor(_A[:2]), reduce="add"),
        lambda m, x: x.scatter_add_(0, m.tensor(_I), m.tensor(_A[:2])),
        lambda m, x: x.index_add_(0, m.tensor([2, 0, 2]), m.tensor(_A), alpha=0.5),
        lambda m, x: x.index_copy_(1, m.tensor([3, 0]), m.tensor(_A[:, :2])),
        lambda m, x: x.index_fill_(1, m.tensor([1, -1]), -2.0),
        lambda m, x: x.masked_fill_(m.tensor(_A > 0), 9.0),
        lambda m, x: x.masked_scatter_(m.tensor(_A[0] > 0), m.tensor(_A)),
        lambda m, x: x.index_put_(
            (m.tensor([0, 0]), m.tensor([1, 1])), m.tensor([1.0, 2.0], dtype=m.float64), accumulate=True
        ),
    ],
)
def test_inplace_functions_match_torch(call: Any) -> None:
    x = rt.tensor(_A.copy())
    t = torch.from_numpy(_A.copy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rt_out = call(rt, x)
        call(torch, t)
    assert rt_out is x
    np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-12)


def test_masked_fill_inplace_cannot_broadcast_self() -> None:
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"):
        rt.zeros(3).masked_fill_(rt.ones(2, 3, dtype=rt.bool), 1.0)


def test_gather_scatter_add_duality() -> None:
    """<gather(x, idx), g> == <x, scatter_add(0, idx, g)>: the two are each other's adjoint."""
    x = rt.tensor(_A)
    idx = rt.tensor(_I)
    g = rt.tensor(_rng.standard_normal((2, 4)))
    lhs = (rt.gather(x, 0, idx) * g).sum().item()
    rhs = (x * rt.zeros(3, 4, dtype=rt.float64).scatter_add(0, idx, g)).sum().item()
    assert np.isclose(lhs, rhs)


def test_scatter_reduce_multiply_has_no_gradient() -> None:
    x = rt.ones(3, requires_grad=True)
    y = rt.scatter(x * 1, 0, rt.tensor([0]), 2.0, reduce="multiply")
    with pytest.raises(RuntimeError, match="multiply"):
        y.sum().backward()


def test_nonzero_as_tuple_indexes_back() -> None:
    a = _A > 0
    got = rt.nonzero(rt.tensor(a), as_tuple=True)
    assert all(t.dtype == rt.int64 for t in got)
    np.testing.assert_array_equal(rt.tensor(_A)[got].numpy(), _A[a])
