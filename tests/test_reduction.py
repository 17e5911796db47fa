"""Reductions, scans and sorting beyond the op table: named tuples, result dtypes, tie gradients,
zero-safe gradients, unique variants and determinism, all against PyTorch or maths."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest

import rustytorch as rt

from .compare import assert_close

torch = pytest.importorskip("torch")

RNG_SEED = 1234


def _pair(a: np.ndarray, requires_grad: bool = False) -> tuple[Any, Any]:
    r = rt.tensor(a)
    t = torch.from_numpy(a.copy())
    if requires_grad:
        r.requires_grad_()
        t.requires_grad_()
    return r, t


# ------------------------------------------------------------------ named tuples
@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("max", lambda m, x: m.max(x, 1)),
        ("min", lambda m, x: m.min(x, dim=0, keepdim=True)),
        ("sort", lambda m, x: m.sort(x, descending=True)),
        ("topk", lambda m, x: m.topk(x, 2)),
        ("kthvalue", lambda m, x: m.kthvalue(x, 2, 1)),
        ("median", lambda m, x: m.median(x, 0)),
        ("nanmedian", lambda m, x: m.nanmedian(x, 1)),
        ("mode", lambda m, x: m.mode(x, 1)),
        ("cummax", lambda m, x: m.cummax(x, 1)),
        ("cummin", lambda m, x: m.cummin(x, 0)),
        ("aminmax", lambda m, x: m.aminmax(x, dim=1)),
    ],
)
def test_named_tuples_match_torch(name: str, call: Any) -> None:
    a = np.array([[3.0, 1.0, 2.0], [0.5, 4.0, -1.0]], dtype=np.float32)
    r, t = _pair(a)
    rr, tr = call(rt, r), call(torch, t)
    assert type(rr).__name__ == type(tr).__name__ == name
    assert isinstance(rr, tuple) and len(rr) == 2
    fields = ("min", "max") if name == "aminmax" else ("values", "indices")
    first, second = rr  # tuple unpacking
    assert first is rr[0] is getattr(rr, fields[0])
    assert second is rr[1] is getattr(rr, fields[1])
    assert_close(tuple(rr), tuple(tr), 0, 0, what=name)
    assert repr(rr) == f"rustytorch.return_types.{name}(\n{fields[0]}={first!r},\n{fields[1]}={second!r})"
    assert repr(tr).startswith(f"torch.return_types.{name}(\n{fields[0]}=")  # the same layout as torch
    assert pickle.loads(pickle.dumps(rr))[1].tolist() == rr[1].tolist()


def test_max_with_a_tensor_is_the_elementwise_maximum() -> None:
    a = np.array([[1.0, 5.0], [4.0, 2.0]], np.float32)
    b = np.array([3.0, 3.0], np.float32)
    assert_close(rt.max(rt.tensor(a), rt.tensor(b)), torch.max(torch.from_numpy(a), torch.from_numpy(b)), 0, 0)
    assert_close(rt.min(rt.tensor(a), rt.tensor(b)), torch.min(torch.from_numpy(a), torch.from_numpy(b)), 0, 0)


# ------------------------------------------------------------------------ dtypes
INT_DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64")


@pytest.mark.parametrize("dt", INT_DTYPES)
def test_integer_sums_products_and_scans_are_int64(dt: str) -> None:
    a = np.array([[1, 0, 1], [1, 1, 0]]).astype(np.dtype(dt))
    r, t = _pair(a)
    for fn in ("sum", "prod", "nansum"):
        assert_close(getattr(rt, fn)(r), getattr(torch, fn)(t), 0, 0, what=fn)
        assert getattr(rt, fn)(r).dtype == rt.int64
    for fn in ("cumsum", "cumprod"):
        assert getattr(rt, fn)(r, 1).dtype == rt.int64
        assert_close(getattr(rt, fn)(r, 1), getattr(torch, fn)(t, 1), 0, 0, what=fn)
    assert rt.sum(r, dim=0).dtype == rt.int64
    assert rt.sum(r, dtype=rt.int8).dtype == rt.int8


@pytest.mark.parametrize("dt", INT_DTYPES)
def test_all_any_and_counts(dt: str) -> None:
    a = np.array([[1, 0, 1], [1, 1, 1]]).astype(np.dtype(dt))
    r, t = _pair(a)
    for fn in ("all", "any"):
        for kw in ({}, {"dim": 1}, {"dim": (0, 1)}, {"dim": 0, "keepdim": True}):
            assert_close(getattr(rt, fn)(r, **kw), getattr(torch, fn)(t, **kw), 0, 0, what=f"{fn} {kw}")
    assert rt.all(r).dtype == (rt.uint8 if dt == "uint8" else rt.bool)
    assert_close(rt.count_nonzero(r, dim=1), torch.count_nonzero(t, dim=1), 0, 0)
    assert rt.count_nonzero(r).dtype == rt.int64


def test_float_only_reductions_reject_integers() -> None:
    x = rt.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match=r"mean\(\).*int64"):
        rt.mean(x)
    assert_close(rt.mean(x, dtype=rt.float64), torch.mean(torch.tensor([1, 2, 3]), dtype=torch.float64), 0, 0)
    with pytest.raises(RuntimeError, match=r"var\(\).*floating point"):
        rt.var(x)
    with pytest.raises(RuntimeError, match=r"vector_norm.*floating point"):
        rt.norm(x)
    assert rt.logsumexp(x, 0).dtype == rt.float32  # ints give the default float dtype, as torch


def test_argmax_whole_tensor_returns_the_flat_index() -> None:
    a = np.array([[1.0, 7.0, 3.0], [9.0, 0.0, 9.0]], np.float32)
    r, t = _pair(a)
    assert rt.argmax(r).item() == torch.argmax(t).item() == 3
    assert_close(rt.argmax(r, keepdim=True), torch.argmax(t, keepdim=True), 0, 0)
    assert_close(rt.argmin(r, 1, True), torch.argmin(t, 1, True), 0, 0)
    assert rt.argmax(r).dtype == rt.int64


def test_half_precision_sums_accumulate_in_float32() -> None:
    a = np.full(4096, 0.1, np.float16)
    r, t = _pair(a)
    for fn in ("sum", "mean"):
        assert_close(getattr(rt, fn)(r), getattr(torch, fn)(t), 1e-3, 1e-3, what=fn)
        assert getattr(rt, fn)(r).dtype == rt.float16


# ---------------------------------------------------------------- gradients
def _grad_vs_torch(fn: Any, a: np.ndarray, tfn: Any = None) -> None:
    r, t = _pair(a.astype(np.float64), requires_grad=True)
    ro, to = fn(rt, r), (tfn or fn)(torch, t)
    go = np.random.default_rng(RNG_SEED).standard_normal(tuple(to.shape))
    (rg,) = rt.autograd.grad(ro, r, rt.tensor(go))
    (tg,) = torch.autograd.grad(to, t, torch.from_numpy(go))
    assert_close(rg, tg, 1e-12, 1e-10)


TIES = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [0.0, 3.0, -1.0]])


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, x: m.max(x),
        lambda m, x: m.min(x),
        lambda m, x: m.amax(x),
        lambda m, x: m.amax(x, 1),
        lambda m, x: m.amin(x, (0, 1), keepdim=True),
        lambda m, x: m.amax(x, 0, keepdim=True),
        lambda m, x: m.max(x, 1).values,
        lambda m, x: m.min(x, 0, keepdim=True)[0],
        lambda m, x: m.median(x),
        lambda m, x: m.nanmedian(x),
        lambda m, x: m.norm(x, float("inf")),
        lambda m, x: m.norm(x, float("-inf"), dim=1),
        lambda m, x: m.aminmax(x, dim=1).max,
    ],
)
def test_tie_gradients_match_torch(fn: Any) -> None:
    _grad_vs_torch(fn, TIES)


def test_whole_tensor_max_shares_the_gradient_evenly() -> None:
    x = rt.tensor(TIES, requires_grad=True)
    rt.max(x).backward()
    expected = (TIES == 3.0) / 3.0  # three tied maxima
    np.testing.assert_allclose(x.grad.numpy(), expected)


@pytest.mark.parametrize(
    "a",
    [
        np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 3.0]]),  # a zero-variance row
        np.zeros((2, 3)),  # zero everywhere
    ],
)
@pytest.mark.parametrize(
    "fn",
    [
        lambda m, x: m.std(x, 1),
        lambda m, x: m.std(x),
        lambda m, x: m.norm(x, dim=1),
        lambda m, x: m.norm(x),
        lambda m, x: m.norm(x, 3, dim=1),
        lambda m, x: m.norm(x, 1.5, dim=1),
        lambda m, x: m.norm(x, 0.5, dim=1),
        lambda m, x: m.norm(x, 1),
    ],
)
def test_gradients_at_zero_variance_and_zero_norm_match_torch(a: np.ndarray, fn: Any) -> None:
    _grad_vs_torch(fn, a)


@pytest.mark.parametrize(
    "a",
    [
        np.array([[2.0, 0.0, 3.0], [1.0, -2.0, 0.5]]),
        np.array([[0.0, 0.0, 3.0], [1.0, -2.0, 0.0]]),
        np.array([[0.0, 2.0, 0.0, 0.0, 1.5]]),
    ],
)
@pytest.mark.parametrize(
    "fn",
    [
        lambda m, x: m.prod(x),
        lambda m, x: m.prod(x, 1),
        lambda m, x: m.prod(x, 0, keepdim=True),
        lambda m, x: m.cumprod(x, 1),
        lambda m, x: m.cumprod(x, 0),
    ],
)
def test_zero_safe_product_gradients_match_torch(a: np.ndarray, fn: Any) -> None:
    _grad_vs_torch(fn, a)


@pytest.mark.parametrize(
    "fn",
    [lambda x: rt.prod(x), lambda x: rt.prod(x, 1), lambda x: rt.cumprod(x, 1), lambda x: rt.cumprod(x, 0)],
)
def test_zero_safe_product_gradients_are_twice_differentiable(fn: Any) -> None:
    x = rt.tensor([[0.0, 2.0, -1.5], [0.5, 0.0, 3.0]], dtype=rt.float64, requires_grad=True)
    assert rt.autograd.gradcheck(fn, (x,), eps=1e-6, atol=1e-5, rtol=1e-4)
    assert rt.autograd.gradgradcheck(fn, (x,), eps=1e-6, atol=1e-5, rtol=1e-4)


def test_integer_and_index_outputs_have_no_grad_fn() -> None:
    x = rt.tensor([[1.0, 3.0], [2.0, 0.0]], requires_grad=True)
    for out in (
        rt.argmax(x), rt.argmin(x, 0), rt.max(x, 1).indices, rt.sort(x).indices, rt.argsort(x), rt.topk(x, 1)[1],
        rt.all(x), rt.any(x, 1), rt.count_nonzero(x), rt.unique(x, return_counts=True)[1],
    ):  # fmt: skip
        assert out.grad_fn is None and not out.requires_grad
    assert rt.max(x, 1).values.grad_fn is not None


def test_unique_is_not_differentiable() -> None:
    x = rt.tensor([1.0, 2.0, 1.0], requires_grad=True)
    u = rt.unique(x)
    assert u.requires_grad
    with pytest.raises(NotImplementedError, match="unique"):
        u.sum().backward()


# ------------------------------------------------------------------ var / std
def test_var_with_too_few_degrees_of_freedom_warns_and_matches_torch() -> None:
    a = np.array([1.0, 2.0, 4.0], np.float32)
    r, t = _pair(a)
    for kw in ({"correction": 3}, {"correction": 5}):
        with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
            out = rt.var(r, **kw)
        with pytest.warns(UserWarning):
            expected = torch.var(t, **kw)
        assert_close(out, expected, 0, 0)
    with pytest.warns(UserWarning, match="degrees of freedom"):
        assert np.isnan(rt.std(rt.tensor(2.0)).item())


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((), {}), ((1,), {}), ((1, False), {}), ((False,), {}), ((0,), {"correction": 0.5, "keepdim": True}),
     ((None,), {"unbiased": False}), (((0, 1), True, True), {})],
)  # fmt: skip
def test_var_std_overloads_match_torch(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    a = np.random.default_rng(RNG_SEED).standard_normal((3, 4)).astype(np.float32)
    r, t = _pair(a)
    for fn in ("var", "std", "var_mean", "std_mean"):
        assert_close(getattr(rt, fn)(r, *args, **kwargs), getattr(torch, fn)(t, *args, **kwargs), 1e-6, 1e-5, what=fn)


# -------------------------------------------------------------------- unique
@pytest.mark.parametrize("dt", ["bool", "int64", "float32"])
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"sorted": False}, {"return_inverse": True}, {"return_counts": True},
     {"return_inverse": True, "return_counts": True}, {"dim": 0, "return_inverse": True, "return_counts": True},
     {"dim": 1, "return_inverse": True}, {"dim": -1, "return_counts": True}],
)  # fmt: skip
def test_unique_matches_torch(dt: str, kwargs: dict[str, Any]) -> None:
    rng = np.random.default_rng(RNG_SEED)
    a = rng.integers(0, 3, size=(6, 4)).astype(np.dtype(dt))
    a[3] = a[1]
    r, t = _pair(a)
    assert_close(rt.unique(r, **kwargs), torch.unique(t, **kwargs), 0, 0, what=f"unique {kwargs}")
    assert_close(r.unique(**kwargs), torch.unique(t, **kwargs), 0, 0, what=f"Tensor.unique {kwargs}")


def test_unique_keeps_nans_apart_as_torch() -> None:
    a = np.array([2.0, np.nan, 1.0, np.nan, 2.0], np.float32)
    r, t = _pair(a)
    kw = {"return_inverse": True, "return_counts": True}
    assert_close(rt.unique(r, **kw), torch.unique(t, **kw), 0, 0)


@pytest.mark.parametrize(
    "kwargs", [{}, {"return_inverse": True, "return_counts": True}, {"dim": 0, "return_counts": True}]
)
def test_unique_consecutive_matches_torch(kwargs: dict[str, Any]) -> None:
    a = np.array([[1, 2], [1, 2], [3, 1], [3, 1], [1, 2]], np.int64)
    r, t = _pair(a)
    assert_close(rt.unique_consecutive(r, **kwargs), torch.unique_consecutive(t, **kwargs), 0, 0)


# ------------------------------------------------------------ NaN semantics
def test_nan_semantics_match_torch() -> None:
    a = np.array([[1.0, np.nan, 3.0, np.nan], [2.0, 0.0, -1.0, 5.0]], np.float32)
    r, t = _pair(a)
    for name in ("max", "min", "median", "nanmedian"):
        assert_close(getattr(rt, name)(r), getattr(torch, name)(t), 0, 0, what=name)
        assert_close(getattr(rt, name)(r, 1), getattr(torch, name)(t, 1), 0, 0, what=f"{name} dim")
    for name in ("argmax", "argmin", "amax", "nansum", "nanmean"):
        assert_close(getattr(rt, name)(r), getattr(torch, name)(t), 0, 0, what=name)
    assert_close(rt.sort(r, descending=True, stable=True), torch.sort(t, descending=True, stable=True), 0, 0)
    assert_close(rt.topk(r, 3), torch.topk(t, 3), 0, 0)
    assert_close(rt.cummax(r, 1), torch.cummax(t, 1), 0, 0)
    assert np.isnan(rt.nanmedian(rt.tensor([[np.nan, np.nan]]), 1).values.item())


# --------------------------------------------------------- large inputs / determinism
@pytest.mark.parametrize("shape", [(600, 700), (3, 20000), (40, 5000), (2, 3, 8192)])
@pytest.mark.parametrize("dim", [None, -1, 0])
def test_large_float32_sums_are_accurate(shape: tuple[int, ...], dim: int | None) -> None:
    a = np.random.default_rng(RNG_SEED).standard_normal(shape).astype(np.float32)
    exact = np.sum(a.astype(np.float64), axis=dim)
    scale = np.sum(np.abs(a.astype(np.float64)), axis=dim)
    for fn in (rt.sum, rt.mean):
        out = fn(rt.tensor(a), dim).numpy().astype(np.float64)
        want = exact if fn is rt.sum else exact / (a.size if dim is None else shape[dim])
        tol = scale * 1e-6 if fn is rt.sum else scale * 1e-6 / (a.size if dim is None else shape[dim])
        assert np.all(np.abs(out - want) <= tol + 1e-30)


def test_reductions_are_deterministic_across_calls_and_thread_counts() -> None:
    a = np.random.default_rng(RNG_SEED).standard_normal((513, 1001)).astype(np.float32)
    x = rt.tensor(a)
    before = rt.get_num_threads()
    try:
        results = []
        for n in (1, 2, 1, 2):
            rt.set_num_threads(n)
            results.append(
                [
                    x.sum().numpy().tobytes(),
                    x.sum(1).numpy().tobytes(),
                    x.mean(0).numpy().tobytes(),
                    x.amax(1).numpy().tobytes(),
                    x.var(1).numpy().tobytes(),
                    rt.norm(x).numpy().tobytes(),
                ]
            )
    finally:
        rt.set_num_threads(before)
    assert all(r == results[0] for r in results)


def test_sort_is_stable_and_topk_paths_agree() -> None:
    rng = np.random.default_rng(RNG_SEED)
    a = rng.integers(0, 4, size=(3, 3000)).astype(np.float32)  # many ties
    r, t = _pair(a)
    for desc in (False, True):
        assert_close(rt.sort(r, descending=desc, stable=True), torch.sort(t, descending=desc, stable=True), 0, 0)
        assert_close(rt.argsort(r, descending=desc, stable=True), torch.argsort(t, descending=desc, stable=True), 0, 0)
    b = rng.permutation(6000).reshape(2, 3000).astype(np.float64)  # distinct: topk is unambiguous
    rb, tb = _pair(b)
    for k, largest in ((5, True), (9, False), (2999, True)):  # partition path (small k) and full sort
        assert_close(rt.topk(rb, k, largest=largest), torch.topk(tb, k, largest=largest), 0, 0)


def test_mode_picks_the_smallest_most_frequent_value_and_its_last_index() -> None:
    a = np.array([[3, 3, 1, 1, 2], [5, 4, 4, 5, 4]], np.int64)
    r, t = _pair(a)
    assert_close(rt.mode(r), torch.mode(t), 0, 0)
    assert rt.mode(r).values.tolist() == [1, 4]
    assert rt.mode(r).indices.tolist() == [3, 4]


def test_logsumexp_is_stable_and_matches_torch() -> None:
    a = np.array([[1000.0, 1000.0, -1000.0], [-np.inf, -np.inf, -np.inf], [np.inf, 0.0, 1.0]], np.float64)
    r, t = _pair(a)
    assert_close(rt.logsumexp(r, 1), torch.logsumexp(t, 1), 1e-12, 1e-12)
    assert_close(rt.logcumsumexp(r[:1], 1), torch.logcumsumexp(t[:1], 1), 1e-12, 1e-12)


def test_in_place_scans_match_torch() -> None:
    a = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], np.float32)
    r, t = _pair(a)
    assert r.cumsum_(1) is r
    t.cumsum_(1)
    assert_close(r, t, 0, 0)
    assert_close(r.cumprod_(0), t.cumprod_(0), 0, 0)


def test_in_place_cumsum_records_its_gradient() -> None:
    from rustytorch.ops import inplace_graph

    if not hasattr(inplace_graph, "record_inplace"):
        pytest.skip("in-place autograd recording (ops.inplace_graph) is not there yet")
    a = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], np.float32)
    leaf = rt.tensor(a, requires_grad=True)
    y = leaf * 2
    y.cumsum_(1)
    y.sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), 2 * np.array([[3.0, 2.0, 1.0]] * 2))


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, x: m.sum(x), lambda m, x: m.mean(x, 0), lambda m, x: m.max(x), lambda m, x: m.max(x, 0).values,
        lambda m, x: m.amin(x, 1), lambda m, x: m.std(x), lambda m, x: m.var(x, 0), lambda m, x: m.norm(x),
        lambda m, x: m.logsumexp(x, 1), lambda m, x: m.cumsum(x, 1), lambda m, x: m.cumprod(x, 0),
        lambda m, x: m.cummax(x, 1).values, lambda m, x: m.sort(x).values, lambda m, x: m.topk(x, 1).values,
        lambda m, x: m.median(x), lambda m, x: m.median(x, 1).values, lambda m, x: m.kthvalue(x, 1).values,
        lambda m, x: m.nansum(x), lambda m, x: m.logcumsumexp(x, 1),
    ],
)  # fmt: skip
def test_grad_fn_names_match_torch(fn: Any) -> None:
    r, t = _pair(np.array([[1.0, 3.0, 2.0], [4.0, 0.5, 6.0]], np.float32), requires_grad=True)
    assert fn(rt, r).grad_fn.name() == fn(torch, t).grad_fn.name()
