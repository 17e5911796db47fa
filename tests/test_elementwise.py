"""Elementwise ops beyond the op table: in-place semantics, augmented and reflected operators, NumPy operands,
division edge cases, gradients at kinks and ties, fill_/zero_/copy_, the large (threaded) path. Expected
values come from torch (run on the same inputs) or NumPy."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import rustytorch as rt

from .compare import assert_close

torch = pytest.importorskip("torch")


def _both(fn: Callable[[Any], Any]) -> tuple[Any, Any]:
    """``fn(rt)`` and ``fn(torch)``: one expression run with each library."""
    return fn(rt), fn(torch)


def _same(fn: Callable[[Any], Any], atol: float = 1e-6, rtol: float = 1e-6) -> None:
    r, t = _both(fn)
    assert_close(r, t, atol, rtol, what="rustytorch vs torch")


def _same_or_raises(fn: Callable[[Any], Any]) -> None:
    """Like ``_same``; when torch raises, rustytorch must raise the same exception class."""
    try:
        t = fn(torch)
    except Exception as e:
        with pytest.raises(type(e)):
            fn(rt)
        return
    assert_close(fn(rt), t, 1e-6, 1e-6, what="rustytorch vs torch")


# --------------------------------------------------------------- in place
_F = [1.5, -2.25, 0.0, 3.0, -0.5]
_I = [7, -7, 0, 3, -1]
INPLACE_CASES = [
    ("add_", _F, (2.5,), {}),
    ("add_", _F, ([1.0, 2.0, 3.0, 4.0, 5.0],), {"alpha": 2}),
    ("sub_", _I, (3,), {"alpha": 2}),
    ("mul_", _I, (-3,), {}),
    ("div_", _F, (4.0,), {}),
    ("div_", _I, (2,), {"rounding_mode": "floor"}),
    ("div_", _I, (2,), {"rounding_mode": "trunc"}),
    ("floor_divide_", _I, (-2,), {}),
    ("remainder_", _I, (-3,), {}),
    ("fmod_", _I, (-3,), {}),
    ("pow_", _F, (2,), {}),
    ("pow_", _I, (3,), {}),
    ("neg_", _I, (), {}),
    ("abs_", _F, (), {}),
    ("square_", _F, (), {}),
    ("exp_", _F, (), {}),
    ("sqrt_", [1.0, 4.0, 9.0], (), {}),
    ("sigmoid_", _F, (), {}),
    ("relu_", _F, (), {}),
    ("relu_", _I, (), {}),
    ("tanh_", _F, (), {}),
    ("clamp_", _F, (-1.0, 1.0), {}),
    ("clamp_", _I, (), {"min": 0}),
    ("floor_", _F, (), {}),
    ("round_", _F, (), {"decimals": 1}),
    ("sign_", _F, (), {}),
    ("lerp_", _F, ([0.0] * 5, 0.25), {}),
    ("nan_to_num_", [float("nan"), 1.0, float("inf")], (), {}),
    ("eq_", _F, (0.0,), {}),
    ("lt_", _I, (1,), {}),
    ("logical_not_", _F, (), {}),
    ("logical_and_", _I, ([1, 0, 1, 0, 1],), {}),
    ("bitwise_and_", _I, (6,), {}),
    ("bitwise_xor_", _I, ([1, 2, 3, 4, 5],), {}),
    ("bitwise_left_shift_", _I, (2,), {}),
    ("bitwise_right_shift_", _I, (1,), {}),
    ("bitwise_not_", _I, (), {}),
    ("atan2_", _F, ([1.0] * 5,), {}),
    ("fill_", _F, (7,), {}),
    ("zero_", _I, (), {}),
]


@pytest.mark.parametrize(
    ("name", "data", "args", "kwargs"), INPLACE_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(INPLACE_CASES)]
)
def test_inplace_matches_torch_and_returns_self(
    name: str, data: list[Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    def run(lib: Any) -> tuple[Any, Any]:
        x = lib.tensor(data)
        a = tuple(lib.tensor(v, dtype=x.dtype) if isinstance(v, list) else v for v in args)
        out = getattr(x, name)(*a, **kwargs)
        return x, out

    (rx, rout), (tx, _) = _both(run)
    assert rout is rx
    assert_close(rx, tx, 1e-6, 1e-6, what=name)
    assert rx._version == 1


@pytest.mark.parametrize(
    ("make", "op"),
    [
        (lambda lib: lib.tensor([1, 2]), lambda lib, x: x.add_(1.5)),
        (lambda lib: lib.tensor([1, 2]), lambda lib, x: x.mul_(lib.tensor([1.5]))),
        (lambda lib: lib.tensor([1, 2]), lambda lib, x: x.div_(2)),
        (lambda lib: lib.tensor([1, 2]), lambda lib, x: x.exp_()),
        (lambda lib: lib.tensor([True, False]), lambda lib, x: x.add_(1)),
        (lambda lib: lib.tensor([1, 2], dtype=lib.int32), lambda lib, x: x.pow_(0.5)),
    ],
)
def test_inplace_result_that_cannot_be_cast_raises(make: Any, op: Any) -> None:
    with pytest.raises(RuntimeError):
        op(torch, make(torch))  # the case is an error in torch too
    x = make(rt)
    before = x.clone()
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        op(rt, x)
    assert rt.equal(x, before) and x._version == 0


def test_inplace_same_category_casts_like_torch() -> None:
    def run(lib: Any) -> Any:
        h = lib.ones(3, dtype=lib.float16)
        h += lib.tensor([0.1, 0.2, 0.3], dtype=lib.float64)
        u = lib.tensor([250, 3], dtype=lib.uint8)
        u += lib.tensor([10, -5])  # int64 result cast back to uint8 (wraps)
        i = lib.tensor([1, 2], dtype=lib.int32)
        i.eq_(1)
        return h, u, i

    (rh, ru, ri), (th, tu, ti) = _both(run)
    assert_close(rh, th, 1e-3, 1e-3)
    assert_close(ru, tu, 0, 0)
    assert_close(ri, ti, 0, 0)


@pytest.mark.parametrize(
    "op",
    [
        operator.iadd,
        operator.isub,
        operator.imul,
        operator.itruediv,
        operator.ifloordiv,
        operator.imod,
        operator.ipow,
        operator.iand,
        operator.ior,
        operator.ixor,
        operator.ilshift,
        operator.irshift,
    ],
)
def test_augmented_operators_write_in_place(op: Any) -> None:
    float_ok = op not in (operator.iand, operator.ior, operator.ixor, operator.ilshift, operator.irshift)

    def run(lib: Any) -> Any:
        x = lib.tensor([8.0, -6.0, 3.0]) if float_ok else lib.tensor([8, -6, 3])
        x0 = x
        x = op(x, 2)
        assert x is x0
        return x

    _same(run)


def test_inplace_writes_through_views() -> None:
    def run(lib: Any) -> Any:
        base = lib.arange(12.0).reshape(3, 4)
        base.t()[1:3].mul_(-1)  # a strided view
        row = base[0]
        row += 100
        base[:, 3].clamp_(max=0.0)
        return base

    _same(run)
    base = rt.zeros(2, 3)
    v = base[1]
    v.add_(1)
    assert base._version == v._version == 1


def test_inplace_on_expanded_view_raises() -> None:
    x = rt.zeros(3).expand(2, 3)
    with pytest.raises(RuntimeError, match="add_"):
        x.add_(1)


def test_inplace_broadcast_must_fit_destination() -> None:
    with pytest.raises(RuntimeError, match=r"add_.*\[3\].*\[2, 3\]"):
        rt.zeros(3).add_(rt.ones(2, 3))


def test_fill_zero_copy() -> None:
    def run(lib: Any) -> Any:
        a = lib.zeros(2, 3, dtype=lib.int32).fill_(2.7)
        b = lib.ones(4).fill_(lib.tensor(-1.5, dtype=lib.float64))
        c = lib.ones(2, 3).zero_()
        d = lib.zeros(2, 3, dtype=lib.int64).copy_(lib.tensor([1.9, -2.5, 3.0]))
        e = lib.zeros(3).copy_(lib.tensor([True, False, True]))
        return a, b, c, d, e

    _same(run)
    x = rt.zeros(3)
    assert x.fill_(1)._version == 1
    with pytest.raises(RuntimeError, match="fill_ only supports 0-dimension value tensor"):
        x.fill_(rt.ones(1))
    with pytest.raises(RuntimeError, match=r"copy_.*\[4\].*\[3\]"):
        x.copy_(rt.ones(4))
    with pytest.raises(TypeError):
        x.copy_([1, 2, 3])


# ---------------------------------------------------- operators and operands
_BINOPS = [
    operator.add,
    operator.sub,
    operator.mul,
    operator.truediv,
    operator.floordiv,
    operator.mod,
    operator.pow,
    operator.lt,
    operator.le,
    operator.gt,
    operator.ge,
    operator.eq,
    operator.ne,
]


@pytest.mark.parametrize("op", _BINOPS, ids=lambda o: o.__name__)
@pytest.mark.parametrize("scalar", [2, 2.5, -3, True], ids=repr)
def test_reflected_scalar_operators_match_torch(op: Any, scalar: Any) -> None:
    if op is operator.sub and scalar is True:
        pytest.skip("bool - tensor raises in both libraries")
    for data in ([1.5, 2.0, -4.0], [3, 2, 5]):
        _same_or_raises(lambda lib, data=data: op(scalar, lib.tensor(data)))
        _same_or_raises(lambda lib, data=data: op(lib.tensor(data), scalar))


@pytest.mark.parametrize(
    "op",
    [*_BINOPS, operator.and_, operator.or_, operator.xor, operator.lshift, operator.rshift],
    ids=lambda o: o.__name__,
)
def test_numpy_arrays_on_either_side(op: Any) -> None:
    ints = op in (operator.and_, operator.or_, operator.xor, operator.lshift, operator.rshift)
    arr = np.array([1, 2, 3], np.int32) if ints else np.array([1.5, 2.0, 4.0])
    t = rt.tensor([3, 1, 2]) if ints else rt.tensor([1.0, -2.0, 3.0])
    tt = torch.tensor([3, 1, 2]) if ints else torch.tensor([1.0, -2.0, 3.0])
    for got, want in ((op(t, arr), op(tt, torch.from_numpy(arr))), (op(arr, t), op(torch.from_numpy(arr), tt))):
        assert isinstance(got, rt.Tensor)
        assert_close(got, want, 1e-6, 1e-6)


def test_numpy_array_counts_as_a_dimensioned_tensor() -> None:
    # torch: t_half + np.array(1.0) is float64 (the array is not a 0-d "wrapped" operand)
    assert (rt.ones(2, dtype=rt.float16) + np.array(1.0)).dtype == rt.float64
    assert (rt.ones(2, dtype=rt.int32) + np.array([1])).dtype == rt.int64


def test_unknown_operand_types() -> None:
    t = rt.tensor([1.0, 2.0])
    assert (t == None) is False  # noqa: E711
    assert (t != "a") is True
    with pytest.raises(TypeError):
        t + "a"
    with pytest.raises(TypeError):
        assert t < [1, 2]
    with pytest.raises(TypeError):
        "a" * t
    with pytest.raises(TypeError):
        rt.add(t, "a")


def test_invert_and_unary_operators() -> None:
    _same(
        lambda lib: (
            ~lib.tensor([True, False]),
            ~lib.tensor([0, 5, -1]),
            -lib.tensor([1, -2]),
            +lib.tensor([1.5]),
            abs(lib.tensor([-2.5, 1.0])),
        )
    )
    with pytest.raises(TypeError, match="only implemented on integer and Boolean"):
        ~rt.tensor([1.0])
    with pytest.raises(RuntimeError, match="bool"):
        -rt.tensor([True])


def test_comparison_scalar_wraps_to_the_dtype_like_torch() -> None:
    for v in (257, -255, 1000, 2.5):
        _same(lambda lib, v=v: (lib.tensor([1, 2], dtype=lib.uint8) == v, lib.tensor([1, 2], dtype=lib.int8) < v))


def test_comparisons_are_outside_the_graph() -> None:
    x = rt.tensor([1.0, 2.0], requires_grad=True)
    for r in (x > 1, x == x, rt.isclose(x, x), x.isnan(), rt.logical_and(x, x)):
        assert r.dtype == rt.bool and r.grad_fn is None and not r.requires_grad


# ------------------------------------------------------- division edge cases
def test_integer_division_matches_torch() -> None:
    a = [7, -7, 7, -7, 0, 1, -1, 9, -9]
    b = [2, 2, -2, -2, 3, -5, 5, 3, -3]
    for dt in ("int8", "int32", "int64", "uint8"):
        if dt == "uint8":
            a_, b_ = [abs(v) for v in a], [abs(v) for v in b]
        else:
            a_, b_ = a, b
        _same(
            lambda lib, a_=a_, b_=b_, dt=dt: (
                lib.tensor(a_, dtype=getattr(lib, dt)) // lib.tensor(b_, dtype=getattr(lib, dt)),
                lib.tensor(a_, dtype=getattr(lib, dt)) % lib.tensor(b_, dtype=getattr(lib, dt)),
                lib.fmod(lib.tensor(a_, dtype=getattr(lib, dt)), lib.tensor(b_, dtype=getattr(lib, dt))),
                lib.div(
                    lib.tensor(a_, dtype=getattr(lib, dt)),
                    lib.tensor(b_, dtype=getattr(lib, dt)),
                    rounding_mode="trunc",
                ),
                lib.div(lib.tensor(a_, dtype=getattr(lib, dt)), lib.tensor(b_, dtype=getattr(lib, dt))),
            )
        )


def test_large_integer_trunc_division_is_exact() -> None:
    big = 2**62 + 1
    _same(lambda lib: lib.div(lib.tensor([big, -big]), 3, rounding_mode="trunc"), 0, 0)


@pytest.mark.parametrize(
    "expr",
    [
        lambda lib, t: t // 0,
        lambda lib, t: t % 0,
        lambda lib, t: lib.fmod(t, 0),
        lambda lib, t: lib.div(t, 0, rounding_mode="floor"),
        lambda lib, t: lib.div(t, lib.tensor([1, 0]), rounding_mode="trunc"),
        lambda lib, t: lib.remainder(5, lib.tensor([1, 0])),
    ],
)
def test_integer_division_by_zero_raises_like_torch(expr: Any) -> None:
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        expr(torch, torch.tensor([7, -7]))
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        expr(rt, rt.tensor([7, -7]))


def test_float_division_edge_cases_match_torch_without_warnings() -> None:
    a = [1.0, -1.0, 0.0, -0.0, float("inf"), -float("inf"), float("nan"), 7.5, -7.5, 5.0]
    b = [0.0, 0.0, 0.0, -0.0, 2.0, float("inf"), 1.0, 2.0, 2.0, -float("inf")]
    for dt in ("float32", "float64", "float16"):
        _same(
            lambda lib, dt=dt: (
                lib.tensor(a, dtype=getattr(lib, dt)) / lib.tensor(b, dtype=getattr(lib, dt)),
                lib.tensor(a, dtype=getattr(lib, dt)) // lib.tensor(b, dtype=getattr(lib, dt)),
                lib.tensor(a, dtype=getattr(lib, dt)) % lib.tensor(b, dtype=getattr(lib, dt)),
                lib.fmod(lib.tensor(a, dtype=getattr(lib, dt)), lib.tensor(b, dtype=getattr(lib, dt))),
                lib.div(
                    lib.tensor(a, dtype=getattr(lib, dt)), lib.tensor(b, dtype=getattr(lib, dt)), rounding_mode="trunc"
                ),
            )
        )
    # signs of zero results, which assert_close does not see
    r = rt.tensor([-0.5, 0.5]) // rt.tensor([1.0, -1.0])
    t = torch.tensor([-0.5, 0.5]) // torch.tensor([1.0, -1.0])
    np.testing.assert_array_equal(np.signbit(r.numpy()), np.signbit(t.numpy()))


def test_floats_never_warn() -> None:  # warnings are errors in the test suite
    x = rt.tensor([0.0, -1.0, 1e30, float("inf")])
    (x.log(), x.sqrt(), x / 0, x * x * x * x, x.exp(), x - x, rt.tensor([1e4], dtype=rt.float16) * 1e4, x.acos())


def test_integer_pow_negative_exponents_match_torch() -> None:
    _same(
        lambda lib: (
            lib.pow(lib.tensor([0, 1, -1, 2, -2, 5]), lib.tensor([-1, -2, -3, -1, -2, 2])),
            lib.pow(-2, lib.tensor([-1, 0, 3])),
            lib.tensor([2, 3]) ** 2,
            2 ** lib.tensor([3, 4]),
            lib.square(lib.tensor([True, False])),
        )
    )
    with pytest.raises(RuntimeError, match="Integers to negative integer powers"):
        rt.tensor([2]) ** -1


# ------------------------------------------------------------- gradients
def _grads(lib: Any, fn: Callable[..., Any], *values: Any) -> tuple[Any, ...]:
    xs = [lib.tensor(v, dtype=lib.float64, requires_grad=True) for v in values]
    out = fn(lib, *xs)
    g = lib.tensor(np.linspace(0.5, 2.0, int(np.prod(tuple(out.shape)))).reshape(tuple(out.shape)))
    return lib.autograd.grad(out, xs, g)


@pytest.mark.parametrize(
    ("fn", "values"),
    [
        (lambda lib, a, b: lib.maximum(a, b), ([1.0, 2.0, 3.0, 0.5], [1.0, 0.5, 3.0, 4.0])),
        (lambda lib, a, b: lib.minimum(a, b), ([1.0, 2.0, 3.0, 0.5], [1.0, 0.5, 3.0, 4.0])),
        (lambda lib, x: lib.clamp(x, -1.0, 1.0), ([-1.0, 1.0, 0.5, 2.0, -3.0],)),
        (
            lambda lib, x, lo, hi: lib.clamp(x, lo, hi),
            ([-1.0, 1.0, 0.5, 2.0], [-1.0, 0.0, 1.0, 3.0], [1.0, 1.0, 0.0, 2.0]),
        ),
        (lambda lib, x: lib.relu(x), ([-1.0, 0.0, 2.0],)),
        (lambda lib, x: lib.abs(x), ([-1.0, 0.0, 2.0],)),
        (lambda lib, x, e: lib.pow(x, e), ([0.0, 0.0, 2.0, 0.0, 3.0], [0.0, 2.0, 0.0, 0.5, -1.0])),
        (lambda lib, e: lib.pow(0.0, e), ([0.0, 2.0, -1.0],)),
        (lambda lib, x: lib.pow(x, 0.0), ([0.0, 2.0],)),
        (lambda lib, x: x.sqrt(), ([0.0, 4.0],)),
        (lambda lib, x: lib.where(x > 0, x, x * x), ([-1.0, 0.0, 2.0],)),
        (lambda lib, a, b: lib.remainder(a, b), ([5.5, -5.5, 4.0], [2.0, 2.0, -3.0])),
        (lambda lib, a, b: lib.fmod(a, b), ([5.5, -5.5, 4.0], [2.0, 2.0, -3.0])),
        (lambda lib, x: lib.nan_to_num(lib.log(x)), ([0.0, 1.0, 2.0],)),
        (lambda lib, x: lib.softmax(x, 0), ([-1e4, 0.0, 1e4],)),
    ],
)
def test_gradients_at_kinks_and_ties_match_torch(fn: Any, values: Any) -> None:
    r = _grads(rt, fn, *values)
    t = _grads(torch, fn, *values)
    for rg, tg in zip(r, t, strict=True):
        assert_close(rg, tg, 1e-12, 1e-12)


def test_floor_divide_has_no_derivative() -> None:
    x = rt.tensor([3.0, 4.0], requires_grad=True)
    y = rt.floor_divide(x, 2)
    with pytest.raises(RuntimeError, match="derivative"):
        y.sum().backward()


def test_softmax_backward_fused_and_graph_forms_agree() -> None:
    rng = np.random.default_rng(0)
    for log in (False, True):
        x = rt.tensor(rng.standard_normal((3, 5)), requires_grad=True)
        g = rt.tensor(rng.standard_normal((3, 5)))
        y = rt.log_softmax(x, 1) if log else rt.softmax(x, 1)
        (fused,) = rt.autograd.grad(y, x, g, retain_graph=True)
        (graph,) = rt.autograd.grad(y, x, g, create_graph=True)
        assert graph.requires_grad
        assert_close(fused, graph.detach(), 1e-12, 1e-12)


def test_softmax_implicit_dim_warns_like_torch() -> None:
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        r = rt.softmax(rt.ones(2, 3))
    assert_close(r, torch.full((2, 3), 1 / 3), 1e-7, 1e-6)


# ----------------------------------------------------------------- misc
def test_large_operands_take_the_threaded_path() -> None:
    rng = np.random.default_rng(1)
    a = rng.standard_normal(70_000).astype(np.float32)
    b = rng.standard_normal(70_000).astype(np.float32)
    ra, rb = rt.tensor(a), rt.tensor(b)
    np.testing.assert_allclose((ra + rb).numpy(), a + b)
    np.testing.assert_allclose(ra.exp().numpy(), np.exp(a), rtol=1e-6)
    np.testing.assert_allclose(ra.relu().numpy(), np.maximum(a, 0))
    np.testing.assert_array_equal((ra < rb).numpy(), a < b)


def test_where_with_condition_only_is_nonzero() -> None:
    _same(lambda lib: lib.where(lib.tensor([[True, False], [False, True]])))


def test_bfloat16_arithmetic_matches_torch() -> None:
    pytest.importorskip("ml_dtypes")
    vals = [1.5, -2.25, 3.0, 100.5]

    def run(lib: Any) -> Any:
        x = lib.tensor(vals, dtype=lib.bfloat16)
        outs = (x + x, x * 2.0, x - 1, x / 3.0, x.exp(), x.sigmoid(), x.relu(), x > 0, lib.maximum(x, x * 0))
        return tuple(o.float() if o.dtype == lib.bfloat16 else o for o in outs)

    (r, t) = _both(run)
    assert_close(r, t, 1e-2, 1e-2)
    assert (rt.ones(2, dtype=rt.bfloat16) * 2.0).dtype == rt.bfloat16


def _has_inplace_graph() -> bool:
    from rustytorch.ops import inplace_graph

    return hasattr(inplace_graph, "record_inplace")


@pytest.mark.skipif(
    not _has_inplace_graph(), reason="the in-place graph recorder (ops/inplace_graph.py) is not there yet"
)
def test_inplace_ops_in_the_graph_match_torch_gradients() -> None:
    def run(lib: Any) -> Any:
        x = lib.tensor([0.5, -1.5, 2.0, -0.25], dtype=lib.float64, requires_grad=True)
        w = lib.tensor([1.5, 0.5, -2.0, 3.0], dtype=lib.float64, requires_grad=True)
        y = x * 2
        y.add_(w, alpha=0.5)
        y.mul_(x)
        y.sub_(1.0)
        y.clamp_(-2.0, 3.0)
        y.pow_(2)
        y.div_(w)
        y.sigmoid_()  # last: torch refuses in-place ops on a saved sigmoid output
        z = ((x * 3).relu_() * 1).exp_()  # torch refuses exp_ directly on relu_'s saved output
        v = x.clone()
        v[1:3].copy_(w[:2])
        out = y.sum() + z.sum() + (v * v).sum()
        return lib.autograd.grad(out, [x, w])

    r, t = _both(run)
    assert_close(r, t, 1e-12, 1e-12)


def test_ops_from_several_threads_agree_and_do_not_warn() -> None:
    # the floating-point-quiet NumPy context can be entered by one thread at a time; others fall back
    import threading

    rng = np.random.default_rng(3)
    data = [rng.standard_normal(50_000) for _ in range(4)]
    data[0][:10] = 0.0  # log(0) and 1/0 would warn outside the quiet context
    results: list[Any] = [None] * 4
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            x = rt.tensor(data[i])
            out = None
            for _ in range(20):
                out = (x.abs().log() + 1 / x).sigmoid() * x - x.exp()
            results[i] = out
        except BaseException as e:  # collected and re-raised below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for i in range(4):
        a = data[i]
        with np.errstate(all="ignore"):
            want = 1 / (1 + np.exp(-(np.log(np.abs(a)) + 1 / a))) * a - np.exp(a)
        np.testing.assert_allclose(results[i].numpy(), want, rtol=1e-12, equal_nan=True)
