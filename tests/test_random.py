"""Random sampling: seeding and reproducibility (global and Generator, state save/restore), shapes, dtypes,
ranges, distribution statistics at fixed seeds (deterministic, with wide margins), errors, autograd."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import rustytorch as rt

N = 200_000


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    state = rt.get_rng_state()
    yield
    rt.set_rng_state(state)
    rt.set_default_dtype(rt.float32)


DRAWS: dict[str, Callable[..., Any]] = {
    "rand": lambda g: rt.rand(3, 4, generator=g),
    "randn": lambda g: rt.randn(5, generator=g, dtype=rt.float64),
    "randint": lambda g: rt.randint(0, 100, (6,), generator=g),
    "randperm": lambda g: rt.randperm(10, generator=g),
    "normal": lambda g: rt.normal(1.0, 2.0, (4,), generator=g),
    "normal_tensor": lambda g: rt.normal(rt.zeros(3), rt.ones(3), generator=g),
    "bernoulli": lambda g: rt.bernoulli(rt.full((8,), 0.5), generator=g),
    "multinomial": lambda g: rt.multinomial(rt.ones(2, 10), 4, generator=g),
    "rand_like": lambda g: rt.rand_like(rt.zeros(3), generator=g),
    "uniform_": lambda g: rt.empty(4).uniform_(-1, 1, generator=g),
    "normal_": lambda g: rt.empty(4).normal_(generator=g),
    "random_": lambda g: rt.empty(4, dtype=rt.int64).random_(0, 50, generator=g),
    "exponential_": lambda g: rt.empty(4).exponential_(generator=g),
    "bernoulli_": lambda g: rt.empty(4).bernoulli_(0.5, generator=g),
}


@pytest.mark.parametrize("name", list(DRAWS))
def test_seeding_reproduces_draws(name: str) -> None:
    draw = DRAWS[name]
    rt.manual_seed(123)
    a = draw(None)
    rt.manual_seed(123)
    b = draw(None)
    assert a.dtype == b.dtype and a.tolist() == b.tolist()
    g1, g2 = rt.Generator().manual_seed(7), rt.Generator().manual_seed(7)
    x, y = draw(g1), draw(g2)
    assert x.tolist() == y.tolist()
    assert draw(g1).tolist() != x.tolist() or name in ("bernoulli", "bernoulli_")  # the generator advanced


def test_generators_are_independent_of_the_global_one() -> None:
    g = rt.Generator().manual_seed(5)
    rt.manual_seed(0)
    a = rt.rand(4, generator=g)
    rt.rand(100)  # draws from the global generator do not touch g
    g2 = rt.Generator().manual_seed(5)
    assert rt.rand(4, generator=g2).tolist() == a.tolist()
    rt.manual_seed(0)
    first = rt.rand(3).tolist()
    rt.manual_seed(0)
    rt.rand(3, generator=rt.Generator())
    assert rt.rand(3).tolist() == first


def test_state_save_and_restore() -> None:
    g = rt.Generator().manual_seed(11)
    s = g.get_state()
    assert s.dtype is rt.uint8 and s.ndim == 1
    a = rt.randn(5, generator=g)
    assert g.set_state(s) is g
    assert rt.randn(5, generator=g).tolist() == a.tolist()
    assert g.initial_seed() == 11
    rt.manual_seed(3)
    st = rt.get_rng_state()
    b = rt.rand(4)
    rt.set_rng_state(st)
    assert rt.rand(4).tolist() == b.tolist()
    with pytest.raises(TypeError, match="ByteTensor"):
        g.set_state(rt.zeros(3))
    with pytest.raises(RuntimeError, match="RNG state size to be 3"):
        g.set_state(rt.zeros(3, dtype=rt.uint8))


def test_seed_values() -> None:
    assert rt.Generator().initial_seed() == 67280421310721  # torch's default seed of a new generator
    assert rt.manual_seed(9) is rt.default_generator and rt.initial_seed() == 9
    assert rt.Generator().manual_seed(-1).initial_seed() == 2**64 - 1
    s = rt.seed()
    assert 0 <= s < 2**64 and rt.initial_seed() == s
    g = rt.Generator()
    assert g.seed() == g.initial_seed()
    with pytest.raises(ValueError, match="Overflow"):
        rt.manual_seed(2**64)
    with pytest.raises(RuntimeError, match="expected a long"):
        rt.manual_seed(1.5)
    assert rt.Generator("cpu").device.type == "cpu"


def test_shapes_and_dtypes() -> None:
    assert rt.rand(2, 3).shape == (2, 3) and rt.rand(2, 3).dtype is rt.float32
    assert rt.rand((2, 3)).shape == (2, 3) and rt.rand([]).shape == ()
    assert rt.randn(4, dtype=rt.float16).dtype is rt.float16
    assert rt.randint(5, (3,)).dtype is rt.int64 and rt.randint(0, 5, (2, 2), dtype=rt.int8).dtype is rt.int8
    assert rt.randint(low=1, high=3, size=(4,)).shape == (4,) and rt.randint(10, size=(2,)).shape == (2,)
    assert rt.randint(0, 4, (3,), dtype=rt.float32).dtype is rt.float32
    assert rt.randperm(6).dtype is rt.int64 and rt.randperm(6, dtype=rt.float32).dtype is rt.float32
    assert rt.normal(0.0, 1.0, (2,), dtype=rt.float64).dtype is rt.float64
    assert rt.normal(rt.zeros(3, 1, dtype=rt.float64), rt.ones(2)).dtype is rt.float64
    assert rt.normal(2.0, rt.ones(2)).shape == (2,) and rt.normal(rt.zeros(2, 3)).shape == (2, 3)
    assert rt.bernoulli(rt.zeros(3, dtype=rt.float64)).dtype is rt.float64
    assert rt.bernoulli(rt.zeros(2, 2), 0.3).shape == (2, 2)
    assert rt.multinomial(rt.ones(5), 3).dtype is rt.int64
    assert rt.rand_like(rt.zeros(2, dtype=rt.float16)).dtype is rt.float16
    assert rt.randn_like(rt.zeros(2), dtype=rt.float64).dtype is rt.float64
    assert rt.randint_like(rt.zeros(2, dtype=rt.int32), 4).dtype is rt.int32
    x = rt.rand(3, requires_grad=True)
    assert x.requires_grad and x.is_leaf
    rt.set_default_dtype(rt.float64)
    assert rt.rand(2).dtype is rt.float64 and rt.randn(2).dtype is rt.float64


@pytest.mark.parametrize("dtype", [rt.float16, rt.bfloat16, rt.float32, rt.float64])
def test_rand_is_in_the_half_open_unit_interval(dtype: Any) -> None:
    x = rt.rand(N, dtype=dtype, generator=rt.Generator().manual_seed(1)).numpy().astype(np.float64)
    assert x.min() >= 0.0 and x.max() < 1.0
    assert abs(x.mean() - 0.5) < 0.01 and abs(x.var() - 1 / 12) < 0.005
    y = rt.empty(N, dtype=dtype).uniform_(-2, 3, generator=rt.Generator().manual_seed(2)).numpy().astype(np.float64)
    assert y.min() >= -2 and y.max() < 3 and abs(y.mean() - 0.5) < 0.05


def test_normal_statistics() -> None:
    g = rt.Generator().manual_seed(3)
    z = rt.randn(N, generator=g, dtype=rt.float64).numpy()
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1) < 0.02
    assert abs(np.mean(np.abs(z) < 1) - 0.6827) < 0.01
    n = rt.normal(2.0, 3.0, (N,), generator=g).numpy()
    assert abs(n.mean() - 2) < 0.05 and abs(n.std() - 3) < 0.05
    t = rt.normal(rt.full((N,), -1.0), rt.full((N,), 0.5), generator=g).numpy()
    assert abs(t.mean() + 1) < 0.02 and abs(t.std() - 0.5) < 0.02
    m = rt.empty(N, dtype=rt.float64).normal_(4.0, 0.1, generator=g).numpy()
    assert abs(m.mean() - 4) < 0.005 and abs(m.std() - 0.1) < 0.005


def test_discrete_distributions() -> None:
    g = rt.Generator().manual_seed(4)
    r = rt.randint(-3, 7, (N,), generator=g).numpy()
    assert r.min() == -3 and r.max() == 6
    assert np.abs(np.bincount(r + 3) / N - 0.1).max() < 0.01
    b = rt.bernoulli(rt.full((N,), 0.3), generator=g).numpy()
    assert set(np.unique(b)) == {0.0, 1.0} and abs(b.mean() - 0.3) < 0.01
    assert rt.bernoulli(rt.tensor([0.0, 1.0, 0.0, 1.0]), generator=g).tolist() == [0.0, 1.0, 0.0, 1.0]
    bp = rt.bernoulli(rt.zeros(N), 0.8, generator=g).numpy()
    assert abs(bp.mean() - 0.8) < 0.01
    bi = rt.empty(N).bernoulli_(rt.full((N,), 0.25), generator=g).numpy()
    assert abs(bi.mean() - 0.25) < 0.01
    e = rt.empty(N, dtype=rt.float64).exponential_(2.0, generator=g).numpy()
    assert e.min() >= 0 and abs(e.mean() - 0.5) < 0.01
    geo = rt.empty(N, dtype=rt.float64).geometric_(0.25, generator=g).numpy()
    assert geo.min() >= 1 and abs(geo.mean() - 4) < 0.1
    ln = rt.empty(N, dtype=rt.float64).log_normal_(0.0, 0.5, generator=g).numpy()
    assert abs(np.log(ln).mean()) < 0.01 and abs(np.log(ln).std() - 0.5) < 0.01
    c = rt.empty(N, dtype=rt.float64).cauchy_(1.0, 2.0, generator=g).numpy()
    assert abs(np.median(c) - 1) < 0.05


@pytest.mark.parametrize(
    ("dtype", "lo", "hi"), [(rt.uint8, 0, 255), (rt.int8, 0, 127), (rt.bool, 0, 1), (rt.float16, 0, 2**11)]
)
def test_random_fills_the_dtype_range(dtype: Any, lo: int, hi: int) -> None:
    x = rt.empty(N, dtype=dtype).random_(generator=rt.Generator().manual_seed(5)).numpy().astype(np.float64)
    assert x.min() == lo and x.max() == hi and np.all(x == np.round(x))
    y = rt.empty(1000, dtype=rt.int64).random_(7, generator=rt.Generator()).numpy()
    assert y.min() == 0 and y.max() == 6
    z = rt.empty(1000, dtype=rt.int64).random_(-5, 5, generator=rt.Generator()).numpy()
    assert z.min() == -5 and z.max() == 4


def test_randperm_is_a_uniform_permutation() -> None:
    g = rt.Generator().manual_seed(6)
    perms = np.stack([rt.randperm(5, generator=g).numpy() for _ in range(5000)])
    assert all(sorted(p) == list(range(5)) for p in perms.tolist())
    assert np.abs((perms[:, 0][:, None] == np.arange(5)).mean(0) - 0.2).max() < 0.03
    assert rt.randperm(0).shape == (0,)


def test_multinomial_frequencies() -> None:
    g = rt.Generator().manual_seed(8)
    p = np.array([1.0, 2.0, 0.0, 7.0])
    with_r = rt.multinomial(rt.tensor(p), N, replacement=True, generator=g).numpy()
    assert np.abs(np.bincount(with_r, minlength=4) / N - p / p.sum()).max() < 0.01
    rows = rt.multinomial(rt.tensor(np.tile(p, (50_000, 1))), 3, generator=g).numpy()
    assert rows.shape == (50_000, 3)
    assert all(len(set(r)) == 3 for r in rows[:2000].tolist())  # without replacement: distinct
    assert not np.any(rows[:, :2] == 2)  # the zero-probability category is never drawn before the others
    assert np.abs(np.bincount(rows[:, 0], minlength=4) / 50_000 - p / p.sum()).max() < 0.01
    full = rt.multinomial(rt.tensor([0.0, 1.0, 1.0]), 3, generator=g).tolist()
    assert sorted(full) == [0, 1, 2] and full[2] == 0


def test_random_errors() -> None:
    with pytest.raises(RuntimeError, match=r"cannot sample n_sample > prob_dist\.size"):
        rt.multinomial(rt.tensor([0.2, 0.8]), 3)
    with pytest.raises(RuntimeError, match="element < 0"):
        rt.multinomial(rt.tensor([-0.1, 0.8]), 1)
    with pytest.raises(RuntimeError, match="element < 0"):
        rt.multinomial(rt.tensor([float("nan"), 0.8]), 1, True)
    with pytest.raises(RuntimeError, match=r"bernoulli.*\[0, 1\]"):
        rt.bernoulli(rt.tensor([-0.5, 0.5]))
    with pytest.raises(RuntimeError, match="bernoulli_ expects p to be in"):
        rt.zeros(2).bernoulli_(1.5)
    with pytest.raises(RuntimeError, match=r"normal expects std >= 0\.0"):
        rt.zeros(2).normal_(0.0, -1.0)
    with pytest.raises(RuntimeError, match="uniform_ expects to return a"):
        rt.zeros(2).uniform_(2, 1)
    with pytest.raises(RuntimeError, match=r"exponential_ expects lambda > 0\.0"):
        rt.zeros(2).exponential_(0)
    with pytest.raises(NotImplementedError, match="'Long'"):
        rt.zeros(2, dtype=rt.int64).uniform_()
    with pytest.raises(NotImplementedError, match="'Int'"):
        rt.rand_like(rt.zeros(2, dtype=rt.int32))
    with pytest.raises(RuntimeError, match="from=5 >= to=5"):
        rt.randint(5, 5, (2,))
    with pytest.raises(RuntimeError, match="out of bounds"):
        rt.zeros(2, dtype=rt.int8).random_(0, 200)
    with pytest.raises(TypeError, match="Generator"):
        rt.randn(2, generator=np.random.default_rng(0))


def test_random_ops_in_the_graph_match_torch() -> None:
    torch = pytest.importorskip("torch")
    m = rt.zeros(3, requires_grad=True)
    s = rt.ones(3, requires_grad=True)
    tm = torch.zeros(3, requires_grad=True)
    ts = torch.ones(3, requires_grad=True)
    pairs = [(rt.normal(m, 1.0), torch.normal(tm, 1.0)), (rt.normal(0.0, s), torch.normal(0.0, ts))]
    pairs += [(rt.normal(m, s), torch.normal(tm, ts)), (rt.bernoulli(s * 0.5), torch.bernoulli(ts * 0.5))]
    for r, t in pairs:
        assert r.requires_grad and type(t.grad_fn).__name__ == r.grad_fn.name()
    out = rt.normal(m, s)
    out.sum().backward()
    tout = torch.normal(tm, ts)
    tout.sum().backward()
    assert m.grad.tolist() == tm.grad.tolist() == [0.0, 0.0, 0.0]  # torch defines these gradients as zero
    assert s.grad.tolist() == ts.grad.tolist()


def test_in_place_random_on_leaves_follows_the_inplace_rules() -> None:
    w = rt.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.uniform_()
    with rt.no_grad():
        assert w.normal_() is w
    v0 = w._version
    with rt.no_grad():
        w.uniform_()
    assert w._version == v0 + 1
    base = rt.zeros(4)
    view = base[1:3]
    view.uniform_(5, 6, generator=rt.Generator())
    assert base[0].item() == 0 and 5 <= base[1].item() < 6 and base[3].item() == 0
