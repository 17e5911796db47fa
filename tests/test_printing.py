"""Printing: ``repr`` of many tensors compared with torch's (after replacing 'torch.' by 'rustytorch.'),
print options and their restoration."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import rustytorch as rt

torch = pytest.importorskip("torch")

_rng = np.random.default_rng(1234)
NAN, INF = float("nan"), float("inf")


def _both(a: Any, dtype: str | None = None) -> tuple[Any, Any]:
    """The same data as a rustytorch and a torch tensor (dtype conversions done from float32/int64 in both)."""
    arr = np.asarray(a)
    r, t = rt.from_numpy(arr.copy()), torch.from_numpy(arr.copy())
    if dtype is not None:
        with np.errstate(over="ignore"):  # 1e5 overflows float16 to inf, as in torch
            r = rt.from_numpy(arr.astype(getattr(rt, dtype).np))
        t = t.to(getattr(torch, dtype))
    return r, t


def _check(r: Any, t: Any) -> None:
    expected = repr(t).replace("torch.", "rustytorch.")
    assert repr(r) == expected, f"\nrustytorch:\n{r!r}\ntorch:\n{expected}"
    assert str(r) == str(t).replace("torch.", "rustytorch.")


@pytest.fixture(autouse=True)
def _restore_print_options() -> Iterator[None]:
    yield
    rt.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")
    rt.set_default_dtype(rt.float32)
    torch.set_default_dtype(torch.float32)


FLOAT_DATA = [
    [1.0, 2.0], [1.0, 2.5], [1e-5, 1e5], [0.1, 0.2, 0.3], [123456789.0], [1e-10], [NAN, INF, -INF, 1.5],
    [0.0, -0.0], [NAN], [INF, 1.0], [-1.5, 2.25], [[1.0, 2.0], [3.0, 4.0]], [1.0, 1e9], [100000.0, 1.0],
    [1e8, 2.0], [0.0001, 1.0], [0.00009, 1.0], [9.99995, 1.0], [-0.0, 1.0], [1e-5, 0.0, NAN], [0.5, -INF],
    [[-1e-3, 5e2], [7.0, 0.0]], [1e20, -1e-20], [3.0], [[[1.5]]], [1e4, 9999.5], [2.5e-4, 1e-1],
]  # fmt: skip
INT_DATA = [[1, -100, 20], [[1, 2], [3, 4]], [0], [-5, 123456789012], [[[7]]]]
BOOL_DATA = [[True, False], [[True], [False]], [False]]


@pytest.mark.parametrize("data", FLOAT_DATA, ids=[str(i) for i in range(len(FLOAT_DATA))])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_float_tensors_print_as_torch(data: Any, dtype: str) -> None:
    _check(*_both(np.asarray(data, dtype=np.float32), dtype))


@pytest.mark.parametrize("data", INT_DATA)
@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "uint8", "int8"])
def test_int_tensors_print_as_torch(data: Any, dtype: str) -> None:
    arr = np.asarray(data, dtype=np.int64)
    if dtype != "int64":
        arr = np.clip(arr, -100, 100)
        if dtype == "uint8":
            arr = np.abs(arr)
    _check(*_both(arr, dtype))


@pytest.mark.parametrize("data", BOOL_DATA)
def test_bool_tensors_print_as_torch(data: Any) -> None:
    _check(*_both(np.asarray(data)))


@pytest.mark.parametrize("value", [3.0, -0.5, NAN, -INF, 0.0, -0.0, 1e-7, 123456.0])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_zero_dim_tensors_print_as_torch(value: float, dtype: str) -> None:
    _check(*_both(np.float32(value), dtype))


@pytest.mark.parametrize("value", [7, -3, True])
def test_zero_dim_int_and_bool(value: Any) -> None:
    _check(rt.tensor(value), torch.tensor(value))


@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0, 1), (3, 0)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bool", "float16"])
def test_empty_tensors_print_as_torch(shape: tuple[int, ...], dtype: str) -> None:
    _check(rt.zeros(shape, dtype=getattr(rt, dtype)), torch.zeros(shape, dtype=getattr(torch, dtype)))


@pytest.mark.parametrize(
    "arr",
    [
        np.arange(2000),
        _rng.standard_normal((40, 50)).astype(np.float32),
        _rng.standard_normal((10, 20, 30)).astype(np.float32),
        _rng.standard_normal(1001).astype(np.float32),
        np.arange(1001) * 1.5,
        (_rng.random((7, 200)) < 0.5),
        _rng.integers(-1000, 1000, (2, 3, 200)),
        _rng.standard_normal((1001, 1)).astype(np.float32),
    ],
    ids=["arange2000", "randn40x50", "randn10x20x30", "randn1001", "float-range", "bool7x200", "int3d", "col"],
)
def test_summarised_tensors_print_as_torch(arr: np.ndarray) -> None:
    _check(*_both(arr))


@pytest.mark.parametrize(
    "arr",
    [
        _rng.standard_normal(30).astype(np.float32),
        np.arange(100) * 1000,
        _rng.standard_normal((3, 25)).astype(np.float32) * 1e6,
        np.arange(40, dtype=np.float32).reshape(2, 20) / 3,
        _rng.integers(0, 2**40, 20),
    ],
)
def test_long_lines_wrap_as_torch(arr: np.ndarray) -> None:
    _check(*_both(arr))


def test_suffixes_requires_grad_and_grad_fn() -> None:
    r, t = rt.tensor([1.0, 2.0], requires_grad=True), torch.tensor([1.0, 2.0], requires_grad=True)
    _check(r, t)
    _check(r * 2, t * 2)
    _check(rt.tensor([1.0, 2.0], dtype=rt.float64, requires_grad=True) * 3,
           torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True) * 3)  # fmt: skip
    big_r = rt.from_numpy(_rng.standard_normal((4, 9)).astype(np.float64)).requires_grad_()
    big_t = torch.from_numpy(big_r.detach().numpy().copy()).requires_grad_()
    _check(big_r * 2, big_t * 2)  # the suffixes wrap onto a new line past 80 columns
    _check(big_r, big_t)


def test_grad_fn_suffix_is_the_node_name() -> None:
    x = rt.ones(2, requires_grad=True)
    y = x * 2
    assert repr(y).endswith(f"grad_fn=<{y.grad_fn.name()}>)")


def test_default_dtype_changes_the_suffixes() -> None:
    rt.set_default_dtype(rt.float64)
    torch.set_default_dtype(torch.float64)
    for arr in ([1.5, 2.0], np.zeros((0, 2))):
        _check(*_both(np.asarray(arr, dtype=np.float32)))
        _check(*_both(np.asarray(arr, dtype=np.float64)))


@pytest.mark.parametrize(
    "opts",
    [
        {"precision": 2},
        {"precision": 0},
        {"precision": 8},
        {"threshold": 5},
        {"threshold": 5, "edgeitems": 1},
        {"threshold": 5, "edgeitems": 0},
        {"linewidth": 40},
        {"sci_mode": True},
        {"sci_mode": False},
        {"profile": "short"},
        {"profile": "full"},
        {"profile": "short", "precision": 6},
    ],
)
def test_print_options_match_torch(opts: dict[str, Any]) -> None:
    rt.set_printoptions(**opts)
    torch.set_printoptions(**opts)
    assert rt.get_printoptions() == torch._tensor_str.get_printoptions()
    for arr in (
        np.arange(12, dtype=np.float32).reshape(3, 4) / 7,
        np.arange(10),
        np.array([1e-5, 1.0, 1e5], dtype=np.float32),
        np.array([1.0, 2.0], dtype=np.float32),
        _rng.standard_normal((3, 30)).astype(np.float32),
        np.arange(1200, dtype=np.float64),
    ):
        _check(*_both(arr))


def test_printoptions_context_manager_restores() -> None:
    before = rt.get_printoptions()
    with rt.printoptions(precision=1, threshold=3):
        assert repr(rt.tensor([0.25, 1.5])) == "tensor([0.2, 1.5])"
        assert rt.get_printoptions()["threshold"] == 3
    assert rt.get_printoptions() == before
    assert repr(rt.tensor([0.25])) == "tensor([0.2500])"


def test_parameter_and_subclass_prefix() -> None:
    p = rt.nn.Parameter(rt.tensor([1.0, 2.0]))
    tp = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    assert repr(p) == repr(tp)


def test_non_contiguous_views_print_their_values() -> None:
    base = np.arange(24, dtype=np.float32).reshape(4, 6) / 4
    r, t = _both(base)
    _check(r.T, t.T)
    _check(r[:, ::2], t[:, ::2])
    _check(r.expand(2, 4, 6), t.expand(2, 4, 6))


def test_format_of_tensors() -> None:
    assert f"{rt.tensor(2.5):.2f}" == f"{torch.tensor(2.5):.2f}" == "2.50"
    assert f"{rt.tensor([1.0])}" == "tensor([1.])"
    with pytest.raises(TypeError, match=r"unsupported format string passed to Tensor\.__format__"):
        f"{rt.tensor([2.5]):.2f}"
