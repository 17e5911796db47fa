"""Views share storage with their base and have torch's layout (strides, offsets, contiguity).

Every check is against torch running the same op on a tensor of the same layout.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import rustytorch as rt

torch = pytest.importorskip("torch")


def _layouts(shape: tuple[int, ...]) -> list[tuple[str, Callable[[Any], Any]]]:
    """Ways to lay out a base of ``shape`` (applied identically to a rustytorch and a torch tensor)."""
    out: list[tuple[str, Callable[[Any], Any]]] = [
        ("contiguous", lambda m: m.arange(float(np.prod(shape))).reshape(shape))
    ]
    if len(shape) >= 2:
        rev = tuple(reversed(shape))
        out.append(
            (
                "transposed",
                lambda m: m.arange(float(np.prod(shape))).reshape(rev).permute(*range(len(shape) - 1, -1, -1)),
            )
        )
    if len(shape) >= 1:
        wide = (*shape[:-1], shape[-1] * 2 + 1)
        out.append(("sliced", lambda m: m.arange(float(np.prod(wide))).reshape(wide)[..., 1::2]))
    return out


VIEW_CASES: list[tuple[str, tuple[int, ...], Callable[[Any], Any]]] = [
    ("transpose", (2, 3, 4), lambda x: x.transpose(0, 2)),
    ("swapaxes", (2, 3, 4), lambda x: x.swapaxes(-1, 1)),
    ("t", (3, 4), lambda x: x.t()),
    ("t-1d", (4,), lambda x: x.t()),
    ("T", (3, 4), lambda x: x.T),
    ("mT", (2, 3, 4), lambda x: x.mT),
    ("mH", (2, 3, 4), lambda x: x.mH),
    ("adjoint", (2, 3, 4), lambda x: x.adjoint()),
    ("permute", (2, 3, 4), lambda x: x.permute(1, 2, 0)),
    ("permute-size1", (2, 1, 4), lambda x: x.permute(2, 1, 0)),
    ("movedim", (2, 3, 4), lambda x: x.movedim(0, -1)),
    ("unsqueeze0", (3, 4), lambda x: x.unsqueeze(0)),
    ("unsqueeze1", (3, 4), lambda x: x.unsqueeze(1)),
    ("unsqueeze-last", (3, 4), lambda x: x.unsqueeze(-1)),
    ("unsqueeze-1d", (4,), lambda x: x.unsqueeze(1)),
    ("squeeze", (2, 1, 4, 1), lambda x: x.squeeze()),
    ("squeeze-dim", (2, 1, 4, 1), lambda x: x.squeeze(1)),
    ("squeeze-noop", (2, 1, 4, 1), lambda x: x.squeeze(0)),
    ("squeeze-tuple", (2, 1, 4, 1), lambda x: x.squeeze((1, 3))),
    ("flatten-view", (2, 3, 4), lambda x: x.flatten(1)),
    ("unflatten", (2, 6), lambda x: x.unflatten(1, (2, 3))),
    ("narrow", (3, 5), lambda x: x.narrow(1, 1, 3)),
    ("narrow-empty", (3, 5), lambda x: x.narrow(1, 5, 0)),
    ("select", (3, 5), lambda x: x.select(1, 2)),
    ("select-neg", (3, 5), lambda x: x.select(0, -1)),
    ("diagonal", (3, 4), lambda x: x.diagonal()),
    ("diagonal-offset", (3, 4), lambda x: x.diagonal(1)),
    ("diagonal-neg", (3, 4), lambda x: x.diagonal(-1)),
    ("diagonal-3d", (2, 3, 4), lambda x: x.diagonal(0, 2, 0)),
    ("unfold", (3, 6), lambda x: x.unfold(1, 2, 2)),
    ("unfold-overlap", (7,), lambda x: x.unfold(0, 3, 1)),
    ("expand", (3, 1), lambda x: x.expand(2, 3, 4)),
    ("expand-1", (3, 1), lambda x: x.expand(-1, 5)),
    ("view", (2, 3, 4), lambda x: x.view(6, 4)),
    ("reshape-view", (2, 3, 4), lambda x: x.reshape(2, 12)),
    ("as_strided", (3, 4), lambda x: x.as_strided((2, 2), (1, 2))),
    ("as_strided-offset", (3, 4), lambda x: x.as_strided((2,), (3,), 1)),
    ("chain", (2, 3, 4), lambda x: x.transpose(0, 1).unsqueeze(1).select(2, 1).narrow(-1, 1, 2)),
]


def _cases() -> list[Any]:
    out = []
    for name, shape, fn in VIEW_CASES:
        for lname, mk in _layouts(shape):
            out.append(pytest.param(fn, mk, id=f"{name}-{lname}"))
    return out


@pytest.mark.parametrize(("fn", "mk"), _cases())
def test_view_layout_matches_torch(fn: Callable[[Any], Any], mk: Callable[[Any], Any]) -> None:
    base, tbase = mk(rt), mk(torch)
    try:
        expected = fn(tbase)
    except RuntimeError:  # e.g. .view of a layout torch cannot view: we must raise too
        with pytest.raises(RuntimeError):
            fn(base)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # x.T on non-2-D tensors warns, as in torch
        v = fn(base)
    assert tuple(v.shape) == tuple(expected.shape)
    np.testing.assert_array_equal(v.numpy(), expected.numpy())
    if not expected._is_view():  # reshape/flatten of a layout that cannot be viewed: a copy, as torch
        assert v._base is None and not np.shares_memory(v.numpy(), base.numpy())
        return
    assert v.untyped_storage().data_ptr() == base.untyped_storage().data_ptr()
    assert v._base is not None
    assert v.stride() == expected.stride()
    assert v.storage_offset() == expected.storage_offset()
    assert v.is_contiguous() == expected.is_contiguous()


@pytest.mark.parametrize(("fn", "mk"), _cases())
def test_writes_through_views_reach_the_base(fn: Callable[[Any], Any], mk: Callable[[Any], Any]) -> None:
    base = mk(rt)
    if not base.is_contiguous():
        base = base.contiguous()
    try:
        v = fn(base)
    except RuntimeError:
        return
    if v.numel() == 0 or 0 in v.stride():
        return  # nothing to write / expanded views are not writable
    before = base._version
    flat_before = base.numpy().copy()
    v.add_(100)
    assert base._version == v._version == before + 1
    changed = base.numpy() != flat_before
    assert changed.any()
    # the elements that changed are exactly the ones the view covers (each +100 per occurrence)
    idx = rt.arange(base.numel(), dtype=rt.int64).reshape(base.shape)
    covered = np.unique(fn(idx).numpy().ravel())
    assert sorted(np.flatnonzero(changed.ravel()).tolist()) == covered.tolist()


MULTI_CASES = [
    ("unbind", lambda x: x.unbind(1)),
    ("split", lambda x: x.split(2, 1)),
    ("split-sizes", lambda x: x.split([1, 3], -1)),
    ("chunk", lambda x: x.chunk(3, 0)),
    ("tensor_split", lambda x: x.tensor_split(3, 1)),
]


@pytest.mark.parametrize(("name", "fn"), MULTI_CASES, ids=[c[0] for c in MULTI_CASES])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced"])
def test_multi_output_views_share_storage(name: str, fn: Callable[[Any], Any], layout: str) -> None:
    mk = dict(_layouts((3, 4)))[layout]
    base, tbase = mk(rt), mk(torch)
    outs, touts = fn(base), fn(tbase)
    assert len(outs) == len(touts)
    for o, t in zip(outs, touts, strict=True):
        assert o._base is not None
        assert o.untyped_storage().data_ptr() == base.untyped_storage().data_ptr()
        assert (o.stride(), o.storage_offset(), o.is_contiguous()) == (
            t.stride(),
            t.storage_offset(),
            t.is_contiguous(),
        )
        np.testing.assert_array_equal(o.numpy(), t.numpy())


def test_multi_output_views_in_the_graph_are_views() -> None:
    x = rt.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    a, b = x.split([1, 3], 1)
    assert a._base is x and b._base is x
    assert a.grad_fn is b.grad_fn and (a._output_nr, b._output_nr) == (0, 1)
    assert a.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()


# ---------------------------------------------------------------- reshape / view
def _random_layouts(
    rng: np.random.Generator, n: int
) -> list[tuple[tuple[int, ...], tuple[int, ...], Any, tuple[int, ...]]]:
    """(shape, permutation, slice, target shape) quadruples covering viewable and non-viewable reshapes."""
    out = []
    for _ in range(n):
        nd = int(rng.integers(1, 4))
        shape = tuple(int(s) for s in rng.integers(1, 4, size=nd))
        perm = tuple(int(p) for p in rng.permutation(nd))
        step = int(rng.integers(1, 3))
        numel = int(np.prod(shape))
        # a target shape: factor numel randomly, sometimes with size-1 dims inserted
        target: list[int] = []
        rest = numel
        while rest > 1:
            divisors = [f for f in range(2, rest + 1) if rest % f == 0]
            d = divisors[int(rng.integers(0, len(divisors)))]
            target.append(d)
            rest //= d
            if rng.random() < 0.3:
                target.append(1)
        out.append((shape, perm, step, tuple(target) or (1,)))
    return out


def _make_layout(m: Any, shape: tuple[int, ...], perm: tuple[int, ...], step: int) -> Any:
    inv = tuple(np.argsort(perm))
    src_shape = tuple(shape[p] for p in inv)
    wide = (*src_shape[:-1], src_shape[-1] * step)
    return m.arange(float(np.prod(wide))).reshape(wide)[..., ::step].permute(*perm)


@pytest.mark.parametrize("seed", range(4))
def test_reshape_is_a_view_exactly_when_torchs_is(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for shape, perm, step, target in _random_layouts(rng, 40):
        x = _make_layout(rt, shape, perm, step)
        tx = _make_layout(torch, shape, perm, step)
        assert tuple(x.shape) == tuple(tx.shape)
        r, tr = x.reshape(target), tx.reshape(target)
        what = f"{shape} perm {perm} step {step} -> {target}"
        np.testing.assert_array_equal(r.numpy(), tr.numpy(), err_msg=what)
        is_view = tr._is_view() and tr.untyped_storage().data_ptr() == tx.untyped_storage().data_ptr()
        assert (r._base is not None) == is_view, what
        if is_view:
            assert r.untyped_storage().data_ptr() == x.untyped_storage().data_ptr(), what
            assert r.stride() == tr.stride(), what
            assert r.storage_offset() == tr.storage_offset(), what
        else:
            assert not np.shares_memory(r.numpy(), x.numpy()), what
        try:
            tv = tx.view(target)
        except RuntimeError:
            with pytest.raises(RuntimeError, match="view size is not compatible"):
                x.view(target)
        else:
            v = x.view(target)
            assert v.stride() == tv.stride(), what


def test_view_and_reshape_errors() -> None:
    x = rt.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"view size is not compatible.*input shape \[3, 2\]"):
        x.t().view(6)
    with pytest.raises(RuntimeError, match=r"shape '\[4, -1\]' is invalid for input of size 6"):
        x.reshape(4, -1)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        x.view(-1, -1)


def test_reshape_copy_has_no_base_and_own_memory() -> None:
    x = rt.arange(6.0).reshape(2, 3).t()
    r = x.reshape(6)
    assert r._base is None and not np.shares_memory(r.numpy(), x.numpy())
    np.testing.assert_array_equal(r.numpy(), [0, 3, 1, 4, 2, 5])


def test_flatten_returns_self_when_nothing_to_merge() -> None:
    x = rt.zeros(2, 3)
    assert x.flatten(1, 1) is x and torch.zeros(2, 3).flatten(1, 1) is not None
    assert rt.tensor(5).flatten().shape == (1,)


# ------------------------------------------------------------ contiguous / clone
def test_contiguous_copies_only_when_needed_and_clone_always_copies() -> None:
    x = rt.arange(6.0).reshape(2, 3)
    assert x.contiguous() is x
    xt = x.t()
    c = xt.contiguous()
    assert c is not xt and c.is_contiguous() and not np.shares_memory(c.numpy(), x.numpy())
    assert c.stride() == torch.arange(6.0).reshape(2, 3).t().contiguous().stride()
    for t in (x, xt):
        k = t.clone()
        assert k is not t and not np.shares_memory(k.numpy(), t.numpy())
        np.testing.assert_array_equal(k.numpy(), t.numpy())


# -------------------------------------------------------------------- expand
def test_expand_layout_and_read_only() -> None:
    x = rt.tensor([[1.0], [2.0]])
    e = x.expand(3, -1, 4)
    te = torch.tensor([[1.0], [2.0]]).expand(3, -1, 4)
    assert e.stride() == te.stride() and tuple(e.shape) == tuple(te.shape)
    assert e.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    with pytest.raises(RuntimeError, match=r"expand.*-1 is not allowed"):
        x.expand(-1, 2, 1)


# ------------------------------------------------------------------ as_strided
def test_as_strided_offset_is_relative_to_the_storage() -> None:
    x = rt.arange(10.0)
    tx = torch.arange(10.0)
    v, tv = x[4:], tx[4:]
    for args in [((2,), (1,)), ((2,), (1,), 0), ((2, 2), (3, 1), 1)]:
        a, ta = v.as_strided(*args), tv.as_strided(*args)
        assert a.storage_offset() == ta.storage_offset()
        np.testing.assert_array_equal(a.numpy(), ta.numpy())
    with pytest.raises(RuntimeError, match="requiring a storage size of 44 are out of bounds for storage of size 40"):
        v.as_strided((3,), (4,), 2)


def test_as_strided_gradient_with_overlapping_output_matches_torch() -> None:
    rng = np.random.default_rng(0)
    data = rng.standard_normal((3, 4))
    g = rng.standard_normal((3, 3))
    x = rt.tensor(data, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    (x.t().as_strided((3, 3), (1, 1), 2) * rt.tensor(g)).sum().backward()
    (tx.t().as_strided((3, 3), (1, 1), 2) * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


# --------------------------------------------------------------- T and friends
def test_T_warns_like_torch_off_2d() -> None:
    with pytest.warns(UserWarning, match="x.T"):
        assert rt.zeros(2, 3, 4).T.shape == (4, 3, 2)
    with pytest.warns(UserWarning, match="0-D"):
        assert rt.tensor(1.0).T.shape == ()
    with pytest.raises(RuntimeError, match="mT is only supported on matrices"):
        _ = rt.zeros(3).mT
    with pytest.raises(RuntimeError, match="H is only supported on matrices"):
        _ = rt.zeros(2, 2, 2).H


def test_version_counter_is_shared_by_all_views() -> None:
    x = rt.zeros(4, 4)
    views = [x.t(), x.diagonal(), x.unsqueeze(0), x[1:], *x.unbind(0)]
    views[1].add_(1)
    assert x._version == 1 and all(v._version == 1 for v in views)
    np.testing.assert_array_equal(x.numpy(), np.eye(4))
    views[-1].add_(2)
    assert x._version == 2
    assert x.numpy()[3].tolist() == [2, 2, 2, 3]


@pytest.mark.parametrize(
    ("shape", "target"),
    [((0, 3), (3, 0)), ((0, 3), (-1,)), ((2, 0, 3), (0, 1, 6)), ((1, 3), (3, 1)), ((3, 1), (1, 3, 1)), ((1,), ())],
)
@pytest.mark.parametrize("transposed", [False, True])
def test_reshape_of_empty_and_size_one_layouts_matches_torch(
    shape: tuple[int, ...], target: tuple[int, ...], transposed: bool
) -> None:
    def mk(m: Any) -> Any:
        x = m.zeros(tuple(reversed(shape)) if transposed else shape)
        return x.permute(*range(len(shape) - 1, -1, -1)) if transposed else x

    x, tx = mk(rt), mk(torch)
    r, tr = x.reshape(target), tx.reshape(target)
    assert tuple(r.shape) == tuple(tr.shape)
    assert (r._base is not None) == tr._is_view()
    if tr._is_view():
        assert (r.stride(), r.storage_offset()) == (tr.stride(), tr.storage_offset())
