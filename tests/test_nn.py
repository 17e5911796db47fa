"""rustytorch.nn layers and functions against torch.nn: same weights in, same outputs and gradients out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import rustytorch as rt

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(1234)


def _copy_params(src: Any, dst: Any) -> None:
    """torch module -> rustytorch module, by state-dict name."""
    sd = {k: rt.tensor(v.detach().numpy().copy()) for k, v in src.state_dict().items()}
    dst.load_state_dict(sd)


def _compare(
    rt_mod: Any,
    t_mod: Any,
    *inputs: np.ndarray,
    train: bool = True,
    atol: float = 1e-10,
    kwargs: dict[str, Any] | None = None,
) -> None:
    kwargs = kwargs or {}
    rt_mod.train(train)
    t_mod.train(train)
    r_in = [rt.tensor(x, requires_grad=x.dtype.kind == "f") for x in inputs]
    t_in = [torch.tensor(x, requires_grad=x.dtype.kind == "f") for x in inputs]
    r_out = rt_mod(*r_in, **kwargs)
    t_out = t_mod(*t_in, **kwargs)
    if isinstance(t_out, tuple):
        r_out, t_out = r_out[0], t_out[0]
    np.testing.assert_allclose(r_out.detach().numpy(), t_out.detach().numpy(), atol=atol, rtol=1e-9)
    g = RNG.standard_normal(tuple(t_out.shape))
    r_out.backward(rt.tensor(g))
    t_out.backward(torch.tensor(g))
    for i, (a, b) in enumerate(zip(r_in, t_in, strict=True)):
        if b.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=atol, rtol=1e-9, err_msg=f"input {i} grad")
    t_params = dict(t_mod.named_parameters())
    for name, p in rt_mod.named_parameters():
        tp = t_params[name]
        assert (p.grad is None) == (tp.grad is None), name
        if tp.grad is not None:
            np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), atol=atol, rtol=1e-9, err_msg=f"{name} grad")
    for name, b in dict(t_mod.named_buffers()).items():
        np.testing.assert_allclose(dict(rt_mod.named_buffers())[name].numpy(), b.numpy(), atol=atol, err_msg=name)


def _pair(factory: Callable[[Any], Any]) -> tuple[Any, Any]:
    torch.manual_seed(0)
    t_mod = factory(torch.nn).double()
    rt_mod = factory(rt.nn).double()
    _copy_params(t_mod, rt_mod)
    return rt_mod, t_mod


LAYERS: list[tuple[str, Callable[[Any], Any], tuple[tuple[int, ...], ...]]] = [
    ("Linear", lambda nn: nn.Linear(5, 3), ((4, 5),)),
    ("Linear-3d-nobias", lambda nn: nn.Linear(5, 3, bias=False), ((2, 4, 5),)),
    ("Conv2d", lambda nn: nn.Conv2d(3, 4, 3), ((2, 3, 6, 6),)),
    (
        "Conv2d-stride-pad-dil",
        lambda nn: nn.Conv2d(2, 4, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
        ((2, 2, 7, 6),),
    ),
    ("Conv2d-groups", lambda nn: nn.Conv2d(4, 6, 3, groups=2, padding="same"), ((1, 4, 5, 5),)),
    ("Conv1d", lambda nn: nn.Conv1d(3, 2, 3, stride=2, padding=1), ((2, 3, 9),)),
    ("MaxPool2d", lambda nn: nn.MaxPool2d(2), ((2, 3, 6, 6),)),
    ("MaxPool2d-overlap", lambda nn: nn.MaxPool2d(3, stride=2, padding=1), ((1, 2, 7, 7),)),
    ("AvgPool2d", lambda nn: nn.AvgPool2d(2, stride=1, padding=1), ((1, 2, 5, 5),)),
    ("AvgPool2d-nopadcount", lambda nn: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), ((1, 2, 6, 6),)),
    ("AdaptiveAvgPool2d", lambda nn: nn.AdaptiveAvgPool2d((3, 2)), ((2, 3, 7, 5),)),
    ("AdaptiveAvgPool2d-1", lambda nn: nn.AdaptiveAvgPool2d(1), ((2, 3, 4, 4),)),
    ("BatchNorm1d", lambda nn: nn.BatchNorm1d(4), ((6, 4),)),
    ("BatchNorm1d-3d", lambda nn: nn.BatchNorm1d(4, momentum=None), ((3, 4, 5),)),
    ("BatchNorm2d", lambda nn: nn.BatchNorm2d(3), ((4, 3, 2, 2),)),
    ("LayerNorm", lambda nn: nn.LayerNorm(5), ((3, 5),)),
    ("LayerNorm-2d", lambda nn: nn.LayerNorm((4, 5), elementwise_affine=True), ((2, 4, 5),)),
    ("ReLU", lambda nn: nn.ReLU(), ((3, 4),)),
    ("GELU", lambda nn: nn.GELU(), ((3, 4),)),
    ("GELU-tanh", lambda nn: nn.GELU(approximate="tanh"), ((3, 4),)),
    ("SiLU", lambda nn: nn.SiLU(), ((3, 4),)),
    ("Tanh", lambda nn: nn.Tanh(), ((3, 4),)),
    ("Sigmoid", lambda nn: nn.Sigmoid(), ((3, 4),)),
    ("Softmax", lambda nn: nn.Softmax(dim=1), ((3, 4),)),
    ("LogSoftmax", lambda nn: nn.LogSoftmax(dim=-1), ((3, 4),)),
    ("LeakyReLU", lambda nn: nn.LeakyReLU(0.2), ((3, 4),)),
    ("Flatten", lambda nn: nn.Flatten(), ((2, 3, 4),)),
    ("Identity", lambda nn: nn.Identity(), ((2, 3),)),
    ("Sequential", lambda nn: nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)), ((5, 4),)),
]


@pytest.mark.parametrize(("name", "factory", "shapes"), LAYERS, ids=[n for n, _, _ in LAYERS])
def test_layer_matches_torch(name: str, factory: Callable[[Any], Any], shapes: tuple[tuple[int, ...], ...]) -> None:
    rt_mod, t_mod = _pair(factory)
    inputs = [RNG.standard_normal(s) for s in shapes]
    _compare(rt_mod, t_mod, *inputs)
    if "BatchNorm" in name:  # evaluation mode uses the running statistics updated above
        _compare(rt_mod, t_mod, *inputs, train=False)


def test_embedding_matches_torch_and_ignores_padding_row() -> None:
    rt_mod, t_mod = _pair(lambda nn: nn.Embedding(7, 3, padding_idx=2))
    idx = np.array([[1, 2, 6], [2, 0, 1]])
    _compare(rt_mod, t_mod, idx)
    assert rt_mod.weight.grad[2].abs().sum().item() == 0


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("mask", ["none", "causal-bool", "float", "key-padding"])
def test_multihead_attention_matches_torch(batch_first: bool, mask: str) -> None:
    rt_mod, t_mod = _pair(lambda nn: nn.MultiheadAttention(8, 2, batch_first=batch_first))
    L, N, E = 4, 3, 8
    x = RNG.standard_normal((N, L, E) if batch_first else (L, N, E))
    kw_rt: dict[str, Any] = {}
    kw_t: dict[str, Any] = {}
    if mask == "causal-bool":
        m = np.triu(np.ones((L, L), dtype=bool), 1)
        kw_rt["attn_mask"], kw_t["attn_mask"] = rt.tensor(m), torch.tensor(m)
    elif mask == "float":
        m = RNG.standard_normal((L, L))
        kw_rt["attn_mask"], kw_t["attn_mask"] = rt.tensor(m), torch.tensor(m)
    elif mask == "key-padding":
        m = np.zeros((N, L), dtype=bool)
        m[0, -1] = True
        kw_rt["key_padding_mask"], kw_t["key_padding_mask"] = rt.tensor(m), torch.tensor(m)
    xr = rt.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    out_r, w_r = rt_mod(xr, xr, xr, **kw_rt)
    out_t, w_t = t_mod(xt, xt, xt, **kw_t)
    np.testing.assert_allclose(out_r.detach().numpy(), out_t.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(w_r.detach().numpy(), w_t.detach().numpy(), atol=1e-10)
    g = RNG.standard_normal(tuple(out_t.shape))
    out_r.backward(rt.tensor(g))
    out_t.backward(torch.tensor(g))
    np.testing.assert_allclose(xr.grad.numpy(), xt.grad.numpy(), atol=1e-10)
    tp = dict(t_mod.named_parameters())
    for n, p in rt_mod.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp[n].grad.numpy(), atol=1e-10, err_msg=n)


LOSSES: list[tuple[str, Callable[[Any], Any], Callable[[], tuple[np.ndarray, np.ndarray]]]] = [
    ("MSELoss", lambda nn: nn.MSELoss(), lambda: (RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3)))),
    (
        "MSELoss-sum",
        lambda nn: nn.MSELoss(reduction="sum"),
        lambda: (RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))),
    ),
    (
        "L1Loss",
        lambda nn: nn.L1Loss(reduction="none"),
        lambda: (RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))),
    ),
    ("CrossEntropy", lambda nn: nn.CrossEntropyLoss(), lambda: (RNG.standard_normal((5, 4)), RNG.integers(0, 4, 5))),
    (
        "CrossEntropy-big-logits",
        lambda nn: nn.CrossEntropyLoss(),
        lambda: (RNG.standard_normal((5, 4)) * 1e4, RNG.integers(0, 4, 5)),
    ),
    (
        "CrossEntropy-ignore-smooth",
        lambda nn: nn.CrossEntropyLoss(ignore_index=1, label_smoothing=0.2),
        lambda: (RNG.standard_normal((6, 4)), np.array([0, 1, 2, 3, 1, 0])),
    ),
    (
        "CrossEntropy-weight-smooth",
        lambda nn: nn.CrossEntropyLoss(
            weight=nn.Parameter(torch.tensor([1.0, 2.0, 0.5, 1.5], dtype=torch.float64)) if nn is torch.nn else None,
            label_smoothing=0.1,
        ),
        lambda: (RNG.standard_normal((6, 4)), RNG.integers(0, 4, 6)),
    ),
    (
        "CrossEntropy-spatial-sum",
        lambda nn: nn.CrossEntropyLoss(reduction="sum"),
        lambda: (RNG.standard_normal((2, 3, 4)), RNG.integers(0, 3, (2, 4))),
    ),
    (
        "CrossEntropy-probs",
        lambda nn: nn.CrossEntropyLoss(label_smoothing=0.1),
        lambda: (RNG.standard_normal((3, 4)), RNG.dirichlet(np.ones(4), 3)),
    ),
    ("NLLLoss", lambda nn: nn.NLLLoss(), lambda: (np.log(RNG.dirichlet(np.ones(4), 5)), RNG.integers(0, 4, 5))),
    (
        "BCELoss",
        lambda nn: nn.BCELoss(),
        lambda: (RNG.uniform(0.05, 0.95, (4, 3)), RNG.integers(0, 2, (4, 3)).astype(np.float64)),
    ),
    (
        "BCEWithLogits",
        lambda nn: nn.BCEWithLogitsLoss(),
        lambda: (RNG.standard_normal((4, 3)) * 50, RNG.integers(0, 2, (4, 3)).astype(np.float64)),
    ),
]


@pytest.mark.parametrize(("name", "factory", "data"), LOSSES, ids=[n for n, _, _ in LOSSES])
def test_loss_matches_torch(
    name: str, factory: Callable[[Any], Any], data: Callable[[], tuple[np.ndarray, np.ndarray]]
) -> None:
    x, y = data()
    t_loss = factory(torch.nn)
    if name == "CrossEntropy-weight-smooth":
        w = np.array([1.0, 2.0, 0.5, 1.5])
        t_loss = torch.nn.CrossEntropyLoss(weight=torch.tensor(w), label_smoothing=0.1)
        r_loss = rt.nn.CrossEntropyLoss(weight=rt.tensor(w), label_smoothing=0.1)
    else:
        r_loss = factory(rt.nn)
    xr, xt = rt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    lr, lt = r_loss(xr, rt.tensor(y)), t_loss(xt, torch.tensor(y))
    np.testing.assert_allclose(lr.detach().numpy(), lt.detach().numpy(), rtol=1e-10, atol=1e-10)
    lr.sum().backward()
    lt.sum().backward()
    np.testing.assert_allclose(xr.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-10)


def test_functional_conv_and_pool_gradcheck() -> None:
    F = rt.nn.functional
    x = rt.tensor(RNG.standard_normal((1, 2, 5, 4)), requires_grad=True)
    w = rt.tensor(RNG.standard_normal((3, 2, 2, 3)), requires_grad=True)
    b = rt.tensor(RNG.standard_normal(3), requires_grad=True)
    assert rt.autograd.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=1), (x, w, b))
    assert rt.autograd.gradgradcheck(lambda x, w: F.conv2d(x, w, padding=1), (x, w))
    assert rt.autograd.gradcheck(lambda x: F.max_pool2d(x, 2, stride=1), (x,))
    assert rt.autograd.gradcheck(lambda x: F.fold(F.unfold(x, 2, padding=1), (5, 4), 2, padding=1), (x,))


def test_functional_matches_torch_misc() -> None:
    x = RNG.standard_normal((3, 4))
    F, TF = rt.nn.functional, torch.nn.functional
    np.testing.assert_allclose(F.normalize(rt.tensor(x)).numpy(), TF.normalize(torch.tensor(x)).numpy(), atol=1e-12)
    np.testing.assert_array_equal(
        F.one_hot(rt.tensor([0, 3, 1]), 5).numpy(), TF.one_hot(torch.tensor([0, 3, 1]), 5).numpy()
    )
    np.testing.assert_allclose(
        F.softplus(rt.tensor(x * 20)).numpy(), TF.softplus(torch.tensor(x * 20)).numpy(), atol=1e-12
    )
    np.testing.assert_allclose(F.elu(rt.tensor(x)).numpy(), TF.elu(torch.tensor(x)).numpy(), atol=1e-12)
    q = RNG.standard_normal((2, 3, 5, 4))
    k = RNG.standard_normal((2, 3, 6, 4))
    v = RNG.standard_normal((2, 3, 6, 4))
    m = RNG.random((5, 6)) > 0.3
    m[:, 0] = True
    for kw_r, kw_t in [
        ({}, {}),
        ({"attn_mask": rt.tensor(m)}, {"attn_mask": torch.tensor(m)}),
        ({"scale": 0.3}, {"scale": 0.3}),
    ]:
        a = F.scaled_dot_product_attention(rt.tensor(q), rt.tensor(k), rt.tensor(v), **kw_r)
        b = TF.scaled_dot_product_attention(torch.tensor(q), torch.tensor(k), torch.tensor(v), **kw_t)
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-10)
    qc = RNG.standard_normal((2, 5, 4))
    a = F.scaled_dot_product_attention(rt.tensor(qc), rt.tensor(qc), rt.tensor(qc), is_causal=True)
    b = TF.scaled_dot_product_attention(torch.tensor(qc), torch.tensor(qc), torch.tensor(qc), is_causal=True)
    np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-10)


def test_module_api_state_dict_and_repr() -> None:
    net = rt.nn.Sequential(rt.nn.Linear(2, 3), rt.nn.BatchNorm1d(3), rt.nn.ReLU())
    tnet = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3), torch.nn.ReLU())
    assert list(net.state_dict()) == list(tnet.state_dict())
    assert repr(net) == repr(tnet)
    assert [n for n, _ in net.named_parameters()] == [n for n, _ in tnet.named_parameters()]
    net.eval()
    assert not net[1].training
    sd = net.state_dict()
    bad = dict(sd)
    bad["0.weight"] = rt.zeros(5, 5)
    before = net[0].weight.detach().clone().numpy()
    with pytest.raises(RuntimeError, match=r"size mismatch for 0\.weight"):
        net.load_state_dict(bad)
    np.testing.assert_array_equal(net[0].weight.detach().numpy(), before)  # nothing partially loaded
    extra = dict(sd)
    extra["zzz"] = rt.zeros(1)
    with pytest.raises(RuntimeError, match=r'Unexpected key.*"zzz"'):
        net.load_state_dict(extra)
    res = net.load_state_dict(extra, strict=False)
    assert res.unexpected_keys == ["zzz"] and res.missing_keys == []


def test_clip_grad_norm_matches_torch() -> None:
    g = [RNG.standard_normal((3, 2)), RNG.standard_normal(4)]
    for norm_type in (2.0, 1.0, float("inf")):
        rp = [rt.nn.Parameter(rt.zeros(*x.shape, dtype=rt.float64)) for x in g]
        tp = [torch.nn.Parameter(torch.zeros(*x.shape, dtype=torch.float64)) for x in g]
        for p, q, x in zip(rp, tp, g, strict=True):
            p.grad = rt.tensor(x)
            q.grad = torch.tensor(x)
        a = rt.nn.utils.clip_grad_norm_(rp, 0.5, norm_type)
        b = torch.nn.utils.clip_grad_norm_(tp, 0.5, norm_type)
        assert abs(a.item() - b.item()) < 1e-12
        for p, q in zip(rp, tp, strict=True):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-12)


def test_errors_are_clear() -> None:
    F = rt.nn.functional
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(4x5 and 3x2\)"):
        F.linear(rt.zeros(4, 5), rt.zeros(2, 3))
    with pytest.raises(RuntimeError, match=r"expected input.*to have 4 channels, but got 3 channels"):
        F.conv2d(rt.zeros(1, 3, 5, 5), rt.zeros(2, 4, 3, 3))
    with pytest.raises(IndexError, match="Target 7 is out of bounds"):
        F.cross_entropy(rt.zeros(2, 3), rt.tensor([0, 7]))
    with pytest.raises(IndexError, match="index out of range"):
        F.embedding(rt.tensor([5]), rt.zeros(3, 2))
    with pytest.raises(ValueError, match="dropout probability"):
        rt.nn.Dropout(1.5)
